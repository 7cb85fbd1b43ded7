/* engine_judge.c — a candidate's final response and its model-graded
 * assertions: graded at once (or in a child, engine_grade.c), or its judge
 * calls go to the pending queue while the slot waits in ROLE_JUDGING; the
 * calls run in judge slots of their own (ROLE_HTTP with a parent), their
 * replies are checked (one repair request when a reply is not in the
 * required format) and delivered; when the last one is in, a follow-up
 * round or the final grade.  Comparisons use the same judging record
 * (engine_compare.c). */
#include "engine_int.h"
#include "judges.h"
#include "../score/judge.h"
#include "../score/judge_more.h"
#include "../score/score.h"
#include "../util/xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the judging record ------------------------------------------------- */

struct judging *engine_judging_new(size_t test, struct judge_call *calls, size_t n)
{
	struct judging *jd = xcalloc(1, sizeof *jd);
	size_t m = n ? n : 1;
	jd->test = test;
	jd->calls = calls;
	jd->n_calls = jd->n_open = n;
	jd->jtext = xcalloc(m, sizeof *jd->jtext);
	jd->jerr = xcalloc(m, sizeof *jd->jerr);
	jd->jvec = xcalloc(m, sizeof *jd->jvec);
	jd->jdim = xcalloc(m, sizeof *jd->jdim);
	return jd;
}

void engine_judging_free(struct judging *jd)
{
	if (!jd)
		return;
	for (size_t i = 0; i < jd->n_calls; i++) {
		free(jd->jtext[i]);
		free(jd->jerr[i]);
		free(jd->jvec[i]);
	}
	free(jd->jtext);
	free(jd->jerr);
	free(jd->jvec);
	free(jd->jdim);
	score_judge_calls_free(jd->calls, jd->n_calls);
	free(jd);
}

int engine_judge_index(const struct run *r, const struct judging *jd, size_t call)
{
	const struct provider *p = judges_get(r->o->judges, jd->calls[call].provider,
					      suite_test(r->s, jd->test));
	if (jd->calls[call].kind == JUDGE_EMBED) {
		const struct provider *e = judges_embedder(r->o->judges, p);
		if (e)
			p = e; /* else launch_judge reports a chat-only judge */
	}
	for (size_t i = r->n_cand; i < r->n_ps; i++)
		if (r->ps[i].p == p)
			return (int)i;
	return -1;
}

void engine_queue_calls(struct run *r, struct judging *jd, size_t from)
{
	for (size_t i = from; i < jd->n_calls; i++) {
		struct pending *pe = engine_push_pending(r);
		pe->parent = jd;
		pe->call = i;
		pe->prov = engine_judge_index(r, jd, i);
	}
}

/* ---- a candidate's response --------------------------------------------- */

/* The slot keeps the response (it stays busy). */
static void hold(struct slot *sl, struct response *resp)
{
	sl->cand = *resp;
	sl->holds_cand = true;
	response_init(resp);
}

/* Starts the grading child; false (the error recorded) when it cannot. */
static bool start_child(struct run *r, struct slot *sl, bool judged,
			struct judge_reply *rep)
{
	struct err gerr;
	if (engine_grade_start(r, sl, judged, rep) == 0)
		return true;
	free(rep);
	err_clear(&gerr);
	err_set(&gerr, ST_INTERNAL, "cannot start the grader: %s", strerror(errno));
	engine_grading_error(&sl->cand, &gerr);
	engine_record(r, sl, &sl->cand, NULL);
	return false;
}

