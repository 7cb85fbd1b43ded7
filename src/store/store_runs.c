/* store_runs.c — run records: lookup by reference (`latest`, `latest~N`,
 * an id, `label:NAME`), one run's record, the run listing, the item keys
 * of a run (for resume and --retry-errors) and deletion.
 *
 * A run left `running` by a process that is gone reads as `interrupted`:
 * its pid is dead on this host, or (another host, or a pid reused) its
 * heartbeat is older than STORE_STALE_MS.  Reads never rewrite the row;
 * the status is corrected when the run is resumed. */
#include "store_int.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../util/fsutil.h"
#include "../util/xalloc.h"

#define RUN_COLS \
	"SELECT r.id, r.created_at, r.finished_at, r.status, r.description," \
	" r.label, r.suite_path, r.suite_json, r.assay_version, r.suite_hash," \
	" r.config_json, r.git_commit, r.host, r.repeat, r.n_cases," \
	" r.n_prompts, r.n_providers, r.pid, r.heartbeat_ms,"

static const char *const run_cols =
	RUN_COLS
	" (SELECT count(*) FROM results x WHERE x.run_id = r.id),"
	" (SELECT count(*) FROM results x WHERE x.run_id = r.id"
	"   AND x.error_kind IS NOT NULL)"
	" FROM runs r";

/* The same columns without the two counts (-1 each): the error count
 * reads every result row of the run (tens of ms at 20,000 results). */
static const char *const run_cols_brief =
	RUN_COLS " -1, -1 FROM runs r";

/* True when a `running` run's writer is gone. */
static bool writer_gone(const char *host, long pid, double beat_ms)
{
	char me[256];
	if (gethostname(me, sizeof me) != 0)
		me[0] = '\0';
	me[sizeof me - 1] = '\0';
	if (pid > 0 && host && !strcmp(host, me) && pid != (long)getpid() &&
	    kill((pid_t)pid, 0) != 0 && errno == ESRCH)
		return true;
	if (pid <= 0 && isnan(beat_ms))
		return true; /* written before v3 and never finished */
	return !isnan(beat_ms) && fs_now_ms() - beat_ms > STORE_STALE_MS;
}

static void fill_run(struct db_stmt *q, struct store_run *r)
{
	double beat;
	memset(r, 0, sizeof *r);
	r->id = db_col_int(q, 0);
	r->created_at = sti_dup(q, 1, true);
	r->finished_at = sti_dup(q, 2, false);
	r->status = sti_dup(q, 3, true);
	r->description = sti_dup(q, 4, false);
	r->label = sti_dup(q, 5, false);
	r->suite_path = sti_dup(q, 6, false);
	r->suite_json = sti_dup(q, 7, false);
	r->assay_version = sti_dup(q, 8, false);
	r->suite_hash = sti_dup(q, 9, false);
	r->config_json = sti_dup(q, 10, false);
	r->git_commit = sti_dup(q, 11, false);
	r->host = sti_dup(q, 12, false);
	r->repeat = db_col_int(q, 13);
	r->n_cases = (long)db_col_int(q, 14);
	r->n_prompts = (long)db_col_int(q, 15);
	r->n_providers = (long)db_col_int(q, 16);
	r->pid = db_col_null(q, 17)
		? -1 : (long)db_col_int(q, 17);
	beat = db_col_null(q, 18)
		? NAN : db_col_double(q, 18);
	if (!isnan(beat)) {
		char iso[32];
		sti_iso_time(beat, iso);
		r->heartbeat_at = xstrdup(iso);
	}
	r->n_results = (long)db_col_int(q, 19);
	r->n_errors = (long)db_col_int(q, 20);
	if (!strcmp(r->status, "running") && writer_gone(r->host, r->pid, beat)) {
		free(r->status);
		r->status = xstrdup("interrupted");
	}
}

void store_run_free(struct store_run *r)
{
	if (!r)
		return;
	free(r->created_at);
	free(r->finished_at);
	free(r->status);
	free(r->description);
	free(r->label);
	free(r->suite_path);
	free(r->suite_json);
	free(r->assay_version);
	free(r->suite_hash);
	free(r->config_json);
	free(r->git_commit);
	free(r->host);
	free(r->heartbeat_at);
	memset(r, 0, sizeof *r);
}

