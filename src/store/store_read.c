/* store_read.c — the read half of store.h: cases, prompts, providers,
 * results streamed in key order, assertion rows, the per-group
 * aggregates the summary needs and the statistics' columns.  Each walk is
 * one cursor of the statement layer (db.h); a row is handed to the
 * callback as pointers into the column buffers, valid until the callback
 * returns, so memory does not grow with the number of rows.  Reads commit
 * the open write batch first so they see every put.
 *
 * The SQL is shared by both backends (sums of CASE rather than of
 * booleans); only the named-metric means differ (SQLite's json_each,
 * PostgreSQL's jsonb_each), chosen by db_kind(), and SQLite's assertion
 * failure counts are counted by store_afails.c rather than sorted by a
 * GROUP BY. */
#include "store_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/xalloc.h"

const char *sti_text(struct db_stmt *q, int i)
{
	return db_col_text(q, i);
}

char *sti_dup(struct db_stmt *q, int i, bool empty)
{
	const char *t = sti_text(q, i);
	if (!t)
		return empty ? xstrdup("") : NULL;
	return xstrdup(t);
}

static double col_real(struct db_stmt *q, int i)
{
	return db_col_null(q, i)
		? NAN : db_col_double(q, i);
}

static long col_count(struct db_stmt *q, int i)
{
	return db_col_null(q, i)
		? -1 : (long)db_col_int(q, i);
}

static size_t col_idx(struct db_stmt *q, int i)
{
	int64_t v = db_col_int(q, i);
	return v < 0 ? 0 : (size_t)v;
}

/* Prepares `sql` with ?1 bound to `id` after committing the open batch. */
static int open_walk(struct store *st, const char *sql, int64_t id,
		     struct db_stmt **q, struct err *err)
{
	int rc;
	*q = NULL;
	if ((rc = store_commit(st, err)) || (rc = sti_prepare(st, sql, q, err)))
		return rc;
	db_bind_int(*q, 1, id);
	return 0;
}

/* Steps q to the end, calling row(ud, q) per row; finalizes q. */
static int walk(struct store *st, struct db_stmt *q, const char *what,
		int (*row)(struct db_stmt *q, void *ctx), void *ctx,
		struct err *err)
{
	int step, rc = 0;
	while ((step = db_step(q, err)) == DB_ROW)
		if ((rc = row(q, ctx)))
			break;
	if (!rc && step != DB_DONE)
		rc = sti_fail(st, err, what);
	db_finalize(q);
	return rc;
}

/* ------------------------------------------------------------- cases */

/* The callback of one walk and its user data. */
struct ctx {
	union {
		int (*kase)(void *, const struct store_case *);
		int (*prompt)(void *, const struct store_prompt *);
		int (*provider)(void *, const struct store_provider *);
		int (*result)(void *, const struct store_result *);
		int (*assertion)(void *, const struct store_assert *);
		int (*group)(void *, const struct store_group *);
	} cb;
	void *ud;
};

static int case_row(struct db_stmt *q, void *vctx)
{
	struct ctx *c = vctx;
	struct store_case r = {
		.idx = col_idx(q, 0),
		.description = sti_text(q, 1),
		.vars_json = sti_text(q, 2),
		.metadata_json = sti_text(q, 3),
		.n_asserts = col_count(q, 4),
		.case_key = sti_text(q, 5),
		.case_hash = sti_text(q, 6),
	};
	return c->cb.kase(c->ud, &r);
}

int store_cases_each(struct store *st, int64_t run_id,
		     int (*cb)(void *ud, const struct store_case *c), void *ud,
		     struct err *err)
{
	struct db_stmt *q;
	struct ctx c = { .cb.kase = cb, .ud = ud };
	int rc = open_walk(st, "SELECT idx, description, vars_json,"
			   " metadata_json, n_asserts, case_key, case_hash"
			   " FROM cases"
			   " WHERE run_id = ?1 ORDER BY idx", run_id, &q, err);
	return rc ? rc : walk(st, q, "reading cases", case_row, &c, err);
}

