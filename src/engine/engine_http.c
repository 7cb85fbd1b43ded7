/* engine_http.c — HTTP transfers on the loop (ROLE_HTTP): the request on
 * libcurl's multi handle, the body or the SSE stream as it arrives, retry
 * hints and keep-alive from the headers, libcurl's own re-sends from its
 * debug text, the response cache, first-byte and idle timeouts, and the
 * finished transfer turned into a response for attempt_done. */
#include "engine_int.h"
#include "../util/fsutil.h"
#include "../util/hash.h"
#include "../util/xalloc.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The run whose transfers the curl callbacks serve (one at a time). */
struct run *engine_current_run;


static int on_sse_event(void *ud, const char *event, const char *data,
			size_t len)
{
	struct slot *sl = ud;
	const struct provider *p = engine_current_run->ps[sl->prov].p;
	size_t before = sl->u.h.text.len;
	enum stream_step step = p->ops->stream_event(p, event, data, len,
						     &sl->u.h.text, &sl->u.h.sresp);
	if (sl->u.h.text.len > before && sl->u.h.t_first_token == 0)
		sl->u.h.t_first_token = fs_mono_ms();
	if (step == STREAM_DONE)
		sl->u.h.stream_done = true;
	else if (step == STREAM_ERROR)
		sl->u.h.stream_failed = true;
	return step == STREAM_MORE ? 0 : 1;
}

static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
	struct slot *sl = ud;
	size_t len = size * n;
	double now = fs_mono_ms();
	if (sl->u.h.t_first_byte == 0)
		sl->u.h.t_first_byte = now;
	sl->u.h.t_last_data = now;
	if (!sl->u.h.sse_decided) {
		const struct provider *p = engine_current_run->ps[sl->prov].p;
		long status = 0;
		curl_easy_getinfo(sl->easy, CURLINFO_RESPONSE_CODE, &status);
		sl->u.h.sse_mode = p->stream && status < 300;
		sl->u.h.sse_decided = true;
		if (sl->u.h.sse_mode)
			sse_init(&sl->u.h.sse, on_sse_event, sl);
	}
	if (sl->u.h.sse_mode) {
		int rc;
		if (sl->u.h.stream_done || sl->u.h.stream_failed)
			return len; /* ignore anything after the end */
		rc = sse_feed(&sl->u.h.sse, data, len);
		if (rc < 0) {
			sl->u.h.too_big = true;
			return 0;
		}
		return len;
	}
	if (sl->u.h.body.len + len > MAX_BODY) {
		sl->u.h.too_big = true;
		return 0; /* makes curl fail the transfer */
	}
	buf_append(&sl->u.h.body, data, len);
	return len;
}

/* "Keep-Alive: timeout=5, max=100": how long (s) the server keeps an idle
 * connection, or -1. */
static long keepalive_timeout(const char *value)
{
	const char *t = strcasestr(value, "timeout=");
	char *end;
	long v;
	if (!t)
		return -1;
	v = strtol(t + 8, &end, 10);
	return end == t + 8 || v < 0 ? -1 : v;
}

static size_t on_header(char *data, size_t size, size_t n, void *ud)
{
	struct slot *sl = ud;
	size_t len = size * n;
	const char *colon = memchr(data, ':', len);
	if (colon && len < 512) {
		char name[128], value[384];
		size_t nl = (size_t)(colon - data), vl;
		const char *v = colon + 1;
		if (nl < sizeof name) {
			long h;
			memcpy(name, data, nl);
			name[nl] = '\0';
			while (v < data + len && (*v == ' ' || *v == '\t'))
				v++;
			vl = (size_t)(data + len - v);
			while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
				vl--;
			if (vl < sizeof value) {
				memcpy(value, v, vl);
				value[vl] = '\0';
				if (!strcasecmp(name, "Keep-Alive")) {
					/* The server closes idle connections after this:
					 * reusing one near that age races its close. */
					long ka = keepalive_timeout(value);
					if (ka >= 0)
						engine_current_run->ps[sl->prov].keepalive_s = ka;
				}
				h = retry_hint_ms(name, value, fs_now_ms());
				if (h >= 0 && h > sl->u.h.hint_ms)
					sl->u.h.hint_ms = h;
			}
		}
	}
	return len;
}

