/* store.h — the front door of storage: runs and their results in SQLite.
 *
 * Writes: `store_run_begin` records the run, its (sanitized) suite, the
 * providers, prompts and test cases; each finished result is handed to
 * `store_result_put` as soon as it is graded.  Puts are batched into a
 * transaction that commits every 256 results or 250 ms, so a killed run
 * keeps everything committed and memory does not grow with the number of
 * cases.  `store_run_end` commits and marks the run finished.
 *
 * Reads: run lookup (`latest`, an id, `label:NAME`), run records and
 * listing, and the rows the reports need (runs, cases, results streamed
 * through a callback, assertion rows, per-group aggregates); reports hold
 * no SQL.  The schema is in docs/storage.md.
 *
 * Ownership: the store copies what it needs; callers keep their pointers.
 * A store handle is used by one thread at a time. */
#ifndef ASSAY_STORE_H
#define ASSAY_STORE_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

#include "../util/err.h"
#include "../suite/suite.h"
#include "../provider/response.h"
#include "../score/score.h"

struct store;  /* opaque */

/* Opens (creating parent directories, the file and the schema when
 * missing) the SQLite database at path. */
int store_open(const char *path, struct store **out, struct err *err);

/* Opens the database at path only if it exists (the read-only commands:
 * show, stats, report, export, runs, delete, compare); otherwise ST_IO
 * "no database at PATH (use --db PATH, …)" naming the other ways to
 * choose one (settings.h), and *out NULL. */
int store_open_existing(const char *path, struct store **out, struct err *err);

/* Commits pending writes and closes; store_close(NULL) does nothing. */
void store_close(struct store *st);

/* Starts a run: stores the sanitized suite, providers, prompts and tests.
 * `repeat` is the number of repeats per case. Sets *run_id. */
int store_run_begin(struct store *st, const struct suite *s,
		    const char *description, int repeat, int64_t *run_id,
		    struct err *err);

/* What a run records beyond the suite (docs/storage.md, runs). */
struct store_run_meta {
	const char *description;  /* NULL: the suite's */
	const char *label;        /* --label, or NULL */
	const char *config_json;  /* resolved options as JSON (secrets are
				   * stripped again here), or NULL */
	const char *git_commit;   /* or NULL */
	int repeat;
};

/* Like store_run_begin with the run record's extra fields; also records
 * the content keys of every case and the suite's content hash, this host
 * and this process (the heartbeat that tells a killed run apart). */
int store_run_begin_meta(struct store *st, const struct suite *s,
			 const struct store_run_meta *m, int64_t *run_id,
			 struct err *err);

/* Like store_run_begin_meta, but when want_id > 0 the run gets that id,
 * and if a run with that id exists already nothing is created: *joined
 * is set and *run_id = want_id (the caller then checks the suite and
 * calls store_run_reopen).  The check and the insert happen under the
 * write lock, so concurrent shards agree on who created the run. */
int store_run_begin_or_join(struct store *st, const struct suite *s,
			    const struct store_run_meta *m, int64_t want_id,
			    int64_t *run_id, bool *joined, struct err *err);

/* The shard (1..n) an item key belongs to: its first 8 hex digits as a
 * number, mod n, plus 1.  Deterministic across machines. */
unsigned store_key_shard(const char *item_key, unsigned n);

/* Makes run_id the run this process writes (a resumed run): status back
 * to `running`, this pid and host, a fresh heartbeat. */
int store_run_reopen(struct store *st, const struct suite *s,
		     int64_t run_id, struct err *err);

/* Content keys (store_keys.c).  Built from a loaded suite; strings are
 * 64 hex digits owned by the keys. */
struct store_keys;
struct store_keys *store_keys_new(const struct suite *s);
void store_keys_free(struct store_keys *k);
const char *store_keys_case(const struct store_keys *k, size_t test_idx);
const char *store_keys_case_hash(const struct store_keys *k, size_t test_idx);
const char *store_keys_provider(const struct store_keys *k, size_t prov_idx);
const char *store_keys_suite(const struct store_keys *k);
void store_keys_item(const struct store_keys *k, size_t test_idx,
		     size_t prompt_idx, size_t prov_idx, int repeat,
		     char out[65]);
/* The test's user `id` (a string or integer in its metadata), or NULL;
 * buf holds an integer's text. */
const char *store_case_user_id(const struct test_case *t, char buf[32]);

/* The item keys stored for a run and their state: calls cb per result
 * with state 1 (a response, graded or not) or 2 (an infrastructure
 * error). */
int store_item_states_each(struct store *st, int64_t run_id,
			   int (*cb)(void *ud, size_t test_idx,
				     size_t prompt_idx, size_t prov_idx,
				     int repeat, const char *item_key,
				     int state),
			   void *ud, struct err *err);

