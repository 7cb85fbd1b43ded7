/* mock_server.c — the HTTP side of `assay mock`, on libmicrohttpd.
 *
 * Threading.  Two MHD modes, chosen from the rules at start:
 *  - no model has latency or a stream chunk delay: an epoll thread pool
 *    (one event loop per worker thread).  This is the fast path the
 *    throughput benchmark runs against: no thread switch per request.
 *  - some model sleeps: one thread per connection, so that a request
 *    waiting out its latency never delays another connection.  Sleeps are
 *    timed waits on a condition variable, so stopping the server does not
 *    wait for them.
 * (Suspend/resume with a timer heap would serve sleeping models from a
 * pool too; thread-per-connection was simpler and is fast enough for the
 * latency benchmark — 64 connections × 100 ms.)
 *
 * Each request's body is collected (capped at MOCK_BODY_MAX → 413), parsed
 * with jansson, reduced to a `struct mock_prompt`, answered by
 * mock_rules_answer() and written by mock_reply.c.
 *
 * A model's `profile` (mock_profile.c) decides the shape of its error
 * bodies and stream error events; `loading_ms`, `context_tokens` and
 * `served_model` reproduce a loading server, an over-long prompt and a
 * server that names another model than the one asked for; the llamacpp
 * profile closes the connection after each stream (on_completed). */
#include "mock.h"
#include "mock_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "util/fsutil.h"
#include "util/xalloc.h"

#define MOCK_BODY_MAX ((size_t)8 << 20)

struct mock_server {
	struct MHD_Daemon *d;
	struct mock_rules *rules;
	uint64_t seed;
	int port;
	int quiet;
	int per_conn;             /* thread-per-connection mode */
	struct mock_attempts *attempts;  /* NULL when no fault can happen */
	struct mock_queue *queue;        /* NULL when no model queues */
	atomic_uint_fast64_t n_req, n_faults;
	double t_start;           /* monotonic ms at start (loading_ms) */
	/* interruptible sleeps */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stopping;
};

enum route {
	R_CHAT, R_COMPLETIONS, R_MESSAGES, R_EMBED, R_MODELS, R_MODEL, R_HEALTH, R_NOT_FOUND,
	R_BAD_METHOD
};

struct req {
	enum route route;
	struct buf body;
	int too_large;
	int close_after;          /* shut the socket once the reply is out */
};

/* A body sent piece by piece: stream events one at a time with a pause
 * between them, and/or cut short (the stream_cut fault). */
struct feed {
	struct mock_server *s;
	char *data;
	size_t len, pos;
	size_t *ends;             /* end offset of each event; NULL: one piece */
	size_t n_ends, next;
	int delay_ms;             /* between events */
	size_t cut_at;            /* close the connection here; SIZE_MAX: never */
	int fd;                   /* the connection's socket, -1 unknown */
	int endless;              /* repeat `data` forever (up to ENDLESS_MAX) */
};

#define ENDLESS_MAX ((uint64_t)1 << 30)

/* What a request asks, whichever the protocol. */
struct query {
	int anthropic;            /* the Messages API, else chat completions */
	int text;                 /* the legacy /completions API (a prompt,
				   * choices[0].text) */
	const char *model;        /* borrowed from the JSON tree */
	struct buf all, last;     /* see struct mock_prompt */
	int has_system;           /* Anthropic `system` given: all starts with it */
	int stream, include_usage;
	int logprobs;             /* OpenAI `logprobs: true` */
	long max_tokens;          /* 0 = no limit */
};

/* Error kinds, each with its OpenAI type/code and its Anthropic type. */
enum ekind { E_INVALID, E_MODEL, E_TOO_LARGE, E_RATE, E_SERVER, E_UNAVAIL };

static const struct {
	const char *type, *code, *anthropic;
} ekinds[] = {
	[E_INVALID] = { "invalid_request_error", NULL, "invalid_request_error" },
	[E_MODEL] = { "invalid_request_error", "model_not_found", "not_found_error" },
	[E_TOO_LARGE] = { "invalid_request_error", "request_too_large", "request_too_large" },
	[E_RATE] = { "requests", "rate_limit_exceeded", "rate_limit_error" },
	[E_SERVER] = { "server_error", NULL, "api_error" },
	[E_UNAVAIL] = { "server_error", "service_unavailable", "overloaded_error" },
};

/* ---- small helpers ------------------------------------------------------ */

/* Sleeps ms milliseconds unless the server is stopping. */
static void nap(struct mock_server *s, int ms)
{
	struct timespec ts;
	if (ms <= 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&s->mu);
	while (!s->stopping &&
	       pthread_cond_timedwait(&s->cv, &s->mu, &ts) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&s->mu);
}

static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static enum route route_of(const char *method, const char *url)
{
	int get = !strcmp(method, "GET"), post = !strcmp(method, "POST");
	if (!strncmp(url, "/v1/", 4))
		url += 3;     /* every route also answers without /v1 */
	if (!strcmp(url, "/chat/completions"))
		return post ? R_CHAT : R_BAD_METHOD;
	if (!strcmp(url, "/completions"))
		return post ? R_COMPLETIONS : R_BAD_METHOD;
	if (!strcmp(url, "/messages"))
		return post ? R_MESSAGES : R_BAD_METHOD;
	if (!strcmp(url, "/embeddings"))
		return post ? R_EMBED : R_BAD_METHOD;
	if (!strcmp(url, "/models"))
		return get ? R_MODELS : R_BAD_METHOD;
	if (!strncmp(url, "/models/", 8) && url[8])
		return get ? R_MODEL : R_BAD_METHOD;
	if (!strcmp(url, "/health"))
		return get ? R_HEALTH : R_BAD_METHOD;
	return R_NOT_FOUND;
}

