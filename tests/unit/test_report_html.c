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
