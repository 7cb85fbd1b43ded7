/* test_score.c — the assertion types one by one: a parity table of
 * promptfoo's documented semantics, edge inputs (empty, Unicode, 1 MB),
 * templated values and the load-time errors of score_check. */
#include "t.h"
#include "test_score_util.h"
#include "../../src/score/score_int.h"

#include <pthread.h>
#include <stdio.h>

/* ---- parity with promptfoo ---------------------------------------------
 * Each row: type, value (JSON text or NULL), output, expected pass, score.
 * Expectations follow promptfoo's handlers (equals.ts, contains.ts,
 * startsWith.ts, regex.ts, json.ts): String(value) for numbers, JSON.parse
 * + deep equality for object values, comma splitting with quotes for list
 * types given a string, `not-` inverting pass and score. */
struct parity_row {
	const char *type, *value, *output;
	int pass;
	double score;
};

static const struct parity_row parity[] = {
	/* equals */
	{ "equals", "\"Hello\"", "Hello", 1, 1 },
	{ "equals", "\"Hello\"", "hello", 0, 0 },
	{ "equals", "\"Hello\"", "Hello ", 0, 0 },
	{ "equals", "\"\"", "", 1, 1 },
	{ "equals", "42", "42", 1, 1 },
	{ "equals", "1.5", "1.5", 1, 1 },
	{ "equals", "0.1", "0.1", 1, 1 },
	{ "equals", "1e21", "1e+21", 1, 1 },
	{ "equals", "true", "true", 1, 1 },
	{ "equals", "{\"a\":1,\"b\":[1,2]}", "{\"b\": [1, 2], \"a\": 1}", 1, 1 },
	{ "equals", "{\"a\":1}", "{\"a\":1.0}", 1, 1 },
	{ "equals", "{\"a\":1}", "{\"a\":\"1\"}", 0, 0 },
	{ "equals", "{\"a\":1}", "{\"a\":1,\"b\":2}", 0, 0 },
	{ "equals", "{\"a\":1}", "not json", 0, 0 },
	{ "not-equals", "{\"a\":1}", "not json", 1, 1 },
	{ "equals", "[1,2]", "[2,1]", 0, 0 },
	{ "equals", "[1,2]", " [1, 2] ", 1, 1 },
	{ "equals", "{\"a\":null}", "{\"a\":null}", 1, 1 },
	{ "not-equals", "\"x\"", "y", 1, 1 },
	{ "not-equals", "\"x\"", "x", 0, 0 },
	/* contains */
	{ "contains", "\"world\"", "Hello world", 1, 1 },
	{ "contains", "\"World\"", "Hello world", 0, 0 },
	{ "contains", "42", "the answer is 42.", 1, 1 },
	{ "contains", "\"caf\\u00e9\"", "un caf\xC3\xA9 noir", 1, 1 },
	{ "contains", "\"x\"", "", 0, 0 },
	{ "not-contains", "\"bad\"", "good", 1, 1 },
	{ "not-contains", "\"good\"", "good", 0, 0 },
	{ "not-contains", "\"x\"", "", 1, 1 },
	/* icontains */
	{ "icontains", "\"WORLD\"", "hello World", 1, 1 },
	{ "icontains", "\"hello\"", "HELLO", 1, 1 },
	{ "icontains", "\"\\u00c4RGER\"", "so \xC3\xA4rgerlich", 1, 1 },
	{ "icontains", "\"\\u041f\\u0420\\u0418\\u0412\\u0415\\u0422\"",
	  "\xD0\xBF\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82 \xD0\xBC\xD0\xB8\xD1\x80",
	  1, 1 },
	{ "icontains", "\"stra\\u00dfe\"", "STRASSE", 0, 0 },
	{ "icontains", "\"a\"", "", 0, 0 },
	{ "icontains", "\"[x]\"", "a [X] b", 1, 1 },
	{ "not-icontains", "\"HELLO\"", "hello", 0, 0 },
	{ "not-icontains", "\"bye\"", "hello", 1, 1 },
	/* contains-any / contains-all, list and comma-separated string */
	{ "contains-any", "[\"cat\",\"dog\"]", "hotdog", 1, 1 },
	{ "contains-any", "[\"cat\",\"dog\"]", "bird", 0, 0 },
	{ "contains-any", "\"cat, dog\"", "a dog", 1, 1 },
	{ "contains-any", "\"\\\"a, b\\\", c\"", "x a, b y", 1, 1 },
	{ "contains-any", "\"\\\"a, b\\\", c\"", "a b", 0, 0 },
	{ "contains-any", "[1, 2]", "room 2", 1, 1 },
	{ "not-contains-any", "[\"cat\",\"dog\"]", "bird", 1, 1 },
	{ "not-contains-any", "[\"cat\",\"dog\"]", "cat", 0, 0 },
	{ "contains-all", "[\"a\",\"b\"]", "ab", 1, 1 },
	{ "contains-all", "[\"a\",\"z\"]", "ab", 0, 0 },
	{ "contains-all", "\" x ,y,, z \"", "xyz", 1, 1 },
	{ "contains-all", "\"x y\"", "x  y", 0, 0 },
	{ "not-contains-all", "[\"a\",\"z\"]", "ab", 1, 1 },
	{ "not-contains-all", "[\"a\",\"b\"]", "ab", 0, 0 },
	{ "icontains-any", "[\"CAT\",\"DOG\"]", "hotdog", 1, 1 },
	{ "icontains-any", "\"CAT,DOG\"", "bird", 0, 0 },
	{ "icontains-all", "[\"HELLO\",\"WORLD\"]", "hello world", 1, 1 },
	{ "icontains-all", "[\"HELLO\",\"MARS\"]", "hello world", 0, 0 },
	{ "not-icontains-all", "[\"HELLO\",\"MARS\"]", "hello world", 1, 1 },
	{ "not-icontains-any", "[\"HELLO\",\"MARS\"]", "hello world", 0, 0 },
	/* starts-with */
	{ "starts-with", "\"Hello\"", "Hello world", 1, 1 },
	{ "starts-with", "\"hello\"", "Hello world", 0, 0 },
	{ "starts-with", "\"Hello\"", " Hello", 0, 0 },
	{ "starts-with", "\"x\"", "", 0, 0 },
	{ "starts-with", "\"Hello world!\"", "Hello", 0, 0 },
	{ "not-starts-with", "\"Hi\"", "Hello", 1, 1 },
	{ "not-starts-with", "\"He\"", "Hello", 0, 0 },
	/* regex (JavaScript RegExp without flags) */
	{ "regex", "\"^\\\\d{3}-\\\\d{4}$\"", "555-1234", 1, 1 },
	{ "regex", "\"^\\\\d{3}-\\\\d{4}$\"", "555-1234\n", 0, 0 },
	{ "regex", "\"hello\"", "HELLO", 0, 0 },
	{ "regex", "\"[A-Z]+\"", "abc", 0, 0 },
	{ "regex", "\"\\u00e9+\"", "caf\xC3\xA9\xC3\xA9", 1, 1 },
	{ "regex", "\"^.$\"", "\xC3\xA9", 1, 1 },
	{ "regex", "\"a.c\"", "a\nc", 0, 0 },
	{ "regex", "\"^$\"", "", 1, 1 },
	{ "regex", "\"(a)(b)(c)(d)\"", "xabcdx", 1, 1 },
	{ "not-regex", "\"\\\\d\"", "abc", 1, 1 },
	{ "not-regex", "\"\\\\d\"", "a1c", 0, 0 },
	/* is-json */
	{ "is-json", NULL, "{\"a\":1}", 1, 1 },
	{ "is-json", NULL, "[1,2]", 1, 1 },
	{ "is-json", NULL, "42", 1, 1 },
	{ "is-json", NULL, "\"str\"", 1, 1 },
	{ "is-json", NULL, "null", 1, 1 },
	{ "is-json", NULL, "  {\"a\":1}\n", 1, 1 },
	{ "is-json", NULL, "12345678901234567890", 1, 1 },
	{ "is-json", NULL, "{a:1}", 0, 0 },
	{ "is-json", NULL, "", 0, 0 },
	{ "is-json", NULL, "{\"a\":1} trailing", 0, 0 },
	{ "is-json", NULL, "```json\n{\"a\":1}\n```", 0, 0 },
	{ "not-is-json", NULL, "hello", 1, 1 },
	{ "not-is-json", NULL, "{}", 0, 0 },
	/* contains-json */
	{ "contains-json", NULL, "Here: {\"a\": 1} ok", 1, 1 },
	{ "contains-json", NULL, "no json here", 0, 0 },
	{ "contains-json", NULL, "{\"a\": 1", 0, 0 },
	{ "contains-json", NULL, "bad {not json} then {\"ok\": true}", 1, 1 },
	{ "contains-json", NULL, "{\"s\": \"a } brace\"}", 1, 1 },
	{ "contains-json", NULL, "```json\n{\"a\": [1, {\"b\": 2}]}\n```", 1, 1 },
	{ "contains-json", NULL, "", 0, 0 },
	{ "not-contains-json", NULL, "plain", 1, 1 },
	{ "not-contains-json", NULL, "x {\"a\":1}", 0, 0 },
};

