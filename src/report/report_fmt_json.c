/* report_fmt_json.c — a stored run as .json (one object with the run,
 * its summary, its statistics — the object of stats_report.h — and every
 * result) or .jsonl (one result a line), docs/output.md; or, for `assay
 * eval`, promptfoo's output file with that object under "assay"
 * (report_set_json_layout, docs/promptfoo.md).
 *
 * Results are streamed through store_results_each (in key order), each
 * row serialised into a reused buffer and written before the next is
 * read; memory does not grow with the number of results (the .json
 * statistics hold a few numbers per result while they are computed, then
 * are freed).  Text from the model goes through report_json_escape, so
 * the JSON is valid even when the output is not valid UTF-8. */
#include "report.h"
#include "report_int.h"
#include "stats_report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../version.h"
#include "../util/xalloc.h"

#define REPORT_FORMAT_VERSION 1

enum fmt { FMT_JSON, FMT_JSONL };

struct writer {
	struct store *st;
	int64_t run_id;
	FILE *f;
	enum fmt fmt;
	struct buf line;
	bool first;
	struct err *err;
};

/* ------------------------------------------------------------ JSON bits */

static void j_str(struct buf *b, const char *s)
{
	if (!s) {
		buf_puts(b, "null");
		return;
	}
	buf_putc(b, '"');
	report_json_escape(b, s, strlen(s));
	buf_putc(b, '"');
}

static void j_key(struct buf *b, const char *k, bool first)
{
	if (!first)
		buf_putc(b, ',');
	buf_putc(b, '"');
	buf_puts(b, k);
	buf_puts(b, "\":");
}

static void j_num(struct buf *b, double v)
{
	if (!isfinite(v))
		buf_puts(b, "null");
	else
		buf_printf(b, "%.15g", v);
}

static void j_long(struct buf *b, long v)
{
	if (v < 0)
		buf_puts(b, "null");
	else
		buf_printf(b, "%ld", v);
}

static void j_bool(struct buf *b, int v)
{
	buf_puts(b, v < 0 ? "null" : v ? "true" : "false");
}

/* Stored JSON text is re-parsed rather than pasted, so a damaged cell
 * cannot make the output invalid; it becomes `fallback`. */
static void j_raw(struct buf *b, const char *text, const char *fallback)
{
	json_t *v = text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
	char *s = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	buf_puts(b, s ? s : fallback);
	free(s);
	json_decref(v);
}

static int on_assert_json(void *ud, const struct store_assert *a)
{
	struct writer *w = ud;
	struct buf *b = &w->line;
	if (a->idx > 0 || b->len == 0 || b->p[b->len - 1] != '[')
		buf_putc(b, ',');
	buf_putc(b, '{');
	j_key(b, "type", true);
	j_str(b, a->type);
	j_key(b, "pass", false);
	j_bool(b, a->pass);
	j_key(b, "score", false);
	j_num(b, a->score);
	j_key(b, "reason", false);
	j_str(b, a->reason);
	j_key(b, "weight", false);
	j_num(b, a->weight);
	j_key(b, "metric", false);
	j_str(b, a->metric);
	buf_putc(b, '}');
	return 0;
}

