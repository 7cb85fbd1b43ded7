/* test_suite_judge.c — the suite keys of model-graded assertions: an
 * assertion's `provider` and `rubricPrompt`, a test's and defaultTest's
 * `options.provider` / `options.rubricPrompt` (inherited), and their
 * load-time errors with locations. */
#include "t.h"
#include "../../src/suite/suite.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char sj_dir[128];

/* Writes `text` to sj_dir/name; returns the path (static buffer). */
static const char *sj_put(const char *name, const char *text)
{
	static char path[256];
	FILE *f;
	snprintf(sj_dir, sizeof sj_dir, "/tmp/assay_suite_judge%ld",
		 (long)getpid());
	mkdir(sj_dir, 0700);
	snprintf(path, sizeof path, "%s/%s", sj_dir, name);
	f = fopen(path, "wb");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
	return path;
}

static void sj_clean(void)
{
	char p[300];
	snprintf(p, sizeof p, "%s/suite.yaml", sj_dir);
	unlink(p);
	snprintf(p, sizeof p, "%s/rubric.txt", sj_dir);
	unlink(p);
	rmdir(sj_dir);
}

static struct suite *sj_load(const char *yaml, struct err *e)
{
	struct suite *s = NULL;
	memset(e, 0, sizeof *e);
	if (suite_load(sj_put("suite.yaml", yaml), &s, e))
		s = NULL;
	return s;
}

#define SJ_HEAD "prompts: ['Q: {{q}}']\nproviders: [echo]\n"

TEST(suite_judge_provider_and_rubric_keys)
{
	struct err e;
	struct suite *s = sj_load(SJ_HEAD
		"defaultTest:\n"
		"  options:\n"
		"    provider: openai:chat:gpt-4o-mini\n"
		"    rubricPrompt: 'Grade {{output}} by {{rubric}}'\n"
		"  assert:\n"
		"    - type: llm-rubric\n"
		"      value: polite\n"
		"tests:\n"
		"  - vars: {q: a}\n"
		"    assert:\n"
		"      - type: factuality\n"
		"        value: Paris\n"
		"        provider:\n"
		"          id: anthropic:messages:claude\n"
		"          config: {temperature: 0}\n"
		"        rubricPrompt:\n"
		"          - role: system\n"
		"            content: judge\n"
		"          - {role: user, content: '{{output}}'}\n"
		"  - vars: {q: b}\n"
		"    options:\n"
		"      provider: {id: mock:judge}\n"
		"      rubricPrompt: own\n"
		"    assert:\n"
		"      - type: g-eval\n"
		"        value: clear\n", &e);
	T_ASSERT(s != NULL);
	T_EQ_INT(s->n_tests, 2);
	/* test 1: inherits the default grader and rubric prompt */
	T_EQ_STR(s->tests[0].grader, "openai:chat:gpt-4o-mini");
	T_ASSERT(s->tests[0].grader_config == NULL);
	T_EQ_INT(s->tests[0].n_asserts, 2);
	T_EQ_STR(s->tests[0].asserts[0].rubric_prompt,
		 "Grade {{output}} by {{rubric}}");
	T_ASSERT(s->tests[0].asserts[0].provider == NULL);
	T_EQ_STR(s->tests[0].asserts[1].provider, "anthropic:messages:claude");
	T_ASSERT(json_is_object(s->tests[0].asserts[1].provider_config));
	T_EQ_INT(json_integer_value(json_object_get(
		 s->tests[0].asserts[1].provider_config, "temperature")), 0);
	/* a list of messages is kept as JSON text */
	{
		json_t *m = json_loads(s->tests[0].asserts[1].rubric_prompt, 0,
				       NULL);
		T_ASSERT(json_is_array(m));
		T_EQ_INT(json_array_size(m), 2);
		T_EQ_STR(json_string_value(json_object_get(
			 json_array_get(m, 1), "content")), "{{output}}");
		json_decref(m);
	}
	/* test 2: its own options win, for the defaultTest's assertion too */
	T_EQ_STR(s->tests[1].grader, "mock:judge");
	T_EQ_STR(s->tests[1].asserts[0].rubric_prompt,
		 "Grade {{output}} by {{rubric}}");
	T_EQ_STR(s->tests[1].asserts[1].rubric_prompt, "own");
	suite_free(s);
	sj_clean();
}

TEST(suite_judge_rubric_from_file)
{
	struct err e;
	struct suite *s;
	sj_put("rubric.txt", "From a file: {{output}}\n");
	s = sj_load(SJ_HEAD "tests:\n  - vars: {q: a}\n    assert:\n"
		    "      - type: llm-rubric\n        value: x\n"
		    "        rubricPrompt: file://rubric.txt\n", &e);
	T_ASSERT(s != NULL);
	T_EQ_STR(s->tests[0].asserts[0].rubric_prompt,
		 "From a file: {{output}}\n");
	suite_free(s);
	sj_clean();
}

#define SJ_ERR(yaml, ln, cl, text)                                       \
	do {                                                             \
		struct err e_;                                           \
		struct suite *s_ = sj_load((yaml), &e_);                 \
		sj_clean();                                              \
		if (s_) {                                                \
			suite_free(s_);                                  \
			t_fail(__FILE__, __LINE__, "loaded, want an error"); \
			return;                                          \
		}                                                        \
		if (e_.line != (ln) || e_.col != (cl) ||                 \
		    !strstr(e_.msg, (text))) {                           \
			t_fail(__FILE__, __LINE__, "got %d:%d '%s', want " \
			       "%d:%d '%s'", e_.line, e_.col, e_.msg,   \
			       (ln), (cl), (text));                      \
			return;                                          \
		}                                                        \
	} while (0)

TEST(suite_judge_errors)
{
	SJ_ERR(SJ_HEAD "tests:\n  - vars: {q: a}\n    assert:\n"
	       "      - type: llm-rubric\n        provider: [a]\n", 7, 19,
	       "found a list, expected a judge provider id");
	SJ_ERR(SJ_HEAD "tests:\n  - vars: {q: a}\n    assert:\n"
	       "      - type: llm-rubric\n        provider: {config: {}}\n",
	       7, 19, "missing key 'id' in a judge provider");
	SJ_ERR(SJ_HEAD "tests:\n  - vars: {q: a}\n    assert:\n"
	       "      - type: llm-rubric\n        provider: {id: x, "
	       "cfg: 1}\n", 7, 27, "unknown key 'cfg' in a judge provider");
	SJ_ERR(SJ_HEAD "tests:\n  - vars: {q: a}\n    assert:\n"
	       "      - type: llm-rubric\n        rubricPrompt: 3\n", 7, 23,
	       "found a number, expected a rubric prompt");
	SJ_ERR(SJ_HEAD "tests:\n  - vars: {q: a}\n    assert:\n"
	       "      - type: llm-rubric\n        rubricPrompt: [hi]\n", 7,
	       24, "expected a chat message with string role and content");
	SJ_ERR(SJ_HEAD "tests:\n  - vars: {q: a}\n    options:\n"
	       "      provider: {id: x, config: 3}\n", 6, 33,
	       "found a number, expected a mapping");
	SJ_ERR(SJ_HEAD "defaultTest:\n  options: [1]\n", 4, 12,
	       "found a list, expected a mapping");
	SJ_ERR(SJ_HEAD "tests:\n  - vars: {q: a}\n    options:\n"
	       "      transformVars: x\n", 6, 7,
	       "unsupported feature: test option 'transformVars'");
}
