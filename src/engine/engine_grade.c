/* engine_grade.c — grading that can run long, off the loop.
 *
 * A test with a Lua, jq or script assertion, or any transform (jq), is
 * graded in a forked child process: the loop keeps serving every other
 * transfer meanwhile (a slow grader no longer turns replies that already
 * arrived into provider timeouts), and the child has limits the graded
 * code cannot switch off: a hard deadline (`--grader-timeout`, SIGKILL to
 * its process group — no pcall, no long C call such as a backtracking
 * string.find, no endless jq program outlives it) and an address-space
 * limit (`--grader-memory`, RLIMIT_AS above what the process already
 * maps; scripts it spawns inherit it).  The child sees the response, the
 * test and the judge replies through fork's copy of memory and writes
 * the grade back as JSON on a pipe; it never touches the store.  A stop
 * (SIGINT/SIGTERM) ends the loop, which kills the children.
 *
 * Every other test is graded on the loop: its assertion types take
 * microseconds, and a fork per result would cost more than the grading. */
#include "engine_int.h"
#include "../score/judge.h"
#include "../score/score.h"
#include "../util/fsutil.h"
#include "../util/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

/* What the child may write back: a grade with every reason and a
 * transformed output (itself under MAX_BODY). */
#define MAX_GRADE_OUT (MAX_BODY * 2 + ((size_t)1 << 20))

static bool is_sandboxed_type(const char *type)
{
	static const char *const slow[] = { "lua", "jq", "script", "exec" };
	if (!strncmp(type, "not-", 4))
		type += 4;
	for (size_t i = 0; i < sizeof slow / sizeof *slow; i++)
		if (!strcmp(type, slow[i]))
			return true;
	return false;
}

bool engine_grade_offloop(const struct test_case *tc)
{
	if (tc->transform)
		return true;
	for (size_t i = 0; i < tc->n_asserts; i++)
		if (tc->asserts[i].transform || is_sandboxed_type(tc->asserts[i].type))
			return true;
	return false;
}

long engine_grade_timeout_ms(const struct engine_opts *o)
{
	return o->grader_timeout_ms > 0 ? o->grader_timeout_ms : ENGINE_GRADER_TIMEOUT_MS;
}

static long memory_mb(const struct engine_opts *o)
{
	return o->grader_memory_mb > 0 ? o->grader_memory_mb : ENGINE_GRADER_MEMORY_MB;
}

/* ---- the child ---------------------------------------------------------- */

#ifndef UNDER_ASAN
/* The address space already mapped, in bytes (0 when unknown). */
static size_t mapped_bytes(void)
{
	unsigned long pages = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (f) {
		char line[128], *end;
		if (fgets(line, sizeof line, f)) {
			pages = strtoul(line, &end, 10);
			if (end == line)
				pages = 0;
		}
		fclose(f);
	}
	return (size_t)pages * (size_t)sysconf(_SC_PAGESIZE);
}
#endif

static void child_limits(long mem_mb)
{
	struct rlimit core = { 0, 0 };
	setrlimit(RLIMIT_CORE, &core);
#ifndef UNDER_ASAN
	{
		/* ASan reserves terabytes of address space: no RLIMIT_AS there
		 * (Lua keeps its own 256 MiB cap; the deadline still holds). */
		struct rlimit as;
		as.rlim_cur = as.rlim_max = (rlim_t)(mapped_bytes() + (size_t)mem_mb * 1024 * 1024);
		setrlimit(RLIMIT_AS, &as);
	}
#else
	(void)mem_mb;
#endif
}

static json_t *grade_json(const struct test_case *tc, const struct grade *g)
{
	json_t *items = json_array();
	for (size_t i = 0; i < g->n_items; i++) {
		const struct assert_outcome *o = &g->items[i];
		long spec = o->spec ? (long)(o->spec - tc->asserts) : -1;
		json_array_append_new(items, json_pack("{s:I,s:b,s:f,s:s?}", "spec", (json_int_t)spec,
						       "pass", o->pass, "score", o->score,
						       "reason", o->reason));
	}
	return json_pack("{s:b,s:f,s:s?,s:o,s:O}", "pass", g->pass, "score", g->score,
			 "reason", g->reason, "items", items, "named",
			 g->named_scores ? g->named_scores : json_object());
}

