/* test_perturb.c — the built-in perturbations (src/suite/perturb.c) and
 * `perturb:` variant groups in the suite loader (suite_perturb.c),
 * including their errors with file:line:col. */
#include "t.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "suite/perturb.h"
#include "suite/suite.h"

static char *ap(const char *spec, const char *text, uint64_t seed)
{
	struct perturb p;
	char why[256];
	if (perturb_parse(spec, &p, why, sizeof why))
		return NULL;
	return perturb_apply(&p, text, seed);
}

#define T_PERTURB(spec, in, want)                                      \
	do {                                                           \
		char *r_ = ap((spec), (in), 1);                        \
		T_ASSERT(r_);                                          \
		if (strcmp(r_, (want))) {                              \
			t_fail(__FILE__, __LINE__, "%s(%s) = [%s], want [%s]", \
			       (spec), (in), r_, (want));              \
			free(r_);                                      \
			return;                                        \
		}                                                      \
		free(r_);                                              \
	} while (0)

TEST(perturb_parse_specs)
{
	struct perturb p;
	char why[256];
	T_EQ_INT(perturb_parse("typos", &p, why, sizeof why), 0);
	T_EQ_STR(p.name, "typos:0.05");
	T_EQ_INT(perturb_parse("typos:0.2", &p, why, sizeof why), 0);
	T_NEAR(p.rate, 0.2, 0);
	T_EQ_STR(p.name, "typos:0.2");
	T_EQ_INT(perturb_parse("lowercase", &p, why, sizeof why), 0);
	T_EQ_STR(p.name, "lowercase");
	T_EQ_INT(perturb_parse("lowercase:0.5", &p, why, sizeof why), -1);
	T_ASSERT(strstr(why, "takes no number"));
	T_EQ_INT(perturb_parse("typos:2", &p, why, sizeof why), -1);
	T_ASSERT(strstr(why, "(0, 1]"));
	T_EQ_INT(perturb_parse("typo", &p, why, sizeof why), -1);
	T_ASSERT(strstr(why, "unknown perturbation 'typo'"));
}

TEST(perturb_word_rules)
{
	T_PERTURB("lowercase", "Write a Python Function", "write a python function");
	T_PERTURB("contractions", "I am sure it is not late. Do not wait, we cannot.",
		  "I'm sure it's not late. Don't wait, we can't.");
	T_PERTURB("expansions", "I'm sure it's fine, don't worry, we can't",
		  "I am sure it is fine, do not worry, we cannot");
	T_PERTURB("punctuation", "Hello, world! Don't stop: (now).",
		  "Hello world Don't stop now");
	T_PERTURB("truncate:0.5", "one two three four five six", "one two three");
	T_PERTURB("truncate", "a b c d e f g h i j", "a b c d e f g");
	/* the seed's example: "Write a Python function" → another verb */
	{
		char *r = ap("verbs", "Write a Python function. Explain it.", 1);
		T_ASSERT(r);
		T_ASSERT(!strncmp(r, "Implement ", 10) || !strncmp(r, "Create ", 7)
			 || !strncmp(r, "Compose ", 8));
		T_ASSERT(strstr(r, "Describe it.") || strstr(r, "Clarify it."));
		free(r);
	}
	{       /* every listed word swapped at rate 1, others untouched */
		char *r = ap("synonyms:1", "My big order is late", 3);
		T_ASSERT(r);
		T_ASSERT(!strstr(r, "big") && !strstr(r, "late"));
		T_ASSERT(!strncmp(r, "My ", 3) && strstr(r, " is "));
		free(r);
	}
}

