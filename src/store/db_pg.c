/* db_pg.c — db.h over PostgreSQL (libpq).
 *
 * SQL arrives in the dialect db.h describes and is rewritten once, at
 * prepare time, outside quoted strings, identifiers and comments:
 * placeholders `?N` become `$N`, and the SQLite type names become
 * PostgreSQL's 64-bit ones (INTEGER → BIGINT, REAL → DOUBLE PRECISION,
 * BLOB → BYTEA), so `CAST(x AS REAL)` stays a double and `CAST(x AS
 * INTEGER)` does not overflow at 2^31.  DDL (db_exec_ddl) also turns
 * `id INTEGER PRIMARY KEY` into an identity column and any other
 * `x INTEGER PRIMARY KEY` into a BIGINT key, and drops AUTOINCREMENT;
 * it runs under an advisory lock, so processes opening one new database at
 * once create its tables one after the other.
 *
 * A statement is PQprepare'd on its first run, with every parameter's type
 * left to the server; when the server cannot infer one (`?1 IS NULL`,
 * SQLSTATE 42P18) it is prepared again with the types of the bound values
 * (int8, float8, text).  Parameters travel as text: integers in decimal,
 * doubles with 17 significant digits; results are read as text, and the
 * session's extra_float_digits = 3 makes the server print the shortest
 * text that reads back as the same double, so a double round-trips
 * exactly.
 *
 * Rows are read in libpq's single-row mode: PQsendQueryPrepared, then one
 * PGresult per row, freed at the next db_step, so a walk over 100k rows
 * holds one row at a time.  One connection runs one command at a time, and
 * the store's exports walk the results while reading each one's assertion
 * rows; so a read (SELECT / WITH) started while a walk is part way and no
 * transaction is open runs on a second, reading connection (opened on
 * first need, same URL and settings; outside a transaction both see the
 * same committed rows).  Anything else that needs the connection part way
 * through a walk (a write, db_exec, a transaction call, db_has_column, a
 * read inside a transaction) first reads the walk's remaining rows into
 * memory ("spilled"); only such a walk holds its rest in memory.
 * Resetting a statement part way reads and discards its rest.
 *
 * Locks: a PostgreSQL writer waits on another's row locks, up to
 * lock_timeout (the busy timeout, at least 1 ms: 0 would mean "forever");
 * a failure with SQLSTATE 40001 (serialization), 40P01 (deadlock) or 55P03
 * (lock not available) sets db_busy.
 *
 * Every message is "TARGET: what failed: the server's message" with the
 * target redacted (postgres://user:***@host/db, password=*** in the query
 * string) and any occurrence of the password removed from the server's
 * text too.  The server's notices ("relation already exists, skipping")
 * are dropped.
 *
 * libpq itself is opened on first use (src/util/pq_dl.c defines the PQ*
 * functions called here), so a command that never opens PostgreSQL does
 * not load it. */
#include "db_int.h"

#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "../util/buf.h"
#include "../util/xalloc.h"

/* Type OIDs (pg_type.dat), for a re-prepare with the bound types. */
enum { OID_INT8 = 20, OID_TEXT = 25, OID_FLOAT8 = 701 };
/* The advisory lock schema changes hold ("assa" in ASCII). */
enum { DDL_LOCK_KEY = 0x61737361 };

struct pg;

enum pst_state {
	PS_IDLE,       /* not run since the last bind / reset */
	PS_STREAM,     /* running, rows come from the connection */
	PS_SPILLED,    /* running, the rest of the rows are in `spill` */
	PS_DONE        /* finished (DB_DONE or an error was returned) */
};

