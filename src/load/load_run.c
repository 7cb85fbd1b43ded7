/* load_run.c — a load run: every candidate in turn, its steps in rising
 * order, the ramp stopped at the first failing step (unless keep_going),
 * the budget shared by the whole run, each step stored as soon as it is
 * measured and the report rewritten after it, so an interrupted or killed
 * run keeps every step measured so far. */
#include "load/load_loop.h"
#include "load/load_os.h"

#include <stdlib.h>
#include <string.h>

#include "store/store_load.h"
#include "util/xalloc.h"

static json_t *candidate_json(const struct suite *s, size_t pi)
{
	return json_pack("{s:I,s:s,s:s,s:[],s:n,s:s}", "provider_idx", (json_int_t)pi,
			 "id", s->providers[pi].id, "label", s->providers[pi].label,
			 "steps", "summary", "stopped", "not started");
}

static int save(struct store *st, int64_t run_id, json_t *report,
		struct load_budget *b, const char *stopped, struct err *err)
{
	json_object_set_new(report, "totals",
			    json_pack("{s:I,s:f,s:b}", "requests_sent", (json_int_t)b->sent,
				      "cost_usd", b->spent, "budget_hit", b->hit));
	json_object_set_new(report, "stopped", json_string(stopped));
	return store_load_report_put(st, run_id, report, err);
}

int load_check(const struct suite *s, struct provider *const *provs,
	       const size_t *cands, size_t n_cands, const struct load_plan *plan,
	       struct err *err)
{
	int rc0 = load_os_enter(plan->realtime, err);
	if (rc0)
		return rc0;
	load_os_leave(plan->realtime);
	for (size_t i = 0; i < n_cands; i++) {
		struct load_cand *c = NULL;
		int rc = load_cand_new(s, provs[cands[i]], cands[i], plan, &c, err);
		load_cand_free(c);
		if (rc)
			return rc;
	}
	return 0;
}

int load_run(const struct suite *s, struct provider *const *provs,
	     const size_t *cands, size_t n_cands, const struct load_plan *plan,
	     struct store *st, int64_t run_id, json_t **report, struct err *err)
{
	struct load_budget b = { .max_requests = plan->max_requests,
				 .max_cost = plan->max_cost };
	json_t *rep, *cj = json_array();
	struct load_step **steps = xcalloc(plan->n_rates, sizeof *steps);
	const char *stopped = "done";
	int rc = 0;

	*report = NULL;
	rep = json_pack("{s:s,s:I,s:s,s:o,s:o}", "kind", "load", "run_id",
			(json_int_t)run_id, "suite", s->path, "plan", load_plan_json(plan),
			"candidates", cj);
	for (size_t i = 0; i < n_cands; i++)
		json_array_append_new(cj, candidate_json(s, cands[i]));
	if ((rc = save(st, run_id, rep, &b, "running", err)))
		goto out;
	for (size_t ci = 0; ci < n_cands && !rc; ci++) {
		size_t pi = cands[ci], n = 0;
		struct load_cand *c = NULL;
		json_t *cand = json_array_get(cj, ci);
		const char *why = "all steps measured";
		if (!strcmp(stopped, "interrupted") || !strcmp(stopped, "budget"))
			break;
		if ((rc = load_cand_new(s, provs[pi], pi, plan, &c, err)))
			break;
		for (size_t k = 0; k < plan->n_rates; k++) {
			struct load_step *sp = xcalloc(1, sizeof *sp);
			steps[n++] = sp;
			sp->cand = pi;
			sp->idx = k;
			sp->offered_rps = plan->rates[k];
			sp->duration_s = plan->duration_s;
			hist_init(&sp->lat);
			hist_init(&sp->ttft);
			hist_init(&sp->svc);
			hist_init(&sp->lag);
			rc = load_cand_step(c, plan, &b, st, run_id, sp, err);
			load_step_figures(sp, plan);
			{
				json_t *fig = load_step_json(sp), *h = load_hist_json(&sp->lat);
				json_array_append(json_object_get(cand, "steps"), fig);
				if (!rc)
					rc = store_load_step_put(st, run_id, pi, k, fig, h, err);
				json_decref(fig);
				json_decref(h);
			}
			json_object_set_new(cand, "summary",
					    load_candidate_summary((const struct load_step *const *)steps,
								   n, plan));
			if (sp->interrupted) {
				why = "interrupted";
				stopped = "interrupted";
			} else if (b.hit) {
				why = "budget reached";
				stopped = "budget";
			} else if (sp->verdict == 0 && !plan->keep_going) {
				why = sp->backlog_growing && !plan->slo.n ? "backlog grows without bound"
									    : "first failing step";
			} else {
				why = NULL;
			}
			json_object_set_new(cand, "stopped",
					    json_string(why ? why : "running"));
			if (!rc)
				rc = save(st, run_id, rep, &b, "running", err);
			if (rc || why)
				break;
		}
		if (!why)
			why = "all steps measured";
		json_object_set_new(cand, "stopped", json_string(why));
		for (size_t k = 0; k < n; k++)
			free(steps[k]);
		load_cand_free(c);
	}
	if (!rc)
		rc = save(st, run_id, rep, &b, stopped, err);
out:
	free(steps);
	if (rc) {
		json_decref(rep);
		return rc;
	}
	*report = rep;
	return 0;
}
