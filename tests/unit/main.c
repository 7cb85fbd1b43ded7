/* main.c — runs every registered unit test (or those whose name contains
 * argv[1]) and prints one line each, then "N passed, N failed". */
#include "t.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

struct t_case {
	const char *name;
	t_fn fn;
};

static struct t_case *cases;
static size_t n_cases, cap_cases;
static int cur_failed;
static const char *cur_skip;

void t_register(const char *name, t_fn fn)
{
	if (n_cases == cap_cases) {
		cap_cases = cap_cases ? cap_cases * 2 : 64;
		cases = realloc(cases, cap_cases * sizeof *cases);
		if (!cases)
			abort();
	}
	cases[n_cases].name = name;
	cases[n_cases].fn = fn;
	n_cases++;
}

void t_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	cur_failed = 1;
	printf("  %s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

void t_skip(const char *why)
{
	cur_skip = why;
}

int t_failed(void)
{
	return cur_failed;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct t_case *)a)->name,
		      ((const struct t_case *)b)->name);
}

int main(int argc, char **argv)
{
	int passed = 0, failed = 0;
	qsort(cases, n_cases, sizeof *cases, by_name);
	for (size_t i = 0; i < n_cases; i++) {
		if (argc > 1 && !strstr(cases[i].name, argv[1]))
			continue;
		cur_failed = 0;
		cur_skip = NULL;
		printf("# %s\n", cases[i].name);
		fflush(stdout);
		cases[i].fn();
		if (cur_failed) {
			printf("FAIL %s\n", cases[i].name);
			failed++;
		} else if (cur_skip) {
			printf("skip %s: %s\n", cases[i].name, cur_skip);
		} else {
			printf("ok %s\n", cases[i].name);
			passed++;
		}
		fflush(stdout);
	}
	free(cases);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
