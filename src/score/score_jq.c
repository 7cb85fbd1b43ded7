/* score_jq.c — jq in grading: the `jq` assertion (a jq program that must
 * yield true) and `transform: "jq:EXPR"` (score_transform, also for
 * test-level transforms later), both through libjq.
 *
 * The output is parsed as JSON; when it is not JSON it is the input as a
 * JSON string.  The test's vars are `$vars`.  The user's program P runs as
 * `.[0] as $vars | .[1] | (P)` on the input [vars, output], so one compiled
 * program serves every test (vars are data, not compile-time constants).
 * A jq_state cannot be shared between threads, so each thread keeps a
 * small cache of compiled programs (freed when the thread exits, by
 * score_shutdown for the calling thread, and at exit for the thread that
 * calls exit).  jq programs have no step limit:
 * a program that loops forever hangs grading (jq 1.6 offers no hook). */
#include "score_int.h"

#include <jq.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/buf.h"
#include "../util/xalloc.h"

#define JQ_SLOTS 32

struct jq_prog {
	char *src;             /* the user's program; NULL = empty slot */
	jq_state *jq;
	uint64_t hash;
};

struct jq_tls {
	struct jq_prog slot[JQ_SLOTS];
	unsigned next;         /* round-robin eviction */
	struct buf errs;       /* messages of the current compile/run */
};

static _Thread_local struct jq_tls *tls;
static pthread_key_t jq_key;
static pthread_once_t jq_key_once = PTHREAD_ONCE_INIT;

static void jq_tls_free(void *p)
{
	struct jq_tls *t = p;
	if (!t)
		return;
	for (unsigned i = 0; i < JQ_SLOTS; i++) {
		free(t->slot[i].src);
		if (t->slot[i].jq)
			jq_teardown(&t->slot[i].jq);
	}
	buf_free(&t->errs);
	free(t);
}

/* At exit the calling thread's programs are torn down: jq keeps
 * pointers to the end of its stack blocks, which leak checkers cannot
 * trace, so live states would be reported as leaks.  Registered on first
 * use, after any checker's own atexit handler, so it runs before it. */
static void jq_at_exit(void)
{
	score_jq_shutdown();
}

static void jq_key_make(void)
{
	(void)pthread_key_create(&jq_key, jq_tls_free);
	atexit(jq_at_exit);
}

static struct jq_tls *tls_get(void)
{
	if (tls)
		return tls;
	pthread_once(&jq_key_once, jq_key_make);
	tls = xcalloc(1, sizeof *tls);
	(void)pthread_setspecific(jq_key, tls);
	return tls;
}

void score_jq_shutdown(void)
{
	if (!tls)
		return;
	jq_tls_free(tls);
	tls = NULL;
	(void)pthread_setspecific(jq_key, NULL);
}

/* jq reports compile errors through this callback. */
static void on_error(void *data, jv msg)
{
	struct buf *b = data;
	if (b->len > 2000) {
		jv_free(msg);
		return;
	}
	if (b->len)
		buf_puts(b, "; ");
	if (jv_get_kind(msg) == JV_KIND_STRING) {
		buf_puts(b, jv_string_value(msg));
		jv_free(msg);
	} else {
		jv s = jv_dump_string(msg, 0);
		buf_puts(b, jv_string_value(s));
		jv_free(s);
	}
}

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

/* The compiled program for src (cached per thread), or NULL with the jq
 * messages in msg. */
static jq_state *prog_get(const char *src, char *msg, size_t msgn)
{
	struct jq_tls *t = tls_get();
	uint64_t h = hash_str(src);
	struct jq_prog *p;
	char *wrapped;
	jq_state *jq;
	for (unsigned i = 0; i < JQ_SLOTS; i++) {
		p = &t->slot[i];
		if (p->src && p->hash == h && strcmp(p->src, src) == 0)
			return p->jq;
	}
	jq = jq_init();
	if (!jq) {
		snprintf(msg, msgn, "cannot start jq (out of memory)");
		return NULL;
	}
	buf_reset(&t->errs);
	jq_set_error_cb(jq, on_error, &t->errs);
	wrapped = xasprintf(".[0] as $vars | .[1] | (%s\n)", src);
	if (!jq_compile(jq, wrapped)) {
		snprintf(msg, msgn, "%s", t->errs.len ? buf_str(&t->errs)
						      : "jq compile error");
		free(wrapped);
		jq_teardown(&jq);
		return NULL;
	}
	free(wrapped);
	p = &t->slot[t->next];
	t->next = (t->next + 1) % JQ_SLOTS;
	free(p->src);
	if (p->jq)
		jq_teardown(&p->jq);
	p->src = xstrdup(src);
	p->hash = h;
	p->jq = jq;
	return jq;
}

/* libjq 1.6's parser leaks part of what it read when the text is not
 * valid JSON (a raw NUL, a key without its colon: found by
 * fuzz/prov_http.c), once per reply.  Only text that jansson accepts as
 * one JSON value is given to it; anything else is a string. */
static bool is_json(const char *s, size_t len)
{
	json_t *j = json_loadb(s, len, JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL,
			       NULL);
	json_decref(j);
	return j != NULL;
}

