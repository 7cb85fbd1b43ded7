/* hash.c — SHA-256 through Nettle (see hash.h).  Nettle rather than
 * OpenSSL's libcrypto: the same digest, but libcrypto costs ~2.5 million
 * instructions of dynamic linking at every start and Nettle little; and
 * rather than libmd: Nettle picks the CPU's SHA instructions at run time
 * (0.7 against 4.0 ns a byte here), and the case and item keys hash every
 * case at the start of a run (issue 16). */
#include "hash.h"

#include <nettle/sha2.h>
#include <stdint.h>
#include <stdlib.h>

#include "xalloc.h"

static void hex_out(const uint8_t md[SHA256_DIGEST_SIZE], char out[65])
{
	static const char hex[] = "0123456789abcdef";
	for (int i = 0; i < SHA256_DIGEST_SIZE; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
}

struct hash_sha {
	struct sha256_ctx ctx;
};

static void put_len(struct sha256_ctx *ctx, size_t total)
{
	uint64_t n = total;
	uint8_t le[8];
	for (int b = 0; b < 8; b++)
		le[b] = (uint8_t)(n >> (8 * b));
	sha256_update(ctx, sizeof le, le);
}

struct hash_sha *hash_sha256_begin(size_t total)
{
	struct hash_sha *h = xmalloc(sizeof *h);
	sha256_init(&h->ctx);
	put_len(&h->ctx, total);
	return h;
}

void hash_sha256_more(struct hash_sha *h, const void *p, size_t n)
{
	sha256_update(&h->ctx, n, p);
}

void hash_sha256_end(struct hash_sha *h, char out[65])
{
	uint8_t md[SHA256_DIGEST_SIZE];
	sha256_digest(&h->ctx, sizeof md, md);
	hex_out(md, out);
	free(h);
}

void hash_sha256_parts(const struct hash_part *parts, size_t n_parts,
		       char out[65])
{
	uint8_t md[SHA256_DIGEST_SIZE];
	struct sha256_ctx ctx;
	sha256_init(&ctx);
	for (size_t i = 0; i < n_parts; i++) {
		put_len(&ctx, parts[i].n);
		sha256_update(&ctx, parts[i].n, parts[i].p);
	}
	sha256_digest(&ctx, sizeof md, md);
	hex_out(md, out);
}

void hash_sha256_raw(const void *p, size_t n, unsigned char out[32])
{
	struct sha256_ctx ctx;
	sha256_init(&ctx);
	sha256_update(&ctx, n, p);
	sha256_digest(&ctx, SHA256_DIGEST_SIZE, out);
}