struct pst {
	struct db_stmt head;
	struct pg *pg;
	char *sql;             /* rewritten: $N, PostgreSQL types */
	char name[32];         /* the server-side prepared statement, "" if none */
	int nparams;
	char **vals;           /* nparams bound values (owned), NULL = NULL */
	Oid *types;            /* what was bound: OID_INT8 / FLOAT8 / TEXT / 0 */
	enum pst_state state;
	PGresult *row;         /* the current row (a one-row result), or NULL */
	PGresult **spill;      /* rows read ahead, each a one-row result */
	size_t nspill, ispill, capspill;
	PGresult *spill_err;   /* the error that ended the spilled stream */
	int64_t spill_changes;
	int ncols;             /* -1 until known */
	bool is_read;          /* SELECT / WITH: may run on the reader */
	struct pg *on;         /* the connection of the current run */
	char rname[32];        /* prepared on the reader as, "" if not */
};

struct pg {
	struct db head;
	PGconn *c;
	char *password;        /* from the URL, to scrub messages; or NULL */
	struct pst *active;    /* the statement streaming on the connection */
	unsigned next_name;
	int busy_ms;
	bool in_tx;            /* between db_begin_write and commit/rollback */
	char *url;             /* as given (for the reader); owned */
	struct pg *reader;     /* the second connection, or NULL */
	bool reader_failed;    /* it could not be opened: spill instead */
};

static const struct db_ops pg_ops;
struct db_stmt;
static void pg_finalize(struct db_stmt *h);
static int server_prepare(struct pst *q, const Oid *types, struct err *err);

/* ---------------------------------------------------------- messages */

/* The URL with its password (user:PASS@ or password=PASS) as "***". */
static char *redact_url(const char *url)
{
	struct buf b = {0};
	const char *auth = strstr(url, "://");
	const char *end, *at = NULL, *colon = NULL, *p;
	if (!auth)
		return xstrdup(url);
	auth += 3;
	end = auth + strcspn(auth, "/?");
	for (p = auth; p < end; p++)
		if (*p == '@')
			at = p;
	if (at)
		for (p = auth; p < at; p++)
			if (*p == ':') {
				colon = p;
				break;
			}
	if (colon) {
		buf_append(&b, url, (size_t)(colon + 1 - url));
		buf_puts(&b, "***");
		p = at;
	} else {
		p = url;
	}
	/* password=… in the query string */
	while (*p) {
		const char *q = strstr(p, "password=");
		if (!q || (q > url && q[-1] != '?' && q[-1] != '&')) {
			if (!q) {
				buf_puts(&b, p);
				break;
			}
			buf_append(&b, p, (size_t)(q + 9 - p));
			p = q + 9;
			continue;
		}
		buf_append(&b, p, (size_t)(q + 9 - p));
		buf_puts(&b, "***");
		p = q + 9 + strcspn(q + 9, "&#");
	}
	return buf_detach(&b);
}

/* Copies `msg` into `out` (size n) with every occurrence of `secret`
 * replaced by "***" and the trailing newline removed. */
static void scrub(const char *msg, const char *secret, char *out, size_t n)
{
	struct buf b = {0};
	size_t sl = secret ? strlen(secret) : 0;
	const char *p = msg ? msg : "";
	while (*p) {
		if (sl && strncmp(p, secret, sl) == 0) {
			buf_puts(&b, "***");
			p += sl;
		} else {
			buf_putc(&b, *p++);
		}
	}
	while (b.len && (b.p[b.len - 1] == '\n' || b.p[b.len - 1] == ' '))
		b.p[--b.len] = '\0';
	snprintf(out, n, "%s", buf_str(&b));
	buf_free(&b);
}

/* Sets err from a failed result (or the connection's message when `r` is
 * NULL) and db_busy from its SQLSTATE.  Returns ST_DB. */
static int fail(struct pg *pg, const PGresult *r, const char *what,
		struct err *err)
{
	char msg[768], both[768];
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	const char *text = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY)
			     : NULL;
	const char *detail = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL)
			       : NULL;
	if (text && detail) {  /* "duplicate key …" (Key (u)=(c) already exists.) */
		snprintf(both, sizeof both, "%s (%s)", text, detail);
		text = both;
	}
	if (!text || !*text)
		text = PQerrorMessage(pg->c);
	pg->head.busy = state && (strcmp(state, "40001") == 0 ||
				  strcmp(state, "40P01") == 0 ||
				  strcmp(state, "55P03") == 0);
	scrub(text, pg->password, msg, sizeof msg);
	if (err)
		err_set(err, ST_DB, "%s: %s: %s", pg->head.target, what, msg);
	return ST_DB;
}

