/* test_suite.c — loading a suite that uses every supported feature
 * (tests/data/suite/basic.yaml): prompts from text, JSON and YAML files,
 * the provider forms, defaultTest merging, CSV and JSONL tests, file://
 * vars, the sanitized copy, rendering and filtering. */
#include "t.h"
#include "../../src/suite/suite.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static struct suite *load_basic(void)
{
	struct err e = {0};
	struct suite *s = NULL;
	if (suite_load("tests/data/suite/basic.yaml", &s, &e) != 0) {
		t_fail(__FILE__, __LINE__, "load failed: %s:%d:%d: %s", e.file,
		       e.line, e.col, e.msg);
		return NULL;
	}
	return s;
}

static const char *str_of(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

TEST(suite_basic_top_level)
{
	struct suite *s = load_basic();
	if (!s)
		return;
	T_EQ_STR(s->description, "Basic suite");
	T_ASSERT(json_is_object(s->evaluate_options));
	T_EQ_INT(json_integer_value(json_object_get(s->evaluate_options,
						    "maxConcurrency")), 4);
	T_EQ_INT(json_array_size(s->output_path), 2);
	T_EQ_STR(json_string_value(json_array_get(s->output_path, 1)),
		 "out.html");
	T_EQ_STR(s->dir, "tests/data/suite");
	suite_free(s);
}

TEST(suite_basic_prompts)
{
	struct suite *s = load_basic();
	if (!s)
		return;
	T_EQ_INT(s->n_prompts, 6);
	T_EQ_STR(s->prompts[0].raw, "Answer: {{question}}");
	T_ASSERT(!s->prompts[0].is_chat);
	T_EQ_INT(s->prompts[0].loc.line, 4);
	T_EQ_INT(s->prompts[0].loc.col, 6);
	/* two.txt holds two prompts split at '---' */
	T_EQ_STR(s->prompts[1].raw, "First prompt about {{question}}");
	T_EQ_STR(s->prompts[2].raw, "Second prompt in {{ lang }}:\n"
		 "{{question}}");
	T_EQ_STR(s->prompts[2].loc.file, "tests/data/suite/prompts/two.txt");
	T_EQ_INT(s->prompts[2].loc.line, 4);
	T_ASSERT(s->prompts[3].is_chat);
	T_EQ_STR(s->prompts[3].label, "chat-json");
	T_EQ_STR(s->prompts[4].raw, "Raw {{ question | upper }}");
	T_EQ_STR(s->prompts[4].label, "raw-label");
	T_ASSERT(s->prompts[5].is_chat);
	T_ASSERT(strstr(s->prompts[5].raw, "\"role\": \"system\"") != NULL);
	suite_free(s);
}

TEST(suite_basic_providers)
{
	struct suite *s = load_basic();
	if (!s)
		return;
	T_EQ_INT(s->n_providers, 3);
	T_EQ_STR(s->providers[0].id, "openai:chat:gpt-4o-mini");
	T_EQ_STR(s->providers[0].label, "openai:chat:gpt-4o-mini");
	T_EQ_INT(json_object_size(s->providers[0].config), 0);
	T_EQ_STR(s->providers[1].label, "haiku");
	/* the provider keeps its secrets; the sanitized copy does not */
	T_EQ_STR(str_of(s->providers[1].config, "apiKey"), "sk-secret");
	T_EQ_STR(s->providers[2].id, "exec:./x.sh");
	T_EQ_STR(s->providers[2].label, "local");
	T_EQ_INT(s->providers[2].loc.line, 19);
	suite_free(s);
}

TEST(suite_basic_sanitized_has_no_secrets)
{
	struct suite *s = load_basic();
	char *dump;
	if (!s)
		return;
	dump = json_dumps(s->sanitized, JSON_COMPACT);
	T_ASSERT(dump != NULL);
	T_ASSERT(strstr(dump, "sk-secret") == NULL);
	T_ASSERT(strstr(dump, "Bearer abc") == NULL);
	T_ASSERT(strstr(dump, "\"max_tokens\":100") != NULL);
	T_ASSERT(strstr(dump, "\"Accept\":\"text/plain\"") != NULL);
	T_ASSERT(strstr(dump, "\"description\":\"Basic suite\"") != NULL);
	free(dump);
	suite_free(s);
}

TEST(suite_basic_inline_test_merged_with_default)
{
	struct suite *s = load_basic();
	const struct test_case *t;
	if (!s)
		return;
	t = &s->tests[0];
	T_EQ_STR(t->description, "capital");
	T_EQ_STR(str_of(t->vars, "lang"), "en");
	T_EQ_INT(json_integer_value(json_object_get(t->vars, "num")), 3);
	T_EQ_INT(json_array_size(json_object_get(t->vars, "list")), 2);
	T_EQ_STR(str_of(json_object_get(t->vars, "obj"), "k"), "v");
	T_EQ_STR(str_of(t->vars, "doc"), "Document text.\n");
	T_EQ_INT(t->n_asserts, 3);
	T_EQ_STR(t->asserts[0].type, "not-contains");
	T_EQ_STR(t->asserts[1].type, "contains");
	T_NEAR(t->asserts[1].weight, 2.0, 0);
	T_EQ_STR(t->asserts[1].metric, "accuracy");
	T_NEAR(t->asserts[0].weight, 1.0, 0);
	T_ASSERT(t->asserts[2].has_threshold);
	T_NEAR(t->asserts[2].threshold, 0.8, 1e-12);
	T_EQ_STR(t->asserts[2].transform, "output.trim()");
	T_EQ_INT(t->asserts[1].loc.line, 39);
	T_EQ_INT(t->asserts[1].loc.col, 9);
	T_ASSERT(t->has_threshold);
	T_NEAR(t->threshold, 0.5, 0);
	T_EQ_STR(str_of(t->metadata, "owner"), "team");
	T_EQ_STR(str_of(t->metadata, "severity"), "high");
	T_EQ_STR(str_of(t->metadata, "expect"), "answer");
	T_EQ_STR(str_of(t->metadata, "cluster"), "c1");
	T_EQ_STR(json_string_value(json_array_get(json_object_get(t->metadata,
		 "tags"), 1)), "easy");
	T_EQ_INT(t->loc.line, 31);
	T_EQ_INT(t->loc.col, 5);
	t = &s->tests[1];
	T_ASSERT(t->description == NULL);
	T_EQ_STR(str_of(t->vars, "lang"), "fr");
	T_NEAR(t->threshold, 0.9, 0);
	T_EQ_STR(str_of(t->metadata, "owner"), "other");
	T_EQ_INT(t->n_asserts, 1);
	suite_free(s);
}

TEST(suite_csv_expected_columns)
{
	struct suite *s = load_basic();
	const struct test_case *t;
	json_t *v;
	if (!s)
		return;
	T_EQ_INT(s->n_tests, 7);
	t = &s->tests[2];
	T_EQ_STR(t->description, "csv one");
	T_EQ_STR(str_of(t->vars, "question"), "What is 1+1?");
	T_EQ_STR(str_of(t->vars, "lang"), "en");
	T_ASSERT(json_object_get(t->vars, "__expected") == NULL);
	T_EQ_INT(t->n_asserts, 3);
	T_EQ_STR(t->asserts[1].type, "contains");
	T_EQ_STR(json_string_value(t->asserts[1].value), "2");
	T_EQ_STR(t->asserts[1].metric, "math");
	T_EQ_STR(t->asserts[1].loc.file, "tests/data/suite/tests/cases.csv");
	T_EQ_INT(t->asserts[1].loc.line, 2);
	T_EQ_INT(t->asserts[1].loc.col, 16);
	T_EQ_STR(t->asserts[2].type, "icontains-any");
	v = t->asserts[2].value;
	T_EQ_INT(json_array_size(v), 2);
	T_EQ_STR(json_string_value(json_array_get(v, 0)), "two");
	T_EQ_STR(json_string_value(json_array_get(v, 1)), "2");
	T_ASSERT(t->has_threshold);
	T_NEAR(t->threshold, 0.5, 0);
	T_EQ_STR(str_of(t->metadata, "category"), "arith");
	v = json_object_get(t->metadata, "tags");
	T_EQ_INT(json_array_size(v), 2);
	T_EQ_STR(json_string_value(json_array_get(v, 1)), "b,c");
	T_EQ_INT(t->loc.line, 2);

	t = &s->tests[3];
	T_EQ_STR(str_of(t->vars, "question"), "Quote \"this\"");
	T_EQ_STR(t->asserts[1].type, "not-regex");
	T_EQ_STR(json_string_value(t->asserts[1].value), "^no");
	/* regex takes no threshold in promptfoo's rule */
	T_ASSERT(!t->asserts[1].has_threshold);
	/* no known type: equals with the whole text */
	T_EQ_STR(t->asserts[2].type, "equals");
	T_EQ_STR(json_string_value(t->asserts[2].value), "plain text answer");
	T_ASSERT(!t->has_threshold ? 0 : 1);   /* inherits defaultTest 0.5 */
	T_NEAR(t->threshold, 0.5, 0);

	t = &s->tests[4];
	T_EQ_STR(str_of(t->vars, "question"), "Multi\nline");
	T_EQ_INT(t->loc.line, 4);
	T_EQ_STR(t->asserts[1].type, "similar");
	T_ASSERT(t->asserts[1].has_threshold);
	T_NEAR(t->asserts[1].threshold, 0.8, 1e-12);
	suite_free(s);
}

TEST(suite_jsonl_tests)
{
	struct suite *s = load_basic();
	const struct test_case *t;
	if (!s)
		return;
	t = &s->tests[5];
	T_EQ_STR(t->description, "jsonl one");
	T_EQ_STR(str_of(t->vars, "question"), "J1");
	T_EQ_INT(t->n_asserts, 2);
	T_EQ_STR(t->asserts[1].type, "equals");
	T_EQ_STR(t->loc.file, "tests/data/suite/tests/cases.jsonl");
	T_EQ_INT(t->loc.line, 1);
	t = &s->tests[6];
	T_EQ_INT(t->loc.line, 3);
	T_NEAR(json_real_value(json_object_get(t->vars, "n")), 2.5, 0);
	suite_free(s);
}

TEST(suite_render_prompt_text_and_chat)
{
	struct suite *s = load_basic();
	struct err e = {0};
	json_t *vars;
	char *r;
	if (!s)
		return;
	vars = json_pack("{s:s, s:s}", "question", "Say \"hi\"\n", "lang",
			 "en");
	r = suite_render_prompt(&s->prompts[0], vars, &e);
	T_EQ_STR(r, "Answer: Say \"hi\"\n");
	free(r);
	r = suite_render_prompt(&s->prompts[3], vars, &e);
	T_ASSERT(r != NULL);
	T_ASSERT(strstr(r, "\"content\": \"Say \\\"hi\\\"\\n\"") != NULL);
	free(r);
	r = suite_render_prompt(&s->prompts[5], vars, &e);
	T_ASSERT(r != NULL);
	{
		json_t *j = json_loads(r, 0, NULL);
		T_EQ_INT(json_array_size(j), 2);
		T_EQ_STR(str_of(json_array_get(j, 1), "content"),
			 "Say \"hi\"\n");
		T_EQ_STR(str_of(json_array_get(j, 0), "content"),
			 "You answer in en.");
		json_decref(j);
	}
	free(r);
	json_decref(vars);
	suite_free(s);
}

TEST(suite_filter_pattern_and_first_n)
{
	struct suite *s = load_basic();
	struct err e = {0};
	if (!s)
		return;
	T_EQ_INT(suite_filter(s, "^csv", 0, &e), 0);
	T_EQ_INT(s->n_tests, 2);
	T_EQ_STR(s->tests[0].description, "csv one");
	T_EQ_STR(s->tests[1].description, "csv three");
	suite_free(s);
	s = load_basic();
	T_EQ_INT(suite_filter(s, "\"question\":\"J", 0, &e), 0);
	T_EQ_INT(s->n_tests, 2);
	T_EQ_INT(suite_filter(s, NULL, 1, &e), 0);
	T_EQ_INT(s->n_tests, 1);
	T_EQ_STR(s->tests[0].description, "jsonl one");
	T_ASSERT(suite_filter(s, "(unclosed", 0, &e) != 0);
	T_EQ_INT(e.code, ST_USAGE);
	T_ASSERT(strstr(e.msg, "offset 9") != NULL);
	suite_free(s);
}

/* Tests that add no assertion share defaultTest's (one copy for a CSV of
 * any length) and see exactly what a copy would hold: the rubric of
 * defaultTest, their own unparsable_output; a test with its own
 * assertions or the other unparsable_output gets its own array.  Filtering
 * and freeing release the shared block once (valgrind/ASan passes). */
TEST(suite_default_asserts_shared)
{
	char dir[] = "/tmp/assay-share-XXXXXX", path[64], csv[64];
	struct suite *s = NULL;
	struct err e = {0};
	FILE *f;
	T_ASSERT(mkdtemp(dir) != NULL);
	snprintf(path, sizeof path, "%s/s.yaml", dir);
	snprintf(csv, sizeof csv, "%s/c.csv", dir);
	f = fopen(csv, "w");
	T_ASSERT(f != NULL);
	fputs("q\none\ntwo\nthree\n", f);
	fclose(f);
	f = fopen(path, "w");
	T_ASSERT(f != NULL);
	fputs("prompts: ['{{q}}']\n"
	      "providers: [echo]\n"
	      "defaultTest:\n"
	      "  options: {rubricPrompt: 'judge {{output}}'}\n"
	      "  assert:\n"
	      "    - {type: contains, value: '{{q}}'}\n"
	      "    - {type: llm-rubric, value: polite}\n"
	      "tests:\n"
	      "  - file://c.csv\n"
	      "  - vars: {q: own}\n"
	      "    assert: [{type: equals, value: own}]\n"
	      "  - vars: {q: err}\n"
	      "    options: {unparsable_output: error}\n", f);
	fclose(f);
	if (suite_load(path, &s, &e) != 0) {
		t_fail(__FILE__, __LINE__, "load failed: %d:%d: %s", e.line,
		       e.col, e.msg);
		return;
	}
	T_EQ_INT(s->n_tests, 5);
	T_ASSERT(s->tests[0].asserts_share != NULL);
	T_ASSERT(s->tests[0].asserts == s->tests[1].asserts);
	T_ASSERT(s->tests[0].asserts == s->tests[2].asserts);
	T_EQ_INT(s->tests[2].n_asserts, 2);
	T_EQ_STR(s->tests[2].asserts[0].type, "contains");
	T_EQ_STR(s->tests[2].asserts[1].rubric_prompt, "judge {{output}}");
	T_ASSERT(!s->tests[2].asserts[1].unparsable_error);
	/* its own assertion after defaultTest's: its own array */
	T_ASSERT(s->tests[3].asserts_share == NULL);
	T_EQ_INT(s->tests[3].n_asserts, 3);
	T_EQ_STR(s->tests[3].asserts[2].type, "equals");
	T_EQ_STR(s->tests[3].asserts[1].rubric_prompt, "judge {{output}}");
	/* the other unparsable_output: a copy that carries it */
	T_ASSERT(s->tests[4].asserts != s->tests[0].asserts);
	T_EQ_INT(s->tests[4].n_asserts, 2);
	T_ASSERT(s->tests[4].asserts[0].unparsable_error);
	T_ASSERT(s->tests[4].asserts[1].unparsable_error);
	T_EQ_STR(s->tests[4].asserts[1].rubric_prompt, "judge {{output}}");
	T_ASSERT(!s->tests[0].asserts[0].unparsable_error);
	T_EQ_INT(suite_filter(s, "two", 0, &e), 0);
	T_EQ_INT(s->n_tests, 1);
	T_EQ_STR(s->tests[0].asserts[0].type, "contains");
	suite_free(s);
	remove(path);
	remove(csv);
	rmdir(dir);
}

/* Equal short var values of different tests are one json_t (vars are
 * read-only once loaded); the values read the same as before, a long
 * value is not interned, and a test whose vars are defaultTest's shared
 * object leaves it alone. */
TEST(suite_short_var_values_interned)
{
	char dir[] = "/tmp/assay-intern-XXXXXX", path[64], csv[64];
	struct suite *s = NULL;
	struct err e = {0};
	FILE *f;
	T_ASSERT(mkdtemp(dir) != NULL);
	snprintf(path, sizeof path, "%s/s.yaml", dir);
	snprintf(csv, sizeof csv, "%s/c.csv", dir);
	f = fopen(csv, "w");
	T_ASSERT(f != NULL);
	fputs("q,cat\nfirst,billing\nsecond,billing\nthird,shipping\n"
	      "x,aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"
	      "y,aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n", f);
	fclose(f);
	f = fopen(path, "w");
	T_ASSERT(f != NULL);
	fputs("prompts: ['{{q}} {{cat}}']\nproviders: [echo]\n"
	      "tests: file://c.csv\n", f);
	fclose(f);
	if (suite_load(path, &s, &e) != 0) {
		t_fail(__FILE__, __LINE__, "load failed: %d:%d: %s", e.line,
		       e.col, e.msg);
		return;
	}
	T_EQ_INT(s->n_tests, 5);
	T_ASSERT(json_object_get(s->tests[0].vars, "cat") ==
		 json_object_get(s->tests[1].vars, "cat"));
	T_EQ_STR(str_of(s->tests[1].vars, "cat"), "billing");
	T_EQ_STR(str_of(s->tests[2].vars, "cat"), "shipping");
	T_EQ_STR(str_of(s->tests[1].vars, "q"), "second");
	T_ASSERT(json_object_get(s->tests[3].vars, "cat") !=
		 json_object_get(s->tests[4].vars, "cat"));
	T_ASSERT(json_equal(json_object_get(s->tests[3].vars, "cat"),
			    json_object_get(s->tests[4].vars, "cat")));
	suite_free(s);
	remove(path);
	remove(csv);
	rmdir(dir);
}