static int run_get(struct store *st, int64_t run_id, const char *cols,
		   struct store_run *out, struct err *err)
{
	struct db_stmt *q = NULL;
	char *sql = xasprintf("%s WHERE r.id = ?1", cols);
	int rc, step;
	memset(out, 0, sizeof *out);
	rc = store_commit(st, err);
	if (!rc)
		rc = sti_prepare(st, sql, &q, err);
	free(sql);
	if (rc)
		return rc;
	db_bind_int(q, 1, run_id);
	step = db_step(q, err);
	if (step == DB_ROW)
		fill_run(q, out);
	else if (step == DB_DONE)
		rc = err_set(err, ST_DB, "no run %lld in the store",
			     (long long)run_id);
	else
		rc = sti_fail(st, err, "reading the run");
	db_finalize(q);
	return rc;
}

int store_run_get(struct store *st, int64_t run_id, struct store_run *out,
		  struct err *err)
{
	return run_get(st, run_id, run_cols, out, err);
}

int store_run_get_brief(struct store *st, int64_t run_id,
			struct store_run *out, struct err *err)
{
	return run_get(st, run_id, run_cols_brief, out, err);
}

int store_run_results_key(struct store *st, int64_t run_id, long *n,
			  int64_t *max_id, struct err *err)
{
	struct db_stmt *q = NULL;
	int rc = store_commit(st, err), step;
	*n = 0;
	*max_id = 0;
	/* both from the index results_by_group (run_id first): no row read */
	if (!rc)
		rc = sti_prepare(st, "SELECT count(*), coalesce(max(id), 0)"
				 " FROM results WHERE run_id = ?1", &q, err);
	if (rc)
		return rc;
	db_bind_int(q, 1, run_id);
	step = db_step(q, err);
	if (step == DB_ROW) {
		*n = (long)db_col_int(q, 0);
		*max_id = db_col_int(q, 1);
	} else {
		rc = sti_fail(st, err, "counting the run's results");
	}
	db_finalize(q);
	return rc;
}

static int runs_each(struct store *st, size_t limit, const char *cols,
		     int (*cb)(void *ud, const struct store_run *r), void *ud,
		     struct err *err)
{
	struct db_stmt *q = NULL;
	char *sql = xasprintf("%s ORDER BY r.id DESC", cols);
	size_t n = 0;
	int rc, step;
	rc = store_commit(st, err);
	if (!rc)
		rc = sti_prepare(st, sql, &q, err);
	free(sql);
	if (rc)
		return rc;
	while ((limit == 0 || n < limit) && (step = db_step(q, err)) == DB_ROW) {
		struct store_run r;
		fill_run(q, &r);
		rc = cb(ud, &r);
		store_run_free(&r);
		n++;
		if (rc)
			break;
	}
	if (!rc && (limit == 0 || n < limit) && step != DB_DONE)
		rc = sti_fail(st, err, "listing runs");
	db_finalize(q);
	return rc;
}

int store_runs_each(struct store *st, size_t limit,
		    int (*cb)(void *ud, const struct store_run *r), void *ud,
		    struct err *err)
{
	return runs_each(st, limit, run_cols, cb, ud, err);
}

int store_runs_each_brief(struct store *st, size_t limit,
			  int (*cb)(void *ud, const struct store_run *r),
			  void *ud, struct err *err)
{
	return runs_each(st, limit, run_cols_brief, cb, ud, err);
}

/* --------------------------------------------------------- references */

static int one_id(struct store *st, const char *sql, const char *text,
		  int64_t num, int64_t *run_id, struct err *err)
{
	struct db_stmt *q = NULL;
	int rc = sti_prepare(st, sql, &q, err), step;
	if (rc)
		return rc;
	if (text)
		sti_bind_text(q, 1, text);
	else
		db_bind_int(q, 1, num);
	step = db_step(q, err);
	if (step == DB_ROW && !db_col_null(q, 0))
		*run_id = db_col_int(q, 0);
	else if (step != DB_ROW && step != DB_DONE)
		rc = sti_fail(st, err, "finding the run");
	db_finalize(q);
	return rc;
}

