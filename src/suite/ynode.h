/* ynode.h — internal to src/suite: a YAML document as a tree of nodes that
 * keep their file:line:col, built from libyaml's event API.
 *
 * Aliases point at the anchored node (the tree is a DAG), merge keys (`<<`)
 * are resolved when their mapping ends, and duplicate keys are errors.  All
 * nodes belong to their `struct ydoc` and are freed with it.  Nodes built
 * from CSV rows or JSON values (yn_from_json) live in a ydoc too, so the
 * loader validates every test the same way whatever file it came from. */
#ifndef ASSAY_YNODE_H
#define ASSAY_YNODE_H

#include <stddef.h>
#include <jansson.h>
#include "../util/err.h"

enum yn_kind { YN_SCALAR, YN_SEQ, YN_MAP };

struct ynode {
	enum yn_kind kind;
	const char *file;        /* interned by the caller */
	int line, col;           /* 1-based: where the node starts */
	int text_line, text_col; /* where a scalar's text starts */
	char *str;               /* scalars: NUL-terminated text */
	size_t len;
	int quoted;              /* quoted, block or !!str: always a string */
	struct ynode **kids;     /* seq: items; map: key, value, key, value… */
	size_t n, cap;
	struct ynode *next_alloc;
	struct ydoc *doc;        /* the document it belongs to */
	json_t *keys;            /* large mappings: the set of their keys,
				  * so duplicate checks stay linear */
};

struct ydoc {
	struct ynode *all;       /* every node, for freeing */
	struct ynode *root;      /* NULL for an empty document */
	long budget;             /* nodes yn_to_json may still produce:
				  * a base plus 3 per node created */
	long long bytes;         /* scalar bytes it may still produce: a
				  * base (limit yaml_bytes) plus 3 per
				  * byte of scalar created */
	size_t tree;             /* memory the nodes take (limit
				  * tree_bytes, checked while parsing) */
};

/* Parses `text` (len bytes) as one YAML document named `file` (kept as a
 * pointer).  On error returns ST_INPUT with err at the problem's position;
 * the doc may then hold partial nodes (free it with ydoc_free). */
int ydoc_parse(struct ydoc *d, const char *file, const char *text,
	       size_t len, struct err *err);
void ydoc_free(struct ydoc *d);

struct ynode *yn_new(struct ydoc *d, enum yn_kind kind, const char *file,
		     int line, int col);
struct ynode *yn_scalar(struct ydoc *d, const char *s, size_t n, int quoted,
			const char *file, int line, int col);
void yn_push(struct ynode *parent, struct ynode *kid);
/* Adds key (a quoted scalar at the value's position) and value to map. */
void yn_map_set(struct ydoc *d, struct ynode *map, const char *key,
		struct ynode *value);

/* The value under `key` in a mapping, or NULL. */
struct ynode *yn_get(const struct ynode *map, const char *key);

/* "a string", "a number", "a boolean", "null", "a list", "a mapping". */
const char *yn_kind_name(const struct ynode *n);

/* The scalar's resolved JSON type (JSON_STRING, JSON_INTEGER, …). */
int yn_scalar_type(const struct ynode *n);

/* Converts a node to JSON (scalars resolved per the YAML core schema,
 * keys as strings).  Returns a new reference or NULL with err set (the
 * node's document's node or byte budget exhausted — an alias bomb —,
 * too deep, or a
 * non-scalar key).  NULL `n` gives JSON null. */
json_t *yn_to_json(const struct ynode *n, struct err *err);

/* Builds nodes for a JSON value, every node at file:line:col. */
struct ynode *yn_from_json(struct ydoc *d, const json_t *v, const char *file,
			   int line, int col);

#endif
