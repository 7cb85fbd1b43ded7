/* report_write.c — a stored run written to a file: .json (one object with
 * the run, its summary, its statistics — the object of stats_report.h —
 * and every result), .jsonl (one result a line) or
 * .csv (one result a row, vars as var_<name> columns).
 *
 * Results are streamed: one SQL cursor ordered by the results' unique
 * index (so SQLite needs no sort), each row serialised into a reused
 * buffer and written before the next is read; memory does not grow with
 * the number of results (the .json statistics hold a few numbers per
 * result while they are computed, then are freed).  The file is written as PATH.tmp and renamed
 * into place when complete.  Text from the model goes through
 * report_json_escape, so the JSON is valid even when the output is not
 * valid UTF-8.  CSV fields are quoted by libcsv (RFC 4180: every field in
 * double quotes, inner quotes doubled, rows end in CRLF). */
#include "report.h"
#include "report_html.h"
#include "stats_report.h"

#include <csv.h>
#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "../cmd.h"
#include "../util/xalloc.h"

#define REPORT_FORMAT_VERSION 1

enum fmt { FMT_JSON, FMT_JSONL, FMT_CSV };

/* Columns of results_sql, in order. */
enum {
	R_ID, R_CASE, R_DESC, R_VARS, R_PROMPT_IDX, R_PROMPT_LABEL,
	R_PROVIDER_IDX, R_PROVIDER_ID, R_PROVIDER_LABEL, R_REPEAT, R_PROMPT, R_OUTPUT,
	R_ERR_KIND, R_ERR_MSG, R_HTTP, R_PASS, R_SCORE, R_REASON, R_NAMED,
	R_LATENCY, R_TTFT, R_TOK_P, R_TOK_C, R_TOK_T, R_COST, R_FINISH,
	R_STARTED, R_RETRIES, R_CACHED
};

static const char *const results_sql =
	"SELECT r.id, r.case_idx, c.description, c.vars_json, r.prompt_idx,"
	" pr.label, r.provider_idx, pv.provider_id, pv.label, r.repeat, r.prompt_text,"
	" r.output, r.error_kind, r.error_msg, r.http_status, r.pass, r.score,"
	" r.reason, r.named_scores_json, r.latency_ms, r.ttft_ms,"
	" r.prompt_tokens, r.completion_tokens, r.total_tokens, r.cost_usd,"
	" r.finish_reason, r.started_at, r.retries, r.cached"
	" FROM results r"
	" LEFT JOIN cases c ON c.run_id = r.run_id AND c.idx = r.case_idx"
	" LEFT JOIN run_prompts pr ON pr.run_id = r.run_id AND pr.idx = r.prompt_idx"
	" LEFT JOIN run_providers pv ON pv.run_id = r.run_id"
	"  AND pv.idx = r.provider_idx"
	" WHERE r.run_id = ?1"
	" ORDER BY r.run_id, r.case_idx, r.prompt_idx, r.provider_idx, r.repeat";

static const char *const asserts_sql =
	"SELECT type, pass, score, reason, weight, metric"
	" FROM assertion_results WHERE result_id = ?1 ORDER BY idx";

struct writer {
	sqlite3 *db;
	int64_t run_id;
	FILE *f;
	enum fmt fmt;
	struct buf line;
	sqlite3_stmt *asserts;
	/* CSV: the union of var names over the run's cases, first seen first. */
	char **vars;
	size_t n_vars;
};

static int db_err(struct err *err, sqlite3 *db, const char *what)
{
	return err_set(err, ST_DB, "%s: %s", what, sqlite3_errmsg(db));
}

static const char *col_text(sqlite3_stmt *q, int i)
{
	return (const char *)sqlite3_column_text(q, i);
}

static bool col_null(sqlite3_stmt *q, int i)
{
	return sqlite3_column_type(q, i) == SQLITE_NULL;
}

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

