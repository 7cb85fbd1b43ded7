/* test_limits.c — every input is held to a byte budget and a work budget
 * (src/util/limits.h): YAML aliases to a large scalar, nested template
 * vars, the memory the loaded tests take, and ASSAY_LIMITS itself.  Each
 * case failed before the budget existed (the YAML and CSV loaded, the
 * template ran for hours). */
#include "t.h"
#include "../../src/suite/suite.h"
#include "../../src/suite/template.h"
#include "../../src/util/buf.h"
#include "../../src/util/json_limit.h"
#include "../../src/util/limits.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char dir[128];

static const char *put(const char *name, const char *text, size_t n)
{
	static char path[256];
	FILE *f;
	snprintf(dir, sizeof dir, "/tmp/assay_limits_t%ld", (long)getpid());
	mkdir(dir, 0700);
	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (f) {
		fwrite(text, 1, n, f);
		fclose(f);
	}
	return path;
}

static void rm(const char *name)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	unlink(path);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

TEST(limits_parse_names_sizes_and_errors)
{
	struct limits l;
	struct err e = {0};
	T_EQ_INT(limits_parse("yaml_bytes=2M, template_work=1000,"
			      "var_files=anywhere,tests_bytes=3k", &l, &e), 0);
	T_EQ_INT(l.yaml_bytes, 2 << 20);
	T_EQ_INT(l.template_work, 1000);
	T_EQ_INT(l.tests_bytes, 3 << 10);
	T_ASSERT(l.var_files_anywhere);
	T_EQ_INT(l.file_bytes, (size_t)256 << 20);     /* default kept */
	T_EQ_INT(limits_parse("nodes=3", &l, &e), ST_USAGE);
	T_ASSERT(strstr(e.msg, "unknown limit 'nodes'") != NULL);
	T_ASSERT(strstr(e.msg, "yaml_nodes") != NULL);
	T_EQ_INT(limits_parse("yaml_bytes=lots", &l, &e), ST_USAGE);
	T_ASSERT(strstr(e.msg, "yaml_bytes wants a positive number") != NULL);
	T_EQ_INT(limits_parse("yaml_bytes=0", &l, &e), ST_USAGE);
	T_EQ_INT(limits_parse("var_files=home", &l, &e), ST_USAGE);
}

/* One 16 KiB scalar aliased 400 times is 6.4 MB of vars from a 20 KB
 * file: the node budget never notices (a few hundred nodes); the byte
 * budget does, at the alias that crosses it. */
TEST(limits_yaml_alias_to_large_scalar_is_refused)
{
	struct limits l;
	struct buf b = {0};
	struct suite *s = NULL;
	struct err e = {0};
	const char *path;
	limits_default(&l);
	l.yaml_bytes = (size_t)1 << 20;
	limits_set(&l);
	buf_puts(&b, "prompts: ['{{big}}']\nproviders: [exec:cat]\n"
		 "defaultTest:\n  vars:\n    big: &big \"");
	for (int i = 0; i < 16384; i++)
		buf_putc(&b, 'x');
	buf_puts(&b, "\"\ntests:\n");
	for (int i = 0; i < 400; i++)
		buf_printf(&b, "  - vars: {a: *big, n: %d}\n", i);
	path = put("bomb.yaml", buf_str(&b), b.len);
	T_EQ_INT(suite_load(path, &s, &e), ST_INPUT);
	T_ASSERT(s == NULL);
	T_ASSERT(strstr(e.msg, "aliases expand the document by more than "
			"1048576 bytes") != NULL);
	T_ASSERT(strstr(e.msg, "ASSAY_LIMITS=yaml_bytes=") != NULL);
	T_EQ_INT(e.line, 5);           /* the anchored scalar copied */
	T_EQ_INT(e.col, 10);
	/* with the default budget the same file loads */
	limits_set(NULL);
	T_EQ_INT(suite_load(path, &s, &e), 0);
	T_EQ_INT(s->n_tests, 400);
	suite_free(s);
	buf_free(&b);
	rm("bomb.yaml");
	rmdir(dir);
}

/* a0 = "{{a1}}" x 20, a1 = "{{a2}}" x 20, …: 20^8 tags at load, in
 * well under a second instead of hours. */
