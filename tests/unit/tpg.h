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

/* STORE_TEST(name) { body }: a store test run twice, as `name` on SQLite
 * and as `name_pg` on a fresh PostgreSQL database; the body names its
 * store with tfx_db(dir, "x.db").  A body that returns early (a failed
 * assertion) still has its database dropped. */
extern char *tpg_current;
#define STORE_TEST(name)                                               \
	static void name##_body(void);                                 \
	TEST(name) { name##_body(); }                                  \
	TEST(name##_pg)                                                \
	{                                                              \
		if (!(tpg_current = tpg_new_db()))                     \
			return;                                        \
		name##_body();                                         \
		tpg_drop_db(tpg_current);                              \
		tpg_current = NULL;                                    \
	}                                                              \
	static void name##_body(void)

/* The store of a STORE_TEST: DIR/NAME, or the test's PostgreSQL URL when
 * it runs as name_pg.  Owned by the caller. */
char *tfx_db(const char *dir, const char *name);

#endif
