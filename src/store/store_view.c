/* store_view.c — the web app's reads (store_view.h): the paged, filtered
 * case matrix, cells, the review queue, blind pairs, grades and tags.
 *
 * Why SQL does the filtering and paging: a 20,000-result run must answer
 * a page of the matrix in well under 200 ms and the server's memory must
 * not grow with the run, so only one page of rows ever leaves the
 * database.
 *
 * Where the backends differ, each statement has two forms, chosen by
 * db_kind(): the tags in metadata_json (SQLite's json_each/json_valid;
 * PostgreSQL's jsonb_array_elements over a cast, which fails on a
 * metadata_json that is not JSON — the store writes only JSON, an
 * imported bundle could carry other text), the text search (instr, lower
 * and char(10); strpos, lower under COLLATE "C" — ASCII-only folding like
 * SQLite's — and chr(10)), "no limit" (LIMIT -1; LIMIT NULL) and the
 * order of tags (bytewise on both).  The PostgreSQL forms are tested by
 * the `_pg` store and view unit tests and tests/cli/pg.sh (the view API on
 * both backends gives the same answers).  The rest is shared:
 * booleans are computed as 0/1 (CASE WHEN EXISTS …) so SUM and `= 1` work
 * on both.
 *
 * "Judge and rules disagree" is computed per result from its assertion
 * rows the way the HTML report does: the model-graded assertions together
 * (all must pass) against the rule assertions with a non-zero weight. */
#include "store_view.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "store_int.h"
#include "../util/buf.h"

/* The model-graded assertion types (report_html.c's list), `not-` removed. */
#define SV_JUDGED                                                           \
	"(CASE WHEN a.type LIKE 'not-%' THEN substr(a.type, 5) ELSE a.type END)" \
	" IN ('llm-rubric', 'model-graded-closedqa', 'factuality', 'g-eval',"  \
	" 'similar', 'answer-relevance', 'context-faithfulness',"              \
	" 'context-recall', 'context-relevance', 'select-best', 'compare')"
#define SV_RULE "(NOT " SV_JUDGED " AND (a.weight IS NULL OR a.weight <> 0))"
/* 1 when result r's judge and rule verdicts both exist and differ. */
#define SV_JR                                                               \
	"(SELECT CASE WHEN MIN(CASE WHEN " SV_JUDGED " THEN a.pass END) IS NOT NULL" \
	" AND MIN(CASE WHEN " SV_RULE " THEN a.pass END) IS NOT NULL"          \
	" AND MIN(CASE WHEN " SV_JUDGED " THEN a.pass END) <>"                 \
	" MIN(CASE WHEN " SV_RULE " THEN a.pass END) THEN 1 ELSE 0 END"        \
	" FROM assertion_results a WHERE a.result_id = r.id)"
/* The tags of a metadata_json column as rows t: SV_TAG is a tag's text,
 * SV_TAG_IS_TEXT keeps the string elements. */
#define SV_TAGS_SQ(col)                                                     \
	"json_each(CASE WHEN json_valid(" col ") THEN " col " ELSE '{}' END, '$.tags')"
#define SV_TAG_SQ "t.value"
#define SV_TAG_IS_TEXT_SQ "t.type = 'text'"
#define SV_JSONB_TAGS(col) "(CAST(" col " AS jsonb) -> 'tags')"
#define SV_TAGS_PG(col)                                                     \
	"jsonb_array_elements(CASE WHEN jsonb_typeof(" SV_JSONB_TAGS(col) ")" \
	" = 'array' THEN " SV_JSONB_TAGS(col) " ELSE CAST('[]' AS jsonb) END)"
#define SV_TAG_PG "(t.value #>> '{}')"
#define SV_TAG_IS_TEXT_PG "jsonb_typeof(t.value) = 'string'"

static double col_real(struct db_stmt *q, int i)
{
	return db_col_null(q, i)
		? NAN : db_col_double(q, i);
}

/* Steps q to the end calling row(q, ud); finalizes q. */
static int walk(struct store *st, struct db_stmt *q, const char *what,
		int (*row)(struct db_stmt *q, void *ud), void *ud,
		struct err *err)
{
	int step, rc = 0;
	while ((step = db_step(q, err)) == DB_ROW)
		if ((rc = row(q, ud)))
			break;
	if (!rc && step != DB_DONE)
		rc = sti_fail(st, err, what);
	db_finalize(q);
	return rc;
}

