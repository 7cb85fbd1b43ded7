/* cmd_show.c — `assay show [RUN]`: the summary table of a stored run (an id,
 * `latest` (the default), `latest~N` or `label:NAME`), its per-case table
 * (filters by tag, failing, provider), a warning when the run is
 * incomplete, and, with -o, its results re-exported from the store.
 * Reads only; never sends a request. */
#include "cmd.h"
#include "settings.h"
#include "report/report.h"
#include "store/store.h"
#include "store/store_load.h"
#include "load/load.h"
#include "report/report_load_html.h"
#include "util/term.h"
#include "util/xalloc.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char show_usage[] =
	"usage: assay show [RUN] [options]\n"
	"\n"
	"Prints the summary of a stored run, a table of its cases and writes its\n"
	"results.  RUN is a run id, 'latest' (the default), 'latest~N' (N runs\n"
	"before it) or 'label:NAME' (the newest run with that --label).  A run\n"
	"that is incomplete (interrupted, still running, failed) is flagged.\n"
	"\n"
	"options:\n"
	"      --db PATH        SQLite file or postgres:// URL\n"
	"                       (default $ASSAY_DB, the config file's db,\n"
	"                       else the nearest .assay/ from here up)\n"
	"  -o, --output FILE    write results to FILE (.json, .jsonl, .csv); repeatable\n"
	"      --tag TAG        only cases with this tag\n"
	"      --failing        only cases that failed or errored\n"
	"      --provider ID    only this provider's column (id or label)\n"
	"      --no-cases       no per-case table\n"
	"      --no-table       no summary table\n"
	"  -h, --help           this text\n";

static int show_exec(int argc, char **argv)
{
	enum { O_DB = 256, O_NOTABLE, O_TAG, O_FAILING, O_PROVIDER, O_NOCASES };
	static const struct option opts[] = {
		{ "db", required_argument, NULL, O_DB },
		{ "output", required_argument, NULL, 'o' },
		{ "no-table", no_argument, NULL, O_NOTABLE },
		{ "tag", required_argument, NULL, O_TAG },
		{ "failing", no_argument, NULL, O_FAILING },
		{ "provider", required_argument, NULL, O_PROVIDER },
		{ "no-cases", no_argument, NULL, O_NOCASES },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *db = settings_db(), *ref = "latest";
	const char **outs = NULL;
	size_t n_outs = 0;
	bool table = true, cases = true, have_sum = false;
	struct case_filter filt = {0};
	struct store *st = NULL;
	struct summary sum;
	struct err err;
	int64_t run_id;
	int c, status = EXIT_RUN_ERROR;

	opterr = 0;
	optind = 1;
	err_clear(&err);
	memset(&sum, 0, sizeof sum);
	while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
		switch (c) {
		case O_DB: db = optarg; break;
		case 'o':
			outs = xrealloc(outs, (n_outs + 1) * sizeof *outs);
			outs[n_outs++] = optarg;
			break;
		case O_NOTABLE: table = false; break;
		case O_TAG: filt.tag = optarg; break;
		case O_FAILING: filt.failing = true; break;
		case O_PROVIDER: filt.provider = optarg; break;
		case O_NOCASES: cases = false; break;
		case 'h': fputs(show_usage, stdout); free(outs); return 0;
		default:
			fprintf(stderr, "assay show: bad option '%s'\n%s", argv[optind - 1], show_usage);
			free(outs);
			return EXIT_USAGE;
		}
	}
	if (optind < argc)
		ref = argv[optind++];
	if (optind < argc) {
		fprintf(stderr, "assay show: unexpected argument '%s'\n", argv[optind]);
		free(outs);
		return EXIT_USAGE;
	}
	if (store_open_existing(db, &st, &err) || store_resolve_run(st, ref, &run_id, &err))
		goto out;
	{	/* a load run (assay load) has its own report */
		json_t *lrep = NULL;
		if (store_load_report_get(st, run_id, &lrep, &err))
			goto out;
		if (lrep) {
			load_print(lrep, stdout);
			status = 0;
			for (size_t i = 0; i < n_outs && !status; i++) {
				size_t n = strlen(outs[i]);
				if (n > 5 && !strcmp(outs[i] + n - 5, ".html"))
					status = report_load_html_write(lrep, outs[i], &err);
				else if (n < 5 || strcmp(outs[i] + n - 5, ".json"))
					status = err_set(&err, ST_USAGE, "%s: a load run is "
							 "written as .json or .html", outs[i]);
				else if (json_dump_file(lrep, outs[i], JSON_INDENT(2)))
					status = err_set(&err, ST_IO, "cannot write %s", outs[i]);
				else
					fprintf(stderr, "wrote %s\n", outs[i]);
			}
			json_decref(lrep);
			if (status)
				status = EXIT_RUN_ERROR;
			goto out;
		}
	}
	if (report_summary(st, run_id, &sum, &err))
		goto out;
	have_sum = true;
	if (table)
		report_print_table(&sum, stdout, term_color(1));
	if (cases) {
		if (table)
			fputc('\n', stdout);
		if (report_print_cases(st, run_id, &filt, stdout, term_color(1), &err) ||
		    report_print_turns(st, run_id, &filt, stdout, term_color(1), &err))
			goto out;
	}
	fflush(stdout);
	report_warn_incomplete(st, run_id, stderr);
	for (size_t i = 0; i < n_outs; i++) {
		if (report_write(st, run_id, outs[i], &err))
			goto out;
		fprintf(stderr, "wrote %s\n", outs[i]);
	}
	status = 0;
out:
	if (status)
		err_print(&err, stderr);
	if (have_sum)
		report_summary_free(&sum);
	store_close(st);
	free(outs);
	return status;
}

const struct cmd cmd_show = { "show", "print a stored run (summary, cases) and export it", show_exec };
