/* test_mock_profile.c — `profile:` in mock rules: each server's error
 * shapes, stream error events, loading 503, context errors, served model
 * names, /v1/models and the llama.cpp close-after-stream manner. */
#include "t.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "mock/mock.h"
#include "mock/mock_int.h"
#include "util/buf.h"
#include "util/fsutil.h"

static json_t *err_of(struct buf *b)
{
	json_t *j = json_loads(buf_str(b), 0, NULL);
	json_t *e = json_incref(json_object_get(j, "error"));
	json_decref(j);
	return e;
}

TEST(mock_profile_error_shapes)
{
	struct buf b = { 0 };
	json_t *e;
	enum mock_profile p;
	T_EQ_INT(mock_profile_parse("vllm", &p), 0);
	T_EQ_INT(p, MOCK_PROFILE_VLLM);
	T_EQ_INT(mock_profile_parse("llama.cpp", &p), -1);

	mock_profile_error(&b, MOCK_PROFILE_LLAMACPP, 503, "x", NULL, "Loading \"m\"");
	e = err_of(&b);
	T_EQ_INT((int)json_integer_value(json_object_get(e, "code")), 503);
	T_EQ_STR(json_string_value(json_object_get(e, "type")), "unavailable_error");
	T_EQ_STR(json_string_value(json_object_get(e, "message")), "Loading \"m\"");
	json_decref(e);

	buf_reset(&b);
	mock_profile_error(&b, MOCK_PROFILE_VLLM, 404, "x", NULL, "no");
	e = err_of(&b);
	T_EQ_STR(json_string_value(json_object_get(e, "type")), "NotFoundError");
	T_EQ_INT((int)json_integer_value(json_object_get(e, "code")), 404);
	T_ASSERT(json_is_null(json_object_get(e, "param")));
	json_decref(e);

	buf_reset(&b);
	mock_profile_error(&b, MOCK_PROFILE_OLLAMA, 503, "x", NULL, "busy");
	e = err_of(&b);
	T_EQ_STR(json_string_value(json_object_get(e, "type")), "api_error");
	T_ASSERT(json_is_null(json_object_get(e, "code")));
	json_decref(e);

	buf_reset(&b);
	mock_profile_context_error(&b, MOCK_PROFILE_LLAMACPP, 120, 64);
	e = err_of(&b);
	T_EQ_STR(json_string_value(json_object_get(e, "type")), "exceed_context_size_error");
	T_EQ_INT((int)json_integer_value(json_object_get(e, "n_prompt_tokens")), 120);
	T_EQ_INT((int)json_integer_value(json_object_get(e, "n_ctx")), 64);
	json_decref(e);

	buf_reset(&b);
	mock_profile_context_error(&b, MOCK_PROFILE_OPENAI, 120, 64);
	e = err_of(&b);
	T_EQ_STR(json_string_value(json_object_get(e, "code")), "context_length_exceeded");
	json_decref(e);
	buf_free(&b);
}

TEST(mock_profile_stream_error_events)
{
	struct buf b = { 0 };
	mock_profile_stream_error(&b, MOCK_PROFILE_LLAMACPP, 0);
	T_ASSERT(!strncmp(buf_str(&b), "data: {\"error\":{\"code\":500,", 27));
	T_ASSERT(strstr(buf_str(&b), "[DONE]") == NULL);
	buf_reset(&b);
	mock_profile_stream_error(&b, MOCK_PROFILE_VLLM, 0);
	T_ASSERT(strstr(buf_str(&b), "\"InternalServerError\"") != NULL);
	T_ASSERT(strstr(buf_str(&b), "\n\ndata: [DONE]\n\n") != NULL);
	buf_reset(&b);
	mock_profile_stream_error(&b, MOCK_PROFILE_OLLAMA, 0);
	T_ASSERT(!strncmp(buf_str(&b), "{\"error\":", 9));   /* no data: */
	buf_reset(&b);
	mock_profile_stream_error(&b, MOCK_PROFILE_OPENAI, 1);
	T_ASSERT(!strncmp(buf_str(&b), "event: error\ndata: ", 19));
	buf_free(&b);
}

static void nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static size_t collect(char *p, size_t size, size_t n, void *ud)
{
	buf_append(ud, p, size * n);
	return size * n;
}

static long post(CURL *h, int port, const char *path, const char *body,
		 struct buf *out)
{
	char url[256];
	long status = 0;
	buf_reset(out);
	snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	if (body)
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	else
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	if (curl_easy_perform(h) != CURLE_OK)
		return -1;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	return status;
}

