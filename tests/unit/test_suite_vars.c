/* test_suite_vars.c — list vars expand into one test per combination,
 * by promptfoo's rule (generateVarCombinations in its src/evaluator.ts):
 * only a list whose first element is a string expands; the first var
 * varies slowest; options.disableVarExpansion (the test's over
 * defaultTest's) turns it off. */
#include "t.h"
#include "../../src/suite/suite.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct suite *load_yaml(const char *yaml)
{
	char path[128];
	struct err e = {0};
	struct suite *s = NULL;
	FILE *f;

	snprintf(path, sizeof path, "/tmp/assay_vars_t%ld.yaml",
		 (long)getpid());
	f = fopen(path, "wb");
	if (!f)
		return NULL;
	fputs(yaml, f);
	fclose(f);
	if (suite_load(path, &s, &e) != 0) {
		t_fail(__FILE__, __LINE__, "load failed: %d:%d: %s", e.line,
		       e.col, e.msg);
		s = NULL;
	}
	unlink(path);
	return s;
}

static const char *var(const struct suite *s, size_t i, const char *k)
{
	return json_string_value(json_object_get(s->tests[i].vars, k));
}

TEST(suite_vars_list_expands_cross_product_first_slowest)
{
	struct suite *s = load_yaml(
		"prompts: ['{{lang}} {{word}} {{n}}']\n"
		"providers: [echo]\n"
		"defaultTest:\n"
		"  vars: {lang: [en, fr]}\n"
		"tests:\n"
		"  - vars: {word: [hi, bye, yo], n: [1, 2]}\n"
		"    assert: [{type: contains, value: x}]\n");
	if (!s)
		return;
	T_EQ_INT(s->n_tests, 6);
	if (s->n_tests == 6) {
		T_EQ_STR(var(s, 0, "lang"), "en");
		T_EQ_STR(var(s, 0, "word"), "hi");
		T_EQ_STR(var(s, 1, "word"), "bye");
		T_EQ_STR(var(s, 2, "word"), "yo");
		T_EQ_STR(var(s, 3, "lang"), "fr");
		T_EQ_STR(var(s, 3, "word"), "hi");
		/* a list of numbers stays whole */
		T_EQ_INT(json_array_size(json_object_get(s->tests[5].vars,
							 "n")), 2);
		T_EQ_INT(s->tests[5].n_asserts, 1);
	}
	suite_free(s);
}

TEST(suite_vars_disable_expansion_test_over_default)
{
	struct suite *s = load_yaml(
		"prompts: ['{{a}}']\n"
		"providers: [echo]\n"
		"defaultTest:\n"
		"  options: {disableVarExpansion: true}\n"
		"tests:\n"
		"  - vars: {a: [x, y]}\n"
		"  - vars: {a: [x, y]}\n"
		"    options: {disableVarExpansion: false}\n");
	if (!s)
		return;
	T_EQ_INT(s->n_tests, 3);
	if (s->n_tests == 3) {
		T_EQ_INT(json_array_size(json_object_get(s->tests[0].vars,
							 "a")), 2);
		T_EQ_STR(var(s, 1, "a"), "x");
		T_EQ_STR(var(s, 2, "a"), "y");
	}
	suite_free(s);
}

TEST(suite_vars_disable_expansion_must_be_bool)
{
	char path[128];
	struct err e = {0};
	struct suite *s = NULL;
	FILE *f;
	snprintf(path, sizeof path, "/tmp/assay_vars_b%ld.yaml",
		 (long)getpid());
	f = fopen(path, "wb");
	if (!f)
		return;
	fputs("prompts: ['{{a}}']\nproviders: [echo]\ntests:\n"
	      "  - vars: {a: x}\n    options: {disableVarExpansion: 3}\n", f);
	fclose(f);
	T_ASSERT(suite_load(path, &s, &e) != 0);
	T_EQ_INT(e.line, 5);
	T_EQ_INT(e.col, 36);
	T_ASSERT(strstr(e.msg, "expected true or false") != NULL);
	suite_free(s);
	unlink(path);
}
