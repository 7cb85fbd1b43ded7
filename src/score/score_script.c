/* score_script.c — the `script` assertion (alias `exec`): a custom scorer
 * in any language, run as a child process without a shell.
 *
 * The value is a command line, split into words like a POSIX shell would
 * split it but with no expansion of any kind (quotes '…' and "…", and
 * backslash escapes, are honoured; $VAR, globs, pipes and redirections are
 * not), or a list of words, or {command: <line or list>, timeout: seconds}.
 * The line is split as written and `{{var}}` is then substituted inside
 * each word, once: a var's value stays one argument, whatever it holds.
 * A program named with a relative path containing '/' is found relative to
 * the directory of the file the assertion was written in; a bare name is
 * looked up in PATH.
 *
 * The child reads one JSON object on stdin — {"output", "vars", "value",
 * "assertion": {"type", "value", "threshold", "weight", "metric"},
 * "latency_ms", "cost_usd", "finish_reason"} — and prints its verdict on
 * stdout: true/false, a number (the score), or {"pass", "score",
 * "reason"} (see score_verdict for the rule).  A non-zero exit, a signal,
 * the timeout (default 30 s; the whole process group is killed), more than
 * 1 MiB on stdout or a verdict of another shape is a grading error carrying
 * the script's stderr (first 1 KiB): the result is recorded as an error,
 * not as the model's failure.  posix_spawn + poll; SIGPIPE is blocked in
 * the calling thread while feeding stdin so a script that exits early
 * cannot kill assay. */
#include "score_int.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../suite/template.h"
#include "../util/buf.h"
#include "../util/fsutil.h"
#include "../util/xalloc.h"

extern char **environ;

#define SCRIPT_TIMEOUT_S 30.0
#define STDOUT_CAP (1u << 20)
#define STDERR_CAP (64u << 10)

/* ---- words ------------------------------------------------------------- */

struct words {
	char **w;
	size_t n, cap;
};

static void words_free(struct words *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->w[i]);
	free(w->w);
	memset(w, 0, sizeof *w);
}

static void words_add(struct words *w, const char *s, size_t n)
{
	w->w = xgrow(w->w, &w->cap, w->n + 2, sizeof *w->w);
	w->w[w->n++] = xstrndup(s, n);
	w->w[w->n] = NULL;
}

/* Splits a command line.  Returns 0, or -1 with msg (unterminated quote,
 * trailing backslash, nothing to run). */
static int split_words(const char *s, struct words *w, char *msg,
		       size_t msgn)
{
	struct buf cur = {0};
	bool in_word = false;
	memset(w, 0, sizeof *w);
	for (const char *p = s;; p++) {
		char c = *p;
		if (c == '\0' || c == ' ' || c == '\t' || c == '\n') {
			if (in_word)
				words_add(w, buf_str(&cur), cur.len);
			buf_reset(&cur);
			in_word = false;
			if (!c)
				break;
			continue;
		}
		in_word = true;
		if (c == '\\') {
			if (!p[1]) {
				snprintf(msg, msgn, "the command line ends in "
					 "a backslash");
				goto fail;
			}
			buf_putc(&cur, *++p);
		} else if (c == '\'') {
			const char *e = strchr(p + 1, '\'');
			if (!e) {
				snprintf(msg, msgn, "unterminated ' quote in "
					 "the command line");
				goto fail;
			}
			buf_append(&cur, p + 1, (size_t)(e - p - 1));
			p = e;
		} else if (c == '"') {
			for (p++; *p && *p != '"'; p++) {
				if (*p == '\\' && p[1] &&
				    strchr("\"\\$`", p[1]))
					p++;
				buf_putc(&cur, *p);
			}
			if (!*p) {
				snprintf(msg, msgn, "unterminated \" quote in "
					 "the command line");
				goto fail;
			}
		} else {
			buf_putc(&cur, c);
		}
	}
	buf_free(&cur);
	if (w->n == 0) {
		snprintf(msg, msgn, "the command line is empty");
		words_free(w);
		return -1;
	}
	return 0;
fail:
	buf_free(&cur);
	words_free(w);
	return -1;
}

