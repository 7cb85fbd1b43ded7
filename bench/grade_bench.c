/* grade_bench.c — grading throughput on one core: evaluations per second
 * of contains, icontains (ASCII and non-ASCII needles), regex and a few of
 * the heavier types on 1 KB outputs.  Printed, never asserted; the targets
 * are >= 1,000,000/s for contains and icontains and >= 200,000/s for regex.
 * Built and run by bench/grade.sh. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "score/score.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Evaluates `type` with `value` (JSON text) on `out` for about `secs`
 * seconds; prints evaluations per second and returns it. */
static double bench(const char *label, const char *type, const char *value,
		    const char *out, double secs)
{
	struct assertion_spec a;
	struct assert_outcome o;
	struct err e = {0};
	json_error_t je;
	long n = 0, passes = 0;
	double t0, t;
	memset(&a, 0, sizeof a);
	a.type = (char *)type;
	a.value = value ? json_loads(value, JSON_DECODE_ANY, &je) : NULL;
	a.weight = 1;
	a.loc.file = "bench";
	if (score_check(&a, NULL, &e)) {
		fprintf(stderr, "%s: %s\n", label, e.msg);
		exit(1);
	}
	t0 = now_s();
	do {
		for (int i = 0; i < 1000; i++) {
			if (score_assert_eval(&a, NULL, out, NULL, &o, &e)) {
				fprintf(stderr, "%s: %s\n", label, e.msg);
				exit(1);
			}
			passes += o.pass;
			free(o.reason);
		}
		n += 1000;
		t = now_s() - t0;
	} while (t < secs);
	json_decref(a.value);
	printf("%-28s %12.0f evals/s  (%ld evals, %ld passed)\n", label,
	       (double)n / t, n, passes);
	return (double)n / t;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 1.0;
	char out[1025];
	const char *words = "the quick brown fox jumps over the lazy dog; "
			    "Lorem ipsum dolor sit amet, consectetur. ";
	size_t wl = strlen(words);
	for (size_t i = 0; i < 1024; i++)
		out[i] = words[i % wl];
	out[1024] = '\0';
	memcpy(out + 1000, "Paris 75001", 11);   /* near the end */

	printf("grading throughput, one core, 1 KB outputs (%.1f s each)\n",
	       secs);
	bench("contains (hit at end)", "contains", "\"Paris\"", out, secs);
	bench("contains (miss)", "contains", "\"Berlin\"", out, secs);
	bench("icontains (ASCII)", "icontains", "\"PARIS\"", out, secs);
	bench("icontains (non-ASCII)", "icontains", "\"\\u00c9T\\u00c9\"", out,
	      secs);
	bench("regex", "regex", "\"Paris \\\\d{5}\"", out, secs);
	bench("regex (miss)", "regex", "\"^[A-Z]{3}-\\\\d+$\"", out, secs);
	bench("not-contains", "not-contains", "\"As an AI\"", out, secs);
	bench("is-refusal", "is-refusal", NULL, out, secs);
	bench("word-count", "word-count", "{\"max\": 500}", out, secs);
	bench("levenshtein (short)", "levenshtein", "\"Paris 75001\"",
	      "Paris 75002", secs);
	bench("is-json + schema", "is-json",
	      "{\"type\":\"object\",\"required\":[\"a\"],\"properties\":"
	      "{\"a\":{\"type\":\"integer\"}}}", "{\"a\": 1, \"b\": [1,2,3]}",
	      secs);
	bench("jq", "jq", "\".a == 1\"", "{\"a\": 1}", secs);
	bench("lua", "lua", "\"#output > 10\"", out, secs);
	score_shutdown();
	return 0;
}
