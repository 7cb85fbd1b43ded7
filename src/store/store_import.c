/* store_import.c — `assay import run.assay`: a run bundle written by
 * report_bundle.c becomes a new run of this store (a new id; everything
 * else as exported).  The file is untrusted: each line is capped, parsed
 * as JSON and checked (kind, types, indexes within the run's sizes); an
 * error names file:line and nothing is stored (one transaction).  The
 * SQL is db.h's dialect (RETURNING id for the new rows), shared by both
 * backends. */
#include "store_int.h"
#include "store_turns.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/xalloc.h"

#define LINE_MAX_BYTES ((size_t)256 << 20)

struct imp {
	struct store *st;
	const char *path;
	long line;
	struct err *err;
	int64_t run_id;
	int64_t into;           /* merge into this run (0: a new run) */
	long merged, skipped;   /* results added / already there (into) */
	long n_cases, n_prompts, n_providers;
	int repeat;
	struct db_stmt *q_prompt, *q_prov, *q_case, *q_res, *q_assert;
	/* the last result line: a turn line must belong to it */
	bool have_res, res_skipped;
	long res_case, res_prompt, res_prov, res_rep;
};

static int bad(struct imp *im, const char *what)
{
	return err_at(im->err, im->path, (int)im->line, 1,
		      "%s (expected a line of a run bundle written by "
		      "`assay export RUN -o FILE.assay`)", what);
}

static const char *jtext(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static void bind_s(struct db_stmt *q, int i, const json_t *o, const char *k)
{
	sti_bind_text(q, i, jtext(o, k));
}

static void bind_n(struct db_stmt *q, int i, const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);
	if (json_is_integer(v))
		db_bind_int(q, i, (int64_t)json_integer_value(v));
	else if (json_is_real(v) && isfinite(json_real_value(v)))
		db_bind_double(q, i, json_real_value(v));
	else if (json_is_boolean(v))
		db_bind_int(q, i, json_is_true(v));
	else
		db_bind_null(q, i);
}

/* The index field k of o, checked against [0, n). */
static int idx(struct imp *im, const json_t *o, const char *k, long n,
	       long *out)
{
	const json_t *v = json_object_get(o, k);
	char msg[96];
	*out = 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) >= n) {
		snprintf(msg, sizeof msg, "'%s' is missing or out of range", k);
		return bad(im, msg);
	}
	*out = (long)json_integer_value(v);
	return 0;
}

static int step(struct imp *im, struct db_stmt *q, const char *what)
{
	int rc = sti_run(im->st, q, what, im->err);
	db_reset(q);
	return rc;
}

/* Merging shards: the bundle must hold the same work as run `into`. */
static int check_into(struct imp *im, const json_t *r)
{
	struct store_run run;
	const char *hash = jtext(r, "suite_hash");
	int rc = store_run_get(im->st, im->into, &run, im->err);
	if (rc)
		return rc;
	if (!hash || !run.suite_hash || strcmp(hash, run.suite_hash) ||
	    run.n_cases != im->n_cases || run.n_prompts != im->n_prompts ||
	    run.n_providers != im->n_providers || run.repeat != im->repeat)
		rc = bad(im, "the bundle holds a different suite than the run it "
			 "would be merged into (content hash or sizes differ)");
	store_run_free(&run);
	im->run_id = im->into;
	return rc;
}

/* True when the run already holds this item (merging). */
static bool have_item(struct imp *im, long c, long p, long v, long rep)
{
	struct db_stmt *q = NULL;
	bool found = false;
	if (db_prepare(im->st->db, "SELECT 1 FROM results WHERE run_id=?1"
		       " AND case_idx=?2 AND prompt_idx=?3 AND"
		       " provider_idx=?4 AND repeat=?5", &q, NULL))
		return false;
	db_bind_int(q, 1, im->run_id);
	db_bind_int(q, 2, c);
	db_bind_int(q, 3, p);
	db_bind_int(q, 4, v);
	db_bind_int(q, 5, rep);
	found = db_step(q, NULL) == DB_ROW;
	db_finalize(q);
	return found;
}

