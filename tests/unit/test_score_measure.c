/* test_score_measure.c — the measuring types (levenshtein, rouge-n, bleu,
 * counts, number, is-refusal), the response types (latency, cost,
 * finish-reason) and the format types (is-xml, contains-xml, is-sql):
 * parity rows with hand-computed values from promptfoo's documented
 * semantics, edge inputs and load-time errors. */
#include "t.h"
#include "test_score_util.h"

#include <stdio.h>
#include <stdlib.h>

#include "../../src/provider/response.h"

struct mrow {
	const char *type, *value, *output;
	int pass;
	double score;
};

/* Reference scores for levenshtein, rouge-n and bleu come from promptfoo
 * 0.123.1 itself (npm `promptfoo@0.123.1`, its dist/src/index.js functions
 * calculateBleuScore and rougeNScore/handleRougeScore run under node with
 * its dependencies js-rouge 3.2.3 and fastest-levenshtein 1.0.16, e.g.
 * `rougeNScore("the cat", "the cat sat on the mat")` → 0.5); compared to
 * 1e-9.  The other rows are hand-computed from promptfoo's formulas. */
static const struct mrow mrows[] = {
	/* levenshtein: fastest-levenshtein distance (UTF-16 units) <= threshold 5 */
	{ "levenshtein", "\"sitting\"", "kitten", 1, 1 },          /* d = 3 */
	{ "levenshtein", "\"hello world!!\"", "hello", 0, 0 },     /* d = 8 */
	{ "levenshtein", "\"abc\"", "", 1, 1 },                    /* d = 3 */
	{ "levenshtein", "\"caf\\u00e9 au lait\"", "cafe au lait", 1, 1 },
	{ "not-levenshtein", "\"xyz123456\"", "abc", 1, 1 },       /* d = 9 */
	{ "not-levenshtein", "\"abc\"", "abd", 0, 0 },
	/* rouge-n: lower-cased, js-rouge 3.2 tokens, clipped unigram F1 */
	{ "rouge-n", "\"The cat sat on the mat\"", "The cat sat on the mat", 1, 1 },
	{ "rouge-n", "\"the cat sat on the mat\"", "the cat", 0, 0.5 },
	{ "rouge-n", "\"the cat\"", "the the the", 0, 0.4 },
	{ "rouge-n", "\"Hello world\"", "Hello, world.", 0, 0.6666666666666666 },
	{ "rouge-n", "\"do n't\"", "don't", 1, 1 },
	{ "rouge-n", "\"a b c d\"", "a b c x", 1, 0.75 },
	{ "not-rouge-n", "\"a b c d\"", "a x y z", 1, 0.75 },
	{ "rouge-n", "\"x\"", "", 0, 0 },
	{ "rouge-n", "\"{\\\"a\\\": 1, \\\"b\\\": \\\"x\\\"}\"", "{\"a\": 1, \"b\": \"y\"}", 1,
	  0.9333333333333333 },
	{ "rouge-n", "\"The Cat SAT.\"", "the cat sat.", 1, 1 },
	{ "rouge-n", "\"He said \\\"hi\\\" (twice); ok?\"", "he said \"hi\" twice, ok", 0,
	  0.736842105263158 },
	{ "rouge-n", "\"I cannot go\"", "I can not go", 1, 1 },
	{ "rouge-n", "\"x...y -- z\"", "x ... y--z", 1, 1 },
	{ "rouge-n", "\"3,000 items: done\"", "3,000 items : done", 1, 1 },
	{ "rouge-n", "\"\\u00c9COLE \\u00dcber\"", "\xC3\xA9" "cole \xC3\xBC" "ber", 1, 1 },
	{ "rouge-n", "\"gonna wanna go\"", "gon na wan na go", 1, 1 },
	{ "rouge-n", "\"the price is $5.\"", "the price is $ 5", 1, 0.9090909090909091 },
	{ "rouge-n", "\"a.b.c. end\"", "a.b.c. end.", 1, 0.8 },
	{ "rouge-n", "\"it's john's\"", "it s johns", 0, 0.2857142857142857 },
	/* bleu: promptfoo 0.123's BLEU-4, threshold 0.5 */
	{ "bleu", "\"The cat sat on the mat\"", "the cat sat on the mat", 1, 1 },
	{ "bleu", "\"the cat sat on the mat\"", "the cat is on the mat", 0,
	  0.010573712634405643 },
	{ "bleu", "\"the cat sat on the mat\"", "the cat", 0, 0.1353352832366127 },
	{ "bleu", "[\"a dog\", \"the cat\"]", "the cat", 1, 1 },
	{ "not-bleu", "\"the cat sat on the mat\"", "the cat", 1,
	  1 - 0.1353352832366127 },
	{ "bleu", "\"x\"", "", 0, 0 },
	{ "bleu", "\"the cat sat on the mat\"", "   ", 0, 0 },
	{ "bleu", "\"The CAT sat\"", "the cat sat", 1, 1 },
	{ "bleu", "[\"one two three\", \"one two\"]", "one two x", 0, 0.0032182979486854333 },
	{ "bleu", "\"\\u00c9COLE \\u00dcber alles\"", "\xC3\xA9" "cole \xC3\xBC" "ber alles", 1, 1 },
	/* counts */
	{ "word-count", "2", "hello world", 1, 1 },
	{ "word-count", "{\"min\": 3}", "hello world", 0, 0 },
	{ "word-count", "{\"min\": 1, \"max\": 2}", "  hello \n world  ", 1, 1 },
	{ "word-count", "0", "   ", 1, 1 },
	{ "word-count", "2", "a\xC2\xA0" "b", 1, 1 },            /* NBSP */
	{ "word-count", "2", "\xE6\x97\xA5\xE6\x9C\xAC \xE8\xAA\x9E", 1, 1 },
	{ "not-word-count", "{\"max\": 3}", "one two three four", 1, 1 },
	{ "character-count", "5", "h\xC3\xA9llo", 1, 1 },
	{ "char-count", "1", "\xF0\x9F\x98\x80", 1, 1 },          /* emoji */
	{ "char-count", "\"5\"", "hello", 1, 1 },
	{ "char-count", "{\"max\": 3}", "hello", 0, 0 },
	{ "char-count", "0", "", 1, 1 },
	{ "sentence-count", "3", "Hello there. How are you? Fine!", 1, 1 },
	{ "sentence-count", "1", "Pi is 3.14 today", 1, 1 },
	{ "sentence-count", "2", "Wait... what?!", 1, 1 },
	{ "sentence-count", "0", "", 1, 1 },
	{ "sentence-count", "2", "\"Stop.\" He left", 1, 1 },
	{ "sentence-count", "2",
	  "\xE4\xBD\xA0\xE5\xA5\xBD\xE3\x80\x82\xE5\x86\x8D\xE8\xA7\x81\xE3\x80\x82",
	  1, 1 },
	{ "sentence-count", "{\"min\": 2}", "Only one.", 0, 0 },
	/* number */
	{ "number", "42", "The answer is 42.", 1, 1 },
	{ "number", "{\"equals\": 3.14, \"tolerance\": 0.01}", "Result: 3.14159", 1, 1 },
	{ "number", "{\"equals\": 3.14, \"tolerance\": 0.001}", "Result: 3.15", 0, 0 },
	{ "number", "-5", "Temp -5 C", 1, 1 },
	{ "number", "3", "Item-3", 1, 1 },
	{ "number", "1000", "1e3 items", 1, 1 },
	{ "number", "0.5", "about .5 of it", 1, 1 },
	{ "number", "{\"min\": 0, \"max\": 10}", "score 11", 0, 0 },
	{ "number", "{\"min\": 0}", "score 11", 1, 1 },
	{ "number", "1", "no digits", 0, 0 },
	{ "not-number", "1", "no digits", 1, 1 },
	{ "number", "12", "12, then 13", 1, 1 },
	/* is-refusal (promptfoo's phrase list) */
	{ "is-refusal", NULL, "I'm sorry, but I can't help with that.", 1, 1 },
	{ "is-refusal", NULL, "I\xE2\x80\x99m sorry, no.", 1, 1 },
	{ "is-refusal", NULL, "  SORRY, I will not do that", 1, 1 },
	{ "is-refusal", NULL, "Sure! Here is how to bake bread.", 0, 0 },
	{ "is-refusal", NULL, "As an AI language model, I have no views.", 1, 1 },
	{ "is-refusal", NULL, "I flew there as an airline pilot.", 0, 0 },
	{ "is-refusal", NULL, "Well, I cannot assist with that request.", 1, 1 },
	{ "is-refusal", NULL, "That is not appropriate for children.", 1, 1 },
	{ "is-refusal", NULL, "", 1, 0 },          /* empty: refusal, score 0 */
	{ "is-refusal", NULL, " \n ", 1, 0 },
	{ "not-is-refusal", NULL, "Paris is the capital of France.", 1, 1 },
	{ "not-is-refusal", NULL, "I apologize, I cannot.", 0, 0 },
	{ "not-is-refusal", NULL, "", 0, 0 },
	/* is-xml / contains-xml */
	{ "is-xml", NULL, "<a><b>1</b></a>", 1, 1 },
	{ "is-xml", NULL, "<a><b></a>", 0, 0 },
	{ "is-xml", NULL, "plain text", 0, 0 },
	{ "is-xml", NULL, "", 0, 0 },
	{ "is-xml", "\"a.b\"", "<a><b>1</b></a>", 1, 1 },
	{ "is-xml", "\"a.b, a.c\"", "<a><b>1</b></a>", 0, 0 },
	{ "is-xml", "{\"requiredElements\": [\"r.x.y\"]}", "<r><x><y/></x></r>", 1, 1 },
	{ "not-is-xml", NULL, "<<nope", 1, 1 },
	{ "contains-xml", NULL, "Here you go: <r><x/></r> done.", 1, 1 },
	{ "contains-xml", NULL, "1 < 2 and 3 > 2", 0, 0 },
	{ "contains-xml", "[\"r.x\"]", "```xml\n<r><x>caf\xC3\xA9</x></r>\n```", 1, 1 },
	/* is-sql (PostgreSQL grammar) */
	{ "is-sql", NULL, "SELECT id, name FROM users WHERE age > 3", 1, 1 },
	{ "is-sql", NULL, "select 1; insert into t values (1)", 1, 1 },
	{ "is-sql", NULL, "SELEC * FROM users", 0, 0 },
	{ "is-sql", NULL, "SELECT * FROM", 0, 0 },
	{ "is-sql", NULL, "", 0, 0 },
	{ "not-is-sql", NULL, "hello world", 1, 1 },
};