/* Queues a response (destroyed here) with the given status. */
static enum MHD_Result queue(struct MHD_Connection *c, unsigned status,
			     struct MHD_Response *r, const char *type)
{
	enum MHD_Result rc;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, POST");
	if (!strcmp(type, "text/event-stream"))
		MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

/* Queues `body` (consumed) with the given status and content type. */
static enum MHD_Result send_buf(struct MHD_Connection *c, unsigned status,
				struct buf *body, const char *type)
{
	size_t len = body->len;
	char *p = buf_detach(body);
	struct MHD_Response *r = MHD_create_response_from_buffer(
		len, p, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(p);
		return MHD_NO;
	}
	return queue(c, status, r, type);
}

/* Writes an error body in the protocol's shape into b. */
__attribute__((format(printf, 4, 0)))
static void error_body(struct buf *b, int anthropic, enum ekind k,
		       const char *fmt, va_list ap)
{
	char msg[1024];
	vsnprintf(msg, sizeof msg, fmt, ap);
	if (anthropic)
		mock_reply_anthropic_error(b, ekinds[k].anthropic, "%s", msg);
	else
		mock_reply_error(b, ekinds[k].type, ekinds[k].code, "%s", msg);
}

__attribute__((format(printf, 5, 6)))
static enum MHD_Result send_error(struct MHD_Connection *c, int anthropic,
				  unsigned status, enum ekind k,
				  const char *fmt, ...)
{
	struct buf b = { 0 };
	va_list ap;
	va_start(ap, fmt);
	error_body(&b, anthropic, k, fmt, ap);
	va_end(ap);
	return send_buf(c, status, &b, "application/json");
}

/* ---- fed bodies --------------------------------------------------------- */

static ssize_t feed_read(void *cls, uint64_t pos, char *out, size_t max)
{
	struct feed *f = cls;
	size_t end, n;
	if (f->endless) {   /* the same event again and again */
		size_t k = 0;
		if (pos >= ENDLESS_MAX)
			return MHD_CONTENT_READER_END_OF_STREAM;
		while (k + f->len <= max) {
			memcpy(out + k, f->data, f->len);
			k += f->len;
		}
		return (ssize_t)k;
	}
	if (f->pos >= f->cut_at) {
		/* MHD marks the connection for closing but, in epoll mode,
		 * only acts on it at the connection's next event, which may
		 * never come: shut the socket down now so the client sees the
		 * end at once.  MHD still owns (and later closes) the fd. */
		if (f->fd >= 0)
			shutdown(f->fd, SHUT_RDWR);
		return MHD_CONTENT_READER_END_WITH_ERROR;
	}
	if (f->pos >= f->len)
		return MHD_CONTENT_READER_END_OF_STREAM;
	if (f->ends && f->next > 0 && f->pos == f->ends[f->next - 1])
		nap(f->s, f->delay_ms);   /* between events, not before the first */
	end = f->ends ? f->ends[f->next] : f->len;
	if (end > f->cut_at)
		end = f->cut_at;
	n = end - f->pos < max ? end - f->pos : max;
	memcpy(out, f->data + f->pos, n);
	f->pos += n;
	if (f->ends && f->pos == f->ends[f->next])
		f->next++;
	return (ssize_t)n;
}

static void feed_free(void *cls)
{
	struct feed *f = cls;
	free(f->data);
	free(f->ends);
	free(f);
}

/* Sends `body` (consumed) through a feed.  `ends` (consumed, may be NULL)
 * are its event ends.  A stream has no Content-Length (chunked); a plain
 * body announces its whole length even when it will be cut. */
static enum MHD_Result send_feed(struct mock_server *s,
				 struct MHD_Connection *c, struct buf *body,
				 size_t *ends, size_t n_ends, int delay_ms,
				 size_t cut_at, const char *type)
{
	struct feed *f = xcalloc(1, sizeof *f);
	int stream = !strcmp(type, "text/event-stream");
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct MHD_Response *r;
	f->s = s;
	f->fd = ci ? ci->connect_fd : -1;
	f->len = body->len;
	f->data = buf_detach(body);
	f->ends = ends;
	f->n_ends = n_ends;
	f->delay_ms = delay_ms;
	f->cut_at = cut_at;
	r = MHD_create_response_from_callback(stream ? MHD_SIZE_UNKNOWN : f->len,
					      4096, feed_read, f, feed_free);
	if (!r) {
		feed_free(f);
		return MHD_NO;
	}
	return queue(c, MHD_HTTP_OK, r, type);
}

/* Sends `event` (consumed) again and again as an event stream. */
static enum MHD_Result send_endless(struct mock_server *s,
				    struct MHD_Connection *c, struct buf *event)
{
	struct feed *f = xcalloc(1, sizeof *f);
	struct MHD_Response *r;
	f->s = s;
	f->fd = -1;
	f->len = event->len;
	f->data = buf_detach(event);
	f->endless = 1;
	f->cut_at = SIZE_MAX;
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024,
					      feed_read, f, feed_free);
	if (!r) {
		feed_free(f);
		return MHD_NO;
	}
	return queue(c, MHD_HTTP_OK, r, "text/event-stream");
}