TEST(score_parity_table)
{
	size_t n = sizeof parity / sizeof parity[0], bad = 0;
	for (size_t i = 0; i < n; i++) {
		const struct parity_row *r = &parity[i];
		double score = -1;
		int pass = ts_run(r->type, r->value, NULL, r->output, &score,
				  NULL);
		if (pass != r->pass || score != r->score) {
			printf("  row %zu: %s %s on \"%s\": pass %d score %g, "
			       "want %d %g\n", i, r->type,
			       r->value ? r->value : "-", r->output, pass,
			       score, r->pass, r->score);
			bad++;
		}
	}
	T_EQ_INT(bad, 0);
}

/* Every parity row passes score_check too (the values are well-formed). */
TEST(score_parity_rows_check)
{
	size_t n = sizeof parity / sizeof parity[0];
	for (size_t i = 0; i < n; i++) {
		struct err e;
		int rc = ts_check(parity[i].type, parity[i].value, NULL, &e);
		if (rc)
			printf("  row %zu: %s\n", i, e.msg);
		T_EQ_INT(rc, 0);
	}
}

/* Every type, and its not- form, is registered. */
TEST(score_types_known)
{
	static const char *const types[] = {
		"equals", "contains", "icontains", "contains-any",
		"contains-all", "icontains-any", "icontains-all",
		"starts-with", "regex", "is-json", "contains-json",
	};
	char buf[64];
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
		T_ASSERT(score_type_known(types[i]));
		snprintf(buf, sizeof buf, "not-%s", types[i]);
		T_ASSERT(score_type_known(buf));
	}
	T_ASSERT(!score_type_known("contians"));
	T_ASSERT(!score_type_known("not-not-contains"));
	T_ASSERT(!score_type_known(""));
	T_ASSERT(!score_type_known("not-"));
}

