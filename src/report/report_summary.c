/* report_summary.c — the per provider × prompt summary of a run, computed
 * with SQL over the stored rows (never from what a run kept in memory, so
 * the summary of a resumed or partial run is as right as that of a clean
 * one), and its terminal table.
 *
 * Counting rules (docs/output.md):
 * - an infrastructure error (error_kind set) is neither a pass nor a fail
 *   and is left out of the pass rate and its Wilson interval;
 * - mean score and named metrics are over graded results;
 * - latency percentiles are over successful, non-cached responses (a cache
 *   hit measures the disk, not the provider), type 7 (R's default). */
#include "report.h"

#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "stats_report.h"
#include "../stats/stats.h"
#include "../util/xalloc.h"

static int db_err(struct err *err, sqlite3 *db, const char *what)
{
	return err_set(err, ST_DB, "%s: %s", what, sqlite3_errmsg(db));
}

static char *col_dup(sqlite3_stmt *q, int i)
{
	const unsigned char *t = sqlite3_column_text(q, i);
	return xstrdup(t ? (const char *)t : "");
}

static double col_real_or_nan(sqlite3_stmt *q, int i)
{
	return sqlite3_column_type(q, i) == SQLITE_NULL
		? NAN : sqlite3_column_double(q, i);
}

static const char *const groups_sql =
	"SELECT pv.idx, pr.idx, pv.provider_id, pv.label, pr.label,"
	" count(r.id),"
	" coalesce(sum(r.pass = 1), 0),"
	" coalesce(sum(r.pass = 0), 0),"
	" coalesce(sum(r.error_kind IS NOT NULL), 0),"
	" avg(CASE WHEN r.pass IS NOT NULL THEN r.score END),"
	" coalesce(sum(r.prompt_tokens), 0),"
	" coalesce(sum(r.completion_tokens), 0),"
	" coalesce(sum(r.cost_usd), 0)"
	" FROM run_providers pv JOIN run_prompts pr ON pr.run_id = pv.run_id"
	" LEFT JOIN results r ON r.run_id = pv.run_id"
	"  AND r.provider_idx = pv.idx AND r.prompt_idx = pr.idx"
	" WHERE pv.run_id = ?1"
	" GROUP BY pv.idx, pr.idx, pv.provider_id, pv.label, pr.label"
	" ORDER BY pv.idx, pr.idx";

static const char *const latency_sql =
	"SELECT latency_ms FROM results"
	" WHERE run_id = ?1 AND provider_idx = ?2 AND prompt_idx = ?3"
	"  AND error_kind IS NULL AND cached = 0 AND latency_ms IS NOT NULL"
	" ORDER BY latency_ms";

/* Mean of each named metric over the graded results that carry it. */
static const char *const named_sql =
	"SELECT r.provider_idx, r.prompt_idx, j.key, avg(j.value)"
	" FROM results r, json_each(r.named_scores_json) j"
	" WHERE r.run_id = ?1 AND r.pass IS NOT NULL"
	"  AND r.named_scores_json IS NOT NULL"
	" GROUP BY r.provider_idx, r.prompt_idx, j.key"
	" ORDER BY r.provider_idx, r.prompt_idx, j.key";

static int fill_latency(sqlite3 *db, int64_t run_id, struct summary *s,
			struct err *err)
{
	sqlite3_stmt *q = NULL;
	double *lat = NULL;
	size_t cap = 0;
	int rc = 0;
	if (sqlite3_prepare_v2(db, latency_sql, -1, &q, NULL) != SQLITE_OK)
		return db_err(err, db, "summary latency query");
	for (size_t i = 0; i < s->n_rows && !rc; i++) {
		struct summary_row *row = &s->rows[i];
		size_t n = 0;
		int step;
		sqlite3_reset(q);
		sqlite3_bind_int64(q, 1, run_id);
		sqlite3_bind_int(q, 2, row->provider_idx);
		sqlite3_bind_int(q, 3, row->prompt_idx);
		while ((step = sqlite3_step(q)) == SQLITE_ROW) {
			lat = xgrow(lat, &cap, n + 1, sizeof *lat);
			lat[n++] = sqlite3_column_double(q, 0);
		}
		if (step != SQLITE_DONE) {
			rc = db_err(err, db, "summary latency query");
			break;
		}
		stats_sort(lat, n);
		row->p50_ms = n ? stats_quantile_sorted(lat, n, 0.50) : NAN;
		row->p95_ms = n ? stats_quantile_sorted(lat, n, 0.95) : NAN;
	}
	free(lat);
	sqlite3_finalize(q);
	return rc;
}

