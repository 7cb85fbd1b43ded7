/* load_loop.c — one candidate's steps on a libcurl multi loop, open loop.
 *
 * Why not engine_run: the engine is a closed-loop scheduler (it starts the
 * next item when a slot frees) with retries, AIMD concurrency and a cache —
 * each of which would hide queueing from a load test.  engine.h offers no
 * per-request entry point, so this file drives libcurl's multi interface
 * itself and reuses the provider layer (provider.h) for building requests
 * and parsing replies, and sse.h for streams: the HTTP client is the same,
 * only the scheduling differs.  No retries, no cache.
 *
 * Per step: arrival k is intended at t0 + a_k (constant: k / rate;
 * Poisson: sums of seeded exponential gaps).  Each loop turn moves every
 * arrival whose time has come to the send queue, sends from the queue while
 * a slot is free (the concurrency cap) and the budget allows, runs the
 * transfers, and sleeps in curl_multi_poll until the next arrival (rounded
 * down to the millisecond, then clock_nanosleep to the arrival for the
 * last fraction, so sends leave within a fraction of a millisecond of
 * schedule).  While it finishes (parses, grades) a burst of answers, the
 * arrivals that come due are sent, and written, between two answers.
 * Request rows are buffered and written to the store after the window.
 * Every latency is measured from the intended time.  A send's actual
 * time is when libcurl is about to write the request
 * (CURLOPT_PREREQFUNCTION: after the connection is ready), not when the
 * loop handed it over.  A send that leaves more than
 * plan->late_ms after its intended time is counted late, and its lag is
 * split into its causes — held by the cap or budget, the machine (run
 * queue, a late timer, off the CPU) and the loop's own work — from the
 * samples taken around every sleep (load_lag.h), so the report says when
 * the client — or the machine under it — was the bottleneck.
 *
 * Requests are built once per (test, prompt) pair before the first step;
 * the pairs are shuffled with the seed and cycled. */
#include "load/load_loop.h"
#include "load/load_lag.h"
#include "load/load_os.h"

#include <curl/curl.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "score/judge.h"
#include "score/score.h"
#include "stats/rng.h"
#include "store/store_load.h"
#include "util/buf.h"
#include "util/fsutil.h"
#include "util/sse.h"
#include "util/xalloc.h"

#define MAX_BODY ((size_t)16 << 20)
#define MAX_ARRIVALS 20000000L
#define ROWS_MAX ((size_t)1 << 18)

static volatile sig_atomic_t stop_flag;

void load_request_stop(void)
{
	stop_flag = 1;
}

bool load_stop_requested(void)
{
	return stop_flag != 0;
}

struct pair {
	size_t test, prompt;
	struct http_request req;
	double reserve_usd;      /* worst-case cost (--max-cost), or 0 */
};

struct xfer {
	struct load_cand *c;
	CURL *easy;
	bool busy;
	size_t pair;
	long seq;
	double t_int, t_start, t_sent, t_first, t_token;
	double reserve;
	bool capped;             /* its arrival found every slot busy */
	bool held;               /* capped, or waited for the cost budget */
	bool lag_recorded;       /* the send's lag is counted */
	struct buf body, text;
	struct sse sse;
	struct response sresp;
	bool sse_mode, sse_decided, done_mark, failed, too_big;
	char errbuf[CURL_ERROR_SIZE];
};

struct arrival {
	double t;                /* intended, monotonic ms */
	long seq;
	size_t pair;
	bool capped;             /* every slot was busy when it came due */
	bool held;               /* waited for the cost budget */
};

struct sched;

struct load_cand {
	const struct suite *s;
	struct provider *p;
	size_t prov_idx;
	struct pair *pairs;
	size_t n_pairs;
	size_t *order;
	long seq;                /* next sequence number */
	CURLM *multi;
	struct xfer *x;
	int n_x;
	int *free_x;
	int n_free;
	int unsent;              /* handed to libcurl, not yet written */
	double unsent_since;     /* when unsent last rose from 0 */
	long rec_seq;            /* the send recorded last, and when it */
	double rec_sent;         /* left (record_send) */
	/* the current step */
	struct load_step *st;
	const struct load_plan *plan;
	struct load_budget *b;
	struct store *store;
	int64_t run_id;
	double t0;
	double t_first_answer;   /* 0 until the step's first answer */
	struct load_request_rec *rows;  /* the step's request rows, written */
	size_t n_rows, cap_rows;        /* after its window (flush_rows) */
	struct sched *sc;        /* the current step's schedule */
	/* (time, run time, run-queue wait) samples taken before each sleep
	 * (with its deadline) and after each wake-up: a late send's lag is
	 * split over them (load_lag.h) */
	struct lag_ring ring;
	struct err *err;
	int rc;
};

