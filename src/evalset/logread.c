/* logread.c — one record at a time from a JSONL or CSV log, plain or
 * gzip-compressed (zlib's gz* functions read both), so a log of any size
 * is read in one pass with a fixed-size buffer plus the current record.
 *
 * JSONL: one JSON object per line; blank lines are skipped; a line that is
 * not an object is reported (ES_SKIP) and reading goes on.  CSV: the first
 * row names the columns; each further row becomes an object of strings;
 * libcsv is fed byte by byte so that a row's first line is known.  A CSV
 * syntax error is fatal (the parser cannot resynchronise). */
#include "evalset_int.h"

#include <csv.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "../util/xalloc.h"

struct row {
	json_t *obj;
	long line;
};

struct es_reader {
	gzFile gz;
	char *path;
	char chunk[65536];
	size_t clen, cpos;
	long line;                 /* line of the next byte */
	/* JSONL */
	struct buf cur;
	/* CSV */
	struct csv_parser p;
	char **hdr;
	size_t n_hdr, cap_hdr;
	json_t *row_obj;
	size_t col;
	long row_line;
	struct row *q;
	size_t q_len, q_pos, q_cap;
	int csv_col;
	bool csv, eof, started;
	bool too_long;             /* JSONL */
	bool p_init, have_hdr, need_start;   /* CSV */
};

struct es_reader *es_reader_open(const char *path, bool csv, struct err *err)
{
	struct es_reader *r = xcalloc(1, sizeof *r);
	if (!strcmp(path, "-"))
		r->gz = gzdopen(dup(0), "rb");
	else
		r->gz = gzopen(path, "rb");
	if (!r->gz) {
		err_set(err, ST_IO, "cannot open %s: %s", path,
			errno ? strerror(errno) : "out of memory");
		free(r);
		return NULL;
	}
	gzbuffer(r->gz, 1 << 17);
	r->path = xstrdup(strcmp(path, "-") ? path : "(stdin)");
	r->csv = csv;
	r->line = 1;
	r->csv_col = 1;
	r->need_start = true;
	if (csv) {
		if (csv_init(&r->p, CSV_STRICT | CSV_STRICT_FINI |
			     CSV_APPEND_NULL) != 0) {
			es_reader_close(r);
			err_set(err, ST_INTERNAL, "cannot start the CSV parser");
			return NULL;
		}
		r->p_init = true;
	}
	return r;
}

/* Refills the chunk; 1 when bytes are available, 0 at the end, -1 on a
 * read error (err set). */
static int fill(struct es_reader *r, struct err *err)
{
	int n;
	if (r->cpos < r->clen)
		return 1;
	if (r->eof)
		return 0;
	n = gzread(r->gz, r->chunk, sizeof r->chunk);
	if (n < 0) {
		int en;
		const char *m = gzerror(r->gz, &en);
		err_at(err, r->path, (int)r->line, 0, "cannot read the log: %s "
		       "(a damaged gzip file?)", m);
		return -1;
	}
	if (n == 0) {
		int en;
		gzerror(r->gz, &en);
		if (en != Z_OK) {
			err_at(err, r->path, (int)r->line, 0, "cannot read "
			       "the log: truncated or damaged gzip data");
			return -1;
		}
		r->eof = true;
		return 0;
	}
	r->clen = (size_t)n;
	r->cpos = 0;
	if (!r->started) {
		r->started = true;
		if (r->clen >= 3 && !memcmp(r->chunk, "\xEF\xBB\xBF", 3))
			r->cpos = 3;   /* a UTF-8 byte order mark */
		if (r->cpos == r->clen)
			return fill(r, err);
	}
	return 1;
}

/* ---- JSONL ---------------------------------------------------------------- */

static int jsonl_next(struct es_reader *r, json_t **rec, long *line,
		      struct err *err)
{
	for (;;) {
		bool got_nl = false;
		int f;
		buf_reset(&r->cur);
		r->too_long = false;
		while ((f = fill(r, err)) == 1) {
			char *s = r->chunk + r->cpos;
			size_t avail = r->clen - r->cpos;
			char *nl = memchr(s, '\n', avail);
			size_t take = nl ? (size_t)(nl - s) : avail;
			if (r->cur.len + take <= ES_MAX_LINE)
				buf_append(&r->cur, s, take);
			else
				r->too_long = true;
			r->cpos += take + (nl ? 1 : 0);
			if (nl) {
				got_nl = true;
				break;
			}
		}
		if (f < 0)
			return -1;
		if (!got_nl && r->cur.len == 0 && !r->too_long)
			return 0;
		*line = r->line++;
		{
			const char *p = buf_str(&r->cur);
			size_t n = r->cur.len, i = 0;
			json_error_t je;
			json_t *j;
			while (i < n && (p[i] == ' ' || p[i] == '\t' ||
					 p[i] == '\r'))
				i++;
			if (i == n && !r->too_long)
				continue;      /* blank line */
			if (r->too_long) {
				err_at(err, r->path, (int)*line, 1, "found a "
				       "record longer than %zu MiB, expected "
				       "one JSON object per line",
				       ES_MAX_LINE >> 20);
				return ES_SKIP;
			}
			j = json_loadb(p, n, 0, &je);
			if (!j) {
				err_at(err, r->path, (int)*line, je.column > 0 ?
				       je.column : 1, "malformed JSON (%s), "
				       "expected one JSON object per line",
				       je.text);
				return ES_SKIP;
			}
			if (!json_is_object(j)) {
				json_decref(j);
				err_at(err, r->path, (int)*line, (int)i + 1,
				       "found a JSON value that is not an "
				       "object, expected one JSON object per "
				       "line");
				return ES_SKIP;
			}
			*rec = j;
			return 1;
		}
	}
}

