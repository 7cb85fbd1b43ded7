/* curl_dl.c — libcurl, loaded when first used.
 *
 * Why this exists: Debian's libcurl pulls in some thirty shared libraries
 * (TLS, Kerberos, LDAP, SSH, IDN, …) whose loading and relocation cost
 * about 4 ms at every start — more than everything else together — and
 * `assay --version` must start in under 5 ms.  So the binary does not
 * link libcurl: this file defines the libcurl functions assay calls, and
 * the first call dlopen()s libcurl.so.4 and forwards to the real ones.
 * Call sites use the ordinary <curl/curl.h> API unchanged.
 *
 * Variadic options are forwarded by their documented type ranges
 * (CURLOPTTYPE_LONG < 10000 ≤ OBJECTPOINT < 20000 ≤ FUNCTIONPOINT < 30000
 * ≤ OFF_T): each option takes exactly one argument of that type.
 * curl_easy_getinfo's argument is always a pointer.  If libcurl cannot be
 * loaded the program stops with a message naming the Debian package. */
#define CURL_DISABLE_TYPECHECK /* we define the functions it wraps */
#include <curl/curl.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#define CURL_FUNCS(X)                                                         \
	X(CURLcode, curl_global_init, (long flags))                           \
	X(void, curl_global_cleanup, (void))                                  \
	X(CURL *, curl_easy_init, (void))                                     \
	X(void, curl_easy_cleanup, (CURL * h))                                \
	X(void, curl_easy_reset, (CURL * h))                                  \
	X(CURLcode, curl_easy_perform, (CURL * h))                            \
	X(const char *, curl_easy_strerror, (CURLcode c))                     \
	X(CURLcode, curl_easy_setopt, (CURL * h, CURLoption o, ...))          \
	X(CURLcode, curl_easy_getinfo, (CURL * h, CURLINFO i, ...))           \
	X(struct curl_slist *, curl_slist_append,                             \
	  (struct curl_slist * l, const char *s))                             \
	X(void, curl_slist_free_all, (struct curl_slist * l))                 \
	X(time_t, curl_getdate, (const char *p, const time_t *unused))        \
	X(CURLM *, curl_multi_init, (void))                                   \
	X(CURLMcode, curl_multi_cleanup, (CURLM * m))                         \
	X(CURLMcode, curl_multi_add_handle, (CURLM * m, CURL * h))            \
	X(CURLMcode, curl_multi_remove_handle, (CURLM * m, CURL * h))         \
	X(CURLMcode, curl_multi_perform, (CURLM * m, int *running))           \
	X(CURLMcode, curl_multi_socket_action,                                \
	  (CURLM * m, curl_socket_t s, int ev, int *running))                 \
	X(CURLMsg *, curl_multi_info_read, (CURLM * m, int *left))            \
	X(CURLMcode, curl_multi_poll,                                         \
	  (CURLM * m, struct curl_waitfd * fds, unsigned n, int ms, int *numfds)) \
	X(CURLMcode, curl_multi_setopt, (CURLM * m, CURLMoption o, ...))

