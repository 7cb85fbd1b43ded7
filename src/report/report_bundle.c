/* report_bundle.c — a whole run in one file (`assay export RUN -o
 * run.assay`), read back by `assay import` (store_import.c) into another
 * store.  JSON Lines: a header line with the run record, then one line per
 * prompt, provider, case and result (with its assertion rows), in that
 * order, each result of a conversation followed by one line per turn;
 * docs/storage.md describes the fields.  Streamed from the store:
 * memory does not grow with the run.  Text that is not valid UTF-8 is
 * written with U+FFFD in place of the bad bytes (JSON cannot carry them). */
#include "report.h"
#include "report_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../store/store_turns.h"
#include "../version.h"
#include "../util/xalloc.h"

struct bundle {
	struct store *st;
	FILE *f;
	struct err *err;
	json_t *asserts;        /* of the current result */
	int64_t run_id;
	bool has_turns;         /* the run holds conversations */
	const struct store_result *res; /* the result whose turns are written */
};

static json_t *jstr(const char *s)
{
	json_t *j;
	struct buf b = {0};
	if (!s)
		return json_null();
	if ((j = json_string(s)))
		return j;
	buf_putc(&b, '"');
	report_json_escape(&b, s, strlen(s));
	buf_putc(&b, '"');
	j = json_loads(b.p, JSON_DECODE_ANY, NULL);
	buf_free(&b);
	return j ? j : json_string("");
}

