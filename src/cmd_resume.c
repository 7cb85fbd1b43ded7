/* cmd_resume.c — continuing a stored run (see cmd_resume.h).
 *
 * Why refuse rather than adapt: the results of a run are figures about
 * one suite.  If a case, prompt or provider changed, the stored half and
 * the new half would measure different things, and the run's figures
 * would equal no uninterrupted run.  So resume compares the suite's
 * content hash with the stored one and, when they differ, compares case
 * by case, prompt by prompt and provider by provider to say what changed.
 * Each stored row's item key must also equal the key the suite gives its
 * position: a reordered suite is refused too. */
#include "cmd_resume.h"

#include <ctype.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/xalloc.h"

extern char **environ;

struct resume {
	const struct suite *s;
	struct store_keys *keys;
	int repeat;
	bool retry_errors;
	unsigned char *skip;    /* one byte per item: 1 = pass over */
	size_t n_items;
	long kept;
	long mismatched;        /* stored rows whose key is not the suite's */
	unsigned shard_i, shard_n; /* run only shard i of n (n 0: all) */
	size_t first_bad[4];    /* t, p, v, rep of the first */
};

static size_t item_index(const struct resume *r, size_t t, size_t p, size_t v,
			 int rep)
{
	const struct suite *s = r->s;
	return ((v * s->n_tests + t) * s->n_prompts + p) * (size_t)r->repeat +
	       (size_t)rep;
}

bool resume_skip(void *ud, size_t test, size_t prompt, size_t prov, int rep)
{
	struct resume *r = ud;
	size_t i;
	if (test >= r->s->n_tests || prompt >= r->s->n_prompts ||
	    prov >= r->s->n_providers || rep < 0 || rep >= r->repeat)
		return false;
	i = item_index(r, test, prompt, prov, rep);
	if (i < r->n_items && r->skip[i])
		return true;
	if (r->shard_n > 1) {
		char key[65];
		store_keys_item(r->keys, test, prompt, prov, rep, key);
		return store_key_shard(key, r->shard_n) != r->shard_i;
	}
	return false;
}

struct resume *resume_new(const struct suite *s, int repeat)
{
	struct resume *r = xcalloc(1, sizeof *r);
	r->s = s;
	r->keys = store_keys_new(s);
	r->repeat = repeat > 0 ? repeat : 1;
	r->n_items = s->n_tests * s->n_prompts * s->n_providers * (size_t)r->repeat;
	r->skip = xcalloc(r->n_items ? r->n_items : 1, 1);
	return r;
}

void resume_set_shard(struct resume *r, unsigned i, unsigned n)
{
	r->shard_i = i;
	r->shard_n = n;
}

long resume_planned(const struct resume *r)
{
	long n = 0;
	if (!r)
		return 0;
	for (size_t t = 0; t < r->s->n_tests; t++)
		for (size_t p = 0; p < r->s->n_prompts; p++)
			for (size_t v = 0; v < r->s->n_providers; v++)
				for (int k = 0; k < r->repeat; k++)
					n += !resume_skip((void *)r, t, p, v, k);
	return n;
}

char *resume_shard_counts(const struct resume *r, unsigned n)
{
	long *count = xcalloc(n + 1, sizeof *count);
	json_t *a = json_array();
	char key[65], *text;
	for (size_t t = 0; t < r->s->n_tests; t++)
		for (size_t p = 0; p < r->s->n_prompts; p++)
			for (size_t v = 0; v < r->s->n_providers; v++)
				for (int k = 0; k < r->repeat; k++) {
					store_keys_item(r->keys, t, p, v, k, key);
					count[store_key_shard(key, n)]++;
				}
	for (unsigned i = 1; i <= n; i++)
		json_array_append_new(a, json_integer(count[i]));
	text = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	free(count);
	return text;
}

int shard_parse(const char *s, unsigned *i, unsigned *n)
{
	char *end;
	unsigned long a, b;
	if (!isdigit((unsigned char)*s))
		return -1;
	a = strtoul(s, &end, 10);
	if (*end != '/' || !isdigit((unsigned char)end[1]))
		return -1;
	b = strtoul(end + 1, &end, 10);
	if (*end || b < 1 || b > 100000 || a < 1 || a > b)
		return -1;
	*i = (unsigned)a;
	*n = (unsigned)b;
	return 0;
}

long resume_kept(const struct resume *r)
{
	return r ? r->kept : 0;
}

void resume_free(struct resume *r)
{
	if (!r)
		return;
	store_keys_free(r->keys);
	free(r->skip);
	free(r);
}

/* ---------------------------------------------------- what changed */

struct diff {
	const struct resume *r;
	struct buf msg;
	int n;                  /* differences listed */
	size_t n_stored;
};

