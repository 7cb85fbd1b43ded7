/* ynode.c — YAML text to a located node tree (see ynode.h).
 *
 * libyaml's document API (yaml_parser_load) would resolve aliases for us,
 * but it keeps marks only per node and copies nothing we need; the event
 * API is as short and lets us resolve aliases to shared nodes (so an alias
 * bomb costs no memory while parsing), reject cycles, apply merge keys and
 * report duplicate keys at their own position.  Expansion happens only in
 * yn_to_json, which draws on a per-document node budget and byte budget
 * (limits.h: yaml_nodes, yaml_bytes). */
#include "ynode.h"
#include "../util/buf.h"
#include "../util/limits.h"
#include "../util/xalloc.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define YN_MAX_DEPTH 256

struct anchor {
	char *name;
	struct ynode *node;
};

struct ynode *yn_new(struct ydoc *d, enum yn_kind kind, const char *file,
		     int line, int col)
{
	struct ynode *n = xcalloc(1, sizeof *n);
	n->kind = kind;
	n->file = file;
	n->line = n->text_line = line;
	n->col = n->text_col = col;
	n->next_alloc = d->all;
	n->doc = d;
	d->all = n;
	d->budget += 3;
	d->tree += sizeof *n + 16 + sizeof n;   /* malloc's and a parent's */
	return n;
}

struct ynode *yn_scalar(struct ydoc *d, const char *s, size_t n, int quoted,
			const char *file, int line, int col)
{
	struct ynode *y = yn_new(d, YN_SCALAR, file, line, col);
	y->str = xstrndup(s, n);
	y->len = n;
	d->bytes += 3 * (long long)n;
	d->tree += n + 17;
	y->quoted = quoted;
	return y;
}

void yn_push(struct ynode *parent, struct ynode *kid)
{
	parent->kids = xgrow(parent->kids, &parent->cap, parent->n + 1,
			     sizeof *parent->kids);
	parent->kids[parent->n++] = kid;
}

void yn_map_set(struct ydoc *d, struct ynode *map, const char *key,
		struct ynode *value)
{
	yn_push(map, yn_scalar(d, key, strlen(key), 1, value->file,
			       value->line, value->col));
	yn_push(map, value);
}

void ydoc_free(struct ydoc *d)
{
	struct ynode *n, *next;
	if (!d)
		return;
	for (n = d->all; n; n = next) {
		next = n->next_alloc;
		free(n->str);
		free(n->kids);
		json_decref(n->keys);
		free(n);
	}
	d->all = d->root = NULL;
	d->budget = 0;
	d->bytes = 0;
	d->tree = 0;
}

struct ynode *yn_get(const struct ynode *map, const char *key)
{
	if (!map || map->kind != YN_MAP)
		return NULL;
	for (size_t i = 0; i + 1 < map->n; i += 2)
		if (map->kids[i]->kind == YN_SCALAR &&
		    strcmp(map->kids[i]->str, key) == 0)
			return map->kids[i + 1];
	return NULL;
}

/* YAML 1.2 core schema, plus the 1.1 spellings promptfoo's js-yaml also
 * accepts for null/bool (True, FALSE, ~).  yes/no stay strings. */
static int is_int_text(const char *s)
{
	if (*s == '-' || *s == '+')
		s++;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'o'))
		return 0;
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

static int is_float_text(const char *s)
{
	int digits = 0;
	if (*s == '-' || *s == '+')
		s++;
	if (!strcmp(s, ".inf") || !strcmp(s, ".Inf") || !strcmp(s, ".INF"))
		return 1;
	while (*s >= '0' && *s <= '9') {
		s++;
		digits++;
	}
	if (*s == '.') {
		s++;
		while (*s >= '0' && *s <= '9') {
			s++;
			digits++;
		}
	}
	if (!digits)
		return 0;
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '-' || *s == '+')
			s++;
		if (*s < '0' || *s > '9')
			return 0;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	return *s == '\0';
}

