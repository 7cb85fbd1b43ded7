/* test_suite_errors.c — every kind of bad suite input fails with the
 * right file:line:col and message, and never crashes.  Each test writes a
 * small suite (and any files it names) into a scratch directory. */
#include "t.h"
#include "../../src/suite/suite.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char scratch[128];
static char written[16][256];
static int n_written;

static const char *put(const char *name, const char *text)
{
	FILE *f;
	if (!scratch[0])
		snprintf(scratch, sizeof scratch, "/tmp/assay_suite_t%ld",
			 (long)getpid());
	mkdir(scratch, 0700);
	snprintf(written[n_written], sizeof written[0], "%s/%s", scratch,
		 name);
	f = fopen(written[n_written], "wb");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
	return written[n_written++];
}

static void clean(void)
{
	for (int i = 0; i < n_written; i++)
		unlink(written[i]);
	n_written = 0;
	rmdir(scratch);
}

/* Loads `yaml` as suite.yaml; returns the status (suite freed). */
static int load_str(const char *yaml, struct err *e)
{
	struct suite *s = NULL;
	const char *path = put("suite.yaml", yaml);
	int rc = suite_load(path, &s, e);
	if (rc == 0 && !s)
		rc = -1;
	if (rc != 0 && s)
		rc = -2;        /* *out must stay NULL on failure */
	suite_free(s);
	clean();
	return rc;
}

