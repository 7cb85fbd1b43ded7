/* probe_text.c — the text transforms behind the probe packs' placeholders:
 * encodings for jailbreak templates (base64, ROT13, leetspeak, a split in
 * two) and the edge-case rewrites of an input (truncation, emoji,
 * look-alike letters from other scripts, filler, garbage).  Seeded ones
 * take a stats-free 64-bit state so the same seed gives the same text. */
#include "evalset.h"

#include <string.h>

#include "../util/xalloc.h"

static uint64_t next(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

char *es_base64(const char *s)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
				  "qrstuvwxyz0123456789+/";
	const unsigned char *u = (const unsigned char *)s;
	size_t n = strlen(s);
	struct buf b = {0};
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)u[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)u[i + 1] << 8;
		if (i + 2 < n)
			v |= u[i + 2];
		buf_putc(&b, tab[(v >> 18) & 63]);
		buf_putc(&b, tab[(v >> 12) & 63]);
		buf_putc(&b, i + 1 < n ? tab[(v >> 6) & 63] : '=');
		buf_putc(&b, i + 2 < n ? tab[v & 63] : '=');
	}
	return buf_detach(&b);
}

char *es_rot13(const char *s)
{
	char *r = xstrdup(s);
	for (char *p = r; *p; p++) {
		if (*p >= 'a' && *p <= 'z')
			*p = (char)('a' + (*p - 'a' + 13) % 26);
		else if (*p >= 'A' && *p <= 'Z')
			*p = (char)('A' + (*p - 'A' + 13) % 26);
	}
	return r;
}

char *es_leet(const char *s)
{
	char *r = xstrdup(s);
	for (char *p = r; *p; p++) {
		switch (*p) {
		case 'a': case 'A': *p = '4'; break;
		case 'e': case 'E': *p = '3'; break;
		case 'i': case 'I': *p = '1'; break;
		case 'o': case 'O': *p = '0'; break;
		case 's': case 'S': *p = '5'; break;
		case 't': case 'T': *p = '7'; break;
		default: break;
		}
	}
	return r;
}

/* The byte offset of the space nearest the middle of s, or the middle
 * (moved back to a character boundary) when s has no space. */
static size_t mid_cut(const char *s)
{
	size_t n = strlen(s), m = n / 2, best = n;
	for (size_t i = 0; i < n; i++)
		if (s[i] == ' ' && (best == n ||
				    (i > m ? i - m : m - i) <
				    (best > m ? best - m : m - best)))
			best = i;
	if (best == n) {
		best = m;
		while (best > 0 && ((unsigned char)s[best] & 0xC0) == 0x80)
			best--;
	}
	return best;
}

void es_split_half(const char *s, char **a, char **b)
{
	size_t c = mid_cut(s);
	*a = xstrndup(s, c);
	*b = xstrdup(s + c + (s[c] == ' '));
}

char *es_truncate_half(const char *s)
{
	return xstrndup(s, mid_cut(s));
}

char *es_emoji(const char *s, uint64_t seed)
{
	static const char *const em[] = { "\xF0\x9F\x98\x80", "\xF0\x9F\x99\x8F",
		"\xF0\x9F\x94\xA5", "\xF0\x9F\x91\x8D", "\xE2\x9C\xA8",
		"\xF0\x9F\x98\xA1", "\xF0\x9F\x93\xA6", "\xE2\x9D\xA4\xEF\xB8\x8F" };
	struct buf b = {0};
	int words = 0;
	uint64_t st = seed;
	for (const char *p = s; *p; p++) {
		buf_putc(&b, *p);
		if (*p == ' ' && ++words % 3 == 0) {
			buf_puts(&b, em[next(&st) % 8]);
			buf_putc(&b, ' ');
		}
	}
	buf_putc(&b, ' ');
	buf_puts(&b, em[next(&st) % 8]);
	return buf_detach(&b);
}

char *es_mixed_scripts(const char *s, uint64_t seed)
{
	/* Latin letter → a Cyrillic (or Greek) look-alike */
	static const struct { char c; const char *u; } map[] = {
		{ 'a', "\xD0\xB0" }, { 'e', "\xD0\xB5" }, { 'o', "\xD0\xBE" },
		{ 'p', "\xD1\x80" }, { 'c', "\xD1\x81" }, { 'x', "\xD1\x85" },
		{ 'y', "\xD1\x83" }, { 'i', "\xD1\x96" }, { 'A', "\xD0\x90" },
		{ 'E', "\xD0\x95" }, { 'O', "\xCE\x9F" }, { 'T', "\xD0\xA2" },
	};
	struct buf b = {0};
	uint64_t st = seed;
	for (const char *p = s; *p; p++) {
		const char *rep = NULL;
		for (size_t i = 0; i < sizeof map / sizeof *map; i++)
			if (map[i].c == *p)
				rep = map[i].u;
		if (rep && next(&st) % 2 == 0)
			buf_puts(&b, rep);
		else
			buf_putc(&b, *p);
	}
	return buf_detach(&b);
}

char *es_stuffing(long tokens, uint64_t seed)
{
	static const char *const sent[] = {
		"The quarterly report was filed on time and reviewed by the team.",
		"Weather in the region stayed mild for most of the week.",
		"A new bus line now connects the station with the old harbour.",
		"The library extended its opening hours during the exam period.",
		"Several volunteers helped repaint the fences along the park.",
		"Prices for fresh vegetables rose slightly after the late frost.",
		"The museum added a small exhibition about early printing presses.",
		"Road works on the main street are expected to finish next month.",
	};
	struct buf b = {0};
	uint64_t st = seed;
	size_t want = (size_t)(tokens > 0 ? tokens : 0) * 4; /* ~4 bytes a token */
	while (b.len < want) {
		buf_puts(&b, sent[next(&st) % 8]);
		buf_putc(&b, ' ');
	}
	return buf_detach(&b);
}

char *es_garbage(size_t n, uint64_t seed)
{
	static const char *const sym[] = { "#", "%", "&", "*", "@", "~", "^",
		"|", "\\", "{", "]", "0", "7", "x", "Q", "\xC2\xA7", "\xC2\xB1",
		"\xC2\xA4", "\xC2\xB6", "\xE2\x80\xA2", "\xE2\x97\x8A", "\xE2\x88\x86",
		"\xE2\x89\x88", "\xC2\xAC", "\xC3\x86", "\xC3\x98", "\xEF\xBF\xBD",
		"\xE2\x96\x91", "\xE2\x96\x93" };
	struct buf b = {0};
	uint64_t st = seed;
	for (size_t i = 0; i < n; i++)
		buf_puts(&b, sym[next(&st) % (sizeof sym / sizeof *sym)]);
	return buf_detach(&b);
}