/* ---- preparing ---------------------------------------------------------- */

static long max_tokens_of(const struct provider *p)
{
	const json_t *v = json_object_get(p->spec->config, "max_tokens");
	if (!json_is_integer(v))
		v = json_object_get(p->spec->config, "max_completion_tokens");
	return json_is_integer(v) ? (long)json_integer_value(v) : -1;
}

int load_cand_new(const struct suite *s, struct provider *p, size_t prov_idx,
		  const struct load_plan *plan, struct load_cand **out,
		  struct err *err)
{
	struct load_cand *c;
	struct stats_rng rng;
	long mt = max_tokens_of(p);
	*out = NULL;
	if (!p->ops->build)
		return err_at(err, p->spec->loc.file, p->spec->loc.line, p->spec->loc.col,
			      "provider '%s': only HTTP providers can be load-tested "
			      "(an exec: program has no arrival rate)", p->spec->id);
	if (plan->max_cost >= 0 && (!p->has_price || mt < 0))
		return err_at(err, p->spec->loc.file, p->spec->loc.line, p->spec->loc.col,
			      "provider '%s': --max-cost needs a price (config.cost or a "
			      "known model) and config.max_tokens, so that every request's "
			      "cost is bounded before it is sent", p->spec->id);
	if (s->n_tests == 0 || s->n_prompts == 0)
		return err_set(err, ST_INPUT, "%s: the suite has no test cases or no "
			       "prompts to send", s->path);
	c = xcalloc(1, sizeof *c);
	c->s = s;
	c->p = p;
	c->prov_idx = prov_idx;
	c->n_pairs = s->n_tests * s->n_prompts;
	c->pairs = xcalloc(c->n_pairs, sizeof *c->pairs);
	c->order = xcalloc(c->n_pairs, sizeof *c->order);
	for (size_t i = 0; i < c->n_pairs; i++) {
		struct pair *pr = &c->pairs[i];
		const struct test_case *tc;
		char *text;
		pr->test = i / s->n_prompts;
		pr->prompt = i % s->n_prompts;
		tc = &s->tests[pr->test];
		text = suite_render_prompt(&s->prompts[pr->prompt], tc->vars, err);
		if (!text || p->ops->build(p, text, s->prompts[pr->prompt].is_chat,
					   tc->vars, &pr->req, err)) {
			free(text);
			c->n_pairs = i + 1;
			load_cand_free(c);
			return err->code ? (int)err->code : ST_INPUT;
		}
		free(text);
		/* Each token is at least one byte of the request (plus a few
		 * the chat format adds), and the reply at most max_tokens. */
		if (plan->max_cost >= 0)
			pr->reserve_usd = cost_usd(&p->price, (long)pr->req.body_len + 16, mt);
		c->order[i] = i;
	}
	stats_rng_seed(&rng, plan->seed ^ (0x9E3779B97F4A7C15ULL * (prov_idx + 1)));
	for (size_t i = c->n_pairs; i > 1; i--) {
		size_t j = (size_t)stats_rng_below(&rng, i), t = c->order[i - 1];
		c->order[i - 1] = c->order[j];
		c->order[j] = t;
	}
	c->n_x = plan->concurrency;
	if (p->tr.max_concurrency > 0 && p->tr.max_concurrency < c->n_x)
		c->n_x = p->tr.max_concurrency;
	c->x = xcalloc((size_t)c->n_x, sizeof *c->x);
	c->free_x = xcalloc((size_t)c->n_x, sizeof *c->free_x);
	for (int i = 0; i < c->n_x; i++) {
		c->x[i].c = c;
		c->free_x[c->n_free++] = c->n_x - 1 - i;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	c->multi = curl_multi_init();
	curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS, (long)c->n_x);
	*out = c;
	return 0;
}

