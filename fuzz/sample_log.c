/* sample_log.c — fuzzes `assay sample` (src/evalset/: the log reader of
 * logread.c — JSON Lines or CSV, plain or gzip, a byte order mark, long
 * and malformed records — the JSON paths of jpath.c, the text of a value,
 * the draw, redaction, and the YAML and CSV writers).
 *
 * Input: byte 0 sets the options — bit 0 CSV, bit 1 --redact, bit 2
 * --stratify-by, bit 3 near-duplicates off, bit 4 --no-record, bits 5-7
 * the sample size (1 + 4 × value); then the --field path, NUL, the
 * --stratify-by path, NUL, the log.  Contract: a sample or an error with
 * a message; the YAML written loads back as a suite's tests, one per case,
 * each with its input byte for byte (what es_yaml_quote promises). */
#include "fuzz.h"
#include "evalset/evalset.h"
#include "suite/suite.h"

static const char suite_text[] =
	"prompts: ['{{input}}']\n"
	"providers: [echo]\n"
	"tests: file://sampled.yaml\n";

static FILE *null_out;

static void check_yaml(const struct es_sample_opts *o, const struct es_sample *s)
{
	struct buf b = { 0 };
	struct suite *su = NULL;
	struct err err;
	const char *suite_path;
	es_sample_write_yaml(o, s, &b);
	if (!s->n_cases) {
		buf_free(&b);
		return; /* an empty list is written as a comment only */
	}
	fz_write("sampled.yaml", buf_str(&b), b.len);
	suite_path = fz_write("suite.yaml", suite_text, sizeof suite_text - 1);
	err_clear(&err);
	if (suite_load(suite_path, &su, &err)) {
		fprintf(stderr, "fuzz: the sample does not load back: %s\n", err.msg);
		abort();
	}
	if (su->n_tests != s->n_cases)
		abort();
	for (size_t i = 0; i < s->n_cases; i++) {
		const char *v = json_string_value(json_object_get(su->tests[i].vars, "input"));
		if (!v || strcmp(v, s->cases[i].input)) {
			fprintf(stderr, "fuzz: case %zu's input does not load back\n", i);
			abort();
		}
	}
	suite_free(su);
	buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct es_sample_opts o = { .var = "input", .min_per_stratum = 2, .near_dup = 0.8,
				    .shingle = 3, .seed = 7 };
	struct es_sample s;
	struct err err;
	const uint8_t *rest, *log;
	size_t rest_n, log_n;
	char *field, *strat;
	struct buf b = { 0 };
	int rc;
	if (size < 1)
		return 0;
	if (!null_out && !(null_out = fopen("/dev/null", "w")))
		abort();
	field = fz_head(data + 1, size - 1, &rest, &rest_n);
	strat = fz_head(rest, rest_n, &log, &log_n);
	o.csv_input = data[0] & 1;
	o.redact = data[0] & 2;
	o.stratify_by = data[0] & 4 ? strat : NULL;
	if (data[0] & 8)
		o.near_dup = 2;
	o.keep_record = !(data[0] & 16);
	o.n = 1 + 4 * (size_t)(data[0] >> 5);
	o.field = *field ? field : "input";
	o.path = fz_write(o.csv_input ? "log.csv" : "log.jsonl", log, log_n);
	err_clear(&err);
	rc = es_sample_run(&o, &s, null_out, &err);
	if (rc) {
		if (!err.msg[0])
			abort();
	} else {
		check_yaml(&o, &s);
		es_sample_write_csv(&o, &s, &b);
		es_sample_report(&o, &s, null_out);
		buf_free(&b);
		es_sample_cleanup(&s);
	}
	free(field);
	free(strat);
	return 0;
}
