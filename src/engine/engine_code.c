/* engine_code.c — script providers (file://x.js, file://x.py) on the event
 * loop.  A call runs in the run's long-lived code worker (score_code_call:
 * one `node` and one `python3` per run, a deadline per call), which
 * blocks; so each call is handed to a short-lived thread that waits for
 * the worker and writes the reply as JSON into a socketpair, and the slot
 * (ROLE_EXEC with u.x.code set) polls the other end like an exec child's
 * stdout.  The loop never waits for a script: other providers' transfers,
 * judges and grading go on meanwhile (script providers have workers of
 * their own, so grading's javascript / python calls never queue behind
 * theirs).  The worker runs one call of a
 * language at a time; calls queued behind it count their wait against
 * their own deadline (the provider's timeout_ms).
 *
 * Whose fault: the worker missing or crashing, or a call past its
 * deadline, is an infrastructure error (exec / timeout); the script's own
 * `error` and its exceptions are the provider's errors (prov_code.c). */
#include "engine_int.h"
#include "../provider/provider.h"
#include "../util/fsutil.h"
#include "../util/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The engine's own deadline is the worker's plus this much, so that the
 * worker's (which stops a runaway script) fires first. */
#define CODE_GRACE_MS 2000

struct code_job {
	int lang;
	json_t *req;
	long timeout_ms;
	int fd;
};

static void *code_thread(void *arg)
{
	struct code_job *j = arg;
	json_t *reply = NULL, *msg;
	struct err e;
	char *text;
	size_t off = 0, n;

	err_clear(&e);
	if (score_code_call(j->lang, j->req, j->timeout_ms, &reply, &e))
		msg = json_pack("{s:s,s:b}", "worker_error", e.msg, "timeout",
				strstr(e.msg, "timed out") != NULL);
	else
		msg = json_pack("{s:o}", "reply", reply);
	text = json_dumps(msg, JSON_COMPACT);
	n = text ? strlen(text) : 0;
	while (off < n) {
		ssize_t w = send(j->fd, text + off, n - off, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;    /* the slot gave up (its own deadline) */
		off += (size_t)w;
	}
	free(text);
	json_decref(msg);
	json_decref(j->req);
	close(j->fd);
	free(j);
	return NULL;
}

void engine_launch_code(struct run *r, struct slot *sl,
			const struct provider *p, const struct prompt *pr)
{
	struct code_job *j;
	json_t *req = NULL;
	struct err berr;
	int sv[2], lang = 0;
	pthread_t th;
	pthread_attr_t at;

	err_clear(&berr);
	sl->u.x.code = true;
	sl->u.x.fd_in = sl->u.x.fd_out = sl->u.x.fd_err = -1;
	if (p->ops->code_request(p, sl->prompt_text, pr,
				 suite_test(r->s, sl->test)->vars, &lang, &req,
				 &berr)) {
		char *m = xasprintf("cannot build the script call: %s",
				    berr.msg);
		engine_fail_now(r, sl, RESP_ERR_EXEC, m);
		free(m);
		return;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) {
		char *m = xasprintf("socketpair: %s", strerror(errno));
		json_decref(req);
		engine_fail_now(r, sl, RESP_ERR_EXEC, m);
		free(m);
		return;
	}
	j = xcalloc(1, sizeof *j);
	j->lang = lang + 2;   /* the providers' own workers (score.h) */
	j->req = req;
	j->timeout_ms = p->tr.timeout_ms;
	j->fd = sv[1];
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&th, &at, code_thread, j)) {
		pthread_attr_destroy(&at);
		close(sv[0]);
		close(sv[1]);
		json_decref(req);
		free(j);
		engine_fail_now(r, sl, RESP_ERR_EXEC, "cannot start a thread "
				"for the script call");
		return;
	}
	pthread_attr_destroy(&at);
	fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
	sl->u.x.fd_out = sv[0];
}

static void finish_code(struct run *r, struct slot *sl, bool timed_out)
{
	const struct provider *p = r->ps[sl->prov].p;
	struct response resp;
	json_t *msg = NULL, *we;

	if (sl->role != ROLE_EXEC)
		return;
	response_init(&resp);
	resp.latency_ms = fs_mono_ms() - sl->t_start;
	if (sl->u.x.fd_out >= 0)
		close(sl->u.x.fd_out);
	sl->u.x.fd_out = -1;
	if (timed_out) {
		resp.error = RESP_ERR_TIMEOUT;
		resp.error_msg = xasprintf("script call still running after "
					   "%ld ms", p->tr.timeout_ms);
		goto done;
	}
	msg = json_loadb(buf_str(&sl->u.x.out), sl->u.x.out.len, 0, NULL);
	if ((we = json_object_get(msg, "worker_error"))) {
		resp.error = json_is_true(json_object_get(msg, "timeout"))
			     ? RESP_ERR_TIMEOUT : RESP_ERR_EXEC;
		resp.error_msg = xstrdup(json_string_value(we));
	} else if (json_is_object(json_object_get(msg, "reply"))) {
		p->ops->code_reply(p, json_object_get(msg, "reply"), &resp);
	} else {
		resp.error = RESP_ERR_EXEC;
		resp.error_msg = xstrdup("the script call ended without a "
					 "reply");
	}
done:
	json_decref(msg);
	attempt_done(r, sl, &resp);
}

void engine_service_code(struct run *r, struct slot *sl)
{
	char tmp[65536];
	ssize_t n;
	while (sl->u.x.fd_out >= 0 &&
	       (n = read(sl->u.x.fd_out, tmp, sizeof tmp)) != 0) {
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			break;
		}
		buf_append(&sl->u.x.out, tmp, (size_t)n);
	}
	finish_code(r, sl, false);
}

void engine_code_timeouts(struct run *r, struct slot *sl, double now)
{
	if (now - sl->t_start > (double)r->ps[sl->prov].p->tr.timeout_ms +
				CODE_GRACE_MS)
		finish_code(r, sl, true);
}
