/* report_turns.c — the turns of conversations (store_turns.h) as a
 * section of `assay show` and as the `turns` list of a result in the
 * JSON export.  Turns are read per walk, never held for the whole run. */
#include "report.h"
#include "../store/store_turns.h"
#include "../util/xalloc.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Width of the user / assistant text on one line of `assay show`. */
#define TURN_COLS 100

struct tprint {
	FILE *out;
	bool color;
	const struct case_filter *f;
	char **labels;
	size_t n_prov;
	bool any;
	long last_case, last_prompt, last_prov, last_rep;
};

static int on_label(void *ud, const struct store_provider *p)
{
	struct tprint *t = ud;
	t->labels = xrealloc(t->labels, (t->n_prov + 1) * sizeof *t->labels);
	t->labels[t->n_prov++] = xstrdup(p->label ? p->label : p->id ? p->id : "?");
	return 0;
}

static void put_text(FILE *out, const char *who, const char *s)
{
	struct buf b = {0};
	report_term_escape(&b, s ? s : "", TURN_COLS);
	fprintf(out, "            %s%s\n", who, b.p ? b.p : "");
	buf_free(&b);
}

static int on_turn(void *ud, const struct store_turn *t)
{
	struct tprint *p = ud;
	const char *label = t->provider_idx < p->n_prov ? p->labels[t->provider_idx] : "?";
	const char *v = t->pass < 0 ? "-" : t->pass ? "pass" : "FAIL";
	if (p->f && p->f->provider && strcmp(p->f->provider, label))
		return 0;
	if (!p->any)
		fputs("\nConversations (per turn; a conversation is one case)\n", p->out);
	p->any = true;
	if ((long)t->case_idx != p->last_case || (long)t->prompt_idx != p->last_prompt ||
	    (long)t->provider_idx != p->last_prov || t->repeat != p->last_rep) {
		fprintf(p->out, "  case %zu  %s  prompt %zu", t->case_idx, label,
			t->prompt_idx);
		if (t->repeat)
			fprintf(p->out, "  repeat %d", t->repeat);
		fputc('\n', p->out);
		p->last_case = (long)t->case_idx;
		p->last_prompt = (long)t->prompt_idx;
		p->last_prov = (long)t->provider_idx;
		p->last_rep = t->repeat;
	}
	fprintf(p->out, "    turn %-3d %s%s%s%s\n", t->turn,
		p->color && t->pass == 0 ? "\033[31m" : "", v,
		p->color && t->pass == 0 ? "\033[0m" : "",
		t->cached ? "  (cached)" : "");
	put_text(p->out, "User: ", t->user);
	put_text(p->out, "Assistant: ", t->output);
	if (t->pass == 0 && t->reason)
		put_text(p->out, "why: ", t->reason);
	return 0;
}

int report_print_turns(struct store *st, int64_t run_id,
		       const struct case_filter *f, FILE *out, bool color,
		       struct err *err)
{
	struct tprint p = { .out = out, .color = color, .f = f, .last_case = -1 };
	int rc = store_providers_each(st, run_id, on_label, &p, err);
	if (!rc)
		rc = store_turns_each(st, run_id, -1, on_turn, &p, err);
	for (size_t i = 0; i < p.n_prov; i++)
		free(p.labels[i]);
	free(p.labels);
	return rc;
}

struct tjson {
	const struct store_result *r;
	struct buf *b;
	bool first;
};

static void js(struct buf *b, const char *k, const char *s)
{
	buf_printf(b, ",\"%s\":", k);
	if (!s) {
		buf_puts(b, "null");
		return;
	}
	buf_putc(b, '"');
	report_json_escape(b, s, strlen(s));
	buf_putc(b, '"');
}

static void jl(struct buf *b, const char *k, long v)
{
	if (v < 0)
		buf_printf(b, ",\"%s\":null", k);
	else
		buf_printf(b, ",\"%s\":%ld", k, v);
}

static int on_turn_json(void *ud, const struct store_turn *t)
{
	struct tjson *j = ud;
	struct buf *b = j->b;
	if (t->prompt_idx != j->r->prompt_idx || t->provider_idx != j->r->provider_idx ||
	    t->repeat != j->r->repeat)
		return 0;
	buf_puts(b, j->first ? ",\"turns\":[" : ",");
	j->first = false;
	buf_printf(b, "{\"turn\":%d", t->turn);
	js(b, "user", t->user);
	js(b, "output", t->output);
	buf_puts(b, ",\"pass\":");
	buf_puts(b, t->pass < 0 ? "null" : t->pass ? "true" : "false");
	if (isfinite(t->score))
		buf_printf(b, ",\"score\":%.15g", t->score);
	else
		buf_puts(b, ",\"score\":null");
	js(b, "reason", t->reason);
	buf_printf(b, ",\"latency_ms\":%.15g", isfinite(t->latency_ms) ? t->latency_ms : 0);
	jl(b, "prompt_tokens", t->prompt_tokens);
	jl(b, "completion_tokens", t->completion_tokens);
	buf_printf(b, ",\"cached\":%s,\"retries\":%d}", t->cached ? "true" : "false",
		   t->retries);
	return 0;
}

int report_turns_json(struct store *st, int64_t run_id,
		      const struct store_result *r, struct buf *b, struct err *err)
{
	struct tjson j = { .r = r, .b = b, .first = true };
	int rc = store_turns_each(st, run_id, (long)r->case_idx, on_turn_json, &j, err);
	if (!rc && !j.first)
		buf_putc(b, ']');
	return rc;
}
