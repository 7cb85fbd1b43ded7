/* provider.c — the provider table, lookup by id prefix, and the config
 * keys every provider shares (cost, stream, transport settings). */
#include "provider.h"
#include "../util/json_limit.h"
#include "../util/limits.h"
#include "../util/xalloc.h"

#include <ctype.h>
#include <curl/curl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Longer prefixes first: "openai:chat:" must win over "openai:".  The
 * local-server aliases speak OpenAI's protocol on their default loopback
 * addresses (config.apiBaseUrl overrides). */
static const struct {
	const char *prefix;
	const struct provider_ops *ops;
	const char *default_base;
	bool needs_model;
} table[] = {
	{ "openai:embedding:", &prov_openai_ops, NULL, true },
	{ "openai:embeddings:", &prov_openai_ops, NULL, true },
	{ "openai:chat:", &prov_openai_ops, NULL, true },
	{ "openai:completion:", &prov_openai_ops, NULL, true },
	{ "openai:", &prov_openai_ops, NULL, true },
	{ "anthropic:messages:", &prov_anthropic_ops, NULL, true },
	{ "ollama:chat:", &prov_openai_ops, "http://127.0.0.1:11434/v1", true },
	{ "vllm:", &prov_openai_ops, "http://127.0.0.1:8000/v1", true },
	{ "llamacpp:", &prov_openai_ops, "http://127.0.0.1:8080/v1", true },
	{ "http", &prov_http_ops, NULL, false }, /* http(s)://… or "http" */
	{ "exec:", &prov_exec_ops, NULL, true },
	{ "file://", &prov_code_ops, NULL, true },
};

static const char *const generic_keys[] = {
	"cost", "stream", "timeout_ms", "connect_timeout_ms",
	"first_byte_timeout_ms", "idle_timeout_ms", "max_concurrency", "rpm",
	"tpm", "max_retries", "retry_base_ms", "retry_max_ms",
	"unavailable_wait_ms",
};

bool provider_generic_key(const char *key)
{
	for (size_t i = 0; i < sizeof generic_keys / sizeof *generic_keys; i++)
		if (!strcmp(key, generic_keys[i]))
			return true;
	return false;
}

int provider_config_error(const struct provider *p, struct err *err,
			  const char *fmt, ...)
{
	char msg[700];
	va_list ap;
	const struct loc *l = &p->spec->loc;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return err_at(err, l->file, l->line, l->col, "provider '%s': %s",
		      p->spec->id, msg);
}

char *provider_excerpt(const char *s, size_t n)
{
	struct buf b = { 0 };
	size_t i = 0;
	if (n > 300)
		n = 300;
	/* Always valid UTF-8 (it ends up in JSON exports): a byte that does
	 * not start a valid sequence, or one cut by the 300-byte limit, is
	 * shown as '?'. */
	while (i < n) {
		size_t ok = i + provider_text_check(s + i, n - i);
		for (; i < ok; i++)
			buf_putc(&b, (unsigned char)s[i] < 0x20 ? ' ' : s[i]);
		if (i < n) {
			buf_putc(&b, s[i] ? '?' : ' ');
			i++;
		}
	}
	return buf_detach(&b);
}

int provider_key_option(const struct provider *p, const char *k,
			const json_t *v, const char **key, struct err *err)
{
	const char *env;
	if (!strcmp(k, "apiKey")) {
		if (!json_is_string(v))
			return provider_config_error(p, err, "apiKey must be a string");
		*key = json_string_value(v);
		return 1;
	}
	if (strcmp(k, "apiKeyEnv"))
		return 0;
	if (!json_is_string(v))
		return provider_config_error(p, err,
					     "apiKeyEnv must name an environment variable");
	env = getenv(json_string_value(v));
	if (!*key && !(env && *env))
		return provider_config_error(p, err,
					     "apiKeyEnv names $%s, which is not set "
					     "(apiKeyEnv takes the name of an environment "
					     "variable, not the key itself)",
					     json_string_value(v));
	if (!*key)
		*key = env;
	return 1;
}

