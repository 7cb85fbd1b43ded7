/* t.h — the unit-test harness.  A test is `TEST(name) { ... }`; it
 * registers itself at start-up and fails at the first assertion that does
 * not hold.  tests/unit/main.c runs them and prints "ok NAME" or
 * "FAIL NAME: file:line: what", then "N passed, N failed". */
#ifndef ASSAY_T_H
#define ASSAY_T_H

#include <math.h>
#include <string.h>

typedef void (*t_fn)(void);
void t_register(const char *name, t_fn fn);
void t_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int t_failed(void);
/* Marks the running test skipped (main.c prints "skip NAME: why"); the
 * test returns at once after calling it. */
void t_skip(const char *why);

#define TEST(name)                                                     \
	static void name(void);                                        \
	__attribute__((constructor)) static void t_reg_##name(void)    \
	{                                                              \
		t_register(#name, name);                               \
	}                                                              \
	static void name(void)

#define T_ASSERT(c)                                                    \
	do {                                                           \
		if (!(c)) {                                            \
			t_fail(__FILE__, __LINE__, "%s", #c);          \
			return;                                        \
		}                                                      \
	} while (0)

#define T_EQ_INT(a, b)                                                 \
	do {                                                           \
		long long t_a_ = (long long)(a), t_b_ = (long long)(b);\
		if (t_a_ != t_b_) {                                    \
			t_fail(__FILE__, __LINE__, "%s == %lld, want %lld", \
			       #a, t_a_, t_b_);                        \
			return;                                        \
		}                                                      \
	} while (0)

#define T_EQ_STR(a, b)                                                 \
	do {                                                           \
		const char *t_a_ = (a), *t_b_ = (b);                   \
		if (!t_a_ || !t_b_ || strcmp(t_a_, t_b_) != 0) {       \
			t_fail(__FILE__, __LINE__, "%s == \"%s\", want \"%s\"", \
			       #a, t_a_ ? t_a_ : "(null)",             \
			       t_b_ ? t_b_ : "(null)");                \
			return;                                        \
		}                                                      \
	} while (0)

#define T_NEAR(a, b, eps)                                              \
	do {                                                           \
		double t_a_ = (a), t_b_ = (b);                         \
		if (!(fabs(t_a_ - t_b_) <= (eps))) {                   \
			t_fail(__FILE__, __LINE__, "%s == %.10g, want %.10g (±%g)", \
			       #a, t_a_, t_b_, (double)(eps));         \
			return;                                        \
		}                                                      \
	} while (0)

#endif