TEST(score_measure_parity_table)
{
	size_t bad = 0;
	for (size_t i = 0; i < sizeof mrows / sizeof mrows[0]; i++) {
		const struct mrow *r = &mrows[i];
		double score = -1;
		char *reason = NULL;
		int pass = ts_run(r->type, r->value, NULL, r->output, &score,
				  &reason);
		if (pass != r->pass || fabs(score - r->score) > 1e-9) {
			printf("  row %zu: %s %s on \"%s\": pass %d score %.17g "
			       "(%s), want %d %.17g\n", i, r->type,
			       r->value ? r->value : "-", r->output, pass,
			       score, reason ? reason : "", r->pass, r->score);
			bad++;
		}
		free(reason);
	}
	T_EQ_INT(bad, 0);
}

TEST(score_measure_rows_check)
{
	for (size_t i = 0; i < sizeof mrows / sizeof mrows[0]; i++) {
		struct err e;
		int rc = ts_check(mrows[i].type, mrows[i].value, NULL, &e);
		if (rc)
			printf("  row %zu: %s\n", i, e.msg);
		T_EQ_INT(rc, 0);
	}
}

/* Runs one assertion with a threshold. */
static int run_th(const char *type, const char *value, double th,
		  const char *output, double *score, char **reason)
{
	struct assertion_spec a = ts_spec(type, value);
	struct assert_outcome o;
	struct err e = {0};
	int rc;
	a.has_threshold = true;
	a.threshold = th;
	rc = score_assert_eval(&a, NULL, output, NULL, &o, &e);
	ts_free(&a);
	if (rc)
		return -1;
	if (score)
		*score = o.score;
	if (reason)
		*reason = o.reason;
	else
		free(o.reason);
	return o.pass;
}

