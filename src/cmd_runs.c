/* cmd_runs.c — `assay runs`: the stored runs, newest first, one line each
 * (id, status, start, label, suite, results stored of planned, each
 * candidate's pass rate), and `assay delete RUN`.  Reads through the
 * store's read API; a run whose process died is listed as interrupted. */
#include "cmd.h"
#include "settings.h"
#include "report/report.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/xalloc.h"

#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char runs_usage[] =
	"usage: assay runs [options]\n"
	"\n"
	"Lists the stored runs, newest first: id, status, start, label, suite,\n"
	"results stored / planned, and each candidate's pass rate (errors left\n"
	"out).\n"
	"\n"
	"options:\n"
	"      --db PATH        SQLite file or postgres:// URL\n"
	"                       (default $ASSAY_DB, the config file's db,\n"
	"                       else the nearest .assay/ from here up)\n"
	"  -n, --limit N        at most N runs (default 20; 0 = all)\n"
	"      --label NAME     only runs with this label\n"
	"      --suite TEXT     only runs whose suite path contains TEXT\n"
	"      --status S       only runs with this status (done, interrupted,\n"
	"                       running, error)\n"
	"  -h, --help           this text\n";

struct runs_ctx {
	struct store *st;
	const char *label, *suite, *status;
	long shown;
	struct buf line;
	/* per-provider aggregation of the current run */
	long *pass, *graded;
	char **names;
	size_t n;
};

static int on_group(void *ud, const struct store_group *g)
{
	struct runs_ctx *c = ud;
	if (g->provider_idx >= c->n) {
		size_t n = g->provider_idx + 1;
		c->pass = xrealloc(c->pass, n * sizeof *c->pass);
		c->graded = xrealloc(c->graded, n * sizeof *c->graded);
		c->names = xrealloc(c->names, n * sizeof *c->names);
		for (size_t i = c->n; i < n; i++) {
			c->pass[i] = c->graded[i] = 0;
			c->names[i] = NULL;
		}
		c->n = n;
	}
	if (!c->names[g->provider_idx])
		c->names[g->provider_idx] = xstrdup(g->provider_label ? g->provider_label : "?");
	c->pass[g->provider_idx] += g->passes;
	c->graded[g->provider_idx] += g->passes + g->fails;
	return 0;
}

static int on_run(void *ud, const struct store_run *r)
{
	struct runs_ctx *c = ud;
	struct err err = {0};
	const char *suite = r->suite_path ? r->suite_path : "";
	const char *slash = strrchr(suite, '/');
	long planned = r->n_cases * r->n_prompts * r->n_providers *
		       (r->repeat > 0 ? r->repeat : 1);
	if ((c->label && (!r->label || strcmp(r->label, c->label))) ||
	    (c->suite && !strstr(suite, c->suite)) ||
	    (c->status && strcmp(r->status, c->status)))
		return 0;
	c->n = 0;
	if (store_groups_each(c->st, r->id, on_group, c, &err))
		return 0;
	buf_reset(&c->line);
	buf_printf(&c->line, "%5lld  %-11s  %.16s  ", (long long)r->id, r->status,
		   r->created_at);
	report_term_escape(&c->line, r->label ? r->label : "-", 16);
	buf_puts(&c->line, "  ");
	report_term_escape(&c->line, slash ? slash + 1 : suite, 24);
	buf_printf(&c->line, "  %ld/%ld", r->n_results, planned);
	for (size_t i = 0; i < c->n; i++) {
		buf_puts(&c->line, i ? ", " : "  ");
		report_term_escape(&c->line, c->names[i], 32);
		if (c->graded[i])
			buf_printf(&c->line, " %.1f%%", 100.0 * (double)c->pass[i] /
							      (double)c->graded[i]);
		else
			buf_puts(&c->line, " \xe2\x80\x94");
		free(c->names[i]);
	}
	puts(c->line.p);
	c->shown++;
	return 0;
}