/* The argv and timeout of a value.  Returns 0 or -1 with msg. */
static int command_of(const json_t *v, struct words *w, double *timeout_s,
		      char *msg, size_t msgn)
{
	const json_t *cmd = v;
	*timeout_s = SCRIPT_TIMEOUT_S;
	memset(w, 0, sizeof *w);
	if (json_is_object(v)) {
		const char *k;
		json_t *x;
		json_object_foreach((json_t *)v, k, x) {
			if (!strcmp(k, "timeout")) {
				if (!json_is_number(x) ||
				    json_number_value(x) <= 0) {
					snprintf(msg, msgn, "timeout must be a "
						 "number of seconds > 0");
					return -1;
				}
				*timeout_s = json_number_value(x);
			} else if (strcmp(k, "command")) {
				snprintf(msg, msgn, "unknown key '%s' (expected "
					 "command, timeout)", k);
				return -1;
			}
		}
		cmd = json_object_get(v, "command");
		if (!cmd) {
			snprintf(msg, msgn, "missing command");
			return -1;
		}
	}
	if (json_is_string(cmd))
		return split_words(json_string_value(cmd), w, msg, msgn);
	if (json_is_array(cmd) && json_array_size(cmd) > 0) {
		for (size_t i = 0; i < json_array_size(cmd); i++) {
			const json_t *it = json_array_get(cmd, i);
			if (!json_is_string(it)) {
				snprintf(msg, msgn, "word %zu of the command "
					 "must be a string", i + 1);
				words_free(w);
				return -1;
			}
			words_add(w, json_string_value(it),
				  json_string_length(it));
		}
		return 0;
	}
	snprintf(msg, msgn, "expected a command line, a list of words or "
		 "{command, timeout}");
	return -1;
}

/* ---- running ----------------------------------------------------------- */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct run_result {
	struct buf out, errb;
	int status;           /* waitpid status */
	bool timed_out, too_much;
};

static void (*spawn_hook)(long pgid);

void score_set_script_hook(void (*fn)(long pgid))
{
	spawn_hook = fn;
}

/* Runs argv with `input` on stdin.  Returns 0 when the child ran (see
 * rr->status), -1 with msg when it could not be started. */
static int run_child(char *const argv[], const char *input, size_t in_len,
		     double timeout_s, struct run_result *rr, char *msg,
		     size_t msgn)
{
	int pin[2] = {-1, -1}, pout[2] = {-1, -1}, perr[2] = {-1, -1};
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t pipe_set, old_set;
	pid_t pid;
	size_t written = 0;
	double deadline = now_s() + timeout_s;
	int rc;

	memset(rr, 0, sizeof *rr);
	if (pipe2(pin, O_CLOEXEC) || pipe2(pout, O_CLOEXEC) ||
	    pipe2(perr, O_CLOEXEC)) {
		snprintf(msg, msgn, "pipe: %s", strerror(errno));
		goto fail_pipes;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pin[0], 0);
	posix_spawn_file_actions_adddup2(&fa, pout[1], 1);
	posix_spawn_file_actions_adddup2(&fa, perr[1], 2);
	posix_spawnattr_init(&at);
	/* Its own process group, so a timeout kills its children too; the
	 * default signal mask and dispositions. */
	{
		sigset_t none, all;
		sigemptyset(&none);
		sigfillset(&all);
		posix_spawnattr_setsigmask(&at, &none);
		posix_spawnattr_setsigdefault(&at, &all);
		posix_spawnattr_setpgroup(&at, 0);
		posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP |
					 POSIX_SPAWN_SETSIGMASK |
					 POSIX_SPAWN_SETSIGDEF);
	}
	rc = strchr(argv[0], '/')
		     ? posix_spawn(&pid, argv[0], &fa, &at, argv, environ)
		     : posix_spawnp(&pid, argv[0], &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(pin[0]);
	close(pout[1]);
	close(perr[1]);
	pin[0] = pout[1] = perr[1] = -1;
	if (rc != 0) {
		snprintf(msg, msgn, "cannot run %s: %s", argv[0], strerror(rc));
		goto fail_pipes;
	}
	if (spawn_hook)
		spawn_hook((long)pid); /* its process group */
	fcntl(pin[1], F_SETFL, O_NONBLOCK);
	fcntl(pout[0], F_SETFL, O_NONBLOCK);
	fcntl(perr[0], F_SETFL, O_NONBLOCK);
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);
	if (in_len == 0) {
		close(pin[1]);
		pin[1] = -1;
	}
	while (pout[0] >= 0 || perr[0] >= 0) {
		struct pollfd pf[3];
		int nf = 0, left_ms;
		double left = deadline - now_s();
		if (left <= 0) {
			rr->timed_out = true;
			break;
		}
		left_ms = (int)(left * 1000) + 1;
		if (pin[1] >= 0)
			pf[nf++] = (struct pollfd){ pin[1], POLLOUT, 0 };
		if (pout[0] >= 0)
			pf[nf++] = (struct pollfd){ pout[0], POLLIN, 0 };
		if (perr[0] >= 0)
			pf[nf++] = (struct pollfd){ perr[0], POLLIN, 0 };
		if (poll(pf, (nfds_t)nf, left_ms) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int i = 0; i < nf; i++) {
			char chunk[16384];
			ssize_t r;
			if (!pf[i].revents)
				continue;
			if (pf[i].fd == pin[1]) {
				r = write(pin[1], input + written,
					  in_len - written);
				if (r > 0)
					written += (size_t)r;
				if ((r < 0 && errno != EAGAIN) ||
				    written == in_len) {
					close(pin[1]);
					pin[1] = -1;
				}
				continue;
			}
			r = read(pf[i].fd, chunk, sizeof chunk);
			if (r > 0) {
				bool is_out = pf[i].fd == pout[0];
				struct buf *b = is_out ? &rr->out : &rr->errb;
				size_t cap = is_out ? STDOUT_CAP : STDERR_CAP;
				if (b->len + (size_t)r > cap) {
					if (is_out) {
						rr->too_much = true;
						break;
					}
					r = (ssize_t)(cap - b->len);
				}
				buf_append(b, chunk, (size_t)r);
			} else if (r == 0 || errno != EAGAIN) {
				if (pf[i].fd == pout[0]) {
					close(pout[0]);
					pout[0] = -1;
				} else {
					close(perr[0]);
					perr[0] = -1;
				}
			}
		}
		if (rr->too_much)
			break;
	}
	if (pin[1] >= 0)
		close(pin[1]);
	/* Consume a SIGPIPE raised by our writes before unblocking. */
	{
		struct timespec zero = {0, 0};
		while (sigtimedwait(&pipe_set, NULL, &zero) > 0)
			;
	}
	pthread_sigmask(SIG_SETMASK, &old_set, NULL);
	if (rr->timed_out || rr->too_much)
		kill(-pid, SIGKILL);
	if (pout[0] >= 0)
		close(pout[0]);
	if (perr[0] >= 0)
		close(perr[0]);
	/* The child closed its output: it normally exits at once; one that
	 * keeps running after closing stdout is killed at the deadline. */
	for (;;) {
		pid_t w = waitpid(pid, &rr->status, WNOHANG);
		if (w == pid || (w < 0 && errno != EINTR))
			break;
		if (now_s() > deadline) {
			rr->timed_out = true;
			kill(-pid, SIGKILL);
			(void)waitpid(pid, &rr->status, 0);
			break;
		}
		usleep(1000);
	}
	return 0;