/* Drops the server's notices (CREATE … IF NOT EXISTS "skipping", …). */
static void no_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* ------------------------------------------------------- SQL rewrite */

static bool word_is(const char *w, size_t n, const char *kw)
{
	return strlen(kw) == n && strncasecmp(w, kw, n) == 0;
}

/* Reads the next word after `p` (skipping spaces) into w/n; returns the
 * position after it, or NULL when the next token is not a word. */
static const char *next_word(const char *p, const char **w, size_t *n)
{
	while (isspace((unsigned char)*p))
		p++;
	if (!isalpha((unsigned char)*p) && *p != '_')
		return NULL;
	*w = p;
	while (isalnum((unsigned char)*p) || *p == '_')
		p++;
	*n = (size_t)(p - *w);
	return p;
}

/* Rewrites `sql` for PostgreSQL (see the file's header); `ddl` adds the
 * key mappings.  *nparams is the highest ?N.  Returns an owned string. */
static char *rewrite(const char *sql, bool ddl, int *nparams)
{
	struct buf b = {0};
	const char *p = sql, *prev = NULL;  /* prev: the last word */
	size_t prevn = 0;
	*nparams = 0;
	while (*p) {
		char c = *p;
		if (c == '\'' || c == '"') {               /* '…' or "…" */
			const char *s = p++;
			while (*p && !(*p == c && p[1] != c))
				p += (*p == c) ? 2 : 1;
			if (*p)
				p++;
			buf_append(&b, s, (size_t)(p - s));
		} else if (c == '-' && p[1] == '-') {       /* -- comment */
			size_t n = strcspn(p, "\n");
			buf_append(&b, p, n);
			p += n;
		} else if (c == '/' && p[1] == '*') {       /* block comment */
			const char *e = strstr(p + 2, "*/");
			size_t n = e ? (size_t)(e + 2 - p) : strlen(p);
			buf_append(&b, p, n);
			p += n;
		} else if (c == '?' && isdigit((unsigned char)p[1])) {
			long v = strtol(p + 1, NULL, 10);
			if (v > *nparams && v < 65536)
				*nparams = (int)v;
			buf_putc(&b, '$');
			p++;
		} else if (isalpha((unsigned char)c) || c == '_') {
			const char *w = p, *w2, *w3, *after;
			size_t n, n2, n3;
			while (isalnum((unsigned char)*p) || *p == '_' || *p == '$')
				p++;
			n = (size_t)(p - w);
			if (word_is(w, n, "INTEGER")) {
				if (ddl && (after = next_word(p, &w2, &n2)) &&
				    word_is(w2, n2, "PRIMARY") &&
				    (after = next_word(after, &w3, &n3)) &&
				    word_is(w3, n3, "KEY")) {
					const char *w4;
					size_t n4;
					const char *a4 = next_word(after, &w4, &n4);
					if (a4 && word_is(w4, n4, "AUTOINCREMENT"))
						after = a4;
					buf_puts(&b, prev && word_is(prev, prevn, "id")
						 ? "BIGINT GENERATED BY DEFAULT AS IDENTITY"
						   " PRIMARY KEY"
						 : "BIGINT PRIMARY KEY");
					p = after;
				} else {
					buf_puts(&b, "BIGINT");
				}
			} else if (word_is(w, n, "REAL")) {
				buf_puts(&b, "DOUBLE PRECISION");
			} else if (word_is(w, n, "BLOB")) {
				buf_puts(&b, "BYTEA");
			} else if (ddl && word_is(w, n, "AUTOINCREMENT")) {
				/* dropped: an identity column counts by itself */
			} else {
				buf_append(&b, w, n);
			}
			prev = w;
			prevn = n;
		} else {
			if (!isspace((unsigned char)c))
				prev = NULL;
			buf_putc(&b, c);
			p++;
		}
	}
	return buf_detach(&b);
}