static void write_all(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

/* The child reports each script's process group on the pipe ("P<pgid>\n"
 * before the JSON), so a grader killed at its deadline takes its running
 * script along. */
static int report_fd = -1;

static void report_script(long pgid)
{
	char line[32];
	int n = snprintf(line, sizeof line, "P%ld\n", pgid);
	if (report_fd >= 0 && n > 0)
		write_all(report_fd, line, (size_t)n);
}

/* In the child: a JavaScript or Python call goes to the parent, which owns
 * the workers ("C<lang> <timeout_ms> <len>\n" and the request's JSON);
 * the answer comes back on the same socket ("<len>\n" and
 * {"reply": {...}} or {"error": "..."}).  The child waits: the parent
 * answers each call in turn, and the grader's deadline still holds. */
static int read_full(int fd, char *p, size_t n)
{
	while (n > 0) {
		ssize_t k = read(fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

static int proxy_call(int lang, const json_t *req, long timeout_ms, json_t **reply,
		      struct err *err)
{
	char *txt = json_dumps(req, JSON_COMPACT), hdr[80], *body = NULL;
	size_t len = 0, i = 0;
	json_t *j;
	int n;
	*reply = NULL;
	if (!txt)
		return err_set(err, ST_INTERNAL, "a code request is not JSON");
	n = snprintf(hdr, sizeof hdr, "C%d %ld %zu\n", lang, timeout_ms, strlen(txt));
	write_all(report_fd, hdr, (size_t)n);
	write_all(report_fd, txt, strlen(txt));
	free(txt);
	while (i < sizeof hdr - 1 && read_full(report_fd, hdr + i, 1) == 0 && hdr[i] != '\n')
		i++;
	hdr[i] = '\0';
	len = strtoul(hdr, NULL, 10);
	if (i == 0 || i >= sizeof hdr - 1 || !(body = malloc(len + 1)) ||
	    read_full(report_fd, body, len)) {
		free(body);
		return err_set(err, ST_INTERNAL, "no answer from the process that owns the code workers");
	}
	j = json_loadb(body, len, 0, NULL);
	free(body);
	if (json_is_object(json_object_get(j, "reply"))) {
		*reply = json_incref(json_object_get(j, "reply"));
		json_decref(j);
		return 0;
	}
	err_set(err, ST_INTERNAL, "%s", json_is_string(json_object_get(j, "error"))
		? json_string_value(json_object_get(j, "error")) : "a bad answer from the code workers");
	json_decref(j);
	return -1;
}

/* Runs in the child: transform (plain path) and grade; never returns. */
static void child_main(const struct run *r, struct slot *sl, int fd)
{
	const struct test_case *tc = suite_test(r->s, sl->test);
	struct grade g;
	struct err gerr;
	json_t *j = NULL;
	char *txt, *transformed = NULL;
	int rc;
	memset(&g, 0, sizeof g);
	err_clear(&gerr);
	report_fd = fd;
	score_set_script_hook(report_script);
	score_set_code_proxy(proxy_call);
	if (!sl->g.judged && tc->transform) {
		const char *o = sl->cand.output ? sl->cand.output : "";
		if (score_transform(tc->transform, o, strlen(o), tc->vars, &transformed, &gerr)) {
			/* the model's failure unless the suite opts out */
			char *why = xstrdup(gerr.msg);
			err_clear(&gerr);
			rc = score_unreadable(tc, why, &g, &gerr);
			free(why);
			j = rc ? json_pack("{s:s}", "error", gerr.msg)
			       : json_pack("{s:o}", "grade", grade_json(tc, &g));
			goto send;
		}
		free(sl->cand.output);
		sl->cand.output = transformed;
	}
	rc = sl->g.judged
		? score_grade_judged(tc, &sl->cand, sl->jd->calls, sl->g.replies, sl->jd->n_calls, &g, &gerr)
		: score_grade(tc, &sl->cand, &g, &gerr);
	if (rc)
		j = json_pack("{s:s}", "error", gerr.msg);
	else
		j = json_pack("{s:o,s:s?}", "grade", grade_json(tc, &g), "output",
			      transformed);
send:
	txt = j ? json_dumps(j, JSON_COMPACT) : NULL;
	if (txt)
		write_all(fd, txt, strlen(txt));
	_exit(txt ? 0 : 3);
}

/* ---- the parent ---------------------------------------------------------- */

int engine_grade_start(struct run *r, struct slot *sl, bool judged,
		       struct judge_reply *replies)
{
	int p[2];
	pid_t pid;
	sl->g.judged = judged;
	sl->g.replies = replies;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p))
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		close(p[0]);
		setpgid(0, 0);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		child_limits(memory_mb(r->o));
		child_main(r, sl, p[1]);
	}
	setpgid(pid, pid); /* also in the parent: no race with the kill */
	close(p[1]);
	buf_free(&sl->g.out);
	fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK);
	sl->role = ROLE_GRADING;
	sl->g.pid = pid;
	sl->g.fd = p[0];
	sl->g.deadline = fs_mono_ms() + (double)engine_grade_timeout_ms(r->o);
	return 0;
}