/* ---- edge inputs -------------------------------------------------------- */

TEST(score_null_output_is_empty)
{
	double s = -1;
	T_EQ_INT(ts_run("contains", "\"a\"", NULL, NULL, &s, NULL), 0);
	T_NEAR(s, 0, 0);
	T_EQ_INT(ts_run("not-contains", "\"a\"", NULL, NULL, &s, NULL), 1);
	T_NEAR(s, 1, 0);
	T_EQ_INT(ts_run("equals", "\"\"", NULL, NULL, NULL, NULL), 1);
	T_EQ_INT(ts_run("is-json", NULL, NULL, NULL, NULL, NULL), 0);
	T_EQ_INT(ts_run("regex", "\"^$\"", NULL, NULL, NULL, NULL), 1);
	T_EQ_INT(ts_run("contains-json", NULL, NULL, NULL, NULL, NULL), 0);
}

/* The search at every alignment and needle length, against a naive one. */
TEST(score_find_matches_naive)
{
	char hay[200];
	const char *needles[] = { "a", "Ab", "xyZ", "abcdefghijklmnopq", "?[",
				  "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz" };
	for (size_t i = 0; i < sizeof hay; i++)
		hay[i] = "abcXYZxyz?[ "[(i * 7 + i / 13) % 12];
	for (size_t k = 0; k < sizeof needles / sizeof needles[0]; k++) {
		const char *nd = needles[k];
		size_t nn = strlen(nd);
		for (size_t len = 0; len <= sizeof hay; len += 7) {
			for (int fold = 0; fold < 2; fold++) {
				const char *want = NULL;
				for (size_t i = 0; !want && i + nn <= len; i++)
					if (fold ? strncasecmp(hay + i, nd, nn) == 0
						 : memcmp(hay + i, nd, nn) == 0)
						want = hay + i;
				T_ASSERT(score_find(hay, len, nd, nn, fold) == want);
			}
		}
	}
	/* Planted at the very end, past the vector loop. */
	memset(hay, 'q', sizeof hay);
	memcpy(hay + sizeof hay - 3, "End", 3);
	T_ASSERT(score_find(hay, sizeof hay, "end", 3, true) ==
		 hay + sizeof hay - 3);
	T_ASSERT(score_find(hay, sizeof hay, "end", 3, false) == NULL);
	/* '@' and '`' differ only in bit 5 but are not letters. */
	T_ASSERT(score_find("`", 1, "@", 1, true) == NULL);
	T_ASSERT(score_find("x[y", 3, "{", 1, true) == NULL);
}