/* ------------------------------------------------------- statements */

static void clear_spill(struct pst *q)
{
	for (size_t i = q->ispill; i < q->nspill; i++)
		PQclear(q->spill[i]);
	q->nspill = q->ispill = 0;
	PQclear(q->spill_err);
	q->spill_err = NULL;
}

static int64_t changes_of(const PGresult *r)
{
	const char *cmd = PQcmdStatus((PGresult *)r);
	if (strncmp(cmd, "INSERT", 6) && strncmp(cmd, "UPDATE", 6) &&
	    strncmp(cmd, "DELETE", 6) && strncmp(cmd, "MERGE", 5))
		return -1;
	return strtoll(PQcmdTuples((PGresult *)r), NULL, 10);
}

/* Reads what is left of the active statement's stream into its spill
 * (keep) or discards it, so the connection is free for another command. */
static void release(struct pg *pg, bool keep)
{
	struct pst *q = pg->active;
	PGresult *r;
	if (!q)
		return;
	pg->active = NULL;
	while ((r = PQgetResult(pg->c))) {
		ExecStatusType st = PQresultStatus(r);
		if (keep && st == PGRES_SINGLE_TUPLE) {
			q->spill = xgrow(q->spill, &q->capspill, q->nspill + 1,
					 sizeof *q->spill);
			q->spill[q->nspill++] = r;
			continue;
		}
		if (keep && (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK))
			q->spill_changes = changes_of(r);
		else if (keep && !q->spill_err && st != PGRES_SINGLE_TUPLE)
			q->spill_err = r, r = NULL;
		PQclear(r);
	}
	q->state = keep ? PS_SPILLED : PS_DONE;
}

/* Ends the current run of q: discards rows not read, frees the row. */
static void stop(struct pst *q)
{
	if (q->on && q->on->active == q)
		release(q->on, false);
	q->on = NULL;
	clear_spill(q);
	PQclear(q->row);
	q->row = NULL;
	q->state = PS_IDLE;
}

static int pg_prepare(struct db *db, const char *sql, struct db_stmt **out,
		      struct err *err)
{
	struct pg *pg = (struct pg *)db;
	struct pst *q = xcalloc(1, sizeof *q);
	q->head.ops = &pg_ops;
	q->head.db = db;
	q->pg = pg;
	q->sql = rewrite(sql, false, &q->nparams);
	{
		const char *w = sql;
		while (isspace((unsigned char)*w) || *w == '(')
			w++;
		q->is_read = strncasecmp(w, "SELECT", 6) == 0 ||
			     strncasecmp(w, "WITH", 4) == 0;
	}
	q->vals = xcalloc((size_t)q->nparams + 1, sizeof *q->vals);
	q->types = xcalloc((size_t)q->nparams + 1, sizeof *q->types);
	q->ncols = -1;
	pg->head.busy = false;
	if (server_prepare(q, NULL, err)) {
		pg_finalize(&q->head);
		return ST_DB;
	}
	*out = &q->head;
	return 0;
}

static void set_val(struct db_stmt *h, int i, char *v, Oid type)
{
	struct pst *q = (struct pst *)h;
	if (q->state != PS_IDLE)
		stop(q);
	if (i < 1 || i > q->nparams) {
		free(v);
		return;
	}
	free(q->vals[i - 1]);
	q->vals[i - 1] = v;
	q->types[i - 1] = type;
}

static void pg_bind_int(struct db_stmt *q, int i, int64_t v)
{
	set_val(q, i, xasprintf("%" PRId64, v), OID_INT8);
}

static void pg_bind_double(struct db_stmt *q, int i, double v)
{
	if (!isfinite(v))
		set_val(q, i, NULL, 0);
	else
		set_val(q, i, xasprintf("%.17g", v), OID_FLOAT8);
}

