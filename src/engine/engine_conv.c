/* engine_conv.c — conversations on the loop (suite/conv.h).  A
 * conversation is a chain of dependent requests: when a turn's reply is
 * in, the turn is graded and stored, the reply joins the history, and
 * the next turn goes to the pending queue like a retry due now — so it
 * waits for a slot, the provider's concurrency and its rate limits, and
 * each turn is retried and cached like any request (the body of turn k
 * holds the replies of turns 1…k-1, so a cached conversation replays
 * exactly).  After the last turn the transcript is the output that the
 * test's own assertions grade; an error that is not retried ends the
 * conversation as an infrastructure error and keeps the turns stored. */
#include "engine_int.h"
#include "judges.h"
#include "../suite/conv.h"
#include "../suite/conv_text.h"
#include "../store/store_turns.h"
#include "../util/xalloc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct conv_run {
	json_t *msgs;            /* the history sent so far */
	size_t turn;             /* the turn in flight (0-based) */
	char *user;              /* its rendered user text */
	struct buf transcript;
	double latency_ms, cost_usd;
	long prompt_tokens, completion_tokens;
	int retries;
	double retry_wait_ms;
	bool all_cached;
	int failed_turn;         /* first turn whose assertions failed, or 0 */
	char *failed_reason;
	double min_score;
	int cand, sim;           /* run.ps indexes: the candidate, the
				  * simulated user (-1: none) */
	bool sim_phase;          /* the call in flight is the simulated user's */
	size_t done;             /* turns the candidate has answered */
	char *sim_system;        /* the simulated user's instructions */
	int graded_turns;        /* turns that had assertions */
	char *turn_reason;       /* the failing reason of the turn just graded */
};

void engine_conv_free(struct conv_run *cv)
{
	if (!cv)
		return;
	json_decref(cv->msgs);
	free(cv->user);
	buf_free(&cv->transcript);
	free(cv->failed_reason);
	free(cv->sim_system);
	free(cv->turn_reason);
	free(cv);
}

static void push_user(struct conv_run *cv, char *text)
{
	free(cv->user);
	cv->user = text;
	conv_push_msg(cv->msgs, "user", cv->user);
}

static int add_user(struct conv_run *cv, const struct test_case *tc,
		    struct err *err)
{
	const struct conv_turn *ct = &tc->conv->turns[cv->turn];
	char *text = conv_render_turn(ct, tc->vars, err);
	if (!text)
		return ST_INPUT;
	push_user(cv, text);
	return 0;
}

/* run.ps index of a provider, or -1. */
static int ps_index(const struct run *r, const struct provider *p)
{
	for (size_t i = 0; p && i < r->n_ps; i++)
		if (r->ps[i].p == p)
			return (int)i;
	return -1;
}

/* The slot counts against another provider from now on. */
static void slot_to(struct run *r, struct slot *sl, int prov)
{
	r->ps[sl->prov].in_flight--;
	r->ps[prov].in_flight++;
	sl->prov = prov;
}

static void queue_next(struct run *r, struct slot *sl, struct conv_run *cv,
		       int prov)
{
	struct pending *pe = engine_push_pending(r);
	pe->prov = prov;
	pe->item = sl->item;
	pe->ready_at = 0; /* due now, behind the slots and budgets */
	pe->cv = cv;
	sl->cv = NULL;
}

char *engine_conv_prompt(struct run *r, struct slot *sl, struct conv_run **cvp,
			 struct err *err)
{
	const struct test_case *tc = suite_test(r->s, sl->test);
	struct conv_run *cv = *cvp;
	if (!cv) {
		const struct prompt *pr = &r->s->prompts[sl->prompt];
		char *rendered = suite_render_prompt(pr, tc->vars, err);
		if (!rendered)
			return NULL;
		cv = xcalloc(1, sizeof *cv);
		cv->msgs = conv_start_msgs(pr, rendered);
		free(rendered);
		cv->all_cached = true;
		cv->min_score = 1.0;
		cv->cand = sl->prov;
		cv->sim = -1;
		*cvp = cv;
		if (tc->conv->sim) {
			cv->sim = ps_index(r, judges_get(r->o->judges,
						 tc->conv->sim->provider, tc));
			cv->sim_system = conv_sim_instructions(tc->conv->sim, tc->vars, err);
			if (!cv->sim_system)
				return NULL; /* a persona or goal did not render */
			if (cv->sim < 0) {
				err_set(err, ST_INTERNAL, "no simulated user %s",
					tc->conv->sim->provider);
				return NULL;
			}
		}
		if (tc->conv->n_scripted == 0) {
			cv->sim_phase = true; /* the simulated user opens */
			return NULL;
		}
		if (add_user(cv, tc, err))
			return NULL;
	}
	return json_dumps(cv->msgs, JSON_COMPACT);
}

