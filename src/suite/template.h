/* template.h — the `{{var}}` templates of prompts and assertion values.
 *
 * A Nunjucks subset, the part promptfoo suites use: `{{ name }}`,
 * `{{ a.b.c }}` and `{{ a[0] }}` paths into vars, the filters `dump`
 * (JSON), `trim`, `upper`, `lower`; `{# comments #}`.  Anything else in
 * `{{ }}` or a `{% %}` tag is an error that names the unsupported feature.
 * A var whose value itself contains `{{…}}` is rendered too (nested vars),
 * up to a fixed depth.  Strings are inserted as-is, numbers in their
 * shortest form, lists and objects as JSON.
 *
 * Returns owned strings; NULL with err set on failure (the location is the
 * position inside the template, offset by `loc` when given). */
#ifndef ASSAY_TEMPLATE_H
#define ASSAY_TEMPLATE_H

#include <jansson.h>
#include "../util/err.h"

struct loc;

enum { TMPL_JSON_ESCAPE = 1 };  /* escape inserted text for a JSON string */

char *tmpl_render(const char *tmpl, const json_t *vars, int flags,
		  const struct loc *loc, struct err *err);

/* True when the text contains a `{{` or `{%` that would be interpreted. */
int tmpl_has_tags(const char *s);

#endif
