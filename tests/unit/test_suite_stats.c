/* test_suite_stats.c — the suite keys the statistics report reads: the
 * top-level calibration / classification / decision blocks, the test key
 * variant_group and numeric severities; valid suites load and keep them,
 * bad ones fail at the right file:line:col. */
#include "t.h"
#include "../../src/suite/suite.h"
#include "../../src/suite/suite_stats.h"

#include <math.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char st_dir[128];
static char st_path[256];

static const char *st_put(const char *text)
{
	FILE *f;
	snprintf(st_dir, sizeof st_dir, "/tmp/assay_suite_stats%ld",
		 (long)getpid());
	mkdir(st_dir, 0700);
	snprintf(st_path, sizeof st_path, "%s/suite.yaml", st_dir);
	f = fopen(st_path, "wb");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
	return st_path;
}

static void st_clean(void)
{
	unlink(st_path);
	rmdir(st_dir);
}

#define ST_HEAD "prompts: ['Q: {{q}}']\nproviders: [echo]\n" \
		"tests:\n  - vars: {q: x, label: billing}\n"

/* Loads yaml; expects failure at line:col with text in the message. */
#define ST_ERR(yaml, ln, cl, text)                                         \
	do {                                                               \
		struct err e_ = {0};                                       \
		struct suite *s_ = NULL;                                   \
		int rc_ = suite_load(st_put(yaml), &s_, &e_);              \
		suite_free(s_);                                            \
		st_clean();                                                \
		if (rc_ != ST_INPUT || e_.line != (ln) || e_.col != (cl) || \
		    !strstr(e_.msg, (text))) {                             \
			t_fail(__FILE__, __LINE__, "rc %d at %d:%d '%s', " \
			       "want %d:%d '%s'", rc_, e_.line, e_.col,   \
			       e_.msg, (ln), (cl), (text));                \
			return;                                            \
		}                                                          \
	} while (0)

TEST(suite_stats_blocks_load_and_stay_in_sanitized)
{
	struct err e = {0};
	struct suite *s = NULL;
	const json_t *t;
	int rc = suite_load(st_put(
		"prompts: ['Q: {{q}}']\nproviders: [echo]\n"
		"calibration: {confidence: 'jq:.confidence'}\n"
		"classification:\n  expected: '{{label}}'\n"
		"  predicted: 'regex:category: (\\w+)'\n"
		"  costs: {billing: {'*': 5, abuse: 20}}\n"
		"decision: {min_pass_rate: 0.9, max_p95_ms: 800,\n"
		"  max_cost_per_1k: 2.5, max_error_rate: 0.05, volume: 20000,\n"
		"  weights: {quality: 2, cost: 1, latency: 0.5}}\n"
		"tests:\n  - vars: {q: x, label: billing}\n"
		"    variant_group: g1\n    severity: 3\n"
		"  - vars: {q: y, label: abuse}\n    variant_group: 7\n"
		"    severity: critical\n    expect: refuse\n"), &s, &e);
	st_clean();
	T_EQ_INT(rc, 0);
	if (rc) {
		t_fail(__FILE__, __LINE__, "%s", e.msg);
		return;
	}
	T_EQ_INT((long)s->n_tests, 2);
	T_EQ_STR(json_string_value(json_object_get(s->tests[0].metadata,
						   "variant_group")), "g1");
	T_EQ_INT((long)json_integer_value(json_object_get(
		s->tests[1].metadata, "variant_group")), 7);
	T_NEAR(json_number_value(json_object_get(s->tests[0].metadata,
						 "severity")), 3, 0);
	T_EQ_STR(json_string_value(json_object_get(s->tests[1].metadata,
						   "expect")), "refuse");
	t = json_object_get(s->sanitized, "decision");
	T_NEAR(json_number_value(json_object_get(t, "min_pass_rate")), 0.9,
	       1e-12);
	T_NEAR(json_number_value(json_object_get(json_object_get(t, "weights"),
						 "quality")), 2, 0);
	T_NEAR(json_number_value(json_object_get(t, "volume")), 20000, 0);
	t = json_object_get(s->sanitized, "classification");
	T_EQ_STR(json_string_value(json_object_get(t, "predicted")),
		 "regex:category: (\\w+)");
	T_EQ_STR(json_string_value(json_object_get(json_object_get(
		s->sanitized, "calibration"), "confidence")), "jq:.confidence");
	/* the typed fields the statistics read (suite_stats_parse) */
	{
		struct suite_stats ss;
		const struct suite_decision *d = &ss.decision;
		suite_stats_parse(s->sanitized, &ss);
		T_EQ_STR(ss.confidence, "jq:.confidence");
		T_EQ_STR(ss.expected, "{{label}}");
		T_EQ_STR(ss.predicted, "regex:category: (\\w+)");
		T_ASSERT(ss.has_costs);
		T_EQ_INT((long)ss.ncosts, 2);
		T_EQ_STR(ss.costs[0].expected, "billing");
		T_EQ_STR(ss.costs[0].predicted, "*");
		T_NEAR(ss.costs[0].cost, 5, 0);
		T_EQ_STR(ss.costs[1].predicted, "abuse");
		T_NEAR(ss.costs[1].cost, 20, 0);
		T_ASSERT(d->set && d->has_weights);
		T_NEAR(d->min_pass_rate, 0.9, 1e-12);
		T_NEAR(d->max_p95_ms, 800, 0);
		T_NEAR(d->max_cost_per_1k, 2.5, 0);
		T_NEAR(d->max_error_rate, 0.05, 1e-12);
		T_NEAR(d->volume, 20000, 0);
		T_NEAR(d->w_quality, 2, 0);
		T_NEAR(d->w_cost, 1, 0);
		T_NEAR(d->w_latency, 0.5, 0);
		suite_stats_free(&ss);
	}
	suite_free(s);
}