int provider_headers_option(const struct provider *p, const json_t *v,
			    json_t **out, struct err *err)
{
	const char *hk;
	json_t *hv;
	if (!json_is_object(v))
		return provider_config_error(p, err, "headers must be a map of name: value");
	json_object_foreach((json_t *)v, hk, hv) {
		if (!json_is_string(hv))
			return provider_config_error(p, err,
						     "every header value must be a string");
		if (strpbrk(hk, "\r\n:") || strpbrk(json_string_value(hv), "\r\n"))
			return provider_config_error(p, err, "header %s: names and "
						     "values are one line (no CR/LF)", hk);
	}
	json_decref(*out);
	*out = json_deep_copy(v);
	return 0;
}

void provider_json_request(struct http_request *req, const char *url,
			   json_t *body, const char *const *lines, size_t n,
			   const json_t *headers)
{
	const char *hk;
	json_t *hv;
	req->body = json_dumps(body, JSON_COMPACT);
	req->body_len = strlen(req->body);
	json_decref(body);
	req->url = xstrdup(url);
	req->headers = curl_slist_append(NULL, "Content-Type: application/json");
	req->headers = curl_slist_append(req->headers, "Expect:");
	for (size_t i = 0; i < n; i++)
		if (lines[i])
			req->headers = curl_slist_append(req->headers, lines[i]);
	json_object_foreach((json_t *)headers, hk, hv) {
		char *h = xasprintf("%s: %s", hk, json_string_value(hv));
		req->headers = curl_slist_append(req->headers, h);
		free(h);
	}
}

/* Reads a non-negative integer key into *out (unchanged when absent). */
static int int_key(struct provider *p, const char *k, long lo, long hi,
		   long *out, struct err *err)
{
	const json_t *v = json_object_get(p->spec->config, k);
	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < lo ||
	    json_integer_value(v) > hi)
		return provider_config_error(p, err,
					     "%s must be an integer from %ld to %ld",
					     k, lo, hi);
	*out = (long)json_integer_value(v);
	return 0;
}

static int num_key(struct provider *p, const char *k, double *out,
		   struct err *err)
{
	const json_t *v = json_object_get(p->spec->config, k);
	if (!v)
		return 0;
	if (!json_is_number(v) || json_number_value(v) < 0 ||
	    !isfinite(json_number_value(v)))
		return provider_config_error(p, err, "%s must be a number ≥ 0", k);
	*out = json_number_value(v);
	return 0;
}

/* Reads the keys every provider shares. */
static int generic_config(struct provider *p, struct err *err)
{
	const json_t *cfg = p->spec->config, *v;
	struct transport *t = &p->tr;
	long conc = 0, retries = 4;
	t->timeout_ms = 120000;
	t->connect_timeout_ms = 10000;
	t->retry_base_ms = 500;
	t->retry_max_ms = 30000;
	t->unavailable_wait_ms = 60000;
	if (int_key(p, "timeout_ms", 1, 86400000, &t->timeout_ms, err) ||
	    int_key(p, "connect_timeout_ms", 1, 600000, &t->connect_timeout_ms, err) ||
	    int_key(p, "first_byte_timeout_ms", 0, 86400000, &t->first_byte_timeout_ms, err) ||
	    int_key(p, "idle_timeout_ms", 0, 86400000, &t->idle_timeout_ms, err) ||
	    int_key(p, "max_concurrency", 1, 100000, &conc, err) ||
	    int_key(p, "max_retries", 0, 100, &retries, err) ||
	    int_key(p, "retry_base_ms", 1, 600000, &t->retry_base_ms, err) ||
	    int_key(p, "retry_max_ms", 1, 3600000, &t->retry_max_ms, err) ||
	    int_key(p, "unavailable_wait_ms", 0, 3600000, &t->unavailable_wait_ms, err) ||
	    num_key(p, "rpm", &t->rpm, err) || num_key(p, "tpm", &t->tpm, err))
		return ST_INPUT;
	t->max_concurrency = (int)conc;
	t->max_retries = (int)retries;
	if ((v = json_object_get(cfg, "stream"))) {
		if (!json_is_boolean(v))
			return provider_config_error(p, err, "stream must be true or false");
		p->stream = json_is_true(v);
	}
	if ((v = json_object_get(cfg, "cost"))) {
		const json_t *in = json_object_get(v, "input_per_mtok");
		const json_t *out = json_object_get(v, "output_per_mtok");
		if (!json_is_object(v) || !json_is_number(in) ||
		    !json_is_number(out) || json_number_value(in) < 0 ||
		    json_number_value(out) < 0 || json_object_size(v) != 2)
			return provider_config_error(p, err,
				"cost must be {input_per_mtok: N, output_per_mtok: N} "
				"(USD per million tokens, ≥ 0)");
		p->price.input_per_mtok = json_number_value(in);
		p->price.output_per_mtok = json_number_value(out);
		p->has_price = true;
		p->price_from_config = true;
	} else if (p->local) {
		p->has_price = true;   /* a model on your own machine: free */
	} else {
		p->has_price = cost_lookup(p->model, &p->price);
	}
	return 0;
}

