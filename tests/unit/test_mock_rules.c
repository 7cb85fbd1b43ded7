/* test_mock_rules.c — the mock server's rules: loading (the documented
 * example and every error with its location), matching, templates and the
 * deterministic accuracy draw. */
#include "t.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mock/mock_int.h"

static struct mock_rules *parse(const char *yaml, struct err *e)
{
	err_clear(e);
	return mock_rules_parse(yaml, strlen(yaml), "t.yaml", e);
}

/* Answers `user` (one user message) from model `model`. */
static char *ask(const struct mock_rules *r, const char *model,
		 const char *user, struct mock_answer *a)
{
	struct mock_prompt p = { user, strlen(user), user, strlen(user) };
	mock_rules_answer(r, mock_rules_model(r, model), model, 0, &p, a);
	return a->text;
}

TEST(mock_rules_example_file_loads)
{
	struct err e = { 0 };
	struct mock_rules *r = mock_rules_load("examples/mock-rules.yaml", &e);
	const struct mock_model *m;
	if (!r)
		err_print(&e, stdout);
	T_ASSERT(r != NULL);
	T_EQ_INT(r->seed, 7);
	T_EQ_INT(r->has_seed, 1);
	T_EQ_INT(r->match_in, MOCK_IN_LAST_USER);
	T_EQ_INT(r->n_models, 4);
	T_EQ_INT(r->n_wrong, 2);
	T_EQ_STR(r->default_reply, "I don't know.");
	m = mock_rules_model(r, "gpt-cheap");
	T_ASSERT(m != NULL);
	T_NEAR(m->accuracy, 0.7, 1e-12);
	T_EQ_INT(m->latency_min_ms, 80);
	T_EQ_INT(m->latency_max_ms, 200);
	T_EQ_INT(m->chunk_delay_ms, 10);
	m = mock_rules_model(r, "gpt-good");
	T_EQ_INT(m->latency_ms, 20);
	T_NEAR(m->accuracy, 1.0, 0);
	m = mock_rules_model(r, "gpt-stubborn");
	T_EQ_INT(m->n_rules, 1);
	T_EQ_INT(m->rules[0].kind, MOCK_ICONTAINS);
	T_EQ_STR(m->default_reply, "No.");
	T_EQ_INT(r->n_rules, 4);
	T_EQ_INT(r->rules[0].kind, MOCK_CONTAINS);
	T_EQ_INT(r->rules[0].n_wrong, 2);
	T_EQ_STR(r->rules[0].wrong[1], "Marseille");
	T_EQ_INT(r->rules[1].kind, MOCK_REGEX);
	T_ASSERT(r->rules[1].re != NULL);
	T_EQ_INT(r->rules[2].n_wrong, 1);
	T_EQ_INT(r->rules[3].in, MOCK_IN_ALL);
	T_EQ_INT(r->rules[0].line, 28);
	/* any other name is served by the "*" entry */
	m = mock_rules_model(r, "whatever-7b");
	T_ASSERT(m != NULL);
	T_EQ_STR(m->name, "*");
	mock_rules_free(r);
}

TEST(mock_rules_test_fixture_loads)
{
	struct err e = { 0 };
	struct mock_rules *r = mock_rules_load("tests/data/mock/rules.yaml", &e);
	if (!r)
		err_print(&e, stdout);
	T_ASSERT(r != NULL);
	T_EQ_INT(r->n_models, 5);
	T_ASSERT(mock_rules_model(r, "nope") == NULL);
	mock_rules_free(r);
}

TEST(mock_rules_missing_file_is_io_error)
{
	struct err e = { 0 };
	T_ASSERT(mock_rules_load("tests/data/mock/does-not-exist.yaml", &e) == NULL);
	T_EQ_INT(e.code, ST_IO);
}

/* Each bad file must fail with this location and a message containing
 * this text. */