static enum resp_error map_curl_error(CURLcode c)
{
	switch (c) {
	case CURLE_OPERATION_TIMEDOUT:
		return RESP_ERR_TIMEOUT;
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_SSL_CONNECT_ERROR:
		return RESP_ERR_CONNECT;
	case CURLE_PARTIAL_FILE:
	case CURLE_BAD_CONTENT_ENCODING:
		return RESP_ERR_BODY;
	default:
		return RESP_ERR_OTHER;
	}
}

/* libcurl re-sends a request by itself when a reused keep-alive
 * connection dies before any response byte, and offers no option to stop
 * it; the only trace is its informational text, hence the debug callback
 * (text lines only; data is ignored).  A re-send counts as a retry only
 * when the first send may have reached the server: not when the send
 * failed, nor when the connection was reset — a reset with no reply means
 * the server's socket was closed with the request unread (a server that
 * advertises keep-alive and then closes, like llama-server after a
 * stream).  A clean close after the request was sent is ambiguous (the
 * server may have read it and died) and is counted. */
static int on_debug(CURL *h, curl_infotype type, char *data, size_t size,
		    void *ud)
{
	static const char resend[] = "retrying a fresh connect";
	static const char *const unread[] = { "Connection reset by peer", "Send failure",
					      "Broken pipe" };
	struct slot *sl = ud;
	(void)h;
	if (type != CURLINFO_TEXT)
		return 0;
	if (memmem(data, size, "Re-using existing connection", 28)) {
		sl->u.h.reuse_reset = false;
		return 0;
	}
	for (size_t i = 0; i < sizeof unread / sizeof *unread; i++)
		if (memmem(data, size, unread[i], strlen(unread[i])))
			sl->u.h.reuse_reset = true;
	if (size >= sizeof resend - 1 && memmem(data, size, resend, sizeof resend - 1)) {
		if (!sl->u.h.reuse_reset)
			sl->u.h.resends++;
		sl->u.h.reuse_reset = false;
	}
	return 0;
}

/* Serves an item from the cache when the key is there. */
static bool cache_hit(struct run *r, struct slot *sl)
{
	char *txt = NULL;
	json_t *j;
	json_error_t je;
	struct response resp;
	if (store_cache_get(r->st, sl->u.h.cache_key, &txt, r->err) || !txt) {
		free(txt);
		return false;
	}
	j = json_loads(txt, 0, &je);
	free(txt);
	if (!json_is_object(j) || !json_is_string(json_object_get(j, "output"))) {
		json_decref(j);
		return false;
	}
	response_init(&resp);
	resp.output = xstrdup(json_string_value(json_object_get(j, "output")));
	if (json_is_string(json_object_get(j, "finish_reason")))
		resp.finish_reason = xstrdup(json_string_value(json_object_get(j, "finish_reason")));
	resp.prompt_tokens = (long)json_integer_value(json_object_get(j, "prompt_tokens"));
	resp.completion_tokens = (long)json_integer_value(json_object_get(j, "completion_tokens"));
	resp.total_tokens = (long)json_integer_value(json_object_get(j, "total_tokens"));
	resp.latency_ms = json_number_value(json_object_get(j, "latency_ms"));
	resp.ttft_ms = json_number_value(json_object_get(j, "ttft_ms"));
	if (json_is_string(json_object_get(j, "served_model")))
		resp.served_model = xstrdup(json_string_value(json_object_get(j, "served_model")));
	if (json_is_number(json_object_get(j, "confidence")))
		resp.confidence = json_number_value(json_object_get(j, "confidence"));
	resp.cached = true;
	json_decref(j);
	provider_set_cost(r->ps[sl->prov].p, &resp);
	attempt_done(r, sl, &resp);
	return true;
}