static const char *base(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

#define EXPECT_ERR(yaml, fname, ln, cl, text)                            \
	do {                                                             \
		struct err e_ = {0};                                     \
		int rc_ = load_str((yaml), &e_);                         \
		if (rc_ != ST_INPUT) {                                   \
			t_fail(__FILE__, __LINE__, "rc %d, msg '%s'",    \
			       rc_, e_.msg);                             \
			return;                                          \
		}                                                        \
		T_EQ_STR(base(e_.file), (fname));                        \
		if (e_.line != (ln) || e_.col != (cl) ||                 \
		    !strstr(e_.msg, (text))) {                           \
			t_fail(__FILE__, __LINE__, "got %d:%d '%s', want " \
			       "%d:%d '%s'", e_.line, e_.col, e_.msg,   \
			       (ln), (cl), (text));                      \
			return;                                          \
		}                                                        \
	} while (0)

#define HEAD "prompts: ['Q: {{q}}']\nproviders: [echo]\n"

TEST(suite_err_malformed_yaml)
{
	EXPECT_ERR("prompts: [a, b\nproviders: [x]\n", "suite.yaml", 2, 10,
		   "invalid YAML: did not find expected ',' or ']'");
	EXPECT_ERR("prompts:\n  - a\n\t- b\n", "suite.yaml", 3, 1,
		   "invalid YAML");
	EXPECT_ERR("prompts: \"open\n", "suite.yaml", 2, 1,
		   "found unexpected end of stream");
}

/* Found by fuzz/suite_yaml: a mapping or list as a key reached code that
 * reads keys as strings (a NULL strcmp in the provider options). */
TEST(suite_err_container_as_mapping_key)
{
	EXPECT_ERR("prompts: [a]\nproviders:\n  - {id: echo, config: , {logprobs: true}}\n",
		   "suite.yaml", 3, 26, "found a mapping as a mapping key, expected a string");
	EXPECT_ERR("prompts: [a]\nproviders: [echo]\ntests:\n  - vars:\n      ? [a, b]\n      : 1\n",
		   "suite.yaml", 5, 9, "found a list as a mapping key, expected a string");
}

TEST(suite_err_empty_and_not_a_mapping)
{
	EXPECT_ERR("", "suite.yaml", 1, 1, "found an empty file");
	EXPECT_ERR("- a\n- b\n", "suite.yaml", 1, 1,
		   "found a list, expected a suite");
	EXPECT_ERR("prompts: [a]\n", "suite.yaml", 1, 1,
		   "missing key 'providers'");
}

TEST(suite_err_unknown_top_level_key)
{
	EXPECT_ERR(HEAD "tset: []\n", "suite.yaml", 3, 1,
		   "unknown key 'tset', expected one of: description, "
		   "prompts, providers, tests, defaultTest");
}

TEST(suite_err_unsupported_top_level_key)
{
	EXPECT_ERR(HEAD "redteam:\n  plugins: []\n", "suite.yaml", 3, 1,
		   "unsupported feature: 'redteam'");
	EXPECT_ERR(HEAD "  \nnunjucksFilters: {}\n", "suite.yaml", 4, 1,
		   "unsupported feature: 'nunjucksFilters'");
}

TEST(suite_err_wrong_value_type)
{
	EXPECT_ERR("prompts: 3\nproviders: [x]\n", "suite.yaml", 1, 10,
		   "found a number, expected a prompt string");
	EXPECT_ERR("prompts: [p]\nproviders: {a: 1, b: 2}\n", "suite.yaml", 2,
		   12, "found a mapping, expected a provider id or a list");
	EXPECT_ERR(HEAD "tests:\n  - vars: [1]\n", "suite.yaml", 4, 11,
		   "found a list, expected a mapping of var names");
	EXPECT_ERR(HEAD "tests:\n  - threshold: high\n", "suite.yaml", 4, 16,
		   "found a string, expected a number");
	EXPECT_ERR(HEAD "tests: 7\n", "suite.yaml", 3, 8,
		   "found a number, expected a test (a mapping) or a file://");
	EXPECT_ERR(HEAD "tests:\n  - vars: {q: x}\n    severity: [1]\n",
		   "suite.yaml", 5, 15, "found a list, expected a string");
}

TEST(suite_err_unknown_assertion_key)
{
	EXPECT_ERR(HEAD "tests:\n  - vars: {q: x}\n    assert:\n"
		   "      - type: contains\n        valeu: x\n",
		   "suite.yaml", 7, 9, "unknown key 'valeu' in an assertion, "
		   "expected one of: type, value, weight");
	EXPECT_ERR(HEAD "tests:\n  - assert:\n      - value: x\n",
		   "suite.yaml", 5, 9, "missing key 'type'");
	EXPECT_ERR(HEAD "tests:\n  - assert:\n      - {type: equals, "
		   "weight: -1}\n", "suite.yaml", 5, 32,
		   "found -1, expected a weight >= 0");
}

TEST(suite_err_unsupported_features)
{
	EXPECT_ERR(HEAD "tests:\n  - assert:\n      - type: llm-rubric\n"
		   "        contextTransform: output.ctx\n", "suite.yaml", 6, 9,
		   "unsupported feature: assertion key 'contextTransform'");
	EXPECT_ERR(HEAD "tests:\n  - assert:\n      - type: assert-set\n",
		   "suite.yaml", 5, 9, "found no 'assert', expected the set's "
		   "assertions");
	EXPECT_ERR(HEAD "tests:\n  - assert:\n      - type: assert-set\n"
		   "        metric: m\n        assert: [{type: equals}]\n",
		   "suite.yaml", 6, 9, "unsupported feature: 'metric' on an "
		   "assert-set");
	EXPECT_ERR(HEAD "tests:\n  - vars: {q: 1}\n    options:\n"
		   "      prefix: 'x'\n", "suite.yaml", 6, 7,
		   "unsupported feature: test option 'prefix'");
	EXPECT_ERR(HEAD "tests:\n  - providerOutput: hi\n", "suite.yaml", 4,
		   5, "unsupported feature: test key 'providerOutput'");
	EXPECT_ERR("prompts: [p]\nproviders:\n  - id: echo\n"
		   "    transform: output.trim()\n", "suite.yaml", 4, 5,
		   "unsupported feature: provider key 'transform'");
	EXPECT_ERR("prompts: [p]\nproviders:\n  - file://my_provider.rb\n",
		   "suite.yaml", 3, 5, "unsupported feature: file:// providers "
		   "other than provider files (.yaml, .yml, .json) and .js and "
		   ".py scripts");
	EXPECT_ERR("prompts: [file://prompt.py]\nproviders: [x]\n",
		   "suite.yaml", 1, 11, "unsupported feature: prompt functions");
	EXPECT_ERR(HEAD "defaultTest: file://default.yaml\n", "suite.yaml",
		   3, 14, "unsupported feature: defaultTest from a file");
	EXPECT_ERR(HEAD "tests: file://gen.py\n", "suite.yaml", 3, 8,
		   "unsupported feature: tests generated by code");
	EXPECT_ERR("prompts: ['{% include \"x\" %}yes']\nproviders: [x]\n",
		   "suite.yaml", 1, 12, "unsupported template tag "
		   "'{% include %}'");
}

TEST(suite_err_unknown_provider_and_test_keys)
{
	EXPECT_ERR("prompts: [p]\nproviders:\n  - id: echo\n    lable: E\n",
		   "suite.yaml", 4, 5, "unknown key 'lable' in a provider");
	EXPECT_ERR(HEAD "tests:\n  - varz: {}\n", "suite.yaml", 4, 5,
		   "unknown key 'varz' in a test");
}

TEST(suite_err_missing_file)
{
	EXPECT_ERR(HEAD "tests:\n  - file://nope.csv\n", "suite.yaml", 4, 5,
		   "cannot read file 'nope.csv'");
	EXPECT_ERR("prompts: [file://nope.txt]\nproviders: [x]\n",
		   "suite.yaml", 1, 11, "cannot read file 'nope.txt'");
	EXPECT_ERR(HEAD "tests:\n  - vars:\n      q: file://missing.txt\n",
		   "suite.yaml", 5, 10, "cannot read file 'missing.txt'");
}

TEST(suite_err_missing_variable)
{
	EXPECT_ERR("prompts:\n  - 'Hello {{ name }}, {{ q }}'\n"
		   "providers: [x]\ntests:\n  - description: greet\n"
		   "    vars: {q: 1}\n", "suite.yaml", 5, 5,
		   "test 'greet' does not define var 'name' used by prompt 1 "
		   "(");
	/* nested: the var's own template refers to a missing var */
	EXPECT_ERR(HEAD "tests:\n  - vars: {q: 'about {{topic}}'}\n",
		   "suite.yaml", 4, 5,
		   "test 1 does not define var 'topic' used by prompt 1");
	/* defaultTest vars count */
	{
		struct err e = {0};
		T_EQ_INT(load_str(HEAD "defaultTest: {vars: {q: x}}\n"
				  "tests:\n  - description: ok\n", &e), 0);
	}
}

TEST(suite_err_template_syntax_in_prompt)
{
	EXPECT_ERR("prompts:\n  - \"Hi {{ q | capitalize }}\"\nproviders: "
		   "[x]\n", "suite.yaml", 2, 16, "unsupported filter "
		   "'capitalize'");
	EXPECT_ERR("prompts:\n  - |\n    line one\n    two {{ q \n"
		   "providers: [x]\n", "suite.yaml", 4, 9,
		   "unterminated tag");
}

TEST(suite_err_duplicate_key_and_bad_alias)
{
	EXPECT_ERR(HEAD "tests:\n  - vars: {q: 1}\n    vars: {q: 2}\n",
		   "suite.yaml", 5, 5, "duplicate key 'vars' (first at line 4)");
	EXPECT_ERR(HEAD "tests:\n  - vars: *nothere\n", "suite.yaml", 4, 11,
		   "found alias '*nothere', expected an anchor");
	EXPECT_ERR(HEAD "tests:\n  - &t\n    vars: *t\n", "suite.yaml", 5, 11,
		   "recursive alias");
}

TEST(suite_err_malformed_csv)
{
	put("t.csv", "q,__expected\nfine,contains:a\n\"open,x\nmore\n");
	EXPECT_ERR(HEAD "tests: file://t.csv\n", "t.csv", 3, 1,
		   "malformed CSV: found the end of the file inside a quoted "
		   "field");
	put("t.csv", "q,__expected\nab\"c,x\n");
	EXPECT_ERR(HEAD "tests: file://t.csv\n", "t.csv", 2, 3,
		   "malformed CSV: found '\"'");
	put("t.csv", "q,__expected\n\"x\"y,z\n");
	EXPECT_ERR(HEAD "tests: file://t.csv\n", "t.csv", 2, 4,
		   "malformed CSV: found 'y'");
	put("t.csv", "q,other\n1,2\n3\n");
	EXPECT_ERR(HEAD "tests: file://t.csv\n", "t.csv", 3, 1,
		   "found 1 fields, expected 2");
	put("t.csv", "q,__expceted\n1,2\n");
	EXPECT_ERR(HEAD "tests: file://t.csv\n", "t.csv", 1, 3,
		   "unknown special column '__expceted'");
	put("t.csv", "q,__prefix\n1,2\n");
	EXPECT_ERR(HEAD "tests: file://t.csv\n", "t.csv", 1, 3,
		   "unsupported feature: CSV column '__prefix'");
	put("t.csv", "q,__expected\nx,file://check.rb\n");
	EXPECT_ERR(HEAD "tests: file://t.csv\n", "t.csv", 2, 3,
		   "unsupported feature: code assertion 'file://check.rb'");
	put("t.csv", "q,__threshold\nx,lots\n");
	EXPECT_ERR(HEAD "tests: file://t.csv\n", "t.csv", 2, 3,
		   "found 'lots', expected a number in __threshold");
	put("t.csv", "q\n\xff\n");
	EXPECT_ERR(HEAD "tests: file://t.csv\n", "t.csv", 2, 1,
		   "not valid UTF-8");
	put("t.csv", "q,q\n1,2\n");
	EXPECT_ERR(HEAD "tests: file://t.csv\n", "t.csv", 1, 3,
		   "duplicate column 'q'");
}

TEST(suite_err_csv_missing_var_names_the_row)
{
	put("t.csv", "other\n1\n");
	EXPECT_ERR(HEAD "tests: file://t.csv\n", "t.csv", 2, 1,
		   "test 1 does not define var 'q' used by prompt 1");
}

TEST(suite_err_malformed_jsonl_and_json)
{
	put("t.jsonl", "{\"vars\": {\"q\": 1}}\n{\"vars\": {\"q\": }}\n");
	EXPECT_ERR(HEAD "tests: file://t.jsonl\n", "t.jsonl", 2, 16,
		   "invalid JSON: unexpected token near '}'");
	put("t.jsonl", "[1]\n");
	EXPECT_ERR(HEAD "tests: file://t.jsonl\n", "t.jsonl", 1, 1,
		   "expected a test object on each line");
	put("t.jsonl", "\n\n{\"vars\": {\"q\": 1}, \"asert\": []}\n");
	EXPECT_ERR(HEAD "tests: file://t.jsonl\n", "t.jsonl", 3, 1,
		   "unknown key 'asert' in a test");
	put("t.json", "[\n  {\"vars\": {\"q\": 1}},\n  {\"vars\": 5}\n]\n");
	EXPECT_ERR(HEAD "tests: file://t.json\n", "t.json", 3, 12,
		   "found a number, expected a mapping of var names");
	put("t.json", "[\n  {\"vars\": {\"q\": 1}},,\n]\n");
	EXPECT_ERR(HEAD "tests: file://t.json\n", "t.json", 2, 22,
		   "invalid JSON");
	put("t.yaml", "- vars: {q: 1}\n- vars: {q: 2}\n  assert: [{type: x, "
	    "wieght: 2}]\n");
	EXPECT_ERR(HEAD "tests: file://t.yaml\n", "t.yaml", 3, 22,
		   "unknown key 'wieght' in an assertion");
	EXPECT_ERR(HEAD "tests: file://t.txt\n", "suite.yaml", 3, 8,
		   "expected a .csv, .jsonl, .json, .yaml or .yml file");
}

TEST(suite_err_never_crashes_on_garbage)
{
	static const char *const junk[] = {
		"{", "[[[[[[[[", "*a", "&a [*a]", "prompts: !!binary x",
		"? [a]\n: b\n", "prompts: [{raw: [1]}]\nproviders: [x]\n",
		"prompts: [p]\nproviders: [{id: 3}]\n",
		"prompts: [p]\nproviders: [x]\ntests: [[1]]\n",
		"prompts: [p]\nproviders: [x]\ntests: [{assert: 5}]\n",
		"prompts: [p]\nproviders: [x]\ntests: [{assert: [5]}]\n",
		"prompts: {}\nproviders: [x]\n",
		"a: &x [*x]\n", "\xef\xbb\xbfprompts: [p]\n",
		"prompts: [\xff]\nproviders: [x]\n",
	};
	for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++) {
		struct err e = {0};
		int rc = load_str(junk[i], &e);
		if (rc != ST_INPUT || !e.msg[0] || e.line < 1) {
			t_fail(__FILE__, __LINE__, "input %zu: rc %d, %d:%d %s",
			       i, rc, e.line, e.col, e.msg);
			return;
		}
	}
}

