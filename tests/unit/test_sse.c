/* test_sse.c — the SSE parser against the event-stream rules of the WHATWG
 * HTML standard (§9.2): fields, comments, multi-line data, CRLF, chunking. */
#include "t.h"
#include "../../src/util/sse.h"

#include <stdio.h>

struct got {
	char log[2048];
	int n;
};

static int collect(void *ud, const char *ev, const char *data, size_t n)
{
	struct got *g = ud;
	size_t l = strlen(g->log);
	snprintf(g->log + l, sizeof g->log - l, "[%s|%.*s]", ev, (int)n, data);
	g->n++;
	return 0;
}

TEST(sse_basic_events_and_comments)
{
	struct sse s;
	struct got g = { "", 0 };
	const char *in = ": keep-alive\n\ndata: {\"a\":1}\n\nevent: done\ndata: x\ndata: y\n\n";
	sse_init(&s, collect, &g);
	T_EQ_INT(sse_feed(&s, in, strlen(in)), 0);
	T_EQ_STR(g.log, "[message|{\"a\":1}][done|x\ny]");
	T_EQ_INT(sse_pending(&s), 0);
	sse_cleanup(&s);
}

TEST(sse_byte_by_byte_with_crlf_split)
{
	struct sse s;
	struct got g = { "", 0 };
	const char *in = "data:no-space\r\n\r\ndata: two\r\n\r\n";
	sse_init(&s, collect, &g);
	for (size_t i = 0; in[i]; i++)
		T_EQ_INT(sse_feed(&s, in + i, 1), 0);
	T_EQ_STR(g.log, "[message|no-space][message|two]");
	sse_cleanup(&s);
}

/* Found by fuzz/sse.c: a BOM split across reads was kept as part of the
 * first field name, so the first event was lost when the server's first
 * write was shorter than the BOM. */
TEST(sse_bom_split_across_chunks)
{
	struct sse s;
	struct got g = { "", 0 };
	const char *in = "\xEF\xBB\xBF" "data: first\n\n";
	sse_init(&s, collect, &g);
	T_EQ_INT(sse_feed(&s, in, 1), 0);
	T_EQ_INT(sse_feed(&s, in + 1, 1), 0);
	T_EQ_INT(sse_feed(&s, in + 2, strlen(in) - 2), 0);
	T_EQ_STR(g.log, "[message|first]");
	sse_cleanup(&s);
}

/* Half a BOM followed by text: the held bytes start the first line. */
TEST(sse_partial_bom_is_text)
{
	struct sse s;
	struct got g = { "", 0 };
	sse_init(&s, collect, &g);
	T_EQ_INT(sse_feed(&s, "\xEF", 1), 0);
	T_ASSERT(sse_pending(&s));
	T_EQ_INT(sse_feed(&s, "\xBB" "data: x\n\ndata: y\n\n", 19), 0);
	T_EQ_STR(g.log, "[message|y]");
	sse_cleanup(&s);
}

TEST(sse_cut_stream_is_pending)
{
	struct sse s;
	struct got g = { "", 0 };
	const char *in = "data: complete\n\ndata: half";
	sse_init(&s, collect, &g);
	sse_feed(&s, in, strlen(in));
	T_EQ_INT(g.n, 1);
	T_ASSERT(sse_pending(&s));
	sse_cleanup(&s);
}

static int stop_at_first(void *ud, const char *ev, const char *data, size_t n)
{
	(void)ev; (void)data; (void)n;
	(*(int *)ud)++;
	return 7;
}

TEST(sse_callback_stops_parsing)
{
	struct sse s;
	int calls = 0;
	const char *in = "data: a\n\ndata: b\n\n";
	sse_init(&s, stop_at_first, &calls);
	T_EQ_INT(sse_feed(&s, in, strlen(in)), 7);
	T_EQ_INT(calls, 1);
	sse_cleanup(&s);
}

/* Ollama writes a mid-stream error as a bare JSON line: handed on as a
 * "raw" event rather than dropped as an unknown field. */
TEST(sse_bare_json_line_is_an_event)
{
	struct sse s;
	struct got g = { "", 0 };
	const char *in = "data: {\"a\":1}\n\n{\"error\":{\"message\":\"boom\"}}\n";
	sse_init(&s, collect, &g);
	T_EQ_INT(sse_feed(&s, in, strlen(in)), 0);
	T_EQ_STR(g.log, "[message|{\"a\":1}][raw|{\"error\":{\"message\":\"boom\"}}]");
	sse_cleanup(&s);
}

/* A server that keeps sending small events: the whole stream is capped
 * (issue 9), not only each event. */
TEST(sse_total_size_is_capped)
{
	static char chunk[1 << 16];
	struct sse s;
	struct got g = { "", 0 };
	size_t fed = 0;
	int rc = 0;
	for (size_t i = 0; i + 8 < sizeof chunk; i += 8)
		memcpy(chunk + i, ": ping\n\n", 8);
	sse_init(&s, collect, &g);
	while (fed <= SSE_MAX_TOTAL + sizeof chunk && !rc) {
		rc = sse_feed(&s, chunk, sizeof chunk - sizeof chunk % 8);
		fed += sizeof chunk;
	}
	T_EQ_INT(rc, -2);
	T_ASSERT(sse_over_total(&s));
	T_ASSERT(fed >= SSE_MAX_TOTAL);
	sse_cleanup(&s);
}
