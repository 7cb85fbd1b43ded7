/* score_treebank.c — the word tokenizer of js-rouge 3.2 (promptfoo's
 * rouge-n) and JavaScript's String.prototype.toLowerCase, for
 * score_measure.c.
 *
 * The tokenizer, as js-rouge 3.2.3's treeBankTokenize does it: white space
 * (JavaScript's \s and U+0085) collapsed to one space and trimmed; each
 * quote (``, '' or ") classified as opening or closing from its context
 * and replaced by ` `` ` or ` '' `; spaces put around `...`, `:` and `,`
 * not before a digit, `; @ # $ % &`, a final period (not in `a.b.`), `? !`,
 * brackets and `--`; then apostrophes and contractions (`n't`, `'ll`,
 * `cannot`, `gonna`, …) split.  The text with single spaces between tokens
 * is returned; splitting it on spaces gives js-rouge's array.  Not
 * reproduced: js-rouge's footnote-modifier rule for quotes after
 * superscript letters (followsQuotedModifier). */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "score_int.h"

#include <locale.h>
#include <pcre2.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#include "../util/buf.h"
#include "../util/utf8.h"
#include "../util/xalloc.h"

struct rw {
	const char *re, *with;
	pcre2_code *code;
};

#define WORDCH "[\\p{L}\\p{Nl}\\p{Mn}\\p{Mc}\\p{Nd}\\p{Pc}\\x{b7}\\x{200c}\\x{200d}]"
#define CONTR(p) "(?i)(?<!" WORDCH ")" p "(?!" WORDCH ")"

static struct rw punct[] = {
	{ "\\.{3}", " ... ", NULL },
	{ "[:,](?!\\p{Nd})", " $0 ", NULL },
	{ "[;@#$%&]", " $0 ", NULL },
	{ "([^.])(?<!\\b[A-Za-z]\\.[A-Za-z])(\\.)([\\])}>'\\s]*)$", "$1 $2$3 ", NULL },
	{ "[?!]", " $0 ", NULL },
	{ "[\\][(){}<>]", " $0 ", NULL },
	{ "--", " -- ", NULL },
};

static struct rw contr[] = {
	{ "([^'])' ", "$1 ' ", NULL },
	{ "'([sSmMdD]) ", " '$1 ", NULL },
	{ "('ll|'LL|'re|'RE|'ve|'VE|n't|N'T) ", " $1 ", NULL },
	{ CONTR("(can)(not)"), " $1 $2 ", NULL },
	{ CONTR("(d)('ye)"), " $1 $2 ", NULL },
	{ CONTR("(gim)(me)"), " $1 $2 ", NULL },
	{ CONTR("(gon)(na)"), " $1 $2 ", NULL },
	{ CONTR("(got)(ta)"), " $1 $2 ", NULL },
	{ CONTR("(lem)(me)"), " $1 $2 ", NULL },
	{ CONTR("(more)('n)"), " $1 $2 ", NULL },
	{ CONTR("(wan)(na)(?= )"), " $1 $2 ", NULL },
	{ CONTR("('t)(is)"), " $1 $2 ", NULL },
	{ CONTR("('t)(was)"), " $1 $2 ", NULL },
};

/* One-code-point classes the quote rule tests. */
static struct rw cls[] = {
	{ "[\\s\\p{Ps}<]", NULL, NULL },              /* 0: before an opener */
	{ "[\\s\\p{P}<]", NULL, NULL },               /* 1: opening context */
	{ "[\\p{L}\\p{N}\\p{Sc}\\p{Ps}]", NULL, NULL }, /* 2: after '' */
};

#define NELEM(a) (sizeof (a) / sizeof (a)[0])

static pthread_once_t once = PTHREAD_ONCE_INIT;
static bool ok;
static locale_t lower_loc;

static bool compile_all(struct rw *r, size_t n, uint32_t extra)
{
	for (size_t i = 0; i < n; i++) {
		int ec;
		PCRE2_SIZE off;
		r[i].code = pcre2_compile((PCRE2_SPTR)r[i].re, PCRE2_ZERO_TERMINATED,
					  PCRE2_UTF | PCRE2_MATCH_INVALID_UTF |
					  PCRE2_DOLLAR_ENDONLY | extra, &ec, &off, NULL);
		if (!r[i].code)
			return false;
	}
	return true;
}

