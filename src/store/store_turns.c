/* store_turns.c — writes and reads the `turns` table (store_turns.h).
 * A child table rather than more result rows: every figure counts one
 * result row per case, and a conversation is one case. */
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

static void bind_item(sqlite3_stmt *q, int64_t run_id, const struct store_turn *t)
{
	sqlite3_bind_int64(q, 1, run_id);
	sqlite3_bind_int64(q, 2, (sqlite3_int64)t->case_idx);
	sqlite3_bind_int64(q, 3, (sqlite3_int64)t->prompt_idx);
	sqlite3_bind_int64(q, 4, (sqlite3_int64)t->provider_idx);
	sqlite3_bind_int(q, 5, t->repeat);
}

static void bind_long(sqlite3_stmt *q, int i, long v)
{
	if (v < 0)
		sqlite3_bind_null(q, i);
	else
		sqlite3_bind_int64(q, i, v);
}

int store_turn_put(struct store *st, int64_t run_id, const struct store_turn *t,
		   struct err *err)
{
	sqlite3_stmt *q = NULL;
	int rc;
	if (t->turn == 1) {
		if ((rc = sti_prepare(st, "DELETE FROM turns WHERE run_id=?1 AND "
				      "case_idx=?2 AND prompt_idx=?3 AND "
				      "provider_idx=?4 AND repeat=?5", &q, err)))
			return rc;
		bind_item(q, run_id, t);
		rc = sqlite3_step(q) == SQLITE_DONE ? 0
			: sti_fail(st, err, "replacing a conversation's turns");
		sqlite3_finalize(q);
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
	sqlite3_bind_int(q, 6, t->turn);
	sti_bind_text(q, 7, t->user);
	sti_bind_text(q, 8, t->output);
	sqlite3_bind_double(q, 9, t->latency_ms);
	bind_long(q, 10, t->prompt_tokens);
	bind_long(q, 11, t->completion_tokens);
	if (t->cost_usd >= 0)
		sqlite3_bind_double(q, 12, t->cost_usd);
	sqlite3_bind_int(q, 13, t->cached);
	sqlite3_bind_int(q, 14, t->retries);
	if (t->pass >= 0) {
		sqlite3_bind_int(q, 15, t->pass);
		sqlite3_bind_double(q, 16, t->score);
	}
	sti_bind_text(q, 17, t->reason);
	rc = sqlite3_step(q) == SQLITE_DONE ? 0 : sti_fail(st, err, "storing a turn");
	sqlite3_finalize(q);
	return rc;
}

static long col_long(sqlite3_stmt *q, int i)
{
	return sqlite3_column_type(q, i) == SQLITE_NULL ? -1
		: (long)sqlite3_column_int64(q, i);
}

int store_turns_each(struct store *st, int64_t run_id, long case_idx,
		     int (*cb)(void *ud, const struct store_turn *t), void *ud,
		     struct err *err)
{
	sqlite3_stmt *q = NULL;
	int rc, step;
	if ((rc = sti_prepare(st, "SELECT case_idx, prompt_idx, provider_idx, "
			      "repeat, turn, user_text, output, latency_ms, "
			      "prompt_tokens, completion_tokens, cost_usd, cached, "
			      "retries, pass, score, reason FROM turns WHERE "
			      "run_id=?1 AND (?2 < 0 OR case_idx=?2) ORDER BY "
			      "case_idx, prompt_idx, provider_idx, repeat, turn",
			      &q, err)))
		return rc;
	sqlite3_bind_int64(q, 1, run_id);
	sqlite3_bind_int64(q, 2, case_idx);
	while ((step = sqlite3_step(q)) == SQLITE_ROW) {
		struct store_turn t;
		t.case_idx = (size_t)sqlite3_column_int64(q, 0);
		t.prompt_idx = (size_t)sqlite3_column_int64(q, 1);
		t.provider_idx = (size_t)sqlite3_column_int64(q, 2);
		t.repeat = sqlite3_column_int(q, 3);
		t.turn = sqlite3_column_int(q, 4);
		t.user = sti_text(q, 5);
		t.output = sti_text(q, 6);
		t.latency_ms = sqlite3_column_double(q, 7);
		t.prompt_tokens = col_long(q, 8);
		t.completion_tokens = col_long(q, 9);
		t.cost_usd = sqlite3_column_type(q, 10) == SQLITE_NULL ? -1
			: sqlite3_column_double(q, 10);
		t.cached = sqlite3_column_int(q, 11);
		t.retries = sqlite3_column_int(q, 12);
		t.pass = (int)col_long(q, 13);
		t.score = t.pass < 0 ? NAN : sqlite3_column_double(q, 14);
		t.reason = sti_text(q, 15);
		if ((rc = cb(ud, &t)))
			break;
	}
	if (!rc && step != SQLITE_DONE)
		rc = sti_fail(st, err, "reading turns");
	sqlite3_finalize(q);
	return rc;
}