TEST(perturb_rates_and_seeds)
{
	/* typos at 0.05 over 4,000 letters: each letter is hit with
	 * probability 0.05 (a hit may leave the text one letter shorter or
	 * longer), so the share of positions that differ is near 0.05 —
	 * Binomial(4000, 0.05): sd 0.0034; accept 0.03..0.09 (the changes
	 * shift later letters only for drops and doublings, which the
	 * edit-count below ignores) */
	char text[4001], *a, *b, *c;
	size_t hits = 0, n;
	for (int i = 0; i < 4000; i++)
		text[i] = (char)('a' + i % 26);
	text[4000] = 0;
	a = ap("typos:0.05", text, 7);
	b = ap("typos:0.05", text, 7);
	c = ap("typos:0.05", text, 8);
	T_ASSERT(a && b && c);
	T_EQ_STR(a, b);                 /* same seed, same text */
	T_ASSERT(strcmp(a, c) != 0);    /* another seed, another text */
	/* count edits by aligning greedily (swap, drop, double, replace) */
	n = strlen(a);
	for (size_t i = 0, j = 0; i < 4000 && j < n;) {
		if (text[i] == a[j]) {
			i++, j++;
			continue;
		}
		hits++;
		if (i + 1 < 4000 && j + 1 < n && text[i] == a[j + 1] &&
		    text[i + 1] == a[j])
			i += 2, j += 2;               /* swap */
		else if (i + 1 < 4000 && text[i + 1] == a[j])
			i++;                          /* drop */
		else if (j > 0 && a[j] == a[j - 1])
			j++;                          /* double */
		else
			i++, j++;                     /* replace */
	}
	T_ASSERT(hits > 120 && hits < 360);
	free(a);
	free(b);
	free(c);
	a = ap("whitespace", "a b c", 1);
	T_ASSERT(a && strlen(a) > 5 && a[0] == ' ');
	free(a);
	a = ap("filler:1", "please help me now", 2);
	T_ASSERT(a && strlen(a) > strlen("please help me now"));
	T_ASSERT(!strncmp(a, "please ", 7));
	free(a);
}

/* Loads `yaml` from a fresh temporary directory, removed afterwards. */
static int load(const char *yaml, struct suite **s, struct err *e)
{
	char dir[] = "/tmp/assay_pt_XXXXXX", path[64];
	FILE *f;
	int rc;
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof path, "%s/suite.yaml", dir);
	f = fopen(path, "w");
	if (!f) {
		rmdir(dir);
		return -1;
	}
	fputs(yaml, f);
	fclose(f);
	rc = suite_load(path, s, e);
	unlink(path);
	rmdir(dir);
	return rc;
}

#define HEAD "prompts: ['Q: {{q}}']\nproviders: [echo]\n"

static const char *meta(const struct test_case *t, const char *k)
{
	return json_string_value(json_object_get(t->metadata, k));
}

TEST(perturb_suite_groups)
{
	struct suite *s = NULL;
	struct err e = {0};
	int rc = load(HEAD "perturb: [lowercase, typos:0.3]\n"
		      "tests:\n"
		      "  - description: one\n"
		      "    vars: {q: 'Where Is My Order', n: 3}\n"
		      "    assert: [{type: contains, value: x}]\n"
		      "  - vars: {q: 'where is it'}\n"
		      "    perturb: [contractions]\n"
		      "  - vars: {q: 'Stop'}\n"
		      "    perturb: []\n", &s, &e);
	if (rc) {
		t_fail(__FILE__, __LINE__, "%s:%d:%d: %s", e.file, e.line, e.col,
		       e.msg);
		return;
	}
	/* test 1: original + 2 variants; test 2: contractions changes
	 * nothing, so it stays alone (no group); test 3: turned off */
	T_EQ_INT(s->n_tests, 5);
	T_EQ_STR(meta(&s->tests[0], "perturbation"), "original");
	T_EQ_STR(meta(&s->tests[0], "variant_group"), "perturb#1");
	T_EQ_STR(json_string_value(json_object_get(s->tests[0].vars, "q")),
		 "Where Is My Order");
	T_EQ_STR(meta(&s->tests[1], "perturbation"), "lowercase");
	T_EQ_STR(meta(&s->tests[1], "variant_group"), "perturb#1");
	T_EQ_STR(json_string_value(json_object_get(s->tests[1].vars, "q")),
		 "where is my order");
	T_EQ_INT(json_integer_value(json_object_get(s->tests[1].vars, "n")), 3);
	T_EQ_STR(s->tests[1].description, "one [lowercase]");
	T_EQ_INT(s->tests[1].n_asserts, 1);
	T_EQ_STR(s->tests[1].asserts[0].type, "contains");
	T_EQ_STR(json_string_value(json_array_get(json_object_get(
		s->tests[1].metadata, "tags"), 0)), "perturbation:lowercase");
	T_EQ_STR(meta(&s->tests[2], "perturbation"), "typos:0.3");
	T_ASSERT(strcmp(json_string_value(json_object_get(s->tests[2].vars,
			"q")), "Where Is My Order") != 0);
	T_ASSERT(json_object_get(s->tests[3].metadata, "perturb") == NULL);
	T_ASSERT(json_object_get(s->tests[3].metadata, "variant_group") == NULL);
	T_EQ_STR(json_string_value(json_object_get(s->tests[4].vars, "q")),
		 "Stop");
	suite_free(s);
	/* mapping form: only the named var, an explicit group kept */
	rc = load(HEAD "tests:\n"
		  "  - vars: {q: 'ABC', r: 'DEF'}\n"
		  "    variant_group: g1\n"
		  "    perturb: {vars: [r], with: [lowercase], seed: 4}\n",
		  &s, &e);
	T_EQ_INT(rc, 0);
	T_EQ_INT(s->n_tests, 2);
	T_EQ_STR(meta(&s->tests[1], "variant_group"), "g1");
	T_EQ_STR(json_string_value(json_object_get(s->tests[1].vars, "q")), "ABC");
	T_EQ_STR(json_string_value(json_object_get(s->tests[1].vars, "r")), "def");
	suite_free(s);
}

