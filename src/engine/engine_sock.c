/* engine_sock.c — the loop's wait for sockets and pipes, on libcurl's
 * socket interface (curl_multi_socket_action) instead of
 * curl_multi_perform + curl_multi_poll.
 *
 * Why: curl_multi_perform visits every transfer in flight on each pass of
 * the loop, and for each one libcurl 7.88 polls its socket with a zero
 * timeout; at -j 256 with 100 ms latency the loop passes once or twice per
 * finished request, so the run made hundreds of poll() calls per result
 * (issue 16: 134,637 polls for 20,000 requests, libcurl 18% of the loop's
 * CPU).  With the socket interface libcurl tells us which sockets it waits
 * on (CURLMOPT_SOCKETFUNCTION) and when its next timeout falls
 * (CURLMOPT_TIMERFUNCTION); one poll() covers those sockets and the
 * engine's pipes, and libcurl is then driven only for the sockets that are
 * ready and for its timer: work per pass in proportion to what happened,
 * not to what is in flight. */
#include "engine_int.h"

#include <math.h>
#include <poll.h>
#include <stdlib.h>

#include "../util/fsutil.h"
#include "../util/xalloc.h"

struct engine_socks {
	struct pollfd *fds;     /* libcurl's sockets, then the engine's pipes */
	size_t n, cap;          /* n: libcurl's sockets */
	struct pollfd *ready;   /* the sockets the last wait found ready */
	size_t n_ready, cap_ready;
	double timer_at;        /* mono ms of libcurl's timeout; < 0: none */
};

static int on_socket(CURL *e, curl_socket_t s, int what, void *ud, void *sp)
{
	struct engine_socks *k = ud;
	size_t i;
	(void)e;
	(void)sp;
	for (i = 0; i < k->n && k->fds[i].fd != s; i++)
		;
	if (what == CURL_POLL_REMOVE) {
		if (i < k->n)
			k->fds[i] = k->fds[--k->n];
		return 0;
	}
	if (i == k->n) {
		k->fds = xgrow(k->fds, &k->cap, k->n + 1, sizeof *k->fds);
		k->fds[k->n++].fd = s;
	}
	k->fds[i].events = (short)((what & CURL_POLL_IN ? POLLIN : 0) |
				   (what & CURL_POLL_OUT ? POLLOUT : 0));
	k->fds[i].revents = 0;
	return 0;
}

static int on_timer(CURLM *m, long ms, void *ud)
{
	struct engine_socks *k = ud;
	(void)m;
	k->timer_at = ms < 0 ? -1 : fs_mono_ms() + (double)ms;
	return 0;
}

void engine_socks_init(struct run *r)
{
	struct engine_socks *k = xcalloc(1, sizeof *k);
	k->timer_at = -1;
	r->socks = k;
	curl_multi_setopt(r->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(r->multi, CURLMOPT_SOCKETDATA, k);
	curl_multi_setopt(r->multi, CURLMOPT_TIMERFUNCTION, on_timer);
	curl_multi_setopt(r->multi, CURLMOPT_TIMERDATA, k);
}

void engine_socks_free(struct run *r)
{
	struct engine_socks *k = r->socks;
	if (!k)
		return;
	free(k->fds);
	free(k->ready);
	free(k);
	r->socks = NULL;
}

void engine_socks_drive(struct run *r)
{
	struct engine_socks *k = r->socks;
	int running;
	/* the ready list first: acting on one socket may change k->fds */
	for (size_t i = 0; i < k->n_ready; i++) {
		short re = k->ready[i].revents;
		int ev = (re & (POLLIN | POLLHUP) ? CURL_CSELECT_IN : 0) |
			 (re & POLLOUT ? CURL_CSELECT_OUT : 0) |
			 (re & (POLLERR | POLLNVAL) ? CURL_CSELECT_ERR : 0);
		curl_multi_socket_action(r->multi, k->ready[i].fd, ev, &running);
	}
	k->n_ready = 0;
	if (k->timer_at >= 0 && fs_mono_ms() >= k->timer_at) {
		k->timer_at = -1;
		curl_multi_socket_action(r->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	}
}

void engine_socks_wait(struct run *r, const struct curl_waitfd *wfds,
		       unsigned nw, int timeout_ms)
{
	struct engine_socks *k = r->socks;
	size_t n = k->n, total = k->n + nw;
	int got;
	if (k->timer_at >= 0) {
		double left = ceil(k->timer_at - fs_mono_ms());
		if (left < timeout_ms)
			timeout_ms = left > 0 ? (int)left : 0;
	}
	k->fds = xgrow(k->fds, &k->cap, total ? total : 1, sizeof *k->fds);
	for (unsigned i = 0; i < nw; i++)
		k->fds[n + i] = (struct pollfd){ wfds[i].fd,
			(short)((wfds[i].events & CURL_WAIT_POLLIN ? POLLIN : 0) |
				(wfds[i].events & CURL_WAIT_POLLOUT ? POLLOUT : 0)), 0 };
	/* Nothing ready: before the loop sleeps, the store's writer commits
	 * the results it holds (it waits for a fuller batch only while the
	 * loop is busy). */
	got = poll(k->fds, (nfds_t)total, 0);
	if (got == 0 && timeout_ms > 0) {
		store_writer_idle(r->st);
		got = poll(k->fds, (nfds_t)total, timeout_ms);
	}
	if (got <= 0)
		return;  /* timeout, or EINTR: the loop looks again */
	for (size_t i = 0; i < n; i++)
		if (k->fds[i].revents) {
			k->ready = xgrow(k->ready, &k->cap_ready, k->n_ready + 1,
					 sizeof *k->ready);
			k->ready[k->n_ready++] = k->fds[i];
		}
}