/* A 302 to /moved with `body` (consumed) as a JSON body. */
static enum MHD_Result send_redirect(struct MHD_Connection *c, struct buf *body)
{
	size_t len = body->len;
	char *p = buf_detach(body);
	struct MHD_Response *r = MHD_create_response_from_buffer(
		len, p, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(p);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, "/moved");
	return queue(c, MHD_HTTP_FOUND, r, "application/json");
}

/* Closes the connection with a TCP reset and no response. */
static enum MHD_Result reset_connection(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (ci) {
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };
		(void)setsockopt(ci->connect_fd, SOL_SOCKET, SO_LINGER, &lg,
				 sizeof lg);
	}
	return MHD_NO;
}

/* ---- reading requests --------------------------------------------------- */

/* Appends a message's content (a string, or an array of {type:"text",
 * text} parts) to b.  Returns 0, or -1 when the content has another shape. */
static int content_text(const json_t *content, struct buf *b)
{
	size_t i;
	json_t *part;
	if (!content || json_is_null(content))
		return 0;
	if (json_is_string(content)) {
		buf_append(b, json_string_value(content),
			   json_string_length(content));
		return 0;
	}
	if (!json_is_array(content))
		return -1;
	json_array_foreach(content, i, part) {
		json_t *t = json_object_get(part, "text");
		if (json_is_string(t))
			buf_append(b, json_string_value(t), json_string_length(t));
	}
	return 0;
}

/* Reads `messages` into q->all / q->last (after what q->all holds).
 * `anthropic`: roles must be user or assistant.  Returns 0, or -1 with
 * the message of a 400 in why. */
static int read_messages(const json_t *msgs, struct query *q, char *why,
			 size_t why_len)
{
	size_t i;
	json_t *msg;
	if (!json_is_array(msgs) || !json_array_size(msgs)) {
		snprintf(why, why_len, q->anthropic ? "messages: Field required "
			 "(a non-empty list)" : "'messages' must be a non-empty array");
		return -1;
	}
	json_array_foreach(msgs, i, msg) {
		json_t *role = json_object_get(msg, "role");
		const char *rs = json_string_value(role);
		size_t at;
		if (i > 0 || q->has_system)
			buf_putc(&q->all, '\n');
		at = q->all.len;
		if (!rs || content_text(json_object_get(msg, "content"), &q->all)) {
			snprintf(why, why_len, "messages[%zu]: expected {\"role\": string, "
				 "\"content\": string or array of %s}", i,
				 q->anthropic ? "content blocks" : "parts");
			return -1;
		}
		if (q->anthropic && strcmp(rs, "user") && strcmp(rs, "assistant")) {
			snprintf(why, why_len, "messages.%zu.role: Input should be 'user' "
				 "or 'assistant' (the Messages API takes the system prompt "
				 "as the top-level `system` parameter)", i);
			return -1;
		}
		if (!strcmp(rs, "user")) {
			buf_reset(&q->last);
			buf_append(&q->last, q->all.p ? q->all.p + at : "",
				   q->all.len - at);
		}
	}
	return 0;
}

/* An OpenAI chat completions request. */
static int read_chat(const json_t *root, struct query *q, char *why,
		     size_t why_len)
{
	json_t *opt;
	if (read_messages(json_object_get(root, "messages"), q, why, why_len))
		return -1;
	q->stream = json_is_true(json_object_get(root, "stream"));
	opt = json_object_get(root, "stream_options");
	q->include_usage = json_is_true(json_object_get(opt, "include_usage"));
	q->logprobs = json_is_true(json_object_get(root, "logprobs"));
	opt = json_object_get(root, "max_completion_tokens");
	if (!json_is_integer(opt))
		opt = json_object_get(root, "max_tokens");
	if (json_is_integer(opt) && json_integer_value(opt) > 0)
		q->max_tokens = (long)json_integer_value(opt);
	return 0;
}

/* A legacy completions request: `prompt` a string (or a list of strings,
 * of which the first is answered), stream, max_tokens. */
static int read_text(const json_t *root, struct query *q, char *why,
		     size_t why_len)
{
	json_t *pr = json_object_get(root, "prompt"), *opt;
	if (json_is_array(pr))
		pr = json_array_get(pr, 0);
	if (!json_is_string(pr)) {
		snprintf(why, why_len, "'prompt' must be a string or an array "
			 "of strings");
		return -1;
	}
	buf_append(&q->all, json_string_value(pr), json_string_length(pr));
	buf_append(&q->last, json_string_value(pr), json_string_length(pr));
	q->stream = json_is_true(json_object_get(root, "stream"));
	opt = json_object_get(root, "stream_options");
	q->include_usage = json_is_true(json_object_get(opt, "include_usage"));
	opt = json_object_get(root, "max_tokens");
	if (json_is_integer(opt) && json_integer_value(opt) > 0)
		q->max_tokens = (long)json_integer_value(opt);
	return 0;
}

/* An Anthropic Messages request: system (a string or text blocks),
 * max_tokens (required), messages. */
