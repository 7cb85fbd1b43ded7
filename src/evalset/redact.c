/* redact.c — personal data → placeholders, before anything is written.
 *
 * Each kind is a PCRE2 pattern that finds candidates plus, where a check
 * exists, a validator (Luhn for cards, ISO 13616 mod-97 for IBANs,
 * inet_pton for IPv6), so that an order number is not taken for a card.
 * The kinds run in a fixed order (secrets, e-mail, IBAN, card, SSN, IPv6,
 * IPv4, phone): a placeholder written by an earlier kind is never matched
 * by a later one.  The patterns are listed in docs/evalset.md. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "evalset.h"

#include <arpa/inet.h>
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "../util/xalloc.h"

bool es_luhn_ok(const char *s, size_t n)
{
	int sum = 0, digits = 0;
	for (size_t i = n; i-- > 0;) {
		int d;
		if (s[i] == ' ' || s[i] == '-')
			continue;
		if (s[i] < '0' || s[i] > '9')
			return false;
		d = s[i] - '0';
		if (digits % 2 == 1) {
			d *= 2;
			if (d > 9)
				d -= 9;
		}
		sum += d;
		digits++;
	}
	return digits >= 13 && digits <= 19 && sum % 10 == 0;
}

bool es_iban_ok(const char *s, size_t n)
{
	char c[40];
	size_t m = 0;
	unsigned rem = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == ' ')
			continue;
		if (m == sizeof c)
			return false;
		c[m++] = s[i];
	}
	if (m < 15 || m > 34)
		return false;
	if (!(c[0] >= 'A' && c[0] <= 'Z' && c[1] >= 'A' && c[1] <= 'Z' &&
	      c[2] >= '0' && c[2] <= '9' && c[3] >= '0' && c[3] <= '9'))
		return false;
	for (size_t k = 0; k < m; k++) {
		char ch = c[(k + 4) % m];   /* the first four move to the end */
		if (ch >= '0' && ch <= '9')
			rem = (rem * 10 + (unsigned)(ch - '0')) % 97;
		else if (ch >= 'A' && ch <= 'Z')
			rem = (rem * 100 + (unsigned)(ch - 'A' + 10)) % 97;
		else
			return false;
	}
	return rem == 1;
}

static bool ipv6_ok(const char *s, size_t n)
{
	char t[64];
	struct in6_addr a;
	bool hex = false;
	if (n >= sizeof t)
		return false;
	for (size_t i = 0; i < n; i++)
		hex = hex || s[i] != ':';   /* a bare "::" is not worth it */
	if (!hex)
		return false;
	memcpy(t, s, n);
	t[n] = 0;
	return inet_pton(AF_INET6, t, &a) == 1;
}

static bool phone_ok(const char *s, size_t n)
{
	int digits = 0, seps = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			digits++;
		else
			seps++;
	}
	/* a date such as 2024-01-15 is not a phone number */
	if (n == 10 && s[4] == '-' && s[7] == '-' && digits == 8)
		return false;
	return digits >= 7 && digits <= 15 && (seps > 0 || s[0] == '+');
}

static bool card_ok(const char *s, size_t n) { return es_luhn_ok(s, n); }
static bool iban_ok(const char *s, size_t n) { return es_iban_ok(s, n); }

struct kind {
	const char *placeholder;
	const char *pattern;
	bool (*valid)(const char *, size_t);
	size_t min_len;      /* shortest candidate worth re-trying when a
			      * longer match fails its check (0: no retry) */
	pcre2_code *re;
};

