/* cmd_export.c — `assay export RUN -o FILE` (the format follows the
 * extension: .json, .jsonl, .csv, .xml JUnit, .md Markdown, .assay a run
 * bundle, .html the HTML report) and `assay import FILE.assay` (a bundle
 * becomes a new run of this store).  Export reads only; its writing is
 * export_run_files (cmd_export.h), which `assay report` shares. */
#include "cmd.h"
#include "cmd_export.h"
#include "import/import.h"
#include "settings.h"
#include "report/report.h"
#include "report/report_load_html.h"
#include "store/store.h"
#include "store/store_load.h"
#include "util/xalloc.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char export_usage[] =
	"usage: assay export RUN -o FILE [-o FILE…] [--db PATH] [--layout promptfoo]\n"
	"\n"
	"Writes a stored run (an id, latest, latest~N or label:NAME) to FILE in\n"
	"the format its extension names: .json, .jsonl, .csv, .xml (JUnit),\n"
	".md (Markdown summary), .html (the report, as `assay report` writes it)\n"
	"or .assay (the whole run in one file, for `assay import` into another\n"
	"store).  --layout promptfoo writes .json in\n"
	"promptfoo's output layout, as `assay eval -o` does (docs/promptfoo.md).\n";

static const char import_usage[] =
	"usage: assay import FILE.assay [--db PATH]\n"
	"       assay import --into RUN FILE.assay… [--db PATH]\n"
	"\n"
	"Adds the run in FILE (written by `assay export RUN -o FILE.assay`) to the\n"
	"store as a new run and prints its id.  With --into, merges the results\n"
	"of each FILE into the stored run RUN instead (shards run elsewhere):\n"
	"the suite must be the same, items RUN holds already are kept.  Nothing\n"
	"is stored from a file that is damaged (the error names its line).\n"
	"\n"
	"assay import --from openai-evals|inspect|hf|csv FILE -o OUT.yaml converts\n"
	"other tools' eval data into tests (assay import --from x --help).\n";

/* One file: a load run's .html is its own page, everything else (and
 * every other run) goes by the extension (report_write). */
static int write_one(struct store *st, int64_t id, const char *out,
		     struct err *err)
{
	const char *dot = strrchr(out, '.');
	json_t *lrep = NULL;
	int rc;
	if (!dot || strcmp(dot, ".html"))
		return report_write(st, id, out, err);
	if ((rc = store_load_report_get(st, id, &lrep, err)))
		return rc;
	rc = lrep ? report_load_html_write(lrep, out, err)
		  : report_write(st, id, out, err);
	json_decref(lrep);
	return rc;
}

int export_run_files(const char *db, const char *ref,
		     const char *const *outs, size_t n)
{
	struct store *st = NULL;
	struct err err;
	int64_t id;
	int status = EXIT_RUN_ERROR;
	err_clear(&err);
	if (store_open_existing(db, &st, &err) || store_resolve_run(st, ref, &id, &err))
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (write_one(st, id, outs[i], &err))
			goto out;
		fprintf(stderr, "wrote %s\n", outs[i]);
	}
	status = 0;
out:
	if (status)
		err_print(&err, stderr);
	store_close(st);
	return status;
}

static int export_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "output", required_argument, NULL, 'o' },
		{ "layout", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *db = settings_db();
	const char **outs = NULL;
	size_t n_outs = 0;
	int c, status;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'l':
			if (strcmp(optarg, "promptfoo") && strcmp(optarg, "assay")) {
				fprintf(stderr, "assay export: --layout wants assay or promptfoo, not '%s'\n", optarg);
				free(outs);
				return EXIT_USAGE;
			}
			report_set_json_layout(strcmp(optarg, "promptfoo") ? REPORT_JSON_ASSAY
							     : REPORT_JSON_PROMPTFOO);
			break;
		case 'o':
			outs = xrealloc(outs, (n_outs + 1) * sizeof *outs);
			outs[n_outs++] = optarg;
			break;
		case 'h': fputs(export_usage, stdout); free(outs); return 0;
		default:
			fprintf(stderr, "assay export: bad option '%s'\n%s", argv[optind - 1], export_usage);
			free(outs);
			return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc || !n_outs) {
		fputs(export_usage, stderr);
		free(outs);
		return EXIT_USAGE;
	}
	status = export_run_files(db, argv[optind], outs, n_outs);
	free(outs);
	return status;
}

static int import_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "into", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *db = settings_db(), *into = NULL;
	struct store *st = NULL;
	struct err err;
	int64_t id, into_id = 0;
	int c, status = EXIT_RUN_ERROR;
	if (import_is_conversion(argc, argv))   /* --from / -o: src/import/ */
		return import_convert_exec(argc, argv);
	opterr = 0;
	optind = 1;
	err_clear(&err);
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == 'd') {
			db = optarg;
		} else if (c == 'i') {
			into = optarg;
		} else if (c == 'h') {
			fputs(import_usage, stdout);
			return 0;
		} else {
			fprintf(stderr, "assay import: bad option '%s'\n%s", argv[optind - 1], import_usage);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc || (!into && optind + 1 != argc)) {
		fputs(import_usage, stderr);
		return EXIT_USAGE;
	}
	if (store_open(db, &st, &err))
		goto out;
	if (!into) {
		if (store_import(st, argv[optind], &id, &err))
			goto out;
		printf("imported %s as run %lld\n", argv[optind], (long long)id);
		status = 0;
		goto out;
	}
	if (store_resolve_run(st, into, &into_id, &err))
		goto out;
	for (int i = optind; i < argc; i++) {
		long merged, skipped;
		if (store_import_into(st, argv[i], into_id, &id, &merged, &skipped, &err))
			goto out;
		printf("merged %s into run %lld: %ld results added, %ld already there\n",
		       argv[i], (long long)into_id, merged, skipped);
	}
	{
		struct store_run r;
		if (store_run_get(st, into_id, &r, &err))
			goto out;
		status = store_run_end(st, into_id,
				       r.n_results >= r.n_cases * r.n_prompts * r.n_providers *
							      (r.repeat > 0 ? r.repeat : 1)
				       ? "done" : "incomplete", &err) ? EXIT_RUN_ERROR : 0;
		store_run_free(&r);
	}
out:
	if (status)
		err_print(&err, stderr);
	store_close(st);
	return status;
}

const struct cmd cmd_export = { "export", "write a stored run to .json/.jsonl/.csv/.xml/.md/.assay", export_exec };
const struct cmd cmd_import = { "import", "add a run bundle (.assay), or convert eval data (--from) to tests", import_exec };
