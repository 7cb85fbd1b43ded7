/* store_human.c — the human_grades table: validated puts (a grader's new
 * rating of a result replaces the old one), one grade or a whole batch in
 * one transaction, and the walk over a run's grades.  The only SQL about human grades (db.h's dialect, shared by
 * both backends); see store_human.h. */
#include "store_human.h"

#include <stdbool.h>
#include <string.h>

#include "store_int.h"
#include "../util/fsutil.h"

/* Where a result sits: its run, case, prompt, provider and repeat. */
struct res_pos {
	int64_t run_id, case_idx, prompt_idx, provider_idx, repeat;
};

static int find_result(struct store *st, int64_t id, struct res_pos *p,
		       bool *found, struct err *err)
{
	struct db_stmt *q = NULL;
	int rc = sti_prepare(st,
		"SELECT run_id, case_idx, prompt_idx, provider_idx, repeat"
		" FROM results WHERE id = ?1", &q, err);
	if (rc)
		return rc;
	db_bind_int(q, 1, id);
	*found = false;
	rc = db_step(q, err);
	if (rc == DB_ROW) {
		p->run_id = db_col_int(q, 0);
		p->case_idx = db_col_int(q, 1);
		p->prompt_idx = db_col_int(q, 2);
		p->provider_idx = db_col_int(q, 3);
		p->repeat = db_col_int(q, 4);
		*found = true;
	} else if (rc != DB_DONE) {
		db_finalize(q);
		return sti_fail(st, err, "reading a result");
	}
	db_finalize(q);
	return 0;
}

static int check_rating(const struct store_human_grade *g, struct err *err)
{
	if (g->rating < 0 || g->rating > 5)
		return err_set(err, ST_INPUT,
			       "rating %d is out of range (1..5, or 0 for none)",
			       g->rating);
	if (g->ship < -1 || g->ship > 1)
		return err_set(err, ST_INPUT,
			       "ship %d must be 1 (yes), 0 (no) or -1 (not given)",
			       g->ship);
	if (g->rating == 0 && g->ship == -1)
		return err_set(err, ST_INPUT,
			       "a rating grade needs a rating (1..5) or ship (yes/no)");
	if (g->other_result_id || g->preferred)
		return err_set(err, ST_INPUT,
			       "a rating grade has no other result and no preferred");
	return 0;
}

static int check_pair(struct store *st, const struct store_human_grade *g,
		      const struct res_pos *a, struct err *err)
{
	struct res_pos b;
	bool found;
	int rc;
	if (g->rating != 0 || g->ship != -1)
		return err_set(err, ST_INPUT,
			       "a pairwise grade has no rating and no ship");
	if (g->other_result_id == g->result_id)
		return err_set(err, ST_INPUT,
			       "a pairwise grade compares two different results");
	if ((rc = find_result(st, g->other_result_id, &b, &found, err)))
		return rc;
	if (!found)
		return err_set(err, ST_INPUT, "no result with id %lld",
			       (long long)g->other_result_id);
	if (a->run_id != b.run_id)
		return err_set(err, ST_INPUT,
			       "results %lld and %lld belong to different runs",
			       (long long)g->result_id,
			       (long long)g->other_result_id);
	if (a->case_idx != b.case_idx || a->prompt_idx != b.prompt_idx ||
	    a->repeat != b.repeat)
		return err_set(err, ST_INPUT,
			       "results %lld and %lld are not the same case"
			       " (case, prompt and repeat must match)",
			       (long long)g->result_id,
			       (long long)g->other_result_id);
	if (a->provider_idx == b.provider_idx)
		return err_set(err, ST_INPUT,
			       "results %lld and %lld come from the same provider",
			       (long long)g->result_id,
			       (long long)g->other_result_id);
	if (g->preferred && g->preferred != g->result_id &&
	    g->preferred != g->other_result_id)
		return err_set(err, ST_INPUT,
			       "preferred %lld is neither of the two results"
			       " (0 for a tie)", (long long)g->preferred);
	return 0;
}

static int validate(struct store *st, const struct store_human_grade *g,
		    struct err *err)
{
	struct res_pos a;
	bool found;
	int rc;
	if (!g->grader || !g->grader[0])
		return err_set(err, ST_INPUT, "a grade needs a grader name");
	if (strlen(g->grader) > 200)
		return err_set(err, ST_INPUT,
			       "grader name is longer than 200 bytes");
	if (!g->kind || (strcmp(g->kind, "rating") && strcmp(g->kind, "pairwise")))
		return err_set(err, ST_INPUT,
			       "kind must be \"rating\" or \"pairwise\", not \"%s\"",
			       g->kind ? g->kind : "");
	if ((rc = find_result(st, g->result_id, &a, &found, err)))
		return rc;
	if (!found)
		return err_set(err, ST_INPUT, "no result with id %lld",
			       (long long)g->result_id);
	if (!strcmp(g->kind, "rating"))
		return check_rating(g, err);
	return check_pair(st, g, &a, err);
}

static int exec_bound(struct store *st, const char *sql,
		      const struct store_human_grade *g, struct err *err)
{
	struct db_stmt *q = NULL;
	int rc = sti_prepare(st, sql, &q, err);
	if (rc)
		return rc;
	db_bind_int(q, 1, g->result_id);
	db_bind_int(q, 2, g->other_result_id);
	sti_bind_text(q, 3, g->grader);
	rc = db_step(q, err);
	db_finalize(q);
	return rc == DB_DONE ? 0 : sti_fail(st, err, "replacing a grade");
}

