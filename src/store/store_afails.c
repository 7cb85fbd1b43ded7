/* store_afails.c — the assertion-failure counts of a run on SQLite
 * (store_assert_fails_sev_each, store.h), counted here instead of by a
 * GROUP BY.
 *
 * Why by hand: SQLite answers the GROUP BY over (provider, prompt, type,
 * metric) by sorting every assertion row of the run in a temporary
 * B-tree — 3,000,000 rows for 1,000,000 results, 4.2 s of CPU of which
 * the join itself is 1.3 s (README "Scale").  The groups are few (the
 * candidates times the suite's assertion kinds), so one streamed join
 * counted into a small hash table, then sorted as the SQL's ORDER BY,
 * gives the same rows in the same order.  PostgreSQL keeps the SQL (its
 * hash aggregate does not sort, and sending every row to the client
 * would cost more than it saves).
 *
 * The order is the SQL's: provider, prompt, failures descending, type,
 * metric (NULL first), strings compared bytewise as SQLite's BINARY
 * collation does.  Group keys compare as the GROUP BY did: NULL apart
 * from "", raw indexes (before store.h's clamping of negative ones). */
#include "store_int.h"

#include <stdlib.h>
#include <string.h>

#include "../util/xalloc.h"

struct afail_group {
	int64_t prov, prompt;
	char *type, *metric;	/* NULL when the column was NULL */
	long fails, total;
	uint64_t h;
};

struct afail_table {
	struct afail_group *g;	/* the groups, in order of appearance */
	size_t n, cap;
	size_t *slot;		/* open addressing: index + 1, 0 empty */
	size_t nslots;		/* a power of two, > 2 n */
};

/* FNV-1a over the key; a NULL string hashes apart from "". */
static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static uint64_t key_hash(int64_t prov, int64_t prompt, const char *type,
			 const char *metric)
{
	uint64_t h = 0xcbf29ce484222325ull;
	unsigned char nul[2] = { type != NULL, metric != NULL };
	h = fnv(h, &prov, sizeof prov);
	h = fnv(h, &prompt, sizeof prompt);
	h = fnv(h, nul, sizeof nul);
	if (type)
		h = fnv(h, type, strlen(type) + 1);
	if (metric)
		h = fnv(h, metric, strlen(metric) + 1);
	return h;
}

static bool str_eq(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static void table_rehash(struct afail_table *t)
{
	size_t ns = t->nslots ? t->nslots * 2 : 64;
	free(t->slot);
	t->slot = xcalloc(ns, sizeof *t->slot);
	t->nslots = ns;
	for (size_t i = 0; i < t->n; i++) {
		size_t s = (size_t)t->g[i].h & (ns - 1);
		while (t->slot[s])
			s = (s + 1) & (ns - 1);
		t->slot[s] = i + 1;
	}
}

/* The group of the key, added (with zero counts) when new. */
static struct afail_group *table_get(struct afail_table *t, int64_t prov,
				     int64_t prompt, const char *type,
				     const char *metric)
{
	uint64_t h = key_hash(prov, prompt, type, metric);
	size_t s;
	struct afail_group *g;
	if (2 * (t->n + 1) > t->nslots)
		table_rehash(t);
	for (s = (size_t)h & (t->nslots - 1); t->slot[s];
	     s = (s + 1) & (t->nslots - 1)) {
		g = &t->g[t->slot[s] - 1];
		if (g->h == h && g->prov == prov && g->prompt == prompt &&
		    str_eq(g->type, type) && str_eq(g->metric, metric))
			return g;
	}
	t->g = xgrow(t->g, &t->cap, t->n + 1, sizeof *t->g);
	g = &t->g[t->n];
	memset(g, 0, sizeof *g);
	g->prov = prov;
	g->prompt = prompt;
	g->type = type ? xstrdup(type) : NULL;
	g->metric = metric ? xstrdup(metric) : NULL;
	g->h = h;
	t->slot[s] = ++t->n;
	return g;
}

/* NULL first, then bytewise (strcmp compares as unsigned char). */
static int cmp_nulls_first(const char *a, const char *b)
{
	if (!a || !b)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

/* ORDER BY provider, prompt, fails DESC, type NULLS FIRST, metric NULLS
 * FIRST */
static int cmp_group(const void *pa, const void *pb)
{
	const struct afail_group *a = pa, *b = pb;
	int c;
	if (a->prov != b->prov)
		return a->prov < b->prov ? -1 : 1;
	if (a->prompt != b->prompt)
		return a->prompt < b->prompt ? -1 : 1;
	if (a->fails != b->fails)
		return a->fails > b->fails ? -1 : 1;
	if ((c = cmp_nulls_first(a->type, b->type)))
		return c;
	return cmp_nulls_first(a->metric, b->metric);
}

static size_t clamp_idx(int64_t v)
{
	return v < 0 ? 0 : (size_t)v;
}

int sti_assert_fails_counted(struct store *st, int64_t run_id,
			     int (*cb)(void *ud, size_t provider_idx,
				       size_t prompt_idx, const char *type,
				       const char *metric, long fails,
				       long total),
			     void *ud, bool *any_severity, struct err *err)
{
	struct afail_table t = { 0 };
	struct db_stmt *q = NULL;
	bool sev = false;
	int rc, step;

	/* the flags are SQL's own comparisons, so a stored 0.0 or a text
	 * pass counts as the GROUP BY's sum(CASE WHEN a.pass = 0 ...) did */
	if ((rc = store_commit(st, err)) ||
	    (rc = sti_prepare(st, "SELECT r.provider_idx, r.prompt_idx,"
			      " a.type, a.metric,"
			      " CASE WHEN a.pass = 0 THEN 1 ELSE 0 END,"
			      " CASE WHEN a.severity IS NOT NULL THEN 1 ELSE 0 END"
			      " FROM results r JOIN assertion_results a"
			      " ON a.result_id = r.id WHERE r.run_id = ?1",
			      &q, err)))
		return rc;
	db_bind_int(q, 1, run_id);
	while ((step = db_step(q, err)) == DB_ROW) {
		struct afail_group *g = table_get(&t, db_col_int(q, 0),
						  db_col_int(q, 1),
						  db_col_text(q, 2),
						  db_col_text(q, 3));
		g->fails += db_col_int(q, 4) != 0;
		g->total++;
		sev = sev || db_col_int(q, 5) != 0;
	}
	if (step != DB_DONE)
		rc = sti_fail(st, err, "reading assertions");
	db_finalize(q);
	if (!rc) {
		if (any_severity)
			*any_severity = sev;
		if (t.n)
			qsort(t.g, t.n, sizeof *t.g, cmp_group);
		for (size_t i = 0; i < t.n && !rc; i++) {
			struct afail_group *g = &t.g[i];
			rc = cb(ud, clamp_idx(g->prov), clamp_idx(g->prompt),
				g->type ? g->type : "?", g->metric, g->fails,
				g->total);
		}
	}
	for (size_t i = 0; i < t.n; i++) {
		free(t.g[i].type);
		free(t.g[i].metric);
	}
	free(t.g);
	free(t.slot);
	return rc;
}
