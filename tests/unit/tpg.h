/* tpg.h — a fresh PostgreSQL database per test, on the server named by
 * ASSAY_TEST_PG (tests/pg.sh starts one for `make check`).
 *
 * tpg_new_db returns the URL of a new, empty database (owned; pass it to
 * tpg_drop_db), or NULL with the test marked: skipped when ASSAY_TEST_PG is
 * unset and ASSAY_REQUIRE_PG is not (a developer running one test), failed
 * when the server is required (make check) or cannot be reached. */
#ifndef ASSAY_TPG_H
#define ASSAY_TPG_H

char *tpg_new_db(void);
void tpg_drop_db(char *url);

/* Sets url to a new database or returns from the test (skipped/failed). */
#define TPG_NEED(url)                                                  \
	do {                                                           \
		if (!((url) = tpg_new_db()))                           \
			return;                                        \
	} while (0)

#endif
