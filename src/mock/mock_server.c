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
 * Future: POST /v1/messages (Anthropic) is one more route in route_of();
 * fault injection (429 + Retry-After, 500/503, reset, cut stream, bad
 * JSON, hang) would be decided in answer_chat() right after the model is
 * known, from a seeded draw like the accuracy one. */
#include "mock.h"
#include "mock_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
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
	atomic_uint_fast64_t n_req;
	/* interruptible sleeps */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stopping;
};

enum route {
	R_CHAT, R_MODELS, R_MODEL, R_HEALTH, R_NOT_FOUND, R_BAD_METHOD
};

struct req {
	enum route route;
	struct buf body;
	int too_large;
};

/* A stream sent one event at a time, with a pause between events. */
struct slow {
	struct mock_server *s;
	char *data;
	size_t len, pos;
	size_t *ends;
	size_t n_ends, next;
	int delay_ms;
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
	if (!strcmp(url, "/models"))
		return get ? R_MODELS : R_BAD_METHOD;
	if (!strncmp(url, "/models/", 8) && url[8])
		return get ? R_MODEL : R_BAD_METHOD;
	if (!strcmp(url, "/health"))
		return get ? R_HEALTH : R_BAD_METHOD;
	/* Future: "/messages" → Anthropic Messages. */
	return R_NOT_FOUND;
}

/* Queues `body` (consumed) with the given status and content type. */
static enum MHD_Result send_buf(struct MHD_Connection *c, unsigned status,
				struct buf *body, const char *type)
{
	size_t len = body->len;
	char *p = buf_detach(body);
	struct MHD_Response *r = MHD_create_response_from_buffer(
		len, p, MHD_RESPMEM_MUST_FREE);
	enum MHD_Result rc;
	if (!r) {
		free(p);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, POST");
	rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

__attribute__((format(printf, 5, 6)))
static enum MHD_Result send_error(struct MHD_Connection *c, unsigned status,
				  const char *type, const char *code,
				  const char *fmt, ...)
{
	struct buf b = { 0 };
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	mock_reply_error(&b, type, code, "%s", msg);
	return send_buf(c, status, &b, "application/json");
}

/* ---- slow streams ------------------------------------------------------- */

static ssize_t slow_read(void *cls, uint64_t pos, char *out, size_t max)
{
	struct slow *sl = cls;
	size_t end, n;
	(void)pos;
	if (sl->pos >= sl->len)
		return MHD_CONTENT_READER_END_OF_STREAM;
	if (sl->next > 0 && sl->pos == sl->ends[sl->next - 1])
		nap(sl->s, sl->delay_ms);   /* between events, not before the first */
	end = sl->ends[sl->next];
	n = end - sl->pos < max ? end - sl->pos : max;
	memcpy(out, sl->data + sl->pos, n);
	sl->pos += n;
	if (sl->pos == end)
		sl->next++;
	return (ssize_t)n;
}

static void slow_free(void *cls)
{
	struct slow *sl = cls;
	free(sl->data);
	free(sl->ends);
	free(sl);
}

/* ---- chat completions --------------------------------------------------- */

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

static void log_line(struct mock_server *s, unsigned status, const char *model,
		     const struct mock_answer *a, double ms)
{
	char line[512];
	if (s->quiet)
		return;
	if (a && a->rule >= 0)
		snprintf(line, sizeof line, "mock: %u %s rule=%s%d draw=%.4f %s %.1fms\n",
			 status, model, a->from_model ? "model." : "", a->rule + 1,
			 a->u, a->correct ? "right" : "wrong", ms);
	else
		snprintf(line, sizeof line, "mock: %u %s%s %.1fms\n", status,
			 model ? model : "-", a ? " default" : "", ms);
	fputs(line, stderr);
}

static enum MHD_Result answer_chat(struct mock_server *s,
				   struct MHD_Connection *c, struct req *rq)
{
	double t0 = fs_mono_ms();
	json_error_t je;
	json_t *root, *model_j, *msgs, *msg, *opt;
	struct buf all = { 0 }, last = { 0 }, out = { 0 };
	const struct mock_model *m;
	const char *model;
	struct mock_prompt p;
	struct mock_answer a;
	struct mock_completion comp;
	char id[64];
	uint64_t n = atomic_fetch_add(&s->n_req, 1);
	long max_tokens = 0;
	int stream, include_usage = 0, delay;
	size_t i;
	enum MHD_Result rc;

	if (rq->too_large) {
		log_line(s, 413, NULL, NULL, 0);
		return send_error(c, MHD_HTTP_CONTENT_TOO_LARGE,
				  "invalid_request_error", "request_too_large",
				  "Request body is larger than %zu bytes.",
				  MOCK_BODY_MAX);
	}
	root = json_loadb(buf_str(&rq->body), rq->body.len, 0, &je);
	if (!root) {
		log_line(s, 400, NULL, NULL, 0);
		return send_error(c, MHD_HTTP_BAD_REQUEST, "invalid_request_error",
				  NULL, "We could not parse the JSON body of your "
				  "request: %s (line %d, column %d).", je.text,
				  je.line, je.column);
	}
	model_j = json_object_get(root, "model");
	msgs = json_object_get(root, "messages");
	if (!json_is_object(root) || !json_is_string(model_j) ||
	    !json_string_length(model_j)) {
		rc = send_error(c, MHD_HTTP_BAD_REQUEST, "invalid_request_error",
				NULL, "you must provide a model parameter");
		log_line(s, 400, NULL, NULL, 0);
		goto out;
	}
	model = json_string_value(model_j);
	if (!json_is_array(msgs) || !json_array_size(msgs)) {
		rc = send_error(c, MHD_HTTP_BAD_REQUEST, "invalid_request_error",
				NULL, "'messages' must be a non-empty array");
		log_line(s, 400, model, NULL, 0);
		goto out;
	}
	json_array_foreach(msgs, i, msg) {
		json_t *role = json_object_get(msg, "role");
		size_t at = all.len;
		if (!json_is_string(role) ||
		    content_text(json_object_get(msg, "content"), &all)) {
			rc = send_error(c, MHD_HTTP_BAD_REQUEST,
					"invalid_request_error", NULL,
					"messages[%zu]: expected {\"role\": string, "
					"\"content\": string or array of parts}", i);
			log_line(s, 400, model, NULL, 0);
			goto out;
		}
		if (!strcmp(json_string_value(role), "user")) {
			buf_reset(&last);
			buf_append(&last, all.p ? all.p + at : "", all.len - at);
		}
		if (i + 1 < json_array_size(msgs))
			buf_putc(&all, '\n');
	}
	m = mock_rules_model(s->rules, model);
	if (!m) {
		rc = send_error(c, MHD_HTTP_NOT_FOUND, "invalid_request_error",
				"model_not_found", "The model `%s` does not exist "
				"or you do not have access to it.", model);
		log_line(s, 404, model, NULL, 0);
		goto out;
	}
	stream = json_is_true(json_object_get(root, "stream"));
	opt = json_object_get(root, "stream_options");
	include_usage = json_is_true(json_object_get(opt, "include_usage"));
	opt = json_object_get(root, "max_completion_tokens");
	if (!json_is_integer(opt))
		opt = json_object_get(root, "max_tokens");
	if (json_is_integer(opt) && json_integer_value(opt) > 0)
		max_tokens = (long)json_integer_value(opt);

	p.last_user = buf_str(&last);
	p.last_user_len = last.len;
	p.all = buf_str(&all);
	p.all_len = all.len;
	mock_rules_answer(s->rules, m, model, s->seed, &p, &a);

	snprintf(id, sizeof id, "chatcmpl-mock%016llx",
		 (unsigned long long)mix64(s->seed ^ (n * 0x2545F4914F6CDD1DULL)));
	comp = (struct mock_completion){
		.id = id, .model = model, .created = (long)time(NULL),
		.content = a.text, .content_len = strlen(a.text),
		.finish_reason = "stop",
		.prompt_tokens = mock_tokens(all.len),
	};
	if (max_tokens && mock_tokens(comp.content_len) > max_tokens) {
		size_t cut = (size_t)max_tokens * 4;
		while (cut > 0 && ((unsigned char)a.text[cut] & 0xC0) == 0x80)
			cut--;
		comp.content_len = cut;
		comp.finish_reason = "length";
	}
	comp.completion_tokens = mock_tokens(comp.content_len);

	delay = m->latency_ms;
	if (m->latency_max_ms > 0) {
		uint64_t r = mix64(s->seed ^ mix64(n));
		delay += m->latency_min_ms +
			 (int)(r % (uint64_t)(m->latency_max_ms - m->latency_min_ms + 1));
	}
	nap(s, delay);

	if (stream && m->chunk_delay_ms > 0) {
		struct slow *sl = xcalloc(1, sizeof *sl);
		struct MHD_Response *r;
		mock_reply_stream(&out, &comp, include_usage, &sl->ends,
				  &sl->n_ends);
		sl->s = s;
		sl->len = out.len;
		sl->data = buf_detach(&out);
		sl->delay_ms = m->chunk_delay_ms;
		r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096,
						      slow_read, sl, slow_free);
		if (!r) {
			slow_free(sl);
			rc = MHD_NO;
		} else {
			MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
						"text/event-stream");
			MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL,
						"no-cache");
			rc = MHD_queue_response(c, MHD_HTTP_OK, r);
			MHD_destroy_response(r);
		}
	} else if (stream) {
		mock_reply_stream(&out, &comp, include_usage, NULL, NULL);
		rc = send_buf(c, MHD_HTTP_OK, &out, "text/event-stream");
	} else {
		mock_reply_completion(&out, &comp);
		rc = send_buf(c, MHD_HTTP_OK, &out, "application/json");
	}
	log_line(s, 200, model, &a, fs_mono_ms() - t0);
	free(a.text);
