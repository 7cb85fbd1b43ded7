/* report_fmt_csv.c — a stored run as .csv: one result a row, vars as
 * var_<name> columns (the union over the run's cases, first seen first),
 * docs/output.md.  Streamed through store_results_each.  Fields are
 * quoted by libcsv (RFC 4180: every field in double quotes, inner quotes
 * doubled, rows end in CRLF). */
#include "report.h"
#include "report_int.h"

#include <csv.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../util/xalloc.h"

struct writer {
	struct store *st;
	int64_t run_id;
	FILE *f;
	struct err *err;
	char **vars;
	size_t n_vars, cap_vars;
	json_t *seen;
	long a_pass, a_total;  /* assertion counts of the current row */
};

static void csv_field(struct writer *w, const char *s, bool first)
{
	if (!first)
		putc(',', w->f);
	csv_fwrite(w->f, s ? s : "", s ? strlen(s) : 0);
}

/* A count cell: empty when unknown. */
static void csv_long(struct writer *w, long v)
{
	char tmp[32];
	if (v < 0) {
		csv_field(w, "", false);
		return;
	}
	snprintf(tmp, sizeof tmp, "%ld", v);
	csv_field(w, tmp, false);
}

/* A real cell: %.15g, empty when unknown. */
static void csv_real(struct writer *w, double v)
{
	char tmp[64];
	if (!isfinite(v)) {
		csv_field(w, "", false);
		return;
	}
	snprintf(tmp, sizeof tmp, "%.15g", v);
	csv_field(w, tmp, false);
}

static void csv_bool(struct writer *w, int v)
{
	csv_field(w, v < 0 ? "" : v ? "true" : "false", false);
}

/* First pass over the cases: the var names that become columns. */
static int on_case_vars(void *ud, const struct store_case *c)
{
	struct writer *w = ud;
	json_t *v = c->vars_json ? json_loads(c->vars_json, 0, NULL) : NULL;
	const char *k;
	json_t *val;
	json_object_foreach(v, k, val) {
		if (json_object_get(w->seen, k))
			continue;
		json_object_set_new(w->seen, k, json_true());
		w->vars = xgrow(w->vars, &w->cap_vars, w->n_vars + 1,
				sizeof *w->vars);
		w->vars[w->n_vars++] = xstrdup(k);
	}
	json_decref(v);
	return 0;
}

static int csv_collect_vars(struct writer *w, struct err *err)
{
	int rc;
	w->seen = json_object();
	rc = store_cases_each(w->st, w->run_id, on_case_vars, w, err);
	json_decref(w->seen);
	w->seen = NULL;
	return rc;
}

static const char *const csv_head_a[] = {
	"case_idx", "description", "prompt_idx", "prompt_label",
	"provider_id", "provider_label", "repeat"
};
static const char *const csv_head_b[] = {
	"prompt", "output", "error_kind", "error_message", "http_status",
	"pass", "score", "reason", "latency_ms", "ttft_ms", "prompt_tokens",
	"completion_tokens", "total_tokens", "cost_usd", "finish_reason",
	"named_scores", "assertions_passed", "assertions_total", "error_class"
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

static int on_assert_count(void *ud, const struct store_assert *a)
{
	struct writer *w = ud;
	w->a_total++;
	w->a_pass += a->pass;
	return 0;
}

static int csv_row(struct writer *w, const struct store_result *r)
{
	json_t *vars = r->vars_json ? json_loads(r->vars_json, 0, NULL) : NULL;
	char tmp[32];
	snprintf(tmp, sizeof tmp, "%zu", r->case_idx);
	csv_field(w, tmp, true);
	csv_field(w, r->case_description, false);
	csv_long(w, (long)r->prompt_idx);
	csv_field(w, r->prompt_label, false);
	csv_field(w, r->provider_id, false);
	csv_field(w, r->provider_label, false);
	csv_long(w, r->repeat);
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
	csv_field(w, r->prompt_text, false);
	csv_field(w, r->output, false);
	csv_field(w, r->error_kind, false);
	csv_field(w, r->error_msg, false);
	csv_long(w, r->http_status);
	csv_bool(w, r->pass);
	csv_real(w, r->score);
	csv_field(w, r->reason, false);
	csv_real(w, r->latency_ms);
	csv_real(w, r->ttft_ms);
	csv_long(w, r->prompt_tokens);
	csv_long(w, r->completion_tokens);
	csv_long(w, r->total_tokens);
	csv_real(w, r->cost_usd);
	csv_field(w, r->finish_reason, false);
	csv_field(w, r->named_json, false);
	w->a_pass = w->a_total = 0;
	if (store_asserts_each(w->st, r->id, on_assert_count, w, w->err))
		return ST_DB;
	csv_long(w, w->a_pass);
	csv_long(w, w->a_total);
	/* what counts as what (docs/output.md): the server's fault or the
	 * grader's, never the model's */
	csv_field(w, !r->error_kind ? "" : report_is_grading_error(r->error_kind,
		  r->error_msg) ? "grading" : "infrastructure", false);
	fputs("\r\n", w->f);
	return 0;
}

static int on_result(void *ud, const struct store_result *r)
{
	return csv_row(ud, r);
}

int report_fmt_csv(struct store *st, int64_t run_id, FILE *f, struct err *err)
{
	struct writer w = { .st = st, .run_id = run_id, .f = f, .err = err };
	int rc = csv_collect_vars(&w, err);
	if (!rc) {
		csv_header(&w);
		rc = store_results_each(st, run_id, on_result, &w, err);
	}
	for (size_t i = 0; i < w.n_vars; i++)
		free(w.vars[i]);
	free(w.vars);
	return rc;
}