/* ---- CSV ------------------------------------------------------------------ */

static void on_field(void *s, size_t n, void *data)
{
	struct es_reader *r = data;
	char *v = es_utf8_clean(s ? s : "", s ? n : 0);
	if (!r->have_hdr) {
		r->hdr = xgrow(r->hdr, &r->cap_hdr, r->n_hdr + 1,
			       sizeof *r->hdr);
		r->hdr[r->n_hdr++] = v;
		return;
	}
	if (!r->row_obj)
		r->row_obj = json_object();
	if (r->col < r->n_hdr)
		json_object_set_new(r->row_obj, r->hdr[r->col],
				    json_string(v));
	else {
		char k[32];
		snprintf(k, sizeof k, "_%zu", r->col + 1);
		json_object_set_new(r->row_obj, k, json_string(v));
	}
	r->col++;
	free(v);
}

static void on_row(int c, void *data)
{
	struct es_reader *r = data;
	(void)c;
	r->need_start = true;
	if (!r->have_hdr) {
		r->have_hdr = true;
		r->col = 0;
		return;
	}
	if (!r->row_obj) {
		r->col = 0;
		return;
	}
	r->q = xgrow(r->q, &r->q_cap, r->q_len + 1, sizeof *r->q);
	r->q[r->q_len].obj = r->row_obj;
	r->q[r->q_len].line = r->row_line;
	r->q_len++;
	r->row_obj = NULL;
	r->col = 0;
}

static int csv_next(struct es_reader *r, json_t **rec, long *line,
		    struct err *err)
{
	for (;;) {
		int f;
		if (r->q_pos < r->q_len) {
			*rec = r->q[r->q_pos].obj;
			*line = r->q[r->q_pos].line;
			r->q[r->q_pos].obj = NULL;
			if (++r->q_pos == r->q_len)
				r->q_pos = r->q_len = 0;
			return 1;
		}
		if (!r->p_init)
			return 0;
		f = fill(r, err);
		if (f < 0)
			return -1;
		if (f == 0) {
			if (csv_fini(&r->p, on_field, on_row, r) != 0) {
				err_at(err, r->path, (int)r->row_line, 1,
				       "malformed CSV: found the end of the "
				       "file inside a quoted field, expected "
				       "a closing '\"'");
				return -1;
			}
			csv_free(&r->p);
			r->p_init = false;
			continue;
		}
		while (r->cpos < r->clen && r->q_len < 4096) {
			char ch = r->chunk[r->cpos++];
			if (r->need_start && ch != '\r' && ch != '\n') {
				r->row_line = r->line;
				r->need_start = false;
			}
			if (csv_parse(&r->p, &ch, 1, on_field, on_row, r) != 1) {
				err_at(err, r->path, (int)r->line, r->csv_col,
				       "malformed CSV: found '%c', expected "
				       "a field wrapped in double quotes with "
				       "inner quotes doubled (\"\")", ch);
				return -1;
			}
			if (ch == '\n') {
				r->line++;
				r->csv_col = 1;
			} else if (((unsigned char)ch & 0xC0) != 0x80) {
				r->csv_col++;
			}
		}
	}
}

int es_reader_next(struct es_reader *r, json_t **rec, long *line,
		   struct err *err)
{
	*rec = NULL;
	return r->csv ? csv_next(r, rec, line, err)
		      : jsonl_next(r, rec, line, err);
}

void es_reader_close(struct es_reader *r)
{
	if (!r)
		return;
	if (r->gz)
		gzclose(r->gz);
	if (r->p_init)
		csv_free(&r->p);
	for (size_t i = 0; i < r->n_hdr; i++)
		free(r->hdr[i]);
	free(r->hdr);
	for (size_t i = r->q_pos; i < r->q_len; i++)
		json_decref(r->q[i].obj);
	free(r->q);
	json_decref(r->row_obj);
	buf_free(&r->cur);
	free(r->path);
	free(r);
}