static int prompt_row(struct db_stmt *q, void *vctx)
{
	struct ctx *c = vctx;
	struct store_prompt r = {
		.idx = col_idx(q, 0),
		.label = sti_text(q, 1),
		.raw = sti_text(q, 2),
		.is_chat = db_col_int(q, 3) != 0,
	};
	return c->cb.prompt(c->ud, &r);
}

int store_prompts_each(struct store *st, int64_t run_id,
		       int (*cb)(void *ud, const struct store_prompt *p),
		       void *ud, struct err *err)
{
	struct db_stmt *q;
	struct ctx c = { .cb.prompt = cb, .ud = ud };
	int rc = open_walk(st, "SELECT idx, label, raw, is_chat FROM run_prompts"
			   " WHERE run_id = ?1 ORDER BY idx", run_id, &q, err);
	return rc ? rc : walk(st, q, "reading prompts", prompt_row, &c, err);
}

static int provider_row(struct db_stmt *q, void *vctx)
{
	struct ctx *c = vctx;
	struct store_provider r = {
		.idx = col_idx(q, 0),
		.id = sti_text(q, 1),
		.label = sti_text(q, 2),
		.config_json = sti_text(q, 3),
		.key = sti_text(q, 4),
	};
	return c->cb.provider(c->ud, &r);
}

int store_providers_each(struct store *st, int64_t run_id,
			 int (*cb)(void *ud, const struct store_provider *p),
			 void *ud, struct err *err)
{
	struct db_stmt *q;
	struct ctx c = { .cb.provider = cb, .ud = ud };
	int rc = open_walk(st, "SELECT idx, provider_id, label, config_json,"
			   " provider_key FROM"
			   " run_providers WHERE run_id = ?1 ORDER BY idx",
			   run_id, &q, err);
	return rc ? rc : walk(st, q, "reading providers", provider_row, &c, err);
}

/* ----------------------------------------------------------- results */

/* Columns of results_sql, in order. */
enum {
	R_ID, R_CASE, R_DESC, R_VARS, R_PROMPT_IDX, R_PROMPT_LABEL,
	R_PROVIDER_IDX, R_PROVIDER_ID, R_PROVIDER_LABEL, R_REPEAT, R_PROMPT,
	R_OUTPUT, R_ERR_KIND, R_ERR_MSG, R_HTTP, R_PASS, R_SCORE, R_REASON,
	R_NAMED, R_LATENCY, R_TTFT, R_TOK_P, R_TOK_C, R_TOK_T, R_COST,
	R_FINISH, R_STARTED, R_RETRIES, R_CACHED, R_WAIT, R_JCALLS, R_JCOST,
	R_JLAT, R_CONF, R_KEY, R_META, R_SERVED
};

/* Ordered by the results' unique index, so SQLite needs no sort. */
static const char *const results_sql =
	"SELECT r.id, r.case_idx, c.description, c.vars_json, r.prompt_idx,"
	" pr.label, r.provider_idx, pv.provider_id, pv.label, r.repeat,"
	" r.prompt_text, r.output, r.error_kind, r.error_msg, r.http_status,"
	" r.pass, r.score, r.reason, r.named_scores_json, r.latency_ms,"
	" r.ttft_ms, r.prompt_tokens, r.completion_tokens, r.total_tokens,"
	" r.cost_usd, r.finish_reason, r.started_at, r.retries, r.cached,"
	" r.retry_wait_ms, r.judge_calls, r.judge_cost_usd, r.judge_latency_ms,"
	" r.confidence, r.item_key, c.metadata_json, r.served_model"
	" FROM results r"
	" LEFT JOIN cases c ON c.run_id = r.run_id AND c.idx = r.case_idx"
	" LEFT JOIN run_prompts pr ON pr.run_id = r.run_id AND pr.idx = r.prompt_idx"
	" LEFT JOIN run_providers pv ON pv.run_id = r.run_id"
	"  AND pv.idx = r.provider_idx"
	" WHERE r.run_id = ?1"
	" ORDER BY r.run_id, r.case_idx, r.prompt_idx, r.provider_idx, r.repeat";

