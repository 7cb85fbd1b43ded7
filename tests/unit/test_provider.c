/* test_provider.c — request building and reply parsing of each provider,
 * without a network: OpenAI (whole and streamed), Anthropic (whole and
 * streamed), the generic HTTP provider's JSONPath, config errors, the
 * price lookup, and exec's word splitting. */
#include "t.h"
#include "../../src/provider/provider.h"

#include <curl/curl.h>
#include <math.h>
#include <stdlib.h>

static struct provider_spec spec_of(const char *id, const char *config_json)
{
	struct provider_spec s;
	json_error_t je;
	memset(&s, 0, sizeof s);
	s.id = (char *)id;
	s.label = (char *)id;
	s.config = json_loads(config_json, 0, &je);
	s.loc.file = "suite.yaml";
	s.loc.line = 7;
	s.loc.col = 5;
	return s;
}

static bool has_header(const struct curl_slist *h, const char *line)
{
	for (; h; h = h->next)
		if (!strcmp(h->data, line))
			return true;
	return false;
}

TEST(provider_openai_request_and_reply)
{
	struct provider_spec s = spec_of("openai:chat:gpt-4o-mini",
		"{\"apiBaseUrl\":\"http://127.0.0.1:9/v1/\",\"apiKey\":\"sk-x\",\"temperature\":0,\"systemPrompt\":\"Be brief.\"}");
	struct provider *p = NULL;
	struct http_request req;
	struct response resp;
	struct err e;
	json_t *body;
	const char *reply = "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"hi\"},\"finish_reason\":\"stop\"}],"
			    "\"usage\":{\"prompt_tokens\":1000,\"completion_tokens\":500,\"total_tokens\":1500}}";
	memset(&req, 0, sizeof req);
	T_EQ_INT(provider_new(&s, ".", &p, &e), 0);
	T_EQ_INT(p->ops->build(p, "Hello", false, NULL, &req, &e), 0);
	T_EQ_STR(req.url, "http://127.0.0.1:9/v1/chat/completions");
	T_ASSERT(has_header(req.headers, "Authorization: Bearer sk-x"));
	body = json_loads(req.body, 0, NULL);
	T_EQ_STR(json_string_value(json_object_get(body, "model")), "gpt-4o-mini");
	T_EQ_STR(json_string_value(json_object_get(json_array_get(json_object_get(body, "messages"), 0), "role")), "system");
	T_EQ_STR(json_string_value(json_object_get(json_array_get(json_object_get(body, "messages"), 1), "content")), "Hello");
	T_EQ_INT(json_integer_value(json_object_get(body, "temperature")), 0);
	json_decref(body);
	response_init(&resp);
	p->ops->parse(p, 200, reply, strlen(reply), &resp);
	provider_set_cost(p, &resp);
	T_EQ_INT(resp.error, RESP_OK);
	T_EQ_STR(resp.output, "hi");
	T_EQ_STR(resp.finish_reason, "stop");
	T_EQ_INT(resp.total_tokens, 1500);
	/* gpt-4o-mini: 0.15 in / 0.60 out per Mtok → 0.00015 + 0.0003 */
	T_NEAR(resp.cost_usd, 0.00045, 1e-12);
	T_NEAR(resp.confidence, -1, 0);	/* no logprobs in the reply */
	response_cleanup(&resp);
	p->ops->parse(p, 429, "{\"error\":{\"message\":\"slow down\"}}", 33, &resp);
	T_EQ_INT(resp.error, RESP_ERR_HTTP);
	T_EQ_INT(resp.http_status, 429);
	T_ASSERT(strstr(resp.error_msg, "slow down") != NULL);
	response_cleanup(&resp);
	p->ops->parse(p, 200, "<html>", 6, &resp);
	T_EQ_INT(resp.error, RESP_ERR_BODY);
	response_cleanup(&resp);
	http_request_cleanup(&req);
	provider_free(p);
	json_decref(s.config);
}

