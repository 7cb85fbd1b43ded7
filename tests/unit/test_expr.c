/* test_expr.c — util/expr.h, the arithmetic subset of mathjs used by
 * derivedMetrics.  Expected values are mathjs's documented results:
 * operator precedence and associativity from mathjs's "Expression
 * syntax" page (^ right-associative and above unary minus: 2^3^2 = 512,
 * -2^2 = -4), mod as x - y * floor(x / y) (mathjs's `mod`: mod(-7, 3) =
 * 2), log(x, base), and JavaScript's IEEE division (1/0 = Infinity). */
#include "t.h"
#include "../../src/util/expr.h"

#include <math.h>

static double ev(const char *s, const char *vars_json)
{
	json_t *v = json_loads(vars_json, 0, NULL);
	char why[256];
	size_t at;
	double out = -12345;
	if (expr_eval(s, v, &out, why, sizeof why, &at))
		out = NAN;
	json_decref(v);
	return out;
}

TEST(expr_mathjs_precedence)
{
	T_ASSERT(ev("2^3^2", "{}") == 512);
	T_ASSERT(ev("-2^2", "{}") == -4);
	T_ASSERT(ev("2^-1", "{}") == 0.5);
	T_ASSERT(ev("1 + 2 * 3 - 4 / 2", "{}") == 5);
	T_ASSERT(ev("(1 + 2) * 3", "{}") == 9);
	T_ASSERT(ev("- -1", "{}") == 1);
	T_ASSERT(ev("7 % 3", "{}") == 1);
	T_ASSERT(ev("-7 % 3", "{}") == 2);
	T_ASSERT(ev("2 * 3 % 4", "{}") == 2);  /* same level, left to right */
	T_ASSERT(ev(".5 + 1e1", "{}") == 10.5);
}

TEST(expr_names_and_functions)
{
	T_ASSERT(ev("tp / (tp + fp)", "{\"tp\": 3, \"fp\": 1}") == 0.75);
	T_ASSERT(ev("max(a, b, 2) + min(a, b)", "{\"a\": 1, \"b\": 5}") == 6);
	T_ASSERT(fabs(ev("log(8, 2)", "{}") - 3) < 1e-12);
	T_ASSERT(ev("sqrt(16) + abs(-2) + round(2.5) + floor(1.9) + ceil(1.1)",
		    "{}") == 4 + 2 + 3 + 1 + 2);
	T_ASSERT(ev("pow(2, 10)", "{}") == 1024);
	T_ASSERT(isinf(ev("1 / 0", "{}")));
	T_ASSERT(isnan(ev("missing + 1", "{\"other\": 1}")));
	T_ASSERT(isnan(ev("s + 1", "{\"s\": \"text\"}")));
}

TEST(expr_errors_name_the_place)
{
	char why[256];
	size_t at = 99;
	T_ASSERT(expr_check("a > b", why, sizeof why, &at) == -1);
	T_EQ_INT(at, 2);
	T_ASSERT(strstr(why, "'>'"));
	T_ASSERT(expr_check("2x", why, sizeof why, &at) == -1);
	T_EQ_INT(at, 1);
	T_ASSERT(strstr(why, "implicit multiplication"));
	T_ASSERT(expr_check("mean(a)", why, sizeof why, &at) == -1);
	T_EQ_INT(at, 0);
	T_ASSERT(expr_check("(a + b", why, sizeof why, &at) == -1);
	T_EQ_INT(at, 6);
	T_ASSERT(expr_check("", why, sizeof why, &at) == -1);
	T_ASSERT(expr_check("pow(1)", why, sizeof why, &at) == -1);
	T_ASSERT(strstr(why, "pow takes 2 to 2"));
	T_ASSERT(expr_check("a ? 1 : 0", why, sizeof why, &at) == -1);
	T_ASSERT(expr_check("a + b * (c - d) / e", why, sizeof why, &at) == 0);
}

TEST(expr_deep_nesting_is_an_error)
{
	char s[2000], why[256];
	size_t at;
	memset(s, '(', 1000);
	s[1000] = '1';
	memset(s + 1001, ')', 998);
	s[1999] = '\0';
	T_ASSERT(expr_check(s, why, sizeof why, &at) == -1);
	T_ASSERT(strstr(why, "nested deeper"));
	memset(s, '-', 1500);
	s[1500] = '1';
	s[1501] = '\0';
	T_ASSERT(expr_check(s, why, sizeof why, &at) == -1);
}
