/* cmd_load.c — `assay load SUITE`: open-loop load tests of each candidate
 * at rising request rates (src/load/), stored as a load run; and
 * `assay load --show RUN` to print a stored one.  Flags → plan, safety
 * checks (loopback or confirmation, the budget), Ctrl-C → stop at once
 * keeping the measured steps. */
#include "cmd.h"
#include "settings.h"
#include "engine/engine.h"
#include "load/load.h"
#include "provider/provider.h"
#include "score/score.h"
#include "report/report_load_html.h"
#include "store/store.h"
#include "store/store_load.h"
#include "suite/suite.h"
#include "util/fsutil.h"
#include "util/xalloc.h"

#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char load_usage[] =
	"usage: assay load SUITE (--rate LIST | --ramp FROM..TOxF) [options]\n"
	"       assay load --show RUN [--db PATH] [-o FILE]\n"
	"\n"
	"Sends SUITE's prompts (cycled, shuffled with the seed) to each candidate at\n"
	"fixed arrival rates, one step per rate, open loop: latency is measured from\n"
	"each request's intended send time (docs/load.md).  Outputs are graded as in\n"
	"`assay run`.  The run is stored; `assay show RUN` prints it again.\n"
	"\n"
	"options:\n"
	"      --rate LIST          requests/s per step, e.g. 5,10,20,50\n"
	"      --ramp FROM..TOxF    geometric steps, e.g. 5..200x1.5\n"
	"      --duration T         per step (default 60s; 500ms, 1.5s, 2m)\n"
	"      --provider ID        only this candidate (id or label); repeatable\n"
	"      --arrivals KIND      constant (default) or poisson\n"
	"      --slo SPEC           e.g. p95<800ms,ttft_p95<300ms,errors<1%\n"
	"      --keep-going         measure every step even after one fails\n"
	"  -j, --concurrency N      requests in flight per candidate (default 1000)\n"
	"      --max-requests N     never send more than N requests in all\n"
	"      --max-cost USD       never spend more (needs a price and max_tokens)\n"
	"      --late-ms MS         a send this late is counted late (default 1)\n"
	"      --realtime           run the send loop at real-time priority, so a busy\n"
	"                           machine cannot delay sends (needs root/CAP_SYS_NICE)\n"
	"      --drain T            wait for answers after a step (default 10s)\n"
	"      --seed N             prompt order and Poisson gaps (default 1)\n"
	"      --yes                do not ask before loading a non-loopback target\n"
	"  -o, --output FILE        write the report (FILE.json, or FILE.html: charts)\n"
	"      --db PATH            SQLite file or postgres:// URL (default\n"
	"                           $ASSAY_DB, the config file's db, else the\n"
	"                           nearest .assay/ from here up, else ./.assay)\n"
	"      --show RUN           print a stored load run (an id or latest)\n"
	"  -h, --help               this text\n"
	"\n"
	"exit status: 0 measured (whatever the verdicts), 1 error or interrupted,\n"
	"2 usage error\n";

static void on_signal(int sig)
{
	(void)sig;
	load_request_stop();
}

static int usage_error(const char *fmt, const char *a)
{
	fprintf(stderr, "assay load: ");
	fprintf(stderr, fmt, a);
	fprintf(stderr, "\n(assay load --help)\n");
	return EXIT_USAGE;
}

static bool ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), m = strlen(tail);
	return n > m && !strcmp(s + n - m, tail);
}

/* -o: the report as JSON, or as the HTML page (latency vs rate). */
static int write_json(const char *path, const json_t *rep, struct err *err)
{
	if (ends_with(path, ".html")) {
		if (report_load_html_write(rep, path, err))
			return ST_IO;
	} else if (json_dump_file(rep, path, JSON_INDENT(2) | JSON_REAL_PRECISION(10))) {
		return err_set(err, ST_IO, "cannot write %s", path);
	}
	fprintf(stderr, "wrote %s\n", path);
	return 0;
}