void engine_grade_kill(struct slot *sl)
{
	if (sl->g.script_pgid > 0)
		kill(-(pid_t)sl->g.script_pgid, SIGKILL);
	sl->g.script_pgid = 0;
	if (sl->g.pid > 0) {
		int st;
		kill(-sl->g.pid, SIGKILL);
		kill(sl->g.pid, SIGKILL);
		waitpid(sl->g.pid, &st, 0);
		sl->g.pid = 0;
	}
	if (sl->g.fd >= 0)
		close(sl->g.fd);
	sl->g.fd = -1;
}

/* The child's JSON → a grade (or an error message, owned). */
static int parse_grade(const struct test_case *tc, const char *txt, struct grade *g,
		       char **output, char **why)
{
	json_error_t je;
	json_t *j = json_loads(txt, 0, &je), *gj, *items;
	size_t i;
	*output = NULL;
	*why = NULL;
	memset(g, 0, sizeof *g);
	if (!json_is_object(j)) {
		json_decref(j);
		*why = xstrdup("the grader's reply is not JSON");
		return -1;
	}
	if (json_is_string(json_object_get(j, "error"))) {
		*why = xstrdup(json_string_value(json_object_get(j, "error")));
		json_decref(j);
		return -1;
	}
	gj = json_object_get(j, "grade");
	items = json_object_get(gj, "items");
	g->pass = json_is_true(json_object_get(gj, "pass"));
	g->score = json_number_value(json_object_get(gj, "score"));
	g->reason = json_is_string(json_object_get(gj, "reason"))
		? xstrdup(json_string_value(json_object_get(gj, "reason"))) : NULL;
	g->named_scores = json_is_object(json_object_get(gj, "named"))
		? json_incref(json_object_get(gj, "named")) : json_object();
	g->n_items = json_array_size(items);
	g->items = g->n_items ? xcalloc(g->n_items, sizeof *g->items) : NULL;
	for (i = 0; i < g->n_items; i++) {
		const json_t *it = json_array_get(items, i);
		json_int_t k = json_integer_value(json_object_get(it, "spec"));
		struct assert_outcome *o = &g->items[i];
		o->spec = k >= 0 && (size_t)k < tc->n_asserts ? &tc->asserts[k] : NULL;
		o->pass = json_is_true(json_object_get(it, "pass"));
		o->score = json_number_value(json_object_get(it, "score"));
		o->reason = json_is_string(json_object_get(it, "reason"))
			? xstrdup(json_string_value(json_object_get(it, "reason"))) : NULL;
	}
	if (json_is_string(json_object_get(j, "output")))
		*output = xstrdup(json_string_value(json_object_get(j, "output")));
	json_decref(j);
	return 0;
}

/* The child is done (or was stopped: why_killed): record the result. */
static void grade_finish(struct run *r, struct slot *sl, const char *why_killed)
{
	const struct test_case *tc = suite_test(r->s, sl->test);
	struct grade g;
	char *output = NULL, *why = NULL;
	int st = 0;
	if (why_killed) {
		engine_grade_kill(sl);
		why = xstrdup(why_killed);
	} else {
		if (sl->g.fd >= 0)
			close(sl->g.fd);
		sl->g.fd = -1;
		while (waitpid(sl->g.pid, &st, 0) < 0 && errno == EINTR)
			;
		kill(-sl->g.pid, SIGKILL); /* anything it left behind */
		if (sl->g.script_pgid > 0)
			kill(-(pid_t)sl->g.script_pgid, SIGKILL);
		sl->g.script_pgid = 0;
		sl->g.pid = 0;
		if (WIFSIGNALED(st))
			why = xasprintf("the grader was killed by signal %d (out of memory? "
					"the limit is %ld MiB, --grader-memory)",
					WTERMSIG(st), memory_mb(r->o));
		else if (WEXITSTATUS(st) != 0 || sl->g.out.len == 0)
			why = xasprintf("the grader exited with status %d%s", WEXITSTATUS(st),
					sl->g.out.len ? "" : " and no grade (out of memory?)");
	}
	if (!why && parse_grade(tc, buf_str(&sl->g.out), &g, &output, &why) == 0) {
		if (output) {
			free(sl->cand.output);
			sl->cand.output = output;
		}
		engine_record(r, sl, &sl->cand, &g);
		grade_cleanup(&g);
	} else {
		struct err gerr;
		err_clear(&gerr);
		snprintf(gerr.msg, sizeof gerr.msg, "%s", why ? why : "error");
		engine_grading_error(&sl->cand, &gerr);
		engine_record(r, sl, &sl->cand, NULL);
	}
	free(why);
	engine_release(r, sl);
}

