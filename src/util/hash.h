/* hash.h — SHA-256 (Nettle) over one or more byte strings, as lowercase
 * hex: response-cache keys and the store's case, item and suite keys. */
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

/* The same digest as hash_sha256_parts of one part of `total` bytes,
 * fed in pieces: begin (owned state), more (any number of times, total
 * bytes in all), end (writes out and frees the state). */
struct hash_sha;
struct hash_sha *hash_sha256_begin(size_t total);
void hash_sha256_more(struct hash_sha *h, const void *p, size_t n);
void hash_sha256_end(struct hash_sha *h, char out[65]);

/* The bare digest of one byte string (no length prefix), 32 bytes. */
void hash_sha256_raw(const void *p, size_t n, unsigned char out[32]);

#endif