static json_t *jreal(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static json_t *jcount(long v)
{
	return v >= 0 ? json_integer(v) : json_null();
}

static int put_line(struct bundle *b, const char *kind, json_t *body)
{
	json_t *line = json_object();
	int rc;
	json_object_set_new(line, kind, body);
	rc = json_dumpf(line, b->f, JSON_COMPACT | JSON_REAL_PRECISION(17));
	json_decref(line);
	if (rc || fputc('\n', b->f) == EOF)
		return err_set(b->err, ST_IO, "writing the bundle failed");
	return 0;
}

static int on_prompt(void *ud, const struct store_prompt *p)
{
	return put_line(ud, "prompt", json_pack("{s:I, s:o, s:o, s:b}", "idx",
			(json_int_t)p->idx, "label", jstr(p->label), "raw",
			jstr(p->raw), "is_chat", p->is_chat));
}

static int on_provider(void *ud, const struct store_provider *p)
{
	return put_line(ud, "provider", json_pack("{s:I, s:o, s:o, s:o, s:o}",
			"idx", (json_int_t)p->idx, "id", jstr(p->id), "label",
			jstr(p->label), "config_json", jstr(p->config_json), "key",
			jstr(p->key)));
}

static int on_case(void *ud, const struct store_case *c)
{
	return put_line(ud, "case", json_pack("{s:I, s:o, s:o, s:o, s:o, s:o, s:o}",
			"idx", (json_int_t)c->idx, "description", jstr(c->description),
			"vars_json", jstr(c->vars_json), "metadata_json",
			jstr(c->metadata_json), "n_asserts", jcount(c->n_asserts),
			"case_key", jstr(c->case_key), "case_hash", jstr(c->case_hash)));
}

static int on_assert(void *ud, const struct store_assert *a)
{
	struct bundle *b = ud;
	json_array_append_new(b->asserts, json_pack("{s:I, s:o, s:b, s:o, s:o, s:o, s:o, s:o}",
			"idx", (json_int_t)a->idx, "type", jstr(a->type), "pass",
			a->pass, "score", jreal(a->score), "reason", jstr(a->reason),
			"weight", jreal(a->weight), "metric", jstr(a->metric),
			"severity", jreal(a->severity)));
	return 0;
}

/* One line per turn of the result being written (b->res), right after
 * it, so an import can tie each turn to its result in one pass. */
static int on_turn(void *ud, const struct store_turn *t)
{
	struct bundle *b = ud;
	const struct store_result *r = b->res;
	if (t->prompt_idx != r->prompt_idx || t->provider_idx != r->provider_idx ||
	    t->repeat != r->repeat)
		return 0;
	return put_line(b, "turn", json_pack(
		"{s:I, s:I, s:I, s:i, s:i, s:o, s:o, s:o, s:o, s:o, s:o, s:b, s:i, s:o, s:o, s:o}",
		"case_idx", (json_int_t)t->case_idx, "prompt_idx",
		(json_int_t)t->prompt_idx, "provider_idx", (json_int_t)t->provider_idx,
		"repeat", t->repeat, "turn", t->turn, "user", jstr(t->user),
		"output", jstr(t->output), "latency_ms", jreal(t->latency_ms),
		"prompt_tokens", jcount(t->prompt_tokens), "completion_tokens",
		jcount(t->completion_tokens), "cost_usd",
		t->cost_usd < 0 ? json_null() : jreal(t->cost_usd),
		"cached", t->cached != 0, "retries", t->retries,
		"pass", t->pass < 0 ? json_null() : json_boolean(t->pass),
		"score", t->pass < 0 ? json_null() : jreal(t->score),
		"reason", jstr(t->reason)));
}

static int first_turn(void *ud, const struct store_turn *t)
{
	(void)t;
	*(bool *)ud = true;
	return 1;   /* one is enough: stop the walk */
}

static int on_result(void *ud, const struct store_result *r)
{
	struct bundle *b = ud;
	json_t *o = json_object();
	int rc;
	json_object_set_new(o, "case_idx", json_integer((json_int_t)r->case_idx));
	json_object_set_new(o, "prompt_idx", json_integer((json_int_t)r->prompt_idx));
	json_object_set_new(o, "provider_idx", json_integer((json_int_t)r->provider_idx));
	json_object_set_new(o, "repeat", json_integer(r->repeat));
	json_object_set_new(o, "item_key", jstr(r->item_key));
	json_object_set_new(o, "started_at", jstr(r->started_at));
	json_object_set_new(o, "prompt_text", jstr(r->prompt_text));
	json_object_set_new(o, "output", jstr(r->output));
	json_object_set_new(o, "error_kind", jstr(r->error_kind));
	json_object_set_new(o, "error_msg", jstr(r->error_msg));
	json_object_set_new(o, "http_status", jcount(r->http_status));
	json_object_set_new(o, "finish_reason", jstr(r->finish_reason));
	json_object_set_new(o, "latency_ms", jreal(r->latency_ms));
	json_object_set_new(o, "ttft_ms", jreal(r->ttft_ms));
	json_object_set_new(o, "prompt_tokens", jcount(r->prompt_tokens));
	json_object_set_new(o, "completion_tokens", jcount(r->completion_tokens));
	json_object_set_new(o, "total_tokens", jcount(r->total_tokens));
	json_object_set_new(o, "cost_usd", jreal(r->cost_usd));
	json_object_set_new(o, "retries", jcount(r->retries));
	json_object_set_new(o, "cached", json_boolean(r->cached));
	json_object_set_new(o, "retry_wait_ms", jreal(r->retry_wait_ms));
	json_object_set_new(o, "judge_calls", jcount(r->judge_calls));
	json_object_set_new(o, "judge_cost_usd", jreal(r->judge_cost_usd));
	json_object_set_new(o, "judge_latency_ms", jreal(r->judge_latency_ms));
	json_object_set_new(o, "pass", r->pass < 0 ? json_null() : json_boolean(r->pass));
	json_object_set_new(o, "score", jreal(r->score));
	json_object_set_new(o, "reason", jstr(r->reason));
	json_object_set_new(o, "named_scores_json", jstr(r->named_json));
	json_object_set_new(o, "confidence", jreal(r->confidence));
	json_object_set_new(o, "served_model", jstr(r->served_model));
	b->asserts = json_array();
	if ((rc = store_asserts_each(b->st, r->id, on_assert, b, b->err))) {
		json_decref(b->asserts);
		json_decref(o);
		return rc;
	}
	json_object_set_new(o, "assertions", b->asserts);
	b->asserts = NULL;
	if ((rc = put_line(b, "result", o)) || !b->has_turns)
		return rc;
	b->res = r;
	rc = store_turns_each(b->st, b->run_id, (long)r->case_idx, on_turn, b, b->err);
	b->res = NULL;
	return rc;
}

int report_fmt_bundle(struct store *st, int64_t run_id, FILE *f,
		      struct err *err)
{
	struct bundle b = { .st = st, .f = f, .err = err, .run_id = run_id };
	struct store_run r;
	json_t *h;
	int rc;
	if ((rc = store_run_get(st, run_id, &r, err)))
		return rc;
	h = json_pack("{s:s, s:i, s:s}", "format", "assay-run", "version", 1,
		      "assay_version", ASSAY_VERSION);
	json_object_set_new(h, "run", json_pack(
		"{s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o,"
		" s:i, s:I, s:I, s:I}",
		"id", (json_int_t)r.id, "created_at", jstr(r.created_at),
		"finished_at", jstr(r.finished_at), "status", jstr(r.status),
		"description", jstr(r.description), "label", jstr(r.label),
		"suite_path", jstr(r.suite_path), "suite_json", jstr(r.suite_json),
		"assay_version", jstr(r.assay_version), "suite_hash",
		jstr(r.suite_hash), "config_json", jstr(r.config_json),
		"git_commit", jstr(r.git_commit), "host", jstr(r.host),
		"repeat", r.repeat, "n_cases", (json_int_t)r.n_cases,
		"n_prompts", (json_int_t)r.n_prompts, "n_providers",
		(json_int_t)r.n_providers));
	store_run_free(&r);
	if (json_dumpf(h, f, JSON_COMPACT) || fputc('\n', f) == EOF)
		rc = err_set(err, ST_IO, "writing the bundle failed");
	json_decref(h);
	if (!rc)
		rc = store_prompts_each(st, run_id, on_prompt, &b, err);
	if (!rc)
		rc = store_providers_each(st, run_id, on_provider, &b, err);
	if (!rc)
		rc = store_cases_each(st, run_id, on_case, &b, err);
	if (!rc) {
		rc = store_turns_each(st, run_id, -1, first_turn, &b.has_turns, err);
		rc = rc == 1 ? 0 : rc;
	}
	if (!rc)
		rc = store_results_each(st, run_id, on_result, &b, err);
	return rc;
}