static int header(struct imp *im, const json_t *h)
{
	const json_t *r = json_object_get(h, "run");
	struct db_stmt *q = NULL;
	const char *status;
	int rc;
	if (!jtext(h, "format") || strcmp(jtext(h, "format"), "assay-run") ||
	    !json_is_integer(json_object_get(h, "version")) || !json_is_object(r))
		return bad(im, "not a run bundle: the first line must be its header");
	if (json_integer_value(json_object_get(h, "version")) != 1)
		return bad(im, "a run bundle of a newer version; upgrade assay");
	im->n_cases = (long)json_integer_value(json_object_get(r, "n_cases"));
	im->n_prompts = (long)json_integer_value(json_object_get(r, "n_prompts"));
	im->n_providers = (long)json_integer_value(json_object_get(r, "n_providers"));
	im->repeat = (int)json_integer_value(json_object_get(r, "repeat"));
	if (im->n_cases < 0 || im->n_prompts < 0 || im->n_providers < 0 ||
	    im->repeat < 1)
		return bad(im, "the run's sizes are missing or negative");
	status = jtext(r, "status");
	if (im->into)
		return check_into(im, r);
	if ((rc = sti_prepare(im->st, "INSERT INTO runs (created_at, finished_at,"
			      " status, description, label, suite_path, suite_json,"
			      " assay_version, suite_hash, config_json, git_commit,"
			      " host, repeat, n_cases, n_prompts, n_providers)"
			      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,"
			      " ?12, ?13, ?14, ?15, ?16) RETURNING id", &q, im->err)))
		return rc;
	sti_bind_text(q, 1, jtext(r, "created_at") ? jtext(r, "created_at") : "");
	bind_s(q, 2, r, "finished_at");
	/* A run exported while running has no writer here. */
	sti_bind_text(q, 3, !status || !strcmp(status, "running") ? "interrupted" : status);
	bind_s(q, 4, r, "description");
	bind_s(q, 5, r, "label");
	bind_s(q, 6, r, "suite_path");
	bind_s(q, 7, r, "suite_json");
	bind_s(q, 8, r, "assay_version");
	bind_s(q, 9, r, "suite_hash");
	bind_s(q, 10, r, "config_json");
	bind_s(q, 11, r, "git_commit");
	bind_s(q, 12, r, "host");
	db_bind_int(q, 13, im->repeat);
	db_bind_int(q, 14, im->n_cases);
	db_bind_int(q, 15, im->n_prompts);
	db_bind_int(q, 16, im->n_providers);
	rc = db_step(q, im->err);
	if (rc == DB_ROW)
		im->run_id = db_col_int(q, 0);
	rc = rc == DB_ROW ? 0 : sti_fail(im->st, im->err, "storing the run");
	db_finalize(q);
	return rc;
}

static long jlong(const json_t *o, const char *k, long none)
{
	const json_t *v = json_object_get(o, k);
	return json_is_integer(v) ? (long)json_integer_value(v) : none;
}

static double jreal(const json_t *o, const char *k, double none)
{
	const json_t *v = json_object_get(o, k);
	return json_is_number(v) ? json_number_value(v) : none;
}

/* A conversation's turn: it follows its result line (report_bundle.c
 * writes them so), which ties it to an item of this run; the turns of a
 * result that a merge skipped (already stored) are skipped with it. */
static int turn_line(struct imp *im, const json_t *o)
{
	struct store_turn t;
	long a, b, c, rep, turn;
	const json_t *pass = json_object_get(o, "pass");
	int rc;
	if ((rc = idx(im, o, "case_idx", im->n_cases, &a)) ||
	    (rc = idx(im, o, "prompt_idx", im->n_prompts, &b)) ||
	    (rc = idx(im, o, "provider_idx", im->n_providers, &c)) ||
	    (rc = idx(im, o, "repeat", im->repeat, &rep)) ||
	    (rc = idx(im, o, "turn", 1L << 30, &turn)))
		return rc;
	if (turn < 1)
		return bad(im, "'turn' is missing or out of range");
	if (!im->have_res || a != im->res_case || b != im->res_prompt ||
	    c != im->res_prov || rep != im->res_rep)
		return bad(im, "a turn that does not follow its result line");
	if (im->res_skipped)
		return 0;
	memset(&t, 0, sizeof t);
	t.case_idx = (size_t)a;
	t.prompt_idx = (size_t)b;
	t.provider_idx = (size_t)c;
	t.repeat = (int)rep;
	t.turn = (int)turn;
	t.user = jtext(o, "user");
	t.output = jtext(o, "output");
	t.latency_ms = jreal(o, "latency_ms", NAN);
	t.prompt_tokens = jlong(o, "prompt_tokens", -1);
	t.completion_tokens = jlong(o, "completion_tokens", -1);
	t.cost_usd = jreal(o, "cost_usd", -1);
	t.cached = json_is_true(json_object_get(o, "cached"));
	t.retries = (int)jlong(o, "retries", 0);
	t.pass = json_is_boolean(pass) ? json_is_true(pass) : -1;
	t.score = t.pass < 0 ? NAN : jreal(o, "score", NAN);
	t.reason = jtext(o, "reason");
	return store_turn_put(im->st, im->run_id, &t, im->err);
}