static struct kind kinds[] = {
	{ "[SECRET]", "\\b(?:sk|pk|rk)-[A-Za-z0-9_-]{16,}|\\bBearer\\s+"
	  "[A-Za-z0-9._~+/-]{16,}=*|\\bAKIA[0-9A-Z]{16}\\b|"
	  "\\bgh[pousr]_[A-Za-z0-9]{30,}\\b", NULL, 0, NULL },
	{ "[EMAIL]", "[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\\.[A-Za-z0-9-]+)*"
	  "\\.[A-Za-z]{2,}", NULL, 0, NULL },
	{ "[IBAN]", "\\b[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){11,30}", iban_ok, 15,
	  NULL },
	{ "[CARD]", "(?<![\\d-])(?:\\d[ -]?){12,18}\\d", card_ok, 13, NULL },
	{ "[SSN]", "(?<![\\d-])\\d{3}-\\d{2}-\\d{4}(?![\\d-])", NULL, 0, NULL },
	{ "[IPV6]", "(?<![\\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}"
	  "(?![\\w:])", ipv6_ok, 0, NULL },
	{ "[IPV4]", "(?<![\\w.])(?:(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.)"
	  "{3}(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(?!\\w|\\.\\d)", NULL,
	  0, NULL },
	{ "[PHONE]", "(?<![\\w+])\\+?(?:\\(\\d{1,4}\\)|\\d{1,4})(?:[ .-]?"
	  "(?:\\(\\d{1,4}\\)|\\d{1,4})){1,5}(?![\\w])", phone_ok, 0, NULL },
};

#define N_KINDS (sizeof kinds / sizeof *kinds)

static void compile_all(void)
{
	for (size_t i = 0; i < N_KINDS; i++) {
		int ec;
		PCRE2_SIZE eo;
		if (kinds[i].re)
			continue;
		kinds[i].re = pcre2_compile((PCRE2_SPTR)kinds[i].pattern,
					    PCRE2_ZERO_TERMINATED, PCRE2_UTF,
					    &ec, &eo, NULL);
		if (!kinds[i].re) {
			fprintf(stderr, "assay: internal error: redaction "
				"pattern %zu does not compile\n", i);
			abort();
		}
		pcre2_jit_compile(kinds[i].re, PCRE2_JIT_COMPLETE);
	}
}

/* One kind over s; returns an owned string. */
static char *apply(struct kind *k, const char *s, size_t *count)
{
	struct buf b = {0};
	size_t n = strlen(s), pos = 0, start = 0;
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(k->re,
								     NULL);
	while (pos <= n && pcre2_match(k->re, (PCRE2_SPTR)s, n, pos, 0, md,
				       NULL) >= 0) {
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
		size_t a = ov[0], e = ov[1];
		bool ok = !k->valid || k->valid(s + a, e - a);
		/* a greedy candidate may have swallowed a neighbour: try it
		 * shorter before giving up */
		while (!ok && k->min_len && e - a > k->min_len) {
			e--;
			while (e > a && s[e - 1] == ' ')
				e--;
			ok = k->valid(s + a, e - a);
		}
		if (ok) {
			buf_append(&b, s + start, a - start);
			buf_puts(&b, k->placeholder);
			start = e;
			if (count)
				(*count)++;
			pos = e > a ? e : e + 1;
		} else {
			pos = a + 1;
			while (pos < n && ((unsigned char)s[pos] & 0xC0) == 0x80)
				pos++;
		}
		if (pos > n)
			break;
	}
	buf_append(&b, s + start, n - start);
	pcre2_match_data_free(md);
	return buf_detach(&b);
}

char *es_redact(const char *s, size_t *count)
{
	char *cur = xstrdup(s);
	compile_all();
	for (size_t i = 0; i < N_KINDS; i++) {
		char *next = apply(&kinds[i], cur, count);
		free(cur);
		cur = next;
	}
	return cur;
}

void es_redact_json(json_t *v, size_t *count)
{
	const char *k;
	json_t *x;
	size_t i;
	if (json_is_object(v)) {
		json_object_foreach(v, k, x) {
			if (json_is_string(x)) {
				char *r = es_redact(json_string_value(x), count);
				json_object_set_new(v, k, json_string(r));
				free(r);
			} else {
				es_redact_json(x, count);
			}
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, x) {
			if (json_is_string(x)) {
				char *r = es_redact(json_string_value(x), count);
				json_array_set_new(v, i, json_string(r));
				free(r);
			} else {
				es_redact_json(x, count);
			}
		}
	}
}
