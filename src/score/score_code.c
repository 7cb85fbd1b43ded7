/* score_code.c — promptfoo's `javascript` and `python` assertions, run in
 * the long-lived workers of code_worker.c (one `node` and one `python3` per
 * run, never a process per assertion).
 *
 * The value is inline code or `file://path.js[:function]` /
 * `file://path.py[:function]` (relative to the file the assertion was
 * written in; a Python file's default function is get_assert).  The code
 * gets `output` (the model's text) and `context` ({vars, test: {vars,
 * description}}).  Its result is read with promptfoo's rules
 * (src/assertions/javascript.ts, python.ts and scriptResultNormalization.ts
 * at promptfoo's main branch, read for the facts):
 *   - true/false: pass = result (inverted by `not-`), score 1/0;
 *   - a finite number: the score; pass = score >= threshold when the
 *     assertion has one, else score > 0; `not-` inverts pass, not the score;
 *   - {pass, score, reason}: taken as given (Python: a score below the
 *     assertion's threshold fails, "Python score S is less than threshold T");
 *   - Python only: the strings "true"/"false", a string holding a JSON
 *     object, or a string holding a number are read as those.
 * Code that throws, or returns anything else, FAILS the assertion with the
 * error and the stack as the reason — as in promptfoo, since the usual
 * cause is output the code cannot read (JSON.parse of prose): that is the
 * model's failure.  A worker that is missing, crashes or exceeds the time
 * limit (`timeout` in seconds in a {value, timeout} object is not promptfoo's;
 * the limit is $ASSAY_CODE_TIMEOUT_MS, default 30 s) is a grading error:
 * never the candidate's fault. */
#include "score_int.h"
#include "code_worker.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../util/buf.h"
#include "../util/fsutil.h"
#include "../util/xalloc.h"

static long code_timeout_ms(void)
{
	const char *s = getenv("ASSAY_CODE_TIMEOUT_MS");
	char *end;
	long v = s ? strtol(s, &end, 10) : 0;
	return s && *s && !*end && v > 0 ? v : 30000;
}

/* Splits "file://path[:fn]" into an absolute-ish path (relative to the
 * assertion's file) and a function name.  Returns 0 when the value is not
 * a file reference, 1 when it is (owned *path, *fn may be NULL). */
static int file_ref(const struct assertion_spec *a, const char *v,
		    enum code_lang lang, char **path, char **fn)
{
	const char *p, *colon;
	*path = *fn = NULL;
	if (strncmp(v, "file://", 7))
		return 0;
	p = v + 7;
	colon = strrchr(p, ':');
	/* A colon after the file's extension names the function. */
	if (colon && colon > p) {
		const char *dot = strrchr(p, '.');
		if (dot && dot < colon && !strchr(colon, '/'))
			*fn = xstrdup(colon + 1);
		else
			colon = NULL;
	}
	char *rel = colon ? xstrndup(p, (size_t)(colon - p)) : xstrdup(p);
	char *dir = a->loc.file ? fs_dirname(a->loc.file) : xstrdup(".");
	*path = rel[0] == '/' ? xstrdup(rel) : fs_join(dir, rel);
	if ((*path)[0] != '/') {
		char *cwd = getcwd(NULL, 0);
		if (cwd) {
			char *abs = fs_join(cwd, *path);
			free(*path);
			*path = abs;
			free(cwd);
		}
	}
	free(rel);
	free(dir);
	(void)lang;
	return 1;
}

static int check_code(const struct assertion_spec *a, const json_t *v,
		      const json_t *vars, struct err *err, enum code_lang lang)
{
	char *path, *fn;
	struct stat sb;
	(void)vars;
	if (!json_is_string(v) || !*json_string_value(v))
		return score_err(a, err, "%s assertion needs code or file://… as its value",
				 lang == CODE_JS ? "a javascript" : "a python");
	if (file_ref(a, json_string_value(v), lang, &path, &fn)) {
		int bad = stat(path, &sb) != 0 || !S_ISREG(sb.st_mode);
		if (bad)
			score_err(a, err, "no file %s (named by %s)", path, json_string_value(v));
		free(path);
		free(fn);
		return bad ? ST_INPUT : 0;
	}
	return 0;
}

static int check_js(const struct assertion_spec *a, const json_t *v,
		    const json_t *vars, struct err *err)
{
	return check_code(a, v, vars, err, CODE_JS);
}

static int check_py(const struct assertion_spec *a, const json_t *v,
		    const json_t *vars, struct err *err)
{
	return check_code(a, v, vars, err, CODE_PY);
}

