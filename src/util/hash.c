/* hash.c — SHA-256 through libcrypto's EVP interface (see hash.h). */
#include "hash.h"

#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

void hash_sha256_parts(const struct hash_part *parts, size_t n_parts,
		       char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
		fprintf(stderr, "assay: libcrypto cannot hash\n");
		abort();
	}
	for (size_t i = 0; i < n_parts; i++) {
		uint64_t n = parts[i].n;
		unsigned char le[8];
		for (int b = 0; b < 8; b++)
			le[b] = (unsigned char)(n >> (8 * b));
		EVP_DigestUpdate(ctx, le, sizeof le);
		EVP_DigestUpdate(ctx, parts[i].p, parts[i].n);
	}
	EVP_DigestFinal_ex(ctx, md, &len);
	EVP_MD_CTX_free(ctx);
	for (unsigned int i = 0; i < len && i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
}
