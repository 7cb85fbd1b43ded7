/* test_score_schema.c — JSON Schema for is-json and contains-json: each
 * keyword passing and failing, error paths in reasons, $ref (with a
 * cycle), file:// schemas and the load-time errors of bad schemas. */
#include "t.h"
#include "test_score_util.h"

#include <stdio.h>
#include <stdlib.h>

struct srow {
	const char *schema, *output;
	int pass;
};

static const struct srow srows[] = {
	{ "{\"type\": \"object\"}", "{}", 1 },
	{ "{\"type\": \"object\"}", "[]", 0 },
	{ "{\"type\": [\"string\", \"null\"]}", "null", 1 },
	{ "{\"type\": \"integer\"}", "3.0", 1 },
	{ "{\"type\": \"integer\"}", "3.5", 0 },
	{ "{\"type\": \"number\"}", "12345678901234567890", 1 },
	{ "true", "[1, 2]", 1 },
	{ "false", "1", 0 },
	{ "{\"enum\": [\"red\", \"green\", 1]}", "\"green\"", 1 },
	{ "{\"enum\": [\"red\", \"green\", 1]}", "1.0", 1 },
	{ "{\"enum\": [\"red\", \"green\"]}", "\"blue\"", 0 },
	{ "{\"const\": {\"a\": [1]}}", "{\"a\": [1]}", 1 },
	{ "{\"const\": {\"a\": [1]}}", "{\"a\": [2]}", 0 },
	{ "{\"required\": [\"a\"]}", "{\"b\": 1}", 0 },
	{ "{\"required\": [\"a\"]}", "[1]", 1 },   /* only applies to objects */
	{ "{\"properties\": {\"a\": {\"type\": \"string\"}}}", "{\"a\": 1}", 0 },
	{ "{\"properties\": {\"a\": {\"type\": \"string\"}}}", "{\"b\": 1}", 1 },
	{ "{\"properties\": {\"a\": {}}, \"additionalProperties\": false}",
	  "{\"a\": 1, \"b\": 2}", 0 },
	{ "{\"additionalProperties\": {\"type\": \"number\"}}",
	  "{\"a\": 1, \"b\": 2}", 1 },
	{ "{\"patternProperties\": {\"^x_\": {\"type\": \"number\"}}, "
	  "\"additionalProperties\": false}", "{\"x_a\": 1}", 1 },
	{ "{\"patternProperties\": {\"^x_\": {\"type\": \"number\"}}}",
	  "{\"x_a\": \"s\"}", 0 },
	{ "{\"propertyNames\": {\"maxLength\": 3}}", "{\"abcd\": 1}", 0 },
	{ "{\"minProperties\": 2}", "{\"a\": 1}", 0 },
	{ "{\"maxProperties\": 1}", "{\"a\": 1}", 1 },
	{ "{\"dependentRequired\": {\"card\": [\"cvv\"]}}", "{\"card\": 1}", 0 },
	{ "{\"items\": {\"type\": \"integer\"}}", "[1, 2, 3]", 1 },
	{ "{\"items\": {\"type\": \"integer\"}}", "[1, \"2\"]", 0 },
	{ "{\"prefixItems\": [{\"type\": \"string\"}], \"items\": false}",
	  "[\"a\"]", 1 },
	{ "{\"prefixItems\": [{\"type\": \"string\"}], \"items\": false}",
	  "[\"a\", 1]", 0 },
	{ "{\"items\": [{\"type\": \"string\"}], \"additionalItems\": false}",
	  "[\"a\", 1]", 0 },
	{ "{\"minItems\": 2, \"maxItems\": 3}", "[1]", 0 },
	{ "{\"minItems\": 2, \"maxItems\": 3}", "[1, 2, 3, 4]", 0 },
	{ "{\"uniqueItems\": true}", "[1, 2, 1.0]", 0 },
	{ "{\"uniqueItems\": true}", "[{\"a\": 1}, {\"a\": 2}]", 1 },
	{ "{\"contains\": {\"const\": 5}}", "[1, 5]", 1 },
	{ "{\"contains\": {\"const\": 5}}", "[1, 2]", 0 },
	{ "{\"minimum\": 0, \"maximum\": 10}", "10", 1 },
	{ "{\"exclusiveMaximum\": 10}", "10", 0 },
	{ "{\"exclusiveMinimum\": 0}", "0.001", 1 },
	{ "{\"multipleOf\": 0.1}", "0.3", 1 },
	{ "{\"multipleOf\": 2}", "7", 0 },
	{ "{\"minimum\": 5}", "\"3\"", 1 },        /* strings are not numbers */
	{ "{\"minLength\": 3}", "\"\\u00e9\\u00e9\\u00e9\"", 1 },
	{ "{\"maxLength\": 2}", "\"\\u00e9\\u00e9\\u00e9\"", 0 },
	{ "{\"maxLength\": 1}", "\"\\ud83d\\ude00\"", 1 },  /* one code point */
	{ "{\"pattern\": \"^[A-Z]{3}-\\\\d+$\"}", "\"ABC-12\"", 1 },
	{ "{\"pattern\": \"\\\\d\"}", "\"no digits\"", 0 },
	{ "{\"pattern\": \"b\"}", "\"abc\"", 1 },  /* unanchored */
	{ "{\"anyOf\": [{\"type\": \"string\"}, {\"type\": \"number\"}]}", "1", 1 },
	{ "{\"anyOf\": [{\"type\": \"string\"}, {\"type\": \"number\"}]}", "[]", 0 },
	{ "{\"oneOf\": [{\"minimum\": 0}, {\"maximum\": 10}]}", "5", 0 },
	{ "{\"oneOf\": [{\"minimum\": 0}, {\"maximum\": 10}]}", "50", 1 },
	{ "{\"allOf\": [{\"minimum\": 0}, {\"maximum\": 10}]}", "11", 0 },
	{ "{\"not\": {\"type\": \"null\"}}", "null", 0 },
	{ "{\"if\": {\"properties\": {\"kind\": {\"const\": \"a\"}}}, "
	  "\"then\": {\"required\": [\"x\"]}, \"else\": {\"required\": [\"y\"]}}",
	  "{\"kind\": \"a\", \"y\": 1}", 0 },
	{ "{\"if\": {\"properties\": {\"kind\": {\"const\": \"a\"}}}, "
	  "\"then\": {\"required\": [\"x\"]}, \"else\": {\"required\": [\"y\"]}}",
	  "{\"kind\": \"b\", \"y\": 1}", 1 },
	{ "{\"$defs\": {\"pos\": {\"type\": \"number\", \"minimum\": 0}}, "
	  "\"properties\": {\"p\": {\"$ref\": \"#/$defs/pos\"}}}", "{\"p\": -1}", 0 },
	{ "{\"definitions\": {\"s\": {\"type\": \"string\"}}, "
	  "\"items\": {\"$ref\": \"#/definitions/s\"}}", "[\"a\", \"b\"]", 1 },
	/* A recursive tree. */
	{ "{\"type\": \"object\", \"properties\": {\"kids\": {\"type\": \"array\", "
	  "\"items\": {\"$ref\": \"#\"}}, \"v\": {\"type\": \"integer\"}}}",
	  "{\"v\": 1, \"kids\": [{\"v\": 2, \"kids\": [{\"v\": \"x\"}]}]}", 0 },
	{ "{\"type\": \"object\", \"properties\": {\"kids\": {\"type\": \"array\", "
	  "\"items\": {\"$ref\": \"#\"}}, \"v\": {\"type\": \"integer\"}}}",
	  "{\"v\": 1, \"kids\": [{\"v\": 2, \"kids\": [{\"v\": 3}]}]}", 1 },
	/* JSON pointer escapes: ~1 is '/', ~0 is '~'. */
	{ "{\"$defs\": {\"a/b\": {\"type\": \"string\"}, \"c~d\": {\"type\": \"null\"}}, "
	  "\"anyOf\": [{\"$ref\": \"#/$defs/a~1b\"}, {\"$ref\": \"#/$defs/c~0d\"}]}",
	  "null", 1 },
	/* Annotations and format are ignored. */
	{ "{\"title\": \"t\", \"format\": \"email\", \"description\": \"d\"}",
	  "\"not an email\"", 1 },
};

