/* prov_code.c — promptfoo's script providers: `file://provider.js` (and
 * .mjs / .cjs) and `file://provider.py[:function]`, run in the run's
 * long-lived `node` / `python3` worker (src/score/code_worker.c), never one
 * process per call.  The engine sends the request this file builds and
 * hands the reply back here (engine_code.c); no I/O happens in this file.
 *
 * The contracts are promptfoo's (src/providers/pythonCompletion.ts and its
 * JavaScript provider loader, read for the rules):
 *   Python: call_api(prompt, options, context) — or the function named
 *   after the colon — where options is {id, label, config} and context is
 *   {vars, prompt: {raw, label}}; it returns a dict with `output` or
 *   `error` (anything else is an error saying so).
 *   JavaScript: the module's export is a class with callApi (constructed
 *   once with the options), an object with callApi, or a function; called
 *   as callApi(prompt, context).
 * The result's `output` (a string; anything else as JSON), `tokenUsage`
 * ({prompt, completion, total}), `cost` and `cached` are kept.  A result
 * `error` is the call's error (`other`, infrastructure, like an HTTP
 * error: no output to grade); an exception the script throws, a result of
 * the wrong shape or without output are `exec` errors (not retried: the
 * script would do the same again), a throw naming the script's file and
 * line from the stack. */
#include "provider.h"
#include "../util/fsutil.h"
#include "../util/xalloc.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct code {
	int lang;             /* 0 JavaScript, 1 Python */
	char *file;           /* absolute path */
	char *fn;             /* the function after ':', or NULL */
	json_t *options;      /* {id, label, config} */
};

static int has_ext(const char *s, size_t n, const char *ext)
{
	size_t e = strlen(ext);
	return n >= e && memcmp(s + n - e, ext, e) == 0;
}

static int code_init(struct provider *p, struct err *err)
{
	struct code *c = xcalloc(1, sizeof *c);
	const char *path = p->model, *colon;
	size_t n;
	struct stat st;
	char *rel;

	p->state = c;
	/* file://x.py:fn — the last ':' after the extension names a function */
	colon = strrchr(path, ':');
	n = colon && !strchr(colon, '/') ? (size_t)(colon - path) : strlen(path);
	if (has_ext(path, n, ".py"))
		c->lang = 1;
	else if (has_ext(path, n, ".js") || has_ext(path, n, ".mjs") ||
		 has_ext(path, n, ".cjs"))
		c->lang = 0;
	else
		return provider_config_error(p, err, "unsupported feature: "
			"file:// providers other than JavaScript (.js, .mjs, "
			".cjs) and Python (.py) scripts");
	if (n < strlen(path)) {
		if (!path[n + 1])
			return provider_config_error(p, err, "expected a function "
				"name after ':' in '%s'", path);
		c->fn = xstrdup(path + n + 1);
	}
	rel = xstrndup(path, n);
	c->file = rel[0] == '/' ? xstrdup(rel)
				: xasprintf("%s/%s", p->dir ? p->dir : ".", rel);
	free(rel);
	if (stat(c->file, &st) || !S_ISREG(st.st_mode))
		return provider_config_error(p, err, "cannot read provider "
			"script '%s'", c->file);
	{
		/* absolute, as the stacks name it (file:line of a throw) */
		char *abs = realpath(c->file, NULL);
		if (abs) {
			free(c->file);
			c->file = xstrdup(abs);
			free(abs);
		}
	}
	if (json_object_get(p->spec->config, "stream"))
		return provider_config_error(p, err, "stream is not supported "
			"by script providers");
	c->options = json_pack("{s:s,s:s,s:O}", "id", p->spec->id, "label",
			       p->spec->label ? p->spec->label : p->spec->id,
			       "config", p->spec->config);
	return 0;
}

static void code_cleanup(struct provider *p)
{
	struct code *c = p->state;
	if (!c)
		return;
	free(c->file);
	free(c->fn);
	json_decref(c->options);
	free(c);
	p->state = NULL;
}

static int code_request(const struct provider *p, const char *prompt,
			const struct prompt *pr, const json_t *vars, int *lang,
			json_t **req, struct err *err)
{
	const struct code *c = p->state;
	json_t *ctx, *v = vars ? json_incref((json_t *)vars) : json_object();
	(void)err;
	ctx = json_pack("{s:o,s:{s:s,s:s}}", "vars", v, "prompt", "raw",
			pr && pr->raw ? pr->raw : "", "label",
			pr && pr->label ? pr->label : "");
	*req = json_pack("{s:s,s:s,s:s,s:O,s:o}", "kind", "provider", "file",
			 c->file, "prompt", prompt, "options", c->options,
			 "context", ctx);
	if (c->fn)
		json_object_set_new(*req, "fn", json_string(c->fn));
	*lang = c->lang;
	return 0;
}

