/* engine.c — the run loop: one thread; libcurl's multi interface for HTTP,
 * non-blocking pipes for `exec:` children, timers for retries and budgets;
 * a fixed pool of slots.  Each finished item is parsed by its provider,
 * graded, written to the store and freed before its slot is reused, so
 * memory depends on the concurrency, not on the number of cases.
 *
 * An attempt that fails in a way worth retrying (retry.h) goes to the
 * pending queue and starts again when its wait is over; only the last
 * attempt is stored, with the number of retries and the time spent
 * waiting.  Judge calls of model-graded assertions wait in the same queue
 * and run in slots of their own; comparisons (select-best, compare) run in
 * a second pass over the stored outputs.  `exec:` children live in
 * engine_exec.c; the shared state in engine_int.h. */
#include "engine.h"
#include "progress.h"
#include "retry.h"
#include "../score/judge.h"
#include "../score/judge_more.h"
#include "../score/score.h"
#include "judges.h"
#include "engine_int.h"
#include "../util/buf.h"
#include "../util/fsutil.h"
#include "../util/hash.h"
#include "../util/sse.h"
#include "../util/xalloc.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

/* A response body larger than this is an error, not an allocation. */
#define MAX_BODY ((size_t)64 << 20)

static volatile sig_atomic_t stop_requested;

void engine_request_stop(void)
{
	stop_requested = 1;
}


/* ---- small helpers ----------------------------------------------------- */

static void decompose(const struct run *r, long k, struct slot *sl)
{
	size_t np = r->s->n_prompts, rep = (size_t)r->o->repeat;
	size_t kk = (size_t)k;
	sl->rep = (int)(kk % rep);
	sl->prompt = (kk / rep) % np;
	sl->test = kk / (rep * np);
}

static struct slot *free_slot(struct run *r)
{
	for (int i = 0; i < r->n_slots; i++)
		if (!r->slots[i].busy)
			return &r->slots[i];
	return NULL;
}

static void refill(struct pstate *ps, double now)
{
	double dt = now - ps->last_refill;
	const struct transport *t = &ps->p->tr;
	ps->last_refill = now;
	if (t->rpm > 0) {
		double cap = fmax(1.0, t->rpm / 60.0);
		ps->rpm_tokens = fmin(cap, ps->rpm_tokens + dt * t->rpm / 60000.0);
	}
	if (t->tpm > 0) {
		double cap = fmax(1.0, t->tpm / 60.0);
		ps->tpm_tokens = fmin(cap, ps->tpm_tokens + dt * t->tpm / 60000.0);
	}
}

/* Rough tokens of a request before it is sent: prompt bytes / 4 plus the
 * completion budget when the config names one (else 256). */
static long estimate_tokens(const struct provider *p, const char *prompt)
{
	const json_t *mt = json_object_get(p->spec->config, "max_tokens");
	long out = json_is_integer(mt) ? (long)json_integer_value(mt) : 256;
	return (long)(strlen(prompt) / 4) + 1 + out;
}

static bool can_start(struct run *r, struct pstate *ps, double now)
{
	const struct transport *t = &ps->p->tr;
	if (now < ps->pause_until || ps->in_flight >= (int)ps->aimd.limit)
		return false;
	refill(ps, now);
	if (t->rpm > 0 && ps->rpm_tokens < 1.0)
		return false;
	/* A request larger than the whole bucket may start when it is full. */
	if (t->tpm > 0 && ps->tpm_tokens < fmin(fmax(1.0, t->tpm / 60.0), 256.0))
		return false;
	(void)r;
	return true;
}

static void note_backoff(struct run *r)
{
	double now = fs_mono_ms();
	char note[160] = "";
	for (size_t i = 0; i < r->n_ps; i++) {
		struct pstate *ps = &r->ps[i];
		if (ps->pause_until > now || ps->aimd.limit < ps->aimd.max) {
			snprintf(note, sizeof note,
				 "%s: backing off (concurrency %d/%d%s)",
				 ps->p->spec->label, (int)ps->aimd.limit, ps->aimd.max,
				 ps->pause_until > now ? ", paused" : "");
			break;
		}
	}
	progress_note(r->o->progress, note);
}

/* ---- finishing an item ------------------------------------------------- */

static int judge_index(const struct run *r, const struct slot *par, size_t call);
static void compare_done(struct run *r, struct slot *par);

static struct pending *push_pending(struct run *r)
{
	struct pending *pe;
	r->pend = xgrow(r->pend, &r->cap_pend, r->n_pend + 1, sizeof *r->pend);
	pe = &r->pend[r->n_pend++];
	memset(pe, 0, sizeof *pe);
	return pe;
}

static void free_judging(struct slot *sl)
{
	for (size_t i = 0; i < sl->n_calls; i++) {
		free(sl->jtext[i]);
		free(sl->jerr[i]);
		free(sl->jvec[i]);
	}
	free(sl->jtext);
	free(sl->jerr);
	free(sl->jvec);
	free(sl->jdim);
	score_judge_calls_free(sl->calls, sl->n_calls);
	sl->jtext = sl->jerr = NULL;
	sl->jvec = NULL;
	sl->jdim = NULL;
	sl->calls = NULL;
	sl->n_calls = sl->n_open = 0;
	if (sl->judging)
		response_cleanup(&sl->cand);
	sl->judging = false;
	sl->judge_cost = sl->judge_latency = 0;
	sl->judge_count = 0;
}

static void release(struct run *r, struct slot *sl)
{
	free(sl->prompt_text);
	sl->prompt_text = NULL;
	http_request_cleanup(&sl->req);
	buf_reset(&sl->body);
	buf_reset(&sl->text);
	sse_cleanup(&sl->sse);
	response_cleanup(&sl->sresp);
	free(sl->stdin_text);
	sl->stdin_text = NULL;
	buf_reset(&sl->out);
	buf_reset(&sl->errb);
	free(sl->messages);
	sl->messages = NULL;
	free_judging(sl);
	if (sl->busy) {
		r->ps[sl->prov].in_flight--;
		r->in_flight--;
		if (sl->is_judge)
			r->judge_in_flight--;
		else
			r->cand_in_flight--;
	}
	sl->busy = false;
	sl->parent = NULL;
}

/* Stores and counts one result; `g` is NULL when resp is an error. */
static void record(struct run *r, struct slot *sl, struct response *resp,
		   struct grade *g)
{
	struct result_rec rec;
	memset(&rec, 0, sizeof rec);
	rec.test_idx = sl->test;
	rec.prompt_idx = sl->prompt;
	rec.provider_idx = (size_t)sl->prov;
	rec.repeat = sl->rep;
	rec.rendered_prompt = sl->prompt_text;
	rec.resp = resp;
	rec.grade = g;
	rec.started_ms = sl->started_wall;
	rec.judge_calls = sl->judge_count;
	rec.judge_cost_usd = sl->judge_cost;
	rec.judge_latency_ms = sl->judge_latency;
	if (!r->rc)
		r->rc = store_result_put(r->st, r->run_id, &rec, r->err);
	r->tot->done++;
	r->tot->retries += resp->retries;
	r->tot->judge_calls += sl->judge_count;
	if (resp->cached)
		r->tot->cache_hits++;
	if (!g)
		r->tot->errors++;
	else if (g->pass)
		r->tot->passes++;
	else
		r->tot->fails++;
	progress_update(r->o->progress, r->tot->done, r->tot->passes,
			r->tot->fails, r->tot->errors);
}

