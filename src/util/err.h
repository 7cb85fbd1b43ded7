/* err.h — the project's status codes and the error record every fallible
 * function fills in.
 *
 * A caller owns a `struct err` (usually on its stack) and passes a pointer
 * down.  A function that fails returns a non-zero `enum status` and fills the
 * record with a readable message and, for input errors, the location
 * `file:line:col` (1-based; 0 means "unknown").  The record holds no heap
 * memory, so there is nothing to free. */
#ifndef ASSAY_ERR_H
#define ASSAY_ERR_H

#include <stdio.h>

enum status {
	ST_OK = 0,
	ST_USAGE,   /* bad command line */
	ST_INPUT,   /* bad suite / data file: has a location */
	ST_IO,      /* file system */
	ST_DB,      /* store */
	ST_NET,     /* transport */
	ST_INTERNAL
};

struct err {
	enum status code;
	char file[512];
	int line, col;
	char msg[1024];
};

/* Sets code and message; clears the location. Returns `code`. */
int err_set(struct err *e, enum status code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Sets code ST_INPUT, the location and the message. Returns ST_INPUT. */
int err_at(struct err *e, const char *file, int line, int col,
	   const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Writes "file:line:col: error: msg\n" (or "error: msg\n") to f, with
 * every secret registered in util/redact.h replaced by "[REDACTED]". */
void err_print(const struct err *e, FILE *f);

/* Clears the record to ST_OK. */
void err_clear(struct err *e);

#endif
