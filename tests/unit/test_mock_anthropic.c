/* test_mock_anthropic.c — the mock server's Anthropic Messages protocol
 * and every injected fault, over HTTP on loopback with libcurl: shapes,
 * event streams, errors, what a client observes for each fault, and that
 * fault draws are reproducible and let a retrying client through. */
#include "t.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mock/mock.h"
#include "mock/mock_int.h"
#include "util/buf.h"
#include "util/fsutil.h"

struct call {
	long status;
	CURLcode cc;
	struct buf body, headers;
	char *type;      /* owned Content-Type, or NULL */
};

static size_t collect(char *p, size_t size, size_t n, void *ud)
{
	buf_append(ud, p, size * n);
	return size * n;
}

static void call_free(struct call *c)
{
	buf_free(&c->body);
	buf_free(&c->headers);
	free(c->type);
}

/* POSTs body to path (fresh connection each time); `anthropic` adds the
 * anthropic-version and x-api-key headers.  timeout_ms 0 = none. */
static void post(int port, const char *path, const char *body, int anthropic,
		 long timeout_ms, struct call *out)
{
	CURL *h = curl_easy_init();
	struct curl_slist *hd = NULL;
	char url[256];
	char *type = NULL;
	memset(out, 0, sizeof *out);
	snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
	hd = curl_slist_append(hd, "Content-Type: application/json");
	if (anthropic) {
		hd = curl_slist_append(hd, "anthropic-version: 2023-06-01");
		hd = curl_slist_append(hd, "x-api-key: anything");
	}
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &out->body);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, collect);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &out->headers);
	curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
	if (timeout_ms)
		curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
	out->cc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->status);
	curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &type);
	out->type = type ? strdup(type) : NULL;
	curl_slist_free_all(hd);
	curl_easy_cleanup(h);
}

static struct mock_server *start(const char *rules, const char *faults)
{
	struct mock_config cfg = { .rules_yaml = rules, .quiet = 1, .threads = 2,
				   .faults = faults };
	struct mock_server *s = NULL;
	struct err e = { 0 };
	if (mock_server_start(&cfg, &s, &e) != ST_OK)
		return NULL;
	return s;
}

static const char rules[] =
	"models:\n"
	"  - name: claude-mock\n"
	"  - name: long\n"
	"    default: 'aaaa bbbb cccc dddd eeee'\n"
	"rules:\n"
	"  - contains: capital of France\n"
	"    reply: Paris\n"
	"  - contains: 'SYS|'\n"
	"    match_in: all\n"
	"    reply: '{{prompt}}'\n"
	"  - regex: 'my name is (\\w+)'\n"
	"    reply: 'Hello, $1!'\n";