TEST(provider_openai_stream_events)
{
	struct provider_spec s = spec_of("openai:chat:m", "{\"apiBaseUrl\":\"http://127.0.0.1:9/v1\",\"stream\":true}");
	struct provider *p = NULL;
	struct response resp;
	struct buf text = { 0 };
	struct err e;
	const char *c1 = "{\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}";
	const char *c2 = "{\"choices\":[{\"delta\":{\"content\":\"lo\"},\"finish_reason\":\"stop\"}]}";
	const char *c3 = "{\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,\"total_tokens\":5}}";
	T_EQ_INT(provider_new(&s, ".", &p, &e), 0);
	T_ASSERT(p->stream);
	response_init(&resp);
	T_EQ_INT(p->ops->stream_event(p, "message", c1, strlen(c1), &text, &resp), STREAM_MORE);
	T_EQ_INT(p->ops->stream_event(p, "message", c2, strlen(c2), &text, &resp), STREAM_MORE);
	T_EQ_INT(p->ops->stream_event(p, "message", c3, strlen(c3), &text, &resp), STREAM_MORE);
	T_EQ_INT(p->ops->stream_event(p, "message", "[DONE]", 6, &text, &resp), STREAM_DONE);
	T_EQ_STR(buf_str(&text), "Hello");
	T_EQ_STR(resp.finish_reason, "stop");
	T_EQ_INT(resp.total_tokens, 5);
	T_EQ_INT(p->ops->stream_event(p, "message", "{broken", 7, &text, &resp), STREAM_ERROR);
	T_EQ_INT(resp.error, RESP_ERR_BODY);
	response_cleanup(&resp);
	buf_free(&text);
	provider_free(p);
	json_decref(s.config);
}

TEST(provider_anthropic_request_reply_and_stream)
{
	struct provider_spec s = spec_of("anthropic:messages:claude-3-5-haiku-20241022",
		"{\"apiBaseUrl\":\"http://127.0.0.1:9\",\"apiKey\":\"k-1\",\"max_tokens\":50}");
	struct provider *p = NULL;
	struct http_request req;
	struct response resp;
	struct buf text = { 0 };
	struct err e;
	json_t *body;
	const char *chat = "[{\"role\":\"system\",\"content\":\"Sys\"},{\"role\":\"user\",\"content\":\"Q\"}]";
	const char *reply = "{\"content\":[{\"type\":\"text\",\"text\":\"A\"},{\"type\":\"text\",\"text\":\"B\"}],"
			    "\"stop_reason\":\"end_turn\",\"usage\":{\"input_tokens\":10,\"output_tokens\":4}}";
	const char *ev1 = "{\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":7}}}";
	const char *ev2 = "{\"type\":\"content_block_delta\",\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi\"}}";
	const char *ev3 = "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"max_tokens\"},\"usage\":{\"output_tokens\":2}}";
	const char *ev4 = "{\"type\":\"message_stop\"}";
	memset(&req, 0, sizeof req);
	T_EQ_INT(provider_new(&s, ".", &p, &e), 0);
	T_EQ_INT(p->ops->build(p, chat, true, NULL, &req, &e), 0);
	T_EQ_STR(req.url, "http://127.0.0.1:9/v1/messages");
	T_ASSERT(has_header(req.headers, "x-api-key: k-1"));
	T_ASSERT(has_header(req.headers, "anthropic-version: 2023-06-01"));
	body = json_loads(req.body, 0, NULL);
	T_EQ_STR(json_string_value(json_object_get(body, "system")), "Sys");
	T_EQ_INT(json_array_size(json_object_get(body, "messages")), 1);
	T_EQ_INT(json_integer_value(json_object_get(body, "max_tokens")), 50);
	json_decref(body);
	response_init(&resp);
	p->ops->parse(p, 200, reply, strlen(reply), &resp);
	T_EQ_STR(resp.output, "AB");
	T_EQ_STR(resp.finish_reason, "end_turn");
	T_EQ_INT(resp.prompt_tokens, 10);
	T_EQ_INT(resp.total_tokens, 14);
	response_cleanup(&resp);
	T_EQ_INT(p->ops->stream_event(p, "message_start", ev1, strlen(ev1), &text, &resp), STREAM_MORE);
	T_EQ_INT(p->ops->stream_event(p, "content_block_delta", ev2, strlen(ev2), &text, &resp), STREAM_MORE);
	T_EQ_INT(p->ops->stream_event(p, "message_delta", ev3, strlen(ev3), &text, &resp), STREAM_MORE);
	T_EQ_INT(p->ops->stream_event(p, "message_stop", ev4, strlen(ev4), &text, &resp), STREAM_DONE);
	T_EQ_STR(buf_str(&text), "Hi");
	T_EQ_STR(resp.finish_reason, "max_tokens");
	T_EQ_INT(resp.total_tokens, 9);
	response_cleanup(&resp);
	buf_free(&text);
	http_request_cleanup(&req);
	provider_free(p);
	json_decref(s.config);
}