static int result_row(struct db_stmt *q, void *vctx)
{
	struct ctx *c = vctx;
	struct store_result r = {
		.id = db_col_int(q, R_ID),
		.case_idx = col_idx(q, R_CASE),
		.prompt_idx = col_idx(q, R_PROMPT_IDX),
		.provider_idx = col_idx(q, R_PROVIDER_IDX),
		.repeat = db_col_int(q, R_REPEAT),
		.item_key = sti_text(q, R_KEY),
		.metadata_json = sti_text(q, R_META),
		.served_model = sti_text(q, R_SERVED),
		.case_description = sti_text(q, R_DESC),
		.vars_json = sti_text(q, R_VARS),
		.prompt_label = sti_text(q, R_PROMPT_LABEL),
		.provider_id = sti_text(q, R_PROVIDER_ID),
		.provider_label = sti_text(q, R_PROVIDER_LABEL),
		.prompt_text = sti_text(q, R_PROMPT),
		.output = sti_text(q, R_OUTPUT),
		.error_kind = sti_text(q, R_ERR_KIND),
		.error_msg = sti_text(q, R_ERR_MSG),
		.finish_reason = sti_text(q, R_FINISH),
		.started_at = sti_text(q, R_STARTED),
		.reason = sti_text(q, R_REASON),
		.named_json = sti_text(q, R_NAMED),
		.http_status = col_count(q, R_HTTP),
		.pass = db_col_null(q, R_PASS)
			? -1 : db_col_int(q, R_PASS) != 0,
		.score = col_real(q, R_SCORE),
		.latency_ms = col_real(q, R_LATENCY),
		.ttft_ms = col_real(q, R_TTFT),
		.cost_usd = col_real(q, R_COST),
		.retry_wait_ms = col_real(q, R_WAIT),
		.judge_cost_usd = col_real(q, R_JCOST),
		.judge_latency_ms = col_real(q, R_JLAT),
		.confidence = col_real(q, R_CONF),
		.prompt_tokens = col_count(q, R_TOK_P),
		.completion_tokens = col_count(q, R_TOK_C),
		.total_tokens = col_count(q, R_TOK_T),
		.retries = col_count(q, R_RETRIES),
		.judge_calls = col_count(q, R_JCALLS),
		.cached = db_col_int(q, R_CACHED) != 0,
	};
	return c->cb.result(c->ud, &r);
}

int store_results_each(struct store *st, int64_t run_id,
		       int (*cb)(void *ud, const struct store_result *r),
		       void *ud, struct err *err)
{
	struct db_stmt *q;
	struct ctx c = { .cb.result = cb, .ud = ud };
	int rc = open_walk(st, results_sql, run_id, &q, err);
	return rc ? rc : walk(st, q, "reading results", result_row, &c, err);
}

static int assert_row(struct db_stmt *q, void *vctx)
{
	struct ctx *c = vctx;
	struct store_assert a = {
		.idx = col_idx(q, 0),
		.type = sti_text(q, 1),
		.pass = db_col_int(q, 2) != 0,
		.score = col_real(q, 3),
		.reason = sti_text(q, 4),
		.weight = col_real(q, 5),
		.metric = sti_text(q, 6),
		.severity = col_real(q, 7),
	};
	return c->cb.assertion(c->ud, &a);
}

int store_asserts_each(struct store *st, int64_t result_id,
		       int (*cb)(void *ud, const struct store_assert *a),
		       void *ud, struct err *err)
{
	struct db_stmt *q;
	struct ctx c = { .cb.assertion = cb, .ud = ud };
	int rc;
	/* No commit here: callers walk assertions inside a results walk. */
	if ((rc = sti_prepare(st, "SELECT idx, type, pass, score, reason,"
			      " weight, metric, severity FROM assertion_results"
			      " WHERE result_id = ?1 ORDER BY idx", &q, err)))
		return rc;
	db_bind_int(q, 1, result_id);
	return walk(st, q, "reading assertions", assert_row, &c, err);
}