TEST(score_measure_thresholds_and_reasons)
{
	char *r = NULL;
	double s;
	T_EQ_INT(ts_run("levenshtein", "\"hello world!!\"", NULL, "hello", NULL,
			&r), 0);
	T_EQ_STR(r, "Levenshtein distance 8 is greater than threshold 5");
	free(r);
	T_EQ_INT(run_th("levenshtein", "\"abc\"", 0, "abd", NULL, NULL), 0);
	T_EQ_INT(run_th("levenshtein", "\"abc\"", 1, "abd", NULL, NULL), 1);
	T_EQ_INT(run_th("rouge-n", "\"the cat sat on the mat\"", 0.3, "the cat",
			&s, NULL), 1);
	T_NEAR(s, 0.5, 1e-12);
	/* promptfoo 0.123.1's reasons (handleRougeScore, handleBleuScore) */
	T_EQ_INT(ts_run("rouge-n", "\"the cat sat on the mat\"", NULL, "the cat", NULL, &r), 0);
	T_EQ_STR(r, "ROUGE-N score 0.50 is less than threshold 0.75");
	free(r);
	T_EQ_INT(ts_run("rouge-n", "\"a b c d\"", NULL, "a b c x", NULL, &r), 1);
	T_EQ_STR(r, "ROUGE-N score 0.75 is greater than or equal to threshold 0.75");
	free(r);
	T_EQ_INT(ts_run("bleu", "\"the cat sat on the mat\"", NULL, "the cat",
			NULL, &r), 0);
	T_EQ_STR(r, "BLEU score 0.1353 is less than threshold 0.5");
	free(r);
	/* fastest-levenshtein counts UTF-16 units: an emoji is 2 */
	T_EQ_INT(run_th("levenshtein", "\"a\"", 1, "\xF0\x9F\x98\x80" "a", NULL, NULL), 0);
	T_EQ_INT(run_th("levenshtein", "\"a\"", 2, "\xF0\x9F\x98\x80" "a", NULL, NULL), 1);
	T_EQ_INT(ts_run("not-levenshtein", "\"abc\"", NULL, "abd", NULL, &r), 0);
	T_EQ_STR(r, "Levenshtein distance 1 is less than or equal to threshold 5");
	free(r);
	T_EQ_INT(run_th("bleu", "\"the cat sat on the mat\"", 0.01,
			"the cat is on the mat", NULL, NULL), 1);
	T_EQ_INT(ts_run("word-count", "{\"min\": 3}", NULL, "hello world", NULL,
			&r), 0);
	T_EQ_STR(r, "Word count 2 is less than minimum 3");
	free(r);
	T_EQ_INT(ts_run("char-count", "4", NULL, "hello", NULL, &r), 0);
	T_EQ_STR(r, "Character count 5 does not equal 4");
	free(r);
	T_EQ_INT(ts_run("number", "{\"equals\": 3.14, \"tolerance\": 0.001}",
			NULL, "x 3.15", NULL, &r), 0);
	T_EQ_STR(r, "Number 3.15 is not within 0.001 of 3.14");
	free(r);
	T_EQ_INT(ts_run("is-xml", "\"a.c\"", NULL, "<a><b/></a>", NULL, &r), 0);
	T_EQ_STR(r, "XML is missing required element: a.c");
	free(r);
	T_EQ_INT(ts_run("is-xml", NULL, NULL, "<a><b></a>", NULL, &r), 0);
	T_ASSERT(strstr(r, "XML parsing failed: line 1"));
	free(r);
	T_EQ_INT(ts_run("is-sql", NULL, NULL, "SELECT * FROM", NULL, &r), 0);
	T_ASSERT(strstr(r, "syntax error at end of input"));
	free(r);
	T_EQ_INT(ts_run("is-refusal", NULL, NULL, "Here you go", NULL, &r), 0);
	T_EQ_STR(r, "Expected output to be a refusal");
	free(r);
}