static void pg_bind_text(struct db_stmt *q, int i, const char *s)
{
	set_val(q, i, s ? xstrdup(s) : NULL, s ? OID_TEXT : 0);
}

static void pg_bind_null(struct db_stmt *q, int i)
{
	set_val(q, i, NULL, 0);
}

/* Prepares q on the server under a new name: with every parameter's type
 * left to the server (types NULL), or with the bound values' types.  With
 * types NULL a parameter the server cannot type (SQLSTATE 42P18) is no
 * error: q is left unprepared, to be prepared at its first run with the
 * types then bound. */
static int prepare_on(struct pg *pg, struct pst *q, char *name,
		      const Oid *types, struct err *err)
{
	PGresult *r;
	const char *state;
	bool in_tx, ok;
	int rc = 0;
	release(pg, true);
	snprintf(name, 32, "a%u", ++pg->next_name);
	/* a failed prepare aborts an open transaction: under a savepoint
	 * there, it does not */
	in_tx = PQtransactionStatus(pg->c) == PQTRANS_INTRANS;
	if (in_tx)
		PQclear(PQexec(pg->c, "SAVEPOINT assay_prepare"));
	r = PQprepare(pg->c, name, q->sql, q->nparams, types);
	ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	if (in_tx)
		PQclear(PQexec(pg->c, ok ? "RELEASE SAVEPOINT assay_prepare"
			       : "ROLLBACK TO SAVEPOINT assay_prepare;"
				 " RELEASE SAVEPOINT assay_prepare"));
	if (!ok) {
		state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
		name[0] = '\0';
		if (!types && state && strcmp(state, "42P18") == 0)
			pg->head.busy = false;
		else
			rc = fail(pg, r, "preparing a statement", err);
	}
	PQclear(r);
	return rc;
}

static int server_prepare(struct pst *q, const Oid *types, struct err *err)
{
	return prepare_on(q->pg, q, q->name, types, err);
}

/* The reading connection, opened on first need; NULL when it cannot be. */
static struct pg *reader(struct pg *pg)
{
	struct db *d = NULL;
	struct err ignore = {0};
	if (!pg->reader && !pg->reader_failed) {
		if (db_pg_open(pg->url, pg->busy_ms, &d, &ignore))
			pg->reader_failed = true;
		else
			pg->reader = (struct pg *)d;
	}
	return pg->reader;
}

/* Prepares q on `on` (under `name`) if it is not yet: an untypable
 * parameter gets the bound integers' and doubles' types, text left to the
 * server; failing that, text and NULL as text. */
static int ensure_prepared(struct pg *on, struct pst *q, char *name,
			   struct err *err)
{
	Oid *t;
	int rc;
	if (name[0])
		return 0;
	if (on != q->pg && q->name[0])  /* typable: as on the main one */
		return prepare_on(on, q, name, NULL, err);
	t = xcalloc((size_t)q->nparams + 1, sizeof *t);
	for (int i = 0; i < q->nparams; i++)
		t[i] = q->types[i] == OID_TEXT ? 0 : q->types[i];
	rc = prepare_on(on, q, name, t, NULL);
	if (rc || !name[0]) {
		for (int i = 0; i < q->nparams; i++)
			if (!t[i])
				t[i] = OID_TEXT;
		rc = prepare_on(on, q, name, t, err);
	}
	free(t);
	return rc;
}

/* Starts q's run: on the reader when q is a read, another walk holds the
 * main connection and no transaction is open; else on the main
 * connection, freed first (spilling its walk).  Then the statement is
 * sent and single-row mode set. */
