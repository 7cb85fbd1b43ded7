/* test_mock_queue.c — the mock's queueing model (src/mock/mock_queue.c):
 * its rules keys, that a model with N slots makes requests beyond N wait
 * (a lower bound on the time 8 requests take), and that stopping ends
 * every wait at once. */
#include "../../src/mock/mock_int.h"
#include "../../src/util/fsutil.h"
#include "t.h"

#include <pthread.h>
#include <stdlib.h>

static const char rules_txt[] =
	"models:\n"
	"  - name: q\n"
	"    slots: 2\n"
	"    service_ms: 30\n"
	"    service_per_token_ms: 0.5\n";

TEST(mock_queue_rules_keys)
{
	struct err e;
	struct mock_rules *r = mock_rules_parse(rules_txt, sizeof rules_txt - 1, "q.yaml", &e);
	T_ASSERT(r);
	T_EQ_INT(r->models[0].slots, 2);
	T_NEAR(r->models[0].service_ms, 30, 0);
	T_NEAR(r->models[0].service_token_ms, 0.5, 0);
	T_EQ_INT(mock_queue_needed(r), 1);
	mock_rules_free(r);
	r = mock_rules_parse("models:\n  - name: q\n    slots: 0\n", 33, "bad.yaml", &e);
	T_ASSERT(!r);
	T_EQ_INT(e.line, 3);
	T_ASSERT(strstr(e.msg, "slots"));
}

static struct mock_queue *gq;
static struct mock_rules *gr;

static void *client(void *arg)
{
	(void)arg;
	mock_queue_serve(gq, gr, &gr->models[0], 0);
	return NULL;
}

TEST(mock_queue_slots_bound_concurrency)
{
	struct err e;
	pthread_t th[8];
	double t0, took;
	gr = mock_rules_parse(rules_txt, sizeof rules_txt - 1, "q.yaml", &e);
	T_ASSERT(gr);
	gq = mock_queue_new(gr);
	T_ASSERT(gq);
	t0 = fs_mono_ms();
	for (int i = 0; i < 8; i++)
		pthread_create(&th[i], NULL, client, NULL);
	for (int i = 0; i < 8; i++)
		pthread_join(th[i], NULL);
	took = fs_mono_ms() - t0;
	/* 8 requests, 2 at a time, 30 ms each: at least 4 rounds = 120 ms
	 * (a lower bound only: a loaded machine makes it longer) */
	T_ASSERT(took >= 118);
	mock_queue_stop(gq);
	t0 = fs_mono_ms();
	mock_queue_serve(gq, gr, &gr->models[0], 1000);  /* 530 ms, but stopped */
	T_ASSERT(fs_mono_ms() - t0 < 100);
	mock_queue_free(gq);
	mock_rules_free(gr);
}
