/* fz_store.h — a small store for the fuzz targets that read or write one
 * (view_api, review_import): a run of 3 cases × 2 providers (one of them
 * with a label), made once per process, whose outputs hold the bytes the
 * readers must survive (not UTF-8, markup, an error).
 *
 * Each input starts from the same store (libFuzzer needs an input to do
 * the same thing every time it runs): a target that may have written
 * calls fz_store_dirty(), and fz_store_get() then opens a fresh copy of
 * the database made at start.  Header-only, like fuzz.h. */
#ifndef ASSAY_FUZZ_STORE_H
#define ASSAY_FUZZ_STORE_H

#include "fuzz.h"
#include "provider/response.h"
#include "score/score.h"
#include "store/store.h"
#include "suite/suite.h"

static const char fz_store_suite[] =
	"description: capitals\n"
	"prompts: ['What is the capital of {{country}}?']\n"
	"providers:\n"
	"  - {id: 'openai:chat:good', label: good}\n"
	"  - openai:chat:bad\n"
	"tests:\n"
	"  - {description: france, vars: {country: France}, metadata: {tags: [eu, big]},\n"
	"     assert: [{type: icontains, value: paris}]}\n"
	"  - {description: italy, vars: {country: Italy}, assert: [{type: icontains, value: rome}]}\n"
	"  - {description: '<b>x</b>', vars: {country: \"\\u00e9\"}}\n";

static const char *const fz_store_outputs[] = {
	"Paris", "Lyon", "Rome", "Milan \xff\xfe not UTF-8", "<script>alert(1)</script>", "",
};

static char *fz_store_image;   /* the database made at start */
static size_t fz_store_image_n;

/* Makes the run in fz_dir()/template.db and keeps its bytes; aborts when
 * it cannot (the target is then broken, not assay). */
static inline void fz_store_init(void)
{
	struct suite *s = NULL;
	struct store *st = NULL;
	struct store_run_meta m = { .repeat = 1 };
	struct err err;
	int64_t run = 0;
	char path[512];
	FILE *f;
	long n;
	err_clear(&err);
	if (suite_load(fz_write("suite.yaml", fz_store_suite, sizeof fz_store_suite - 1),
		       &s, &err)) {
		fprintf(stderr, "fuzz: fixture suite: %s\n", err.msg);
		abort();
	}
	snprintf(path, sizeof path, "%s", fz_write("template.db", "", 0));
	if (store_open(path, &st, &err) || store_run_begin_meta(st, s, &m, &run, &err))
		goto fail;
	for (size_t t = 0; t < s->n_tests; t++)
		for (size_t v = 0; v < s->n_providers; v++) {
			struct response r;
			struct grade g;
			struct result_rec rec = { t, 0, v, 0, "p", &r, &g, 0, 0, 0, 0 };
			response_init(&r);
			r.output = strdup(fz_store_outputs[t * 2 + v]);
			r.latency_ms = 10.0 * (double)(t + 1);
			memset(&g, 0, sizeof g);
			g.pass = v == 0;
			g.score = v == 0;
			g.reason = strdup(v == 0 ? "All assertions passed" : "Expected paris");
			g.named_scores = json_object();
			if (t == 2 && v == 1) {
				r.error = RESP_ERR_OTHER;
				r.error_msg = strdup("HTTP 500: \xc3 broken");
			}
			if (store_result_put(st, run, &rec, &err))
				goto fail;
			free(g.reason);
			json_decref(g.named_scores);
			response_cleanup(&r);
		}
	if (store_run_end(st, run, "done", &err))
		goto fail;
	store_close(st);
	suite_free(s);
	f = fopen(path, "rb");
	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET))
		abort();
	fz_store_image = malloc((size_t)n);
	if (!fz_store_image || fread(fz_store_image, 1, (size_t)n, f) != (size_t)n)
		abort();
	fz_store_image_n = (size_t)n;
	fclose(f);
	return;
fail:
	fprintf(stderr, "fuzz: fixture store: %s\n", err.msg);
	abort();
}

static struct store *fz_store_open_st;

static inline void fz_store_close(void)
{
	store_close(fz_store_open_st);
	fz_store_open_st = NULL;
}

/* The store as made at start, from fz_dir()/work.db: the one already open
 * when the last input did not write to it, else a fresh copy (opening
 * one costs a schema check and a commit, most of an input's time).  Owned
 * here: closed at exit. */
static inline struct store *fz_store_get(void)
{
	struct err err;
	char path[512];
	if (fz_store_open_st)
		return fz_store_open_st;
	if (!fz_store_image) {
		fz_store_init();
		atexit(fz_store_close);
	}
	/* registered so that fz_dir_remove deletes them at exit */
	snprintf(path, sizeof path, "%s", fz_write("work.db-wal", "", 0));
	unlink(path);
	snprintf(path, sizeof path, "%s", fz_write("work.db-shm", "", 0));
	unlink(path);
	snprintf(path, sizeof path, "%s", fz_write("work.db", fz_store_image, fz_store_image_n));
	err_clear(&err);
	if (store_open(path, &fz_store_open_st, &err)) {
		fprintf(stderr, "fuzz: open the fixture store: %s\n", err.msg);
		abort();
	}
	return fz_store_open_st;
}

/* The input may have written to the store: the next one gets a fresh
 * copy. */
static inline void fz_store_dirty(void)
{
	fz_store_close();
}

#endif
