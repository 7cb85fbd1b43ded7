/* template.h — the Nunjucks templates of prompts and assertion values.
 *
 * A Nunjucks subset, the part promptfoo suites use (the table in
 * docs/suites.md): `{{ expr }}` outputs; var paths (`a.b`, `a[0]`,
 * `a["k"]`, `list.length`); string, number, true/false/none literals and
 * `[ … ]` lists; the filters default, dump, first, join, last, length,
 * load (promptfoo's JSON.parse), lower, replace, trim, upper, with
 * arguments; `==`, `!=`, `<`, `>`, `<=`, `>=`, `and`, `or`, `not`, `in`,
 * `not in` and parentheses; `{% if %}` / `{% elif %}` / `{% else %}` /
 * `{% endif %}`, `{% for x in list %}` (and `for k, v in mapping`) with
 * `loop.index`, `loop.index0`, `loop.revindex`, `loop.first`,
 * `loop.last`, `loop.length` and `{% else %}` for an empty list,
 * `{% set x = expr %}`; `{# comments #}` and whitespace control.  The
 * semantics are Nunjucks' (JavaScript truthiness: [] and {} are true;
 * loose `==`).  Anything else is an error at its file:line:col naming
 * the unsupported syntax.
 *
 * Strict (the default): a var that is not defined is an error, except in
 * an if / elif condition, as the input of `default` and on the left of
 * `or`.  A var whose value
 * itself contains tags is rendered too (nested vars), up to a fixed depth,
 * except under TMPL_NO_NEST.  One render, nested vars and loops included,
 * is held to the limits template_work and template_bytes (limits.h): an
 * error at the tag, never an exponential blow-up.  An output writes
 * strings as-is, numbers as JavaScript does (0.1, 1e-7), booleans
 * true/false, null and undefined as "", lists and objects as compact JSON
 * (assay's rule; Nunjucks would write "a,b" and "[object Object]").
 *
 * Returns owned strings; NULL with err set on failure (the location is the
 * position inside the template, offset by `loc` when given: `loc` is where
 * the template's first character sits, and every later line is taken to
 * be indented by as much, as in a YAML block scalar or a prompt file). */
#ifndef ASSAY_TEMPLATE_H
#define ASSAY_TEMPLATE_H

#include <stddef.h>
#include <jansson.h>
#include "../util/err.h"

struct loc;

enum {
	/* Escape inserted text for a JSON string.  Only text inserted
	 * inside a JSON string literal of the template is escaped; a tag
	 * outside any string (`"messages": {{ history | dump }}`) is
	 * inserted as-is, so `dump` can splice JSON into a chat prompt. */
	TMPL_JSON_ESCAPE = 1,
	/* Undefined vars render as "" (promptfoo's behaviour) instead of
	 * failing: used to check a template's syntax without vars. */
	TMPL_LENIENT = 2,
	/* Insert every value once, as text: a value holding `{{…}}` is not
	 * rendered again.  For templates that receive untrusted text (model
	 * output in a rubricPrompt, data in HTTP headers): what a value
	 * says is never parsed as a template. */
	TMPL_NO_NEST = 4
};

char *tmpl_render(const char *tmpl, const json_t *vars, int flags,
		  const struct loc *loc, struct err *err);

/* Like tmpl_render.  When it fails because a var is not defined, copies
 * the var's path as written ("user.name", "items[2]") into `missing`
 * (capacity n); on any other outcome sets missing[0] = '\0'. */
char *tmpl_render_ex(const char *tmpl, const json_t *vars, int flags,
		     const struct loc *loc, struct err *err, char *missing,
		     size_t n);

/* Like tmpl_render, but the top-level vars named in `raw` (a NULL-ended
 * list) are inserted as text and never rendered again, while the other
 * vars keep nesting: for untrusted text (a rendered prompt) among trusted
 * vars. */
char *tmpl_render_raw(const char *tmpl, const json_t *vars, int flags,
		      const char *const *raw, const struct loc *loc,
		      struct err *err);

/* True when a `{{ }}` or `{% %}` tag of the template names the var
 * `name` (a whole word: `_conversation`, `_conversation[0].output`). */
int tmpl_refers_to(const char *tmpl, const char *name);

/* True when the text contains a `{{`, `{%` or `{#` that would be
 * interpreted. */
int tmpl_has_tags(const char *s);

/* The text form of `v` as an output writes it: strings as-is, integers in
 * decimal, reals as JavaScript writes them (1.0 as "1", 1e-7 as "1e-7"),
 * booleans "true"/"false", null "", lists and objects as compact JSON.
 * Returns an owned string. */
char *tmpl_value_text(const json_t *v);

#endif