static int read_anthropic(const json_t *root, struct query *q, char *why,
			  size_t why_len)
{
	json_t *sys = json_object_get(root, "system");
	json_t *mt = json_object_get(root, "max_tokens");
	if (!json_is_integer(mt) || json_integer_value(mt) < 1) {
		snprintf(why, why_len, "max_tokens: Field required (a whole number ≥ 1)");
		return -1;
	}
	q->max_tokens = (long)json_integer_value(mt);
	if (sys && (json_is_array(sys) || json_is_string(sys))) {
		q->has_system = 1;
		if (content_text(sys, &q->all)) {
			snprintf(why, why_len, "system: expected a string or a list "
				 "of text blocks");
			return -1;
		}
	} else if (sys && !json_is_null(sys)) {
		snprintf(why, why_len, "system: expected a string or a list of "
			 "text blocks");
		return -1;
	}
	if (read_messages(json_object_get(root, "messages"), q, why, why_len))
		return -1;
	q->stream = json_is_true(json_object_get(root, "stream"));
	return 0;
}

static void log_line(struct mock_server *s, unsigned status, const char *model,
		     const struct mock_answer *a, enum mock_fault_kind fault,
		     uint64_t attempt, double ms)
{
	char line[512], fs[96] = "", st[12] = "---";
	if (s->quiet)
		return;
	if (status)   /* 0: no response (reset, hang) */
		snprintf(st, sizeof st, "%u", status);
	if (fault != MOCK_FAULT_NONE)
		snprintf(fs, sizeof fs, " fault=%s attempt=%llu",
			 mock_fault_name(fault), (unsigned long long)attempt + 1);
	if (a && a->rule >= 0)
		snprintf(line, sizeof line, "mock: %s %s rule=%s%d draw=%.4f %s%s %.1fms\n",
			 st, model, a->from_model ? "model." : "", a->rule + 1,
			 a->u, a->correct ? "right" : "wrong", fs, ms);
	else
		snprintf(line, sizeof line, "mock: %s %s%s%s %.1fms\n", st,
			 model ? model : "-", a ? " default" : "", fs, ms);
	fputs(line, stderr);
}

/* ---- answering ---------------------------------------------------------- */

/* The 429/500/503 faults, with the rate limit's retry hints. */
static enum MHD_Result send_fault_status(struct MHD_Connection *c,
					 const struct query *q,
					 enum mock_fault_kind k,
					 const struct mock_faults *f,
					 enum mock_profile profile)
{
	struct buf b = { 0 };
	struct MHD_Response *r;
	unsigned status;
	enum ekind ek;
	const char *msg;
	char *p;
	size_t len;
	if (k == MOCK_FAULT_STREAM_ERROR) {   /* asked without streaming */
		status = 500;
		ek = E_SERVER;
		msg = "the model failed (injected by assay mock)";
	} else if (k == MOCK_FAULT_RATE_LIMIT) {
		status = 429;
		ek = E_RATE;
		msg = "Rate limit reached for requests (injected by assay mock).";
	} else if (k == MOCK_FAULT_SERVER_ERROR) {
		status = 500;
		ek = E_SERVER;
		msg = "The server had an error while processing your request "
		      "(injected by assay mock).";
	} else {
		status = 503;
		ek = E_UNAVAIL;
		msg = "The server is overloaded or not ready yet (injected by "
		      "assay mock).";
	}
	if (q->anthropic)
		mock_reply_anthropic_error(&b, ekinds[ek].anthropic, "%s", msg);
	else
		mock_profile_error(&b, profile, status, ekinds[ek].type,
				   ekinds[ek].code, msg);
	len = b.len;
	p = buf_detach(&b);
	r = MHD_create_response_from_buffer(len, p, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(p);
		return MHD_NO;
	}
	if (k == MOCK_FAULT_RATE_LIMIT) {
		char v[32];
		int hint = f->retry_after_s < 0 && f->retry_after_ms < 0;
		if (f->retry_after_s >= 0 || hint) {
			snprintf(v, sizeof v, "%d", hint ? 1 : f->retry_after_s);
			MHD_add_response_header(r, "Retry-After", v);
		}
		if (f->retry_after_ms >= 0) {
			snprintf(v, sizeof v, "%d", f->retry_after_ms);
			MHD_add_response_header(r, "retry-after-ms", v);
		}
	}
	return queue(c, status, r, "application/json");
}