static int runs_exec(int argc, char **argv)
{
	enum { O_DB = 256, O_LABEL, O_SUITE, O_STATUS };
	static const struct option opts[] = {
		{ "db", required_argument, NULL, O_DB },
		{ "limit", required_argument, NULL, 'n' },
		{ "label", required_argument, NULL, O_LABEL },
		{ "suite", required_argument, NULL, O_SUITE },
		{ "status", required_argument, NULL, O_STATUS },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *db = settings_db();
	struct runs_ctx c = {0};
	struct err err;
	long limit = 20;
	int opt, status = EXIT_RUN_ERROR;
	char *end;
	opterr = 0;
	optind = 1;
	err_clear(&err);
	while ((opt = getopt_long(argc, argv, ":n:h", opts, NULL)) != -1) {
		switch (opt) {
		case O_DB: db = optarg; break;
		case 'n':
			limit = strtol(optarg, &end, 10);
			if (!*optarg || *end || limit < 0) {
				fprintf(stderr, "assay runs: -n wants a number >= 0, not '%s'\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case O_LABEL: c.label = optarg; break;
		case O_SUITE: c.suite = optarg; break;
		case O_STATUS: c.status = optarg; break;
		case 'h': fputs(runs_usage, stdout); return 0;
		default:
			fprintf(stderr, "assay runs: bad option '%s'\n%s", argv[optind - 1], runs_usage);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "assay runs: unexpected argument '%s'\n%s", argv[optind], runs_usage);
		return EXIT_USAGE;
	}
	if (store_open_existing(db, &c.st, &err))
		goto out;
	printf("%5s  %-11s  %-16s  %s\n", "id", "status", "started (UTC)",
	       "label  suite  results  candidates (pass rate)");
	/* Filters apply after the limit only when there are none. */
	if (store_runs_each(c.st, c.label || c.suite || c.status ? 0 : (size_t)limit,
			    on_run, &c, &err))
		goto out;
	if (!c.shown)
		printf("(no runs)\n");
	status = 0;
out:
	if (status)
		err_print(&err, stderr);
	store_close(c.st);
	buf_free(&c.line);
	free(c.pass);
	free(c.graded);
	free(c.names);
	return status;
}

static const char delete_usage[] =
	"usage: assay delete RUN [--db PATH]\n"
	"\n"
	"Deletes a stored run (an id, latest, latest~N or label:NAME) and\n"
	"everything stored for it.  The response cache is kept.\n";

static int delete_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *db = settings_db();
	struct store *st = NULL;
	struct store_run r;
	struct err err;
	int64_t id;
	int opt, status = EXIT_RUN_ERROR;
	opterr = 0;
	optind = 1;
	err_clear(&err);
	while ((opt = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (opt == 'd') {
			db = optarg;
		} else if (opt == 'h') {
			fputs(delete_usage, stdout);
			return 0;
		} else {
			fprintf(stderr, "assay delete: bad option '%s'\n%s", argv[optind - 1], delete_usage);
			return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc) {
		fputs(delete_usage, stderr);
		return EXIT_USAGE;
	}
	if (store_open_existing(db, &st, &err) || store_resolve_run(st, argv[optind], &id, &err) ||
	    store_run_get(st, id, &r, &err))
		goto out;
	if (!strcmp(r.status, "running")) {
		err_set(&err, ST_USAGE, "run %lld is still running (pid %ld); stop it first",
			(long long)id, r.pid);
		store_run_free(&r);
		goto out;
	}
	store_run_free(&r);
	if (store_run_delete(st, id, &err))
		goto out;
	printf("deleted run %lld\n", (long long)id);
	status = 0;
out:
	if (status)
		err_print(&err, stderr);
	store_close(st);
	return status;
}

const struct cmd cmd_runs = { "runs", "list the stored runs (filters: label, suite, status)", runs_exec };
const struct cmd cmd_delete = { "delete", "delete a stored run", delete_exec };
