/* import.c — fuzzes `assay import --from` (src/import/): JSONL records of
 * OpenAI Evals, Inspect and Hugging Face shapes and CSV rows mapped to
 * tests and written as YAML.  Every record must be mapped or skipped with
 * a reason; the YAML written must load back as a case file.
 *
 * Input: byte 0 picks the format (bits 0-1: openai-evals, inspect, hf
 * JSONL, CSV) and --suite (bit 2); the rest is the file. */
#include "fuzz.h"
#include "import/import.h"
#include "suite/suite.h"

static const char *const fmts[] = { "openai-evals", "inspect", "hf", "csv" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char in[512], out[512];
	int fmt, suite, rc;
	if (size < 1)
		return 0;
	fmt = data[0] & 3;
	suite = (data[0] >> 2) & 1;
	snprintf(in, sizeof in, "%s", fz_write(fmt == 3 ? "in.csv" : "in.jsonl",
					       data + 1, size - 1));
	snprintf(out, sizeof out, "%s/out.yaml", fz_dir());
	unlink(out);
	{
		char *argv[] = { "import", "--from", (char *)fmts[fmt], in, "-o", out,
				 "--quiet", suite ? "--suite" : "--quiet", NULL };
		rc = import_convert_exec(8, argv);
	}
	if (rc != 0 && rc != 1)
		abort();
	if (rc == 0) {
		/* what was written is YAML a suite can load as its tests */
		struct suite *s = NULL;
		struct err err;
		char text[1024];
		const char *sp;
		if (suite) {
			sp = out;
		} else {
			snprintf(text, sizeof text, "prompts: ['x']\nproviders: [openai:chat:m]\n"
				 "tests: file://out.yaml\n");
			sp = fz_write("suite.yaml", text, strlen(text));
		}
		err_clear(&err);
		if (suite_load(sp, &s, &err) == 0)
			suite_free(s);
		else if (!err.msg[0])
			abort();
	}
	unlink(out);
	return 0;
}
