/* test_score_grade.c — promptfoo's combination rule (weighted mean, weight
 * 0, test threshold, named metrics, the grade's reason) with hand-computed
 * expectations, and the reasons of failing assertions. */
#include "t.h"
#include "test_score_util.h"
#include "../../src/score/score_int.h"

#include <stdio.h>

/* A test case over `n` specs (borrowed) with empty vars. */
static struct test_case mk_case(struct assertion_spec *as, size_t n)
{
	struct test_case tc;
	memset(&tc, 0, sizeof tc);
	tc.vars = json_object();
	tc.metadata = json_object();
	tc.asserts = as;
	tc.n_asserts = n;
	return tc;
}

static void free_case(struct test_case *tc)
{
	for (size_t i = 0; i < tc->n_asserts; i++)
		ts_free(&tc->asserts[i]);
	json_decref(tc->vars);
	json_decref(tc->metadata);
}

static int grade_output(struct test_case *tc, const char *output,
			struct grade *g)
{
	struct response r;
	struct err e = {0};
	int rc;
	response_init(&r);
	r.output = output ? strdup(output) : NULL;
	rc = score_grade(tc, &r, g, &e);
	response_cleanup(&r);
	return rc;
}

TEST(score_grade_no_assertions)
{
	struct test_case tc = mk_case(NULL, 0);
	struct grade g;
	T_EQ_INT(grade_output(&tc, "anything", &g), 0);
	T_ASSERT(g.pass);
	T_NEAR(g.score, 1.0, 0);
	T_EQ_STR(g.reason, "No assertions");
	T_EQ_INT(g.n_items, 0);
	T_ASSERT(json_is_object(g.named_scores));
	grade_cleanup(&g);
	free_case(&tc);
}

/* pass (w 1) + fail (w 3): score = (1*1 + 0*3) / 4 = 0.25, fails with the
 * failing assertion's reason. */
TEST(score_grade_weighted_mean)
{
	struct assertion_spec as[2] = { ts_spec("contains", "\"cat\""),
					ts_spec("contains", "\"dog\"") };
	struct test_case tc;
	struct grade g;
	as[1].weight = 3;
	tc = mk_case(as, 2);
	T_EQ_INT(grade_output(&tc, "a cat", &g), 0);
	T_NEAR(g.score, 0.25, 1e-12);
	T_ASSERT(!g.pass);
	T_EQ_STR(g.reason, "Expected output to contain \"dog\"");
	T_EQ_INT(g.n_items, 2);
	T_ASSERT(g.items[0].pass && !g.items[1].pass);
	T_ASSERT(g.items[1].spec == &as[1]);
	T_EQ_STR(g.items[0].reason, "Assertion passed");
	grade_cleanup(&g);
	T_ASSERT(g.items == NULL && g.reason == NULL);

	/* Both pass → 1, "All assertions passed". */
	T_EQ_INT(grade_output(&tc, "cat and dog", &g), 0);
	T_ASSERT(g.pass);
	T_NEAR(g.score, 1.0, 0);
	T_EQ_STR(g.reason, "All assertions passed");
	grade_cleanup(&g);
	free_case(&tc);
}

/* Weights 2, 1, 1 with pass, fail, pass: (2 + 0 + 1) / 4 = 0.75. */
TEST(score_grade_three_weights)
{
	struct assertion_spec as[3] = { ts_spec("starts-with", "\"A\""),
					ts_spec("regex", "\"\\\\d\""),
					ts_spec("icontains", "\"b\"") };
	struct test_case tc;
	struct grade g;
	as[0].weight = 2;
	tc = mk_case(as, 3);
	T_EQ_INT(grade_output(&tc, "ABC", &g), 0);
	T_NEAR(g.score, 0.75, 1e-12);
	T_ASSERT(!g.pass);
	T_EQ_STR(g.reason, "Expected output to match regex \"\\d\"");
	grade_cleanup(&g);
	free_case(&tc);
}