int yn_scalar_type(const struct ynode *n)
{
	const char *s;
	if (!n || n->kind != YN_SCALAR || n->quoted)
		return JSON_STRING;
	s = n->str;
	if (!*s || !strcmp(s, "~") || !strcmp(s, "null") ||
	    !strcmp(s, "Null") || !strcmp(s, "NULL"))
		return JSON_NULL;
	if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE"))
		return JSON_TRUE;
	if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE"))
		return JSON_FALSE;
	if ((s[0] == '0' && (s[1] == 'x' || s[1] == 'o') && s[2]) ||
	    is_int_text(s)) {
		const char *t = s;
		int base = 10;
		char *end;
		if (s[0] == '0' && s[1] == 'x') {
			base = 16;
			t = s + 2;
		} else if (s[0] == '0' && s[1] == 'o') {
			base = 8;
			t = s + 2;
		}
		errno = 0;
		(void)strtoll(t, &end, base);
		if (*end)
			return JSON_STRING;
		return errno ? JSON_REAL : JSON_INTEGER;
	}
	if (is_float_text(s)) {
		/* jansson cannot hold inf/nan: keep those as strings */
		double v = strtod(s, NULL);
		return isfinite(v) ? JSON_REAL : JSON_STRING;
	}
	return JSON_STRING;
}

const char *yn_kind_name(const struct ynode *n)
{
	if (!n)
		return "nothing";
	if (n->kind == YN_SEQ)
		return "a list";
	if (n->kind == YN_MAP)
		return "a mapping";
	switch (yn_scalar_type(n)) {
	case JSON_NULL: return "null";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	case JSON_INTEGER:
	case JSON_REAL: return "a number";
	default: return "a string";
	}
}

static json_t *scalar_json(const struct ynode *n)
{
	const char *s = n->str;
	switch (yn_scalar_type(n)) {
	case JSON_NULL: return json_null();
	case JSON_TRUE: return json_true();
	case JSON_FALSE: return json_false();
	case JSON_INTEGER:
		if (s[0] == '0' && s[1] == 'x')
			return json_integer(strtoll(s + 2, NULL, 16));
		if (s[0] == '0' && s[1] == 'o')
			return json_integer(strtoll(s + 2, NULL, 8));
		return json_integer(strtoll(s, NULL, 10));
	case JSON_REAL: return json_real(strtod(s, NULL));
	default: return json_stringn_nocheck(n->str, n->len);
	}
}

static json_t *to_json(struct ydoc *d, const struct ynode *n, int depth,
		       struct err *err)
{
	json_t *out;
	if (--d->budget < 0) {
		d->budget = 0;
		err_at(err, n->file, n->line, n->col, "aliases expand the "
		       "document by more than %ld nodes (limit yaml_nodes; "
		       "raise it with ASSAY_LIMITS=yaml_nodes=N)",
		       limits_get()->yaml_nodes);
		return NULL;
	}
	/* a scalar aliased many times is copied each time: budget bytes as
	 * well as nodes (a 270 KB file could otherwise make 2 GB) */
	if (n->kind == YN_SCALAR && (d->bytes -= (long long)n->len) < 0) {
		d->bytes = 0;
		err_at(err, n->file, n->line, n->col, "aliases expand the "
		       "document by more than %zu bytes beyond its own text "
		       "(limit yaml_bytes; raise it with "
		       "ASSAY_LIMITS=yaml_bytes=N)",
		       limits_get()->yaml_bytes);
		return NULL;
	}
	if (depth > YN_MAX_DEPTH) {
		err_at(err, n->file, n->line, n->col, "nesting deeper than "
		       "%d levels", YN_MAX_DEPTH);
		return NULL;
	}
	if (n->kind == YN_SCALAR)
		return scalar_json(n);
	out = n->kind == YN_SEQ ? json_array() : json_object();
	for (size_t i = 0; i < n->n; i += n->kind == YN_MAP ? 2 : 1) {
		json_t *v = to_json(d, n->kids[n->kind == YN_MAP ? i + 1 : i],
				    depth + 1, err);
		if (!v) {
			json_decref(out);
			return NULL;
		}
		if (n->kind == YN_SEQ) {
			json_array_append_new(out, v);
			continue;
		}
		if (n->kids[i]->kind != YN_SCALAR) {
			json_decref(v);
			json_decref(out);
			err_at(err, n->kids[i]->file, n->kids[i]->line,
			       n->kids[i]->col, "found %s as a mapping key, "
			       "expected a string", yn_kind_name(n->kids[i]));
			return NULL;
		}
		json_object_setn_new_nocheck(out, n->kids[i]->str,
					     n->kids[i]->len, v);
	}
	return out;
}

json_t *yn_to_json(const struct ynode *n, struct err *err)
{
	if (!n)
		return json_null();
	return to_json(n->doc, n, 0, err);
}