/* Sends a (possibly faulty) stream of the completion. */
static enum MHD_Result send_stream(struct mock_server *s,
				   struct MHD_Connection *c,
				   const struct query *q,
				   const struct mock_completion *comp,
				   int delay_ms, enum mock_fault_kind fault,
				   enum mock_profile profile)
{
	struct buf out = { 0 };
	size_t *ends = NULL, n_ends = 0, cut = SIZE_MAX;
	if (q->anthropic)
		mock_reply_message_stream(&out, comp, &ends, &n_ends);
	else if (q->text)
		mock_reply_text_stream(&out, comp, q->include_usage, &ends,
				       &n_ends);
	else
		mock_reply_stream(&out, comp, q->include_usage, &ends, &n_ends);
	if (fault == MOCK_FAULT_STREAM_CUT) {
		/* after about half the events, never before the first */
		cut = ends[n_ends / 2 > 0 ? n_ends / 2 - 1 : 0];
	} else if (fault == MOCK_FAULT_MALFORMED) {
		/* a broken event after about half of them; the rest follows */
		struct buf b = { 0 };
		size_t k = n_ends / 2 > 0 ? n_ends / 2 - 1 : 0, at = ends[k];
		size_t *ne = xmalloc((n_ends + 1) * sizeof *ne);
		buf_append(&b, out.p, at);
		mock_reply_broken_event(&b, q->anthropic);
		buf_append(&b, out.p + at, out.len - at);
		for (size_t i = 0; i < n_ends; i++)
			ne[i + (i > k)] = ends[i] + (i > k ? b.len - out.len : 0);
		ne[k + 1] = at + (b.len - out.len);
		free(ends);
		ends = ne;
		n_ends++;
		buf_free(&out);
		out = b;
	} else if (fault == MOCK_FAULT_STREAM_ERROR) {
		/* about half the events, then the server's error event (and
		 * whatever its server writes after one) in place of the rest */
		size_t k = n_ends / 2 > 0 ? n_ends / 2 - 1 : 0;
		out.len = ends[k];
		mock_profile_stream_error(&out, profile, q->anthropic);
		ends[k + 1] = out.len;
		n_ends = k + 2;
	} else if (fault == MOCK_FAULT_SLOW_STREAM) {
		/* the delay is the slow_stream_ms the caller passed */
	}
	if (fault == MOCK_FAULT_ENDLESS_STREAM) {
		/* one small content event, sent for ever */
		buf_reset(&out);
		if (q->anthropic)
			buf_puts(&out, "event: content_block_delta\ndata: {\"type\":"
				 "\"content_block_delta\",\"index\":0,\"delta\":"
				 "{\"type\":\"text_delta\",\"text\":\"x\"}}\n\n");
		else
			buf_puts(&out, "data: {\"choices\":[{\"index\":0,\"delta\":"
				 "{\"content\":\"x\"},\"finish_reason\":null}]}\n\n");
		free(ends);
		return send_endless(s, c, &out);
	}
	if (!delay_ms && cut == SIZE_MAX) {
		free(ends);
		return send_buf(c, MHD_HTTP_OK, &out, "text/event-stream");
	}
	return send_feed(s, c, &out, ends, n_ends, delay_ms, cut,
			 "text/event-stream");
}

static enum MHD_Result answer(struct mock_server *s, struct MHD_Connection *c,
			      struct req *rq)
{
	double t0 = fs_mono_ms();
	json_error_t je;
	json_t *root = NULL, *model_j;
	struct query q = { .anthropic = rq->route == R_MESSAGES,
			   .text = rq->route == R_COMPLETIONS };
	struct buf out = { 0 };
	const struct mock_model *m;
	const struct mock_faults *f;
	struct mock_prompt p;
	struct mock_answer a;
	struct mock_completion comp;
	enum mock_fault_kind fault = MOCK_FAULT_NONE;
	uint64_t attempt = 0;
	char id[64], why[512];
	uint64_t n = atomic_fetch_add(&s->n_req, 1);
	int delay, chunk_delay;
	enum MHD_Result rc;

	if (rq->too_large) {
		log_line(s, 413, NULL, NULL, fault, 0, 0);
		return send_error(c, q.anthropic, MHD_HTTP_CONTENT_TOO_LARGE,
				  E_TOO_LARGE, "Request body is larger than %zu bytes.",
				  MOCK_BODY_MAX);
	}
	if (q.anthropic && !MHD_lookup_connection_value(c, MHD_HEADER_KIND,
							"anthropic-version")) {
		log_line(s, 400, NULL, NULL, fault, 0, 0);
		return send_error(c, 1, MHD_HTTP_BAD_REQUEST, E_INVALID,
				  "anthropic-version: header is required");
	}
	root = json_loadb(buf_str(&rq->body), rq->body.len, 0, &je);
	if (!root) {
		log_line(s, 400, NULL, NULL, fault, 0, 0);
		return send_error(c, q.anthropic, MHD_HTTP_BAD_REQUEST, E_INVALID,
				  "We could not parse the JSON body of your "
				  "request: %s (line %d, column %d).", je.text,
				  je.line, je.column);
	}
	model_j = json_object_get(root, "model");
	if (!json_is_object(root) || !json_is_string(model_j) ||
	    !json_string_length(model_j)) {
		rc = send_error(c, q.anthropic, MHD_HTTP_BAD_REQUEST, E_INVALID,
				q.anthropic ? "model: Field required" :
				"you must provide a model parameter");
		log_line(s, 400, NULL, NULL, fault, 0, 0);
		goto out;
	}
	q.model = json_string_value(model_j);
	if ((q.anthropic ? read_anthropic : q.text ? read_text : read_chat)
	    (root, &q, why, sizeof why)) {
		rc = send_error(c, q.anthropic, MHD_HTTP_BAD_REQUEST, E_INVALID,
				"%s", why);
		log_line(s, 400, q.model, NULL, fault, 0, 0);
		goto out;
	}
	m = mock_rules_model(s->rules, q.model);
	if (!m) {
		if (q.anthropic)
			rc = send_error(c, 1, MHD_HTTP_NOT_FOUND, E_MODEL,
					"model: %s", q.model);
		else {
			mock_profile_not_found(&out, s->rules->profile, q.model);
			rc = send_buf(c, MHD_HTTP_NOT_FOUND, &out, "application/json");
		}
		log_line(s, 404, q.model, NULL, fault, 0, 0);
		goto out;
	}

