/* sample.c — `assay sample`: one streaming pass over a log, a seeded
 * sample per stratum, duplicates and near-duplicates kept out.
 *
 * How the draw works (docs/evalset.md has the user's version):
 * - every record's input gets a priority, a seeded hash of its trimmed
 *   text; a stratum's sample is the records with the smallest priorities
 *   (bottom-k, i.e. priority sampling: a uniform random sample of the
 *   distinct inputs, the same for a seed whatever the order of the log).
 *   Exact duplicates share a priority, so they can never both be drawn.
 * - one reservoir of at most n records is kept per (stratify-by value,
 *   length bin), length bins being half octaves of the input's length in
 *   code points; a record enters only when its priority beats the
 *   reservoir's largest, which after the first few thousand records is
 *   rare, and only then is its MinHash signature computed and compared
 *   with the kept records of nearby bins (a near-duplicate pair keeps the
 *   record with the smaller priority).
 * - after the pass, bins become the four length buckets by where they sit
 *   in the length distribution (exact counts are kept per bin), each
 *   (value, bucket) stratum gets its quota, and the quota's smallest
 *   priorities from its bins are the sample.
 * Memory: values × bins × n records at most, independent of the log size.
 */
#include "evalset_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../util/xalloc.h"

#define MAXV 64                 /* stratify-by values (the last: other) */
#define NBINS 64
#define MAX_WARN 5

static const char *const bucket_names[4] = { "short", "typical", "long",
					      "very long" };

struct kept {
	uint64_t prio;
	char *text;             /* trimmed input */
	char *rec;              /* compact JSON of the record, or NULL */
	long line;
	int v, bin;
	uint64_t *sig;          /* NULL when near-dup checks are off */
};

struct res {
	struct kept *it;
	size_t n, cap;         /* grows up to the sample size */
};

struct st {
	const struct es_sample_opts *o;
	struct es_sample *out;
	char *values[MAXV];
	int n_values;
	struct res *res[MAXV * NBINS];
	size_t counts[MAXV][NBINS];
	size_t minlen[NBINS], maxlen[NBINS], seen[NBINS];
	int near_reach;         /* bins either side compared for near-dups */
	size_t warned;
	FILE *warn;
};

static int len_bin(size_t len)
{
	int b;
	if (len == 0)
		return 0;
	b = (int)floor(2.0 * log2((double)len)) + 1;
	return b < NBINS ? b : NBINS - 1;
}

static void kept_free(struct kept *k)
{
	free(k->text);
	free(k->rec);
	free(k->sig);
}

static void warn_at(struct st *s, const struct err *e)
{
	if (s->warned++ < MAX_WARN && s->warn)
		fprintf(s->warn, "%s:%d:%d: warning: %s\n", e->file, e->line,
			e->col, e->msg);
}

static int value_index(struct st *s, const json_t *rec)
{
	const json_t *v;
	char *t;
	int i;
	if (!s->o->stratify_by)
		return 0;
	v = es_jpath(rec, s->o->stratify_by, NULL);
	t = es_json_text(v);
	if (!t)
		t = xstrdup("(none)");
	for (i = 0; i < s->n_values; i++)
		if (!strcmp(s->values[i], t)) {
			free(t);
			return i;
		}
	if (s->n_values == MAXV - 1) {
		free(t);
		if (!s->values[MAXV - 1])
			s->values[MAXV - 1] = xstrdup("(other)");
		return MAXV - 1;
	}
	s->values[s->n_values] = t;
	return s->n_values++;
}

static size_t res_max(const struct res *r)
{
	size_t m = 0;
	for (size_t i = 1; i < r->n; i++)
		if (r->it[i].prio > r->it[m].prio)
			m = i;
	return m;
}

static void res_remove(struct res *r, size_t i)
{
	kept_free(&r->it[i]);
	r->it[i] = r->it[--r->n];
}

/* Exact duplicate already kept (same priority, same text) in bin b? */
static bool exact_dup(struct st *s, int b, uint64_t prio, const char *text)
{
	for (int v = 0; v < MAXV; v++) {
		struct res *r = s->res[v * NBINS + b];
		for (size_t i = 0; r && i < r->n; i++)
			if (r->it[i].prio == prio && !strcmp(r->it[i].text, text))
				return true;
	}
	return false;
}

