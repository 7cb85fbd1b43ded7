/* sse.h — an incremental parser for Server-Sent Events
 * (text/event-stream, as the WHATWG HTML spec defines it): feed it bytes as
 * they arrive, it calls back once per complete event with the event name
 * (or "message") and the data lines joined by "\n".
 *
 * Hand-written: no packaged C library parses SSE, and the format is a few
 * line rules.  The parser buffers at most `SSE_MAX_LINE` bytes of an
 * unfinished line and `SSE_MAX_DATA` of one event's data, and reads at
 * most `SSE_MAX_TOTAL` bytes in all (a server that keeps sending small
 * events); past that it fails (a malformed stream, not an allocation).
 *
 * One departure from the spec: a line that starts with `{` outside an
 * event is handed on as an event named "raw" (Ollama writes mid-stream
 * errors as bare JSON lines). */
#ifndef ASSAY_SSE_H
#define ASSAY_SSE_H

#include <stddef.h>
#include "buf.h"

#define SSE_MAX_LINE ((size_t)4 << 20)
#define SSE_MAX_DATA ((size_t)16 << 20)
#define SSE_MAX_TOTAL ((size_t)64 << 20)

/* Returns 0 to go on, non-zero to stop parsing (sse_feed returns it). */
typedef int (*sse_event_fn)(void *ud, const char *event, const char *data,
			    size_t data_len);

struct sse {
	struct buf line, data, event;
	int have_data;
	int bom_checked;
	size_t bom_len;   /* bytes of a leading BOM matched so far */
	int last_cr;     /* the previous chunk ended with \r */
	size_t total;    /* bytes fed so far */
	sse_event_fn fn;
	void *ud;
};

void sse_init(struct sse *s, sse_event_fn fn, void *ud);
/* Parses len bytes.  Returns 0, the callback's non-zero value, -1 when a
 * line or an event is too long, or -2 when the stream as a whole passed
 * SSE_MAX_TOTAL. */
int sse_feed(struct sse *s, const char *p, size_t len);
/* True when bytes of an unfinished event are buffered (a stream that ends
 * here was cut). */
int sse_pending(const struct sse *s);
/* True once sse_feed has refused bytes past SSE_MAX_TOTAL. */
int sse_over_total(const struct sse *s);
void sse_cleanup(struct sse *s);

#endif
