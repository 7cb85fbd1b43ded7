/* prov_anthropic.c — `anthropic:messages:<model>`: Anthropic's Messages API
 * (POST {base}/v1/messages with x-api-key and anthropic-version headers).
 *
 * Config keys: apiKey, apiKeyEnv, apiBaseUrl (else $ANTHROPIC_BASE_URL, else
 * https://api.anthropic.com), headers, anthropic_version (default
 * 2023-06-01), max_tokens (required by the API; default 1024), temperature,
 * top_p, top_k, stop (sent as stop_sequences), systemPrompt, passthrough
 * (+ the keys every provider has).  Key: config.apiKey, the variable named
 * by apiKeyEnv, then $ANTHROPIC_API_KEY.
 *
 * Chat prompts: system messages go to the top-level `system` field, the
 * others stay in `messages`.  Streaming (`stream: true`): message_start
 * (input tokens), content_block_delta (text), message_delta (stop reason,
 * output tokens), message_stop (the end marker), error. */
#include "provider.h"
#include "../util/xalloc.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

struct anthropic {
	char *url;
	char *key_header;     /* "x-api-key: …" */
	char *version_header;
	json_t *params;
	json_t *headers;
	char *system;
	long max_tokens;
};

static const char *env_nonempty(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

static int anthropic_init(struct provider *p, struct err *err)
{
	const json_t *cfg = p->spec->config;
	struct anthropic *a = xcalloc(1, sizeof *a);
	const char *key = NULL, *k, *base = NULL, *version = "2023-06-01";
	json_t *v;
	char *b;
	size_t n;
	int rc;
	p->state = a;
	a->params = json_object();
	a->max_tokens = 1024;
	json_object_foreach((json_t *)cfg, k, v) {
		if (provider_generic_key(k))
			continue;
		if (!strcmp(k, "temperature") || !strcmp(k, "top_p") ||
		    !strcmp(k, "top_k")) {
			if (!json_is_number(v))
				return provider_config_error(p, err, "%s must be a number", k);
			json_object_set(a->params, k, v);
		} else if (!strcmp(k, "stop")) {
			json_t *list = json_is_string(v) ? json_pack("[O]", v) : json_incref(v);
			if (!json_is_array(list)) {
				json_decref(list);
				return provider_config_error(p, err, "stop must be a string or a list of strings");
			}
			json_object_set_new(a->params, "stop_sequences", list);
		} else if (!strcmp(k, "max_tokens")) {
			if (!json_is_integer(v) || json_integer_value(v) < 1)
				return provider_config_error(p, err, "max_tokens must be a positive integer");
			a->max_tokens = (long)json_integer_value(v);
		} else if ((rc = provider_key_option(p, k, v, &key, err)) != 0) {
			if (rc == ST_INPUT)
				return rc;
		} else if (!strcmp(k, "apiBaseUrl")) {
			if (!json_is_string(v))
				return provider_config_error(p, err, "apiBaseUrl must be a string");
			base = json_string_value(v);
		} else if (!strcmp(k, "anthropic_version")) {
			if (!json_is_string(v))
				return provider_config_error(p, err, "anthropic_version must be a string");
			version = json_string_value(v);
		} else if (!strcmp(k, "systemPrompt")) {
			if (!json_is_string(v))
				return provider_config_error(p, err, "systemPrompt must be a string");
			a->system = xstrdup(json_string_value(v));
		} else if (!strcmp(k, "headers")) {
			if (provider_headers_option(p, v, &a->headers, err))
				return ST_INPUT;
		} else if (!strcmp(k, "passthrough")) {
			if (!json_is_object(v))
				return provider_config_error(p, err, "passthrough must be a map");
			json_object_update(a->params, v);
		} else {
			return provider_config_error(p, err,
				"config key '%s' is not supported; expected one of: apiKey, "
				"apiKeyEnv, apiBaseUrl, anthropic_version, headers, "
				"systemPrompt, passthrough, max_tokens, temperature, top_p, "
				"top_k, stop, stream, cost, timeout_ms, connect_timeout_ms, "
				"first_byte_timeout_ms, idle_timeout_ms, max_concurrency, "
				"rpm, tpm, max_retries, retry_base_ms, retry_max_ms, unavailable_wait_ms", k);
		}
	}
	if (!key)
		key = env_nonempty("ANTHROPIC_API_KEY");
	if (!base)
		base = env_nonempty("ANTHROPIC_BASE_URL");
	if (!base)
		base = "https://api.anthropic.com";
	if (!key && strstr(base, "api.anthropic.com"))
		return provider_config_error(p, err,
			"no API key: set $ANTHROPIC_API_KEY, config.apiKeyEnv or "
			"config.apiKey (or point apiBaseUrl at a local server)");
	b = xstrdup(base);
	n = strlen(b);
	while (n > 0 && b[n - 1] == '/')
		b[--n] = '\0';
	/* Accept a base with or without the trailing /v1. */
	if (n >= 3 && !strcmp(b + n - 3, "/v1"))
		a->url = xasprintf("%s/messages", b);
	else
		a->url = xasprintf("%s/v1/messages", b);
	free(b);
	a->key_header = key ? xasprintf("x-api-key: %s", key) : NULL;
	a->version_header = xasprintf("anthropic-version: %s", version);
	return 0;
}

static void anthropic_cleanup(struct provider *p)
{
	struct anthropic *a = p->state;
	if (!a)
		return;
	free(a->url);
	if (a->key_header)
		memset(a->key_header, 0, strlen(a->key_header));
	free(a->key_header);
	free(a->version_header);
	json_decref(a->params);
	json_decref(a->headers);
	free(a->system);
	free(a);
	p->state = NULL;
}

static int anthropic_build(const struct provider *p, const char *prompt,
			   bool is_chat, const json_t *vars,
			   struct http_request *req, struct err *err)
{
	const struct anthropic *a = p->state;
	json_t *body, *msgs = json_array(), *in = NULL;
	struct buf system = { 0 };
	(void)vars;
	if (a->system)
		buf_puts(&system, a->system);
	if (is_chat) {
		json_error_t je;
		size_t i;
		json_t *m;
		in = json_loads(prompt, 0, &je);
		if (!json_is_array(in)) {
			json_decref(in);
			json_decref(msgs);
			buf_free(&system);
			return err_set(err, ST_INPUT,
				       "chat prompt is not a JSON array of messages "
				       "after rendering (%s)", je.text);
		}
		json_array_foreach(in, i, m) {
			const char *role = json_string_value(json_object_get(m, "role"));
			json_t *content = json_object_get(m, "content");
			if (role && !strcmp(role, "system") && json_is_string(content)) {
				if (system.len)
					buf_puts(&system, "\n\n");
				buf_puts(&system, json_string_value(content));
			} else {
				json_array_append(msgs, m);
			}
		}
		json_decref(in);
	} else {
		json_array_append_new(msgs, json_pack("{s:s,s:s}", "role", "user",
						      "content", prompt));
	}
	body = json_object();
	json_object_set_new(body, "model", json_string(p->model));
	json_object_set_new(body, "max_tokens", json_integer(a->max_tokens));
	if (system.len)
		json_object_set_new(body, "system", json_string(system.p));
	json_object_set_new(body, "messages", msgs);
	json_object_update(body, a->params);
	if (p->stream)
		json_object_set_new(body, "stream", json_true());
	buf_free(&system);
	{
		const char *lines[] = { a->version_header, a->key_header };
		provider_json_request(req, a->url, body, lines, 2, a->headers);
	}
	return 0;
}

static void read_usage(const json_t *u, struct response *resp)
{
	json_t *t;
	if (!json_is_object(u))
		return;
	if (json_is_integer(t = json_object_get(u, "input_tokens")))
		resp->prompt_tokens = (long)json_integer_value(t);
	if (json_is_integer(t = json_object_get(u, "output_tokens")))
		resp->completion_tokens = (long)json_integer_value(t);
	if (resp->prompt_tokens >= 0 && resp->completion_tokens >= 0)
		resp->total_tokens = resp->prompt_tokens + resp->completion_tokens;
}

static void note_served_model(const json_t *msg, struct response *resp)
{
	const json_t *m = json_object_get(msg, "model");
	if (!resp->served_model && json_is_string(m) && json_string_length(m))
		resp->served_model = provider_excerpt(json_string_value(m),
						      json_string_length(m));
}

static void anthropic_parse(const struct provider *p, long status,
			    const char *body, size_t len, struct response *resp)
{
	json_error_t je;
	json_t *root = provider_json_load(body, len, 0, &je), *content, *block, *sr;
	struct buf text = { 0 };
	size_t i;
	(void)p;
	resp->http_status = (int)status;
	if (status >= 300) {   /* a redirect is not an answer, whatever its body */
		provider_read_error(root, status, body, len, false, resp);
		goto out;
	}
	content = json_object_get(root, "content");
	if (!json_is_array(content)) {
		char *ex = provider_excerpt(body, len);
		resp->error = RESP_ERR_BODY;
		resp->error_msg = root ? xasprintf("response has no content list: %s", ex)
				       : xasprintf("response is not JSON (%s): %s", je.text, ex);
		free(ex);
		goto out;
	}
	json_array_foreach(content, i, block) {
		json_t *t = json_object_get(block, "text");
		if (json_is_string(t))
			buf_append(&text, json_string_value(t), json_string_length(t));
	}
	resp->output = buf_detach(&text);
	note_served_model(root, resp);
	if (json_is_string(sr = json_object_get(root, "stop_reason")))
		resp->finish_reason = xstrdup(json_string_value(sr));
	read_usage(json_object_get(root, "usage"), resp);
out:
	buf_free(&text);
	json_decref(root);
}

static enum stream_step anthropic_stream_event(const struct provider *p,
					       const char *event,
					       const char *data, size_t len,
					       struct buf *text,
					       struct response *resp)
{
	json_error_t je;
	json_t *root;
	const char *type;
	enum stream_step step = STREAM_MORE;
	(void)p;
	root = provider_json_load(data, len, 0, &je);
	if (!json_is_object(root)) {
		char *ex = provider_excerpt(data, len);
		json_decref(root);
		resp->error = RESP_ERR_BODY;
		resp->error_msg = xasprintf("malformed stream event: %s", ex);
		free(ex);
		return STREAM_ERROR;
	}
	type = json_string_value(json_object_get(root, "type"));
	if (!type)
		type = event;
	if (!strcmp(type, "message_start")) {
		note_served_model(json_object_get(root, "message"), resp);
		read_usage(json_object_get(json_object_get(root, "message"), "usage"), resp);
	} else if (!strcmp(type, "content_block_delta")) {
		json_t *t = json_object_get(json_object_get(root, "delta"), "text");
		if (json_is_string(t))
			buf_append(text, json_string_value(t), json_string_length(t));
	} else if (!strcmp(type, "message_delta")) {
		json_t *sr = json_object_get(json_object_get(root, "delta"), "stop_reason");
		json_t *u = json_object_get(root, "usage");
		json_t *ot = json_object_get(u, "output_tokens");
		if (json_is_string(sr)) {
			free(resp->finish_reason);
			resp->finish_reason = xstrdup(json_string_value(sr));
		}
		if (json_is_integer(ot)) {
			resp->completion_tokens = (long)json_integer_value(ot);
			if (resp->prompt_tokens >= 0)
				resp->total_tokens = resp->prompt_tokens + resp->completion_tokens;
		}
	} else if (!strcmp(type, "message_stop")) {
		step = STREAM_DONE;
	} else if (!strcmp(type, "error")) {
		provider_read_error(root, 200, data, len, true, resp);
		step = STREAM_ERROR;
	}
	json_decref(root);
	return step;
}

const struct provider_ops prov_anthropic_ops = {
	.name = "anthropic",
	.init = anthropic_init,
	.cleanup = anthropic_cleanup,
	.build = anthropic_build,
	.parse = anthropic_parse,
	.stream_event = anthropic_stream_event,
};
