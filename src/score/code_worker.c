/* code_worker.c — the JavaScript and Python workers (see code_worker.h).
 *
 * fork + exec rather than posix_spawn: the child sets its resource limit
 * (setrlimit) and its descriptors between the two, using only calls that
 * are safe after fork in a threaded program.  A socketpair rather than two
 * pipes: send() with MSG_NOSIGNAL cannot raise SIGPIPE when a worker has
 * died, and one descriptor serves both directions. */
#include "code_worker.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../util/buf.h"
#include "../util/fsutil.h"
#include "score.h"

extern const char code_worker_js[], code_worker_py[];

#define REPLY_CAP ((uint32_t)64 << 20)       /* one reply at most 64 MiB */
#define PY_AS_LIMIT ((rlim_t)2 << 30)        /* Python: 2 GiB address space */
#define NODE_HEAP_FLAG "--max-old-space-size=1024"
#define STARTUP_MS 30000                     /* an interpreter's start-up */

struct worker {
	pthread_mutex_t mu;
	pid_t pid;
	int fd;         /* our end of the socketpair; -1 when not running */
	int log_fd;     /* the worker's stdout+stderr (an unlinked file) */
};

/* [CODE_JS], [CODE_PY]: assertions and transforms; [CODE_JS_PROV],
 * [CODE_PY_PROV]: script providers, so that a provider's call never holds
 * up the grading the event loop waits for. */
static struct worker workers[4] = {
	{ PTHREAD_MUTEX_INITIALIZER, 0, -1, -1 },
	{ PTHREAD_MUTEX_INITIALIZER, 0, -1, -1 },
	{ PTHREAD_MUTEX_INITIALIZER, 0, -1, -1 },
	{ PTHREAD_MUTEX_INITIALIZER, 0, -1, -1 },
};

static const char *lang_name(enum code_lang l)
{
	return (l & 1) == CODE_JS ? "JavaScript" : "Python";
}

static void stop(struct worker *w)
{
	if (w->fd >= 0)
		close(w->fd);
	if (w->pid > 0) {
		kill(w->pid, SIGKILL);
		waitpid(w->pid, NULL, 0);
	}
	if (w->log_fd >= 0)
		close(w->log_fd);
	w->fd = w->log_fd = -1;
	w->pid = 0;
}

/* The last bytes the worker wrote to its log, for error messages. */
static void log_tail(struct worker *w, struct buf *b)
{
	char tmp[600];
	off_t end;
	ssize_t n;
	if (w->log_fd < 0 || (end = lseek(w->log_fd, 0, SEEK_END)) <= 0)
		return;
	n = pread(w->log_fd, tmp, sizeof tmp - 1,
		  end > (off_t)sizeof tmp - 1 ? end - (off_t)sizeof tmp + 1 : 0);
	if (n > 0) {
		tmp[n] = '\0';
		buf_puts(b, ": ");
		buf_puts(b, tmp);
	}
}

static int recv_all(struct worker *w, char *p, size_t n, double deadline);
static double now_ms(void);

/* Waits for the frame a worker sends once it is ready for requests
 * (`{"ready": true}`), at most STARTUP_MS: an interpreter's start-up —
 * seconds on a loaded machine — is not part of any call's time limit.
 * On failure the worker is stopped and err says why (a missing
 * interpreter: its "cannot run" line from the worker's log). */
static int await_ready(enum code_lang lang, struct worker *w, struct err *err)
{
	unsigned char hdr[4];
	char body[64];
	uint32_t n;
	int r;
	double deadline = now_ms() + STARTUP_MS;
	struct buf b = { 0 };
	if ((r = recv_all(w, (char *)hdr, 4, deadline)) == 1) {
		n = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 |
		    (uint32_t)hdr[2] << 8 | hdr[3];
		if (n >= sizeof body)
			r = -2;
		else if ((r = recv_all(w, body, n, deadline)) == 1) {
			body[n] = '\0';
			if (!strstr(body, "\"ready\""))
				r = -2;
		}
	}
	if (r == 1)
		return 0;
	if (r == 0)
		buf_printf(&b, "the %s worker (%s) did not start within %d s",
			   lang_name(lang), (lang & 1) == CODE_JS ? "node" : "python3",
			   STARTUP_MS / 1000);
	else if (r == -2)
		buf_printf(&b, "the %s worker (%s) did not say it was ready",
			   lang_name(lang), (lang & 1) == CODE_JS ? "node" : "python3");
	else
		buf_printf(&b, "the %s worker (%s) stopped", lang_name(lang),
			   (lang & 1) == CODE_JS ? "node" : "python3");
	if (r != 0)
		log_tail(w, &b);
	r = err_set(err, ST_INTERNAL, "%s", buf_str(&b));
	buf_free(&b);
	stop(w);
	return r;
}