static void note(struct diff *d, const char *fmt, const char *a, const char *b)
{
	if (d->n++ >= 8) {
		if (d->n == 9)
			buf_puts(&d->msg, "\n  …");
		return;
	}
	buf_puts(&d->msg, "\n  ");
	buf_printf(&d->msg, fmt, a, b);
}

static int diff_case(void *ud, const struct store_case *c)
{
	struct diff *d = ud;
	const struct suite *s = d->r->s;
	char idx[32];
	d->n_stored++;
	snprintf(idx, sizeof idx, "%zu", c->idx);
	if (c->idx >= s->n_tests) {
		note(d, "case %s (%s) is no longer in the suite", idx,
		     c->description ? c->description : "no description");
		return 0;
	}
	if (!c->case_key || strcmp(c->case_key, store_keys_case(d->r->keys, c->idx)))
		note(d, "case %s (%s): its vars or assertions changed, or another "
		     "test is at this position", idx,
		     c->description ? c->description : "no description");
	else if (c->case_hash &&
		 strcmp(c->case_hash, store_keys_case_hash(d->r->keys, c->idx)))
		note(d, "case %s (%s): its vars or assertions changed", idx,
		     c->description ? c->description : "no description");
	return 0;
}

static int diff_prompt(void *ud, const struct store_prompt *p)
{
	struct diff *d = ud;
	const struct suite *s = d->r->s;
	char idx[32];
	snprintf(idx, sizeof idx, "%zu", p->idx);
	if (p->idx >= s->n_prompts)
		note(d, "prompt %s (%s) is no longer in the suite", idx,
		     p->label ? p->label : "");
	else if (!p->raw || strcmp(p->raw, s->prompts[p->idx].raw))
		note(d, "prompt %s (%s): its template changed", idx,
		     s->prompts[p->idx].label ? s->prompts[p->idx].label : "");
	return 0;
}

static int diff_provider(void *ud, const struct store_provider *p)
{
	struct diff *d = ud;
	const struct suite *s = d->r->s;
	if (p->idx >= s->n_providers)
		note(d, "provider %s%s is no longer in the suite",
		     p->id ? p->id : "?", "");
	else if (!p->id || strcmp(p->id, s->providers[p->idx].id))
		note(d, "provider %s is now %s", p->id ? p->id : "?",
		     s->providers[p->idx].id);
	else if (p->key && strcmp(p->key, store_keys_provider(d->r->keys, p->idx)))
		note(d, "provider %s: its config changed%s", p->id, "");
	return 0;
}

/* Fills err with what differs between the stored run and the suite. */
static int explain_change(struct store *st, int64_t run_id,
			  const struct store_run *run, struct resume *r,
			  struct err *err)
{
	struct diff d = { .r = r };
	const struct suite *s = r->s;
	int rc;
	if ((rc = store_cases_each(st, run_id, diff_case, &d, err)) ||
	    (rc = store_prompts_each(st, run_id, diff_prompt, &d, err)) ||
	    (rc = store_providers_each(st, run_id, diff_provider, &d, err)))
		goto out;
	if (s->n_tests > d.n_stored) {
		char a[32];
		snprintf(a, sizeof a, "%zu", s->n_tests - d.n_stored);
		note(&d, "%s test case%s added", a, s->n_tests - d.n_stored > 1 ? "s" : "");
	}
	if ((long)s->n_prompts > run->n_prompts)
		note(&d, "%s%s", "prompts were added", "");
	if ((long)s->n_providers > run->n_providers)
		note(&d, "%s%s", "providers were added", "");
	if (r->mismatched && d.n == 0) {
		char a[96];
		snprintf(a, sizeof a, "case %zu × prompt %zu × provider %zu × repeat %zu",
			 r->first_bad[0], r->first_bad[1], r->first_bad[2], r->first_bad[3]);
		note(&d, "stored results do not match the suite's work%s (first: %s)",
		     "", a);
	}
	if (d.n == 0)
		note(&d, "%s%s", "its content differs (hash mismatch)", "");
	rc = err_set(err, ST_INPUT, "cannot resume or join run %lld: the suite %s changed "
		     "since the run began, so finishing it would mix two "
		     "different runs:%s\nStart a new run instead (assay run %s).",
		     (long long)run_id, run->suite_path ? run->suite_path : "",
		     d.msg.p ? d.msg.p : "", s->path);
out:
	buf_free(&d.msg);
	return rc;
}

/* ---------------------------------------------------------- prepare */