	if (m->loading_ms > 0 && fs_mono_ms() - s->t_start < m->loading_ms) {
		/* like llama-server before its model is loaded: no Retry-After */
		if (q.anthropic)
			mock_reply_anthropic_error(&out, "overloaded_error", "Loading model");
		else
			mock_profile_loading_error(&out, m->profile);
		rc = send_buf(c, MHD_HTTP_SERVICE_UNAVAILABLE, &out, "application/json");
		log_line(s, 503, q.model, NULL, fault, 0, fs_mono_ms() - t0);
		goto out;
	}
	if (m->context_tokens > 0 && mock_tokens(q.all.len) > m->context_tokens) {
		if (q.anthropic)
			mock_reply_anthropic_error(&out, "invalid_request_error",
				"prompt is too long: %ld tokens > %ld maximum",
				mock_tokens(q.all.len), m->context_tokens);
		else
			mock_profile_context_error(&out, m->profile,
						   mock_tokens(q.all.len),
						   m->context_tokens);
		rc = send_buf(c, MHD_HTTP_BAD_REQUEST, &out, "application/json");
		log_line(s, 400, q.model, NULL, fault, 0, fs_mono_ms() - t0);
		goto out;
	}
	p.last_user = buf_str(&q.last);
	p.last_user_len = q.last.len;
	p.all = buf_str(&q.all);
	p.all_len = q.all.len;
	mock_rules_answer(s->rules, m, q.model, s->seed, &p, &a);

	f = mock_rules_faults(s->rules, m, &a);
	if (s->attempts && mock_faults_any(f)) {
		uint64_t key = mock_prompt_key(s->seed, q.model, p.all, p.all_len);
		attempt = mock_attempts_next(s->attempts, key);
		fault = mock_fault_pick(f, mock_fault_draw(key, attempt));
		if (fault != MOCK_FAULT_NONE)
			atomic_fetch_add(&s->n_faults, 1);
	}

	snprintf(id, sizeof id, "%s%016llx", q.anthropic ? "msg_mock" :
		 q.text ? "cmpl-mock" : "chatcmpl-mock",
		 (unsigned long long)mix64(s->seed ^ (n * 0x2545F4914F6CDD1DULL)));
	comp = (struct mock_completion){
		.id = id, .model = m->served_model ? m->served_model : q.model,
		.created = (long)time(NULL),
		.content = a.text, .content_len = strlen(a.text),
		.finish_reason = q.anthropic ? "end_turn" : "stop",
		.prompt_tokens = mock_tokens(q.all.len),
	};
	if (q.max_tokens && mock_tokens(comp.content_len) > q.max_tokens) {
		size_t cut = (size_t)q.max_tokens * 4;
		while (cut > 0 && ((unsigned char)a.text[cut] & 0xC0) == 0x80)
			cut--;
		comp.content_len = cut;
		comp.finish_reason = q.anthropic ? "max_tokens" : "length";
	}
	comp.completion_tokens = mock_tokens(comp.content_len);
	if (q.logprobs && !q.anthropic) {
		comp.logprobs = 1;
		comp.logprob = log(mock_logprob_confidence(a.correct, a.u));
	}

	if (fault == MOCK_FAULT_HANG) {
		/* no answer at all: the client's timeout must fire */
		nap(s, f->hang_ms);
		log_line(s, 0, q.model, &a, fault, attempt, fs_mono_ms() - t0);
		rc = MHD_NO;
		goto done;
	}
	delay = m->latency_ms;
	if (m->latency_max_ms > 0) {
		uint64_t r = mix64(s->seed ^ mix64(n));
		delay += m->latency_min_ms +
			 (int)(r % (uint64_t)(m->latency_max_ms - m->latency_min_ms + 1));
	}
	mock_queue_serve(s->queue, s->rules, m, comp.completion_tokens);
	nap(s, delay);