/* Grading failed for a reason that is not the model's: an error result. */
static void grading_error(struct response *resp, const struct err *gerr)
{
	resp->error = RESP_ERR_OTHER;
	free(resp->error_msg);
	resp->error_msg = xasprintf("grading failed: %s", gerr->msg);
}

/* A candidate's response is final: grade it now, or hand its judge calls
 * to the queue and keep the slot until they are answered (returns true). */
static bool grade_or_judge(struct run *r, struct slot *sl, struct response *resp)
{
	const struct test_case *tc = &r->s->tests[sl->test];
	struct grade g;
	struct err gerr;
	memset(&g, 0, sizeof g);
	err_clear(&gerr);
	if (resp->error != RESP_OK) {
		record(r, sl, resp, NULL);
		return false;
	}
	if (tc->transform) {
		/* options.transform: the output every assertion sees, and the
		 * one stored (promptfoo's meaning). */
		char *t = NULL;
		const char *o = resp->output ? resp->output : "";
		if (score_transform(tc->transform, o, strlen(o), tc->vars, &t, &gerr)) {
			grading_error(resp, &gerr);
			record(r, sl, resp, NULL);
			return false;
		}
		free(resp->output);
		resp->output = t;
	}
	if (score_needs_judge(tc)) {
		struct judge_call *calls = NULL;
		size_t n = 0;
		if (score_judge_plan(tc, resp, &calls, &n, &gerr)) {
			grading_error(resp, &gerr);
			record(r, sl, resp, NULL);
			return false;
		}
		if (n > 0) {
			sl->judging = true;
			sl->cand = *resp;         /* the slot takes the response */
			response_init(resp);
			sl->calls = calls;
			sl->n_calls = sl->n_open = n;
			sl->jtext = xcalloc(n, sizeof *sl->jtext);
			sl->jerr = xcalloc(n, sizeof *sl->jerr);
			sl->jvec = xcalloc(n, sizeof *sl->jvec);
			sl->jdim = xcalloc(n, sizeof *sl->jdim);
			for (size_t i = 0; i < n; i++) {
				struct pending *pe = push_pending(r);
				pe->parent = sl;
				pe->call = i;
				pe->ready_at = 0;
				pe->prov = judge_index(r, sl, i);
			}
			return true;
		}
		score_judge_calls_free(calls, n);
	}
	if (score_grade(tc, resp, &g, &gerr)) {
		grading_error(resp, &gerr);
		record(r, sl, resp, NULL);
		return false;
	}
	record(r, sl, resp, &g);
	grade_cleanup(&g);
	return false;
}

/* Every judge call of a candidate is answered: ask for the calls those
 * answers make necessary (a second round), or grade and store it. */
static void judged(struct run *r, struct slot *sl)
{
	const struct test_case *tc = &r->s->tests[sl->test];
	struct judge_reply *rep = xcalloc(sl->n_calls, sizeof *rep);
	struct judge_call *more = NULL;
	size_t n_more = 0;
	struct grade g;
	struct err gerr;
	memset(&g, 0, sizeof g);
	err_clear(&gerr);
	for (size_t i = 0; i < sl->n_calls; i++) {
		rep[i].text = sl->jtext[i];
		rep[i].vec = sl->jvec[i];
		rep[i].dim = sl->jdim[i];
		rep[i].error = sl->jerr[i];
	}
	if (score_judge_followup(tc, sl->calls, rep, sl->n_calls, &more, &n_more, &gerr)) {
		grading_error(&sl->cand, &gerr);
		record(r, sl, &sl->cand, NULL);
		free(rep);
		release(r, sl);
		return;
	}
	if (n_more > 0) {
		size_t n = sl->n_calls + n_more;
		free(rep);
		sl->calls = xrealloc(sl->calls, n * sizeof *sl->calls);
		memcpy(sl->calls + sl->n_calls, more, n_more * sizeof *more);
		free(more); /* the strings moved into sl->calls */
		sl->jtext = xrealloc(sl->jtext, n * sizeof *sl->jtext);
		sl->jerr = xrealloc(sl->jerr, n * sizeof *sl->jerr);
		sl->jvec = xrealloc(sl->jvec, n * sizeof *sl->jvec);
		sl->jdim = xrealloc(sl->jdim, n * sizeof *sl->jdim);
		for (size_t i = sl->n_calls; i < n; i++) {
			struct pending *pe;
			sl->jtext[i] = sl->jerr[i] = NULL;
			sl->jvec[i] = NULL;
			sl->jdim[i] = 0;
			pe = push_pending(r);
			pe->parent = sl;
			pe->call = i;
			pe->prov = judge_index(r, sl, i);
		}
		sl->n_open = n_more;
		sl->n_calls = n;
		return;
	}
	score_judge_calls_free(more, n_more);
	if (score_grade_judged(tc, &sl->cand, sl->calls, rep, sl->n_calls, &g, &gerr)) {
		grading_error(&sl->cand, &gerr);
		record(r, sl, &sl->cand, NULL);
	} else {
		record(r, sl, &sl->cand, &g);
		grade_cleanup(&g);
	}
	free(rep);
	release(r, sl);
}

/* Parses an embedding reply ("[0.1, …]") into an owned vector. */
static double *parse_vector(const char *s, size_t *dim)
{
	json_t *a = json_loads(s, 0, NULL), *v;
	double *vec = NULL;
	size_t i;
	*dim = 0;
	if (!json_is_array(a) || !json_array_size(a)) {
		json_decref(a);
		return NULL;
	}
	vec = xcalloc(json_array_size(a), sizeof *vec);
	json_array_foreach(a, i, v) {
		if (!json_is_number(v)) {
			free(vec);
			json_decref(a);
			return NULL;
		}
		vec[i] = json_number_value(v);
	}
	*dim = json_array_size(a);
	json_decref(a);
	return vec;
}