void load_cand_free(struct load_cand *c)
{
	if (!c)
		return;
	for (int i = 0; i < c->n_x; i++) {
		if (c->x[i].easy) {
			if (c->x[i].busy)
				curl_multi_remove_handle(c->multi, c->x[i].easy);
			curl_easy_cleanup(c->x[i].easy);
		}
		buf_free(&c->x[i].body);
		buf_free(&c->x[i].text);
		response_cleanup(&c->x[i].sresp);
		if (c->x[i].sse_mode)
			sse_cleanup(&c->x[i].sse);
	}
	if (c->multi) {
		curl_multi_cleanup(c->multi);
		curl_global_cleanup();
	}
	for (size_t i = 0; i < c->n_pairs; i++)
		http_request_cleanup(&c->pairs[i].req);
	free(c->pairs);
	free(c->order);
	free(c->x);
	free(c->free_x);
	free(c->rows);
	free(c);
}

const char *load_cand_url(const struct load_cand *c)
{
	return c->n_pairs ? c->pairs[0].req.url : "";
}

/* ---- transfers ---------------------------------------------------------- */

static int on_event(void *ud, const char *event, const char *data, size_t len)
{
	struct xfer *x = ud;
	const struct provider *p = x->c->p;
	size_t before = x->text.len;
	enum stream_step step = p->ops->stream_event(p, event, data, len, &x->text,
						     &x->sresp);
	if (x->text.len > before && x->t_token == 0)
		x->t_token = fs_mono_ms();
	if (step == STREAM_DONE)
		x->done_mark = true;
	else if (step == STREAM_ERROR)
		x->failed = true;
	return step == STREAM_MORE ? 0 : 1;
}

static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
	struct xfer *x = ud;
	size_t len = size * n;
	if (x->t_first == 0)
		x->t_first = fs_mono_ms();
	if (!x->sse_decided) {
		long status = 0;
		curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
		x->sse_mode = x->c->p->stream && status < 400;
		x->sse_decided = true;
		if (x->sse_mode)
			sse_init(&x->sse, on_event, x);
	}
	if (x->sse_mode) {
		if (x->done_mark || x->failed)
			return len;
		if (sse_feed(&x->sse, data, len) < 0) {
			x->too_big = true;
			return 0;
		}
		return len;
	}
	if (x->body.len + len > MAX_BODY) {
		x->too_big = true;
		return 0;
	}
	buf_append(&x->body, data, len);
	return len;
}

static enum resp_error curl_kind(CURLcode cc)
{
	switch (cc) {
	case CURLE_OPERATION_TIMEDOUT:
		return RESP_ERR_TIMEOUT;
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_SSL_CONNECT_ERROR:
		return RESP_ERR_CONNECT;
	case CURLE_PARTIAL_FILE:
		return RESP_ERR_BODY;
	default:
		return RESP_ERR_OTHER;
	}
}

/* The thread's figures at `now`. */
static struct lag_sample sample_now(double now, double deadline)
{
	struct lag_sample smp = { .t = now, .deadline = deadline };
	load_os_sched(&smp.run, &smp.runq);
	return smp;
}

/* Records the thread's figures in the ring: before a sleep that asked to
 * wake at `deadline`, or (deadline < 0) awake. */
static void take_sample(struct load_cand *c, double now, double deadline)
{
	lag_ring_add(&c->ring, sample_now(now, deadline));
}

/* Counts a send that left at `now` (the request is about to be written):
 * its lag, whether it was late, and where a late send's lag went — held
 * (from the intended time until a -j slot or the budget let it start),
 * then the machine's parts and the loop's own (load_lag.h).  `known`:
 * now is the present (the thread's figures can be read). */
