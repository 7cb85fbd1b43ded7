/* json_limit.c — JSON parses held to a memory budget (see json_limit.h).
 *
 * Every allocation jansson makes during a limited parse is charged; frees
 * are not credited back (the hook does not know their size), so the
 * budget bounds what the parse allocates in total — a little more than
 * the tree it keeps, since string buffers grow by copying. */
#include "json_limit.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Thread_local size_t *left;      /* NULL: no limited parse here */
static _Thread_local bool hit;

static void *counted_malloc(size_t n)
{
	if (left) {
		if (n > *left) {
			hit = true;
			return NULL;
		}
		*left -= n;
	}
	return malloc(n);
}

static void install(void)
{
	json_set_alloc_funcs(counted_malloc, free);
}

json_t *json_loadb_limited(const char *buf, size_t len, size_t flags,
			   size_t max_bytes, json_error_t *je, bool *over)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	size_t budget = max_bytes;
	json_t *j;
	pthread_once(&once, install);
	hit = false;
	left = &budget;
	j = json_loadb(buf, len, flags, je);
	left = NULL;
	if (over)
		*over = !j && hit;
	if (!j && hit)
		snprintf(je->text, sizeof je->text, "the parsed value takes "
			 "more than %zu bytes of memory", max_bytes);
	if (j && hit) {
		/* jansson recovered from a refused allocation (it does not
		 * today): treat it as over budget all the same */
		json_decref(j);
		j = NULL;
		if (over)
			*over = true;
	}
	return j;
}