static struct summary_row *find_row(struct summary *s, int prov, int prompt)
{
	for (size_t i = 0; i < s->n_rows; i++)
		if (s->rows[i].provider_idx == prov &&
		    s->rows[i].prompt_idx == prompt)
			return &s->rows[i];
	return NULL;
}

static int fill_named(sqlite3 *db, int64_t run_id, struct summary *s,
		      struct err *err)
{
	sqlite3_stmt *q = NULL;
	json_t **objs = xcalloc(s->n_rows ? s->n_rows : 1, sizeof *objs);
	int rc = 0, step;
	if (sqlite3_prepare_v2(db, named_sql, -1, &q, NULL) != SQLITE_OK) {
		rc = db_err(err, db, "summary metrics query");
		goto out;
	}
	sqlite3_bind_int64(q, 1, run_id);
	while ((step = sqlite3_step(q)) == SQLITE_ROW) {
		struct summary_row *row = find_row(s, sqlite3_column_int(q, 0),
						   sqlite3_column_int(q, 1));
		const unsigned char *key = sqlite3_column_text(q, 2);
		size_t k;
		if (!row || !key || sqlite3_column_type(q, 3) == SQLITE_NULL)
			continue;
		k = (size_t)(row - s->rows);
		if (!objs[k])
			objs[k] = json_object();
		json_object_set_new(objs[k], (const char *)key,
				    json_real(sqlite3_column_double(q, 3)));
	}
	if (step != SQLITE_DONE)
		rc = db_err(err, db, "summary metrics query");
	for (size_t i = 0; i < s->n_rows; i++) {
		s->rows[i].named_json = objs[i]
			? json_dumps(objs[i], JSON_COMPACT | JSON_REAL_PRECISION(10))
			: xstrdup("{}");
		if (!s->rows[i].named_json)
			s->rows[i].named_json = xstrdup("{}");
	}
out:
	for (size_t i = 0; i < s->n_rows; i++)
		json_decref(objs[i]);
	free(objs);
	sqlite3_finalize(q);
	return rc;
}