bool engine_grade_or_judge(struct run *r, struct slot *sl, struct response *resp)
{
	const struct test_case *tc = suite_test(r->s, sl->test);
	struct grade g;
	struct err gerr;
	memset(&g, 0, sizeof g);
	err_clear(&gerr);
	if (resp->error != RESP_OK) {
		engine_record(r, sl, resp, NULL);
		return false;
	}
	if (engine_grade_offloop(tc) && !score_needs_judge(tc)) {
		/* Lua, jq, scripts, transforms: in a child, off the loop; the
		 * child runs the transform too. */
		hold(sl, resp);
		return start_child(r, sl, false, NULL);
	}
	if (tc->transform) {
		/* options.transform: the output every assertion sees, and the
		 * one stored (promptfoo's meaning). */
		char *t = NULL;
		const char *o = resp->output ? resp->output : "";
		if (score_transform(tc->transform, o, strlen(o), tc->vars, &t, &gerr)) {
			/* the model's failure unless the suite opts out */
			char *why = xstrdup(gerr.msg);
			int urc;
			err_clear(&gerr);
			urc = score_unreadable(tc, why, &g, &gerr);
			free(why);
			if (urc) {
				engine_grading_error(resp, &gerr);
				engine_record(r, sl, resp, NULL);
			} else {
				engine_record(r, sl, resp, &g);
				grade_cleanup(&g);
			}
			return false;
		}
		free(resp->output);
		resp->output = t;
	}
	if (score_needs_judge(tc)) {
		struct judge_call *calls = NULL;
		size_t n = 0;
		if (score_judge_plan(tc, resp, &calls, &n, &gerr)) {
			engine_grading_error(resp, &gerr);
			engine_record(r, sl, resp, NULL);
			return false;
		}
		if (n > 0) {
			hold(sl, resp);
			sl->jd = engine_judging_new(sl->test, calls, n);
			sl->jd->cand = sl;
			sl->role = ROLE_JUDGING;
			engine_queue_calls(r, sl->jd, 0);
			return true;
		}
		score_judge_calls_free(calls, n);
		/* no judge to ask (every model-graded assertion failed on
		 * an output its transform could not read): graded here */
		if (score_grade_judged(tc, resp, NULL, NULL, 0, &g, &gerr)) {
			engine_grading_error(resp, &gerr);
			engine_record(r, sl, resp, NULL);
			return false;
		}
		engine_record(r, sl, resp, &g);
		grade_cleanup(&g);
		return false;
	}
	if (score_grade(tc, resp, &g, &gerr)) {
		engine_grading_error(resp, &gerr);
		engine_record(r, sl, resp, NULL);
		return false;
	}
	engine_record(r, sl, resp, &g);
	grade_cleanup(&g);
	return false;
}

/* Every judge call of a candidate is answered: ask for the calls those
 * answers make necessary (a second round), or grade and store it. */
static void judged(struct run *r, struct slot *sl)
{
	struct judging *jd = sl->jd;
	const struct test_case *tc = suite_test(r->s, sl->test);
	struct judge_reply *rep = xcalloc(jd->n_calls, sizeof *rep);
	struct judge_call *more = NULL;
	size_t n_more = 0;
	struct grade g;
	struct err gerr;
	if (sl->role != ROLE_JUDGING)
		return;
	memset(&g, 0, sizeof g);
	err_clear(&gerr);
	for (size_t i = 0; i < jd->n_calls; i++) {
		rep[i].text = jd->jtext[i];
		rep[i].vec = jd->jvec[i];
		rep[i].dim = jd->jdim[i];
		rep[i].error = jd->jerr[i];
	}
	if (score_judge_followup(tc, jd->calls, rep, jd->n_calls, &more, &n_more, &gerr)) {
		engine_grading_error(&sl->cand, &gerr);
		engine_record(r, sl, &sl->cand, NULL);
		free(rep);
		engine_release(r, sl);
		return;
	}
	if (n_more > 0) {
		size_t n = jd->n_calls + n_more, from = jd->n_calls;
		free(rep);
		jd->calls = xrealloc(jd->calls, n * sizeof *jd->calls);
		memcpy(jd->calls + jd->n_calls, more, n_more * sizeof *more);
		free(more); /* the strings moved into jd->calls */
		jd->jtext = xrealloc(jd->jtext, n * sizeof *jd->jtext);
		jd->jerr = xrealloc(jd->jerr, n * sizeof *jd->jerr);
		jd->jvec = xrealloc(jd->jvec, n * sizeof *jd->jvec);
		jd->jdim = xrealloc(jd->jdim, n * sizeof *jd->jdim);
		for (size_t i = from; i < n; i++) {
			jd->jtext[i] = jd->jerr[i] = NULL;
			jd->jvec[i] = NULL;
			jd->jdim[i] = 0;
		}
		jd->n_open = n_more;
		jd->n_calls = n;
		engine_queue_calls(r, jd, from);
		return;
	}
	score_judge_calls_free(more, n_more);
	if (engine_grade_offloop(tc)) {
		if (!start_child(r, sl, true, rep))
			engine_release(r, sl);
		return; /* the slot holds rep until the child is done */
	}
	if (score_grade_judged(tc, &sl->cand, jd->calls, rep, jd->n_calls, &g, &gerr)) {
		engine_grading_error(&sl->cand, &gerr);
		engine_record(r, sl, &sl->cand, NULL);
	} else {
		engine_record(r, sl, &sl->cand, &g);
		grade_cleanup(&g);
	}
	free(rep);
	engine_release(r, sl);
}