void http_request_cleanup(struct http_request *req)
{
	free(req->url);
	free(req->method);
	free(req->body);
	curl_slist_free_all(req->headers);
	memset(req, 0, sizeof *req);
}

static int provider_make(const struct provider_spec *spec, const char *suite_dir,
			 bool force_embed, struct provider **out, struct err *err);

int provider_new(const struct provider_spec *spec, const char *suite_dir,
		 struct provider **out, struct err *err)
{
	return provider_make(spec, suite_dir, false, out, err);
}

int provider_new_embedder(const struct provider *chat, struct provider **out,
			  struct err *err)
{
	*out = NULL;
	if (chat->embed) /* it is one already: a second instance */
		return provider_make(chat->spec, chat->dir, true, out, err);
	if (chat->ops != &prov_openai_ops)
		return 1;
	return provider_make(chat->spec, chat->dir, true, out, err);
}

/* promptfoo's providers that assay lacks, by id prefix; the OpenAI-
 * compatible ones run as openai:chat:<model> with their apiBaseUrl. */
static const struct {
	const char *prefix, *hint;
} lacking[] = {
	{ "azure:", NULL }, { "azureopenai:", NULL }, { "bedrock:", NULL },
	{ "vertex:", NULL }, { "google:", NULL }, { "gemini:", NULL },
	{ "cohere:", NULL }, { "huggingface:", NULL }, { "hf:", NULL },
	{ "replicate:", NULL }, { "watsonx:", NULL }, { "cloudflare-ai:", NULL },
	{ "ai21:", NULL }, { "voyage:", NULL }, { "sagemaker:", NULL },
	{ "webhook:", NULL }, { "websocket:", NULL }, { "browser:", NULL },
	{ "golang:", NULL }, { "ruby:", NULL }, { "sequence:", NULL },
	{ "simulated-user:", NULL }, { "anthropic:completion:", NULL },
	{ "mistral:", "https://api.mistral.ai/v1" },
	{ "groq:", "https://api.groq.com/openai/v1" },
	{ "deepseek:", "https://api.deepseek.com/v1" },
	{ "xai:", "https://api.x.ai/v1" },
	{ "openrouter:", "https://openrouter.ai/api/v1" },
	{ "togetherai:", "https://api.together.xyz/v1" },
	{ "fireworks:", "https://api.fireworks.ai/inference/v1" },
	{ "perplexity:", "https://api.perplexity.ai" },
	{ "localai:", "http://localhost:8080/v1" },
};

/* The OpenAI provider types promptfoo has and assay does not. */
static const char *const openai_lacking[] = {
	"responses", "assistant", "image", "realtime", "moderation",
	"transcription", "audio", "agents", "chatkit", "codex-sdk", NULL
};

static int unsupported_id(const struct provider_spec *spec, struct err *err)
{
	const struct loc *l = &spec->loc;
	for (size_t i = 0; i < sizeof lacking / sizeof *lacking; i++) {
		size_t n = strlen(lacking[i].prefix);
		if (strncmp(spec->id, lacking[i].prefix, n))
			continue;
		if (lacking[i].hint)
			return err_at(err, l->file, l->line, l->col,
				      "provider '%s': promptfoo's '%.*s' "
				      "provider is not supported; it speaks "
				      "OpenAI's API, so use 'openai:chat:%s' "
				      "with config.apiBaseUrl: %s (and "
				      "config.apiKeyEnv)", spec->id,
				      (int)n - 1, lacking[i].prefix,
				      spec->id + n, lacking[i].hint);
		return err_at(err, l->file, l->line, l->col,
			      "provider '%s': promptfoo's '%.*s' provider is "
			      "not supported (assay has no hosted providers "
			      "but OpenAI-compatible and Anthropic ones: "
			      "point openai:chat:<model> at an "
			      "OpenAI-compatible gateway, or use an http or "
			      "exec: provider)", spec->id, (int)n - 1,
			      lacking[i].prefix);
	}
	return err_at(err, l->file, l->line, l->col,
		      "unsupported provider '%s'; expected one of: "
		      "openai:chat:<model>, openai:<model>, "
		      "openai:completion:<model>, openai:embedding:<model>, "
		      "anthropic:messages:<model>, ollama:chat:<model>, "
		      "vllm:<model>, llamacpp:<model>, http(s)://<url>, "
		      "exec:<command>, echo, file://provider.yaml, "
		      "file://<script>.js, file://<script>.py[:function]",
		      spec->id);
}

