/* cmd_resume.h — what `assay run` needs to continue a stored run
 * (--resume, --retry-errors) and to record a run (git commit).
 *
 * resume_prepare checks that the suite as loaded now would do exactly the
 * work of the stored run (same content hash and repeat; otherwise it
 * refuses, naming what changed) and builds the set of items to pass over:
 * every stored item for --resume, every item stored without an
 * infrastructure error for --retry-errors.  Items are matched by content
 * key, never by position alone. */
#ifndef ASSAY_CMD_RESUME_H
#define ASSAY_CMD_RESUME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"
#include "suite/suite.h"
#include "util/err.h"

struct resume;

/* Resolves `ref` (NULL: latest), checks it against suite s and returns
 * the skip set in *out (owned; resume_free).  *repeat is set to the
 * stored run's repeat.  Errors: ST_USAGE/ST_DB (no such run), ST_INPUT
 * (the suite changed: the message lists what), ST_DB. */
int resume_prepare(struct store *st, const struct suite *s, const char *ref,
		   bool retry_errors, bool join, int64_t *run_id, int *repeat,
		   struct resume **out, struct err *err);

/* An empty skip set for a new run (then resume_set_shard); `join` in
 * resume_prepare accepts a run in any state (a shard joining). */
struct resume *resume_new(const struct suite *s, int repeat);

/* Shards: run only the items whose key falls in shard i of n
 * (store_key_shard).  shard_parse reads "i/n" (1 <= i <= n). */
void resume_set_shard(struct resume *r, unsigned i, unsigned n);
int shard_parse(const char *s, unsigned *i, unsigned *n);

/* Items this process will run (not skipped). */
long resume_planned(const struct resume *r);

/* The number of items in each of n shards, as a JSON array (owned). */
char *resume_shard_counts(const struct resume *r, unsigned n);

/* engine_opts.skip: true when the item is already stored (see above). */
bool resume_skip(void *ud, size_t test, size_t prompt, size_t prov, int rep);

/* Items the stored run already holds that will be kept. */
long resume_kept(const struct resume *r);

void resume_free(struct resume *r);

/* The commit checked out in dir's git work tree (40 hex digits, owned),
 * or NULL when dir is not in one or git is missing.  Runs `git` without a
 * shell. */
char *run_git_commit(const char *dir);

/* Checks that test ids (`id:`) are unique; ST_INPUT naming the test
 * (file:line:col) that repeats one. */
int run_check_ids(const struct suite *s, struct err *err);

/* True when `arg` reads as a run reference (an id, #id, latest,
 * latest~N, label:NAME) rather than a file name. */
bool resume_is_run_ref(const char *arg);

#endif
