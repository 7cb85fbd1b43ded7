/* load.h — the front door of load testing (`assay load`): open-loop
 * arrivals at fixed rates against each candidate, step by step, with the
 * figures of docs/load.md computed per step and candidate.
 *
 * Flow: cmd_load.c parses the plan (load_parse_*), load_run() runs every
 * candidate's steps on its own libcurl multi loop (load_loop.c), turns each
 * step into figures and a verdict (load_eval.c), stores requests, steps and
 * the report as they are measured (store/store_load.h) and returns the
 * report as JSON, which load_print() writes as text (load_print.c).
 *
 * Open loop: arrival k of a step is *intended* at t0 + a_k whatever the
 * server does; every latency is measured from that intended time, so a
 * request that had to wait (for a free connection slot, for the loop) is
 * charged for the wait — no coordinated omission.
 *
 * Ownership: the plan owns its rate array (load_plan_cleanup); the report
 * JSON from load_run is owned by the caller (json_decref). */
#ifndef ASSAY_LOAD_H
#define ASSAY_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "util/err.h"
#include "suite/suite.h"
#include "provider/provider.h"
#include "store/store.h"

enum load_arrivals { LOAD_CONSTANT, LOAD_POISSON };

enum slo_kind { SLO_LATENCY, SLO_TTFT, SLO_ERRORS };

#define LOAD_MAX_SLO 8

struct slo_clause {
	enum slo_kind kind;
	double q;          /* quantile in (0,1] (latency, ttft) */
	double limit;      /* ms; for errors a share in [0,1] */
	char text[48];     /* as written, for messages */
};

struct load_slo {
	size_t n;
	struct slo_clause c[LOAD_MAX_SLO];
};

struct load_plan {
	double *rates;           /* requests/s per step, increasing */
	size_t n_rates;
	double duration_s;       /* per step */
	enum load_arrivals arrivals;
	uint64_t seed;           /* prompt order and Poisson gaps */
	int concurrency;         /* in-flight cap per candidate (≥ 1) */
	long max_requests;       /* whole run; 0 = none */
	double max_cost;         /* whole run, USD; < 0 = none */
	double late_ms;          /* a send later than this is "late" */
	double drain_s;          /* wait for answers after a step */
	bool keep_going;         /* measure every step even after a failure */
	bool realtime;           /* the loop at SCHED_FIFO priority (load_os.h) */
	struct load_slo slo;
};

void load_plan_init(struct load_plan *p);      /* the defaults */
void load_plan_cleanup(struct load_plan *p);

/* "5,10,20,50": each > 0 and ≤ 100000, increasing.  ST_USAGE naming the
 * bad item. */
int load_parse_rates(const char *s, struct load_plan *p, struct err *err);
/* "5..200x1.5": from, to, factor > 1: from, from·f, from·f², … ≤ to (and
 * `to` itself when the last step falls short of it by more than 1 %). */
int load_parse_ramp(const char *s, struct load_plan *p, struct err *err);
/* "60s", "1.5s", "500ms", "2m", or a plain number of seconds (> 0). */
int load_parse_duration(const char *s, double *seconds, struct err *err);
/* "p95<800ms,ttft_p99<2s,errors<1%": latency and time-to-first-token
 * quantiles (p50, p99.9, …) under a time, an error share under a
 * percentage.  ST_USAGE naming the bad clause. */
int load_parse_slo(const char *s, struct load_slo *out, struct err *err);

/* Asks a running load_run to stop at once; safe in a signal handler. */
void load_request_stop(void);

/* Runs the plan against the candidates provs[cands[i]] (i < n_cands)
 * serving s->providers[cands[i]].  Each candidate's steps run in turn;
 * its ramp stops at the first failing step unless plan->keep_going.
 * Requests, steps and the report are stored under run_id as they are
 * measured.  Returns 0 (also when interrupted or stopped by the budget:
 * see the report's "stopped") with *report owned, or an error (a prompt
 * that does not build, the store failing) — steps already measured stay
 * stored. */
int load_run(const struct suite *s, struct provider *const *provs,
	     const size_t *cands, size_t n_cands, const struct load_plan *plan,
	     struct store *st, int64_t run_id, json_t **report,
	     struct err *err);

/* Checks, before anything is stored or sent, that every candidate can be
 * load-tested: an HTTP provider, every prompt renders and builds, and a
 * --max-cost bound exists.  0 or the first error (with its location). */
int load_check(const struct suite *s, struct provider *const *provs,
	       const size_t *cands, size_t n_cands, const struct load_plan *plan,
	       struct err *err);

/* Writes a load report (from load_run or the store) as text. */
void load_print(const json_t *report, FILE *f);

/* 1 when the URL's host is loopback (localhost, 127.0.0.0/8, ::1). */
int load_url_is_loopback(const char *url);

#endif
