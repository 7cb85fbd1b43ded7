/* utf8.h — one strict UTF-8 decoder for the whole program (model output,
 * labels and logs are untrusted bytes): RFC 3629's well-formed sequences
 * only — no overlong forms, no surrogates (U+D800..DFFF), nothing above
 * U+10FFFF, no sequence cut short.  What a caller does with a byte that is
 * not valid (escape it, replace it, count it) stays the caller's.
 *
 * Ownership: utf8_clean returns an owned string (the caller frees). */
#ifndef ASSAY_UTF8_H
#define ASSAY_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* U+FFFD REPLACEMENT CHARACTER, encoded. */
#define UTF8_REPLACEMENT "\xEF\xBF\xBD"

/* Decodes the code point at s (n bytes available): returns the length of
 * its sequence (1..4) and sets *cp, or returns 0 — *cp untouched — when
 * n is 0 or s does not start a well-formed sequence within n bytes.  A
 * NUL is the code point 0 (length 1). */
size_t utf8_decode(const char *s, size_t n, uint32_t *cp);

/* The offset of the first byte of s[0..n) that does not start a
 * well-formed sequence, or n when all of it is valid. */
size_t utf8_valid_prefix(const char *s, size_t n);

/* s[0..n) with each byte that does not start a well-formed sequence
 * replaced by U+FFFD; NUL-terminated, owned, never NULL. */
char *utf8_clean(const char *s, size_t n);

#endif
