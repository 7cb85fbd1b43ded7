/* load_loop.h — one candidate on its own libcurl multi loop (load_loop.c):
 * its requests built once, then one open-loop step at a time.  Internal to
 * src/load/. */
#ifndef ASSAY_LOAD_LOOP_H
#define ASSAY_LOAD_LOOP_H

#include "load/load_int.h"

/* The run-wide budget, checked before every send. */
struct load_budget {
	long max_requests;    /* 0 = none */
	double max_cost;      /* < 0 = none */
	long sent;
	double spent;         /* known cost of answers */
	double reserved;      /* worst-case cost of requests in flight */
	bool hit;
};

struct load_cand;

/* Builds every (test, prompt) request for provider p (suite index
 * prov_idx) and the loop.  ST_INPUT when p is not an HTTP provider, a
 * prompt does not render or build, or --max-cost cannot be bounded. */
int load_cand_new(const struct suite *s, struct provider *p, size_t prov_idx,
		  const struct load_plan *plan, struct load_cand **out,
		  struct err *err);
void load_cand_free(struct load_cand *c);

/* The URL the candidate's requests go to (for the loopback check). */
const char *load_cand_url(const struct load_cand *c);

/* Runs step st (st->idx, offered_rps, duration_s set by the caller; the
 * rest zero and histograms initialised): fills its counts.  Returns 0, or
 * ST_DB when the store failed (counts so far kept). */
int load_cand_step(struct load_cand *c, const struct load_plan *p,
		   struct load_budget *b, struct store *store, int64_t run_id,
		   struct load_step *st, struct err *err);

bool load_stop_requested(void);

#endif