/* Near-duplicates of sig among kept records: those with a larger
 * priority are dropped; returns false when a kept one wins. */
static bool near_dup_pass(struct st *s, int b, uint64_t prio,
			  const uint64_t *sig)
{
	double t = s->o->near_dup;
	int lo = b - s->near_reach, hi = b + s->near_reach;
	for (int bb = lo < 0 ? 0 : lo; bb <= hi && bb < NBINS; bb++)
		for (int v = 0; v < MAXV; v++) {
			struct res *r = s->res[v * NBINS + bb];
			for (size_t i = 0; r && i < r->n;) {
				if (es_minhash_jaccard(sig, r->it[i].sig) < t) {
					i++;
					continue;
				}
				s->out->near_dups++;
				if (r->it[i].prio < prio)
					return false;
				res_remove(r, i);
			}
		}
	return true;
}

static void take(struct st *s, json_t *rec, long line, struct err *e)
{
	const struct es_sample_opts *o = s->o;
	const json_t *fv = es_jpath(rec, o->field, NULL);
	char *raw = es_json_text(fv), *text;
	const char *a, *z;
	size_t len, cap = o->n;
	uint64_t prio;
	int v, b;
	struct res *r;
	struct kept k;

	if (!raw) {
		s->out->no_input++;
		err_at(e, o->path, (int)line, 1, "%s '%s', expected a text "
		       "field (skipped)", fv ? "found no text in field"
					     : "found no field", o->field);
		warn_at(s, e);
		return;
	}
	for (a = raw; *a == ' ' || *a == '\t' || *a == '\n' || *a == '\r';)
		a++;
	z = a + strlen(a);
	while (z > a && (z[-1] == ' ' || z[-1] == '\t' || z[-1] == '\n' ||
			 z[-1] == '\r'))
		z--;
	text = es_utf8_clean(a, (size_t)(z - a));
	free(raw);
	v = value_index(s, rec);
	len = es_utf8_len(text);
	b = len_bin(len);
	s->out->records++;
	s->counts[v][b]++;
	if (s->seen[b]++ == 0) {
		s->minlen[b] = s->maxlen[b] = len;
	} else {
		if (len < s->minlen[b])
			s->minlen[b] = len;
		if (len > s->maxlen[b])
			s->maxlen[b] = len;
	}
	prio = es_hash(text, strlen(text), o->seed);
	r = s->res[v * NBINS + b];
	if (!r) {
		r = s->res[v * NBINS + b] = xcalloc(1, sizeof *r);
	}
	if (r->n == cap && prio >= r->it[res_max(r)].prio) {
		free(text);
		return;
	}
	if (exact_dup(s, b, prio, text)) {
		s->out->exact_dups++;
		free(text);
		return;
	}
	memset(&k, 0, sizeof k);
	if (o->near_dup <= 1) {
		k.sig = xmalloc(ES_MINHASH_K * sizeof *k.sig);
		es_minhash(text, o->shingle, k.sig);
		if (!near_dup_pass(s, b, prio, k.sig)) {
			free(k.sig);
			free(text);
			return;
		}
	}
	k.prio = prio;
	k.text = text;
	k.rec = o->keep_record ? json_dumps(rec, JSON_COMPACT) : NULL;
	k.line = line;
	k.v = v;
	k.bin = b;
	if (r->n < cap) {
		r->it = xgrow(r->it, &r->cap, r->n + 1, sizeof *r->it);
		r->it[r->n++] = k;
	} else {
		size_t m = res_max(r);
		kept_free(&r->it[m]);
		r->it[m] = k;
	}
}

static int cmp_prio(const void *a, const void *b)
{
	const struct kept *x = *(struct kept *const *)a;
	const struct kept *y = *(struct kept *const *)b;
	return x->prio < y->prio ? -1 : x->prio > y->prio;
}

static int cmp_line(const void *a, const void *b)
{
	const struct es_case *x = a, *y = b;
	return x->line < y->line ? -1 : x->line > y->line;
}

