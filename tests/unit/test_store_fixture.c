/* test_store_fixture.c — hand-built suites, responses and grades for the
 * store and report tests (no YAML loader involved), and a temp directory
 * helper.  Prototypes are repeated in test_store.c and test_report.c. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/provider/response.h"
#include "../../src/score/score.h"
#include "../../src/store/store.h"
#include "../../src/suite/suite.h"
#include "../../src/util/xalloc.h"

struct suite *tfx_suite(size_t n_tests, size_t n_providers);
void tfx_suite_free(struct suite *s);
char *tfx_tmpdir(void);
void tfx_rmdir(char *dir);
void tfx_grade(struct grade *g, const struct test_case *tc, bool pass,
	       double score, const char *metric_json);
void tfx_grade_free(struct grade *g);
int64_t tfx_run(struct store *st, struct suite *s);

/* A secret planted everywhere a careless store could copy it from. */
#define TFX_SECRET "sk-PLANTED-SECRET-0123456789"

/* n_tests cases with vars {"q": "question i"} (odd ones also "lang": "fr",
 * every third also "n": i), 1 prompt plus a chat prompt, and n_providers
 * providers whose configs hold secrets — also in `sanitized`, as if the
 * loader's sanitizer had missed them. */
struct suite *tfx_suite(size_t n_tests, size_t n_providers)
{
	struct suite *s = xcalloc(1, sizeof *s);
	json_t *san_provs = json_array();
	s->path = xstrdup("tests/data/store/suite.yaml");
	s->dir = xstrdup("tests/data/store");
	s->description = xstrdup("fixture suite");
	s->n_prompts = 2;
	s->prompts = xcalloc(2, sizeof *s->prompts);
	s->prompts[0].raw = xstrdup("Answer: {{q}}");
	s->prompts[0].label = xstrdup("plain");
	s->prompts[1].raw = xstrdup("[{\"role\":\"user\",\"content\":\"{{q}}\"}]");
	s->prompts[1].label = xstrdup("chat");
	s->prompts[1].is_chat = true;
	s->n_providers = n_providers;
	s->providers = xcalloc(n_providers, sizeof *s->providers);
	for (size_t i = 0; i < n_providers; i++) {
		struct provider_spec *p = &s->providers[i];
		json_t *san;
		p->id = xasprintf("openai:chat:model-%c", (char)('a' + i));
		p->label = xasprintf("model-%c", (char)('a' + i));
		p->config = json_pack(
			"{s:s, s:s, s:i, s:f, s:{s:s, s:s}, s:s, s:s}",
			"apiKey", TFX_SECRET, "apiBaseUrl", "http://127.0.0.1:1/v1",
			"max_tokens", 64, "temperature", 0.5, "headers",
			"Authorization", "Bearer " TFX_SECRET, "X-Trace", "on",
			"password", TFX_SECRET, "session_token", TFX_SECRET);
		san = json_pack("{s:s, s:s, s:O}", "id", p->id, "label",
				p->label, "config", p->config);
		json_array_append_new(san_provs, san);
	}
	s->sanitized = json_pack("{s:s, s:o, s:{s:s}}", "description",
				 "fixture suite", "providers", san_provs, "env",
				 "OPENAI_API_KEY", TFX_SECRET);
	s->n_tests = n_tests;
	s->tests = xcalloc(n_tests ? n_tests : 1, sizeof *s->tests);
	for (size_t i = 0; i < n_tests; i++) {
		struct test_case *t = &s->tests[i];
		char q[64];
		snprintf(q, sizeof q, "question %zu", i);
		t->description = xasprintf("case %zu", i);
		t->vars = json_pack("{s:s}", "q", q);
		if (i % 2)
			json_object_set_new(t->vars, "lang", json_string("fr"));
		if (i % 3 == 0)
			json_object_set_new(t->vars, "n", json_integer((json_int_t)i));
		t->metadata = json_pack("{s:s}", "tag", "fixture");
		t->n_asserts = 2;
		t->asserts = xcalloc(2, sizeof *t->asserts);
		t->asserts[0].type = xstrdup("contains");
		t->asserts[0].value = json_string("yes");
		t->asserts[0].weight = 1.0;
		t->asserts[0].metric = xstrdup("acc");
		t->asserts[1].type = xstrdup("not-regex");
		t->asserts[1].value = json_string("^no");
		t->asserts[1].weight = 2.0;
	}
	return s;
}

