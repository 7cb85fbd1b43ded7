/* store_quantile.c — quantiles of a group's latencies in bounded memory
 * (issue 16: the end-of-run summary held every latency of a group, 1.6 MB
 * at 200,000 results, plus SQLite's sort of them).
 *
 * The figures are exact, the same as stats_quantile_sorted over the sorted
 * values (type 7): a group of at most QCAP values is read and sorted as
 * before; a larger one is narrowed to the wanted order statistics by
 * histogram passes over the unsorted rows — each pass counts the values of
 * the current range in QB buckets (with each bucket's exact min and max),
 * keeps the bucket holding the wanted rank, and once that bucket holds at
 * most QCAP values they are read and sorted (a group of at most QSMALL is
 * read and sorted whole, as before).  About 100 KB whatever the size.  Two passes for a spread of
 * latencies; a bucket of equal values ends at once.  The rows are the same
 * as store_group_latencies' (store_read.c): keep the WHERE clauses equal. */
#include "store.h"
#include "store_int.h"
#include "db.h"
#include "../stats/stats.h"
#include "../util/xalloc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define QB 1024          /* buckets per pass */
#define QSMALL 65536     /* up to this many values: read and sort them */
#define QCAP 8192        /* a bucket of at most this many is gathered */
#define QLEVELS 64
#define QRANKS 4

#define GROUP " FROM results WHERE run_id = ?1 AND provider_idx = ?2" \
	      " AND prompt_idx = ?3 AND error_kind IS NULL AND cached = 0" \
	      " AND latency_ms IS NOT NULL"

/* Finding order statistic `r` (0-based): the chosen bucket of each level
 * so far (a value is in range when it falls in every one), the values
 * ranked below the range, the range's bucket counts. */
struct rsel {
	size_t r, below;
	double lo[QLEVELS], hi[QLEVELS];
	double cur_lo, cur_hi;
	double val;
	size_t *cnt;
	double *mn, *mx, *vals;
	size_t nv;
	int b[QLEVELS];
	int lv;
	bool gather, done;
};

static int bucket(double v, double lo, double hi)
{
	double f;
	if (!(hi > lo))
		return 0;
	f = (v - lo) / (hi - lo) * QB;
	return f < 0 ? 0 : f >= QB ? QB - 1 : (int)f;
}

