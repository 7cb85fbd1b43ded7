/* test_hash.c — cache keys: SHA-256 over length-prefixed parts. */
#include "t.h"
#include "../../src/util/hash.h"

TEST(hash_parts_are_length_prefixed)
{
	char a[65], b[65], c[65];
	struct hash_part p1[] = { { "ab", 2 }, { "c", 1 } };
	struct hash_part p2[] = { { "a", 1 }, { "bc", 2 } };
	hash_sha256_parts(p1, 2, a);
	hash_sha256_parts(p2, 2, b);
	hash_sha256_parts(p1, 2, c);
	T_EQ_INT(strlen(a), 64);
	T_ASSERT(strcmp(a, b) != 0);
	T_EQ_STR(a, c);
}

TEST(hash_known_vector)
{
	/* One empty part hashes the 8-byte little-endian length 0, i.e. eight
	 * zero bytes: SHA-256(00×8) =
	 * af5570f5a1810b7af78caf4bc70a660f0df51e42baf91d4de5b2328de0e83dfc
	 * (FIPS 180-4 arithmetic; e.g. `head -c8 /dev/zero | sha256sum`). */
	char h[65];
	struct hash_part p = { "", 0 };
	hash_sha256_parts(&p, 1, h);
	T_EQ_STR(h, "af5570f5a1810b7af78caf4bc70a660f0df51e42baf91d4de5b2328de0e83dfc");
}
