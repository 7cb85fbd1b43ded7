/* suite_stream.c — tests that stay in their files (issue 16).
 *
 * A CSV or JSONL test file that gives at least `stream_tests` tests (a
 * limit, util/limits.h) is read once in blocks by the loader, which checks
 * every test exactly as for an in-memory suite (parse, defaultTest merge,
 * list-var expansion, templates, secrets) and then frees it.  What stays is
 * a mark every STREAM_CHUNK tests: the byte offset of a record boundary,
 * the line and column there, the index of its first test and a checksum of
 * the bytes up to the next mark — about 40 bytes per 256 tests.
 *
 * suite_test(s, i) re-produces the chunk holding test i by reading its
 * bytes again (pread on the descriptor kept open since the load, so a file
 * replaced by rename is still the one validated) and running the same
 * parser and merge over them, with defaultTest as parsed at load.  A file
 * edited in place is caught by the checksum and refused with its
 * file:line:col.  The cache keeps every chunk that holds a held test and
 * the SUITE_STREAM_KEEP most recently used others; a chunk is re-read when
 * asked for again after it was dropped.
 *
 * Ownership: the stream belongs to its suite (suite_free); chunks own
 * their tests; a pointer from suite_test is borrowed (suite.h says how
 * long it lives). */
#include "suite_int.h"
#include "../util/fsutil.h"
#include "../util/limits.h"
#include "../util/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FNV_BASIS 14695981039346656037ULL

static unsigned long long fnv(unsigned long long h, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 1099511628211ULL;
	return h;
}

/* ---- the first read (the loader) ------------------------------------------ */

/* Checks that the file is UTF-8 in blocks, as ld_read does for the whole
 * text (same message and position).  0 or ST_INPUT. */
static int utf8_fd(struct ld *l, int fd, const char *path)
{
	unsigned char blk[65536 + 4];
	size_t carry = 0;
	int line = 1, col = 1;
	for (;;) {
		ssize_t got = read(fd, blk + carry, sizeof blk - 4);
		size_t n, bad;
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return err_at(l->err, path, line, col, "cannot read the "
				      "file: %s", strerror(errno));
		n = carry + (size_t)got;
		bad = ld_utf8_bad(blk, n);
		carry = 0;
		if (bad < n && got > 0 && n - bad < 4) {
			/* maybe a sequence cut by the block's end */
			unsigned c = blk[bad];
			size_t need = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0
				      ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
			bool cut = need > n - bad;
			for (size_t j = bad + 1; j < n; j++)
				cut = cut && (blk[j] & 0xC0) == 0x80;
			if (cut)
				carry = n - bad;
		}
		for (size_t i = 0; i < (carry ? n - carry : bad); i++) {
			if (blk[i] == '\n') {
				line++;
				col = 1;
			} else if ((blk[i] & 0xC0) != 0x80) {
				col++;
			}
		}
		if (bad < n && !carry)
			return err_at(l->err, path, line, col, "found a byte that "
				      "is not valid UTF-8 (0x%02x), expected "
				      "UTF-8 text", blk[bad]);
		if (got == 0)
			return 0;
		memmove(blk, blk + n - carry, carry);
	}
}