int store_resolve_run(struct store *st, const char *ref, int64_t *run_id,
		      struct err *err)
{
	int rc;
	*run_id = 0;
	if ((rc = store_commit(st, err)))
		return rc;
	if (!ref || !*ref || !strncmp(ref, "latest", 6)) {
		long back = 0;
		if (ref && ref[0] && ref[6]) {
			char *end;
			if (ref[6] != '~' || !isdigit((unsigned char)ref[7]) ||
			    (back = strtol(ref + 7, &end, 10), *end))
				return err_set(err, ST_USAGE, "bad run reference "
					       "'%s': expected latest, latest~N, "
					       "an id or label:NAME", ref);
		}
		if ((rc = one_id(st, "SELECT id FROM runs ORDER BY id DESC"
				 " LIMIT 1 OFFSET ?1", NULL, back, run_id, err)))
			return rc;
		if (!*run_id)
			return err_set(err, ST_DB, back ? "%s holds fewer than "
				       "%ld+1 runs" : "%s holds no runs yet",
				       st->path, back);
		return 0;
	}
	if (!strncmp(ref, "label:", 6)) {
		if ((rc = one_id(st, "SELECT max(id) FROM runs WHERE label = ?1",
				 ref + 6, 0, run_id, err)))
			return rc;
		if (!*run_id)
			return err_set(err, ST_DB, "%s has no run labelled '%s'",
				       st->path, ref + 6);
		return 0;
	}
	{
		char *end;
		long long v;
		const char *p = ref[0] == '#' ? ref + 1 : ref;
		v = strtoll(p, &end, 10);
		if (!isdigit((unsigned char)*p) || *end || v <= 0)
			return err_set(err, ST_USAGE,
				       "bad run reference '%s': expected "
				       "'latest', 'latest~N', a run id (a "
				       "positive number) or label:NAME", ref);
		if ((rc = one_id(st, "SELECT id FROM runs WHERE id = ?1", NULL, v,
				 run_id, err)))
			return rc;
		if (!*run_id)
			return err_set(err, ST_DB, "%s has no run %lld", st->path, v);
	}
	return 0;
}

/* ---------------------------------------------------------- item keys */

int store_item_states_each(struct store *st, int64_t run_id,
			   int (*cb)(void *ud, size_t test_idx,
				     size_t prompt_idx, size_t prov_idx,
				     int repeat, const char *item_key,
				     int state),
			   void *ud, struct err *err)
{
	struct db_stmt *q = NULL;
	int rc, step;
	if ((rc = store_commit(st, err)) ||
	    (rc = sti_prepare(st, "SELECT case_idx, prompt_idx, provider_idx,"
			      " repeat, item_key,"
			      " CASE WHEN error_kind IS NULL THEN 0 ELSE 1 END FROM"
			      " results WHERE run_id = ?1", &q, err)))
		return rc;
	db_bind_int(q, 1, run_id);
	while ((step = db_step(q, err)) == DB_ROW) {
		rc = cb(ud, (size_t)db_col_int(q, 0),
			(size_t)db_col_int(q, 1),
			(size_t)db_col_int(q, 2),
			db_col_int(q, 3), sti_text(q, 4),
			db_col_int(q, 5) ? 2 : 1);
		if (rc)
			break;
	}
	if (!rc && step != DB_DONE)
		rc = sti_fail(st, err, "reading results");
	db_finalize(q);
	return rc;
}

/* ----------------------------------------------------------- deletion */

int store_run_delete(struct store *st, int64_t run_id, struct err *err)
{
	static const char *const steps[] = {
		"DELETE FROM assertion_results WHERE result_id IN"
		" (SELECT id FROM results WHERE run_id = ?1)",
		"DELETE FROM judge_calls WHERE result_id IN"
		" (SELECT id FROM results WHERE run_id = ?1)",
		"DELETE FROM human_grades WHERE result_id IN"
		" (SELECT id FROM results WHERE run_id = ?1)",
		"DELETE FROM results WHERE run_id = ?1",
		"DELETE FROM turns WHERE run_id = ?1",
		"DELETE FROM cases WHERE run_id = ?1",
		"DELETE FROM run_prompts WHERE run_id = ?1",
		"DELETE FROM run_providers WHERE run_id = ?1",
		"DELETE FROM runs WHERE id = ?1",
	};
	int rc;
	bool found = false;
	if ((rc = store_commit(st, err)) ||
	    (rc = db_begin_write(st->db, err)))
		return rc;
	for (size_t i = 0; i < sizeof steps / sizeof *steps && !rc; i++) {
		struct db_stmt *q = NULL;
		if ((rc = sti_prepare(st, steps[i], &q, err)))
			break;
		db_bind_int(q, 1, run_id);
		if (db_step(q, err) != DB_DONE)
			rc = sti_fail(st, err, "deleting the run");
		else if (i + 1 == sizeof steps / sizeof *steps)
			found = db_changes(st->db) > 0;
		db_finalize(q);
	}
	if (!rc && !found)
		rc = err_set(err, ST_DB, "%s has no run %lld", st->path,
			     (long long)run_id);
	if (rc) {
		struct err ignore = {0};
		db_rollback(st->db, &ignore);
		return rc;
	}
	return db_commit(st->db, err);
}