TEST(perturb_suite_variants)
{
	struct suite *s = NULL;
	struct err e = {0};
	int rc = load(HEAD "tests:\n"
		      "  - description: v\n"
		      "    vars: {q: 'Write a function', k: 1}\n"
		      "    variants: {q: ['Implement a function', "
		      "'Code a function']}\n"
		      "    perturb: [lowercase]\n", &s, &e);
	if (rc) {
		t_fail(__FILE__, __LINE__, "%s", e.msg);
		return;
	}
	/* original, the two phrasings, the lower-cased original */
	T_EQ_INT(s->n_tests, 4);
	T_EQ_STR(meta(&s->tests[0], "perturbation"), "original");
	T_EQ_STR(json_string_value(json_object_get(s->tests[1].vars, "q")),
		 "Implement a function");
	T_EQ_STR(meta(&s->tests[1], "perturbation"), "variant");
	T_EQ_STR(meta(&s->tests[2], "variant"), "q#3");
	T_EQ_STR(s->tests[2].description, "v [q#3]");
	T_EQ_STR(json_string_value(json_object_get(s->tests[3].vars, "q")),
		 "write a function");
	for (size_t i = 0; i < 4; i++)
		T_EQ_STR(meta(&s->tests[i], "variant_group"), "perturb#1");
	T_ASSERT(!json_object_get(s->tests[0].metadata, "variants"));
	suite_free(s);
}

#define EXPECT_AT(yaml, ln, cl, text)                                  \
	do {                                                           \
		struct suite *s_ = NULL;                               \
		struct err e_ = {0};                                   \
		int rc_ = load((yaml), &s_, &e_);                      \
		suite_free(s_);                                        \
		T_EQ_INT(rc_, ST_INPUT);                               \
		if (e_.line != (ln) || e_.col != (cl) ||               \
		    !strstr(e_.msg, (text))) {                         \
			t_fail(__FILE__, __LINE__, "got %d:%d '%s', want " \
			       "%d:%d '%s'", e_.line, e_.col, e_.msg, (ln), \
			       (cl), (text));                          \
			return;                                        \
		}                                                      \
	} while (0)

TEST(perturb_suite_errors)
{
	EXPECT_AT(HEAD "perturb: [typoz]\n", 3, 11,
		  "unknown perturbation 'typoz'");
	EXPECT_AT(HEAD "perturb: [typos:7]\n", 3, 11, "expected typos:N");
	EXPECT_AT(HEAD "perturb: lowercase\n", 3, 10, "expected a list of "
		  "perturbations");
	EXPECT_AT(HEAD "tests:\n  - vars: {q: a}\n    perturb: [x]\n", 5, 15,
		  "unknown perturbation 'x'");
	EXPECT_AT(HEAD "perturb: {with: [lowercase], var: [q]}\n", 3, 30,
		  "unknown key 'var' in perturb");
	EXPECT_AT(HEAD "perturb: {vars: [q]}\n", 3, 10, "perturb needs 'with'");
	EXPECT_AT(HEAD "tests:\n  - vars: {q: a}\n    variants: {q: b}\n",
		  5, 19, "expected a non-empty list of phrasings of var 'q'");
	EXPECT_AT(HEAD "tests:\n  - vars: {q: a}\n    variants: {q: [1]}\n",
		  5, 20, "expected a phrasing");
	EXPECT_AT(HEAD "probe: {forbidden: x}\n", 3, 20, "expected a list of "
		  "requests");
	EXPECT_AT(HEAD "probe: {canary: x}\n", 3, 9, "unknown key 'canary' in "
		  "probe");
	EXPECT_AT(HEAD "probe: {long_tokens: 0}\n", 3, 22, "whole number of "
		  "tokens");
}
