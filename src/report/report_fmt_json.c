/* report_fmt_json.c — a stored run as .json (one object with the run,
 * its summary, its statistics — the object of stats_report.h — and every
 * result) or .jsonl (one result a line), docs/output.md.
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

int report_fmt_json(struct store *st, int64_t run_id, FILE *f, struct err *err)
{
	return write_json(st, run_id, f, FMT_JSON, err);
}

int report_fmt_jsonl(struct store *st, int64_t run_id, FILE *f, struct err *err)
{
	return write_json(st, run_id, f, FMT_JSONL, err);
}
