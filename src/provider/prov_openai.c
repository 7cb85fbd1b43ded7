/* prov_openai.c — `openai:chat:<model>` and `openai:<model>`: any endpoint
 * that speaks OpenAI's /chat/completions (OpenAI, vLLM, llama.cpp's
 * llama-server, Ollama, `assay mock`); `openai:completion:<model>`: the
 * legacy /completions API (the rendered prompt as `prompt`, the reply in
 * choices[0].text); `openai:embedding:<model>`: /embeddings.
 *
 * Config keys (promptfoo's names): apiKey, apiKeyEnv, apiBaseUrl, apiHost,
 * organization, headers, systemPrompt, passthrough, and the request body
 * parameters of body_keys[] (temperature, max_tokens, tools, tool_choice,
 * …), type-checked and sent unchanged (+ the keys every provider has,
 * provider.h).
 *
 * With `logprobs: true` a whole (non-streamed) reply's
 * choices[0].logprobs.content[*].logprob give response.confidence =
 * exp(mean token logprob) — the model's certainty in its own tokens, read
 * by the calibration figures (docs/statistics.md).  Streamed replies
 * carry the same entries chunk by chunk; they are summed and give the
 * same figure at [DONE].
 * Base URL: config.apiBaseUrl, then config.apiHost, then the alias's
 * default (ollama, vllm, llamacpp), then $OPENAI_BASE_URL /
 * $OPENAI_API_BASE_URL / $OPENAI_API_HOST, then https://api.openai.com/v1.
 * Key: config.apiKey, then the variable named by config.apiKeyEnv, then
 * $OPENAI_API_KEY (none is needed for a local server).
 *
 * With `stream: true` the request asks for Server-Sent Events (with usage
 * in the last chunk); a stream must end with `data: [DONE]`. */
#include "provider.h"
#include "../util/buf.h"
#include "../util/xalloc.h"

#include <curl/curl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct openai {
	char *url;          /* …/chat/completions */
	char *auth;         /* "Authorization: Bearer …" or NULL */
	json_t *params;     /* body fields copied into every request */
	json_t *headers;    /* extra headers: name → string */
	char *system;       /* systemPrompt or NULL */
	bool text;          /* openai:completion: the legacy /completions
			     * API (a prompt string, choices[0].text) */
};

/* Body parameters passed through to the API as they are, each with the
 * JSON types it may take (n number, i integer, b boolean, s string,
 * S string or list of strings, o object, l list, a anything): checked at
 * load so a typo'd value fails before the first request. */
static const struct { const char *key, *types; } body_keys[] = {
	{ "temperature", "n" }, { "max_tokens", "i" },
	{ "max_completion_tokens", "i" }, { "top_p", "n" }, { "seed", "i" },
	{ "response_format", "o" }, { "stop", "S" },
	{ "presence_penalty", "n" }, { "frequency_penalty", "n" },
	{ "logprobs", "b" }, { "top_logprobs", "i" },
	/* tool calling and the newer chat parameters, unchanged */
	{ "tools", "l" }, { "functions", "l" }, { "tool_choice", "so" },
	{ "function_call", "so" }, { "parallel_tool_calls", "b" },
	{ "reasoning_effort", "s" }, { "user", "s" }, { "logit_bias", "o" },
	{ "service_tier", "s" }, { "store", "b" }, { "metadata", "o" },
	{ "modalities", "l" }, { "audio", "o" }, { "prediction", "o" },
	{ "verbosity", "s" }, { "web_search_options", "o" },
	/* the legacy completions API */
	{ "best_of", "i" }, { "echo", "b" }, { "suffix", "s" },
};

static const char *body_key_types(const char *k)
{
	for (size_t i = 0; i < sizeof body_keys / sizeof *body_keys; i++)
		if (!strcmp(k, body_keys[i].key))
			return body_keys[i].types;
	return NULL;
}

static bool is_body_key(const char *k)
{
	return body_key_types(k) != NULL;
}

static bool all_strings(const json_t *v)
{
	size_t i;
	json_t *x;
	json_array_foreach(v, i, x)
		if (!json_is_string(x))
			return false;
	return true;
}

