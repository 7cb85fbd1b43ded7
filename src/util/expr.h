/* expr.h — the arithmetic subset of mathjs expressions that promptfoo's
 * `derivedMetrics` use: numbers (12, 0.5, .5, 1e-3), names (letters,
 * digits, '_'), + - * / % (mathjs: modulo), ^ (power, right-associative,
 * above unary minus: -2^2 is -4), parentheses, and the functions
 * abs, sqrt, exp, log (natural; log(x, b) base b), log10, pow, min, max,
 * round, floor, ceil.  Anything else (comparisons, ?:, implicit
 * multiplication "2x", units, matrices, strings) is an error that names
 * what was found and where.  IEEE arithmetic as in JavaScript: 1/0 is
 * Infinity, 0/0 NaN.  No state, no allocation that outlives a call. */
#ifndef ASSAY_EXPR_H
#define ASSAY_EXPR_H

#include <stddef.h>
#include <jansson.h>

/* Checks that `s` parses.  Returns 0, or -1 with a message in why (n
 * bytes) and the byte offset of the fault in *at. */
int expr_check(const char *s, char *why, size_t n, size_t *at);

/* Evaluates `s` with the names bound to the numbers of the JSON object
 * `vars` (non-number members are unbound).  Returns 0 with *out set, or
 * -1 with why/at set (a parse error, or an unbound name: mathjs's
 * "Undefined symbol"). */
int expr_eval(const char *s, const json_t *vars, double *out, char *why,
	      size_t n, size_t *at);

#endif
