/* view_http.c — the HTTP side of `assay view` (view.h): the daemon, the
 * request body (size-capped), the checks every request passes (token or
 * loopback Host, then for POST the CSRF token, JSON content type and
 * same origin), the built-in files and the security headers of every
 * reply.  The API itself is view_api.c.
 *
 * Why one internal polling thread: the store handle may be used by one
 * thread at a time, and grading is one small request; a local app needs
 * no more.  Why the Host check: without a token, a web page elsewhere
 * could point a DNS name at 127.0.0.1 and read the app as same-origin;
 * the browser still sends that name as Host, so it is refused. */
#include "view_int.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../report/report_html_assets.h"
#include "../util/utf8.h"
#include "../util/xalloc.h"

#define URL_MAX 1024

static const char app_csp[] =
	"default-src 'none'; script-src 'self'; style-src 'self'; "
	"img-src 'self' data:; connect-src 'self'; frame-src 'self'; "
	"frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

struct req {
	struct buf body;
	bool too_large;
};

/* ------------------------------------------------------------ replies */

void view_json(struct view_reply *r, unsigned status, json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_ESCAPE_SLASH);
	json_decref(j);
	r->status = status;
	r->type = "application/json";
	buf_reset(&r->body);
	buf_puts(&r->body, s ? s : "null");
	free(s);
}

void view_error(struct view_reply *r, unsigned status, const char *fmt, ...)
{
	char msg[1200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	view_json(r, status, json_pack("{s:o}", "error", view_jstr(msg, 0, NULL)));
}

json_t *view_jnum(double v)
{
	return v == v && v - v == 0 ? json_real(v) : json_null();
}

json_t *view_jstr(const char *s, size_t max, bool *cut)
{
	struct buf b = { 0 };
	size_t n, i = 0;
	json_t *j;
	if (cut)
		*cut = false;
	if (!s)
		return json_null();
	n = strlen(s);
	while (i < n) {
		uint32_t cp;
		size_t l = utf8_decode(s + i, n - i, &cp);
		if (max && b.len + (l ? l : 3) > max) {
			if (cut)
				*cut = true;
			break;
		}
		if (l) {
			buf_append(&b, s + i, l);
			i += l;
		} else {
			buf_puts(&b, UTF8_REPLACEMENT);
			i++;
		}
	}
	j = json_stringn(buf_str(&b), b.len);
	buf_free(&b);
	return j ? j : json_string("");
}

const char *view_arg(const struct view_args *a, const char *name, bool *bad)
{
	const char *v = a->c ? MHD_lookup_connection_value(a->c, MHD_GET_ARGUMENT_KIND, name)
		      : a->get(a->ud, name);
	if (v && strlen(v) > VIEW_ARG_MAX)
		*bad = true;
	return v;
}

static void reply_static(struct view_reply *r, const char *type, const char *text)
{
	r->status = MHD_HTTP_OK;
	r->type = type;
	buf_puts(&r->body, text);
}

static enum MHD_Result send_reply(struct MHD_Connection *c, struct view_reply *r)
{
	size_t len = r->body.len;
	char *p = buf_detach(&r->body);
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(len, p, MHD_RESPMEM_MUST_FREE);
	enum MHD_Result rc;
	if (!resp) {
		free(p);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->type);
	MHD_add_response_header(resp, "Content-Security-Policy", r->csp ? r->csp : app_csp);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "Cross-Origin-Resource-Policy", "same-origin");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (r->location)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, r->location);
	if (r->cookie)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE, r->cookie);
	if (r->cache)
		MHD_add_response_header(resp, "X-Assay-Cache", r->cache);
	rc = MHD_queue_response(c, r->status, resp);
	MHD_destroy_response(resp);
	return rc;
}

/* ------------------------------------------------------------ checks */

/* Compares without an early exit, so the time taken does not tell how
 * much of a guess was right. */
static bool same_secret(const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b);
	unsigned char d = na != nb;
	for (size_t i = 0; i < na; i++)
		d |= (unsigned char)(a[i] ^ b[i % (nb ? nb : 1)]);
	return d == 0;
}

static bool has_token(struct view_server *s, struct MHD_Connection *c)
{
	const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						    MHD_HTTP_HEADER_AUTHORIZATION);
	const char *k = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, "assay_token");
	if (h && !strncmp(h, "Bearer ", 7) && same_secret(h + 7, s->token))
		return true;
	return k && same_secret(k, s->token);
}

/* Without a token: Host must be this server's loopback name. */
static bool loopback_host(struct view_server *s, struct MHD_Connection *c)
{
	const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
	static const char *const names[] = { "127.0.0.1", "localhost", "[::1]" };
	char want[64];
	if (!h)
		return false;
	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		snprintf(want, sizeof want, "%s:%d", names[i], s->port);
		if (!strcmp(h, want) || (s->port == 80 && !strcmp(h, names[i])))
			return true;
	}
	return false;
}