/* One result as a JSON object appended to w->line. */
static int j_result(struct writer *w, const struct store_result *r)
{
	struct buf *b = &w->line;
	buf_putc(b, '{');
	if (w->fmt == FMT_JSONL) {
		j_key(b, "run_id", true);
		buf_printf(b, "%lld,", (long long)w->run_id);
	}
	j_key(b, "case_idx", true);
	buf_printf(b, "%zu", r->case_idx);
	j_key(b, "description", false);
	j_str(b, r->case_description);
	j_key(b, "vars", false);
	j_raw(b, r->vars_json, "{}");
	j_key(b, "prompt_idx", false);
	buf_printf(b, "%zu", r->prompt_idx);
	j_key(b, "prompt_label", false);
	j_str(b, r->prompt_label);
	j_key(b, "provider_idx", false);
	buf_printf(b, "%zu", r->provider_idx);
	j_key(b, "provider_id", false);
	j_str(b, r->provider_id);
	j_key(b, "provider_label", false);
	j_str(b, r->provider_label);
	j_key(b, "repeat", false);
	buf_printf(b, "%d", r->repeat);
	j_key(b, "item_key", false);
	j_str(b, r->item_key);
	j_key(b, "prompt", false);
	j_str(b, r->prompt_text);
	j_key(b, "output", false);
	j_str(b, r->output);
	j_key(b, "error", false);
	if (!r->error_kind) {
		buf_puts(b, "null");
	} else {
		buf_putc(b, '{');
		j_key(b, "kind", true);
		j_str(b, r->error_kind);
		j_key(b, "message", false);
		j_str(b, r->error_msg);
		j_key(b, "http_status", false);
		j_long(b, r->http_status);
		buf_putc(b, '}');
	}
	j_key(b, "pass", false);
	j_bool(b, r->pass);
	j_key(b, "score", false);
	j_num(b, r->score);
	j_key(b, "reason", false);
	j_str(b, r->reason);
	j_key(b, "named_scores", false);
	j_raw(b, r->named_json, "{}");
	j_key(b, "latency_ms", false);
	j_num(b, r->latency_ms);
	j_key(b, "ttft_ms", false);
	j_num(b, r->ttft_ms);
	j_key(b, "tokens", false);
	buf_putc(b, '{');
	j_key(b, "prompt", true);
	j_long(b, r->prompt_tokens);
	j_key(b, "completion", false);
	j_long(b, r->completion_tokens);
	j_key(b, "total", false);
	j_long(b, r->total_tokens);
	buf_putc(b, '}');
	j_key(b, "cost_usd", false);
	j_num(b, r->cost_usd);
	j_key(b, "finish_reason", false);
	j_str(b, r->finish_reason);
	j_key(b, "started_at", false);
	j_str(b, r->started_at);
	j_key(b, "retries", false);
	j_long(b, r->retries);
	j_key(b, "cached", false);
	j_bool(b, r->cached);
	j_key(b, "assertions", false);
	buf_putc(b, '[');
	if (store_asserts_each(w->st, r->id, on_assert_json, w, w->err))
		return ST_DB;
	buf_putc(b, ']');
	if (report_turns_json(w->st, w->run_id, r, b, w->err)) /* report_turns.c */
		return ST_DB;
	buf_putc(b, '}');
	return 0;
}