/* 1 MB outputs: the needle at the end, and a pathological bracket run. */
TEST(score_huge_output)
{
	size_t n = 1 << 20;
	char *big = malloc(n + 1);
	double s;
	T_ASSERT(big);
	memset(big, 'a', n);
	big[n] = '\0';
	memcpy(big + n - 6, "NEEDLE", 6);
	T_EQ_INT(ts_run("contains", "\"NEEDLE\"", NULL, big, &s, NULL), 1);
	T_EQ_INT(ts_run("icontains", "\"needle\"", NULL, big, &s, NULL), 1);
	T_EQ_INT(ts_run("contains", "\"needle\"", NULL, big, &s, NULL), 0);
	T_EQ_INT(ts_run("regex", "\"NEEDLE$\"", NULL, big, &s, NULL), 1);
	T_EQ_INT(ts_run("icontains", "\"\\u00e4\"", NULL, big, &s, NULL), 0);
	T_EQ_INT(ts_run("contains-json", NULL, NULL, big, &s, NULL), 0);
	/* Unbalanced brackets everywhere: must end quickly, not match. */
	memset(big, '[', n);
	T_EQ_INT(ts_run("contains-json", NULL, NULL, big, &s, NULL), 0);
	memset(big, '{', n);
	T_EQ_INT(ts_run("contains-json", NULL, NULL, big, &s, NULL), 0);
	/* A 1 MB JSON array is JSON. */
	big[0] = '[';
	for (size_t i = 1; i + 2 < n; i += 2) {
		big[i] = '1';
		big[i + 1] = ',';
	}
	big[n - 2] = '1';
	big[n - 1] = ']';
	T_EQ_INT(ts_run("is-json", NULL, NULL, big, &s, NULL), 1);
	T_EQ_INT(ts_run("contains-json", NULL, NULL, big, &s, NULL), 1);
	free(big);
}

/* Arrays count for contains-json (promptfoo versions differ here). */
TEST(score_contains_json_arrays_and_nesting)
{
	T_EQ_INT(ts_run("contains-json", NULL, NULL, "list: [1, 2, 3]", NULL,
			NULL), 1);
	T_EQ_INT(ts_run("contains-json", NULL, NULL, "a [b] c", NULL, NULL), 0);
	T_EQ_INT(ts_run("contains-json", NULL, NULL,
			"{\"a\": [1, 2}, then {\"b\": \"\\\"}\"}", NULL, NULL), 1);
	T_EQ_INT(ts_run("contains-json", NULL, NULL, "5\" screen {\"a\":1}",
			NULL, NULL), 1);
}

/* Invalid UTF-8 in output is tolerated by regex and icontains. */
TEST(score_invalid_utf8_output)
{
	const char *out = "abc\xff\xfe caf\xC3\xA9";
	T_EQ_INT(ts_run("regex", "\"caf\\u00e9\"", NULL, out, NULL, NULL), 1);
	T_EQ_INT(ts_run("icontains", "\"CAF\\u00c9\"", NULL, out, NULL, NULL), 1);
	T_EQ_INT(ts_run("is-json", NULL, NULL, out, NULL, NULL), 0);
}

