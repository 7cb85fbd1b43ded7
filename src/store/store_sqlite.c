/* store_sqlite.c — store.h's open, schema and writes, over the statement
 * layer (db.h): the same code serves a SQLite file and a PostgreSQL
 * database.  (The name is historical: no SQLite call is left here.)
 *
 * One database holds every run.  The schema (docs/storage.md) is
 * created on open when missing and versioned in `schema_version`.  Writes
 * go through prepared statements.  A result is first filled into a row of
 * bound values (struct srow), then written — at once, or during a run by
 * the writer thread (store_writer.c), which commits its own batches.
 * Written at once, results are batched in a transaction that commits
 * after 256 results or once 250 ms have passed since the last commit (or
 * at store_tick), so a burst of thousands of results costs a handful of
 * commits while a slow run commits nearly every result at once — and a
 * kill -9 loses at most the open batch.  On SQLite the journal is WAL with
 * synchronous=NORMAL: a commit survives a process crash (it is in the WAL
 * file) without an fsync per batch.
 *
 * Where the backends differ, this file asks db_kind(): the PRAGMAs
 * (journal, synchronous, foreign keys) are SQLite's; a run created with a
 * chosen id (shards) also moves PostgreSQL's identity sequence past it;
 * and a COMMIT that failed on a lock is retried only on SQLite, where the
 * transaction survives the failure (PostgreSQL has rolled it back).
 *
 * Secrets: only sanitized JSON is stored.  `struct suite.sanitized` is
 * already stripped by the suite loader; we strip again here
 * (store_json_strip_secrets) so a loader bug cannot leak a key.
 *
 * SQL is written in db.h's dialect (`?N`, ON CONFLICT, RETURNING id, no
 * INSERT OR REPLACE, ISO timestamps as text, INTEGER/REAL/TEXT types that
 * db_exec_ddl maps for PostgreSQL). */
#include "store_int.h"
#include "store_turns.h"
#include "../util/redact.h"

#include <ctype.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../version.h"
#include "../util/buf.h"
#include "../util/fsutil.h"
#include "../util/xalloc.h"

#define STORE_SCHEMA_VERSION 5
#define BATCH_MAX_RESULTS 256
#define BATCH_MAX_MS 250.0


static const char *const schema_sql =
	"CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);\n"
	"CREATE TABLE IF NOT EXISTS runs (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  created_at TEXT NOT NULL,\n"
	"  finished_at TEXT,\n"
	"  status TEXT NOT NULL,\n"
	"  description TEXT,\n"
	"  suite_path TEXT,\n"
	"  suite_json TEXT,\n"
	"  repeat INTEGER NOT NULL DEFAULT 1,\n"
	"  assay_version TEXT,\n"
	"  n_cases INTEGER, n_prompts INTEGER, n_providers INTEGER,\n"
	"  label TEXT, suite_hash TEXT, config_json TEXT, git_commit TEXT,\n"
	"  host TEXT, pid INTEGER, heartbeat_ms INTEGER);\n"
	"CREATE TABLE IF NOT EXISTS run_providers (\n"
	"  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,\n"
	"  idx INTEGER NOT NULL,\n"
	"  provider_id TEXT NOT NULL,\n"
	"  label TEXT,\n"
	"  config_json TEXT,\n"
	"  provider_key TEXT,\n"
	"  PRIMARY KEY (run_id, idx));\n"
	"CREATE TABLE IF NOT EXISTS run_prompts (\n"
	"  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,\n"
	"  idx INTEGER NOT NULL,\n"
	"  label TEXT,\n"
	"  raw TEXT,\n"
	"  is_chat INTEGER NOT NULL DEFAULT 0,\n"
	"  PRIMARY KEY (run_id, idx));\n"
	"CREATE TABLE IF NOT EXISTS cases (\n"
	"  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,\n"
	"  idx INTEGER NOT NULL,\n"
	"  description TEXT,\n"
	"  vars_json TEXT,\n"
	"  metadata_json TEXT,\n"
	"  n_asserts INTEGER NOT NULL DEFAULT 0,\n"
	"  case_key TEXT, case_hash TEXT,\n"
	"  PRIMARY KEY (run_id, idx));\n"
	"CREATE TABLE IF NOT EXISTS results (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,\n"
	"  case_idx INTEGER NOT NULL,\n"
	"  prompt_idx INTEGER NOT NULL,\n"
	"  provider_idx INTEGER NOT NULL,\n"
	"  repeat INTEGER NOT NULL DEFAULT 0,\n"
	"  started_at TEXT,\n"
	"  prompt_text TEXT,\n"
	"  output TEXT,\n"
	"  error_kind TEXT,\n"
	"  error_msg TEXT,\n"
	"  http_status INTEGER,\n"
	"  finish_reason TEXT,\n"
	"  latency_ms REAL,\n"
	"  ttft_ms REAL,\n"
	"  prompt_tokens INTEGER,\n"
	"  completion_tokens INTEGER,\n"
	"  total_tokens INTEGER,\n"
	"  cost_usd REAL,\n"
	"  retries INTEGER NOT NULL DEFAULT 0,\n"
	"  cached INTEGER NOT NULL DEFAULT 0,\n"
	"  retry_wait_ms REAL NOT NULL DEFAULT 0,\n"
	"  judge_calls INTEGER NOT NULL DEFAULT 0,\n"
	"  judge_cost_usd REAL NOT NULL DEFAULT 0,\n"
	"  judge_latency_ms REAL NOT NULL DEFAULT 0,\n"
	"  pass INTEGER,\n"
	"  score REAL,\n"
	"  reason TEXT,\n"
	"  named_scores_json TEXT,\n"
	"  confidence REAL,\n"
	"  served_model TEXT,\n"
	"  item_key TEXT,\n"
	"  UNIQUE (run_id, case_idx, prompt_idx, provider_idx, repeat));\n"
	"CREATE INDEX IF NOT EXISTS results_by_group\n"
	"  ON results (run_id, provider_idx, prompt_idx);\n"
	"CREATE TABLE IF NOT EXISTS assertion_results (\n"
	"  result_id INTEGER NOT NULL REFERENCES results(id) ON DELETE CASCADE,\n"
	"  idx INTEGER NOT NULL,\n"
	"  type TEXT NOT NULL,\n"
	"  pass INTEGER NOT NULL,\n"
	"  score REAL,\n"
	"  reason TEXT,\n"
	"  weight REAL,\n"
	"  metric TEXT,\n"
	"  severity REAL,\n"
	"  PRIMARY KEY (result_id, idx));\n"
	"CREATE TABLE IF NOT EXISTS cache (\n"
	"  key TEXT PRIMARY KEY,\n"
	"  provider_id TEXT,\n"
	"  body TEXT,\n"
	"  response TEXT,\n"
	"  created_at TEXT NOT NULL);\n"
	"CREATE TABLE IF NOT EXISTS judge_calls (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  result_id INTEGER REFERENCES results(id) ON DELETE CASCADE,\n"
	"  assertion_idx INTEGER,\n"
	"  provider_id TEXT,\n"
	"  prompt TEXT,\n"
	"  output TEXT,\n"
	"  error_kind TEXT,\n"
	"  pass INTEGER,\n"
	"  score REAL,\n"
	"  reason TEXT,\n"
	"  latency_ms REAL,\n"
	"  prompt_tokens INTEGER,\n"
	"  completion_tokens INTEGER,\n"
	"  cost_usd REAL,\n"
	"  created_at TEXT NOT NULL);\n"
	"CREATE INDEX IF NOT EXISTS judge_calls_by_result ON judge_calls (result_id);\n"
	"CREATE TABLE IF NOT EXISTS human_grades (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  result_id INTEGER NOT NULL REFERENCES results(id) ON DELETE CASCADE,\n"
	"  other_result_id INTEGER REFERENCES results(id) ON DELETE CASCADE,\n"
	"  grader TEXT,\n"
	"  kind TEXT NOT NULL,\n"
	"  rating REAL,\n"
	"  pass INTEGER,\n"
	"  preferred INTEGER,\n"
	"  comment TEXT,\n"
	"  created_at TEXT NOT NULL);\n"
	"CREATE INDEX IF NOT EXISTS human_grades_by_result ON human_grades (result_id);\n";

