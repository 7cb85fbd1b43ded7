/* perturb.h — seeded perturbations of a text (lowercase, typos, extra
 * white space, contractions/expansions, filler words, synonym swaps,
 * instruction-verb swaps, punctuation removal, truncation), the building
 * block of `perturb:` variant groups (suite_perturb.c, docs/evalset.md).
 *
 * A spec is "name" or "name:number" (a rate in 0..1, or for truncate the
 * share of words kept).  perturb_apply returns an owned string; the same
 * spec, text and seed always give the same result. */
#ifndef ASSAY_PERTURB_H
#define ASSAY_PERTURB_H

#include <stddef.h>
#include <stdint.h>

enum perturb_kind {
	PT_LOWERCASE, PT_TYPOS, PT_WHITESPACE, PT_CONTRACTIONS,
	PT_EXPANSIONS, PT_FILLER, PT_SYNONYMS, PT_VERBS, PT_PUNCTUATION,
	PT_TRUNCATE
};

struct perturb {
	enum perturb_kind kind;
	double rate;
	char name[48];          /* canonical spec, e.g. "typos:0.05" */
};

/* Parses a spec.  0 on success; -1 with a reason in why[n] (naming the
 * expected names or range). */
int perturb_parse(const char *spec, struct perturb *out, char *why,
		  size_t n);

/* The perturbed text (owned). */
char *perturb_apply(const struct perturb *p, const char *text,
		    uint64_t seed);

#endif