static struct {
#define X(ret, name, args) ret(*name) args;
	CURL_FUNCS(X)
#undef X
} real;

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void)
{
	void *h = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
	if (!h)
		h = dlopen("libcurl-gnutls.so.4", RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		fprintf(stderr, "assay: cannot load libcurl (%s); install the "
				"Debian package libcurl4\n", dlerror());
		exit(1);
	}
#define X(ret, name, args)                                                    \
	*(void **)&real.name = dlsym(h, #name);                               \
	if (!real.name) {                                                     \
		fprintf(stderr, "assay: libcurl lacks %s\n", #name);          \
		exit(1);                                                      \
	}
	CURL_FUNCS(X)
#undef X
}

#define LOAD() pthread_once(&once, load)

CURLcode curl_global_init(long flags)
{
	LOAD();
	return real.curl_global_init(flags);
}

void curl_global_cleanup(void)
{
	LOAD();
	real.curl_global_cleanup();
}

CURL *curl_easy_init(void)
{
	LOAD();
	return real.curl_easy_init();
}

void curl_easy_cleanup(CURL *h)
{
	LOAD();
	real.curl_easy_cleanup(h);
}

void curl_easy_reset(CURL *h)
{
	LOAD();
	real.curl_easy_reset(h);
}

CURLcode curl_easy_perform(CURL *h)
{
	LOAD();
	return real.curl_easy_perform(h);
}

const char *curl_easy_strerror(CURLcode c)
{
	LOAD();
	return real.curl_easy_strerror(c);
}

CURLcode curl_easy_setopt(CURL *h, CURLoption o, ...)
{
	va_list ap;
	CURLcode rc;
	LOAD();
	va_start(ap, o);
	if (o < CURLOPTTYPE_OBJECTPOINT)
		rc = real.curl_easy_setopt(h, o, va_arg(ap, long));
	else if (o < CURLOPTTYPE_OFF_T)
		rc = real.curl_easy_setopt(h, o, va_arg(ap, void *));
	else
		rc = real.curl_easy_setopt(h, o, va_arg(ap, curl_off_t));
	va_end(ap);
	return rc;
}

CURLcode curl_easy_getinfo(CURL *h, CURLINFO i, ...)
{
	va_list ap;
	CURLcode rc;
	LOAD();
	va_start(ap, i);
	rc = real.curl_easy_getinfo(h, i, va_arg(ap, void *));
	va_end(ap);
	return rc;
}

struct curl_slist *curl_slist_append(struct curl_slist *l, const char *s)
{
	LOAD();
	return real.curl_slist_append(l, s);
}

void curl_slist_free_all(struct curl_slist *l)
{
	LOAD();
	real.curl_slist_free_all(l);
}

time_t curl_getdate(const char *p, const time_t *unused)
{
	LOAD();
	return real.curl_getdate(p, unused);
}

CURLM *curl_multi_init(void)
{
	LOAD();
	return real.curl_multi_init();
}

CURLMcode curl_multi_cleanup(CURLM *m)
{
	LOAD();
	return real.curl_multi_cleanup(m);
}

CURLMcode curl_multi_add_handle(CURLM *m, CURL *h)
{
	LOAD();
	return real.curl_multi_add_handle(m, h);
}

CURLMcode curl_multi_remove_handle(CURLM *m, CURL *h)
{
	LOAD();
	return real.curl_multi_remove_handle(m, h);
}

CURLMcode curl_multi_perform(CURLM *m, int *running)
{
	LOAD();
	return real.curl_multi_perform(m, running);
}

CURLMcode curl_multi_socket_action(CURLM *m, curl_socket_t s, int ev,
				   int *running)
{
	LOAD();
	return real.curl_multi_socket_action(m, s, ev, running);
}

CURLMsg *curl_multi_info_read(CURLM *m, int *left)
{
	LOAD();
	return real.curl_multi_info_read(m, left);
}

CURLMcode curl_multi_poll(CURLM *m, struct curl_waitfd *fds, unsigned n,
			  int ms, int *numfds)
{
	LOAD();
	return real.curl_multi_poll(m, fds, n, ms, numfds);
}

CURLMcode curl_multi_setopt(CURLM *m, CURLMoption o, ...)
{
	va_list ap;
	CURLMcode rc;
	LOAD();
	va_start(ap, o);
	if (o < CURLOPTTYPE_OBJECTPOINT)
		rc = real.curl_multi_setopt(m, o, va_arg(ap, long));
	else if (o < CURLOPTTYPE_OFF_T)
		rc = real.curl_multi_setopt(m, o, va_arg(ap, void *));
	else
		rc = real.curl_multi_setopt(m, o, va_arg(ap, curl_off_t));
	va_end(ap);
	return rc;
}
