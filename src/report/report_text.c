/* report_text.c — making untrusted text (model output, labels from a suite)
 * safe to show: on a terminal (no control characters, no bidi overrides,
 * measured in display columns) and inside JSON strings (valid UTF-8).
 *
 * The UTF-8 decoder (util/utf8.h) is strict (no overlongs, no surrogates,
 * nothing above U+10FFFF) so a byte sequence is either shown as the
 * character it encodes or escaped byte by byte.  Widths follow the East Asian Wide/Fullwidth
 * ranges and treat combining marks as zero-width; this is done here rather
 * than with wcwidth(3) because wcwidth depends on the process locale and
 * answers -1 for everything non-ASCII in the C locale. */
#include "report.h"

#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "../util/utf8.h"

/* Characters that must never reach a terminal raw: C0/C1 controls, DEL,
 * and the invisible formatting / bidi controls that can reorder or hide
 * text ("Trojan Source"). */
static int unsafe_cp(uint32_t c)
{
	return c < 0x20 || (c >= 0x7f && c <= 0x9f) ||
	       (c >= 0x200b && c <= 0x200f) || (c >= 0x202a && c <= 0x202e) ||
	       (c >= 0x2060 && c <= 0x2069) || c == 0xfeff;
}

static int cp_width(uint32_t c)
{
	if ((c >= 0x300 && c <= 0x36f) || (c >= 0x1ab0 && c <= 0x1aff) ||
	    (c >= 0x1dc0 && c <= 0x1dff) || (c >= 0x20d0 && c <= 0x20ff) ||
	    (c >= 0xfe00 && c <= 0xfe0f) || (c >= 0xfe20 && c <= 0xfe2f))
		return 0;
	if ((c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0x303e) ||
	    (c >= 0x3041 && c <= 0x33ff) || (c >= 0x3400 && c <= 0x4dbf) ||
	    (c >= 0x4e00 && c <= 0x9fff) || (c >= 0xa000 && c <= 0xa4cf) ||
	    (c >= 0xac00 && c <= 0xd7a3) || (c >= 0xf900 && c <= 0xfaff) ||
	    (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff60) ||
	    (c >= 0xffe0 && c <= 0xffe6) || (c >= 0x1f300 && c <= 0x1f64f) ||
	    (c >= 0x1f900 && c <= 0x1f9ff) || (c >= 0x20000 && c <= 0x3fffd))
		return 2;
	return 1;
}

size_t report_term_escape(struct buf *out, const char *s, size_t max_cols)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t n = strlen((const char *)p), cols = 0, i = 0;
	if (!max_cols)
		max_cols = SIZE_MAX;
	while (i < n) {
		char tmp[16];
		size_t tlen, tcols;
		uint32_t c;
		size_t len = utf8_decode((const char *)p + i, n - i, &c);
		if (len == 0) {
			tmp[0] = '\\';
			tmp[1] = 'x';
			tmp[2] = hex[p[i] >> 4];
			tmp[3] = hex[p[i] & 15];
			tlen = tcols = 4;
			len = 1;
		} else if (c == '\n' || c == '\t' || c == '\r') {
			tmp[0] = '\\';
			tmp[1] = c == '\n' ? 'n' : c == '\t' ? 't' : 'r';
			tlen = tcols = 2;
		} else if (unsafe_cp(c)) {
			tlen = tcols = (size_t)snprintf(tmp, sizeof tmp,
							c < 0x100 ? "\\x%02x" : "\\u%04x",
							(unsigned)c);
		} else {
			memcpy(tmp, p + i, len);
			tlen = len;
			tcols = (size_t)cp_width(c);
		}
		if (cols + tcols > max_cols ||
		    (cols + tcols == max_cols && i + len < n)) {
			/* Leave room for the ellipsis. */
			if (max_cols != SIZE_MAX) {
				buf_puts(out, "\xe2\x80\xa6");
				cols++;
			}
			break;
		}
		buf_append(out, tmp, tlen);
		cols += tcols;
		i += len;
	}
	return cols;
}