out:
	buf_free(&all);
	buf_free(&last);
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
			return send_error(c, MHD_HTTP_NOT_FOUND,
					  "invalid_request_error", "model_not_found",
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
		if (rq->route == R_CHAT && !rq->too_large) {
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
		return answer_chat(s, c, rq);
	case R_MODELS:
	case R_MODEL:
	case R_HEALTH:
		return answer_get(s, c, rq, url);
	case R_BAD_METHOD:
		return send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED,
				  "invalid_request_error", NULL,
				  "Method %s is not allowed on %s.", method, url);
	default:
		return send_error(c, MHD_HTTP_NOT_FOUND, "invalid_request_error",
				  NULL, "Invalid URL (%s %s)", method, url);
	}
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct req *rq = *con_cls;
	(void)cls; (void)c; (void)toe;
	if (!rq)
		return;
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
	s->seed = cfg->seed_set ? cfg->seed :
		  s->rules->has_seed ? s->rules->seed : 0;
	s->quiet = cfg->quiet;
	s->per_conn = needs_sleep(s->rules);
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
		err_set(err, ST_NET, "cannot listen on %s port %d (in use, or not an address of this machine?)",
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

void mock_server_stop(struct mock_server *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->mu);
	s->stopping = 1;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	if (s->d)
		MHD_stop_daemon(s->d);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	mock_rules_free(s->rules);
	free(s);
}