fail_pipes:
	for (int i = 0; i < 2; i++) {
		if (pin[i] >= 0)
			close(pin[i]);
		if (pout[i] >= 0)
			close(pout[i]);
		if (perr[i] >= 0)
			close(perr[i]);
	}
	return -1;
}

/* ---- the assertion ----------------------------------------------------- */

static int check_script(const struct assertion_spec *a, const json_t *v,
			const json_t *vars, struct err *err)
{
	struct words w;
	double t;
	char msg[512];
	(void)vars;
	if (command_of(v, &w, &t, msg, sizeof msg))
		return score_err(a, err, "'%s': %s", a->type, msg);
	words_free(&w);
	return 0;
}

static char *stdin_json(const struct score_in *in)
{
	json_t *o = json_object(), *as = json_object();
	const struct assertion_spec *a = in->spec;
	char *s;
	json_object_set_new(o, "output", json_stringn_nocheck(in->output,
							      in->output_len));
	json_object_set(o, "vars", (json_t *)in->vars);
	json_object_set(o, "value", (json_t *)in->value);
	json_object_set_new(as, "type", json_string(a->type));
	json_object_set(as, "value", (json_t *)in->value);
	json_object_set_new(as, "threshold", a->has_threshold
				    ? json_real(a->threshold) : json_null());
	json_object_set_new(as, "weight", json_real(a->weight));
	json_object_set_new(as, "metric", a->metric ? json_string(a->metric)
						    : json_null());
	json_object_set_new(o, "assertion", as);
	if (in->resp) {
		json_object_set_new(o, "latency_ms",
				    json_real(in->resp->latency_ms));
		json_object_set_new(o, "cost_usd", in->resp->cost_usd >= 0
				    ? json_real(in->resp->cost_usd) : json_null());
		json_object_set_new(o, "finish_reason", in->resp->finish_reason
				    ? json_string(in->resp->finish_reason)
				    : json_null());
	}
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	return s;
}

/* Resolves argv[0] relative to the assertion's file when it is a relative
 * path with a '/'. */