/* A judge call's final answer (or failure) reaches its candidate. */
static void deliver(struct run *r, struct slot *sl, struct response *resp)
{
	struct slot *par = sl->parent;
	const struct judge_call *call = &par->calls[sl->call];
	size_t i = sl->call;
	par->judge_count++;
	if (resp->cost_usd > 0)
		par->judge_cost += resp->cost_usd;
	par->judge_latency += resp->latency_ms;
	if (resp->error != RESP_OK) {
		par->jerr[i] = xasprintf("the judge %s failed: %s",
					 r->ps[sl->prov].p->spec->id,
					 resp->error_msg ? resp->error_msg : "error");
	} else if (call->kind == JUDGE_EMBED) {
		par->jvec[i] = parse_vector(resp->output, &par->jdim[i]);
		if (!par->jvec[i])
			par->jerr[i] = xstrdup("the embeddings reply has no vector");
	} else {
		char *repair = NULL;
		if (score_judge_validate(call, resp->output, &repair)) {
			par->jtext[i] = resp->output;
			resp->output = NULL;
		} else if (!sl->repaired && repair) {
			/* Once more, with the reply and a repair instruction. */
			struct pending *pe = push_pending(r);
			pe->parent = par;
			pe->call = i;
			pe->messages = repair;
			pe->repaired = true;
			pe->prov = sl->prov;
			return;
		} else {
			char *ex = provider_excerpt(resp->output ? resp->output : "",
						    resp->output ? strlen(resp->output) : 0);
			free(repair);
			par->jerr[i] = xasprintf("the judge's reply is not in the "
						 "required format%s: %s",
						 sl->repaired ? " even after a repair request" : "",
						 ex);
			free(ex);
		}
	}
	if (--par->n_open == 0) {
		if (par->is_compare)
			compare_done(r, par);
		else
			judged(r, par);
	}
}

/* The longest wait a server hint can impose: the server knows its limits
 * better than retry_max_ms, but not without bound. */
static long hint_cap(const struct transport *t)
{
	return t->retry_max_ms * 4 > 120000 ? t->retry_max_ms * 4 : 120000;
}

/* The end of one attempt: retry it later, or finish it.  Takes resp. */
void attempt_done(struct run *r, struct slot *sl, struct response *resp)
{
	struct pstate *ps = &r->ps[sl->prov];
	const struct transport *t = &ps->p->tr;
	double now = fs_mono_ms();
	if (resp->error == RESP_OK) {
		if (!resp->cached)
			aimd_success(&ps->aimd);
		if (t->tpm > 0 && resp->total_tokens >= 0) /* settle the estimate */
			ps->tpm_tokens += (double)(sl->est_tokens - resp->total_tokens);
		if (r->o->cache && sl->cacheable && !resp->cached && !r->rc) {
			json_t *j = json_pack("{s:s?,s:s?,s:s?,s:I,s:I,s:I,s:f,s:f,s:f}",
				"output", resp->output, "finish_reason", resp->finish_reason,
				"served_model", resp->served_model,
				"prompt_tokens", (json_int_t)resp->prompt_tokens,
				"completion_tokens", (json_int_t)resp->completion_tokens,
				"total_tokens", (json_int_t)resp->total_tokens,
				"latency_ms", resp->latency_ms, "ttft_ms", resp->ttft_ms,
				"confidence", resp->confidence);
			char *txt = json_dumps(j, JSON_COMPACT);
			r->rc = store_cache_put(r->st, sl->cache_key, ps->p->spec->id,
						sl->req.body ? sl->req.body : "", txt, r->err);
			free(txt);
			json_decref(j);
		}
	} else if (resp->error == RESP_ERR_HTTP && resp->http_status == 429) {
		ps->hits_429++;
		aimd_throttled(&ps->aimd, now);
		if (sl->hint_ms > 0) /* capped like a single wait, below */
			ps->pause_until = fmax(ps->pause_until, now +
					       (double)(sl->hint_ms < hint_cap(t) ? sl->hint_ms : hint_cap(t)));
	}
	if (resp->error != RESP_OK && !stop_requested &&
	    retry_again(resp, sl->attempt + sl->resends, sl->waited_ms,
			t->max_retries, t->unavailable_wait_ms)) {
		long wait = sl->hint_ms >= 0 ? sl->hint_ms
			: retry_backoff_ms(sl->attempt, t->retry_base_ms,
					   t->retry_max_ms, &r->rng);
		struct pending *pe;
		if (wait > hint_cap(t))
			wait = hint_cap(t);
		pe = push_pending(r);
		pe->prov = sl->prov;
		pe->item = sl->item;
		pe->attempt = sl->attempt + 1 + sl->resends;
		pe->ready_at = now + (double)wait;
		pe->waited_ms = sl->waited_ms + (double)wait;
		pe->parent = sl->parent;
		pe->call = sl->call;
		pe->repaired = sl->repaired;
		pe->messages = sl->messages;
		sl->messages = NULL;
		response_cleanup(resp);
		release(r, sl);
		note_backoff(r);
		return;
	}
	resp->retries = sl->attempt + sl->resends;
	resp->retry_wait_ms = sl->waited_ms;
	if (sl->is_judge) {
		deliver(r, sl, resp);
	} else if (grade_or_judge(r, sl, resp)) {
		response_cleanup(resp);
		note_backoff(r);
		return; /* the slot waits for its judges */
	}
	response_cleanup(resp);
	release(r, sl);
	note_backoff(r);
}

/* ---- HTTP transfers ---------------------------------------------------- */

/* The run whose transfers the curl callbacks serve (one at a time). */
static struct run *engine_current_run;

static int on_sse_event(void *ud, const char *event, const char *data,
			size_t len)
{
	struct slot *sl = ud;
	const struct provider *p = engine_current_run->ps[sl->prov].p;
	size_t before = sl->text.len;
	enum stream_step step = p->ops->stream_event(p, event, data, len,
						     &sl->text, &sl->sresp);
	if (sl->text.len > before && sl->t_first_token == 0)
		sl->t_first_token = fs_mono_ms();
	if (step == STREAM_DONE)
		sl->stream_done = true;
	else if (step == STREAM_ERROR)
		sl->stream_failed = true;
	return step == STREAM_MORE ? 0 : 1;
}

static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
	struct slot *sl = ud;
	size_t len = size * n;
	double now = fs_mono_ms();
	if (sl->t_first_byte == 0)
		sl->t_first_byte = now;
	sl->t_last_data = now;
	if (!sl->sse_decided) {
		const struct provider *p = engine_current_run->ps[sl->prov].p;
		long status = 0;
		curl_easy_getinfo(sl->easy, CURLINFO_RESPONSE_CODE, &status);
		sl->sse_mode = p->stream && status < 300;
		sl->sse_decided = true;
		if (sl->sse_mode)
			sse_init(&sl->sse, on_sse_event, sl);
	}
	if (sl->sse_mode) {
		int rc;
		if (sl->stream_done || sl->stream_failed)
			return len; /* ignore anything after the end */
		rc = sse_feed(&sl->sse, data, len);
		if (rc < 0) {
			sl->too_big = true;
			return 0;
		}
		return len;
	}
	if (sl->body.len + len > MAX_BODY) {
		sl->too_big = true;
		return 0; /* makes curl fail the transfer */
	}
	buf_append(&sl->body, data, len);
	return len;
}

