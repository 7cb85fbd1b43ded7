/* xalloc.c — the single place where running out of memory ends the
 * program.
 *
 * Out of memory prints one line and exits with status 1 (EXIT_RUN_ERROR in
 * cmd.h) through _exit: no atexit handler runs while other threads may
 * hold locks, and the store needs none (SQLite's WAL keeps every committed
 * transaction and rolls back the open one at the next open).
 *
 * Built with -DASSAY_FAIL_ALLOC (the allocation-failure build, `make
 * failalloc`, scripts/failalloc.sh) this file also counts allocations and
 * makes the Nth fail, N from the environment variable ASSAY_FAIL_ALLOC.
 * Counted: xmalloc, xcalloc, xrealloc (and so xstrdup, xasprintf, buf_*),
 * jansson (json_set_alloc_funcs: its allocations go through xmalloc) and
 * SQLite (SQLITE_CONFIG_MALLOC: the Nth returns NULL and SQLite reports
 * SQLITE_NOMEM to the store).  Not counted: libyaml, libcurl, PCRE2, Lua,
 * jq, libcsv, libxml2 and libmicrohttpd, which call malloc directly.  With
 * ASSAY_ALLOC_COUNT set the count is printed at exit ("assay: N
 * allocations"), to know how many N there are. */
#include "xalloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void oom(size_t n)
{
	fprintf(stderr, "assay: out of memory (%zu bytes)\n", n);
	fflush(stderr);
	_exit(1);
}

#ifdef ASSAY_FAIL_ALLOC
#include <stdatomic.h>
#include <jansson.h>
#include <sqlite3.h>

static atomic_long alloc_count;
static long fail_at;   /* 0: never */

/* Counts one allocation; true when it is the one that must fail. */
static int fail_now(void)
{
	long k = atomic_fetch_add(&alloc_count, 1) + 1;
	return fail_at > 0 && k == fail_at;
}

/* SQLite's allocator keeps the size in a 16-byte header (xSize). */
static void *sq_malloc(int n)
{
	size_t *p;
	if (n < 0 || fail_now() || !(p = malloc((size_t)n + 16)))
		return NULL;
	p[0] = (size_t)n;
	return (char *)p + 16;
}

static void sq_free(void *p)
{
	if (p)
		free((char *)p - 16);
}

static void *sq_realloc(void *p, int n)
{
	size_t *q;
	if (!p)
		return sq_malloc(n);
	if (n < 0 || fail_now() || !(q = realloc((char *)p - 16, (size_t)n + 16)))
		return NULL;
	q[0] = (size_t)n;
	return (char *)q + 16;
}

static int sq_size(void *p)
{
	return p ? (int)*(size_t *)((char *)p - 16) : 0;
}

static int sq_roundup(int n)
{
	return (n + 7) & ~7;
}

static int sq_init(void *ud)
{
	(void)ud;
	return SQLITE_OK;
}

static void sq_shutdown(void *ud)
{
	(void)ud;
}

static void *json_alloc(size_t n)
{
	return xmalloc(n);
}

static void print_count(void)
{
	fprintf(stderr, "assay: %ld allocations\n", (long)atomic_load(&alloc_count));
}

/* Before main: SQLite must be configured before its first use. */
__attribute__((constructor)) static void fail_alloc_setup(void)
{
	static const sqlite3_mem_methods m = {
		sq_malloc, sq_free, sq_realloc, sq_size, sq_roundup,
		sq_init, sq_shutdown, NULL
	};
	const char *e = getenv("ASSAY_FAIL_ALLOC");
	fail_at = e ? strtol(e, NULL, 10) : 0;
	json_set_alloc_funcs(json_alloc, free);
	sqlite3_config(SQLITE_CONFIG_MALLOC, &m);
	if (getenv("ASSAY_ALLOC_COUNT"))
		atexit(print_count);
}
#else
static int fail_now(void)
{
	return 0;
}
#endif

void *xmalloc(size_t n)
{
	void *p = fail_now() ? NULL : malloc(n ? n : 1);
	if (!p)
		oom(n);
	return p;
}

void *xcalloc(size_t count, size_t size)
{
	void *p = fail_now() ? NULL : calloc(count ? count : 1, size ? size : 1);
	if (!p)
		oom(count * size);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = fail_now() ? NULL : realloc(p, n ? n : 1);
	if (!q)
		oom(n);
	return q;
}

void *xgrow(void *p, size_t *cap, size_t need, size_t size)
{
	size_t c = *cap;
	if (need <= c)
		return p;
	if (c < 8)
		c = 8;
	while (c < need)
		c *= 2;
	p = xrealloc(p, c * size);
	*cap = c;
	return p;
}

char *xstrdup(const char *s)
{
	return s ? xstrndup(s, strlen(s)) : NULL;
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap, ap2;
	int n;
	char *p;
	va_start(ap, fmt);
	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	p = xmalloc((size_t)n + 1);
	vsnprintf(p, (size_t)n + 1, fmt, ap2);
	va_end(ap2);
	return p;
}
