/* expr.c — fuzzes the derivedMetrics formula parser (src/util/expr.c).
 *
 * Input: the formula, a NUL, then the metric values as JSON (an object;
 * anything else means none).  Checks and evaluates; every outcome must be
 * a value or an error with a message and an offset inside the formula,
 * never a crash or a deep recursion. */
#include "fuzz.h"
#include "util/expr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *rest;
	size_t rest_n, at;
	char *f = fz_head(data, size, &rest, &rest_n);
	json_t *vars = json_loadb((const char *)rest, rest_n, JSON_DECODE_ANY, NULL);
	char why[256];
	double v;
	if (vars && !json_is_object(vars)) {
		json_decref(vars);
		vars = NULL;
	}
	why[0] = '\0';
	if (expr_check(f, why, sizeof why, &at) &&
	    (!why[0] || at > strlen(f)))
		abort(); /* a failure must say why and where */
	why[0] = '\0';
	if (expr_eval(f, vars, &v, why, sizeof why, &at) &&
	    (!why[0] || at > strlen(f)))
		abort();
	json_decref(vars);
	free(f);
	return 0;
}