TEST(score_schema_keywords)
{
	size_t bad = 0;
	for (size_t i = 0; i < sizeof srows / sizeof srows[0]; i++) {
		char *reason = NULL;
		struct err e;
		int pass;
		if (ts_check("is-json", srows[i].schema, NULL, &e)) {
			printf("  row %zu: load error %s\n", i, e.msg);
			bad++;
			continue;
		}
		pass = ts_run("is-json", srows[i].schema, NULL, srows[i].output,
			      NULL, &reason);
		if (pass != srows[i].pass) {
			printf("  row %zu: %s on %s: pass %d (%s), want %d\n", i,
			       srows[i].schema, srows[i].output, pass,
			       reason ? reason : "", srows[i].pass);
			bad++;
		}
		free(reason);
	}
	T_EQ_INT(bad, 0);
}

static const char *order_schema =
	"{\"type\": \"object\", \"required\": [\"items\"], \"properties\": {"
	"\"items\": {\"type\": \"array\", \"items\": {\"type\": \"object\", "
	"\"required\": [\"name\", \"price\"], \"properties\": {"
	"\"name\": {\"type\": \"string\"}, \"price\": {\"type\": \"number\"}}}}}}";

TEST(score_schema_error_paths)
{
	char *r = NULL;
	const char *out = "{\"items\": [{\"name\": \"a\", \"price\": 1}, "
			  "{\"name\": \"b\", \"price\": 2}, "
			  "{\"name\": \"c\", \"price\": \"3\"}]}";
	T_EQ_INT(ts_run("is-json", order_schema, NULL, out, NULL, &r), 0);
	T_EQ_STR(r, "JSON does not conform to the provided schema. Errors: "
		    "/items/2/price: expected number, found string");
	free(r);
	T_EQ_INT(ts_run("is-json", order_schema, NULL, "{\"items\": [{}]}", NULL,
			&r), 0);
	T_ASSERT(strstr(r, "/items/0: missing required property \"name\""));
	free(r);
	T_EQ_INT(ts_run("is-json", order_schema, NULL, "[]", NULL, &r), 0);
	T_ASSERT(strstr(r, "(root): expected object, found array"));
	free(r);
	T_EQ_INT(ts_run("is-json", "{\"properties\": {\"a/b\": {\"type\": \"null\"}}}",
			NULL, "{\"a/b\": 1}", NULL, &r), 0);
	T_ASSERT(strstr(r, "/a~1b: expected null"));
	free(r);
	/* Not JSON at all keeps the plain reason. */
	T_EQ_INT(ts_run("is-json", order_schema, NULL, "nope", NULL, &r), 0);
	T_EQ_STR(r, "Expected output to be valid JSON");
	free(r);
	T_EQ_INT(ts_run("not-is-json", order_schema, NULL, out, NULL, NULL), 1);
	T_EQ_INT(ts_run("not-is-json", order_schema, NULL,
			"{\"items\": []}", NULL, NULL), 0);
}

