/* score_meta.c — assertions on the response rather than its text:
 * latency, cost and finish-reason (promptfoo's names and rules).
 *
 * latency and cost need a `threshold` (checked at load).  A cached
 * response has no latency of its own: grading it is a grading error (as
 * promptfoo, which refuses cached results), so the result is recorded as
 * an error rather than a failure.  An unknown cost (a provider without a
 * price) fails with a reason.  finish-reason compares case-insensitively. */
#include "score_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../util/xalloc.h"

static int check_threshold_required(const struct assertion_spec *a,
				    const json_t *v, const json_t *vars,
				    struct err *err)
{
	(void)v;
	(void)vars;
	if (!a->has_threshold)
		return score_err(a, err, "'%s' needs a threshold (%s), e.g. "
				 "`threshold: %s`", a->type,
				 strstr(a->type, "latency")
					 ? "the largest latency in milliseconds"
					 : "the largest cost in US dollars",
				 strstr(a->type, "latency") ? "800" : "0.002");
	if (a->threshold < 0)
		return score_err(a, err, "'%s': threshold must be >= 0, got %g",
				 a->type, a->threshold);
	return 0;
}

static int eval_latency(const struct score_in *in, struct assert_outcome *out,
			struct err *err)
{
	double th = in->spec->threshold, ms;
	char ts[32], ls[32];
	bool within;
	if (!in->resp || in->resp->cached || in->resp->latency_ms < 0)
		return err_set(err, ST_INTERNAL, "the latency assertion does "
			       "not support cached results (the response "
			       "came from the cache); rerun without the cache");
	ms = in->resp->latency_ms;
	within = ms <= th;
	score_fmt_num(th, ts, sizeof ts);
	snprintf(ls, sizeof ls, "%.0f", ms);
	score_binary(out, within, in->inverse, within == in->inverse
		? (in->inverse
		   ? xasprintf("Latency %sms is less than or equal to "
			       "threshold %sms", ls, ts)
		   : xasprintf("Latency %sms is greater than threshold %sms",
			       ls, ts))
		: NULL);
	return 0;
}

static int eval_cost(const struct score_in *in, struct assert_outcome *out,
		     struct err *err)
{
	double th = in->spec->threshold, c;
	char ts[32], cs[32];
	bool within;
	(void)err;
	if (!in->resp || in->resp->cost_usd < 0) {
		out->pass = false;
		out->score = 0;
		out->reason = xstrdup("Cost is unknown: the provider reported "
				      "no cost and has no price in the table");
		return 0;
	}
	c = in->resp->cost_usd;
	within = c <= th;
	score_fmt_num(th, ts, sizeof ts);
	snprintf(cs, sizeof cs, "%.2g", c);
	score_binary(out, within, in->inverse, within == in->inverse
		? (in->inverse
		   ? xasprintf("Cost %s is less than or equal to threshold %s",
			       cs, ts)
		   : xasprintf("Cost %s is greater than threshold %s", cs, ts))
		: NULL);
	return 0;
}

static int check_nonempty_str(const struct assertion_spec *a, const json_t *v,
			      const json_t *vars, struct err *err)
{
	(void)vars;
	if (json_string_length(v) == 0)
		return score_err(a, err, "'%s' value must not be empty "
				 "(e.g. stop, length, tool_calls)", a->type);
	return 0;
}

static int eval_finish_reason(const struct score_in *in,
			      struct assert_outcome *out, struct err *err)
{
	const char *want = json_string_value(in->value);
	const char *got = in->resp ? in->resp->finish_reason : NULL;
	bool eq;
	(void)err;
	if (!got || !got[0]) {
		out->pass = false;
		out->score = 0;
		out->reason = xstrdup("Provider did not supply stop/finish "
				      "reason");
		return 0;
	}
	eq = strcasecmp(want, got) == 0;
	score_binary(out, eq, in->inverse, eq == in->inverse
		? xasprintf("Expected finish reason %s\"%s\" but got \"%s\"",
			    in->inverse ? "other than " : "", want, got)
		: NULL);
	return 0;
}

const struct score_type score_meta_types[] = {
	{ .name = "latency", .values = SV_NONE,
	  .value_desc = "nothing (set `threshold` in milliseconds)",
	  .check = check_threshold_required, .eval = eval_latency },
	{ .name = "cost", .values = SV_NONE,
	  .value_desc = "nothing (set `threshold` in US dollars)",
	  .check = check_threshold_required, .eval = eval_cost },
	{ .name = "finish-reason", .values = SV_STRING,
	  .value_desc = "a string (stop, length, content_filter, tool_calls…)",
	  .check = check_nonempty_str, .eval = eval_finish_reason },
	{ .name = NULL }
};