TEST(limits_nested_template_vars_have_a_work_budget)
{
	struct buf b = {0};
	json_t *vars = json_object();
	struct err e = {0};
	struct loc at = { "suite.yaml", 3, 5 };
	double t0;
	char *r;
	for (int i = 0; i < 8; i++) {
		struct buf v = {0};
		for (int j = 0; j < 20; j++)
			buf_printf(&v, "{{a%d}}", i + 1);
		json_object_set_new(vars, (char[8]){ 'a', (char)('0' + i), 0 },
				    json_string(buf_str(&v)));
		buf_free(&v);
	}
	json_object_set_new(vars, "a8", json_string(""));
	limits_set(NULL);
	t0 = now();
	r = tmpl_render("Q: {{a0}}", vars, 0, &at, &e);
	T_ASSERT(r == NULL);
	T_ASSERT(now() - t0 < 20.0);   /* generous: the machine is shared */
	T_ASSERT(strstr(e.msg, "steps of work") != NULL);
	T_ASSERT(strstr(e.msg, "template_work") != NULL);
	T_EQ_STR(e.file, "suite.yaml");
	T_EQ_INT(e.line, 3);
	T_EQ_INT(e.col, 5 + 5);        /* the var in the outer tag */
	json_decref(vars);
	buf_free(&b);
}

/* The same vars in a CSV: one row, columns referring to the next. */
TEST(limits_nested_csv_columns_fail_at_load)
{
	struct buf csv = {0};
	struct suite *s = NULL;
	struct err e = {0};
	const char *path;
	const char *yaml = "prompts: ['{{a0}}']\nproviders: [exec:cat]\n"
			   "tests: file://rows.csv\n";
	limits_set(NULL);
	for (int i = 0; i <= 8; i++)
		buf_printf(&csv, "%sa%d", i ? "," : "", i);
	buf_putc(&csv, '\n');
	for (int i = 0; i < 8; i++) {
		buf_puts(&csv, i ? ",\"" : "\"");
		for (int j = 0; j < 20; j++)
			buf_printf(&csv, "{{a%d}}", i + 1);
		buf_putc(&csv, '"');
	}
	buf_puts(&csv, ",\n");
	put("rows.csv", buf_str(&csv), csv.len);
	path = put("suite.yaml", yaml, strlen(yaml));
	T_EQ_INT(suite_load(path, &s, &e), ST_INPUT);
	T_ASSERT(strstr(e.msg, "steps of work") != NULL);
	T_ASSERT(strstr(e.file, "rows.csv") != NULL);
	T_EQ_INT(e.line, 2);
	buf_free(&csv);
	rm("rows.csv");
	rm("suite.yaml");
	rmdir(dir);
}

/* The loaded tests are held to tests_bytes: an error at the first row
 * past it, naming the limit. */
TEST(limits_tests_memory_is_bounded)
{
	struct limits l;
	struct buf csv = {0};
	struct suite *s = NULL;
	struct err e = {0};
	const char *path;
	const char *yaml = "prompts: ['{{q}}']\nproviders: [exec:cat]\n"
			   "tests: file://many.csv\n";
	buf_puts(&csv, "q,a\n");
	for (int i = 0; i < 2000; i++)
		buf_printf(&csv, "question %d,answer %d\n", i, i);
	put("many.csv", buf_str(&csv), csv.len);
	path = put("suite.yaml", yaml, strlen(yaml));
	limits_default(&l);
	l.tests_bytes = 100000;
	limits_set(&l);
	T_EQ_INT(suite_load(path, &s, &e), ST_INPUT);
	T_ASSERT(strstr(e.msg, "tests take more than 100000 bytes") != NULL);
	T_ASSERT(strstr(e.file, "many.csv") != NULL);
	T_ASSERT(e.line > 10 && e.line < 2000);
	limits_set(NULL);
	T_EQ_INT(suite_load(path, &s, &e), 0);
	T_EQ_INT(s->n_tests, 2000);
	/* tests without vars of their own share one empty metadata object */
	T_ASSERT(s->tests[0].metadata == s->tests[1].metadata);
	suite_free(s);
	buf_free(&csv);
	rm("many.csv");
	rm("suite.yaml");
	rmdir(dir);
}

/* Every file the loader reads is capped, with the limit named at the
 * reference. */
TEST(limits_file_bytes_names_the_limit)
{
	struct limits l;
	struct suite *s = NULL;
	struct err e = {0};
	char path[256];
	const char *yaml = "prompts: [file://p.txt]\nproviders: [exec:cat]\n";
	put("p.txt", "0123456789abcdef0123456789abcdef0123456789abcdef"
	    "0123456789abcdef0123456789abcdef", 80);
	snprintf(path, sizeof path, "%s", put("suite.yaml", yaml, strlen(yaml)));
	limits_default(&l);
	l.file_bytes = 64;        /* the suite (46 bytes) fits, p.txt not */
	limits_set(&l);
	T_EQ_INT(suite_load(path, &s, &e), ST_INPUT);
	T_ASSERT(strstr(e.msg, "larger than 64 bytes (limit file_bytes") != NULL);
	T_EQ_INT(e.line, 1);
	T_EQ_INT(e.col, 11);
	limits_set(NULL);
	T_EQ_INT(suite_load(path, &s, &e), 0);
	suite_free(s);
	rm("p.txt");
	rm("suite.yaml");
	rmdir(dir);
}

