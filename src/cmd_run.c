/* cmd_run.c — `assay run SUITE` (alias `assay eval -c SUITE`) and
 * `assay validate SUITE`.
 *
 * run: load and check the suite (every error before any request), open the
 * store, record the run, drive the engine, then print the summary table and
 * write the -o files from the store.  Exit status: 0 every test passed,
 * 100 some test failed, 1 a run or configuration error (including
 * infrastructure errors when no test failed), 2 usage. */
#include "cmd.h"
#include "cmd_resume.h"
#include "cmd_gate.h"
#include "cmd_run_pf.h"
#include "settings.h"
#include "engine/engine.h"
#include "engine/judges.h"
#include "engine/progress.h"
#include "engine/retry.h"
#include "provider/provider.h"
#include "report/report.h"
#include "report/stats_report.h"
#include "score/score.h"
#include "store/store.h"
#include "suite/suite.h"
#include "util/term.h"
#include "util/fsutil.h"
#include "util/xalloc.h"

#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct run_args {
	const char *suite;
	const char *db;
	const char *description;
	const char *filter;
	const char *grader;
	const char *label;
	const char *resume;      /* run reference, "" for latest, NULL: none */
	bool retry_errors;
	struct gate gate;
	unsigned shard_i, shard_n;  /* --shard i/n; n 0: all items */
	long run_id;                /* --run-id ID, 0: a new id */
	const char **outputs;
	size_t n_outputs;
	long first_n;
	int concurrency, repeat;
	long delay_ms;
	long grader_timeout_ms, grader_memory_mb;
	bool no_progress, no_table, no_cache;
	bool set_concurrency, set_repeat, set_delay;
	struct pf_args pf;          /* promptfoo's eval flags (cmd_run_pf.h) */
};

static const char run_usage[] =
	"usage: assay run [SUITE] [options]\n"
	"       assay eval -c SUITE [options]\n"
	"\n"
	"Sends every test of SUITE to every provider, grades the outputs, stores\n"
	"the results and prints a summary.  SUITE defaults to promptfooconfig.yaml\n"
	"(.yml, .json) or assay.yaml in the current directory.\n"
	"\n"
	"options:\n"
	"  -c, --config FILE          the suite file\n"
	"  -p, --prompts FILE…        prompt files replacing the suite's prompts\n"
	"  -r, --providers ID…        providers replacing the suite's providers\n"
	"  -t, --tests FILE           a test file replacing the suite's tests\n"
	"      --var KEY=VALUE        a defaultTest var (repeatable)\n"
	"      --env-file PATH        load variables from a .env file (eval\n"
	"                             reads ./.env when none is given)\n"
	"  -j, --max-concurrency N    requests in flight (default: the suite's\n"
	"                             evaluateOptions, $ASSAY_CONCURRENCY, the\n"
	"                             config file's concurrency, else 4)\n"
	"  -o, --output FILE          write results to FILE (.json, .jsonl, .csv);\n"
	"                             repeatable\n"
	"      --repeat N             run each test N times (default 1)\n"
	"      --delay MS             wait MS between requests (forces -j 1)\n";