TEST(suite_anchors_aliases_merge_keys)
{
	struct err e = {0};
	struct suite *s = NULL;
	const char *path = put("suite.yaml",
		"prompts: ['{{q}} {{lang}}']\nproviders: [x]\n"
		"x-base: &base\n  vars: {q: base, lang: en}\n"
		"  assert: [{type: contains, value: a}]\n");
	(void)path;
	/* x-base is not a promptfoo key: anchors must live in known keys */
	T_EQ_INT(suite_load(written[0], &s, &e), ST_INPUT);
	T_ASSERT(strstr(e.msg, "unknown key 'x-base'") != NULL);
	clean();
	path = put("suite.yaml",
		"prompts: ['{{q}} {{lang}}']\nproviders: [x]\n"
		"defaultTest: &d\n  vars: &v {q: base, lang: en}\n"
		"tests:\n  - vars:\n      <<: *v\n      q: over\n"
		"  - vars: {<<: [*v, {extra: 1}], lang: de}\n"
		"  - *d\n");
	T_EQ_INT(suite_load(path, &s, &e), 0);
	T_ASSERT(s != NULL);
	T_EQ_INT(s->n_tests, 3);
	T_EQ_STR(json_string_value(json_object_get(s->tests[0].vars, "q")),
		 "over");
	T_EQ_STR(json_string_value(json_object_get(s->tests[0].vars,
						   "lang")), "en");
	T_EQ_STR(json_string_value(json_object_get(s->tests[1].vars,
						   "lang")), "de");
	T_EQ_INT(json_integer_value(json_object_get(s->tests[1].vars,
						    "extra")), 1);
	T_EQ_STR(json_string_value(json_object_get(s->tests[2].vars, "q")),
		 "base");
	suite_free(s);
	clean();
}