/* 0 when v has one of the key's types, else a config error. */
static int body_type_check(const struct provider *p, const char *k,
			   const json_t *v, struct err *err)
{
	const char *t = body_key_types(k);
	bool ok = (strchr(t, 'n') && json_is_number(v)) ||
		  (strchr(t, 'i') && json_is_integer(v)) ||
		  (strchr(t, 'b') && json_is_boolean(v)) ||
		  (strchr(t, 's') && json_is_string(v)) ||
		  (strchr(t, 'S') && (json_is_string(v) ||
				      (json_is_array(v) && all_strings(v)))) ||
		  (strchr(t, 'o') && json_is_object(v)) ||
		  (strchr(t, 'l') && json_is_array(v));
	if (ok)
		return 0;
	return provider_config_error(p, err, "%s must be %s%s", k,
		!strcmp(t, "n") ? "a number" : !strcmp(t, "i") ? "an integer" :
		!strcmp(t, "b") ? "true or false" : !strcmp(t, "s") ? "a string" :
		!strcmp(t, "S") ? "a string or a list of strings" :
		!strcmp(t, "o") ? "a mapping" : !strcmp(t, "l") ? "a list" :
		"a string or a mapping",
		json_is_string(v) && !strncmp(json_string_value(v), "file://", 7)
		? " (values from file:// paths are not supported here)" : "");
}

