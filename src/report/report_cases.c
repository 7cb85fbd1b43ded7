/* report_cases.c — the per-case table of a stored run (`assay show`): one
 * line per case, one column per candidate (provider, and prompt when a run
 * has several), each cell `pass`, `FAIL`, `error` or, with repeats,
 * passes/graded.  Results arrive in case order from store_results_each, so
 * one case's cells are held at a time: memory does not grow with the run.
 * Filters: a tag (metadata.tags), failing cases only (a failure or an
 * error in a shown column), one provider (id or label). */
#include "report.h"

#include <stdlib.h>
#include <string.h>

#include "../util/xalloc.h"

#define CASE_COLS 40
#define CELL_COLS 18

struct cell { long pass, fail, err; };

struct cases {
	const struct case_filter *f;
	FILE *out;
	bool color;
	char **labels;          /* per column: provider [/ prompt] */
	bool *shown;            /* per provider */
	size_t n_prov, n_prompt;
	struct cell *cells;     /* n_prov * n_prompt, the current case */
	bool have;              /* a current case */
	size_t cur;
	char *desc, *meta;      /* of the current case */
	long printed, total;
};

static int on_provider(void *ud, const struct store_provider *p)
{
	struct cases *c = ud;
	const char *want = c->f ? c->f->provider : NULL;
	c->labels = xrealloc(c->labels, (c->n_prov + 1) * sizeof *c->labels);
	c->shown = xrealloc(c->shown, (c->n_prov + 1) * sizeof *c->shown);
	c->labels[c->n_prov] = xstrdup(p->label ? p->label : p->id ? p->id : "?");
	c->shown[c->n_prov] = !want || (p->id && !strcmp(p->id, want)) ||
			      (p->label && !strcmp(p->label, want));
	c->n_prov++;
	return 0;
}

static int on_prompt(void *ud, const struct store_prompt *p)
{
	(void)p;
	((struct cases *)ud)->n_prompt++;
	return 0;
}

static bool has_tag(const char *meta, const char *tag)
{
	json_t *m = meta ? json_loads(meta, 0, NULL) : NULL, *v;
	size_t i;
	bool found = false;
	json_array_foreach(json_object_get(m, "tags"), i, v)
		if (json_is_string(v) && !strcmp(json_string_value(v), tag))
			found = true;
	json_decref(m);
	return found;
}

static void pad(FILE *f, size_t used, size_t width)
{
	for (; used < width; used++)
		fputc(' ', f);
}

static void put_cell(struct cases *c, const struct cell *x)
{
	char text[48];
	const char *on = NULL;
	long graded = x->pass + x->fail, n = graded + x->err;
	if (n == 0)
		snprintf(text, sizeof text, "\xe2\x80\x94"); /* — not run */
	else if (n == 1)
		snprintf(text, sizeof text, "%s", x->err ? "error" : x->pass ? "pass" : "FAIL");
	else if (x->err)
		snprintf(text, sizeof text, "%ld/%ld +%ld err", x->pass, graded, x->err);
	else
		snprintf(text, sizeof text, "%ld/%ld", x->pass, graded);
	if (c->color)
		on = x->err ? "\033[33m" : x->fail ? "\033[31m" : x->pass ? "\033[32m" : NULL;
	fputs("  ", c->out);
	if (on)
		fputs(on, c->out);
	fputs(text, c->out);
	if (on)
		fputs("\033[0m", c->out);
	pad(c->out, report_text_width(text), CELL_COLS);
}

static void flush_case(struct cases *c)
{
	struct buf b = {0};
	char idx[24];
	bool failing = false;
	size_t w;
	if (!c->have)
		return;
	c->total++;
	for (size_t v = 0; v < c->n_prov; v++)
		for (size_t p = 0; p < c->n_prompt; p++) {
			const struct cell *x = &c->cells[v * c->n_prompt + p];
			if (c->shown[v] && (x->fail || x->err))
				failing = true;
		}
	if ((c->f && c->f->failing && !failing) ||
	    (c->f && c->f->tag && !has_tag(c->meta, c->f->tag)))
		goto out;
	c->printed++;
	snprintf(idx, sizeof idx, "%zu", c->cur);
	fprintf(c->out, "%6s  ", idx);
	w = report_term_escape(&b, c->desc ? c->desc : "", CASE_COLS);
	fwrite(b.p ? b.p : "", 1, b.len, c->out);
	pad(c->out, w, CASE_COLS);
	for (size_t v = 0; v < c->n_prov; v++)
		for (size_t p = 0; p < c->n_prompt; p++)
			if (c->shown[v])
				put_cell(c, &c->cells[v * c->n_prompt + p]);
	fputc('\n', c->out);
out:
	buf_free(&b);
	memset(c->cells, 0, c->n_prov * c->n_prompt * sizeof *c->cells);
	free(c->desc);
	free(c->meta);
	c->desc = c->meta = NULL;
	c->have = false;
}

