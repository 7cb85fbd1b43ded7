/* report_summary.c — the per provider × prompt summary of a run, computed
 * from the stored rows through the store's read API (never from what a
 * run kept in memory, so the summary of a resumed or partial run is as
 * right as that of a clean one), and its terminal table.
 *
 * Counting rules (docs/output.md):
 * - an infrastructure error (error_kind set) is neither a pass nor a fail
 *   and is left out of the pass rate and its Wilson interval; a grading
 *   error (stored as "grading failed: ...") likewise, counted apart;
 * - mean score and named metrics are over graded results (means); the
 *   suite's derivedMetrics are computed from the metrics' sums, as
 *   promptfoo computes them;
 * - latency percentiles are over successful, non-cached responses (a cache
 *   hit measures the disk, not the provider), type 7 (R's default). */
#include "report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats_report.h"
#include "../stats/stats.h"
#include "../util/expr.h"
#include "../util/xalloc.h"

struct sum_ctx {
	struct summary *s;
	size_t cap;
	json_t **objs;      /* named metrics per row: means */
	json_t **sums;      /* and sums (promptfoo's namedScores) */
};

static int on_group(void *ud, const struct store_group *g)
{
	struct sum_ctx *c = ud;
	struct summary *out = c->s;
	struct summary_row *r;
	long graded;
	out->rows = xgrow(out->rows, &c->cap, out->n_rows + 1, sizeof *out->rows);
	r = &out->rows[out->n_rows++];
	memset(r, 0, sizeof *r);
	r->provider_idx = (int)g->provider_idx;
	r->prompt_idx = (int)g->prompt_idx;
	r->provider_id = xstrdup(g->provider_id ? g->provider_id : "");
	r->provider_label = xstrdup(g->provider_label ? g->provider_label : "");
	r->prompt_label = xstrdup(g->prompt_label ? g->prompt_label : "");
	r->n = g->n;
	r->passes = g->passes;
	r->fails = g->fails;
	r->grade_errors = g->grade_errors;
	r->errors = g->errors - g->grade_errors;
	r->mean_score = g->mean_score;
	r->prompt_tokens = g->prompt_tokens;
	r->completion_tokens = g->completion_tokens;
	r->cost_usd = g->cost_usd;
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
	out->grade_errors += r->grade_errors;
	return 0;
}

static struct summary_row *find_row(struct summary *s, size_t prov,
				    size_t prompt)
{
	for (size_t i = 0; i < s->n_rows; i++)
		if ((size_t)s->rows[i].provider_idx == prov &&
		    (size_t)s->rows[i].prompt_idx == prompt)
			return &s->rows[i];
	return NULL;
}

static int on_metric(void *ud, size_t prov, size_t prompt, const char *metric,
		     double mean, double sum)
{
	struct sum_ctx *c = ud;
	struct summary_row *row = find_row(c->s, prov, prompt);
	size_t k;
	if (!row)
		return 0;
	k = (size_t)(row - c->s->rows);
	if (!c->objs[k])
		c->objs[k] = json_object();
	json_object_set_new(c->objs[k], metric, json_real(mean));
	if (!c->sums[k])
		c->sums[k] = json_object();
	json_object_set_new(c->sums[k], metric, json_real(sum));
	return 0;
}

/* promptfoo's derivedMetrics (the suite's, as stored with the run): each
 * formula evaluated in order over the row's metric sums — promptfoo's
 * namedScores are sums over the results — with the metrics derived
 * before it in scope; a formula that cannot be evaluated (a metric no
 * result has) gives 0, as promptfoo's does.  The values join `named`
 * (a non-finite one as null). */
static void add_derived(const char *suite_json, json_t *named, json_t *sums,
			char **derived_json)
{
	json_t *only = json_object();
	json_t *suite = suite_json ? json_loads(suite_json, 0, NULL) : NULL;
	json_t *list = json_object_get(suite, "derivedMetrics"), *m;
	json_t *scope = sums ? json_copy(sums) : json_object();
	size_t i;
	json_array_foreach(list, i, m) {
		const char *name = json_string_value(json_object_get(m, "name"));
		const char *f = json_string_value(json_object_get(m, "value"));
		char why[256];
		size_t at;
		double v = 0;
		if (!name || !f)
			continue;
		if (expr_eval(f, scope, &v, why, sizeof why, &at))
			v = 0;
		json_object_set_new(scope, name, json_real(v));
		json_object_set_new(named, name, isfinite(v) ? json_real(v)
							     : json_null());
		json_object_set_new(only, name, isfinite(v) ? json_real(v)
							    : json_null());
	}
	*derived_json = json_dumps(only, JSON_COMPACT | JSON_REAL_PRECISION(10));
	json_decref(only);
	json_decref(scope);
	json_decref(suite);
}