bool engine_conv_handoff(struct run *r, struct slot *sl)
{
	struct conv_run *cv = sl->cv;
	if (!cv || !cv->sim_phase || sl->prov == cv->sim)
		return false;
	queue_next(r, sl, cv, cv->sim);
	engine_release(r, sl);
	return true;
}

char *engine_conv_request(struct run *r, struct slot *sl, struct err *err)
{
	(void)r;
	(void)err;
	return sl->cv->sim_phase ? conv_sim_request(sl->cv->sim_system, sl->cv->msgs)
				 : json_dumps(sl->cv->msgs, JSON_COMPACT);
}

/* Grades one turn's reply with the turn's assertions (on the loop: load
 * rejects model-graded and sandboxed types there). */
static void grade_turn(struct run *r, struct slot *sl, struct conv_run *cv,
		       const struct response *resp, struct store_turn *t)
{
	const struct test_case *tc = suite_test(r->s, sl->test);
	const struct conv_turn *ct = cv->turn < tc->conv->n_turns
		? &tc->conv->turns[cv->turn] : NULL;
	struct test_case tt = *tc;
	struct grade g;
	struct err gerr;
	t->pass = -1;
	t->score = NAN;
	t->reason = NULL;
	if (!ct || !ct->n_asserts)
		return;
	cv->graded_turns++;
	tt.asserts = ct->asserts;
	tt.n_asserts = ct->n_asserts;
	tt.transform = NULL;
	tt.has_threshold = false;
	memset(&g, 0, sizeof g);
	err_clear(&gerr);
	if (score_grade(&tt, resp, &g, &gerr)) {
		grade_cleanup(&g);
		memset(&g, 0, sizeof g);
		t->pass = 0;
		t->score = 0;
		g.reason = xasprintf("grading failed: %s", gerr.msg);
	} else {
		t->pass = g.pass ? 1 : 0;
		t->score = g.score;
	}
	if (!t->pass && !cv->failed_turn) {
		cv->failed_turn = (int)cv->turn + 1;
		cv->failed_reason = xstrdup(g.reason ? g.reason : "failed");
	}
	if (t->score < cv->min_score)
		cv->min_score = t->score;
	free(cv->turn_reason);
	/* the reason of a passing turn is not kept */
	cv->turn_reason = t->pass ? NULL : xstrdup(g.reason ? g.reason : "failed");
	t->reason = cv->turn_reason;
	grade_cleanup(&g);
}

static void sum_into(struct conv_run *cv, const struct response *resp)
{
	cv->latency_ms += resp->latency_ms > 0 ? resp->latency_ms : 0;
	if (resp->prompt_tokens >= 0)
		cv->prompt_tokens += resp->prompt_tokens;
	if (resp->completion_tokens >= 0)
		cv->completion_tokens += resp->completion_tokens;
	if (resp->cost_usd >= 0)
		cv->cost_usd += resp->cost_usd;
	cv->retries += resp->retries;
	cv->retry_wait_ms += resp->retry_wait_ms;
	cv->all_cached = cv->all_cached && resp->cached;
}

static void finish(struct conv_run *cv, struct response *resp);
static bool sim_done(struct run *r, struct slot *sl, struct response *resp);

