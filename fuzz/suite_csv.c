/* suite_csv.c — fuzzes the CSV test reader (src/suite/suite_tests.c:
 * libcsv, the header row, `__expected` and the other `__` columns, cells
 * that become assertions).
 *
 * Input: the CSV text, written as tests.csv next to a fixed suite that
 * names it in `tests:`.  Every outcome must be a suite or an error with a
 * message. */
#include "fuzz.h"
#include "suite/suite.h"

static const char suite_text[] =
	"prompts:\n  - 'Answer the question.'\n"
	"providers:\n  - openai:chat:gpt-4o-mini\n"
	"tests: file://tests.csv\n";

static const char *suite_path;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static char path[128];
	(void)argc;
	(void)argv;
	snprintf(path, sizeof path, "%s", fz_write("suite.yaml", suite_text,
						   sizeof suite_text - 1));
	suite_path = path;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct suite *s = NULL;
	struct err err;
	if (!suite_path)
		LLVMFuzzerInitialize(NULL, NULL);
	fz_write("tests.csv", data, size);
	err_clear(&err);
	if (suite_load(suite_path, &s, &err) == 0)
		suite_free(s);
	else if (!err.msg[0] || s)
		abort();
	return 0;
}