static int on_item(void *ud, size_t t, size_t p, size_t v, int rep,
		   const char *key, int state)
{
	struct resume *r = ud;
	char want[65];
	size_t i;
	if (t >= r->s->n_tests || p >= r->s->n_prompts ||
	    v >= r->s->n_providers || rep < 0 || rep >= r->repeat) {
		if (!r->mismatched++) {
			r->first_bad[0] = t; r->first_bad[1] = p;
			r->first_bad[2] = v; r->first_bad[3] = (size_t)rep;
		}
		return 0;
	}
	store_keys_item(r->keys, t, p, v, rep, want);
	if (key && strcmp(key, want)) {
		if (!r->mismatched++) {
			r->first_bad[0] = t; r->first_bad[1] = p;
			r->first_bad[2] = v; r->first_bad[3] = (size_t)rep;
		}
		return 0;
	}
	i = item_index(r, t, p, v, rep);
	if (r->retry_errors && state == 2)
		return 0;       /* an infrastructure error: run it again */
	r->skip[i] = 1;
	r->kept++;
	return 0;
}

int resume_prepare(struct store *st, const struct suite *s, const char *ref,
		   bool retry_errors, bool join, int64_t *run_id, int *repeat,
		   struct resume **out, struct err *err)
{
	struct store_run run;
	struct resume *r;
	int rc;
	*out = NULL;
	if ((rc = store_resolve_run(st, ref ? ref : "latest", run_id, err)) ||
	    (rc = store_run_get(st, *run_id, &run, err)))
		return rc;
	if (!join && !strcmp(run.status, "running")) {
		rc = err_set(err, ST_USAGE, "run %lld is still running (pid %ld on "
			     "%s); resume it once it has stopped",
			     (long long)*run_id, run.pid, run.host ? run.host : "?");
		store_run_free(&run);
		return rc;
	}
	if (!join && !strcmp(run.status, "done") && !retry_errors) {
		rc = err_set(err, ST_USAGE, "run %lld finished; there is nothing to "
			     "resume (--retry-errors re-runs its errors)",
			     (long long)*run_id);
		store_run_free(&run);
		return rc;
	}
	r = resume_new(s, run.repeat);
	r->retry_errors = retry_errors;
	if (!run.suite_hash) {
		rc = err_set(err, ST_INPUT, "cannot resume run %lld: it was stored "
			     "by an older assay without content keys", (long long)*run_id);
		goto fail;
	}
	if ((rc = store_item_states_each(st, *run_id, on_item, r, err)))
		goto fail;
	if (strcmp(run.suite_hash, store_keys_suite(r->keys)) || r->mismatched) {
		rc = explain_change(st, *run_id, &run, r, err);
		goto fail;
	}
	*repeat = r->repeat;
	store_run_free(&run);
	*out = r;
	return 0;
fail:
	store_run_free(&run);
	resume_free(r);
	return rc;
}

/* ------------------------------------------------------------- misc */

int run_check_ids(const struct suite *s, struct err *err)
{
	json_t *seen = json_object();
	int rc = 0;
	for (size_t i = 0; i < s->n_tests && !rc; i++) {
		char buf[32];
		const struct test_case *tc = suite_test(s, i);
		const char *id;
		json_t *prev;
		if (!tc) {
			*err = *suite_stream_err(s);
			rc = err->code ? (int)err->code : ST_IO;
			break;
		}
		if (!(id = store_case_user_id(tc, buf)))
			continue;
		if ((prev = json_object_get(seen, id)))
			rc = err_at(err, tc->loc.file ? tc->loc.file : s->path,
				    tc->loc.line, tc->loc.col, "test id '%s' is already "
				    "used by test %lld; ids must be unique", id,
				    (long long)json_integer_value(prev) + 1);
		else
			json_object_set_new(seen, id, json_integer((json_int_t)i));
	}
	json_decref(seen);
	return rc;
}

bool resume_is_run_ref(const char *a)
{
	const char *p = a[0] == '#' ? a + 1 : a;
	if (!strncmp(a, "label:", 6) || !strcmp(a, "latest"))
		return true;
	if (!strncmp(a, "latest~", 7))
		p = a + 7;
	if (!*p)
		return false;
	for (; *p; p++)
		if (!isdigit((unsigned char)*p))
			return false;
	return access(a, F_OK) != 0;
}

char *run_git_commit(const char *dir)
{
	char *argv[] = { "git", "-C", (char *)dir, "rev-parse", "--verify",
			 "-q", "HEAD", NULL };
	posix_spawn_file_actions_t fa;
	char buf[128];
	size_t n = 0;
	ssize_t got;
	int fds[2], status = 0;
	pid_t pid;
	if (!dir || pipe(fds) != 0)
		return NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addclose(&fa, fds[0]);
	if (posix_spawnp(&pid, "git", &fa, NULL, argv, environ) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		close(fds[0]);
		close(fds[1]);
		return NULL;
	}
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	while (n < sizeof buf - 1 &&
	       (got = read(fds[0], buf + n, sizeof buf - 1 - n)) > 0)
		n += (size_t)got;
	close(fds[0]);
	waitpid(pid, &status, 0);
	buf[n] = '\0';
	while (n && isspace((unsigned char)buf[n - 1]))
		buf[--n] = '\0';
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || n != 40)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)buf[i]))
			return NULL;
	return xstrdup(buf);
}