bool engine_conv_next(struct run *r, struct slot *sl, struct response *resp)
{
	struct conv_run *cv = sl->cv;
	const struct test_case *tc = suite_test(r->s, sl->test);
	struct store_turn t;
	struct err e;
	if (!cv)
		return false;
	if (cv->sim_phase)
		return sim_done(r, sl, resp);
	if (resp->error != RESP_OK) {
		/* Not retried any more: the conversation is an infrastructure
		 * error; the turns before this one are stored already. */
		char *m;
		resp->retries += cv->retries;
		resp->retry_wait_ms += cv->retry_wait_ms;
		m = xasprintf("turn %zu: %s", cv->turn + 1,
				    resp->error_msg ? resp->error_msg : "error");
		free(resp->error_msg);
		resp->error_msg = m;
		return false;
	}
	memset(&t, 0, sizeof t);
	t.case_idx = sl->test;
	t.prompt_idx = sl->prompt;
	t.provider_idx = (size_t)sl->prov;
	t.repeat = sl->rep;
	t.turn = (int)cv->turn + 1;
	t.user = cv->user;
	t.output = resp->output ? resp->output : "";
	t.latency_ms = resp->latency_ms;
	t.prompt_tokens = resp->prompt_tokens;
	t.completion_tokens = resp->completion_tokens;
	t.cost_usd = resp->cost_usd;
	t.cached = resp->cached;
	t.retries = resp->retries;
	grade_turn(r, sl, cv, resp, &t);
	if (!r->rc)
		r->rc = store_turn_put(r->st, r->run_id, &t, r->err);
	sum_into(cv, resp);
	conv_add_line(&cv->transcript, CONV_USER, cv->user);
	conv_add_line(&cv->transcript, CONV_ASSISTANT, t.output);
	conv_push_msg(cv->msgs, "assistant", t.output);
	cv->done = cv->turn + 1;
	if (cv->sim >= 0 && cv->done >= tc->conv->n_scripted &&
	    cv->done < (size_t)tc->conv->sim->max_turns) {
		cv->sim_phase = true;
		queue_next(r, sl, cv, cv->sim);
		return true;
	}
	if (cv->turn + 1 < tc->conv->n_scripted) {
		cv->turn++;
		err_clear(&e);
		if (add_user(cv, tc, &e)) {
			/* A template that cannot render is the suite's fault:
			 * an error result (load checks templates, so rare). */
			free(resp->error_msg);
			resp->error = RESP_ERR_OTHER;
			resp->error_msg = xasprintf("cannot render turn %zu: %s",
						    cv->turn + 1, e.msg);
			return false;
		}
		queue_next(r, sl, cv, sl->prov);
		return true;
	}
	finish(cv, resp);
	return false;
}

/* The last turn: the transcript is the output; the figures are the
 * conversation's sums (the simulated user's calls are not the
 * candidate's). */
static void finish(struct conv_run *cv, struct response *resp)
{
	free(resp->output);
	resp->output = buf_detach(&cv->transcript);
	resp->latency_ms = cv->latency_ms;
	resp->prompt_tokens = cv->prompt_tokens;
	resp->completion_tokens = cv->completion_tokens;
	resp->total_tokens = cv->prompt_tokens + cv->completion_tokens;
	resp->cost_usd = cv->cost_usd;
	resp->cached = cv->all_cached;
	resp->ttft_ms = -1;
	resp->retries = cv->retries;
	resp->retry_wait_ms = cv->retry_wait_ms;
	free(resp->finish_reason);
	resp->finish_reason = NULL;
	free(resp->served_model);
	resp->served_model = NULL;
	resp->confidence = -1;
}

/* The simulated user's reply: its stop marker ends the conversation,
 * anything else is the next user turn. */
static bool sim_done(struct run *r, struct slot *sl, struct response *resp)
{
	struct conv_run *cv = sl->cv;
	const char *o = resp->output ? resp->output : "";
	const struct conv_sim *sim = suite_test(r->s, sl->test)->conv->sim;
	slot_to(r, sl, cv->cand); /* what follows is the candidate's */
	cv->sim_phase = false;
	if (resp->error != RESP_OK) {
		char *m = xasprintf("simulated user before turn %zu: %s",
				    cv->done + 1,
				    resp->error_msg ? resp->error_msg : "error");
		free(resp->error_msg);
		resp->error_msg = m;
		resp->retries += cv->retries;
		resp->retry_wait_ms += cv->retry_wait_ms;
		/* not the candidate's latency or tokens */
		resp->latency_ms = cv->latency_ms;
		resp->prompt_tokens = resp->completion_tokens = resp->total_tokens = -1;
		resp->cost_usd = -1;
		return false;
	}
	if (strstr(o, sim->stop) || !*o) {
		finish(cv, resp);
		return false;
	}
	cv->turn = cv->done;
	push_user(cv, xstrdup(o));
	queue_next(r, sl, cv, cv->cand);
	return true;
}

void engine_conv_fold(const struct slot *sl, struct grade *g)
{
	const struct conv_run *cv = sl->cv;
	if (!cv || !g)
		return;
	if (cv->min_score < g->score)
		g->score = cv->min_score;
	if (cv->graded_turns && !cv->failed_turn && g->pass && g->reason &&
	    !strcmp(g->reason, "No assertions")) {
		free(g->reason);
		g->reason = xstrdup("All assertions passed");
	}
	if (cv->failed_turn) {
		char *m = xasprintf("turn %d: %s", cv->failed_turn,
				    cv->failed_reason ? cv->failed_reason : "failed");
		g->pass = false;
		free(g->reason);
		g->reason = m;
	}
}