struct stratum {
	int v, bucket;
	size_t size, q;
	struct kept **items;
	size_t n_items;
};

/* Quotas: min(size, K) each (round robin from the largest stratum when n
 * is too small for that), then slot by slot to the stratum with the
 * highest size / (quota + 0.5) among those with records left
 * (Sainte-Laguë), so the sample follows the strata's sizes above the
 * floor. */
static void allocate(struct stratum *sv, size_t ns, size_t n, size_t k)
{
	size_t left = n;
	bool progress = true;
	for (size_t round = 0; round < k && left && progress; round++) {
		progress = false;
		for (size_t i = 0; i < ns && left; i++)
			if (sv[i].q < sv[i].n_items && sv[i].q <= round) {
				sv[i].q++;
				left--;
				progress = true;
			}
	}
	while (left) {
		size_t best = ns;
		double bv = -1;
		for (size_t i = 0; i < ns; i++) {
			double w;
			if (sv[i].q >= sv[i].n_items)
				continue;
			w = (double)sv[i].size / ((double)sv[i].q + 0.5);
			if (w > bv) {
				bv = w;
				best = i;
			}
		}
		if (best == ns)
			break;
		sv[best].q++;
		left--;
	}
}

static int cmp_size(const void *a, const void *b)
{
	const struct stratum *x = a, *y = b;
	if (x->size != y->size)
		return x->size > y->size ? -1 : 1;
	if (x->v != y->v)
		return x->v - y->v;
	return x->bucket - y->bucket;
}

static char *stratum_name(const struct st *s, int v, int bucket)
{
	if (!s->o->stratify_by)
		return xstrdup(bucket_names[bucket]);
	return xasprintf("%s=%s/%s", s->o->stratify_by, s->values[v],
			 bucket_names[bucket]);
}

static void finish(struct st *s)
{
	struct es_sample *out = s->out;
	const struct es_sample_opts *o = s->o;
	int bucket_of[NBINS];
	size_t total[NBINS] = {0}, cum = 0;
	struct stratum *sv = xcalloc(MAXV * 4, sizeof *sv);
	size_t ns = 0;

	for (int b = 0; b < NBINS; b++)
		for (int v = 0; v < MAXV; v++)
			total[b] += s->counts[v][b];
	for (int b = 0; b < NBINS; b++) {
		double mid;
		bucket_of[b] = -1;
		if (!total[b])
			continue;
		mid = ((double)cum + (double)total[b] / 2) /
		      (double)out->records;
		cum += total[b];
		bucket_of[b] = mid < 0.10 ? 0 : mid < 0.90 ? 1 :
			       mid < 0.99 ? 2 : 3;
		if (!out->bucket_used[bucket_of[b]]) {
			out->bucket_used[bucket_of[b]] = true;
			out->bucket_lo[bucket_of[b]] = s->minlen[b];
		}
		out->bucket_hi[bucket_of[b]] = s->maxlen[b];
	}
	for (int v = 0; v < MAXV; v++)
		for (int k = 0; k < 4; k++) {
			struct stratum *t = &sv[ns];
			size_t cap = 0;
			memset(t, 0, sizeof *t);
			t->v = v;
			t->bucket = k;
			for (int b = 0; b < NBINS; b++) {
				struct res *r = s->res[v * NBINS + b];
				if (bucket_of[b] != k)
					continue;
				t->size += s->counts[v][b];
				for (size_t i = 0; r && i < r->n; i++) {
					t->items = xgrow(t->items, &cap,
							 t->n_items + 1,
							 sizeof *t->items);
					t->items[t->n_items++] = &r->it[i];
				}
			}
			if (t->size)
				ns++;
			else
				free(t->items);
		}
	qsort(sv, ns, sizeof *sv, cmp_size);
	allocate(sv, ns, o->n, o->min_per_stratum);
	out->strata = xcalloc(ns ? ns : 1, sizeof *out->strata);
	out->cases = xcalloc(o->n ? o->n : 1, sizeof *out->cases);
	for (size_t i = 0; i < ns; i++) {
		struct stratum *t = &sv[i];
		if (t->n_items)     /* a stratum of duplicates has none */
			qsort(t->items, t->n_items, sizeof *t->items,
			      cmp_prio);
		out->strata[i].name = stratum_name(s, t->v, t->bucket);
		out->strata[i].records = t->size;
		out->strata[i].sampled = t->q;
		for (size_t j = 0; j < t->q; j++) {
			struct kept *k = t->items[j];
			struct es_case *c = &out->cases[out->n_cases++];
			{
				char *txt = o->redact ?
					    es_redact(k->text, &out->redactions)
					    : xstrdup(k->text);
				size_t before = out->untemplated;
				c->input = es_untemplate(txt, &out->untemplated);
				c->untemplated = out->untemplated > before;
				free(txt);
			}
			c->record = k->rec ? json_loads(k->rec, 0, NULL) : NULL;
			if (c->record && o->redact)
				es_redact_json(c->record, &out->redactions);
			c->line = k->line;
			c->stratum = xstrdup(out->strata[i].name);
			c->bucket = xstrdup(bucket_names[t->bucket]);
			c->value = o->stratify_by ?
				   (o->redact ? es_redact(s->values[t->v], NULL)
					      : xstrdup(s->values[t->v]))
				   : NULL;
			c->prio = k->prio;
		}
		free(t->items);
	}
	out->n_strata = ns;
	if (o->redact)
		for (size_t i = 0; i < ns; i++) {
			char *r = es_redact(out->strata[i].name, NULL);
			free(out->strata[i].name);
			out->strata[i].name = r;
		}
	qsort(out->cases, out->n_cases, sizeof *out->cases, cmp_line);
	free(sv);
}

