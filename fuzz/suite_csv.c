/* suite_csv.c — fuzzes the CSV test reader (src/suite/suite_tests.c:
 * libcsv, the header row, `__expected` and the other `__` columns, cells
 * that become assertions).
 *
 * Input: the CSV text, written as tests.csv next to a fixed suite that
 * names it in `tests:` (fz_tests_file.h).  Every outcome must be a suite
 * or an error with a message. */
#include "fz_tests_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_tests_file("tests.csv", data, size);
	return 0;
}