static const struct {
	const char *yaml;
	int line, col;
	const char *msg;
} bad_files[] = {
	{ "models: [ {name: a}\n", 2, 1, "YAML" },
	{ "", 1, 1, "empty" },
	{ "- a\n- b\n", 1, 1, "expected a mapping" },
	{ "rules: []\n", 1, 1, "needs a 'models' list" },
	{ "models: []\n", 1, 9, "empty" },
	{ "models:\n  - name: a\n    acuracy: 0.5\n", 3, 5, "unknown key 'acuracy'" },
	{ "models:\n  - name: a\n    accuracy: 1.5\n", 3, 15, "out of range" },
	{ "models:\n  - name: a\n    accuracy: high\n", 3, 15, "expected a number" },
	{ "models:\n  - name: a\n    latency_ms: -3\n", 3, 17, "out of range" },
	{ "models:\n  - name: a\n    latency_ms: 1.5\n", 3, 17, "whole number" },
	{ "models:\n  - name: a\n    latency: {min_ms: 9, max_ms: 3}\n", 3, 14, "greater than" },
	{ "models:\n  - name: a\n    latency: {min_ms: 9}\n", 3, 14, "both" },
	{ "models:\n  - name: a\n    latency: 30\n", 3, 14, "expected {min_ms" },
	{ "models:\n  - accuracy: 1\n", 2, 5, "needs a name" },
	{ "models:\n  - name: a\n  - name: a\n", 3, 5, "listed twice" },
	{ "models: [{name: a}]\nrules:\n  - reply: x\n", 3, 5, "needs one of contains" },
	{ "models: [{name: a}]\nrules:\n  - contains: x\n", 3, 5, "needs a reply" },
	{ "models: [{name: a}]\nrules:\n  - contains: x\n    regex: y\n    reply: z\n", 4, 12, "only one" },
	{ "models: [{name: a}]\nrules:\n  - regex: 'a(b'\n    reply: z\n", 3, 12, "missing closing parenthesis" },
	{ "models: [{name: a}]\nrules:\n  - contains: ''\n    reply: z\n", 3, 15, "empty" },
	{ "models: [{name: a}]\nrules:\n  - contains: x\n    reply: 'got $1'\n", 4, 12, "no capture groups" },
	{ "models: [{name: a}]\nrules:\n  - regex: '(x)'\n    reply: 'got $2'\n", 4, 12, "fewer capture groups" },
	{ "models: [{name: a}]\nrules:\n  - contains: x\n    reply: '{{promt}}'\n", 4, 12, "unknown variable {{promt}}" },
	{ "models: [{name: a}]\nrules:\n  - contains: x\n    reply: y\n    wrong: [a, [b]]\n", 5, 16, "expected text" },
	{ "models: [{name: a}]\nrules:\n  - contains: x\n    reply: y\n    match_in: system\n", 5, 15, "'last_user' or 'all'" },
	{ "models: [{name: a}]\nseed: -1\n", 2, 7, "seed" },
	{ "models: [{name: a}]\nmodels: [{name: b}]\n", 2, 1, "duplicate key 'models'" },
	{ "models: [{name: a}]\nrules: {contains: x}\n", 2, 8, "expected a list of rules" },
	{ "models: [{name: a}]\ndefault: [a]\n", 2, 10, "expected text" },
};

TEST(mock_rules_errors_have_locations)
{
	for (size_t i = 0; i < sizeof bad_files / sizeof *bad_files; i++) {
		struct err e;
		struct mock_rules *r = parse(bad_files[i].yaml, &e);
		if (r) {
			mock_rules_free(r);
			t_fail(__FILE__, __LINE__, "case %zu loaded: %s", i,
			       bad_files[i].yaml);
			return;
		}
		if (e.code != ST_INPUT || strcmp(e.file, "t.yaml") ||
		    e.line != bad_files[i].line || e.col != bad_files[i].col ||
		    !strstr(e.msg, bad_files[i].msg)) {
			t_fail(__FILE__, __LINE__,
			       "case %zu: got %d %s:%d:%d: %s; want %d:%d /%s/", i,
			       e.code, e.file, e.line, e.col, e.msg,
			       bad_files[i].line, bad_files[i].col,
			       bad_files[i].msg);
			return;
		}
	}
}