static void j_col_num(struct buf *b, sqlite3_stmt *q, int i)
{
	if (col_null(q, i))
		buf_puts(b, "null");
	else if (sqlite3_column_type(q, i) == SQLITE_INTEGER)
		buf_printf(b, "%lld", (long long)sqlite3_column_int64(q, i));
	else
		j_num(b, sqlite3_column_double(q, i));
}

static void j_col_bool(struct buf *b, sqlite3_stmt *q, int i)
{
	if (col_null(q, i))
		buf_puts(b, "null");
	else
		buf_puts(b, sqlite3_column_int(q, i) ? "true" : "false");
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

static int j_assertions(struct writer *w, int64_t result_id, struct err *err)
{
	sqlite3_stmt *q = w->asserts;
	int step;
	bool first = true;
	sqlite3_reset(q);
	sqlite3_bind_int64(q, 1, result_id);
	buf_putc(&w->line, '[');
	while ((step = sqlite3_step(q)) == SQLITE_ROW) {
		struct buf *b = &w->line;
		if (!first)
			buf_putc(b, ',');
		first = false;
		buf_putc(b, '{');
		j_key(b, "type", true);
		j_str(b, col_text(q, 0));
		j_key(b, "pass", false);
		j_col_bool(b, q, 1);
		j_key(b, "score", false);
		j_col_num(b, q, 2);
		j_key(b, "reason", false);
		j_str(b, col_text(q, 3));
		j_key(b, "weight", false);
		j_col_num(b, q, 4);
		j_key(b, "metric", false);
		j_str(b, col_text(q, 5));
		buf_putc(b, '}');
	}
	buf_putc(&w->line, ']');
	sqlite3_reset(q);
	return step == SQLITE_DONE ? 0 : db_err(err, w->db, "reading assertions");
}

/* One result as a JSON object appended to w->line. */
static int j_result(struct writer *w, sqlite3_stmt *q, struct err *err)
{
	struct buf *b = &w->line;
	buf_putc(b, '{');
	if (w->fmt == FMT_JSONL) {
		j_key(b, "run_id", true);
		buf_printf(b, "%lld,", (long long)w->run_id);
	}
	j_key(b, "case_idx", true);
	j_col_num(b, q, R_CASE);
	j_key(b, "description", false);
	j_str(b, col_text(q, R_DESC));
	j_key(b, "vars", false);
	j_raw(b, col_text(q, R_VARS), "{}");
	j_key(b, "prompt_idx", false);
	j_col_num(b, q, R_PROMPT_IDX);
	j_key(b, "prompt_label", false);
	j_str(b, col_text(q, R_PROMPT_LABEL));
	j_key(b, "provider_idx", false);
	j_col_num(b, q, R_PROVIDER_IDX);
	j_key(b, "provider_id", false);
	j_str(b, col_text(q, R_PROVIDER_ID));
	j_key(b, "provider_label", false);
	j_str(b, col_text(q, R_PROVIDER_LABEL));
	j_key(b, "repeat", false);
	j_col_num(b, q, R_REPEAT);
	j_key(b, "prompt", false);
	j_str(b, col_text(q, R_PROMPT));
	j_key(b, "output", false);
	j_str(b, col_text(q, R_OUTPUT));
	j_key(b, "error", false);
	if (col_null(q, R_ERR_KIND)) {
		buf_puts(b, "null");
	} else {
		buf_putc(b, '{');
		j_key(b, "kind", true);
		j_str(b, col_text(q, R_ERR_KIND));
		j_key(b, "message", false);
		j_str(b, col_text(q, R_ERR_MSG));
		j_key(b, "http_status", false);
		j_col_num(b, q, R_HTTP);
		buf_putc(b, '}');
	}
	j_key(b, "pass", false);
	j_col_bool(b, q, R_PASS);
	j_key(b, "score", false);
	j_col_num(b, q, R_SCORE);
	j_key(b, "reason", false);
	j_str(b, col_text(q, R_REASON));
	j_key(b, "named_scores", false);
	j_raw(b, col_text(q, R_NAMED), "{}");
	j_key(b, "latency_ms", false);
	j_col_num(b, q, R_LATENCY);
	j_key(b, "ttft_ms", false);
	j_col_num(b, q, R_TTFT);
	j_key(b, "tokens", false);
	buf_putc(b, '{');
	j_key(b, "prompt", true);
	j_col_num(b, q, R_TOK_P);
	j_key(b, "completion", false);
	j_col_num(b, q, R_TOK_C);
	j_key(b, "total", false);
	j_col_num(b, q, R_TOK_T);
	buf_putc(b, '}');
	j_key(b, "cost_usd", false);
	j_col_num(b, q, R_COST);
	j_key(b, "finish_reason", false);
	j_str(b, col_text(q, R_FINISH));
	j_key(b, "started_at", false);
	j_str(b, col_text(q, R_STARTED));
	j_key(b, "retries", false);
	j_col_num(b, q, R_RETRIES);
	j_key(b, "cached", false);
	j_col_bool(b, q, R_CACHED);
	j_key(b, "assertions", false);
	if (j_assertions(w, sqlite3_column_int64(q, R_ID), err))
		return ST_DB;
	buf_putc(b, '}');
	return 0;
}

static int j_header(struct writer *w, struct store *st, struct err *err)
{
	struct buf *b = &w->line;
	sqlite3_stmt *q = NULL;
	struct summary sum;
	json_t *stats;
	char *text;
	int rc;
	if (sqlite3_prepare_v2(w->db,
			       "SELECT id, description, created_at, finished_at,"
			       " status, suite_path, repeat, assay_version,"
			       " suite_json FROM runs WHERE id = ?1",
			       -1, &q, NULL) != SQLITE_OK)
		return db_err(err, w->db, "reading the run");
	sqlite3_bind_int64(q, 1, w->run_id);
	if (sqlite3_step(q) != SQLITE_ROW) {
		sqlite3_finalize(q);
		return err_set(err, ST_DB, "no run %lld in the store",
			       (long long)w->run_id);
	}
	buf_printf(b, "{\"version\":%d,\"assay_version\":", REPORT_FORMAT_VERSION);
	j_str(b, ASSAY_VERSION);
	buf_puts(b, ",\"run\":{\"id\":");
	j_col_num(b, q, 0);
	j_key(b, "description", false);
	j_str(b, col_text(q, 1));
	j_key(b, "created_at", false);
	j_str(b, col_text(q, 2));
	j_key(b, "finished_at", false);
	j_str(b, col_text(q, 3));
	j_key(b, "status", false);
	j_str(b, col_text(q, 4));
	j_key(b, "suite_path", false);
	j_str(b, col_text(q, 5));
	j_key(b, "repeat", false);
	j_col_num(b, q, 6);
	j_key(b, "assay_version", false);
	j_str(b, col_text(q, 7));
	j_key(b, "suite", false);
	j_raw(b, col_text(q, 8), "null");
	buf_puts(b, "},\n\"summary\":[");
	sqlite3_finalize(q);

	if ((rc = report_summary(st, w->run_id, &sum, err)))
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
			      "\"errors\":%ld", r->n, r->passes, r->fails,
			   r->errors);
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
		      "\"errors\":%ld},\n\"stats\":", sum.total, sum.passes,
		   sum.fails, sum.errors);
	report_summary_free(&sum);
	/* the same object `assay stats -o` writes (default options) */
	if (!(stats = report_stats_json(st, w->run_id, NULL, err)))
		return err->code ? (int)err->code : ST_DB;
	text = json_dumps(stats, JSON_COMPACT | JSON_REAL_PRECISION(10));
	json_decref(stats);
	buf_puts(b, text ? text : "null");
	free(text);
	buf_puts(b, ",\n\"results\":[");
	return 0;
}