/* Duplicate keys in a mapping of 60,000 keys are found through a set: a
 * scan per key took 43 s here (two minutes for 100,000). */
TEST(limits_large_mapping_duplicate_check_is_linear)
{
	struct buf b = {0};
	struct suite *s = NULL;
	struct err e = {0};
	char path[256];
	double t0;
	limits_set(NULL);
	buf_puts(&b, "prompts: [hi]\nproviders: [exec:cat]\nmetadata:\n");
	for (int i = 0; i < 60000; i++)
		buf_printf(&b, "  k%d: 1\n", i);
	snprintf(path, sizeof path, "%s", put("wide.yaml", buf_str(&b), b.len));
	t0 = now();
	T_EQ_INT(suite_load(path, &s, &e), 0);
	suite_free(s);
	buf_puts(&b, "  k30000: 2\n");
	put("wide.yaml", buf_str(&b), b.len);
	T_EQ_INT(suite_load(path, &s, &e), ST_INPUT);
	T_ASSERT(now() - t0 < 20.0);
	T_ASSERT(strstr(e.msg, "duplicate key 'k30000' (first at line 30004)")
		 != NULL);
	T_EQ_INT(e.line, 60004);
	T_EQ_INT(e.col, 3);
	/* merge keys into a large mapping keep working: explicit keys win */
	buf_reset(&b);
	buf_puts(&b, "prompts: [hi]\nproviders: [exec:cat]\ntests:\n"
		 "  - vars: &b\n");
	for (int i = 0; i < 40; i++)
		buf_printf(&b, "      k%d: %d\n", i, i);
	buf_puts(&b, "  - vars:\n      <<: *b\n");
	for (int i = 0; i < 20; i++)
		buf_printf(&b, "      x%d: %d\n", i, i);
	buf_puts(&b, "      k3: 33\n");
	put("wide.yaml", buf_str(&b), b.len);
	T_EQ_INT(suite_load(path, &s, &e), 0);
	T_EQ_INT(json_object_size(s->tests[1].vars), 60);
	T_EQ_INT(json_integer_value(json_object_get(s->tests[1].vars, "k3")),
		 33);
	T_EQ_INT(json_integer_value(json_object_get(s->tests[1].vars, "k39")),
		 39);
	suite_free(s);
	buf_free(&b);
	rm("wide.yaml");
	rmdir(dir);
}

/* The node tree of one file is bounded (tree_bytes): a list of one-digit
 * numbers took 115 times its size. */
TEST(limits_yaml_tree_is_bounded)
{
	struct limits l;
	struct buf b = {0};
	struct suite *s = NULL;
	struct err e = {0};
	char path[256];
	buf_puts(&b, "prompts: [hi]\nproviders: [exec:cat]\n"
		 "metadata: {a: [");
	for (int i = 0; i < 100000; i++)
		buf_puts(&b, i ? ",1" : "1");
	buf_puts(&b, "]}\n");
	snprintf(path, sizeof path, "%s", put("flat.yaml", buf_str(&b), b.len));
	limits_default(&l);
	l.tree_bytes = (size_t)1 << 20;
	limits_set(&l);
	T_EQ_INT(suite_load(path, &s, &e), ST_INPUT);
	T_ASSERT(strstr(e.msg, "nodes take more than 1048576 bytes") != NULL);
	T_ASSERT(strstr(e.msg, "tree_bytes") != NULL);
	T_EQ_INT(e.line, 3);
	T_ASSERT(e.col > 20);
	limits_set(NULL);
	T_EQ_INT(suite_load(path, &s, &e), 0);
	suite_free(s);
	buf_free(&b);
	rm("flat.yaml");
	rmdir(dir);
}

/* A CSV header of 50,000 columns with a repeat: found through a set. */
TEST(limits_wide_csv_header_duplicate_check_is_linear)
{
	struct buf csv = {0};
	struct suite *s = NULL;
	struct err e = {0};
	char path[256];
	const char *yaml = "prompts: [hi]\nproviders: [exec:cat]\n"
			   "tests: file://wide.csv\n";
	double t0;
	limits_set(NULL);
	for (int i = 0; i < 50000; i++)
		buf_printf(&csv, "%sc%d", i ? "," : "", i);
	buf_puts(&csv, ",c17\n");
	put("wide.csv", buf_str(&csv), csv.len);
	snprintf(path, sizeof path, "%s", put("suite.yaml", yaml, strlen(yaml)));
	t0 = now();
	T_EQ_INT(suite_load(path, &s, &e), ST_INPUT);
	T_ASSERT(now() - t0 < 20.0);
	T_ASSERT(strstr(e.msg, "duplicate column 'c17' (first at column")
		 != NULL);
	T_EQ_INT(e.line, 1);
	buf_free(&csv);
	rm("wide.csv");
	rm("suite.yaml");
	rmdir(dir);
}