/* A test threshold overrides the individual passes, both ways. */
TEST(score_grade_threshold)
{
	struct assertion_spec as[2] = { ts_spec("contains", "\"cat\""),
					ts_spec("contains", "\"dog\"") };
	struct test_case tc;
	struct grade g;
	as[1].weight = 3;
	tc = mk_case(as, 2);
	tc.has_threshold = true;
	tc.threshold = 0.2;
	T_EQ_INT(grade_output(&tc, "a cat", &g), 0);
	T_ASSERT(g.pass);               /* 0.25 >= 0.2 despite a failure */
	T_NEAR(g.score, 0.25, 1e-12);
	T_EQ_STR(g.reason, "Aggregate score 0.25 \xE2\x89\xA5 0.2 threshold");
	grade_cleanup(&g);

	tc.threshold = 0.5;
	T_EQ_INT(grade_output(&tc, "a cat", &g), 0);
	T_ASSERT(!g.pass);
	T_EQ_STR(g.reason, "Aggregate score 0.25 < 0.5 threshold");
	grade_cleanup(&g);

	/* All pass but the bar is above 1: fails. */
	tc.threshold = 1.5;
	T_EQ_INT(grade_output(&tc, "cat dog", &g), 0);
	T_ASSERT(!g.pass);
	grade_cleanup(&g);

	/* Threshold 0 is honoured: everything fails, still passes. */
	tc.threshold = 0;
	T_EQ_INT(grade_output(&tc, "bird", &g), 0);
	T_ASSERT(g.pass);
	T_NEAR(g.score, 0, 0);
	T_EQ_STR(g.reason, "Aggregate score 0.00 \xE2\x89\xA5 0 threshold");
	grade_cleanup(&g);
	free_case(&tc);
}

/* 1/8 shows as 0.13 (JavaScript's toFixed rounds the tie up). */
TEST(score_grade_threshold_reason_rounding)
{
	struct assertion_spec as[2] = { ts_spec("contains", "\"a\""),
					ts_spec("contains", "\"b\"") };
	struct test_case tc;
	struct grade g;
	as[1].weight = 7;
	tc = mk_case(as, 2);
	tc.has_threshold = true;
	tc.threshold = 0.125;
	T_EQ_INT(grade_output(&tc, "a", &g), 0);
	T_NEAR(g.score, 0.125, 0);
	T_ASSERT(g.pass);
	T_EQ_STR(g.reason, "Aggregate score 0.13 \xE2\x89\xA5 0.125 threshold");
	grade_cleanup(&g);
	free_case(&tc);
}

/* Weight 0: left out of the mean, cannot fail the test, still scored. */
TEST(score_grade_weight_zero)
{
	struct assertion_spec as[2] = { ts_spec("contains", "\"cat\""),
					ts_spec("contains", "\"dog\"") };
	struct test_case tc;
	struct grade g;
	as[1].weight = 0;
	as[1].metric = "dogness";
	tc = mk_case(as, 2);
	T_EQ_INT(grade_output(&tc, "a cat", &g), 0);
	T_ASSERT(g.pass);
	T_NEAR(g.score, 1.0, 0);
	T_EQ_STR(g.reason, "All assertions passed");
	T_ASSERT(g.items[1].pass);
	T_NEAR(g.items[1].score, 0, 0);
	T_NEAR(json_number_value(json_object_get(g.named_scores, "dogness")),
	       0, 0);
	grade_cleanup(&g);

	/* Only weight-0 assertions: total weight 0 → score 0, pass. */
	as[0].weight = 0;
	T_EQ_INT(grade_output(&tc, "a cat and a dog", &g), 0);
	T_ASSERT(g.pass);
	T_NEAR(g.score, 0, 0);
	grade_cleanup(&g);
	free_case(&tc);
}

/* Named metrics: per metric, the sum of its assertions' scores; metric
 * names are templates. */
