/* test_report.c — the summary numbers on a hand-built dataset (pass rate,
 * Wilson bounds against reference values, type-7 percentiles computed by
 * hand, errors excluded), the terminal table (escaping, alignment) and the
 * json / jsonl / csv writers (parsed back with jansson and libcsv). */
#include "t.h"

#include <csv.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/report/report.h"
#include "../../src/util/fsutil.h"
#include "../../src/util/xalloc.h"

struct suite *tfx_suite(size_t n_tests, size_t n_providers);
void tfx_suite_free(struct suite *s);
char *tfx_tmpdir(void);
void tfx_rmdir(char *dir);
void tfx_grade(struct grade *g, const struct test_case *tc, bool pass,
	       double score, const char *metric_json);
void tfx_grade_free(struct grade *g);

#define TRICKY "he said \"hi\", then\nleft\x1b[31m"

static int put(struct store *st, int64_t run, const struct suite *s,
	       size_t test, size_t prov, const char *output, enum resp_error e,
	       double lat, bool cached, int grade_state, double score)
{
	struct response r;
	struct grade g;
	struct err err = {0};
	int rc;
	response_init(&r);
	r.latency_ms = lat;
	r.cached = cached;
	if (e == RESP_OK) {
		r.output = xstrdup(output);
		r.prompt_tokens = 10;
		r.completion_tokens = 5;
		r.total_tokens = 15;
		r.cost_usd = 0.001;
		r.http_status = 200;
	} else {
		r.error = e;
		r.error_msg = xasprintf("%s failure", resp_error_name(e));
		r.http_status = e == RESP_ERR_HTTP ? 503 : 0;
	}
	if (grade_state >= 0)
		tfx_grade(&g, &s->tests[test], grade_state == 1, score,
			  prov == 0 ? (grade_state ? "{\"acc\":1}" : "{\"acc\":0}")
				    : NULL);
	struct result_rec rec = { test, 0, prov, 0, "Answer: q", &r,
				  grade_state >= 0 ? &g : NULL, 0, 0, 0, 0 };
	rc = store_result_put(st, run, &rec, &err);
	if (grade_state >= 0)
		tfx_grade_free(&g);
	response_cleanup(&r);
	return rc;
}

/* Provider A (0), prompt 0: cases 0..19 graded, 17 pass (score 1) and 3
 * fail (score 0.25), latencies 100 + 10 i; cases 20, 21 time out.
 * Provider B (1), prompt 0: cases 0..3 latencies 10, 20, 30, 100 with
 * case 3 failing (score 0); case 4 a passing cache hit (latency 1);
 * case 5 an HTTP 503.  Prompt 1 has no results. */
static char *build_dataset(char *dir, int64_t *run_out)
{
	char *path = xasprintf("%s/rep.db", dir);
	struct suite *s = tfx_suite(22, 2);
	struct store *st = NULL;
	struct err err = {0};
	int64_t run;
	int rc = 0;
	free(s->providers[1].label);
	s->providers[1].label = xstrdup("model-b\x1b[2J");
	free(s->prompts[0].label);
	s->prompts[0].label = xstrdup("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e prompt");
	if (store_open(path, &st, &err) ||
	    store_run_begin(st, s, "report fixture", 1, &run, &err)) {
		err_print(&err, stdout);
		tfx_suite_free(s);
		free(path);
		return NULL;
	}
	for (size_t i = 0; i < 20 && !rc; i++) {
		const char *out = i == 0 ? TRICKY : i == 1 ? "caf\xc3\xa9 \xff end" : "yes";
		rc = put(st, run, s, i, 0, out, RESP_OK, 100 + 10.0 * (double)i,
			 false, i < 17, i < 17 ? 1.0 : 0.25);
	}
	rc = rc || put(st, run, s, 20, 0, NULL, RESP_ERR_TIMEOUT, 30000, false, -1, 0);
	rc = rc || put(st, run, s, 21, 0, NULL, RESP_ERR_TIMEOUT, 30000, false, -1, 0);
	{
		static const double lat[4] = { 30, 10, 100, 20 };
		static const size_t cs[4] = { 2, 0, 3, 1 };
		for (size_t k = 0; k < 4 && !rc; k++)
			rc = put(st, run, s, cs[k], 1, "yes", RESP_OK, lat[k],
				 false, cs[k] != 3, cs[k] != 3 ? 1.0 : 0.0);
	}
	rc = rc || put(st, run, s, 4, 1, "yes", RESP_OK, 1, true, 1, 1.0);
	rc = rc || put(st, run, s, 5, 1, NULL, RESP_ERR_HTTP, 5000, false, -1, 0);
	rc = rc || store_run_end(st, run, "done", &err);
	store_close(st);
	tfx_suite_free(s);
	if (rc) {
		free(path);
		return NULL;
	}
	*run_out = run;
	return path;
}