struct ynode *yn_from_json(struct ydoc *d, const json_t *v, const char *file,
			   int line, int col)
{
	struct ynode *n;
	const char *k;
	json_t *x;
	size_t i;
	char *s;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		n = yn_new(d, YN_MAP, file, line, col);
		json_object_foreach((json_t *)v, k, x) {
			yn_push(n, yn_scalar(d, k, strlen(k), 1, file, line,
					     col));
			yn_push(n, yn_from_json(d, x, file, line, col));
		}
		return n;
	case JSON_ARRAY:
		n = yn_new(d, YN_SEQ, file, line, col);
		json_array_foreach(v, i, x)
			yn_push(n, yn_from_json(d, x, file, line, col));
		return n;
	case JSON_STRING:
		return yn_scalar(d, json_string_value(v), json_string_length(v),
				 1, file, line, col);
	default:
		/* numbers, booleans, null: their JSON text resolves back to
		 * the same type as a plain scalar */
		s = json_dumps(v, JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
		n = yn_scalar(d, s ? s : "null", s ? strlen(s) : 4, 0, file,
			      line, col);
		free(s);
		return n;
	}
}

/* ---- parsing ---------------------------------------------------------- */

struct pstate {
	struct ydoc *d;
	const char *file;
	const char *text;
	size_t len;
	struct ynode *stack[YN_MAX_DEPTH];
	int sp;
	struct anchor *anchors;
	size_t n_anchors, cap_anchors;
	struct err *err;
};

static int add_anchor(struct pstate *ps, const unsigned char *name,
		      struct ynode *n)
{
	if (!name)
		return 0;
	ps->anchors = xgrow(ps->anchors, &ps->cap_anchors, ps->n_anchors + 1,
			    sizeof *ps->anchors);
	ps->anchors[ps->n_anchors].name = xstrdup((const char *)name);
	ps->anchors[ps->n_anchors].node = n;
	ps->n_anchors++;
	return 0;
}

/* Where a block scalar's text starts: the first non-blank character of
 * the line after the indicator (libyaml marks the `|` or `>`). */
static void block_text_pos(struct pstate *ps, struct ynode *n, size_t off)
{
	const char *p = ps->text + off, *end = ps->text + ps->len;
	int col = 1;
	while (p < end && *p != '\n')
		p++;
	if (p >= end)
		return;
	p++;
	while (p < end && *p == ' ') {
		p++;
		col++;
	}
	n->text_line = n->line + 1;
	n->text_col = col;
}

/* ---- key sets: duplicate checks in large mappings ---------------------- */

/* Mappings up to this many keys are scanned; larger ones keep a set of
 * their keys (a jansson object), since a scan per key made a 1 MB file of
 * 100,000 keys take two minutes. */
#define YN_SCAN_KEYS 16

static bool is_merge_key(const struct ynode *k)
{
	return k->kind == YN_SCALAR && strcmp(k->str, "<<") == 0;
}

static void keys_build(struct ynode *map)
{
	map->keys = json_object();
	for (size_t i = 0; i < map->n; i += 2) {
		const struct ynode *k = map->kids[i];
		if (k->kind == YN_SCALAR && !is_merge_key(k))
			json_object_setn_new_nocheck(map->keys, k->str, k->len,
						     json_true());
	}
}

/* The index of the first key equal to `key` among the first `upto`
 * kids, or -1. */
static long find_key(struct ynode *map, size_t upto, const struct ynode *key)
{
	if (map->keys || upto / 2 >= YN_SCAN_KEYS) {
		if (!map->keys)
			keys_build(map);
		if (!json_object_getn(map->keys, key->str, key->len))
			return -1;
	}
	for (size_t i = 0; i < upto && i < map->n; i += 2)
		if (map->kids[i]->kind == YN_SCALAR &&
		    map->kids[i]->len == key->len &&
		    memcmp(map->kids[i]->str, key->str, key->len) == 0)
			return (long)i;
	return -1;
}

/* Records a key just appended (when the mapping keeps a set). */
static void keys_add(struct ynode *map, const struct ynode *key)
{
	if (map->keys && key->kind == YN_SCALAR && !is_merge_key(key))
		json_object_setn_new_nocheck(map->keys, key->str, key->len,
					     json_true());
}