static int start(enum code_lang lang, struct worker *w, struct err *err)
{
	int sv[2];
	const char *exe;
	lang = (enum code_lang)(lang & 1);   /* a provider worker: the same */
	exe = getenv(lang == CODE_JS ? "ASSAY_NODE" : "ASSAY_PYTHON");
	char tmpl[] = "/tmp/assay-worker-XXXXXX";
	if (!exe || !*exe)
		exe = lang == CODE_JS ? "node" : "python3";
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		return err_set(err, ST_INTERNAL, "socketpair: %s", strerror(errno));
	w->log_fd = mkostemp(tmpl, O_CLOEXEC);
	if (w->log_fd >= 0)
		unlink(tmpl);
	pid_t pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return err_set(err, ST_INTERNAL, "fork: %s", strerror(errno));
	}
	if (pid == 0) {
		int logfd = w->log_fd >= 0 ? w->log_fd : open("/dev/null", O_WRONLY);
		dup2(sv[1], 0);
		dup2(sv[1], 3);
		dup2(logfd, 1);
		dup2(logfd, 2);
		setpgid(0, 0);
		if (lang == CODE_PY) {
			struct rlimit rl = { PY_AS_LIMIT, PY_AS_LIMIT };
			setrlimit(RLIMIT_AS, &rl);
			execlp(exe, exe, "-u", "-c", code_worker_py, (char *)NULL);
		} else {
			execlp(exe, exe, NODE_HEAP_FLAG, "-e", code_worker_js, (char *)NULL);
		}
		dprintf(2, "cannot run %s: %s", exe, strerror(errno));
		_exit(127);
	}
	close(sv[1]);
	w->fd = sv[0];
	w->pid = pid;
	return await_ready(lang, w, err);
}

static int own_call(enum code_lang lang, const json_t *req, long timeout_ms,
		    json_t **reply, struct err *err);

static double now_ms(void)
{
	return fs_mono_ms();
}

/* Waits until fd is ready for `events` or the deadline passes. */
static int wait_fd(int fd, short events, double deadline)
{
	for (;;) {
		double left = deadline - now_ms();
		struct pollfd p = { .fd = fd, .events = events };
		if (left <= 0)
			return 0;
		int r = poll(&p, 1, left > 1e6 ? 1000000 : (int)left + 1);
		if (r > 0)
			return 1;
		if (r < 0 && errno != EINTR)
			return -1;
	}
}