static const char run_usage2[] =
	"      --filter-pattern RE    only tests whose description (run: or\n"
	"                             vars) match RE\n"
	"  -n, --filter-first-n N     only the first N tests\n"
	"      --filter-metadata K=V  only tests whose metadata K includes V\n"
	"                             (V1,V2: either; repeat the flag: all)\n"
	"      --filter-failing F     only tests that failed or errored in F (a\n"
	"                             results .json/.jsonl, or a stored RUN)\n"
	"      --filter-failing-only F, --filter-errors-only F  failures / errors\n"
	"      --filter-range A:B     tests A (from 0) to B (excluded)\n"
	"      --filter-sample N      a random N tests (--filter-sample-seed S)\n"
	"      --filter-providers RE  only providers whose id or label match\n"
	"      --filter-prompts RE    only prompts whose label or text match\n"
	"      --no-write             keep nothing in the database (-o still works)\n"
	"      --verbose              print the settings and what each filter kept\n"
	"      --description TEXT     a description for this run\n"
	"      --label NAME           a label for this run (compare label:NAME)\n"
	"      --resume [RUN]         continue an interrupted run (default the\n"
	"                             latest): stored results are kept and not\n"
	"                             requested again; refused if the suite changed\n"
	"      --retry-errors [RUN]   re-run only the items of RUN that ended in an\n"
	"                             infrastructure error\n"
	"      --shard I/N            run only shard I of N of the work items (by\n"
	"                             content key; deterministic on any machine)\n"
	"      --run-id ID            write into run ID: created by the first\n"
	"                             process, joined by the others (shards)\n"
	"      --baseline RUN         compare with a stored run (an id, latest,\n"
	"                             latest~N, label:NAME) case by case\n"
	"      --fail-on regression   the CI gate: exit 3 only when a candidate is\n"
	"                             significantly worse than the baseline\n"
	"                             (paired, Holm-corrected) or below\n"
	"                             --min-pass-rate; failing tests alone exit 0\n"
	"      --min-pass-rate R      fail the gate when a candidate passes less\n"
	"                             than R (0.9 or 90%)\n"
	"      --grader ID            the judge for model-graded assertions that\n"
	"                             name none (e.g. openai:chat:gpt-4o-mini)\n"
	"      --grader-timeout MS    hard time limit for grading one result with\n"
	"                             Lua, jq or scripts (default 60000)\n"
	"      --grader-memory MB     their memory limit (default 1024)\n"
	"      --db PATH|URL          SQLite file or postgres:// URL (default\n"
	"                             $ASSAY_DB, the config file's db, else\n"
	"                             the nearest .assay/ from here upward,\n"
	"                             else .assay/assay.db here, created)\n"
	"      --no-cache             neither read nor write the response cache\n"
	"      --no-progress-bar      no progress display\n"
	"      --no-table             no summary table\n"
	"  -h, --help                 this text\n"
	"\n"
	"With eval, -o FILE.json writes promptfoo's layout (results.results[]) with\n"
	"assay's under \"assay\"; run writes assay's (docs/output.md).  --share is\n"
	"refused: nothing leaves this machine.  docs/promptfoo.md lists every flag.\n"
	"\n"
	"exit status: 0 all tests passed, 100 some test failed, 1 run or\n"
	"configuration error, 2 usage error; with --fail-on regression or\n"
	"--min-pass-rate: 0 unless the gate fails, then 3\n";