TEST(report_summary_numbers_on_hand_built_data)
{
	char *dir = tfx_tmpdir();
	int64_t run = 0;
	char *path = build_dataset(dir, &run);
	struct store *st = NULL;
	struct err err = {0};
	struct summary s;
	T_ASSERT(path);
	T_EQ_INT(store_open(path, &st, &err), 0);
	T_EQ_INT(report_summary(st, run, &s, &err), 0);
	T_EQ_INT(s.n_rows, 4);
	const struct summary_row *a = &s.rows[0], *a1 = &s.rows[1], *b = &s.rows[2];
	T_EQ_INT(a->provider_idx, 0);
	T_EQ_INT(a->prompt_idx, 0);
	T_EQ_STR(a->provider_label, "model-a");
	T_EQ_STR(a->provider_id, "openai:chat:model-a");
	T_EQ_INT(a->n, 22);
	T_EQ_INT(a->passes, 17);
	T_EQ_INT(a->fails, 3);
	T_EQ_INT(a->errors, 2);
	T_NEAR(a->pass_rate, 0.85, 1e-12);
	/* Wilson 95% for 17/20, reference (R: prop.test(17, 20, correct=FALSE)). */
	T_NEAR(a->ci_lo, 0.6395811353, 1e-8);
	T_NEAR(a->ci_hi, 0.9476312541, 1e-8);
	/* (17 * 1 + 3 * 0.25) / 20 */
	T_NEAR(a->mean_score, 0.8875, 1e-12);
	/* 20 latencies 100..290: type 7, h = 19 q.
	 * p50: h = 9.5 → x[9] + .5 (x[10] - x[9]) = 190 + 5 = 195;
	 * p95: h = 18.05 → 280 + .05 * 10 = 280.5.  The timeouts (30000 ms)
	 * are not included. */
	T_NEAR(a->p50_ms, 195.0, 1e-9);
	T_NEAR(a->p95_ms, 280.5, 1e-9);
	T_EQ_INT(a->prompt_tokens, 200);
	T_EQ_INT(a->completion_tokens, 100);
	T_NEAR(a->cost_usd, 0.02, 1e-12);
	{
		json_t *nm = json_loads(a->named_json, 0, NULL);
		T_ASSERT(nm);
		T_NEAR(json_real_value(json_object_get(nm, "acc")), 0.85, 1e-9);
		json_decref(nm);
	}
	/* The prompt without results. */
	T_EQ_INT(a1->n, 0);
	T_ASSERT(isnan(a1->pass_rate));
	T_ASSERT(isnan(a1->p50_ms));
	T_ASSERT(isnan(a1->mean_score));
	/* B: 4 passes (one cached) / 1 fail, the 503 left out. */
	T_EQ_INT(b->n, 6);
	T_EQ_INT(b->passes, 4);
	T_EQ_INT(b->fails, 1);
	T_EQ_INT(b->errors, 1);
	T_NEAR(b->pass_rate, 0.8, 1e-12);
	T_NEAR(b->ci_lo, 0.3755346298, 1e-8);
	T_NEAR(b->ci_hi, 0.9637758914, 1e-8);
	T_NEAR(b->mean_score, 0.8, 1e-12);
	/* {10, 20, 30, 100} (the cache hit's 1 ms left out): h = 3 q;
	 * p50: h = 1.5 → 20 + .5 * 10 = 25; p95: h = 2.85 → 30 + .85 * 70 = 89.5 */
	T_NEAR(b->p50_ms, 25.0, 1e-9);
	T_NEAR(b->p95_ms, 89.5, 1e-9);
	T_EQ_STR(b->named_json, "{}");
	T_EQ_INT(s.total, 28);
	T_EQ_INT(s.passes, 21);
	T_EQ_INT(s.fails, 4);
	T_EQ_INT(s.errors, 3);
	report_summary_free(&s);
	err_clear(&err);
	T_ASSERT(report_summary(st, 999, &s, &err) != 0);
	T_ASSERT(strstr(err.msg, "999") != NULL);
	store_close(st);
	free(path);
	tfx_rmdir(dir);
}

