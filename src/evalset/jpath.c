/* jpath.c — a small JSON path for picking a field out of a log record:
 * `a.b`, `a[0]`, `a[-1]` (from the end), `["key with.dots"]`, optional
 * leading `$`.  One walk, no allocation. */
#include "evalset.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "../util/xalloc.h"

/* Walks the path; when root is NULL only the syntax is checked.  Returns
 * 0 and *out (borrowed, may be NULL when absent), or ST_USAGE. */
static int walk(const json_t *root, const char *path, const json_t **out,
		struct err *err)
{
	const char *p = path;
	const json_t *cur = root;
	bool need_key = true;      /* at the start or after '.' */

	if (*p == '$') {
		p++;
		need_key = false;
		if (*p == '.')
			p++, need_key = true;
	}
	if (!*p && need_key)
		return err_set(err, ST_USAGE, "empty JSON path '%s', expected "
			       "a field name such as input or "
			       "messages[-1].content", path);
	while (*p) {
		if (*p == '[') {
			const char *q = p + 1;
			if (*q == '"') {
				struct buf k = {0};
				for (q++; *q && *q != '"'; q++) {
					if (*q == '\\' && q[1])
						q++;
					buf_putc(&k, *q);
				}
				if (*q != '"' || q[1] != ']') {
					buf_free(&k);
					return err_set(err, ST_USAGE, "JSON path "
						       "'%s', column %d: expected "
						       "\"key\"]", path,
						       (int)(p - path) + 1);
				}
				if (root)
					cur = json_is_object(cur) ?
					      json_object_get(cur, buf_str(&k)) :
					      NULL;
				buf_free(&k);
				p = q + 2;
			} else {
				char *end;
				long i = strtol(q, &end, 10);
				if (end == q || *end != ']')
					return err_set(err, ST_USAGE, "JSON path "
						       "'%s', column %d: expected "
						       "an index such as [0] or "
						       "[-1]", path,
						       (int)(q - path) + 1);
				if (root) {
					long n = json_is_array(cur) ?
						 (long)json_array_size(cur) : 0;
					if (i < 0)
						i += n;
					cur = i >= 0 && i < n ?
					      json_array_get(cur, (size_t)i) :
					      NULL;
				}
				p = end + 1;
			}
			need_key = false;
			continue;
		}
		if (*p == '.') {
			if (need_key)
				return err_set(err, ST_USAGE, "JSON path '%s', "
					       "column %d: expected a field "
					       "name", path, (int)(p - path) + 1);
			need_key = true;
			p++;
			if (!*p)
				return err_set(err, ST_USAGE, "JSON path '%s' "
					       "ends with '.', expected a field "
					       "name", path);
			continue;
		}
		if (!need_key)
			return err_set(err, ST_USAGE, "JSON path '%s', column "
				       "%d: expected '.' or '['", path,
				       (int)(p - path) + 1);
		{
			size_t n = strcspn(p, ".[");
			if (root) {
				char *k = xstrndup(p, n);
				cur = json_is_object(cur) ?
				      json_object_get(cur, k) : NULL;
				free(k);
			}
			p += n;
			need_key = false;
		}
	}
	*out = cur;
	return 0;
}

const json_t *es_jpath(const json_t *root, const char *path, struct err *err)
{
	struct err e;
	const json_t *out = NULL;
	if (walk(root, path, &out, err ? err : &e))
		return NULL;
	return out;
}

int es_jpath_check(const char *path, struct err *err)
{
	const json_t *out;
	return walk(NULL, path, &out, err);
}

char *es_json_text(const json_t *v)
{
	struct buf b = {0};
	size_t i;
	json_t *x;
	if (!v)
		return NULL;
	switch (json_typeof(v)) {
	case JSON_STRING:
		return xstrndup(json_string_value(v), json_string_length(v));
	case JSON_INTEGER:
		return xasprintf("%lld", (long long)json_integer_value(v));
	case JSON_REAL:
		return xasprintf("%.17g", json_real_value(v));
	case JSON_TRUE:
		return xstrdup("true");
	case JSON_FALSE:
		return xstrdup("false");
	case JSON_ARRAY:
		json_array_foreach(v, i, x) {
			const json_t *t = json_is_string(x) ? x :
					  json_object_get(x, "text");
			if (!json_is_string(t))
				continue;
			if (b.len)
				buf_putc(&b, '\n');
			buf_puts(&b, json_string_value(t));
		}
		if (!b.len) {
			buf_free(&b);
			return NULL;
		}
		return buf_detach(&b);
	default:
		return NULL;
	}
}