TEST(mock_rules_matching)
{
	static const char yaml[] =
		"models: [{name: m}]\n"
		"default: 'no idea about {{prompt}}'\n"
		"rules:\n"
		"  - contains: France\n"
		"    reply: Paris\n"
		"  - icontains: HELLO\n"
		"    reply: 'hi from {{model}}, you said: {{ prompt }}'\n"
		"  - regex: 'add (\\d+) and (\\d+)'\n"
		"    reply: '$2+$1 costs $$5 ($0)'\n"
		"  - contains: cat\n"
		"    reply: '[$0]'\n";
	struct err e;
	struct mock_answer a;
	struct mock_rules *r = parse(yaml, &e);
	if (!r)
		err_print(&e, stdout);
	T_ASSERT(r != NULL);
	T_EQ_STR(ask(r, "m", "capital of France?", &a), "Paris");
	T_EQ_INT(a.rule, 0);
	T_EQ_INT(a.correct, 1);
	free(a.text);
	T_EQ_STR(ask(r, "m", "capital of france?", &a), "no idea about capital of france?");
	T_EQ_INT(a.rule, -1);
	free(a.text);
	T_EQ_STR(ask(r, "m", "well, Hello there", &a),
		 "hi from m, you said: well, Hello there");
	free(a.text);
	T_EQ_STR(ask(r, "m", "please add 2 and 40.", &a), "40+2 costs $5 (add 2 and 40)");
	T_EQ_INT(a.rule, 2);
	free(a.text);
	T_EQ_STR(ask(r, "m", "concatenate", &a), "[cat]");
	free(a.text);
	/* first match wins: France comes before hello */
	T_EQ_STR(ask(r, "m", "hello France", &a), "Paris");
	free(a.text);
	mock_rules_free(r);
}

TEST(mock_rules_match_in_and_model_rules)
{
	static const char yaml[] =
		"match_in: all\n"
		"models:\n"
		"  - name: m\n"
		"  - name: own\n"
		"    default: 'own default'\n"
		"    rules:\n"
		"      - contains: France\n"
		"        reply: 'Paris, says own'\n"
		"rules:\n"
		"  - contains: SECRET\n"
		"    reply: 'saw the system prompt'\n"
		"  - contains: France\n"
		"    match_in: last_user\n"
		"    reply: Paris\n"
		"  - contains: Spain\n"
		"    match_in: last_user\n"
		"    reply: Madrid\n";
	struct err e;
	struct mock_answer a;
	struct mock_rules *r = parse(yaml, &e);
	const char *all = "SECRET system prompt\nFrance?";
	struct mock_prompt p = { "France?", 7, all, strlen(all) };
	struct mock_prompt p2 = { "nothing", 7, "Spain\nnothing", 13 };
	if (!r)
		err_print(&e, stdout);
	T_ASSERT(r != NULL);
	mock_rules_answer(r, mock_rules_model(r, "m"), "m", 0, &p, &a);
	T_EQ_STR(a.text, "saw the system prompt");
	free(a.text);
	/* the model's own rules come first */
	mock_rules_answer(r, mock_rules_model(r, "own"), "own", 0, &p, &a);
	T_EQ_STR(a.text, "Paris, says own");
	T_EQ_INT(a.from_model, 1);
	free(a.text);
	/* last_user rules do not see earlier messages */
	mock_rules_answer(r, mock_rules_model(r, "m"), "m", 0, &p2, &a);
	T_EQ_STR(a.text, "I don't know.");
	free(a.text);
	mock_rules_answer(r, mock_rules_model(r, "own"), "own", 0, &p2, &a);
	T_EQ_STR(a.text, "own default");
	free(a.text);
	mock_rules_free(r);
}

TEST(mock_rules_builtin_echoes)
{
	struct err e = { 0 };
	struct mock_answer a;
	struct mock_rules *r = mock_rules_builtin(&e);
	T_ASSERT(r != NULL);
	T_ASSERT(mock_rules_model(r, "mock") != NULL);
	T_ASSERT(mock_rules_model(r, "gpt-4o") != NULL);
	T_EQ_STR(ask(r, "gpt-4o", "say \"hi\" ü", &a), "say \"hi\" ü");
	free(a.text);
	mock_rules_free(r);
}

