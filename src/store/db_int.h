/* db_int.h — what the two backends of db.h share: the operations table
 * each fills in and the head every `struct db` / `struct db_stmt` begins
 * with, so db.c can dispatch without knowing either library.  Only db.c,
 * db_sqlite.c and db_pg.c include this file. */
#ifndef ASSAY_DB_INT_H
#define ASSAY_DB_INT_H

#include "db.h"

struct db_ops {
	void (*close)(struct db *db);
	void (*set_busy_timeout)(struct db *db, int ms);
	int (*exec)(struct db *db, const char *sql, struct err *err);
	int (*exec_ddl)(struct db *db, const char *sql, struct err *err);
	int (*begin_write)(struct db *db, struct err *err);
	int (*commit)(struct db *db, struct err *err);
	int (*rollback)(struct db *db, struct err *err);
	bool (*has_column)(struct db *db, const char *table, const char *col);
	int (*prepare)(struct db *db, const char *sql, struct db_stmt **out,
		       struct err *err);
	void (*bind_int)(struct db_stmt *q, int i, int64_t v);
	void (*bind_double)(struct db_stmt *q, int i, double v);
	void (*bind_text)(struct db_stmt *q, int i, const char *s);
	void (*bind_null)(struct db_stmt *q, int i);
	int (*step)(struct db_stmt *q, struct err *err);
	int (*ncols)(const struct db_stmt *q);
	bool (*col_null)(const struct db_stmt *q, int i);
	int64_t (*col_int)(const struct db_stmt *q, int i);
	double (*col_double)(const struct db_stmt *q, int i);
	const char *(*col_text)(const struct db_stmt *q, int i);
	size_t (*col_bytes)(const struct db_stmt *q, int i);
	void (*reset)(struct db_stmt *q);
	void (*finalize)(struct db_stmt *q);
};

/* The head of every backend's connection; `target` is the redacted form
 * db_target returns (owned); `busy` and `changes` are kept by the backend
 * after every call. */
struct db {
	const struct db_ops *ops;
	enum db_kind kind;
	char *target;
	bool busy;
	int64_t changes;
};

/* The head of every backend's statement. */
struct db_stmt {
	const struct db_ops *ops;
	struct db *db;
};

/* The backends' openers (db_open picks one by db_is_url). */
int db_sqlite_open(const char *path, int busy_ms, struct db **out,
		   struct err *err);
int db_pg_open(const char *url, int busy_ms, struct db **out,
	       struct err *err);

#endif