/* Appends `kid` to the open container (or makes it the root). */
static int attach(struct pstate *ps, struct ynode *kid)
{
	struct ynode *top;
	if (ps->sp == 0) {
		ps->d->root = kid;
		return 0;
	}
	top = ps->stack[ps->sp - 1];
	/* Every reader of a mapping takes its keys as strings (k->str):
	 * a sequence or mapping as a key (`{[a]: 1}`, `? {a: 1}`) is refused
	 * here, where its position is known.  Found by fuzz/suite_yaml. */
	if (top->kind == YN_MAP && top->n % 2 == 0 && kid->kind != YN_SCALAR)
		return err_at(ps->err, kid->file, kid->line, kid->col,
			      "found %s as a mapping key, expected a string",
			      yn_kind_name(kid));
	if (top->kind == YN_MAP && top->n % 2 == 0 && kid->kind == YN_SCALAR &&
	    !is_merge_key(kid)) {
		/* a key: refuse duplicates here, where we know its position
		 * (the set of a large mapping answers "seen?" first) */
		long i = find_key(top, top->n, kid);
		if (i >= 0)
			return err_at(ps->err, kid->file, kid->line, kid->col,
				      "duplicate key '%s' (first at line %d)",
				      kid->str, top->kids[i]->line);
		yn_push(top, kid);
		keys_add(top, kid);
		return 0;
	}
	yn_push(top, kid);
	return 0;
}


/* Resolves `<<: *base` / `<<: [*a, *b]` in a finished mapping: explicit
 * keys win, then earlier merge sources over later ones. */
static int apply_merges(struct pstate *ps, struct ynode *map)
{
	struct ynode **kids = map->kids;
	size_t n = map->n, nsrc = 0, k = 0;
	struct ynode *srcs[64];
	int any = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		if (kids[i]->kind == YN_SCALAR && !kids[i]->quoted &&
		    strcmp(kids[i]->str, "<<") == 0)
			any = 1;
	if (!any)
		return 0;
	for (size_t i = 0; i + 1 < n; i += 2) {
		struct ynode *v = kids[i + 1];
		if (!(kids[i]->kind == YN_SCALAR && !kids[i]->quoted &&
		      strcmp(kids[i]->str, "<<") == 0)) {
			kids[k++] = kids[i];
			kids[k++] = v;
			continue;
		}
		if (v->kind == YN_MAP) {
			if (nsrc < 64)
				srcs[nsrc++] = v;
			continue;
		}
		if (v->kind == YN_SEQ) {
			for (size_t j = 0; j < v->n; j++) {
				if (v->kids[j]->kind != YN_MAP)
					return err_at(ps->err, v->kids[j]->file,
						      v->kids[j]->line,
						      v->kids[j]->col,
						      "found %s in a merge "
						      "key ('<<'), expected "
						      "a mapping",
						      yn_kind_name(v->kids[j]));
				if (nsrc < 64)
					srcs[nsrc++] = v->kids[j];
			}
			continue;
		}
		return err_at(ps->err, v->file, v->line, v->col, "found %s "
			      "as the value of a merge key ('<<'), expected a "
			      "mapping or a list of mappings", yn_kind_name(v));
	}
	map->n = k;
	json_decref(map->keys);     /* "<<" entries are gone: rebuild */
	map->keys = NULL;
	for (size_t s = 0; s < nsrc; s++) {
		for (size_t i = 0; i + 1 < srcs[s]->n; i += 2) {
			struct ynode *key = srcs[s]->kids[i];
			if (key->kind == YN_SCALAR &&
			    find_key(map, map->n, key) >= 0)
				continue;
			yn_push(map, key);
			yn_push(map, srcs[s]->kids[i + 1]);
			keys_add(map, key);
		}
	}
	return 0;
}

static int yaml_fail(struct pstate *ps, yaml_parser_t *p)
{
	const char *problem = p->problem ? p->problem : "unknown problem";
	int line = (int)p->problem_mark.line + 1;
	int col = (int)p->problem_mark.column + 1;
	if (p->error == YAML_MEMORY_ERROR)
		return err_set(ps->err, ST_INTERNAL, "YAML parser: out of "
			       "memory");
	if (p->context)
		return err_at(ps->err, ps->file, line, col, "invalid YAML: %s "
			      "(%s at line %d, column %d)", problem, p->context,
			      (int)p->context_mark.line + 1,
			      (int)p->context_mark.column + 1);
	return err_at(ps->err, ps->file, line, col, "invalid YAML: %s",
		      problem);
}

/* The node tree of one file is held to the limit tree_bytes: a 5 MB list
 * of one-digit numbers is 2.5 million nodes, 115 times its size. */
static int tree_full(struct pstate *ps, int line, int col)
{
	size_t cap = limits_get()->tree_bytes;
	if (ps->d->tree <= cap)
		return 0;
	return err_at(ps->err, ps->file, line, col, "the document's nodes take "
		      "more than %zu bytes of memory (limit tree_bytes; raise "
		      "it with ASSAY_LIMITS=tree_bytes=N)", cap) != 0;
}

