/* cmd_show.c — `assay show [RUN]`: the summary table of a stored run (an id
 * or `latest`, the default) and, with -o, its results re-exported from the
 * store.  Reads only; never sends a request. */
#include "cmd.h"
#include "report/report.h"
#include "store/store.h"
#include "store/store_load.h"
#include "load/load.h"
#include "report/report_load_html.h"
#include "util/xalloc.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char show_usage[] =
	"usage: assay show [RUN] [options]\n"
	"\n"
	"Prints the summary of a stored run and writes its results.  RUN is a run\n"
	"id or 'latest' (the default).\n"
	"\n"
	"options:\n"
	"      --db PATH        database (default .assay/assay.db)\n"
	"  -o, --output FILE    write results to FILE (.json, .jsonl, .csv); repeatable\n"
	"      --no-table       no summary table\n"
	"  -h, --help           this text\n";

static int show_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "output", required_argument, NULL, 'o' },
		{ "no-table", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *db = ".assay/assay.db", *ref = "latest";
	const char **outs = NULL;
	size_t n_outs = 0;
	bool table = true, have_sum = false;
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
		case 'd': db = optarg; break;
		case 'o':
			outs = xrealloc(outs, (n_outs + 1) * sizeof *outs);
			outs[n_outs++] = optarg;
			break;
		case 'n': table = false; break;
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
	if (access(db, R_OK) != 0) {
		err_set(&err, ST_IO, "no database at %s (use --db PATH)", db);
		goto out;
	}
	if (store_open(db, &st, &err) || store_resolve_run(st, ref, &run_id, &err))
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
		report_print_table(&sum, stdout, isatty(1));
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

const struct cmd cmd_show = { "show", "print a stored run (id or latest) and export it", show_exec };