/* Long outputs stay fast: 1 MB against a short reference. */
TEST(score_measure_huge_output)
{
	size_t n = 1 << 20;
	char *big = malloc(n + 1);
	double s;
	T_ASSERT(big);
	for (size_t i = 0; i < n; i++)
		big[i] = (i % 6 == 5) ? ' ' : "abcde"[i % 6 % 5];
	big[n] = '\0';
	/* d >= 1 MB - 3: fails at once through the length bound. */
	T_EQ_INT(ts_run("levenshtein", "\"abc\"", NULL, big, &s, NULL), 0);
	T_EQ_INT(ts_run("word-count", "174763", NULL, big, &s, NULL), 1);
	T_EQ_INT(ts_run("char-count", "1048576", NULL, big, &s, NULL), 1);
	/* rouge-n F1: overlap 1 (clipped), P = 1/174763, R = 1 → 2/174764 */
	T_EQ_INT(ts_run("rouge-n", "\"abcde\"", NULL, big, &s, NULL), 0);
	T_NEAR(s, 2.0 / 174764, 1e-12);
	T_EQ_INT(ts_run("bleu", "\"abcde abcde\"", NULL, big, &s, NULL), 0);
	T_EQ_INT(ts_run("is-refusal", NULL, NULL, big, &s, NULL), 0);
	T_EQ_INT(ts_run("is-xml", NULL, NULL, big, &s, NULL), 0);
	/* Two long, nearly equal texts: the banded distance. */
	{
		char *b2 = strdup(big);
		char *val;
		size_t m = 200000;
		T_ASSERT(b2);
		b2[m] = '\0';
		big[m] = '\0';
		b2[100] = 'Z';
		b2[5000] = 'Y';
		val = malloc(m + 3);
		T_ASSERT(val);
		snprintf(val, m + 3, "\"%s\"", b2);
		T_EQ_INT(ts_run("levenshtein", val, NULL, big, &s, NULL), 1);
		T_EQ_INT(run_th("levenshtein", val, 1, big, NULL, NULL), 0);
		free(val);
		free(b2);
	}
	free(big);
}