/* ------------------------------------------------------------ groups */

static const char *const groups_sql =
	"SELECT pv.idx, pr.idx, pv.provider_id, pv.label, pr.label,"
	" count(r.id),"
	" coalesce(sum(CASE WHEN r.pass = 1 THEN 1 ELSE 0 END), 0),"
	" coalesce(sum(CASE WHEN r.pass = 0 THEN 1 ELSE 0 END), 0),"
	" coalesce(sum(CASE WHEN r.error_kind IS NOT NULL THEN 1 ELSE 0 END),"
	"  0),"
	" avg(CASE WHEN r.pass IS NOT NULL THEN r.score END),"
	" coalesce(sum(r.prompt_tokens), 0),"
	" coalesce(sum(r.completion_tokens), 0),"
	" coalesce(sum(r.cost_usd), 0),"
	" coalesce(sum(CASE WHEN r.error_kind IS NOT NULL"
	"  AND r.error_msg LIKE 'grading failed:%' THEN 1 ELSE 0 END), 0)"
	" FROM run_providers pv JOIN run_prompts pr ON pr.run_id = pv.run_id"
	" LEFT JOIN results r ON r.run_id = pv.run_id"
	"  AND r.provider_idx = pv.idx AND r.prompt_idx = pr.idx"
	" WHERE pv.run_id = ?1"
	" GROUP BY pv.idx, pr.idx, pv.provider_id, pv.label, pr.label"
	" ORDER BY pv.idx, pr.idx";

static int group_row(struct db_stmt *q, void *vctx)
{
	struct ctx *c = vctx;
	struct store_group g = {
		.provider_idx = col_idx(q, 0),
		.prompt_idx = col_idx(q, 1),
		.provider_id = sti_text(q, 2),
		.provider_label = sti_text(q, 3),
		.prompt_label = sti_text(q, 4),
		.n = (long)db_col_int(q, 5),
		.passes = (long)db_col_int(q, 6),
		.fails = (long)db_col_int(q, 7),
		.errors = (long)db_col_int(q, 8),
		.mean_score = col_real(q, 9),
		.prompt_tokens = (long)db_col_int(q, 10),
		.completion_tokens = (long)db_col_int(q, 11),
		.cost_usd = db_col_double(q, 12),
		.grade_errors = (long)db_col_int(q, 13),
	};
	return c->cb.group(c->ud, &g);
}

int store_groups_each(struct store *st, int64_t run_id,
		      int (*cb)(void *ud, const struct store_group *g),
		      void *ud, struct err *err)
{
	struct db_stmt *q;
	struct ctx c = { .cb.group = cb, .ud = ud };
	int rc = open_walk(st, groups_sql, run_id, &q, err);
	return rc ? rc : walk(st, q, "reading the summary", group_row, &c, err);
}

int store_run_has_design(struct store *st, int64_t run_id, bool *out,
			 struct err *err)
{
	struct db_stmt *q;
	int rc = open_walk(st, "SELECT EXISTS (SELECT 1 FROM results"
			   " WHERE run_id = ?1 AND repeat <> 0)"
			   " OR EXISTS (SELECT 1 FROM cases WHERE run_id = ?1"
			   " AND metadata_json LIKE '%cluster%')", run_id, &q,
			   err);
	*out = true;
	if (rc)
		return rc;
	if (db_step(q, err) == DB_ROW)
		*out = db_col_int(q, 0) != 0;
	else
		rc = sti_fail(st, err, "reading the run's design");
	db_finalize(q);
	return rc;
}