/* A JSON test file over tree_bytes is an error, not a fallback that
 * builds the same tree from jansson's value. */
TEST(limits_json_test_file_tree_is_bounded)
{
	struct limits l;
	struct buf b = {0};
	struct suite *s = NULL;
	struct err e = {0};
	char path[256];
	const char *yaml = "prompts: [hi]\nproviders: [exec:cat]\n"
			   "tests: file://big.json\n";
	buf_puts(&b, "[{\"vars\": {\"a\": [");
	for (int i = 0; i < 100000; i++)
		buf_puts(&b, i ? ",1" : "1");
	buf_puts(&b, "]}}]\n");
	put("big.json", buf_str(&b), b.len);
	snprintf(path, sizeof path, "%s", put("suite.yaml", yaml, strlen(yaml)));
	limits_default(&l);
	l.tree_bytes = (size_t)1 << 20;
	limits_set(&l);
	T_EQ_INT(suite_load(path, &s, &e), ST_INPUT);
	T_ASSERT(strstr(e.msg, "tree_bytes") != NULL);
	T_ASSERT(strstr(e.file, "big.json") != NULL);
	limits_set(NULL);
	T_EQ_INT(suite_load(path, &s, &e), 0);
	suite_free(s);
	buf_free(&b);
	rm("big.json");
	rm("suite.yaml");
	rmdir(dir);
}

/* A wide JSON value: 60 KB of text is a ~1.5 MB tree; the budget stops the
 * parse, a large enough one lets it through, and later parses are free. */
TEST(limits_json_parse_has_a_memory_budget)
{
	struct buf b = {0};
	json_error_t je;
	bool over = false;
	json_t *j;
	buf_putc(&b, '[');
	for (int i = 0; i < 30000; i++)
		buf_puts(&b, i ? ",1" : "1");
	buf_putc(&b, ']');
	j = json_loadb_limited(b.p, b.len, 0, 100000, &je, &over);
	T_ASSERT(j == NULL);
	T_ASSERT(over);
	T_ASSERT(strstr(je.text, "more than 100000 bytes") != NULL);
	j = json_loadb_limited(b.p, b.len, 0, (size_t)64 << 20, &je, &over);
	T_ASSERT(j != NULL);
	T_ASSERT(!over);
	T_EQ_INT(json_array_size(j), 30000);
	json_decref(j);
	j = json_loadb(b.p, b.len, 0, &je);     /* no budget outside */
	T_ASSERT(j != NULL);
	json_decref(j);
	j = json_loadb_limited("[1,", 3, 0, 100000, &je, &over);
	T_ASSERT(j == NULL);
	T_ASSERT(!over);                        /* a syntax error */
	buf_free(&b);
}

/* A JSONL line is held to tree_bytes too. */
TEST(limits_jsonl_line_is_bounded)
{
	struct limits l;
	struct buf b = {0};
	struct suite *s = NULL;
	struct err e = {0};
	char path[256];
	const char *yaml = "prompts: [hi]\nproviders: [exec:cat]\n"
			   "tests: file://big.jsonl\n";
	buf_puts(&b, "{\"vars\": {\"a\": 1}}\n{\"vars\": {\"a\": [");
	for (int i = 0; i < 100000; i++)
		buf_puts(&b, i ? ",1" : "1");
	buf_puts(&b, "]}}\n");
	put("big.jsonl", buf_str(&b), b.len);
	snprintf(path, sizeof path, "%s", put("suite.yaml", yaml, strlen(yaml)));
	limits_default(&l);
	l.tree_bytes = (size_t)1 << 20;
	limits_set(&l);
	T_EQ_INT(suite_load(path, &s, &e), ST_INPUT);
	T_ASSERT(strstr(e.msg, "takes more than 1048576 bytes") != NULL);
	T_ASSERT(strstr(e.msg, "tree_bytes") != NULL);
	T_EQ_INT(e.line, 2);
	limits_set(NULL);
	T_EQ_INT(suite_load(path, &s, &e), 0);
	T_EQ_INT(s->n_tests, 2);
	suite_free(s);
	buf_free(&b);
	rm("big.jsonl");
	rm("suite.yaml");
	rmdir(dir);
}