TEST(provider_http_body_template_and_jsonpath)
{
	struct provider_spec s = spec_of("https://api.example.test/gen",
		"{\"body\":{\"input\":\"{{prompt}}\",\"meta\":{\"lang\":\"{{lang}}\"}},\"responsePath\":\"$.data.outputs[1]['text']\"}");
	struct provider *p = NULL;
	struct http_request req;
	struct response resp;
	struct err e;
	json_t *vars = json_pack("{s:s}", "lang", "de"), *body;
	const char *reply = "{\"data\":{\"outputs\":[{\"text\":\"no\"},{\"text\":\"Ja \\\"gut\\\"\"}]}}";
	memset(&req, 0, sizeof req);
	T_EQ_INT(provider_new(&s, ".", &p, &e), 0);
	T_EQ_INT(p->ops->build(p, "say \"hi\"", false, vars, &req, &e), 0);
	T_EQ_STR(req.url, "https://api.example.test/gen");
	body = json_loads(req.body, 0, NULL);
	T_EQ_STR(json_string_value(json_object_get(body, "input")), "say \"hi\"");
	T_EQ_STR(json_string_value(json_object_get(json_object_get(body, "meta"), "lang")), "de");
	json_decref(body);
	response_init(&resp);
	p->ops->parse(p, 200, reply, strlen(reply), &resp);
	T_EQ_STR(resp.output, "Ja \"gut\"");
	response_cleanup(&resp);
	p->ops->parse(p, 200, "{\"data\":{}}", 11, &resp);
	T_EQ_INT(resp.error, RESP_ERR_BODY);
	response_cleanup(&resp);
	http_request_cleanup(&req);
	provider_free(p);
	json_decref(s.config);
	json_decref(vars);
}

TEST(provider_config_errors_name_the_key_and_location)
{
	struct provider_spec s1 = spec_of("openai:chat:m", "{\"apiBaseUrl\":\"http://x/v1\",\"tool_chioce\":\"auto\"}");
	struct provider_spec s2 = spec_of("nosuch:model", "{}");
	struct provider_spec s3 = spec_of("https://x.test/", "{\"transformResponse\":\"json.a\"}");
	struct provider_spec s4 = spec_of("openai:chat:m", "{\"apiBaseUrl\":\"http://x/v1\",\"cost\":{\"input_per_mtok\":-1,\"output_per_mtok\":1}}");
	struct provider_spec s5 = spec_of("exec:python3 'unterminated", "{}");
	struct provider *p = NULL;
	struct err e;
	T_EQ_INT(provider_new(&s1, ".", &p, &e), ST_INPUT);
	T_ASSERT(strstr(e.msg, "'tool_chioce'") != NULL);
	T_EQ_STR(e.file, "suite.yaml");
	T_EQ_INT(e.line, 7);
	T_EQ_INT(e.col, 5);
	T_EQ_INT(provider_new(&s2, ".", &p, &e), ST_INPUT);
	T_ASSERT(strstr(e.msg, "unsupported provider 'nosuch:model'") != NULL);
	T_EQ_INT(provider_new(&s3, ".", &p, &e), ST_INPUT);
	T_ASSERT(strstr(e.msg, "JavaScript") != NULL);
	T_EQ_INT(provider_new(&s4, ".", &p, &e), ST_INPUT);
	T_ASSERT(strstr(e.msg, "cost must be") != NULL);
	T_EQ_INT(provider_new(&s5, ".", &p, &e), ST_INPUT);
	T_ASSERT(strstr(e.msg, "unterminated quote") != NULL);
	T_ASSERT(p == NULL);
	json_decref(s1.config);
	json_decref(s2.config);
	json_decref(s3.config);
	json_decref(s4.config);
	json_decref(s5.config);
}