/* A POST is accepted only with the CSRF token, a JSON body and, when the
 * browser names an Origin, this server's own. */
static bool post_allowed(struct view_server *s, struct MHD_Connection *c,
			 struct view_reply *r)
{
	const char *t = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-CSRF-Token");
	const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_CONTENT_TYPE);
	const char *o = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
	const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
	if (!t || !same_secret(t, s->csrf)) {
		view_error(r, MHD_HTTP_FORBIDDEN, "missing or wrong X-CSRF-Token header "
			   "(GET /api/session gives the token)");
		return false;
	}
	if (!ct || strncmp(ct, "application/json", 16)) {
		view_error(r, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
			   "the body must be JSON (Content-Type: application/json)");
		return false;
	}
	if (o) {
		char want[300];
		snprintf(want, sizeof want, "http://%s", host ? host : "");
		if (strcmp(o, want)) {
			view_error(r, MHD_HTTP_FORBIDDEN, "cross-origin request refused");
			return false;
		}
	}
	return true;
}

/* ------------------------------------------------------------ routing */

static void route(struct view_server *s, struct MHD_Connection *c,
		  const char *url, const char *method, struct req *rq,
		  struct view_reply *r)
{
	bool get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
	bool post = !strcmp(method, "POST");
	if (strlen(url) > URL_MAX) {
		view_error(r, MHD_HTTP_URI_TOO_LONG, "the URL is longer than %d bytes", URL_MAX);
		return;
	}
	if (s->token && !has_token(s, c)) {
		const char *q = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "token");
		if (get && !strcmp(url, "/") && q && same_secret(q, s->token)) {
			/* The link printed at start: trade it for a cookie and
			 * drop it from the address bar. */
			r->status = MHD_HTTP_SEE_OTHER;
			r->type = "text/plain";
			r->location = xstrdup("/");
			r->cookie = xasprintf("assay_token=%s; Path=/; HttpOnly; SameSite=Strict",
					      s->token);
			return;
		}
		view_error(r, MHD_HTTP_UNAUTHORIZED, "a token is required: open the link "
			   "`assay view` printed (/?token=…) or send Authorization: Bearer TOKEN");
		return;
	}
	if (!s->token && !loopback_host(s, c)) {
		view_error(r, MHD_HTTP_FORBIDDEN, "this server answers only to "
			   "127.0.0.1:%d or localhost:%d (Host header refused)", s->port, s->port);
		return;
	}
	if (!get && !post) {
		view_error(r, MHD_HTTP_METHOD_NOT_ALLOWED, "method %s is not allowed", method);
		return;
	}
	if (post) {
		if (rq->too_large) {
			view_error(r, MHD_HTTP_CONTENT_TOO_LARGE,
				   "the request body is larger than %d bytes", VIEW_BODY_MAX);
			return;
		}
		if (!post_allowed(s, c, r))
			return;
	}
	if (!strncmp(url, "/api/", 5)) {
		struct view_args a = { c, NULL, NULL };
		view_api(s, &a, method, url, buf_str(&rq->body), rq->body.len, r);
		return;
	}
	if (!get) {
		view_error(r, MHD_HTTP_METHOD_NOT_ALLOWED, "method %s is not allowed on %s",
			   method, url);
		return;
	}
	if (!strcmp(url, "/") || !strcmp(url, "/index.html"))
		reply_static(r, "text/html; charset=utf-8", view_index_html);
	else if (!strcmp(url, "/app.js"))
		reply_static(r, "text/javascript; charset=utf-8", view_app_js);
	else if (!strcmp(url, "/app.css"))
		reply_static(r, "text/css; charset=utf-8", view_app_css);
	else if (!strcmp(url, "/report.css"))
		reply_static(r, "text/css; charset=utf-8", report_html_css);
	else if (!strncmp(url, "/charts/", 8) && url[8] >= '1' && url[8] <= '9' &&
		 strspn(url + 8, "0123456789") == strlen(url + 8) && strlen(url + 8) < 16)
		view_charts(s, strtoll(url + 8, NULL, 10), r);
	else
		view_error(r, MHD_HTTP_NOT_FOUND, "no such file: only the app's own "
			   "files are served");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
				  const char *url, const char *method,
				  const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	struct view_server *s = cls;
	struct req *rq = *con_cls;
	struct view_reply r = { 0 };
	enum MHD_Result rc;
	(void)version;
	if (!rq) {
		const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
							     MHD_HTTP_HEADER_CONTENT_LENGTH);
		rq = xcalloc(1, sizeof *rq);
		*con_cls = rq;
		if (cl && strtoull(cl, NULL, 10) > VIEW_BODY_MAX)
			rq->too_large = true;
		return MHD_YES;
	}
	if (*upload_size) {
		/* Past the cap the rest is read and dropped and the 413 goes
		 * out at the end (answering mid-upload resets the connection). */
		if (!rq->too_large && rq->body.len + *upload_size > VIEW_BODY_MAX) {
			rq->too_large = true;
			buf_free(&rq->body);
		} else if (!rq->too_large) {
			buf_append(&rq->body, upload, *upload_size);
		}
		*upload_size = 0;
		return MHD_YES;
	}
	route(s, c, url, method, rq, &r);
	if (!r.type) {
		r.type = "text/plain";
		r.status = r.status ? r.status : MHD_HTTP_INTERNAL_SERVER_ERROR;
	}
	rc = send_reply(c, &r);
	buf_free(&r.body);
	free(r.location);
	free(r.cookie);
	return rc;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct req *rq = *con_cls;
	(void)cls; (void)c; (void)toe;
	if (rq) {
		buf_free(&rq->body);
		free(rq);
	}
	*con_cls = NULL;
}

