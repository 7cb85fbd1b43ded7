/* engine.h — the front door of the scheduler: runs every work item
 * (test × prompt × provider × repeat) on one event loop (libcurl's multi
 * interface plus the pipes of `exec:` children), grades each response as it
 * arrives, hands it to the store and frees it.  Nothing per result stays in
 * memory.
 *
 * Each provider enumerates its own items lazily in a stable order (test,
 * prompt, repeat) and the loop takes from the providers in turn, so a slow
 * or rate-limited provider never holds the others back.  Per provider:
 * max_concurrency, requests/min and tokens/min budgets, retries with
 * backoff (server hints first), concurrency that halves on 429 and grows
 * back by one per window of successes (AIMD), and the response cache.
 * At most `concurrency` requests are in flight in all. */
#ifndef ASSAY_ENGINE_H
#define ASSAY_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "../util/err.h"
#include "../suite/suite.h"
#include "../provider/provider.h"
#include "../store/store.h"

struct progress;
struct judge_set;

struct engine_opts {
	int concurrency;         /* ≥ 1 */
	int repeat;              /* ≥ 1 */
	long delay_ms;           /* ≥ 0: minimum gap between request starts */
	bool cache;              /* read and write the response cache */
	uint64_t seed;           /* jitter */
	struct judge_set *judges; /* may be NULL: no model-graded assertions */
	struct progress *progress; /* may be NULL */
	/* Graders run off the loop (Lua, jq, scripts, transforms): a hard
	 * time limit per result and an address-space limit; 0 = default. */
	long grader_timeout_ms;  /* default ENGINE_GRADER_TIMEOUT_MS */
	long grader_memory_mb;   /* default ENGINE_GRADER_MEMORY_MB */
	/* Resume hook (may be NULL): items for which skip() is true are
	 * already stored and are not run again (counted in tot->skipped). */
	bool (*skip)(void *ud, size_t test, size_t prompt, size_t prov, int rep);
	void *skip_ud;
};

#define ENGINE_GRADER_TIMEOUT_MS 60000L
#define ENGINE_GRADER_MEMORY_MB 1024L

struct engine_totals {
	long total, done, passes, fails, errors;
	long retries, cache_hits, judge_calls;
	/* the comparison pass (select-best, compare) */
	long compare_calls;          /* its judge calls */
	double compare_cost;         /* their cost */
	double consistency_sum;      /* pairwise judges: agreement between the */
	long consistency_n;          /* two orders, summed over comparisons */
	long compare_errors;         /* comparisons that could not be graded */
	bool interrupted;
	long skipped;                /* items passed over by o->skip */
};

/* Runs the plan.  `provs[i]` serves s->providers[i].  Returns 0 when the
 * loop ran to the end or was interrupted (tot->interrupted), or an error
 * when the store failed (results already stored stay stored). */
int engine_run(const struct suite *s, struct provider *const *provs,
	       struct store *st, int64_t run_id, const struct engine_opts *o,
	       struct engine_totals *tot, struct err *err);

/* Asks a running engine to stop launching work and abort transfers in
 * flight; safe to call from a signal handler. */
void engine_request_stop(void);

#endif
