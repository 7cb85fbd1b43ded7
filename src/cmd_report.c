/* cmd_report.c — `assay report [RUN] -o report.html`: a stored run as one
 * self-contained HTML file (src/report/report_html.c; a load run's own
 * page, report_load_html.c).  Reads only; never sends a request.  The
 * flags are checked here and the writing is `assay export`'s
 * (export_run_files, cmd_export.h): `assay export RUN -o x.html` and
 * `assay run -o report.html` write the same file. */
#include "cmd.h"
#include "cmd_export.h"
#include "settings.h"

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
	int c;

	opterr = 0;
	optind = 1;
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
	return export_run_files(db, ref, &out, 1);   /* = assay export ref -o out */
}

const struct cmd cmd_report = {
	.name = "report",
	.summary = "write a stored run as a self-contained HTML report",
	.exec = report_exec,
};
