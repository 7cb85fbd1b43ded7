/* test_suite_stream.c — streamed test files (src/suite/suite_stream.c):
 * a test re-produced from its file equals the one an in-memory load gives
 * (vars, assertions, description, metadata, location), at every chunk
 * boundary and in any order of access; held tests survive the cache's
 * evictions; a file edited under the suite is refused; errors far into a
 * streamed file keep their file:line:col. */
#include "t.h"
#include "../../src/suite/suite.h"
#include "../../src/util/limits.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[128];

static const char *put(const char *name, const char *text, char *path,
		       size_t n)
{
	FILE *f;
	snprintf(dir, sizeof dir, "/tmp/assay_stream_t%ld", (long)getpid());
	mkdir(dir, 0700);
	snprintf(path, n, "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
	return path;
}

static void rm(const char *name)
{
	char p[256];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	unlink(p);
}

/* Loads with files of `stream` tests or more streamed. */
static int load(const char *path, long stream, struct suite **s,
		struct err *e)
{
	struct limits l;
	int rc;
	limits_default(&l);
	l.stream_tests = stream;
	limits_set(&l);
	rc = suite_load(path, s, e);
	limits_set(NULL);
	return rc;
}

/* A test as canonical text: everything a test means. */
static char *test_text(const struct test_case *t)
{
	json_t *o = json_object(), *as = json_array();
	char *txt;
	for (size_t i = 0; i < t->n_asserts; i++) {
		const struct assertion_spec *a = &t->asserts[i];
		json_array_append_new(as, json_pack("{s:s,s:O?,s:f,s:b,s:f,s:s?,s:b,s:i,s:i}",
			"type", a->type, "value", a->value, "weight", a->weight,
			"has_th", a->has_threshold, "th", a->threshold,
			"metric", a->metric, "unparsable", a->unparsable_error,
			"line", a->loc.line, "col", a->loc.col));
	}
	json_object_set_new(o, "asserts", as);
	json_object_set(o, "vars", t->vars);
	json_object_set(o, "metadata", t->metadata);
	json_object_set_new(o, "description", t->description ?
			    json_string(t->description) : json_null());
	json_object_set_new(o, "loc", json_pack("{s:s,s:i,s:i}", "file",
		t->loc.file ? t->loc.file : "", "line", t->loc.line, "col",
		t->loc.col));
	json_object_set_new(o, "threshold", json_real(t->has_threshold ?
						       t->threshold : -1));
	txt = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	return txt;
}

static bool same(const struct test_case *a, const struct test_case *b)
{
	char *x = test_text(a), *y = test_text(b);
	bool eq = x && y && !strcmp(x, y);
	if (!eq)
		fprintf(stderr, "# differ:\n#  %s\n#  %s\n", x, y);
	free(x);
	free(y);
	return eq;
}

static const char suite_yaml[] =
	"prompts: ['Q {{q}} {{lang}}']\n"
	"providers: [echo]\n"
	"defaultTest:\n"
	"  vars: {lang: [en, fr]}\n"
	"  assert:\n"
	"    - type: icontains\n"
	"      value: '{{q}}'\n"
	"tests:\n"
	"  - vars: {q: inline first}\n"
	"  - file://cases.csv\n"
	"  - vars: {q: inline last}\n";

/* 700 rows, CRLF line ends, quoted cells with newlines, __expected and
 * __description: 1,400 tests with the list var (two per row). */
static char *big_csv(int bad_row)
{
	size_t cap = 200000, n = 0;
	char *b = malloc(cap);
	n += (size_t)snprintf(b + n, cap - n, "q,__expected,__description\r\n");
	for (int i = 0; i < 700; i++) {
		if (i == bad_row)
			n += (size_t)snprintf(b + n, cap - n, "only one field\r\n");
		else if (i % 7 == 3)
			n += (size_t)snprintf(b + n, cap - n, "\"row %d\nsecond, line\",contains:%d,d%d\r\n",
					      i, i, i);
		else
			n += (size_t)snprintf(b + n, cap - n, "row %d,,\r\n", i);
	}
	return b;
}

TEST(suite_stream_matches_in_memory)
{
	char sp[256], cp[256];
	struct suite *m = NULL, *s = NULL;
	struct err e = {0};
	char *csv = big_csv(-1);
	put("cases.csv", csv, cp, sizeof cp);
	free(csv);
	put("suite.yaml", suite_yaml, sp, sizeof sp);
	T_ASSERT(load(sp, 0x7fffffff, &m, &e) == 0);
	T_ASSERT(load(sp, 10, &s, &e) == 0);
	T_ASSERT(!suite_streamed(m));
	T_ASSERT(suite_streamed(s));
	T_EQ_INT(s->n_tests, m->n_tests);
	T_EQ_INT(s->n_tests, 2 + 1400 + 2);
	T_ASSERT(s->tests == NULL);
	/* forward, every test, every chunk edge */
	for (size_t i = 0; i < m->n_tests; i++) {
		const struct test_case *t = suite_test(s, i);
		T_ASSERT(t != NULL);
		if (!same(t, &m->tests[i])) {
			t_fail(__FILE__, __LINE__, "test %zu differs", i);
			break;
		}
	}
	/* backwards and by jumps: chunks re-read after eviction */
	for (size_t i = m->n_tests; i-- > 0;)
		T_ASSERT(same(suite_test(s, i), &m->tests[i]));
	for (size_t k = 0, i = 0; k < 3000; k++, i = (i * 7919 + 13) % m->n_tests)
		T_ASSERT(same(suite_test(s, i), &m->tests[i]));
	/* the chunk edges exactly (256 tests: 128 rows, each row two) */
	{
		size_t edges[] = { 0, 1, 2, 3, 255, 256, 257, 258, 511, 512,
				   513, 1400, 1401, 1402, 1403 };
		for (size_t j = 0; j < sizeof edges / sizeof *edges; j++)
			T_ASSERT(same(suite_test(s, edges[j]), &m->tests[edges[j]]));
	}
	T_ASSERT(suite_test(s, m->n_tests) == NULL);
	/* the inline test gives tests 0 and 1, row i 2 + 2i and 3 + 2i */
	T_EQ_STR(suite_test(s, 2 + 2 * 3)->description, "d3");
	T_ASSERT(strstr(json_string_value(json_object_get(suite_test(s, 8)->vars, "q")),
			"second, line") != NULL);
	T_EQ_INT(suite_test(s, 8)->loc.line, 1 + 3 + 1);
	suite_free(m);
	suite_free(s);
	rm("cases.csv");
	rm("suite.yaml");
	rmdir(dir);
}

TEST(suite_stream_hold_survives_eviction)
{
	char sp[256], cp[256];
	struct suite *s = NULL, *m = NULL;
	struct err e = {0};
	const struct test_case *held, *again;
	char *csv = big_csv(-1), *before;
	put("cases.csv", csv, cp, sizeof cp);
	free(csv);
	put("suite.yaml", suite_yaml, sp, sizeof sp);
	T_ASSERT(load(sp, 10, &s, &e) == 0);
	T_ASSERT(load(sp, 0x7fffffff, &m, &e) == 0);
	held = suite_test_hold(s, 300);
	T_ASSERT(held != NULL);
	before = test_text(held);
	/* read every chunk several times: far more than the cache keeps */
	for (int r = 0; r < 3; r++)
		for (size_t i = 0; i < s->n_tests; i += 50)
			T_ASSERT(suite_test(s, i) != NULL);
	again = suite_test(s, 300);
	T_ASSERT(again == held);          /* the same chunk, never dropped */
	{
		char *now = test_text(held);
		T_EQ_STR(now, before);
		free(now);
	}
	T_ASSERT(same(held, &m->tests[300]));
	suite_test_drop(s, 300);
	free(before);
	/* materialized: the same tests, in memory */
	T_ASSERT(suite_tests_materialize(s, &e) == 0);
	T_ASSERT(!suite_streamed(s));
	T_EQ_INT(s->n_tests, m->n_tests);
	for (size_t i = 0; i < m->n_tests; i++)
		T_ASSERT(same(&s->tests[i], &m->tests[i]));
	suite_free(s);
	suite_free(m);
	rm("cases.csv");
	rm("suite.yaml");
	rmdir(dir);
}

TEST(suite_stream_jsonl_and_edited_file)
{
	char sp[256], jp[256];
	struct suite *s = NULL, *m = NULL;
	struct err e = {0};
	size_t cap = 300000, n = 0;
	char *j = malloc(cap);
	FILE *f;
	for (int i = 0; i < 2000; i++)
		n += (size_t)snprintf(j + n, cap - n, "%s{\"vars\": {\"q\": \"line %03d\"}, "
				      "\"assert\": [{\"type\": \"contains\", \"value\": \"%d\"}]}\n",
				      i % 10 == 5 ? "   " : "", i, i);
	n += (size_t)snprintf(j + n, cap - n, "\n{\"vars\": {\"q\": \"no newline\"}}");
	put("cases.jsonl", j, jp, sizeof jp);
	free(j);
	put("suite.yaml", "prompts: ['Q {{q}}']\nproviders: [echo]\n"
	    "tests: file://cases.jsonl\n", sp, sizeof sp);
	T_ASSERT(load(sp, 0x7fffffff, &m, &e) == 0);
	T_ASSERT(load(sp, 100, &s, &e) == 0);
	T_ASSERT(suite_streamed(s));
	T_EQ_INT(s->n_tests, 2001);
	for (size_t i = m->n_tests; i-- > 0;)
		T_ASSERT(same(suite_test(s, i), &m->tests[i]));
	T_EQ_INT(suite_test(s, 5)->loc.col, 4);
	T_EQ_INT(suite_test(s, 2000)->loc.line, 2002);
	/* edit the file in place, same length: chunk 0 is refused once it
	 * has left the cache (8 chunks, 4 kept) */
	f = fopen(jp, "r+b");
	T_ASSERT(f != NULL);
	fseek(f, 30, SEEK_SET);
	fputc('9', f);
	fclose(f);
	{
		/* push chunk 0 out, whatever the cache holds */
		for (size_t i = 256; i < 2001; i += 64)
			T_ASSERT(suite_test(s, i) != NULL);
		T_ASSERT(suite_test(s, 0) == NULL);
		T_ASSERT(strstr(suite_stream_err(s)->msg, "changed since") != NULL);
		T_EQ_INT(suite_stream_err(s)->line, 1);
	}
	suite_free(s);
	suite_free(m);
	rm("cases.jsonl");
	rm("suite.yaml");
	rmdir(dir);
}

TEST(suite_stream_bad_row_far_in_keeps_its_position)
{
	char sp[256], cp[256];
	struct suite *s = NULL;
	struct err e = {0};
	char *csv = big_csv(650);
	put("cases.csv", csv, cp, sizeof cp);
	free(csv);
	put("suite.yaml", suite_yaml, sp, sizeof sp);
	T_EQ_INT(load(sp, 10, &s, &e), ST_INPUT);
	T_ASSERT(s == NULL);
	T_ASSERT(strstr(e.file, "cases.csv") != NULL);
	/* header line 1; rows with i % 7 == 3 take two lines */
	{
		int line = 2;
		for (int i = 0; i < 650; i++)
			line += i % 7 == 3 ? 2 : 1;
		T_EQ_INT(e.line, line);
	}
	T_EQ_INT(e.col, 1);
	T_ASSERT(strstr(e.msg, "found 1 fields, expected 3") != NULL);
	/* a template error far in: named with its global number */
	put("suite.yaml", "prompts: ['Q {{q}} {{missing}}']\nproviders: [echo]\n"
	    "tests: file://cases.csv\n", sp, sizeof sp);
	csv = big_csv(-1);
	put("cases.csv", csv, cp, sizeof cp);
	free(csv);
	T_EQ_INT(load(sp, 10, &s, &e), ST_INPUT);
	T_ASSERT(strstr(e.msg, "does not define var 'missing'") != NULL);
	T_EQ_INT(e.line, 2);
	rm("cases.csv");
	rm("suite.yaml");
	rmdir(dir);
}