static int prepare(struct store *st, const char *sql, struct db_stmt **q,
		   struct err *err)
{
	int rc;
	*q = NULL;
	if ((rc = store_commit(st, err)))
		return rc;
	return sti_prepare(st, sql, q, err);
}

/* ------------------------------------------------------------ matrix */

#define SV_ROWS_FROM(TAGS, TAG, FIND)                                       \
	" FROM results r LEFT JOIN cases c ON c.run_id = r.run_id AND c.idx = r.case_idx" \
	" WHERE r.run_id = ?1 AND (?2 < 0 OR r.provider_idx = ?2)"           \
	" AND (?3 = 0 OR (r.pass = 0 AND r.error_kind IS NULL))"             \
	" AND (CAST(?4 AS TEXT) IS NULL OR EXISTS (SELECT 1 FROM "           \
	TAGS("c.metadata_json") " t WHERE " TAG " = ?4))"                     \
	" AND (CAST(?5 AS TEXT) IS NULL OR " FIND ")"                         \
	" AND (?6 = 0 OR " SV_JR " = 1)"                                      \
	" GROUP BY r.case_idx, r.repeat"

static const char rows_from_sq[] = SV_ROWS_FROM(SV_TAGS_SQ, SV_TAG_SQ,
	"instr(lower(coalesce(c.description, '') || char(10) ||"
	" coalesce(c.vars_json, '') || char(10) || coalesce(r.output, '')),"
	" lower(?5)) > 0");
/* PostgreSQL: ASCII-only folding, as SQLite's lower(). */
static const char rows_from_pg[] = SV_ROWS_FROM(SV_TAGS_PG, SV_TAG_PG,
	"strpos(lower((coalesce(c.description, '') || chr(10) ||"
	" coalesce(c.vars_json, '') || chr(10) || coalesce(r.output, ''))"
	" COLLATE \"C\"), lower(CAST(?5 AS TEXT) COLLATE \"C\")) > 0");

static const char *rows_from(const struct store *st)
{
	return db_kind(st->db) == DB_PG ? rows_from_pg : rows_from_sq;
}

static void bind_filter(struct db_stmt *q, int64_t run_id, const struct sv_filter *f)
{
	db_bind_int(q, 1, run_id);
	db_bind_int(q, 2, f->provider);
	db_bind_int(q, 3, f->failing);
	sti_bind_text(q, 4, f->tag && f->tag[0] ? f->tag : NULL);
	sti_bind_text(q, 5, f->text && f->text[0] ? f->text : NULL);
	db_bind_int(q, 6, f->judge_rules);
}

struct rows_ud {
	int (*cb)(void *, long, long);
	void *ud;
};

static int rows_row(struct db_stmt *q, void *p)
{
	struct rows_ud *u = p;
	return u->cb(u->ud, (long)db_col_int(q, 0),
		     (long)db_col_int(q, 1));
}

int store_view_rows(struct store *st, int64_t run_id,
		    const struct sv_filter *f, long offset, long limit,
		    int (*cb)(void *ud, long case_idx, long repeat), void *ud,
		    long *total, struct err *err)
{
	struct buf sql = { 0 };
	struct db_stmt *q = NULL;
	struct rows_ud u = { cb, ud };
	int rc;
	*total = 0;
	buf_puts(&sql, "SELECT COUNT(*) FROM (SELECT 1 AS one");
	buf_puts(&sql, rows_from(st));
	buf_puts(&sql, ") m");
	if ((rc = prepare(st, buf_str(&sql), &q, err)))
		goto out;
	bind_filter(q, run_id, f);
	if (db_step(q, err) != DB_ROW) {
		rc = sti_fail(st, err, "counting matrix rows");
		db_finalize(q);
		goto out;
	}
	*total = (long)db_col_int(q, 0);
	db_finalize(q);
	buf_reset(&sql);
	buf_puts(&sql, "SELECT r.case_idx, r.repeat");
	buf_puts(&sql, rows_from(st));
	buf_puts(&sql, " ORDER BY r.case_idx, r.repeat LIMIT ?7 OFFSET ?8");
	if ((rc = sti_prepare(st, buf_str(&sql), &q, err)))
		goto out;
	bind_filter(q, run_id, f);
	db_bind_int(q, 7, limit);
	db_bind_int(q, 8, offset);
	rc = walk(st, q, "reading matrix rows", rows_row, &u, err);
out:
	buf_free(&sql);
	return rc;
}

