/* mock_profile.c — the manners of real OpenAI-compatible servers, for
 * `profile:` in a mock rules file: the shape of their error bodies, what
 * they write into a stream that fails after its HTTP 200, their answer to
 * an over-long prompt, to an unknown model and while a model loads, and
 * their /v1/models entries.
 *
 * The facts come from reading each server's source (no code or text of
 * theirs is used here):
 *  - llama.cpp `llama-server` (tools/server): errors are
 *    {"error": {"code": <status>, "message", "type"}} with types
 *    invalid_request_error 400, authentication_error 401,
 *    permission_error 403, not_found_error 404, server_error 500,
 *    not_supported_error 501, unavailable_error 503 ("Loading model"
 *    while the model loads), exceed_context_size_error 400 (which also
 *    carries n_prompt_tokens and n_ctx).  A stream that fails sends
 *    `data: {"error": {...}}` and no [DONE].  In single-model mode any
 *    model name is accepted and the reply names the loaded model.
 *  - vLLM (entrypoints/openai): {"error": {"message", "type", "param",
 *    "code": <status>}} with Python-exception-style types
 *    (BadRequestError, NotFoundError, InternalServerError, ...).  A
 *    stream that fails sends `data: {"error": {...}}` and then still
 *    `data: [DONE]`.  Unknown models are a 404 NotFoundError.
 *  - Ollama's OpenAI layer (openai/, middleware/): {"error": {"message",
 *    "type", "param": null, "code": null}} with only three types:
 *    invalid_request_error (400), not_found_error (404), api_error
 *    (anything else).  A stream that fails gets the error object written
 *    as a bare JSON line — no `data:` prefix — and no [DONE].
 *  - OpenAI: {"error": {"message", "type", "param", "code"}} with string
 *    codes; a failing stream sends `data: {"error": {...}}`. */
#include "mock_int.h"

#include <stdio.h>
#include <string.h>

static const char *const names[] = {
	[MOCK_PROFILE_OPENAI] = "openai",
	[MOCK_PROFILE_LLAMACPP] = "llamacpp",
	[MOCK_PROFILE_VLLM] = "vllm",
	[MOCK_PROFILE_OLLAMA] = "ollama",
};

int mock_profile_parse(const char *s, enum mock_profile *out)
{
	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		if (!strcmp(s, names[i])) {
			*out = (enum mock_profile)i;
			return 0;
		}
	return -1;
}

const char *mock_profile_name(enum mock_profile p)
{
	return (size_t)p < sizeof names / sizeof *names ? names[p] : "openai";
}

static const char *llamacpp_type(unsigned status)
{
	switch (status) {
	case 400: return "invalid_request_error";
	case 401: return "authentication_error";
	case 403: return "permission_error";
	case 404: return "not_found_error";
	case 501: return "not_supported_error";
	case 503: return "unavailable_error";
	default: return "server_error";
	}
}

static const char *vllm_type(unsigned status)
{
	switch (status) {
	case 400: return "BadRequestError";
	case 401: return "AuthenticationError";
	case 404: return "NotFoundError";
	case 413: return "RequestEntityTooLarge";
	case 429: return "RateLimitError";
	case 501: return "NotImplementedError";
	case 503: return "ServiceUnavailableError";
	default: return status >= 500 ? "InternalServerError" : "BadRequestError";
	}
}

static const char *ollama_type(unsigned status)
{
	return status == 400 ? "invalid_request_error" :
	       status == 404 ? "not_found_error" : "api_error";
}