/* openai:<type>:<model> with a type assay does not know: an error, never
 * a model named "chta:gpt-4" (promptfoo warns and sends the type as the
 * model). */
static int openai_type_check(const struct provider_spec *spec, struct err *err)
{
	const char *rest = spec->id + 7, *colon = strchr(rest, ':');
	const struct loc *l = &spec->loc;
	if (strncmp(spec->id, "openai:", 7) || !colon)
		return 0;
	for (int i = 0; openai_lacking[i]; i++)
		if (strlen(openai_lacking[i]) == (size_t)(colon - rest) &&
		    !strncmp(rest, openai_lacking[i], (size_t)(colon - rest)))
			return err_at(err, l->file, l->line, l->col,
				      "provider '%s': promptfoo's OpenAI "
				      "'%s' provider is not supported; "
				      "expected openai:chat:<model>, "
				      "openai:completion:<model> or "
				      "openai:embedding:<model>", spec->id,
				      openai_lacking[i]);
	return err_at(err, l->file, l->line, l->col,
		      "provider '%s': unknown OpenAI provider type '%.*s', "
		      "expected openai:chat:<model>, openai:completion:<model>, "
		      "openai:embedding:<model> or openai:<model> (a model "
		      "name with a colon goes after the type: "
		      "openai:chat:%s)", spec->id, (int)(colon - rest), rest,
		      rest);
}

static int provider_make(const struct provider_spec *spec, const char *suite_dir,
			 bool force_embed, struct provider **out, struct err *err)
{
	*out = NULL;
	if (!strcmp(spec->id, "echo")) {
		struct provider *p = xcalloc(1, sizeof *p);
		int rc;
		p->ops = &prov_echo_ops;
		p->spec = spec;
		p->model = xstrdup("echo");
		p->local = true;   /* no cost */
		p->warned_served = xcalloc(1, sizeof *p->warned_served);
		p->dir = xstrdup(suite_dir ? suite_dir : ".");
		rc = generic_config(p, err);
		if (!rc)
			rc = p->ops->init(p, err);
		if (rc) {
			provider_free(p);
			return rc;
		}
		*out = p;
		return 0;
	}
	for (size_t i = 0; i < sizeof table / sizeof *table; i++) {
		size_t n = strlen(table[i].prefix);
		struct provider *p;
		int rc;
		if (strncmp(spec->id, table[i].prefix, n) != 0)
			continue;
		if (!strcmp(table[i].prefix, "openai:") &&
		    openai_type_check(spec, err))
			return ST_INPUT;
		if (table[i].needs_model && !spec->id[n])
			return err_at(err, spec->loc.file, spec->loc.line,
				      spec->loc.col,
				      "provider '%s' names no %s; expected "
				      "'%s<%s>'", spec->id,
				      table[i].ops == &prov_exec_ops ? "command" : "model",
				      table[i].prefix,
				      table[i].ops == &prov_exec_ops ? "command" : "model");
		p = xcalloc(1, sizeof *p);
		p->ops = table[i].ops;
		p->spec = spec;
		/* http(s): the whole id is the URL. */
		p->model = xstrdup(table[i].ops == &prov_http_ops ? spec->id
								 : spec->id + n);
		p->default_base = table[i].default_base;
		p->local = table[i].default_base != NULL;
		p->warned_served = xcalloc(1, sizeof *p->warned_served);
		p->embed = force_embed || !strncmp(table[i].prefix, "openai:embedding", 16);
		p->dir = xstrdup(suite_dir ? suite_dir : ".");
		rc = generic_config(p, err);
		if (!rc)
			rc = p->ops->init(p, err);
		if (!rc && p->embed && p->stream)
			rc = provider_config_error(p, err, "an embeddings provider cannot stream");
		if (rc) {
			provider_free(p);
			return rc;
		}
		*out = p;
		return 0;
	}
	return unsupported_id(spec, err);
}