static int parse_long(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;
	if (!s || !*s)
		return -1;
	v = strtol(s, &end, 10);
	if (*end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static int usage_error(const char *cmd, const char *fmt, const char *arg)
{
	fprintf(stderr, "assay %s: ", cmd);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'assay %s --help'.\n", cmd);
	return EXIT_USAGE;
}

/* Parses run/eval options; returns -1 to continue, else an exit status. */
static int parse_args(int argc, char **argv, struct run_args *a)
{
	enum { O_REPEAT = 256, O_DELAY, O_FILTER, O_FIRSTN, O_DESC, O_DB,
	       O_NOCACHE, O_NOPROG, O_NOTABLE, O_GRADER, O_GTIME, O_GMEM,
	       O_LABEL, O_RESUME, O_RETRY_ERRORS, O_BASELINE, O_FAIL_ON,
	       O_MIN_RATE, O_SHARD, O_RUN_ID };
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "max-concurrency", required_argument, NULL, 'j' },
		{ "output", required_argument, NULL, 'o' },
		{ "repeat", required_argument, NULL, O_REPEAT },
		{ "delay", required_argument, NULL, O_DELAY },
		{ "filter-pattern", required_argument, NULL, O_FILTER },
		{ "filter-first-n", required_argument, NULL, O_FIRSTN },
		{ "description", required_argument, NULL, O_DESC },
		{ "grader", required_argument, NULL, O_GRADER },
		{ "label", required_argument, NULL, O_LABEL },
		{ "resume", optional_argument, NULL, O_RESUME },
		{ "retry-errors", optional_argument, NULL, O_RETRY_ERRORS },
		{ "baseline", required_argument, NULL, O_BASELINE },
		{ "shard", required_argument, NULL, O_SHARD },
		{ "run-id", required_argument, NULL, O_RUN_ID },
		{ "fail-on", required_argument, NULL, O_FAIL_ON },
		{ "min-pass-rate", required_argument, NULL, O_MIN_RATE },
		{ "db", required_argument, NULL, O_DB },
		{ "grader-timeout", required_argument, NULL, O_GTIME },
		{ "grader-memory", required_argument, NULL, O_GMEM },
		{ "no-cache", no_argument, NULL, O_NOCACHE },
		{ "no-progress-bar", no_argument, NULL, O_NOPROG },
		{ "no-table", no_argument, NULL, O_NOTABLE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd = argv[0];
	/* with cmd_run_pf.c's flags; made once, kept for the process (every
	 * return below may leave without freeing it) */
	static struct option *all;
	int c, prc;
	long v;
	a->concurrency = 4;
	a->repeat = 1;
	a->gate.min_pass_rate = -1;
	opterr = 0;
	optind = 1;
	if (!all)
		all = pf_options(opts);
	a->pf.eval = !strcmp(cmd, "eval");
	while ((c = getopt_long(argc, argv, ":c:j:o:h" PF_SHORT, all, NULL)) != -1) {
		switch (c) {
		case 'c': a->suite = optarg; break;
		case 'j':
			if (parse_long(optarg, 1, 100000, &v))
				return usage_error(cmd, "-j wants a number from 1 to 100000, not '%s'", optarg);
			a->concurrency = (int)v;
			a->set_concurrency = true;
			break;
		case 'o':
			a->outputs = xrealloc(a->outputs, (a->n_outputs + 1) * sizeof *a->outputs);
			a->outputs[a->n_outputs++] = optarg;
			/* promptfoo's `-o a.json b.html` */
			while (a->pf.eval && optind < argc && argv[optind][0] != '-') {
				a->outputs = xrealloc(a->outputs, (a->n_outputs + 1) * sizeof *a->outputs);
				a->outputs[a->n_outputs++] = argv[optind++];
			}
			break;
		case O_REPEAT:
			if (parse_long(optarg, 1, 100000, &v))
				return usage_error(cmd, "--repeat wants a number from 1 to 100000, not '%s'", optarg);
			a->repeat = (int)v;
			a->set_repeat = true;
			break;
		case O_DELAY:
			if (parse_long(optarg, 0, 3600000, &v))
				return usage_error(cmd, "--delay wants milliseconds, not '%s'", optarg);
			a->delay_ms = v;
			a->set_delay = true;
			break;
		case O_FILTER: a->filter = optarg; break;
		case 'n':
		case O_FIRSTN:
			if (parse_long(optarg, 1, 1L << 40, &v))
				return usage_error(cmd, "--filter-first-n wants a positive number, not '%s'", optarg);
			a->first_n = v;
			break;
		case O_DESC: a->description = optarg; break;
		case O_GRADER: a->grader = optarg; break;
		case O_LABEL: a->label = optarg; break;
		case O_BASELINE: a->gate.baseline = optarg; break;
		case O_SHARD:
			if (shard_parse(optarg, &a->shard_i, &a->shard_n))
				return usage_error(cmd, "--shard wants I/N with 1 <= I <= N, not '%s'", optarg);
			break;
		case O_RUN_ID:
			if (parse_long(optarg, 1, 1L << 53, &v))
				return usage_error(cmd, "--run-id wants a positive number, not '%s'", optarg);
			a->run_id = v;
			break;
		case O_FAIL_ON:
			if (!optarg || strcmp(optarg, "regression"))
				return usage_error(cmd, "--fail-on wants 'regression', not '%s'", optarg);
			a->gate.fail_on_regression = true;
			break;
		case O_MIN_RATE:
			if (gate_parse_rate(optarg, &a->gate.min_pass_rate))
				return usage_error(cmd, "--min-pass-rate wants a rate such as 0.9 or 90%%, not '%s'", optarg);
			break;
		case O_RETRY_ERRORS:
			a->retry_errors = true;
			/* fall through */
		case O_RESUME:
			a->resume = optarg ? optarg : "";
			/* `--resume 12`: a run reference may follow as its own word */
			if (!optarg && optind < argc && resume_is_run_ref(argv[optind]))
				a->resume = argv[optind++];
			break;
		case O_DB: a->db = optarg; break;
		case O_GTIME:
			if (parse_long(optarg, 1, 86400000, &a->grader_timeout_ms))
				return usage_error(cmd, "--grader-timeout wants milliseconds, not '%s'", optarg);
			break;
		case O_GMEM:
			if (parse_long(optarg, 16, 1L << 30, &a->grader_memory_mb))
				return usage_error(cmd, "--grader-memory wants megabytes (at least 16), not '%s'", optarg);
			break;
		case O_NOCACHE: a->no_cache = true; break;
		case O_NOPROG: a->no_progress = true; break;
		case O_NOTABLE: a->no_table = true; break;
		case 'h': fputs(run_usage, stdout); fputs(run_usage2, stdout); return 0;
		case ':': return usage_error(cmd, "option '%s' needs a value", argv[optind - 1]);
		default:
			if ((prc = pf_parse_opt(&a->pf, cmd, c, optarg, argc, argv)) == -1)
				break;
			return prc >= 0 ? prc : usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc) {
		if (a->suite && a->pf.eval)  /* promptfoo's `-c a.yaml b.yaml` */
			return usage_error(cmd, "one suite only: '%s' is a second one (promptfoo "
					   "merges several configs; assay does not)", argv[optind]);
		if (a->suite || optind + 1 < argc)
			return usage_error(cmd, "unexpected argument '%s'", argv[a->suite ? optind : optind + 1]);
		a->suite = argv[optind];
	}
	if (!a->suite) {
		if (access("promptfooconfig.yaml", R_OK) == 0)
			a->suite = "promptfooconfig.yaml";
		else if (access("promptfooconfig.yml", R_OK) == 0)
			a->suite = "promptfooconfig.yml";
		else if (access("promptfooconfig.json", R_OK) == 0)
			a->suite = "promptfooconfig.json";
		else if (access("assay.yaml", R_OK) == 0)
			a->suite = "assay.yaml";
		else if (pf_is_standalone(&a->pf))
			return -1;  /* a suite of -p, -r (and -t) alone */
		else
			return usage_error(cmd, "%s", "no suite given (and no promptfooconfig.yaml, .yml, .json or assay.yaml here)");
	}
	return -1;
}

/* What prepare checks on each streamed test as the loader reads it (the
 * in-memory ones are walked after the load): its assertions, its
 * judges. */
struct prep_visit {
	struct judge_set *j;
	const char *dir;
};

static int prep_visit_test(void *ud, const struct test_case *t, size_t i,
			   struct err *err)
{
	struct prep_visit *v = ud;
	int rc = score_check_test(t, err);
	(void)i;
	return rc ? rc : judges_visit(v->j, t, v->dir, err);
}

/* Loads the suite, checks every assertion and builds the providers and
 * the judges, reading a streamed suite's files once (suite_visit). */
static int prepare(const char *path, const char *grader, struct pf_args *pf,
		   struct suite **s, struct provider ***provs,
		   struct judge_set **judges, struct err *err)
{
	char *dir = path ? fs_dirname(path) : xstrdup(".");
	struct prep_visit pv = { judges_begin(), dir };
	struct suite_visit visit = { prep_visit_test, &pv };
	int rc = suite_load_visit(path, pf ? pf_cli(pf) : NULL, &visit, s, err);
	*judges = pv.j;     /* freed by the caller, as on success */
	free(dir);
	if (rc)
		return rc;
	if (pf && (rc = pf_filter_columns(*s, pf, err)))
		return rc;
	if ((rc = score_check_suite_mem(*s, err)))
		return rc;
	*provs = xcalloc((*s)->n_providers ? (*s)->n_providers : 1, sizeof **provs);
	for (size_t i = 0; i < (*s)->n_providers; i++) {
		if ((rc = provider_new(&(*s)->providers[i], (*s)->dir, &(*provs)[i], err)))
			return rc;
		for (size_t j = 0; j < (*s)->n_prompts; j++)
			if ((rc = provider_check_prompt_config((*provs)[i],
							       &(*s)->prompts[j], err)))
				return rc;
	}
	for (size_t t = 0; t < (*s)->n_tests && !rc; t++) {
		const struct test_case *tc = suite_test_mem(*s, t);
		if (tc)
			rc = judges_visit(*judges, tc, (*s)->dir, err);
	}
	return rc ? rc : judges_end(*judges, grader, (*s)->dir, err);
}

static void free_providers(struct provider **provs, size_t n)
{
	if (!provs)
		return;
	for (size_t i = 0; i < n; i++)
		provider_free(provs[i]);
	free(provs);
}

/* evaluateOptions in the suite give defaults the command line overrides. */
static void apply_evaluate_options(const struct suite *s, struct run_args *a)
{
	const json_t *eo = s->evaluate_options, *v;
	if (!eo)
		return;
	if (!a->set_concurrency && json_is_integer(v = json_object_get(eo, "maxConcurrency")) &&
	    json_integer_value(v) > 0)
		a->concurrency = (int)json_integer_value(v);
	if (!a->set_repeat && json_is_integer(v = json_object_get(eo, "repeat")) &&
	    json_integer_value(v) > 0)
		a->repeat = (int)json_integer_value(v);
	if (!a->set_delay && json_is_integer(v = json_object_get(eo, "delay")) &&
	    json_integer_value(v) >= 0)
		a->delay_ms = (long)json_integer_value(v);
	/* checked at load (suite_config.c); the rest are no-ops here */
	if (json_is_false(json_object_get(eo, "cache")))
		a->no_cache = true;
	if (json_is_false(json_object_get(eo, "showProgressBar")))
		a->no_progress = true;
}

/* Every -o file (or, without -o, every outputPath, relative to the suite)
 * must be writable in a known format before the first request. */
static int check_outputs(const struct suite *s, const struct run_args *a,
			 struct err *err)
{
	size_t i;
	json_t *v;
	for (i = 0; i < a->n_outputs; i++)
		if (report_check_path(a->outputs[i], err))
			return ST_USAGE;
	if (a->n_outputs || !s->output_path)
		return 0;
	if (json_is_string(s->output_path)) {
		char *path = fs_join(s->dir, json_string_value(s->output_path));
		int rc = report_check_path(path, err);
		free(path);
		return rc ? ST_INPUT : 0;
	}
	json_array_foreach(s->output_path, i, v) {
		char *path = fs_join(s->dir, json_string_value(v));
		int rc = report_check_path(path, err);
		free(path);
		if (rc)
			return ST_INPUT;
	}
	return 0;
}

/* evaluateOptions.timeoutMs: each provider's whole-request timeout,
 * unless its config sets timeout_ms. */
static void apply_timeout_option(const struct suite *s, struct provider **provs)
{
	const json_t *t = json_object_get(s->evaluate_options, "timeoutMs");
	if (!json_is_integer(t))
		return;
	for (size_t i = 0; i < s->n_providers; i++)
		if (!json_object_get(s->providers[i].config, "timeout_ms"))
			provs[i]->tr.timeout_ms = (long)json_integer_value(t);
}

static void on_signal(int sig)
{
	(void)sig;
	engine_request_stop();
}

/* The resolved options of a run as JSON text (owned): what decides its
 * figures besides the suite. */
static char *config_json(const struct run_args *a, const struct suite *s)
{
	json_t *o = json_pack("{s:i, s:i, s:I, s:b}", "concurrency", a->concurrency,
			      "repeat", a->repeat, "delay_ms", (json_int_t)a->delay_ms,
			      "cache", !a->no_cache);
	char *text;
	if (a->filter)
		json_object_set_new(o, "filter_pattern", json_string(a->filter));
	if (a->first_n)
		json_object_set_new(o, "filter_first_n", json_integer(a->first_n));
	if (a->grader)
		json_object_set_new(o, "grader", json_string(a->grader));
	if (a->shard_n > 1) {
		/* what every shard should store, so a reader can name the
		 * shards that are missing */
		struct resume *r = resume_new(s, a->repeat);
		char *counts = resume_shard_counts(r, a->shard_n);
		json_object_set_new(o, "shards", json_integer(a->shard_n));
		json_object_set_new(o, "shard_items", json_loads(counts, 0, NULL));
		free(counts);
		resume_free(r);
	}
	text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	return text;
}

/* A shard's end: the run is done when every item is stored, else
 * incomplete (other shards missing or still running). */
static const char *shard_status(struct store *st, int64_t run_id)
{
	struct store_run r;
	struct err e = {0};
	const char *status = "incomplete";
	if (!store_run_get(st, run_id, &r, &e)) {
		if (r.n_results >= r.n_cases * r.n_prompts * r.n_providers *
					   (r.repeat > 0 ? r.repeat : 1))
			status = "done";
		store_run_free(&r);
	}
	return status;
}

/* Records a new run with its label, options and git commit (or, with
 * --run-id, joins that run when it exists: *joined). */
static int begin_run(struct store *st, const struct suite *s,
		     const struct run_args *a, int64_t *run_id, bool *joined,
		     struct err *err)
{
	char *cfg = config_json(a, s), *git = run_git_commit(s->dir);
	struct store_run_meta m = {
		.description = a->description ? a->description : s->description,
		.label = a->label, .config_json = cfg, .git_commit = git,
		.repeat = a->repeat,
	};
	int rc = store_run_begin_or_join(st, s, &m, a->run_id, run_id, joined, err);
	free(cfg);
	free(git);
	return rc;
}

static int run_exec(int argc, char **argv)
{
	struct run_args a;
	struct err err;
	struct suite *s = NULL;
	struct provider **provs = NULL;
	struct judge_set *judges = NULL;
	struct store *st = NULL;
	struct progress *prog = NULL;
	struct engine_totals tot;
	struct engine_opts eo;
	struct summary sum;
	char *db = NULL;
	struct resume *res = NULL;
	int64_t run_id = 0;
	int rc, status = EXIT_RUN_ERROR;
	bool have_sum = false, gated = false, regressed = false;

	memset(&a, 0, sizeof a);
	memset(&sum, 0, sizeof sum);
	err_clear(&err);
	if ((rc = parse_args(argc, argv, &a)) >= 0) {
		free(a.outputs);
		pf_args_free(&a.pf);
		return rc;
	}
	/* .env first: the providers read their keys from the environment */
	if (pf_load_env(&a.pf, &err))
		goto fail;
	/* settings.h: flag > suite > ASSAY_* > config file > default */
	if (!a.grader)
		a.grader = settings_grader();
	if (!a.set_concurrency && settings_concurrency())
		a.concurrency = settings_concurrency();
	if (prepare(a.suite, a.grader, &a.pf, &s, &provs, &judges, &err))
		goto fail;
	/* settings.h: ASSAY_DB, the config's db, else the nearest .assay/
	 * from here upward — the database every other command reads */
	db = xstrdup(a.db ? a.db : settings_db());
	/* --filter-failing RUN reads the suite's database even with --no-write */
	if (pf_filter_tests(s, &a.pf, a.filter, (size_t)a.first_n, db, &err))
		goto fail;
	if (a.pf.no_write) {
		free(db);
		db = xstrdup(":memory:");
	}
	report_set_json_layout(a.pf.eval ? REPORT_JSON_PROMPTFOO : REPORT_JSON_ASSAY);
	apply_evaluate_options(s, &a);
	apply_timeout_option(s, provs);
	if (check_outputs(s, &a, &err))
		goto fail;
	if (a.delay_ms > 0 && a.concurrency != 1) {
		fprintf(stderr, "assay: --delay set: running one request at a time\n");
		a.concurrency = 1;
	}
	if (s->n_tests == 0 || s->n_providers == 0 || s->n_prompts == 0) {
		err_set(&err, ST_INPUT, "%s: nothing to run (%zu tests, %zu prompts, %zu providers)",
			s->path, s->n_tests, s->n_prompts, s->n_providers);
		goto fail;
	}
	if (a.pf.verbose)
		fprintf(stderr, "assay: suite %s: %zu tests × %zu prompts × %zu "
			"providers, -j %d, repeat %d, cache %s, database %s\n",
			s->path, s->n_tests, s->n_prompts, s->n_providers,
			a.concurrency, a.repeat, a.no_cache ? "off" : "on", db);
	if (run_check_ids(s, &err) || store_open(db, &st, &err))
		goto fail;
	/* The baseline is resolved before this run exists: `latest` is the
	 * latest before it. */
	if (a.gate.baseline &&
	    store_resolve_run(st, a.gate.baseline, &a.gate.base_id, &err))
		goto fail;
	if (a.gate.fail_on_regression && !a.gate.baseline && a.gate.min_pass_rate < 0) {
		err_set(&err, ST_USAGE, "--fail-on regression needs --baseline RUN (or --min-pass-rate)");
		goto fail;
	}
	report_set_baseline(a.gate.base_id);
	if (a.resume && a.run_id) {
		err_set(&err, ST_USAGE, "--resume and --run-id: give one (--run-id joins a run as it is)");
		goto fail;
	}
	if (a.resume) {
		if (resume_prepare(st, s, *a.resume ? a.resume : NULL, a.retry_errors,
				   false, &run_id, &a.repeat, &res, &err) ||
		    store_run_reopen(st, s, run_id, &err))
			goto fail;
		fprintf(stderr, "resuming run %lld: %ld stored results kept\n",
			(long long)run_id, resume_kept(res));
	} else {
		bool joined = false;
		if (begin_run(st, s, &a, &run_id, &joined, &err))
			goto fail;
		if (joined) {
			char ref[32];
			snprintf(ref, sizeof ref, "%lld", (long long)run_id);
			if (resume_prepare(st, s, ref, false, true, &run_id, &a.repeat, &res, &err) ||
			    store_run_reopen(st, s, run_id, &err))
				goto fail;
			fprintf(stderr, "joining run %lld: %ld results stored so far\n",
				(long long)run_id, resume_kept(res));
		}
	}
	if (a.shard_n) {
		if (!res)
			res = resume_new(s, a.repeat);
		resume_set_shard(res, a.shard_i, a.shard_n);
	}
	if (!a.no_progress && !a.pf.verbose)  /* promptfoo: none with --verbose */
		prog = progress_new(stderr, isatty(2), res ? resume_planned(res)
				    : (long)(s->n_tests * s->n_prompts * s->n_providers) * a.repeat);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	memset(&eo, 0, sizeof eo);
	eo.concurrency = a.concurrency;
	eo.repeat = a.repeat;
	eo.delay_ms = a.delay_ms;
	eo.cache = !a.no_cache;
	eo.seed = retry_jitter_seed(run_id, fs_now_ms(), (long)getpid());
	eo.judges = judges;
	eo.progress = prog;
	eo.grader_timeout_ms = a.grader_timeout_ms;
	eo.grader_memory_mb = a.grader_memory_mb;
	if (res) {
		eo.skip = resume_skip;
		eo.skip_ud = res;
	}
	rc = engine_run(s, provs, st, run_id, &eo, &tot, &err);
	progress_free(prog);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	if (store_run_end(st, run_id, rc ? "error" : tot.interrupted ? "interrupted"
			  : a.shard_n || a.run_id ? shard_status(st, run_id) : "done",
			  rc ? NULL : &err) && !rc)
		rc = 1;
	if (rc)
		goto fail;
	if (report_summary(st, run_id, &sum, &err))
		goto fail;
	have_sum = true;
	if (!a.no_table) {
		struct stats_opts so = { .resamples = 10000, .seed = 0, .mdd = 0.05 };
		struct err serr;
		report_print_table(&sum, stdout, term_color(1));
		/* A statistics failure does not change the run's exit status. */
		err_clear(&serr);
		if (report_stats_print(st, run_id, &so, stdout, term_color(1), &serr))
			err_print(&serr, stderr);
	}
	if (a.gate.base_id || a.gate.min_pass_rate >= 0) {
		bool gate_failed = false;
		if (gate_check(st, &a.gate, run_id, &sum, stdout, &gate_failed, &err))
			goto fail;
		gated = true;
		regressed = gate_failed;
	}
	fflush(stdout); /* the table before the notes on stderr */
	for (size_t i = 0; i < a.n_outputs; i++) {
		if (report_write(st, run_id, a.outputs[i], &err))
			goto fail;
		fprintf(stderr, "wrote %s\n", a.outputs[i]);
	}
	/* Without -o, the suite's outputPath (relative to the suite). */
	if (!a.n_outputs && s->output_path) {
		json_t *list = json_is_array(s->output_path) ? json_incref(s->output_path)
							     : json_pack("[O]", s->output_path);
		size_t i;
		json_t *v;
		json_array_foreach(list, i, v) {
			char *path = fs_join(s->dir, json_string_value(v));
			int wrc = report_write(st, run_id, path, &err);
			if (!wrc)
				fprintf(stderr, "wrote %s\n", path);
			free(path);
			if (wrc) {
				json_decref(list);
				goto fail;
			}
		}
		json_decref(list);
	}
	if (tot.compare_calls > 0) {
		fprintf(stderr, "comparison judges: %ld calls, $%.4f", tot.compare_calls,
			tot.compare_cost);
		if (tot.consistency_n > 0)
			fprintf(stderr, "; pairwise judge consistency: %.0f%% "
				"(both orders agreed; mean over %ld comparisons)",
				100.0 * tot.consistency_sum / (double)tot.consistency_n,
				tot.consistency_n);
		fputc('\n', stderr);
	}
	if (tot.compare_errors > 0)
		fprintf(stderr, "warning: %ld comparisons could not be graded\n",
			tot.compare_errors);
	if (a.pf.no_write)
		fprintf(stderr, "run %lld not stored (--no-write)%s\n", (long long)run_id,
			tot.interrupted ? " (interrupted)" : "");
	else
		fprintf(stderr, "run %lld stored in %s%s\n", (long long)run_id, db,
			tot.interrupted ? " (interrupted)" : "");
	if (tot.interrupted)
		fprintf(stderr, "stopped; continue it with: assay run %s --resume %lld%s%s\n",
			s->path, (long long)run_id, a.db ? " --db " : "", a.db ? a.db : "");
	/* The figures of a resumed run are the stored ones, not this pass's. */
	if (tot.interrupted)
		status = EXIT_RUN_ERROR;
	else if ((a.gate.fail_on_regression || a.gate.min_pass_rate >= 0) && gated)
		status = regressed ? EXIT_REGRESSION : sum.errors + sum.grade_errors > 0 &&
			!sum.passes && !sum.fails
			? EXIT_RUN_ERROR : EXIT_ALL_PASSED;
	else if (a.pf.eval && pf_env_exit(sum.passes, sum.fails,
					  sum.errors + sum.grade_errors, &status))
		;   /* promptfoo's PROMPTFOO_PASS_RATE_THRESHOLD rule (cmd_run_pf.c) */
	else if (sum.fails > 0)
		status = EXIT_TESTS_FAILED;
	else if (sum.errors + sum.grade_errors > 0)
		status = EXIT_RUN_ERROR;
	else
		status = EXIT_ALL_PASSED;
	goto out;
fail:
	err_print(&err, stderr);
	status = EXIT_RUN_ERROR;
out:
	if (have_sum)
		report_summary_free(&sum);
	store_close(st);
	free_providers(provs, s ? s->n_providers : 0);
	judges_free(judges);
	suite_free(s);
	score_shutdown();
	free(db);
	free(a.outputs);
	pf_args_free(&a.pf);
	resume_free(res);
	return status;
}

static const char validate_usage[] =
	"usage: assay validate SUITE [--grader ID]\n"
	"\n"
	"Loads SUITE and checks everything that can be checked without sending a\n"
	"request: syntax, keys, test files, templates and variables, assertion\n"
	"types and values (regexes compile), providers and their config.\n"
	"Exit status 0 when valid, 1 with an error naming file:line:col.\n";

static int validate_exec(int argc, char **argv)
{
	struct err err;
	struct suite *s = NULL;
	struct provider **provs = NULL;
	struct judge_set *judges = NULL;
	const char *grader = NULL;
	int status;
	if (argc == 4 && !strcmp(argv[2], "--grader")) {
		grader = argv[3];
		argc = 2;
	}
	if (argc != 2 || argv[1][0] == '-') {
		if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
			fputs(validate_usage, stdout);
			return 0;
		}
		fputs(validate_usage, stderr);
		return EXIT_USAGE;
	}
	err_clear(&err);
	if (!grader)
		grader = settings_grader();
	if (prepare(argv[1], grader, NULL, &s, &provs, &judges, &err)) {
		err_print(&err, stderr);
		status = EXIT_RUN_ERROR;
	} else {
		printf("%s: ok — %zu tests × %zu prompts × %zu providers = %zu requests\n",
		       argv[1], s->n_tests, s->n_prompts, s->n_providers,
		       s->n_tests * s->n_prompts * s->n_providers);
		status = 0;
	}
	free_providers(provs, s ? s->n_providers : 0);
	judges_free(judges);
	suite_free(s);
	score_shutdown();
	return status;
}

const struct cmd cmd_run = { "run", "run a suite against its providers", run_exec };
const struct cmd cmd_eval = { "eval", "alias of run (promptfoo habit: eval -c SUITE)", run_exec };
const struct cmd cmd_validate = { "validate", "check a suite without running it", validate_exec };
