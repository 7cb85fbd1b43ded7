/* review_import.c — fuzzes `assay review import` (src/cmd_review_import.c:
 * one JSON grade a line, result references by id or by {case, provider,
 * prompt, repeat}, rating and pairwise grades, the checks before anything
 * is stored, then store_human_put_all: the whole file in one
 * transaction).
 *
 * Setup: the store of fz_store.h, as made at start for each input.
 * Input: the JSON Lines file.  Contract: it is stored whole, or refused with a message and
 * nothing stored (the command's "all or nothing"). */
#include "fz_store.h"
#include "cmd_review.h"
#include "store/store_human.h"

#include <fcntl.h>

static int count(void *ud, const struct store_human_grade *g)
{
	(void)g;
	++*(long *)ud;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct store *st = fz_store_get();
	struct err err, e2;
	const char *path = fz_write("grades.jsonl", data, size);
	long n = 0;
	int rc, out, null;
	/* "stored N grades" goes to stdout: not into the fuzzer's log */
	fflush(stdout);
	out = dup(1);
	null = open("/dev/null", O_WRONLY);
	if (out < 0 || null < 0 || dup2(null, 1) < 0)
		abort();
	close(null);
	err_clear(&err);
	rc = review_import(st, "latest", path, &err);
	fflush(stdout);
	dup2(out, 1);
	close(out);
	err_clear(&e2);
	if (store_human_list(st, 1, count, &n, &e2))
		abort();
	if (rc && (!err.msg[0] || n))
		abort(); /* refused: a message, and nothing stored */
	if (n)
		fz_store_dirty();
	return 0;
}
