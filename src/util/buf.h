/* buf.h — a growable byte string, always NUL-terminated.
 *
 * `struct buf b = {0};` is an empty buffer.  The buffer owns `p`;
 * `buf_detach` hands it to the caller and leaves the buffer empty. */
#ifndef ASSAY_BUF_H
#define ASSAY_BUF_H

#include <stddef.h>

struct buf {
	char *p;
	size_t len, cap;
};

void buf_append(struct buf *b, const void *data, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Appends s as the body of a JSON string (no quotes), escaped. */
void buf_json_escape(struct buf *b, const char *s, size_t n);
void buf_reset(struct buf *b);           /* len = 0, keeps memory */
char *buf_detach(struct buf *b);         /* caller frees; never NULL */
void buf_free(struct buf *b);
/* Returns b->p, or "" when nothing was ever appended. */
const char *buf_str(const struct buf *b);

#endif