/* ------------------------------------------------------------ CSV */

static void csv_field(struct writer *w, const char *s, bool first)
{
	if (!first)
		putc(',', w->f);
	csv_fwrite(w->f, s ? s : "", s ? strlen(s) : 0);
}

/* Writes a numeric cell: the number as SQLite renders it, empty for NULL. */
static void csv_num(struct writer *w, sqlite3_stmt *q, int i)
{
	char tmp[64];
	if (col_null(q, i)) {
		csv_field(w, "", false);
	} else if (sqlite3_column_type(q, i) == SQLITE_INTEGER) {
		snprintf(tmp, sizeof tmp, "%lld",
			 (long long)sqlite3_column_int64(q, i));
		csv_field(w, tmp, false);
	} else {
		snprintf(tmp, sizeof tmp, "%.15g", sqlite3_column_double(q, i));
		csv_field(w, tmp, false);
	}
}

static void csv_bool(struct writer *w, sqlite3_stmt *q, int i)
{
	csv_field(w, col_null(q, i) ? "" : sqlite3_column_int(q, i) ? "true"
								   : "false",
		  false);
}

/* First pass over the cases: the var names that become columns. */
static int csv_collect_vars(struct writer *w, struct err *err)
{
	sqlite3_stmt *q = NULL;
	json_t *seen = json_object();
	size_t cap = 0;
	int step;
	if (sqlite3_prepare_v2(w->db, "SELECT vars_json FROM cases WHERE"
				      " run_id = ?1 ORDER BY idx", -1, &q,
			       NULL) != SQLITE_OK) {
		json_decref(seen);
		return db_err(err, w->db, "reading cases");
	}
	sqlite3_bind_int64(q, 1, w->run_id);
	while ((step = sqlite3_step(q)) == SQLITE_ROW) {
		const char *text = col_text(q, 0);
		json_t *v = text ? json_loads(text, 0, NULL) : NULL;
		const char *k;
		json_t *val;
		json_object_foreach(v, k, val) {
			if (json_object_get(seen, k))
				continue;
			json_object_set_new(seen, k, json_true());
			w->vars = xgrow(w->vars, &cap, w->n_vars + 1,
					sizeof *w->vars);
			w->vars[w->n_vars++] = xstrdup(k);
		}
		json_decref(v);
	}
	sqlite3_finalize(q);
	json_decref(seen);
	return step == SQLITE_DONE ? 0 : db_err(err, w->db, "reading cases");
}

