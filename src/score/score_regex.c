/* score_regex.c — the `regex` assertion and the process-wide cache of
 * compiled PCRE2 patterns it (and icontains, for non-ASCII needles) uses.
 *
 * A pattern is compiled once per process (UTF mode, JIT when the platform
 * has it) and kept until score_shutdown: a hash table under a mutex holds
 * them, and a small per-thread direct-mapped table in front of it makes the
 * common lookup lock-free.  Match data, the match context and the JIT stack
 * are per thread and reused, so a match allocates nothing.
 *
 * Options chosen to behave like JavaScript's `new RegExp(v).test(output)`
 * where PCRE2 can: `$` matches only at the very end (DOLLAR_ENDONLY), and
 * invalid UTF-8 in model output is tolerated (MATCH_INVALID_UTF) instead of
 * being an error. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "score_int.h"

#include <pcre2.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/buf.h"
#include "../util/xalloc.h"

struct score_re {
	pcre2_code *code;
	uint64_t hash;
	unsigned flags;
	size_t len;
	struct score_re *next;
	char pat[];              /* len bytes + NUL */
};

static pthread_mutex_t re_mu = PTHREAD_MUTEX_INITIALIZER;
static struct score_re **buckets;
static size_t n_buckets, n_entries;
static unsigned long re_gen = 1;   /* bumped by shutdown: flushes TLS */

#define TL_SLOTS 64
struct tl_slot {
	const struct score_re *re;
	unsigned long gen;
};
static _Thread_local struct tl_slot tl_cache[TL_SLOTS];

/* Per-thread match state, freed by a pthread key destructor when the
 * thread exits (worker threads come and go). */
struct tl_state {
	pcre2_match_data *md;
	pcre2_match_context *mctx;
	pcre2_jit_stack *jit;
};
static _Thread_local struct tl_state *tl_st;
static pthread_key_t tl_key;
static pthread_once_t tl_key_once = PTHREAD_ONCE_INIT;

static void tl_state_free(void *p)
{
	struct tl_state *st = p;
	if (!st)
		return;
	pcre2_match_data_free(st->md);
	pcre2_match_context_free(st->mctx);
	pcre2_jit_stack_free(st->jit);
	free(st);
}

static void tl_key_make(void)
{
	(void)pthread_key_create(&tl_key, tl_state_free);
}

static struct tl_state *tl_state_get(void)
{
	struct tl_state *st = tl_st;
	if (st)
		return st;
	pthread_once(&tl_key_once, tl_key_make);
	st = xcalloc(1, sizeof *st);
	st->md = pcre2_match_data_create(1, NULL);
	st->mctx = pcre2_match_context_create(NULL);
	if (!st->md || !st->mctx) {
		fputs("assay: out of memory\n", stderr);
		abort();
	}
	/* Up to 1 MB of JIT stack for deep patterns on long outputs; when
	 * it cannot be had, PCRE2's 32 KB default on the machine stack. */
	st->jit = pcre2_jit_stack_create(32 * 1024, 1024 * 1024, NULL);
	if (st->jit)
		pcre2_jit_stack_assign(st->mctx, NULL, st->jit);
	(void)pthread_setspecific(tl_key, st);
	tl_st = st;
	return st;
}