static void record_send(struct load_cand *c, struct xfer *x, double now, bool known)
{
	struct load_step *st = c->st;
	double lag = now - x->t_int, part[LAG_NCAUSES], from = x->t_int;
	struct lag_sample smp = { .t = now, .run = -1, .runq = -1, .deadline = -1 };
	/* the arrival before it left after this one came due: this one
	 * waited in line behind it */
	bool queued = c->rec_seq == x->seq - 1 && c->rec_sent > x->t_int;
	x->t_sent = now;
	x->lag_recorded = true;
	c->unsent--;
	c->rec_seq = x->seq;
	c->rec_sent = now;
	hist_record_ms(&st->lag, lag);
	if (lag <= c->plan->late_ms)
		return;
	st->late++;
	st->capped += x->capped;
	st->lag_late_ms += lag;
	if (known)
		smp = sample_now(now, -1);
	if (smp.runq < 0)
		st->runq_unknown = true;
	if (x->held)
		from = fmin(fmax(x->t_start, x->t_int), now);
	lag_split(&c->ring, from, smp, part);
	part[LAG_HELD] = from - x->t_int;
	for (int i = 0; i < LAG_NCAUSES; i++)
		st->late_part_ms[i] += part[i];
	st->late_cause[lag_main_cause(part)]++;
	st->lag_runq_ms += part[LAG_RUNQ];
	if (lag - part[LAG_RUNQ] <= c->plan->late_ms)
		st->late_runq++;
	if (part[LAG_OWN] > c->plan->late_ms) {
		st->late_own++;
		st->late_own_queued += queued;
	}
}

/* libcurl calls this when the connection is ready and the request is
 * about to be sent: the moment a send really leaves (after the
 * connection's set-up, and after curl_multi_perform has served the
 * transfers before it), so that is the time the lag is measured to. */
static int on_prereq(void *ud, char *ip, char *local_ip, int port, int local_port)
{
	struct xfer *x = ud;
	(void)ip;
	(void)local_ip;
	(void)port;
	(void)local_port;
	if (!x->lag_recorded)
		record_send(x->c, x, fs_mono_ms(), true);
	return CURL_PREREQFUNC_OK;
}

static void start(struct load_cand *c, const struct arrival *a, double now)
{
	const struct pair *pr = &c->pairs[a->pair];
	const struct transport *t = &c->p->tr;
	struct xfer *x = &c->x[c->free_x[--c->n_free]];
	CURL *e = x->easy;
	if (!e)
		e = x->easy = curl_easy_init();
	else
		curl_easy_reset(e);
	x->busy = true;
	x->pair = a->pair;
	x->seq = a->seq;
	x->t_int = a->t;
	x->capped = a->capped;
	x->held = a->capped || a->held;
	x->t_start = now;
	x->lag_recorded = false;
	x->t_first = x->t_token = 0;
	x->reserve = pr->reserve_usd;
	buf_reset(&x->body);
	buf_reset(&x->text);
	response_cleanup(&x->sresp);
	response_init(&x->sresp);
	if (x->sse_mode)
		sse_cleanup(&x->sse);
	x->sse_mode = x->sse_decided = x->done_mark = x->failed = x->too_big = false;
	x->errbuf[0] = '\0';
	curl_easy_setopt(e, CURLOPT_URL, pr->req.url);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, pr->req.headers);
	if (pr->req.method && !strcmp(pr->req.method, "GET")) {
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	} else {
		if (pr->req.method && strcmp(pr->req.method, "POST"))
			curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, pr->req.method);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, pr->req.body ? pr->req.body : "");
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)(pr->req.body ? pr->req.body_len : 0));
	}
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(e, CURLOPT_PRIVATE, x);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, t->timeout_ms);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, t->connect_timeout_ms);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "assay/" "0.1");
	curl_easy_setopt(e, CURLOPT_PREREQFUNCTION, on_prereq);
	curl_easy_setopt(e, CURLOPT_PREREQDATA, x);
	curl_multi_add_handle(c->multi, e);
	x->t_sent = now;   /* until the request really leaves (on_prereq) */
	if (c->unsent++ == 0)
		c->unsent_since = now;
	c->b->sent++;
	c->b->reserved += x->reserve;
}

/* Writes the buffered request rows.  Rows are kept in memory during the
 * window and written after it, because an SQLite commit (milliseconds)
 * on the loop would delay the sends behind it; a step with more than
 * ROWS_MAX requests flushes inside its window (the delay then shows as
 * send lag). */
static void flush_rows(struct load_cand *c)
{
	for (size_t i = 0; i < c->n_rows && !c->rc; i++)
		c->rc = store_load_request_put(c->store, c->run_id, &c->rows[i], c->err);
	if (!c->rc)
		c->rc = store_load_commit(c->store, c->err);
	c->n_rows = 0;
}

