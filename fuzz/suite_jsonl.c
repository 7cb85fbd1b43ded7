/* suite_jsonl.c — fuzzes the JSONL test reader (src/suite/suite_tests.c:
 * one test object per line, each line located in its errors, vars,
 * assertions and options read as in the suite).
 *
 * Input: the JSONL text, written as tests.jsonl next to a fixed suite that
 * names it in `tests:` (fz_tests_file.h).  Every outcome must be a suite
 * or an error with a message. */
#include "fz_tests_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_tests_file("tests.jsonl", data, size);
	return 0;
}