TEST(provider_aliases_use_local_defaults)
{
	struct provider_spec s = spec_of("ollama:chat:llama3", "{}");
	struct provider *p = NULL;
	struct http_request req;
	struct err e;
	memset(&req, 0, sizeof req);
	unsetenv("OPENAI_BASE_URL");
	T_EQ_INT(provider_new(&s, ".", &p, &e), 0);
	T_EQ_INT(p->ops->build(p, "x", false, NULL, &req, &e), 0);
	T_EQ_STR(req.url, "http://127.0.0.1:11434/v1/chat/completions");
	T_EQ_STR(p->model, "llama3");
	http_request_cleanup(&req);
	provider_free(p);
	json_decref(s.config);
}

TEST(provider_exec_words_follow_shell_quoting)
{
	char **w = NULL;
	size_t n = 0;
	const char *why = NULL;
	T_EQ_INT(provider_split_words("python3 'my script.py' --flag=\"a \\\"b\\\"\" c\\ d", &w, &n, &why), 0);
	T_EQ_INT(n, 4);
	T_EQ_STR(w[0], "python3");
	T_EQ_STR(w[1], "my script.py");
	T_EQ_STR(w[2], "--flag=a \"b\"");
	T_EQ_STR(w[3], "c d");
	T_ASSERT(w[4] == NULL);
	for (size_t i = 0; i < n; i++)
		free(w[i]);
	free(w);
	T_EQ_INT(provider_split_words("  ", &w, &n, &why), -1);
	T_EQ_INT(provider_split_words("echo \"open", &w, &n, &why), -1);
}

/* `logprobs: true` goes into the body; the reply's token logprobs give
 * confidence = exp(mean logprob). */
TEST(provider_openai_logprobs_confidence)
{
	struct provider_spec s = spec_of("openai:chat:m",
		"{\"apiBaseUrl\":\"http://127.0.0.1:9/v1\",\"logprobs\":true,\"top_logprobs\":2}");
	struct provider *p = NULL;
	struct http_request req;
	struct response resp;
	struct err e;
	json_t *body;
	const char *reply = "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"Paris.\"},"
			    "\"logprobs\":{\"content\":[{\"token\":\"Paris\",\"logprob\":-0.1,\"top_logprobs\":[]},"
			    "{\"token\":\".\",\"logprob\":-0.5,\"top_logprobs\":[]}]},\"finish_reason\":\"stop\"}]}";
	const char *bad = "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"x\"},"
			  "\"logprobs\":{\"content\":[{\"token\":\"x\"}]}}]}";
	memset(&req, 0, sizeof req);
	T_EQ_INT(provider_new(&s, ".", &p, &e), 0);
	if (!p) {
		json_decref(s.config);
		return;
	}
	T_EQ_INT(p->ops->build(p, "Capital of France?", false, NULL, &req, &e), 0);
	body = json_loads(req.body, 0, NULL);
	T_ASSERT(json_is_true(json_object_get(body, "logprobs")));
	T_EQ_INT(json_integer_value(json_object_get(body, "top_logprobs")), 2);
	json_decref(body);
	response_init(&resp);
	p->ops->parse(p, 200, reply, strlen(reply), &resp);
	T_EQ_INT(resp.error, RESP_OK);
	T_EQ_STR(resp.output, "Paris.");
	T_NEAR(resp.confidence, exp(-0.3), 1e-12);
	response_cleanup(&resp);
	p->ops->parse(p, 200, bad, strlen(bad), &resp);	/* no numbers */
	T_EQ_INT(resp.error, RESP_OK);
	T_NEAR(resp.confidence, -1, 0);
	response_cleanup(&resp);
	http_request_cleanup(&req);
	provider_free(p);
	json_decref(s.config);
}