/* Without blocks every field is unset; severity names map to weights
 * from the one table (critical 10, high/major 5, medium/moderate 2,
 * low/minor 1, info 0, a number >= 0 as it is). */
TEST(suite_stats_parse_unset_and_severity_names)
{
	struct suite_stats ss;
	json_t *empty = json_object(), *v;
	double w = -1;
	bool ok;
	suite_stats_parse(empty, &ss);
	T_ASSERT(!ss.confidence && !ss.expected && !ss.predicted);
	T_ASSERT(!ss.has_costs && !ss.decision.set);
	T_ASSERT(isnan(ss.decision.min_pass_rate) && isnan(ss.decision.volume));
	suite_stats_free(&ss);
	json_decref(empty);
	T_EQ_INT(suite_severity_name("Critical", &w), 0);
	T_NEAR(w, 10, 0);
	T_EQ_INT(suite_severity_name("moderate", &w), 0);
	T_NEAR(w, 2, 0);
	T_EQ_INT(suite_severity_name("info", &w), 0);
	T_NEAR(w, 0, 0);
	T_EQ_INT(suite_severity_name("2.5", &w), 0);
	T_NEAR(w, 2.5, 0);
	T_EQ_INT(suite_severity_name("urgent", &w), -1);
	T_EQ_INT(suite_severity_name("-1", &w), -1);
	v = json_string("major");
	T_NEAR(suite_severity_weight(v, &ok), 5, 0);
	T_ASSERT(ok);
	json_decref(v);
	v = json_string("urgent");
	T_NEAR(suite_severity_weight(v, &ok), 1, 0);
	T_ASSERT(!ok);
	json_decref(v);
}

TEST(suite_stats_calibration_errors)
{
	ST_ERR(ST_HEAD "calibration: {confidence: '.confidence'}\n", 5, 27,
	       "found '.confidence', expected logprobs, jq:EXPR or "
	       "regex:PATTERN");
	ST_ERR(ST_HEAD "calibration: {confidence: logprob}\n", 5, 27,
	       "found 'logprob', expected logprobs, jq:EXPR or "
	       "regex:PATTERN");
	ST_ERR(ST_HEAD "calibration: {confidence: true}\n", 5, 27,
	       "expected logprobs, jq:EXPR or regex:PATTERN");
	ST_ERR(ST_HEAD "calibration: {confidence: 'regex:(['}\n", 5, 27,
	       "bad regex");
	ST_ERR(ST_HEAD "calibration: {confidence: 'jq:.a | | b'}\n", 5, 27,
	       "jq");
	ST_ERR(ST_HEAD "calibration: {confidense: 'jq:.c'}\n", 5, 15,
	       "unknown key 'confidense' in calibration, expected one of: "
	       "confidence");
	ST_ERR(ST_HEAD "calibration: {}\n", 5, 14,
	       "missing key 'confidence'");
	ST_ERR(ST_HEAD "calibration: 'jq:.c'\n", 5, 14,
	       "found a string, expected a mapping");
}

TEST(suite_stats_classification_errors)
{
	ST_ERR(ST_HEAD "classification: {expected: '{{label}}'}\n", 5, 17,
	       "missing key 'predicted' in classification");
	ST_ERR(ST_HEAD "classification: {predicted: output}\n", 5, 17,
	       "missing key 'expected' in classification");
	ST_ERR(ST_HEAD "classification:\n  expected: '{{label'\n"
	       "  predicted: output\n", 6, 14, "unterminated tag");
	ST_ERR(ST_HEAD "classification:\n  expected: '{{label}}'\n"
	       "  predicted: label\n", 7, 14,
	       "expected output, jq:EXPR or regex:PATTERN");
	ST_ERR(ST_HEAD "classification:\n  expected: '{{label}}'\n"
	       "  predicted: output\n  costs: {billing: {abuse: high}}\n",
	       8, 28, "expected a cost (a number >= 0)");
	ST_ERR(ST_HEAD "classification:\n  expected: '{{label}}'\n"
	       "  predicted: output\n  costs: {billing: {abuse: -1}}\n",
	       8, 28, "found -1, expected a cost");
	ST_ERR(ST_HEAD "classification:\n  expected: '{{label}}'\n"
	       "  predicted: output\n  cost: {}\n", 8, 3,
	       "unknown key 'cost' in classification");
}