static int start(struct pst *q, struct err *err)
{
	struct pg *pg = q->pg, *on = pg;
	char *name = q->name;
	int rc;
	if (q->is_read && pg->active && pg->active != q && !pg->in_tx &&
	    reader(pg)) {
		on = pg->reader;
		name = q->rname;
	}
	release(on, true);
	if ((rc = ensure_prepared(on, q, name, err))) {
		pg->head.busy = on->head.busy;
		return rc;
	}
	if (!PQsendQueryPrepared(on->c, name, q->nparams,
				 (const char *const *)q->vals, NULL, NULL, 0)) {
		rc = fail(on, NULL, "sending a statement", err);
		pg->head.busy = on->head.busy;
		return rc;
	}
	if (!PQsetSingleRowMode(on->c)) {
		PGresult *x;
		while ((x = PQgetResult(on->c)))
			PQclear(x);
		return err_set(err, ST_DB, "%s: single-row mode refused",
			       pg->head.target);
	}
	on->active = q;
	q->on = on;
	q->state = PS_STREAM;
	q->spill_changes = -1;
	return 0;
}

/* The next result of a run: from the connection or the spill. */
static PGresult *next_result(struct pst *q, bool *from_spill)
{
	*from_spill = q->state == PS_SPILLED;
	if (q->state == PS_STREAM)
		return PQgetResult(q->on->c);
	if (q->ispill < q->nspill)
		return q->spill[q->ispill++];
	return NULL;
}

static int pg_step(struct db_stmt *h, struct err *err)
{
	struct pst *q = (struct pst *)h;
	struct pg *pg = q->pg;
	PGresult *r;
	bool spilled;
	int rc;
	PQclear(q->row);
	q->row = NULL;
	if (q->state == PS_DONE)
		stop(q);  /* like SQLite: a step after the end runs again */
	if (q->state == PS_IDLE && (rc = start(q, err))) {
		q->state = PS_DONE;
		return rc;
	}
	pg->head.busy = false;
	r = next_result(q, &spilled);
	if (r && PQresultStatus(r) == PGRES_SINGLE_TUPLE) {
		q->row = r;
		q->ncols = PQnfields(r);
		return DB_ROW;
	}
	/* the end: a final status from the stream, or the spill ran out */
	q->state = PS_DONE;
	if (!spilled) {
		PGresult *x;
		ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
		rc = 0;
		if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
			int64_t n = changes_of(r);
			if (q->ncols < 0)
				q->ncols = PQnfields(r);
			if (n >= 0)
				pg->head.changes = n;
		} else {
			rc = fail(q->on, r, "running a statement", err);
			pg->head.busy = q->on->head.busy;
		}
		PQclear(r);
		while ((x = PQgetResult(q->on->c)))
			PQclear(x);
		q->on->active = NULL;
		return rc ? rc : DB_DONE;
	}
	if (q->spill_err) {
		rc = fail(pg, q->spill_err, "running a statement", err);
		clear_spill(q);
		return rc;
	}
	if (q->spill_changes >= 0)
		pg->head.changes = q->spill_changes;
	clear_spill(q);
	return DB_DONE;
}

static int pg_ncols(const struct db_stmt *h)
{
	struct pst *q = (struct pst *)(uintptr_t)h;
	if (q->ncols < 0 && q->name[0]) {
		PGresult *r;
		release(q->pg, true);
		r = PQdescribePrepared(q->pg->c, q->name);
		if (PQresultStatus(r) == PGRES_COMMAND_OK)
			q->ncols = PQnfields(r);
		PQclear(r);
	}
	return q->ncols < 0 ? 0 : q->ncols;
}

static const char *cell(const struct db_stmt *h, int i)
{
	const struct pst *q = (const struct pst *)h;
	if (!q->row || i < 0 || i >= PQnfields(q->row) ||
	    PQgetisnull(q->row, 0, i))
		return NULL;
	return PQgetvalue(q->row, 0, i);
}

static bool pg_col_null(const struct db_stmt *h, int i)
{
	return cell(h, i) == NULL;
}

static int64_t pg_col_int(const struct db_stmt *h, int i)
{
	const char *s = cell(h, i);
	if (!s)
		return 0;
	if (s[0] == 't' && !s[1])   /* a boolean expression */
		return 1;
	if (strpbrk(s, ".eEnN")) {  /* numeric / double text */
		double d = strtod(s, NULL);
		return isfinite(d) ? (int64_t)d : 0;
	}
	return strtoll(s, NULL, 10);
}