int ld_open(struct ld *l, const struct ynode *at, const char *rel,
	    const char **path)
{
	char *full = fs_join(l->s->dir, rel);
	size_t cap = limits_get()->file_bytes;
	struct stat sb;
	int fd = open(full, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ld_err(l, at, "cannot read file '%s': cannot open %s: %s", rel,
		       full, strerror(errno));
		free(full);
		return -1;
	}
	if (fstat(fd, &sb) == 0 && (unsigned long long)sb.st_size > cap) {
		ld_err(l, at, "cannot read file '%s': %s is larger than %zu "
		       "bytes (limit file_bytes; raise it with "
		       "ASSAY_LIMITS=file_bytes=N)", rel, full, cap);
		free(full);
		close(fd);
		return -1;
	}
	*path = ld_intern(l, full);
	free(full);
	if (utf8_fd(l, fd, *path) || lseek(fd, 0, SEEK_SET) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A streamed test needs the in-memory form: a conversation (suite_conv.c
 * registers it with the suite at each parse) or a perturbation. */
static bool needs_mem(const struct test_case *t)
{
	return t->conv || json_object_get(t->metadata, "perturb") ||
	       json_object_get(t->metadata, "variants");
}

/* Checks tests [from, s->n_tests) of g (the first is g's test `idx`). */
static int check_new(struct ld *l, struct sseg *g, size_t from, size_t idx)
{
	struct suite *s = l->s;
	for (size_t i = from; i < s->n_tests; i++, idx++) {
		const struct test_case *t = &s->tests[i];
		int rc = ld_check_test(l, t, g->base + idx);
		if (rc)
			return rc;
		ld_secrets_test(t);
		l->need_mem = l->need_mem || needs_mem(t);
		if (l->visit && (rc = l->visit->fn(l->visit->ud, t,
						   g->base + idx, l->err)))
			return rc;
	}
	return 0;
}

static void drop_tail(struct suite *s, size_t from)
{
	for (size_t i = from; i < s->n_tests; i++)
		suite_test_cleanup(&s->tests[i]);
	s->n_tests = from;
}

static void push_mark(struct sseg *g, long long off, int line, int col)
{
	struct smark *m;
	if (g->n_marks)
		g->marks[g->n_marks - 1].sum = g->sum;
	g->marks = xgrow(g->marks, &g->cap_marks, g->n_marks + 1,
			 sizeof *g->marks);
	m = &g->marks[g->n_marks++];
	m->off = off;
	m->line = line;
	m->col = col;
	m->first = g->n;
	m->sum = 0;
	g->sum = FNV_BASIS;
}

int ld_stream_row(struct ld *l, struct sseg *g, long long off, int line,
		  int col)
{
	struct suite *s = l->s;
	size_t have = s->n_tests - g->mem_at;
	int rc = 0;
	if (!g->dropping) {
		g->n = have;
		if ((long)g->n >= limits_get()->stream_tests) {
			/* it streams: check what is kept, then free it */
			g->dropping = true;
			rc = check_new(l, g, g->mem_at, 0);
			drop_tail(s, g->mem_at);
		}
	} else {
		rc = check_new(l, g, g->mem_at, g->n);
		g->n += have;
		drop_tail(s, g->mem_at);
	}
	if (!rc && (!g->n_marks ||
		    g->n - g->marks[g->n_marks - 1].first >= STREAM_CHUNK))
		push_mark(g, off, line, col);
	return rc;
}

static void seg_free(struct sseg *g)
{
	if (g->mem) {
		for (size_t i = 0; i < g->n; i++)
			suite_test_cleanup(&g->mem[i]);
		free(g->mem);
	}
	if (g->fd >= 0)
		close(g->fd);
	for (size_t i = 0; i < g->n_hdr; i++)
		free(g->hdr[i].s);
	free(g->hdr);
	free(g->kinds);
	free(g->marks);
	memset(g, 0, sizeof *g);
	g->fd = -1;
}

int ld_stream_end(struct ld *l, struct sseg *g, int rc)
{
	if (rc || !g->dropping) {
		seg_free(g);    /* small: its tests are in s->tests */
		return rc;
	}
	if (g->marks[g->n_marks - 1].first != g->n ||
	    g->marks[g->n_marks - 1].off != (long long)lseek(g->fd, 0, SEEK_CUR))
		push_mark(g, lseek(g->fd, 0, SEEK_CUR), 0, 0);
	else
		g->marks[g->n_marks - 1].sum = 0;
	/* the last mark is the end: its `first` is the count */
	g->marks[g->n_marks - 1].first = g->n;
	l->segs = xgrow(l->segs, &l->cap_segs, l->n_segs + 1, sizeof *l->segs);
	l->segs[l->n_segs++] = *g;
	l->n_streamed += g->n;
	return 0;
}

/* Appends an in-memory piece of s->tests [from, to). */
static void push_mem(struct suite_stream *st, struct suite *s, size_t from,
		     size_t to, size_t *base, size_t *cap)
{
	struct sseg *g;
	if (to <= from)
		return;
	st->segs = xgrow(st->segs, cap, st->n_segs + 1, sizeof *st->segs);
	g = &st->segs[st->n_segs++];
	memset(g, 0, sizeof *g);
	g->fd = -1;
	g->base = *base;
	g->n = to - from;
	g->mem = xmalloc(g->n * sizeof *g->mem);
	memcpy(g->mem, s->tests + from, g->n * sizeof *g->mem);
	*base += g->n;
}

int ld_stream_finish(struct ld *l, struct test_case *def)
{
	struct suite *s = l->s;
	struct suite_stream *st = xcalloc(1, sizeof *st);
	size_t at = 0, base = 0, cap = 0;
	for (size_t i = 0; i < l->n_segs; i++) {
		struct sseg *g = &l->segs[i];
		push_mem(st, s, at, g->mem_at, &base, &cap);
		at = g->mem_at;
		st->segs = xgrow(st->segs, &cap, st->n_segs + 1, sizeof *st->segs);
		g->base = base;
		st->segs[st->n_segs++] = *g;
		base += g->n;
	}
	push_mem(st, s, at, s->n_tests, &base, &cap);
	free(l->segs);
	l->segs = NULL;
	l->n_segs = l->cap_segs = 0;
	free(s->tests);
	s->tests = NULL;
	l->cap_tests = 0;
	s->n_tests = base;
	st->def = *def;
	memset(def, 0, sizeof *def);
	if (!l->file_idx)
		l->file_idx = json_object();
	st->file_idx = json_incref(l->file_idx);
	s->stream = st;
	if (l->need_mem)
		return suite_tests_materialize(s, l->err);
	return 0;
}

/* ---- re-reading ------------------------------------------------------------ */

/* The piece holding test i (the segments are in order). */
static struct sseg *seg_of(const struct suite_stream *st, size_t i)
{
	size_t lo = 0, hi = st->n_segs;
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;
		if (st->segs[mid].base <= i)
			lo = mid;
		else
			hi = mid;
	}
	return &st->segs[lo];
}

/* The chunk k of g holding its test j: marks[k].first <= j < marks[k+1]. */
static size_t chunk_of(const struct sseg *g, size_t j)
{
	size_t lo = 0, hi = g->n_marks - 1;
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;
		if (g->marks[mid].first <= j)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* Re-produces chunk k of g into *t (*n tests).  0, or ST_IO / ST_INPUT
 * with st->err set. */
static int chunk_read(struct suite *s, struct sseg *g, size_t k,
		      struct test_case **t, size_t *n)
{
	struct suite_stream *st = s->stream;
	const struct smark *m = &g->marks[k], *e = &g->marks[k + 1];
	size_t len = (size_t)(e->off - m->off), got = 0;
	char *text = xmalloc(len + 1);
	struct ld l;
	int rc = 0;

	while (got < len) {
		ssize_t r = pread(g->fd, text + got, len - got,
				  (off_t)(m->off + (long long)got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	text[got] = '\0';
	if (got < len || fnv(FNV_BASIS, text, len) != m->sum) {
		free(text);
		return err_at(&st->err, g->file, m->line, m->col, "the file "
			      "changed since the suite was loaded (its tests "
			      "are re-read from it during the run); run again");
	}
	memset(&l, 0, sizeof l);
	l.s = s;
	l.err = &st->err;
	l.file_idx = st->file_idx;
	l.in_data = true;
	l.to_out = true;
	rc = ld_chunk(&l, g, m, text, len, &st->def);
	free(text);
	for (size_t i = 0; i < l.n_docs; i++) {
		ydoc_free(l.docs[i]);
		free(l.docs[i]);
	}
	free(l.docs);
	suite_share_release(l.share);
	json_decref(l.interned);
	json_decref(l.empty);
	if (!rc && l.n_out != e->first - m->first)
		rc = err_at(&st->err, g->file, m->line, m->col, "the file "
			    "changed since the suite was loaded: %zu tests "
			    "here, %zu at load", l.n_out, e->first - m->first);
	if (rc) {
		for (size_t i = 0; i < l.n_out; i++)
			suite_test_cleanup(&l.out[i]);
		free(l.out);
		return rc ? rc : ST_IO;
	}
	*t = l.out;
	*n = l.n_out;
	return 0;
}

static void chunk_free(struct schunk *c)
{
	for (size_t i = 0; i < c->n; i++)
		suite_test_cleanup(&c->t[i]);
	free(c->t);
}

/* The cached chunk holding test i of streamed piece g, loaded (and the
 * cache trimmed) when needed; NULL when it cannot be read. */
static struct schunk *chunk_get(struct suite *s, struct sseg *g, size_t i)
{
	struct suite_stream *st = s->stream;
	size_t k = chunk_of(g, i - g->base), unpinned = 0;
	struct schunk *c;
	for (size_t j = st->n_cache; j-- > 0;) {
		c = &st->cache[j];
		if (c->g == g && c->k == k) {
			c->used = ++st->tick;
			return c;
		}
	}
	for (size_t j = 0; j < st->n_cache; j++)
		unpinned += st->cache[j].refs == 0;
	while (unpinned >= SUITE_STREAM_KEEP) {
		size_t old = SIZE_MAX;
		for (size_t j = 0; j < st->n_cache; j++)
			if (!st->cache[j].refs && (old == SIZE_MAX ||
			    st->cache[j].used < st->cache[old].used))
				old = j;
		chunk_free(&st->cache[old]);
		st->cache[old] = st->cache[--st->n_cache];
		unpinned--;
	}
	st->cache = xgrow(st->cache, &st->cap_cache, st->n_cache + 1,
			  sizeof *st->cache);
	c = &st->cache[st->n_cache];
	memset(c, 0, sizeof *c);
	if (chunk_read(s, g, k, &c->t, &c->n))
		return NULL;
	c->g = g;
	c->k = k;
	c->first = g->base + g->marks[k].first;
	c->used = ++st->tick;
	st->n_cache++;
	return c;
}

/* ---- the accessor ---------------------------------------------------------- */

const struct test_case *ld_mem_test(const struct suite *s, size_t i)
{
	const struct sseg *g;
	if (!s->stream)
		return i < s->n_tests ? &s->tests[i] : NULL;
	if (i >= s->n_tests)
		return NULL;
	g = seg_of(s->stream, i);
	return g->mem ? &g->mem[i - g->base] : NULL;
}

static const struct test_case *get(const struct suite *cs, size_t i, long hold)
{
	struct suite *s = (struct suite *)cs; /* the cache is not the suite's
					       * meaning: reading changes it */
	struct sseg *g;
	struct schunk *c;
	if (!s->stream)
		return i < s->n_tests ? &s->tests[i] : NULL;
	if (i >= s->n_tests)
		return NULL;
	g = seg_of(s->stream, i);
	if (g->mem)
		return &g->mem[i - g->base];
	if (!(c = chunk_get(s, g, i)))
		return NULL;
	c->refs += hold;
	return &c->t[i - c->first];
}

const struct test_case *suite_test(const struct suite *s, size_t i)
{
	return get(s, i, 0);
}

const struct test_case *suite_test_hold(const struct suite *s, size_t i)
{
	return get(s, i, 1);
}

void suite_test_drop(const struct suite *s, size_t i)
{
	struct suite_stream *st = s->stream;
	if (!st || i >= s->n_tests)
		return;
	for (size_t j = 0; j < st->n_cache; j++) {
		struct schunk *c = &st->cache[j];
		if (i >= c->first && i < c->first + c->n && c->refs > 0) {
			c->refs--;
			return;
		}
	}
}

const struct err *suite_stream_err(const struct suite *s)
{
	return s->stream ? &s->stream->err : NULL;
}

bool suite_streamed(const struct suite *s)
{
	return s && s->stream != NULL;
}

void stream_free(struct suite_stream *st)
{
	if (!st)
		return;
	for (size_t i = 0; i < st->n_cache; i++)
		chunk_free(&st->cache[i]);
	free(st->cache);
	for (size_t i = 0; i < st->n_segs; i++)
		seg_free(&st->segs[i]);
	free(st->segs);
	suite_test_cleanup(&st->def);
	json_decref(st->file_idx);
	free(st);
}

int suite_tests_materialize(struct suite *s, struct err *err)
{
	struct suite_stream *st = s->stream;
	struct test_case *all;
	size_t n = 0;
	if (!st)
		return 0;
	all = xmalloc((s->n_tests ? s->n_tests : 1) * sizeof *all);
	for (size_t i = 0; i < st->n_segs; i++) {
		struct sseg *g = &st->segs[i];
		if (g->mem) {
			memcpy(all + n, g->mem, g->n * sizeof *all);
			n += g->n;
			continue;
		}
		for (size_t k = 0; k + 1 < g->n_marks; k++) {
			struct test_case *t;
			size_t m;
			if (chunk_read(s, g, k, &t, &m)) {
				*err = st->err;
				for (size_t j = 0; j < n; j++)
					if (!ld_mem_test(s, j))
						suite_test_cleanup(&all[j]);
				free(all);
				return err->code ? err->code : ST_IO;
			}
			memcpy(all + n, t, m * sizeof *all);
			free(t);
			n += m;
		}
	}
	for (size_t i = 0; i < st->n_segs; i++) {
		free(st->segs[i].mem);   /* moved into `all` */
		st->segs[i].mem = NULL;
		st->segs[i].n = 0;
	}
	stream_free(st);
	s->stream = NULL;
	s->tests = all;
	s->n_tests = n;
	return 0;
}