void mock_profile_error(struct buf *b, enum mock_profile p, unsigned status,
			const char *type, const char *code, const char *msg)
{
	switch (p) {
	case MOCK_PROFILE_LLAMACPP:
		buf_printf(b, "{\"error\":{\"code\":%u,\"message\":\"", status);
		buf_json_escape(b, msg, strlen(msg));
		buf_printf(b, "\",\"type\":\"%s\"}}", llamacpp_type(status));
		return;
	case MOCK_PROFILE_VLLM:
		buf_puts(b, "{\"error\":{\"message\":\"");
		buf_json_escape(b, msg, strlen(msg));
		buf_printf(b, "\",\"type\":\"%s\",\"param\":null,\"code\":%u}}",
			   vllm_type(status), status);
		return;
	case MOCK_PROFILE_OLLAMA:
		buf_puts(b, "{\"error\":{\"message\":\"");
		buf_json_escape(b, msg, strlen(msg));
		buf_printf(b, "\",\"type\":\"%s\",\"param\":null,\"code\":null}}",
			   ollama_type(status));
		return;
	case MOCK_PROFILE_OPENAI:
		break;
	}
	mock_reply_error(b, type, code, "%s", msg);
}

void mock_profile_stream_error(struct buf *b, enum mock_profile p,
			       int anthropic)
{
	static const char msg[] = "the model failed mid-stream (injected by assay mock)";
	struct buf e = { 0 };
	if (anthropic) {
		buf_puts(b, "event: error\ndata: {\"type\":\"error\",\"error\":"
			 "{\"type\":\"api_error\",\"message\":\"");
		buf_puts(b, msg);
		buf_puts(b, "\"}}\n\n");
		return;
	}
	mock_profile_error(&e, p, 500, "server_error", NULL, msg);
	if (p == MOCK_PROFILE_OLLAMA) {   /* a bare JSON line, no SSE framing */
		buf_append(b, e.p, e.len);
		buf_putc(b, '\n');
	} else {
		buf_puts(b, "data: ");
		buf_append(b, e.p, e.len);
		buf_puts(b, "\n\n");
		if (p == MOCK_PROFILE_VLLM)
			buf_puts(b, "data: [DONE]\n\n");
	}
	buf_free(&e);
}

void mock_profile_context_error(struct buf *b, enum mock_profile p,
				long n_prompt, long n_ctx)
{
	char msg[300];
	switch (p) {
	case MOCK_PROFILE_LLAMACPP:
		snprintf(msg, sizeof msg, "request (%ld tokens) exceeds the "
			 "available context size (%ld tokens), try increasing it",
			 n_prompt, n_ctx);
		buf_puts(b, "{\"error\":{\"code\":400,\"message\":\"");
		buf_json_escape(b, msg, strlen(msg));
		buf_printf(b, "\",\"type\":\"exceed_context_size_error\","
			   "\"n_prompt_tokens\":%ld,\"n_ctx\":%ld}}", n_prompt, n_ctx);
		return;
	case MOCK_PROFILE_VLLM:
		snprintf(msg, sizeof msg, "This model's maximum context length is "
			 "%ld tokens. However, your request has %ld input tokens. "
			 "Please reduce the length of the input messages.",
			 n_ctx, n_prompt);
		break;
	default:
		snprintf(msg, sizeof msg, "This model's maximum context length is "
			 "%ld tokens. However, your messages resulted in %ld "
			 "tokens. Please reduce the length of the messages.",
			 n_ctx, n_prompt);
		break;
	}
	mock_profile_error(b, p, 400, "invalid_request_error",
			   "context_length_exceeded", msg);
}

void mock_profile_loading_error(struct buf *b, enum mock_profile p)
{
	mock_profile_error(b, p, 503, "server_error", "service_unavailable",
			   "Loading model");
}

void mock_profile_not_found(struct buf *b, enum mock_profile p,
			    const char *model)
{
	struct buf m = { 0 };
	if (p == MOCK_PROFILE_OLLAMA)
		buf_printf(&m, "model \"%s\" not found, try pulling it first", model);
	else if (p == MOCK_PROFILE_VLLM)
		buf_printf(&m, "The model `%s` does not exist.", model);
	else
		buf_printf(&m, "The model `%s` does not exist or you do not have "
			   "access to it.", model);
	mock_profile_error(b, p, 404, "invalid_request_error", "model_not_found",
			   buf_str(&m));
	buf_free(&m);
}
