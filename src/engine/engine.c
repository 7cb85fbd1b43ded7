/* engine.c — the run loop: one thread; libcurl's multi interface for HTTP,
 * non-blocking pipes for `exec:` children and grading children, timers for
 * retries and budgets; a fixed pool of slots.  Each finished item is
 * parsed by its provider, graded, handed to the store (whose writer
 * thread writes it) and freed before its slot is reused, so memory
 * depends on the concurrency, not on the number of cases.
 *
 * This file schedules: per-provider budgets and concurrency, the pending
 * queue (retries after their backoff, judge calls waiting for a judge
 * slot), the end of an attempt (retry it, or hand the result on), slots
 * and their release, and how long the loop may sleep.  A slot has a role
 * (engine_int.h) and each role lives in its own file: HTTP transfers
 * (engine_http.c), `exec:` children (engine_exec.c), judge calls and
 * candidates waiting for them (engine_judge.c), grading children
 * (engine_grade.c), the comparison pass (engine_compare.c). */
#include "engine.h"
#include "progress.h"
#include "retry.h"
#include "judges.h"
#include "engine_int.h"
#include "../util/buf.h"
#include "../util/fsutil.h"
#include "../util/xalloc.h"

#include <curl/curl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile sig_atomic_t stop_requested;

void engine_request_stop(void)
{
	stop_requested = 1;
}