/* ------------------------------------------------------------ cells */

static const char cell_select[] =
	"SELECT r.id, r.run_id, r.case_idx, r.prompt_idx, r.provider_idx, r.repeat,"
	" c.description, c.vars_json, c.metadata_json, p.provider_id, p.label, pr.label,"
	" r.prompt_text, r.output, r.error_kind, r.error_msg, r.reason, r.pass,"
	" r.score, r.latency_ms, r.cost_usd, " SV_JR ","
	" (SELECT COUNT(h.rating) FROM human_grades h WHERE h.result_id = r.id"
	"  AND h.kind = 'rating'),"
	" (SELECT AVG(h.rating) FROM human_grades h WHERE h.result_id = r.id"
	"  AND h.kind = 'rating')"
	" FROM results r"
	" LEFT JOIN cases c ON c.run_id = r.run_id AND c.idx = r.case_idx"
	" LEFT JOIN run_providers p ON p.run_id = r.run_id AND p.idx = r.provider_idx"
	" LEFT JOIN run_prompts pr ON pr.run_id = r.run_id AND pr.idx = r.prompt_idx";

struct cell_ud {
	int (*cb)(void *, const struct sv_cell *);
	void *ud;
	bool found;
};

static int cell_row(struct db_stmt *q, void *p)
{
	struct cell_ud *u = p;
	struct sv_cell c;
	c.result_id = db_col_int(q, 0);
	c.run_id = db_col_int(q, 1);
	c.case_idx = (long)db_col_int(q, 2);
	c.prompt_idx = (long)db_col_int(q, 3);
	c.provider_idx = (long)db_col_int(q, 4);
	c.repeat = (long)db_col_int(q, 5);
	c.description = sti_text(q, 6);
	c.vars_json = sti_text(q, 7);
	c.metadata_json = sti_text(q, 8);
	c.provider_id = sti_text(q, 9);
	c.provider_label = sti_text(q, 10);
	c.prompt_label = sti_text(q, 11);
	c.prompt_text = sti_text(q, 12);
	c.output = sti_text(q, 13);
	c.error_kind = sti_text(q, 14);
	c.error_msg = sti_text(q, 15);
	c.reason = sti_text(q, 16);
	c.pass = db_col_null(q, 17) ? -1
		 : db_col_int(q, 17) != 0;
	if (c.error_kind)
		c.pass = -1;
	c.score = col_real(q, 18);
	c.latency_ms = col_real(q, 19);
	c.cost_usd = col_real(q, 20);
	c.judge_rules = db_col_int(q, 21) != 0;
	c.n_ratings = (long)db_col_int(q, 22);
	c.mean_rating = col_real(q, 23);
	u->found = true;
	return u->cb(u->ud, &c);
}

int store_view_row_cells(struct store *st, int64_t run_id, long case_idx,
			 long repeat,
			 int (*cb)(void *ud, const struct sv_cell *c), void *ud,
			 struct err *err)
{
	struct buf sql = { 0 };
	struct db_stmt *q = NULL;
	struct cell_ud u = { cb, ud, false };
	int rc;
	buf_puts(&sql, cell_select);
	buf_puts(&sql, " WHERE r.run_id = ?1 AND r.case_idx = ?2 AND r.repeat = ?3"
		       " ORDER BY r.prompt_idx, r.provider_idx");
	if (!(rc = prepare(st, buf_str(&sql), &q, err))) {
		db_bind_int(q, 1, run_id);
		db_bind_int(q, 2, case_idx);
		db_bind_int(q, 3, repeat);
		rc = walk(st, q, "reading a row", cell_row, &u, err);
	}
	buf_free(&sql);
	return rc;
}

int store_view_result(struct store *st, int64_t result_id,
		      int (*cb)(void *ud, const struct sv_cell *c), void *ud,
		      bool *found, struct err *err)
{
	struct buf sql = { 0 };
	struct db_stmt *q = NULL;
	struct cell_ud u = { cb, ud, false };
	int rc;
	buf_puts(&sql, cell_select);
	buf_puts(&sql, " WHERE r.id = ?1");
	if (!(rc = prepare(st, buf_str(&sql), &q, err))) {
		db_bind_int(q, 1, result_id);
		rc = walk(st, q, "reading a result", cell_row, &u, err);
	}
	*found = u.found;
	buf_free(&sql);
	return rc;
}

