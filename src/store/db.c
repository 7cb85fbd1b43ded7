/* db.c — db.h's front door: picks the backend at db_open (a postgres://
 * URL → db_pg.c, anything else → db_sqlite.c) and forwards every call
 * through the operations table the backend filled in (db_int.h). */
#include "db_int.h"

#include <string.h>

bool db_is_url(const char *target)
{
	return target && (strncmp(target, "postgres://", 11) == 0 ||
			  strncmp(target, "postgresql://", 13) == 0);
}

int db_open(const char *target, int busy_ms, struct db **out,
	    struct err *err)
{
	*out = NULL;
	if (!target || !*target)
		return err_set(err, ST_DB, "no database given");
	return db_is_url(target) ? db_pg_open(target, busy_ms, out, err)
				 : db_sqlite_open(target, busy_ms, out, err);
}

void db_close(struct db *db)
{
	if (db)
		db->ops->close(db);
}

enum db_kind db_kind(const struct db *db) { return db->kind; }
const char *db_target(const struct db *db) { return db->target; }
bool db_busy(const struct db *db) { return db->busy; }
int64_t db_changes(const struct db *db) { return db->changes; }

void db_set_busy_timeout(struct db *db, int ms)
{
	db->ops->set_busy_timeout(db, ms);
}

int db_exec(struct db *db, const char *sql, struct err *err)
{
	return db->ops->exec(db, sql, err);
}

int db_exec_ddl(struct db *db, const char *sql, struct err *err)
{
	return db->ops->exec_ddl(db, sql, err);
}

int db_begin_write(struct db *db, struct err *err)
{
	return db->ops->begin_write(db, err);
}

int db_commit(struct db *db, struct err *err)
{
	return db->ops->commit(db, err);
}

int db_rollback(struct db *db, struct err *err)
{
	return db->ops->rollback(db, err);
}

bool db_has_column(struct db *db, const char *table, const char *col)
{
	return db->ops->has_column(db, table, col);
}

int db_prepare(struct db *db, const char *sql, struct db_stmt **out,
	       struct err *err)
{
	*out = NULL;
	return db->ops->prepare(db, sql, out, err);
}

void db_bind_int(struct db_stmt *q, int i, int64_t v) { q->ops->bind_int(q, i, v); }
void db_bind_double(struct db_stmt *q, int i, double v) { q->ops->bind_double(q, i, v); }
void db_bind_text(struct db_stmt *q, int i, const char *s) { q->ops->bind_text(q, i, s); }
void db_bind_null(struct db_stmt *q, int i) { q->ops->bind_null(q, i); }
int db_step(struct db_stmt *q, struct err *err) { return q->ops->step(q, err); }
int db_ncols(const struct db_stmt *q) { return q->ops->ncols(q); }
bool db_col_null(const struct db_stmt *q, int i) { return q->ops->col_null(q, i); }
int64_t db_col_int(const struct db_stmt *q, int i) { return q->ops->col_int(q, i); }
double db_col_double(const struct db_stmt *q, int i) { return q->ops->col_double(q, i); }
const char *db_col_text(const struct db_stmt *q, int i) { return q->ops->col_text(q, i); }
size_t db_col_bytes(const struct db_stmt *q, int i) { return q->ops->col_bytes(q, i); }
void db_reset(struct db_stmt *q) { q->ops->reset(q); }

void db_finalize(struct db_stmt *q)
{
	if (q)
		q->ops->finalize(q);
}