static int j_header(struct writer *w, struct err *err)
{
	struct buf *b = &w->line;
	struct store_run run;
	struct summary sum;
	json_t *stats;
	char *text;
	int rc;
	if ((rc = store_run_get(w->st, w->run_id, &run, err)))
		return rc;
	buf_printf(b, "{\"version\":%d,\"assay_version\":", REPORT_FORMAT_VERSION);
	j_str(b, ASSAY_VERSION);
	buf_printf(b, ",\"run\":{\"id\":%lld", (long long)run.id);
	j_key(b, "description", false);
	j_str(b, run.description);
	j_key(b, "label", false);
	j_str(b, run.label);
	j_key(b, "created_at", false);
	j_str(b, run.created_at);
	j_key(b, "finished_at", false);
	j_str(b, run.finished_at);
	j_key(b, "status", false);
	j_str(b, run.status);
	j_key(b, "suite_path", false);
	j_str(b, run.suite_path);
	j_key(b, "suite_hash", false);
	j_str(b, run.suite_hash);
	j_key(b, "git_commit", false);
	j_str(b, run.git_commit);
	j_key(b, "host", false);
	j_str(b, run.host);
	j_key(b, "repeat", false);
	buf_printf(b, "%d", run.repeat);
	j_key(b, "assay_version", false);
	j_str(b, run.assay_version);
	j_key(b, "config", false);
	j_raw(b, run.config_json, "null");
	j_key(b, "suite", false);
	j_raw(b, run.suite_json, "null");
	buf_puts(b, "},\n\"summary\":[");
	store_run_free(&run);

	if ((rc = report_summary(w->st, w->run_id, &sum, err)))
		return rc;
	for (size_t i = 0; i < sum.n_rows; i++) {
		const struct summary_row *r = &sum.rows[i];
		buf_puts(b, i ? ",\n" : "\n");
		buf_printf(b, "{\"provider_idx\":%d,\"prompt_idx\":%d",
			   r->provider_idx, r->prompt_idx);
		j_key(b, "provider_id", false);
		j_str(b, r->provider_id);
		j_key(b, "provider_label", false);
		j_str(b, r->provider_label);
		j_key(b, "prompt_label", false);
		j_str(b, r->prompt_label);
		buf_printf(b, ",\"n\":%ld,\"passes\":%ld,\"fails\":%ld,"
			      "\"errors\":%ld,\"grading_errors\":%ld", r->n,
			   r->passes, r->fails, r->errors, r->grade_errors);
		j_key(b, "pass_rate", false);
		j_num(b, r->pass_rate);
		j_key(b, "ci_low", false);
		j_num(b, r->ci_lo);
		j_key(b, "ci_high", false);
		j_num(b, r->ci_hi);
		j_key(b, "mean_score", false);
		j_num(b, r->mean_score);
		j_key(b, "latency_p50_ms", false);
		j_num(b, r->p50_ms);
		j_key(b, "latency_p95_ms", false);
		j_num(b, r->p95_ms);
		buf_printf(b, ",\"prompt_tokens\":%ld,\"completion_tokens\":%ld",
			   r->prompt_tokens, r->completion_tokens);
		j_key(b, "cost_usd", false);
		j_num(b, r->cost_usd);
		j_key(b, "named_scores", false);
		j_raw(b, r->named_json, "{}");
		buf_putc(b, '}');
	}
	buf_printf(b, "],\n\"totals\":{\"n\":%ld,\"passes\":%ld,\"fails\":%ld,"
		      "\"errors\":%ld,\"grading_errors\":%ld},\n\"stats\":",
		   sum.total, sum.passes, sum.fails, sum.errors, sum.grade_errors);
	report_summary_free(&sum);
	/* the same object `assay stats -o` writes (default options) */
	if (!(stats = report_stats_json(w->st, w->run_id, NULL, err)))
		return err->code ? (int)err->code : ST_DB;
	text = json_dumps(stats, JSON_COMPACT | JSON_REAL_PRECISION(10));
	json_decref(stats);
	buf_puts(b, text ? text : "null");
	free(text);
	buf_puts(b, ",\n\"results\":[");
	return 0;
}

static int on_result(void *ud, const struct store_result *r)
{
	struct writer *w = ud;
	int rc;
	buf_reset(&w->line);
	if (w->fmt == FMT_JSON)
		buf_puts(&w->line, w->first ? "\n" : ",\n");
	w->first = false;
	if ((rc = j_result(w, r)))
		return rc;
	if (w->fmt == FMT_JSONL)
		buf_putc(&w->line, '\n');
	fwrite(w->line.p, 1, w->line.len, w->f);
	return 0;
}

static int write_json(struct store *st, int64_t run_id, FILE *f, enum fmt fmt,
		      struct err *err)
{
	struct writer w = { .st = st, .run_id = run_id, .f = f, .fmt = fmt,
			    .first = true, .err = err };
	int rc = 0;
	if (fmt == FMT_JSON && !(rc = j_header(&w, err)))
		fwrite(w.line.p, 1, w.line.len, f);
	if (!rc)
		rc = store_results_each(st, run_id, on_result, &w, err);
	if (!rc && fmt == FMT_JSON)
		fputs("\n]}\n", f);
	buf_free(&w.line);
	return rc;
}

static int write_promptfoo(struct store *st, int64_t run_id, FILE *f, struct err *err);
static int write_promptfoo_jsonl(struct store *st, int64_t run_id, FILE *f,
				 struct err *err);
static enum report_json_layout json_layout;

int report_fmt_json(struct store *st, int64_t run_id, FILE *f, struct err *err)
{
	if (json_layout == REPORT_JSON_PROMPTFOO)
		return write_promptfoo(st, run_id, f, err);
	return write_json(st, run_id, f, FMT_JSON, err);
}

int report_fmt_jsonl(struct store *st, int64_t run_id, FILE *f, struct err *err)
{
	if (json_layout == REPORT_JSON_PROMPTFOO)
		return write_promptfoo_jsonl(st, run_id, f, err);
	return write_json(st, run_id, f, FMT_JSONL, err);
}

/* ------------------------------------------- promptfoo's output layout */