/* ------------------------------------------------------------ queue */

/* Two seeded multipliers for the sample order: x -> (x*A mod P)*16807+B
 * mod P is a permutation of the ids below P = 2^31-1 chosen by the seed. */
static void seed_params(uint64_t seed, int64_t *a, int64_t *b)
{
	uint64_t z = seed + 0x9E3779B97F4A7C15ull;
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	z ^= z >> 31;
	*a = (int64_t)(1 + (z % 2147483646u));
	*b = (int64_t)((z >> 32) % 2147483647u);
}

#define SV_HASH(id) "(((" id " % 2147483647) * ?11 % 2147483647) * 16807 + ?12) % 2147483647"

/* NO_LIMIT: SQLite's -1, PostgreSQL's NULL. */
#define SV_QUEUE_CTE(NO_LIMIT)                                              \
	"WITH base AS (SELECT r.id AS id, r.case_idx AS ci, r.repeat AS rp,"  \
	"  r.prompt_idx AS pi, r.provider_idx AS vi, " SV_HASH("r.id") " AS h" \
	"  FROM results r WHERE r.run_id = ?1 AND r.output IS NOT NULL"      \
	"  AND r.error_kind IS NULL AND (?2 < 0 OR r.provider_idx = ?2)"     \
	"  AND (?3 = 0 OR r.pass = 0) AND (?4 = 0 OR " SV_JR " = 1)"         \
	/* the expressions, not their aliases: PostgreSQL takes an alias   \
	 * in ORDER BY only on its own, not inside CASE */                  \
	"  ORDER BY CASE WHEN ?5 > 0 THEN " SV_HASH("r.id") " ELSE 0 END,"   \
	"  r.case_idx, r.repeat, r.prompt_idx, r.provider_idx"              \
	"  LIMIT CASE WHEN ?5 > 0 THEN ?5 ELSE " NO_LIMIT " END),"          \
	" marked AS (SELECT b.*, CASE WHEN EXISTS (SELECT 1 FROM human_grades g" \
	"  WHERE g.result_id = b.id AND g.kind = 'rating' AND g.grader = ?6)" \
	"  THEN 1 ELSE 0 END AS mine,"                                        \
	"  (SELECT COUNT(DISTINCT g.grader) FROM human_grades g WHERE g.result_id = b.id" \
	"  AND g.kind = 'rating' AND g.grader <> ?6) AS others FROM base b)," \
	" elig AS (SELECT * FROM marked WHERE ?7 <= 0 OR mine = 1 OR others < ?7) "

static const char *queue_cte(const struct store *st)
{
	return db_kind(st->db) == DB_PG ? SV_QUEUE_CTE("NULL")
					: SV_QUEUE_CTE("-1");
}

static void bind_queue(struct db_stmt *q, int64_t run_id, const struct sv_queue *s)
{
	int64_t a, b;
	seed_params(s->seed, &a, &b);
	db_bind_int(q, 1, run_id);
	db_bind_int(q, 2, s->provider);
	db_bind_int(q, 3, s->failing);
	db_bind_int(q, 4, s->judge_rules);
	db_bind_int(q, 5, s->sample > 0 ? s->sample : 0);
	sti_bind_text(q, 6, s->reviewer ? s->reviewer : "");
	db_bind_int(q, 7, s->per_item);
	db_bind_int(q, 8, s->ungraded);
	db_bind_int(q, 11, a);
	db_bind_int(q, 12, b);
}

struct queue_ud {
	int (*cb)(void *, int64_t, bool);
	void *ud;
};

static int queue_row(struct db_stmt *q, void *p)
{
	struct queue_ud *u = p;
	return u->cb(u->ud, db_col_int(q, 0), db_col_int(q, 1) != 0);
}