/* ---- templated values --------------------------------------------------- */

TEST(score_templated_values)
{
	json_t *vars = json_pack("{s:s, s:s, s:i, s:s}", "city", "Paris",
				 "animal", "dog", "n", 42, "prefix", "ID-");
	char *reason = NULL;
	T_EQ_INT(ts_run("contains", "\"{{city}}\"", vars, "I love Paris",
			NULL, NULL), 1);
	T_EQ_INT(ts_run("contains", "\"{{ city }}\"", vars, "I love Rome",
			NULL, &reason), 0);
	T_EQ_STR(reason, "Expected output to contain \"Paris\"");
	free(reason);
	T_EQ_INT(ts_run("contains-any", "[\"{{animal}}\", \"zzz\"]", vars,
			"hotdog", NULL, NULL), 1);
	T_EQ_INT(ts_run("contains-all", "\"{{animal}}, {{city}}\"", vars,
			"dog in Paris", NULL, NULL), 1);
	T_EQ_INT(ts_run("regex", "\"^{{prefix}}\\\\d+$\"", vars, "ID-123",
			NULL, NULL), 1);
	T_EQ_INT(ts_run("regex", "\"^{{prefix}}\\\\d+$\"", vars, "XX-123",
			NULL, NULL), 0);
	T_EQ_INT(ts_run("equals", "\"{{n}}\"", vars, "42", NULL, NULL), 1);
	T_EQ_INT(ts_run("starts-with", "\"{{city}}:\"", vars, "Paris: yes",
			NULL, NULL), 1);
	json_decref(vars);
}

/* ---- load-time errors --------------------------------------------------- */

TEST(score_check_unknown_type)
{
	struct err e;
	T_EQ_INT(ts_check("contians", "\"x\"", NULL, &e), ST_INPUT);
	T_EQ_STR(e.file, "suite.yaml");
	T_EQ_INT(e.line, 7);
	T_EQ_INT(e.col, 5);
	T_ASSERT(strstr(e.msg, "unknown assertion type 'contians'"));
	T_ASSERT(strstr(e.msg, "did you mean 'contains'"));
	T_ASSERT(strstr(e.msg, "expected one of: equals, contains, "));
	T_ASSERT(strstr(e.msg, "regex"));
	T_ASSERT(strstr(e.msg, "is-json"));

	T_EQ_INT(ts_check("not-contians", "\"x\"", NULL, &e), ST_INPUT);
	T_ASSERT(strstr(e.msg, "did you mean 'not-contains'"));

	T_EQ_INT(ts_check("frobnicate-everything", "\"x\"", NULL, &e), ST_INPUT);
	T_ASSERT(strstr(e.msg, "unknown assertion type 'frobnicate-everything'; "
			"expected one of:"));
	T_ASSERT(!strstr(e.msg, "did you mean"));

	T_EQ_INT(ts_check("", "\"x\"", NULL, &e), ST_INPUT);
	T_EQ_INT(e.line, 7);
}

TEST(score_check_invalid_regex)
{
	struct err e;
	T_EQ_INT(ts_check("regex", "\"(ab\"", NULL, &e), ST_INPUT);
	T_EQ_STR(e.file, "suite.yaml");
	T_EQ_INT(e.line, 7);
	T_ASSERT(strstr(e.msg, "missing closing parenthesis"));
	T_ASSERT(strstr(e.msg, "at offset 3"));
	T_ASSERT(strstr(e.msg, "\"(ab\""));

	T_EQ_INT(ts_check("not-regex", "\"a{2,1}\"", NULL, &e), ST_INPUT);
	T_ASSERT(strstr(e.msg, "at offset 5"));
	T_ASSERT(strstr(e.msg, "out of order"));

	T_EQ_INT(ts_check("regex", "\"ok[a-z]+\"", NULL, &e), 0);
	T_EQ_INT(ts_check("regex", "\"\"", NULL, &e), ST_INPUT);
	T_ASSERT(strstr(e.msg, "must not be empty"));
	/* A bad pattern that only appears after rendering. */
	{
		json_t *vars = json_pack("{s:s}", "p", "[z-a]");
		T_EQ_INT(ts_check("regex", "\"x{{p}}\"", vars, &e), ST_INPUT);
		T_ASSERT(strstr(e.msg, "at offset 4"));
		json_decref(vars);
	}
}