TEST(mock_anthropic_message_shape)
{
	struct mock_server *s = start(rules, NULL);
	struct call c;
	json_t *j, *blk, *u;
	int port;
	T_ASSERT(s != NULL);
	port = mock_server_port(s);
	post(port, "/v1/messages", "{\"model\":\"claude-mock\",\"max_tokens\":64,"
	     "\"system\":\"Be brief.\",\"messages\":[{\"role\":\"user\",\"content\":"
	     "\"What is the capital of France?\"}]}", 1, 0, &c);
	T_EQ_INT(c.status, 200);
	j = json_loads(buf_str(&c.body), 0, NULL);
	T_ASSERT(j != NULL);
	T_ASSERT(!strncmp(json_string_value(json_object_get(j, "id")), "msg_", 4));
	T_EQ_STR(json_string_value(json_object_get(j, "type")), "message");
	T_EQ_STR(json_string_value(json_object_get(j, "role")), "assistant");
	T_EQ_STR(json_string_value(json_object_get(j, "model")), "claude-mock");
	T_EQ_INT(json_array_size(json_object_get(j, "content")), 1);
	blk = json_array_get(json_object_get(j, "content"), 0);
	T_EQ_STR(json_string_value(json_object_get(blk, "type")), "text");
	T_EQ_STR(json_string_value(json_object_get(blk, "text")), "Paris");
	T_EQ_STR(json_string_value(json_object_get(j, "stop_reason")), "end_turn");
	T_ASSERT(json_is_null(json_object_get(j, "stop_sequence")));
	u = json_object_get(j, "usage");
	/* "Be brief.\nWhat is the capital of France?" = 40 bytes */
	T_EQ_INT(json_integer_value(json_object_get(u, "input_tokens")), 10);
	T_EQ_INT(json_integer_value(json_object_get(u, "output_tokens")), 2);
	json_decref(j);
	call_free(&c);

	/* system as text blocks, content as blocks, without /v1: the prompt
	 * text is system + messages joined by newlines */
	post(port, "/messages", "{\"model\":\"claude-mock\",\"max_tokens\":64,"
	     "\"system\":[{\"type\":\"text\",\"text\":\"SYS|\"}],\"messages\":["
	     "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"a\"}]},"
	     "{\"role\":\"assistant\",\"content\":\"b\"},"
	     "{\"role\":\"user\",\"content\":\"c\"}]}", 1, 0, &c);
	T_EQ_INT(c.status, 200);
	T_ASSERT(strstr(buf_str(&c.body), "\"text\":\"SYS|\\na\\nb\\nc\"") != NULL);
	call_free(&c);

	/* max_tokens cuts the reply: stop_reason max_tokens */
	post(port, "/v1/messages", "{\"model\":\"long\",\"max_tokens\":2,"
	     "\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", 1, 0, &c);
	T_EQ_INT(c.status, 200);
	T_ASSERT(strstr(buf_str(&c.body), "\"text\":\"aaaa bbb\"") != NULL);
	T_ASSERT(strstr(buf_str(&c.body), "\"stop_reason\":\"max_tokens\"") != NULL);
	T_ASSERT(strstr(buf_str(&c.body), "\"output_tokens\":2") != NULL);
	call_free(&c);
	mock_server_stop(s);
}

/* The data of each event of an Anthropic stream, checked against its
 * event: line; returns the event names joined by spaces. */
static char *event_names(const char *sse, struct buf *text, long *in, long *out,
			 const char **stop)
{
	struct buf names = { 0 };
	const char *p = sse;
	static char stop_buf[32];
	*stop = NULL;
	while ((p = strstr(p, "event: "))) {
		const char *e = strchr(p, '\n'), *d, *de;
		json_t *j;
		if (!e || strncmp(e + 1, "data: ", 6))
			break;
		d = e + 7;
		de = strstr(d, "\n\n");
		if (!de)
			break;
		j = json_loadb(d, (size_t)(de - d), 0, NULL);
		if (!j || strncmp(json_string_value(json_object_get(j, "type")),
				  p + 7, (size_t)(e - p - 7))) {
			json_decref(j);
			buf_puts(&names, "BAD ");
			break;
		}
		buf_append(&names, p + 7, (size_t)(e - p - 7));
		buf_putc(&names, ' ');
		if (!strncmp(p + 7, "message_start", 13))
			*in = (long)json_integer_value(json_object_get(json_object_get(
				json_object_get(j, "message"), "usage"), "input_tokens"));
		if (!strncmp(p + 7, "content_block_delta", 19)) {
			json_t *dl = json_object_get(j, "delta");
			if (strcmp(json_string_value(json_object_get(dl, "type")), "text_delta"))
				buf_puts(&names, "BADDELTA ");
			buf_puts(text, json_string_value(json_object_get(dl, "text")));
		}
		if (!strncmp(p + 7, "message_delta", 13)) {
			*out = (long)json_integer_value(json_object_get(
				json_object_get(j, "usage"), "output_tokens"));
			snprintf(stop_buf, sizeof stop_buf, "%s", json_string_value(
				json_object_get(json_object_get(j, "delta"), "stop_reason")));
			*stop = stop_buf;
		}
		json_decref(j);
		p = de + 2;
	}
	return buf_detach(&names);
}

