/* sse.c — incremental Server-Sent Events parser (see sse.h). */
#include "sse.h"

#include <string.h>

void sse_init(struct sse *s, sse_event_fn fn, void *ud)
{
	memset(s, 0, sizeof *s);
	s->fn = fn;
	s->ud = ud;
}

void sse_cleanup(struct sse *s)
{
	buf_free(&s->line);
	buf_free(&s->data);
	buf_free(&s->event);
}

int sse_over_total(const struct sse *s)
{
	return s->total >= SSE_MAX_TOTAL;
}

int sse_pending(const struct sse *s)
{
	return s->line.len > 0 || s->have_data ||
	       (!s->bom_checked && s->bom_len > 0);
}

/* One complete line (without its terminator). */
static int line_done(struct sse *s, const char *l, size_t n)
{
	const char *colon, *val;
	size_t flen, vlen;
	if (n == 0) { /* blank line: dispatch */
		int rc = 0;
		if (s->have_data)
			rc = s->fn(s->ud, s->event.len ? s->event.p : "message",
				   buf_str(&s->data), s->data.len);
		buf_reset(&s->data);
		buf_reset(&s->event);
		s->have_data = 0;
		return rc;
	}
	if (l[0] == ':')
		return 0; /* comment */
	if (l[0] == '{' && !s->have_data)
		/* Not SSE: a bare JSON line, as Ollama's OpenAI layer writes an
		 * error that happens mid-stream.  Handed on as its own event so
		 * the error is read instead of lost. */
		return s->fn(s->ud, "raw", l, n);
	colon = memchr(l, ':', n);
	flen = colon ? (size_t)(colon - l) : n;
	val = colon ? colon + 1 : l + n;
	vlen = colon ? n - flen - 1 : 0;
	if (vlen && *val == ' ') {
		val++;
		vlen--;
	}
	if (flen == 4 && !memcmp(l, "data", 4)) {
		if (s->have_data)
			buf_putc(&s->data, '\n');
		if (s->data.len + vlen > SSE_MAX_DATA)
			return -1;
		buf_append(&s->data, val, vlen);
		s->have_data = 1;
	} else if (flen == 5 && !memcmp(l, "event", 5)) {
		buf_reset(&s->event);
		buf_append(&s->event, val, vlen);
	}
	/* id and retry fields do not matter to a client that never reconnects. */
	return 0;
}

int sse_feed(struct sse *s, const char *p, size_t len)
{
	static const char bom[3] = "\xEF\xBB\xBF";
	size_t i = 0;
	if (len > SSE_MAX_TOTAL - s->total) {
		s->total = SSE_MAX_TOTAL;   /* stays over: sse_over_total */
		return -2;
	}
	s->total += len;
	/* A leading BOM is dropped even when it arrives split across reads:
	 * the bytes matched so far are held in bom_len until it is whole or
	 * turns out to be text (then they start the first line). */
	while (!s->bom_checked && len) {
		if (*p == bom[s->bom_len]) {
			p++;
			len--;
			if (++s->bom_len == 3)
				s->bom_checked = 1;
		} else {
			s->bom_checked = 1;
			buf_append(&s->line, bom, s->bom_len);
		}
	}
	if (len && s->last_cr && p[0] == '\n')
		i = 1; /* the \n of a \r\n split across chunks */
	s->last_cr = len && p[len - 1] == '\r';
	while (i < len) {
		const char *nl = NULL;
		size_t j;
		for (j = i; j < len; j++)
			if (p[j] == '\n' || p[j] == '\r') {
				nl = p + j;
				break;
			}
		if (!nl) {
			if (s->line.len + (len - i) > SSE_MAX_LINE)
				return -1;
			buf_append(&s->line, p + i, len - i);
			return 0;
		}
		{
			int rc;
			if (s->line.len) {
				buf_append(&s->line, p + i, j - i);
				rc = line_done(s, s->line.p, s->line.len);
				buf_reset(&s->line);
			} else {
				rc = line_done(s, p + i, j - i);
			}
			if (rc)
				return rc;
		}
		/* \r\n is one terminator. */
		if (p[j] == '\r' && j + 1 < len && p[j + 1] == '\n')
			j++;
		i = j + 1;
	}
	return 0;
}
