/* cmd_stats.c — `assay stats [RUN]`: the honest statistics of a stored run
 * (an id or `latest`, the default): intervals, paired comparisons, tied
 * groups, latency, cost, calibration, refusals, failure modes, robustness,
 * classification and the model decision; printed, and with -o written as
 * JSON.  Reads only; never sends a request. */
#include "cmd.h"
#include "settings.h"
#include "report/stats_report.h"
#include "store/store.h"
#include "util/term.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char stats_usage[] =
	"usage: assay stats [RUN] [options]\n"
	"\n"
	"Prints the statistics of a stored run: pass rates with 95% intervals,\n"
	"paired comparisons (McNemar, Holm) and statistically tied groups,\n"
	"latency percentiles, cost per successful task, calibration, refusals,\n"
	"failure modes, robustness, classification and the model decision\n"
	"(docs/statistics.md).  RUN is a run id or 'latest' (the default).\n"
	"\n"
	"options:\n"
	"      --db PATH         SQLite file or postgres:// URL\n"
	"                        (default $ASSAY_DB, the config file's db,\n"
	"                        else the nearest .assay/ from here up)\n"
	"  -o, --output FILE     also write the statistics as JSON to FILE\n"
	"      --mdd D           difference to size the suite for (default 0.05)\n"
	"      --seed N          bootstrap seed (default 0)\n"
	"      --resamples N     bootstrap resamples (default 10000)\n"
	"      --json            print the JSON instead of the tables\n"
	"      --no-color        no ANSI colours\n"
	"  -h, --help            this text\n";

static int parse_num(const char *s, double lo, double hi, double *out)
{
	char *end;
	double v;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static int write_json(const json_t *j, const char *path, struct err *err)
{
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	if (json_dump_file(j, tmp, JSON_INDENT(2) | JSON_REAL_PRECISION(10))) {
		unlink(tmp);
		return err_set(err, ST_IO, "cannot write %s", path);
	}
	if (rename(tmp, path)) {
		unlink(tmp);
		return err_set(err, ST_IO, "cannot rename %s to %s: %s", tmp,
			       path, strerror(errno));
	}
	return 0;
}

static int stats_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "output", required_argument, NULL, 'o' },
		{ "mdd", required_argument, NULL, 'm' },
		{ "seed", required_argument, NULL, 's' },
		{ "resamples", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "no-color", no_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *db = settings_db(), *ref = "latest", *out = NULL;
	struct stats_opts so = { .resamples = 10000, .seed = 0, .mdd = 0.05 };
	bool as_json = false, color = term_color(1);
	struct store *st = NULL;
	json_t *j = NULL;
	struct run_stats *rs = NULL;
	struct err err;
	int64_t run_id;
	double v;
	int c, status = EXIT_RUN_ERROR;

	opterr = 0;
	optind = 1;
	err_clear(&err);
	while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'o': out = optarg; break;
		case 'm':
			if (parse_num(optarg, 1e-6, 1, &so.mdd))
				goto bad_value;
			break;
		case 's':
			if (parse_num(optarg, 0, 9007199254740992.0, &v))
				goto bad_value;
			so.seed = (uint64_t)v;
			break;
		case 'r':
			if (parse_num(optarg, 100, 10000000, &v))
				goto bad_value;
			so.resamples = (long)v;
			break;
		case 'j': as_json = true; break;
		case 'c': color = false; break;
		case 'h': fputs(stats_usage, stdout); return 0;
		case ':':
			fprintf(stderr, "assay stats: option '%s' needs a value\n%s",
				argv[optind - 1], stats_usage);
			return EXIT_USAGE;
		default:
			fprintf(stderr, "assay stats: bad option '%s'\n%s",
				argv[optind - 1], stats_usage);
			return EXIT_USAGE;
		}
	}
	if (optind < argc)
		ref = argv[optind++];
	if (optind < argc) {
		fprintf(stderr, "assay stats: unexpected argument '%s'\n",
			argv[optind]);
		return EXIT_USAGE;
	}
	if (store_open_existing(db, &st, &err) ||
	    store_resolve_run(st, ref, &run_id, &err))
		goto out;
	if (!(rs = report_stats_compute(st, run_id, &so, &err)))
		goto out;
	j = rs_json(rs);
	if (as_json) {
		json_dumpf(j, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
		fputc('\n', stdout);
	} else {
		report_stats_print_stats(rs, stdout, color);
	}
	fflush(stdout);
	if (out) {
		if (write_json(j, out, &err))
			goto out;
		fprintf(stderr, "wrote %s\n", out);
	}
	status = 0;
out:
	if (status)
		err_print(&err, stderr);
	json_decref(j);
	report_stats_free(rs);
	store_close(st);
	return status;
bad_value:
	fprintf(stderr, "assay stats: bad option value '%s'\n%s", optarg,
		stats_usage);
	return EXIT_USAGE;
}

const struct cmd cmd_stats = { "stats", "statistics and the model decision "
			       "for a stored run", stats_exec };
