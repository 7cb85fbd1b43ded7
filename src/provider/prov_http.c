/* prov_http.c — the generic HTTP provider: `id: https://host/path` (or
 * `id: http` with config.url).  For APIs that speak neither OpenAI's nor
 * Anthropic's protocol.
 *
 * Config keys: url, method (default POST), headers (values are templates:
 * `{{ env.NAME }}` reads the environment, so keys stay out of the suite),
 * body (a JSON value; every string in it is a template over the test's vars
 * plus `prompt` — a string that is exactly "{{prompt}}" becomes the prompt;
 * values land inside JSON strings, so no escaping is needed), responsePath
 * (where the output is: a JSONPath subset `$.a.b[0].c`, or `jq:EXPR` run by
 * libjq; without it the whole body is the output).  promptfoo's
 * `transformResponse` is JavaScript and is refused, naming the feature. */
#include "provider.h"
#include "../score/score.h"
#include "../suite/template.h"
#include "../util/xalloc.h"

#include <ctype.h>
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

/* The prompt is rendered text: inserted into the URL and body, never
 * rendered again (tmpl_render_raw). */
static const char *const prompt_raw[] = { "prompt", NULL };

struct http {
	char *url;
	char *method;
	json_t *headers;      /* name → template */
	json_t *body;         /* template value, or NULL */
	char *path;           /* "$…" JSONPath, or "jq:…", or NULL */
};

/* Checks a JSONPath subset: $ then .name, ['name'] or [N] steps. */
static bool jsonpath_ok(const char *s)
{
	if (*s++ != '$')
		return false;
	while (*s) {
		if (*s == '.') {
			s++;
			if (!(isalnum((unsigned char)*s) || *s == '_' || *s == '-'))
				return false;
			while (isalnum((unsigned char)*s) || *s == '_' || *s == '-')
				s++;
		} else if (*s == '[') {
			s++;
			if (*s == '\'' || *s == '"') {
				char q = *s++;
				while (*s && *s != q)
					s++;
				if (*s++ != q)
					return false;
			} else {
				if (!isdigit((unsigned char)*s))
					return false;
				while (isdigit((unsigned char)*s))
					s++;
			}
			if (*s++ != ']')
				return false;
		} else {
			return false;
		}
	}
	return true;
}

/* Follows a checked JSONPath; borrowed result or NULL. */
static json_t *jsonpath_get(json_t *v, const char *s)
{
	s++;
	while (*s && v) {
		if (*s == '.') {
			const char *b = ++s;
			char *name;
			while (isalnum((unsigned char)*s) || *s == '_' || *s == '-')
				s++;
			name = xstrndup(b, (size_t)(s - b));
			v = json_object_get(v, name);
			free(name);
		} else { /* [ */
			s++;
			if (*s == '\'' || *s == '"') {
				char q = *s++;
				const char *b = s;
				char *name;
				while (*s != q)
					s++;
				name = xstrndup(b, (size_t)(s - b));
				v = json_object_get(v, name);
				free(name);
				s++;
			} else {
				v = json_array_get(v, (size_t)strtoul(s, (char **)&s, 10));
			}
			s++; /* ] */
		}
	}
	return v;
}