static int show(const char *db, const char *ref, const char *out)
{
	struct store *st = NULL;
	struct err err;
	json_t *rep = NULL;
	int64_t run_id;
	int status = EXIT_RUN_ERROR;
	err_clear(&err);
	if (access(db, R_OK) != 0) {
		err_set(&err, ST_IO, "no database at %s (use --db PATH)", db);
		goto out;
	}
	if (store_open(db, &st, &err) || store_resolve_run(st, ref, &run_id, &err) ||
	    store_load_report_get(st, run_id, &rep, &err))
		goto out;
	if (!rep) {
		err_set(&err, ST_USAGE, "run %lld is not a load run", (long long)run_id);
		goto out;
	}
	load_print(rep, stdout);
	fflush(stdout);
	if (out && write_json(out, rep, &err))
		goto out;
	status = 0;
out:
	if (status)
		err_print(&err, stderr);
	json_decref(rep);
	store_close(st);
	return status;
}

/* The URL of a candidate's first request (for the loopback check). */
static char *target_url(const struct suite *s, struct provider *p, struct err *err)
{
	struct http_request req;
	char *text, *url = NULL;
	if (!p->ops->build)
		return xstrdup("");
	memset(&req, 0, sizeof req);
	text = suite_render_prompt(&s->prompts[0], s->tests[0].vars, err);
	if (text && !p->ops->build(p, text, s->prompts[0].is_chat, s->tests[0].vars,
				   &req, err))
		url = xstrdup(req.url);
	http_request_cleanup(&req);
	free(text);
	return url;
}

static bool confirm(const char *url, const struct load_plan *plan)
{
	char line[16];
	fprintf(stderr, "assay load: %s is not on this machine; send up to %.0f "
		"requests/s for %.3g s per step? [y/N] ", url,
		plan->rates[plan->n_rates - 1], plan->duration_s);
	if (!fgets(line, sizeof line, stdin))
		return false;
	return line[0] == 'y' || line[0] == 'Y';
}

static int parse_num(const char *s, double lo, double hi, double *out)
{
	char *e;
	double v = strtod(s, &e);
	if (!*s || *e || !(v >= lo) || !(v <= hi))
		return -1;
	*out = v;
	return 0;
}

