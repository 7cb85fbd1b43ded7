/* report_fmt_junit.c — a stored run as JUnit XML (`-o junit.xml`) for CI
 * systems: one <testcase> per case × candidate (× prompt and repeat when
 * there are several), classname = the candidate.  A failed case carries
 * <failure> with the reasons of its failed assertions; an infrastructure
 * error (timeout, HTTP, transport) is an <error>, not a failure — the
 * model was never judged.  Streamed from the store; counts come from the
 * summary.  Text is escaped for XML 1.0: markup characters become
 * entities, characters XML cannot carry and bytes that are not UTF-8
 * become U+FFFD. */
#include "report.h"
#include "report_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../util/xalloc.h"

struct junit {
	struct store *st;
	FILE *f;
	struct err *err;
	size_t n_prompts;
	int repeat;
	struct buf why;        /* failed assertions of the current result */
	long n_failed;
};

/* Length of the valid UTF-8 sequence at s (1..4), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len = s[0] < 0x80 ? 1 : (s[0] & 0xE0) == 0xC0 ? 2
		   : (s[0] & 0xF0) == 0xE0 ? 3 : (s[0] & 0xF8) == 0xF0 ? 4 : 0;
	if (!len || len > n || (len == 2 && s[0] < 0xC2))
		return 0;
	for (size_t i = 1; i < len; i++)
		if ((s[i] & 0xC0) != 0x80)
			return 0;
	return len;
}

static void xml_text(FILE *f, const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t n = strlen((const char *)p), i = 0, out = 0;
	while (i < n && (!max || out < max)) {
		size_t len = utf8_len(p + i, n - i);
		unsigned c = p[i];
		if (!len) {
			fputs("\xef\xbf\xbd", f);
			i++;
		} else if (len > 1) {
			fwrite(p + i, 1, len, f);
			i += len;
		} else {
			if (c == '<') fputs("&lt;", f);
			else if (c == '>') fputs("&gt;", f);
			else if (c == '&') fputs("&amp;", f);
			else if (c == '"') fputs("&quot;", f);
			else if (c == '\n') fputs("&#10;", f);
			else if (c == '\t') fputs("&#9;", f);
			else if (c == '\r') fputs("&#13;", f);
			else if (c < 0x20 || c == 0x7f) fputs("\xef\xbf\xbd", f);
			else fputc((int)c, f);
			i++;
		}
		out++;
	}
	if (i < n)
		fputs("\xe2\x80\xa6", f);
}

static int on_assert(void *ud, const struct store_assert *a)
{
	struct junit *j = ud;
	if (a->pass)
		return 0;
	j->n_failed++;
	buf_printf(&j->why, "%s%s: %s", j->why.len ? "\n" : "",
		   a->type ? a->type : "?", a->reason ? a->reason : "");
	return 0;
}

static int on_result(void *ud, const struct store_result *r)
{
	struct junit *j = ud;
	const char *name = r->case_description && *r->case_description
		? r->case_description : r->vars_json ? r->vars_json : "";
	fputs("    <testcase classname=\"", j->f);
	xml_text(j->f, r->provider_label ? r->provider_label : r->provider_id, 200);
	fputs("\" name=\"", j->f);
	fprintf(j->f, "%zu: ", r->case_idx);
	xml_text(j->f, name, 160);
	if (j->n_prompts > 1) {
		fputs(" [", j->f);
		xml_text(j->f, r->prompt_label, 60);
		fputc(']', j->f);
	}
	if (j->repeat > 1)
		fprintf(j->f, " #%d", r->repeat);
	fprintf(j->f, "\" time=\"%.3f\"", isfinite(r->latency_ms) ? r->latency_ms / 1000.0 : 0.0);
	if (r->error_kind) {
		fputs(">\n      <error type=\"", j->f);
		xml_text(j->f, report_is_grading_error(r->error_kind, r->error_msg)
			 ? "grading" : r->error_kind, 0);
		fputs("\" message=\"", j->f);
		xml_text(j->f, r->error_msg, 500);
		fputs("\"/>\n    </testcase>\n", j->f);
	} else if (r->pass == 0) {
		int rc;
		buf_reset(&j->why);
		j->n_failed = 0;
		if ((rc = store_asserts_each(j->st, r->id, on_assert, j, j->err)))
			return rc;
		fputs(">\n      <failure type=\"assertion\" message=\"", j->f);
		xml_text(j->f, r->reason, 500);
		fputs("\">", j->f);
		xml_text(j->f, j->why.len ? j->why.p : r->reason, 4000);
		fputs("</failure>\n      <system-out>", j->f);
		xml_text(j->f, r->output, 4000);
		fputs("</system-out>\n    </testcase>\n", j->f);
	} else {
		fputs("/>\n", j->f);
	}
	return 0;
}

int report_fmt_junit(struct store *st, int64_t run_id, FILE *f, struct err *err)
{
	struct junit j = { .st = st, .f = f, .err = err };
	struct summary sum;
	struct store_run r;
	double secs = 0;
	int rc;
	if ((rc = store_run_get(st, run_id, &r, err)))
		return rc;
	j.n_prompts = r.n_prompts > 0 ? (size_t)r.n_prompts : 1;
	j.repeat = r.repeat;
	if ((rc = report_summary(st, run_id, &sum, err))) {
		store_run_free(&r);
		return rc;
	}
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
	fprintf(f, "<testsuites name=\"assay\" tests=\"%ld\" failures=\"%ld\" "
		   "errors=\"%ld\">\n", sum.total, sum.fails,
		sum.errors + sum.grade_errors);
	fprintf(f, "  <testsuite name=\"run %lld: ", (long long)run_id);
	xml_text(f, r.description ? r.description : r.suite_path, 200);
	fprintf(f, "\" tests=\"%ld\" failures=\"%ld\" errors=\"%ld\" skipped=\"0\" "
		   "time=\"%.3f\" timestamp=\"", sum.total, sum.fails,
		sum.errors + sum.grade_errors, secs);
	xml_text(f, r.created_at, 40);
	fputs("\">\n", f);
	report_summary_free(&sum);
	store_run_free(&r);
	rc = store_results_each(st, run_id, on_result, &j, err);
	fputs("  </testsuite>\n</testsuites>\n", f);
	buf_free(&j.why);
	return rc;
}