int store_group_latencies(struct store *st, int64_t run_id,
			  size_t provider_idx, size_t prompt_idx, double **out,
			  size_t *n, struct err *err)
{
	struct db_stmt *q = NULL;
	size_t cap = 0;
	int rc, step;
	*out = NULL;
	*n = 0;
	if ((rc = open_walk(st, "SELECT latency_ms FROM results"
			    " WHERE run_id = ?1 AND provider_idx = ?2"
			    " AND prompt_idx = ?3 AND error_kind IS NULL"
			    " AND cached = 0 AND latency_ms IS NOT NULL"
			    " ORDER BY latency_ms", run_id, &q, err)))
		return rc;
	db_bind_int(q, 2, (int64_t)provider_idx);
	db_bind_int(q, 3, (int64_t)prompt_idx);
	while ((step = db_step(q, err)) == DB_ROW) {
		*out = xgrow(*out, &cap, *n + 1, sizeof **out);
		(*out)[(*n)++] = db_col_double(q, 0);
	}
	if (step != DB_DONE) {
		rc = sti_fail(st, err, "reading latencies");
		free(*out);
		*out = NULL;
		*n = 0;
	}
	db_finalize(q);
	return rc;
}

struct metric_ctx {
	int (*cb)(void *, size_t, size_t, const char *, double, double);
	void *ud;
};

static int metric_row(struct db_stmt *q, void *vctx)
{
	struct metric_ctx *c = vctx;
	if (!sti_text(q, 2) || db_col_null(q, 3))
		return 0;
	return c->cb(c->ud, col_idx(q, 0), col_idx(q, 1), sti_text(q, 2),
		     db_col_double(q, 3), db_col_double(q, 4));
}

int store_group_metrics_each(struct store *st, int64_t run_id,
			     int (*cb)(void *ud, size_t provider_idx,
				       size_t prompt_idx, const char *metric,
				       double mean, double sum),
			     void *ud, struct err *err)
{
	struct db_stmt *q;
	struct metric_ctx c = { cb, ud };
	/* The JSON functions differ.  Both average and sum the numeric
	 * members only (a text member would count as 0 in SQLite's avg) and
	 * order keys bytewise (unit test store_group_metrics_means[_pg]). */
	int rc = open_walk(st, db_kind(st->db) == DB_PG
			   ? "SELECT r.provider_idx, r.prompt_idx, j.key,"
			     " avg(CAST(j.value #>> '{}' AS DOUBLE PRECISION)),"
			     " sum(CAST(j.value #>> '{}' AS DOUBLE PRECISION))"
			     " FROM results r,"
			     " jsonb_each(CAST(r.named_scores_json AS jsonb)) j"
			     " WHERE r.run_id = ?1 AND r.pass IS NOT NULL"
			     "  AND r.named_scores_json IS NOT NULL"
			     "  AND jsonb_typeof(j.value) = 'number'"
			     " GROUP BY r.provider_idx, r.prompt_idx, j.key"
			     " ORDER BY r.provider_idx, r.prompt_idx,"
			     " j.key COLLATE \"C\""
			   : "SELECT r.provider_idx, r.prompt_idx, j.key,"
			     " avg(j.value), sum(j.value)"
			     " FROM results r, json_each(r.named_scores_json) j"
			     " WHERE r.run_id = ?1 AND r.pass IS NOT NULL"
			     "  AND r.named_scores_json IS NOT NULL"
			     "  AND j.type IN ('integer', 'real')"
			     " GROUP BY r.provider_idx, r.prompt_idx, j.key"
			     " ORDER BY r.provider_idx, r.prompt_idx, j.key",
			   run_id, &q, err);
	return rc ? rc : walk(st, q, "reading metrics", metric_row, &c, err);
}

/* ------------------------------------------------- reads for statistics */

/* Columns of figures_sql, in order. */
enum {
	F_PROV, F_PROMPT, F_CASE, F_REPEAT, F_PASS, F_SCORE, F_ERROR, F_LAT,
	F_TTFT, F_TOK_P, F_TOK_C, F_COST, F_RETRIES, F_CACHED, F_NAMED,
	F_OUTPUT, F_JCOST, F_CONF, F_SEV, F_UNRATED
};