/* Sends all of p to the child before the grader's deadline. */
static void send_child(struct slot *sl, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t k = send(sl->g.fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (k < 0 && (errno == EAGAIN || errno == EINTR)) {
			double left = sl->g.deadline - fs_mono_ms();
			struct pollfd pf = { .fd = sl->g.fd, .events = POLLOUT };
			if (left <= 0 || poll(&pf, 1, (int)left + 1) < 0)
				return;
			continue;
		}
		if (k <= 0)
			return;
		p += k;
		n -= (size_t)k;
	}
}

/* Runs one code call for the child in this process's workers and answers. */
static void serve_code(struct slot *sl, int lang, long timeout_ms, const char *txt, size_t len)
{
	json_t *req = json_loadb(txt, len, 0, NULL), *reply = NULL, *ans;
	struct err e;
	char *out, hdr[32];
	int n;
	err_clear(&e);
	if (!json_is_object(req))
		ans = json_pack("{s:s}", "error", "a code request from the grader is not JSON");
	else if (score_code_call(lang, req, timeout_ms, &reply, &e))
		ans = json_pack("{s:s}", "error", e.msg);
	else
		ans = json_pack("{s:o}", "reply", reply);
	json_decref(req);
	out = ans ? json_dumps(ans, JSON_COMPACT) : NULL;
	json_decref(ans);
	if (!out)
		out = xstrdup("{\"error\":\"the code reply is not JSON\"}");
	n = snprintf(hdr, sizeof hdr, "%zu\n", strlen(out));
	send_child(sl, hdr, (size_t)n);
	send_child(sl, out, strlen(out));
	free(out);
}

/* Takes the "P<pgid>" lines and the code calls ("C…", answered here) off
 * the front of what the child sent. */
static void take_reports(struct slot *sl)
{
	char *s = sl->g.out.p;
	size_t off = 0;
	while (off < sl->g.out.len && (s[off] == 'P' || s[off] == 'C')) {
		char *nl = memchr(s + off, '\n', sl->g.out.len - off);
		int lang = 0;
		long tmo = 0;
		size_t len = 0;
		if (!nl)
			break;
		if (s[off] == 'P') {
			sl->g.script_pgid = strtol(s + off + 1, NULL, 10);
			off = (size_t)(nl - s) + 1;
			continue;
		}
		{
			/* "C<lang> <timeout ms> <length>\n": malformed reads as
			 * length 0 */
			char *e1, *e2, *e3;
			long lv = strtol(s + off + 1, &e1, 10);
			tmo = strtol(e1, &e2, 10);
			len = (size_t)strtoull(e2, &e3, 10);
			lang = (int)lv;
			if (e1 == s + off + 1 || e2 == e1 || e3 == e2 ||
			    lv < INT_MIN || lv > INT_MAX)
				len = 0;
		}
		if (sl->g.out.len - (size_t)(nl + 1 - s) < len)
			break; /* the request is not all here yet */
		serve_code(sl, lang, tmo, nl + 1, len);
		off = (size_t)(nl - s) + 1 + len;
	}
	if (off) {
		memmove(s, s + off, sl->g.out.len - off);
		sl->g.out.len -= off;
		s[sl->g.out.len] = '\0';
	}
}

void engine_grade_service(struct run *r, struct slot *sl)
{
	char tmp[65536];
	ssize_t n;
	for (;;) {
		n = read(sl->g.fd, tmp, sizeof tmp);
		if (n > 0) {
			if (sl->g.out.len + (size_t)n > MAX_GRADE_OUT) {
				grade_finish(r, sl, "the grader's reply is larger than the limit");
				return;
			}
			buf_append(&sl->g.out, tmp, (size_t)n);
			take_reports(sl);
			continue;
		}
		if (n < 0 && (errno == EINTR))
			continue;
		break;
	}
	if (n == 0)
		grade_finish(r, sl, NULL);
}

void engine_grade_check_deadline(struct run *r, struct slot *sl, double now)
{
	char msg[160];
	if (now <= sl->g.deadline)
		return;
	snprintf(msg, sizeof msg, "the grader ran longer than %ld ms and was killed "
		 "(--grader-timeout)", engine_grade_timeout_ms(r->o));
	grade_finish(r, sl, msg);
}