int store_view_queue(struct store *st, int64_t run_id,
		     const struct sv_queue *s, long offset, long limit,
		     int (*cb)(void *ud, int64_t result_id, bool mine),
		     void *ud, long *total, long *graded, struct err *err)
{
	struct buf sql = { 0 };
	struct db_stmt *q = NULL;
	struct queue_ud u = { cb, ud };
	int rc;
	*total = *graded = 0;
	buf_puts(&sql, queue_cte(st));
	buf_puts(&sql, "SELECT COUNT(*), COALESCE(SUM(mine), 0),"
		       " CAST(?8 AS INTEGER) FROM elig");
	if ((rc = prepare(st, buf_str(&sql), &q, err)))
		goto out;
	bind_queue(q, run_id, s);
	if (db_step(q, err) != DB_ROW) {
		rc = sti_fail(st, err, "counting the review queue");
		db_finalize(q);
		goto out;
	}
	*total = (long)db_col_int(q, 0);
	*graded = (long)db_col_int(q, 1);
	db_finalize(q);
	buf_reset(&sql);
	buf_puts(&sql, queue_cte(st));
	buf_puts(&sql, "SELECT id, mine FROM elig WHERE ?8 = 0 OR mine = 0"
		       " ORDER BY CASE WHEN ?5 > 0 THEN h ELSE 0 END, ci, rp, pi, vi"
		       " LIMIT ?9 OFFSET ?10");
	if ((rc = sti_prepare(st, buf_str(&sql), &q, err)))
		goto out;
	bind_queue(q, run_id, s);
	db_bind_int(q, 9, limit);
	db_bind_int(q, 10, offset);
	rc = walk(st, q, "reading the review queue", queue_row, &u, err);
out:
	buf_free(&sql);
	return rc;
}

/* ------------------------------------------------------------ pairs */

#define SV_SAME_PAIR                                                        \
	"((g.result_id = p.a AND g.other_result_id = p.b) OR"                \
	" (g.result_id = p.b AND g.other_result_id = p.a))"

static const char pair_cte[] =
	"WITH pairs AS (SELECT a.id AS a, b.id AS b, " SV_HASH("(a.id * 65599 + b.id)") " AS h"
	"  FROM results a JOIN results b ON b.run_id = a.run_id"
	"  AND b.case_idx = a.case_idx AND b.prompt_idx = a.prompt_idx"
	"  AND b.repeat = a.repeat AND b.provider_idx <> a.provider_idx AND b.id > a.id"
	"  WHERE a.run_id = ?1 AND a.output IS NOT NULL AND a.error_kind IS NULL"
	"  AND b.output IS NOT NULL AND b.error_kind IS NULL"
	"  AND (?2 < 0 OR ?3 < 0 OR (a.provider_idx IN (?2, ?3) AND b.provider_idx IN (?2, ?3)))),"
	" marked AS (SELECT p.*, CASE WHEN EXISTS (SELECT 1 FROM human_grades g WHERE"
	"  g.kind = 'pairwise' AND g.grader = ?4 AND " SV_SAME_PAIR ")"
	"  THEN 1 ELSE 0 END AS mine,"
	"  (SELECT COUNT(DISTINCT g.grader) FROM human_grades g WHERE g.kind = 'pairwise'"
	"  AND g.grader <> ?4 AND " SV_SAME_PAIR ") AS others FROM pairs p),"
	" elig AS (SELECT * FROM marked WHERE ?5 <= 0 OR mine = 1 OR others < ?5) ";

int store_view_next_pair(struct store *st, int64_t run_id,
			 const char *reviewer, long provider_a,
			 long provider_b, long per_item, uint64_t seed,
			 int64_t *a, int64_t *b, long *total, long *done,
			 struct err *err)
{
	struct buf sql = { 0 };
	struct db_stmt *q = NULL;
	int64_t sa, sb;
	int rc, step;
	*a = *b = 0;
	*total = *done = 0;
	if (provider_a == provider_b)
		provider_a = provider_b = -1;
	seed_params(seed, &sa, &sb);
	buf_puts(&sql, pair_cte);
	buf_puts(&sql, "SELECT (SELECT COUNT(*) FROM elig), (SELECT COALESCE(SUM(mine), 0) FROM elig),"
		       " e.a, e.b FROM (SELECT 1 AS one) o LEFT JOIN"
		       " (SELECT a, b FROM elig WHERE mine = 0 ORDER BY h, a, b LIMIT 1) e"
		       " ON 1 = 1");
	if ((rc = prepare(st, buf_str(&sql), &q, err)))
		goto out;
	db_bind_int(q, 1, run_id);
	db_bind_int(q, 2, provider_a);
	db_bind_int(q, 3, provider_b);
	sti_bind_text(q, 4, reviewer ? reviewer : "");
	db_bind_int(q, 5, per_item);
	db_bind_int(q, 11, sa);
	db_bind_int(q, 12, sb);
	step = db_step(q, err);
	if (step == DB_ROW) {
		*total = (long)db_col_int(q, 0);
		*done = (long)db_col_int(q, 1);
		*a = db_col_int(q, 2);
		*b = db_col_int(q, 3);
	} else {
		rc = sti_fail(st, err, "choosing a pair");
	}
	db_finalize(q);
out:
	buf_free(&sql);
	return rc;
}

