/* redact.c — the registry of secret values and their removal from text
 * (see redact.h).
 *
 * A handful of secrets and texts of at most a few MB: a memmem per secret
 * is fast enough, and simpler to trust than a multi-pattern automaton.
 * The longest secret is replaced first, so a key that contains another
 * registered value is removed whole. */
#include "redact.h"
#include "buf.h"
#include "xalloc.h"

#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t fork_once = PTHREAD_ONCE_INIT;

/* The store's writer thread redacts while the run loop forks grading
 * children: a fork while that thread holds `mu` would leave the child's
 * copy locked forever (an error message in the child hangs it).  So fork
 * waits for `mu` and both sides release it. */
static void fork_prepare(void)
{
	pthread_mutex_lock(&mu);
}

static void fork_release(void)
{
	pthread_mutex_unlock(&mu);
}

static void fork_register(void)
{
	pthread_atfork(fork_prepare, fork_release, fork_release);
}

static void lock(void)
{
	pthread_once(&fork_once, fork_register);
	pthread_mutex_lock(&mu);
}

static char **secrets;          /* longest first */
static size_t n_secrets, cap_secrets;

static void add_locked(const char *s, size_t n)
{
	size_t at;
	if (n < REDACT_MIN_LEN)
		return;
	for (size_t i = 0; i < n_secrets; i++)
		if (strlen(secrets[i]) == n && !memcmp(secrets[i], s, n))
			return;
	secrets = xgrow(secrets, &cap_secrets, n_secrets + 1,
			sizeof *secrets);
	for (at = 0; at < n_secrets && strlen(secrets[at]) >= n; at++)
		;
	memmove(secrets + at + 1, secrets + at,
		(n_secrets - at) * sizeof *secrets);
	secrets[at] = xstrndup(s, n);
	n_secrets++;
}

void redact_add(const char *secret)
{
	struct buf esc = {0};
	size_t n;
	if (!secret)
		return;
	n = strlen(secret);
	/* surrounding blanks are not part of a key */
	while (n && isspace((unsigned char)*secret)) {
		secret++;
		n--;
	}
	while (n && isspace((unsigned char)secret[n - 1]))
		n--;
	buf_json_escape(&esc, secret, n);
	lock();
	add_locked(secret, n);
	if (esc.len != n || memcmp(esc.p, secret, n))
		add_locked(esc.p, esc.len);
	pthread_mutex_unlock(&mu);
	buf_free(&esc);
}

static bool name_has(const char *name, const char *const *words)
{
	char low[128];
	size_t i;
	for (i = 0; name[i] && i + 1 < sizeof low; i++)
		low[i] = (char)tolower((unsigned char)name[i]);
	low[i] = '\0';
	for (int w = 0; words[w]; w++)
		if (strstr(low, words[w]))
			return true;
	return false;
}

bool redact_secret_name(const char *name)
{
	static const char *const words[] = { "key", "token", "secret",
		"password", "passwd", "authorization", "cookie", "credential",
		NULL };
	return name && name_has(name, words);
}

void redact_add_header(const char *name, const char *value)
{
	static const char *const harmless[] = { "content-type", "accept",
		"accept-encoding", "accept-language", "user-agent",
		"content-encoding", "cache-control", "connection", "expect",
		"content-length", NULL };
	char low[64];
	size_t i;
	if (!name || !value)
		return;
	for (i = 0; name[i] && i + 1 < sizeof low; i++)
		low[i] = (char)tolower((unsigned char)name[i]);
	low[i] = '\0';
	for (int h = 0; harmless[h]; h++)
		if (!strcmp(low, harmless[h]))
			return;
	redact_add(value);
	/* "Bearer sk-…", "Basic dXNlcjpwYXNz": the credential alone too */
	{
		const char *sp = strchr(value, ' ');
		if (sp && sp - value < 16 && sp[1])
			redact_add(sp + 1);
	}
}

bool redact_url_userinfo(const char *url, size_t *off, size_t *len)
{
	const char *p = url, *auth, *end, *at;
	if (!url)
		return false;
	while (isalnum((unsigned char)*p) || *p == '+' || *p == '-' ||
	       *p == '.')
		p++;
	if (p == url || strncmp(p, "://", 3) != 0)
		return false;
	auth = p + 3;
	end = auth + strcspn(auth, "/?#");
	at = NULL;
	for (const char *q = auth; q < end; q++)
		if (*q == '@')
			at = q;        /* the last '@' ends the userinfo */
	if (!at || at == auth)
		return false;
	*off = (size_t)(auth - url);
	*len = (size_t)(at - auth);
	return true;
}

void redact_add_url(const char *url)
{
	size_t off, len;
	char *ui, *colon;
	if (!redact_url_userinfo(url, &off, &len))
		return;
	ui = xstrndup(url + off, len);
	redact_add(ui);
	colon = strchr(ui, ':');
	if (colon)
		redact_add(colon + 1);
	free(ui);
}

void redact_add_env(void)
{
	/* not "auth": GIT_AUTHOR_NAME is no secret, and redacting a
	 * name from every output would be wrong */
	static const char *const words[] = { "key", "token", "secret",
		"password", "passwd", "credential", NULL };
	for (char **e = environ; e && *e; e++) {
		const char *eq = strchr(*e, '=');
		char name[128];
		size_t n;
		if (!eq)
			continue;
		n = (size_t)(eq - *e);
		if (n >= sizeof name)
			continue;
		memcpy(name, *e, n);
		name[n] = '\0';
		if (name_has(name, words))
			redact_add(eq + 1);
		else if (strstr(eq + 1, "://"))
			redact_add_url(eq + 1);
	}
}

/* Replaces every secret in [s, s+n) into *out (allocated on the first
 * hit).  Returns true when anything was replaced.  Caller holds mu. */
static bool scrub_locked(const char *s, size_t n, struct buf *out)
{
	bool hit = false;
	struct buf cur = {0};
	const char *text = s;
	size_t len = n;
	for (size_t k = 0; k < n_secrets; k++) {
		const char *sec = secrets[k];
		size_t sl = strlen(sec);
		const char *p = text, *end = text + len, *q;
		struct buf next = {0};
		if (!memmem(text, len, sec, sl))
			continue;
		while ((q = memmem(p, (size_t)(end - p), sec, sl)) != NULL) {
			buf_append(&next, p, (size_t)(q - p));
			buf_puts(&next, REDACT_MARK);
			p = q + sl;
		}
		buf_append(&next, p, (size_t)(end - p));
		buf_free(&cur);
		cur = next;
		text = buf_str(&cur);
		len = cur.len;
		hit = true;
	}
	if (hit)
		*out = cur;
	return hit;
}

char *redact_dup(const char *s, size_t n)
{
	struct buf out = {0};
	bool hit;
	if (!s)
		return NULL;
	lock();
	hit = n_secrets && scrub_locked(s, n, &out);
	pthread_mutex_unlock(&mu);
	return hit ? buf_detach(&out) : NULL;
}

bool redact_buf(char *buf, size_t cap)
{
	char *r;
	size_t n;
	if (!buf || !cap)
		return false;
	r = redact_dup(buf, strnlen(buf, cap));
	if (!r)
		return false;
	n = strlen(r);
	if (n >= cap)
		n = cap - 1;
	memcpy(buf, r, n);
	buf[n] = '\0';
	free(r);
	return true;
}

void redact_clear(void)
{
	lock();
	for (size_t i = 0; i < n_secrets; i++)
		free(secrets[i]);
	free(secrets);
	secrets = NULL;
	n_secrets = cap_secrets = 0;
	pthread_mutex_unlock(&mu);
}
