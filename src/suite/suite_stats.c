/* suite_stats.c — the suite's statistics blocks, checked at load so a typo
 * surfaces before any request is paid for:
 *
 *   calibration:    {confidence: "jq:.confidence" | "regex:PATTERN" |
 *                    logprobs}
 *   classification: {expected: "{{label}}",
 *                    predicted: "output" | "jq:EXPR" | "regex:PATTERN",
 *                    costs: {EXPECTED: {PREDICTED | "*": number}}}
 *   decision:       {min_pass_rate, max_p95_ms, max_cost_per_1k,
 *                    max_error_rate, volume, weights: {quality, cost,
 *                    latency}}
 *
 * The blocks are kept as written in the sanitized suite JSON (the store
 * keeps it with each run), and parsed here, once, into the typed fields
 * of suite_stats.h that the statistics report reads (report_stats_load.c);
 * the severity names of cases and assertions are defined here too.
 * Meaning: docs/statistics.md. */
#include "suite_int.h"
#include "suite_stats.h"
#include "template.h"
#include "../score/score.h"
#include "../util/xalloc.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <math.h>
#include <stdio.h>
#include <strings.h>
#include <stdlib.h>
#include <string.h>

static bool is_number(const struct ynode *v)
{
	int t = yn_scalar_type(v);
	return v && v->kind == YN_SCALAR && (t == JSON_INTEGER || t == JSON_REAL);
}

static int check_number(struct ld *l, const struct ynode *v, double lo,
			double hi, const char *what)
{
	double d;
	if (!is_number(v))
		return ld_err(l, v, "found %s, expected %s", yn_kind_name(v),
			      what);
	d = strtod(v->str, NULL);
	if (d < lo || d > hi)
		return ld_err(l, v, "found %s, expected %s", v->str, what);
	return 0;
}

static int check_map(struct ld *l, const struct ynode *v, const char *what)
{
	if (v->kind != YN_MAP)
		return ld_err(l, v, "found %s, expected %s", yn_kind_name(v),
			      what);
	return 0;
}

/* "jq:EXPR" or "regex:PATTERN", and `word` ("output", "logprobs") when
 * not NULL. */
static int check_extractor(struct ld *l, const struct ynode *v,
			   const char *word)
{
	char want[64];
	snprintf(want, sizeof want, "%s%sjq:EXPR or regex:PATTERN",
		 word ? word : "", word ? ", " : "");
	if (v->kind != YN_SCALAR || yn_scalar_type(v) != JSON_STRING)
		return ld_err(l, v, "found %s, expected %s", yn_kind_name(v),
			      want);
	if (word && !strcmp(v->str, word))
		return 0;
	if (!strncmp(v->str, "jq:", 3)) {
		struct err e = {0};
		if (score_transform_check(v->str, &e))
			return ld_err(l, v, "%s", e.msg);
		return 0;
	}
	if (!strncmp(v->str, "regex:", 6)) {
		int ec;
		PCRE2_SIZE eo;
		pcre2_code *re = pcre2_compile((PCRE2_SPTR)(v->str + 6),
					       PCRE2_ZERO_TERMINATED, PCRE2_UTF,
					       &ec, &eo, NULL);
		if (!re) {
			PCRE2_UCHAR msg[160];
			pcre2_get_error_message(ec, msg, sizeof msg);
			return ld_err(l, v, "bad regex at offset %zu: %s",
				      (size_t)eo, (const char *)msg);
		}
		pcre2_code_free(re);
		return 0;
	}
	return ld_err(l, v, "found '%s', expected %s", v->str, want);
}

static int unknown(struct ld *l, const struct ynode *k, const char *block,
		   const char *keys)
{
	return ld_err(l, k, "unknown key '%s' in %s, expected one of: %s",
		      k->str, block, keys);
}

