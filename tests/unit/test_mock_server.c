/* test_mock_server.c — the mock server through its front door (mock.h):
 * start on a free loopback port, talk HTTP with libcurl, stop. */
#include "t.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mock/mock.h"
#include "util/buf.h"
#include "util/fsutil.h"

static size_t collect(char *p, size_t size, size_t n, void *ud)
{
	buf_append(ud, p, size * n);
	return size * n;
}

/* POSTs body (or GETs when body is NULL) to path; returns the status. */
static long http(CURL *h, int port, const char *path, const char *body,
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

static const char *content_of(json_t *j)
{
	return json_string_value(json_object_get(json_object_get(
		json_array_get(json_object_get(j, "choices"), 0), "message"),
		"content"));
}

TEST(mock_server_round_trip)
{
	static const char rules[] =
		"models:\n"
		"  - name: m\n"
		"  - name: org/m-2\n"
		"rules:\n"
		"  - contains: France\n"
		"    reply: Paris\n";
	struct mock_config cfg = { .rules_yaml = rules, .quiet = 1, .threads = 2 };
	struct mock_server *s = NULL;
	struct err e = { 0 };
	struct buf out = { 0 };
	CURL *h = curl_easy_init();
	json_t *j;
	int port;
	T_ASSERT(h != NULL);
	T_EQ_INT(mock_server_start(&cfg, &s, &e), ST_OK);
	port = mock_server_port(s);
	T_ASSERT(port > 0);
	T_EQ_INT(http(h, port, "/v1/chat/completions",
		      "{\"model\":\"m\",\"messages\":[{\"role\":\"user\","
		      "\"content\":\"capital of France?\"}]}", &out), 200);
	j = json_loads(buf_str(&out), 0, NULL);
	T_ASSERT(j != NULL);
	T_EQ_STR(content_of(j), "Paris");
	json_decref(j);
	/* without /v1, and content as an array of parts */
	T_EQ_INT(http(h, port, "/chat/completions",
		      "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":"
		      "[{\"type\":\"text\",\"text\":\"Fra\"},{\"type\":\"text\",\"text\":\"nce\"}]}]}",
		      &out), 200);
	T_ASSERT(strstr(buf_str(&out), "\"Paris\"") != NULL);
	T_EQ_INT(http(h, port, "/v1/chat/completions",
		      "{\"model\":\"nope\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
		      &out), 404);
	T_ASSERT(strstr(buf_str(&out), "model_not_found") != NULL);
	T_EQ_INT(http(h, port, "/v1/chat/completions", "{\"model\":\"m\"}", &out), 400);
	T_EQ_INT(http(h, port, "/v1/chat/completions", "not json", &out), 400);
	T_EQ_INT(http(h, port, "/v1/nothing", "{}", &out), 404);
	T_EQ_INT(http(h, port, "/v1/models", NULL, &out), 200);
	T_ASSERT(strstr(buf_str(&out), "\"id\":\"m\"") != NULL);
	T_EQ_INT(http(h, port, "/v1/models/m", NULL, &out), 200);
	T_EQ_INT(http(h, port, "/models/org/m-2", NULL, &out), 200);
	T_ASSERT(strstr(buf_str(&out), "\"id\":\"org/m-2\"") != NULL);
	T_EQ_INT(http(h, port, "/v1/models/m-2", NULL, &out), 404);
	T_EQ_INT(http(h, port, "/health", NULL, &out), 200);
	T_EQ_INT(mock_server_requests(s), 5);
	mock_server_stop(s);
	curl_easy_cleanup(h);
	buf_free(&out);
}

TEST(mock_server_latency_and_max_tokens)
{
	static const char rules[] =
		"models:\n"
		"  - name: slow\n"
		"    latency_ms: 120\n"
		"default: 'aaaa bbbb cccc dddd eeee'\n";
	struct mock_config cfg = { .rules_yaml = rules, .quiet = 1 };
	struct mock_server *s = NULL;
	struct err e = { 0 };
	struct buf out = { 0 };
	CURL *h = curl_easy_init();
	json_t *j;
	double t0;
	T_EQ_INT(mock_server_start(&cfg, &s, &e), ST_OK);
	t0 = fs_mono_ms();
	T_EQ_INT(http(h, mock_server_port(s), "/v1/chat/completions",
		      "{\"model\":\"slow\",\"max_tokens\":2,\"messages\":"
		      "[{\"role\":\"user\",\"content\":\"x\"}]}", &out), 200);
	T_ASSERT(fs_mono_ms() - t0 >= 115);
	j = json_loads(buf_str(&out), 0, NULL);
	T_ASSERT(j != NULL);
	T_EQ_STR(content_of(j), "aaaa bbb");
	T_EQ_STR(json_string_value(json_object_get(json_array_get(
		json_object_get(j, "choices"), 0), "finish_reason")), "length");
	json_decref(j);
	mock_server_stop(s);
	curl_easy_cleanup(h);
	buf_free(&out);
}

TEST(mock_server_bad_rules_and_port)
{
	struct mock_config cfg = { .rules_yaml = "models: 3\n", .quiet = 1 };
	struct mock_server *s = (struct mock_server *)&cfg;
	struct err e = { 0 };
	T_EQ_INT(mock_server_start(&cfg, &s, &e), ST_INPUT);
	T_ASSERT(s == NULL);
	T_EQ_INT(e.line, 1);
	cfg.rules_yaml = NULL;
	cfg.port = 70000;
	T_EQ_INT(mock_server_start(&cfg, &s, &e), ST_USAGE);
}