/* ?2 = 1 asks for the output, ?3 = 1 for the failing assertions'
 * severities.  Ordered as results_by_group (figures_sql) or as the
 * results' unique index (figures_case_sql).  Column 6: 0 no error, 1
 * infrastructure error, 2 grading error (the engine records "grading
 * failed: ..." for assay's grader or a judge). */
#define FIGURES_SQL \
	"SELECT provider_idx, prompt_idx, case_idx, repeat, pass, score," \
	" CASE WHEN error_kind IS NULL THEN 0" \
	"  WHEN error_msg LIKE 'grading failed:%' THEN 2 ELSE 1 END," \
	" latency_ms, ttft_ms, prompt_tokens," \
	" completion_tokens, cost_usd, retries, cached, named_scores_json," \
	" CASE WHEN ?2 = 1 THEN output END, judge_cost_usd, confidence," \
	" CASE WHEN ?3 = 1 AND pass = 0 THEN (SELECT max(severity) FROM" \
	"  assertion_results WHERE result_id = results.id AND pass = 0) END," \
	" CASE WHEN ?3 = 1 AND pass = 0 THEN (SELECT count(*) FROM" \
	"  assertion_results WHERE result_id = results.id AND pass = 0 AND" \
	"  severity IS NULL) END" \
	" FROM results WHERE run_id = ?1"
static const char *const figures_sql =
	FIGURES_SQL " ORDER BY provider_idx, prompt_idx, case_idx, repeat";
/* STORE_FIG_CASE_ORDER: the results' unique index's order, no sort */
static const char *const figures_case_sql =
	FIGURES_SQL " ORDER BY case_idx, prompt_idx, provider_idx, repeat";

struct fig_ctx {
	int (*cb)(void *, const struct store_figures *);
	void *ud;
};

static int figures_row(struct db_stmt *q, void *vctx)
{
	struct fig_ctx *c = vctx;
	struct store_figures f = {
		.provider_idx = col_idx(q, F_PROV),
		.prompt_idx = col_idx(q, F_PROMPT),
		.case_idx = col_idx(q, F_CASE),
		.repeat = db_col_int(q, F_REPEAT),
		.pass = db_col_null(q, F_PASS)
			? -1 : db_col_int(q, F_PASS) != 0,
		.error = db_col_int(q, F_ERROR),
		.score = col_real(q, F_SCORE),
		.latency_ms = col_real(q, F_LAT),
		.ttft_ms = col_real(q, F_TTFT),
		.cost_usd = col_real(q, F_COST),
		.judge_cost_usd = col_real(q, F_JCOST),
		.confidence = col_real(q, F_CONF),
		.prompt_tokens = col_count(q, F_TOK_P),
		.completion_tokens = col_count(q, F_TOK_C),
		.retries = col_count(q, F_RETRIES),
		.cached = db_col_int(q, F_CACHED) != 0,
		.named_json = sti_text(q, F_NAMED),
		.output = sti_text(q, F_OUTPUT),
		.output_len = (size_t)db_col_bytes(q, F_OUTPUT),
		.fail_severity = col_real(q, F_SEV),
		.fail_unrated = col_count(q, F_UNRATED),
	};
	return c->cb(c->ud, &f);
}

int store_figures_each(struct store *st, int64_t run_id, unsigned flags,
		       int (*cb)(void *ud, const struct store_figures *f),
		       void *ud, struct err *err)
{
	struct db_stmt *q;
	struct fig_ctx c = { cb, ud };
	int rc = open_walk(st, flags & STORE_FIG_CASE_ORDER ? figures_case_sql
			   : figures_sql, run_id, &q, err);
	if (rc)
		return rc;
	db_bind_int(q, 2, (flags & STORE_FIG_OUTPUT) != 0);
	db_bind_int(q, 3, (flags & STORE_FIG_SEVERITY) != 0);
	return walk(st, q, "reading results", figures_row, &c, err);
}

