/* perturb.c — the built-in perturbations of perturb.h.  Words are runs of
 * ASCII letters (and apostrophes inside them); everything else is copied
 * as it is, so UTF-8 text passes through untouched except where a rule
 * says otherwise.  Each random choice comes from one splitmix64 stream
 * seeded by the caller. */
#include "perturb.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../util/buf.h"
#include "../util/xalloc.h"

static const struct {
	const char *name;
	enum perturb_kind kind;
	double def;            /* default number, < 0: takes none */
} kinds[] = {
	{ "lowercase", PT_LOWERCASE, -1 }, { "typos", PT_TYPOS, 0.05 },
	{ "whitespace", PT_WHITESPACE, 0.3 },
	{ "contractions", PT_CONTRACTIONS, -1 },
	{ "expansions", PT_EXPANSIONS, -1 }, { "filler", PT_FILLER, 0.1 },
	{ "synonyms", PT_SYNONYMS, 0.5 }, { "verbs", PT_VERBS, -1 },
	{ "punctuation", PT_PUNCTUATION, -1 },
	{ "truncate", PT_TRUNCATE, 0.7 },
};
#define N_KINDS (sizeof kinds / sizeof *kinds)

int perturb_parse(const char *spec, struct perturb *out, char *why,
		  size_t n)
{
	const char *colon = strchr(spec, ':');
	size_t len = colon ? (size_t)(colon - spec) : strlen(spec);
	for (size_t i = 0; i < N_KINDS; i++) {
		char *end;
		double r;
		if (strlen(kinds[i].name) != len ||
		    strncmp(kinds[i].name, spec, len))
			continue;
		out->kind = kinds[i].kind;
		out->rate = kinds[i].def;
		if (colon) {
			if (kinds[i].def < 0) {
				snprintf(why, n, "'%s' takes no number",
					 kinds[i].name);
				return -1;
			}
			r = strtod(colon + 1, &end);
			if (end == colon + 1 || *end || !(r > 0 && r <= 1)) {
				snprintf(why, n, "found '%s', expected %s:N "
					 "with N in (0, 1]", spec,
					 kinds[i].name);
				return -1;
			}
			out->rate = r;
		}
		if (kinds[i].def < 0)
			snprintf(out->name, sizeof out->name, "%s",
				 kinds[i].name);
		else
			snprintf(out->name, sizeof out->name, "%s:%g",
				 kinds[i].name, out->rate);
		return 0;
	}
	snprintf(why, n, "unknown perturbation '%.*s', expected one of: "
		 "lowercase, typos[:RATE], whitespace[:RATE], contractions, "
		 "expansions, filler[:RATE], synonyms[:RATE], verbs, "
		 "punctuation, truncate[:SHARE]", (int)len, spec);
	return -1;
}

/* ---- randomness -------------------------------------------------------- */

static uint64_t rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static double unif(uint64_t *s)
{
	return (double)(rnd(s) >> 11) * 0x1.0p-53;
}

/* ---- word tables --------------------------------------------------------- */

/* contractions: expanded form, contracted form */
static const char *const contr[][2] = {
	{ "do not", "don't" }, { "does not", "doesn't" }, { "did not", "didn't" },
	{ "is not", "isn't" }, { "are not", "aren't" }, { "was not", "wasn't" },
	{ "were not", "weren't" }, { "cannot", "can't" }, { "will not", "won't" },
	{ "would not", "wouldn't" }, { "should not", "shouldn't" },
	{ "could not", "couldn't" }, { "have not", "haven't" },
	{ "has not", "hasn't" }, { "I am", "I'm" }, { "it is", "it's" },
	{ "you are", "you're" }, { "we are", "we're" }, { "they are", "they're" },
	{ "I will", "I'll" }, { "I have", "I've" }, { "let us", "let's" },
	{ "what is", "what's" }, { "that is", "that's" }, { "there is", "there's" },
};

/* synonyms: a word, then its swaps (NULL-terminated rows) */
static const char *const syn[][5] = {
	{ "big", "large", "huge", NULL }, { "small", "little", "tiny", NULL },
	{ "fast", "quick", "rapid", NULL }, { "help", "assist", "aid", NULL },
	{ "buy", "purchase", NULL }, { "get", "obtain", "receive", NULL },
	{ "start", "begin", NULL }, { "end", "finish", NULL },
	{ "problem", "issue", "trouble", NULL }, { "answer", "reply", "response", NULL },
	{ "question", "query", NULL }, { "need", "require", NULL },
	{ "want", "wish", "would like", NULL }, { "show", "display", NULL },
	{ "use", "utilize", "employ", NULL }, { "make", "create", NULL },
	{ "fix", "repair", "correct", NULL }, { "broken", "damaged", "faulty", NULL },
	{ "late", "delayed", "overdue", NULL }, { "order", "purchase", NULL },
	{ "money", "funds", "cash", NULL }, { "quickly", "rapidly", "fast", NULL },
	{ "about", "regarding", "concerning", NULL }, { "check", "verify", "inspect", NULL },
	{ "send", "ship", "dispatch", NULL }, { "error", "mistake", "fault", NULL },
	{ "easy", "simple", NULL }, { "hard", "difficult", NULL },
	{ "happy", "glad", "pleased", NULL }, { "angry", "upset", "annoyed", NULL },
	{ "price", "cost", NULL }, { "item", "product", "article", NULL },
	{ "change", "modify", "alter", NULL }, { "find", "locate", NULL },
	{ "tell", "inform", NULL }, { "ask", "inquire", NULL },
	{ "good", "fine", "decent", NULL }, { "bad", "poor", NULL },
	{ "job", "task", NULL }, { "car", "vehicle", "automobile", NULL },
};

