/* cmd_compare.c — `assay compare BASE NEW`: two stored runs (ids, latest,
 * latest~N, label:NAME) compared case by case, per candidate present in
 * both (report/compare.h): fixed, regressed and unchanged cases, McNemar's
 * exact test Holm-adjusted across candidates, p95 latency and cost
 * changes with intervals; added and removed cases stated and excluded.
 * Exit status: 0, or EXIT_REGRESSION when some candidate is significantly
 * worse, so a script can use it as a gate. */
#include "cmd.h"
#include "settings.h"
#include "report/compare.h"
#include "store/store.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char compare_usage[] =
	"usage: assay compare BASE NEW [options]\n"
	"\n"
	"Compares two stored runs case by case.  BASE and NEW are run ids,\n"
	"'latest', 'latest~N' or 'label:NAME'.  Cases are paired by content (or\n"
	"their id:), never by position; cases only one run has are reported and\n"
	"left out.  Candidates are matched by label.\n"
	"\n"
	"options:\n"
	"      --db PATH          SQLite file or postgres:// URL\n"
	"                         (default $ASSAY_DB, the config file's db,\n"
	"                         else the nearest .assay/ from here up)\n"
	"  -v, --verbose          list every changed case with both outputs\n"
	"      --alpha A          significance level (default 0.05)\n"
	"      --candidates A,B   compare candidate A of BASE with candidate B of\n"
	"                         NEW (e.g. yesterday's model against today's)\n"
	"  -h, --help             this text\n"
	"\n"
	"exit status: 0; 3 when a candidate is significantly worse in NEW\n"
	"(paired, Holm-corrected); 1 error; 2 usage\n";

static int compare_exec(int argc, char **argv)
{
	enum { O_DB = 256, O_ALPHA, O_CANDS };
	static const struct option opts[] = {
		{ "db", required_argument, NULL, O_DB },
		{ "verbose", no_argument, NULL, 'v' },
		{ "alpha", required_argument, NULL, O_ALPHA },
		{ "candidates", required_argument, NULL, O_CANDS },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *db = settings_db();
	struct compare_opts o = { .alpha = 0.05 };
	struct store *st = NULL;
	struct compare cmp;
	struct err err;
	char *cands = NULL, *end;
	int64_t base, newer;
	int c, status = EXIT_RUN_ERROR;
	opterr = 0;
	optind = 1;
	err_clear(&err);
	memset(&cmp, 0, sizeof cmp);
	while ((c = getopt_long(argc, argv, ":vh", opts, NULL)) != -1) {
		switch (c) {
		case O_DB: db = optarg; break;
		case 'v': o.verbose = true; break;
		case O_ALPHA:
			o.alpha = strtod(optarg, &end);
			if (!*optarg || *end || !(o.alpha > 0 && o.alpha < 1)) {
				fprintf(stderr, "assay compare: --alpha wants a number in (0, 1), not '%s'\n", optarg);
				free(cands);
				return EXIT_USAGE;
			}
			break;
		case O_CANDS:
			free(cands);
			cands = strdup(optarg);
			if (!cands || !(end = strchr(cands, ',')) || end == cands || !end[1]) {
				fprintf(stderr, "assay compare: --candidates wants A,B (two labels), not '%s'\n", optarg);
				free(cands);
				return EXIT_USAGE;
			}
			*end = '\0';
			o.base_cand = cands;
			o.new_cand = end + 1;
			break;
		case 'h': fputs(compare_usage, stdout); free(cands); return 0;
		default:
			fprintf(stderr, "assay compare: bad option '%s'\n%s", argv[optind - 1], compare_usage);
			free(cands);
			return EXIT_USAGE;
		}
	}
	if (optind + 2 != argc) {
		fputs(compare_usage, stderr);
		free(cands);
		return EXIT_USAGE;
	}
	if (store_open_existing(db, &st, &err) ||
	    store_resolve_run(st, argv[optind], &base, &err) ||
	    store_resolve_run(st, argv[optind + 1], &newer, &err) ||
	    report_compare(st, base, newer, &o, &cmp, &err))
		goto out;
	report_compare_print(&cmp, stdout, o.verbose, o.verbose ? 0 : 20);
	status = cmp.any_regression ? EXIT_REGRESSION : 0;
out:
	if (status == EXIT_RUN_ERROR)
		err_print(&err, stderr);
	report_compare_free(&cmp);
	store_close(st);
	free(cands);
	return status;
}

const struct cmd cmd_compare = { "compare", "compare two stored runs case by case", compare_exec };