/* Imports a run bundle (`assay export RUN -o FILE.assay`) as a new run;
 * sets *run_id.  The file is checked line by line; on any error (ST_INPUT
 * naming file:line, ST_IO, ST_DB) nothing is stored. */
int store_import(struct store *st, const char *path, int64_t *run_id,
		 struct err *err);

/* Merges a bundle's results into the existing run `into` (shards run on
 * other machines): the bundle must hold the same suite (content hash and
 * sizes); items the run already holds are kept and counted in *skipped,
 * the others added (*merged).  All or nothing, like store_import. */
int store_import_into(struct store *st, const char *path, int64_t into,
		      int64_t *run_id, long *merged, long *skipped,
		      struct err *err);

/* Deletes a run and everything stored for it.  ST_DB when none. */
int store_run_delete(struct store *st, int64_t run_id, struct err *err);

/* How long a write waits for another process's lock before each retry
 * (default 5000 ms).  A locked database never fails a put: the store
 * keeps retrying (noting it on stderr) for up to STORE_LOCK_GIVE_UP_MS. */
void store_set_busy_timeout(struct store *st, int ms);
#define STORE_LOCK_GIVE_UP_MS 600000.0

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

/* Commits the open batch (and stamps the live run's heartbeat every
 * 2 s).  Call it once per pass of an event loop, before waiting: results
 * in hand are then durable while the process sleeps, and a kill -9 loses
 * only the results of the current pass.  With a writer thread it also
 * returns the writer's failure, if any, and empties its wake-up fd. */
int store_tick(struct store *st, struct err *err);

/* A writer thread for the results (store_writer.c): from start to stop,
 * store_result_put copies the result and hands it over; the thread writes
 * what it has been handed in one transaction and commits it, while the
 * caller goes on.  The caller's other store calls wait for the writer
 * where they need its rows (reads, store_commit) and share the
 * connection otherwise (the cache, store_tick); they must all come from
 * the thread that started the writer.  A write that fails is reported by
 * the next store_tick, store_commit or store_writer_stop, and the writer
 * then drops what it is handed.
 *
 * store_uncommitted: results handed over and not yet committed (written
 * or dropped).  A caller that counts them against its concurrency keeps
 * today's kill -9 promise: what is lost is at most that many results plus
 * the requests in flight.  store_writer_fd: readable after each commit,
 * to wake an event loop (store_tick empties it); -1 without a writer.
 * start: 0, or ST_INTERNAL when no thread could be made (the store then
 * writes synchronously, as before).  stop: writes and commits the rest,
 * ends the thread; its failure, or 0.  Both do nothing when there is
 * nothing to do. */
int store_writer_start(struct store *st, struct err *err);
int store_writer_stop(struct store *st, struct err *err);
long store_uncommitted(const struct store *st);
int store_writer_fd(const struct store *st);
/* The caller is about to sleep: the writer commits what it holds now
 * rather than wait for more (nothing without a writer). */
void store_writer_idle(struct store *st);

/* Commits and records the end of the run with status "done",
 * "interrupted" or "error". */
int store_run_end(struct store *st, int64_t run_id, const char *status,
		  struct err *err);

/* Resolves "latest", a decimal id (optionally "#id") or "label:NAME"
 * (the newest run with that label) to an existing run id.  "latest~N"
 * is the Nth run before the latest. */
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
 * the current batch (with a writer thread: its queue, written with the
 * results).  get sets *response to an owned copy, or NULL on a miss; with
 * a writer on SQLite it reads on a connection of its own and sees only
 * committed entries. */
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

/* Turns a stored result into a grading error (assay's grader or a judge
 * failed, not the model): error "other" with message "grading failed:
 * <why>", no pass, score or assertion rows; the output stays.  Nothing
 * happens when there is no such result. */
int store_result_grading_error(struct store *st, int64_t run_id,
			       size_t test_idx, size_t prompt_idx,
			       size_t provider_idx, int repeat,
			       const char *why, struct err *err);

/* ------------------------------------------------------------ reads
 *
 * Every read commits the open batch first, so it sees what was put.
 * Rows handed to a callback live until the callback returns (copy what
 * you keep).  A callback returning non-zero stops the walk and that
 * value is returned.  Unknown numbers are NAN (reals) or -1 (counts);
 * unknown texts NULL. */

/* One run's record. */
struct store_run {
	int64_t id;
	char *created_at, *finished_at, *status; /* finished_at may be NULL */
	char *description, *label, *suite_path, *suite_json, *assay_version;
	char *suite_hash;   /* SHA-256 of the suite's content (work-relevant) */
	char *config_json;  /* the resolved run configuration, secrets removed */
	char *git_commit;   /* HEAD of the suite's git checkout, or NULL */
	char *host;
	int repeat;
	long n_cases, n_prompts, n_providers;
	long n_results, n_errors; /* stored so far */
	long pid;           /* the writing process while running, else -1 */
	char *heartbeat_at; /* its last sign of life, or NULL */
};