static bool in_range(const struct rsel *s, double v)
{
	for (int i = 0; i < s->lv; i++)
		if (bucket(v, s->lo[i], s->hi[i]) != s->b[i])
			return false;
	return true;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static int open_group(struct store *st, const char *sql, int64_t run_id,
		      size_t prov, size_t prompt, struct db_stmt **q,
		      struct err *err)
{
	int rc;
	*q = NULL;
	if ((rc = store_commit(st, err)) || (rc = sti_prepare(st, sql, q, err)))
		return rc;
	db_bind_int(*q, 1, run_id);
	db_bind_int(*q, 2, (int64_t)prov);
	db_bind_int(*q, 3, (int64_t)prompt);
	return 0;
}

/* One pass over the group's values for every unfinished selection. */
static int pass(struct store *st, int64_t run_id, size_t prov, size_t prompt,
		struct rsel *s, size_t ns, struct err *err)
{
	struct db_stmt *q;
	int rc = open_group(st, "SELECT latency_ms" GROUP, run_id, prov, prompt,
			    &q, err), step;
	if (rc)
		return rc;
	for (size_t i = 0; i < ns; i++)
		if (!s[i].done && !s[i].gather) {
			memset(s[i].cnt, 0, QB * sizeof *s[i].cnt);
			for (int b = 0; b < QB; b++) {
				s[i].mn[b] = INFINITY;
				s[i].mx[b] = -INFINITY;
			}
		}
	while ((step = db_step(q, err)) == DB_ROW) {
		double v = db_col_double(q, 0);
		for (size_t i = 0; i < ns; i++) {
			struct rsel *x = &s[i];
			int b;
			if (x->done || !in_range(x, v))
				continue;
			if (x->gather) {
				if (x->nv < x->cnt[x->b[x->lv - 1]])
					x->vals[x->nv++] = v;
				continue;
			}
			b = bucket(v, x->cur_lo, x->cur_hi);
			x->cnt[b]++;
			if (v < x->mn[b])
				x->mn[b] = v;
			if (v > x->mx[b])
				x->mx[b] = v;
		}
	}
	if (step != DB_DONE)
		rc = sti_fail(st, err, "reading latencies");
	db_finalize(q);
	return rc;
}

/* After a pass: the bucket holding each rank becomes the next range, or
 * is gathered, or (its values all equal) is the answer. */
static void narrow(struct rsel *x)
{
	size_t cum = x->below;
	int b = 0;
	if (x->gather) {
		qsort(x->vals, x->nv, sizeof *x->vals, cmp_double);
		x->val = x->r - x->below < x->nv ? x->vals[x->r - x->below]
						  : NAN;
		x->done = true;
		return;
	}
	while (b < QB - 1 && cum + x->cnt[b] <= x->r)
		cum += x->cnt[b++];
	x->below = cum;
	if (x->mn[b] == x->mx[b] || x->lv == QLEVELS) {
		x->val = x->mn[b];
		x->done = true;
		return;
	}
	x->lo[x->lv] = x->cur_lo;
	x->hi[x->lv] = x->cur_hi;
	x->b[x->lv++] = b;
	x->cur_lo = x->mn[b];
	x->cur_hi = x->mx[b];
	if ((x->gather = x->cnt[b] <= QCAP))
		x->vals = xmalloc((x->cnt[b] ? x->cnt[b] : 1) * sizeof *x->vals);
}

int store_group_latency_quantiles(struct store *st, int64_t run_id,
				  size_t prov, size_t prompt, const double *qs,
				  size_t nq, double *out, size_t *n,
				  struct err *err)
{
	struct db_stmt *q;
	struct rsel s[QRANKS];
	size_t ns = 0, cnt;
	double lo, hi;
	int rc;

	*n = 0;
	for (size_t i = 0; i < nq; i++)
		out[i] = NAN;
	if ((rc = open_group(st, "SELECT count(*), min(latency_ms), "
			     "max(latency_ms)" GROUP, run_id, prov, prompt, &q,
			     err)))
		return rc;
	if (db_step(q, err) != DB_ROW) {
		db_finalize(q);
		return sti_fail(st, err, "counting latencies");
	}
	cnt = (size_t)db_col_int(q, 0);
	lo = db_col_double(q, 1);
	hi = db_col_double(q, 2);
	db_finalize(q);
	*n = cnt;
	if (!cnt)
		return 0;
	if (cnt <= QSMALL || nq * 2 > QRANKS) {
		/* small: read them all and sort, as store_group_latencies */
		double *v;
		size_t m;
		if ((rc = store_group_latencies(st, run_id, prov, prompt, &v, &m,
						err)))
			return rc;
		for (size_t i = 0; i < nq; i++)
			out[i] = m ? stats_quantile_sorted(v, m, qs[i]) : NAN;
		*n = m;
		free(v);
		return 0;
	}
	memset(s, 0, sizeof s);
	for (size_t i = 0; i < nq; i++) {
		double h = qs[i] <= 0 ? 0 : qs[i] >= 1 ? (double)(cnt - 1)
			   : (double)(cnt - 1) * qs[i];
		size_t j = (size_t)floor(h);
		s[ns++].r = j;
		s[ns++].r = j + 1 < cnt ? j + 1 : j;
	}
	for (size_t i = 0; i < ns; i++) {
		s[i].cur_lo = lo;
		s[i].cur_hi = hi;
		s[i].cnt = xmalloc(QB * sizeof *s[i].cnt);
		s[i].mn = xmalloc(QB * sizeof *s[i].mn);
		s[i].mx = xmalloc(QB * sizeof *s[i].mx);
	}
	for (;;) {
		bool left = false;
		for (size_t i = 0; i < ns; i++)
			left = left || !s[i].done;
		if (!left || (rc = pass(st, run_id, prov, prompt, s, ns, err)))
			break;
		for (size_t i = 0; i < ns; i++)
			if (!s[i].done)
				narrow(&s[i]);
	}
	for (size_t i = 0; !rc && i < nq; i++) {
		double h = qs[i] <= 0 ? 0 : qs[i] >= 1 ? (double)(cnt - 1)
			   : (double)(cnt - 1) * qs[i];
		double frac = h - floor(h), a = s[2 * i].val, b = s[2 * i + 1].val;
		out[i] = a + frac * (b - a);  /* stats_quantile_sorted's type 7 */
	}
	for (size_t i = 0; i < ns; i++) {
		free(s[i].cnt);
		free(s[i].mn);
		free(s[i].mx);
		free(s[i].vals);
	}
	return rc;
}
