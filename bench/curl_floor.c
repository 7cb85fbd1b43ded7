/* curl_floor.c — the HTTP library's floor for bench/scale.sh: how many
 * requests per second libcurl alone makes against a fixed-answer server on
 * this machine, with nothing else to do — no templates, no parsing, no
 * grading, no store.  Whatever assay reaches is bounded by this, so the
 * throughput ratio is printed against it as well as against wrk.
 *
 *   curl_floor URL N CONCURRENCY
 *
 * The best case libcurl offers: CONCURRENCY easy handles set up once and
 * re-added as each transfer ends (keep-alive connections, no reset), the
 * multi socket interface on epoll (curl_multi_socket_action), POST of the
 * same body assay sends, the body appended to a per-handle buffer.
 * Prints one line:  N SECONDS REQ_PER_S
 * Built by bench/scale.sh with cc; not part of assay. */
#define _GNU_SOURCE
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>

static const char body[] = "{\"model\":\"fixed-a\",\"messages\":[{\"role\":\"user\","
			   "\"content\":\"Classify this ticket: ticket number 1 about my invoice\"}]}";

static int ep;
static long timeout_ms = -1;

struct conn {
	CURL *h;
	char buf[4096];
	size_t len;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
	struct conn *c = ud;
	size_t k = sz * n;
	if (c->len + k < sizeof c->buf) {
		memcpy(c->buf + c->len, p, k);
		c->len += k;
	}
	return k;
}

static int on_socket(CURL *h, curl_socket_t s, int what, void *up, void *sp)
{
	struct epoll_event ev = { 0 };
	(void)h; (void)up;
	ev.data.fd = s;
	if (what == CURL_POLL_REMOVE) {
		epoll_ctl(ep, EPOLL_CTL_DEL, s, NULL);
		return 0;
	}
	ev.events = (what & CURL_POLL_IN ? EPOLLIN : 0u) | (what & CURL_POLL_OUT ? EPOLLOUT : 0u);
	(void)sp;
	if (epoll_ctl(ep, EPOLL_CTL_MOD, s, &ev) != 0)
		epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev);
	return 0;
}

static int on_timer(CURLM *m, long ms, void *up)
{
	(void)m; (void)up;
	timeout_ms = ms;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: curl_floor URL N CONCURRENCY\n");
		return 2;
	}
	const char *url = argv[1];
	long n = atol(argv[2]), c = atol(argv[3]), started = 0, done = 0;
	if (n <= 0 || c <= 0)
		return 2;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	ep = epoll_create1(0);
	CURLM *m = curl_multi_init();
	curl_multi_setopt(m, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(m, CURLMOPT_TIMERFUNCTION, on_timer);
	struct curl_slist *hd = curl_slist_append(NULL, "Content-Type: application/json");
	hd = curl_slist_append(hd, "Authorization: Bearer sk-bench");
	struct conn *cs = calloc((size_t)c, sizeof *cs);
	double t0 = now_s();
	for (long i = 0; i < c && started < n; i++, started++) {
		cs[i].h = curl_easy_init();
		curl_easy_setopt(cs[i].h, CURLOPT_URL, url);
		curl_easy_setopt(cs[i].h, CURLOPT_HTTPHEADER, hd);
		curl_easy_setopt(cs[i].h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(cs[i].h, CURLOPT_POSTFIELDSIZE, (long)(sizeof body - 1));
		curl_easy_setopt(cs[i].h, CURLOPT_WRITEFUNCTION, on_body);
		curl_easy_setopt(cs[i].h, CURLOPT_WRITEDATA, &cs[i]);
		curl_easy_setopt(cs[i].h, CURLOPT_PRIVATE, &cs[i]);
		curl_easy_setopt(cs[i].h, CURLOPT_NOSIGNAL, 1L);
		curl_multi_add_handle(m, cs[i].h);
	}
	int running = 0;
	curl_multi_socket_action(m, CURL_SOCKET_TIMEOUT, 0, &running);
	while (done < n) {
		struct epoll_event evs[64];
		int k = epoll_wait(ep, evs, 64, timeout_ms < 0 ? 100 : (int)timeout_ms);
		if (k <= 0)
			curl_multi_socket_action(m, CURL_SOCKET_TIMEOUT, 0, &running);
		for (int i = 0; i < k; i++) {
			int f = (evs[i].events & EPOLLIN ? CURL_CSELECT_IN : 0) |
				(evs[i].events & EPOLLOUT ? CURL_CSELECT_OUT : 0) |
				(evs[i].events & (EPOLLERR | EPOLLHUP) ? CURL_CSELECT_ERR : 0);
			curl_multi_socket_action(m, evs[i].data.fd, f, &running);
		}
		CURLMsg *msg;
		int left;
		while ((msg = curl_multi_info_read(m, &left))) {
			struct conn *cn;
			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&cn);
			if (msg->data.result != CURLE_OK || cn->len == 0) {
				fprintf(stderr, "curl_floor: transfer failed: %s\n",
					curl_easy_strerror(msg->data.result));
				return 1;
			}
			done++;
			cn->len = 0;
			curl_multi_remove_handle(m, cn->h);
			if (started < n) {
				started++;
				curl_multi_add_handle(m, cn->h);
			}
		}
	}
	double s = now_s() - t0;
	printf("%ld %.3f %.0f\n", n, s, (double)n / s);
	return 0;
}