TEST(mock_anthropic_stream_events)
{
	struct mock_server *s = start(rules, NULL);
	struct call c;
	struct buf text = { 0 };
	long in = -1, out = -1;
	const char *stop;
	char *names;
	T_ASSERT(s != NULL);
	post(mock_server_port(s), "/v1/messages", "{\"model\":\"claude-mock\","
	     "\"max_tokens\":64,\"stream\":true,\"messages\":[{\"role\":\"user\","
	     "\"content\":\"my name is Ada Lovelace\"}]}", 1, 0, &c);
	T_EQ_INT(c.status, 200);
	T_ASSERT(c.type && !strcmp(c.type, "text/event-stream"));
	names = event_names(buf_str(&c.body), &text, &in, &out, &stop);
	T_EQ_STR(names, "message_start content_block_start ping content_block_delta "
		 "content_block_delta content_block_stop message_delta message_stop ");
	T_EQ_STR(buf_str(&text), "Hello, Ada!");
	T_EQ_INT(in, 6);
	T_EQ_INT(out, 3);
	T_EQ_STR(stop, "end_turn");
	free(names);
	buf_free(&text);
	call_free(&c);
	mock_server_stop(s);
}

TEST(mock_anthropic_errors)
{
	struct mock_server *s = start(rules, NULL);
	struct call c;
	json_t *j;
	int port;
	T_ASSERT(s != NULL);
	port = mock_server_port(s);
	/* no anthropic-version header */
	post(port, "/v1/messages", "{\"model\":\"claude-mock\",\"max_tokens\":5,"
	     "\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", 0, 0, &c);
	T_EQ_INT(c.status, 400);
	j = json_loads(buf_str(&c.body), 0, NULL);
	T_EQ_STR(json_string_value(json_object_get(j, "type")), "error");
	T_EQ_STR(json_string_value(json_object_get(json_object_get(j, "error"), "type")),
		 "invalid_request_error");
	T_ASSERT(strstr(json_string_value(json_object_get(json_object_get(j, "error"),
							  "message")), "anthropic-version") != NULL);
	json_decref(j);
	call_free(&c);
	/* unknown model: 404 not_found_error */
	post(port, "/v1/messages", "{\"model\":\"claude-9\",\"max_tokens\":5,"
	     "\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", 1, 0, &c);
	T_EQ_INT(c.status, 404);
	T_ASSERT(strstr(buf_str(&c.body), "\"type\":\"not_found_error\"") != NULL);
	call_free(&c);
	/* max_tokens missing, a system role, bad JSON, no messages */
	post(port, "/v1/messages", "{\"model\":\"claude-mock\",\"messages\":"
	     "[{\"role\":\"user\",\"content\":\"x\"}]}", 1, 0, &c);
	T_EQ_INT(c.status, 400);
	T_ASSERT(strstr(buf_str(&c.body), "max_tokens") != NULL);
	call_free(&c);
	post(port, "/v1/messages", "{\"model\":\"claude-mock\",\"max_tokens\":5,"
	     "\"messages\":[{\"role\":\"system\",\"content\":\"x\"}]}", 1, 0, &c);
	T_EQ_INT(c.status, 400);
	T_ASSERT(strstr(buf_str(&c.body), "messages.0.role") != NULL);
	call_free(&c);
	post(port, "/v1/messages", "{\"model\":", 1, 0, &c);
	T_EQ_INT(c.status, 400);
	T_ASSERT(strstr(buf_str(&c.body), "\"type\":\"error\"") != NULL);
	call_free(&c);
	post(port, "/v1/messages", "{\"model\":\"claude-mock\",\"max_tokens\":5,"
	     "\"system\":3,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", 1, 0, &c);
	T_EQ_INT(c.status, 400);
	call_free(&c);
	post(port, "/v1/messages", "{\"model\":\"claude-mock\",\"max_tokens\":5}", 1, 0, &c);
	T_EQ_INT(c.status, 400);
	call_free(&c);
	mock_server_stop(s);
}

/* ---- faults over HTTP ---------------------------------------------------- */

static const char chat_body[] =
	"{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":"
	"\"say something long enough to cut in half\"}]}";
static const char chat_stream[] =
	"{\"model\":\"m\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":"
	"\"say something long enough to cut in half\"}]}";
static const char msg_body[] =
	"{\"model\":\"m\",\"max_tokens\":99,\"messages\":[{\"role\":\"user\",\"content\":"
	"\"say something long enough to cut in half\"}]}";
