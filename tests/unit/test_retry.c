/* test_retry.c — retry decisions, server hints and backoff bounds. */
#include "t.h"
#include "../../src/engine/retry.h"

TEST(retry_which_errors_are_retried)
{
	T_ASSERT(retry_is_retryable(RESP_ERR_HTTP, 429));
	T_ASSERT(retry_is_retryable(RESP_ERR_HTTP, 408));
	T_ASSERT(retry_is_retryable(RESP_ERR_HTTP, 503));
	T_ASSERT(!retry_is_retryable(RESP_ERR_HTTP, 400));
	T_ASSERT(!retry_is_retryable(RESP_ERR_HTTP, 401));
	T_ASSERT(!retry_is_retryable(RESP_ERR_HTTP, 404));
	T_ASSERT(retry_is_retryable(RESP_ERR_TIMEOUT, 0));
	T_ASSERT(retry_is_retryable(RESP_ERR_CONNECT, 0));
	T_ASSERT(retry_is_retryable(RESP_ERR_BODY, 200));
	T_ASSERT(!retry_is_retryable(RESP_OK, 200));
	T_ASSERT(!retry_is_retryable(RESP_ERR_EXEC, 0));
}

TEST(retry_durations_in_openai_headers)
{
	T_EQ_INT(retry_parse_duration_ms("6m0s"), 360000);
	T_EQ_INT(retry_parse_duration_ms("20ms"), 20);
	T_EQ_INT(retry_parse_duration_ms("1.5s"), 1500);
	T_EQ_INT(retry_parse_duration_ms("1h2m3.5s"), 3723500);
	T_EQ_INT(retry_parse_duration_ms("2"), 2000);
	T_EQ_INT(retry_parse_duration_ms("abc"), -1);
	T_EQ_INT(retry_parse_duration_ms("5x"), -1);
	T_EQ_INT(retry_parse_duration_ms(""), -1);
}

TEST(retry_hints_from_headers)
{
	/* 2015-10-21 07:28:00 GMT = 1445412480 s (RFC 9110's example date). */
	double now = 1445412470.0 * 1000;
	T_EQ_INT(retry_hint_ms("Retry-After", "3", now), 3000);
	T_EQ_INT(retry_hint_ms("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT", now), 10000);
	T_EQ_INT(retry_hint_ms("retry-after-ms", "250", now), 250);
	T_EQ_INT(retry_hint_ms("x-ratelimit-reset-tokens", "1s", now), 1000);
	T_EQ_INT(retry_hint_ms("content-type", "3", now), -1);
	T_EQ_INT(retry_hint_ms("retry-after", "soon", now), -1);
}

TEST(retry_backoff_is_full_jitter_within_cap)
{
	uint64_t rng = 42;
	long max_seen = 0;
	for (int attempt = 0; attempt < 12; attempt++) {
		long ceil_ms = 500L << attempt;
		if (ceil_ms > 8000)
			ceil_ms = 8000;
		for (int i = 0; i < 200; i++) {
			long d = retry_backoff_ms(attempt, 500, 8000, &rng);
			T_ASSERT(d >= 0 && d <= ceil_ms);
			if (d > max_seen)
				max_seen = d;
		}
	}
	/* With 2,400 draws the largest comes near the cap. */
	T_ASSERT(max_seen > 7000);
}

TEST(retry_aimd_halves_once_per_window_and_recovers)
{
	struct aimd a;
	aimd_init(&a, 16);
	T_EQ_INT((int)a.limit, 16);
	aimd_throttled(&a, 1000);
	T_EQ_INT((int)a.limit, 8);
	aimd_throttled(&a, 1500);      /* same one-second window: one signal */
	T_EQ_INT((int)a.limit, 8);
	aimd_throttled(&a, 2100);
	T_EQ_INT((int)a.limit, 4);
	for (int i = 0; i < 4; i++)    /* a run as long as the limit: +1 */
		aimd_success(&a);
	T_EQ_INT((int)a.limit, 5);
	for (int i = 0; i < 1000; i++)
		aimd_success(&a);
	T_EQ_INT((int)a.limit, 16);    /* never above the maximum */
	for (int t = 0; t < 10; t++)
		aimd_throttled(&a, 10000.0 + 2000.0 * t);
	T_EQ_INT((int)a.limit, 1);     /* never below one */
}

static struct response http_err(int status, const char *type)
{
	struct response r;
	response_init(&r);
	r.error = RESP_ERR_HTTP;
	r.http_status = status;
	r.error_type = (char *)type;   /* borrowed: not cleaned up */
	return r;
}

/* "Unavailable" (a loading model) has its own budget of total wait past
 * max_retries; other errors stop at max_retries; 0 retries means none. */
TEST(retry_unavailable_has_its_own_budget)
{
	struct response load = http_err(503, "unavailable_error");
	struct response over = http_err(529, NULL);
	struct response stream = http_err(500, "unavailable_error");
	struct response s500 = http_err(500, "server_error");
	struct response s400 = http_err(400, "invalid_request_error");
	T_ASSERT(retry_is_unavailable(&load));
	T_ASSERT(retry_is_unavailable(&over));
	T_ASSERT(retry_is_unavailable(&stream));
	T_ASSERT(!retry_is_unavailable(&s500));
	T_ASSERT(retry_again(&s500, 3, 0, 4, 60000));
	T_ASSERT(!retry_again(&s500, 4, 0, 4, 60000));
	T_ASSERT(retry_again(&load, 4, 59000, 4, 60000));
	T_ASSERT(retry_again(&load, 40, 59999, 4, 60000));
	T_ASSERT(!retry_again(&load, 5, 60000, 4, 60000));
	T_ASSERT(!retry_again(&load, 4, 100, 4, 0));      /* budget off */
	T_ASSERT(!retry_again(&load, 0, 0, 0, 60000));    /* no retries */
	T_ASSERT(!retry_again(&s400, 0, 0, 4, 60000));
}

/* Two runs (or the same run id at another moment) get other jitter. */
TEST(retry_jitter_seed_differs_per_run)
{
	uint64_t a = retry_jitter_seed(1, 1e12, 100);
	uint64_t b = retry_jitter_seed(2, 1e12, 100);
	uint64_t c = retry_jitter_seed(1, 1e12 + 1, 100);
	uint64_t d = retry_jitter_seed(1, 1e12, 101);
	uint64_t ra = a, rb = b;
	int same = 0;
	T_ASSERT(a != b && a != c && a != d && b != c);
	T_ASSERT(a == retry_jitter_seed(1, 1e12, 100));
	for (int i = 0; i < 20; i++)
		same += retry_backoff_ms(5, 500, 30000, &ra) ==
			retry_backoff_ms(5, 500, 30000, &rb);
	T_ASSERT(same < 3);
}
