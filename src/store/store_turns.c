/* store_turns.c — writes and reads the `turns` table (store_turns.h).
 * A child table rather than more result rows: every figure counts one
 * result row per case, and a conversation is one case.  Its SQL is
 * db.h's dialect (the upsert is ON CONFLICT … DO UPDATE), shared by both
 * backends; the schema goes through db_exec_ddl. */
#include "store_turns.h"
#include "store_int.h"

#include <math.h>

const char *const store_turns_schema =
	"CREATE TABLE IF NOT EXISTS turns (\n"
	"  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,\n"
	"  case_idx INTEGER NOT NULL,\n"
	"  prompt_idx INTEGER NOT NULL,\n"
	"  provider_idx INTEGER NOT NULL,\n"
	"  repeat INTEGER NOT NULL DEFAULT 0,\n"
	"  turn INTEGER NOT NULL,\n"
	"  user_text TEXT,\n"
	"  output TEXT,\n"
	"  latency_ms REAL,\n"
	"  prompt_tokens INTEGER,\n"
	"  completion_tokens INTEGER,\n"
	"  cost_usd REAL,\n"
	"  cached INTEGER NOT NULL DEFAULT 0,\n"
	"  retries INTEGER NOT NULL DEFAULT 0,\n"
	"  pass INTEGER,\n"
	"  score REAL,\n"
	"  reason TEXT,\n"
	"  PRIMARY KEY (run_id, case_idx, prompt_idx, provider_idx, repeat, turn));\n";

static void bind_item(struct db_stmt *q, int64_t run_id, const struct store_turn *t)
{
	db_bind_int(q, 1, run_id);
	db_bind_int(q, 2, (int64_t)t->case_idx);
	db_bind_int(q, 3, (int64_t)t->prompt_idx);
	db_bind_int(q, 4, (int64_t)t->provider_idx);
	db_bind_int(q, 5, t->repeat);
}

static void bind_long(struct db_stmt *q, int i, long v)
{
	if (v < 0)
		db_bind_null(q, i);
	else
		db_bind_int(q, i, v);
}

int store_turn_put(struct store *st, int64_t run_id, const struct store_turn *t,
		   struct err *err)
{
	struct db_stmt *q = NULL;
	int rc;
	if (t->turn == 1) {
		if ((rc = sti_prepare(st, "DELETE FROM turns WHERE run_id=?1 AND "
				      "case_idx=?2 AND prompt_idx=?3 AND "
				      "provider_idx=?4 AND repeat=?5", &q, err)))
			return rc;
		bind_item(q, run_id, t);
		rc = db_step(q, err) == DB_DONE ? 0
			: sti_fail(st, err, "replacing a conversation's turns");
		db_finalize(q);
		if (rc)
			return rc;
	}
	/* ON CONFLICT … DO UPDATE rather than INSERT OR REPLACE: also
	 * PostgreSQL's upsert (docs/storage.md). */
	if ((rc = sti_prepare(st, "INSERT INTO turns (run_id, "
			      "case_idx, prompt_idx, provider_idx, repeat, turn, "
			      "user_text, output, latency_ms, prompt_tokens, "
			      "completion_tokens, cost_usd, cached, retries, pass, "
			      "score, reason) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,"
			      "?10,?11,?12,?13,?14,?15,?16,?17) ON CONFLICT (run_id, "
			      "case_idx, prompt_idx, provider_idx, repeat, turn) DO "
			      "UPDATE SET user_text = excluded.user_text, output = "
			      "excluded.output, latency_ms = excluded.latency_ms, "
			      "prompt_tokens = excluded.prompt_tokens, "
			      "completion_tokens = excluded.completion_tokens, "
			      "cost_usd = excluded.cost_usd, cached = excluded.cached, "
			      "retries = excluded.retries, pass = excluded.pass, "
			      "score = excluded.score, reason = excluded.reason",
			      &q, err)))
		return rc;
	bind_item(q, run_id, t);
	db_bind_int(q, 6, t->turn);
	sti_bind_text(q, 7, t->user);
	sti_bind_text(q, 8, t->output);
	db_bind_double(q, 9, t->latency_ms);
	bind_long(q, 10, t->prompt_tokens);
	bind_long(q, 11, t->completion_tokens);
	if (t->cost_usd >= 0)
		db_bind_double(q, 12, t->cost_usd);
	db_bind_int(q, 13, t->cached);
	db_bind_int(q, 14, t->retries);
	if (t->pass >= 0) {
		db_bind_int(q, 15, t->pass);
		db_bind_double(q, 16, t->score);
	}
	sti_bind_text(q, 17, t->reason);
	rc = db_step(q, err) == DB_DONE ? 0 : sti_fail(st, err, "storing a turn");
	db_finalize(q);
	return rc;
}

static long col_long(struct db_stmt *q, int i)
{
	return db_col_null(q, i) ? -1
		: (long)db_col_int(q, i);
}

int store_turns_each(struct store *st, int64_t run_id, long case_idx,
		     int (*cb)(void *ud, const struct store_turn *t), void *ud,
		     struct err *err)
{
	struct db_stmt *q = NULL;
	int rc, step;
	if ((rc = sti_prepare(st, "SELECT case_idx, prompt_idx, provider_idx, "
			      "repeat, turn, user_text, output, latency_ms, "
			      "prompt_tokens, completion_tokens, cost_usd, cached, "
			      "retries, pass, score, reason FROM turns WHERE "
			      "run_id=?1 AND (?2 < 0 OR case_idx=?2) ORDER BY "
			      "case_idx, prompt_idx, provider_idx, repeat, turn",
			      &q, err)))
		return rc;
	db_bind_int(q, 1, run_id);
	db_bind_int(q, 2, case_idx);
	while ((step = db_step(q, err)) == DB_ROW) {
		struct store_turn t;
		t.case_idx = (size_t)db_col_int(q, 0);
		t.prompt_idx = (size_t)db_col_int(q, 1);
		t.provider_idx = (size_t)db_col_int(q, 2);
		t.repeat = db_col_int(q, 3);
		t.turn = db_col_int(q, 4);
		t.user = sti_text(q, 5);
		t.output = sti_text(q, 6);
		t.latency_ms = db_col_double(q, 7);
		t.prompt_tokens = col_long(q, 8);
		t.completion_tokens = col_long(q, 9);
		t.cost_usd = db_col_null(q, 10) ? -1
			: db_col_double(q, 10);
		t.cached = db_col_int(q, 11);
		t.retries = db_col_int(q, 12);
		t.pass = (int)col_long(q, 13);
		t.score = t.pass < 0 ? NAN : db_col_double(q, 14);
		t.reason = sti_text(q, 15);
		if ((rc = cb(ud, &t)))
			break;
	}
	if (!rc && step != DB_DONE)
		rc = sti_fail(st, err, "reading turns");
	db_finalize(q);
	return rc;
}
