/* test_pg_fixture.c — tpg.h: a database per test on the throwaway server.
 * CREATE DATABASE costs ~0.1 s on tests/pg.sh's server (fsync off), so
 * every test gets its own and none sees another's tables. */
#include "tpg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "t.h"
#include "../../src/store/db.h"
#include "../../src/util/xalloc.h"

/* base with its database (the path after host[:port]/) replaced by `db` */
static char *with_db(const char *base, const char *db)
{
	const char *auth = strstr(base, "://");
	const char *slash = auth ? strchr(auth + 3, '/') : NULL;
	const char *q = slash ? slash + strcspn(slash, "?") : NULL;
	if (!slash)
		return xasprintf("%s/%s", base, db);
	return xasprintf("%.*s/%s%s", (int)(slash - base), base, db, q);
}

static char *db_name_of(const char *url)
{
	const char *auth = strstr(url, "://");
	const char *slash = auth ? strchr(auth + 3, '/') : NULL;
	return slash ? xstrndup(slash + 1, strcspn(slash + 1, "?")) : NULL;
}

static int admin(const char *sql)
{
	struct db *db = NULL;
	struct err err = {0};
	int rc = db_open(getenv("ASSAY_TEST_PG"), 5000, &db, &err);
	if (!rc)
		rc = db_exec(db, sql, &err);
	if (rc)
		t_fail(__FILE__, __LINE__, "%s", err.msg);
	db_close(db);
	return rc;
}

char *tpg_current;

char *tfx_db(const char *dir, const char *name)
{
	return tpg_current ? xstrdup(tpg_current) : xasprintf("%s/%s", dir, name);
}

char *tpg_new_db(void)
{
	static unsigned n;
	const char *base = getenv("ASSAY_TEST_PG");
	char name[64], sql[128];
	if (!base || !*base) {
		if (getenv("ASSAY_REQUIRE_PG"))
			t_fail(__FILE__, __LINE__, "ASSAY_TEST_PG is not set"
			       " (make check starts a server: tests/pg.sh)");
		else
			t_skip("ASSAY_TEST_PG unset (tests/pg.sh run …)");
		return NULL;
	}
	snprintf(name, sizeof name, "assay_u%ld_%u", (long)getpid(), ++n);
	snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", name);
	if (admin(sql))
		return NULL;
	snprintf(sql, sizeof sql, "CREATE DATABASE %s", name);
	if (admin(sql))
		return NULL;
	return with_db(base, name);
}

void tpg_drop_db(char *url)
{
	char *name, sql[128];
	if (!url)
		return;
	if ((name = db_name_of(url)) && strncmp(name, "assay_u", 7) == 0) {
		snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)",
			 name);
		(void)admin(sql);
	}
	free(name);
	free(url);
}