/* A finished (or abandoned: cc < 0) transfer → counts, grade, store row. */
static void finish(struct load_cand *c, struct xfer *x, int cc, double now)
{
	struct load_step *st = c->st;
	const struct pair *pr = &c->pairs[x->pair];
	const struct test_case *tc = &c->s->tests[pr->test];
	struct response r;
	struct load_request_rec rec;
	long status = 0;
	double lat = now - x->t_int, ttft = -1;
	int pass = -1;
	if (!x->lag_recorded)   /* never left (no connection) */
		record_send(c, x, x->t_sent, false);
	curl_multi_remove_handle(c->multi, x->easy);
	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
	response_init(&r);
	r.http_status = (int)status;
	r.latency_ms = now - x->t_sent;
	if (cc < 0) {
		r.error = RESP_ERR_TIMEOUT;
		r.error_msg = xstrdup("unfinished");
	} else if (x->too_big) {
		r.error = RESP_ERR_BODY;
		r.error_msg = xstrdup("response larger than the limit");
	} else if (cc != CURLE_OK && !(x->sse_mode && (x->done_mark || x->failed))) {
		r.error = curl_kind((CURLcode)cc);
		r.error_msg = xstrdup(x->errbuf[0] ? x->errbuf : curl_easy_strerror((CURLcode)cc));
	} else if (x->sse_mode) {
		r.prompt_tokens = x->sresp.prompt_tokens;
		r.completion_tokens = x->sresp.completion_tokens;
		r.total_tokens = x->sresp.total_tokens;
		r.finish_reason = x->sresp.finish_reason;
		x->sresp.finish_reason = NULL;
		if (x->failed || !x->done_mark) {
			r.error = x->sresp.error ? x->sresp.error : RESP_ERR_BODY;
			r.error_msg = xstrdup(x->sresp.error_msg ? x->sresp.error_msg
						: "stream ended early");
		} else {
			r.output = buf_detach(&x->text);
		}
	} else {
		c->p->ops->parse(c->p, status, buf_str(&x->body), x->body.len, &r);
	}
	if (x->t_token > 0)
		ttft = x->t_token - x->t_int;
	else if (x->t_first > 0)
		ttft = x->t_first - x->t_int;
	r.ttft_ms = ttft >= 0 ? ttft - (x->t_sent - x->t_int) : -1;
	provider_set_cost(c->p, &r);

	c->b->reserved -= x->reserve;
	if (cc < 0) {
		st->unfinished++;
	} else {
		st->responses++;
		/* throughput window: D long, from the step's first answer */
		if (c->t_first_answer == 0)
			c->t_first_answer = now;
		if (now <= c->t_first_answer + st->duration_s * 1000)
			st->in_window++;
		if (status == 429)
			st->http429++;
		if (r.error == RESP_ERR_TIMEOUT)
			st->timeouts++;
	}
	if (r.cost_usd >= 0) {
		st->cost_usd += r.cost_usd;
		c->b->spent += r.cost_usd;
	} else if (cc >= 0) {
		st->cost_unknown++;
	}
	if (cc >= 0 && r.error == RESP_OK) {
		bool within;
		st->ok++;
		if (now <= c->t_first_answer + st->duration_s * 1000)
			st->ok_in_window++;
		hist_record_ms(&st->lat, lat);
		hist_record_ms(&st->svc, now - x->t_sent);
		if (ttft >= 0)
			hist_record_ms(&st->ttft, ttft);
		if (r.completion_tokens > 0)
			st->tokens_out += r.completion_tokens;
		if (score_needs_judge(tc)) {
			st->ungraded++;
		} else {
			struct grade g;
			struct err gerr;
			err_clear(&gerr);
			memset(&g, 0, sizeof g);
			if (score_grade(tc, &r, &g, &gerr)) {
				st->grade_errors++;
				pass = 0;
			} else {
				st->graded++;
				pass = g.pass ? 1 : 0;
				st->passed += g.pass;
			}
			grade_cleanup(&g);
		}
		within = st->slo_limit_ms <= 0 || lat <= st->slo_limit_ms;
		st->within += within;
		st->good += within && pass != 0;
	} else if (cc >= 0) {
		st->errors++;
	}
	rec = (struct load_request_rec){
		.provider_idx = c->prov_idx, .step = st->idx, .test_idx = pr->test,
		.prompt_idx = pr->prompt, .seq = x->seq,
		.intended_ms = x->t_int - c->t0, .sent_ms = x->t_sent - c->t0,
		.done_ms = cc < 0 ? -1 : now - c->t0, .latency_ms = cc < 0 ? -1 : lat,
		.ttft_ms = ttft, .http_status = (int)status,
		.error = cc < 0 ? "unfinished" : r.error ? resp_error_name(r.error) : NULL,
		.pass = pass, .tokens_out = r.error == RESP_OK ? r.completion_tokens : -1,
		.cost_usd = r.cost_usd,
	};
	if (c->n_rows == ROWS_MAX)
		flush_rows(c);
	c->rows = xgrow(c->rows, &c->cap_rows, c->n_rows + 1, sizeof *c->rows);
	c->rows[c->n_rows++] = rec;
	response_cleanup(&r);
	x->busy = false;
	c->free_x[c->n_free++] = (int)(x - c->x);
}

