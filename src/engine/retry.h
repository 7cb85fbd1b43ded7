/* retry.h — when to retry a request and how long to wait.
 *
 * Retryable: HTTP 429, 408 and 5xx, timeouts, connection failures and
 * malformed or truncated bodies.  Other 4xx are the caller's mistake and
 * are not retried.  The wait is the server's hint when it gives one
 * (Retry-After in seconds or as an HTTP date, retry-after-ms,
 * x-ratelimit-reset-requests / -tokens durations such as "6m0s" or
 * "20ms"), else exponential backoff with full jitter:
 * uniform(0, min(cap, base · 2^attempt)).
 *
 * A server that is "unavailable" — HTTP 503 or 529, or an error whose
 * type says so (llama-server's "Loading model" unavailable_error,
 * Anthropic's overloaded_error) — is typically loading a model, which
 * takes longer than the default retries last (4 retries of ≤ 0.5–8 s).
 * Such errors get their own budget: retried, past max_retries, for as long
 * as the total wait stays under `unavailable_wait_ms` (default 60 s).
 * max_retries 0 still means no retries at all.
 *
 * The jitter's generator is seeded per run (retry_jitter_seed), so
 * concurrent runs against one server do not retry in lockstep. */
#ifndef ASSAY_RETRY_H
#define ASSAY_RETRY_H

#include <stdbool.h>
#include <stdint.h>

#include "../provider/response.h"

bool retry_is_retryable(enum resp_error e, int http_status);

/* True for an "unavailable" error (see above). */
bool retry_is_unavailable(const struct response *resp);

/* Whether to try again after `attempts` retries so far that waited
 * `waited_ms` in all: a retryable error while attempts < max_retries, or
 * an unavailable one while waited_ms < unavailable_ms (max_retries > 0). */
bool retry_again(const struct response *resp, int attempts, double waited_ms,
		 int max_retries, long unavailable_ms);

/* The seed of a run's jitter generator: mixes the run's id with the
 * clock and the process id, so that two runs never share a sequence. */
uint64_t retry_jitter_seed(int64_t run_id, double now_ms, long pid);

/* The wait a response header asks for, in ms, or -1 when `name` is not a
 * retry hint or `value` does not parse.  `now_ms` (wall clock) is needed
 * for HTTP dates. Names compare case-insensitively. */
long retry_hint_ms(const char *name, const char *value, double now_ms);

/* Full-jitter exponential backoff for attempt ≥ 0 (0 = first retry). */
long retry_backoff_ms(int attempt, long base_ms, long cap_ms, uint64_t *rng);

/* A Go-style duration ("1h2m3.5s", "20ms", "1.5s", "0s") in ms, or -1. */
long retry_parse_duration_ms(const char *s);

/* Adaptive concurrency for one provider (AIMD): a 429 halves the limit —
 * at most once a second, since a burst of 429s from one window is one
 * signal — and every run of successes as long as the limit adds one back,
 * up to `max`. */
struct aimd {
	double limit;
	int max;
	int streak;
	double last_decrease;   /* ms, monotonic */
};

void aimd_init(struct aimd *a, int max);
void aimd_success(struct aimd *a);
void aimd_throttled(struct aimd *a, double now_ms);

#endif