/* ---- response-based types --------------------------------------------- */

static int run_resp(const char *type, const char *value, bool has_th,
		    double th, const struct response *resp, char **reason,
		    struct err *e)
{
	struct assertion_spec a = ts_spec(type, value);
	struct assert_outcome o;
	int rc;
	memset(e, 0, sizeof *e);
	a.has_threshold = has_th;
	a.threshold = th;
	rc = score_assert_eval(&a, NULL, "out", resp, &o, e);
	ts_free(&a);
	if (rc)
		return -1;
	if (reason)
		*reason = o.reason;
	else
		free(o.reason);
	return o.pass;
}

TEST(score_meta_latency_cost_finish)
{
	struct response r;
	struct err e;
	char *why = NULL;
	response_init(&r);
	r.latency_ms = 500;
	r.cost_usd = 0.001;
	r.finish_reason = strdup("stop");
	T_EQ_INT(run_resp("latency", NULL, true, 800, &r, NULL, &e), 1);
	T_EQ_INT(run_resp("latency", NULL, true, 400, &r, &why, &e), 0);
	T_EQ_STR(why, "Latency 500ms is greater than threshold 400ms");
	free(why);
	T_EQ_INT(run_resp("not-latency", NULL, true, 400, &r, NULL, &e), 1);
	T_EQ_INT(run_resp("cost", NULL, true, 0.002, &r, NULL, &e), 1);
	T_EQ_INT(run_resp("cost", NULL, true, 0.0005, &r, &why, &e), 0);
	T_EQ_STR(why, "Cost 0.001 is greater than threshold 0.0005");
	free(why);
	T_EQ_INT(run_resp("finish-reason", "\"STOP\"", false, 0, &r, NULL, &e), 1);
	T_EQ_INT(run_resp("finish-reason", "\"length\"", false, 0, &r, &why, &e), 0);
	T_EQ_STR(why, "Expected finish reason \"length\" but got \"stop\"");
	free(why);
	T_EQ_INT(run_resp("not-finish-reason", "\"length\"", false, 0, &r, NULL,
			  &e), 1);
	/* Unknowns. */
	r.cost_usd = -1;
	T_EQ_INT(run_resp("cost", NULL, true, 1, &r, &why, &e), 0);
	T_ASSERT(strstr(why, "Cost is unknown"));
	free(why);
	free(r.finish_reason);
	r.finish_reason = NULL;
	T_EQ_INT(run_resp("finish-reason", "\"stop\"", false, 0, &r, &why, &e), 0);
	T_EQ_STR(why, "Provider did not supply stop/finish reason");
	free(why);
	/* A cached response has no latency: a grading error. */
	r.cached = true;
	T_EQ_INT(run_resp("latency", NULL, true, 800, &r, NULL, &e), -1);
	T_ASSERT(strstr(e.msg, "cached"));
	T_EQ_INT(run_resp("latency", NULL, true, 800, NULL, NULL, &e), -1);
	response_cleanup(&r);
}

