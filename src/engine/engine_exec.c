/* engine_exec.c — `exec:` providers on the event loop: spawning the
 * program (posix_spawn, its own process group, no shell), feeding its
 * stdin and reading its stdout/stderr through non-blocking pipes that the
 * engine polls with libcurl's sockets, and turning its exit into a
 * response.  Timeouts kill the whole process group. */
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

int engine_spawn_child(struct slot *sl, const struct provider *p, char **argv,
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
	rc = posix_spawnp(&sl->pid, argv[0], &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (rc) {
		snprintf(why, why_n, "cannot run '%s': %s", argv[0], strerror(rc));
		rc = -1;
		goto out;
	}
	sl->fd_in = in[1];
	sl->fd_out = out[0];
	sl->fd_err = er[0];
	in[1] = out[0] = er[0] = -1;
	set_nonblock(sl->fd_in);
	set_nonblock(sl->fd_out);
	set_nonblock(sl->fd_err);
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
	if (sl->pid > 0 && !sl->exited) {
		kill(-sl->pid, SIGKILL);
		waitpid(sl->pid, &sl->wstatus, 0);
		sl->exited = true;
	}
	close_fd(&sl->fd_in);
	close_fd(&sl->fd_out);
	close_fd(&sl->fd_err);
}

void engine_finish_exec(struct run *r, struct slot *sl, bool timed_out)
{
	struct response resp;
	double now = fs_mono_ms();
	char *ex;
	response_init(&resp);
	resp.latency_ms = now - sl->t_start;
	if (sl->too_big) {
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
	} else if (WIFSIGNALED(sl->wstatus)) {
		ex = provider_excerpt(buf_str(&sl->errb), sl->errb.len);
		resp.error = RESP_ERR_EXEC;
		resp.error_msg = xasprintf("program killed by signal %d%s%s",
					   WTERMSIG(sl->wstatus), ex[0] ? ": " : "", ex);
		free(ex);
	} else if (WEXITSTATUS(sl->wstatus) != 0) {
		ex = provider_excerpt(buf_str(&sl->errb), sl->errb.len);
		resp.error = RESP_ERR_EXEC;
		resp.error_msg = xasprintf("program exited with status %d%s%s",
					   WEXITSTATUS(sl->wstatus), ex[0] ? ": " : "", ex);
		free(ex);
	} else {
		const char *s = buf_str(&sl->out);
		size_t n = sl->out.len;
		while (n && strchr(" \t\r\n", s[0])) {
			s++;
			n--;
		}
		while (n && strchr(" \t\r\n", s[n - 1]))
			n--;
		if (n == 0 && sl->errb.len) {
			ex = provider_excerpt(buf_str(&sl->errb), sl->errb.len);
			resp.error = RESP_ERR_EXEC;
			resp.error_msg = xasprintf("program printed nothing on stdout; stderr: %s", ex);
			free(ex);
		} else {
			resp.output = xstrndup(s, n);
		}
	}
	close_fd(&sl->fd_in);
	close_fd(&sl->fd_out);
	close_fd(&sl->fd_err);
	sl->pid = 0;
	attempt_done(r, sl, &resp);
}

/* Moves bytes for one child; finishes it when it is done. */
void engine_service_exec(struct run *r, struct slot *sl)
{
	char tmp[65536];
	ssize_t n = 0;
	if (sl->fd_in >= 0) {
		while (sl->stdin_off < sl->stdin_len) {
			n = write(sl->fd_in, sl->stdin_text + sl->stdin_off,
				  sl->stdin_len - sl->stdin_off);
			if (n <= 0)
				break;
			sl->stdin_off += (size_t)n;
		}
		if (sl->stdin_off >= sl->stdin_len || (n < 0 && errno == EPIPE))
			close_fd(&sl->fd_in);
	}
	while (sl->fd_out >= 0 && (n = read(sl->fd_out, tmp, sizeof tmp)) != 0) {
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				close_fd(&sl->fd_out);
			break;
		}
		if (sl->out.len + (size_t)n > provider_exec_max_output(r->ps[sl->prov].p)) {
			/* Never a truncated output stored as a success. */
			sl->too_big = true;
			engine_finish_exec(r, sl, false);
			return;
		}
		buf_append(&sl->out, tmp, (size_t)n);
	}
	if (n == 0)
		close_fd(&sl->fd_out);
	while (sl->fd_err >= 0 && (n = read(sl->fd_err, tmp, sizeof tmp)) != 0) {
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				close_fd(&sl->fd_err);
			break;
		}
		if (sl->errb.len + (size_t)n <= MAX_STDERR)
			buf_append(&sl->errb, tmp, (size_t)n);
	}
	if (n == 0)
		close_fd(&sl->fd_err);
	if (sl->fd_out < 0 && sl->fd_err < 0 && !sl->exited &&
	    waitpid(sl->pid, &sl->wstatus, WNOHANG) == sl->pid)
		sl->exited = true;
	if (sl->exited)
		engine_finish_exec(r, sl, false);
}