static int load_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rate", required_argument, NULL, 'r' },
		{ "ramp", required_argument, NULL, 'R' },
		{ "duration", required_argument, NULL, 'd' },
		{ "provider", required_argument, NULL, 'p' },
		{ "arrivals", required_argument, NULL, 'a' },
		{ "slo", required_argument, NULL, 's' },
		{ "keep-going", no_argument, NULL, 'k' },
		{ "realtime", no_argument, NULL, 'T' },
		{ "concurrency", required_argument, NULL, 'j' },
		{ "max-requests", required_argument, NULL, 'N' },
		{ "max-cost", required_argument, NULL, 'C' },
		{ "late-ms", required_argument, NULL, 'L' },
		{ "drain", required_argument, NULL, 'D' },
		{ "seed", required_argument, NULL, 'S' },
		{ "yes", no_argument, NULL, 'y' },
		{ "output", required_argument, NULL, 'o' },
		{ "db", required_argument, NULL, 'B' },
		{ "show", required_argument, NULL, 'W' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct load_plan plan;
	struct err err;
	struct suite *s = NULL;
	struct provider **provs = NULL;
	struct store *st = NULL;
	json_t *rep = NULL;
	const char *suite_path = NULL, *out = NULL, *db_arg = NULL, *show_ref = NULL;
	const char **only = NULL;
	size_t n_only = 0, *cands = NULL, n_cands = 0;
	char *db = NULL;
	bool yes = false, have_rates = false;
	int64_t run_id = 0;
	int c, status = EXIT_RUN_ERROR, run_begun = 0;
	double v = 0;

	load_plan_init(&plan);
	err_clear(&err);
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":j:o:h", opts, NULL)) != -1) {
		int bad = 0;
		switch (c) {
		case 'r':
			bad = load_parse_rates(optarg, &plan, &err);
			have_rates = true;
			break;
		case 'R':
			bad = load_parse_ramp(optarg, &plan, &err);
			have_rates = true;
			break;
		case 'd': bad = load_parse_duration(optarg, &plan.duration_s, &err); break;
		case 'D': bad = load_parse_duration(optarg, &plan.drain_s, &err); break;
		case 'p':
			only = xrealloc(only, (n_only + 1) * sizeof *only);
			only[n_only++] = optarg;
			break;
		case 'a':
			if (!strcmp(optarg, "constant"))
				plan.arrivals = LOAD_CONSTANT;
			else if (!strcmp(optarg, "poisson"))
				plan.arrivals = LOAD_POISSON;
			else
				bad = err_set(&err, ST_USAGE, "--arrivals '%s': expected constant or poisson", optarg);
			break;
		case 's': bad = load_parse_slo(optarg, &plan.slo, &err); break;
		case 'k': plan.keep_going = true; break;
		case 'T': plan.realtime = true; break;
		case 'j':
			if (parse_num(optarg, 1, 100000, &v) || v != (int)v)
				bad = err_set(&err, ST_USAGE, "-j '%s': expected a whole number 1..100000", optarg);
			plan.concurrency = (int)v;
			break;
		case 'N':
			if (parse_num(optarg, 1, 1e12, &v) || v != (long)v)
				bad = err_set(&err, ST_USAGE, "--max-requests '%s': expected a whole number >= 1", optarg);
			plan.max_requests = (long)v;
			break;
		case 'C':
			if (parse_num(optarg, 0, 1e12, &v))
				bad = err_set(&err, ST_USAGE, "--max-cost '%s': expected USD >= 0", optarg);
			plan.max_cost = v;
			break;
		case 'L':
			if (parse_num(optarg, 0, 1e6, &plan.late_ms))
				bad = err_set(&err, ST_USAGE, "--late-ms '%s': expected milliseconds >= 0", optarg);
			break;
		case 'S':
			if (parse_num(optarg, 0, 1.8e19, &v))
				bad = err_set(&err, ST_USAGE, "--seed '%s': expected a number >= 0", optarg);
			plan.seed = (uint64_t)v;
			break;
		case 'y': yes = true; break;
		case 'o':
			out = optarg;
			if (!ends_with(out, ".json") && !ends_with(out, ".html"))
				bad = err_set(&err, ST_USAGE, "-o '%s': the load report is written "
					      "as FILE.json or FILE.html", out);
			break;
		case 'B': db_arg = optarg; break;
		case 'W': show_ref = optarg; break;
		case 'h':
			fputs(load_usage, stdout);
			status = 0;
			goto done;
		default:
			status = usage_error("bad option '%s'", argv[optind - 1]);
			goto done;
		}
		if (bad) {
			fprintf(stderr, "assay load: %s\n", err.msg);
			status = EXIT_USAGE;
			goto done;
		}
	}
	if (show_ref) {
		status = show(db_arg ? db_arg : settings_db(), show_ref, out);
		goto done;
	}
	if (optind < argc)
		suite_path = argv[optind++];
	if (optind < argc) {
		status = usage_error("unexpected argument '%s'", argv[optind]);
		goto done;
	}
	if (!suite_path) {
		status = usage_error("%s", "no suite given");
		goto done;
	}
	if (!have_rates) {
		status = usage_error("%s", "give the steps with --rate LIST or --ramp FROM..TOxF");
		goto done;
	}
	/* the load test cycles through the tests at random: in memory */
	if (suite_load(suite_path, &s, &err) ||
	    suite_tests_materialize(s, &err) || score_check_suite(s, &err))
		goto fail;
	provs = xcalloc(s->n_providers ? s->n_providers : 1, sizeof *provs);
	cands = xcalloc(s->n_providers ? s->n_providers : 1, sizeof *cands);
	for (size_t i = 0; i < s->n_providers; i++) {
		bool take = n_only == 0;
		for (size_t k = 0; k < n_only; k++)
			take |= !strcmp(only[k], s->providers[i].id) ||
				!strcmp(only[k], s->providers[i].label);
		if (!take)
			continue;
		if (provider_new(&s->providers[i], s->dir, &provs[i], &err))
			goto fail;
		for (size_t j = 0; j < s->n_prompts; j++)
			if (s->prompts[j].config) {
				/* the load loop builds requests without it */
				err_at(&err, s->prompts[j].loc.file,
				       s->prompts[j].loc.line, s->prompts[j].loc.col,
				       "unsupported feature: a prompt's config "
				       "in assay load (move the keys into the "
				       "provider's config)");
				goto fail;
			}
		cands[n_cands++] = i;
	}
	if (n_cands == 0) {
		err_set(&err, ST_USAGE, "no provider of %s matches --provider", suite_path);
		goto fail;
	}
	if (s->n_tests == 0 || s->n_prompts == 0) {
		err_set(&err, ST_INPUT, "%s: nothing to send (%zu tests, %zu prompts)",
			suite_path, s->n_tests, s->n_prompts);
		goto fail;
	}
	if (load_check(s, provs, cands, n_cands, &plan, &err))
		goto fail;
	for (size_t i = 0; i < n_cands; i++) {
		char *url = target_url(s, provs[cands[i]], &err);
		bool ok;
		if (!url)
			goto fail;
		ok = !*url || load_url_is_loopback(url);
		if (!ok && !yes && !(isatty(0) && confirm(url, &plan))) {
			err_set(&err, ST_USAGE, "refusing to load-test %s (not loopback) "
				"without confirmation: answer y, or pass --yes", url);
			free(url);
			status = EXIT_USAGE;
			goto fail_status;
		}
		free(url);
	}
	/* the database every command uses (settings.h) */
	db = xstrdup(db_arg ? db_arg : settings_db());
	if (store_open(db, &st, &err) ||
	    store_run_begin(st, s, "load test", 1, &run_id, &err))
		goto fail;
	run_begun = 1;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (load_run(s, provs, cands, n_cands, &plan, st, run_id, &rep, &err))
		goto fail;
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	load_print(rep, stdout);
	fflush(stdout);
	if (out && write_json(out, rep, &err))
		goto fail;
	{
		const char *stopped = json_string_value(json_object_get(rep, "stopped"));
		bool intr = stopped && !strcmp(stopped, "interrupted");
		store_load_close(st);
		if (store_run_end(st, run_id, intr ? "interrupted" : "done", &err))
			goto fail;
		status = intr ? EXIT_RUN_ERROR : 0;
		if (intr)
			fprintf(stderr, "assay load: interrupted; the steps measured so far are "
				"stored (assay show %lld)\n", (long long)run_id);
	}
	goto done;
fail:
	status = err.code == ST_USAGE ? EXIT_USAGE : EXIT_RUN_ERROR;
fail_status:
	err_print(&err, stderr);
	if (run_begun) {
		struct err ignore;
		err_clear(&ignore);
		store_load_close(st);
		store_run_end(st, run_id, "error", &ignore);
	}
done:
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	json_decref(rep);
	store_load_close(st);
	store_close(st);
	if (provs && s)
		for (size_t i = 0; i < s->n_providers; i++)
			provider_free(provs[i]);
	free(provs);
	free(cands);
	free(only);
	free(db);
	suite_free(s);
	load_plan_cleanup(&plan);
	return status;
}

const struct cmd cmd_load = { "load", "open-loop load test: latency and errors at rising request rates", load_exec };