static size_t on_header(char *data, size_t size, size_t n, void *ud)
{
	struct slot *sl = ud;
	size_t len = size * n;
	const char *colon = memchr(data, ':', len);
	if (colon && len < 512) {
		char name[128], value[384];
		size_t nl = (size_t)(colon - data), vl;
		const char *v = colon + 1;
		if (nl < sizeof name) {
			long h;
			memcpy(name, data, nl);
			name[nl] = '\0';
			while (v < data + len && (*v == ' ' || *v == '\t'))
				v++;
			vl = (size_t)(data + len - v);
			while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
				vl--;
			if (vl < sizeof value) {
				memcpy(value, v, vl);
				value[vl] = '\0';
				h = retry_hint_ms(name, value, fs_now_ms());
				if (h >= 0 && h > sl->hint_ms)
					sl->hint_ms = h;
			}
		}
	}
	return len;
}

static enum resp_error map_curl_error(CURLcode c)
{
	switch (c) {
	case CURLE_OPERATION_TIMEDOUT:
		return RESP_ERR_TIMEOUT;
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_SSL_CONNECT_ERROR:
		return RESP_ERR_CONNECT;
	case CURLE_PARTIAL_FILE:
	case CURLE_BAD_CONTENT_ENCODING:
		return RESP_ERR_BODY;
	default:
		return RESP_ERR_OTHER;
	}
}

/* libcurl re-sends a request by itself when a reused keep-alive
 * connection turns out to be dead before any response byte, and offers no
 * option to stop it.  Such a re-send may still reach (and cost at) a real
 * API, so it is counted as a retry: the only trace is this informational
 * text, hence the debug callback (text lines only; data is ignored). */
static int on_debug(CURL *h, curl_infotype type, char *data, size_t size,
		    void *ud)
{
	static const char needle[] = "retrying a fresh connect";
	struct slot *sl = ud;
	(void)h;
	if (type == CURLINFO_TEXT && size >= sizeof needle - 1 &&
	    memmem(data, size, needle, sizeof needle - 1))
		sl->resends++;
	return 0;
}

/* Serves an item from the cache when the key is there. */
static bool cache_hit(struct run *r, struct slot *sl)
{
	char *txt = NULL;
	json_t *j;
	json_error_t je;
	struct response resp;
	if (store_cache_get(r->st, sl->cache_key, &txt, r->err) || !txt) {
		free(txt);
		return false;
	}
	j = json_loads(txt, 0, &je);
	free(txt);
	if (!json_is_object(j) || !json_is_string(json_object_get(j, "output"))) {
		json_decref(j);
		return false;
	}
	response_init(&resp);
	resp.output = xstrdup(json_string_value(json_object_get(j, "output")));
	if (json_is_string(json_object_get(j, "finish_reason")))
		resp.finish_reason = xstrdup(json_string_value(json_object_get(j, "finish_reason")));
	resp.prompt_tokens = (long)json_integer_value(json_object_get(j, "prompt_tokens"));
	resp.completion_tokens = (long)json_integer_value(json_object_get(j, "completion_tokens"));
	resp.total_tokens = (long)json_integer_value(json_object_get(j, "total_tokens"));
	resp.latency_ms = json_number_value(json_object_get(j, "latency_ms"));
	resp.ttft_ms = json_number_value(json_object_get(j, "ttft_ms"));
	if (json_is_string(json_object_get(j, "served_model")))
		resp.served_model = xstrdup(json_string_value(json_object_get(j, "served_model")));
	if (json_is_number(json_object_get(j, "confidence")))
		resp.confidence = json_number_value(json_object_get(j, "confidence"));
	resp.cached = true;
	json_decref(j);
	provider_set_cost(r->ps[sl->prov].p, &resp);
	attempt_done(r, sl, &resp);
	return true;
}