/* ------------------------------------------------------------ grades, tags */

struct grade_ud {
	store_human_cb cb;
	void *ud;
};

static int grade_row(struct db_stmt *q, void *p)
{
	struct grade_ud *u = p;
	struct store_human_grade g = { 0 };
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
	return u->cb(u->ud, &g);
}

int store_view_result_grades(struct store *st, int64_t result_id,
			     store_human_cb cb, void *ctx, struct err *err)
{
	struct db_stmt *q = NULL;
	struct grade_ud u = { cb, ctx };
	int rc = prepare(st,
		"SELECT id, result_id, other_result_id, grader, kind, rating, pass,"
		" preferred, comment, created_at FROM human_grades"
		" WHERE result_id = ?1 OR other_result_id = ?1 ORDER BY id", &q, err);
	if (rc)
		return rc;
	db_bind_int(q, 1, result_id);
	return walk(st, q, "reading grades", grade_row, &u, err);
}

struct tag_ud {
	int (*cb)(void *, const char *);
	void *ud;
};

static int tag_row(struct db_stmt *q, void *p)
{
	struct tag_ud *u = p;
	const char *t = sti_text(q, 0);
	return t ? u->cb(u->ud, t) : 0;
}

int store_view_tags(struct store *st, int64_t run_id,
		    int (*cb)(void *ud, const char *tag), void *ud,
		    struct err *err)
{
	struct db_stmt *q = NULL;
	struct tag_ud u = { cb, ud };
	int rc = prepare(st, db_kind(st->db) == DB_PG
		/* the collation in the select list: `ORDER BY 1 COLLATE "C"`
		 * would collate the constant 1, not sort by column 1 */
		? "SELECT DISTINCT " SV_TAG_PG " COLLATE \"C\" FROM cases c, "
		  SV_TAGS_PG("c.metadata_json") " t"
		  " WHERE c.run_id = ?1 AND " SV_TAG_IS_TEXT_PG
		  " ORDER BY 1"
		: "SELECT DISTINCT " SV_TAG_SQ " FROM cases c, "
		  SV_TAGS_SQ("c.metadata_json") " t"
		  " WHERE c.run_id = ?1 AND " SV_TAG_IS_TEXT_SQ " ORDER BY 1",
		&q, err);
	if (rc)
		return rc;
	db_bind_int(q, 1, run_id);
	return walk(st, q, "reading tags", tag_row, &u, err);
}

struct tot_ud {
	int (*cb)(void *, long, long, double, long, long);
	void *ud;
};

static int tot_row(struct db_stmt *q, void *p)
{
	struct tot_ud *u = p;
	return u->cb(u->ud, (long)db_col_int(q, 0),
		     (long)db_col_int(q, 1), col_real(q, 2),
		     (long)db_col_int(q, 3),
		     (long)db_col_int(q, 4));
}

int store_view_rating_totals(struct store *st, int64_t run_id,
			     int (*cb)(void *ud, long provider_idx, long n,
				       double mean, long ships, long answers),
			     void *ud, struct err *err)
{
	struct db_stmt *q = NULL;
	struct tot_ud u = { cb, ud };
	int rc = prepare(st,
		"SELECT r.provider_idx, COUNT(h.rating), AVG(h.rating),"
		" COALESCE(SUM(CASE WHEN h.pass = 1 THEN 1 ELSE 0 END), 0), COUNT(h.pass)"
		" FROM human_grades h JOIN results r ON r.id = h.result_id"
		" WHERE r.run_id = ?1 AND h.kind = 'rating'"
		" GROUP BY r.provider_idx ORDER BY r.provider_idx", &q, err);
	if (rc)
		return rc;
	db_bind_int(q, 1, run_id);
	return walk(st, q, "reading rating totals", tot_row, &u, err);
}