void engine_start_http(struct run *r, struct slot *sl, const struct provider *p)
{
	const struct transport *t = &p->tr;
	if (r->o->cache) {
		char rep[16];
		struct hash_part parts[4];
		snprintf(rep, sizeof rep, "%d", sl->rep);
		parts[0].p = p->spec->id;
		parts[0].n = strlen(p->spec->id);
		parts[1].p = sl->u.h.req.url;
		parts[1].n = strlen(sl->u.h.req.url);
		parts[2].p = sl->u.h.req.body ? sl->u.h.req.body : "";
		parts[2].n = sl->u.h.req.body ? sl->u.h.req.body_len : 0;
		parts[3].p = rep;
		parts[3].n = strlen(rep);
		hash_sha256_parts(parts, 4, sl->u.h.cache_key);
		sl->u.h.cacheable = true;
		if (sl->attempt == 0 && cache_hit(r, sl))
			return;
	}
	if (!sl->easy)
		sl->easy = curl_easy_init();
	else
		curl_easy_reset(sl->easy);
	curl_easy_setopt(sl->easy, CURLOPT_URL, sl->u.h.req.url);
	curl_easy_setopt(sl->easy, CURLOPT_HTTPHEADER, sl->u.h.req.headers);
	if (sl->u.h.req.method && !strcmp(sl->u.h.req.method, "GET")) {
		curl_easy_setopt(sl->easy, CURLOPT_HTTPGET, 1L);
	} else {
		if (sl->u.h.req.method && strcmp(sl->u.h.req.method, "POST"))
			curl_easy_setopt(sl->easy, CURLOPT_CUSTOMREQUEST, sl->u.h.req.method);
		curl_easy_setopt(sl->easy, CURLOPT_POSTFIELDS, sl->u.h.req.body ? sl->u.h.req.body : "");
		curl_easy_setopt(sl->easy, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)(sl->u.h.req.body ? sl->u.h.req.body_len : 0));
	}
	curl_easy_setopt(sl->easy, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(sl->easy, CURLOPT_WRITEDATA, sl);
	curl_easy_setopt(sl->easy, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(sl->easy, CURLOPT_HEADERDATA, sl);
	curl_easy_setopt(sl->easy, CURLOPT_PRIVATE, sl);
	curl_easy_setopt(sl->easy, CURLOPT_ERRORBUFFER, sl->u.h.errbuf);
	curl_easy_setopt(sl->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(sl->easy, CURLOPT_TIMEOUT_MS, t->timeout_ms);
	curl_easy_setopt(sl->easy, CURLOPT_CONNECTTIMEOUT_MS, t->connect_timeout_ms);
	curl_easy_setopt(sl->easy, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(sl->easy, CURLOPT_USERAGENT, "assay/" "0.1");
	{
		long ka = r->ps[sl->prov].keepalive_s;
		if (ka >= 0) /* whole seconds: idle ≥ ka - 1 s is not reused */
			curl_easy_setopt(sl->easy, CURLOPT_MAXAGE_CONN, ka > 1 ? ka - 1 : 0L);
	}
	curl_easy_setopt(sl->easy, CURLOPT_DEBUGFUNCTION, on_debug);
	curl_easy_setopt(sl->easy, CURLOPT_DEBUGDATA, sl);
	curl_easy_setopt(sl->easy, CURLOPT_VERBOSE, 1L);
	curl_multi_add_handle(r->multi, sl->easy);
}

/* Turns a finished (or aborted) transfer into a response. */
void engine_finish_http(struct run *r, struct slot *sl, CURLcode cc,
			enum resp_error forced, const char *forced_msg)
{
	const struct provider *p = r->ps[sl->prov].p;
	struct response resp;
	long status = 0;
	double now = fs_mono_ms();
	if (sl->role != ROLE_HTTP)
		return; /* finished already */
	curl_multi_remove_handle(r->multi, sl->easy);
	curl_easy_getinfo(sl->easy, CURLINFO_RESPONSE_CODE, &status);
	response_init(&resp);
	resp.latency_ms = now - sl->t_start;
	resp.http_status = (int)status;
	if (forced != RESP_OK) {
		resp.error = forced;
		resp.error_msg = xstrdup(forced_msg);
	} else if (sl->u.h.too_big) {
		resp.error = RESP_ERR_BODY;
		resp.error_msg = sl->u.h.sse_mode && sse_over_total(&sl->u.h.sse)
			? xasprintf("stream larger than %zu bytes in all", SSE_MAX_TOTAL)
			: xasprintf(sl->u.h.sse_mode ? "stream event larger than the limit"
				    : "response body larger than %zu bytes", MAX_BODY);
	} else if (cc != CURLE_OK && !(sl->u.h.sse_mode && (sl->u.h.stream_done || sl->u.h.stream_failed))) {
		resp.error = map_curl_error(cc);
		resp.error_msg = xasprintf("%s%s", sl->u.h.errbuf[0] ? sl->u.h.errbuf : curl_easy_strerror(cc),
					   sl->u.h.sse_mode && sl->u.h.text.len ? " (stream cut mid-way)" : "");
		if (resp.error == RESP_ERR_CONNECT && sl->u.h.sse_mode && sl->u.h.t_first_byte > 0)
			resp.error = RESP_ERR_BODY;
	} else if (sl->u.h.sse_mode) {
		/* Take what the stream events filled in. */
		resp.finish_reason = sl->u.h.sresp.finish_reason;
		sl->u.h.sresp.finish_reason = NULL;
		resp.prompt_tokens = sl->u.h.sresp.prompt_tokens;
		resp.completion_tokens = sl->u.h.sresp.completion_tokens;
		resp.total_tokens = sl->u.h.sresp.total_tokens;
		resp.served_model = sl->u.h.sresp.served_model;
		sl->u.h.sresp.served_model = NULL;
		if (sl->u.h.stream_failed) {
			resp.error = sl->u.h.sresp.error ? sl->u.h.sresp.error : RESP_ERR_BODY;
			resp.error_msg = sl->u.h.sresp.error_msg ? sl->u.h.sresp.error_msg
							     : xstrdup("stream failed");
			sl->u.h.sresp.error_msg = NULL;
			if (sl->u.h.sresp.http_status) /* an error event's own status */
				resp.http_status = sl->u.h.sresp.http_status;
			resp.error_type = sl->u.h.sresp.error_type;
			sl->u.h.sresp.error_type = NULL;
		} else if (!sl->u.h.stream_done) {
			resp.error = RESP_ERR_BODY;
			resp.error_msg = xasprintf("stream ended before its end marker "
						   "(%zu bytes of text received)", sl->u.h.text.len);
		} else {
			resp.output = buf_detach(&sl->u.h.text);
			resp.confidence = sl->u.h.sresp.confidence;
			resp.ttft_ms = sl->u.h.t_first_token > 0 ? sl->u.h.t_first_token - sl->t_start
							     : resp.latency_ms;
		}
	} else {
		p->ops->parse(p, status, buf_str(&sl->u.h.body), sl->u.h.body.len, &resp);
	}
	provider_set_cost(p, &resp);
	attempt_done(r, sl, &resp);
}

/* First-byte and idle timeouts (libcurl has the total one). */
void engine_http_timeouts(struct run *r, struct slot *sl, double now)
{
	const struct transport *t = &r->ps[sl->prov].p->tr;
	char msg[128];
	if (t->first_byte_timeout_ms > 0 && sl->u.h.t_first_byte == 0 &&
	    now - sl->t_start > (double)t->first_byte_timeout_ms) {
		snprintf(msg, sizeof msg, "no response within %ld ms (first-byte timeout)",
			 t->first_byte_timeout_ms);
		engine_finish_http(r, sl, CURLE_OK, RESP_ERR_TIMEOUT, msg);
	} else if (t->idle_timeout_ms > 0 && sl->u.h.t_last_data > 0 &&
		   now - sl->u.h.t_last_data > (double)t->idle_timeout_ms) {
		snprintf(msg, sizeof msg, "no data for %ld ms (idle timeout)",
			 t->idle_timeout_ms);
		engine_finish_http(r, sl, CURLE_OK, RESP_ERR_TIMEOUT, msg);
	}
}

/* Frees the transfer's state (the easy handle stays with the slot). */
void engine_http_part_free(struct slot *sl)
{
	http_request_cleanup(&sl->u.h.req);
	buf_free(&sl->u.h.body);
	buf_free(&sl->u.h.text);
	sse_cleanup(&sl->u.h.sse);
	response_cleanup(&sl->u.h.sresp);
}