static const char *lang_code(enum code_lang l)
{
	return l == CODE_JS ? "Custom function" : "Python code";
}

/* A failing outcome whose reason is `why` followed by the code. */
static void fail_with(struct assert_outcome *out, const char *why,
		      const char *code)
{
	struct buf b = { 0 };
	buf_puts(&b, why);
	if (code && *code) {
		buf_putc(&b, '\n');
		buf_puts(&b, code);
	}
	out->pass = false;
	out->score = 0;
	out->reason = buf_detach(&b);
}

static void from_bool(struct assert_outcome *out, bool v, bool inverse,
		      enum code_lang lang, const char *code)
{
	out->pass = v != inverse;
	out->score = out->pass ? 1 : 0;
	if (out->pass) {
		out->reason = xstrdup("Assertion passed");
	} else {
		char why[64];
		snprintf(why, sizeof why, "%s returned %s", lang_code(lang), v ? "true" : "false");
		fail_with(out, why, code);
	}
}

static void from_number(struct assert_outcome *out, const struct score_in *in,
			double v, enum code_lang lang, const char *code)
{
	const struct assertion_spec *a = in->spec;
	bool raw = a->has_threshold ? v >= a->threshold : v > 0;
	out->pass = raw != in->inverse;
	out->score = v;
	if (out->pass) {
		out->reason = xstrdup("Assertion passed");
	} else {
		char why[64];
		snprintf(why, sizeof why, "%s returned %s", lang_code(lang), raw ? "true" : "false");
		fail_with(out, why, code);
		out->score = v; /* promptfoo keeps the number as the score */
	}
}

/* {pass, score, reason}: 0, or -1 when o is not a grading result. */
static int from_object(struct assert_outcome *out, const struct score_in *in,
		       const json_t *o, enum code_lang lang)
{
	const json_t *p = json_object_get(o, "pass");
	const json_t *s = json_object_get(o, "score");
	const json_t *r = json_object_get(o, "reason");
	bool pass;
	double score;
	char *reason;
	if (!json_is_boolean(p) || (s && !json_is_number(s)) ||
	    (s && !isfinite(json_number_value(s))))
		return -1;
	pass = json_is_true(p);
	score = s ? json_number_value(s) : (pass ? 1 : 0);
	reason = xstrdup(json_is_string(r) ? json_string_value(r) : "");
	if (lang == CODE_PY && in->spec->has_threshold && score < in->spec->threshold) {
		struct buf b = { 0 };
		char t1[32], t2[32];
		buf_printf(&b, "Python score %s is less than threshold %s",
			   score_fmt_num(score, t1, sizeof t1),
			   score_fmt_num(in->spec->threshold, t2, sizeof t2));
		if (*reason)
			buf_printf(&b, ": %s", reason);
		free(reason);
		reason = buf_detach(&b);
		pass = false;
	}
	out->pass = pass != in->inverse;
	out->score = score;
	if (in->inverse) {
		free(reason);
		reason = xstrdup(out->pass ? "Assertion passed"
				 : (json_is_string(r) && *json_string_value(r))
					   ? json_string_value(r)
					   : lang == CODE_JS ? "Custom function returned true"
							     : "Python code returned true");
	}
	out->reason = reason;
	return 0;
}

static json_t *context_of(const struct score_in *in)
{
	json_t *ctx = json_object();
	json_t *test = json_object();
	json_object_set(ctx, "vars", (json_t *)in->vars);
	json_object_set(test, "vars", (json_t *)in->vars);
	json_object_set_new(ctx, "test", test);
	return ctx;
}

