/* report_write.c — the table of output formats and the driver that writes
 * a stored run through one of them.  Each format is one file
 * (report_fmt_*.c, report_bundle.c) reading the run through the store's
 * read API; the format follows the file's extension.  The file is written
 * as PATH.tmp and renamed into place when complete, so a reader never sees
 * half a file. */
#include "report.h"
#include "report_int.h"
#include "report_html.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "../util/xalloc.h"

struct format {
	const char *ext;   /* with the dot, compared case-insensitively */
	int (*write)(struct store *st, int64_t run_id, FILE *f, struct err *err);
	/* or a writer that makes the file itself (its own temp + rename) */
	int (*write_path)(struct store *st, int64_t run_id, const char *path,
			  struct err *err);
};

static const struct format formats[] = {
	{ .ext = ".json", .write = report_fmt_json },     /* docs/output.md */
	{ .ext = ".jsonl", .write = report_fmt_jsonl },
	{ .ext = ".csv", .write = report_fmt_csv },
	{ .ext = ".html", .write_path = report_html_write }, /* report_html.h */
	{ .ext = ".xml", .write = report_fmt_junit },     /* JUnit XML, docs/ci.md */
	{ .ext = ".md", .write = report_fmt_markdown },   /* a PR summary, docs/ci.md */
	{ .ext = ".assay", .write = report_fmt_bundle },  /* a run to import elsewhere */
};

static const struct format *format_of(const char *path, struct err *err)
{
	const char *dot = strrchr(path, '.');
	const char *slash = strrchr(path, '/');
	if (dot && (!slash || dot > slash))
		for (size_t i = 0; i < sizeof formats / sizeof *formats; i++)
			if (strcasecmp(dot, formats[i].ext) == 0)
				return &formats[i];
	err_set(err, ST_USAGE,
		"cannot tell the output format of '%s': expected a file name "
		"ending in .json, .jsonl, .csv, .html, .xml (JUnit), .md (Markdown) or "
		".assay (a run bundle)", path);
	return NULL;
}

int report_check_path(const char *path, struct err *err)
{
	const char *slash;
	char *dir;
	int ok;
	if (!format_of(path, err))
		return ST_USAGE;
	slash = strrchr(path, '/');
	dir = slash ? xstrndup(path, slash == path ? 1 : (size_t)(slash - path))
		    : xstrdup(".");
	ok = access(dir, W_OK | X_OK) == 0;
	if (!ok)
		err_set(err, ST_USAGE, "cannot write '%s': its directory '%s' "
			"%s", path, dir, errno == ENOENT ? "does not exist"
			: "is not writable");
	free(dir);
	return ok ? 0 : ST_USAGE;
}

int report_write(struct store *st, int64_t run_id, const char *path,
		 struct err *err)
{
	const struct format *fmt = format_of(path, err);
	struct store_run run;
	char *tmp = NULL;
	FILE *f = NULL;
	int rc;
	if (!fmt)
		return ST_USAGE;
	if (fmt->write_path)
		return fmt->write_path(st, run_id, path, err);
	if (!st)
		return err_set(err, ST_INTERNAL, "report_write: no store");
	if ((rc = store_run_get(st, run_id, &run, err)))
		return rc;
	store_run_free(&run);
	tmp = xasprintf("%s.tmp", path);
	if (!(f = fopen(tmp, "wb"))) {
		rc = err_set(err, ST_IO, "cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	if ((rc = fmt->write(st, run_id, f, err)))
		goto out;
	if (fflush(f) != 0 || ferror(f)) {
		rc = err_set(err, ST_IO, "writing %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (fclose(f) != 0) {
		f = NULL;
		rc = err_set(err, ST_IO, "writing %s: %s", tmp, strerror(errno));
		goto out;
	}
	f = NULL;
	if (rename(tmp, path) != 0)
		rc = err_set(err, ST_IO, "cannot rename %s to %s: %s", tmp, path,
			     strerror(errno));
out:
	if (f)
		fclose(f);
	if (rc && tmp)
		unlink(tmp);
	free(tmp);
	return rc;
}