TEST(mock_profile_server_manners)
{
	static const char rules[] =
		"profile: vllm\n"
		"models:\n"
		"  - name: \"*\"\n"
		"    profile: llamacpp\n"
		"    served_model: qwen2.5-0.5b-instruct-q4_k_m.gguf\n"
		"    context_tokens: 8\n"
		"    loading_ms: 300\n";
	struct mock_config cfg = { .rules_yaml = rules, .quiet = 1, .threads = 1 };
	struct mock_server *s = NULL;
	struct err e = { 0 };
	struct buf out = { 0 };
	CURL *h = curl_easy_init();
	json_t *j;
	double t0 = fs_mono_ms();
	long st;
	int port;
	T_EQ_INT(mock_server_start(&cfg, &s, &e), ST_OK);
	port = mock_server_port(s);
	st = post(h, port, "/v1/chat/completions",
		  "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
		  &out);
	if (fs_mono_ms() - t0 < 250) {   /* still "loading" (a loaded machine may be late) */
		T_EQ_INT(st, 503);
		T_ASSERT(strstr(buf_str(&out), "\"Loading model\"") != NULL);
		T_ASSERT(strstr(buf_str(&out), "\"unavailable_error\"") != NULL);
	}
	while (fs_mono_ms() - t0 < 350)
		nap_ms(20);
	T_EQ_INT(post(h, port, "/v1/chat/completions",
		      "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
		      &out), 200);
	j = json_loads(buf_str(&out), 0, NULL);
	T_EQ_STR(json_string_value(json_object_get(j, "model")),
		 "qwen2.5-0.5b-instruct-q4_k_m.gguf");
	json_decref(j);
	/* 40 bytes = 10 tokens > context_tokens 8 */
	T_EQ_INT(post(h, port, "/v1/chat/completions",
		      "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":"
		      "\"0123456789012345678901234567890123456789\"}]}", &out), 400);
	T_ASSERT(strstr(buf_str(&out), "\"n_prompt_tokens\":10") != NULL);
	T_EQ_INT(post(h, port, "/v1/models", NULL, &out), 200);
	T_ASSERT(strstr(buf_str(&out), "\"id\":\"qwen2.5-0.5b-instruct-q4_k_m.gguf\"") != NULL);
	T_ASSERT(strstr(buf_str(&out), "\"owned_by\":\"llamacpp\"") != NULL);
	curl_easy_cleanup(h);
	buf_free(&out);
	mock_server_stop(s);
}

/* A stream whose server fails after the 200: some chunks, the profile's
 * error event, and (llama.cpp) no [DONE]; and the connection closed after
 * every llama.cpp stream though nothing announced it. */
TEST(mock_profile_stream_error_and_close)
{
	static const char rules[] =
		"models:\n"
		"  - name: llama\n"
		"    profile: llamacpp\n"
		"    faults: {stream_error: 1}\n"
		"  - name: plain\n"
		"    profile: llamacpp\n"
		"  - name: oai\n";
	static const char body[] =
		"{\"model\":\"%s\",\"stream\":true,\"messages\":[{\"role\":\"user\","
		"\"content\":\"one two three four five six\"}]}";
	struct mock_config cfg = { .rules_yaml = rules, .quiet = 1, .threads = 1 };
	struct mock_server *s = NULL;
	struct err e = { 0 };
	struct buf out = { 0 };
	CURL *h = curl_easy_init();
	char req[256];
	long n_conn = -1;
	int port;
	T_EQ_INT(mock_server_start(&cfg, &s, &e), ST_OK);
	port = mock_server_port(s);
	snprintf(req, sizeof req, body, "llama");
	T_EQ_INT(post(h, port, "/v1/chat/completions", req, &out), 200);
	T_ASSERT(strstr(buf_str(&out), "data: {\"choices\"") != NULL ||
		 strstr(buf_str(&out), "chat.completion.chunk") != NULL);
	T_ASSERT(strstr(buf_str(&out), "data: {\"error\":{\"code\":500,") != NULL);
	T_ASSERT(strstr(buf_str(&out), "[DONE]") == NULL);
	/* openai profile: the connection is reused */
	snprintf(req, sizeof req, body, "oai");
	T_EQ_INT(post(h, port, "/v1/chat/completions", req, &out), 200);
	T_EQ_INT(post(h, port, "/v1/chat/completions", req, &out), 200);
	curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &n_conn);
	T_EQ_INT((int)n_conn, 0);
	/* llamacpp: after its stream the next request needs a new one */
	snprintf(req, sizeof req, body, "plain");
	T_EQ_INT(post(h, port, "/v1/chat/completions", req, &out), 200);
	T_ASSERT(strstr(buf_str(&out), "data: [DONE]") != NULL);
	nap_ms(50);
	T_EQ_INT(post(h, port, "/v1/chat/completions", req, &out), 200);
	curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &n_conn);
	T_EQ_INT((int)n_conn, 1);
	curl_easy_cleanup(h);
	buf_free(&out);
	mock_server_stop(s);
}