	chunk_delay = fault == MOCK_FAULT_SLOW_STREAM ? f->slow_stream_ms :
		      m->chunk_delay_ms;
	switch (fault) {
	case MOCK_FAULT_STREAM_ERROR:
		if (q.stream)
			goto normal;
		/* fall through */
	case MOCK_FAULT_RATE_LIMIT:
	case MOCK_FAULT_SERVER_ERROR:
	case MOCK_FAULT_UNAVAILABLE:
		rc = send_fault_status(c, &q, fault, f, m->profile);
		log_line(s, fault == MOCK_FAULT_RATE_LIMIT ? 429 :
			 fault == MOCK_FAULT_UNAVAILABLE ? 503 : 500, q.model,
			 &a, fault, attempt, fs_mono_ms() - t0);
		goto done;
	case MOCK_FAULT_RESET:
		rc = reset_connection(c);
		log_line(s, 0, q.model, &a, fault, attempt, fs_mono_ms() - t0);
		goto done;
	case MOCK_FAULT_WRONG_CONTENT_TYPE:
		buf_puts(&out, "<!DOCTYPE html>\n<html><head><title>Welcome</title>"
			 "</head><body><h1>It works!</h1><p>A proxy answered "
			 "instead of the model (injected by assay mock).</p>"
			 "</body></html>\n");
		rc = send_buf(c, MHD_HTTP_OK, &out, "text/html; charset=utf-8");
		break;
	case MOCK_FAULT_REDIRECT:
		/* a proxy's redirect that carries a plausible JSON body: the
		 * reply itself, which a client must not take for an answer */
		if (q.anthropic)
			mock_reply_message(&out, &comp);
		else
			mock_reply_completion(&out, &comp);
		rc = send_redirect(c, &out);
		log_line(s, 302, q.model, &a, fault, attempt, fs_mono_ms() - t0);
		goto done;
	default:
	normal:
		if (q.stream) {
			rc = send_stream(s, c, &q, &comp, chunk_delay, fault,
					 m->profile);
			if (m->close_after_stream > 0 ||
			    (m->close_after_stream < 0 &&
			     m->profile == MOCK_PROFILE_LLAMACPP))
				rq->close_after = 1;
			break;
		}
		if (q.anthropic)
			mock_reply_message(&out, &comp);
		else if (q.text)
			mock_reply_text_completion(&out, &comp);
		else
			mock_reply_completion(&out, &comp);
		if (fault == MOCK_FAULT_BAD_BYTES) {
			/* invalid UTF-8 then a NUL, after the JSON */
			buf_append(&out, "\n\xff\xfe\x00tail", 8);
			rc = send_buf(c, MHD_HTTP_OK, &out, "application/json");
		} else if (fault == MOCK_FAULT_MALFORMED) {
			out.len /= 2;   /* JSON that stops half-way */
			out.p[out.len] = '\0';
			rc = send_buf(c, MHD_HTTP_OK, &out, "application/json");
		} else if (fault == MOCK_FAULT_STREAM_CUT) {
			size_t half = out.len / 2;
			rc = send_feed(s, c, &out, NULL, 0, 0, half,
				       "application/json");
		} else {
			rc = send_buf(c, MHD_HTTP_OK, &out, "application/json");
		}
	}
	log_line(s, 200, q.model, &a, fault, attempt, fs_mono_ms() - t0);
done:
	free(a.text);
out:
	buf_free(&q.all);
	buf_free(&q.last);
	buf_free(&out);
	json_decref(root);
	return rc;
}

/* ---- MHD callbacks ------------------------------------------------------ */

static enum MHD_Result answer_get(struct mock_server *s,
				  struct MHD_Connection *c, struct req *rq,
				  const char *url)
{
	struct buf b = { 0 };
	if (rq->route == R_HEALTH) {
		buf_puts(&b, "{\"status\":\"ok\"}");
	} else if (rq->route == R_MODELS) {
		mock_reply_models(&b, s->rules);
	} else {
		/* names may hold slashes ("org/model"): all after /models/ */
		const char *name = strstr(url, "/models/") + 8;
		if (!mock_rules_model(s->rules, name))
			return send_error(c, 0, MHD_HTTP_NOT_FOUND, E_MODEL,
					  "The model `%s` does not exist.", name);
		buf_puts(&b, "{\"id\":\"");
		buf_json_escape(&b, name, strlen(name));
		buf_puts(&b, "\",\"object\":\"model\",\"created\":0,"
			 "\"owned_by\":\"assay-mock\"}");
	}
	return send_buf(c, MHD_HTTP_OK, &b, "application/json");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
				  const char *url, const char *method,
				  const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	struct mock_server *s = cls;
	struct req *rq = *con_cls;
	(void)version;
	if (!rq) {
		const char *cl;
		rq = xcalloc(1, sizeof *rq);
		rq->route = route_of(method, url);
		*con_cls = rq;
		cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						 MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl && strtoull(cl, NULL, 10) > MOCK_BODY_MAX)
			rq->too_large = 1;   /* refuse before reading it */
		else
			return MHD_YES;
	}
	if (*upload_size) {
		if ((rq->route == R_CHAT || rq->route == R_MESSAGES ||
		     rq->route == R_COMPLETIONS || rq->route == R_EMBED) &&
		    !rq->too_large) {
			if (rq->body.len + *upload_size > MOCK_BODY_MAX) {
				rq->too_large = 1;
				buf_free(&rq->body);
			} else {
				buf_append(&rq->body, upload, *upload_size);
			}
		}
		/* Past the cap the rest is read and dropped, and the 413 goes
		 * out at the end: answering mid-upload would make the kernel
		 * reset the connection and the client would never see it. */
		*upload_size = 0;
		return MHD_YES;
	}
	switch (rq->route) {
	case R_CHAT:
	case R_COMPLETIONS:
	case R_MESSAGES:
		return answer(s, c, rq);
	case R_EMBED: {
		struct buf b = { 0 };
		char why[200];
		if (rq->too_large)
			return send_error(c, 0, MHD_HTTP_CONTENT_TOO_LARGE, E_INVALID,
					  "The request body is larger than %d bytes.",
					  (int)MOCK_BODY_MAX);
		if (mock_embed_reply(buf_str(&rq->body), rq->body.len, &b, why, sizeof why)) {
			buf_free(&b);
			return send_error(c, 0, MHD_HTTP_BAD_REQUEST, E_INVALID, "%s", why);
		}
		return send_buf(c, MHD_HTTP_OK, &b, "application/json");
	}
	case R_MODELS:
	case R_MODEL:
	case R_HEALTH:
		return answer_get(s, c, rq, url);
	case R_BAD_METHOD:
		return send_error(c, 0, MHD_HTTP_METHOD_NOT_ALLOWED, E_INVALID,
				  "Method %s is not allowed on %s.", method, url);
	default:
		return send_error(c, 0, MHD_HTTP_NOT_FOUND, E_INVALID,
				  "Invalid URL (%s %s)", method, url);
	}
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct req *rq = *con_cls;
	(void)cls; (void)toe;
	if (!rq)
		return;
	if (rq->close_after) {
		/* llama-server's manner: the reply said nothing of closing (an
		 * HTTP/1.1 connection stays open by default), yet the socket is
		 * closed right after a stream.  MHD still owns the fd. */
		const union MHD_ConnectionInfo *ci =
			MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		if (ci)
			shutdown(ci->connect_fd, SHUT_RDWR);
	}
	buf_free(&rq->body);
	free(rq);
	*con_cls = NULL;
}

