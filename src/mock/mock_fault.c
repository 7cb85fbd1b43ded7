/* mock_fault.c — fault injection for `assay mock`: the faults block
 * (its keys, checks and the --faults command-line syntax), the seeded
 * fault draw, and the per-prompt attempt counters that make it
 * reproducible.
 *
 * Why a counter per prompt.  The accuracy draw is a function of (seed,
 * model, prompt) so that a case always gets the same answer.  A fault
 * drawn the same way would hit the same case on every retry, and a client
 * retrying would never get through.  So the fault draw also takes the
 * attempt number: how many requests with the same (seed, model, prompt)
 * the server has seen before this one.  The k-th request for a prompt
 * then always meets the same fault, whatever the order in which
 * concurrent clients send their prompts, and with probabilities below 1
 * every prompt is eventually answered.
 *
 * The counters live in an open-addressing hash table under one mutex;
 * the table is only created when some fault has a probability above 0,
 * so the fault-free fast path never takes the lock. */
#include "mock_int.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

static const char *const fault_names[MOCK_FAULT_N] = {
	"rate_limit", "server_error", "unavailable", "reset", "stream_cut",
	"malformed", "wrong_content_type", "hang", "slow_stream",
	"stream_error", "bad_bytes", "redirect", "endless_stream",
};

void mock_faults_init(struct mock_faults *f)
{
	memset(f, 0, sizeof *f);
	f->retry_after_s = -1;
	f->retry_after_ms = -1;
	f->hang_ms = 30000;
	f->slow_stream_ms = 200;
}

const char *mock_fault_name(enum mock_fault_kind k)
{
	return k >= 0 && k < MOCK_FAULT_N ? fault_names[k] : NULL;
}

static int set_int(const char *key, const char *value, long lo, long hi,
		   int *out, char *why, size_t why_len)
{
	char *end;
	long v;
	errno = 0;
	v = strtol(value, &end, 10);
	if (end == value || *end || errno) {
		snprintf(why, why_len, "%s: expected a whole number, got '%s'",
			 key, value);
		return -1;
	}
	if (v < lo || v > hi) {
		snprintf(why, why_len, "%s: %ld is out of range %ld..%ld", key,
			 v, lo, hi);
		return -1;
	}
	*out = (int)v;
	return 0;
}

int mock_faults_set(struct mock_faults *f, const char *key, const char *value,
		    char *why, size_t why_len)
{
	f->set = 1;
	for (int k = 0; k < MOCK_FAULT_N; k++) {
		char *end;
		double v;
		if (strcmp(key, fault_names[k]))
			continue;
		v = strtod(value, &end);
		if (end == value || *end || v != v) {
			snprintf(why, why_len, "%s: expected a probability 0..1, got '%s'",
				 key, value);
			return -1;
		}
		if (v < 0 || v > 1) {
			snprintf(why, why_len, "%s: %g is out of range 0..1", key, v);
			return -1;
		}
		f->p[k] = v;
		return 0;
	}
	if (!strcmp(key, "retry_after"))
		return set_int(key, value, 0, 86400, &f->retry_after_s, why, why_len);
	if (!strcmp(key, "retry_after_ms"))
		return set_int(key, value, 0, 3600000, &f->retry_after_ms, why, why_len);
	if (!strcmp(key, "hang_ms"))
		return set_int(key, value, 0, 3600000, &f->hang_ms, why, why_len);
	if (!strcmp(key, "slow_stream_ms"))
		return set_int(key, value, 0, 600000, &f->slow_stream_ms, why, why_len);
	snprintf(why, why_len, "unknown fault '%s' (expected one of: rate_limit, "
		 "server_error, unavailable, reset, stream_cut, malformed, "
		 "wrong_content_type, hang, slow_stream, stream_error, bad_bytes, redirect, endless_stream, retry_after, "
		 "retry_after_ms, hang_ms, slow_stream_ms)", key);
	return -1;
}

int mock_faults_check(const struct mock_faults *f, char *why, size_t why_len)
{
	double sum = 0;
	for (int k = 0; k < MOCK_FAULT_N; k++)
		sum += f->p[k];
	if (sum > 1 + 1e-9) {
		snprintf(why, why_len, "the fault probabilities add up to %g, more "
			 "than 1 (each request meets at most one fault)", sum);
		return -1;
	}
	return 0;
}