TEST(score_check_missing_value)
{
	static const char *const need[] = {
		"equals", "contains", "icontains", "contains-any",
		"contains-all", "icontains-any", "icontains-all",
		"starts-with", "regex", "not-contains",
	};
	struct err e;
	for (size_t i = 0; i < sizeof need / sizeof need[0]; i++) {
		T_EQ_INT(ts_check(need[i], NULL, NULL, &e), ST_INPUT);
		T_EQ_INT(e.line, 7);
		T_ASSERT(strstr(e.msg, "needs a value"));
		T_ASSERT(strstr(e.msg, need[i]));
		/* YAML `value: ~` is the same as no value. */
		T_EQ_INT(ts_check(need[i], "null", NULL, &e), ST_INPUT);
	}
	T_EQ_INT(ts_check("contains", NULL, NULL, &e), ST_INPUT);
	T_EQ_STR(e.msg, "'contains' needs a value: a string or number");
	T_EQ_INT(ts_check("is-json", NULL, NULL, &e), 0);
	T_EQ_INT(ts_check("not-contains-json", NULL, NULL, &e), 0);
}

TEST(score_check_wrong_value_type)
{
	struct err e;
	T_EQ_INT(ts_check("contains", "[\"a\"]", NULL, &e), ST_INPUT);
	T_EQ_STR(e.msg, "'contains' value must be a string or number, got a list");
	T_EQ_INT(e.col, 5);
	T_EQ_INT(ts_check("icontains", "{\"a\":1}", NULL, &e), ST_INPUT);
	T_ASSERT(strstr(e.msg, "got an object"));
	T_EQ_INT(ts_check("contains", "true", NULL, &e), ST_INPUT);
	T_EQ_INT(ts_check("contains", "\"\"", NULL, &e), ST_INPUT);
	T_ASSERT(strstr(e.msg, "must not be empty"));
	T_EQ_INT(ts_check("starts-with", "42", NULL, &e), ST_INPUT);
	T_ASSERT(strstr(e.msg, "'starts-with' value must be a string, got a number"));
	T_EQ_INT(ts_check("regex", "[\"a\"]", NULL, &e), ST_INPUT);
	T_EQ_INT(ts_check("contains-any", "{\"a\":1}", NULL, &e), ST_INPUT);
	T_EQ_INT(ts_check("contains-any", "[\"a\", {\"b\":1}]", NULL, &e),
		 ST_INPUT);
	T_ASSERT(strstr(e.msg, "item 2 of the list must be a string or number"));
	T_EQ_INT(ts_check("contains-all", "[]", NULL, &e), ST_INPUT);
	T_ASSERT(strstr(e.msg, "at least one"));
	T_EQ_INT(ts_check("icontains-any", "\" , ,\"", NULL, &e), ST_INPUT);
	T_EQ_INT(ts_check("contains-any", "\"\\\"open, b\"", NULL, &e), ST_INPUT);
	T_ASSERT(strstr(e.msg, "unterminated quoted field"));
	/* A schema value is checked as a JSON Schema (test_score_schema.c). */
	T_EQ_INT(ts_check("is-json", "{\"type\":\"object\"}", NULL, &e), 0);
	T_EQ_INT(ts_check("contains-json", "\"{type: object}\"", NULL, &e),
		 ST_INPUT);
	T_ASSERT(strstr(e.msg, "contains-json': the value is not a JSON Schema"));
	T_EQ_INT(ts_check("equals", "{\"a\":[1,2]}", NULL, &e), 0);
	T_EQ_INT(ts_check("contains", "3.5", NULL, &e), 0);
}

