/* minhash.c — MinHash signatures over word shingles (Broder, "On the
 * resemblance and containment of documents", 1997): the probability that
 * two sets have the same minimum under a random hash equals their Jaccard
 * similarity, so the share of equal minima over K hashes estimates it.
 *
 * Each shingle is hashed once (es_hash, seed 0); the K hash functions are
 * that value mixed with K fixed odd constants (a splitmix64 step each),
 * which behaves as K independent hashes for this purpose. */
#include "evalset.h"

#include <string.h>

static uint64_t mix(uint64_t x)
{
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
	return x ^ (x >> 31);
}

static bool word_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c >= 0x80;
}

/* Next word of text at *p: sets *w, *n; false at the end. */
static bool next_word(const char **p, const char **w, size_t *n)
{
	const char *s = *p;
	while (*s && !word_byte((unsigned char)*s))
		s++;
	if (!*s)
		return false;
	*w = s;
	while (*s && word_byte((unsigned char)*s))
		s++;
	*n = (size_t)(s - *w);
	*p = s;
	return true;
}

static void add(uint64_t sig[ES_MINHASH_K], uint64_t h)
{
	for (int i = 0; i < ES_MINHASH_K; i++) {
		uint64_t v = mix(h + 0x9E3779B97F4A7C15ULL * (uint64_t)(i + 1));
		if (v < sig[i])
			sig[i] = v;
	}
}

void es_minhash(const char *text, int shingle, uint64_t sig[ES_MINHASH_K])
{
	/* a ring of the last `shingle` word hashes */
	uint64_t ring[16];
	const char *p = text, *w;
	size_t n, count = 0;
	if (shingle < 1)
		shingle = 1;
	if (shingle > 16)
		shingle = 16;
	for (int i = 0; i < ES_MINHASH_K; i++)
		sig[i] = UINT64_MAX;
	while (next_word(&p, &w, &n)) {
		char low[64];
		size_t m = n < sizeof low ? n : sizeof low;
		uint64_t h;
		for (size_t i = 0; i < m; i++)
			low[i] = (w[i] >= 'A' && w[i] <= 'Z') ?
				 (char)(w[i] + 32) : w[i];
		h = es_hash(low, m, n);   /* long words: prefix + length */
		ring[count % (size_t)shingle] = h;
		count++;
		if (count >= (size_t)shingle) {
			uint64_t s = 0;
			for (size_t j = 0; j < (size_t)shingle; j++)
				s = mix(s ^ ring[(count - (size_t)shingle + j) %
						 (size_t)shingle]);
			add(sig, s);
		}
	}
	if (count > 0 && count < (size_t)shingle) {
		uint64_t s = 0;
		for (size_t j = 0; j < count; j++)
			s = mix(s ^ ring[j]);
		add(sig, s);
	}
}

double es_minhash_jaccard(const uint64_t *a, const uint64_t *b)
{
	int eq = 0;
	for (int i = 0; i < ES_MINHASH_K; i++)
		eq += a[i] == b[i];
	return (double)eq / ES_MINHASH_K;
}