/* Issue 9: bytes that are not text from a generic HTTP provider are a
 * typed error of that item (never a truncated success), and a 3xx is
 * never an answer, whatever its body. */
TEST(provider_http_bytes_that_are_not_text)
{
	struct provider_spec s = spec_of("http://127.0.0.1:9/x", "{}");
	struct provider *p = NULL;
	struct response resp;
	struct err e;
	T_EQ_INT(provider_new(&s, ".", &p, &e), 0);
	response_init(&resp);
	p->ops->parse(p, 200, "ok\0rest", 7, &resp);
	T_EQ_INT(resp.error, RESP_ERR_BODY);
	T_ASSERT(strstr(resp.error_msg, "a NUL byte at byte 2 of 7") != NULL);
	T_ASSERT(resp.output == NULL);
	response_cleanup(&resp);
	p->ops->parse(p, 200, "caf\xe9", 4, &resp);   /* Latin-1 */
	T_EQ_INT(resp.error, RESP_ERR_BODY);
	T_ASSERT(strstr(resp.error_msg, "invalid UTF-8 at byte 3") != NULL);
	response_cleanup(&resp);
	p->ops->parse(p, 200, "caf\xc3\xa9", 5, &resp);
	T_EQ_INT(resp.error, RESP_OK);
	T_EQ_STR(resp.output, "caf\xc3\xa9");
	response_cleanup(&resp);
	p->ops->parse(p, 301, "{\"answer\":\"moved\"}", 18, &resp);
	T_EQ_INT(resp.error, RESP_ERR_HTTP);
	T_EQ_INT(resp.http_status, 301);
	T_ASSERT(strstr(resp.error_msg, "redirect") != NULL);
	response_cleanup(&resp);
	provider_free(p);
	json_decref(s.config);
}

TEST(provider_openai_redirect_and_content_filter)
{
	struct provider_spec s = spec_of("openai:chat:m", "{\"apiBaseUrl\":\"http://127.0.0.1:9/v1\"}");
	struct provider *p = NULL;
	struct response resp;
	struct err e;
	const char *moved = "{\"choices\":[{\"message\":{\"content\":\"hi\"}}]}";
	const char *filtered = "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":null},\"finish_reason\":\"content_filter\"}]}";
	const char *nomsg = "{\"choices\":[{\"finish_reason\":\"content_filter\"}]}";
	const char *refusal = "{\"choices\":[{\"message\":{\"content\":null,\"refusal\":\"I can't help with that.\"},\"finish_reason\":\"stop\"}]}";
	const char *nulltools = "{\"choices\":[{\"message\":{\"content\":null,\"tool_calls\":null},\"finish_reason\":\"stop\"}]}";
	T_EQ_INT(provider_new(&s, ".", &p, &e), 0);
	response_init(&resp);
	p->ops->parse(p, 302, moved, strlen(moved), &resp);
	T_EQ_INT(resp.error, RESP_ERR_HTTP);
	T_ASSERT(resp.output == NULL);
	response_cleanup(&resp);
	p->ops->parse(p, 200, filtered, strlen(filtered), &resp);
	T_EQ_INT(resp.error, RESP_OK);
	T_EQ_STR(resp.output, "");
	T_EQ_STR(resp.finish_reason, "content_filter");
	response_cleanup(&resp);
	p->ops->parse(p, 200, nomsg, strlen(nomsg), &resp);   /* Azure: no message */
	T_EQ_INT(resp.error, RESP_OK);
	T_EQ_STR(resp.finish_reason, "content_filter");
	response_cleanup(&resp);
	p->ops->parse(p, 200, refusal, strlen(refusal), &resp);
	T_EQ_STR(resp.output, "I can't help with that.");
	response_cleanup(&resp);
	p->ops->parse(p, 200, nulltools, strlen(nulltools), &resp);
	T_EQ_STR(resp.output, "");   /* not the text "null" */
	response_cleanup(&resp);
	provider_free(p);
	json_decref(s.config);
}