TEST(score_check_weight_threshold_template)
{
	struct err e;
	struct assertion_spec a = ts_spec("contains", "\"{{missing_var}}\"");
	json_t *vars = json_pack("{s:s}", "x", "y");
	memset(&e, 0, sizeof e);
	T_EQ_INT(score_check(&a, vars, &e), ST_INPUT);
	T_EQ_STR(e.file, "suite.yaml");
	T_EQ_INT(e.line, 7);
	T_ASSERT(strstr(e.msg, "missing_var"));
	ts_free(&a);

	a = ts_spec("contains", "\"x\"");
	a.weight = -1;
	T_EQ_INT(score_check(&a, vars, &e), ST_INPUT);
	T_ASSERT(strstr(e.msg, "weight must be a number >= 0"));
	a.weight = NAN;
	T_EQ_INT(score_check(&a, vars, &e), ST_INPUT);
	a.weight = 0;
	T_EQ_INT(score_check(&a, vars, &e), 0);
	a.weight = 2.5;
	a.has_threshold = true;
	a.threshold = INFINITY;
	T_EQ_INT(score_check(&a, vars, &e), ST_INPUT);
	T_ASSERT(strstr(e.msg, "threshold"));
	a.threshold = 0.5;
	T_EQ_INT(score_check(&a, vars, &e), 0);
	a.metric = "{{nope}}";
	T_EQ_INT(score_check(&a, vars, &e), ST_INPUT);
	T_ASSERT(strstr(e.msg, "nope"));
	a.metric = "acc-{{x}}";
	T_EQ_INT(score_check(&a, vars, &e), 0);
	a.transform = "file://t.js";
	T_EQ_INT(score_check(&a, vars, &e), ST_INPUT);
	T_ASSERT(strstr(e.msg, "transform"));
	ts_free(&a);
	json_decref(vars);
}

/* The same pattern is compiled once: the cache hands back one object. */
TEST(score_regex_cache_reuses)
{
	struct err e = {0};
	const struct score_re *a = score_re_get("ab+c", 4, 0, &e);
	const struct score_re *b = score_re_get("ab+cX", 4, 0, &e);
	const struct score_re *c = score_re_get("ab+c", 4, SCORE_RE_CASELESS, &e);
	T_ASSERT(a != NULL);
	T_ASSERT(a == b);
	T_ASSERT(c != NULL && c != a);
	T_ASSERT(score_re_get("(", 1, 0, &e) == NULL);
	T_ASSERT(strstr(e.msg, "offset 1"));
	/* Many distinct patterns (table growth) stay findable. */
	for (int i = 0; i < 600; i++) {
		char p[32];
		int n = snprintf(p, sizeof p, "x%dy", i);
		const struct score_re *r = score_re_get(p, (size_t)n, 0, &e);
		T_ASSERT(r && score_re_get(p, (size_t)n, 0, &e) == r);
		T_EQ_INT(score_re_match(r, p, (size_t)n, NULL, 0), 1);
	}
	T_ASSERT(score_re_get("ab+c", 4, 0, &e) == a);
}

/* Several threads grading at once share the regex cache safely and get
 * the same answers (run under ASan/TSan to catch races). */
static void *score_thread_body(void *arg)
{
	long bad = 0;
	(void)arg;
	for (int i = 0; i < 2000; i++) {
		char pat[48], out[64];
		snprintf(pat, sizeof pat, "\"^id-%d\\\\d$\"", i % 50);
		snprintf(out, sizeof out, "id-%d7", i % 50);
		if (ts_run("regex", pat, NULL, out, NULL, NULL) != 1)
			bad++;
		if (ts_run("icontains", "\"\\u00c9T\\u00c9\"", NULL,
			   "un \xC3\xA9t\xC3\xA9 chaud", NULL, NULL) != 1)
			bad++;
	}
	return (void *)bad;
}

TEST(score_threads_share_cache)
{
	pthread_t th[4];
	long total = 0;
	for (int i = 0; i < 4; i++)
		T_EQ_INT(pthread_create(&th[i], NULL, score_thread_body, NULL), 0);
	for (int i = 0; i < 4; i++) {
		void *r;
		pthread_join(th[i], &r);
		total += (long)r;
	}
	T_EQ_INT(total, 0);
}
