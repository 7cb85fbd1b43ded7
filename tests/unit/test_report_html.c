/* test_report_html.c — the HTML report's escaping and its refusal of input
 * that is not a run export (the page itself is checked in Chromium by
 * tests/cli/browser.sh). */
#include "t.h"

#include "report/report_html.h"

#include <stdlib.h>

TEST(report_html_escape_specials_and_bad_utf8)
{
	struct buf b = { 0 };
	report_html_escape(&b, "<a href=\"x\" onclick='y'>&\xff\x01</a> é");
	T_ASSERT(!strcmp(buf_str(&b),
			 "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;"
			 "\xEF\xBF\xBD\xEF\xBF\xBD&lt;/a&gt; é"));
	buf_free(&b);
}

TEST(report_html_render_needs_an_export)
{
	struct buf b = { 0 };
	struct err err = { 0 };
	json_t *doc = json_pack("{s:i}", "version", 1);
	T_EQ_INT(report_html_render(doc, &b, &err), ST_USAGE);
	T_ASSERT(strstr(err.msg, "no results array") != NULL);
	json_decref(doc);
	buf_free(&b);
}

TEST(report_html_output_cannot_close_the_data_block)
{
	struct buf b = { 0 };
	struct err err = { 0 };
	json_t *doc = json_pack("{s:[{s:i,s:i,s:i,s:i,s:s,s:s}]}", "results",
				"case_idx", 0, "prompt_idx", 0, "provider_idx", 0,
				"repeat", 0, "provider_label", "m",
				"output", "</script><script>alert(1)</script>");
	T_EQ_INT(report_html_render(doc, &b, &err), 0);
	/* The page has exactly its two script elements: the data and the code. */
	size_t n = 0;
	for (const char *p = buf_str(&b); (p = strstr(p, "<script")); p++)
		n++;
	T_EQ_INT(n, 2);
	T_ASSERT(strstr(buf_str(&b), "\\u003c\\/script>\\u003cscript>alert(1)") != NULL);
	json_decref(doc);
	buf_free(&b);
}

/* report_html_charts_lat (`assay view`: latencies as arrays) draws the
 * same document as report_html_charts over the `results` rows it stands
 * for — those with an error, a cache hit or no latency left out, a row
 * matched to its candidate by provider id or by label — and the chart
 * has one dot per latency drawn. */
TEST(report_html_charts_lat_same_as_results_rows)
{
	const char *stats =
		"{\"candidates\": ["
		" {\"label\": \"model a\", \"provider\": \"openai:a\","
		"  \"latency\": {\"p50\": 20.0, \"p95\": 41.0}},"
		" {\"label\": \"model b\", \"provider\": \"openai:b\","
		"  \"latency\": {\"p50\": 35.0, \"p95\": 60.0}}]}";
	json_t *st = json_loads(stats, 0, NULL);
	json_t *rows = json_array();
	double a[] = { 41.0, 12.5, 20.0, 33.25 }, b[] = { 60.0, 35.0, 10.0 };
	struct report_lat_group g[2] = {
		{ "openai:a", "model a", a, 4 },
		{ "other:id", "model b", b, 3 },   /* matched by label */
	};
	struct buf x = { 0 }, y = { 0 };
	json_t *doc, *lean;
	size_t dots = 0;
	for (int i = 0; i < 4; i++)
		json_array_append_new(rows, json_pack("{s:s,s:s,s:f,s:b,s:n}",
			"provider_id", "openai:a", "provider_label", "model a",
			"latency_ms", a[i], "cached", 0, "error"));
	for (int i = 0; i < 3; i++)
		json_array_append_new(rows, json_pack("{s:s,s:s,s:f,s:b,s:n}",
			"provider_id", "other:id", "provider_label", "model b",
			"latency_ms", b[i], "cached", 0, "error"));
	/* rows the chart leaves out */
	json_array_append_new(rows, json_pack("{s:s,s:s,s:f,s:b,s:s}",
		"provider_id", "openai:a", "provider_label", "model a",
		"latency_ms", 999.0, "cached", 0, "error", "timeout"));
	json_array_append_new(rows, json_pack("{s:s,s:s,s:f,s:b,s:n}",
		"provider_id", "openai:a", "provider_label", "model a",
		"latency_ms", 888.0, "cached", 1, "error"));
	json_array_append_new(rows, json_pack("{s:s,s:s,s:n,s:b,s:n}",
		"provider_id", "openai:a", "provider_label", "model a",
		"latency_ms", "cached", 0, "error"));
	T_ASSERT(st != NULL);
	doc = json_pack("{s:{s:i},s:{s:i,s:i,s:i,s:i},s:O,s:o}", "run", "id", 1,
			"totals", "n", 10, "passes", 7, "fails", 0, "errors", 3,
			"stats", st, "results", rows);
	lean = json_pack("{s:{s:i},s:{s:i,s:i,s:i,s:i},s:O}", "run", "id", 1,
			 "totals", "n", 10, "passes", 7, "fails", 0, "errors", 3,
			 "stats", st);
	report_html_charts(doc, &x);
	report_html_charts_lat(lean, g, 2, &y);
	T_ASSERT(strstr(buf_str(&x), "chart-latency") != NULL);
	T_ASSERT(!strcmp(buf_str(&x), buf_str(&y)));
	for (const char *p = strstr(buf_str(&y), "chart-latency");
	     p && (p = strstr(p, "class=\"dot\"")); p++)
		dots++;
	T_EQ_INT(dots, 7);
	json_decref(doc);
	json_decref(lean);
	json_decref(st);
	buf_free(&x);
	buf_free(&y);
}