static long send_due(struct load_cand *c, double now);

/* Finishes the transfers that are done.  Between two, the arrivals that
 * came due meanwhile are sent: handed to libcurl, and curl_multi_perform
 * runs while any handed-over request has not been written yet (a new
 * connection takes more than one perform), so that parsing and grading a
 * burst of answers never holds a send back by more than one answer's
 * work.  Handing them over alone is not enough: a request leaves only in
 * curl_multi_perform, and a burst of answers graded at 60–100 ms each
 * held sends for up to 2.8 s before these performs were added
 * (tests/cli/load.sh, section 2c, is that case).  Returns the number of
 * such sends. */
static long harvest(struct load_cand *c)
{
	CURLMsg *m;
	int left, running;
	long sent = 0;
	while ((m = curl_multi_info_read(c->multi, &left))) {
		struct xfer *x = NULL;
		double now = fs_mono_ms();
		long n;
		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
		finish(c, x, (int)m->data.result, now);   /* m is stale after this */
		n = send_due(c, fs_mono_ms());
		if (c->unsent > 0)
			curl_multi_perform(c->multi, &running);
		sent += n;
	}
	return sent;
}

/* ---- a step ------------------------------------------------------------- */

/* 1: may send; 0: must wait for requests in flight to settle their
 * reservations; -1: the budget is spent (nothing in flight can make room). */
static int budget_allows(const struct load_budget *b, double reserve)
{
	if (b->max_requests > 0 && b->sent >= b->max_requests)
		return -1;
	if (b->max_cost >= 0 && b->spent + reserve > b->max_cost)
		return -1;
	if (b->max_cost >= 0 && b->spent + b->reserved + reserve > b->max_cost)
		return 0;
	return 1;
}

/* The step's schedule: the next arrival and the send queue (arrivals
 * whose time has come but that have not left: a FIFO ring). */
struct sched {
	struct stats_rng rng;
	long k;                  /* arrivals generated */
	double off;              /* offset of arrival k (ms from t0), < 0: none */
	struct arrival *q;
	size_t qcap, qhead, qlen;
};

/* Moves sc->off to arrival k's intended offset (constant: k / rate;
 * Poisson: the previous offset plus an exponential gap), or -1 past the
 * window. */
static void next_arrival(struct sched *sc, const struct load_plan *p, double rate)
{
	double t;
	if (p->arrivals == LOAD_CONSTANT)
		t = (double)sc->k * 1000.0 / rate;
	else
		t = (sc->k ? sc->off : 0) - log(1.0 - stats_rng_uniform(&sc->rng)) * 1000.0 / rate;
	sc->off = t < p->duration_s * 1000.0 ? t : -1;
}

static void queue_push(struct sched *sc, struct arrival a)
{
	if (sc->qlen == sc->qcap) {
		size_t ncap = sc->qcap ? sc->qcap * 2 : 256;
		struct arrival *nq = xcalloc(ncap, sizeof *nq);
		for (size_t i = 0; i < sc->qlen; i++)
			nq[i] = sc->q[(sc->qhead + i) % sc->qcap];
		free(sc->q);
		sc->q = nq;
		sc->qcap = ncap;
		sc->qhead = 0;
	}
	sc->q[(sc->qhead + sc->qlen) % sc->qcap] = a;
	sc->qlen++;
}

