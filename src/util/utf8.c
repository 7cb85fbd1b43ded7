/* utf8.c — the strict UTF-8 decoder (utf8.h).  The table of well-formed
 * sequences is RFC 3629 §4 (also the Unicode Standard's Table 3-7): the
 * second byte's range depends on the first byte for E0 (no overlongs), ED
 * (no surrogates), F0 (no overlongs) and F4 (nothing past U+10FFFF). */
#include "utf8.h"

#include "buf.h"

size_t utf8_decode(const char *s, size_t n, uint32_t *cp)
{
	const unsigned char *u = (const unsigned char *)s;
	unsigned char lo = 0x80, hi = 0xBF;
	size_t len;
	uint32_t c;
	if (n == 0)
		return 0;
	if (u[0] < 0x80) {
		*cp = u[0];
		return 1;
	}
	if (u[0] >= 0xC2 && u[0] <= 0xDF) {
		len = 2;
		c = u[0] & 0x1F;
	} else if (u[0] >= 0xE0 && u[0] <= 0xEF) {
		len = 3;
		c = u[0] & 0x0F;
		if (u[0] == 0xE0)
			lo = 0xA0;
		else if (u[0] == 0xED)
			hi = 0x9F;
	} else if (u[0] >= 0xF0 && u[0] <= 0xF4) {
		len = 4;
		c = u[0] & 0x07;
		if (u[0] == 0xF0)
			lo = 0x90;
		else if (u[0] == 0xF4)
			hi = 0x8F;
	} else {
		return 0; /* a continuation byte, C0, C1 or F5..FF */
	}
	if (n < len || u[1] < lo || u[1] > hi)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((u[i] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (u[i] & 0x3F);
	}
	*cp = c;
	return len;
}

size_t utf8_valid_prefix(const char *s, size_t n)
{
	size_t i = 0;
	uint32_t cp;
	while (i < n) {
		size_t l = utf8_decode(s + i, n - i, &cp);
		if (!l)
			return i;
		i += l;
	}
	return n;
}

char *utf8_clean(const char *s, size_t n)
{
	struct buf b = { 0 };
	size_t i = 0;
	while (i < n) {
		size_t ok = i + utf8_valid_prefix(s + i, n - i);
		buf_append(&b, s + i, ok - i);
		i = ok;
		if (i < n) {
			buf_puts(&b, UTF8_REPLACEMENT);
			i++;
		}
	}
	return buf_detach(&b);
}