TEST(suite_stats_decision_errors)
{
	ST_ERR(ST_HEAD "decision: {min_pass_rate: 1.5}\n", 5, 27,
	       "found 1.5, expected a rate between 0 and 1");
	ST_ERR(ST_HEAD "decision: {max_p95_ms: fast}\n", 5, 24,
	       "found a string, expected milliseconds");
	ST_ERR(ST_HEAD "decision: {max_cost: 2}\n", 5, 12,
	       "unknown key 'max_cost' in decision, expected one of: "
	       "min_pass_rate");
	ST_ERR(ST_HEAD "decision: {volume: -5}\n", 5, 20,
	       "found -5, expected queries per day");
	ST_ERR(ST_HEAD "decision: {weights: {speed: 1}}\n", 5, 22,
	       "unknown key 'speed' in weights");
	ST_ERR(ST_HEAD "decision: [0.9]\n", 5, 11,
	       "found a list, expected a mapping");
}

TEST(suite_stats_test_key_errors)
{
	ST_ERR(ST_HEAD "    variant_group: [a]\n", 5, 20,
	       "found a list, expected a string or number");
	ST_ERR(ST_HEAD "    severity: -2\n", 5, 15,
	       "expected a severity such as low, medium, high or critical, "
	       "or a weight >= 0");
	ST_ERR(ST_HEAD "    varient_group: a\n", 5, 5,
	       "unknown key 'varient_group' in a test, expected one of: "
	       "description");
}

TEST(suite_stats_calibration_logprobs)
{
	struct err e = {0};
	struct suite *s = NULL;
	int rc = suite_load(st_put(ST_HEAD "calibration: {confidence: logprobs}\n"),
			    &s, &e);
	st_clean();
	T_EQ_INT(rc, 0);
	if (rc) {
		t_fail(__FILE__, __LINE__, "%s", e.msg);
		return;
	}
	T_EQ_STR(json_string_value(json_object_get(json_object_get(
		s->sanitized, "calibration"), "confidence")), "logprobs");
	suite_free(s);
}

TEST(suite_stats_assertion_severity)
{
	struct err e = {0};
	struct suite *s = NULL;
	const struct test_case *t;
	int rc = suite_load(st_put(
		"prompts: ['Q: {{q}}']\nproviders: [echo]\n"
		"defaultTest:\n  assert:\n"
		"    - {type: is-json, severity: minor}\n"
		"tests:\n  - vars: {q: x}\n    assert:\n"
		"      - {type: contains, value: a, severity: critical}\n"
		"      - {type: contains, value: b, severity: 2.5}\n"
		"      - {type: contains, value: c, severity: '7'}\n"
		"      - {type: contains, value: d}\n"
		"      - {type: contains, value: e, severity: INFO}\n"), &s, &e);
	st_clean();
	T_EQ_INT(rc, 0);
	if (rc) {
		t_fail(__FILE__, __LINE__, "%s", e.msg);
		return;
	}
	t = &s->tests[0];
	T_EQ_INT((long)t->n_asserts, 6);
	T_ASSERT(t->asserts[0].has_severity);	/* from defaultTest */
	T_NEAR(t->asserts[0].severity, 1, 0);
	T_ASSERT(t->asserts[1].has_severity);
	T_NEAR(t->asserts[1].severity, 10, 0);
	T_NEAR(t->asserts[2].severity, 2.5, 0);
	T_NEAR(t->asserts[3].severity, 7, 0);
	T_ASSERT(!t->asserts[4].has_severity);
	T_ASSERT(t->asserts[5].has_severity);
	T_NEAR(t->asserts[5].severity, 0, 0);
	suite_free(s);
}

TEST(suite_stats_assertion_severity_errors)
{
	ST_ERR(ST_HEAD "    assert:\n      - {type: contains, value: a, "
	       "severity: -1}\n", 6, 46,
	       "found -1, expected a severity such as low, medium, high or "
	       "critical, or a weight >= 0");
	ST_ERR(ST_HEAD "    assert:\n      - {type: contains, value: a, "
	       "severity: urgent}\n", 6, 46,
	       "found 'urgent', expected a severity: critical, high, major, "
	       "medium, moderate, low, minor, info, or a weight >= 0");
	ST_ERR(ST_HEAD "    assert:\n      - type: contains\n"
	       "        severity: [high]\n", 7, 19,
	       "found a list, expected a severity");
	ST_ERR(ST_HEAD "    assert:\n      - type: contains\n"
	       "        severity:\n", 7, 18,
	       "expected a severity");
}