TEST(score_schema_contains_json)
{
	char *r = NULL;
	const char *sch = "{\"type\": \"object\", \"required\": [\"answer\"]}";
	T_EQ_INT(ts_run("contains-json", sch, NULL,
			"First {\"draft\": 1} then ```json\n{\"answer\": 42}\n```",
			NULL, NULL), 1);
	T_EQ_INT(ts_run("contains-json", sch, NULL, "Only {\"draft\": 1} here",
			NULL, &r), 0);
	T_ASSERT(strstr(r, "does not conform"));
	T_ASSERT(strstr(r, "missing required property \"answer\""));
	free(r);
	T_EQ_INT(ts_run("contains-json", sch, NULL, "no json", NULL, &r), 0);
	T_EQ_STR(r, "Expected output to contain valid JSON");
	free(r);
	/* The schema as JSON text in a string. */
	T_EQ_INT(ts_run("contains-json", "\"{\\\"type\\\": \\\"array\\\"}\"", NULL,
			"list: [1, 2]", NULL, NULL), 1);
}

/* $ref cycles that make no progress end with a failure, not a crash. */
TEST(score_schema_ref_cycle)
{
	char *r = NULL;
	const char *loop = "{\"$defs\": {\"a\": {\"$ref\": \"#/$defs/b\"}, "
			   "\"b\": {\"$ref\": \"#/$defs/a\"}}, \"$ref\": \"#/$defs/a\"}";
	struct err e;
	T_EQ_INT(ts_check("is-json", loop, NULL, &e), 0);
	T_EQ_INT(ts_run("is-json", loop, NULL, "1", NULL, &r), 0);
	T_ASSERT(strstr(r, "$ref nesting deeper than"));
	free(r);
}