/* Builds the input [vars, output-as-JSON-or-string]. */
static jv make_input(const char *out, size_t len, const json_t *vars)
{
	jv o, v;
	char *vs;
	if (len > INT_MAX)
		len = INT_MAX;
	o = is_json(out, len) ? jv_parse_sized(out, (int)len) : jv_invalid();
	if (!jv_is_valid(o)) {
		jv_free(o);
		o = jv_string_sized(out, (int)len);
	}
	vs = vars ? json_dumps(vars, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	v = vs ? jv_parse(vs) : jv_object();
	free(vs);
	if (!jv_is_valid(v)) {
		jv_free(v);
		v = jv_object();
	}
	return jv_array_append(jv_array_append(jv_array(), v), o);
}

/* Runs src on the output; *result gets the first result (valid jv) or
 * the function returns -1 with msg set (compile error, runtime error, no
 * result). */
static int run(const char *src, const char *out, size_t len,
	       const json_t *vars, jv *result, char *msg, size_t msgn)
{
	jq_state *jq = prog_get(src, msg, msgn);
	jv r;
	if (!jq)
		return -1;
	buf_reset(&tls->errs);
	jq_start(jq, make_input(out, len, vars), 0);
	r = jq_next(jq);
	if (jv_is_valid(r)) {
		*result = r;
		return 0;
	}
	{
		jv m = jv_invalid_get_msg(r);
		if (jv_get_kind(m) == JV_KIND_STRING) {
			snprintf(msg, msgn, "jq error: %s", jv_string_value(m));
		} else if (jv_get_kind(m) != JV_KIND_NULL) {
			jv d = jv_dump_string(jv_copy(m), 0);
			snprintf(msg, msgn, "jq error: %s", jv_string_value(d));
			jv_free(d);
		} else {
			snprintf(msg, msgn, "the jq program produced no result");
		}
		jv_free(m);
	}
	return -1;
}

/* ---- the jq assertion -------------------------------------------------- */

static int check_jq(const struct assertion_spec *a, const json_t *v,
		    const json_t *vars, struct err *err)
{
	char msg[900];
	(void)vars;
	if (json_string_length(v) == 0)
		return score_err(a, err, "'%s' value must be a jq program, "
				 "e.g. '.label == \"spam\"'", a->type);
	if (!prog_get(json_string_value(v), msg, sizeof msg))
		return score_err(a, err, "'%s': the jq program does not "
				 "compile: %s", a->type, msg);
	return 0;
}

static int eval_jq(const struct score_in *in, struct assert_outcome *out,
		   struct err *err)
{
	char msg[1024];
	jv r;
	bool yes;
	(void)err;
	if (run(json_string_value(in->value), in->output, in->output_len,
		in->vars, &r, msg, sizeof msg)) {
		/* Runtime errors come from the output's shape (".a" on a
		 * string): a failing outcome, not a grading error. */
		out->pass = in->inverse;
		out->score = out->pass ? 1 : 0;
		out->reason = out->pass ? xstrdup("Assertion passed")
					: xstrdup(msg);
		return 0;
	}
	yes = jv_get_kind(r) == JV_KIND_TRUE;
	if (yes == in->inverse) {
		jv d = jv_dump_string(jv_copy(r), 0);
		struct buf b = {0};
		buf_printf(&b, "Expected the jq program %s to %s true, got ",
			   json_string_value(in->value),
			   in->inverse ? "not yield" : "yield");
		score_put_clipped(&b, jv_string_value(d), strlen(jv_string_value(d)),
				  200);
		jv_free(d);
		score_binary(out, yes, in->inverse, buf_detach(&b));
	} else {
		score_binary(out, yes, in->inverse, NULL);
	}
	jv_free(r);
	return 0;
}

const struct score_type score_jq_types[] = {
	{ .name = "jq", .values = SV_STRING,
	  .value_desc = "a string (a jq program that yields true to pass)",
	  .check = check_jq, .eval = eval_jq },
	{ .name = NULL }
};

/* ---- transforms -------------------------------------------------------- */

int score_transform_check(const char *transform, struct err *err)
{
	char msg[900];
	if (!strncmp(transform, "file://", 7))
		return err_set(err, ST_INPUT, "transform \"%s\": transforms from "
			       "files are not supported yet; write the JavaScript "
			       "inline or use `transform: \"jq:EXPR\"`", transform);
	if (strncmp(transform, "jq:", 3) != 0) /* inline JavaScript */
		return transform[strspn(transform, " \t\r\n")]
			       ? 0 : err_set(err, ST_INPUT, "transform is empty");
	if (!transform[3])
		return err_set(err, ST_INPUT, "transform \"jq:\" needs a jq "
			       "expression after the prefix");
	if (!prog_get(transform + 3, msg, sizeof msg))
		return err_set(err, ST_INPUT, "transform: the jq expression "
			       "does not compile: %s", msg);
	return 0;
}

int score_transform(const char *transform, const char *output, size_t len,
		    const json_t *vars, char **out, struct err *err)
{
	char msg[1024];
	jv r;
	*out = NULL;
	if (!strncmp(transform, "file://", 7))
		return err_set(err, ST_INTERNAL, "transform \"%s\": transforms "
			       "from files are not supported yet", transform);
	if (strncmp(transform, "jq:", 3) != 0)
		return score_code_transform(transform, output, len, vars, out, err);
	if (run(transform + 3, output ? output : "", output ? len : 0, vars,
		&r, msg, sizeof msg))
		return err_set(err, ST_INTERNAL, "transform %s failed: %s",
			       transform, msg);
	if (jv_get_kind(r) == JV_KIND_STRING) {
		int n = jv_string_length_bytes(jv_copy(r));
		*out = xstrndup(jv_string_value(r), (size_t)n);
		jv_free(r);
	} else {
		jv d = jv_dump_string(r, 0);
		*out = xstrdup(jv_string_value(d));
		jv_free(d);
	}
	return 0;
}