static int insert(struct store *st, const struct store_human_grade *g,
		  int64_t *id, struct err *err)
{
	struct db_stmt *q = NULL;
	char now[32];
	bool pair = !strcmp(g->kind, "pairwise");
	int rc = sti_prepare(st,
		"INSERT INTO human_grades (result_id, other_result_id, grader,"
		" kind, rating, pass, preferred, comment, created_at)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) RETURNING id", &q, err);
	if (rc)
		return rc;
	sti_iso_time(fs_now_ms(), now);
	db_bind_int(q, 1, g->result_id);
	if (pair)
		db_bind_int(q, 2, g->other_result_id);
	sti_bind_text(q, 3, g->grader);
	sti_bind_text(q, 4, g->kind);
	if (g->rating > 0)
		db_bind_int(q, 5, g->rating);
	if (g->ship >= 0)
		db_bind_int(q, 6, g->ship);
	if (pair && g->preferred)
		db_bind_int(q, 7, g->preferred);
	sti_bind_text(q, 8, g->comment);
	sti_bind_text(q, 9, now);
	rc = db_step(q, err);
	if (rc == DB_ROW && id)
		*id = db_col_int(q, 0);
	db_finalize(q);
	if (rc != DB_ROW)
		return sti_fail(st, err, "storing a grade");
	return 0;
}

/* One grade inside the caller's open write transaction: validated, the
 * grader's old grade of the same result (or pair) deleted, the new one
 * inserted.  Nothing is committed or rolled back here. */
static int put_in_tx(struct store *st, const struct store_human_grade *g,
		     int64_t *id, struct err *err)
{
	int rc;
	if ((rc = validate(st, g, err)))
		return rc;
	if (!strcmp(g->kind, "rating"))
		rc = exec_bound(st,
			"DELETE FROM human_grades WHERE kind = 'rating'"
			" AND result_id = ?1 AND ?2 = 0 AND grader = ?3", g, err);
	else
		rc = exec_bound(st,
			"DELETE FROM human_grades WHERE kind = 'pairwise'"
			" AND grader = ?3 AND ((result_id = ?1 AND other_result_id = ?2)"
			" OR (result_id = ?2 AND other_result_id = ?1))", g, err);
	return rc ? rc : insert(st, g, id, err);
}

int store_human_put_all(struct store *st, const struct store_human_grade *g,
			size_t n, size_t *bad, struct err *err)
{
	struct err ignore = {0};
	size_t i = 0;
	int rc;
	if (bad)
		*bad = n;
	if ((rc = store_commit(st, err)) || (rc = db_begin_write(st->db, err)))
		return rc;
	for (i = 0; i < n; i++)
		if ((rc = put_in_tx(st, &g[i], NULL, err)))
			break;
	if (!rc && !(rc = db_commit(st->db, err)))
		return 0;
	/* a refused grade, a failed statement or a failed commit: nothing of
	 * this call stays (a commit that failed may leave the transaction
	 * open on SQLite; PostgreSQL has already ended it) */
	db_rollback(st->db, &ignore);
	if (bad && i < n)
		*bad = i;
	return rc;
}

int store_human_put(struct store *st, const struct store_human_grade *g,
		    int64_t *id, struct err *err)
{
	struct err ignore = {0};
	int rc;
	if ((rc = store_commit(st, err)) || (rc = db_begin_write(st->db, err)))
		return rc;
	if ((rc = put_in_tx(st, g, id, err))) {
		db_rollback(st->db, &ignore);
		return rc;
	}
	if ((rc = db_commit(st->db, err)))
		db_rollback(st->db, &ignore);
	return rc;
}

int store_human_list(struct store *st, int64_t run_id, store_human_cb cb,
		     void *ctx, struct err *err)
{
	struct db_stmt *q = NULL;
	int rc;
	if ((rc = store_commit(st, err)) ||
	    (rc = sti_prepare(st,
		"SELECT h.id, h.result_id, h.other_result_id, h.grader, h.kind,"
		" h.rating, h.pass, h.preferred, h.comment, h.created_at"
		" FROM human_grades h JOIN results r ON r.id = h.result_id"
		" WHERE r.run_id = ?1 ORDER BY h.id", &q, err)))
		return rc;
	db_bind_int(q, 1, run_id);
	while ((rc = db_step(q, err)) == DB_ROW) {
		struct store_human_grade g = {0};
		int stop;
		g.id = db_col_int(q, 0);
		g.result_id = db_col_int(q, 1);
		g.other_result_id = db_col_int(q, 2);
		g.grader = sti_text(q, 3);
		g.kind = sti_text(q, 4);
		g.rating = db_col_null(q, 5)
			? 0 : (int)(db_col_double(q, 5) + 0.5);
		g.ship = db_col_null(q, 6)
			? -1 : db_col_int(q, 6) != 0;
		g.preferred = db_col_int(q, 7);
		g.comment = sti_text(q, 8);
		g.created_at = sti_text(q, 9);
		if ((stop = cb(ctx, &g))) {
			db_finalize(q);
			return stop;
		}
	}
	db_finalize(q);
	return rc == DB_DONE ? 0 : sti_fail(st, err, "reading grades");
}