static int body_line(struct imp *im, const json_t *line)
{
	const json_t *o;
	long a, b, c;
	int rc;
	if (im->into && (json_object_get(line, "prompt") ||
			 json_object_get(line, "provider") ||
			 json_object_get(line, "case")))
		return 0; /* the run has them; the hash said they agree */
	if ((o = json_object_get(line, "prompt"))) {
		struct db_stmt *q = im->q_prompt;
		if ((rc = idx(im, o, "idx", im->n_prompts, &a)))
			return rc;
		db_bind_int(q, 1, im->run_id);
		db_bind_int(q, 2, a);
		bind_s(q, 3, o, "label");
		bind_s(q, 4, o, "raw");
		db_bind_int(q, 5, json_is_true(json_object_get(o, "is_chat")));
		return step(im, q, "storing a prompt");
	}
	if ((o = json_object_get(line, "provider"))) {
		struct db_stmt *q = im->q_prov;
		if ((rc = idx(im, o, "idx", im->n_providers, &a)))
			return rc;
		if (!jtext(o, "id"))
			return bad(im, "a provider without an id");
		db_bind_int(q, 1, im->run_id);
		db_bind_int(q, 2, a);
		bind_s(q, 3, o, "id");
		bind_s(q, 4, o, "label");
		bind_s(q, 5, o, "config_json");
		bind_s(q, 6, o, "key");
		return step(im, q, "storing a provider");
	}
	if ((o = json_object_get(line, "case"))) {
		struct db_stmt *q = im->q_case;
		if ((rc = idx(im, o, "idx", im->n_cases, &a)))
			return rc;
		db_bind_int(q, 1, im->run_id);
		db_bind_int(q, 2, a);
		bind_s(q, 3, o, "description");
		bind_s(q, 4, o, "vars_json");
		bind_s(q, 5, o, "metadata_json");
		bind_n(q, 6, o, "n_asserts");
		bind_s(q, 7, o, "case_key");
		bind_s(q, 8, o, "case_hash");
		return step(im, q, "storing a case");
	}
	if ((o = json_object_get(line, "result"))) {
		static const char *const cols[] = {
			"started_at", "prompt_text", "output", "error_kind",
			"error_msg", "http_status", "finish_reason", "latency_ms",
			"ttft_ms", "prompt_tokens", "completion_tokens",
			"total_tokens", "cost_usd", "retries", "cached",
			"retry_wait_ms", "judge_calls", "judge_cost_usd",
			"judge_latency_ms", "pass", "score", "reason",
			"named_scores_json", "confidence", "item_key",
			"served_model",
		};
		static const bool is_text[] = {
			1, 1, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
			0, 0, 1, 1, 0, 1, 1,
		};
		struct db_stmt *q = im->q_res;
		const json_t *as = json_object_get(o, "assertions"), *x;
		long rep;
		int64_t rid;
		size_t i;
		if ((rc = idx(im, o, "case_idx", im->n_cases, &a)) ||
		    (rc = idx(im, o, "prompt_idx", im->n_prompts, &b)) ||
		    (rc = idx(im, o, "provider_idx", im->n_providers, &c)) ||
		    (rc = idx(im, o, "repeat", im->repeat, &rep)))
			return rc;
		im->have_res = true;
		im->res_case = a;
		im->res_prompt = b;
		im->res_prov = c;
		im->res_rep = rep;
		im->res_skipped = im->into && have_item(im, a, b, c, rep);
		if (im->res_skipped) {
			im->skipped++;
			return 0;
		}
		im->merged++;
		db_bind_int(q, 1, im->run_id);
		db_bind_int(q, 2, a);
		db_bind_int(q, 3, b);
		db_bind_int(q, 4, c);
		db_bind_int(q, 5, rep);
		for (i = 0; i < sizeof cols / sizeof *cols; i++) {
			if (is_text[i])
				bind_s(q, (int)i + 6, o, cols[i]);
			else
				bind_n(q, (int)i + 6, o, cols[i]);
		}
		/* retries … judge_latency_ms are NOT NULL: absent means 0 */
		for (int k = 19; k <= 24; k++)
			if (!json_is_number(json_object_get(o, cols[k - 6])) &&
			    !json_is_boolean(json_object_get(o, cols[k - 6])))
				db_bind_int(q, k, 0);
		if (db_step(q, im->err) != DB_ROW) {
			rc = sti_fail(im->st, im->err, "storing a result (a repeated item?)");
			db_reset(q);
			return rc;
		}
		rid = db_col_int(q, 0);
		db_reset(q);
		if (as && !json_is_array(as))
			return bad(im, "'assertions' must be a list");
		json_array_foreach(as, i, x) {
			struct db_stmt *qa = im->q_assert;
			if (!json_is_object(x) || !jtext(x, "type"))
				return bad(im, "an assertion row without a type");
			db_bind_int(qa, 1, rid);
			db_bind_int(qa, 2, (int64_t)i);
			bind_s(qa, 3, x, "type");
			db_bind_int(qa, 4, json_is_true(json_object_get(x, "pass")));
			bind_n(qa, 5, x, "score");
			bind_s(qa, 6, x, "reason");
			bind_n(qa, 7, x, "weight");
			bind_s(qa, 8, x, "metric");
			bind_n(qa, 9, x, "severity");
			if ((rc = step(im, qa, "storing an assertion row")))
				return rc;
		}
		return 0;
	}
	if ((o = json_object_get(line, "turn")))
		return turn_line(im, o);
	return bad(im, "unknown line: expected prompt, provider, case, result or turn");
}

