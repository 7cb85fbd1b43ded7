/* cmd_review.c — `assay review import FILE` (human grades from JSON
 * lines) and `assay review export RUN -o cases.yaml` (the reviewed cases
 * as a tests file with the approved outputs as reference answers). */
#include "cmd.h"
#include "settings.h"
#include "cmd_review.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: assay review import FILE.jsonl [--run RUN] [--db PATH]\n"
	"       assay review export RUN -o cases.yaml [--assert similar|equals|none]\n"
	"                           [--embedder PROVIDER] [--threshold X] [--suite FILE]\n"
	"                           [--db PATH]\n"
	"\n"
	"import stores human grades, one JSON object a line:\n"
	"  {\"grader\":\"ann\",\"result_id\":12,\"rating\":4,\"ship\":true,\"comment\":\"…\"}\n"
	"  {\"grader\":\"ann\",\"case\":0,\"provider\":\"gpt\",\"rating\":2,\"ship\":false}\n"
	"  {\"grader\":\"bob\",\"left\":12,\"right\":13,\"preferred\":\"left\"}   (left|right|tie)\n"
	"A result is its id or {\"case\":N,\"provider\":LABEL|ID|INDEX,\"prompt\":N,\"repeat\":N}\n"
	"in RUN (default latest).  A grader's new rating of a result replaces the\n"
	"old one.  Every line is checked first; a bad line stores nothing.\n"
	"\n"
	"export writes the cases of RUN that reviewers approved (\"would ship\" by\n"
	"most of them; the highest mean rating wins) as a list of tests: the\n"
	"approved output becomes vars.expected and the value of a `similar`\n"
	"(threshold 0.8, default) or `equals` assertion; metadata.human holds the\n"
	"rating, the vote and the number of reviewers.  Each case keeps its own\n"
	"assertions, read from the run's suite file (--suite FILE: another path to\n"
	"it) and matched by content.\n";

static int review_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "run", required_argument, NULL, 'r' },
		{ "output", required_argument, NULL, 'o' },
		{ "assert", required_argument, NULL, 'a' },
		{ "embedder", required_argument, NULL, 'e' },
		{ "threshold", required_argument, NULL, 't' },
		{ "suite", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *db = settings_db(), *run = "latest", *out = NULL;
	struct review_export_opts eo = { "similar", NULL, 0.8, NULL };
	struct store *st = NULL;
	struct err err;
	int c, rc;
	char *end;
	opterr = 0;
	optind = 1;
	err_clear(&err);
	while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'r': run = optarg; break;
		case 'o': out = optarg; break;
		case 'a': eo.assert_type = optarg; break;
		case 'e': eo.embedder = optarg; break;
		case 's': eo.suite = optarg; break;
		case 't':
			eo.threshold = strtod(optarg, &end);
			if (*end || !(eo.threshold > 0 && eo.threshold <= 1)) {
				fprintf(stderr, "assay review: --threshold must be in (0, 1]\n");
				return EXIT_USAGE;
			}
			break;
		case 'h': fputs(usage, stdout); return 0;
		default:
			fprintf(stderr, "assay review: bad option '%s'\n%s",
				argv[optind - 1], usage);
			return EXIT_USAGE;
		}
	}
	if (optind + 2 != argc ||
	    (strcmp(argv[optind], "import") && strcmp(argv[optind], "export")) ||
	    (!strcmp(argv[optind], "export") && !out)) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[optind], "import")) {
		rc = store_open_existing(db, &st, &err);
		if (!rc)
			rc = review_import(st, run, argv[optind + 1], &err);
	} else {
		rc = store_open_existing(db, &st, &err);
		if (!rc)
			rc = review_export(st, argv[optind + 1], out, &eo, &err);
	}
	if (rc)
		err_print(&err, stderr);
	store_close(st);
	return rc == ST_USAGE ? EXIT_USAGE : rc ? EXIT_RUN_ERROR : 0;
}

const struct cmd cmd_review = {
	"review", "import human grades; export reviewed cases as tests",
	review_exec,
};
