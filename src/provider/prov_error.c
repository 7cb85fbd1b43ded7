/* prov_error.c — a server's error reply, whole or as an event inside a
 * stream, into a typed response error (see provider_read_error).
 *
 * The shapes read (facts from the servers' sources, docs/providers.md):
 *   OpenAI, Ollama   {"error": {"message", "type", "param", "code": "…"|null}}
 *   llama.cpp        {"error": {"code": 503, "message", "type"}}, plus
 *                    n_prompt_tokens and n_ctx on exceed_context_size_error
 *   vLLM             {"error": {"message", "type": "BadRequestError", "code": 400}}
 *                    (older versions: the same fields at the top level)
 *   Anthropic        {"type": "error", "error": {"type", "message"}}
 *   Ollama native    {"error": "message"}
 * An error event inside a stream has no status line of its own: its
 * status is the integer `code` when there is one, else the one its type
 * stands for, else 500 (the server failed mid-reply).  Retries then follow
 * the same rules as for the status (retry.h). */
#include "provider.h"
#include "../util/utf8.h"
#include "../util/xalloc.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Error types and the statuses they stand for. */
static const struct {
	const char *type;
	int status;
} type_status[] = {
	{ "invalid_request_error", 400 }, { "BadRequestError", 400 },
	{ "exceed_context_size_error", 400 }, { "authentication_error", 401 },
	{ "AuthenticationError", 401 }, { "permission_error", 403 },
	{ "not_found_error", 404 }, { "NotFoundError", 404 },
	{ "request_too_large", 413 }, { "rate_limit_error", 429 },
	{ "RateLimitError", 429 }, { "requests", 429 }, { "tokens", 429 },
	{ "server_error", 500 }, { "api_error", 500 },
	{ "InternalServerError", 500 }, { "not_supported_error", 501 },
	{ "unavailable_error", 503 }, { "ServiceUnavailableError", 503 },
	{ "overloaded_error", 529 },
};

/* The error object of a reply: root.error when it is an object, else the
 * root itself when it carries a message (older vLLM), else NULL. */
static const json_t *error_object(const json_t *root)
{
	const json_t *e = json_object_get(root, "error");
	if (json_is_object(e))
		return e;
	if (json_is_string(json_object_get(root, "message")))
		return root;
	return NULL;
}

int provider_error_status(const json_t *root)
{
	const json_t *e = error_object(root), *c;
	const char *type;
	if (!e)
		return 500;
	c = json_object_get(e, "code");
	if (json_is_integer(c) && json_integer_value(c) >= 400 &&
	    json_integer_value(c) <= 599)
		return (int)json_integer_value(c);
	if (json_is_string(c) && !strcmp(json_string_value(c), "rate_limit_exceeded"))
		return 429;
	type = json_string_value(json_object_get(e, "type"));
	for (size_t i = 0; type && i < sizeof type_status / sizeof *type_status; i++)
		if (!strcmp(type, type_status[i].type))
			return type_status[i].status;
	return 500;
}

void provider_read_error(const json_t *root, long status, const char *body,
			 size_t len, bool in_stream, struct response *resp)
{
	const json_t *e = error_object(root), *np, *nc;
	const char *m = NULL, *type = NULL;
	struct buf msg = { 0 };
	char *ex;
	if (e) {
		m = json_string_value(json_object_get(e, "message"));
		type = json_string_value(json_object_get(e, "type"));
	} else if (json_is_string(json_object_get(root, "error"))) {
		m = json_string_value(json_object_get(root, "error"));
	}
	if (in_stream && status < 400)
		status = provider_error_status(root);
	resp->error = RESP_ERR_HTTP;
	resp->http_status = (int)status;
	resp->in_stream = in_stream;
	free(resp->error_type);
	resp->error_type = type ? provider_excerpt(type, strlen(type)) : NULL;
	ex = m ? provider_excerpt(m, strlen(m)) : provider_excerpt(body, len);
	buf_printf(&msg, "HTTP %ld", status);
	if (type)
		buf_printf(&msg, " %s", resp->error_type);
	if (in_stream)
		buf_puts(&msg, " (an error event inside a 200 stream)");
	buf_printf(&msg, ": %s", ex);
	free(ex);
	if (status >= 300 && status < 400)
		buf_puts(&msg, " (a redirect: assay does not follow them; point "
			 "the provider at the final URL)");
	/* llama.cpp says by how much the prompt was too long */
	np = json_object_get(e, "n_prompt_tokens");
	nc = json_object_get(e, "n_ctx");
	if (json_is_integer(np)) {
		resp->prompt_tokens = (long)json_integer_value(np);
		buf_printf(&msg, " [prompt %ld tokens", resp->prompt_tokens);
		if (json_is_integer(nc))
			buf_printf(&msg, ", context %ld", (long)json_integer_value(nc));
		buf_putc(&msg, ']');
	}
	free(resp->error_msg);
	resp->error_msg = buf_detach(&msg);
}

size_t provider_text_check(const char *s, size_t n)
{
	size_t ok = utf8_valid_prefix(s, n);
	const char *z = ok ? memchr(s, 0, ok) : NULL;
	return z ? (size_t)(z - s) : ok;
}