/* ------------------------------------------------------------ start, stop */

bool view_host_is_loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;
	if (!strcmp(host, "localhost"))
		return true;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, host, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6);
	return false;
}

static int check_token(const char *t, struct err *err)
{
	size_t n = strlen(t);
	if (n < 16 || n > 200 || strspn(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				       "0123456789._~-") != n)
		return err_set(err, ST_USAGE, "--token must be 16 to 200 characters "
			       "from A-Z a-z 0-9 . _ ~ - (e.g. `openssl rand -hex 16`)");
	return 0;
}

/* 32 bytes from the kernel as hex: the CSRF token and the default seed. */
static void random_hex(char out[65], uint64_t *seed)
{
	unsigned char b[32] = { 0 };
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	bool ok = fd >= 0 && read(fd, b, sizeof b) == (ssize_t)sizeof b;
	if (fd >= 0)
		close(fd);
	if (!ok) {  /* never seen on Linux; still not a constant */
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		uint64_t x = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ (uint64_t)getpid();
		for (size_t i = 0; i < sizeof b; i++) {
			x ^= x << 13; x ^= x >> 7; x ^= x << 17;
			b[i] = (unsigned char)x;
		}
	}
	for (size_t i = 0; i < sizeof b; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
	memcpy(seed, b, sizeof *seed);
}

int view_start(const struct view_config *cfg, struct store *st,
	       struct view_server **out, struct err *err)
{
	const char *host = cfg->host ? cfg->host : "127.0.0.1";
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE }, *ai = NULL;
	struct sockaddr_storage ss = { 0 };
	struct view_server *s;
	const union MHD_DaemonInfo *info;
	char ps[16];
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL;
	int rc;

	*out = NULL;
	if (cfg->port < 0 || cfg->port > 65535)
		return err_set(err, ST_USAGE, "port %d is out of range 0..65535", cfg->port);
	if (cfg->token && check_token(cfg->token, err))
		return ST_USAGE;
	if (store_read_cache(st, VIEW_READ_CACHE_KIB, err))
		return err->code;
	if (!cfg->token && !view_host_is_loopback(host))
		return err_set(err, ST_USAGE, "--host %s is not a loopback address: anyone "
			       "who can reach it could read and grade; give --token TOKEN too", host);
	snprintf(ps, sizeof ps, "%d", cfg->port);
	if ((rc = getaddrinfo(host, ps, &hints, &ai)))
		return err_set(err, ST_USAGE, "cannot resolve host '%s': %s", host, gai_strerror(rc));
	memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(ai);
	s = xcalloc(1, sizeof *s);
	s->st = st;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	s->token = xstrdup(cfg->token);
	s->per_item = cfg->reviewers_per_item;
	random_hex(s->csrf, &s->seed);
	if (cfg->seed_set)
		s->seed = cfg->seed;
	s->rng = s->seed ^ 0x2545F4914F6CDD1Dull;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	s->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)256,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
		MHD_OPTION_END);
	if (!s->d) {
		view_stop(s);
		return err_set(err, ST_NET, "cannot listen on %s port %d (in use, or "
			       "not an address of this machine?  --port 0 picks a "
			       "free port)", host, cfg->port);
	}
	info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	s->port = info ? info->port : cfg->port;
	if (cfg->db_path)
		(void)view_charts_warm_start(s, cfg->db_path);   /* else: drawn on view */
	*out = s;
	return 0;
}

int view_port(const struct view_server *s)
{
	return s->port;
}

void view_stop(struct view_server *s)
{
	if (!s)
		return;
	view_charts_warm_stop(s);
	if (s->d)
		MHD_stop_daemon(s->d);
	view_charts_free(s);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	free(s->token);
	free(s);
}