static const char msg_stream[] =
	"{\"model\":\"m\",\"max_tokens\":99,\"stream\":true,\"messages\":[{\"role\":"
	"\"user\",\"content\":\"say something long enough to cut in half\"}]}";

#define ECHO_RULES "models: [{name: m}]\ndefault: '{{last_user}}'\n"

TEST(mock_fault_status_codes)
{
	struct mock_server *s = start(ECHO_RULES, "rate_limit=1,retry_after=2,retry_after_ms=150");
	struct call c;
	T_ASSERT(s != NULL);
	post(mock_server_port(s), "/v1/chat/completions", chat_body, 0, 0, &c);
	T_EQ_INT(c.status, 429);
	T_ASSERT(strstr(buf_str(&c.headers), "Retry-After: 2\r\n") != NULL);
	T_ASSERT(strstr(buf_str(&c.headers), "retry-after-ms: 150\r\n") != NULL);
	T_ASSERT(strstr(buf_str(&c.body), "\"code\":\"rate_limit_exceeded\"") != NULL);
	call_free(&c);
	post(mock_server_port(s), "/v1/messages", msg_body, 1, 0, &c);
	T_EQ_INT(c.status, 429);
	T_ASSERT(strstr(buf_str(&c.body), "{\"type\":\"error\",\"error\":{\"type\":"
			"\"rate_limit_error\"") != NULL);
	call_free(&c);
	T_EQ_INT(mock_server_faults(s), 2);
	mock_server_stop(s);

	s = start(ECHO_RULES, "rate_limit=1");   /* default hint: Retry-After: 1 */
	T_ASSERT(s != NULL);
	post(mock_server_port(s), "/v1/chat/completions", chat_body, 0, 0, &c);
	T_ASSERT(strstr(buf_str(&c.headers), "Retry-After: 1\r\n") != NULL);
	T_ASSERT(strstr(buf_str(&c.headers), "retry-after-ms") == NULL);
	call_free(&c);
	mock_server_stop(s);

	s = start(ECHO_RULES, "server_error=1");
	T_ASSERT(s != NULL);
	post(mock_server_port(s), "/v1/chat/completions", chat_body, 0, 0, &c);
	T_EQ_INT(c.status, 500);
	T_ASSERT(strstr(buf_str(&c.body), "\"type\":\"server_error\"") != NULL);
	call_free(&c);
	post(mock_server_port(s), "/v1/messages", msg_body, 1, 0, &c);
	T_EQ_INT(c.status, 500);
	T_ASSERT(strstr(buf_str(&c.body), "\"type\":\"api_error\"") != NULL);
	call_free(&c);
	mock_server_stop(s);

	s = start(ECHO_RULES, "unavailable=1");
	T_ASSERT(s != NULL);
	post(mock_server_port(s), "/v1/messages", msg_body, 1, 0, &c);
	T_EQ_INT(c.status, 503);
	T_ASSERT(strstr(buf_str(&c.body), "\"type\":\"overloaded_error\"") != NULL);
	call_free(&c);
	/* a request the server rejects anyway is not faulted */
	post(mock_server_port(s), "/v1/messages", msg_body, 0, 0, &c);
	T_EQ_INT(c.status, 400);
	call_free(&c);
	mock_server_stop(s);
}

