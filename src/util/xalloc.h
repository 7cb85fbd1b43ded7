/* xalloc.h — allocation that cannot fail.
 *
 * Out of memory is the one condition the program does not try to recover
 * from: these wrappers print "assay: out of memory (N bytes)" and exit with
 * status 1.  Everything else is reported through `struct err`.  The
 * allocation-failure build (-DASSAY_FAIL_ALLOC, see xalloc.c) makes the Nth
 * allocation fail. */
#ifndef ASSAY_XALLOC_H
#define ASSAY_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
/* Grows an array to hold at least `need` elements of `size` (doubling). */
void *xgrow(void *p, size_t *cap, size_t need, size_t size);
char *xstrdup(const char *s);           /* xstrdup(NULL) returns NULL */
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
