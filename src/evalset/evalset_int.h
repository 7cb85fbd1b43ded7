/* evalset_int.h — internal to src/evalset: the streaming log reader the
 * sampler uses (logread.c). */
#ifndef ASSAY_EVALSET_INT_H
#define ASSAY_EVALSET_INT_H

#include "evalset.h"

#define ES_MAX_LINE ((size_t)64 << 20)   /* longest record read */

struct es_reader;

/* Opens a JSONL or CSV log (csv: by the caller), gzip-compressed or not
 * ("-" is stdin).  NULL with err set (ST_IO) on failure. */
struct es_reader *es_reader_open(const char *path, bool csv, struct err *err);

/* The next record: 1 with *rec owned by the caller and *line its first
 * line; 0 at the end; ES_SKIP for a malformed record (err holds its
 * file:line:col, reading can go on); -1 for a fatal error (err set). */
#define ES_SKIP 2
int es_reader_next(struct es_reader *r, json_t **rec, long *line,
		   struct err *err);

void es_reader_close(struct es_reader *r);

#endif