static const char *const ins_result_sql =
	"INSERT INTO results (run_id, case_idx, prompt_idx, provider_idx,"
	" repeat, started_at, prompt_text, output, error_kind, error_msg,"
	" http_status, finish_reason, latency_ms, ttft_ms, prompt_tokens,"
	" completion_tokens, total_tokens, cost_usd, retries, cached, pass,"
	" score, reason, named_scores_json, retry_wait_ms, judge_calls,"
	" judge_cost_usd, judge_latency_ms, confidence, served_model, item_key)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,"
	" ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31)"
	/* a stored item gives no row: store_result_put replaces it */
	" ON CONFLICT (run_id, case_idx, prompt_idx, provider_idx, repeat)"
	" DO NOTHING RETURNING id";

static const char *const ins_assert_sql =
	"INSERT INTO assertion_results (result_id, idx, type, pass, score,"
	" reason, weight, metric, severity) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7,"
	" ?8, ?9)";

int sti_fail(struct store *st, struct err *err, const char *what)
{
	char msg[sizeof err->msg];
	if (err->code == ST_OK || !err->msg[0])
		return err_set(err, ST_DB, "%s: %s failed", st->path, what);
	snprintf(msg, sizeof msg, "%s", err->msg);
	return err_set(err, ST_DB, "%s (%s)", msg, what);
}

int sti_exec(struct store *st, const char *sql, struct err *err)
{
	return db_exec(st->db, sql, err);
}

int sti_run(struct store *st, struct db_stmt *q, const char *what,
	    struct err *err)
{
	int rc = db_step(q, err);
	return rc == DB_DONE || rc == DB_ROW ? 0 : sti_fail(st, err, what);
}

/* ISO 8601 UTC with milliseconds, e.g. 2024-05-01T12:00:00.123Z. */
void sti_iso_time(double ms, char out[32])
{
	time_t secs = (time_t)(ms / 1000.0);
	int frac = (int)fmod(ms, 1000.0);
	struct tm tm;
	size_t n;
	if (frac < 0 || frac > 999)
		frac = 0;
	gmtime_r(&secs, &tm);
	n = strftime(out, 24, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, 32 - n, ".%03dZ", frac);
}

/* ---------------------------------------------------------------- secrets */

static bool has_ci(const char *hay, const char *needle)
{
	return strcasestr(hay, needle) != NULL;
}

/* True when a key of this name must not be stored.  Beyond the loader's
 * rule (key/token/secret/password) we also catch auth headers, cookies
 * and credentials.  Numeric "*tokens" (max_tokens) are limits, not
 * secrets, and are kept. */
static bool secret_name(const char *name, const json_t *value)
{
	size_t n = strlen(name);
	if (n >= 6 && strcasecmp(name + n - 6, "tokens") == 0 &&
	    json_is_number(value))
		return false;
	return has_ci(name, "key") || has_ci(name, "token") ||
	       has_ci(name, "secret") || has_ci(name, "password") ||
	       has_ci(name, "passwd") || has_ci(name, "auth") ||
	       has_ci(name, "credential") || has_ci(name, "cookie");
}

/* A string that is itself a bearer credential, wherever it appears. */
static bool secret_value(const json_t *v)
{
	const char *s;
	if (!json_is_string(v))
		return false;
	s = json_string_value(v);
	return strncasecmp(s, "bearer ", 7) == 0 ||
	       strncasecmp(s, "basic ", 6) == 0;
}

void store_json_strip_secrets(json_t *j)
{
	if (json_is_object(j)) {
		const char *k;
		json_t *v;
		void *tmp;
		json_object_foreach_safe(j, tmp, k, v) {
			if (secret_name(k, v) || secret_value(v))
				json_object_del(j, k);
			else
				store_json_strip_secrets(v);
		}
	} else if (json_is_array(j)) {
		for (size_t i = 0; i < json_array_size(j);) {
			json_t *v = json_array_get(j, i);
			if (secret_value(v)) {
				json_array_remove(j, i);
				continue;
			}
			store_json_strip_secrets(v);
			i++;
		}
	}
}