static int eval_code(const struct score_in *in, struct assert_outcome *out,
		     struct err *err, enum code_lang lang)
{
	const char *v = json_string_value(in->value);
	char *path = NULL, *fn = NULL;
	json_t *req = json_object(), *reply = NULL;
	int rc;
	if (!v)
		return err_set(err, ST_INTERNAL, "code assertion without a value");
	if (file_ref(in->spec, v, lang, &path, &fn)) {
		json_object_set_new(req, "file", json_string(path));
		if (fn)
			json_object_set_new(req, "fn", json_string(fn));
	} else {
		json_object_set_new(req, "code", json_string(v));
	}
	json_object_set_new(req, "output", json_stringn_nocheck(in->output, in->output_len));
	json_object_set_new(req, "context", context_of(in));
	rc = code_worker_call(lang, req, code_timeout_ms(), &reply, err);
	json_decref(req);
	free(path);
	free(fn);
	if (rc)
		return rc;
	const char *code = strncmp(v, "file://", 7) ? v : NULL;
	if (!json_is_true(json_object_get(reply, "ok"))) {
		struct buf b = { 0 };
		const char *msg = json_string_value(json_object_get(reply, "error"));
		const char *stack = json_string_value(json_object_get(reply, "stack"));
		if (lang == CODE_JS)
			buf_printf(&b, "Custom function threw error: %s", msg ? msg : "?");
		else
			buf_printf(&b, "Python code execution failed: %s", msg ? msg : "?");
		if (stack && *stack) {
			buf_puts(&b, "\nStack Trace: ");
			score_put_clipped(&b, stack, strlen(stack), 1500);
		}
		fail_with(out, buf_str(&b), code);
		buf_free(&b);
		json_decref(reply);
		return 0;
	}
	const json_t *r = json_object_get(reply, "result");
	json_t *parsed = NULL;
	if (lang == CODE_PY && json_is_string(r)) {
		const char *s = json_string_value(r);
		char *end;
		double d;
		if (!strcasecmp(s, "true") || !strcasecmp(s, "false")) {
			from_bool(out, !strcasecmp(s, "true"), in->inverse, lang, code);
			goto done;
		}
		if (s[0] == '{') {
			parsed = json_loads(s, 0, NULL);
			r = parsed;
		} else {
			d = strtod(s, &end);
			if (end != s && isfinite(d)) {
				from_number(out, in, d, lang, code);
				goto done;
			}
		}
	}
	if (json_is_boolean(r))
		from_bool(out, json_is_true(r), in->inverse, lang, code);
	else if (json_is_number(r) && isfinite(json_number_value(r)))
		from_number(out, in, json_number_value(r), lang, code);
	else if (!json_is_object(r) || from_object(out, in, r, lang)) {
		char *shown = r ? json_dumps(r, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
		struct buf b = { 0 };
		buf_printf(&b, lang == CODE_JS
			   ? "Custom function threw error: Custom function must return a boolean, a finite number, or a GradingResult object; got "
			   : "Python code execution failed: Python assertion must return a boolean, number, or {pass, score, reason} object; got ");
		score_put_clipped(&b, shown ? shown : "nothing", shown ? strlen(shown) : 7, 200);
		fail_with(out, buf_str(&b), code);
		buf_free(&b);
		free(shown);
	}
done:
	json_decref(parsed);
	json_decref(reply);
	return 0;
}

static int eval_js(const struct score_in *in, struct assert_outcome *out,
		   struct err *err)
{
	return eval_code(in, out, err, CODE_JS);
}

static int eval_py(const struct score_in *in, struct assert_outcome *out,
		   struct err *err)
{
	return eval_code(in, out, err, CODE_PY);
}

const struct score_type score_code_types[] = {
	{ .name = "javascript", .values = SV_STRING,
	  .value_desc = "JavaScript code or file://x.js[:function]",
	  .check = check_js, .eval = eval_js },
	{ .name = "python", .values = SV_STRING,
	  .value_desc = "Python code or file://x.py[:function]",
	  .check = check_py, .eval = eval_py },
	{ .name = NULL },
};

int score_code_transform(const char *code, const char *output, size_t len,
			 const json_t *vars, char **out, struct err *err)
{
	json_t *req = json_object(), *reply = NULL, *ctx = json_object();
	int rc;
	*out = NULL;
	json_object_set_new(req, "code", json_string(code));
	json_object_set_new(req, "output", json_stringn_nocheck(output ? output : "", output ? len : 0));
	json_object_set(ctx, "vars", (json_t *)score_vars(vars));
	json_object_set_new(req, "context", ctx);
	rc = code_worker_call(CODE_JS, req, code_timeout_ms(), &reply, err);
	json_decref(req);
	if (rc)
		return rc;
	if (!json_is_true(json_object_get(reply, "ok"))) {
		const char *msg = json_string_value(json_object_get(reply, "error"));
		rc = err_set(err, ST_INTERNAL, "transform %s threw: %s", code, msg ? msg : "?");
	} else {
		const json_t *r = json_object_get(reply, "result");
		*out = json_is_string(r) ? xstrdup(json_string_value(r))
					 : json_dumps(r, JSON_COMPACT | JSON_ENCODE_ANY);
		if (!*out)
			*out = xstrdup("null");
	}
	json_decref(reply);
	return rc;
}
