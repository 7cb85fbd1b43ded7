/* hash.h — SHA-256 (libmd) over one or more byte strings,
 * as lowercase hex.  Used for response-cache keys. */
#ifndef ASSAY_HASH_H
#define ASSAY_HASH_H

#include <stddef.h>

struct hash_part {
	const void *p;
	size_t n;
};

/* Hashes the parts in order, each preceded by its length (so ("ab","c")
 * and ("a","bc") differ), into out (65 bytes, NUL-terminated). */
void hash_sha256_parts(const struct hash_part *parts, size_t n_parts,
		       char out[65]);

#endif