void tfx_suite_free(struct suite *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_prompts; i++) {
		free(s->prompts[i].raw);
		free(s->prompts[i].label);
	}
	for (size_t i = 0; i < s->n_providers; i++) {
		free(s->providers[i].id);
		free(s->providers[i].label);
		json_decref(s->providers[i].config);
	}
	for (size_t i = 0; i < s->n_tests; i++) {
		struct test_case *t = &s->tests[i];
		for (size_t k = 0; k < t->n_asserts; k++) {
			free(t->asserts[k].type);
			json_decref(t->asserts[k].value);
			free(t->asserts[k].metric);
		}
		free(t->asserts);
		free(t->description);
		json_decref(t->vars);
		json_decref(t->metadata);
	}
	free(s->prompts);
	free(s->providers);
	free(s->tests);
	json_decref(s->sanitized);
	free(s->path);
	free(s->dir);
	free(s->description);
	free(s);
}

/* A grade for test tc: assertion 0 passes when `pass`, assertion 1 always
 * passes; named scores from metric_json (may be NULL). */
void tfx_grade(struct grade *g, const struct test_case *tc, bool pass,
	       double score, const char *metric_json)
{
	memset(g, 0, sizeof *g);
	g->pass = pass;
	g->score = score;
	g->reason = xstrdup(pass ? "All assertions passed"
				 : "Expected output to contain \"yes\"");
	g->n_items = tc->n_asserts;
	g->items = xcalloc(g->n_items ? g->n_items : 1, sizeof *g->items);
	for (size_t i = 0; i < g->n_items; i++) {
		g->items[i].spec = &tc->asserts[i];
		g->items[i].pass = i == 0 ? pass : true;
		g->items[i].score = i == 0 ? (pass ? 1.0 : 0.0) : 1.0;
		g->items[i].reason = xasprintf("assertion %zu", i);
	}
	g->named_scores = metric_json ? json_loads(metric_json, 0, NULL)
				      : json_object();
}

void tfx_grade_free(struct grade *g)
{
	for (size_t i = 0; i < g->n_items; i++)
		free(g->items[i].reason);
	free(g->items);
	free(g->reason);
	json_decref(g->named_scores);
	memset(g, 0, sizeof *g);
}

char *tfx_tmpdir(void)
{
	char *d = xstrdup("/tmp/assay_store_test_XXXXXX");
	if (!mkdtemp(d)) {
		free(d);
		return NULL;
	}
	return d;
}

void tfx_rmdir(char *dir)
{
	char *cmd;
	if (!dir)
		return;
	cmd = xasprintf("rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	free(cmd);
	free(dir);
}

/* A finished run of suite s in st: every case × provider answered "out",
 * provider 0 passing and the others failing.  The run id, 0 on failure. */
int64_t tfx_run(struct store *st, struct suite *s)
{
	struct store_run_meta m = { .repeat = 1 };
	struct err err = {0};
	int64_t run = 0;
	if (store_run_begin_meta(st, s, &m, &run, &err))
		return 0;
	for (size_t t = 0; t < s->n_tests; t++)
		for (size_t v = 0; v < s->n_providers; v++) {
			struct response r;
			struct grade g;
			struct result_rec rec = { t, 0, v, 0, "p", &r, &g, 0, 0, 0, 0 };
			int rc;
			response_init(&r);
			r.output = xstrdup("out");
			tfx_grade(&g, &s->tests[t], v == 0, v == 0, NULL);
			rc = store_result_put(st, run, &rec, &err);
			tfx_grade_free(&g);
			response_cleanup(&r);
			if (rc)
				return 0;
		}
	return store_run_end(st, run, "done", &err) ? 0 : run;
}