/* promptfoo's OutputFile (src/types/index.ts): { evalId, results:
 * EvaluateSummaryV3 { version: 3, timestamp, results: EvaluateResult[],
 * prompts: CompletedPrompt[], stats: EvaluateStats }, config,
 * shareableUrl, metadata }.  The results are streamed; the per-prompt
 * metrics and the stats are summed on the way and written after them. */

static enum report_json_layout json_layout = REPORT_JSON_ASSAY;

void report_set_json_layout(enum report_json_layout layout)
{
	json_layout = layout;
}

struct pf_group {            /* one provider × prompt column */
	long pass, fail, error, assert_pass, assert_fail;
	long tok_total, tok_prompt, tok_completion, tok_cached, requests;
	double score, latency, cost;
};

struct pf_writer {
	struct writer w;
	struct summary sum;
	struct pf_group *g, tot;
	json_t *named;           /* column index -> {metric: [sum, count]} */
	struct buf tc_assert;    /* the result's assertions for testCase.assert */
	bool first_assert;
	json_t *suite;           /* the stored suite, for the assertions as written */
	json_t *dflt, *test;     /* defaultTest.assert; this result's test */
	long n_cases;
	double duration_ms;      /* the run's wall time, or NAN */
};

/* The suite's inline tests line up with the run's cases only when nothing
 * reshaped them (no CSV/file tests, scenarios, list-var expansion or
 * filter): as many tests as cases.  Sets pw->test for case `idx`, or NULL
 * when its entry cannot be told (then assertions go out without values). */
static void pf_test_of(struct pf_writer *pw, const struct store_result *r, long n_cases)
{
	json_t *tests = json_object_get(pw->suite, "tests"), *t, *d;
	pw->test = NULL;
	if (!json_is_array(tests) || n_cases < 0 ||
	    json_array_size(tests) != (size_t)n_cases ||
	    json_object_get(pw->suite, "scenarios") ||
	    !json_is_object(t = json_array_get(tests, r->case_idx)))
		return;
	d = json_object_get(t, "description");
	if (json_is_string(d) && (!r->case_description ||
				  strcmp(json_string_value(d), r->case_description)))
		return;
	pw->test = t;
}

/* The assertion as written in the suite for stored assertion `a`
 * (defaultTest's first, then the test's), or NULL when it does not match
 * by type (an assert-set, a $ref, an expanded suite). */
static json_t *pf_written_assert(struct pf_writer *pw, const struct store_assert *a)
{
	size_t nd = json_is_array(pw->dflt) ? json_array_size(pw->dflt) : 0;
	json_t *x, *ty;
	if (!pw->test)
		return NULL;
	x = a->idx < nd ? json_array_get(pw->dflt, a->idx)
		       : json_array_get(json_object_get(pw->test, "assert"), a->idx - nd);
	ty = json_object_get(x, "type");
	return json_is_string(ty) && a->type && !strcmp(json_string_value(ty), a->type)
	       ? x : NULL;
}

/* Milliseconds from `from` to `to`, both "YYYY-MM-DDTHH:MM:SS[.mmm]Z"
 * (the store's timestamps), or NAN when either is missing or unreadable
 * (a run still going has no end). */
static double pf_duration_ms(const char *from, const char *to)
{
	const char *s[2] = { from, to };
	double t[2];
	for (int i = 0; i < 2; i++) {
		struct tm tm;
		int ms = 0, n = 0;
		memset(&tm, 0, sizeof tm);
		if (!s[i] || sscanf(s[i], "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year,
				    &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
				    &tm.tm_sec, &n) != 6)
			return NAN;
		if (s[i][n] == '.')
			sscanf(s[i] + n + 1, "%3d", &ms);
		tm.tm_year -= 1900;
		tm.tm_mon -= 1;
		t[i] = (double)timegm(&tm) * 1000.0 + ms;
	}
	return t[1] >= t[0] ? t[1] - t[0] : NAN;
}

static void pf_suite_load(struct pf_writer *pw, const char *suite_json)
{
	pw->suite = suite_json ? json_loads(suite_json, 0, NULL) : NULL;
	pw->dflt = json_object_get(json_object_get(pw->suite, "defaultTest"), "assert");
}