TEST(mock_fault_broken_transports)
{
	struct mock_server *s = start(ECHO_RULES, "reset=1");
	struct call c;
	json_error_t je;
	json_t *j;
	double t0;
	T_ASSERT(s != NULL);
	post(mock_server_port(s), "/v1/chat/completions", chat_body, 0, 0, &c);
	T_ASSERT(c.cc == CURLE_RECV_ERROR || c.cc == CURLE_GOT_NOTHING);
	T_EQ_INT(c.status, 0);
	call_free(&c);
	mock_server_stop(s);

	s = start(ECHO_RULES, "stream_cut=1");
	T_ASSERT(s != NULL);
	post(mock_server_port(s), "/v1/chat/completions", chat_body, 0, 0, &c);
	T_EQ_INT(c.cc, CURLE_PARTIAL_FILE);   /* Content-Length not reached */
	T_ASSERT(c.body.len > 0);
	call_free(&c);
	post(mock_server_port(s), "/v1/chat/completions", chat_stream, 0, 0, &c);
	T_EQ_INT(c.cc, CURLE_PARTIAL_FILE);   /* chunked stream not ended */
	T_ASSERT(strstr(buf_str(&c.body), "\"content\":\"say \"") != NULL);
	T_ASSERT(strstr(buf_str(&c.body), "[DONE]") == NULL);
	call_free(&c);
	post(mock_server_port(s), "/v1/messages", msg_stream, 1, 0, &c);
	T_EQ_INT(c.cc, CURLE_PARTIAL_FILE);
	T_ASSERT(strstr(buf_str(&c.body), "event: message_start") != NULL);
	T_ASSERT(strstr(buf_str(&c.body), "message_stop") == NULL);
	call_free(&c);
	mock_server_stop(s);

	s = start(ECHO_RULES, "malformed=1");
	T_ASSERT(s != NULL);
	post(mock_server_port(s), "/v1/chat/completions", chat_body, 0, 0, &c);
	T_EQ_INT(c.cc, CURLE_OK);
	T_EQ_INT(c.status, 200);
	T_ASSERT(c.type && !strcmp(c.type, "application/json"));
	j = json_loads(buf_str(&c.body), 0, &je);
	T_ASSERT(j == NULL);
	call_free(&c);
	/* a stream with one broken event, then the rest and its end */
	post(mock_server_port(s), "/v1/chat/completions", chat_stream, 0, 0, &c);
	T_EQ_INT(c.cc, CURLE_OK);
	T_ASSERT(strstr(buf_str(&c.body), "{\"con\n\n") != NULL);
	T_ASSERT(strstr(buf_str(&c.body), "data: [DONE]\n\n") != NULL);
	call_free(&c);
	post(mock_server_port(s), "/v1/messages", msg_stream, 1, 0, &c);
	T_EQ_INT(c.cc, CURLE_OK);
	T_ASSERT(strstr(buf_str(&c.body), "{\"ty\n\n") != NULL);
	T_ASSERT(strstr(buf_str(&c.body), "event: message_stop\n") != NULL);
	call_free(&c);
	mock_server_stop(s);

	s = start(ECHO_RULES, "wrong_content_type=1");
	T_ASSERT(s != NULL);
	post(mock_server_port(s), "/v1/messages", msg_body, 1, 0, &c);
	T_EQ_INT(c.status, 200);
	T_ASSERT(c.type && !strncmp(c.type, "text/html", 9));
	T_ASSERT(strstr(buf_str(&c.body), "<html>") != NULL);
	call_free(&c);
	mock_server_stop(s);

	/* hang: nothing for hang_ms, so a 150 ms client timeout fires */
	s = start(ECHO_RULES, "hang=1,hang_ms=600");
	T_ASSERT(s != NULL);
	t0 = fs_mono_ms();
	post(mock_server_port(s), "/v1/chat/completions", chat_body, 0, 150, &c);
	T_EQ_INT(c.cc, CURLE_OPERATION_TIMEDOUT);
	T_ASSERT(fs_mono_ms() - t0 < 550);
	call_free(&c);
	/* without a timeout the client sees the connection closed, late */
	t0 = fs_mono_ms();
	post(mock_server_port(s), "/v1/chat/completions", chat_body, 0, 0, &c);
	T_ASSERT(c.cc != CURLE_OK);
	T_ASSERT(fs_mono_ms() - t0 >= 590);
	call_free(&c);
	mock_server_stop(s);   /* does not wait out other sleeping hangs */

	/* slow_stream: 60 ms between events; plain requests are unaffected */
	s = start(ECHO_RULES, "slow_stream=1,slow_stream_ms=60");
	T_ASSERT(s != NULL);
	t0 = fs_mono_ms();
	post(mock_server_port(s), "/v1/chat/completions", chat_body, 0, 0, &c);
	T_EQ_INT(c.status, 200);
	T_ASSERT(fs_mono_ms() - t0 < 200);
	call_free(&c);
	t0 = fs_mono_ms();
	post(mock_server_port(s), "/v1/messages", msg_stream, 1, 0, &c);
	T_EQ_INT(c.cc, CURLE_OK);
	T_ASSERT(strstr(buf_str(&c.body), "message_stop") != NULL);
	/* 13 events → 12 pauses of 60 ms */
	T_ASSERT(fs_mono_ms() - t0 >= 12 * 60 - 5);
	call_free(&c);
	mock_server_stop(s);
}