static int run_exists(sqlite3 *db, int64_t run_id)
{
	sqlite3_stmt *q = NULL;
	int found = 0;
	if (sqlite3_prepare_v2(db, "SELECT 1 FROM runs WHERE id = ?1", -1, &q,
			       NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_int64(q, 1, run_id);
	found = sqlite3_step(q) == SQLITE_ROW;
	sqlite3_finalize(q);
	return found;
}

int report_summary(struct store *st, int64_t run_id, struct summary *out,
		   struct err *err)
{
	sqlite3 *db = store_db(st);
	sqlite3_stmt *q = NULL;
	size_t cap = 0;
	int rc = 0, step;
	memset(out, 0, sizeof *out);
	out->run_id = run_id;
	if (!db)
		return err_set(err, ST_INTERNAL, "report_summary: no store");
	if (store_commit(st, err))
		return ST_DB;
	if (!run_exists(db, run_id))
		return err_set(err, ST_DB, "no run %lld in the store",
			       (long long)run_id);
	if (sqlite3_prepare_v2(db, groups_sql, -1, &q, NULL) != SQLITE_OK)
		return db_err(err, db, "summary query");
	sqlite3_bind_int64(q, 1, run_id);
	while ((step = sqlite3_step(q)) == SQLITE_ROW) {
		struct summary_row *r;
		long graded;
		out->rows = xgrow(out->rows, &cap, out->n_rows + 1,
				  sizeof *out->rows);
		r = &out->rows[out->n_rows++];
		memset(r, 0, sizeof *r);
		r->provider_idx = sqlite3_column_int(q, 0);
		r->prompt_idx = sqlite3_column_int(q, 1);
		r->provider_id = col_dup(q, 2);
		r->provider_label = col_dup(q, 3);
		r->prompt_label = col_dup(q, 4);
		r->n = (long)sqlite3_column_int64(q, 5);
		r->passes = (long)sqlite3_column_int64(q, 6);
		r->fails = (long)sqlite3_column_int64(q, 7);
		r->errors = (long)sqlite3_column_int64(q, 8);
		r->mean_score = col_real_or_nan(q, 9);
		r->prompt_tokens = (long)sqlite3_column_int64(q, 10);
		r->completion_tokens = (long)sqlite3_column_int64(q, 11);
		r->cost_usd = sqlite3_column_double(q, 12);
		graded = r->passes + r->fails;
		if (graded > 0) {
			struct interval ci = stats_wilson(r->passes, graded, 0.95);
			r->pass_rate = (double)r->passes / (double)graded;
			r->ci_lo = ci.lo;
			r->ci_hi = ci.hi;
		} else {
			r->pass_rate = r->ci_lo = r->ci_hi = NAN;
		}
		r->p50_ms = r->p95_ms = NAN;
		out->total += r->n;
		out->passes += r->passes;
		out->fails += r->fails;
		out->errors += r->errors;
	}
	if (step != SQLITE_DONE)
		rc = db_err(err, db, "summary query");
	sqlite3_finalize(q);
	if (!rc)
		rc = fill_latency(db, run_id, out, err);
	if (!rc)
		rc = fill_named(db, run_id, out, err);
	/* the same interval as the statistics section (stats_report.h);
	 * if that fails the Wilson intervals stay (never lose the table) */
	if (!rc) {
		struct err serr = {0};
		(void)report_stats_summary_ci(st, run_id, out, &serr);
	}
	if (rc)
		report_summary_free(out);
	return rc;
}

void report_summary_free(struct summary *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_rows; i++) {
		free(s->rows[i].provider_id);
		free(s->rows[i].provider_label);
		free(s->rows[i].prompt_label);
		free(s->rows[i].named_json);
	}
	free(s->rows);
	s->rows = NULL;
	s->n_rows = 0;
}

/* ------------------------------------------------------------ table */

enum { COL_PROVIDER, COL_PROMPT, COL_RATE, COL_PF, COL_ERR, COL_SCORE,
       COL_P50, COL_P95, COL_TOK, COL_COST, N_COLS };

#define LABEL_MAX_COLS 40

static const char *const col_names[N_COLS] = {
	"Provider", "Prompt", "Pass rate [95% CI]", "Pass/Fail", "Errors",
	"Score", "p50 ms", "p95 ms", "Tokens in/out", "Cost $"
};

/* One table line: owned cell texts (already escaped) and their colours. */
struct cells {
	char *text[N_COLS];
	const char *color[N_COLS];
};

static const char *rate_color(double rate)
{
	if (isnan(rate))
		return NULL;
	return rate >= 0.9 ? "\033[32m" : rate >= 0.5 ? "\033[33m" : "\033[31m";
}

/* The totals line pools different providers and prompts: that pooled
 * rate is a plain count, not an estimate of anything, so it gets no
 * interval (with_ci false). */
static char *fmt_rate(long passes, long fails, bool with_ci)
{
	long n = passes + fails;
	struct interval ci;
	if (n <= 0)
		return xstrdup("\xe2\x80\x94"); /* — */
	if (!with_ci)
		return xasprintf("%.1f%%", 100.0 * (double)passes / (double)n);
	ci = stats_wilson(passes, n, 0.95);
	return xasprintf("%.1f%% [%.1f\xe2\x80\x93%.1f]",
			 100.0 * (double)passes / (double)n, 100.0 * ci.lo,
			 100.0 * ci.hi);
}

static char *fmt_num(double v, const char *fmt)
{
	if (isnan(v))
		return xstrdup("\xe2\x80\x94");
	return xasprintf(fmt, v);
}

static char *escaped(const char *s)
{
	struct buf b = {0};
	report_term_escape(&b, s, LABEL_MAX_COLS);
	return buf_detach(&b);
}

static const char total_label[] = "Total";

static void fill_cells(struct cells *c, const char *prov, const char *prompt,
		       long passes, long fails, long errors, double score,
		       double p50, double p95, long tin, long tout, double cost)
{
	long graded = passes + fails;
	c->text[COL_PROVIDER] = escaped(prov);
	c->text[COL_PROMPT] = escaped(prompt);
	c->text[COL_RATE] = fmt_rate(passes, fails, prov != total_label);
	c->color[COL_RATE] = rate_color(graded ? (double)passes / (double)graded
					       : NAN);
	c->text[COL_PF] = xasprintf("%ld/%ld", passes, fails);
	c->text[COL_ERR] = xasprintf("%ld", errors);
	c->color[COL_ERR] = errors ? "\033[31m" : NULL;
	c->text[COL_SCORE] = fmt_num(score, "%.3f");
	c->text[COL_P50] = fmt_num(p50, "%.0f");
	c->text[COL_P95] = fmt_num(p95, "%.0f");
	c->text[COL_TOK] = xasprintf("%ld/%ld", tin, tout);
	c->text[COL_COST] = cost > 0 ? xasprintf("%.4f", cost)
				     : xstrdup("\xe2\x80\x94");
}

static void print_line(FILE *f, const struct cells *c, const size_t *w,
		       bool color, bool bold)
{
	for (int i = 0; i < N_COLS; i++) {
		size_t tw = report_text_width(c->text[i]);
		size_t pad = w[i] > tw ? w[i] - tw : 0;
		bool right = i >= COL_PF;
		const char *on = color ? (bold ? "\033[1m" : c->color[i]) : NULL;
		if (i)
			fputs("  ", f);
		if (right)
			fprintf(f, "%*s", (int)pad, "");
		if (on)
			fputs(on, f);
		fputs(c->text[i], f);
		if (on)
			fputs("\033[0m", f);
		if (!right && i != N_COLS - 1)
			fprintf(f, "%*s", (int)pad, "");
	}
	fputc('\n', f);
}

static void free_cells(struct cells *c)
{
	for (int i = 0; i < N_COLS; i++)
		free(c->text[i]);
}

void report_print_table(const struct summary *s, FILE *f, bool color)
{
	size_t n = s->n_rows + 2, w[N_COLS] = {0}, total_w = 0;
	struct cells *lines = xcalloc(n, sizeof *lines);
	long tin = 0, tout = 0;
	double cost = 0, score_sum = 0;
	long graded_all = 0;
	bool design = false;
	for (int i = 0; i < N_COLS; i++)
		lines[0].text[i] = xstrdup(col_names[i]);
	for (size_t r = 0; r < s->n_rows; r++) {
		const struct summary_row *row = &s->rows[r];
		long graded = row->passes + row->fails;
		fill_cells(&lines[r + 1], row->provider_label, row->prompt_label,
			   row->passes, row->fails, row->errors, row->mean_score,
			   row->p50_ms, row->p95_ms, row->prompt_tokens,
			   row->completion_tokens, row->cost_usd);
		if (graded > 0 && !isnan(row->ci_lo)) {
			struct cells *c = &lines[r + 1];
			free(c->text[COL_RATE]);
			c->text[COL_RATE] = xasprintf(
				"%.1f%% [%.1f\xe2\x80\x93%.1f]%s",
				100.0 * row->pass_rate, 100.0 * row->ci_lo,
				100.0 * row->ci_hi, row->ci_design ? "*" : "");
			design = design || row->ci_design;
		}
		tin += row->prompt_tokens;
		tout += row->completion_tokens;
		cost += row->cost_usd;
		if (graded && !isnan(row->mean_score)) {
			score_sum += row->mean_score * (double)graded;
			graded_all += graded;
		}
	}
	fill_cells(&lines[n - 1], total_label, "", s->passes, s->fails, s->errors,
		   graded_all ? score_sum / (double)graded_all : NAN, NAN, NAN,
		   tin, tout, cost);
	free(lines[n - 1].text[COL_P50]);
	free(lines[n - 1].text[COL_P95]);
	lines[n - 1].text[COL_P50] = xstrdup("");
	lines[n - 1].text[COL_P95] = xstrdup("");
	for (size_t r = 0; r < n; r++)
		for (int i = 0; i < N_COLS; i++) {
			size_t tw = report_text_width(lines[r].text[i]);
			if (tw > w[i])
				w[i] = tw;
		}
	for (int i = 0; i < N_COLS; i++)
		total_w += w[i] + (i ? 2 : 0);
	print_line(f, &lines[0], w, color, true);
	for (size_t i = 0; i < total_w; i++)
		fputs("\xe2\x94\x80", f); /* ─ */
	fputc('\n', f);
	for (size_t r = 1; r + 1 < n; r++)
		print_line(f, &lines[r], w, color, false);
	for (size_t i = 0; i < total_w; i++)
		fputs("\xe2\x94\x80", f);
	fputc('\n', f);
	print_line(f, &lines[n - 1], w, color, false);
	if (s->errors)
		fprintf(f, "%ld of %ld results were infrastructure errors "
			   "(timeouts, HTTP or transport failures): they are "
			   "not counted as failures nor in the pass rate.\n",
			s->errors, s->total);
	if (design)
		fprintf(f, "* pass-rate interval adjusted for clusters/repeats "
			   "(design effect; see the Statistics section)\n");
	for (size_t r = 0; r < n; r++)
		free_cells(&lines[r]);
	free(lines);
}