TEST(suite_no_tests_runs_prompts_once)
{
	struct err e = {0};
	struct suite *s = NULL;
	const char *path = put("suite.yaml", "prompts: [hello]\nproviders: "
			       "[x]\ndefaultTest:\n  assert: [{type: "
			       "contains, value: h}]\n");
	T_EQ_INT(suite_load(path, &s, &e), 0);
	T_EQ_INT(s->n_tests, 1);
	T_EQ_INT(s->tests[0].n_asserts, 1);
	T_ASSERT(json_is_object(s->tests[0].vars));
	T_ASSERT(json_is_object(s->tests[0].metadata));
	suite_free(s);
	clean();
}

TEST(suite_scalar_types_and_provider_map_form)
{
	struct err e = {0};
	struct suite *s = NULL;
	const char *path = put("suite.yaml",
		"prompts: ['{{a}}{{b}}{{c}}{{d}}{{e}}{{f}}']\n"
		"providers:\n  - openai:gpt-4o:\n      config: {temperature: 0.2}\n"
		"tests:\n  - vars: {a: 12, b: '12', c: true, d: ~, e: 1.5e3, "
		"f: 0x1F}\n");
	T_EQ_INT(suite_load(path, &s, &e), 0);
	T_ASSERT(json_is_integer(json_object_get(s->tests[0].vars, "a")));
	T_ASSERT(json_is_string(json_object_get(s->tests[0].vars, "b")));
	T_ASSERT(json_is_true(json_object_get(s->tests[0].vars, "c")));
	T_ASSERT(json_is_null(json_object_get(s->tests[0].vars, "d")));
	T_NEAR(json_real_value(json_object_get(s->tests[0].vars, "e")), 1500,
	       0);
	T_EQ_INT(json_integer_value(json_object_get(s->tests[0].vars, "f")),
		 31);
	T_EQ_STR(s->providers[0].id, "openai:gpt-4o");
	T_NEAR(json_real_value(json_object_get(s->providers[0].config,
					       "temperature")), 0.2, 0);
	suite_free(s);
	clean();
}