/* Display width of one line of the table (up to '\n'). */
static size_t line_width(const char *p, size_t n)
{
	char *l = xstrndup(p, n);
	size_t w = report_text_width(l);
	free(l);
	return w;
}

TEST(report_table_escapes_and_aligns)
{
	char *dir = tfx_tmpdir();
	int64_t run = 0;
	char *path = build_dataset(dir, &run);
	struct store *st = NULL;
	struct err err = {0};
	struct summary s;
	char *text = NULL;
	size_t len = 0, width = 0;
	int lines = 0;
	FILE *f;
	T_ASSERT(path);
	T_EQ_INT(store_open(path, &st, &err), 0);
	T_EQ_INT(report_summary(st, run, &s, &err), 0);
	f = open_memstream(&text, &len);
	report_print_table(&s, f, false);
	fclose(f);
	T_ASSERT(strchr(text, '\x1b') == NULL);
	T_ASSERT(strstr(text, "model-b\\x1b[2J") != NULL);
	T_ASSERT(strstr(text, "85.0% [64.0\xe2\x80\x93" "94.8]") != NULL);
	T_ASSERT(strstr(text, "80.0% [37.6\xe2\x80\x93" "96.4]") != NULL);
	T_ASSERT(strstr(text, "17/3") != NULL);
	T_ASSERT(strstr(text, "Total") != NULL);
	T_ASSERT(strstr(text, "21/4") != NULL);
	T_ASSERT(strstr(text, "not counted") != NULL);
	/* Every table line (header, rows, rules, total) has the same display
	 * width, the CJK label counted as two columns a character. */
	for (const char *p = text; *p && lines < 8;) {
		const char *nl = strchr(p, '\n');
		size_t w;
		if (!nl)
			break;
		w = line_width(p, (size_t)(nl - p));
		if (lines == 0)
			width = w;
		else if (w != width)
			printf("  line %d width %zu, header %zu\n", lines, w, width);
		T_EQ_INT(w, width);
		lines++;
		p = nl + 1;
	}
	T_EQ_INT(lines, 8); /* header, rule, 4 rows, rule, total */
	free(text);
	text = NULL;
	f = open_memstream(&text, &len);
	report_print_table(&s, f, true);
	fclose(f);
	T_ASSERT(strstr(text, "\033[33m85.0%") != NULL);
	T_ASSERT(strstr(text, "\x1b[2J") == NULL);
	free(text);
	report_summary_free(&s);
	store_close(st);
	free(path);
	tfx_rmdir(dir);
}

TEST(report_term_escape_rules)
{
	struct buf b = {0};
	T_EQ_INT(report_term_escape(&b, "a\x1b[2Jb\n\t\x7f", 0), 17);
	T_EQ_STR(buf_str(&b), "a\\x1b[2Jb\\n\\t\\x7f");
	buf_reset(&b);
	report_term_escape(&b, "x\xe2\x80\xaey\xc2\x85z\xff", 0);
	T_EQ_STR(buf_str(&b), "x\\u202ey\\x85z\\xff");
	buf_reset(&b);
	/* Wide characters and truncation with an ellipsis. */
	T_EQ_INT(report_text_width("\xe6\x97\xa5\xe6\x9c\xac"), 4);
	T_EQ_INT(report_text_width("e\xcc\x81"), 1);
	T_EQ_INT(report_term_escape(&b, "abcdefgh", 5), 5);
	T_EQ_STR(buf_str(&b), "abcd\xe2\x80\xa6");
	buf_reset(&b);
	T_EQ_INT(report_term_escape(&b, "abcde", 5), 5);
	T_EQ_STR(buf_str(&b), "abcde");
	buf_reset(&b);
	T_EQ_INT(report_term_escape(&b, "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", 5), 5);
	T_EQ_STR(buf_str(&b), "\xe6\x97\xa5\xe6\x9c\xac\xe2\x80\xa6");
	buf_reset(&b);
	report_json_escape(&b, "ok\xc3\xa9\xff\"", 6);
	T_EQ_STR(buf_str(&b), "ok\xc3\xa9\xef\xbf\xbd\\\"");
	buf_free(&b);
}