/* ---- start / stop ------------------------------------------------------- */

static int needs_sleep(const struct mock_rules *r)
{
	for (size_t i = 0; i < r->n_models; i++) {
		const struct mock_model *m = &r->models[i];
		if (m->latency_ms || m->latency_max_ms || m->chunk_delay_ms)
			return 1;
	}
	return 0;
}

static int resolve(const char *host, int port, struct sockaddr_storage *ss,
		   struct err *err)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC,
				  .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE }, *ai;
	char ps[16];
	int rc;
	snprintf(ps, sizeof ps, "%d", port);
	rc = getaddrinfo(host, ps, &hints, &ai);
	if (rc)
		return err_set(err, ST_USAGE, "cannot resolve host '%s': %s",
			       host, gai_strerror(rc));
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(ai);
	return 0;
}

int mock_server_start(const struct mock_config *cfg, struct mock_server **out,
		      struct err *err)
{
	struct mock_server *s;
	struct sockaddr_storage ss = { 0 };
	const union MHD_DaemonInfo *info;
	const char *host = cfg->host ? cfg->host : "127.0.0.1";
	unsigned flags;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned threads = cfg->threads > 0 ? (unsigned)cfg->threads :
			   ncpu > 0 ? (unsigned)ncpu : 2;
	int rc;

	*out = NULL;
	if (cfg->port < 0 || cfg->port > 65535)
		return err_set(err, ST_USAGE, "port %d is out of range 0..65535",
			       cfg->port);
	rc = resolve(host, cfg->port, &ss, err);
	if (rc)
		return rc;
	s = xcalloc(1, sizeof *s);
	if (cfg->rules_yaml)
		s->rules = mock_rules_parse(cfg->rules_yaml, strlen(cfg->rules_yaml),
					    "(rules)", err);
	else if (cfg->rules_path)
		s->rules = mock_rules_load(cfg->rules_path, err);
	else
		s->rules = mock_rules_builtin(err);
	if (!s->rules) {
		free(s);
		return err->code ? (int)err->code : ST_INPUT;
	}
	if (cfg->faults) {   /* replaces the file's top-level faults */
		rc = mock_faults_parse_spec(cfg->faults, &s->rules->faults, err);
		if (rc) {
			mock_rules_free(s->rules);
			free(s);
			return rc;
		}
	}
	s->seed = cfg->seed_set ? cfg->seed :
		  s->rules->has_seed ? s->rules->seed : 0;
	s->quiet = cfg->quiet;
	s->t_start = fs_mono_ms();
	s->per_conn = needs_sleep(s->rules) || mock_rules_fault_sleeps(s->rules) ||
		      mock_queue_needed(s->rules);
	s->queue = mock_queue_new(s->rules);
	if (mock_rules_any_faults(s->rules))
		s->attempts = mock_attempts_new();
	{
		pthread_condattr_t ca;
		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&s->cv, &ca);
		pthread_condattr_destroy(&ca);
		pthread_mutex_init(&s->mu, NULL);
	}
	flags = MHD_USE_INTERNAL_POLLING_THREAD;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (s->per_conn)
		flags |= MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL;
	else
		flags |= MHD_USE_EPOLL | MHD_USE_TURBO;
	s->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
		MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)1024,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)600,
		MHD_OPTION_THREAD_POOL_SIZE, s->per_conn ? 0u : threads,
		MHD_OPTION_THREAD_STACK_SIZE, s->per_conn ? (size_t)(256 << 10) : (size_t)0,
		MHD_OPTION_END);
	if (!s->d) {
		err_set(err, ST_NET, "cannot listen on %s port %d (in use, or not an "
			"address of this machine?  --port 0 picks a free port)",
			host, cfg->port);
		mock_server_stop(s);
		return ST_NET;
	}
	info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	s->port = info ? info->port : cfg->port;
	*out = s;
	return ST_OK;
}

int mock_server_port(const struct mock_server *s)
{
	return s->port;
}

uint64_t mock_server_requests(const struct mock_server *s)
{
	return atomic_load(&((struct mock_server *)s)->n_req);
}

uint64_t mock_server_faults(const struct mock_server *s)
{
	return atomic_load(&((struct mock_server *)s)->n_faults);
}

void mock_server_stop(struct mock_server *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->mu);
	s->stopping = 1;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	mock_queue_stop(s->queue);
	if (s->d)
		MHD_stop_daemon(s->d);
	mock_queue_free(s->queue);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	mock_attempts_free(s->attempts);
	mock_rules_free(s->rules);
	free(s);
}