TEST(score_schema_files)
{
	struct assertion_spec a = ts_spec("is-json", "\"file://person.schema.json\"");
	struct assert_outcome o;
	struct err e = {0};
	a.loc.file = "tests/data/score/suite.yaml";   /* relative to its dir */
	T_EQ_INT(score_check(&a, NULL, &e), 0);
	T_EQ_INT(score_assert_eval(&a, NULL, "{\"name\": \"Ann\", \"age\": 3}",
				   NULL, &o, &e), 0);
	T_ASSERT(o.pass);
	free(o.reason);
	T_EQ_INT(score_assert_eval(&a, NULL, "{\"name\": \"Ann\", \"age\": -3}",
				   NULL, &o, &e), 0);
	T_ASSERT(!o.pass);
	T_ASSERT(strstr(o.reason, "/age: expected a number >= 0, found -3"));
	free(o.reason);
	T_EQ_INT(score_assert_eval(&a, NULL, "{\"name\": \"Ann\", \"age\": 3, "
				   "\"x\": 1}", NULL, &o, &e), 0);
	T_ASSERT(!o.pass);
	T_ASSERT(strstr(o.reason, "/x: property is not allowed"));
	free(o.reason);
	ts_free(&a);

	a = ts_spec("is-json", "\"file://missing.json\"");
	a.loc.file = "tests/data/score/suite.yaml";
	T_EQ_INT(score_check(&a, NULL, &e), ST_INPUT);
	T_ASSERT(strstr(e.msg, "cannot read the schema file"));
	T_EQ_STR(e.file, "tests/data/score/suite.yaml");
	ts_free(&a);

	a = ts_spec("contains-json", "\"file://bad.schema.json\"");
	a.loc.file = "tests/data/score/suite.yaml";
	T_EQ_INT(score_check(&a, NULL, &e), ST_INPUT);
	T_ASSERT(strstr(e.msg, "invalid JSON Schema at /properties/age/minimum: "
			"must be a number"));
	ts_free(&a);
}

TEST(score_schema_load_errors)
{
	static const struct {
		const char *schema, *want;
	} bad[] = {
		{ "{\"type\": \"strnig\"}", "/type: unknown type \"strnig\"" },
		{ "{\"type\": 5}", "/type: must be a type name" },
		{ "{\"required\": \"a\"}", "/required: must be a list" },
		{ "{\"properties\": {\"a\": 5}}",
		  "at /properties/a: a schema must be an object or true/false" },
		{ "{\"minLength\": -1}", "/minLength: must be a non-negative integer" },
		{ "{\"minItems\": 1.5}", "/minItems: must be a non-negative integer" },
		{ "{\"exclusiveMinimum\": true}", "draft-04" },
		{ "{\"multipleOf\": 0}", "/multipleOf: must be a number > 0" },
		{ "{\"pattern\": \"(\"}", "/pattern: invalid regular expression" },
		{ "{\"patternProperties\": {\"[\": {}}}", "invalid pattern" },
		{ "{\"anyOf\": []}", "/anyOf: must be a non-empty list" },
		{ "{\"$ref\": \"#/$defs/nope\"}", "does not point into the schema" },
		{ "{\"$ref\": \"other.json#/a\"}", "only references inside" },
		{ "{\"unevaluatedProperties\": false}", "not supported" },
		{ "{\"items\": {\"items\": {\"enum\": 3}}}", "/items/items/enum: must be a list" },
		{ "{\"enum\": 3}", "/enum: must be a list" },
		{ "{\"uniqueItems\": \"yes\"}", "/uniqueItems: must be true or false" },
	};
	struct err e;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int rc = ts_check("is-json", bad[i].schema, NULL, &e);
		if (rc != ST_INPUT || !strstr(e.msg, bad[i].want))
			printf("  %s: rc %d msg %s\n", bad[i].schema, rc, e.msg);
		T_EQ_INT(rc, ST_INPUT);
		T_ASSERT(strstr(e.msg, bad[i].want));
		T_EQ_INT(e.line, 7);
	}
	T_EQ_INT(ts_check("is-json", "\"not json {\"", NULL, &e), ST_INPUT);
	T_ASSERT(strstr(e.msg, "not a JSON Schema"));
	T_EQ_INT(ts_check("is-json", "\"\"", NULL, &e), 0);
	T_EQ_INT(ts_check("is-json", "false", NULL, &e), 0);
}