bool engine_stopping(void)
{
	return stop_requested != 0;
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
long engine_estimate_tokens(const struct provider *p, const char *prompt)
{
	const json_t *mt = json_object_get(p->spec->config, "max_tokens");
	long out = json_is_integer(mt) ? (long)json_integer_value(mt) : 256;
	return (long)(strlen(prompt) / 4) + 1 + out;
}

/* Room for one more candidate request: the results handed to the store's
 * writer and not yet committed count as in flight, so a kill -9 loses at
 * most -j results, in flight or in hand, as when the loop committed them
 * itself before it slept (store.h, store_uncommitted). */
static bool cand_room(const struct run *r)
{
	return r->cand_in_flight + store_uncommitted(r->st) < r->cand_slots;
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

struct pending *engine_push_pending(struct run *r)
{
	struct pending *pe;
	r->pend = xgrow(r->pend, &r->cap_pend, r->n_pend + 1, sizeof *r->pend);
	pe = &r->pend[r->n_pend++];
	memset(pe, 0, sizeof *pe);
	return pe;
}

void engine_release(struct run *r, struct slot *sl)
{
	engine_cvar_end(r, sl, NULL);   /* an item ended without a response */
	switch (sl->role) {
	case ROLE_HTTP:
		if (sl->easy)
			curl_multi_remove_handle(r->multi, sl->easy);
		engine_http_part_free(sl);
		break;
	case ROLE_EXEC:
		engine_exec_part_free(sl);
		break;
	case ROLE_GRADING:
		engine_grade_kill(sl);
		break;
	default:
		break;
	}
	buf_free(&sl->g.out);
	free(sl->g.replies);
	sl->g.replies = NULL;
	engine_judging_free(sl->jd);
	sl->jd = NULL;
	if (sl->holds_cand)
		response_cleanup(&sl->cand);
	sl->holds_cand = false;
	free(sl->prompt_text);
	sl->prompt_text = NULL;
	free(sl->messages);
	sl->messages = NULL;
	engine_conv_free(sl->cv);
	sl->cv = NULL;
	if (sl->busy) {
		r->ps[sl->prov].in_flight--;
		r->in_flight--;
		if (sl->is_judge)
			r->judge_in_flight--;
		else
			r->cand_in_flight--;
	}
	if (sl->holds_test)
		suite_test_drop(r->s, sl->test);
	sl->holds_test = false;
	sl->busy = false;
	sl->role = ROLE_FREE;
	sl->parent = NULL;
}

/* Stores and counts one result; `g` is NULL when resp is an error. */
void engine_record(struct run *r, struct slot *sl, struct response *resp,
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
	rec.judge_calls = (sl->jd ? sl->jd->judge_count : 0);
	rec.judge_cost_usd = (sl->jd ? sl->jd->judge_cost : 0);
	rec.judge_latency_ms = (sl->jd ? sl->jd->judge_latency : 0);
	engine_conv_fold(sl, g); /* a conversation: its turns' verdicts */
	if (!r->rc)
		r->rc = store_result_put(r->st, r->run_id, &rec, r->err);
	r->tot->done++;
	r->tot->retries += resp->retries;
	r->tot->judge_calls += (sl->jd ? sl->jd->judge_count : 0);
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
void engine_grading_error(struct response *resp, const struct err *gerr)
{
	resp->error = RESP_ERR_OTHER;
	free(resp->error_msg);
	resp->error_msg = xasprintf("grading failed: %s", gerr->msg);
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
	bool http = sl->role == ROLE_HTTP;
	long hint_ms = http ? sl->u.h.hint_ms : -1;
	int resends = http ? sl->u.h.resends : 0;
	if (!http && sl->role != ROLE_EXEC) {
		response_cleanup(resp); /* finished already */
		return;
	}
	if (resp->error == RESP_OK) {
		if (!resp->cached)
			aimd_success(&ps->aimd);
		if (t->tpm > 0 && resp->total_tokens >= 0) /* settle the estimate */
			ps->tpm_tokens += (double)(sl->est_tokens - resp->total_tokens);
		if (r->o->cache && http && sl->u.h.cacheable && !resp->cached && !r->rc) {
			json_t *j = json_pack("{s:s?,s:s?,s:s?,s:I,s:I,s:I,s:f,s:f,s:f}",
				"output", resp->output, "finish_reason", resp->finish_reason,
				"served_model", resp->served_model,
				"prompt_tokens", (json_int_t)resp->prompt_tokens,
				"completion_tokens", (json_int_t)resp->completion_tokens,
				"total_tokens", (json_int_t)resp->total_tokens,
				"latency_ms", resp->latency_ms, "ttft_ms", resp->ttft_ms,
				"confidence", resp->confidence);
			char *txt = json_dumps(j, JSON_COMPACT);
			r->rc = store_cache_put(r->st, sl->u.h.cache_key, ps->p->spec->id,
						sl->u.h.req.body ? sl->u.h.req.body : "", txt, r->err);
			free(txt);
			json_decref(j);
		}
	} else if (resp->error == RESP_ERR_HTTP && resp->http_status == 429) {
		ps->hits_429++;
		aimd_throttled(&ps->aimd, now);
		if (hint_ms > 0) /* capped like a single wait, below */
			ps->pause_until = fmax(ps->pause_until, now +
					       (double)(hint_ms < hint_cap(t) ? hint_ms : hint_cap(t)));
	}
	/* The attempt is over: its transfer or child goes now, and no path
	 * can finish it again. */
	if (http)
		engine_http_part_free(sl);
	else
		engine_exec_part_free(sl);
	sl->role = ROLE_DONE;
	if (resp->error != RESP_OK && !stop_requested &&
	    retry_again(resp, sl->attempt + resends, sl->waited_ms,
			t->max_retries, t->unavailable_wait_ms)) {
		long wait = hint_ms >= 0 ? hint_ms
			: retry_backoff_ms(sl->attempt, t->retry_base_ms,
					   t->retry_max_ms, &r->rng);
		struct pending *pe;
		if (wait > hint_cap(t))
			wait = hint_cap(t);
		pe = engine_push_pending(r);
		pe->prov = sl->prov;
		pe->item = sl->item;
		pe->attempt = sl->attempt + 1 + resends;
		pe->ready_at = now + (double)wait;
		pe->waited_ms = sl->waited_ms + (double)wait;
		pe->parent = sl->parent;
		pe->call = sl->call;
		pe->repaired = sl->repaired;
		pe->messages = sl->messages;
		sl->messages = NULL;
		pe->cv = sl->cv;
		sl->cv = NULL;
		sl->cvar_open = false;   /* the retry keeps the chain */
		response_cleanup(resp);
		engine_release(r, sl);
		note_backoff(r);
		return;
	}
	resp->retries = sl->attempt + resends;
	resp->retry_wait_ms = sl->waited_ms;
	if (!sl->is_judge)
		engine_cvar_end(r, sl, resp);   /* before grading, as promptfoo */
	if (!sl->is_judge && engine_conv_next(r, sl, resp)) {
		response_cleanup(resp); /* its next turn is queued */
		engine_release(r, sl);
		return;
	}
	if (sl->is_judge) {
		engine_deliver(r, sl, resp);
	} else if (engine_grade_or_judge(r, sl, resp)) {
		response_cleanup(resp);
		note_backoff(r);
		return; /* the slot waits for its judges or its grader */
	}
	response_cleanup(resp);
	engine_release(r, sl);
	note_backoff(r);
}

/* ---- starting an attempt ----------------------------------------------- */

void engine_fail_now(struct run *r, struct slot *sl, enum resp_error e,
		     const char *msg)
{
	struct response resp;
	response_init(&resp);
	resp.error = e;
	resp.error_msg = xstrdup(msg);
	sl->attempt = r->ps[sl->prov].p->tr.max_retries; /* never retried */
	attempt_done(r, sl, &resp);
}

struct slot *engine_slot_begin(struct run *r, int prov, int attempt,
			       double waited, bool judge)
{
	struct slot *sl = free_slot(r);
	struct pstate *ps = &r->ps[prov];
	bool exec = ps->p->ops->exec_argv != NULL ||
		    ps->p->ops->code_request != NULL;
	if (!sl) { /* callers check for room first */
		fputs("assay: internal error: no free slot\n", stderr);
		abort();
	}
	memset(&sl->u, 0, sizeof sl->u);
	sl->busy = true;
	sl->is_judge = judge;
	sl->prov = prov;
	sl->attempt = attempt;
	sl->waited_ms = waited;
	sl->started_wall = fs_now_ms();
	sl->t_start = fs_mono_ms();
	sl->role = exec ? ROLE_EXEC : ROLE_HTTP;
	if (exec) {
		sl->u.x.fd_in = sl->u.x.fd_out = sl->u.x.fd_err = -1;
	} else {
		response_init(&sl->u.h.sresp);
		sl->u.h.hint_ms = -1;
	}
	ps->in_flight++;
	r->in_flight++;
	if (judge)
		r->judge_in_flight++;
	else
		r->cand_in_flight++;
	return sl;
}

/* Debits the provider's budgets for a request of est tokens. */
void engine_debit(struct pstate *ps, long est)
{
	refill(ps, fs_mono_ms());
	if (ps->p->tr.rpm > 0)
		ps->rpm_tokens -= 1;
	if (ps->p->tr.tpm > 0)
		ps->tpm_tokens -= (double)est;
}

static void launch(struct run *r, int prov, long item, int attempt,
		   double waited, struct conv_run *cv)
{
	struct slot *sl = engine_slot_begin(r, prov, attempt, waited, false);
	struct pstate *ps = &r->ps[prov];
	const struct provider *p = ps->p;
	const struct prompt *pr;
	struct err berr;
	sl->item = item;
	decompose(r, item, sl);
	pr = &r->s->prompts[sl->prompt];
	err_clear(&berr);
	if (!suite_test_hold(r->s, sl->test)) {
		/* a streamed test file that cannot be read again: stop, as for
		 * a store failure (results so far are kept) */
		*r->err = *suite_stream_err(r->s);
		r->rc = r->err->code ? (int)r->err->code : ST_IO;
		engine_release(r, sl);
		return;
	}
	sl->holds_test = true;
	if (suite_test(r->s, sl->test)->conv) {
		sl->cv = cv;
		if (cv)
			sl->prompt_text = engine_conv_request(r, sl, &berr);
		else
			sl->prompt_text = engine_conv_prompt(r, sl, &sl->cv, &berr);
		if (!sl->prompt_text && !berr.msg[0] && engine_conv_handoff(r, sl))
			return; /* a simulated user opens the conversation */
	} else {
		json_t *cvars = engine_cvar_vars(r, sl); /* `_conversation` */
		sl->prompt_text = suite_render_prompt(pr, cvars ? cvars
						      : suite_test(r->s, sl->test)->vars, &berr);
		json_decref(cvars);
	}
	if (!sl->prompt_text) {
		char *m = xasprintf("cannot render the prompt: %s", berr.msg);
		engine_fail_now(r, sl, RESP_ERR_OTHER, m);
		free(m);
		return;
	}
	sl->est_tokens = engine_estimate_tokens(p, sl->prompt_text);
	engine_debit(ps, sl->est_tokens);
	if (p->ops->echo) {  /* prov_echo.c: the output is the prompt */
		struct response resp;
		response_init(&resp);
		resp.output = xstrdup(sl->prompt_text);
		resp.prompt_tokens = resp.completion_tokens = 0;
		resp.total_tokens = 0;
		attempt_done(r, sl, &resp);
		return;
	}
	if (sl->role == ROLE_EXEC) {
		if (p->ops->code_request)
			engine_launch_code(r, sl, p, pr);
		else
			engine_launch_exec(r, sl, p, pr);
		return;
	}
	if (p->ops->build(p, sl->prompt_text, pr->is_chat || sl->cv,
			  suite_test(r->s, sl->test)->vars,
			  &sl->u.h.req, &berr) ||
	    provider_apply_prompt_config(p, pr, &sl->u.h.req, &berr)) {
		char *m = xasprintf("cannot build the request: %s", berr.msg);
		engine_fail_now(r, sl, RESP_ERR_OTHER, m);
		free(m);
		return;
	}
	engine_start_http(r, sl, p);
}

/* Resume: passes over the provider's next items that are already stored
 * (engine_opts.skip), so none is requested twice. */
static void skip_stored(struct run *r, size_t v, struct pstate *ps)
{
	size_t np = r->s->n_prompts, rep = (size_t)r->o->repeat;
	while (r->o->skip && v < r->n_cand && ps->cursor < ps->n_items) {
		size_t k = (size_t)ps->cursor;
		if (!r->o->skip(r->o->skip_ud, k / (rep * np), (k / rep) % np, v,
				(int)(k % rep)))
			break;
		ps->cursor++;
		r->tot->skipped++;
	}
}

/* Starts whatever may start now: due retries and judge calls first, then
 * new items from the providers in turn. */
static void launch_ready(struct run *r)
{
	double now = fs_mono_ms();
	size_t i = 0;
	if (r->cmp_phase)
		engine_start_comparisons(r);
	while (i < r->n_pend && !r->rc) {
		struct pending pe = r->pend[i];
		bool judge = pe.parent != NULL;
		bool room = judge ? r->judge_in_flight < r->n_slots - r->cand_slots
				  : cand_room(r);
		if (judge && pe.prov < 0) {
			/* No judge for this call (judges_new prevents it). */
			r->pend[i] = r->pend[--r->n_pend];
			engine_no_judge(r, &pe);
			continue;
		}
		if (room && pe.ready_at <= now && can_start(r, &r->ps[pe.prov], now)) {
			r->pend[i] = r->pend[--r->n_pend];
			if (judge)
				engine_launch_judge(r, &pe);
			else
				launch(r, pe.prov, pe.item, pe.attempt, pe.waited_ms, pe.cv);
			/* launches may push entries: i stays valid, the array may move */
		} else {
			i++;
		}
	}
	for (;;) {
		bool any = false;
		for (size_t k = 0; k < r->n_cand && cand_room(r) && !r->rc; k++) {
			size_t v = (r->rr + k) % r->n_cand;
			struct pstate *ps = &r->ps[v];
			skip_stored(r, v, ps);
			if (ps->cursor >= ps->n_items || !can_start(r, ps, now) ||
			    engine_cvar_blocked(r, (int)v, ps->cursor))
				continue;
			if (r->o->delay_ms > 0) {
				if (now < r->next_start)
					return;
				r->next_start = now + (double)r->o->delay_ms;
			}
			launch(r, (int)v, ps->cursor++, 0, 0, NULL);
			any = true;
		}
		r->rr = (r->rr + 1) % (r->n_cand ? r->n_cand : 1);
		if (!any || !cand_room(r) || r->rc)
			break;
	}
}

/* Each role's own time limits. */
static void check_timeouts(struct run *r)
{
	double now = fs_mono_ms();
	for (int i = 0; i < r->n_slots; i++) {
		struct slot *sl = &r->slots[i];
		switch (sl->role) {
		case ROLE_HTTP:
			engine_http_timeouts(r, sl, now);
			break;
		case ROLE_EXEC:
			engine_exec_timeouts(r, sl, now);
			break;
		case ROLE_GRADING:
			engine_grade_check_deadline(r, sl, now);
			break;
		default:
			break; /* free, done, or waiting for judges */
		}
	}
}

/* Is there a slot of the right kind, and room under the provider's own
 * concurrency limit, for a pending attempt?  When there is not, only a
 * finishing transfer or child can change that, and those wake the loop. */
static bool has_room(const struct run *r, const struct pending *pe)
{
	const struct pstate *ps;
	bool judge = pe->parent != NULL;
	if (judge ? r->judge_in_flight >= r->n_slots - r->cand_slots
		  : !cand_room(r))
		return false;
	if (pe->prov < 0)
		return true;
	ps = &r->ps[pe->prov];
	return ps->in_flight < (int)ps->aimd.limit;
}

/* How long the loop may sleep: until the earliest moment something can
 * start — a retry or judge call falls due *and* has a slot, a pause or a
 * --delay ends while a slot is free, a budget refills.  A retry that is
 * due while every slot is busy does not count: sleeping 0 ms for it would
 * spin the loop until a slot frees (issue 15). */
static int poll_timeout(const struct run *r)
{
	double now = fs_mono_ms(), wake = now + 100;
	bool room = cand_room(r), cand_waiting = false;
	for (size_t i = 0; i < r->n_pend; i++) {
		const struct pending *pe = &r->pend[i];
		double at = pe->ready_at;
		if (!has_room(r, pe))
			continue;
		if (pe->prov >= 0) {
			const struct pstate *ps = &r->ps[pe->prov];
			at = fmax(at, ps->pause_until);
			/* Still here although due: its budget is empty. */
			if (ps->p->tr.rpm > 0 || ps->p->tr.tpm > 0)
				at = fmax(at, now + 10);
		}
		wake = fmin(wake, at);
	}
	for (size_t i = 0; i < r->n_cand && room; i++) {
		const struct pstate *ps = &r->ps[i];
		if (ps->cursor >= ps->n_items || ps->in_flight >= (int)ps->aimd.limit)
			continue;
		cand_waiting = true;
		if (ps->pause_until > now)
			wake = fmin(wake, ps->pause_until);
		else if (ps->p->tr.rpm > 0 || ps->p->tr.tpm > 0)
			wake = fmin(wake, now + 10);
	}
	if (r->o->delay_ms > 0 && cand_waiting)
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
		engine_socks_drive(r);
		busy_before = r->in_flight;
		while ((msg = curl_multi_info_read(r->multi, &running)))
			if (msg->msg == CURLMSG_DONE) {
				struct slot *sl = NULL;
				curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&sl);
				engine_finish_http(r, sl, msg->data.result, RESP_OK, NULL);
			}
		for (int i = 0; i < r->n_slots; i++) {
			struct slot *sl = &r->slots[i];
			if (sl->role == ROLE_EXEC)
				engine_service_exec(r, sl);
			else if (sl->role == ROLE_GRADING)
				engine_grade_service(r, sl);
		}
		check_timeouts(r);
		if (!r->rc)
			r->rc = store_tick(r->st, r->err);
		/* The pipes to watch, by role (a role may have changed above),
		 * and the store's writer, whose commits make room. */
		if (store_writer_fd(r->st) >= 0)
			wfds[nw++] = (struct curl_waitfd){ store_writer_fd(r->st),
							  CURL_WAIT_POLLIN, 0 };
		for (int i = 0; i < r->n_slots; i++) {
			struct slot *sl = &r->slots[i];
			if (sl->role == ROLE_GRADING) {
				wfds[nw++] = (struct curl_waitfd){ sl->g.fd, CURL_WAIT_POLLIN, 0 };
			} else if (sl->role == ROLE_EXEC) {
				if (sl->u.x.fd_in >= 0)
					wfds[nw++] = (struct curl_waitfd){ sl->u.x.fd_in, CURL_WAIT_POLLOUT, 0 };
				if (sl->u.x.fd_out >= 0)
					wfds[nw++] = (struct curl_waitfd){ sl->u.x.fd_out, CURL_WAIT_POLLIN, 0 };
				if (sl->u.x.fd_err >= 0)
					wfds[nw++] = (struct curl_waitfd){ sl->u.x.fd_err, CURL_WAIT_POLLIN, 0 };
			}
		}
		/* A slot came free: fill it before sleeping, or it idles until
		 * the next socket event. */
		if (r->in_flight < busy_before)
			continue;
		if (work_left(r) && !r->rc) {
			int to = poll_timeout(r);
			bool exec_waiting = false;
			for (int i = 0; i < r->n_slots; i++)
				if (r->slots[i].role == ROLE_EXEC &&
				    r->slots[i].u.x.fd_out < 0 && r->slots[i].u.x.fd_err < 0)
					exec_waiting = true; /* output closed, exit pending */
			engine_socks_wait(r, wfds, (unsigned)nw,
					  exec_waiting ? (to < 5 ? to : 5) : to);
		}
	}
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
		r.slots[i].g.fd = -1;
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
		ps->keepalive_s = -1;
		ps->rpm_tokens = fmax(1.0, ps->p->tr.rpm / 60.0);
		ps->tpm_tokens = fmax(1.0, ps->p->tr.tpm / 60.0);
	}
	wfds = xcalloc((size_t)r.n_slots * 3 + 2, sizeof *wfds);
	engine_current_run = &r;
	engine_cvar_init(&r);
	old_pipe = signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	r.multi = curl_multi_init();
	curl_multi_setopt(r.multi, CURLMOPT_MAXCONNECTS, (long)r.n_slots * 2);
	engine_socks_init(&r);
	/* The results are written on the store's own thread; without one
	 * (it could not start) they are written here, as before. */
	if (store_writer_start(st, err)) {
		fprintf(stderr, "assay: %s; writing results on the run loop\n", err->msg);
		err_clear(err);
	}
	run_loop(&r, wfds);
	/* Comparisons need every provider's output: a second pass. */
	if (!r.rc && !tot->interrupted && engine_needs_comparisons(s)) {
		r.cmp_phase = true;
		run_loop(&r, wfds);
	}
	/* Everything handed to the writer is written and committed before
	 * the caller reads the store (also after Ctrl-C or an error). */
	{
		struct err werr = {0};
		int wrc = store_writer_stop(st, &werr);
		if (wrc && !r.rc) {
			r.rc = wrc;
			*err = werr;
		}
	}
	for (int i = 0; i < r.n_slots; i++) {
		struct slot *sl = &r.slots[i];
		engine_release(&r, sl); /* kills children, removes transfers */
		if (sl->easy)
			curl_easy_cleanup(sl->easy);
	}
	free(r.slots);
	for (size_t i = 0; i < r.n_pend; i++) {
		free(r.pend[i].messages);
		engine_conv_free(r.pend[i].cv);
	}
	free(r.pend);
	free(r.ps);
	free(wfds);
	engine_cvar_free(&r);
	curl_multi_cleanup(r.multi);
	engine_socks_free(&r);
	curl_global_cleanup();
	signal(SIGPIPE, old_pipe);
	engine_current_run = NULL;
	return r.rc;
}
