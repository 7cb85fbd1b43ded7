/* engine.c — the run loop: one thread, libcurl's multi interface, a fixed
 * pool of transfer slots.  Each finished transfer is parsed by its
 * provider, graded, written to the store and freed before the slot is
 * reused, so memory depends on the concurrency, not on the number of
 * cases. */
#include "engine.h"
#include "progress.h"
#include "../score/score.h"
#include "../util/buf.h"
#include "../util/fsutil.h"
#include "../util/xalloc.h"

#include <curl/curl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

/* A response body larger than this is an error, not an allocation. */
#define MAX_BODY ((size_t)64 << 20)

static volatile sig_atomic_t stop_requested;

void engine_request_stop(void)
{
	stop_requested = 1;
}

struct slot {
	CURL *easy;
	bool busy;
	size_t test, prompt, prov;
	int rep;
	char *prompt_text;
	struct http_request req;
	struct buf body;
	bool too_big;
	double started_wall;
	char errbuf[CURL_ERROR_SIZE];
};

struct run {
	const struct suite *s;
	struct provider *const *provs;
	struct store *st;
	int64_t run_id;
	const struct engine_opts *o;
	struct engine_totals *tot;
	CURLM *multi;
	struct slot *slots;
	int n_slots, in_flight;
};

static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
	struct slot *sl = ud;
	size_t len = size * n;
	if (sl->body.len + len > MAX_BODY) {
		sl->too_big = true;
		return 0; /* makes curl fail the transfer */
	}
	buf_append(&sl->body, data, len);
	return len;
}

static void decompose(const struct run *r, long k, struct slot *sl)
{
	size_t nv = r->s->n_providers, np = r->s->n_prompts;
	size_t rep = (size_t)r->o->repeat, kk = (size_t)k;
	sl->prov = kk % nv;
	kk /= nv;
	sl->rep = (int)(kk % rep);
	kk /= rep;
	sl->prompt = kk % np;
	sl->test = kk / np;
}

/* Grades (when there is an output), stores and counts one result; then
 * releases it.  Returns non-zero only when the store failed. */
static int finish(struct run *r, struct slot *sl, struct response *resp,
		  struct err *err)
{
	const struct test_case *tc = &r->s->tests[sl->test];
	struct grade g;
	struct result_rec rec;
	int rc, graded = 0;
	memset(&g, 0, sizeof g);
	if (resp->error == RESP_OK) {
		struct err gerr;
		err_clear(&gerr);
		if (score_grade(tc, resp, &g, &gerr) == 0) {
			graded = 1;
		} else {
			/* A grading failure is not the model's failure. */
			resp->error = RESP_ERR_OTHER;
			resp->error_msg = xasprintf("grading failed: %s", gerr.msg);
		}
	}
	memset(&rec, 0, sizeof rec);
	rec.test_idx = sl->test;
	rec.prompt_idx = sl->prompt;
	rec.provider_idx = sl->prov;
	rec.repeat = sl->rep;
	rec.rendered_prompt = sl->prompt_text;
	rec.resp = resp;
	rec.grade = graded ? &g : NULL;
	rec.started_ms = sl->started_wall;
	rc = store_result_put(r->st, r->run_id, &rec, err);
	r->tot->done++;
	if (!graded)
		r->tot->errors++;
	else if (g.pass)
		r->tot->passes++;
	else
		r->tot->fails++;
	if (graded)
		grade_cleanup(&g);
	response_cleanup(resp);
	free(sl->prompt_text);
	sl->prompt_text = NULL;
	http_request_cleanup(&sl->req);
	buf_reset(&sl->body);
	sl->busy = false;
	progress_update(r->o->progress, r->tot->done, r->tot->passes,
			r->tot->fails, r->tot->errors);
	return rc;
}

/* Starts work item k in a free slot, or finishes it at once as an error
 * when its request cannot be built. */
