/* template_int.h — what the template's files share: the parsed tree of a
 * template (text, `{{ }}` outputs, `{% if %}`, `{% for %}`, `{% set %}`),
 * the expression tree inside tags, the render context, and JavaScript's
 * value rules (truthiness, loose equality, text forms) that Nunjucks
 * inherits because it compiles templates to JavaScript.
 *
 * Values are json_t references; NULL stands for JavaScript's `undefined`
 * (a var or member that does not exist).  Every node is allocated from the
 * render's arena (`struct tarena`) and freed with it. */
#ifndef ASSAY_TEMPLATE_INT_H
#define ASSAY_TEMPLATE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include "../util/buf.h"
#include "../util/err.h"

struct loc;

#define TMPL_NAME_MAX 64        /* a name in for/set */
#define TMPL_MAX_FRAMES 64      /* nested for loops */
#define TMPL_MAX_EXPR_DEPTH 64  /* nesting of parentheses, not, filters */
#define TMPL_TAG_WORK 64        /* work charged per tag evaluated */

/* ---- expressions ---------------------------------------------------------- */

enum te_kind {
	TE_LIT,     /* lit */
	TE_VAR,     /* name */
	TE_GET,     /* a.name, a[b] (b in `b`) */
	TE_FILTER,  /* a | name(args) */
	TE_NOT,     /* not a */
	TE_AND,     /* a and b (JavaScript &&: yields an operand) */
	TE_OR,      /* a or b  (JavaScript ||) */
	TE_CMP,     /* a op b */
	TE_IN,      /* a in b */
	TE_LIST,    /* [args] */
};

enum te_op { OP_EQ, OP_NE, OP_LT, OP_GT, OP_LE, OP_GE };

struct texpr {
	enum te_kind k;
	const char *at;          /* where it starts in the template */
	const char *end;         /* where it ends (paths in messages) */
	json_t *lit;             /* TE_LIT (owned by the arena) */
	char *name;              /* TE_VAR, TE_GET (a.name), TE_FILTER */
	enum te_op op;
	struct texpr *a, *b;
	struct texpr **args;     /* TE_FILTER arguments, TE_LIST items */
	size_t nargs;
};

/* ---- template tree --------------------------------------------------------- */

enum tn_kind { TN_TEXT, TN_OUT, TN_IF, TN_FOR, TN_SET };

struct tnode {
	enum tn_kind kind;
	const char *at;           /* the tag (or text) in the template */
	const char *s;            /* TN_TEXT */
	size_t n;
	struct texpr *e;          /* OUT, IF condition, FOR list, SET value */
	char name[TMPL_NAME_MAX];  /* FOR's var (or key), SET's target */
	char name2[TMPL_NAME_MAX]; /* FOR's value var in `for k, v in obj` */
	struct tnode *body;       /* IF then-part, FOR body */
	struct tnode *alt;        /* IF else-part (elif: one TN_IF), FOR else */
	struct tnode *next;
};

/* ---- arena and context ----------------------------------------------------- */

struct tarena {
	void **p;
	size_t n, cap;
	json_t **lits;
	size_t nlits, caplits;
};

struct rctx {
	const json_t *vars;
	int flags;
	const struct loc *loc;
	struct err *err;
	char *missing;
	size_t n_missing;
	const char *top;        /* the outermost template */
	const char *top_at;     /* tag being expanded there (nested renders) */
	const char *nest_var;   /* var whose value is being rendered */
	size_t *work;           /* work done so far, shared by nested renders */
	const char *const *raw; /* top-level vars never rendered again */
	const char *tmpl;       /* the template this context renders */
	int depth;              /* nesting of var renders */
	int soft;               /* > 0: an undefined var is a value, not an
				 * error (if conditions, default's input) */
	json_t *frames[TMPL_MAX_FRAMES]; /* set / for variables; [0] = top */
	int nframes;
	struct buf *out;        /* the text being made (size checks) */
	int in_str;             /* inside a JSON string (TMPL_JSON_ESCAPE) */
};

void *ta_alloc(struct tarena *a, size_t n);
char *ta_strndup(struct tarena *a, const char *s, size_t n);
void ta_lit(struct tarena *a, json_t *v);
void ta_free(struct tarena *a);

/* Fills c->err at `at` (in c->tmpl) and returns ST_INPUT. */
int tm_err(struct rctx *c, const char *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* `return TERR(c, at, …)`: the same, with the status visible to the
 * static analyzer in the calling file. */
#define TERR(...) (tm_err(__VA_ARGS__), ST_INPUT)

/* Charges `n` units of work; ST_INPUT past template_work or when the text
 * made so far passes template_bytes. */
int tm_charge(struct rctx *c, const char *at, size_t n);

/* Parses the expression in [*pp, end): stops at the first token that
 * cannot continue it (leaving *pp there).  Errors name the position. */
int te_parse(struct rctx *c, struct tarena *a, const char **pp,
	     const char *end, struct texpr **out);

/* Reads one name (identifier) at *pp after spaces; 0 and an error when
 * there is none. */
int te_name(struct rctx *c, const char **pp, const char *end, char *name,
	    size_t cap, const char *what);
const char *te_skip_ws(const char *p, const char *end);

/* Evaluates an expression: *out is a new reference or NULL (undefined). */
int te_eval(struct rctx *c, const struct texpr *e, json_t **out);

/* Looks `name` up in the frames, innermost first, then in the vars
 * (borrowed; NULL when undefined). *from_vars says where it was found. */
const json_t *tm_lookup(const struct rctx *c, const char *name,
			bool *from_vars);

/* JavaScript's rules on values. */
bool js_truthy(const json_t *v);
bool js_loose_eq(const json_t *a, const json_t *b);
/* String(v) as JavaScript writes it: arrays joined with ",", objects as
 * "[object Object]", undefined as "undefined", null as "null". */
void js_string(struct buf *b, const json_t *v);
/* JSON.stringify(v, null, indent): false when the result is undefined. */
bool js_json(struct buf *b, const json_t *v, const char *indent);
void js_number(struct buf *b, double d);
/* Length of a UTF-8 string in UTF-16 code units (JavaScript's length). */
size_t js_length(const char *s, size_t n);

#define TF_NAMES "default, dump, first, join, last, length, load, lower, " \
		 "replace, trim, upper"

/* True when `name` is a filter of the subset. */
bool tf_known(const char *name);

/* Applies filter `e` (TE_FILTER) to `in` (consumed) with its evaluated
 * arguments; *out is the result. */
int tf_apply(struct rctx *c, const struct texpr *e, json_t *in,
	     json_t **args, size_t nargs, json_t **out);

/* The keys of an object in JavaScript's order (array indices ascending,
 * then the rest as inserted): an owned array of borrowed keys. */
const char **js_keys(const json_t *obj, size_t *n);

/* Renders the string *v (a var's value holding tags) with the same vars,
 * replacing *v; `e` is the path that produced it (messages). */
int tm_render_nested(struct rctx *c, const struct texpr *e, json_t **v);

/* The text of a value as a `{{ }}` output writes it (template.h). */
void tm_value_text(struct buf *b, const json_t *v);

#endif
