/* store_load.h — load runs in the store (an addition beside store.h,
 * sharing its database handle): the report, its steps with histograms, and
 * one row per request with its intended and actual send times.  Tables
 * load_reports, load_steps, load_requests (docs/storage.md).
 *
 * Request rows are batched in their own transaction, committed by
 * store_load_commit (and every 250 ms by store_load_tick); reports and
 * steps are written at once.  A load run is an ordinary `runs` row
 * (store_run_begin) plus these rows.  The store copies what it needs. */
#ifndef ASSAY_STORE_LOAD_H
#define ASSAY_STORE_LOAD_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

#include "store.h"

struct load_request_rec {
	size_t provider_idx, step, test_idx, prompt_idx;
	long seq;                   /* per candidate, across steps */
	double intended_ms;         /* offsets from the step's start */
	double sent_ms;
	double done_ms;             /* -1: never answered */
	double latency_ms, ttft_ms; /* from the intended send; -1 unknown */
	int http_status;
	const char *error;          /* resp_error_name, "unfinished"; NULL ok */
	int pass;                   /* 1, 0, or -1 not graded */
	long tokens_out;            /* -1 unknown */
	double cost_usd;            /* -1 unknown */
};

int store_load_request_put(struct store *st, int64_t run_id,
			   const struct load_request_rec *r, struct err *err);
int store_load_tick(struct store *st, struct err *err);
int store_load_commit(struct store *st, struct err *err);

/* One measured step: its figures (JSON object, stored as text) and the
 * latency histogram (JSON). Replaces a row with the same key. */
int store_load_step_put(struct store *st, int64_t run_id, size_t provider_idx,
			size_t step, const json_t *figures, const json_t *hist,
			struct err *err);

/* The whole report (rewritten after every step). */
int store_load_report_put(struct store *st, int64_t run_id,
			  const json_t *report, struct err *err);

/* The stored report of run_id (owned), or *report NULL when run_id is not
 * a load run. */
int store_load_report_get(struct store *st, int64_t run_id, json_t **report,
			  struct err *err);

/* Commits and releases the statements held for st's database; call before
 * store_close.  Safe to call when nothing was written. */
void store_load_close(struct store *st);

#endif
