/* engine_cvar.c — promptfoo's `_conversation` var: a prompt that names it
 * sees the earlier tests' prompts and outputs of the same provider and
 * prompt, so a list of ordinary tests can play a conversation
 * (`{% for completion in _conversation %}`).
 *
 * promptfoo's rules (src/evaluator.ts, read for facts): the history is
 * keyed by provider, prompt and the test's `metadata.conversationId`
 * (when set); each entry is {prompt, input, output} — `prompt` the
 * rendered prompt (as JSON when it parses), `input` the last message's
 * content of a chat prompt (else the prompt), `output` the reply ("" on an
 * error) — and it is appended right after the provider call, before
 * grading; the tests run one after another.  Here a chain is also per
 * repeat (each `--repeat` replays the conversation).  A chain's next item
 * starts when the previous one's response (after its retries) is in; as a
 * provider's items start in order (its cursor), a waiting item holds up
 * that provider's later ones, while other providers go on concurrently
 * (promptfoo runs such a suite one test at a time). */
#include "engine_int.h"
#include "../suite/template.h"
#include "../util/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void engine_cvar_init(struct run *r)
{
	const struct suite *s = r->s;
	bool any = false;
	r->cvar_uses = xcalloc(s->n_prompts ? s->n_prompts : 1, sizeof(bool));
	for (size_t i = 0; i < s->n_prompts; i++)
		if (tmpl_refers_to(s->prompts[i].raw, "_conversation"))
			r->cvar_uses[i] = any = true;
	if (any) {
		r->cvar_hist = json_object();
		r->cvar_busy = json_object();
	}
}

void engine_cvar_free(struct run *r)
{
	free(r->cvar_uses);
	r->cvar_uses = NULL;
	json_decref(r->cvar_hist);
	json_decref(r->cvar_busy);
	r->cvar_hist = r->cvar_busy = NULL;
}

/* The chain's key: provider, prompt, repeat and conversationId. */
static void chain_key(const struct run *r, int prov, size_t test,
		      size_t prompt, int rep, char *out, size_t n)
{
	const json_t *id = json_object_get(suite_test(r->s, test)->metadata,
					   "conversationId");
	char *idt = id && !json_is_string(id)
		    ? json_dumps(id, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	snprintf(out, n, "%d\x1f%zu\x1f%d\x1f%s", prov, prompt, rep,
		 json_is_string(id) ? json_string_value(id) : idt ? idt : "");
	free(idt);
}

/* JavaScript truthiness of a message's content (`content || message`). */
static bool js_truthy_text(const json_t *v)
{
	if (!v || json_is_null(v) || json_is_false(v))
		return false;
	if (json_is_string(v))
		return json_string_length(v) > 0;
	if (json_is_number(v))
		return json_number_value(v) != 0;
	return true;
}

static bool uses(const struct run *r, size_t test, size_t prompt)
{
	return r->cvar_hist && r->cvar_uses[prompt] && !suite_test(r->s, test)->conv;
}

bool engine_cvar_blocked(const struct run *r, int prov, long item)
{
	size_t np = r->s->n_prompts, rep = (size_t)r->o->repeat;
	size_t k = (size_t)item, test = k / (rep * np), prompt = (k / rep) % np;
	char key[512];
	if (!r->cvar_hist || (size_t)prov >= r->n_cand || !uses(r, test, prompt))
		return false;
	chain_key(r, prov, test, prompt, (int)(k % rep), key, sizeof key);
	return json_object_get(r->cvar_busy, key) != NULL;
}

json_t *engine_cvar_vars(struct run *r, struct slot *sl)
{
	char key[512];
	json_t *vars, *hist;
	if (sl->is_judge || !uses(r, sl->test, sl->prompt))
		return NULL;
	chain_key(r, sl->prov, sl->test, sl->prompt, sl->rep, key, sizeof key);
	if (!sl->cvar_open) {
		json_object_set_new(r->cvar_busy, key, json_true());
		sl->cvar_open = true;
	}
	hist = json_object_get(r->cvar_hist, key);
	vars = json_copy(suite_test(r->s, sl->test)->vars);
	json_object_set_new(vars, "_conversation",
			    hist ? json_incref(hist) : json_array());
	return vars;
}

void engine_cvar_end(struct run *r, struct slot *sl,
		     const struct response *resp)
{
	char key[512];
	json_t *hist, *prompt, *input = NULL, *e;
	const char *text = sl->prompt_text ? sl->prompt_text : "";
	if (!sl->cvar_open)
		return;
	sl->cvar_open = false;
	chain_key(r, sl->prov, sl->test, sl->prompt, sl->rep, key, sizeof key);
	json_object_del(r->cvar_busy, key);
	hist = json_object_get(r->cvar_hist, key);
	if (!hist) {
		hist = json_array();
		json_object_set_new(r->cvar_hist, key, hist);
	}
	prompt = json_loads(text, JSON_DECODE_ANY, NULL);
	if (json_is_array(prompt) && json_array_size(prompt)) {
		/* the last message's content, or the message itself */
		e = json_array_get(prompt, json_array_size(prompt) - 1);
		input = json_object_get(e, "content");
		input = json_incref(input && js_truthy_text(input) ? input : e);
	}
	if (!prompt)
		prompt = json_string(text);
	if (!input)
		input = json_incref(prompt);
	json_array_append_new(hist, json_pack("{s:o,s:o,s:s}", "prompt",
		prompt, "input", input, "output",
		resp && resp->output ? resp->output : ""));
}