static const char *const csv_head_a[] = {
	"case_idx", "description", "prompt_idx", "prompt_label",
	"provider_id", "provider_label", "repeat"
};
static const char *const csv_head_b[] = {
	"prompt", "output", "error_kind", "error_message", "http_status",
	"pass", "score", "reason", "latency_ms", "ttft_ms", "prompt_tokens",
	"completion_tokens", "total_tokens", "cost_usd", "finish_reason",
	"named_scores", "assertions_passed", "assertions_total"
};

static void csv_header(struct writer *w)
{
	bool first = true;
	for (size_t i = 0; i < sizeof csv_head_a / sizeof *csv_head_a; i++) {
		csv_field(w, csv_head_a[i], first);
		first = false;
	}
	for (size_t i = 0; i < w->n_vars; i++) {
		char *name = xasprintf("var_%s", w->vars[i]);
		csv_field(w, name, false);
		free(name);
	}
	for (size_t i = 0; i < sizeof csv_head_b / sizeof *csv_head_b; i++)
		csv_field(w, csv_head_b[i], false);
	fputs("\r\n", w->f);
}

static int csv_row(struct writer *w, sqlite3_stmt *q, struct err *err)
{
	const char *vtext = col_text(q, R_VARS);
	json_t *vars = vtext ? json_loads(vtext, 0, NULL) : NULL;
	sqlite3_stmt *a = w->asserts;
	long a_pass = 0, a_total = 0;
	char tmp[32];
	int step;
	csv_field(w, col_text(q, R_DESC), false);
	csv_num(w, q, R_PROMPT_IDX);
	csv_field(w, col_text(q, R_PROMPT_LABEL), false);
	csv_field(w, col_text(q, R_PROVIDER_ID), false);
	csv_field(w, col_text(q, R_PROVIDER_LABEL), false);
	csv_num(w, q, R_REPEAT);
	for (size_t i = 0; i < w->n_vars; i++) {
		json_t *v = json_object_get(vars, w->vars[i]);
		if (!v) {
			csv_field(w, "", false);
		} else if (json_is_string(v)) {
			csv_field(w, json_string_value(v), false);
		} else {
			char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
			csv_field(w, s, false);
			free(s);
		}
	}
	json_decref(vars);
	csv_field(w, col_text(q, R_PROMPT), false);
	csv_field(w, col_text(q, R_OUTPUT), false);
	csv_field(w, col_text(q, R_ERR_KIND), false);
	csv_field(w, col_text(q, R_ERR_MSG), false);
	csv_num(w, q, R_HTTP);
	csv_bool(w, q, R_PASS);
	csv_num(w, q, R_SCORE);
	csv_field(w, col_text(q, R_REASON), false);
	csv_num(w, q, R_LATENCY);
	csv_num(w, q, R_TTFT);
	csv_num(w, q, R_TOK_P);
	csv_num(w, q, R_TOK_C);
	csv_num(w, q, R_TOK_T);
	csv_num(w, q, R_COST);
	csv_field(w, col_text(q, R_FINISH), false);
	csv_field(w, col_text(q, R_NAMED), false);
	sqlite3_reset(a);
	sqlite3_bind_int64(a, 1, sqlite3_column_int64(q, R_ID));
	while ((step = sqlite3_step(a)) == SQLITE_ROW) {
		a_total++;
		a_pass += sqlite3_column_int(a, 1) != 0;
	}
	sqlite3_reset(a);
	if (step != SQLITE_DONE)
		return db_err(err, w->db, "reading assertions");
	snprintf(tmp, sizeof tmp, "%ld", a_pass);
	csv_field(w, tmp, false);
	snprintf(tmp, sizeof tmp, "%ld", a_total);
	csv_field(w, tmp, false);
	fputs("\r\n", w->f);
	return 0;
}

