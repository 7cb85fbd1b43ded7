/* stats_bench.c — how long every statistic takes: 10 candidates x 100,000
 * results each (the target: under 2 s on one core with 10,000
 * bootstrap resamples), built in memory and handed to rs_compute, the same
 * function `assay stats` runs after loading a run from the store.
 *
 * The data is shaped like a real large run: scores that are means of four
 * pass/fail assertions, a named metric with continuous values (the costly
 * case for a bootstrap), continuous latencies, confidences, five classes,
 * tags, severities, refusal cases, variant groups and paired candidates of
 * different quality.  Prints the time; asserts nothing.
 *
 * Usage: stats_bench [CANDIDATES [RESULTS [RESAMPLES]]] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analysis/analysis.h"
#include "stats/rng.h"
#include "util/xalloc.h"

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	size_t k = argc > 1 ? (size_t)atol(argv[1]) : 10;
	size_t n = argc > 2 ? (size_t)atol(argv[2]) : 100000;
	long B = argc > 3 ? atol(argv[3]) : 10000;
	struct stats_opts o = { .resamples = B, .seed = 1, .mdd = 0.02 };
	struct stats_rng rng;
	struct rs_run r;
	static const char *const cls[5] = { "a", "b", "c", "d", "e" };
	double t0, t1;
	json_t *s;
	char *text;

	memset(&r, 0, sizeof r);
	stats_rng_seed(&rng, 42);
	r.id = 1;
	r.repeat = 1;
	r.ncases = n;
	r.cases = xcalloc(n, sizeof *r.cases);
	r.ntags = 5;
	r.tags = xcalloc(5, sizeof *r.tags);
	for (int t = 0; t < 5; t++)
		r.tags[t] = xasprintf("tag%d", t);
	r.nclasses = 5;
	r.classes = xcalloc(5, sizeof *r.classes);
	for (int c = 0; c < 5; c++)
		r.classes[c] = xstrdup(cls[c]);
	r.has_conf = r.has_class = r.has_refusal = true;
	r.nvariants = n / 10;
	for (size_t i = 0; i < n; i++) {
		struct rs_case *c = &r.cases[i];
		c->tags = xmalloc(sizeof *c->tags);
		c->tags[0] = (int)(i % 5);
		c->ntags = 1;
		c->sev = i % 50 == 0 ? 10 : 1;
		c->has_sev = true;
		c->expect = i % 20 == 0 ? RS_EXPECT_REFUSE : RS_EXPECT_ANSWER;
		c->cluster = (long)i;
		c->variant = i % 4 == 0 ? (long)(i / 10) : -1;
		c->gold = (int32_t)(i % 5);
	}
	r.nclusters = n;
	r.decision = (struct suite_decision){
		.set = true, .min_pass_rate = 0.8, .max_p95_ms = 900,
		.max_cost_per_1k = 1.0, .max_error_rate = NAN, .volume = NAN,
		.w_quality = NAN, .w_cost = NAN, .w_latency = NAN };
	r.ncands = k;
	r.cands = xcalloc(k, sizeof *r.cands);
	for (size_t c = 0; c < k; c++) {
		struct rs_cand *cd = &r.cands[c];
		double acc = 0.70 + 0.02 * (double)c;
		cd->label = xasprintf("model-%zu", c);
		cd->provider_id = xasprintf("openai:chat:model-%zu", c);
		cd->prompt_label = xstrdup("p");
		cd->n = cd->cap = n;
		cd->it = xcalloc(n, sizeof *cd->it);
		cd->nm = 1;
		cd->m = xcalloc(1, sizeof *cd->m);
		cd->m[0].name = xstrdup("similarity");
		cd->m[0].v = xmalloc(n * sizeof *cd->m[0].v);
		cd->naf = 1;
		cd->af = xcalloc(1, sizeof *cd->af);
		cd->af[0].name = xstrdup("icontains (category)");
		for (size_t i = 0; i < n; i++) {
			struct rs_item *it = &cd->it[i];
			int good = 0;
			for (int a = 0; a < 4; a++)
				good += stats_rng_uniform(&rng) < acc + 0.2;
			it->c = (uint32_t)i;
			it->pass = stats_rng_uniform(&rng) < 0.01 ? RS_ERROR
				 : good == 4;
			it->score = it->pass >= 0 ? good / 4.0 : NAN;
			it->lat = 200 + 100 * (double)c +
				  -150 * log(1 - stats_rng_uniform(&rng));
			it->ttft = it->lat * 0.3;
			it->ctok = 20;
			it->cost = 1e-5 * (double)(c + 1);
			it->conf = fmin(1, 0.5 + 0.5 * stats_rng_uniform(&rng));
			it->pred = it->pass == 1 ? (int32_t)(i % 5)
				 : (int32_t)((i + 1) % 5);
			it->refused = r.cases[i].expect == RS_EXPECT_REFUSE
				? it->pass == 1 : stats_rng_uniform(&rng) < 0.02;
			cd->m[0].v[i] = it->pass >= 0 ? stats_rng_uniform(&rng)
						      : NAN;
			cd->af[0].total++;
			cd->af[0].fails += it->pass == 0;
		}
	}
	t0 = now();
	s = rs_compute(&r, &o);
	t1 = now();
	text = json_dumps(s, JSON_COMPACT);
	printf("stats: %zu candidates x %zu results, %ld resamples: %.3f s "
	       "(JSON %zu bytes)\n", k, n, B, t1 - t0, strlen(text));
	free(text);
	json_decref(s);
	rs_run_free(&r);
	return 0;
}