TEST(mock_draw_is_deterministic)
{
	double u1 = mock_draw(0, "m", "prompt one", 10);
	double u2 = mock_draw(0, "m", "prompt one", 10);
	T_ASSERT(u1 >= 0 && u1 < 1);
	T_NEAR(u1, u2, 0);
	/* seed, model and text each change the draw */
	T_ASSERT(mock_draw(1, "m", "prompt one", 10) != u1);
	T_ASSERT(mock_draw(0, "n", "prompt one", 10) != u1);
	T_ASSERT(mock_draw(0, "m", "prompt onf", 10) != u1);
	/* the model name and the text are separated */
	T_ASSERT(mock_draw(0, "ab", "c", 1) != mock_draw(0, "a", "bc", 2));
}

static double share_right(const struct mock_rules *r, const char *model,
			  uint64_t seed, int n, int *only_listed_wrong)
{
	int right = 0;
	*only_listed_wrong = 1;
	for (int i = 0; i < n; i++) {
		char q[64];
		struct mock_answer a;
		struct mock_prompt p;
		snprintf(q, sizeof q, "question %d: what is the capital?", i);
		p = (struct mock_prompt){ q, strlen(q), q, strlen(q) };
		mock_rules_answer(r, mock_rules_model(r, model), model, seed, &p, &a);
		if (a.correct != !strcmp(a.text, "right"))
			*only_listed_wrong = 0;
		if (!a.correct && strcmp(a.text, "w1") && strcmp(a.text, "w2"))
			*only_listed_wrong = 0;
		right += a.correct;
		free(a.text);
	}
	return (double)right / n;
}

TEST(mock_draw_accuracy_share)
{
	static const char yaml[] =
		"models:\n"
		"  - {name: seventy, accuracy: 0.7}\n"
		"  - {name: never, accuracy: 0}\n"
		"  - {name: always}\n"
		"rules:\n"
		"  - contains: capital\n"
		"    reply: right\n"
		"    wrong: [w1, w2]\n";
	struct err e;
	struct mock_rules *r = parse(yaml, &e);
	int ok;
	double s;
	T_ASSERT(r != NULL);
	s = share_right(r, "seventy", 0, 1000, &ok);
	T_ASSERT(ok);
	T_ASSERT(s >= 0.65 && s <= 0.75);
	T_NEAR(share_right(r, "seventy", 0, 1000, &ok), s, 0); /* same again */
	s = share_right(r, "seventy", 12345, 1000, &ok);
	T_ASSERT(s >= 0.65 && s <= 0.75);
	T_NEAR(share_right(r, "never", 0, 200, &ok), 0, 0);
	T_ASSERT(ok);
	T_NEAR(share_right(r, "always", 0, 200, &ok), 1, 0);
	mock_rules_free(r);
}

TEST(mock_draw_same_case_same_answer)
{
	static const char yaml[] =
		"models: [{name: coin, accuracy: 0.5}]\n"
		"rules:\n"
		"  - contains: q\n"
		"    reply: right\n"
		"    wrong: [w1, w2, w3]\n";
	struct err e;
	struct mock_rules *r = parse(yaml, &e);
	int differs = 0;
	T_ASSERT(r != NULL);
	for (int i = 0; i < 50; i++) {
		char q[32];
		struct mock_answer a, b;
		struct mock_prompt p;
		snprintf(q, sizeof q, "q%d", i);
		p = (struct mock_prompt){ q, strlen(q), q, strlen(q) };
		mock_rules_answer(r, r->models, "coin", 9, &p, &a);
		mock_rules_answer(r, r->models, "coin", 9, &p, &b);
		T_EQ_STR(a.text, b.text);
		T_NEAR(a.u, b.u, 0);
		free(b.text);
		mock_rules_answer(r, r->models, "coin", 10, &p, &b);
		differs += strcmp(a.text, b.text) != 0;
		free(a.text);
		free(b.text);
	}
	T_ASSERT(differs > 0);   /* another seed gives other answers */
	mock_rules_free(r);
}