static int any_row(struct db_stmt *q, void *vctx)
{
	(void)q;
	*(bool *)vctx = true;
	return 0;
}

int store_run_has_severity(struct store *st, int64_t run_id, bool *any,
			   struct err *err)
{
	struct db_stmt *q;
	int rc = open_walk(st, "SELECT 1 FROM results r"
			   " JOIN assertion_results a ON a.result_id = r.id"
			   " WHERE r.run_id = ?1 AND a.severity IS NOT NULL"
			   " LIMIT 1", run_id, &q, err);
	*any = false;
	return rc ? rc : walk(st, q, "reading assertions", any_row, any, err);
}

struct afail_ctx {
	int (*cb)(void *, size_t, size_t, const char *, const char *, long,
		  long);
	void *ud;
	bool *any_severity;
};

static int afail_row(struct db_stmt *q, void *vctx)
{
	struct afail_ctx *c = vctx;
	const char *type = sti_text(q, 2);
	if (c->any_severity && db_col_int(q, 6))
		*c->any_severity = true;
	return c->cb(c->ud, col_idx(q, 0), col_idx(q, 1), type ? type : "?",
		     sti_text(q, 3), (long)db_col_int(q, 4),
		     (long)db_col_int(q, 5));
}

int store_assert_fails_each(struct store *st, int64_t run_id,
			    int (*cb)(void *ud, size_t provider_idx,
				      size_t prompt_idx, const char *type,
				      const char *metric, long fails,
				      long total),
			    void *ud, struct err *err)
{
	return store_assert_fails_sev_each(st, run_id, cb, ud, NULL, err);
}

int store_assert_fails_sev_each(struct store *st, int64_t run_id,
				int (*cb)(void *ud, size_t provider_idx,
					  size_t prompt_idx, const char *type,
					  const char *metric, long fails,
					  long total),
				void *ud, bool *any_severity, struct err *err)
{
	if (any_severity)
		*any_severity = false;
	if (db_kind(st->db) == DB_SQLITE)
		return sti_assert_fails_counted(st, run_id, cb, ud,
						any_severity, err);
	return sti_assert_fails_sql(st, run_id, cb, ud, any_severity, err);
}

int sti_assert_fails_sql(struct store *st, int64_t run_id,
			 int (*cb)(void *ud, size_t provider_idx,
				   size_t prompt_idx, const char *type,
				   const char *metric, long fails, long total),
			 void *ud, bool *any_severity, struct err *err)
{
	struct db_stmt *q;
	struct afail_ctx c = { cb, ud, any_severity };
	int rc;
	if (any_severity)
		*any_severity = false;
	rc = open_walk(st, "SELECT r.provider_idx, r.prompt_idx, a.type,"
			   " a.metric,"
			   " sum(CASE WHEN a.pass = 0 THEN 1 ELSE 0 END),"
			   " count(*),"
			   " max(CASE WHEN a.severity IS NOT NULL THEN 1 ELSE 0 END)"
			   " FROM assertion_results a JOIN results r"
			   " ON r.id = a.result_id WHERE r.run_id = ?1"
			   " GROUP BY r.provider_idx, r.prompt_idx, a.type,"
			   " a.metric"
			   " ORDER BY 1, 2, 5 DESC, 3 NULLS FIRST,"
			   " 4 NULLS FIRST", run_id, &q, err);
	return rc ? rc : walk(st, q, "reading assertions", afail_row, &c, err);
}

int store_read_cache(struct store *st, long kib, struct err *err)
{
	char sql[64];
	if (db_kind(st->db) != DB_SQLITE || kib <= 0)
		return 0;
	/* negative: a size in KiB, not in pages */
	snprintf(sql, sizeof sql, "PRAGMA cache_size=-%ld", kib);
	return sti_exec(st, sql, err);
}
