/* engine_exec.c — `exec:` providers on the event loop: spawning the
 * program (posix_spawn, its own process group, no shell), feeding its
 * stdin and reading its stdout/stderr through non-blocking pipes that the
 * engine polls with libcurl's sockets, and turning its exit into a
 * response.  Timeouts kill the whole process group; stdout beyond the
 * provider's max_output_bytes stops the child with an error.  This file
 * owns ROLE_EXEC. */
#include "engine_int.h"
#include "../provider/provider.h"
#include "../util/fsutil.h"
#include "../util/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void set_nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static int spawn_child(struct slot *sl, const struct provider *p, char **argv,
		       char *why, size_t why_n)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, er[2] = { -1, -1 }, rc;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(er, O_CLOEXEC)) {
		snprintf(why, why_n, "pipe: %s", strerror(errno));
		rc = -1;
		goto out;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, er[1], 2);
	posix_spawn_file_actions_addchdir_np(&fa, p->dir);
	posix_spawnattr_init(&at);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
					       POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setpgroup(&at, 0);
	{
		sigset_t none, def;
		sigemptyset(&none);
		sigemptyset(&def);
		sigaddset(&def, SIGPIPE);
		sigaddset(&def, SIGINT);
		sigaddset(&def, SIGTERM);
		posix_spawnattr_setsigmask(&at, &none);
		posix_spawnattr_setsigdefault(&at, &def);
	}
	rc = posix_spawnp(&sl->u.x.pid, argv[0], &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (rc) {
		snprintf(why, why_n, "cannot run '%s': %s", argv[0], strerror(rc));
		rc = -1;
		goto out;
	}
	sl->u.x.fd_in = in[1];
	sl->u.x.fd_out = out[0];
	sl->u.x.fd_err = er[0];
	in[1] = out[0] = er[0] = -1;
	set_nonblock(sl->u.x.fd_in);
	set_nonblock(sl->u.x.fd_out);
	set_nonblock(sl->u.x.fd_err);
	rc = 0;
out:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0) close(in[i]);
		if (out[i] >= 0) close(out[i]);
		if (er[i] >= 0) close(er[i]);
	}
	return rc;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Kills a child's process group and reaps it. */
void engine_kill_child(struct slot *sl)
{
	if (!sl->u.x.code && sl->u.x.pid > 0 && !sl->u.x.exited) {
		kill(-sl->u.x.pid, SIGKILL);
		waitpid(sl->u.x.pid, &sl->u.x.wstatus, 0);
		sl->u.x.exited = true;
	}
	close_fd(&sl->u.x.fd_in);
	close_fd(&sl->u.x.fd_out);
	close_fd(&sl->u.x.fd_err);
}

static void finish_exec(struct run *r, struct slot *sl, bool timed_out)
{
	struct response resp;
	double now = fs_mono_ms();
	char *ex;
	if (sl->role != ROLE_EXEC)
		return; /* finished already */
	response_init(&resp);
	resp.latency_ms = now - sl->t_start;
	if (sl->u.x.too_big) {
		engine_kill_child(sl);
		resp.error = RESP_ERR_EXEC;
		resp.error_msg = xasprintf("program printed more than %zu bytes on stdout "
					   "(max_output_bytes); it was stopped",
					   provider_exec_max_output(r->ps[sl->prov].p));
	} else if (timed_out) {
		engine_kill_child(sl);
		resp.error = RESP_ERR_TIMEOUT;
		resp.error_msg = xasprintf("program killed after %ld ms",
					   r->ps[sl->prov].p->tr.timeout_ms);
	} else if (WIFSIGNALED(sl->u.x.wstatus)) {
		ex = provider_excerpt(buf_str(&sl->u.x.errb), sl->u.x.errb.len);
		resp.error = RESP_ERR_EXEC;
		resp.error_msg = xasprintf("program killed by signal %d%s%s",
					   WTERMSIG(sl->u.x.wstatus), ex[0] ? ": " : "", ex);
		free(ex);
	} else if (WEXITSTATUS(sl->u.x.wstatus) != 0) {
		ex = provider_excerpt(buf_str(&sl->u.x.errb), sl->u.x.errb.len);
		resp.error = RESP_ERR_EXEC;
		resp.error_msg = xasprintf("program exited with status %d%s%s",
					   WEXITSTATUS(sl->u.x.wstatus), ex[0] ? ": " : "", ex);
		free(ex);
	} else {
		const char *s = buf_str(&sl->u.x.out);
		size_t n = sl->u.x.out.len;
		while (n && strchr(" \t\r\n", s[0])) {
			s++;
			n--;
		}
		while (n && strchr(" \t\r\n", s[n - 1]))
			n--;
		if (n == 0 && sl->u.x.errb.len) {
			ex = provider_excerpt(buf_str(&sl->u.x.errb), sl->u.x.errb.len);
			resp.error = RESP_ERR_EXEC;
			resp.error_msg = xasprintf("program printed nothing on stdout; stderr: %s", ex);
			free(ex);
		} else {
			resp.output = xstrndup(s, n);
		}
	}
	close_fd(&sl->u.x.fd_in);
	close_fd(&sl->u.x.fd_out);
	close_fd(&sl->u.x.fd_err);
	sl->u.x.pid = 0;
	attempt_done(r, sl, &resp);
}