/* Every arrival due by `now` joins the send queue. */
static void admit_due(struct load_cand *c, struct sched *sc, double now)
{
	struct load_step *st = c->st;
	while (sc->off >= 0 && c->t0 + sc->off <= now) {
		queue_push(sc, (struct arrival){
			.t = c->t0 + sc->off, .seq = c->seq,
			.pair = c->order[(size_t)(c->seq % (long)c->n_pairs)],
			.capped = c->n_free == 0 });
		c->seq++;
		st->scheduled++;
		sc->k++;
		next_arrival(sc, c->plan, st->offered_rps);
	}
}

/* The budget is spent: the queue and the rest of the window are not sent. */
static void skip_rest(struct load_cand *c, struct sched *sc)
{
	struct load_step *st = c->st;
	c->b->hit = true;
	st->budget_hit = true;
	st->budget_skipped += (long)sc->qlen;
	sc->qlen = 0;
	while (sc->off >= 0) {
		st->scheduled++;
		st->budget_skipped++;
		sc->k++;
		next_arrival(sc, c->plan, st->offered_rps);
	}
}

/* Sends from the queue while a slot is free and the budget allows. */
static void send_ready(struct load_cand *c, struct sched *sc)
{
	struct load_step *st = c->st;
	while (sc->qlen && c->n_free > 0) {
		struct arrival *a = &sc->q[sc->qhead];
		double now;
		int ok = budget_allows(c->b, c->pairs[a->pair].reserve_usd);
		if (ok == 0) {
			a->held = true;
			return;   /* waits for reservations in flight (and is late) */
		}
		if (ok < 0) {
			skip_rest(c, sc);
			return;
		}
		now = fs_mono_ms();
		start(c, a, now);
		st->sent++;
		sc->qhead = (sc->qhead + 1) % sc->qcap;
		sc->qlen--;
	}
}

static long send_due(struct load_cand *c, double now)
{
	long before = c->st->sent;
	admit_due(c, c->sc, now);
	send_ready(c, c->sc);
	return c->st->sent - before;
}

/* In flight, time-weighted over the window, and the backlog samples at
 * the middle and the end of the window. */
static void sample(struct load_cand *c, const struct sched *sc, double now,
		   double *last_t, int *samples)
{
	struct load_step *st = c->st;
	double win = c->plan->duration_s * 1000.0;
	long busy = c->n_x - c->n_free;
	if (now > *last_t && *last_t < c->t0 + win) {
		double a = fmax(*last_t, c->t0), z = fmin(now, c->t0 + win);
		if (z > a)
			st->inflight_area += (double)busy * (z - a);
	}
	*last_t = now;
	if (*samples == 0 && now >= c->t0 + win / 2) {
		st->backlog_mid = (long)sc->qlen + busy;
		*samples = 1;
	}
	if (*samples == 1 && now >= c->t0 + win) {
		st->backlog_end = (long)sc->qlen + busy;
		*samples = 2;
	}
}

/* Sleeps until the next arrival or transfer event: whole milliseconds in
 * curl_multi_poll (its timeout is in ms; rounded down, so it never
 * oversleeps an arrival), then clock_nanosleep to the arrival's absolute
 * time for the fraction (rather than spin, so the CPU goes to the server
 * and the transfers: bench/load.sh measures spinning against sleeping on
 * the machine it runs on, docs/load.md).  A sample before the sleep (with
 * the deadline asked for) and one after it let load_lag.c tell a late
 * wake-up from the loop's own work.  While a handed-over request is not
 * written yet (for up to 2 ms) and the next arrival is under 1 ms away,
 * it does not sleep (clock_nanosleep would not wake when the connection
 * is ready). */