static void resolve_program(const struct assertion_spec *a, struct words *w)
{
	char *dir, *p;
	if (!a || !w->n || !strchr(w->w[0], '/') || w->w[0][0] == '/' ||
	    !a->loc.file)
		return;
	dir = fs_dirname(a->loc.file);
	p = fs_join(dir, w->w[0]);
	free(dir);
	free(w->w[0]);
	w->w[0] = p;
}

/* Substitutes the vars into each word of the command line as written,
 * after it was split: a var's value is one argument whatever it holds
 * (quotes, spaces, `{{…}}`), never re-split and never re-parsed.  Before,
 * the whole line was rendered and then split, so a quote in a var broke
 * out and became extra arguments. */
static int render_words(const struct score_in *in, struct words *w,
			struct err *err)
{
	for (size_t i = 0; i < w->n; i++) {
		char *r;
		if (!tmpl_has_tags(w->w[i]))
			continue;
		r = tmpl_render(w->w[i], in->vars, TMPL_NO_NEST,
				in->spec ? &in->spec->loc : NULL, err);
		if (!r)
			return -1;
		free(w->w[i]);
		w->w[i] = r;
	}
	return 0;
}

static int eval_script(const struct score_in *in, struct assert_outcome *out,
		       struct err *err)
{
	struct words w;
	struct run_result rr;
	double timeout;
	char msg[1024], *input;
	json_t *verdict;
	json_error_t je;
	int rc = 0;

	if (command_of(in->spec && in->spec->value ? in->spec->value
					 : in->value, &w, &timeout, msg,
		       sizeof msg))
		return err_set(err, ST_INTERNAL, "script: %s", msg);
	if (!w.n) {   /* command_of refuses an empty command line */
		words_free(&w);
		return err_set(err, ST_INTERNAL, "script: an empty command");
	}
	if (render_words(in, &w, err)) {
		words_free(&w);
		return err->code ? (int)err->code : ST_INTERNAL;
	}
	resolve_program(in->spec, &w);
	input = stdin_json(in);
	if (run_child(w.w, input, input ? strlen(input) : 0, timeout, &rr,
		      msg, sizeof msg)) {
		free(input);
		words_free(&w);
		return err_set(err, ST_INTERNAL, "script: %s", msg);
	}
	free(input);
	if (rr.timed_out) {
		rc = err_set(err, ST_INTERNAL, "script %s timed out after %gs",
			     w.w[0], timeout);
	} else if (rr.too_much) {
		rc = err_set(err, ST_INTERNAL, "script %s printed more than "
			     "%u bytes", w.w[0], STDOUT_CAP);
	} else if (!WIFEXITED(rr.status) || WEXITSTATUS(rr.status) != 0) {
		struct buf b = {0};
		if (WIFSIGNALED(rr.status))
			buf_printf(&b, "script %s was killed by signal %d",
				   w.w[0], WTERMSIG(rr.status));
		else
			buf_printf(&b, "script %s exited with status %d",
				   w.w[0], WEXITSTATUS(rr.status));
		if (rr.errb.len) {
			buf_puts(&b, ": ");
			score_put_clipped(&b, rr.errb.p, rr.errb.len, 1024);
		}
		rc = err_set(err, ST_INTERNAL, "%s", buf_str(&b));
		buf_free(&b);
	} else {
		verdict = json_loadb(buf_str(&rr.out), rr.out.len,
				     JSON_DECODE_ANY, &je);
		if (!verdict || score_verdict(out, in, verdict, msg,
					      sizeof msg)) {
			struct buf b = {0};
			buf_printf(&b, "script %s printed ", w.w[0]);
			if (verdict)
				buf_printf(&b, "an unexpected verdict (%s): ", msg);
			else
				buf_puts(&b, "no JSON verdict (expected true, "
					 "false, a number or {pass, score, "
					 "reason}): ");
			score_put_clipped(&b, buf_str(&rr.out), rr.out.len, 200);
			rc = err_set(err, ST_INTERNAL, "%s", buf_str(&b));
			buf_free(&b);
		}
		json_decref(verdict);
	}
	buf_free(&rr.out);
	buf_free(&rr.errb);
	words_free(&w);
	return rc;
}

#define SCRIPT_DESC "a command line, a list of words, or {command, timeout}"

const struct score_type score_script_types[] = {
	{ .name = "script", .values = SV_STRING | SV_LIST | SV_OBJECT,
	  .value_desc = SCRIPT_DESC, .check = check_script,
	  .eval = eval_script },
	{ .name = "exec", .values = SV_STRING | SV_LIST | SV_OBJECT,
	  .value_desc = SCRIPT_DESC, .check = check_script,
	  .eval = eval_script },
	{ .name = NULL }
};
