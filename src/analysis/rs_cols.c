/* rs_cols.c — the loader's compact form of a candidate's results
 * (struct rs_cols, rs_run.h): one array per field, allocated only when a
 * result differs from the field's default.  A million results as
 * struct rs_item take 96 MB; a pass/fail run with latencies and token
 * counts keeps four columns, 21 MB.  Every value is kept exactly (doubles
 * as doubles: a default is taken only when it is the same bits, so a
 * -0.0 score stays -0.0), so the statistics are those of the structs. */
#include "rs_run.h"

#include <stdlib.h>
#include <string.h>

#include "../util/xalloc.h"

/* Grows an allocated column to the new capacity (absent ones stay so). */
#define GROW(f)                                                               \
	do {                                                                  \
		if (k->f)                                                     \
			k->f = xrealloc(k->f, cap * sizeof *k->f);            \
	} while (0)

static void grow_all(struct rs_cand *c)
{
	struct rs_cols *k = &c->col;
	size_t cap = c->cap;
	k->c = xrealloc(k->c, cap * sizeof *k->c);
	k->pass = xrealloc(k->pass, cap * sizeof *k->pass);
	GROW(rep);
	GROW(refused);
	GROW(cached);
	GROW(has_asev);
	GROW(pred);
	GROW(retries);
	GROW(ctok);
	GROW(score);
	GROW(lat);
	GROW(ttft);
	GROW(cost);
	GROW(conf);
	GROW(judge_cost);
	GROW(asev);
}

/* A column's first value other than the default: allocated at the
 * capacity, the results before it given the default. */
#define NEED(f, dflt)                                                         \
	do {                                                                  \
		if (!k->f) {                                                  \
			k->f = xmalloc(c->cap * sizeof *k->f);                \
			for (size_t j_ = 0; j_ < n; j_++)                     \
				k->f[j_] = (dflt);                            \
		}                                                             \
	} while (0)

/* Sets integer column f at n, allocating it when v is not the default. */
#define PUT_INT(f, v, dflt)                                                   \
	do {                                                                  \
		if ((v) != (dflt))                                            \
			NEED(f, dflt);                                        \
		if (k->f)                                                     \
			k->f[n] = (v);                                        \
	} while (0)

static bool same_bits(double a, double b)
{
	uint64_t x, y;
	memcpy(&x, &a, sizeof x);
	memcpy(&y, &b, sizeof y);
	return x == y;
}

/* A double column whose default is NaN (any NaN: the figures test
 * isnan) or, when dnan is false, the value d (the same bits). */
static void put_real(const struct rs_cand *cc, double **col, size_t n,
		     double v, bool dnan, double d)
{
	bool dflt = dnan ? isnan(v) : same_bits(v, d);
	if (!dflt && !*col) {
		*col = xmalloc(cc->cap * sizeof **col);
		for (size_t j = 0; j < n; j++)
			(*col)[j] = dnan ? NAN : d;
	}
	if (*col)
		(*col)[n] = v;
}

void rs_cols_push(struct rs_cand *c, const struct rs_item *it)
{
	struct rs_cols *k = &c->col;
	size_t n = c->n;
	double sd = it->pass >= 0 ? it->pass : NAN;	/* score's default */
	if (n == c->cap) {
		c->cap = c->cap < 8 ? 8 : c->cap * 2;
		grow_all(c);
	}
	k->c[n] = it->c;
	k->pass[n] = it->pass;
	PUT_INT(rep, it->rep, 0);
	PUT_INT(refused, it->refused, -1);
	PUT_INT(cached, it->cached, 0);
	PUT_INT(has_asev, it->has_asev, 0);
	PUT_INT(pred, it->pred, -1);
	PUT_INT(retries, it->retries, 0);
	PUT_INT(ctok, it->ctok, -1);
	if (!k->score && !(isnan(sd) ? isnan(it->score)
				      : same_bits(it->score, sd))) {
		/* each earlier result's own default: its pass, or NaN */
		k->score = xmalloc(c->cap * sizeof *k->score);
		for (size_t j = 0; j < n; j++)
			k->score[j] = k->pass[j] >= 0 ? k->pass[j] : NAN;
	}
	if (k->score)
		k->score[n] = it->score;
	put_real(c, &k->lat, n, it->lat, true, 0);
	put_real(c, &k->ttft, n, it->ttft, true, 0);
	put_real(c, &k->cost, n, it->cost, true, 0);
	put_real(c, &k->conf, n, it->conf, true, 0);
	put_real(c, &k->judge_cost, n, it->judge_cost, false, 0);
	put_real(c, &k->asev, n, it->asev, false, 0);
	c->n++;
}

void rs_cols_free(struct rs_cols *k)
{
	free(k->c);
	free(k->pass);
	free(k->rep);
	free(k->refused);
	free(k->cached);
	free(k->has_asev);
	free(k->pred);
	free(k->retries);
	free(k->ctok);
	free(k->score);
	free(k->lat);
	free(k->ttft);
	free(k->cost);
	free(k->conf);
	free(k->judge_cost);
	free(k->asev);
	memset(k, 0, sizeof *k);
}