static void init(void)
{
	ok = compile_all(punct, NELEM(punct), 0) && compile_all(contr, NELEM(contr), 0) &&
	     compile_all(cls, NELEM(cls), PCRE2_ANCHORED);
	lower_loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

/* Applies one global rewrite; returns the new text (owned) or NULL. */
static char *rewrite(const struct rw *r, const char *s, size_t n, size_t *out_n)
{
	PCRE2_SIZE cap = n * 2 + 64, len;
	uint32_t opts = PCRE2_SUBSTITUTE_OVERFLOW_LENGTH | PCRE2_SUBSTITUTE_GLOBAL;
	for (int tries = 0; tries < 2; tries++) {
		char *b = xmalloc(cap);
		int rc;
		len = cap;
		rc = pcre2_substitute(r->code, (PCRE2_SPTR)s, n, 0, opts, NULL, NULL,
				      (PCRE2_SPTR)r->with, PCRE2_ZERO_TERMINATED,
				      (PCRE2_UCHAR *)b, &len);
		if (rc >= 0) {
			*out_n = len;
			return b;
		}
		free(b);
		if (rc != PCRE2_ERROR_NOMEMORY)
			return NULL;
		cap = len + 1;
	}
	return NULL;
}

/* True when the code point at s[i] is in class k (false past the end). */
static bool at_class(int k, const char *s, size_t n, size_t i)
{
	pcre2_match_data *md;
	int rc;
	if (i >= n)
		return false;
	md = pcre2_match_data_create(1, NULL);
	rc = pcre2_match(cls[k].code, (PCRE2_SPTR)s, n, i, 0, md, NULL);
	pcre2_match_data_free(md);
	return rc >= 0;
}

/* The start of the code point before s[i] (i > 0). */
static size_t prev_cp(const char *s, size_t i)
{
	do
		i--;
	while (i > 0 && ((unsigned char)s[i] & 0xC0) == 0x80);
	return i;
}

/* Length of the quote token at s[i] (``, '' or "), or 0. */
static size_t quote_at(const char *s, size_t n, size_t i)
{
	if (s[i] == '"')
		return 1;
	if (i + 1 < n && ((s[i] == '`' && s[i + 1] == '`') || (s[i] == '\'' && s[i + 1] == '\'')))
		return 2;
	return 0;
}

/* js-rouge's quote classification over the space-normalised text. */
static void quotes(const char *t, size_t n, struct buf *out)
{
	bool inside = false;
	for (size_t i = 0; i < n;) {
		size_t L = quote_at(t, n, i);
		if (!L) {
			buf_append(out, t + i, 1);
			i++;
			continue;
		}
		if (L == 2 && t[i] == '`') {
			inside = true;
		} else {
			size_t p = i > 0 ? prev_cp(t, i) : 0;
			bool a = i + L < n || i == 0 || at_class(0, t, n, p);
			bool b = !inside && (i == 0 || at_class(1, t, n, p) ||
					     (i >= 2 && t[i - 1] == '`' && t[i - 2] == '`'));
			bool c = i == 0 || !(t[i - 1] == '.' || t[i - 1] == '!' || t[i - 1] == '?');
			bool d = L == 1;
			if (!d && i > 0 && at_class(2, t, n, i + 2)) {
				/* the next quote token after this one must be '' */
				for (size_t j = i + 2; j < n; j++) {
					size_t k = quote_at(t, n, j);
					if (k) {
						d = k == 2 && t[j] == '\'';
						break;
					}
				}
			}
			inside = a && b && c && d;
		}
		buf_puts(out, inside ? " `` " : " '' ");
		i += L;
	}
}

/* JavaScript's \s plus U+0085, as js-rouge collapses it. */
static bool js_space85(uint32_t c)
{
	return c == ' ' || (c >= 0x09 && c <= 0x0D) || c == 0xA0 || c == 0x1680 ||
	       (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 ||
	       c == 0x202F || c == 0x205F || c == 0x3000 || c == 0xFEFF || c == 0x85;
}

/* The code point at s[i] (util/utf8.h) and its length; a byte that does
 * not start a valid sequence is U+FFFD, one byte long (kept as it is). */
static size_t u8_next(const char *s, size_t n, size_t i, uint32_t *cp)
{
	size_t l = utf8_decode(s + i, n - i, cp);
	if (l)
		return l;
	*cp = 0xFFFD;
	return 1;
}

char *score_treebank(const char *s, size_t n, size_t *out_n)
{
	struct buf norm = { 0 }, q = { 0 };
	char *cur, *next;
	size_t len, nl;
	bool space = false;
	pthread_once(&once, init);
	*out_n = 0;
	if (!ok)
		return NULL;
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t l = u8_next(s, n, i, &cp);
		if (js_space85(cp)) {
			space = norm.len > 0;
		} else {
			if (space)
				buf_append(&norm, " ", 1);
			space = false;
			buf_append(&norm, s + i, l);
		}
		i += l;
	}
	if (norm.len == 0) {
		buf_free(&norm);
		return xstrdup("");
	}
	quotes(norm.p, norm.len, &q);
	buf_free(&norm);
	/* By length, not as C strings: an output may hold NUL bytes
	 * (strndup and "%s" would stop there while len went on; found by
	 * fuzz/assert_value). */
	len = q.len;
	cur = xmalloc(len + 1);
	memcpy(cur, q.p, len);
	cur[len] = '\0';
	buf_free(&q);
	for (size_t i = 0; i < NELEM(punct); i++) {
		next = rewrite(&punct[i], cur, len, &nl);
		free(cur);
		if (!next)
			return NULL;
		cur = next;
		len = nl;
	}
	next = xmalloc(len + 3);
	next[0] = ' ';
	memcpy(next + 1, cur, len);
	next[len + 1] = ' ';
	next[len + 2] = '\0';
	free(cur);
	cur = next;
	len += 2;
	for (size_t i = 0; i < NELEM(contr); i++) {
		next = rewrite(&contr[i], cur, len, &nl);
		free(cur);
		if (!next)
			return NULL;
		cur = next;
		len = nl;
	}
	/* runs of spaces → one; one leading and one trailing space dropped */
	{
		size_t w = 0, start = 0;
		for (size_t i = 0; i < len; i++) {
			if (cur[i] == ' ' && w > 0 && cur[w - 1] == ' ')
				continue;
			cur[w++] = cur[i];
		}
		if (w > 0 && cur[w - 1] == ' ')
			w--;
		if (w > 0 && cur[0] == ' ')
			start = 1;
		memmove(cur, cur + start, w - start);
		cur[w - start] = '\0';
		*out_n = w - start;
	}
	return cur;
}

char *score_js_lower(const char *s, size_t n, size_t *out_n)
{
	struct buf b = { 0 };
	pthread_once(&once, init);
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t l = u8_next(s, n, i, &cp);
		if (cp < 0x80) {
			char c = (char)(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp);
			buf_append(&b, &c, 1);
		} else if (lower_loc && cp != 0xFFFD) {
			uint32_t lc = (uint32_t)towlower_l((wint_t)cp, lower_loc);
			char u[4];
			size_t k = lc < 0x800 ? 2 : lc < 0x10000 ? 3 : 4;
			if (lc == 0x130 || cp == 0x130) /* İ → i + U+0307, as JavaScript */
				buf_puts(&b, "i\xcc\x87");
			else {
				if (k == 2) {
					u[0] = (char)(0xC0 | lc >> 6);
					u[1] = (char)(0x80 | (lc & 0x3F));
				} else if (k == 3) {
					u[0] = (char)(0xE0 | lc >> 12);
					u[1] = (char)(0x80 | (lc >> 6 & 0x3F));
					u[2] = (char)(0x80 | (lc & 0x3F));
				} else {
					u[0] = (char)(0xF0 | lc >> 18);
					u[1] = (char)(0x80 | (lc >> 12 & 0x3F));
					u[2] = (char)(0x80 | (lc >> 6 & 0x3F));
					u[3] = (char)(0x80 | (lc & 0x3F));
				}
				buf_append(&b, u, k);
			}
		} else {
			buf_append(&b, s + i, l);
		}
		i += l;
	}
	*out_n = b.len;
	if (!b.p)
		return xstrdup("");
	return b.p;
}