/* Moves bytes for one child; finishes it when it is done. */
void engine_service_exec(struct run *r, struct slot *sl)
{
	char tmp[65536];
	ssize_t n = 0;
	if (sl->u.x.code) {
		engine_service_code(r, sl);
		return;
	}
	if (sl->u.x.fd_in >= 0) {
		while (sl->u.x.stdin_off < sl->u.x.stdin_len) {
			n = write(sl->u.x.fd_in, sl->u.x.stdin_text + sl->u.x.stdin_off,
				  sl->u.x.stdin_len - sl->u.x.stdin_off);
			if (n <= 0)
				break;
			sl->u.x.stdin_off += (size_t)n;
		}
		if (sl->u.x.stdin_off >= sl->u.x.stdin_len || (n < 0 && errno == EPIPE))
			close_fd(&sl->u.x.fd_in);
	}
	while (sl->u.x.fd_out >= 0 && (n = read(sl->u.x.fd_out, tmp, sizeof tmp)) != 0) {
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				close_fd(&sl->u.x.fd_out);
			break;
		}
		if (sl->u.x.out.len + (size_t)n > provider_exec_max_output(r->ps[sl->prov].p)) {
			/* Never a truncated output stored as a success. */
			sl->u.x.too_big = true;
			finish_exec(r, sl, false);
			return;
		}
		buf_append(&sl->u.x.out, tmp, (size_t)n);
	}
	if (n == 0)
		close_fd(&sl->u.x.fd_out);
	while (sl->u.x.fd_err >= 0 && (n = read(sl->u.x.fd_err, tmp, sizeof tmp)) != 0) {
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				close_fd(&sl->u.x.fd_err);
			break;
		}
		if (sl->u.x.errb.len + (size_t)n <= MAX_STDERR)
			buf_append(&sl->u.x.errb, tmp, (size_t)n);
	}
	if (n == 0)
		close_fd(&sl->u.x.fd_err);
	if (sl->u.x.fd_out < 0 && sl->u.x.fd_err < 0 && !sl->u.x.exited &&
	    waitpid(sl->u.x.pid, &sl->u.x.wstatus, WNOHANG) == sl->u.x.pid)
		sl->u.x.exited = true;
	if (sl->u.x.exited)
		finish_exec(r, sl, false);
}

void engine_exec_timeouts(struct run *r, struct slot *sl, double now)
{
	if (sl->u.x.code) {
		engine_code_timeouts(r, sl, now);
		return;
	}
	if (now - sl->t_start > (double)r->ps[sl->prov].p->tr.timeout_ms)
		finish_exec(r, sl, true);
}

void engine_exec_part_free(struct slot *sl)
{
	engine_kill_child(sl);
	free(sl->u.x.stdin_text);
	sl->u.x.stdin_text = NULL;
	buf_free(&sl->u.x.out);
	buf_free(&sl->u.x.errb);
}

/* Builds the command and spawns it (a failure is this attempt's error). */
void engine_launch_exec(struct run *r, struct slot *sl, const struct provider *p,
			const struct prompt *pr)
{
	char **argv = NULL, why[600];
	struct err berr;
	err_clear(&berr);
	sl->u.x.fd_in = sl->u.x.fd_out = sl->u.x.fd_err = -1;
	if (p->ops->exec_argv(p, sl->prompt_text, pr, suite_test(r->s, sl->test)->vars,
			      &argv, &sl->u.x.stdin_text, &berr)) {
		char *m = xasprintf("cannot build the command: %s", berr.msg);
		engine_fail_now(r, sl, RESP_ERR_EXEC, m);
		free(m);
		return;
	}
	sl->u.x.stdin_len = strlen(sl->u.x.stdin_text);
	sl->u.x.stdin_off = 0;
	if (spawn_child(sl, p, argv, why, sizeof why)) {
		for (char **a = argv; *a; a++)
			free(*a);
		free(argv);
		engine_fail_now(r, sl, RESP_ERR_EXEC, why);
		return;
	}
	for (char **a = argv; *a; a++)
		free(*a);
	free(argv);
}