static int on_event(struct pstate *ps, yaml_event_t *ev, int *docs)
{
	int line = (int)ev->start_mark.line + 1;
	int col = (int)ev->start_mark.column + 1;
	struct ynode *n;

	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (++*docs > 1)
			return err_at(ps->err, ps->file, line, col, "found a "
				      "second YAML document, expected only one");
		return 0;
	case YAML_SCALAR_EVENT: {
		const char *tag = (const char *)ev->data.scalar.tag;
		int quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
		if (tag && strcmp(tag, YAML_STR_TAG) == 0)
			quoted = 1;
		if (memchr(ev->data.scalar.value, 0, ev->data.scalar.length))
			/* an escape such as "\0" or "\u0000": C strings would
			 * silently cut the text there (issue 9) */
			return err_at(ps->err, ps->file, line, col, "a NUL character "
				      "(\\0) in text is not supported");
		n = yn_scalar(ps->d, (const char *)ev->data.scalar.value,
			      ev->data.scalar.length, quoted, ps->file, line,
			      col);
		if (ev->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
		    ev->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE)
			n->text_col = col + 1;
		else if (ev->data.scalar.style == YAML_LITERAL_SCALAR_STYLE ||
			 ev->data.scalar.style == YAML_FOLDED_SCALAR_STYLE)
			block_text_pos(ps, n, ev->start_mark.index);
		add_anchor(ps, ev->data.scalar.anchor, n);
		if (tree_full(ps, line, col))
			return ST_INPUT;
		return attach(ps, n);
	}
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		if (ps->sp >= YN_MAX_DEPTH)
			return err_at(ps->err, ps->file, line, col, "nesting "
				      "deeper than %d levels", YN_MAX_DEPTH);
		n = yn_new(ps->d, ev->type == YAML_SEQUENCE_START_EVENT
			   ? YN_SEQ : YN_MAP, ps->file, line, col);
		add_anchor(ps, ev->type == YAML_SEQUENCE_START_EVENT
			   ? ev->data.sequence_start.anchor
			   : ev->data.mapping_start.anchor, n);
		if (tree_full(ps, line, col))
			return ST_INPUT;
		if (attach(ps, n))
			return ST_INPUT;
		ps->stack[ps->sp++] = n;
		return 0;
	case YAML_SEQUENCE_END_EVENT:
		ps->sp--;
		return 0;
	case YAML_MAPPING_END_EVENT:
		n = ps->stack[--ps->sp];
		return apply_merges(ps, n);
	case YAML_ALIAS_EVENT: {
		const char *name = (const char *)ev->data.alias.anchor;
		struct ynode *target = NULL;
		for (size_t i = ps->n_anchors; i-- > 0;)
			if (strcmp(ps->anchors[i].name, name) == 0) {
				target = ps->anchors[i].node;
				break;
			}
		if (!target)
			return err_at(ps->err, ps->file, line, col, "found "
				      "alias '*%s', expected an anchor '&%s' "
				      "defined before it", name, name);
		for (int i = 0; i < ps->sp; i++)
			if (ps->stack[i] == target)
				return err_at(ps->err, ps->file, line, col,
					      "alias '*%s' refers to a node "
					      "that contains it (recursive "
					      "alias)", name);
		if (target->kind != YN_SCALAR && ps->sp > 0) {
			struct ynode *top = ps->stack[ps->sp - 1];
			if (top->kind == YN_MAP && top->n % 2 == 0)
				return err_at(ps->err, ps->file, line, col,
					      "found %s as a mapping key, "
					      "expected a string",
					      yn_kind_name(target));
		}
		return attach(ps, target);
	}
	default:
		return 0;
	}
}

int ydoc_parse(struct ydoc *d, const char *file, const char *text,
	       size_t len, struct err *err)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	struct pstate ps = { .d = d, .file = file, .text = text, .len = len,
			     .err = err };
	int rc = 0, docs = 0, done = 0;

	d->budget += limits_get()->yaml_nodes;
	d->bytes += (long long)limits_get()->yaml_bytes;
	if (!yaml_parser_initialize(&parser))
		return err_set(err, ST_INTERNAL, "cannot start YAML parser");
	yaml_parser_set_input_string(&parser, (const unsigned char *)text,
				     len);
	while (!done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			rc = yaml_fail(&ps, &parser);
			break;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		rc = on_event(&ps, &ev, &docs);
		yaml_event_delete(&ev);
		if (rc)
			break;
	}
	yaml_parser_delete(&parser);
	for (size_t i = 0; i < ps.n_anchors; i++)
		free(ps.anchors[i].name);
	free(ps.anchors);
	return rc;
}