static int http_init(struct provider *p, struct err *err)
{
	const json_t *cfg = p->spec->config;
	struct http *h = xcalloc(1, sizeof *h);
	const char *k;
	json_t *v;
	p->state = h;
	h->method = xstrdup("POST");
	if (strcmp(p->model, "http") && strcmp(p->model, "https"))
		h->url = xstrdup(p->model);
	json_object_foreach((json_t *)cfg, k, v) {
		if (provider_generic_key(k))
			continue;
		if (!strcmp(k, "url")) {
			if (!json_is_string(v))
				return provider_config_error(p, err, "url must be a string");
			free(h->url);
			h->url = xstrdup(json_string_value(v));
		} else if (!strcmp(k, "method")) {
			const char *m = json_string_value(v);
			if (!m || (strcmp(m, "POST") && strcmp(m, "PUT") &&
				   strcmp(m, "GET") && strcmp(m, "PATCH")))
				return provider_config_error(p, err, "method must be POST, PUT, PATCH or GET");
			free(h->method);
			h->method = xstrdup(m);
		} else if (!strcmp(k, "headers")) {
			if (provider_headers_option(p, v, &h->headers, err))
				return ST_INPUT;
		} else if (!strcmp(k, "body")) {
			h->body = json_deep_copy(v);
		} else if (!strcmp(k, "responsePath")) {
			const char *s = json_string_value(v);
			struct err jerr;
			if (!s)
				return provider_config_error(p, err, "responsePath must be a string");
			err_clear(&jerr);
			if (!strncmp(s, "jq:", 3)) {
				if (score_transform_check(s, &jerr))
					return provider_config_error(p, err, "responsePath: %s", jerr.msg);
			} else if (!jsonpath_ok(s)) {
				return provider_config_error(p, err,
					"responsePath '%s' is neither a JSONPath like "
					"$.choices[0].text nor jq:EXPR", s);
			}
			h->path = xstrdup(s);
		} else if (!strcmp(k, "transformResponse")) {
			return provider_config_error(p, err,
				"transformResponse is JavaScript, which assay does not "
				"run; use responsePath: \"$.path\" or \"jq:EXPR\"");
		} else {
			return provider_config_error(p, err,
				"config key '%s' is not supported; expected one of: url, "
				"method, headers, body, responsePath, cost, timeout_ms, "
				"connect_timeout_ms, first_byte_timeout_ms, "
				"idle_timeout_ms, max_concurrency, rpm, tpm, max_retries, "
				"retry_base_ms, retry_max_ms, unavailable_wait_ms", k);
		}
	}
	if (!h->url || (strncmp(h->url, "http://", 7) && strncmp(h->url, "https://", 8)))
		return provider_config_error(p, err,
			"needs a URL: id: https://host/path, or config.url");
	if (p->stream)
		return provider_config_error(p, err,
			"stream is not supported by the generic HTTP provider");
	return 0;
}

static void http_cleanup(struct provider *p)
{
	struct http *h = p->state;
	if (!h)
		return;
	free(h->url);
	free(h->method);
	json_decref(h->headers);
	json_decref(h->body);
	free(h->path);
	free(h);
	p->state = NULL;
}

/* Renders every string inside a template value; owned result or NULL. */
static json_t *render_value(const json_t *t, const json_t *vars,
			    const char *prompt, struct err *err)
{
	if (json_is_string(t)) {
		const char *s = json_string_value(t);
		char *r;
		json_t *out;
		if (!strcmp(s, "{{prompt}}") || !strcmp(s, "{{ prompt }}"))
			return json_string(prompt);
		if (!(r = tmpl_render_raw(s, vars, 0, prompt_raw, NULL, err)))
			return NULL;
		out = json_string(r);
		free(r);
		return out;
	}
	if (json_is_object(t)) {
		json_t *o = json_object(), *v;
		const char *k;
		json_object_foreach((json_t *)t, k, v) {
			json_t *r = render_value(v, vars, prompt, err);
			if (!r) {
				json_decref(o);
				return NULL;
			}
			json_object_set_new(o, k, r);
		}
		return o;
	}
	if (json_is_array(t)) {
		json_t *a = json_array(), *v;
		size_t i;
		json_array_foreach(t, i, v) {
			json_t *r = render_value(v, vars, prompt, err);
			if (!r) {
				json_decref(a);
				return NULL;
			}
			json_array_append_new(a, r);
		}
		return a;
	}
	return json_deep_copy(t);
}

/* vars + prompt + env, for the templates of this provider. */
static json_t *template_vars(const json_t *vars, const char *prompt,
			     bool with_env)
{
	json_t *tv = json_is_object(vars) ? json_deep_copy(vars) : json_object();
	json_object_set_new(tv, "prompt", json_string(prompt));
	if (with_env) {
		json_t *env = json_object();
		for (char **e = environ; e && *e; e++) {
			const char *eq = strchr(*e, '=');
			char *name;
			if (!eq)
				continue;
			name = xstrndup(*e, (size_t)(eq - *e));
			json_object_set_new(env, name, json_string(eq + 1));
			free(name);
		}
		json_object_set_new(tv, "env", env);
	}
	return tv;
}