/* One call of jd is answered (or failed): the last one wakes its owner. */
static void call_answered(struct run *r, struct judging *jd)
{
	if (--jd->n_open > 0)
		return;
	if (jd->cmp)
		engine_compare_done(r, jd->cmp);
	else
		judged(r, jd->cand);
}

/* ---- judge calls -------------------------------------------------------- */

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

void engine_deliver(struct run *r, struct slot *sl, struct response *resp)
{
	struct judging *par = sl->parent;
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
			struct pending *pe = engine_push_pending(r);
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
	call_answered(r, par);
}

void engine_no_judge(struct run *r, const struct pending *pe)
{
	free(pe->messages);
	pe->parent->jerr[pe->call] = xstrdup("no judge provider for this assertion");
	call_answered(r, pe->parent);
}

void engine_launch_judge(struct run *r, const struct pending *pe)
{
	struct pstate *ps = &r->ps[pe->prov];
	const struct provider *p = ps->p;
	const struct judging *jd = pe->parent;
	const struct judge_call *call = &jd->calls[pe->call];
	struct slot *sl = engine_slot_begin(r, pe->prov, pe->attempt, pe->waited_ms, true);
	const char *body_text;
	struct err berr;
	sl->parent = pe->parent;
	sl->call = pe->call;
	sl->repaired = pe->repaired;
	sl->messages = pe->messages;  /* a repair conversation, or NULL */
	sl->test = jd->test;
	if (jd->cand) {
		sl->prompt = jd->cand->prompt;
		sl->rep = jd->cand->rep;
		sl->item = jd->cand->item;
	} else {
		sl->prompt = jd->cmp->prompt;
		sl->rep = jd->cmp->rep;
		sl->item = 0;
	}
	err_clear(&berr);
	if (call->kind == JUDGE_EMBED && !p->embed) {
		char *m = xasprintf("%s is not an embeddings provider (use "
				    "openai:embedding:<model>)", p->spec->id);
		engine_fail_now(r, sl, RESP_ERR_OTHER, m);
		free(m);
		return;
	}
	if (call->kind == JUDGE_CHAT && (p->embed || p->ops->exec_argv || !p->ops->build)) {
		char *m = xasprintf("%s cannot judge: a judge must be a chat model",
				    p->spec->id);
		engine_fail_now(r, sl, RESP_ERR_OTHER, m);
		free(m);
		return;
	}
	body_text = call->kind == JUDGE_EMBED ? call->text
		  : sl->messages ? sl->messages : call->messages;
	sl->est_tokens = engine_estimate_tokens(p, body_text);
	engine_debit(ps, sl->est_tokens);
	if (p->ops->build(p, body_text, call->kind == JUDGE_CHAT, NULL, &sl->u.h.req, &berr)) {
		char *m = xasprintf("cannot build the judge request: %s", berr.msg);
		engine_fail_now(r, sl, RESP_ERR_OTHER, m);
		free(m);
		return;
	}
	engine_start_http(r, sl, p);
}
