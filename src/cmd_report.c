/* cmd_report.c — `assay report [RUN] -o report.html`: a stored run as one
 * self-contained HTML file (src/report/report_html.c).  Reads only; never
 * sends a request.  `assay run -o report.html` writes the same file. */
#include "cmd.h"
#include "settings.h"
#include "report/report.h"
#include "store/store.h"
#include "store/store_load.h"
#include "report/report_load_html.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char report_usage[] =
	"usage: assay report [RUN] -o FILE.html [options]\n"
	"\n"
	"Writes a stored run (a run id or 'latest', the default) as one HTML file\n"
	"that opens from disk and fetches nothing: the decision, charts (pass rates\n"
	"with intervals, paired differences, latency, quality vs cost and p95,\n"
	"calibration, failures by tag, consistency) and every case side by side,\n"
	"with filters and search.\n"
	"\n"
	"options:\n"
	"  -o, --output FILE    the report (.html); required\n"
	"      --db PATH        SQLite file or postgres:// URL\n"
	"                       (default $ASSAY_DB, the config file's db,\n"
	"                       else the nearest .assay/ from here up)\n"
	"  -h, --help           this text\n"
	"\n"
	"example:\n"
	"  assay report latest -o report.html && xdg-open report.html\n";

static int report_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *db = settings_db(), *ref = "latest", *out = NULL;
	struct store *st = NULL;
	struct err err;
	int64_t run_id;
	int c, status = EXIT_RUN_ERROR;

	opterr = 0;
	optind = 1;
	err_clear(&err);
	while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'o': out = optarg; break;
		case 'h': fputs(report_usage, stdout); return 0;
		default:
			fprintf(stderr, "assay report: bad option '%s'\n%s", argv[optind - 1], report_usage);
			return EXIT_USAGE;
		}
	}
	if (optind < argc)
		ref = argv[optind++];
	if (optind < argc || !out) {
		fprintf(stderr, "assay report: %s\n%s",
			out ? "one run at most" : "-o FILE.html is required", report_usage);
		return EXIT_USAGE;
	}
	const char *dot = strrchr(out, '.');
	if (!dot || strcmp(dot, ".html")) {
		fprintf(stderr, "assay report: the report is HTML: -o must end in .html (got '%s')\n", out);
		return EXIT_USAGE;
	}
	if (store_open_existing(db, &st, &err) || store_resolve_run(st, ref, &run_id, &err))
		goto out;
	{	/* a load run (assay load) has its own page */
		json_t *lrep = NULL;
		int rc = store_load_report_get(st, run_id, &lrep, &err);
		if (!rc && lrep)
			rc = report_load_html_write(lrep, out, &err);
		json_decref(lrep);
		if (rc)
			goto out;
		if (!lrep && report_write(st, run_id, out, &err))
			goto out;
	}
	fprintf(stderr, "wrote %s\n", out);
	status = 0;
out:
	if (status)
		err_print(&err, stderr);
	store_close(st);
	return status;
}

const struct cmd cmd_report = {
	.name = "report",
	.summary = "write a stored run as a self-contained HTML report",
	.exec = report_exec,
};
