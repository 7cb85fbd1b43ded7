/* pq_dl.c — libpq, loaded when first used (a `--db postgres://…` store).
 *
 * Why: libpq links OpenSSL, Kerberos (GSSAPI) and OpenLDAP, whose loading
 * took `assay --version` from about 6 ms to 17 ms on the build machine
 * (median of 40, both builds side by side) at every start of every
 * command, most of which never open PostgreSQL; `--version` must start in
 * under 5 ms.  This file defines the libpq functions src/store/db_pg.c
 * calls and forwards them to libpq.so.5 opened on first use.  Same pattern
 * as curl_dl.c and mhd_dl.c; a function db_pg.c starts to call is one line
 * in PQ_FUNCS. */
#include <dlfcn.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

/* X(return type, name, (parameters), (arguments)) */
#define PQ_FUNCS(X)                                                           \
	X(PGconn *, PQconnectdb, (const char *ci), (ci))                      \
	X(ConnStatusType, PQstatus, (const PGconn *c), (c))                   \
	X(char *, PQerrorMessage, (const PGconn *c), (c))                     \
	X(PQnoticeProcessor, PQsetNoticeProcessor,                            \
	  (PGconn *c, PQnoticeProcessor p, void *arg), (c, p, arg))           \
	X(int, PQsetClientEncoding, (PGconn *c, const char *e), (c, e))       \
	X(PGTransactionStatusType, PQtransactionStatus, (const PGconn *c), (c)) \
	X(PGresult *, PQexec, (PGconn *c, const char *q), (c, q))             \
	X(PGresult *, PQexecParams,                                           \
	  (PGconn *c, const char *q, int n, const Oid *t,                     \
	   const char *const *v, const int *l, const int *f, int rf),         \
	  (c, q, n, t, v, l, f, rf))                                          \
	X(PGresult *, PQprepare,                                              \
	  (PGconn *c, const char *name, const char *q, int n, const Oid *t),  \
	  (c, name, q, n, t))                                                 \
	X(int, PQsendQueryPrepared,                                           \
	  (PGconn *c, const char *name, int n, const char *const *v,          \
	   const int *l, const int *f, int rf), (c, name, n, v, l, f, rf))    \
	X(int, PQsetSingleRowMode, (PGconn *c), (c))                          \
	X(PGresult *, PQgetResult, (PGconn *c), (c))                          \
	X(PGresult *, PQdescribePrepared, (PGconn *c, const char *n), (c, n)) \
	X(ExecStatusType, PQresultStatus, (const PGresult *r), (r))           \
	X(char *, PQresultErrorMessage, (const PGresult *r), (r))             \
	X(char *, PQresultErrorField, (const PGresult *r, int f), (r, f))     \
	X(char *, PQcmdStatus, (PGresult *r), (r))                            \
	X(char *, PQcmdTuples, (PGresult *r), (r))                            \
	X(int, PQntuples, (const PGresult *r), (r))                           \
	X(int, PQnfields, (const PGresult *r), (r))                           \
	X(int, PQgetisnull, (const PGresult *r, int t, int f), (r, t, f))     \
	X(char *, PQgetvalue, (const PGresult *r, int t, int f), (r, t, f))   \
	X(int, PQgetlength, (const PGresult *r, int t, int f), (r, t, f))     \
	X(PQconninfoOption *, PQconninfoParse, (const char *ci, char **e),    \
	  (ci, e))
/* The functions without a result: V(name, (parameters), (arguments)) */
#define PQ_VOIDS(V)                                                           \
	V(PQfinish, (PGconn *c), (c))                                         \
	V(PQclear, (PGresult *r), (r))                                        \
	V(PQconninfoFree, (PQconninfoOption *o), (o))

static struct {
#define X(ret, name, params, args) ret(*name) params;
#define V(name, params, args) void(*name) params;
	PQ_FUNCS(X)
	PQ_VOIDS(V)
#undef V
#undef X
} real;

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void)
{
	void *h = dlopen("libpq.so.5", RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		fprintf(stderr, "assay: cannot load libpq (%s); install the "
				"Debian package libpq5\n", dlerror());
		exit(1);
	}
#define SYM(name)                                                             \
	*(void **)&real.name = dlsym(h, #name);                               \
	if (!real.name) {                                                     \
		fprintf(stderr, "assay: libpq lacks %s\n", #name);            \
		exit(1);                                                      \
	}
#define X(ret, name, params, args) SYM(name)
#define V(name, params, args) SYM(name)
	PQ_FUNCS(X)
	PQ_VOIDS(V)
#undef V
#undef X
#undef SYM
}

#define X(ret, name, params, args)                                           \
	ret name params                                                       \
	{                                                                     \
		pthread_once(&once, load);                                    \
		return real.name args;                                        \
	}
#define V(name, params, args)                                                 \
	void name params                                                      \
	{                                                                     \
		pthread_once(&once, load);                                    \
		real.name args;                                               \
	}
PQ_FUNCS(X)
PQ_VOIDS(V)
#undef V
#undef X