TEST(score_grade_named_metrics)
{
	struct assertion_spec as[4] = { ts_spec("contains", "\"a\""),
					ts_spec("contains", "\"z\""),
					ts_spec("icontains", "\"B\""),
					ts_spec("is-json", NULL) };
	struct test_case tc;
	struct grade g;
	as[0].metric = "accuracy";
	as[1].metric = "accuracy";
	as[2].metric = "accuracy";
	as[3].metric = "{{kind}}-format";
	tc = mk_case(as, 4);
	json_object_set_new(tc.vars, "kind", json_string("json"));
	T_EQ_INT(grade_output(&tc, "ab", &g), 0);
	T_EQ_INT(json_object_size(g.named_scores), 2);
	T_NEAR(json_number_value(json_object_get(g.named_scores, "accuracy")),
	       2.0, 0);
	T_ASSERT(json_object_get(g.named_scores, "json-format"));
	T_NEAR(json_number_value(json_object_get(g.named_scores,
						 "json-format")), 0, 0);
	T_NEAR(g.score, 0.5, 1e-12);
	T_ASSERT(!g.pass);
	/* The first failure is the reason. */
	T_EQ_STR(g.reason, "Expected output to contain \"z\"");
	grade_cleanup(&g);
	free_case(&tc);
}

TEST(score_grade_null_output_and_response)
{
	struct assertion_spec as[2] = { ts_spec("not-contains", "\"x\""),
					ts_spec("equals", "\"\"") };
	struct test_case tc = mk_case(as, 2);
	struct grade g;
	struct err e = {0};
	T_EQ_INT(grade_output(&tc, NULL, &g), 0);
	T_ASSERT(g.pass);
	grade_cleanup(&g);
	T_EQ_INT(score_grade(&tc, NULL, &g, &e), 0);
	T_ASSERT(g.pass);
	T_NEAR(g.score, 1, 0);
	grade_cleanup(&g);
	grade_cleanup(NULL);
	free_case(&tc);
}

/* An unknown type reaching grading (score_check skipped) fails, it does
 * not crash or error. */
TEST(score_grade_unknown_type_fails)
{
	struct assertion_spec as[1] = { ts_spec("nonsense", "\"x\"") };
	struct test_case tc = mk_case(as, 1);
	struct grade g;
	T_EQ_INT(grade_output(&tc, "x", &g), 0);
	T_ASSERT(!g.pass);
	T_ASSERT(strstr(g.reason, "Unknown assertion type 'nonsense'"));
	grade_cleanup(&g);
	free_case(&tc);
}

/* Values score_check would reject do not crash grading: they fail. */
TEST(score_grade_unchecked_bad_values_fail)
{
	char *reason = NULL;
	T_EQ_INT(ts_run("contains", NULL, NULL, "x", NULL, &reason), 0);
	T_EQ_STR(reason, "'contains' needs a value: a string or number");
	free(reason);
	T_EQ_INT(ts_run("starts-with", "[1]", NULL, "x", NULL, NULL), 0);
	T_EQ_INT(ts_run("regex", "\"(\"", NULL, "(", NULL, &reason), 0);
	T_ASSERT(strstr(reason, "Invalid regex pattern"));
	free(reason);
	T_EQ_INT(ts_run("contains-any", "[]", NULL, "x", NULL, NULL), 0);
	T_EQ_INT(ts_run("contains-any", "\"\\\"x\"", NULL, "x", NULL, &reason),
		 0);
	T_ASSERT(strstr(reason, "unterminated"));
	free(reason);
}

/* ---- reasons ------------------------------------------------------------ */

struct reason_row {
	const char *type, *value, *output, *reason;
};

