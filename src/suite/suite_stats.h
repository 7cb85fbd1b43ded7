/* suite_stats.h — the suite's statistics blocks as typed fields
 * (docs/statistics.md): `calibration`, `classification` (with its cost
 * matrix), `decision` and the severity names of cases and assertions.
 *
 * suite_stats.c checks the blocks when the YAML loads (file:line:col
 * errors) and parses them, here, from the sanitized suite JSON — the form
 * the store keeps with a run — so the statistics report reads them
 * through this header instead of parsing them again.
 *
 * Ownership: a struct suite_stats owns its strings and arrays; free it
 * with suite_stats_free. */
#ifndef ASSAY_SUITE_STATS_H
#define ASSAY_SUITE_STATS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* decision: every number NaN when unset. */
struct suite_decision {
	bool set;		/* the suite has a decision block */
	double min_pass_rate, max_p95_ms, max_cost_per_1k, max_error_rate;
	double volume;		/* queries per day */
	bool has_weights;	/* a weights block (its unset weights 0) */
	double w_quality, w_cost, w_latency;
};

/* One cost-matrix entry: expected -> predicted ("*": any other label). */
struct suite_cost {
	char *expected, *predicted;
	double cost;
};

struct suite_stats {
	char *confidence;	/* "logprobs", "jq:…", "regex:…" or NULL */
	char *expected;		/* classification label template, or NULL */
	char *predicted;	/* "output", "jq:…", "regex:…" or NULL */
	bool has_costs;		/* a costs block (even an empty one) */
	struct suite_cost *costs;	/* in the order written */
	size_t ncosts;
	struct suite_decision decision;
};

/* Fills *out from a sanitized suite JSON object (NULL: nothing set).
 * Values the loader would have refused are skipped, never a crash. */
void suite_stats_parse(const json_t *suite, struct suite_stats *out);
void suite_stats_free(struct suite_stats *s);

/* The weight of a severity (`severity:` of a test's metadata or of an
 * assertion): a number >= 0 as it is, or critical 10, high/major 5,
 * medium/moderate 2, low/minor 1, info 0.  *ok is false (and 1
 * returned) for anything else. */
double suite_severity_weight(const json_t *v, bool *ok);
/* The same for a string (a name, or a number >= 0 as text): 0 with *w
 * set, or -1 for an unknown name. */
int suite_severity_name(const char *s, double *w);

#endif
