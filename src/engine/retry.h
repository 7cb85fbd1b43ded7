/* retry.h — when to retry a request and how long to wait.
 *
 * Retryable: HTTP 429, 408 and 5xx, timeouts, connection failures and
 * malformed or truncated bodies.  Other 4xx are the caller's mistake and
 * are not retried.  The wait is the server's hint when it gives one
 * (Retry-After in seconds or as an HTTP date, retry-after-ms,
 * x-ratelimit-reset-requests / -tokens durations such as "6m0s" or
 * "20ms"), else exponential backoff with full jitter:
 * uniform(0, min(cap, base · 2^attempt)). */
#ifndef ASSAY_RETRY_H
#define ASSAY_RETRY_H

#include <stdbool.h>
#include <stdint.h>

#include "../provider/response.h"

bool retry_is_retryable(enum resp_error e, int http_status);

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