static json_t *find_result(json_t *results, int c, int prov)
{
	size_t i;
	json_t *r;
	json_array_foreach(results, i, r) {
		if (json_integer_value(json_object_get(r, "case_idx")) == c &&
		    json_integer_value(json_object_get(r, "provider_idx")) == prov)
			return r;
	}
	return NULL;
}

TEST(report_write_json_parses_back)
{
	char *dir = tfx_tmpdir();
	int64_t run = 0;
	char *path = build_dataset(dir, &run);
	char *out = xasprintf("%s/out.json", dir), *tmp = xasprintf("%s.tmp", out);
	struct store *st = NULL;
	struct err err = {0};
	json_error_t jerr;
	json_t *j, *res, *r, *e, *sum;
	char *suite_text;
	T_ASSERT(path);
	T_EQ_INT(store_open(path, &st, &err), 0);
	T_EQ_INT(report_write(st, run, out, &err), 0);
	store_close(st);
	T_ASSERT(access(tmp, F_OK) != 0);
	j = json_load_file(out, 0, &jerr);
	if (!j)
		printf("  %s:%d: %s\n", out, jerr.line, jerr.text);
	T_ASSERT(j);
	T_EQ_INT(json_integer_value(json_object_get(j, "version")), 1);
	T_EQ_INT(json_integer_value(json_object_get(json_object_get(j, "run"), "id")), run);
	T_EQ_STR(json_string_value(json_object_get(json_object_get(j, "run"), "status")), "done");
	T_EQ_STR(json_string_value(json_object_get(json_object_get(j, "run"), "description")),
		 "report fixture");
	suite_text = json_dumps(json_object_get(json_object_get(j, "run"), "suite"), 0);
	T_ASSERT(suite_text && strstr(suite_text, "fixture suite"));
	T_ASSERT(!strstr(suite_text, "PLANTED"));
	free(suite_text);
	sum = json_object_get(j, "summary");
	T_EQ_INT(json_array_size(sum), 4);
	T_NEAR(json_real_value(json_object_get(json_array_get(sum, 0), "pass_rate")), 0.85, 1e-12);
	T_NEAR(json_real_value(json_object_get(json_array_get(sum, 0), "latency_p95_ms")), 280.5, 1e-9);
	T_ASSERT(json_is_null(json_object_get(json_array_get(sum, 1), "pass_rate")));
	T_EQ_INT(json_integer_value(json_object_get(json_array_get(sum, 2), "errors")), 1);
	res = json_object_get(j, "results");
	T_EQ_INT(json_array_size(res), 28);
	/* Ordered by case, then prompt, then provider. */
	T_EQ_INT(json_integer_value(json_object_get(json_array_get(res, 0), "case_idx")), 0);
	T_EQ_STR(json_string_value(json_object_get(json_array_get(res, 1), "provider_label")),
		 "model-b\x1b[2J");
	r = find_result(res, 0, 0);
	T_ASSERT(r);
	T_EQ_STR(json_string_value(json_object_get(r, "output")), TRICKY);
	T_EQ_STR(json_string_value(json_object_get(r, "description")), "case 0");
	T_EQ_STR(json_string_value(json_object_get(json_object_get(r, "vars"), "q")), "question 0");
	T_EQ_STR(json_string_value(json_object_get(r, "prompt")), "Answer: q");
	T_EQ_STR(json_string_value(json_object_get(r, "prompt_label")),
		 "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e prompt");
	T_ASSERT(json_is_null(json_object_get(r, "error")));
	T_ASSERT(json_is_true(json_object_get(r, "pass")));
	T_NEAR(json_number_value(json_object_get(r, "score")), 1.0, 0);
	T_NEAR(json_number_value(json_object_get(r, "latency_ms")), 100, 0);
	T_EQ_INT(json_integer_value(json_object_get(json_object_get(r, "tokens"), "prompt")), 10);
	T_EQ_INT(json_integer_value(json_object_get(json_object_get(r, "tokens"), "total")), 15);
	T_NEAR(json_number_value(json_object_get(json_object_get(r, "named_scores"), "acc")), 1, 0);
	e = json_object_get(r, "assertions");
	T_EQ_INT(json_array_size(e), 2);
	T_EQ_STR(json_string_value(json_object_get(json_array_get(e, 0), "type")), "contains");
	T_EQ_STR(json_string_value(json_object_get(json_array_get(e, 0), "metric")), "acc");
	T_NEAR(json_number_value(json_object_get(json_array_get(e, 1), "weight")), 2.0, 0);
	T_ASSERT(json_is_null(json_object_get(json_array_get(e, 1), "metric")));
	r = find_result(res, 1, 0);
	T_ASSERT(r);
	T_EQ_STR(json_string_value(json_object_get(r, "output")), "caf\xc3\xa9 \xef\xbf\xbd end");
	r = find_result(res, 20, 0);
	T_ASSERT(r);
	e = json_object_get(r, "error");
	T_EQ_STR(json_string_value(json_object_get(e, "kind")), "timeout");
	T_EQ_STR(json_string_value(json_object_get(e, "message")), "timeout failure");
	T_ASSERT(json_is_null(json_object_get(r, "pass")));
	T_ASSERT(json_is_null(json_object_get(r, "score")));
	T_ASSERT(json_is_null(json_object_get(r, "output")));
	T_EQ_INT(json_array_size(json_object_get(r, "assertions")), 0);
	r = find_result(res, 5, 1);
	T_ASSERT(r);
	T_EQ_INT(json_integer_value(json_object_get(json_object_get(r, "error"), "http_status")), 503);
	json_decref(j);
	free(out);
	free(tmp);
	free(path);
	tfx_rmdir(dir);
}