static int send_all(struct worker *w, const char *p, size_t n, double deadline)
{
	while (n) {
		if (wait_fd(w->fd, POLLOUT, deadline) <= 0)
			return -1;
		ssize_t k = send(w->fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (k < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* 1 when n bytes were read, 0 on timeout, -1 on end of file or error. */
static int recv_all(struct worker *w, char *p, size_t n, double deadline)
{
	while (n) {
		int r = wait_fd(w->fd, POLLIN, deadline);
		if (r <= 0)
			return r;
		ssize_t k = recv(w->fd, p, n, MSG_DONTWAIT);
		if (k < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 1;
}

static score_code_proxy_fn *proxy;

void score_set_code_proxy(score_code_proxy_fn *fn)
{
	proxy = fn;
}

int score_code_call(int lang, const json_t *req, long timeout_ms, json_t **reply,
		    struct err *err)
{
	if (lang < CODE_JS || lang > CODE_PY_PROV) {
		*reply = NULL;
		return err_set(err, ST_INTERNAL, "no worker for language %d", lang);
	}
	return code_worker_call((enum code_lang)lang, req, timeout_ms, reply, err);
}

int code_worker_call(enum code_lang lang, const json_t *req, long timeout_ms,
		     json_t **reply, struct err *err)
{
	if (proxy)
		return proxy((int)lang, req, timeout_ms, reply, err);
	return own_call(lang, req, timeout_ms, reply, err);
}

static int own_call(enum code_lang lang, const json_t *req, long timeout_ms,
		    json_t **reply, struct err *err)
{
	struct worker *w = &workers[lang];
	char *text = json_dumps(req, JSON_COMPACT | JSON_ENCODE_ANY);
	unsigned char hdr[4];
	uint32_t n;
	char *body = NULL;
	int rc = 0, r;
	double deadline;
	*reply = NULL;
	if (!text)
		return err_set(err, ST_INTERNAL, "the %s request is not JSON", lang_name(lang));
	pthread_mutex_lock(&w->mu);
	if (w->fd < 0 && (rc = start(lang, w, err)))
		goto out;
	/* the limit is the code's: it starts once this call holds the worker
	 * and the worker is ready, not while an earlier call runs or the
	 * interpreter starts (either can take seconds on a loaded machine) */
	deadline = now_ms() + (double)(timeout_ms > 0 ? timeout_ms : 30000);
	n = (uint32_t)strlen(text);
	hdr[0] = (unsigned char)(n >> 24);
	hdr[1] = (unsigned char)(n >> 16);
	hdr[2] = (unsigned char)(n >> 8);
	hdr[3] = (unsigned char)n;
	if (send_all(w, (const char *)hdr, 4, deadline) ||
	    send_all(w, text, n, deadline)) {
		r = -1;
		goto broken;
	}
	if ((r = recv_all(w, (char *)hdr, 4, deadline)) <= 0)
		goto broken;
	n = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
	if (n > REPLY_CAP) {
		struct buf b = { 0 };
		buf_printf(&b, "the %s worker sent a reply of %u bytes (at most %u)",
			   lang_name(lang), n, REPLY_CAP);
		rc = err_set(err, ST_INTERNAL, "%s", buf_str(&b));
		buf_free(&b);
		stop(w);
		goto out;
	}
	body = malloc((size_t)n + 1);
	if (!body) {
		rc = err_set(err, ST_INTERNAL, "out of memory for a %s reply", lang_name(lang));
		stop(w);
		goto out;
	}
	if ((r = recv_all(w, body, n, deadline)) <= 0)
		goto broken;
	body[n] = '\0';
	*reply = json_loadb(body, n, 0, NULL);
	if (!json_is_object(*reply)) {
		json_decref(*reply);
		*reply = NULL;
		rc = err_set(err, ST_INTERNAL, "the %s worker's reply is not a JSON object", lang_name(lang));
		stop(w);
	}
	goto out;
broken: {
		struct buf b = { 0 };
		if (r == 0)
			buf_printf(&b, "%s code timed out after %ld ms (its worker was stopped and will be restarted)",
				   lang_name(lang), timeout_ms > 0 ? timeout_ms : 30000);
		else
			buf_printf(&b, "the %s worker (%s) stopped", lang_name(lang),
				   (lang & 1) == CODE_JS ? "node" : "python3");
		if (r != 0)
			log_tail(w, &b);
		rc = err_set(err, ST_INTERNAL, "%s", buf_str(&b));
		buf_free(&b);
		stop(w);
	}
out:
	pthread_mutex_unlock(&w->mu);
	free(text);
	free(body);
	return rc;
}

void code_worker_shutdown(void)
{
	for (int i = 0; i < 4; i++) {
		/* A call still in flight (a script provider's thread, after an
		 * interrupted run) would hold the lock until its deadline: kill
		 * its worker, so the call ends at once with an error. */
		if (pthread_mutex_trylock(&workers[i].mu) != 0) {
			pid_t pid = __atomic_load_n(&workers[i].pid,
						    __ATOMIC_SEQ_CST);
			if (pid > 0)
				kill(pid, SIGKILL);
			pthread_mutex_lock(&workers[i].mu);
		}
		stop(&workers[i]);
		pthread_mutex_unlock(&workers[i].mu);
	}
}