static int calibration(struct ld *l, const struct ynode *v)
{
	bool conf = false;
	int rc = check_map(l, v, "a mapping such as {confidence: "
			   "\"jq:.confidence\"}");
	for (size_t i = 0; !rc && i + 1 < v->n; i += 2) {
		const struct ynode *k = v->kids[i], *x = v->kids[i + 1];
		if (!strcmp(k->str, "confidence")) {
			/* logprobs: the provider's token log-probabilities
			 * (stored per result), not the output text */
			rc = check_extractor(l, x, "logprobs");
			conf = true;
		} else {
			rc = unknown(l, k, "calibration", "confidence");
		}
	}
	if (!rc && !conf)
		rc = ld_err(l, v, "missing key 'confidence' in calibration, "
			    "expected logprobs, jq:EXPR or regex:PATTERN");
	return rc;
}

static int costs(struct ld *l, const struct ynode *v)
{
	int rc = check_map(l, v, "a mapping of expected labels to "
			   "{predicted label: cost}");
	for (size_t i = 0; !rc && i + 1 < v->n; i += 2) {
		const struct ynode *row = v->kids[i + 1];
		rc = check_map(l, row, "a mapping of predicted labels (or "
			       "\"*\") to costs");
		for (size_t j = 0; !rc && j + 1 < row->n; j += 2)
			rc = check_number(l, row->kids[j + 1], 0, 1e300,
					  "a cost (a number >= 0)");
	}
	return rc;
}

static int classification(struct ld *l, const struct ynode *v)
{
	const struct ynode *exp = NULL, *pred = NULL;
	int rc = check_map(l, v, "a mapping such as {expected: "
			   "\"{{label}}\", predicted: output}");
	for (size_t i = 0; !rc && i + 1 < v->n; i += 2) {
		const struct ynode *k = v->kids[i], *x = v->kids[i + 1];
		if (!strcmp(k->str, "expected")) {
			struct loc at = { x->file, x->text_line, x->text_col };
			char *r;
			exp = x;
			if (x->kind != YN_SCALAR ||
			    yn_scalar_type(x) == JSON_NULL) {
				rc = ld_err(l, x, "found %s, expected a label "
					    "template such as \"{{label}}\"",
					    yn_kind_name(x));
				break;
			}
			r = tmpl_render(x->str, NULL, TMPL_LENIENT, &at, l->err);
			if (!r)
				rc = ST_INPUT;
			free(r);
		} else if (!strcmp(k->str, "predicted")) {
			pred = x;
			rc = check_extractor(l, x, "output");
		} else if (!strcmp(k->str, "costs")) {
			rc = costs(l, x);
		} else {
			rc = unknown(l, k, "classification",
				     "expected, predicted, costs");
		}
	}
	if (!rc && (!exp || !pred))
		rc = ld_err(l, v, "missing key '%s' in classification",
			    exp ? "predicted" : "expected");
	return rc;
}

static int weights(struct ld *l, const struct ynode *v)
{
	int rc = check_map(l, v, "a mapping of quality, cost and latency "
			   "weights");
	for (size_t i = 0; !rc && i + 1 < v->n; i += 2) {
		const struct ynode *k = v->kids[i];
		if (strcmp(k->str, "quality") && strcmp(k->str, "cost") &&
		    strcmp(k->str, "latency"))
			rc = unknown(l, k, "weights", "quality, cost, latency");
		else
			rc = check_number(l, v->kids[i + 1], 0, 1e300,
					  "a weight (a number >= 0)");
	}
	return rc;
}

static int decision(struct ld *l, const struct ynode *v)
{
	int rc = check_map(l, v, "a mapping such as {min_pass_rate: 0.9, "
			   "max_p95_ms: 800}");
	for (size_t i = 0; !rc && i + 1 < v->n; i += 2) {
		const struct ynode *k = v->kids[i], *x = v->kids[i + 1];
		if (!strcmp(k->str, "min_pass_rate") ||
		    !strcmp(k->str, "max_error_rate"))
			rc = check_number(l, x, 0, 1, "a rate between 0 and 1");
		else if (!strcmp(k->str, "max_p95_ms"))
			rc = check_number(l, x, 0, 1e300,
					  "milliseconds (a number >= 0)");
		else if (!strcmp(k->str, "max_cost_per_1k"))
			rc = check_number(l, x, 0, 1e300,
					  "US dollars (a number >= 0)");
		else if (!strcmp(k->str, "volume"))
			rc = check_number(l, x, 0, 1e300,
					  "queries per day (a number >= 0)");
		else if (!strcmp(k->str, "weights"))
			rc = weights(l, x);
		else
			rc = unknown(l, k, "decision", "min_pass_rate, "
				     "max_p95_ms, max_cost_per_1k, "
				     "max_error_rate, volume, weights");
	}
	return rc;
}