static const char *env_nonempty(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

static int cfg_error(const struct provider *p, struct err *err,
		     const char *what)
{
	return provider_config_error(p, err, "%s", what);
}

static char *base_url(const json_t *cfg, const char *alias_base)
{
	const char *b = json_string_value(json_object_get(cfg, "apiBaseUrl"));
	const char *h = json_string_value(json_object_get(cfg, "apiHost"));
	char *url;
	size_t n;
	if (!b && h)
		return xasprintf("https://%s/v1", h);
	if (!b)
		b = alias_base;
	if (!b)
		b = env_nonempty("OPENAI_BASE_URL");
	if (!b)
		b = env_nonempty("OPENAI_API_BASE_URL");
	if (!b && (h = env_nonempty("OPENAI_API_HOST")))
		return xasprintf("https://%s/v1", h);
	if (!b)
		b = "https://api.openai.com/v1";
	url = xstrdup(b);
	n = strlen(url);
	while (n > 0 && url[n - 1] == '/')
		url[--n] = '\0';
	return url;
}

static int openai_init(struct provider *p, struct err *err)
{
	const json_t *cfg = p->spec->config;
	struct openai *o = xcalloc(1, sizeof *o);
	const char *key = NULL, *k;
	json_t *v;
	char *base;
	int rc;
	p->state = o;
	o->params = json_object();
	o->text = !strncmp(p->spec->id, "openai:completion:", 18);
	json_object_foreach((json_t *)cfg, k, v) {
		if (provider_generic_key(k)) {
			continue;
		} else if (is_body_key(k)) {
			if (body_type_check(p, k, v, err))
				return ST_INPUT;
			json_object_set(o->params, k, v);
		} else if (!strcmp(k, "max_output_tokens")) {
			return cfg_error(p, err, "max_output_tokens is the "
					 "Responses API's (openai:responses:, "
					 "not supported); chat completions take "
					 "max_tokens or max_completion_tokens");
		} else if ((rc = provider_key_option(p, k, v, &key, err)) != 0) {
			if (rc == ST_INPUT)
				return rc;
		} else if (!strcmp(k, "apiBaseUrl") || !strcmp(k, "apiHost") ||
			   !strcmp(k, "organization")) {
			if (!json_is_string(v)) {
				char msg[200];
				snprintf(msg, sizeof msg, "%s must be a string", k);
				return cfg_error(p, err, msg);
			}
		} else if (!strcmp(k, "headers")) {
			if (provider_headers_option(p, v, &o->headers, err))
				return ST_INPUT;
		} else if (!strcmp(k, "systemPrompt")) {
			if (!json_is_string(v))
				return cfg_error(p, err, "systemPrompt must be a string");
			o->system = xstrdup(json_string_value(v));
		} else if (!strcmp(k, "passthrough")) {
			if (!json_is_object(v))
				return cfg_error(p, err, "passthrough must be a map");
			json_object_update(o->params, v);
		} else {
			char msg[600];
			snprintf(msg, sizeof msg,
				 "config key '%s' is not supported; expected apiKey, "
				 "apiKeyEnv, apiBaseUrl, apiHost, organization, "
				 "headers, systemPrompt, passthrough, a request "
				 "parameter (temperature, max_tokens, tools, "
				 "tool_choice, response_format, … — the list is in "
				 "docs/providers.md) or a transport key (stream, "
				 "cost, timeout_ms, max_concurrency, rpm, "
				 "max_retries, …); `passthrough: {…}` sends any "
				 "other body field unchanged", k);
			return cfg_error(p, err, msg);
		}
	}
	if (!key)
		key = env_nonempty("OPENAI_API_KEY");
	base = base_url(cfg, p->default_base);
	if (!key && strstr(base, "api.openai.com")) {
		free(base);
		return cfg_error(p, err,
				 "no API key: set $OPENAI_API_KEY, config.apiKeyEnv "
				 "or config.apiKey (or point apiBaseUrl / "
				 "$OPENAI_BASE_URL at a local server)");
	}
	o->url = xasprintf(p->embed ? "%s/embeddings" : o->text ? "%s/completions"
			   : "%s/chat/completions", base);
	free(base);
	if (key)
		o->auth = xasprintf("Authorization: Bearer %s", key);
	if ((v = json_object_get(cfg, "organization"))) {
		if (!o->headers)
			o->headers = json_object();
		json_object_set(o->headers, "OpenAI-Organization", v);
	}
	return 0;
}

static void openai_cleanup(struct provider *p)
{
	struct openai *o = p->state;
	if (!o)
		return;
	free(o->url);
	if (o->auth) /* the key: wipe before freeing */
		memset(o->auth, 0, strlen(o->auth));
	free(o->auth);
	json_decref(o->params);
	json_decref(o->headers);
	free(o->system);
	free(o);
	p->state = NULL;
}

static json_t *messages_for(const struct openai *o, const char *prompt,
			    bool is_chat, struct err *err)
{
	json_t *msgs;
	if (is_chat) {
		json_error_t je;
		msgs = json_loads(prompt, 0, &je);
		if (!json_is_array(msgs)) {
			json_decref(msgs);
			err_set(err, ST_INPUT,
				"chat prompt is not a JSON array of messages after "
				"rendering (%s at line %d column %d)",
				je.text, je.line, je.column);
			return NULL;
		}
	} else {
		msgs = json_array();
		json_array_append_new(msgs, json_pack("{s:s,s:s}", "role",
						      "user", "content", prompt));
	}
	if (o->system) {
		json_t *first = json_array_get(msgs, 0);
		const char *role = json_string_value(json_object_get(first, "role"));
		if (!role || strcmp(role, "system") != 0)
			json_array_insert_new(msgs, 0,
					      json_pack("{s:s,s:s}", "role", "system",
							"content", o->system));
	}
	return msgs;
}

static int openai_build(const struct provider *p, const char *prompt,
			bool is_chat, const json_t *vars,
			struct http_request *req, struct err *err)
{
	const struct openai *o = p->state;
	json_t *body, *msgs;
	(void)vars;
	body = json_object();
	json_object_set_new(body, "model", json_string(p->model));
	if (p->embed) {
		json_object_set_new(body, "input", json_string(prompt));
		goto send;
	}
	if (o->text) {
		/* the rendered text as it is, a chat's JSON included (promptfoo's
		 * completion provider sends the prompt unchanged) */
		json_object_set_new(body, "prompt", json_string(prompt));
		json_object_update(body, o->params);
		if (p->stream) {
			json_object_set_new(body, "stream", json_true());
			json_object_set_new(body, "stream_options",
					    json_pack("{s:b}", "include_usage", 1));
		}
		goto send;
	}
	msgs = messages_for(o, prompt, is_chat, err);
	if (!msgs) {
		json_decref(body);
		return ST_INPUT;
	}
	json_object_set_new(body, "messages", msgs);
	json_object_update(body, o->params);
	if (p->stream) {
		json_object_set_new(body, "stream", json_true());
		json_object_set_new(body, "stream_options",
				    json_pack("{s:b}", "include_usage", 1));
	}
send:
	{
		const char *lines[] = { o->auth };
		provider_json_request(req, o->url, body, lines, 1, o->headers);
	}
	return 0;
}

static void read_usage(const json_t *u, struct response *resp)
{
	json_t *t;
	if (!json_is_object(u))
		return;
	if (json_is_integer(t = json_object_get(u, "prompt_tokens")))
		resp->prompt_tokens = (long)json_integer_value(t);
	if (json_is_integer(t = json_object_get(u, "completion_tokens")))
		resp->completion_tokens = (long)json_integer_value(t);
	if (json_is_integer(t = json_object_get(u, "total_tokens")))
		resp->total_tokens = (long)json_integer_value(t);
}

/* exp(mean of choices[0].logprobs.content[*].logprob), or -1 when the
 * reply has no token logprobs. */
static double logprob_confidence(const json_t *choice)
{
	const json_t *toks = json_object_get(json_object_get(choice, "logprobs"),
					     "content"), *t;
	double sum = 0;
	size_t i, n = 0;
	json_array_foreach(toks, i, t) {
		const json_t *lp = json_object_get(t, "logprob");
		if (!json_is_number(lp))
			continue;
		sum += json_number_value(lp);
		n++;
	}
	if (!n)
		return -1;
	sum = exp(sum / (double)n);
	return sum > 1 ? 1 : sum;
}

/* The `model` the server says answered (kept once per response). */
static void note_served_model(const json_t *root, struct response *resp)
{
	const json_t *m = json_object_get(root, "model");
	if (!resp->served_model && json_is_string(m) && json_string_length(m))
		resp->served_model = provider_excerpt(json_string_value(m),
						      json_string_length(m));
}

/* A streamed chunk's choices[0].logprobs.content[*].logprob (the same
 * format as a whole reply's, one chunk's tokens at a time), summed into
 * resp until [DONE] turns them into the confidence. */
static void add_logprobs(const json_t *choice, struct response *resp)
{
	const json_t *toks = json_object_get(json_object_get(choice, "logprobs"),
					     "content"), *t;
	size_t i;
	json_array_foreach(toks, i, t) {
		const json_t *lp = json_object_get(t, "logprob");
		if (json_is_number(lp)) {
			resp->logprob_sum += json_number_value(lp);
			resp->logprob_n++;
		}
	}
}

/* A reply withheld by a content filter or refused: no text content, and
 * finish_reason content_filter or a message.refusal string. */
static bool is_content_filtered(const json_t *choice, const json_t *msg)
{
	const char *fr = json_string_value(json_object_get(choice, "finish_reason"));
	if (json_is_string(json_object_get(msg, "content")))
		return false;
	return (fr && !strcmp(fr, "content_filter")) ||
	       json_is_string(json_object_get(msg, "refusal"));
}

static void openai_parse(const struct provider *p, long status,
			 const char *body, size_t len, struct response *resp)
{
	json_error_t je;
	json_t *root = provider_json_load(body, len, 0, &je), *choice, *msg, *c, *u;
	resp->http_status = (int)status;
	if (status >= 300) {   /* a redirect is not an answer, whatever its body */
		provider_read_error(root, status, body, len, false, resp);
		goto out;
	}
	if (!root) {
		char *ex = provider_excerpt(body, len);
		resp->error = RESP_ERR_BODY;
		resp->error_msg = xasprintf("response is not JSON (%s): %s",
					    je.text, ex);
		free(ex);
		goto out;
	}
	note_served_model(root, resp);
	if (p->embed) {
		json_t *vec = json_object_get(json_array_get(
			json_object_get(root, "data"), 0), "embedding");
		if (!json_is_array(vec) || !json_array_size(vec)) {
			resp->error = RESP_ERR_BODY;
			resp->error_msg = xstrdup("response has no data[0].embedding");
			goto out;
		}
		resp->output = json_dumps(vec, JSON_COMPACT);
		read_usage(json_object_get(root, "usage"), resp);
		goto out;
	}
	choice = json_array_get(json_object_get(root, "choices"), 0);
	if (((const struct openai *)p->state)->text) {
		c = json_object_get(choice, "text");
		if (!json_is_string(c)) {
			resp->error = RESP_ERR_BODY;
			resp->error_msg = xstrdup("response has no choices[0].text");
			goto out;
		}
		resp->output = xstrndup(json_string_value(c), json_string_length(c));
		if (json_is_string(json_object_get(choice, "finish_reason")))
			resp->finish_reason = xstrdup(json_string_value(
				json_object_get(choice, "finish_reason")));
		read_usage(json_object_get(root, "usage"), resp);
		goto out;
	}
	msg = json_object_get(choice, "message");
	if (is_content_filtered(choice, msg)) {
		/* A refusal, not an empty answer and not a broken body:
		 * the model's refusal text when it gave one, else empty
		 * (which is-refusal counts as a refusal), with the finish
		 * reason that says why. */
		c = json_object_get(msg, "refusal");
		resp->output = json_is_string(c)
			? xstrndup(json_string_value(c), json_string_length(c))
			: xstrdup("");
		resp->finish_reason = xstrdup(json_is_string(json_object_get(choice,
			"finish_reason")) ? json_string_value(json_object_get(choice,
			"finish_reason")) : "content_filter");
		read_usage(json_object_get(root, "usage"), resp);
		goto out;
	}
	if (!json_is_object(msg)) {
		resp->error = RESP_ERR_BODY;
		resp->error_msg = xstrdup("response has no choices[0].message");
		goto out;
	}
	c = json_object_get(msg, "content");
	if (json_is_string(c)) {
		resp->output = xstrndup(json_string_value(c), json_string_length(c));
	} else if (json_is_array(json_object_get(msg, "tool_calls"))) {
		resp->output = json_dumps(json_object_get(msg, "tool_calls"),
					  JSON_COMPACT);
	} else if (json_is_null(c) || !c) {
		resp->output = xstrdup("");
	} else {
		resp->error = RESP_ERR_BODY;
		resp->error_msg = xstrdup("choices[0].message.content is not text");
		goto out;
	}
	resp->confidence = logprob_confidence(choice);
	if (json_is_string(json_object_get(choice, "finish_reason")))
		resp->finish_reason = xstrdup(json_string_value(
			json_object_get(choice, "finish_reason")));
	u = json_object_get(root, "usage");
	read_usage(u, resp);
out:
	json_decref(root);
}

/* One chunk of a streamed completion: {"choices":[{"delta":{"content":
 * "…"},"finish_reason":…}], "usage":…}, or the final "[DONE]". */
static enum stream_step openai_stream_event(const struct provider *p,
					    const char *event, const char *data,
					    size_t len, struct buf *text,
					    struct response *resp)
{
	json_error_t je;
	json_t *root, *choice, *delta, *c, *fr, *e;
	(void)event;
	if (len == 6 && !memcmp(data, "[DONE]", 6)) {
		if (resp->logprob_n > 0) {
			double conf = exp(resp->logprob_sum / (double)resp->logprob_n);
			resp->confidence = conf > 1 ? 1 : conf;
		}
		return STREAM_DONE;
	}
	root = provider_json_load(data, len, 0, &je);
	if (!json_is_object(root)) {
		char *ex = provider_excerpt(data, len);
		json_decref(root);
		resp->error = RESP_ERR_BODY;
		resp->error_msg = xasprintf("malformed stream chunk: %s", ex);
		free(ex);
		return STREAM_ERROR;
	}
	if ((e = json_object_get(root, "error")) && !json_is_null(e)) {
		provider_read_error(root, 200, data, len, true, resp);
		json_decref(root);
		return STREAM_ERROR;
	}
	note_served_model(root, resp);
	choice = json_array_get(json_object_get(root, "choices"), 0);
	delta = json_object_get(choice, "delta");
	c = ((const struct openai *)p->state)->text
	    ? json_object_get(choice, "text")
	    : json_object_get(delta, "content");
	if (json_is_string(c))
		buf_append(text, json_string_value(c), json_string_length(c));
	add_logprobs(choice, resp);
	fr = json_object_get(choice, "finish_reason");
	if (json_is_string(fr)) {
		free(resp->finish_reason);
		resp->finish_reason = xstrdup(json_string_value(fr));
	}
	read_usage(json_object_get(root, "usage"), resp);
	json_decref(root);
	return STREAM_MORE;
}

const struct provider_ops prov_openai_ops = {
	.name = "openai",
	.init = openai_init,
	.cleanup = openai_cleanup,
	.build = openai_build,
	.parse = openai_parse,
	.stream_event = openai_stream_event,
};
