/* hash.c — SHA-256 through libmd (see hash.h).  libmd rather than
 * OpenSSL's libcrypto: the same digest, but libcrypto costs ~2.5 million
 * instructions of dynamic linking at every start and libmd almost none. */
#include "hash.h"

#include <sha2.h>
#include <stdint.h>
#include <stdlib.h>

#include "xalloc.h"

static void hex_out(const uint8_t md[SHA256_DIGEST_LENGTH], char out[65])
{
	static const char hex[] = "0123456789abcdef";
	for (int i = 0; i < SHA256_DIGEST_LENGTH; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
}

struct hash_sha {
	SHA2_CTX ctx;
};

struct hash_sha *hash_sha256_begin(size_t total)
{
	struct hash_sha *h = xmalloc(sizeof *h);
	uint64_t n = total;
	uint8_t le[8];
	for (int b = 0; b < 8; b++)
		le[b] = (uint8_t)(n >> (8 * b));
	SHA256Init(&h->ctx);
	SHA256Update(&h->ctx, le, sizeof le);
	return h;
}

void hash_sha256_more(struct hash_sha *h, const void *p, size_t n)
{
	SHA256Update(&h->ctx, p, n);
}

void hash_sha256_end(struct hash_sha *h, char out[65])
{
	uint8_t md[SHA256_DIGEST_LENGTH];
	SHA256Final(md, &h->ctx);
	hex_out(md, out);
	free(h);
}

void hash_sha256_parts(const struct hash_part *parts, size_t n_parts,
		       char out[65])
{
	uint8_t md[SHA256_DIGEST_LENGTH];
	SHA2_CTX ctx;
	SHA256Init(&ctx);
	for (size_t i = 0; i < n_parts; i++) {
		uint64_t n = parts[i].n;
		uint8_t le[8];
		for (int b = 0; b < 8; b++)
			le[b] = (uint8_t)(n >> (8 * b));
		SHA256Update(&ctx, le, sizeof le);
		SHA256Update(&ctx, parts[i].p, parts[i].n);
	}
	SHA256Final(md, &ctx);
	hex_out(md, out);
}