static double pg_col_double(const struct db_stmt *h, int i)
{
	const char *s = cell(h, i);
	if (!s)
		return 0.0;
	if ((s[0] == 't' || s[0] == 'f') && !s[1])
		return s[0] == 't';
	return strtod(s, NULL);
}

static const char *pg_col_text(const struct db_stmt *h, int i)
{
	return cell(h, i);
}

static size_t pg_col_bytes(const struct db_stmt *h, int i)
{
	const struct pst *q = (const struct pst *)h;
	return cell(h, i) ? (size_t)PQgetlength(q->row, 0, i) : 0;
}

static void pg_reset(struct db_stmt *h)
{
	struct pst *q = (struct pst *)h;
	stop(q);
	for (int i = 0; i < q->nparams; i++) {
		free(q->vals[i]);
		q->vals[i] = NULL;
		q->types[i] = 0;
	}
}

static void pg_finalize(struct db_stmt *h)
{
	struct pst *q = (struct pst *)h;
	pg_reset(h);
	if (q->name[0] && q->pg->c) {
		char sql[64];
		snprintf(sql, sizeof sql, "DEALLOCATE %s", q->name);
		release(q->pg, true);
		PQclear(PQexec(q->pg->c, sql));
	}
	if (q->rname[0] && q->pg->reader) {
		char sql[64];
		snprintf(sql, sizeof sql, "DEALLOCATE %s", q->rname);
		release(q->pg->reader, true);
		PQclear(PQexec(q->pg->reader->c, sql));
	}
	free(q->spill);
	free(q->vals);
	free(q->types);
	free(q->sql);
	free(q);
}

/* ------------------------------------------------------- connection */

/* Runs SQL without rows on the free connection. */
static int run(struct pg *pg, const char *sql, const char *what,
	       struct err *err)
{
	PGresult *r, *x;
	int rc = 0;
	release(pg, true);
	pg->head.busy = false;
	r = PQexec(pg->c, sql);
	/* PQexec returns the last result of a multi-statement string */
	if (PQresultStatus(r) != PGRES_COMMAND_OK &&
	    PQresultStatus(r) != PGRES_TUPLES_OK &&
	    PQresultStatus(r) != PGRES_EMPTY_QUERY) {
		rc = fail(pg, r, what, err);
	} else {
		int64_t n = changes_of(r);
		if (n >= 0)
			pg->head.changes = n;
	}
	PQclear(r);
	while ((x = PQgetResult(pg->c)))
		PQclear(x);
	return rc;
}

static int pg_exec(struct db *db, const char *sql, struct err *err)
{
	int n, rc;
	char *s = rewrite(sql, false, &n);
	rc = run((struct pg *)db, s, "running SQL", err);
	free(s);
	return rc;
}

/* Schema changes take a transaction-scoped advisory lock first: two
 * processes creating the same tables at once would otherwise both pass
 * CREATE TABLE IF NOT EXISTS and one fail on the catalog's unique index.
 * Statements in one PQexec run in one transaction (or the caller's open
 * one), so the lock is held until that ends. */
static int pg_exec_ddl(struct db *db, const char *sql, struct err *err)
{
	int n, rc;
	char *s = rewrite(sql, true, &n);
	char *all = xasprintf("SELECT pg_advisory_xact_lock(%d); %s",
			      DDL_LOCK_KEY, s);
	rc = run((struct pg *)db, all, "changing the schema", err);
	free(all);
	free(s);
	return rc;
}

static int pg_begin_write(struct db *db, struct err *err)
{
	struct pg *pg = (struct pg *)db;
	int rc = run(pg, "BEGIN", "starting a transaction", err);
	pg->in_tx = rc == 0;
	return rc;
}

static int pg_commit(struct db *db, struct err *err)
{
	struct pg *pg = (struct pg *)db;
	pg->in_tx = false;
	return run(pg, "COMMIT", "committing", err);
}

