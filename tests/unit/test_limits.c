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

/* This process's CPU time, for the bounds below: unlike the wall clock
 * it does not grow with the other work of a shared machine (a loaded 2-core machine stretched
 * 12 s of CPU under AddressSanitizer to 87 s of wall time). */
static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
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

/* a0 = "{{a1}}" x 20, a1 = "{{a2}}" x 20, …: 20^8 tags at load, in
 * well under a second instead of hours. */
TEST(limits_nested_template_vars_have_a_work_budget)
{
	struct buf b = {0};
	json_t *vars = json_object();
	struct err e = {0};
	struct loc at = { "suite.yaml", 3, 5 };
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
	r = tmpl_render("Q: {{a0}}", vars, 0, &at, &e);
	/* No time bound is asserted (no timed unit tests: the machine is
	 * shared): without the budget the 20^8 expansion would not end, and
	 * the message says the budget stopped it. */
	T_ASSERT(r == NULL);
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
	t0 = cpu_now();
	T_EQ_INT(suite_load(path, &s, &e), 0);
	suite_free(s);
	buf_puts(&b, "  k30000: 2\n");
	put("wide.yaml", buf_str(&b), b.len);
	T_EQ_INT(suite_load(path, &s, &e), ST_INPUT);
	T_ASSERT(cpu_now() - t0 < 20.0);   /* CPU seconds: quadratic would be far more */
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
	t0 = cpu_now();
	T_EQ_INT(suite_load(path, &s, &e), ST_INPUT);
	T_ASSERT(cpu_now() - t0 < 20.0);   /* CPU seconds */
	T_ASSERT(strstr(e.msg, "duplicate column 'c17' (first at column")
		 != NULL);
	T_EQ_INT(e.line, 1);
	buf_free(&csv);
	rm("wide.csv");
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

/* ---- byte budgets over whole files: one table -------------------------
 *
 * Each case writes `file` (and, when it is a tests file, a suite naming
 * it), sets one limit, and expects the load to fail with the message
 * fragments and the location given; with the default limits the same
 * files must load (the budget, not the file, refused them). */

static void make_alias_bomb(struct buf *b)
{
	/* One 16 KiB scalar aliased 400 times is 6.4 MB of vars from a 20 KB
	 * file: the node budget never notices (a few hundred nodes); the
	 * byte budget does, at the alias that crosses it. */
	buf_puts(b, "prompts: ['{{big}}']\nproviders: [exec:cat]\n"
		 "defaultTest:\n  vars:\n    big: &big \"");
	for (int i = 0; i < 16384; i++)
		buf_putc(b, 'x');
	buf_puts(b, "\"\ntests:\n");
	for (int i = 0; i < 400; i++)
		buf_printf(b, "  - vars: {a: *big, n: %d}\n", i);
}

static void make_many_rows(struct buf *b)
{
	buf_puts(b, "q,a\n");
	for (int i = 0; i < 2000; i++)
		buf_printf(b, "question %d,answer %d\n", i, i);
}

static void make_80_bytes(struct buf *b)
{
	buf_puts(b, "0123456789abcdef0123456789abcdef0123456789abcdef"
		 "0123456789abcdef0123456789abcdef");
}

/* 100,000 one-digit numbers: the node tree took 115 times the text. */
static void put_ones(struct buf *b)
{
	for (int i = 0; i < 100000; i++)
		buf_puts(b, i ? ",1" : "1");
}

static void make_flat_yaml(struct buf *b)
{
	buf_puts(b, "prompts: [hi]\nproviders: [exec:cat]\nmetadata: {a: [");
	put_ones(b);
	buf_puts(b, "]}\n");
}

static void make_big_json(struct buf *b)
{
	buf_puts(b, "[{\"vars\": {\"a\": [");
	put_ones(b);
	buf_puts(b, "]}}]\n");
}

static void make_big_jsonl(struct buf *b)
{
	buf_puts(b, "{\"vars\": {\"a\": 1}}\n{\"vars\": {\"a\": [");
	put_ones(b);
	buf_puts(b, "]}}\n");
}

enum budget { B_YAML, B_TESTS, B_FILE, B_TREE };

static const struct budget_case {
	const char *name;
	const char *file;            /* what make() writes */
	const char *suite;           /* a suite naming it, or NULL: file is the suite */
	void (*make)(struct buf *b);
	enum budget which;
	size_t limit;
	const char *msg[2];          /* fragments of the error (NULL: none) */
	bool err_in_file;            /* the error names `file` */
	int line_lo, line_hi;        /* 0: not checked */
	int col_lo, col_hi;
	size_t n_tests;              /* with the default limits (0: not checked) */
} budget_cases[] = {
	{ "yaml alias to a large scalar", "bomb.yaml", NULL, make_alias_bomb,
	  B_YAML, (size_t)1 << 20,
	  { "aliases expand the document by more than 1048576 bytes",
	    "ASSAY_LIMITS=yaml_bytes=" }, false,
	  5, 5, 10, 10, 400 },          /* the anchored scalar copied */
	{ "tests memory", "many.csv",
	  "prompts: ['{{q}}']\nproviders: [exec:cat]\ntests: file://many.csv\n",
	  make_many_rows, B_TESTS, 100000,
	  { "tests take more than 100000 bytes", NULL }, true,
	  11, 1999, 0, 0, 2000 },       /* at the first row past it */
	{ "file bytes", "p.txt", "prompts: [file://p.txt]\nproviders: [exec:cat]\n",
	  make_80_bytes, B_FILE, 64,    /* the suite (46 bytes) fits, p.txt not */
	  { "larger than 64 bytes (limit file_bytes", NULL }, false,
	  1, 1, 11, 11, 0 },            /* at the reference */
	{ "yaml node tree", "flat.yaml", NULL, make_flat_yaml, B_TREE, (size_t)1 << 20,
	  { "nodes take more than 1048576 bytes", "tree_bytes" }, false,
	  3, 3, 21, 1 << 30, 0 },
	{ "json test file tree", "big.json",
	  "prompts: [hi]\nproviders: [exec:cat]\ntests: file://big.json\n",
	  make_big_json, B_TREE, (size_t)1 << 20,   /* no fallback through jansson */
	  { "tree_bytes", NULL }, true, 0, 0, 0, 0, 1 },
	{ "jsonl line tree", "big.jsonl",
	  "prompts: [hi]\nproviders: [exec:cat]\ntests: file://big.jsonl\n",
	  make_big_jsonl, B_TREE, (size_t)1 << 20,
	  { "takes more than 1048576 bytes", "tree_bytes" }, false,
	  2, 2, 0, 0, 2 },
};

static void set_budget(struct limits *l, enum budget which, size_t v)
{
	switch (which) {
	case B_YAML: l->yaml_bytes = v; break;
	case B_TESTS: l->tests_bytes = v; break;
	case B_FILE: l->file_bytes = v; break;
	case B_TREE: l->tree_bytes = v; break;
	}
}

TEST(limits_file_budgets_refuse_then_default_loads)
{
	for (size_t i = 0; i < sizeof budget_cases / sizeof *budget_cases; i++) {
		const struct budget_case *c = &budget_cases[i];
		struct limits l;
		struct buf b = {0};
		struct suite *s = NULL;
		struct err e = {0};
		char path[256];
		int rc;
		c->make(&b);
		snprintf(path, sizeof path, "%s", put(c->file, buf_str(&b), b.len));
		buf_free(&b);
		if (c->suite)
			snprintf(path, sizeof path, "%s",
				 put("suite.yaml", c->suite, strlen(c->suite)));
		limits_default(&l);
		set_budget(&l, c->which, c->limit);
		limits_set(&l);
		rc = suite_load(path, &s, &e);
		limits_set(NULL);
		if (rc != ST_INPUT || s) {
			t_fail(__FILE__, __LINE__, "%s: loaded over its budget (rc %d)",
			       c->name, rc);
			suite_free(s);
			s = NULL;
		}
		for (int k = 0; k < 2; k++)
			if (c->msg[k] && !strstr(e.msg, c->msg[k]))
				t_fail(__FILE__, __LINE__, "%s: \"%s\" not in \"%s\"",
				       c->name, c->msg[k], e.msg);
		if (c->err_in_file && !strstr(e.file, c->file))
			t_fail(__FILE__, __LINE__, "%s: error in %s", c->name, e.file);
		if (c->line_lo && (e.line < c->line_lo || e.line > c->line_hi))
			t_fail(__FILE__, __LINE__, "%s: line %d", c->name, e.line);
		if (c->col_lo && (e.col < c->col_lo || e.col > c->col_hi))
			t_fail(__FILE__, __LINE__, "%s: column %d", c->name, e.col);
		/* the default budget lets the same files through */
		if (suite_load(path, &s, &e)) {
			t_fail(__FILE__, __LINE__, "%s: default limits: %s", c->name, e.msg);
		} else {
			if (c->n_tests && s->n_tests != c->n_tests)
				t_fail(__FILE__, __LINE__, "%s: %zu tests", c->name, s->n_tests);
			/* tests without vars of their own share one empty
			 * metadata object (what keeps "tests memory" small) */
			if (c->which == B_TESTS && s->tests[0].metadata != s->tests[1].metadata)
				t_fail(__FILE__, __LINE__, "%s: metadata not shared", c->name);
			suite_free(s);
		}
		rm(c->file);
		if (c->suite)
			rm("suite.yaml");
		rmdir(dir);
		if (t_failed())
			return;
	}
}