/* "file:line" of the innermost frame of the script in a stack or
 * traceback, or "" when it has none. */
static void script_line(const struct code *c, const char *stack, char *out,
			size_t n)
{
	const char *base = strrchr(c->file, '/');
	size_t fl = strlen(c->file);
	long line = 0;
	base = base ? base + 1 : c->file;
	out[0] = '\0';
	if (!stack)
		return;
	for (const char *p = strstr(stack, c->file); p;
	     p = strstr(p + fl, c->file)) {
		const char *q = p + fl;
		if (c->lang == 0 && *q == ':' && isdigit((unsigned char)q[1])) {
			/* V8: "at f (/abs/x.js:12:5)" — the first is innermost */
			line = strtol(q + 1, NULL, 10);
			break;
		}
		if (c->lang == 1 && !strncmp(q, "\", line ", 8)) {
			/* Python: 'File "/abs/x.py", line 7' — the last is
			 * innermost */
			line = strtol(q + 8, NULL, 10);
		}
	}
	if (line > 0)
		snprintf(out, n, "%s:%ld", base, line);
}

static long usage_field(const json_t *u, const char *k)
{
	const json_t *v = json_object_get(u, k);
	return json_is_integer(v) ? (long)json_integer_value(v)
	       : json_is_real(v) ? (long)json_real_value(v) : -1;
}

static void code_reply(const struct provider *p, const json_t *reply,
		       struct response *resp)
{
	const struct code *c = p->state;
	const json_t *res = json_object_get(reply, "result");
	const json_t *out, *e, *u, *cost;
	const char *base = strrchr(c->file, '/');
	base = base ? base + 1 : c->file;

	if (!json_is_true(json_object_get(reply, "ok"))) {
		char where[300];
		const char *msg = json_string_value(json_object_get(reply,
								    "error"));
		script_line(c, json_string_value(json_object_get(reply,
			"stack")), where, sizeof where);
		resp->error = RESP_ERR_EXEC;
		resp->error_msg = xasprintf("%s threw: %s", where[0] ? where
					    : base, msg ? msg : "(no message)");
		return;
	}
	if (!json_is_object(res) || (!json_object_get(res, "output") &&
				     !json_object_get(res, "error"))) {
		char *s = json_dumps(res, JSON_COMPACT | JSON_ENCODE_ANY);
		resp->error = RESP_ERR_EXEC;
		resp->error_msg = xasprintf("%s: %s must return %s with an "
			"`output` or an `error`, instead got: %.200s", base,
			c->fn ? c->fn : c->lang ? "call_api" : "callApi",
			c->lang ? "a dict" : "an object", s ? s : "undefined");
		free(s);
		return;
	}
	e = json_object_get(res, "error");
	if (e && !json_is_null(e) && !(json_is_string(e) &&
				       !json_string_length(e))) {
		char *s = json_is_string(e) ? xstrdup(json_string_value(e))
			  : json_dumps(e, JSON_COMPACT | JSON_ENCODE_ANY);
		resp->error = RESP_ERR_OTHER;
		resp->error_msg = xasprintf("%s returned an error: %s", base,
					    s ? s : "");
		free(s);
		return;
	}
	out = json_object_get(res, "output");
	if (!out || json_is_null(out)) {
		resp->error = RESP_ERR_EXEC;
		resp->error_msg = xasprintf("%s returned no output", base);
		return;
	}
	resp->output = json_is_string(out) ? xstrdup(json_string_value(out))
		       : json_dumps(out, JSON_COMPACT | JSON_ENCODE_ANY);
	u = json_object_get(res, "tokenUsage");
	if (json_is_object(u)) {
		resp->prompt_tokens = usage_field(u, "prompt");
		resp->completion_tokens = usage_field(u, "completion");
		resp->total_tokens = usage_field(u, "total");
		if (resp->total_tokens < 0 && resp->prompt_tokens >= 0 &&
		    resp->completion_tokens >= 0)
			resp->total_tokens = resp->prompt_tokens +
					     resp->completion_tokens;
	}
	cost = json_object_get(res, "cost");
	if (json_is_number(cost))
		resp->cost_usd = json_number_value(cost);
	else
		resp->cost_usd = 0;   /* a local script: free unless it says */
	resp->cached = json_is_true(json_object_get(res, "cached"));
}

const struct provider_ops prov_code_ops = {
	.name = "code",
	.init = code_init,
	.cleanup = code_cleanup,
	.code_request = code_request,
	.code_reply = code_reply,
};