TEST(suite_err_alias_bomb_is_refused)
{
	struct buf_ { char s[2048]; } b;
	size_t n = 0;
	struct err e = {0};
	n += (size_t)snprintf(b.s + n, sizeof b.s - n, "prompts: [p]\n"
			      "providers: [x]\ndefaultTest:\n  vars:\n"
			      "    l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n");
	for (int i = 1; i < 9; i++)
		n += (size_t)snprintf(b.s + n, sizeof b.s - n,
				      "    l%d: &l%d [*l%d, *l%d, *l%d, *l%d, "
				      "*l%d, *l%d, *l%d, *l%d, *l%d, *l%d]\n",
				      i, i, i - 1, i - 1, i - 1, i - 1, i - 1,
				      i - 1, i - 1, i - 1, i - 1, i - 1);
	T_EQ_INT(load_str(b.s, &e), ST_INPUT);
	T_ASSERT(strstr(e.msg, "aliases expand the document by more than") != NULL);
	T_ASSERT(strstr(e.msg, "yaml_nodes") != NULL);
	T_EQ_STR(base(e.file), "suite.yaml");
}

TEST(suite_err_chat_prompt_broken_by_vars)
{
	/* a var spliced outside a JSON string must itself be JSON */
	EXPECT_ERR("prompts:\n  - '[{\"role\": \"user\", \"content\": "
		   "{{ extra }}}]'\nproviders: [x]\ntests:\n"
		   "  - description: bad\n    vars: {extra: not json}\n",
		   "suite.yaml", 5, 5, "test 'bad': chat prompt 1 renders to "
		   "invalid JSON");
}

/* A suite file that cannot be read: ST_IO, nothing left allocated (the
 * ASan run's leak check is the other half of this test). */
TEST(suite_err_missing_file_is_io)
{
	struct suite *s = NULL;
	struct err e = {0};
	T_EQ_INT(suite_load("/nonexistent/assay/suite.yaml", &s, &e), ST_IO);
	T_ASSERT(s == NULL);
	T_ASSERT(strstr(e.msg, "cannot open") != NULL);
}
