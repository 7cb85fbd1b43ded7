/* store.h — the front door of storage: runs and their results in SQLite.
 *
 * Writes: `store_run_begin` records the run, its (sanitized) suite, the
 * providers, prompts and test cases; each finished result is handed to
 * `store_result_put` as soon as it is graded.  Puts are batched into a
 * transaction that commits every 256 results or 250 ms, so a killed run
 * keeps everything committed and memory does not grow with the number of
 * cases.  `store_run_end` commits and marks the run finished.
 *
 * Reads: run lookup (`latest` or an id) and the queries the reports need
 * (see report.h); the schema is in docs/storage.md.
 *
 * Ownership: the store copies what it needs; callers keep their pointers.
 * A store handle is used by one thread at a time. */
#ifndef ASSAY_STORE_H
#define ASSAY_STORE_H

#include <stdint.h>
#include <stddef.h>

#include "../util/err.h"
#include "../suite/suite.h"
#include "../provider/response.h"
#include "../score/score.h"

struct store;  /* opaque */

/* Opens (creating parent directories, the file and the schema when
 * missing) the SQLite database at path. */
int store_open(const char *path, struct store **out, struct err *err);

/* Commits pending writes and closes; store_close(NULL) does nothing. */
void store_close(struct store *st);

/* Starts a run: stores the sanitized suite, providers, prompts and tests.
 * `repeat` is the number of repeats per case. Sets *run_id. */
int store_run_begin(struct store *st, const struct suite *s,
		    const char *description, int repeat, int64_t *run_id,
		    struct err *err);

/* One finished work item. `grade` is NULL when resp->error != RESP_OK. */
struct result_rec {
	size_t test_idx, prompt_idx, provider_idx;
	int repeat;
	const char *rendered_prompt;
	const struct response *resp;
	const struct grade *grade;
	double started_ms;          /* wall clock, ms since epoch */
	int judge_calls;            /* model-graded assertions: calls made */
	double judge_cost_usd;      /* their cost, apart from the candidate's */
	double judge_latency_ms;    /* their summed latency */
};

int store_result_put(struct store *st, int64_t run_id,
		     const struct result_rec *r, struct err *err);

/* Commits the open batch now. */
int store_commit(struct store *st, struct err *err);

/* Commits the open batch when the last commit is 250 ms old or more.
 * Puts check this themselves; call it from an idle loop so a result that
 * arrives just before a long quiet spell is not left uncommitted. */
int store_tick(struct store *st, struct err *err);

/* Commits and records the end of the run with status "done",
 * "interrupted" or "error". */
int store_run_end(struct store *st, int64_t run_id, const char *status,
		  struct err *err);

/* Resolves "latest" or a decimal id to an existing run id. */
int store_resolve_run(struct store *st, const char *ref, int64_t *run_id,
		      struct err *err);

/* Removes, in place and recursively, every object member whose name looks
 * like a secret (contains key, token, secret, password, passwd, auth,
 * credential or cookie — numeric "*tokens" limits are kept) and every
 * string value that is a "Bearer …"/"Basic …" credential.  Applied to all
 * JSON the store writes that comes from the suite. */
void store_json_strip_secrets(json_t *j);

/* Resume support: what is stored for one work item.  Sets *state to 0
 * (nothing stored), 1 (a response, graded or not) or 2 (an
 * infrastructure error, worth retrying). */
int store_result_state(struct store *st, int64_t run_id, size_t test_idx,
		       size_t prompt_idx, size_t provider_idx, int repeat,
		       int *state, struct err *err);

/* Response cache keyed by a request hash.  `body` is the request body
 * as sent (it must not hold credentials: they travel in headers, which
 * are not stored) and `response` the provider's raw answer.  Puts join
 * the current batch.  get sets *response to an owned copy, or NULL on a
 * miss. */
int store_cache_put(struct store *st, const char *key, const char *provider_id,
		    const char *body, const char *response, struct err *err);
int store_cache_get(struct store *st, const char *key, char **response,
		    struct err *err);

/* Comparisons (select-best, compare) are graded after the main pass from
 * the stored outputs of one case × prompt × repeat. */

/* outputs[i] (i < n_providers) = provider i's stored output (owned), or
 * NULL when it has none (an error, or not run). */
int store_case_outputs(struct store *st, int64_t run_id, size_t test_idx,
		       size_t prompt_idx, int repeat, size_t n_providers,
		       char **outputs, struct err *err);

/* The stored assertion outcomes of one result: out[i] for assertion i
 * (i < n; reasons owned, spec NULL).  *found is false when the result is
 * an error or missing. */
int store_result_outcomes(struct store *st, int64_t run_id, size_t test_idx,
			  size_t prompt_idx, size_t provider_idx, int repeat,
			  struct assert_outcome *out, size_t n, bool *found,
			  struct err *err);

/* Replaces a graded result's pass, score, reason, named scores and
 * assertion rows with grade g. */
int store_result_regrade(struct store *st, int64_t run_id, size_t test_idx,
			 size_t prompt_idx, size_t provider_idx, int repeat,
			 const struct grade *g, struct err *err);

/* The underlying sqlite3 handle, for the report queries (report/). */
struct sqlite3 *store_db(struct store *st);

#endif