int es_sample_run(const struct es_sample_opts *o, struct es_sample *out,
		  FILE *warn, struct err *err)
{
	struct st *s;
	struct es_reader *rd;
	int rc = 0;

	memset(out, 0, sizeof *out);
	if (es_jpath_check(o->field, err) ||
	    (o->stratify_by && es_jpath_check(o->stratify_by, err)))
		return ST_USAGE;
	rd = es_reader_open(o->path, o->csv_input, err);
	if (!rd)
		return ST_IO;
	s = xcalloc(1, sizeof *s);
	s->o = o;
	s->out = out;
	s->warn = warn;
	s->n_values = o->stratify_by ? 0 : 1;
	if (!o->stratify_by)
		s->values[0] = xstrdup("");
	s->near_reach = o->near_dup <= 0 ? NBINS :
			(int)ceil(2.0 * log2(1.0 / o->near_dup)) + 1;
	for (;;) {
		json_t *rec;
		long line;
		struct err e;
		int r;
		err_clear(&e);
		r = es_reader_next(rd, &rec, &line, &e);
		if (r == 0)
			break;
		if (r < 0) {
			*err = e;
			rc = e.code ? e.code : ST_IO;
			break;
		}
		if (r == ES_SKIP) {
			out->malformed++;
			warn_at(s, &e);
			continue;
		}
		take(s, rec, line, &e);
		json_decref(rec);
	}
	es_reader_close(rd);
	if (!rc) {
		if (s->warned > MAX_WARN && warn)
			fprintf(warn, "warning: ... and %zu more skipped "
				"records\n", s->warned - MAX_WARN);
		finish(s);
	}
	for (int i = 0; i < MAXV * NBINS; i++) {
		struct res *r = s->res[i];
		for (size_t j = 0; r && j < r->n; j++)
			kept_free(&r->it[j]);
		if (r)
			free(r->it);
		free(r);
	}
	for (int i = 0; i < MAXV; i++)
		free(s->values[i]);
	free(s);
	if (rc)
		es_sample_cleanup(out);
	return rc;
}

void es_sample_cleanup(struct es_sample *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_cases; i++) {
		free(s->cases[i].input);
		json_decref(s->cases[i].record);
		free(s->cases[i].stratum);
		free(s->cases[i].bucket);
		free(s->cases[i].value);
	}
	free(s->cases);
	for (size_t i = 0; i < s->n_strata; i++)
		free(s->strata[i].name);
	free(s->strata);
	memset(s, 0, sizeof *s);
}