TEST(report_write_jsonl_one_result_a_line)
{
	char *dir = tfx_tmpdir();
	int64_t run = 0;
	char *path = build_dataset(dir, &run);
	char *out = xasprintf("%s/out.JSONL", dir);
	struct store *st = NULL;
	struct err err = {0};
	size_t len = 0;
	char *text, *p;
	int n = 0;
	T_ASSERT(path);
	T_EQ_INT(store_open(path, &st, &err), 0);
	T_EQ_INT(report_write(st, run, out, &err), 0);
	store_close(st);
	text = fs_read_file(out, 0, &len, &err);
	T_ASSERT(text);
	for (p = text; *p;) {
		char *nl = strchr(p, '\n');
		json_t *o;
		T_ASSERT(nl);
		*nl = '\0';
		o = json_loads(p, 0, NULL);
		T_ASSERT(o);
		T_EQ_INT(json_integer_value(json_object_get(o, "run_id")), run);
		T_ASSERT(json_object_get(o, "assertions"));
		json_decref(o);
		n++;
		p = nl + 1;
	}
	T_EQ_INT(n, 28);
	free(text);
	free(out);
	free(path);
	tfx_rmdir(dir);
}

/* libcsv parse target: rows of owned fields. */
struct csv_rows {
	char **cells;
	size_t n_cells, cap;
	size_t row_len[64];
	size_t n_rows;
	size_t cur;
};

static void csv_cb_field(void *s, size_t n, void *data)
{
	struct csv_rows *r = data;
	r->cells = xgrow(r->cells, &r->cap, r->n_cells + 1, sizeof *r->cells);
	r->cells[r->n_cells++] = xstrndup(s ? s : "", s ? n : 0);
	r->cur++;
}

static void csv_cb_row(int c, void *data)
{
	struct csv_rows *r = data;
	(void)c;
	if (r->n_rows < 64)
		r->row_len[r->n_rows] = r->cur;
	r->n_rows++;
	r->cur = 0;
}