static int launch(struct run *r, long k, struct err *err)
{
	struct slot *sl = NULL;
	const struct provider *p;
	const struct prompt *pr;
	struct err berr;
	for (int i = 0; i < r->n_slots; i++)
		if (!r->slots[i].busy) {
			sl = &r->slots[i];
			break;
		}
	if (!sl)
		return err_set(err, ST_INTERNAL, "no free transfer slot");
	decompose(r, k, sl);
	sl->busy = true;
	sl->too_big = false;
	sl->errbuf[0] = '\0';
	sl->started_wall = fs_now_ms();
	p = r->provs[sl->prov];
	pr = &r->s->prompts[sl->prompt];
	err_clear(&berr);
	sl->prompt_text = suite_render_prompt(pr, r->s->tests[sl->test].vars,
					      &berr);
	if (!sl->prompt_text ||
	    p->ops->build(p, sl->prompt_text, pr->is_chat, &sl->req, &berr)) {
		struct response resp;
		response_init(&resp);
		resp.error = RESP_ERR_OTHER;
		resp.error_msg = xasprintf("cannot build request: %s", berr.msg);
		return finish(r, sl, &resp, err);
	}
	if (!sl->easy)
		sl->easy = curl_easy_init();
	else
		curl_easy_reset(sl->easy);
	curl_easy_setopt(sl->easy, CURLOPT_URL, sl->req.url);
	curl_easy_setopt(sl->easy, CURLOPT_HTTPHEADER, sl->req.headers);
	curl_easy_setopt(sl->easy, CURLOPT_POSTFIELDS, sl->req.body);
	curl_easy_setopt(sl->easy, CURLOPT_POSTFIELDSIZE_LARGE,
			 (curl_off_t)sl->req.body_len);
	curl_easy_setopt(sl->easy, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(sl->easy, CURLOPT_WRITEDATA, sl);
	curl_easy_setopt(sl->easy, CURLOPT_PRIVATE, sl);
	curl_easy_setopt(sl->easy, CURLOPT_ERRORBUFFER, sl->errbuf);
	curl_easy_setopt(sl->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(sl->easy, CURLOPT_TIMEOUT_MS, p->timeout_ms);
	curl_easy_setopt(sl->easy, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
	curl_easy_setopt(sl->easy, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(sl->easy, CURLOPT_USERAGENT, "assay/0.1");
	curl_multi_add_handle(r->multi, sl->easy);
	r->in_flight++;
	return 0;
}

static enum resp_error map_curl_error(CURLcode c)
{
	switch (c) {
	case CURLE_OPERATION_TIMEDOUT:
		return RESP_ERR_TIMEOUT;
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PARTIAL_FILE:
		return RESP_ERR_CONNECT;
	default:
		return RESP_ERR_OTHER;
	}
}

static int complete(struct run *r, CURL *easy, CURLcode cc, struct err *err)
{
	struct slot *sl = NULL;
	const struct provider *p;
	struct response resp;
	curl_off_t total_us = 0;
	long status = 0;
	curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&sl);
	curl_multi_remove_handle(r->multi, easy);
	r->in_flight--;
	p = r->provs[sl->prov];
	response_init(&resp);
	curl_easy_getinfo(easy, CURLINFO_TOTAL_TIME_T, &total_us);
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
	resp.latency_ms = (double)total_us / 1000.0;
	if (sl->too_big) {
		resp.error = RESP_ERR_BODY;
		resp.error_msg = xasprintf("response body larger than %zu bytes",
					   MAX_BODY);
	} else if (cc != CURLE_OK) {
		resp.error = map_curl_error(cc);
		resp.error_msg = xasprintf("%s", sl->errbuf[0] ? sl->errbuf
						: curl_easy_strerror(cc));
	} else {
		p->ops->parse(p, status, buf_str(&sl->body), sl->body.len, &resp);
		provider_set_cost(p, &resp);
	}
	return finish(r, sl, &resp, err);
}

int engine_run(const struct suite *s, struct provider *const *provs,
	       struct store *st, int64_t run_id, const struct engine_opts *o,
	       struct engine_totals *tot, struct err *err)
{
	struct run r;
	long total, next = 0;
	double next_start = 0;
	int rc = 0;
	memset(&r, 0, sizeof r);
	memset(tot, 0, sizeof *tot);
	stop_requested = 0;
	total = (long)(s->n_tests * s->n_prompts * s->n_providers) * o->repeat;
	tot->total = total;
	r.s = s;
	r.provs = provs;
	r.st = st;
	r.run_id = run_id;
	r.o = o;
	r.tot = tot;
	r.n_slots = o->concurrency < 1 ? 1 : o->concurrency;
	r.slots = xcalloc((size_t)r.n_slots, sizeof *r.slots);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	r.multi = curl_multi_init();
	curl_multi_setopt(r.multi, CURLMOPT_MAXCONNECTS, (long)r.n_slots * 2);
	while (next < total || r.in_flight > 0) {
		int running, timeout = 100;
		CURLMsg *msg;
		if (stop_requested) {
			tot->interrupted = true;
			break;
		}
		while (!rc && next < total && r.in_flight < r.n_slots) {
			double now = fs_mono_ms();
			if (o->delay_ms > 0 && now < next_start) {
				timeout = (int)(next_start - now) + 1;
				break;
			}
			next_start = now + (double)o->delay_ms;
			rc = launch(&r, next++, err);
		}
		if (rc)
			break;
		curl_multi_perform(r.multi, &running);
		while ((msg = curl_multi_info_read(r.multi, &running)))
			if (msg->msg == CURLMSG_DONE) {
				rc = complete(&r, msg->easy_handle,
					      msg->data.result, err);
				if (rc)
					break;
			}
		if (rc)
			break;
		if (r.in_flight > 0 || next < total)
			curl_multi_poll(r.multi, NULL, 0, timeout, NULL);
	}
	for (int i = 0; i < r.n_slots; i++) {
		struct slot *sl = &r.slots[i];
		if (sl->easy) {
			if (sl->busy)
				curl_multi_remove_handle(r.multi, sl->easy);
			curl_easy_cleanup(sl->easy);
		}
		free(sl->prompt_text);
		http_request_cleanup(&sl->req);
		buf_free(&sl->body);
	}
	free(r.slots);
	curl_multi_cleanup(r.multi);
	curl_global_cleanup();
	return rc;
}

int engine_check_suite(const struct suite *s, struct err *err)
{
	for (size_t i = 0; i < s->n_tests; i++) {
		const struct test_case *tc = &s->tests[i];
		for (size_t j = 0; j < tc->n_asserts; j++) {
			int rc = score_check(&tc->asserts[j], tc->vars, err);
			if (rc)
				return rc;
		}
	}
	return 0;
}