/* openai:completion: the legacy /completions API: the rendered text as
 * `prompt` (a chat's JSON unchanged), choices[0].text back, streamed
 * chunks' choices[0].text; tool keys pass through, typed. */
TEST(provider_openai_completion_request_and_reply)
{
	struct provider_spec s = spec_of("openai:completion:davinci-002",
		"{\"apiBaseUrl\":\"http://127.0.0.1:9/v1\",\"max_tokens\":5,\"best_of\":2}");
	struct provider_spec bad = spec_of("openai:chat:m",
		"{\"apiBaseUrl\":\"http://x/v1\",\"tools\":\"file://tools.json\"}");
	struct provider_spec typo = spec_of("openai:chta:gpt-4", "{}");
	struct provider_spec ok = spec_of("openai:chat:m",
		"{\"apiBaseUrl\":\"http://x/v1\",\"tools\":[{\"type\":\"function\"}],\"tool_choice\":\"auto\"}");
	struct provider *p = NULL, *q = NULL;
	struct http_request req;
	struct response resp;
	struct buf text = {0};
	struct err e;
	json_t *body;
	const char *reply = "{\"object\":\"text_completion\",\"choices\":[{\"text\":\" there\",\"index\":0,"
			    "\"finish_reason\":\"length\"}],\"usage\":{\"prompt_tokens\":2,\"completion_tokens\":1}}";
	const char *chunk = "{\"choices\":[{\"text\":\"ab\",\"index\":0,\"finish_reason\":null}]}";
	memset(&req, 0, sizeof req);
	T_EQ_INT(provider_new(&s, ".", &p, &e), 0);
	T_EQ_INT(p->ops->build(p, "[{\"role\":\"user\"}]", true, NULL, &req, &e), 0);
	T_EQ_STR(req.url, "http://127.0.0.1:9/v1/completions");
	body = json_loads(req.body, 0, NULL);
	T_EQ_STR(json_string_value(json_object_get(body, "prompt")), "[{\"role\":\"user\"}]");
	T_ASSERT(json_object_get(body, "messages") == NULL);
	T_EQ_INT(json_integer_value(json_object_get(body, "best_of")), 2);
	json_decref(body);
	response_init(&resp);
	p->ops->parse(p, 200, reply, strlen(reply), &resp);
	T_EQ_INT(resp.error, RESP_OK);
	T_EQ_STR(resp.output, " there");
	T_EQ_STR(resp.finish_reason, "length");
	T_EQ_INT(resp.prompt_tokens, 2);
	response_cleanup(&resp);
	response_init(&resp);
	T_EQ_INT(p->ops->stream_event(p, NULL, chunk, strlen(chunk), &text, &resp), STREAM_MORE);
	T_EQ_STR(buf_str(&text), "ab");
	buf_free(&text);
	response_cleanup(&resp);
	http_request_cleanup(&req);
	provider_free(p);
	T_EQ_INT(provider_new(&bad, ".", &q, &e), ST_INPUT);
	T_ASSERT(strstr(e.msg, "tools must be a list (values from file:// paths"));
	T_EQ_INT(provider_new(&typo, ".", &q, &e), ST_INPUT);
	T_ASSERT(strstr(e.msg, "unknown OpenAI provider type 'chta'"));
	T_EQ_INT(provider_new(&ok, ".", &q, &e), 0);
	provider_free(q);
	json_decref(s.config);
	json_decref(bad.config);
	json_decref(typo.config);
	json_decref(ok.config);
}