TEST(report_write_csv_quotes_and_flattens_vars)
{
	char *dir = tfx_tmpdir();
	int64_t run = 0;
	char *path = build_dataset(dir, &run);
	char *out = xasprintf("%s/out.csv", dir);
	struct store *st = NULL;
	struct err err = {0};
	struct csv_parser p;
	struct csv_rows rows = {0};
	size_t len = 0, w;
	char *text;
	T_ASSERT(path);
	T_EQ_INT(store_open(path, &st, &err), 0);
	T_EQ_INT(report_write(st, run, out, &err), 0);
	store_close(st);
	text = fs_read_file(out, 0, &len, &err);
	T_ASSERT(text);
	T_ASSERT(csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) == 0);
	T_EQ_INT(csv_parse(&p, text, len, csv_cb_field, csv_cb_row, &rows), len);
	T_EQ_INT(csv_fini(&p, csv_cb_field, csv_cb_row, &rows), 0);
	csv_free(&p);
	T_EQ_INT(rows.n_rows, 29);
	w = rows.row_len[0];
	for (size_t i = 1; i < 29; i++)
		T_EQ_INT(rows.row_len[i], w);
	/* Header: fixed columns, then the vars in first-seen order. */
	T_EQ_STR(rows.cells[0], "case_idx");
	T_EQ_STR(rows.cells[7], "var_q");
	T_EQ_STR(rows.cells[8], "var_n");
	T_EQ_STR(rows.cells[9], "var_lang");
	T_EQ_STR(rows.cells[10], "prompt");
	T_EQ_STR(rows.cells[11], "output");
	T_EQ_STR(rows.cells[15], "pass");
	/* Row 1: case 0, provider A: the output with comma, quotes, newline. */
	T_EQ_STR(rows.cells[w + 0], "0");
	T_EQ_STR(rows.cells[w + 4], "openai:chat:model-a");
	T_EQ_STR(rows.cells[w + 7], "question 0");
	T_EQ_STR(rows.cells[w + 8], "0");
	T_EQ_STR(rows.cells[w + 9], "");
	T_EQ_STR(rows.cells[w + 11], TRICKY);
	T_EQ_STR(rows.cells[w + 15], "true");
	T_EQ_STR(rows.cells[w + w - 3], "2"); /* assertions_passed */
	T_EQ_STR(rows.cells[w + w - 2], "2"); /* assertions_total */
	T_EQ_STR(rows.cells[w - 1], "error_class");
	T_EQ_STR(rows.cells[w + w - 1], ""); /* graded: no error */
	/* The first timeout (case 20, provider A) is row 1 + 2*20 = 41 > 29:
	 * B has no case 20, so it is row 1 + 2*6 + (20 - 6) = 27. */
	T_EQ_STR(rows.cells[27 * w + 0], "20");
	T_EQ_STR(rows.cells[27 * w + 12], "timeout");
	T_EQ_STR(rows.cells[27 * w + 15], "");
	T_EQ_STR(rows.cells[27 * w + w - 1], "infrastructure");
	T_ASSERT(strstr(text, "\r\n") != NULL);
	for (size_t i = 0; i < rows.n_cells; i++)
		free(rows.cells[i]);
	free(rows.cells);
	free(text);
	free(out);
	free(path);
	tfx_rmdir(dir);
}

TEST(report_write_unknown_extension_is_an_error)
{
	char *dir = tfx_tmpdir();
	int64_t run = 0;
	char *path = build_dataset(dir, &run);
	char *out = xasprintf("%s/out.txt", dir), *tmp = xasprintf("%s.tmp", out);
	struct store *st = NULL;
	struct err err = {0};
	T_ASSERT(path);
	T_EQ_INT(store_open(path, &st, &err), 0);
	T_EQ_INT(report_write(st, run, out, &err), ST_USAGE);
	T_ASSERT(strstr(err.msg, ".json, .jsonl, .csv, .html, .xml (JUnit), .md (Markdown) or .assay") != NULL);
	T_ASSERT(access(out, F_OK) != 0 && access(tmp, F_OK) != 0);
	err_clear(&err);
	free(out);
	out = xasprintf("%s/nodir/out.json", dir);
	T_EQ_INT(report_write(st, run, out, &err), ST_IO);
	err_clear(&err);
	free(out);
	out = xasprintf("%s/none.jsonl", dir);
	T_EQ_INT(report_write(st, 999, out, &err), ST_DB);
	T_ASSERT(access(out, F_OK) != 0);
	store_close(st);
	free(out);
	free(tmp);
	free(path);
	tfx_rmdir(dir);
}