static int fill_latency(struct store *st, int64_t run_id, struct summary *s,
			struct err *err)
{
	static const double qs[2] = { 0.50, 0.95 };
	for (size_t i = 0; i < s->n_rows; i++) {
		struct summary_row *row = &s->rows[i];
		double out[2];
		size_t n;
		/* bounded memory whatever the run's size (store_quantile.c) */
		int rc = store_group_latency_quantiles(st, run_id,
						       (size_t)row->provider_idx,
						       (size_t)row->prompt_idx,
						       qs, 2, out, &n, err);
		if (rc)
			return rc;
		row->p50_ms = n ? out[0] : NAN;
		row->p95_ms = n ? out[1] : NAN;
	}
	return 0;
}

int report_summary(struct store *st, int64_t run_id, struct summary *out,
		   struct err *err)
{
	struct sum_ctx c = { .s = out };
	struct store_run run;
	int rc;
	memset(out, 0, sizeof *out);
	out->run_id = run_id;
	if (!st)
		return err_set(err, ST_INTERNAL, "report_summary: no store");
	/* the record only (its suite): not the counts, which read every
	 * result row of the run */
	if ((rc = store_run_get_brief(st, run_id, &run, err)))
		return rc;
	if ((rc = store_groups_each(st, run_id, on_group, &c, err)))
		goto out;
	if ((rc = fill_latency(st, run_id, out, err)))
		goto out;
	c.objs = xcalloc(out->n_rows ? out->n_rows : 1, sizeof *c.objs);
	c.sums = xcalloc(out->n_rows ? out->n_rows : 1, sizeof *c.sums);
	rc = store_group_metrics_each(st, run_id, on_metric, &c, err);
	for (size_t i = 0; i < out->n_rows; i++) {
		if (run.suite_json && strstr(run.suite_json, "\"derivedMetrics\"")) {
			if (!c.objs[i])
				c.objs[i] = json_object();
			add_derived(run.suite_json, c.objs[i], c.sums[i],
				    &out->rows[i].derived_json);
		}
		json_decref(c.sums[i]);
		out->rows[i].named_json = c.objs[i]
			? json_dumps(c.objs[i], JSON_COMPACT | JSON_REAL_PRECISION(10))
			: NULL;
		if (!out->rows[i].named_json)
			out->rows[i].named_json = xstrdup("{}");
		json_decref(c.objs[i]);
	}
	free(c.objs);
	free(c.sums);
	/* the same interval as the statistics section (stats_report.h);
	 * if that fails the Wilson intervals stay (never lose the table) */
	if (!rc) {
		struct err serr = {0};
		(void)report_stats_summary_ci(st, run_id, out, &serr);
	}
out:
	store_run_free(&run);
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
		free(s->rows[i].derived_json);
	}
	free(s->rows);
	s->rows = NULL;
	s->n_rows = 0;
}

bool report_is_grading_error(const char *error_kind, const char *error_msg)
{
	static const char pre[] = "grading failed:";
	return error_kind && error_msg && !strncmp(error_msg, pre, sizeof pre - 1);
}

/* ------------------------------------------------------------ table */

enum { COL_PROVIDER, COL_PROMPT, COL_RATE, COL_PF, COL_ERR, COL_GERR, COL_SCORE,
       COL_P50, COL_P95, COL_TOK, COL_COST, N_COLS };

#define LABEL_MAX_COLS 40

static const char *const col_names[N_COLS] = {
	"Provider", "Prompt", "Pass rate [95% CI]", "Pass/Fail", "Errors",
	"Grading err", "Score", "p50 ms", "p95 ms", "Tokens in/out", "Cost $"
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
		       long passes, long fails, long errors, long gerrors,
		       double score,
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
	c->text[COL_GERR] = xasprintf("%ld", gerrors);
	c->color[COL_GERR] = gerrors ? "\033[33m" : NULL;
	c->text[COL_SCORE] = fmt_num(score, "%.3f");
	c->text[COL_P50] = fmt_num(p50, "%.0f");
	c->text[COL_P95] = fmt_num(p95, "%.0f");
	c->text[COL_TOK] = xasprintf("%ld/%ld", tin, tout);
	c->text[COL_COST] = cost > 0 ? xasprintf("%.4f", cost)
				     : xstrdup("\xe2\x80\x94");
}

