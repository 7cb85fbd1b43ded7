/* json_limit.h — parsing JSON with a memory budget.
 *
 * jansson keeps about 50 bytes per value, so a 60 MB list of one-digit
 * numbers becomes a 1.2 GB tree.  json_loadb_limited parses like
 * json_loadb but fails once the parse has allocated `max_bytes`: the
 * budget is counted by jansson's allocator hook (installed once, for the
 * whole process; outside a limited parse it is plain malloc/free) in a
 * thread-local counter, so parses on other threads are unaffected. */
#ifndef ASSAY_JSON_LIMIT_H
#define ASSAY_JSON_LIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

/* Like json_loadb(buf, len, flags, je).  Returns a new reference, or NULL
 * with je filled; *over (when given) is set when the failure is the
 * budget (je->text then says so). */
json_t *json_loadb_limited(const char *buf, size_t len, size_t flags,
			   size_t max_bytes, json_error_t *je, bool *over);

#endif