static int prepare_all(struct imp *im)
{
	int rc;
	if ((rc = sti_prepare(im->st, "INSERT INTO run_prompts (run_id, idx, label,"
			      " raw, is_chat) VALUES (?1, ?2, ?3, ?4, ?5)",
			      &im->q_prompt, im->err)) ||
	    (rc = sti_prepare(im->st, "INSERT INTO run_providers (run_id, idx,"
			      " provider_id, label, config_json, provider_key)"
			      " VALUES (?1, ?2, ?3, ?4, ?5, ?6)", &im->q_prov, im->err)) ||
	    (rc = sti_prepare(im->st, "INSERT INTO cases (run_id, idx, description,"
			      " vars_json, metadata_json, n_asserts, case_key,"
			      " case_hash) VALUES (?1, ?2, ?3, ?4, ?5,"
			      " coalesce(?6, 0), ?7, ?8)", &im->q_case, im->err)) ||
	    (rc = sti_prepare(im->st, "INSERT INTO results (run_id, case_idx,"
			      " prompt_idx, provider_idx, repeat, started_at,"
			      " prompt_text, output, error_kind, error_msg, http_status,"
			      " finish_reason, latency_ms, ttft_ms, prompt_tokens,"
			      " completion_tokens, total_tokens, cost_usd, retries,"
			      " cached, retry_wait_ms, judge_calls, judge_cost_usd,"
			      " judge_latency_ms, pass, score, reason,"
			      " named_scores_json, confidence, item_key, served_model)"
			      " VALUES (?1,"
			      " ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,"
			      " ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25,"
			      " ?26, ?27, ?28, ?29, ?30, ?31) RETURNING id",
			      &im->q_res, im->err)) ||
	    (rc = sti_prepare(im->st, "INSERT INTO assertion_results (result_id,"
			      " idx, type, pass, score, reason, weight, metric,"
			      " severity) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
			      &im->q_assert, im->err)))
		return rc;
	return 0;
}

int store_import(struct store *st, const char *path, int64_t *run_id,
		 struct err *err)
{
	long merged, skipped;
	return store_import_into(st, path, 0, run_id, &merged, &skipped, err);
}

int store_import_into(struct store *st, const char *path, int64_t into,
		      int64_t *run_id, long *merged, long *skipped,
		      struct err *err)
{
	struct imp im = { .st = st, .path = path, .err = err, .into = into };
	FILE *f = fopen(path, "rb");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int rc = 0;
	*run_id = 0;
	if (!f)
		return err_set(err, ST_IO, "cannot read %s: %s", path, strerror(errno));
	if ((rc = store_commit(st, err)) || (rc = db_begin_write(st->db, err)))
		goto out;
	if ((rc = prepare_all(&im)))
		goto rollback;
	while ((n = getline(&line, &cap, f)) >= 0 && !rc) {
		json_error_t je;
		json_t *j;
		im.line++;
		if ((size_t)n > LINE_MAX_BYTES) {
			rc = bad(&im, "line longer than 256 MiB");
			break;
		}
		if (n == 0 || (n == 1 && line[0] == '\n'))
			continue;
		if (!(j = json_loadb(line, (size_t)n, 0, &je)) || !json_is_object(j)) {
			char msg[256];
			snprintf(msg, sizeof msg, "not a JSON object (%s)", j ? "" : je.text);
			json_decref(j);
			rc = bad(&im, msg);
			break;
		}
		rc = im.line == 1 ? header(&im, j) : body_line(&im, j);
		json_decref(j);
	}
	if (!rc && im.line == 0)
		rc = err_set(err, ST_INPUT, "%s is empty (expected a run bundle)", path);
	if (!rc && ferror(f))
		rc = err_set(err, ST_IO, "reading %s: %s", path, strerror(errno));
rollback:
	db_finalize(im.q_prompt);
	db_finalize(im.q_prov);
	db_finalize(im.q_case);
	db_finalize(im.q_res);
	db_finalize(im.q_assert);
	if (rc) {
		struct err ignore = {0};
		db_rollback(st->db, &ignore);
	} else if (!(rc = db_commit(st->db, err))) {
		*run_id = im.run_id;
	}
	*merged = im.merged;
	*skipped = im.skipped;
out:
	free(line);
	fclose(f);
	return rc;
}