/* Length of s without a trailing version suffix: ":tag", "-latest",
 * and "-NN…" segments of two or more digits (dates, "-0613"). */
static size_t model_stem(const char *s)
{
	size_t n = strlen(s);
	const char *colon = strrchr(s, ':');
	if (colon)
		n = (size_t)(colon - s);
	if (n > 7 && !strncasecmp(s + n - 7, "-latest", 7))
		n -= 7;
	for (;;) {
		size_t d = 0;
		while (d < n && isdigit((unsigned char)s[n - 1 - d]))
			d++;
		if (d < 2 || d >= n || s[n - 1 - d] != '-')
			break;
		n -= d + 1;
	}
	return n;
}

bool provider_same_model(const char *asked, const char *served)
{
	size_t a = model_stem(asked), b = model_stem(served);
	return a == b && !strncasecmp(asked, served, a);
}

void provider_set_cost(const struct provider *p, struct response *resp)
{
	const char *served = resp->served_model;
	bool other = served && *served && !p->embed &&
		     !provider_same_model(p->model, served);
	struct price sp;
	if (other && !*p->warned_served) {
		*p->warned_served = true;
		fprintf(stderr, "assay: warning: provider '%s' asked for model "
			"'%s' but the server says '%s' answered%s\n", p->spec->id,
			p->model, served,
			p->price_from_config || p->local ? ""
			: cost_lookup(served, &sp) ? "; costed at its price"
			: "; cost unknown (set config.cost)");
	}
	if (resp->error != RESP_OK ||
	    (resp->prompt_tokens < 0 && resp->completion_tokens < 0))
		return;
	if (p->price_from_config || p->local) {
		resp->cost_usd = cost_usd(&p->price, resp->prompt_tokens,
					  resp->completion_tokens);
	} else if (served && *served && cost_lookup(served, &sp)) {
		resp->cost_usd = cost_usd(&sp, resp->prompt_tokens,
					  resp->completion_tokens);
	} else if (!other && p->has_price) {
		resp->cost_usd = cost_usd(&p->price, resp->prompt_tokens,
					  resp->completion_tokens);
	}
}

void provider_free(struct provider *p)
{
	if (!p)
		return;
	if (p->ops && p->ops->cleanup)
		p->ops->cleanup(p);
	free(p->model);
	free(p->dir);
	free(p->warned_served);
	free(p);
}

json_t *provider_json_load(const char *body, size_t len, size_t flags,
			   json_error_t *je)
{
	return json_loadb_limited(body, len, flags,
				  limits_get()->reply_json_bytes, je, NULL);
}

int provider_check_prompt_config(const struct provider *p,
				 const struct prompt *pr, struct err *err)
{
	if (!pr->config || (p->ops == &prov_openai_ops && !p->embed))
		return 0;
	return err_at(err, pr->loc.file, pr->loc.line, pr->loc.col,
		      "prompt '%.60s' has a config, which assay applies to "
		      "OpenAI-compatible chat and completion providers only; "
		      "provider '%s' is not one (move the keys into its "
		      "config)", pr->label, p->spec->id);
}

int provider_apply_prompt_config(const struct provider *p,
				 const struct prompt *pr,
				 struct http_request *req, struct err *err)
{
	json_t *body;
	json_error_t je;
	if (!pr->config || !req->body)
		return 0;
	if (provider_check_prompt_config(p, pr, err))
		return ST_INPUT;
	body = json_loadb(req->body, req->body_len, 0, &je);
	if (!json_is_object(body)) {
		json_decref(body);
		return err_set(err, ST_INTERNAL, "prompt config: the request "
			       "body is not a JSON object");
	}
	json_object_update(body, pr->config);
	free(req->body);
	req->body = json_dumps(body, JSON_COMPACT);
	req->body_len = strlen(req->body);
	json_decref(body);
	return 0;
}
