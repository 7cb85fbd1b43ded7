/* hash.c — SHA-256 through libmd (see hash.h).  libmd rather than
 * OpenSSL's libcrypto: the same digest, but libcrypto costs ~2.5 million
 * instructions of dynamic linking at every start and libmd almost none. */
#include "hash.h"

#include <sha2.h>
#include <stdint.h>

void hash_sha256_parts(const struct hash_part *parts, size_t n_parts,
		       char out[65])
{
	static const char hex[] = "0123456789abcdef";
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
	for (int i = 0; i < SHA256_DIGEST_LENGTH; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
}