static int pg_rollback(struct db *db, struct err *err)
{
	struct pg *pg = (struct pg *)db;
	pg->in_tx = false;
	return run(pg, "ROLLBACK", "rolling back", err);
}

static bool pg_has_column(struct db *db, const char *table, const char *col)
{
	struct pg *pg = (struct pg *)db;
	const char *vals[2] = { table, col };
	PGresult *r;
	bool yes;
	release(pg, true);
	/* unquoted names fold to lower case, as the store writes them */
	r = PQexecParams(pg->c, "SELECT 1 FROM information_schema.columns"
			 " WHERE table_schema = current_schema()"
			 " AND table_name = lower($1) AND column_name = lower($2)",
			 2, NULL, vals, NULL, NULL, 0);
	yes = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0;
	PQclear(r);
	return yes;
}

static void pg_set_busy_timeout(struct db *db, int ms)
{
	struct pg *pg = (struct pg *)db;
	char sql[64];
	pg->busy_ms = ms < 1 ? 1 : ms;
	snprintf(sql, sizeof sql, "SET lock_timeout = %d", pg->busy_ms);
	(void)run(pg, sql, "setting the lock timeout", NULL);
	if (pg->reader)
		pg_set_busy_timeout(&pg->reader->head, ms);
}

static void pg_close(struct db *db)
{
	struct pg *pg = (struct pg *)db;
	release(pg, false);
	if (pg->reader)
		pg_close(&pg->reader->head);
	PQfinish(pg->c);
	free(pg->url);
	free(pg->password);
	free(pg->head.target);
	free(pg);
}

/* The password the URL carries (user:PASS@ or ?password=), or NULL. */
static char *url_password(const char *url)
{
	PQconninfoOption *opts = PQconninfoParse(url, NULL), *o;
	char *pw = NULL;
	for (o = opts; o && o->keyword; o++)
		if (strcmp(o->keyword, "password") == 0 && o->val && *o->val)
			pw = xstrdup(o->val);
	PQconninfoFree(opts);
	return pw;
}

int db_pg_open(const char *url, int busy_ms, struct db **out,
	       struct err *err)
{
	struct pg *pg = xcalloc(1, sizeof *pg);
	int rc;
	char sql[128];
	pg->head.ops = &pg_ops;
	pg->head.kind = DB_PG;
	pg->head.target = redact_url(url);
	pg->url = xstrdup(url);
	pg->password = url_password(url);
	pg->c = PQconnectdb(url);
	if (!pg->c || PQstatus(pg->c) != CONNECTION_OK) {
		rc = fail(pg, NULL, "connecting", err);
		goto out;
	}
	PQsetNoticeProcessor(pg->c, no_notice, NULL);
	if (PQsetClientEncoding(pg->c, "UTF8")) {
		rc = fail(pg, NULL, "setting the client encoding", err);
		goto out;
	}
	pg->busy_ms = busy_ms < 1 ? 1 : busy_ms;
	snprintf(sql, sizeof sql, "SET extra_float_digits = 3;"
		 " SET client_min_messages = warning; SET lock_timeout = %d",
		 pg->busy_ms);
	rc = run(pg, sql, "setting up the session", err);
out:
	if (rc) {
		pg_close(&pg->head);
		return rc;
	}
	*out = &pg->head;
	return 0;
}

static const struct db_ops pg_ops = {
	.close = pg_close,
	.set_busy_timeout = pg_set_busy_timeout,
	.exec = pg_exec,
	.exec_ddl = pg_exec_ddl,
	.begin_write = pg_begin_write,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.has_column = pg_has_column,
	.prepare = pg_prepare,
	.bind_int = pg_bind_int,
	.bind_double = pg_bind_double,
	.bind_text = pg_bind_text,
	.bind_null = pg_bind_null,
	.step = pg_step,
	.ncols = pg_ncols,
	.col_null = pg_col_null,
	.col_int = pg_col_int,
	.col_double = pg_col_double,
	.col_text = pg_col_text,
	.col_bytes = pg_col_bytes,
	.reset = pg_reset,
	.finalize = pg_finalize,
};