/* Returns owned compact JSON text of a stripped deep copy of j, or NULL. */
static char *dump_stripped(const json_t *j)
{
	json_t *c;
	char *s;
	if (!j)
		return NULL;
	c = json_deep_copy(j);
	if (!c)
		return NULL;
	store_json_strip_secrets(c);
	s = json_dumps(c, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(c);
	return s;
}

/* The sanitized entry of provider i: sanitized["providers"][i] when the
 * shapes line up, else {"id": …, "label": …} without any config.  Never the
 * raw config. */
static char *provider_config_json(const struct suite *s, size_t i)
{
	const json_t *list = json_is_object(s->sanitized)
		? json_object_get(s->sanitized, "providers") : NULL;
	json_t *fallback;
	char *out;
	if (json_is_array(list) && json_array_size(list) == s->n_providers)
		return dump_stripped(json_array_get(list, i));
	if (json_is_object(list) && s->n_providers == 1)
		return dump_stripped(list);
	fallback = json_object();
	json_object_set_new(fallback, "id",
			    json_string(s->providers[i].id ? s->providers[i].id : ""));
	if (s->providers[i].label)
		json_object_set_new(fallback, "label",
				    json_string(s->providers[i].label));
	out = json_dumps(fallback, JSON_COMPACT);
	json_decref(fallback);
	return out;
}

/* ------------------------------------------------------------ binding */

/* Every text written passes the redactor (util/redact.h): a key echoed
 * by a server never reaches the database or, through it, an export. */
void sti_bind_text(struct db_stmt *q, int i, const char *s)
{
	char *r = s ? redact_dup(s, strlen(s)) : NULL;
	db_bind_text(q, i, r ? r : s);
	free(r);
}

static void bind_owned_json(struct db_stmt *q, int i, char *s)
{
	sti_bind_text(q, i, s);
	free(s);
}

static void bind_real(struct db_stmt *q, int i, double v)
{
	if (isfinite(v))
		db_bind_double(q, i, v);
	else
		db_bind_null(q, i);
}

/* -------------------------------------------------------------- open */

int sti_prepare(struct store *st, const char *sql, struct db_stmt **q,
		   struct err *err)
{
	/* A statement of its own: the writer thread, if any, is done first
	 * (its failure is reported by store_tick / store_commit). */
	struct err ignored = {0};
	(void)sti_writer_sync(st, &ignored);
	return db_prepare(st->db, sql, q, err);
}

/* Adds a column that a newer schema has, when the table lacks it. */
static int ensure_column(struct store *st, const char *table, const char *col,
			 const char *decl, struct err *err)
{
	char sql[256];
	if (db_has_column(st->db, table, col))
		return 0;
	snprintf(sql, sizeof sql, "ALTER TABLE %s ADD COLUMN %s %s", table, col, decl);
	return db_exec_ddl(st->db, sql, err);
}

/* Nullable columns added within version 2 (results.confidence,
 * assertion_results.severity): a version-2 database written before them
 * gets them on open; NULL reads as "none". */
static int ensure_v2_columns(struct store *st, struct err *err)
{
	int rc;
	if ((rc = ensure_column(st, "results", "confidence", "REAL", err)) ||
	    (rc = ensure_column(st, "results", "served_model", "TEXT", err)) ||
	    (rc = ensure_column(st, "assertion_results", "severity", "REAL", err)))
		return rc;
	return 0;
}

/* Version 5 dropped version 3's index on (run_id, item_key): no query
 * used it, and its keys are random hashes, so each result a batch wrote
 * dirtied a leaf page of its own — half the writer thread's time against
 * a fast server (issue 16, docs/ARCHITECTURE.md). */
static int migrate_v4(struct store *st, struct err *err)
{
	int rc;
	if ((rc = sti_exec(st, "DROP INDEX IF EXISTS results_by_key", err)))
		return rc;
	return sti_exec(st, "INSERT INTO schema_version (version) VALUES (5)", err);
}

/* Version 4 added the turns of conversations (store_turns.c). */
static int migrate_v3(struct store *st, struct err *err)
{
	int rc;
	if ((rc = db_exec_ddl(st->db, store_turns_schema, err)) ||
	    (rc = sti_exec(st, "INSERT INTO schema_version (version) VALUES (4)", err)))
		return rc;
	return migrate_v4(st, err);
}

/* Version 3 added run records (label, suite hash, resolved config, git
 * commit, host, pid and heartbeat) and content keys of cases and
 * results.  Old rows keep NULL keys: compare and resume
 * then fall back to what they can prove (docs/storage.md). */
static int migrate_v2(struct store *st, struct err *err)
{
	static const char *const run_cols[][2] = {
		{ "label", "TEXT" }, { "suite_hash", "TEXT" },
		{ "config_json", "TEXT" }, { "git_commit", "TEXT" },
		{ "host", "TEXT" }, { "pid", "INTEGER" },
		{ "heartbeat_ms", "INTEGER" },
	};
	int rc;
	if ((rc = ensure_v2_columns(st, err)))
		return rc;
	for (size_t i = 0; i < sizeof run_cols / sizeof *run_cols; i++)
		if ((rc = ensure_column(st, "runs", run_cols[i][0], run_cols[i][1], err)))
			return rc;
	if ((rc = ensure_column(st, "cases", "case_key", "TEXT", err)) ||
	    (rc = ensure_column(st, "cases", "case_hash", "TEXT", err)) ||
	    (rc = ensure_column(st, "run_providers", "provider_key", "TEXT", err)) ||
	    (rc = ensure_column(st, "results", "item_key", "TEXT", err)))
		return rc;
	if ((rc = sti_exec(st, "INSERT INTO schema_version (version) VALUES (3)", err)))
		return rc;
	return migrate_v3(st, err);
}

/* Version 2 added per-result retry wait and judge accounting (and the
 * nullable columns of ensure_v2_columns). */
static int migrate_v1(struct store *st, struct err *err)
{
	int rc;
	if ((rc = ensure_column(st, "results", "retry_wait_ms", "REAL NOT NULL DEFAULT 0", err)) ||
	    (rc = ensure_column(st, "results", "judge_calls", "INTEGER NOT NULL DEFAULT 0", err)) ||
	    (rc = ensure_column(st, "results", "judge_cost_usd", "REAL NOT NULL DEFAULT 0", err)) ||
	    (rc = ensure_column(st, "results", "judge_latency_ms", "REAL NOT NULL DEFAULT 0", err)) ||
	    (rc = ensure_column(st, "results", "confidence", "REAL", err)) ||
	    (rc = ensure_column(st, "results", "served_model", "TEXT", err)) ||
	    (rc = ensure_column(st, "assertion_results", "severity", "REAL", err)))
		return rc;
	if ((rc = sti_exec(st, "INSERT INTO schema_version (version) VALUES (2)", err)))
		return rc;
	return migrate_v2(st, err);
}

static int check_schema(struct store *st, struct err *err)
{
	struct db_stmt *q = NULL;
	int rc = 0, v = -1;
	if (db_prepare(st->db, "SELECT max(version) FROM schema_version", &q,
		       err))
		return sti_fail(st, err, "reading the schema version");
	rc = db_step(q, err);
	if (rc == DB_ROW && !db_col_null(q, 0))
		v = (int)db_col_int(q, 0);
	db_finalize(q);
	if (rc != DB_ROW && rc != DB_DONE)
		return sti_fail(st, err, "reading the schema version");
	rc = 0;
	if (v < 0) {
		char sql[96];
		snprintf(sql, sizeof sql,
			 "INSERT INTO schema_version (version) VALUES (%d)",
			 STORE_SCHEMA_VERSION);
		rc = sti_exec(st, sql, err);
	} else if (v == 1) {
		rc = migrate_v1(st, err);
	} else if (v == 2) {
		rc = migrate_v2(st, err);
	} else if (v == 3) {
		rc = migrate_v3(st, err);
	} else if (v == 4) {
		rc = migrate_v4(st, err);
	} else if (v > STORE_SCHEMA_VERSION) {
		rc = err_set(err, ST_DB,
			     "%s: database schema version %d is newer than this "
			     "assay understands (%d); upgrade assay",
			     st->path, v, STORE_SCHEMA_VERSION);
	}
	return rc;
}

enum lock_op { LOCK_EXEC, LOCK_BEGIN, LOCK_COMMIT };
static int locked(struct store *st, enum lock_op op, const char *sql,
		  struct err *err);

int sti_locked_exec(struct store *st, const char *sql, struct err *err)
{
	return locked(st, LOCK_EXEC, sql, err);
}

int store_open_existing(const char *path, struct store **out, struct err *err)
{
	*out = NULL;
	if (!db_is_url(path) && access(path, R_OK) != 0)
		return err_set(err, ST_IO, "no database at %s (use --db PATH, or "
			       "set ASSAY_DB or db in the config file; without "
			       "them every command uses .assay/assay.db in the "
			       "nearest directory from here upward that has an "
			       ".assay/, which `assay run` creates here)", path);
	return store_open(path, out, err);
}

int store_open(const char *path, struct store **out, struct err *err)
{
	struct store *st;
	char *dir;
	int rc;
	*out = NULL;
	if (!path || !*path)
		return err_set(err, ST_USAGE, "no database path given");
	if (!db_is_url(path)) {
		dir = fs_dirname(path);
		rc = fs_mkdirs(dir, err);
		free(dir);
		if (rc)
			return rc;
	}
	st = xcalloc(1, sizeof *st);
	st->path = xstrdup(path);
	st->busy_ms = 5000;
	if ((rc = db_open(path, st->busy_ms, &st->db, err)))
		goto fail;
	free(st->path);
	st->path = xstrdup(db_target(st->db)); /* a URL without its password */
	/* SQLite only: journal_mode answers with a row; exec ignores it. */
	if (db_kind(st->db) == DB_SQLITE &&
	    (rc = sti_locked_exec(st, "PRAGMA journal_mode=WAL;"
				  "PRAGMA synchronous=NORMAL;"
				  "PRAGMA foreign_keys=ON;"
				  "PRAGMA busy_timeout=5000;", err)))
		goto fail;
	if ((rc = locked(st, LOCK_BEGIN, NULL, err)))
		goto fail;
	if ((rc = db_exec_ddl(st->db, schema_sql, err)) ||
	    (rc = db_exec_ddl(st->db, store_turns_schema, err)) ||
	    (rc = check_schema(st, err))) {
		struct err ignore = {0};
		db_rollback(st->db, &ignore);
		goto fail;
	}
	if ((rc = locked(st, LOCK_COMMIT, NULL, err)))
		goto fail;
	if ((rc = sti_prepare(st, ins_result_sql, &st->ins_result, err)) ||
	    (rc = sti_prepare(st, ins_assert_sql, &st->ins_assert, err)) ||
	    (rc = sti_prepare(st, "SELECT id FROM results WHERE run_id=?1 AND "
				  "case_idx=?2 AND prompt_idx=?3 AND "
				  "provider_idx=?4 AND repeat=?5",
			  &st->find_result, err)) ||
	    (rc = sti_prepare(st, "DELETE FROM assertion_results WHERE result_id=?1",
			  &st->del_asserts, err)) ||
	    (rc = sti_prepare(st, "DELETE FROM results WHERE id=?1",
			  &st->del_result, err)) ||
	    (rc = sti_prepare(st, "SELECT response FROM cache WHERE key = ?1",
			  &st->cache_get, err)) ||
	    /* ON CONFLICT … DO UPDATE is also PostgreSQL's upsert. */
	    (rc = sti_prepare(st, "INSERT INTO cache (key, provider_id, body,"
			      " response, created_at) VALUES (?1, ?2, ?3, ?4, ?5)"
			      " ON CONFLICT (key) DO UPDATE SET"
			      " provider_id = excluded.provider_id,"
			      " body = excluded.body, response = excluded.response,"
			      " created_at = excluded.created_at",
			  &st->cache_put, err)))
		goto fail;
	st->last_commit_ms = fs_mono_ms();
	*out = st;
	return 0;
fail:
	store_close(st);
	return rc;
}

/* ------------------------------------------------------------ batching */

void store_set_busy_timeout(struct store *st, int ms)
{
	st->busy_ms = ms > 0 ? ms : 1;
	db_set_busy_timeout(st->db, st->busy_ms);
}

/* Runs sql (LOCK_EXEC), begins a write transaction or commits; when
 * another process holds the lock past the busy timeout (db_busy), waits
 * and tries again rather than failing — a failed BEGIN or COMMIT here
 * would abort the run and lose the results in hand.  Notes the wait on
 * stderr once, gives up after STORE_LOCK_GIVE_UP_MS.  A COMMIT is retried
 * only on SQLite: a PostgreSQL transaction that failed is gone, and
 * committing "again" would report success for nothing. */
static int locked(struct store *st, enum lock_op op, const char *sql,
		  struct err *err)
{
	double t0 = fs_mono_ms();
	bool noted = false;
	for (;;) {
		int rc = op == LOCK_BEGIN ? db_begin_write(st->db, err)
			 : op == LOCK_COMMIT ? db_commit(st->db, err)
			 : db_exec(st->db, sql, err);
		if (!rc)
			break;
		if (!db_busy(st->db) ||
		    (op == LOCK_COMMIT && db_kind(st->db) != DB_SQLITE) ||
		    fs_mono_ms() - t0 >= STORE_LOCK_GIVE_UP_MS)
			return rc;
		if (!noted) {
			fprintf(stderr, "assay: %s is locked by another process; "
				"waiting (results in hand are kept)\n", st->path);
			noted = true;
		}
		err_clear(err);
	}
	if (noted)
		fprintf(stderr, "assay: %s: lock obtained after %.1f s\n",
			st->path, (fs_mono_ms() - t0) / 1000.0);
	return 0;
}

/* Every HEARTBEAT_MS a writing run stamps runs.heartbeat_ms, so a reader
 * can tell a run whose process died (kill -9, power loss) from one still
 * going. */
#define HEARTBEAT_MS 2000.0

static int beat(struct store *st, struct err *err)
{
	char sql[128];
	if (!st->live_run || fs_mono_ms() - st->last_beat_ms < HEARTBEAT_MS)
		return 0;
	st->last_beat_ms = fs_mono_ms();
	/* Several shard processes may write one run: the one that beat last
	 * is its writer (pid) until it ends. */
	snprintf(sql, sizeof sql,
		 "UPDATE runs SET heartbeat_ms = %lld, pid = %lld, status = 'running'"
		 " WHERE id = %lld",
		 (long long)fs_now_ms(), (long long)getpid(), (long long)st->live_run);
	return sti_exec(st, sql, err);
}

int sti_tx_begin(struct store *st, struct err *err)
{
	if (st->in_tx)
		return 0;
	if (locked(st, LOCK_BEGIN, NULL, err))
		return ST_DB;
	st->in_tx = true;
	st->pending = 0;
	return beat(st, err);
}

int sti_commit_now(struct store *st, struct err *err)
{
	if (!st->in_tx)
		return 0;
	if (locked(st, LOCK_COMMIT, NULL, err))
		return ST_DB;
	st->in_tx = false;
	st->pending = 0;
	st->last_commit_ms = fs_mono_ms();
	return 0;
}

/* With a writer thread (store_writer.c), the results handed to it are
 * written and committed first, and the caller then has the connection to
 * itself until it hands over the next result. */
int store_commit(struct store *st, struct err *err)
{
	int rc = sti_writer_sync(st, err);
	return rc ? rc : sti_commit_now(st, err);
}

int store_tick(struct store *st, struct err *err)
{
	int rc = 0;
	/* The writer's failure, if any, is this caller's (the writer thread
	 * reports it here: the engine ticks every pass). */
	if (st->w && (rc = sti_writer_poll(st, err)))
		return rc;
	/* The writer holds the connection for a batch (about a millisecond
	 * against a fast server) and its own begin stamps the heartbeat, so
	 * the loop goes on rather than wait — waiting here was a third of a
	 * run's time against nginx (issue 16). */
	if (!sti_db_trylock(st))
		return 0;
	if (!st->in_tx && st->live_run &&
	    fs_mono_ms() - st->last_beat_ms >= HEARTBEAT_MS) {
		if (!(rc = sti_tx_begin(st, err)))
			rc = sti_commit_now(st, err);
	} else if (st->in_tx) {
		/* The engine ticks once per pass of its loop, before it may
		 * sleep: committing here makes every write in hand durable
		 * before the process waits, so a kill -9 loses only what
		 * arrived in the current pass (bursts within one pass still
		 * share a commit).  With a writer thread, results are its to
		 * commit; what is left here is the cache. */
		rc = sti_commit_now(st, err);
	}
	sti_db_unlock(st);
	return rc;
}

void store_close(struct store *st)
{
	struct err e = {0};
	if (!st)
		return;
	if (st->w && store_writer_stop(st, &e))
		err_print(&e, stderr);
	err_clear(&e);
	if (st->db && st->in_tx && sti_commit_now(st, &e))
		err_print(&e, stderr);
	db_finalize(st->ins_result);
	db_finalize(st->ins_assert);
	db_finalize(st->find_result);
	db_finalize(st->del_asserts);
	db_finalize(st->del_result);
	db_finalize(st->cache_get);
	db_finalize(st->cache_put);
	store_keys_free(st->keys);
	db_close(st->db);
	free(st->path);
	free(st);
}

/* ------------------------------------------------------------ runs */

static int insert_meta(struct store *st, int64_t run_id,
		       const struct suite *s, struct err *err)
{
	struct db_stmt *qp = NULL, *qr = NULL, *qc = NULL;
	int rc = 0;
	if ((rc = sti_prepare(st, "INSERT INTO run_providers (run_id, idx, "
			      "provider_id, label, config_json, provider_key) "
			      "VALUES (?1, ?2, ?3, ?4, ?5, ?6)", &qp, err)) ||
	    (rc = sti_prepare(st, "INSERT INTO run_prompts (run_id, idx, label, "
			      "raw, is_chat) VALUES (?1, ?2, ?3, ?4, ?5)",
			  &qr, err)) ||
	    (rc = sti_prepare(st, "INSERT INTO cases (run_id, idx, description, "
			      "vars_json, metadata_json, n_asserts, case_key,"
			      " case_hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7,"
			      " ?8)", &qc, err)))
		goto out;
	for (size_t i = 0; i < s->n_providers && !rc; i++) {
		const struct provider_spec *p = &s->providers[i];
		db_reset(qp);
		db_bind_int(qp, 1, run_id);
		db_bind_int(qp, 2, (int64_t)i);
		sti_bind_text(qp, 3, p->id ? p->id : "");
		sti_bind_text(qp, 4, p->label ? p->label : p->id);
		bind_owned_json(qp, 5, provider_config_json(s, i));
		sti_bind_text(qp, 6, store_keys_provider(st->keys, i));
		if (db_step(qp, err) != DB_DONE)
			rc = sti_fail(st, err, "storing a provider");
	}
	for (size_t i = 0; i < s->n_prompts && !rc; i++) {
		const struct prompt *p = &s->prompts[i];
		db_reset(qr);
		db_bind_int(qr, 1, run_id);
		db_bind_int(qr, 2, (int64_t)i);
		sti_bind_text(qr, 3, p->label ? p->label : p->raw);
		sti_bind_text(qr, 4, p->raw);
		db_bind_int(qr, 5, p->is_chat);
		if (db_step(qr, err) != DB_DONE)
			rc = sti_fail(st, err, "storing a prompt");
	}
	/* one pass over the tests: a streamed suite re-reads them chunk by
	 * chunk (suite.h), so nothing here is kept per case */
	for (size_t i = 0; i < s->n_tests && !rc; i++) {
		const struct test_case *t = suite_test(s, i);
		if (!t) {
			*err = *suite_stream_err(s);
			rc = ST_IO;
			break;
		}
		db_reset(qc);
		db_bind_int(qc, 1, run_id);
		db_bind_int(qc, 2, (int64_t)i);
		sti_bind_text(qc, 3, t->description);
		bind_owned_json(qc, 4, t->vars ? json_dumps(t->vars, JSON_COMPACT)
					       : xstrdup("{}"));
		bind_owned_json(qc, 5, t->metadata
					       ? json_dumps(t->metadata, JSON_COMPACT)
					       : xstrdup("{}"));
		db_bind_int(qc, 6, (int64_t)t->n_asserts);
		sti_bind_text(qc, 7, store_keys_case(st->keys, i));
		sti_bind_text(qc, 8, store_keys_case_hash(st->keys, i));
		if (db_step(qc, err) != DB_DONE)
			rc = sti_fail(st, err, "storing a test case");
	}
out:
	db_finalize(qp);
	db_finalize(qr);
	db_finalize(qc);
	return rc;
}

int store_run_begin(struct store *st, const struct suite *s,
		    const char *description, int repeat, int64_t *run_id,
		    struct err *err)
{
	struct store_run_meta m = { .description = description, .repeat = repeat };
	return store_run_begin_meta(st, s, &m, run_id, err);
}

/* Owned compact JSON of config text with secrets stripped, or NULL. */
static char *stripped_text(const char *text)
{
	json_t *j = text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
	char *out = j ? dump_stripped(j) : NULL;
	json_decref(j);
	return out;
}

int store_run_begin_meta(struct store *st, const struct suite *s,
			 const struct store_run_meta *m, int64_t *run_id,
			 struct err *err)
{
	bool joined;
	return store_run_begin_or_join(st, s, m, 0, run_id, &joined, err);
}

/* True when run `id` exists (inside the caller's transaction). */
static bool run_exists(struct store *st, int64_t id)
{
	struct db_stmt *q = NULL;
	bool found;
	if (db_prepare(st->db, "SELECT 1 FROM runs WHERE id = ?1", &q, NULL))
		return false;
	db_bind_int(q, 1, id);
	found = db_step(q, NULL) == DB_ROW;
	db_finalize(q);
	return found;
}

int store_run_begin_or_join(struct store *st, const struct suite *s,
			    const struct store_run_meta *m, int64_t want_id,
			    int64_t *run_id, bool *joined, struct err *err)
{
	struct db_stmt *q = NULL;
	char now[32], host[256];
	int rc;
	*run_id = 0;
	*joined = false;
	if ((rc = store_commit(st, err)) || (rc = sti_tx_begin(st, err)))
		return rc;
	/* Under the write lock: a second shard starting at the same moment
	 * waits here and then finds the run. */
	if (want_id > 0 && run_exists(st, want_id)) {
		*run_id = want_id;
		*joined = true;
		return store_commit(st, err);
	}
	store_keys_free(st->keys);
	st->keys = store_keys_new(s);
	if (gethostname(host, sizeof host) != 0)
		host[0] = '\0';
	host[sizeof host - 1] = '\0';
	sti_iso_time(fs_now_ms(), now);
	/* The id is left to the database unless the caller chose one; a run
	 * created by another shard since run_exists gives no row. */
	if ((rc = sti_prepare(st, want_id > 0
			      ? "INSERT INTO runs (created_at, status, "
				"description, suite_path, suite_json, repeat, "
				"assay_version, n_cases, n_prompts, n_providers, "
				"label, suite_hash, config_json, git_commit, host,"
				" pid, heartbeat_ms, id) "
				"VALUES (?1, 'running', ?2, ?3, ?4, ?5, ?6, ?7, "
				"?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)"
				" ON CONFLICT (id) DO NOTHING RETURNING id"
			      : "INSERT INTO runs (created_at, status, "
				"description, suite_path, suite_json, repeat, "
				"assay_version, n_cases, n_prompts, n_providers, "
				"label, suite_hash, config_json, git_commit, host,"
				" pid, heartbeat_ms) "
				"VALUES (?1, 'running', ?2, ?3, ?4, ?5, ?6, ?7, "
				"?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)"
				" RETURNING id", &q, err)))
		goto fail;
	if (want_id > 0)
		db_bind_int(q, 17, want_id);
	sti_bind_text(q, 1, now);
	sti_bind_text(q, 2, m->description ? m->description : s->description);
	sti_bind_text(q, 3, s->path);
	bind_owned_json(q, 4, dump_stripped(s->sanitized));
	db_bind_int(q, 5, m->repeat > 0 ? m->repeat : 1);
	sti_bind_text(q, 6, ASSAY_VERSION);
	db_bind_int(q, 7, (int64_t)s->n_tests);
	db_bind_int(q, 8, (int64_t)s->n_prompts);
	db_bind_int(q, 9, (int64_t)s->n_providers);
	sti_bind_text(q, 10, m->label);
	sti_bind_text(q, 11, store_keys_suite(st->keys));
	bind_owned_json(q, 12, stripped_text(m->config_json));
	sti_bind_text(q, 13, m->git_commit);
	sti_bind_text(q, 14, host[0] ? host : NULL);
	db_bind_int(q, 15, (int64_t)getpid());
	db_bind_int(q, 16, (int64_t)fs_now_ms());
	rc = db_step(q, err);
	if (rc == DB_DONE && want_id > 0) {
		db_finalize(q);
		*run_id = want_id;
		*joined = true;
		return store_commit(st, err);
	}
	if (rc != DB_ROW) {
		rc = sti_fail(st, err, "storing the run");
		goto fail;
	}
	*run_id = db_col_int(q, 0);
	db_finalize(q);
	q = NULL;
	/* PostgreSQL (not run here): a chosen id does not move the identity
	 * sequence, so the next run without one would collide with it. */
	if (want_id > 0 && db_kind(st->db) == DB_PG) {
		if ((rc = sti_prepare(st, "SELECT setval(pg_get_serial_sequence("
				      "'runs', 'id'), (SELECT max(id) FROM runs))",
				      &q, err)))
			goto fail;
		if ((rc = sti_run(st, q, "moving the run id sequence", err)))
			goto fail;
		db_finalize(q);
		q = NULL;
	}
	if ((rc = insert_meta(st, *run_id, s, err)))
		goto fail;
	st->live_run = *run_id;
	st->last_beat_ms = fs_mono_ms();
	return store_commit(st, err);
fail:
	db_finalize(q);
	{
		struct err ignore = {0};
		db_rollback(st->db, &ignore);
	}
	st->in_tx = false;
	*run_id = 0;
	return rc;
}

int store_run_reopen(struct store *st, const struct suite *s, int64_t run_id,
		     struct err *err)
{
	struct db_stmt *q = NULL;
	char host[256];
	int rc;
	if ((rc = store_commit(st, err)))
		return rc;
	if (gethostname(host, sizeof host) != 0)
		host[0] = '\0';
	host[sizeof host - 1] = '\0';
	if ((rc = sti_prepare(st, "UPDATE runs SET status='running',"
			      " finished_at=NULL, pid=?2, host=?3,"
			      " heartbeat_ms=?4 WHERE id=?1", &q, err)))
		return rc;
	db_bind_int(q, 1, run_id);
	db_bind_int(q, 2, (int64_t)getpid());
	sti_bind_text(q, 3, host[0] ? host : NULL);
	db_bind_int(q, 4, (int64_t)fs_now_ms());
	if (db_step(q, err) != DB_DONE)
		rc = sti_fail(st, err, "reopening the run");
	else if (db_changes(st->db) == 0)
		rc = err_set(err, ST_DB, "%s has no run %lld", st->path,
			     (long long)run_id);
	db_finalize(q);
	if (rc)
		return rc;
	store_keys_free(st->keys);
	st->keys = store_keys_new(s);
	st->live_run = run_id;
	st->last_beat_ms = fs_mono_ms();
	return 0;
}

int store_run_end(struct store *st, int64_t run_id, const char *status,
		  struct err *err)
{
	struct db_stmt *q = NULL;
	char now[32];
	int rc;
	if ((rc = store_commit(st, err)))
		return rc;
	sti_iso_time(fs_now_ms(), now);
	if ((rc = sti_prepare(st, "UPDATE runs SET finished_at=?1, status=?2, "
			      "pid=NULL WHERE id=?3", &q, err)))
		return rc;
	sti_bind_text(q, 1, now);
	sti_bind_text(q, 2, status ? status : "done");
	db_bind_int(q, 3, run_id);
	if (db_step(q, err) != DB_DONE)
		rc = sti_fail(st, err, "finishing the run");
	else if (db_changes(st->db) == 0)
		rc = err_set(err, ST_DB, "%s: no run %lld", st->path,
			     (long long)run_id);
	db_finalize(q);
	if (run_id == st->live_run)
		st->live_run = 0;
	return rc;
}

/* ------------------------------------------------------------ results */

/* A result already stored for the same key (a resumed run redoing an
 * item) is replaced: its assertion rows are deleted first.  This keeps
 * the SQL portable (no INSERT OR REPLACE). */
static int drop_existing(struct store *st, int64_t run_id,
			 const struct result_rec *r, struct err *err)
{
	struct db_stmt *q = st->find_result;
	int64_t id = -1;
	db_reset(q);
	db_bind_int(q, 1, run_id);
	db_bind_int(q, 2, (int64_t)r->test_idx);
	db_bind_int(q, 3, (int64_t)r->prompt_idx);
	db_bind_int(q, 4, (int64_t)r->provider_idx);
	db_bind_int(q, 5, r->repeat);
	if (db_step(q, err) == DB_ROW)
		id = db_col_int(q, 0);
	db_reset(q);
	if (id < 0)
		return 0;
	db_reset(st->del_asserts);
	db_bind_int(st->del_asserts, 1, id);
	if (db_step(st->del_asserts, err) != DB_DONE)
		return sti_fail(st, err, "replacing a result");
	db_reset(st->del_asserts);
	db_reset(st->del_result);
	db_bind_int(st->del_result, 1, id);
	if (db_step(st->del_result, err) != DB_DONE)
		return sti_fail(st, err, "replacing a result");
	db_reset(st->del_result);
	return 0;
}

/* ---- a result as the values its INSERTs bind (struct srow) ----------
 *
 * store_result_put fills a row on the caller's thread (everything it
 * reads from the response and the grade, texts copied into one buffer)
 * and writes it at once, or hands it to the writer thread
 * (store_writer.c) to write later; one code path either way. */

enum { SP_NULL, SP_INT, SP_REAL, SP_TEXT };

static void row_int(struct sparam *v, int64_t i)
{
	v->kind = SP_INT;
	v->i = i;
}

static void row_real(struct sparam *v, double d)
{
	v->kind = isfinite(d) ? SP_REAL : SP_NULL;
	v->d = d;
}

static void row_text(struct srow *row, struct sparam *v, const char *s)
{
	size_t n;
	if (!s)
		return; /* SP_NULL */
	n = strlen(s);
	v->kind = SP_TEXT;
	v->off = row->text.len;
	buf_append(&row->text, s, n + 1);
}

static void row_count(struct sparam *v, long n)
{
	if (n >= 0)
		row_int(v, n);
}

static void row_real_known(struct sparam *v, double d)
{
	if (d >= 0)
		row_real(v, d);
}

static void row_bind(struct db_stmt *q, const struct srow *row,
		     const struct sparam *v, int n)
{
	db_reset(q);
	for (int i = 0; i < n; i++) {
		switch (v[i].kind) {
		case SP_INT:
			db_bind_int(q, i + 1, v[i].i);
			break;
		case SP_REAL:
			db_bind_double(q, i + 1, v[i].d);
			break;
		case SP_TEXT:
			sti_bind_text(q, i + 1, row->text.p + v[i].off);
			break;
		default:
			db_bind_null(q, i + 1);
			break;
		}
	}
}

void sti_row_fill(struct store *st, int64_t run_id, const struct result_rec *r,
		  struct srow *row)
{
	const struct response *resp = r->resp;
	const struct grade *g = resp->error == RESP_OK ? r->grade : NULL;
	struct sparam *v = row->res;
	char started[32], key[65];
	memset(row, 0, sizeof *row);
	row->run_id = run_id;
	row->t = r->test_idx;
	row->p = r->prompt_idx;
	row->v = r->provider_idx;
	row->rep = r->repeat;
	row_int(&v[0], run_id);
	row_int(&v[1], (int64_t)r->test_idx);
	row_int(&v[2], (int64_t)r->prompt_idx);
	row_int(&v[3], (int64_t)r->provider_idx);
	row_int(&v[4], r->repeat);
	if (r->started_ms > 0) {
		sti_iso_time(r->started_ms, started);
		row_text(row, &v[5], started);
	}
	row_text(row, &v[6], r->rendered_prompt);
	row_text(row, &v[7], resp->output);
	if (resp->error != RESP_OK) {
		row_text(row, &v[8], resp_error_name(resp->error));
		row_text(row, &v[9], resp->error_msg ? resp->error_msg : "");
	}
	if (resp->http_status > 0)
		row_int(&v[10], resp->http_status);
	row_text(row, &v[11], resp->finish_reason);
	row_real_known(&v[12], resp->latency_ms);
	row_real_known(&v[13], resp->ttft_ms);
	row_count(&v[14], resp->prompt_tokens);
	row_count(&v[15], resp->completion_tokens);
	row_count(&v[16], resp->total_tokens);
	row_real_known(&v[17], resp->cost_usd);
	row_int(&v[18], resp->retries);
	row_int(&v[19], resp->cached ? 1 : 0);
	row_real(&v[24], resp->retry_wait_ms);
	row_int(&v[25], r->judge_calls);
	row_real(&v[26], r->judge_cost_usd);
	row_real(&v[27], r->judge_latency_ms);
	if (resp->error == RESP_OK && resp->confidence >= 0 &&
	    resp->confidence <= 1)
		row_real(&v[28], resp->confidence);
	row_text(row, &v[29], resp->served_model);
	if (st->keys && run_id == st->live_run) {
		store_keys_item(st->keys, r->test_idx, r->prompt_idx,
				r->provider_idx, r->repeat, key);
		row_text(row, &v[30], key);
	}
	if (!g)
		return;
	row_int(&v[20], g->pass ? 1 : 0);
	row_real(&v[21], g->score);
	row_text(row, &v[22], g->reason);
	if (g->named_scores && json_object_size(g->named_scores)) {
		char *named = json_dumps(g->named_scores, JSON_COMPACT);
		row_text(row, &v[23], named);
		free(named);
	}
	row->n_asserts = g->n_items;
	row->as = g->n_items ? xcalloc(g->n_items, sizeof *row->as) : NULL;
	for (size_t i = 0; i < g->n_items; i++) {
		const struct assert_outcome *o = &g->items[i];
		const struct assertion_spec *sp = o->spec;
		struct sparam *a = row->as[i];
		row_int(&a[1], (int64_t)i);
		row_text(row, &a[2], sp && sp->type ? sp->type : "?");
		row_int(&a[3], o->pass ? 1 : 0);
		row_real(&a[4], o->score);
		row_text(row, &a[5], o->reason);
		if (sp)
			row_real(&a[6], sp->weight);
		row_text(row, &a[7], sp ? sp->metric : NULL);
		if (sp && sp->has_severity)
			row_real(&a[8], sp->severity);
	}
}

void sti_row_free(struct srow *row)
{
	if (!row)
		return;
	buf_free(&row->text);
	free(row->as);
	row->as = NULL;
}

static int insert_asserts(struct store *st, int64_t result_id,
			  const struct grade *g, struct err *err)
{
	struct db_stmt *q = st->ins_assert;
	for (size_t i = 0; i < g->n_items; i++) {
		const struct assert_outcome *o = &g->items[i];
		const struct assertion_spec *sp = o->spec;
		db_reset(q);
		db_bind_int(q, 1, result_id);
		db_bind_int(q, 2, (int64_t)i);
		sti_bind_text(q, 3, sp && sp->type ? sp->type : "?");
		db_bind_int(q, 4, o->pass ? 1 : 0);
		bind_real(q, 5, o->score);
		sti_bind_text(q, 6, o->reason);
		if (sp)
			bind_real(q, 7, sp->weight);
		sti_bind_text(q, 8, sp ? sp->metric : NULL);
		if (sp && sp->has_severity)
			db_bind_double(q, 9, sp->severity);
		if (db_step(q, err) != DB_DONE)
			return sti_fail(st, err, "storing an assertion result");
	}
	db_reset(q);
	return 0;
}

void sti_cache_row_fill(struct srow *row, const char *key, const char *provider_id,
			const char *body, const char *response)
{
	char now[32];
	memset(row, 0, sizeof *row);
	row->cache = true;
	sti_iso_time(fs_now_ms(), now);
	row_text(row, &row->res[0], key);
	row_text(row, &row->res[1], provider_id);
	row_text(row, &row->res[2], body);
	row_text(row, &row->res[3], response);
	row_text(row, &row->res[4], now);
}

/* Writes a filled row in the open transaction. */
int sti_row_write(struct store *st, struct srow *row, struct err *err)
{
	struct result_rec key = { row->t, row->p, row->v, row->rep, NULL, NULL,
				  NULL, 0, 0, 0, 0 };
	struct db_stmt *q = st->ins_result;
	int step, rc;
	int64_t id;
	if (row->cache) {
		q = st->cache_put;
		row_bind(q, row, row->res, 5);
		rc = db_step(q, err) == DB_DONE ? 0 : sti_fail(st, err, "storing a cached response");
		db_reset(q);
		return rc;
	}
	row_bind(q, row, row->res, 31);
	step = db_step(q, err);
	if (step == DB_DONE) {
		/* ON CONFLICT DO NOTHING: the item is stored already. */
		db_reset(q);
		if ((rc = drop_existing(st, row->run_id, &key, err)))
			return rc;
		row_bind(q, row, row->res, 31);
		step = db_step(q, err);
	}
	if (step != DB_ROW) {
		rc = step == DB_DONE
			? err_set(err, ST_DB, "%s: storing a result: the item"
				  " is stored already", st->path)
			: sti_fail(st, err, "storing a result");
		db_reset(q);
		return rc;
	}
	id = db_col_int(q, 0);
	/* Release the bound output/prompt copies now rather than at the next
	 * put (the reset clears the bindings). */
	db_reset(q);
	for (size_t i = 0; i < row->n_asserts; i++) {
		row_int(&row->as[i][0], id);
		row_bind(st->ins_assert, row, row->as[i], 9);
		if (db_step(st->ins_assert, err) != DB_DONE) {
			db_reset(st->ins_assert);
			return sti_fail(st, err, "storing an assertion result");
		}
	}
	db_reset(st->ins_assert);
	return 0;
}

int store_result_put(struct store *st, int64_t run_id,
		     const struct result_rec *r, struct err *err)
{
	struct srow row;
	int rc;
	if (!r || !r->resp)
		return err_set(err, ST_INTERNAL, "store_result_put: no response");
	if (st->w)
		return sti_writer_put(st, run_id, r, err);
	sti_row_fill(st, run_id, r, &row);
	if (!(rc = sti_tx_begin(st, err)))
		rc = sti_row_write(st, &row, err);
	sti_row_free(&row);
	if (rc)
		return rc;
	st->pending++;
	if (st->pending >= BATCH_MAX_RESULTS ||
	    fs_mono_ms() - st->last_commit_ms >= BATCH_MAX_MS)
		return sti_commit_now(st, err);
	return 0;
}

/* ------------------------------------------------------ comparisons */

/* The id of a stored result, 0 when there is none. */
static int64_t result_id(struct store *st, int64_t run_id, size_t t, size_t p,
			 size_t v, int rep)
{
	int64_t id = 0;
	struct db_stmt *q = st->find_result;
	db_reset(q);
	db_bind_int(q, 1, run_id);
	db_bind_int(q, 2, (int64_t)t);
	db_bind_int(q, 3, (int64_t)p);
	db_bind_int(q, 4, (int64_t)v);
	db_bind_int(q, 5, rep);
	if (db_step(q, NULL) == DB_ROW)
		id = db_col_int(q, 0);
	db_reset(q);
	return id;
}

int store_case_outputs(struct store *st, int64_t run_id, size_t test_idx,
		       size_t prompt_idx, int repeat, size_t n_providers,
		       char **outputs, struct err *err)
{
	struct db_stmt *q = NULL;
	int rc;
	for (size_t i = 0; i < n_providers; i++)
		outputs[i] = NULL;
	if ((rc = sti_writer_sync(st, err)))
		return rc;
	if ((rc = sti_prepare(st, "SELECT provider_idx, output FROM results WHERE"
			      " run_id=?1 AND case_idx=?2 AND prompt_idx=?3 AND"
			      " repeat=?4 AND error_kind IS NULL", &q, err)))
		return rc;
	db_bind_int(q, 1, run_id);
	db_bind_int(q, 2, (int64_t)test_idx);
	db_bind_int(q, 3, (int64_t)prompt_idx);
	db_bind_int(q, 4, repeat);
	while (db_step(q, err) == DB_ROW) {
		int64_t v = db_col_int(q, 0);
		const char *o = db_col_text(q, 1);
		if (v >= 0 && (size_t)v < n_providers && !outputs[v])
			outputs[v] = xstrdup(o ? o : "");
	}
	db_finalize(q);
	return 0;
}

int store_result_outcomes(struct store *st, int64_t run_id, size_t test_idx,
			  size_t prompt_idx, size_t provider_idx, int repeat,
			  struct assert_outcome *out, size_t n, bool *found,
			  struct err *err)
{
	struct db_stmt *q = NULL;
	int64_t id;
	int rc;
	*found = false;
	for (size_t i = 0; i < n; i++)
		memset(&out[i], 0, sizeof out[i]);
	if ((rc = sti_writer_sync(st, err)))
		return rc;
	id = result_id(st, run_id, test_idx, prompt_idx, provider_idx, repeat);
	if (!id)
		return 0;
	if ((rc = sti_prepare(st, "SELECT idx, pass, score, reason FROM"
			      " assertion_results WHERE result_id=?1", &q, err)))
		return rc;
	db_bind_int(q, 1, id);
	while (db_step(q, err) == DB_ROW) {
		int64_t i = db_col_int(q, 0);
		const char *why = db_col_text(q, 3);
		if (i < 0 || (size_t)i >= n)
			continue;
		out[i].pass = db_col_int(q, 1) != 0;
		out[i].score = db_col_double(q, 2);
		free(out[i].reason);
		out[i].reason = xstrdup(why ? why : "");
		*found = true;
	}
	db_finalize(q);
	return 0;
}

int store_result_regrade(struct store *st, int64_t run_id, size_t test_idx,
			 size_t prompt_idx, size_t provider_idx, int repeat,
			 const struct grade *g, struct err *err)
{
	struct db_stmt *q = NULL;
	char *named = NULL;
	int64_t id;
	int rc;
	if ((rc = sti_writer_sync(st, err)))
		return rc;
	if ((rc = sti_tx_begin(st, err)))
		return rc;
	id = result_id(st, run_id, test_idx, prompt_idx, provider_idx, repeat);
	if (!id)
		return 0;
	if ((rc = sti_prepare(st, "UPDATE results SET pass=?2, score=?3, reason=?4,"
			      " named_scores_json=?5 WHERE id=?1", &q, err)))
		return rc;
	named = g->named_scores ? json_dumps(g->named_scores, JSON_COMPACT) : NULL;
	db_bind_int(q, 1, id);
	db_bind_int(q, 2, g->pass ? 1 : 0);
	db_bind_double(q, 3, g->score);
	sti_bind_text(q, 4, g->reason);
	sti_bind_text(q, 5, named);
	if (db_step(q, err) != DB_DONE)
		rc = sti_fail(st, err, "updating a result");
	db_finalize(q);
	free(named);
	if (rc)
		return rc;
	db_reset(st->del_asserts);
	db_bind_int(st->del_asserts, 1, id);
	if (db_step(st->del_asserts, err) != DB_DONE)
		rc = sti_fail(st, err, "updating a result");
	db_reset(st->del_asserts);
	if (rc)
		return rc;
	return insert_asserts(st, id, g, err);
}

int store_result_grading_error(struct store *st, int64_t run_id,
			       size_t test_idx, size_t prompt_idx,
			       size_t provider_idx, int repeat,
			       const char *why, struct err *err)
{
	struct db_stmt *q = NULL;
	char *msg;
	int64_t id;
	int rc;
	if ((rc = sti_writer_sync(st, err)))
		return rc;
	if ((rc = sti_tx_begin(st, err)))
		return rc;
	id = result_id(st, run_id, test_idx, prompt_idx, provider_idx, repeat);
	if (!id)
		return 0;
	if ((rc = sti_prepare(st, "UPDATE results SET error_kind='other',"
			      " error_msg=?2, pass=NULL, score=NULL, reason=NULL,"
			      " named_scores_json=NULL WHERE id=?1", &q, err)))
		return rc;
	msg = xasprintf("grading failed: %s", why ? why : "");
	db_bind_int(q, 1, id);
	sti_bind_text(q, 2, msg);
	if (db_step(q, err) != DB_DONE)
		rc = sti_fail(st, err, "updating a result");
	db_finalize(q);
	free(msg);
	if (rc)
		return rc;
	db_reset(st->del_asserts);
	db_bind_int(st->del_asserts, 1, id);
	if (db_step(st->del_asserts, err) != DB_DONE)
		rc = sti_fail(st, err, "updating a result");
	db_reset(st->del_asserts);
	return rc;
}

/* ------------------------------------------------------------ reads */

int store_result_state(struct store *st, int64_t run_id, size_t test_idx,
		       size_t prompt_idx, size_t provider_idx, int repeat,
		       int *state, struct err *err)
{
	struct db_stmt *q = NULL;
	int rc = 0, step;
	*state = 0;
	if ((rc = sti_prepare(st, "SELECT CASE WHEN error_kind IS NULL THEN 0"
			      " ELSE 1 END FROM results"
			      " WHERE run_id=?1 AND case_idx=?2 AND"
			      " prompt_idx=?3 AND provider_idx=?4 AND repeat=?5",
			  &q, err)))
		return rc;
	db_bind_int(q, 1, run_id);
	db_bind_int(q, 2, (int64_t)test_idx);
	db_bind_int(q, 3, (int64_t)prompt_idx);
	db_bind_int(q, 4, (int64_t)provider_idx);
	db_bind_int(q, 5, repeat);
	step = db_step(q, err);
	if (step == DB_ROW)
		*state = db_col_int(q, 0) ? 2 : 1;
	else if (step != DB_DONE)
		rc = sti_fail(st, err, "reading a result");
	db_finalize(q);
	return rc;
}

static int cache_put_locked(struct store *st, const char *key,
			    const char *provider_id, const char *body,
			    const char *response, struct err *err)
{
	struct srow row;
	int rc;
	if ((rc = sti_tx_begin(st, err)))
		return rc;
	sti_cache_row_fill(&row, key, provider_id, body, response);
	rc = sti_row_write(st, &row, err);
	sti_row_free(&row);
	if (rc)
		return rc;
	st->pending++;
	if (st->pending >= BATCH_MAX_RESULTS ||
	    fs_mono_ms() - st->last_commit_ms >= BATCH_MAX_MS)
		return sti_commit_now(st, err);
	return 0;
}

int store_cache_put(struct store *st, const char *key, const char *provider_id,
		    const char *body, const char *response, struct err *err)
{
	int rc;
	if (!key || !response)
		return err_set(err, ST_INTERNAL, "store_cache_put: no key or response");
	if (st->w) /* written with the results, in the writer's next batch */
		return sti_writer_put_cache(st, key, provider_id, body, response, err);
	sti_db_lock(st);
	rc = cache_put_locked(st, key, provider_id, body, response, err);
	sti_db_unlock(st);
	return rc;
}

/* One lookup on q (a cache_get statement of either connection). */
static int cache_lookup(struct store *st, struct db_stmt *q, const char *key,
			char **response, struct err *err)
{
	int rc = 0, step;
	db_reset(q);
	sti_bind_text(q, 1, key);
	step = db_step(q, err);
	if (step == DB_ROW && db_col_text(q, 0))
		*response = xstrdup(db_col_text(q, 0));
	else if (step != DB_ROW && step != DB_DONE)
		rc = sti_fail(st, err, "reading the cache");
	db_reset(q);
	return rc;
}

int store_cache_get(struct store *st, const char *key, char **response,
		    struct err *err)
{
	struct db_stmt *rq = sti_reader_cache_get(st);
	int rc;
	*response = NULL;
	/* The reader connection sees what the writer has committed: an
	 * entry still in its queue (answered a moment ago) is not found, as
	 * one still in flight was not. */
	if (rq)
		return cache_lookup(st, rq, key, response, err);
	sti_db_lock(st);
	rc = cache_lookup(st, st->cache_get, key, response, err);
	sti_db_unlock(st);
	return rc;
}