/* ------------------------------------------------------------ driver */

static int format_of(const char *path, enum fmt *fmt, struct err *err)
{
	const char *dot = strrchr(path, '.');
	const char *slash = strrchr(path, '/');
	if (dot && (!slash || dot > slash)) {
		if (strcasecmp(dot, ".json") == 0) {
			*fmt = FMT_JSON;
			return 0;
		}
		if (strcasecmp(dot, ".jsonl") == 0) {
			*fmt = FMT_JSONL;
			return 0;
		}
		if (strcasecmp(dot, ".csv") == 0) {
			*fmt = FMT_CSV;
			return 0;
		}
	}
	return err_set(err, ST_USAGE,
		       "cannot tell the output format of '%s': expected a "
		       "file name ending in .json, .jsonl, .csv or .html", path);
}

static int check_run(sqlite3 *db, int64_t run_id, struct err *err)
{
	sqlite3_stmt *q = NULL;
	int step;
	if (sqlite3_prepare_v2(db, "SELECT 1 FROM runs WHERE id = ?1", -1, &q,
			       NULL) != SQLITE_OK)
		return db_err(err, db, "reading the run");
	sqlite3_bind_int64(q, 1, run_id);
	step = sqlite3_step(q);
	sqlite3_finalize(q);
	if (step == SQLITE_ROW)
		return 0;
	if (step == SQLITE_DONE)
		return err_set(err, ST_DB, "no run %lld in the store",
			       (long long)run_id);
	return db_err(err, db, "reading the run");
}

