/* sse.c — fuzzes the Server-Sent Events parser (src/util/sse.c).
 *
 * Input: byte 0 picks a chunk size (1..256), the rest is the stream.  The
 * stream is parsed twice, in one piece and in chunks of that size, and the
 * two event logs must be equal: how bytes are split across reads must not
 * change what a client sees (CR LF split across chunks, a BOM, long lines). */
#include "fuzz.h"
#include "util/buf.h"
#include "util/sse.h"

static int log_event(void *ud, const char *event, const char *data, size_t n)
{
	struct buf *b = ud;
	buf_printf(b, "%zu:%s|%zu:", strlen(event), event, n);
	buf_append(b, data, n);
	buf_putc(b, '\n');
	return 0;
}

static void parse(const uint8_t *p, size_t n, size_t chunk, struct buf *out)
{
	struct sse s;
	size_t i;
	int rc = 0;
	sse_init(&s, log_event, out);
	for (i = 0; i < n && rc == 0; i += chunk)
		rc = sse_feed(&s, (const char *)p + i, n - i < chunk ? n - i : chunk);
	buf_printf(out, "rc=%d pending=%d", rc, rc ? -1 : sse_pending(&s));
	sse_cleanup(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf whole = { 0 }, parts = { 0 };
	size_t chunk;
	if (size < 1)
		return 0;
	chunk = (size_t)data[0] + 1;
	parse(data + 1, size - 1, size, &whole);
	parse(data + 1, size - 1, chunk, &parts);
	if (whole.len != parts.len || memcmp(buf_str(&whole), buf_str(&parts), whole.len)) {
		fprintf(stderr, "sse: chunks of %zu give other events\nwhole:\n%s\nchunked:\n%s\n",
			chunk, buf_str(&whole), buf_str(&parts));
		abort();
	}
	buf_free(&whole);
	buf_free(&parts);
	return 0;
}