/* Fills *out for run_id (owned strings; store_run_free releases).  A run
 * whose status is `running` but whose writer is gone (no heartbeat for
 * STORE_STALE_MS, or its pid is dead on this host) reads as
 * `interrupted`.  ST_DB when there is no such run. */
int store_run_get(struct store *st, int64_t run_id, struct store_run *out,
		  struct err *err);
void store_run_free(struct store_run *r);
/* The same without n_results and n_errors (both -1): no read of the
 * run's results, for callers that need the run's record only. */
int store_run_get_brief(struct store *st, int64_t run_id,
			struct store_run *out, struct err *err);
/* The run's result count and its highest result id (0 when none), read
 * from the results' index: a cheap sign that the results changed (a new
 * result gets a new id; so does a replaced one, deleted and inserted
 * again, unless it held the database's highest id — then only the run's
 * status, `running` while it is written, tells). */
int store_run_results_key(struct store *st, int64_t run_id, long *n,
			  int64_t *max_id, struct err *err);

#define STORE_STALE_MS 30000.0

/* Lets this handle keep up to kib KiB of the database's pages in memory
 * (SQLite's page cache; a no-op on PostgreSQL), for a reader that walks
 * the same run's results several times (`assay view`).  0 or ST_DB. */
int store_read_cache(struct store *st, long kib, struct err *err);

/* Every run, newest first, at most `limit` (0 = all). */
int store_runs_each(struct store *st, size_t limit,
		    int (*cb)(void *ud, const struct store_run *r), void *ud,
		    struct err *err);
/* The same without the counts (n_results, n_errors -1), as
 * store_run_get_brief. */
int store_runs_each_brief(struct store *st, size_t limit,
			  int (*cb)(void *ud, const struct store_run *r),
			  void *ud, struct err *err);

/* One prompt or provider of a run. */
struct store_prompt { size_t idx; const char *label, *raw; bool is_chat; };
struct store_provider {
	size_t idx;
	const char *id, *label, *config_json;
	const char *key;   /* store_keys_provider (NULL before v3) */
};
int store_prompts_each(struct store *st, int64_t run_id,
		       int (*cb)(void *ud, const struct store_prompt *p),
		       void *ud, struct err *err);
int store_providers_each(struct store *st, int64_t run_id,
			 int (*cb)(void *ud, const struct store_provider *p),
			 void *ud, struct err *err);

/* One test case of a run, in suite order. */
struct store_case {
	size_t idx;
	const char *description, *vars_json, *metadata_json;
	const char *case_key;  /* identity of the test (NULL before v3) */
	const char *case_hash; /* its content hash (NULL before v3) */
	long n_asserts;
};
int store_cases_each(struct store *st, int64_t run_id,
		     int (*cb)(void *ud, const struct store_case *c), void *ud,
		     struct err *err);

/* One stored result joined with its case, prompt and provider, streamed
 * in (case, prompt, provider, repeat) order; memory does not grow with
 * the number of results. */
struct store_result {
	int64_t id;
	size_t case_idx, prompt_idx, provider_idx;
	int repeat;
	const char *item_key;
	const char *case_description, *vars_json, *metadata_json;
	const char *prompt_label, *provider_id, *provider_label;
	const char *prompt_text, *output, *error_kind, *error_msg;
	const char *finish_reason, *started_at, *reason, *named_json;
	const char *served_model;       /* the model the server named */
	long http_status;               /* -1 when none */
	int pass;                       /* 1, 0, or -1 (error / ungraded) */
	double score, latency_ms, ttft_ms, cost_usd, retry_wait_ms;
	double judge_cost_usd, judge_latency_ms, confidence;
	long prompt_tokens, completion_tokens, total_tokens;
	long retries, judge_calls;
	bool cached;
};
int store_results_each(struct store *st, int64_t run_id,
		       int (*cb)(void *ud, const struct store_result *r),
		       void *ud, struct err *err);

/* The assertion rows of one result (by store_result.id), in order. */
struct store_assert {
	size_t idx;
	const char *type, *reason, *metric;
	bool pass;
	double score, weight, severity;   /* NAN when unknown */
};
int store_asserts_each(struct store *st, int64_t result_id,
		       int (*cb)(void *ud, const struct store_assert *a),
		       void *ud, struct err *err);

/* Per provider × prompt aggregates of a run (provider order, then prompt
 * order; groups without results have n == 0). */