static const struct reason_row reasons[] = {
	{ "contains", "\"x\"", "abc", "Expected output to contain \"x\"" },
	{ "not-contains", "\"b\"", "abc", "Expected output to not contain \"b\"" },
	{ "icontains", "\"X\"", "abc", "Expected output to contain \"X\"" },
	{ "contains", "7", "abc", "Expected output to contain \"7\"" },
	{ "contains-any", "[\"x\", \"y\"]", "abc",
	  "Expected output to contain one of \"x, y\"" },
	{ "not-contains-any", "\"a,y\"", "abc",
	  "Expected output to not contain one of \"a, y\"" },
	{ "contains-all", "[\"a\", \"x\", \"y\"]", "abc",
	  "Expected output to contain all of [a, x, y]. Missing: [x, y]" },
	{ "not-icontains-all", "[\"A\", \"B\"]", "abc",
	  "Expected output to not contain all of [A, B]. Missing: []" },
	{ "starts-with", "\"b\"", "abc", "Expected output to start with \"b\"" },
	{ "not-starts-with", "\"a\"", "abc",
	  "Expected output to not start with \"a\"" },
	{ "regex", "\"^b\"", "abc", "Expected output to match regex \"^b\"" },
	{ "not-regex", "\"b\"", "abc", "Expected output to not match regex \"b\"" },
	{ "equals", "\"abd\"", "abc", "Expected output \"abc\" to equal \"abd\"" },
	{ "not-equals", "\"abc\"", "abc",
	  "Expected output \"abc\" to not equal \"abc\"" },
	{ "equals", "{\"a\": [1, 2.5]}", "{}",
	  "Expected output \"{}\" to equal \"{\"a\":[1,2.5]}\"" },
	{ "is-json", NULL, "abc", "Expected output to be valid JSON" },
	{ "not-is-json", NULL, "{}", "Expected output to not be valid JSON" },
	{ "contains-json", NULL, "abc", "Expected output to contain valid JSON" },
	{ "not-contains-json", NULL, "[1]",
	  "Expected output to not contain valid JSON" },
};

TEST(score_reasons)
{
	for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++) {
		const struct reason_row *r = &reasons[i];
		char *reason = NULL;
		int pass = ts_run(r->type, r->value, NULL, r->output, NULL,
				  &reason);
		T_EQ_INT(pass, 0);
		T_EQ_STR(reason, r->reason);
		free(reason);
	}
	{
		char *reason = NULL;
		T_EQ_INT(ts_run("contains", "\"a\"", NULL, "abc", NULL, &reason),
			 1);
		T_EQ_STR(reason, "Assertion passed");
		free(reason);
	}
}

/* A 1 MB output quoted in a reason is clipped at a UTF-8 boundary. */
TEST(score_reason_clipped)
{
	size_t n = 1 << 20;
	char *big = malloc(n + 1), *reason = NULL;
	T_ASSERT(big);
	for (size_t i = 0; i + 1 < n; i += 2) {
		big[i] = '\xC3';       /* é, two bytes */
		big[i + 1] = '\xA9';
	}
	big[n] = '\0';
	T_EQ_INT(ts_run("equals", "\"x\"", NULL, big, NULL, &reason), 0);
	T_ASSERT(reason && strlen(reason) < 400);
	T_ASSERT(strstr(reason, "\xE2\x80\xA6\" to equal \"x\""));
	/* No split character before the ellipsis. */
	{
		const char *cut = strstr(reason, "\xE2\x80\xA6");
		T_ASSERT((unsigned char)cut[-1] == 0xA9);
	}
	free(reason);
	free(big);
}

/* Numbers print as JavaScript's String(n). */
TEST(score_number_format)
{
	char b[32];
	T_EQ_STR(score_fmt_num(42, b, sizeof b), "42");
	T_EQ_STR(score_fmt_num(-3, b, sizeof b), "-3");
	T_EQ_STR(score_fmt_num(1.5, b, sizeof b), "1.5");
	T_EQ_STR(score_fmt_num(0.1, b, sizeof b), "0.1");
	T_EQ_STR(score_fmt_num(1e21, b, sizeof b), "1e+21");
	T_EQ_STR(score_fmt_num(1e20, b, sizeof b), "100000000000000000000");
	T_EQ_STR(score_fmt_num(1e-7, b, sizeof b), "1e-7");
	T_EQ_STR(score_fmt_num(0.000001, b, sizeof b), "0.000001");
	T_EQ_STR(score_fmt_num(123.456, b, sizeof b), "123.456");
	T_EQ_STR(score_fmt_num(1.0 / 3, b, sizeof b), "0.3333333333333333");
	T_EQ_STR(score_fmt_num(2.5e-10, b, sizeof b), "2.5e-10");
	T_EQ_STR(score_fmt_num(0, b, sizeof b), "0");
}
