/* suite_conv.c — fuzzes conversation tests (src/suite/suite_conv.c: the
 * `conversation:` list, {user, assert} turns, `turn: N` assertions moved
 * onto their turn, the simulated user) and what a run makes of them
 * (src/suite/conv_text.c: the history from the prompt, each user turn
 * rendered with the vars, the simulated user's instructions and its
 * role-swapped request, the transcript) — the engine's conversation loop
 * without a provider, the replies coming from the input.
 *
 * Input: the text after `tests:` of a fixed suite (a text prompt and a
 * chat prompt), NUL, the replies (split at newlines; each is the next
 * reply of the candidate or of the simulated user, raw bytes).
 * Contract: the suite loads or fails with a message; every user turn and
 * every reply joins the history (none dropped), which stays JSON that
 * serialises; a turn that does not render fails with a message. */
#include "fuzz.h"
#include "suite/conv_text.h"
#include "suite/suite.h"

static const char head[] =
	"prompts:\n"
	"  - 'You are the support assistant of {{shop}}.'\n"
	"  - '[{\"role\": \"system\", \"content\": \"Be brief, {{name}}.\"}]'\n"
	"providers: [openai:chat:gpt-4o-mini]\n"
	"defaultTest: {vars: {shop: Acme, name: Ada}}\n"
	"tests:\n";

struct replies {
	const char *p, *end;
};

/* The next reply (owned), "" once they run out. */
static char *next_reply(struct replies *r)
{
	const char *e = r->p;
	char *s;
	while (e < r->end && *e != '\n' && *e)
		e++;
	s = malloc((size_t)(e - r->p) + 1);
	if (!s)
		abort();
	memcpy(s, r->p, (size_t)(e - r->p));
	s[e - r->p] = 0;
	r->p = e < r->end ? e + 1 : e;
	return s;
}

static void push_checked(json_t *msgs, const char *role, const char *text)
{
	size_t n = json_array_size(msgs);
	conv_push_msg(msgs, role, text);
	if (json_array_size(msgs) != n + 1) {
		fprintf(stderr, "fuzz: a %s message was dropped from the history\n", role);
		abort();
	}
}

static void run_conv(const struct prompt *pr, const struct test_case *tc,
		     struct replies *rp)
{
	const struct conv *c = tc->conv;
	struct err err;
	struct buf transcript = { 0 };
	char *rendered, *sys = NULL, *txt;
	json_t *msgs;
	err_clear(&err);
	if (!(rendered = suite_render_prompt(pr, tc->vars, &err))) {
		if (!err.msg[0])
			abort();
		return;
	}
	msgs = conv_start_msgs(pr, rendered);
	free(rendered);
	if (!json_is_array(msgs))
		abort();
	if (c->sim && !(sys = conv_sim_instructions(c->sim, tc->vars, &err))) {
		if (!err.msg[0])
			abort();
		goto out;
	}
	for (size_t t = 0; t < conv_max_turns(c); t++) {
		char *user, *reply;
		if (t < c->n_scripted) {
			if (!(user = conv_render_turn(&c->turns[t], tc->vars, &err))) {
				if (!err.msg[0])
					abort();
				goto out;
			}
		} else {
			json_t *req;
			if (!sys)
				abort(); /* turns past the script need a simulated user */
			txt = conv_sim_request(sys, msgs);
			req = txt ? json_loads(txt, 0, NULL) : NULL;
			if (!json_is_array(req) || json_array_size(req) < 2)
				abort();
			json_decref(req);
			free(txt);
			user = next_reply(rp);
			if (!*user || strstr(user, c->sim->stop)) {
				free(user);
				break;
			}
		}
		push_checked(msgs, "user", user);
		reply = next_reply(rp);
		conv_add_line(&transcript, CONV_USER, user);
		conv_add_line(&transcript, CONV_ASSISTANT, reply);
		push_checked(msgs, "assistant", reply);
		free(user);
		free(reply);
	}
	txt = json_dumps(msgs, JSON_COMPACT);
	if (!txt)
		abort();
	free(txt);
out:
	free(sys);
	buf_free(&transcript);
	json_decref(msgs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct suite *s = NULL;
	struct err err;
	struct replies rp;
	const uint8_t *rest;
	size_t rest_n;
	char *tests = fz_head(data, size, &rest, &rest_n);
	struct buf text = { 0 };
	buf_puts(&text, head);
	buf_puts(&text, tests);
	err_clear(&err);
	if (suite_load(fz_write("suite.yaml", text.p, text.len), &s, &err) == 0) {
		for (size_t i = 0; i < s->n_tests; i++) {
			if (!s->tests[i].conv)
				continue;
			for (size_t k = 0; k < s->n_prompts; k++) {
				rp.p = (const char *)rest;
				rp.end = (const char *)rest + rest_n;
				run_conv(&s->prompts[k], &s->tests[i], &rp);
			}
		}
		suite_free(s);
	} else if (!err.msg[0] || s) {
		abort();
	}
	buf_free(&text);
	free(tests);
	return 0;
}
