/* test_prov_error.c — servers' error replies (whole, and as events inside
 * a stream) into typed errors with their status, type and prompt size. */
#include "t.h"
#include "../../src/provider/provider.h"

static void read_err(const char *body, long status, bool in_stream,
		     struct response *r)
{
	json_t *j = json_loads(body, 0, NULL);
	response_init(r);
	provider_read_error(j, status, body, strlen(body), in_stream, r);
	json_decref(j);
}

TEST(prov_error_stream_events_take_their_code_or_type)
{
	struct response r;
	/* llama.cpp: an integer code */
	read_err("{\"error\":{\"code\":500,\"message\":\"boom\",\"type\":\"server_error\"}}", 200, true, &r);
	T_EQ_INT(r.error, RESP_ERR_HTTP);
	T_EQ_INT(r.http_status, 500);
	T_EQ_STR(r.error_type, "server_error");
	T_ASSERT(r.in_stream);
	T_ASSERT(strstr(r.error_msg, "boom") != NULL);
	response_cleanup(&r);
	/* Anthropic: the type only */
	read_err("{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}", 200, true, &r);
	T_EQ_INT(r.http_status, 529);
	response_cleanup(&r);
	read_err("{\"error\":{\"type\":\"rate_limit_error\",\"message\":\"slow\"}}", 200, true, &r);
	T_EQ_INT(r.http_status, 429);
	response_cleanup(&r);
	/* OpenAI: a string code and no type we know: a server failure */
	read_err("{\"error\":{\"message\":\"x\",\"type\":null,\"code\":null}}", 200, true, &r);
	T_EQ_INT(r.http_status, 500);
	response_cleanup(&r);
	/* a whole reply keeps its own status */
	read_err("{\"error\":{\"code\":503,\"message\":\"Loading model\",\"type\":\"unavailable_error\"}}", 503, false, &r);
	T_EQ_INT(r.http_status, 503);
	T_EQ_STR(r.error_type, "unavailable_error");
	T_ASSERT(!r.in_stream);
	T_EQ_STR(r.error_msg, "HTTP 503 unavailable_error: Loading model");
	response_cleanup(&r);
	/* Ollama's native shape, and a body that is not JSON */
	read_err("{\"error\":\"model \\\"x\\\" not found\"}", 404, false, &r);
	T_ASSERT(strstr(r.error_msg, "not found") != NULL);
	T_ASSERT(r.error_type == NULL);
	response_cleanup(&r);
	response_init(&r);
	provider_read_error(NULL, 502, "<html>bad gateway", 17, false, &r);
	T_EQ_STR(r.error_msg, "HTTP 502: <html>bad gateway");
	response_cleanup(&r);
}

/* llama.cpp's context error says by how much: both numbers are kept. */
TEST(prov_error_context_exceeded_keeps_type_and_prompt_tokens)
{
	struct response r;
	read_err("{\"error\":{\"code\":400,\"message\":\"request (13392 tokens) exceeds the available context size (8192 tokens), try increasing it\","
		 "\"type\":\"exceed_context_size_error\",\"n_prompt_tokens\":13392,\"n_ctx\":8192}}", 400, false, &r);
	T_EQ_INT(r.http_status, 400);
	T_EQ_STR(r.error_type, "exceed_context_size_error");
	T_EQ_INT(r.prompt_tokens, 13392);
	T_ASSERT(strstr(r.error_msg, "[prompt 13392 tokens, context 8192]") != NULL);
	T_ASSERT(!strncmp(r.error_msg, "HTTP 400 exceed_context_size_error: ", 36));
	response_cleanup(&r);
}

TEST(prov_text_check_finds_the_first_bad_byte)
{
	T_EQ_INT((int)provider_text_check("abc", 3), 3);
	T_EQ_INT((int)provider_text_check("h\xc3\xa9!", 4), 4);          /* é */
	T_EQ_INT((int)provider_text_check("\xf0\x9f\x98\x80", 4), 4);    /* U+1F600 */
	T_EQ_INT((int)provider_text_check("a\0b", 3), 1);                /* NUL */
	T_EQ_INT((int)provider_text_check("ab\xff", 3), 2);
	T_EQ_INT((int)provider_text_check("\xc0\xaf", 2), 0);            /* overlong */
	T_EQ_INT((int)provider_text_check("\xe0\x80\xaf", 3), 0);        /* overlong */
	T_EQ_INT((int)provider_text_check("x\xed\xa0\x80", 4), 1);       /* surrogate */
	T_EQ_INT((int)provider_text_check("\xf4\x90\x80\x80", 4), 0);    /* > U+10FFFF */
	T_EQ_INT((int)provider_text_check("ok\xe2\x82", 4), 2);          /* cut short */
}

/* Excerpts go into messages and JSON exports: always valid UTF-8. */
TEST(prov_excerpt_is_valid_utf8)
{
	char big[400];
	char *e = provider_excerpt("a\xff" "b\0c\xc3", 6);
	T_EQ_STR(e, "a?b c?");
	free(e);
	memset(big, 'x', sizeof big);
	memcpy(big + 299, "\xc3\xa9", 2);   /* é across the 300-byte limit */
	e = provider_excerpt(big, sizeof big);
	T_EQ_INT((int)strlen(e), 300);
	T_EQ_INT((int)provider_text_check(e, strlen(e)), 300);
	free(e);
}