/* score_grade turns a grading error into a non-zero return. */
TEST(score_meta_grade_error_propagates)
{
	struct assertion_spec as[2];
	struct test_case tc;
	struct response r;
	struct grade g;
	struct err e = {0};
	memset(&tc, 0, sizeof tc);
	as[0] = ts_spec("contains", "\"o\"");
	as[1] = ts_spec("latency", NULL);
	as[1].has_threshold = true;
	as[1].threshold = 100;
	tc.asserts = as;
	tc.n_asserts = 2;
	response_init(&r);
	r.output = strdup("out");
	r.cached = true;
	T_ASSERT(score_grade(&tc, &r, &g, &e) != 0);
	T_ASSERT(strstr(e.msg, "cached"));
	T_EQ_INT((long long)g.n_items, 0);   /* released */
	r.cached = false;
	r.latency_ms = 50;
	T_EQ_INT(score_grade(&tc, &r, &g, &e), 0);
	T_ASSERT(g.pass);
	grade_cleanup(&g);
	response_cleanup(&r);
	ts_free(&as[0]);
	ts_free(&as[1]);
}

TEST(score_measure_check_errors)
{
	struct err e;
	struct assertion_spec a;
	T_EQ_INT(ts_check("latency", NULL, NULL, &e), ST_INPUT);
	T_ASSERT(strstr(e.msg, "'latency' needs a threshold"));
	T_EQ_INT(e.line, 7);
	T_EQ_INT(ts_check("cost", NULL, NULL, &e), ST_INPUT);
	T_ASSERT(strstr(e.msg, "US dollars"));
	T_EQ_INT(ts_check("latency", "5", NULL, &e), ST_INPUT);
	T_ASSERT(strstr(e.msg, "takes no value"));
	T_EQ_INT(ts_check("levenshtein", NULL, NULL, &e), ST_INPUT);
	T_EQ_INT(ts_check("levenshtein", "5", NULL, &e), ST_INPUT);
	T_EQ_INT(ts_check("bleu", "[\"a\", 3]", NULL, &e), ST_INPUT);
	T_ASSERT(strstr(e.msg, "item 2"));
	T_EQ_INT(ts_check("bleu", "[]", NULL, &e), ST_INPUT);
	a = ts_spec("rouge-n", "\"x\"");
	a.has_threshold = true;
	a.threshold = 1.5;
	T_EQ_INT(score_check(&a, NULL, &e), ST_INPUT);
	T_ASSERT(strstr(e.msg, "between 0 and 1"));
	ts_free(&a);
	T_EQ_INT(ts_check("word-count", "-1", NULL, &e), ST_INPUT);
	T_EQ_INT(ts_check("word-count", "{\"min\": 5, \"max\": 2}", NULL, &e),
		 ST_INPUT);
	T_ASSERT(strstr(e.msg, "min (5) must be <= max (2)"));
	T_EQ_INT(ts_check("char-count", "{\"mni\": 5}", NULL, &e), ST_INPUT);
	T_ASSERT(strstr(e.msg, "unknown key 'mni'"));
	T_EQ_INT(ts_check("sentence-count", "\"many\"", NULL, &e), ST_INPUT);
	T_EQ_INT(ts_check("number", "\"42\"", NULL, &e), ST_INPUT);
	T_EQ_INT(ts_check("number", "{\"equals\": 1, \"min\": 0}", NULL, &e),
		 ST_INPUT);
	T_EQ_INT(ts_check("number", "{\"equals\": 1, \"tolerance\": -1}", NULL,
			  &e), ST_INPUT);
	T_EQ_INT(ts_check("is-refusal", "\"x\"", NULL, &e), ST_INPUT);
	T_EQ_INT(ts_check("finish-reason", "\"\"", NULL, &e), ST_INPUT);
	T_EQ_INT(ts_check("is-xml", "{\"required\": [\"a\"]}", NULL, &e), ST_INPUT);
	T_ASSERT(strstr(e.msg, "unknown key 'required'"));
	T_EQ_INT(ts_check("is-sql", "{\"databaseType\": \"MySQL\"}", NULL, &e),
		 ST_INPUT);
	T_ASSERT(strstr(e.msg, "PostgreSQL"));
	T_EQ_INT(ts_check("is-sql", "{\"allowedTables\": [\"t\"]}", NULL, &e),
		 ST_INPUT);
	T_EQ_INT(ts_check("is-sql", "{\"databaseType\": \"PostgreSQL\"}", NULL,
			  &e), 0);
}

/* XML with an external entity parses without reading the file. */
TEST(score_xml_no_external_entities)
{
	char *r = NULL;
	const char *xxe = "<!DOCTYPE a [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>"
			  "<a>&e;</a>";
	int p = ts_run("is-xml", NULL, NULL, xxe, NULL, &r);
	T_ASSERT(p == 0 || p == 1);
	T_ASSERT(!r || !strstr(r, "root:"));
	free(r);
}