static uint64_t hash_bytes(const char *s, size_t n, unsigned flags)
{
	uint64_t h = 1469598103934665603ULL ^ flags;
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static bool same(const struct score_re *re, uint64_t h, const char *p,
		 size_t n, unsigned flags)
{
	return re->hash == h && re->len == n && re->flags == flags &&
	       memcmp(re->pat, p, n) == 0;
}

static void grow_table(void)
{
	size_t nb = n_buckets ? n_buckets * 2 : 256;
	struct score_re **nbk = xcalloc(nb, sizeof *nbk);
	for (size_t i = 0; i < n_buckets; i++) {
		struct score_re *e = buckets[i], *next;
		for (; e; e = next) {
			next = e->next;
			e->next = nbk[e->hash & (nb - 1)];
			nbk[e->hash & (nb - 1)] = e;
		}
	}
	free(buckets);
	buckets = nbk;
	n_buckets = nb;
}

/* Compiles a pattern; NULL with err (ST_INPUT, no location) on failure. */
static pcre2_code *compile(const char *p, size_t n, unsigned flags,
			   struct err *err)
{
	uint32_t opts = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF;
	int ec;
	PCRE2_SIZE off;
	pcre2_code *code;
	if (flags & SCORE_RE_LITERAL)
		opts |= PCRE2_LITERAL;
	else
		opts |= PCRE2_DOLLAR_ENDONLY;
	if (flags & SCORE_RE_CASELESS)
		opts |= PCRE2_CASELESS;
	code = pcre2_compile((PCRE2_SPTR)p, n, opts, &ec, &off, NULL);
	if (!code) {
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message(ec, msg, sizeof msg);
		err_set(err, ST_INPUT, "%s at offset %zu", (const char *)msg,
			(size_t)off);
		return NULL;
	}
	/* JIT is an optimisation: without it the interpreter runs. */
	(void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
	return code;
}

const struct score_re *score_re_get(const char *pattern, size_t len,
				    unsigned flags, struct err *err)
{
	uint64_t h = hash_bytes(pattern, len, flags);
	struct tl_slot *slot = &tl_cache[h & (TL_SLOTS - 1)];
	struct score_re *e;
	pcre2_code *code;

	if (slot->re && slot->gen == re_gen &&
	    same(slot->re, h, pattern, len, flags))
		return slot->re;

	pthread_mutex_lock(&re_mu);
	if (n_buckets)
		for (e = buckets[h & (n_buckets - 1)]; e; e = e->next)
			if (same(e, h, pattern, len, flags))
				goto found;
	pthread_mutex_unlock(&re_mu);

	/* Compile outside the lock; a racing thread may insert the same
	 * pattern first, in which case ours is dropped. */
	code = compile(pattern, len, flags, err);
	if (!code)
		return NULL;
	pthread_mutex_lock(&re_mu);
	if (n_buckets)
		for (e = buckets[h & (n_buckets - 1)]; e; e = e->next)
			if (same(e, h, pattern, len, flags)) {
				pcre2_code_free(code);
				goto found;
			}
	if (n_entries + 1 > n_buckets)
		grow_table();
	e = xmalloc(sizeof *e + len + 1);
	e->code = code;
	e->hash = h;
	e->flags = flags;
	e->len = len;
	memcpy(e->pat, pattern, len);
	e->pat[len] = '\0';
	e->next = buckets[h & (n_buckets - 1)];
	buckets[h & (n_buckets - 1)] = e;
	n_entries++;
found:
	pthread_mutex_unlock(&re_mu);
	slot->re = e;
	slot->gen = re_gen;
	return e;
}

int score_re_match(const struct score_re *re, const char *subject,
		   size_t len, char *msg, size_t msgn)
{
	struct tl_state *st = tl_state_get();
	int rc;
	/* The match data holds one pair; a match with more groups returns 0
	 * ("ovector too small"), which is still a match. */
	rc = pcre2_match(re->code, (PCRE2_SPTR)subject, len, 0, 0, st->md,
			 st->mctx);
	if (rc >= 0)
		return 1;
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	{
		PCRE2_UCHAR m[256];
		pcre2_get_error_message(rc, m, sizeof m);
		snprintf(msg, msgn, "%s", (const char *)m);
	}
	return -1;
}

void score_re_shutdown(void)
{
	pthread_mutex_lock(&re_mu);
	for (size_t i = 0; i < n_buckets; i++) {
		struct score_re *e = buckets[i], *next;
		for (; e; e = next) {
			next = e->next;
			pcre2_code_free(e->code);
			free(e);
		}
	}
	free(buckets);
	buckets = NULL;
	n_buckets = n_entries = 0;
	re_gen++;
	pthread_mutex_unlock(&re_mu);
	/* The calling thread's match state; other threads' is freed when
	 * they exit. */
	if (tl_st) {
		tl_state_free(tl_st);
		tl_st = NULL;
		(void)pthread_setspecific(tl_key, NULL);
	}
}

/* ---- the regex assertion ----------------------------------------------- */

static int check_regex(const struct assertion_spec *a, const json_t *v,
		       const json_t *vars, struct err *err)
{
	struct err e = {0};
	(void)vars;
	if (json_string_length(v) == 0)
		return score_err(a, err, "'%s' value must not be empty",
				 a->type);
	if (!score_re_get(json_string_value(v), json_string_length(v), 0, &e))
		return score_err(a, err, "'%s': invalid regular expression "
				 "\"%s\": %s", a->type, json_string_value(v),
				 e.msg);
	return 0;
}

static int eval_regex(const struct score_in *in, struct assert_outcome *out,
		      struct err *err)
{
	const char *p = json_string_value(in->value);
	size_t n = json_string_length(in->value);
	struct err e = {0};
	const struct score_re *re = score_re_get(p, n, 0, &e);
	char msg[256];
	struct buf b = {0};
	int m;
	(void)err;
	if (!re) {
		out->pass = false;
		out->score = 0;
		out->reason = xasprintf("Invalid regex pattern: %s", e.msg);
		return 0;
	}
	m = score_re_match(re, in->output, in->output_len, msg, sizeof msg);
	if (m < 0) {
		out->pass = false;
		out->score = 0;
		out->reason = xasprintf("Regex match failed: %s", msg);
		return 0;
	}
	if ((m == 1) != in->inverse) {
		score_binary(out, m == 1, in->inverse, NULL);
		return 0;
	}
	buf_printf(&b, "Expected output to %smatch regex \"",
		   in->inverse ? "not " : "");
	score_put_clipped(&b, p, n, 256);
	buf_putc(&b, '"');
	score_binary(out, m == 1, in->inverse, buf_detach(&b));
	return 0;
}

const struct score_type score_regex_types[] = {
	{ .name = "regex", .values = SV_STRING,
	  .value_desc = "a string (a PCRE2 regular expression)",
	  .check = check_regex, .eval = eval_regex },
	{ .name = NULL }
};