size_t report_text_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), cols = 0, i = 0;
	while (i < n) {
		uint32_t c;
		size_t len = utf8_decode((const char *)p + i, n - i, &c);
		if (len == 0) {
			cols++;
			i++;
			continue;
		}
		cols += (size_t)cp_width(c);
		i += len;
	}
	return cols;
}

void report_json_escape(struct buf *out, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, start = 0;
	while (i < n) {
		uint32_t c;
		size_t len = utf8_decode((const char *)p + i, n - i, &c);
		if (len == 0) {
			buf_json_escape(out, s + start, i - start);
			buf_puts(out, "\xef\xbf\xbd"); /* U+FFFD */
			i++;
			start = i;
			continue;
		}
		i += len;
	}
	buf_json_escape(out, s + start, i - start);
}

struct shard_count {
	unsigned n;
	long *have;
};

static int count_shard(void *ud, size_t t, size_t p, size_t v, int rep,
		       const char *key, int state)
{
	struct shard_count *c = ud;
	(void)t; (void)p; (void)v; (void)rep; (void)state;
	if (key)
		c->have[store_key_shard(key, c->n)]++;
	return 0;
}

/* For a sharded run (config "shards", "shard_items"): the shards that
 * hold fewer results than they should, e.g. " (missing: shard 2/4 has
 * 0 of 50 results)". */
static void name_missing_shards(struct store *st, const struct store_run *r, FILE *f)
{
	json_t *cfg = r->config_json ? json_loads(r->config_json, 0, NULL) : NULL;
	json_t *want = json_object_get(cfg, "shard_items");
	struct shard_count c = { 0, NULL };
	struct err err = {0};
	bool first = true;
	if (!json_is_integer(json_object_get(cfg, "shards")) || !json_is_array(want))
		goto out;
	c.n = (unsigned)json_integer_value(json_object_get(cfg, "shards"));
	if (c.n < 2 || json_array_size(want) != c.n)
		goto out;
	c.have = calloc(c.n + 1, sizeof *c.have);
	if (!c.have || store_item_states_each(st, r->id, count_shard, &c, &err))
		goto out;
	for (unsigned i = 1; i <= c.n; i++) {
		long w = (long)json_integer_value(json_array_get(want, i - 1));
		if (c.have[i] < w) {
			fprintf(f, "%s shard %u/%u has %ld of %ld", first ? " (missing:" : ";",
				i, c.n, c.have[i], w);
			first = false;
		}
	}
	if (!first)
		fputc(')', f);
out:
	free(c.have);
	json_decref(cfg);
}

bool report_warn_incomplete(struct store *st, int64_t run_id, FILE *f)
{
	struct store_run r;
	struct err err = {0};
	long planned;
	bool warn;
	if (store_run_get(st, run_id, &r, &err))
		return false;
	planned = r.n_cases * r.n_prompts * r.n_providers * (r.repeat > 0 ? r.repeat : 1);
	warn = strcmp(r.status, "done") || r.n_results < planned;
	if (warn) {
		fprintf(f, "warning: run %lld is %s: %ld of %ld results stored; "
			"the figures above are partial", (long long)run_id,
			!strcmp(r.status, "done") ? "incomplete" : r.status,
			r.n_results, planned);
		name_missing_shards(st, &r, f);
		if (!strcmp(r.status, "interrupted"))
			fprintf(f, " (continue it with: assay run %s --resume %lld)",
				r.suite_path ? r.suite_path : "SUITE", (long long)run_id);
		else if (!strcmp(r.status, "running"))
			fprintf(f, " (pid %ld on %s is still writing it)", r.pid,
				r.host ? r.host : "?");
		fputc('\n', f);
	}
	store_run_free(&r);
	return warn;
}