int mock_faults_parse_spec(const char *spec, struct mock_faults *f,
			   struct err *err)
{
	char *copy = xstrdup(spec), *save = NULL, *item;
	char why[512];
	int rc = 0;
	mock_faults_init(f);
	f->set = 1;
	for (item = strtok_r(copy, ",", &save); item;
	     item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '=');
		while (*item == ' ')
			item++;
		if (!*item)
			continue;
		if (!eq) {
			rc = err_set(err, ST_USAGE, "--faults: '%s' is not NAME=VALUE",
				     item);
			goto out;
		}
		*eq = '\0';
		if (mock_faults_set(f, item, eq + 1, why, sizeof why)) {
			rc = err_set(err, ST_USAGE, "--faults: %s", why);
			goto out;
		}
	}
	if (mock_faults_check(f, why, sizeof why))
		rc = err_set(err, ST_USAGE, "--faults: %s", why);
out:
	free(copy);
	return rc;
}

int mock_faults_any(const struct mock_faults *f)
{
	for (int k = 0; k < MOCK_FAULT_N; k++)
		if (f->p[k] > 0)
			return 1;
	return 0;
}

enum mock_fault_kind mock_fault_pick(const struct mock_faults *f, double u)
{
	double c = 0;
	for (int k = 0; k < MOCK_FAULT_N; k++) {
		c += f->p[k];
		if (f->p[k] > 0 && u < c)
			return (enum mock_fault_kind)k;
	}
	return MOCK_FAULT_NONE;
}

/* splitmix64's finaliser. */
static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

double mock_fault_draw(uint64_t key, uint64_t attempt)
{
	/* The accuracy draw is key >> 11: mixing in (attempt + 1) and a salt
	 * makes this one a different number, also for attempt 0. */
	uint64_t x = mix64(key ^ mix64((attempt + 1) * 0x9e3779b97f4a7c15ULL +
				       0x6661756c74ULL /* "fault" */));
	return (double)(x >> 11) * 0x1.0p-53;
}

/* ---- attempt counters --------------------------------------------------- */

struct slot {
	uint64_t key;      /* 0 = empty (a real key of 0 is stored as 1) */
	uint64_t count;
};

struct mock_attempts {
	pthread_mutex_t mu;
	struct slot *slots;
	size_t cap, used;  /* cap is a power of two */
};

struct mock_attempts *mock_attempts_new(void)
{
	struct mock_attempts *t = xcalloc(1, sizeof *t);
	pthread_mutex_init(&t->mu, NULL);
	t->cap = 1024;
	t->slots = xcalloc(t->cap, sizeof *t->slots);
	return t;
}

void mock_attempts_free(struct mock_attempts *t)
{
	if (!t)
		return;
	pthread_mutex_destroy(&t->mu);
	free(t->slots);
	free(t);
}

static struct slot *find(struct slot *slots, size_t cap, uint64_t key)
{
	size_t i = (size_t)mix64(key) & (cap - 1);
	while (slots[i].key && slots[i].key != key)
		i = (i + 1) & (cap - 1);
	return &slots[i];
}

uint64_t mock_attempts_next(struct mock_attempts *t, uint64_t key)
{
	struct slot *s;
	uint64_t n;
	if (!key)
		key = 1;
	pthread_mutex_lock(&t->mu);
	if ((t->used + 1) * 4 > t->cap * 3) {   /* keep the load under 3/4 */
		size_t cap = t->cap * 2;
		struct slot *ns = xcalloc(cap, sizeof *ns);
		for (size_t i = 0; i < t->cap; i++)
			if (t->slots[i].key)
				*find(ns, cap, t->slots[i].key) = t->slots[i];
		free(t->slots);
		t->slots = ns;
		t->cap = cap;
	}
	s = find(t->slots, t->cap, key);
	if (!s->key) {
		s->key = key;
		t->used++;
	}
	n = s->count++;
	pthread_mutex_unlock(&t->mu);
	return n;
}