struct store_group {
	size_t provider_idx, prompt_idx;
	const char *provider_id, *provider_label, *prompt_label;
	long n, passes, fails, errors;      /* errors: every error result */
	long grade_errors;                  /* of errors: grading errors
					     * ("grading failed: ...") */
	double mean_score;                  /* over graded results; NAN */
	long prompt_tokens, completion_tokens;
	double cost_usd;
};
int store_groups_each(struct store *st, int64_t run_id,
		      int (*cb)(void *ud, const struct store_group *g),
		      void *ud, struct err *err);

/* Whether a run's pass-rate intervals may need more than Wilson over each
 * group's counts: *out is true when some result has repeat > 0 (a case
 * graded more than once per candidate) or some case's metadata mentions
 * "cluster" (a conservative text test: a false true only costs the full
 * load).  When false, every candidate has at most one graded result per
 * case and no clusters, so the interval is Wilson(passes, graded). */
int store_run_has_design(struct store *st, int64_t run_id, bool *out,
			 struct err *err);

/* The latencies of a group's successful, non-cached results, ascending,
 * into *out (owned; NULL when none). */
int store_group_latencies(struct store *st, int64_t run_id,
			  size_t provider_idx, size_t prompt_idx, double **out,
			  size_t *n, struct err *err);

/* The same values' quantiles qs[0 … nq) (nq <= 2) into out, exact as
 * stats_quantile_sorted over them, and their count into *n, in bounded
 * memory (store_quantile.c); NaN when there are none. */
int store_group_latency_quantiles(struct store *st, int64_t run_id,
				  size_t provider_idx, size_t prompt_idx,
				  const double *qs, size_t nq, double *out,
				  size_t *n, struct err *err);

/* The mean and the sum of each named metric per group over graded
 * results. */
int store_group_metrics_each(struct store *st, int64_t run_id,
			     int (*cb)(void *ud, size_t provider_idx,
				       size_t prompt_idx, const char *metric,
				       double mean, double sum),
			     void *ud, struct err *err);

/* ------------------------------------------------ reads for statistics */

/* What the statistics need of one stored result (store_figures_each). */
struct store_figures {
	size_t provider_idx, prompt_idx, case_idx;
	int repeat;
	int pass;             /* 1, 0, or -1 (NULL: error or ungraded) */
	int error;            /* 0 none, 1 infrastructure error, 2 grading
			       * error ("grading failed: …") */
	double score, latency_ms, ttft_ms, cost_usd;  /* NAN when unknown */
	double judge_cost_usd, confidence;            /* NAN when unknown */
	long prompt_tokens, completion_tokens;        /* -1 when unknown */
	long retries;                                 /* -1 when unknown */
	bool cached;
	const char *named_json;  /* named scores (JSON object), or NULL */
	/* With STORE_FIG_OUTPUT: the output and its length in bytes (NULL
	 * without the flag, or when there is none). */
	const char *output;
	size_t output_len;
	/* With STORE_FIG_SEVERITY, for a failed result (pass 0): the highest
	 * severity of its failing assertions (NAN when none has one) and how
	 * many of them have none; otherwise NAN and -1. */
	double fail_severity;
	long fail_unrated;
};
/* STORE_FIG_CASE_ORDER: stream in (case, prompt, provider, repeat) order
 * instead — the results' unique index, so SQLite sorts nothing; each
 * provider × prompt's rows still come in (case, repeat) order. */
enum { STORE_FIG_OUTPUT = 1, STORE_FIG_SEVERITY = 2, STORE_FIG_CASE_ORDER = 4 };

/* Streams a run's results in (provider, prompt, case, repeat) order
 * (see STORE_FIG_CASE_ORDER); `flags` (STORE_FIG_*) asks for the costlier
 * columns. */
int store_figures_each(struct store *st, int64_t run_id, unsigned flags,
		       int (*cb)(void *ud, const struct store_figures *f),
		       void *ud, struct err *err);

/* Sets *any to whether some assertion row of the run carries a
 * severity. */
int store_run_has_severity(struct store *st, int64_t run_id, bool *any,
			   struct err *err);

/* How often each assertion (type, metric) failed, per provider × prompt:
 * in provider, prompt order, then most failures first (ties by type and
 * metric).  `metric` may be NULL; `type` is never NULL ("?" when the row
 * has none). */
int store_assert_fails_each(struct store *st, int64_t run_id,
			    int (*cb)(void *ud, size_t provider_idx,
				      size_t prompt_idx, const char *type,
				      const char *metric, long fails,
				      long total),
			    void *ud, struct err *err);

/* The same, and *any_severity set to whether some assertion row of the
 * run carries a severity (store_run_has_severity's answer, from the same
 * walk over the run's assertions). */
int store_assert_fails_sev_each(struct store *st, int64_t run_id,
				int (*cb)(void *ud, size_t provider_idx,
					  size_t prompt_idx, const char *type,
					  const char *metric, long fails,
					  long total),
				void *ud, bool *any_severity, struct err *err);

#endif