static int stream_results(struct writer *w, struct err *err)
{
	sqlite3_stmt *q = NULL;
	int rc = 0, step;
	bool first = true;
	if (sqlite3_prepare_v2(w->db, results_sql, -1, &q, NULL) != SQLITE_OK)
		return db_err(err, w->db, "reading results");
	sqlite3_bind_int64(q, 1, w->run_id);
	while ((step = sqlite3_step(q)) == SQLITE_ROW) {
		if (w->fmt == FMT_CSV) {
			/* The first cell is written without a leading comma. */
			char tmp[32];
			snprintf(tmp, sizeof tmp, "%lld",
				 (long long)sqlite3_column_int64(q, R_CASE));
			csv_field(w, tmp, true);
			if ((rc = csv_row(w, q, err)))
				break;
			continue;
		}
		buf_reset(&w->line);
		if (w->fmt == FMT_JSON && !first)
			buf_puts(&w->line, ",\n");
		else if (w->fmt == FMT_JSON)
			buf_putc(&w->line, '\n');
		first = false;
		if ((rc = j_result(w, q, err)))
			break;
		if (w->fmt == FMT_JSONL)
			buf_putc(&w->line, '\n');
		fwrite(w->line.p, 1, w->line.len, w->f);
	}
	if (!rc && step != SQLITE_DONE)
		rc = db_err(err, w->db, "reading results");
	sqlite3_finalize(q);
	return rc;
}

int report_write(struct store *st, int64_t run_id, const char *path,
		 struct err *err)
{
	struct writer w = { .db = store_db(st), .run_id = run_id };
	char *tmp = NULL;
	int rc;
	const char *ext = strrchr(path, '.');
	if (ext && !strchr(ext, '/') && strcasecmp(ext, ".html") == 0)
		return report_html_write(st, run_id, path, err);
	if ((rc = format_of(path, &w.fmt, err)))
		return rc;
	if (!w.db)
		return err_set(err, ST_INTERNAL, "report_write: no store");
	if ((rc = store_commit(st, err)))
		return rc;
	if ((rc = check_run(w.db, run_id, err)))
		return rc;
	if (sqlite3_prepare_v2(w.db, asserts_sql, -1, &w.asserts, NULL) !=
	    SQLITE_OK)
		return db_err(err, w.db, "reading assertions");
	tmp = xasprintf("%s.tmp", path);
	w.f = fopen(tmp, "wb");
	if (!w.f) {
		rc = err_set(err, ST_IO, "cannot write %s: %s", tmp,
			     strerror(errno));
		goto out;
	}
	if (w.fmt == FMT_JSON) {
		if ((rc = j_header(&w, st, err)))
			goto out;
		fwrite(w.line.p, 1, w.line.len, w.f);
	} else if (w.fmt == FMT_CSV) {
		if ((rc = csv_collect_vars(&w, err)))
			goto out;
		csv_header(&w);
	}
	if ((rc = stream_results(&w, err)))
		goto out;
	if (w.fmt == FMT_JSON)
		fputs("\n]}\n", w.f);
	if (fflush(w.f) != 0 || ferror(w.f)) {
		rc = err_set(err, ST_IO, "writing %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (fclose(w.f) != 0) {
		w.f = NULL;
		rc = err_set(err, ST_IO, "writing %s: %s", tmp, strerror(errno));
		goto out;
	}
	w.f = NULL;
	if (rename(tmp, path) != 0)
		rc = err_set(err, ST_IO, "cannot rename %s to %s: %s", tmp, path,
			     strerror(errno));
out:
	if (w.f)
		fclose(w.f);
	if (rc && tmp)
		unlink(tmp);
	free(tmp);
	for (size_t i = 0; i < w.n_vars; i++)
		free(w.vars[i]);
	free(w.vars);
	buf_free(&w.line);
	sqlite3_finalize(w.asserts);
	return rc;
}
