/* assert_value.c — fuzzes the assertion value parsers (src/score/): the
 * load-time check of every type's value (lists, numbers, thresholds,
 * schemas, regexes, jq and Lua sources, judge options, templates in
 * values) and, for the types that run no program, grading an output.
 *
 * Input: byte 0 picks the type, byte 1 the `not-` prefix (bit 0) and a
 * threshold (bit 1, value byte 2 / 255); then the value as JSON (text that
 * is not JSON is taken as a string), a NUL, the model output, a NUL, and
 * the test's vars as JSON.  Programs (jq, Lua, scripts) and judges are only
 * checked, never run: they have their own limits and are not parsers. */
#include "fuzz.h"
#include "score/score.h"
#include "provider/response.h"

static const struct {
	const char *name;
	int eval;    /* 1: graded too */
} types[] = {
	{ "equals", 1 }, { "contains", 1 }, { "icontains", 1 },
	{ "contains-any", 1 }, { "contains-all", 1 }, { "icontains-any", 1 },
	{ "icontains-all", 1 }, { "starts-with", 1 }, { "regex", 1 },
	{ "is-json", 1 }, { "contains-json", 1 }, { "is-xml", 1 },
	{ "contains-xml", 1 }, { "is-sql", 1 }, { "levenshtein", 1 },
	{ "rouge-n", 1 }, { "bleu", 1 }, { "character-count", 1 },
	{ "word-count", 1 }, { "sentence-count", 1 }, { "number", 1 },
	{ "is-refusal", 1 }, { "latency", 1 }, { "cost", 1 },
	{ "finish-reason", 1 }, { "jq", 0 }, { "lua", 0 }, { "script", 0 },
	{ "llm-rubric", 0 }, { "model-graded-closedqa", 0 }, { "factuality", 0 },
	{ "g-eval", 0 }, { "answer-relevance", 0 }, { "similar", 0 },
	{ "context-faithfulness", 0 }, { "context-recall", 0 },
	{ "context-relevance", 0 }, { "select-best", 0 }, { "compare", 0 },
	{ "no-such-type", 0 },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *r1, *r2;
	size_t n1, n2;
	char *value, *output, type[64];
	json_t *vars;
	struct assertion_spec a;
	struct err err;
	size_t ti;
	if (size < 3)
		return 0;
	ti = data[0] % (sizeof types / sizeof types[0]);
	memset(&a, 0, sizeof a);
	snprintf(type, sizeof type, "%s%s", data[1] & 1 ? "not-" : "",
		 types[ti].name);
	a.type = type;
	a.weight = 1;
	a.has_threshold = (data[1] & 2) != 0;
	a.threshold = data[2] / 255.0;
	a.loc.file = "fuzz.yaml";
	a.loc.line = a.loc.col = 1;
	value = fz_head(data + 3, size - 3, &r1, &n1);
	output = fz_head(r1, n1, &r2, &n2);
	vars = json_loadb((const char *)r2, n2, 0, NULL);
	if (!json_is_object(vars)) {
		json_decref(vars);
		vars = json_object();
	}
	a.value = json_loads(value, JSON_DECODE_ANY, NULL);
	if (!a.value && value[0])
		a.value = json_string(value); /* NULL when not UTF-8: no value */
	err_clear(&err);
	if (score_check(&a, vars, &err) == 0) {
		if (types[ti].eval) {
			struct assert_outcome o;
			struct response resp;
			response_init(&resp);
			resp.latency_ms = 120;
			resp.cost_usd = 0.001;
			resp.finish_reason = "stop";
			memset(&o, 0, sizeof o);
			err_clear(&err);
			if (score_assert_eval(&a, vars, output, &resp, &o, &err) == 0) {
				if (!o.reason || !(o.score >= 0 && o.score <= 1))
					abort(); /* an outcome has a reason and a score in [0,1] */
				free(o.reason);
			} else if (!err.msg[0]) {
				abort();
			}
		}
	} else if (!err.msg[0]) {
		abort();
	}
	json_decref(a.value);
	json_decref(vars);
	free(value);
	free(output);
	return 0;
}
