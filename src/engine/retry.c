/* retry.c — retry decisions and waits (see retry.h). */
#include "retry.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

bool retry_is_retryable(enum resp_error e, int http_status)
{
	switch (e) {
	case RESP_OK:
		return false;
	case RESP_ERR_HTTP:
		return http_status == 429 || http_status == 408 ||
		       http_status >= 500;
	case RESP_ERR_CONNECT:
	case RESP_ERR_TIMEOUT:
	case RESP_ERR_BODY:
		return true;
	case RESP_ERR_EXEC:
	case RESP_ERR_OTHER:
		break;
	}
	return false;
}

bool retry_is_unavailable(const struct response *resp)
{
	const char *t = resp->error_type;
	if (resp->error != RESP_ERR_HTTP)
		return false;
	if (resp->http_status == 503 || resp->http_status == 529)
		return true;
	return t && (!strcmp(t, "unavailable_error") ||
		     !strcmp(t, "ServiceUnavailableError") ||
		     !strcmp(t, "overloaded_error"));
}

bool retry_again(const struct response *resp, int attempts, double waited_ms,
		 int max_retries, long unavailable_ms)
{
	if (!retry_is_retryable(resp->error, resp->http_status) &&
	    !retry_is_unavailable(resp))
		return false;
	if (attempts < max_retries)
		return true;
	return max_retries > 0 && retry_is_unavailable(resp) &&
	       waited_ms < (double)unavailable_ms;
}

long retry_parse_duration_ms(const char *s)
{
	double total = 0;
	int parts = 0;
	while (*s == ' ')
		s++;
	while (*s) {
		char *end;
		double v = strtod(s, &end);
		double unit;
		if (end == s || v < 0)
			return -1;
		s = end;
		if (!strncmp(s, "ms", 2)) {
			unit = 1;
			s += 2;
		} else if (*s == 's') {
			unit = 1000;
			s++;
		} else if (*s == 'm') {
			unit = 60000;
			s++;
		} else if (*s == 'h') {
			unit = 3600000;
			s++;
		} else if (*s == '\0' && parts == 0) {
			unit = 1000; /* a bare number: seconds */
		} else {
			return -1;
		}
		total += v * unit;
		parts++;
		while (*s == ' ')
			s++;
	}
	if (!parts || total > 86400000.0)
		return -1;
	return (long)(total + 0.5);
}

long retry_hint_ms(const char *name, const char *value, double now_ms)
{
	char *end;
	if (!strcasecmp(name, "retry-after-ms")) {
		double v = strtod(value, &end);
		return end != value && v >= 0 && v < 86400000.0 ? (long)v : -1;
	}
	if (!strcasecmp(name, "retry-after")) {
		long v = strtol(value, &end, 10);
		time_t t;
		while (*end == ' ')
			end++;
		if (end != value && *end == '\0')
			return v >= 0 && v <= 86400 ? v * 1000 : -1;
		t = curl_getdate(value, NULL); /* an HTTP date */
		if (t < 0)
			return -1;
		{
			double d = (double)t * 1000.0 - now_ms;
			return d < 0 ? 0 : d > 86400000.0 ? -1 : (long)d;
		}
	}
	if (!strcasecmp(name, "x-ratelimit-reset-requests") ||
	    !strcasecmp(name, "x-ratelimit-reset-tokens"))
		return retry_parse_duration_ms(value);
	return -1;
}

/* splitmix64: a tiny, well-known generator; jitter needs no more. */
static uint64_t next_u64(uint64_t *x)
{
	uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

uint64_t retry_jitter_seed(int64_t run_id, double now_ms, long pid)
{
	uint64_t x = (uint64_t)run_id * 0x9E3779B97F4A7C15ULL;
	x ^= (uint64_t)(now_ms * 1000.0);
	x = next_u64(&x);
	x ^= (uint64_t)pid << 32;
	return next_u64(&x);
}

long retry_backoff_ms(int attempt, long base_ms, long cap_ms, uint64_t *rng)
{
	double ceil_ms = (double)base_ms;
	for (int i = 0; i < attempt && ceil_ms < (double)cap_ms; i++)
		ceil_ms *= 2;
	if (ceil_ms > (double)cap_ms)
		ceil_ms = (double)cap_ms;
	return (long)((double)(next_u64(rng) >> 11) / 9007199254740992.0 *
		      ceil_ms);
}

void aimd_init(struct aimd *a, int max)
{
	a->max = max < 1 ? 1 : max;
	a->limit = a->max;
	a->streak = 0;
	a->last_decrease = -1e18;
}

void aimd_success(struct aimd *a)
{
	if (++a->streak >= (int)a->limit && a->limit < a->max) {
		a->limit += 1;
		a->streak = 0;
	}
}

void aimd_throttled(struct aimd *a, double now_ms)
{
	if (now_ms - a->last_decrease > 1000) {
		a->limit = a->limit / 2 < 1 ? 1 : (double)(long)(a->limit / 2);
		a->last_decrease = now_ms;
		a->streak = 0;
	}
}