static void wait_next(struct load_cand *c, const struct sched *sc,
		      double now, double drain_until)
{
	int nfd;
	double due = sc->off < 0 ? fmin(now + 50.0, drain_until) : c->t0 + sc->off;
	double wait;
	if (sc->qlen)   /* held by the cap or the cost budget */
		due = fmin(due, now + 50.0);
	wait = due - now;
	if (wait < 1.0 && c->unsent > 0 && now - c->unsent_since < 2.0) {
		/* a handed-over request is not written yet (its connection is
		 * being set up): a nanosleep would not wake when the socket is
		 * ready and would hold it until the next arrival, so look at
		 * the sockets without sleeping and go round again — for 2 ms
		 * at most (loopback takes microseconds; a slow remote
		 * connect must not turn the loop into a spin) */
		curl_multi_poll(c->multi, NULL, 0, 0, &nfd);
		return;
	}
	if (wait >= 1.0) {
		take_sample(c, now, now + floor(wait));
		curl_multi_poll(c->multi, NULL, 0, (int)wait, &nfd);
		take_sample(c, fs_mono_ms(), -1);
	} else if (wait > 0.02) {
		struct timespec ts;
		double s = floor(due / 1000.0);
		ts.tv_sec = (time_t)s;
		ts.tv_nsec = (long)((due - s * 1000.0) * 1e6);
		if (ts.tv_nsec > 999999999L)
			ts.tv_nsec = 999999999L;
		take_sample(c, now, due);
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR &&
		       !stop_flag)
			;
		take_sample(c, fs_mono_ms(), -1);
	}
}

int load_cand_step(struct load_cand *c, const struct load_plan *p,
		   struct load_budget *b, struct store *store, int64_t run_id,
		   struct load_step *st, struct err *err)
{
	struct sched *sc;
	double last_t, now, drain_until;
	int samples = 0, running;
	long resent;
	double runq0, steal0;

	if (st->offered_rps * p->duration_s > (double)MAX_ARRIVALS)
		return err_set(err, ST_USAGE, "step %zu: %.0f arrivals is more than %ld",
			       st->idx, st->offered_rps * p->duration_s, MAX_ARRIVALS);
	c->st = st;
	c->plan = p;
	c->b = b;
	c->store = store;
	c->run_id = run_id;
	c->err = err;
	c->rc = 0;
	st->slo_limit_ms = load_slo_limit(&p->slo);
	if ((c->rc = load_os_enter(p->realtime, err)))
		return c->rc;
	runq0 = load_os_runq_ms();
	steal0 = load_os_steal_ms();
	sc = xcalloc(1, sizeof *sc);
	stats_rng_seed(&sc->rng, p->seed * 1000003ULL + st->idx * 7919ULL + c->prov_idx);
	next_arrival(sc, p, st->offered_rps);
	c->sc = sc;
	c->ring.n = 0;
	c->rec_seq = -2;
	c->t0 = fs_mono_ms() + 2.0;
	c->t_first_answer = 0;
	last_t = c->t0;
	take_sample(c, fs_mono_ms(), -1);
	drain_until = c->t0 + p->duration_s * 1000.0 + p->drain_s * 1000.0;
	for (;;) {
		now = fs_mono_ms();
		if (stop_flag) {
			st->interrupted = true;
			break;
		}
		sample(c, sc, now, &last_t, &samples);
		admit_due(c, sc, now);
		send_ready(c, sc);
		if ((long)(c->n_x - c->n_free) > st->inflight_max)
			st->inflight_max = c->n_x - c->n_free;
		curl_multi_perform(c->multi, &running);
		resent = harvest(c);
		if (c->rc)
			break;
		if (resent)
			continue;   /* sent while harvesting: perform them now */
		if (sc->off < 0 && !sc->qlen && c->n_free == c->n_x)
			break;   /* every arrival sent and answered */
		now = fs_mono_ms();
		if (sc->off < 0 && now >= drain_until)
			break;
		wait_next(c, sc, now, drain_until);
	}
	if (samples < 2)
		st->backlog_end = (long)sc->qlen + (c->n_x - c->n_free);
	if (samples < 1)
		st->backlog_mid = st->backlog_end;
	/* what is still outstanding: unanswered (after the drain) or
	 * abandoned (interrupt) — counted, never dropped silently */
	now = fs_mono_ms();
	for (int i = 0; i < c->n_x; i++)
		if (c->x[i].busy)
			finish(c, &c->x[i], -1, now);
	/* arrivals that never left before the drain ended: unanswered */
	if (!st->interrupted)
		st->unfinished += (long)sc->qlen;
	free(sc->q);
	free(sc);
	c->sc = NULL;
	now = load_os_runq_ms();
	if (runq0 >= 0 && now >= 0)
		st->runq_ms = now - runq0;
	else
		st->runq_unknown = true;
	now = load_os_steal_ms();
	st->steal_ms = steal0 >= 0 && now >= 0 ? now - steal0 : -1;
	load_os_leave(p->realtime);
	flush_rows(c);
	return c->rc;
}