static int on_result(void *ud, const struct store_result *r)
{
	struct cases *c = ud;
	struct cell *x;
	if (c->have && r->case_idx != c->cur)
		flush_case(c);
	if (!c->have) {
		c->have = true;
		c->cur = r->case_idx;
		c->desc = xstrdup(r->case_description && *r->case_description
					  ? r->case_description
					  : r->vars_json ? r->vars_json : "");
		c->meta = r->metadata_json ? xstrdup(r->metadata_json) : NULL;
	}
	if (r->provider_idx >= c->n_prov || r->prompt_idx >= c->n_prompt)
		return 0;
	x = &c->cells[r->provider_idx * c->n_prompt + r->prompt_idx];
	if (r->error_kind)
		x->err++;
	else if (r->pass == 1)
		x->pass++;
	else if (r->pass == 0)
		x->fail++;
	return 0;
}

static void header(struct cases *c, const char *const *prompt_labels)
{
	fprintf(c->out, "%6s  ", "#");
	fputs("Case", c->out);
	pad(c->out, 4, CASE_COLS);
	for (size_t v = 0; v < c->n_prov; v++)
		for (size_t p = 0; p < c->n_prompt; p++) {
			struct buf b = {0};
			size_t w;
			if (!c->shown[v])
				continue;
			if (c->n_prompt > 1)
				buf_printf(&b, "%s / %s", c->labels[v], prompt_labels[p]);
			else
				buf_puts(&b, c->labels[v]);
			fputs("  ", c->out);
			{
				struct buf e = {0};
				w = report_term_escape(&e, b.p, CELL_COLS);
				fwrite(e.p ? e.p : "", 1, e.len, c->out);
				buf_free(&e);
			}
			pad(c->out, w, CELL_COLS);
			buf_free(&b);
		}
	fputc('\n', c->out);
}

struct labels { char **v; size_t n; };

static int on_prompt_label(void *ud, const struct store_prompt *p)
{
	struct labels *l = ud;
	l->v = xrealloc(l->v, (l->n + 1) * sizeof *l->v);
	l->v[l->n++] = xstrdup(p->label ? p->label : "");
	return 0;
}

int report_print_cases(struct store *st, int64_t run_id,
		       const struct case_filter *f, FILE *out, bool color,
		       struct err *err)
{
	struct cases c = { .f = f, .out = out, .color = color };
	struct labels pl = {0};
	bool any = false;
	int rc;
	if ((rc = store_providers_each(st, run_id, on_provider, &c, err)) ||
	    (rc = store_prompts_each(st, run_id, on_prompt, &c, err)) ||
	    (rc = store_prompts_each(st, run_id, on_prompt_label, &pl, err)))
		goto out;
	for (size_t v = 0; v < c.n_prov; v++)
		any = any || c.shown[v];
	if (f && f->provider && !any) {
		rc = err_set(err, ST_USAGE, "run %lld has no provider '%s'",
			     (long long)run_id, f->provider);
		goto out;
	}
	c.cells = xcalloc(c.n_prov * c.n_prompt + 1, sizeof *c.cells);
	header(&c, (const char *const *)pl.v);
	if ((rc = store_results_each(st, run_id, on_result, &c, err)))
		goto out;
	flush_case(&c);
	fprintf(out, "%ld of %ld cases shown\n", c.printed, c.total);
out:
	for (size_t i = 0; i < c.n_prov; i++)
		free(c.labels[i]);
	for (size_t i = 0; i < pl.n; i++)
		free(pl.v[i]);
	free(pl.v);
	free(c.labels);
	free(c.shown);
	free(c.cells);
	free(c.desc);
	free(c.meta);
	return rc;
}