static struct pf_group *pf_group_of(struct pf_writer *pw, const struct store_result *r,
				    size_t *col)
{
	for (size_t i = 0; i < pw->sum.n_rows; i++)
		if ((size_t)pw->sum.rows[i].provider_idx == r->provider_idx &&
		    (size_t)pw->sum.rows[i].prompt_idx == r->prompt_idx) {
			*col = i;
			return &pw->g[i];
		}
	return NULL;
}

static int on_assert_pf(void *ud, const struct store_assert *a)
{
	struct pf_writer *pw = ud;
	struct buf *b = &pw->w.line;
	if (!pw->first_assert)
		buf_putc(b, ',');
	pw->first_assert = false;
	buf_putc(b, '{');
	j_key(b, "pass", true);
	j_bool(b, a->pass);
	j_key(b, "score", false);
	j_num(b, isfinite(a->score) ? a->score : 0);
	j_key(b, "reason", false);
	j_str(b, a->reason ? a->reason : "");
	j_key(b, "assertion", false);
	/* the same assertion goes into testCase.assert: as written in the
	 * suite (with its value) when it can be told, else {type, metric,
	 * weight} from the store */
	{
		struct buf *t = &pw->tc_assert;
		json_t *w = pf_written_assert(pw, a);
		char *wt = w ? json_dumps(w, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
		size_t start;
		if (t->len)
			buf_putc(t, ',');
		start = t->len;
		if (wt) {
			buf_puts(t, wt);
			free(wt);
			buf_puts(b, t->p + start);
			buf_putc(b, '}');
			return 0;
		}
		buf_putc(t, '{');
		j_key(t, "type", true);
		j_str(t, a->type);
		if (a->metric) {
			j_key(t, "metric", false);
			j_str(t, a->metric);
		}
		if (isfinite(a->weight)) {
			j_key(t, "weight", false);
			j_num(t, a->weight);
		}
		buf_putc(t, '}');
		buf_puts(b, t->p + start);
	}
	buf_putc(b, '}');
	return 0;
}

static void pf_token_usage(struct buf *b, long total, long prompt,
			   long completion, long cached, long requests)
{
	buf_printf(b, "{\"total\":%ld,\"prompt\":%ld,\"completion\":%ld,"
		      "\"cached\":%ld,\"numRequests\":%ld,\"completionDetails\":"
		      "{\"reasoning\":0,\"acceptedPrediction\":0,"
		      "\"rejectedPrediction\":0}}", total, prompt, completion,
		   cached, requests);
}

static void pf_named(struct pf_writer *pw, size_t col, const char *named_json)
{
	json_t *v = named_json ? json_loads(named_json, 0, NULL) : NULL, *m, *acc, *x;
	const char *k;
	char key[32];
	snprintf(key, sizeof key, "%zu", col);
	if (!(m = json_object_get(pw->named, key)))
		json_object_set_new(pw->named, key, m = json_object());
	json_object_foreach(v, k, x) {
		if (!json_is_number(x))
			continue;
		if (!(acc = json_object_get(m, k)))
			json_object_set_new(m, k, acc = json_pack("[f,i]", 0.0, 0));
		json_array_set_new(acc, 0, json_real(json_number_value(json_array_get(acc, 0)) +
						     json_number_value(x)));
		json_array_set_new(acc, 1, json_integer(json_integer_value(json_array_get(acc, 1)) + 1));
	}
	json_decref(v);
}

static int on_result_pf(void *ud, const struct store_result *r)
{
	struct pf_writer *pw = ud;
	struct buf *b = &pw->w.line;
	struct pf_group *g;
	size_t col = 0;
	int reason = r->error_kind ? 2 : r->pass == 1 ? 0 : r->pass == 0 ? 1 : 2;
	long tp = r->prompt_tokens > 0 ? r->prompt_tokens : 0;
	long tc = r->completion_tokens > 0 ? r->completion_tokens : 0;
	long tt = r->total_tokens > 0 ? r->total_tokens : tp + tc;
	double score = reason == 2 || !isfinite(r->score) ? 0 : r->score;
	double cost = isfinite(r->cost_usd) ? r->cost_usd : 0;

	buf_reset(b);
	buf_reset(&pw->tc_assert);
	if (pw->w.fmt == FMT_JSONL)
		buf_putc(b, '{');
	else
		buf_puts(b, pw->w.first ? "\n{" : ",\n{");
	pw->w.first = false;
	j_key(b, "id", true);
	j_str(b, r->item_key);
	j_key(b, "description", false);
	j_str(b, r->case_description);
	buf_printf(b, ",\"promptIdx\":%zu,\"testIdx\":%zu,\"promptId\":\"assay-prompt-%zu\"",
		   r->prompt_idx, r->case_idx, r->prompt_idx);
	j_key(b, "provider", false);
	buf_putc(b, '{');
	j_key(b, "id", true);
	j_str(b, r->provider_id);
	j_key(b, "label", false);
	j_str(b, r->provider_label);
	buf_putc(b, '}');
	j_key(b, "prompt", false);
	buf_putc(b, '{');
	j_key(b, "raw", true);
	j_str(b, r->prompt_text);
	j_key(b, "label", false);
	j_str(b, r->prompt_label);
	buf_putc(b, '}');
	j_key(b, "vars", false);
	j_raw(b, r->vars_json, "{}");
	if (r->output) {
		j_key(b, "response", false);
		buf_putc(b, '{');
		j_key(b, "output", true);
		j_str(b, r->output);
		j_key(b, "tokenUsage", false);
		pf_token_usage(b, tt, tp, tc, r->cached ? tt : 0, 1);
		j_key(b, "cached", false);
		j_bool(b, r->cached);
		if (r->finish_reason) {
			j_key(b, "finishReason", false);
			j_str(b, r->finish_reason);
		}
		buf_putc(b, '}');
	}
	j_key(b, "error", false);
	j_str(b, reason == 2 ? (r->error_msg ? r->error_msg : r->error_kind ? r->error_kind
				: "grading failed") : reason == 1 ? (r->reason ? r->reason : "")
		  : NULL);
	buf_printf(b, ",\"failureReason\":%d", reason);
	j_key(b, "success", false);
	j_bool(b, reason == 0);
	j_key(b, "score", false);
	j_num(b, score);
	j_key(b, "latencyMs", false);
	j_num(b, isfinite(r->latency_ms) ? r->latency_ms : 0);
	j_key(b, "gradingResult", false);
	if (reason == 2 && r->pass < 0 && !r->reason) {
		buf_puts(b, "null");
	} else {
		buf_putc(b, '{');
		j_key(b, "pass", true);
		j_bool(b, reason == 0);
		j_key(b, "score", false);
		j_num(b, score);
		j_key(b, "reason", false);
		j_str(b, r->reason ? r->reason : "");
		j_key(b, "namedScores", false);
		j_raw(b, r->named_json, "{}");
		j_key(b, "componentResults", false);
		buf_putc(b, '[');
		pw->first_assert = true;
		pf_test_of(pw, r, pw->n_cases);
		if (store_asserts_each(pw->w.st, r->id, on_assert_pf, pw, pw->w.err))
			return ST_DB;
		buf_puts(b, "]}");
	}
	j_key(b, "namedScores", false);
	j_raw(b, r->named_json, "{}");
	j_key(b, "cost", false);
	j_num(b, cost);
	j_key(b, "tokenUsage", false);
	pf_token_usage(b, tt, tp, tc, r->cached ? tt : 0, 1);
	j_key(b, "testCase", false);   /* after the assertions were read */
	buf_putc(b, '{');
	j_key(b, "description", true);
	j_str(b, r->case_description);
	j_key(b, "vars", false);
	j_raw(b, r->vars_json, "{}");
	j_key(b, "metadata", false);
	j_raw(b, r->metadata_json, "{}");
	j_key(b, "assert", false);
	buf_putc(b, '[');
	if (pw->tc_assert.len)
		buf_puts(b, pw->tc_assert.p);
	buf_puts(b, "]}");
	if (pw->w.fmt == FMT_JSONL) {
		/* a .jsonl line: promptfoo's result, assay's under "assay" */
		j_key(b, "assay", false);
		if (j_result(&pw->w, r))
			return ST_DB;
		buf_puts(b, "}\n");
	} else {
		buf_putc(b, '}');
	}
	fwrite(b->p, 1, b->len, pw->w.f);

	/* the sums for prompts[].metrics and stats */
	for (int k = 0; k < 2; k++) {
		g = k ? &pw->tot : pf_group_of(pw, r, &col);
		if (!g)
			continue;
		g->pass += reason == 0;
		g->fail += reason == 1;
		g->error += reason == 2;
		g->score += score;
		g->latency += isfinite(r->latency_ms) ? r->latency_ms : 0;
		g->cost += cost;
		g->tok_total += tt;
		g->tok_prompt += tp;
		g->tok_completion += tc;
		g->tok_cached += r->cached ? tt : 0;
		g->requests++;
		if (!k)
			pf_named(pw, col, r->named_json);
	}
	return 0;
}

static int on_assert_count(void *ud, const struct store_assert *a)
{
	struct pf_group *g = ud;
	if (a->pass)
		g->assert_pass++;
	else
		g->assert_fail++;
	return 0;
}

static int count_asserts(void *ud, const struct store_result *r)
{
	struct pf_writer *pw = ud;
	size_t col;
	struct pf_group *g = pf_group_of(pw, r, &col);
	return g ? store_asserts_each(pw->w.st, r->id, on_assert_count, g, pw->w.err) : 0;
}

struct pf_raw { char **raw; size_t n; };

static int on_prompt_raw(void *ud, const struct store_prompt *p)
{
	struct pf_raw *pr = ud;
	if (p->idx < pr->n && !pr->raw[p->idx])
		pr->raw[p->idx] = xstrdup(p->raw ? p->raw : "");
	return 0;
}

static void pf_prompts(struct pf_writer *pw, struct pf_raw *pr)
{
	struct buf *b = &pw->w.line;
	buf_reset(b);
	buf_puts(b, "\n],\"prompts\":[");
	for (size_t i = 0; i < pw->sum.n_rows; i++) {
		const struct summary_row *row = &pw->sum.rows[i];
		const struct pf_group *g = &pw->g[i];
		json_t *m, *acc;
		json_t *scores = json_object(), *counts = json_object();
		const char *k;
		char key[32], *t;
		snprintf(key, sizeof key, "%zu", i);
		m = json_object_get(pw->named, key);
		json_object_foreach(m, k, acc) {
			json_object_set_new(scores, k, json_real(json_number_value(json_array_get(acc, 0))));
			json_object_set(counts, k, json_array_get(acc, 1));
		}
		buf_puts(b, i ? ",{" : "{");
		j_key(b, "raw", true);
		j_str(b, (size_t)row->prompt_idx < pr->n ? pr->raw[row->prompt_idx] : NULL);
		j_key(b, "label", false);
		j_str(b, row->prompt_label);
		j_key(b, "provider", false);
		j_str(b, row->provider_label ? row->provider_label : row->provider_id);
		buf_printf(b, ",\"metrics\":{\"score\":");
		j_num(b, g->score);
		buf_printf(b, ",\"testPassCount\":%ld,\"testFailCount\":%ld,"
			      "\"testErrorCount\":%ld,\"assertPassCount\":%ld,"
			      "\"assertFailCount\":%ld,\"totalLatencyMs\":",
			   g->pass, g->fail, g->error, g->assert_pass, g->assert_fail);
		j_num(b, g->latency);
		j_key(b, "tokenUsage", false);
		pf_token_usage(b, g->tok_total, g->tok_prompt, g->tok_completion,
			       g->tok_cached, g->requests);
		t = json_dumps(scores, JSON_COMPACT | JSON_SORT_KEYS);
		buf_printf(b, ",\"namedScores\":%s", t ? t : "{}");
		free(t);
		t = json_dumps(counts, JSON_COMPACT | JSON_SORT_KEYS);
		buf_printf(b, ",\"namedScoresCount\":%s,\"cost\":", t ? t : "{}");
		free(t);
		j_num(b, g->cost);
		buf_puts(b, "}}");
		json_decref(scores);
		json_decref(counts);
	}
	buf_puts(b, "],\"stats\":{");
	buf_printf(b, "\"successes\":%ld,\"failures\":%ld,\"errors\":%ld,\"tokenUsage\":",
		   pw->tot.pass, pw->tot.fail, pw->tot.error);
	pf_token_usage(b, pw->tot.tok_total, pw->tot.tok_prompt, pw->tot.tok_completion,
		       pw->tot.tok_cached, pw->tot.requests);
	if (isfinite(pw->duration_ms)) {
		j_key(b, "durationMs", false);
		j_num(b, pw->duration_ms);
	}
	buf_puts(b, "}}");
	fwrite(b->p, 1, b->len, pw->w.f);
}

static int write_promptfoo(struct store *st, int64_t run_id, FILE *f, struct err *err)
{
	struct pf_writer pw = { .w = { .st = st, .run_id = run_id, .f = f,
				       .fmt = FMT_JSON, .first = true, .err = err } };
	struct store_run run;
	struct pf_raw pr = {0};
	struct buf *b = &pw.w.line;
	int rc;
	if ((rc = store_run_get(st, run_id, &run, err)))
		return rc;
	if ((rc = report_summary(st, run_id, &pw.sum, err))) {
		store_run_free(&run);
		return rc;
	}
	pw.g = xcalloc(pw.sum.n_rows ? pw.sum.n_rows : 1, sizeof *pw.g);
	pw.named = json_object();
	pr.n = (size_t)(run.n_prompts > 0 ? run.n_prompts : 0);
	pr.raw = xcalloc(pr.n ? pr.n : 1, sizeof *pr.raw);
	pf_suite_load(&pw, run.suite_json);
	pw.n_cases = run.n_cases;
	pw.duration_ms = pf_duration_ms(run.created_at, run.finished_at);
	if ((rc = store_prompts_each(st, run_id, on_prompt_raw, &pr, err)) ||
	    (rc = store_results_each(st, run_id, count_asserts, &pw, err)))
		goto out;
	buf_printf(b, "{\"evalId\":\"assay-run-%lld\",\"results\":{\"version\":3,"
		      "\"timestamp\":", (long long)run_id);
	j_str(b, run.created_at);
	buf_puts(b, ",\"results\":[");
	fwrite(b->p, 1, b->len, f);
	if ((rc = store_results_each(st, run_id, on_result_pf, &pw, err)))
		goto out;
	pf_prompts(&pw, &pr);
	buf_reset(b);
	buf_puts(b, ",\n\"config\":");
	j_raw(b, run.suite_json, "{}");
	buf_puts(b, ",\"shareableUrl\":null,\"metadata\":{\"promptfooVersion\":null,"
		    "\"assayVersion\":");
	j_str(b, ASSAY_VERSION);
	j_key(b, "evaluationCreatedAt", false);
	j_str(b, run.created_at);
	buf_puts(b, "},\n\"assay\":");
	fwrite(b->p, 1, b->len, f);
	buf_free(b);
	memset(b, 0, sizeof *b);
	if ((rc = write_json(st, run_id, f, FMT_JSON, err)))
		goto out;
	fputs("}\n", f);
out:
	for (size_t i = 0; i < pr.n; i++)
		free(pr.raw[i]);
	free(pr.raw);
	free(pw.g);
	json_decref(pw.named);
	json_decref(pw.suite);
	buf_free(&pw.tc_assert);
	buf_free(&pw.w.line);
	report_summary_free(&pw.sum);
	store_run_free(&run);
	return rc;
}

/* promptfoo's .jsonl: one EvaluateResult a line (what promptfoo appends
 * while it runs), each with assay's result object under "assay". */
static int write_promptfoo_jsonl(struct store *st, int64_t run_id, FILE *f,
				 struct err *err)
{
	struct pf_writer pw = { .w = { .st = st, .run_id = run_id, .f = f,
				       .fmt = FMT_JSONL, .first = true, .err = err } };
	struct store_run run;
	int rc;
	if ((rc = store_run_get(st, run_id, &run, err)))
		return rc;
	if ((rc = report_summary(st, run_id, &pw.sum, err))) {
		store_run_free(&run);
		return rc;
	}
	pw.g = xcalloc(pw.sum.n_rows ? pw.sum.n_rows : 1, sizeof *pw.g);
	pw.named = json_object();
	pf_suite_load(&pw, run.suite_json);
	pw.n_cases = run.n_cases;
	rc = store_results_each(st, run_id, on_result_pf, &pw, err);
	store_run_free(&run);
	free(pw.g);
	json_decref(pw.named);
	json_decref(pw.suite);
	buf_free(&pw.tc_assert);
	buf_free(&pw.w.line);
	report_summary_free(&pw.sum);
	return rc;
}