int ld_stats_block(struct ld *l, const struct ynode *k, const struct ynode *v)
{
	if (!strcmp(k->str, "calibration"))
		return calibration(l, v);
	if (!strcmp(k->str, "classification"))
		return classification(l, v);
	return decision(l, v);
}

/* ---- the typed fields (suite_stats.h) ------------------------------------ */

static char *dup_str(const json_t *v)
{
	const char *s = json_string_value(v);
	return s ? xstrdup(s) : NULL;
}

static double num_or_nan(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);
	return json_is_number(v) ? json_number_value(v) : NAN;
}

void suite_stats_parse(const json_t *suite, struct suite_stats *out)
{
	const json_t *cal = json_object_get(suite, "calibration");
	const json_t *cls = json_object_get(suite, "classification");
	const json_t *dec = json_object_get(suite, "decision");
	const json_t *costs = json_object_get(cls, "costs");
	struct suite_decision *d = &out->decision;
	memset(out, 0, sizeof *out);
	out->confidence = dup_str(json_object_get(cal, "confidence"));
	out->expected = dup_str(json_object_get(cls, "expected"));
	out->predicted = dup_str(json_object_get(cls, "predicted"));
	out->has_costs = json_is_object(costs);
	if (json_is_object(costs)) {
		const char *ek, *pk;
		json_t *row, *v;
		json_object_foreach((json_t *)costs, ek, row)
			json_object_foreach(row, pk, v) {
				struct suite_cost *c;
				if (!json_is_number(v))
					continue;
				out->costs = xrealloc(out->costs,
						      (out->ncosts + 1) *
						      sizeof *out->costs);
				c = &out->costs[out->ncosts++];
				c->expected = xstrdup(ek);
				c->predicted = xstrdup(pk);
				c->cost = json_number_value(v);
			}
	}
	d->set = json_is_object(dec);
	d->min_pass_rate = num_or_nan(dec, "min_pass_rate");
	d->max_p95_ms = num_or_nan(dec, "max_p95_ms");
	d->max_cost_per_1k = num_or_nan(dec, "max_cost_per_1k");
	d->max_error_rate = num_or_nan(dec, "max_error_rate");
	d->volume = num_or_nan(dec, "volume");
	d->has_weights = json_is_object(json_object_get(dec, "weights"));
	d->w_quality = num_or_nan(json_object_get(dec, "weights"), "quality");
	d->w_cost = num_or_nan(json_object_get(dec, "weights"), "cost");
	d->w_latency = num_or_nan(json_object_get(dec, "weights"), "latency");
}

void suite_stats_free(struct suite_stats *s)
{
	if (!s)
		return;
	free(s->confidence);
	free(s->expected);
	free(s->predicted);
	for (size_t i = 0; i < s->ncosts; i++) {
		free(s->costs[i].expected);
		free(s->costs[i].predicted);
	}
	free(s->costs);
	memset(s, 0, sizeof *s);
}

/* Severity names and their weights (docs/statistics.md, failure modes). */
static const struct { const char *name; double w; } severities[] = {
	{ "critical", 10 }, { "high", 5 }, { "major", 5 },
	{ "medium", 2 }, { "moderate", 2 }, { "low", 1 },
	{ "minor", 1 }, { "info", 0 },
};

int suite_severity_name(const char *s, double *w)
{
	char *end;
	double d = strtod(s, &end);
	if (end != s && !*end && d >= 0) {
		*w = d;
		return 0;
	}
	for (size_t i = 0; i < sizeof severities / sizeof *severities; i++)
		if (!strcasecmp(s, severities[i].name)) {
			*w = severities[i].w;
			return 0;
		}
	return -1;
}

double suite_severity_weight(const json_t *v, bool *ok)
{
	double w;
	*ok = true;
	if (json_is_number(v))
		return json_number_value(v);
	if (json_is_string(v) && !suite_severity_name(json_string_value(v), &w))
		return w;
	*ok = false;
	return 1;
}
