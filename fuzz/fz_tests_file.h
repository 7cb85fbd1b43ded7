/* fz_tests_file.h — the driver the tests-file targets share (suite_csv,
 * suite_jsonl): the input is written as FILE next to a fixed suite whose
 * `tests:` names it, and the suite is loaded.  Every outcome must be a
 * suite or an error with a message.  Header-only, like fuzz.h. */
#ifndef ASSAY_FUZZ_TESTS_FILE_H
#define ASSAY_FUZZ_TESTS_FILE_H

#include "fuzz.h"
#include "suite/suite.h"

/* Loads a suite naming `file` (a name without '/', e.g. "tests.csv") that
 * holds data[0..size); aborts when the contract does not hold. */
static inline void fz_tests_file(const char *file, const uint8_t *data, size_t size)
{
	static char suite_path[512];
	struct suite *s = NULL;
	struct err err;
	if (!suite_path[0]) {
		char text[256];
		int n = snprintf(text, sizeof text,
				 "prompts:\n  - 'Answer the question.'\n"
				 "providers:\n  - openai:chat:gpt-4o-mini\n"
				 "tests: file://%s\n", file);
		snprintf(suite_path, sizeof suite_path, "%s",
			 fz_write("suite.yaml", text, (size_t)n));
	}
	fz_write(file, data, size);
	err_clear(&err);
	if (suite_load(suite_path, &s, &err) == 0)
		suite_free(s);
	else if (!err.msg[0] || s)
		abort();
}

#endif