/* instruction verbs and their swaps */
static const char *const verbs[][5] = {
	{ "write", "implement", "create", "compose", NULL },
	{ "explain", "describe", "clarify", NULL },
	{ "list", "enumerate", "name", NULL },
	{ "summarize", "condense", "recap", NULL },
	{ "summarise", "condense", "recap", NULL },
	{ "give", "provide", "offer", NULL },
	{ "classify", "categorize", "label", NULL },
	{ "extract", "pull out", "retrieve", NULL },
	{ "translate", "convert", "render", NULL },
	{ "generate", "produce", "create", NULL },
	{ "find", "identify", "locate", NULL },
	{ "show", "display", "present", NULL },
	{ "tell", "inform", NULL },
	{ "answer", "respond to", "reply to", NULL },
	{ "fix", "correct", "repair", NULL },
	{ "make", "create", "build", NULL },
	{ "rewrite", "rephrase", "reword", NULL },
	{ "check", "verify", "review", NULL },
	{ "compare", "contrast", NULL },
	{ "describe", "explain", "outline", NULL },
};

static const char *const fillers[] = { "um", "like", "basically",
	"actually", "you know", "kind of", "just", "so" };

/* ---- helpers ------------------------------------------------------------- */

static bool is_letter(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Length of the word at p (letters with inner apostrophes), 0 if none. */
static size_t word_len(const char *p)
{
	size_t n = 0;
	while (is_letter(p[n]) || (p[n] == '\'' && n && is_letter(p[n + 1])))
		n++;
	return n;
}

/* Appends rep with its first letter in the case of w's first letter. */
static void put_cased(struct buf *b, const char *w, const char *rep)
{
	size_t n = strlen(rep);
	if (!n)
		return;
	if (isupper((unsigned char)w[0]))
		buf_putc(b, (char)toupper((unsigned char)rep[0]));
	else
		buf_putc(b, rep[0]);
	buf_append(b, rep + 1, n - 1);
}

/* Word-by-word rewrite with a table of rows (word, swaps..., NULL). */
static char *swap_words(const char *s, const char *const (*tab)[5],
			size_t rows, double rate, uint64_t *st)
{
	struct buf b = {0};
	const char *p = s;
	while (*p) {
		size_t n = word_len(p);
		bool done = false;
		if (!n || (p > s && is_letter(p[-1]))) {
			buf_putc(&b, *p++);
			continue;
		}
		for (size_t r = 0; r < rows && !done; r++) {
			size_t k = 0;
			if (strlen(tab[r][0]) != n || strncasecmp(tab[r][0], p, n))
				continue;
			while (k + 1 < 5 && tab[r][k + 1])
				k++;
			if (k && unif(st) < rate) {
				put_cased(&b, p, tab[r][1 + rnd(st) % k]);
				done = true;
			}
			break;
		}
		if (!done)
			buf_append(&b, p, n);
		p += n;
	}
	return buf_detach(&b);
}

/* Phrase replacement at word boundaries, case of the first letter kept. */
static char *replace_phrases(const char *s, bool contract)
{
	struct buf b = {0};
	const char *p = s;
	while (*p) {
		bool hit = false;
		if (p == s || !is_letter(p[-1])) {
			for (size_t r = 0; r < sizeof contr / sizeof *contr; r++) {
				const char *from = contr[r][contract ? 0 : 1];
				const char *to = contr[r][contract ? 1 : 0];
				size_t n = strlen(from);
				if (strncasecmp(p, from, n) || is_letter(p[n]) ||
				    p[n] == '\'')
					continue;
				/* "I" stays upper-case either way */
				if (to[0] == 'I' && (to[1] == ' ' || to[1] == '\''))
					buf_puts(&b, to);
				else
					put_cased(&b, p, to);
				p += n;
				hit = true;
				break;
			}
		}
		if (!hit)
			buf_putc(&b, *p++);
	}
	return buf_detach(&b);
}

static const char *const kb_rows[] = { "qwertyuiop", "asdfghjkl", "zxcvbnm" };

/* A letter next to c on a QWERTY keyboard (same row), same case. */
static char neighbour(char c, uint64_t *st)
{
	char l = (char)tolower((unsigned char)c), r = l;
	for (int i = 0; i < 3; i++) {
		const char *q = strchr(kb_rows[i], l);
		size_t len = strlen(kb_rows[i]), at;
		if (!q)
			continue;
		at = (size_t)(q - kb_rows[i]);
		if (at == 0)
			r = kb_rows[i][1];
		else if (at + 1 == len)
			r = kb_rows[i][at - 1];
		else
			r = kb_rows[i][rnd(st) % 2 ? at + 1 : at - 1];
	}
	return isupper((unsigned char)c) ? (char)toupper((unsigned char)r) : r;
}

static char *typos(const char *s, double rate, uint64_t *st)
{
	struct buf b = {0};
	for (const char *p = s; *p; p++) {
		if (!is_letter(*p) || unif(st) >= rate) {
			buf_putc(&b, *p);
			continue;
		}
		switch (rnd(st) % 4) {
		case 0:                         /* swap with the next letter */
			if (is_letter(p[1])) {
				buf_putc(&b, p[1]);
				buf_putc(&b, *p);
				p++;
			} else {
				buf_putc(&b, *p);
			}
			break;
		case 1:                         /* dropped */
			break;
		case 2:                         /* doubled */
			buf_putc(&b, *p);
			buf_putc(&b, *p);
			break;
		default:                        /* a neighbouring key */
			buf_putc(&b, neighbour(*p, st));
		}
	}
	return buf_detach(&b);
}

static char *whitespace(const char *s, double rate, uint64_t *st)
{
	struct buf b = {0};
	buf_puts(&b, "  ");
	for (const char *p = s; *p; p++) {
		buf_putc(&b, *p);
		if (*p == ' ' && unif(st) < rate)
			buf_puts(&b, rnd(st) % 3 ? " " : "\t ");
	}
	buf_puts(&b, " \n");
	return buf_detach(&b);
}

static char *filler(const char *s, double rate, uint64_t *st)
{
	struct buf b = {0};
	for (const char *p = s; *p; p++) {
		buf_putc(&b, *p);
		if (*p == ' ' && p > s && p[-1] != ' ' && unif(st) < rate) {
			buf_puts(&b, fillers[rnd(st) % (sizeof fillers /
							sizeof *fillers)]);
			buf_putc(&b, ' ');
		}
	}
	return buf_detach(&b);
}

static char *truncate_words(const char *s, double share)
{
	size_t words = 0, keep, seen = 0;
	const char *p;
	for (p = s; *p; p++)
		if (*p != ' ' && *p != '\n' && *p != '\t' &&
		    (p == s || p[-1] == ' ' || p[-1] == '\n' || p[-1] == '\t'))
			words++;
	keep = (size_t)((double)words * share + 0.5);
	if (keep < 1 && words)
		keep = 1;
	for (p = s; *p; p++) {
		if (*p != ' ' && *p != '\n' && *p != '\t' &&
		    (p == s || p[-1] == ' ' || p[-1] == '\n' || p[-1] == '\t')) {
			if (seen == keep)
				break;
			seen++;
		}
	}
	while (p > s && (p[-1] == ' ' || p[-1] == '\n' || p[-1] == '\t'))
		p--;
	return xstrndup(s, (size_t)(p - s));
}

char *perturb_apply(const struct perturb *pt, const char *s, uint64_t seed)
{
	uint64_t st = seed ^ 0xA5A5A5A5DEADBEEFULL;
	char *r;
	switch (pt->kind) {
	case PT_LOWERCASE:
		r = xstrdup(s);
		for (char *p = r; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p + 32);
		return r;
	case PT_TYPOS:
		return typos(s, pt->rate, &st);
	case PT_WHITESPACE:
		return whitespace(s, pt->rate, &st);
	case PT_CONTRACTIONS:
		return replace_phrases(s, true);
	case PT_EXPANSIONS:
		return replace_phrases(s, false);
	case PT_FILLER:
		return filler(s, pt->rate, &st);
	case PT_SYNONYMS:
		return swap_words(s, syn, sizeof syn / sizeof *syn, pt->rate,
				  &st);
	case PT_VERBS:
		return swap_words(s, verbs, sizeof verbs / sizeof *verbs, 1.0,
				  &st);
	case PT_PUNCTUATION: {
		struct buf b = {0};
		for (const char *p = s; *p; p++)
			if (!ispunct((unsigned char)*p) ||
			    (*p == '\'' && p > s && is_letter(p[-1]) &&
			     is_letter(p[1])))
				buf_putc(&b, *p);
		return buf_detach(&b);
	}
	case PT_TRUNCATE:
		return truncate_words(s, pt->rate);
	}
	return xstrdup(s);
}