/* The sequence of statuses of n identical requests. */
static void statuses(int port, int n, char *out)
{
	struct call c;
	for (int i = 0; i < n; i++) {
		post(port, "/v1/chat/completions", chat_body, 0, 0, &c);
		out[i] = c.status == 200 ? '.' : c.status == 500 ? 'E' : '?';
		call_free(&c);
	}
	out[n] = '\0';
}

TEST(mock_fault_seeded_and_retry_succeeds)
{
	struct mock_config cfg = { .rules_yaml = ECHO_RULES, .quiet = 1,
				   .faults = "server_error=0.5", .seed = 5,
				   .seed_set = 1 };
	struct mock_server *s = NULL;
	struct err e = { 0 };
	char a[41], b[41], d[41];
	T_EQ_INT(mock_server_start(&cfg, &s, &e), ST_OK);
	statuses(mock_server_port(s), 40, a);
	mock_server_stop(s);
	/* the same seed on a new server: the same attempt-by-attempt story */
	T_EQ_INT(mock_server_start(&cfg, &s, &e), ST_OK);
	statuses(mock_server_port(s), 40, b);
	mock_server_stop(s);
	T_EQ_STR(a, b);
	/* retries of one prompt meet both outcomes: a client gets through */
	T_ASSERT(strchr(a, '.') != NULL);
	T_ASSERT(strchr(a, 'E') != NULL);
	T_ASSERT(strchr(a, '?') == NULL);
	cfg.seed = 6;
	T_EQ_INT(mock_server_start(&cfg, &s, &e), ST_OK);
	statuses(mock_server_port(s), 40, d);
	mock_server_stop(s);
	T_ASSERT(strcmp(a, d) != 0);
	/* a bad --faults spec is a usage error */
	cfg.faults = "server_error=2";
	T_EQ_INT(mock_server_start(&cfg, &s, &e), ST_USAGE);
	T_ASSERT(s == NULL);
}

TEST(mock_fault_rule_wins_over_model)
{
	static const char y[] =
		"models:\n"
		"  - name: m\n"
		"    faults: {server_error: 1}\n"
		"rules:\n"
		"  - contains: spared\n"
		"    reply: fine\n"
		"    faults: {}\n"
		"  - contains: limited\n"
		"    reply: never\n"
		"    faults: {rate_limit: 1, retry_after: 0}\n";
	struct mock_server *s = start(y, NULL);
	struct call c;
	int port;
	T_ASSERT(s != NULL);
	port = mock_server_port(s);
	post(port, "/v1/chat/completions", "{\"model\":\"m\",\"messages\":[{\"role\":"
	     "\"user\",\"content\":\"you are spared\"}]}", 0, 0, &c);
	T_EQ_INT(c.status, 200);
	T_ASSERT(strstr(buf_str(&c.body), "\"fine\"") != NULL);
	call_free(&c);
	post(port, "/v1/chat/completions", "{\"model\":\"m\",\"messages\":[{\"role\":"
	     "\"user\",\"content\":\"you are limited\"}]}", 0, 0, &c);
	T_EQ_INT(c.status, 429);
	T_ASSERT(strstr(buf_str(&c.headers), "Retry-After: 0\r\n") != NULL);
	call_free(&c);
	post(port, "/v1/chat/completions", "{\"model\":\"m\",\"messages\":[{\"role\":"
	     "\"user\",\"content\":\"anything else\"}]}", 0, 0, &c);
	T_EQ_INT(c.status, 500);
	call_free(&c);
	T_EQ_INT(mock_server_requests(s), 3);
	T_EQ_INT(mock_server_faults(s), 2);
	mock_server_stop(s);
}