static int http_build(const struct provider *p, const char *prompt,
		      bool is_chat, const json_t *vars,
		      struct http_request *req, struct err *err)
{
	const struct http *h = p->state;
	json_t *tv = template_vars(vars, prompt, false), *hv;
	json_t *tenv = NULL;
	const char *hk;
	int rc = ST_INPUT;
	(void)is_chat;
	req->url = tmpl_render_raw(h->url, tv, 0, prompt_raw, NULL, err);
	if (!req->url)
		goto out;
	req->method = xstrdup(h->method);
	if (h->body) {
		json_t *b = render_value(h->body, tv, prompt, err);
		if (!b)
			goto out;
		req->body = json_is_string(b) ? xstrdup(json_string_value(b))
					      : json_dumps(b, JSON_COMPACT | JSON_ENCODE_ANY);
		req->body_len = strlen(req->body);
		json_decref(b);
		if (!json_is_string(h->body))
			req->headers = curl_slist_append(req->headers,
							 "Content-Type: application/json");
	} else if (strcmp(h->method, "GET")) {
		json_t *b = json_pack("{s:s}", "prompt", prompt);
		req->body = json_dumps(b, JSON_COMPACT);
		req->body_len = strlen(req->body);
		json_decref(b);
		req->headers = curl_slist_append(req->headers, "Content-Type: application/json");
	}
	req->headers = curl_slist_append(req->headers, "Expect:");
	if (h->headers)
		tenv = template_vars(vars, prompt, true);
	json_object_foreach(h->headers, hk, hv) {
		/* values inserted once (a var holding {{ env.X }} stays
		 * text), and no CR/LF: a var cannot add a header */
		char *val = tmpl_render(json_string_value(hv), tenv, TMPL_NO_NEST,
					NULL, err);
		char *line;
		if (!val)
			goto out;
		if (strpbrk(val, "\r\n")) {
			memset(val, 0, strlen(val));
			free(val);
			err_set(err, ST_INPUT, "header %s: the value contains a line "
				"break (from a var?); header values are one line", hk);
			goto out;
		}
		line = xasprintf("%s: %s", hk, val);
		memset(val, 0, strlen(val)); /* may hold a key */
		free(val);
		req->headers = curl_slist_append(req->headers, line);
		memset(line, 0, strlen(line));
		free(line);
	}
	rc = 0;
out:
	json_decref(tv);
	json_decref(tenv);
	return rc;
}

static void http_parse(const struct provider *p, long status,
		       const char *body, size_t len, struct response *resp)
{
	const struct http *h = p->state;
	json_error_t je;
	json_t *root = NULL, *v;
	resp->http_status = (int)status;
	if (status >= 300) {   /* 3xx: a redirect is not an answer */
		root = provider_json_load(body, len, JSON_DECODE_ANY, &je);
		provider_read_error(json_is_object(root) ? root : NULL, status,
				    body, len, false, resp);
		json_decref(root);
		return;
	}
	if (!h->path) {
		size_t bad;
		root = provider_json_load(body, len, JSON_DECODE_ANY, &je);
		if (json_is_string(root)) {
			resp->output = xstrndup(json_string_value(root),
						json_string_length(root));
		} else if ((bad = provider_text_check(body, len)) < len) {
			/* Stored text is UTF-8 without NULs: anything else
			 * would be cut short or refused by the store. */
			resp->error = RESP_ERR_BODY;
			resp->error_msg = xasprintf("response is not text: %s at "
				"byte %zu of %zu", body[bad] ? "invalid UTF-8"
				: "a NUL byte", bad, len);
		} else {
			resp->output = xstrndup(body, len);
		}
		json_decref(root);
		return;
	}
	if (!strncmp(h->path, "jq:", 3)) {
		struct err jerr;
		char *out = NULL;
		err_clear(&jerr);
		if (score_transform(h->path, body, len, NULL, &out, &jerr)) {
			resp->error = RESP_ERR_BODY;
			resp->error_msg = xasprintf("responsePath %s: %s", h->path, jerr.msg);
			return;
		}
		resp->output = out;
		return;
	}
	root = provider_json_load(body, len, JSON_DECODE_ANY, &je);
	if (!root) {
		char *ex = provider_excerpt(body, len);
		resp->error = RESP_ERR_BODY;
		resp->error_msg = xasprintf("response is not JSON (%s): %s", je.text, ex);
		free(ex);
		return;
	}
	v = jsonpath_get(root, h->path);
	if (!v) {
		resp->error = RESP_ERR_BODY;
		resp->error_msg = xasprintf("responsePath %s is not in the response", h->path);
	} else if (json_is_string(v)) {
		resp->output = xstrndup(json_string_value(v), json_string_length(v));
	} else {
		resp->output = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	}
	json_decref(root);
}

const struct provider_ops prov_http_ops = {
	.name = "http",
	.init = http_init,
	.cleanup = http_cleanup,
	.build = http_build,
	.parse = http_parse,
};