static void start_http(struct run *r, struct slot *sl, const struct provider *p)
{
	const struct transport *t = &p->tr;
	if (r->o->cache) {
		char rep[16];
		struct hash_part parts[4];
		snprintf(rep, sizeof rep, "%d", sl->rep);
		parts[0].p = p->spec->id;
		parts[0].n = strlen(p->spec->id);
		parts[1].p = sl->req.url;
		parts[1].n = strlen(sl->req.url);
		parts[2].p = sl->req.body ? sl->req.body : "";
		parts[2].n = sl->req.body ? sl->req.body_len : 0;
		parts[3].p = rep;
		parts[3].n = strlen(rep);
		hash_sha256_parts(parts, 4, sl->cache_key);
		sl->cacheable = true;
		if (sl->attempt == 0 && cache_hit(r, sl))
			return;
	}
	if (!sl->easy)
		sl->easy = curl_easy_init();
	else
		curl_easy_reset(sl->easy);
	curl_easy_setopt(sl->easy, CURLOPT_URL, sl->req.url);
	curl_easy_setopt(sl->easy, CURLOPT_HTTPHEADER, sl->req.headers);
	if (sl->req.method && !strcmp(sl->req.method, "GET")) {
		curl_easy_setopt(sl->easy, CURLOPT_HTTPGET, 1L);
	} else {
		if (sl->req.method && strcmp(sl->req.method, "POST"))
			curl_easy_setopt(sl->easy, CURLOPT_CUSTOMREQUEST, sl->req.method);
		curl_easy_setopt(sl->easy, CURLOPT_POSTFIELDS, sl->req.body ? sl->req.body : "");
		curl_easy_setopt(sl->easy, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)(sl->req.body ? sl->req.body_len : 0));
	}
	curl_easy_setopt(sl->easy, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(sl->easy, CURLOPT_WRITEDATA, sl);
	curl_easy_setopt(sl->easy, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(sl->easy, CURLOPT_HEADERDATA, sl);
	curl_easy_setopt(sl->easy, CURLOPT_PRIVATE, sl);
	curl_easy_setopt(sl->easy, CURLOPT_ERRORBUFFER, sl->errbuf);
	curl_easy_setopt(sl->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(sl->easy, CURLOPT_TIMEOUT_MS, t->timeout_ms);
	curl_easy_setopt(sl->easy, CURLOPT_CONNECTTIMEOUT_MS, t->connect_timeout_ms);
	curl_easy_setopt(sl->easy, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(sl->easy, CURLOPT_USERAGENT, "assay/" "0.1");
	curl_easy_setopt(sl->easy, CURLOPT_DEBUGFUNCTION, on_debug);
	curl_easy_setopt(sl->easy, CURLOPT_DEBUGDATA, sl);
	curl_easy_setopt(sl->easy, CURLOPT_VERBOSE, 1L);
	curl_multi_add_handle(r->multi, sl->easy);
}

/* Turns a finished (or aborted) transfer into a response. */
static void finish_http(struct run *r, struct slot *sl, CURLcode cc,
			enum resp_error forced, const char *forced_msg)
{
	const struct provider *p = r->ps[sl->prov].p;
	struct response resp;
	long status = 0;
	double now = fs_mono_ms();
	curl_multi_remove_handle(r->multi, sl->easy);
	curl_easy_getinfo(sl->easy, CURLINFO_RESPONSE_CODE, &status);
	response_init(&resp);
	resp.latency_ms = now - sl->t_start;
	resp.http_status = (int)status;
	if (forced != RESP_OK) {
		resp.error = forced;
		resp.error_msg = xstrdup(forced_msg);
	} else if (sl->too_big) {
		resp.error = RESP_ERR_BODY;
		resp.error_msg = sl->sse_mode && sse_over_total(&sl->sse)
			? xasprintf("stream larger than %zu bytes in all", SSE_MAX_TOTAL)
			: xasprintf(sl->sse_mode ? "stream event larger than the limit"
				    : "response body larger than %zu bytes", MAX_BODY);
	} else if (cc != CURLE_OK && !(sl->sse_mode && (sl->stream_done || sl->stream_failed))) {
		resp.error = map_curl_error(cc);
		resp.error_msg = xasprintf("%s%s", sl->errbuf[0] ? sl->errbuf : curl_easy_strerror(cc),
					   sl->sse_mode && sl->text.len ? " (stream cut mid-way)" : "");
		if (resp.error == RESP_ERR_CONNECT && sl->sse_mode && sl->t_first_byte > 0)
			resp.error = RESP_ERR_BODY;
	} else if (sl->sse_mode) {
		/* Take what the stream events filled in. */
		resp.finish_reason = sl->sresp.finish_reason;
		sl->sresp.finish_reason = NULL;
		resp.prompt_tokens = sl->sresp.prompt_tokens;
		resp.completion_tokens = sl->sresp.completion_tokens;
		resp.total_tokens = sl->sresp.total_tokens;
		resp.served_model = sl->sresp.served_model;
		sl->sresp.served_model = NULL;
		if (sl->stream_failed) {
			resp.error = sl->sresp.error ? sl->sresp.error : RESP_ERR_BODY;
			resp.error_msg = sl->sresp.error_msg ? sl->sresp.error_msg
							     : xstrdup("stream failed");
			sl->sresp.error_msg = NULL;
			if (sl->sresp.http_status) /* an error event's own status */
				resp.http_status = sl->sresp.http_status;
			resp.error_type = sl->sresp.error_type;
			sl->sresp.error_type = NULL;
		} else if (!sl->stream_done) {
			resp.error = RESP_ERR_BODY;
			resp.error_msg = xasprintf("stream ended before its end marker "
						   "(%zu bytes of text received)", sl->text.len);
		} else {
			resp.output = buf_detach(&sl->text);
			resp.confidence = sl->sresp.confidence;
			resp.ttft_ms = sl->t_first_token > 0 ? sl->t_first_token - sl->t_start
							     : resp.latency_ms;
		}
	} else {
		p->ops->parse(p, status, buf_str(&sl->body), sl->body.len, &resp);
	}
	provider_set_cost(p, &resp);
	attempt_done(r, sl, &resp);
}

/* ---- starting an attempt ----------------------------------------------- */

static void fail_now(struct run *r, struct slot *sl, enum resp_error e,
		     const char *msg)
{
	struct response resp;
	response_init(&resp);
	resp.error = e;
	resp.error_msg = xstrdup(msg);
	sl->attempt = r->ps[sl->prov].p->tr.max_retries; /* never retried */
	attempt_done(r, sl, &resp);
}

/* Resets a free slot for a new attempt and counts it in flight. */
static void slot_begin(struct run *r, struct slot *sl, int prov, int attempt,
		       double waited, bool judge)
{
	struct pstate *ps = &r->ps[prov];
	response_init(&sl->sresp);
	sl->busy = true;
	sl->is_judge = judge;
	sl->prov = prov;
	sl->attempt = attempt;
	sl->waited_ms = waited;
	sl->too_big = sl->sse_mode = sl->sse_decided = false;
	sl->stream_done = sl->stream_failed = false;
	sl->hint_ms = -1;
	sl->resends = 0;
	sl->cacheable = false;
	sl->errbuf[0] = '\0';
	sl->started_wall = fs_now_ms();
	sl->t_start = fs_mono_ms();
	sl->t_first_byte = sl->t_first_token = sl->t_last_data = 0;
	sl->is_exec = ps->p->ops->exec_argv != NULL;
	sl->fd_in = sl->fd_out = sl->fd_err = -1;
	sl->pid = 0;
	sl->exited = false;
	sl->wstatus = 0;
	ps->in_flight++;
	r->in_flight++;
	if (judge)
		r->judge_in_flight++;
	else
		r->cand_in_flight++;
}

/* Debits the provider's budgets for a request of est tokens. */
static void debit(struct pstate *ps, long est)
{
	refill(ps, fs_mono_ms());
	if (ps->p->tr.rpm > 0)
		ps->rpm_tokens -= 1;
	if (ps->p->tr.tpm > 0)
		ps->tpm_tokens -= (double)est;
}

static void launch(struct run *r, int prov, long item, int attempt,
		   double waited)
{
	struct slot *sl = free_slot(r);
	struct pstate *ps = &r->ps[prov];
	const struct provider *p = ps->p;
	const struct prompt *pr;
	struct err berr;
	slot_begin(r, sl, prov, attempt, waited, false);
	sl->item = item;
	decompose(r, item, sl);
	pr = &r->s->prompts[sl->prompt];
	err_clear(&berr);
	sl->prompt_text = suite_render_prompt(pr, r->s->tests[sl->test].vars, &berr);
	if (!sl->prompt_text) {
		char *m = xasprintf("cannot render the prompt: %s", berr.msg);
		fail_now(r, sl, RESP_ERR_OTHER, m);
		free(m);
		return;
	}
	sl->est_tokens = estimate_tokens(p, sl->prompt_text);
	debit(ps, sl->est_tokens);
	if (sl->is_exec) {
		char **argv = NULL, why[600];
		if (p->ops->exec_argv(p, sl->prompt_text, pr, r->s->tests[sl->test].vars,
				      &argv, &sl->stdin_text, &berr)) {
			char *m = xasprintf("cannot build the command: %s", berr.msg);
			fail_now(r, sl, RESP_ERR_EXEC, m);
			free(m);
			return;
		}
		sl->stdin_len = strlen(sl->stdin_text);
		sl->stdin_off = 0;
		if (engine_spawn_child(sl, p, argv, why, sizeof why)) {
			for (char **a = argv; *a; a++)
				free(*a);
			free(argv);
			fail_now(r, sl, RESP_ERR_EXEC, why);
			return;
		}
		for (char **a = argv; *a; a++)
			free(*a);
		free(argv);
		return;
	}
	if (p->ops->build(p, sl->prompt_text, pr->is_chat, r->s->tests[sl->test].vars,
			  &sl->req, &berr)) {
		char *m = xasprintf("cannot build the request: %s", berr.msg);
		fail_now(r, sl, RESP_ERR_OTHER, m);
		free(m);
		return;
	}
	start_http(r, sl, p);
}

/* Starts one judge call of candidate `par` (pending entry pe). */
static void launch_judge(struct run *r, const struct pending *pe)
{
	struct slot *sl = free_slot(r);
	struct pstate *ps = &r->ps[pe->prov];
	const struct provider *p = ps->p;
	const struct judge_call *call = &pe->parent->calls[pe->call];
	const char *body_text;
	struct err berr;
	slot_begin(r, sl, pe->prov, pe->attempt, pe->waited_ms, true);
	sl->parent = pe->parent;
	sl->call = pe->call;
	sl->repaired = pe->repaired;
	sl->messages = pe->messages;  /* a repair conversation, or NULL */
	sl->test = pe->parent->test;
	sl->prompt = pe->parent->prompt;
	sl->rep = pe->parent->rep;
	sl->item = pe->parent->item;
	err_clear(&berr);
	if (call->kind == JUDGE_EMBED && !p->embed) {
		char *m = xasprintf("%s is not an embeddings provider (use "
				    "openai:embedding:<model>)", p->spec->id);
		fail_now(r, sl, RESP_ERR_OTHER, m);
		free(m);
		return;
	}
	if (call->kind == JUDGE_CHAT && (p->embed || sl->is_exec || !p->ops->build)) {
		char *m = xasprintf("%s cannot judge: a judge must be a chat model",
				    p->spec->id);
		fail_now(r, sl, RESP_ERR_OTHER, m);
		free(m);
		return;
	}
	body_text = call->kind == JUDGE_EMBED ? call->text
		  : sl->messages ? sl->messages : call->messages;
	sl->est_tokens = estimate_tokens(p, body_text);
	debit(ps, sl->est_tokens);
	if (p->ops->build(p, body_text, call->kind == JUDGE_CHAT, NULL, &sl->req, &berr)) {
		char *m = xasprintf("cannot build the judge request: %s", berr.msg);
		fail_now(r, sl, RESP_ERR_OTHER, m);
		free(m);
		return;
	}
	start_http(r, sl, p);
}

/* The run.ps index of the judge for a call of candidate `par`. */
static int judge_index(const struct run *r, const struct slot *par, size_t call)
{
	const struct provider *p = judges_get(r->o->judges, par->calls[call].provider,
					      &r->s->tests[par->test]);
	if (par->calls[call].kind == JUDGE_EMBED) {
		const struct provider *e = judges_embedder(r->o->judges, p);
		if (e)
			p = e; /* else launch_judge reports a chat-only judge */
	}
	for (size_t i = r->n_cand; i < r->n_ps; i++)
		if (r->ps[i].p == p)
			return (int)i;
	return -1;
}

/* ---- the comparison pass ---------------------------------------------- */

/* The next (test, prompt, repeat, comparison assertion), or false. */
static bool next_comparison(struct run *r, size_t *t, size_t *p, int *rep,
			    size_t *ai)
{
	const struct suite *s = r->s;
	for (; r->cmp_t < s->n_tests; r->cmp_t++, r->cmp_p = 0, r->cmp_r = 0, r->cmp_a = 0) {
		const struct test_case *tc = &s->tests[r->cmp_t];
		for (; r->cmp_p < s->n_prompts; r->cmp_p++, r->cmp_r = 0, r->cmp_a = 0)
			for (; r->cmp_r < r->o->repeat; r->cmp_r++, r->cmp_a = 0)
				for (; r->cmp_a < tc->n_asserts; r->cmp_a++)
					if (score_is_comparison(&tc->asserts[r->cmp_a])) {
						*t = r->cmp_t;
						*p = r->cmp_p;
						*rep = r->cmp_r;
						*ai = r->cmp_a++;
						return true;
					}
	}
	return false;
}

/* Folds a comparison's outcomes into every compared result and frees the
 * comparison. */
static void compare_done(struct run *r, struct slot *par)
{
	const struct test_case *tc = &r->s->tests[par->test];
	size_t nv = r->n_cand;
	struct judge_reply *rep = xcalloc(par->n_calls ? par->n_calls : 1, sizeof *rep);
	struct assert_outcome *out = xcalloc(nv, sizeof *out);
	struct assert_outcome *cur = xcalloc(tc->n_asserts ? tc->n_asserts : 1, sizeof *cur);
	double consistency = NAN;
	struct err gerr;
	err_clear(&gerr);
	for (size_t i = 0; i < par->n_calls; i++) {
		rep[i].text = par->jtext[i];
		rep[i].error = par->jerr[i];
	}
	r->tot->judge_calls += par->judge_count;
	r->tot->compare_calls += par->judge_count;
	r->tot->compare_cost += par->judge_cost;
	if (score_compare_grade(tc, par->cmp_ai, (const char *const *)par->outputs, nv,
				par->calls, rep, par->n_calls, out, &consistency, &gerr)) {
		fprintf(stderr, "assay: comparison for test %zu not graded: %s\n",
			par->test + 1, gerr.msg);
		r->tot->compare_errors++;
	} else {
		if (!isnan(consistency)) {
			r->tot->consistency_sum += consistency;
			r->tot->consistency_n++;
		}
		for (size_t v = 0; v < nv && !r->rc; v++) {
			bool found = false;
			struct grade g;
			if (!par->outputs[v])
				continue;
			r->rc = store_result_outcomes(r->st, r->run_id, par->test, par->prompt, v,
						      par->rep, cur, tc->n_asserts, &found, r->err);
			if (!r->rc && found) {
				struct grade before;
				bool was_pass = false;
				memset(&before, 0, sizeof before);
				if (score_combine_outcomes(tc, cur, &before, &gerr) == 0) {
					was_pass = before.pass;
					grade_cleanup(&before);
				}
				free(cur[par->cmp_ai].reason);
				cur[par->cmp_ai].pass = out[v].pass;
				cur[par->cmp_ai].score = out[v].score;
				cur[par->cmp_ai].reason = xstrdup(out[v].reason ? out[v].reason : "");
				memset(&g, 0, sizeof g);
				if (score_combine_outcomes(tc, cur, &g, &gerr) == 0) {
					r->rc = store_result_regrade(r->st, r->run_id, par->test,
								     par->prompt, v, par->rep, &g, r->err);
					/* The totals (and the exit status) follow. */
					if (was_pass && !g.pass) {
						r->tot->passes--;
						r->tot->fails++;
					} else if (!was_pass && g.pass) {
						r->tot->fails--;
						r->tot->passes++;
					}
					grade_cleanup(&g);
				}
			}
			for (size_t i = 0; i < tc->n_asserts; i++) {
				free(cur[i].reason);
				cur[i].reason = NULL;
			}
		}
	}
	for (size_t v = 0; v < nv; v++) {
		free(out[v].reason);
		free(par->outputs[v]);
	}
	free(out);
	free(cur);
	free(rep);
	free(par->outputs);
	free_judging(par);
	free(par);
	r->cmp_active--;
}

/* Starts the next comparisons, up to the concurrency. */
static void start_comparisons(struct run *r)
{
	size_t t, p, ai;
	int rep;
	while (!r->cmp_done && r->cmp_active < r->cand_slots && !r->rc) {
		struct slot *par;
		struct judge_call *calls = NULL;
		size_t n = 0;
		struct err gerr;
		if (!next_comparison(r, &t, &p, &rep, &ai)) {
			r->cmp_done = true;
			break;
		}
		par = xcalloc(1, sizeof *par);
		par->is_compare = true;
		par->test = t;
		par->prompt = p;
		par->rep = rep;
		par->cmp_ai = ai;
		par->outputs = xcalloc(r->n_cand ? r->n_cand : 1, sizeof *par->outputs);
		r->cmp_active++;
		if ((r->rc = store_case_outputs(r->st, r->run_id, t, p, rep, r->n_cand,
						par->outputs, r->err)))
			break;
		err_clear(&gerr);
		if (score_compare_plan(&r->s->tests[t], ai, (const char *const *)par->outputs,
				       r->n_cand, &calls, &n, &gerr))
			n = 0;
		par->calls = calls;
		par->n_calls = par->n_open = n;
		par->jtext = xcalloc(n ? n : 1, sizeof *par->jtext);
		par->jerr = xcalloc(n ? n : 1, sizeof *par->jerr);
		par->jvec = xcalloc(n ? n : 1, sizeof *par->jvec);
		par->jdim = xcalloc(n ? n : 1, sizeof *par->jdim);
		if (n == 0) {
			compare_done(r, par);
			continue;
		}
		for (size_t i = 0; i < n; i++) {
			struct pending *pe = push_pending(r);
			pe->parent = par;
			pe->call = i;
			pe->prov = judge_index(r, par, i);
		}
	}
}

/* Starts whatever may start now: due retries and judge calls first, then
 * new items from the providers in turn. */
static void launch_ready(struct run *r)
{
	double now = fs_mono_ms();
	size_t i = 0;
	if (r->cmp_phase)
		start_comparisons(r);
	while (i < r->n_pend && !r->rc) {
		struct pending pe = r->pend[i];
		bool judge = pe.parent != NULL;
		bool room = judge ? r->judge_in_flight < r->n_slots - r->cand_slots
				  : r->cand_in_flight < r->cand_slots;
		if (judge && pe.prov < 0) {
			/* No judge for this call (judges_new prevents it). */
			struct slot *par = pe.parent;
			r->pend[i] = r->pend[--r->n_pend];
			free(pe.messages);
			par->jerr[pe.call] = xstrdup("no judge provider for this assertion");
			if (--par->n_open == 0) {
				if (par->is_compare)
					compare_done(r, par);
				else
					judged(r, par);
			}
			continue;
		}
		if (room && pe.ready_at <= now && can_start(r, &r->ps[pe.prov], now)) {
			r->pend[i] = r->pend[--r->n_pend];
			if (judge)
				launch_judge(r, &pe);
			else
				launch(r, pe.prov, pe.item, pe.attempt, pe.waited_ms);
			/* launches may push entries: i stays valid, the array may move */
		} else {
			i++;
		}
	}
	for (;;) {
		bool any = false;
		for (size_t k = 0; k < r->n_cand && r->cand_in_flight < r->cand_slots && !r->rc; k++) {
			size_t v = (r->rr + k) % r->n_cand;
			struct pstate *ps = &r->ps[v];
			if (ps->cursor >= ps->n_items || !can_start(r, ps, now))
				continue;
			if (r->o->delay_ms > 0) {
				if (now < r->next_start)
					return;
				r->next_start = now + (double)r->o->delay_ms;
			}
			launch(r, (int)v, ps->cursor++, 0, 0);
			any = true;
		}
		r->rr = (r->rr + 1) % (r->n_cand ? r->n_cand : 1);
		if (!any || r->cand_in_flight >= r->cand_slots || r->rc)
			break;
	}
}

/* First-byte and idle timeouts (libcurl has the total one). */
static void check_timeouts(struct run *r)
{
	double now = fs_mono_ms();
	for (int i = 0; i < r->n_slots; i++) {
		struct slot *sl = &r->slots[i];
		const struct transport *t;
		char msg[128];
		if (!sl->busy)
			continue;
		t = &r->ps[sl->prov].p->tr;
		if (sl->is_exec) {
			if (now - sl->t_start > (double)t->timeout_ms)
				engine_finish_exec(r, sl, true);
			continue;
		}
		if (t->first_byte_timeout_ms > 0 && sl->t_first_byte == 0 &&
		    now - sl->t_start > (double)t->first_byte_timeout_ms) {
			snprintf(msg, sizeof msg, "no response within %ld ms (first-byte timeout)",
				 t->first_byte_timeout_ms);
			finish_http(r, sl, CURLE_OK, RESP_ERR_TIMEOUT, msg);
		} else if (t->idle_timeout_ms > 0 && sl->t_last_data > 0 &&
			   now - sl->t_last_data > (double)t->idle_timeout_ms) {
			snprintf(msg, sizeof msg, "no data for %ld ms (idle timeout)",
				 t->idle_timeout_ms);
			finish_http(r, sl, CURLE_OK, RESP_ERR_TIMEOUT, msg);
		}
	}
}

/* How long the loop may sleep: until the next retry or budget refill. */
static int poll_timeout(const struct run *r)
{
	double now = fs_mono_ms(), wake = now + 100;
	for (size_t i = 0; i < r->n_pend; i++)
		wake = fmin(wake, r->pend[i].ready_at);
	for (size_t i = 0; i < r->n_ps; i++) {
		const struct pstate *ps = &r->ps[i];
		if (ps->cursor < ps->n_items && ps->pause_until > now)
			wake = fmin(wake, ps->pause_until);
		if (ps->p->tr.rpm > 0 || ps->p->tr.tpm > 0)
			wake = fmin(wake, now + 10);
	}
	if (r->o->delay_ms > 0)
		wake = fmin(wake, fmax(now, r->next_start));
	return (int)fmax(0, ceil(wake - now));
}

static bool work_left(const struct run *r)
{
	if (r->in_flight > 0 || r->n_pend > 0)
		return true;
	if (r->cmp_phase && (!r->cmp_done || r->cmp_active > 0))
		return true;
	for (size_t i = 0; i < r->n_ps; i++)
		if (r->ps[i].cursor < r->ps[i].n_items)
			return true;
	return false;
}

/* Runs the loop until no work is left, the store fails or a stop is
 * asked for. */
static void run_loop(struct run *r, struct curl_waitfd *wfds)
{
	while (work_left(r) && !r->rc) {
		int running, nw = 0;
		CURLMsg *msg;
		int busy_before;
		if (stop_requested) {
			r->tot->interrupted = true;
			break;
		}
		launch_ready(r);
		curl_multi_perform(r->multi, &running);
		busy_before = r->in_flight;
		while ((msg = curl_multi_info_read(r->multi, &running)))
			if (msg->msg == CURLMSG_DONE) {
				struct slot *sl = NULL;
				curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&sl);
				finish_http(r, sl, msg->data.result, RESP_OK, NULL);
			}
		for (int i = 0; i < r->n_slots; i++) {
			struct slot *sl = &r->slots[i];
			if (!sl->busy || !sl->is_exec)
				continue;
			engine_service_exec(r, sl);
			if (!sl->busy)
				continue;
			if (sl->fd_in >= 0)
				wfds[nw++] = (struct curl_waitfd){ sl->fd_in, CURL_WAIT_POLLOUT, 0 };
			if (sl->fd_out >= 0)
				wfds[nw++] = (struct curl_waitfd){ sl->fd_out, CURL_WAIT_POLLIN, 0 };
			if (sl->fd_err >= 0)
				wfds[nw++] = (struct curl_waitfd){ sl->fd_err, CURL_WAIT_POLLIN, 0 };
		}
		check_timeouts(r);
		if (!r->rc)
			r->rc = store_tick(r->st, r->err);
		/* A slot came free: fill it before sleeping, or it idles until
		 * the next socket event. */
		if (r->in_flight < busy_before)
			continue;
		if (work_left(r) && !r->rc) {
			int to = poll_timeout(r);
			bool exec_waiting = false;
			for (int i = 0; i < r->n_slots; i++)
				if (r->slots[i].busy && r->slots[i].is_exec &&
				    r->slots[i].fd_out < 0 && r->slots[i].fd_err < 0)
					exec_waiting = true; /* output closed, exit pending */
			curl_multi_poll(r->multi, wfds, (unsigned)nw,
					exec_waiting ? (to < 5 ? to : 5) : to, NULL);
		}
	}
}

static bool needs_comparisons(const struct suite *s)
{
	for (size_t t = 0; t < s->n_tests; t++)
		for (size_t a = 0; a < s->tests[t].n_asserts; a++)
			if (score_is_comparison(&s->tests[t].asserts[a]))
				return true;
	return false;
}

int engine_run(const struct suite *s, struct provider *const *provs,
	       struct store *st, int64_t run_id, const struct engine_opts *o,
	       struct engine_totals *tot, struct err *err)
{
	struct run r;
	struct curl_waitfd *wfds;
	void (*old_pipe)(int);
	memset(&r, 0, sizeof r);
	memset(tot, 0, sizeof *tot);
	stop_requested = 0;
	r.s = s;
	r.st = st;
	r.run_id = run_id;
	r.o = o;
	r.tot = tot;
	r.err = err;
	r.rng = o->seed ^ 0x5DEECE66DULL;
	r.items_per_prov = (long)(s->n_tests * s->n_prompts) * o->repeat;
	tot->total = r.items_per_prov * (long)s->n_providers;
	r.cand_slots = o->concurrency < 1 ? 1 : o->concurrency;
	/* Judges get their own slots, so candidates waiting for their judges
	 * can never starve the judge calls they wait for. */
	r.n_slots = r.cand_slots * (judges_count(o->judges) ? 2 : 1);
	r.slots = xcalloc((size_t)r.n_slots, sizeof *r.slots);
	for (int i = 0; i < r.n_slots; i++)
		r.slots[i].fd_in = r.slots[i].fd_out = r.slots[i].fd_err = -1;
	r.n_cand = s->n_providers;
	r.n_ps = r.n_cand + judges_count(o->judges);
	r.ps = xcalloc(r.n_ps ? r.n_ps : 1, sizeof *r.ps);
	for (size_t i = 0; i < r.n_ps; i++) {
		struct pstate *ps = &r.ps[i];
		ps->p = i < r.n_cand ? provs[i] : judges_at(o->judges, i - r.n_cand);
		ps->n_items = i < r.n_cand ? r.items_per_prov : 0;
		aimd_init(&ps->aimd, ps->p->tr.max_concurrency > 0 &&
					     ps->p->tr.max_concurrency < r.cand_slots
					     ? ps->p->tr.max_concurrency : r.cand_slots);
		ps->last_refill = fs_mono_ms();
		ps->rpm_tokens = fmax(1.0, ps->p->tr.rpm / 60.0);
		ps->tpm_tokens = fmax(1.0, ps->p->tr.tpm / 60.0);
	}
	wfds = xcalloc((size_t)r.n_slots * 3 + 1, sizeof *wfds);
	engine_current_run = &r;
	old_pipe = signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	r.multi = curl_multi_init();
	curl_multi_setopt(r.multi, CURLMOPT_MAXCONNECTS, (long)r.n_slots * 2);
	run_loop(&r, wfds);
	/* Comparisons need every provider's output: a second pass. */
	if (!r.rc && !tot->interrupted && needs_comparisons(s)) {
		r.cmp_phase = true;
		run_loop(&r, wfds);
	}
	for (int i = 0; i < r.n_slots; i++) {
		struct slot *sl = &r.slots[i];
		if (sl->busy && sl->is_exec)
			engine_kill_child(sl);
		if (sl->easy) {
			if (sl->busy)
				curl_multi_remove_handle(r.multi, sl->easy);
			curl_easy_cleanup(sl->easy);
		}
		release(&r, sl);
		buf_free(&sl->body);
		buf_free(&sl->text);
		buf_free(&sl->out);
		buf_free(&sl->errb);
	}
	free(r.slots);
	for (size_t i = 0; i < r.n_pend; i++)
		free(r.pend[i].messages);
	free(r.pend);
	free(r.ps);
	free(wfds);
	curl_multi_cleanup(r.multi);
	curl_global_cleanup();
	signal(SIGPIPE, old_pipe);
	engine_current_run = NULL;
	return r.rc;
}

int engine_check_suite(const struct suite *s, struct err *err)
{
	for (size_t i = 0; i < s->n_tests; i++) {
		const struct test_case *tc = &s->tests[i];
		if (tc->transform && score_transform_check(tc->transform, err)) {
			char why[sizeof err->msg];
			snprintf(why, sizeof why, "%s", err->msg);
			return err_at(err, tc->loc.file, tc->loc.line, tc->loc.col,
				      "options.transform: %s", why);
		}
		for (size_t j = 0; j < tc->n_asserts; j++) {
			int rc = score_check(&tc->asserts[j], tc->vars, err);
			if (rc)
				return rc;
		}
	}
	return 0;
}