/* The grading-error column is shown only when there are any (gerr). */
static void print_line(FILE *f, const struct cells *c, const size_t *w,
		       bool color, bool bold, bool gerr)
{
	for (int i = 0; i < N_COLS; i++) {
		size_t tw = report_text_width(c->text[i]);
		size_t pad = w[i] > tw ? w[i] - tw : 0;
		bool right = i >= COL_PF;
		const char *on = color ? (bold ? "\033[1m" : c->color[i]) : NULL;
		if (i == COL_GERR && !gerr)
			continue;
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

/* "derived metrics" lines: the suite's derivedMetrics per candidate. */
static void print_derived(const struct summary *s, FILE *f)
{
	for (size_t r = 0; r < s->n_rows; r++) {
		const struct summary_row *row = &s->rows[r];
		json_t *d = row->derived_json ? json_loads(row->derived_json, 0,
							   NULL) : NULL;
		struct buf b = {0};
		const char *k, *sep = ": ";
		json_t *v;
		if (!json_object_size(d)) {
			json_decref(d);
			continue;
		}
		buf_puts(&b, "derived metrics, ");
		report_term_escape(&b, row->provider_label, 60);
		if (s->n_rows > 1 && row->prompt_label[0]) {
			buf_puts(&b, " / ");
			report_term_escape(&b, row->prompt_label, 40);
		}
		json_object_foreach(d, k, v) {
			char num[64];
			buf_puts(&b, sep);
			report_term_escape(&b, k, 60);
			if (json_is_number(v))
				snprintf(num, sizeof num, " = %.6g",
					 json_number_value(v));
			else
				snprintf(num, sizeof num, " = undefined");
			buf_puts(&b, num);
			sep = ", ";
		}
		fprintf(f, "%s\n", buf_str(&b));
		buf_free(&b);
		json_decref(d);
	}
}

void report_print_table(const struct summary *s, FILE *f, bool color)
{
	size_t n = s->n_rows + 2, w[N_COLS] = {0}, total_w = 0;
	struct cells *lines = xcalloc(n, sizeof *lines);
	long tin = 0, tout = 0;
	double cost = 0, score_sum = 0;
	long graded_all = 0;
	bool design = false, gerr = s->grade_errors > 0;
	for (int i = 0; i < N_COLS; i++)
		lines[0].text[i] = xstrdup(col_names[i]);
	for (size_t r = 0; r < s->n_rows; r++) {
		const struct summary_row *row = &s->rows[r];
		long graded = row->passes + row->fails;
		fill_cells(&lines[r + 1], row->provider_label, row->prompt_label,
			   row->passes, row->fails, row->errors, row->grade_errors,
			   row->mean_score,
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
		   s->grade_errors, graded_all ? score_sum / (double)graded_all : NAN, NAN, NAN,
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
		if (i != COL_GERR || gerr)
			total_w += w[i] + (i ? 2 : 0);
	print_line(f, &lines[0], w, color, true, gerr);
	for (size_t i = 0; i < total_w; i++)
		fputs("\xe2\x94\x80", f); /* ─ */
	fputc('\n', f);
	for (size_t r = 1; r + 1 < n; r++)
		print_line(f, &lines[r], w, color, false, gerr);
	for (size_t i = 0; i < total_w; i++)
		fputs("\xe2\x94\x80", f);
	fputc('\n', f);
	print_line(f, &lines[n - 1], w, color, false, gerr);
	if (s->errors)
		fprintf(f, "%ld of %ld results were infrastructure errors "
			   "(timeouts, HTTP or transport failures): they are "
			   "not counted as failures nor in the pass rate.\n",
			s->errors, s->total);
	if (s->grade_errors)
		fprintf(f, "%ld of %ld results were grading errors (a grader "
			   "or judge failed, not the model): they are not "
			   "counted as failures nor in the pass rate.\n",
			s->grade_errors, s->total);
	if (design)
		fprintf(f, "* pass-rate interval adjusted for clusters/repeats "
			   "(design effect; see the Statistics section)\n");
	print_derived(s, f);
	for (size_t r = 0; r < n; r++)
		free_cells(&lines[r]);
	free(lines);
}
