/* fsutil.h — small file-system helpers. */
#ifndef ASSAY_FSUTIL_H
#define ASSAY_FSUTIL_H

#include <stddef.h>
#include "err.h"

/* Reads a whole file (at most `cap` bytes; 0 means 256 MiB).  Returns an
 * owned NUL-terminated buffer and its length in *len, or NULL with `err`
 * set (ST_IO, naming the path). */
char *fs_read_file(const char *path, size_t cap, size_t *len, struct err *err);

/* Returns the directory part of path ("." when none); owned. */
char *fs_dirname(const char *path);

/* Joins dir and rel unless rel is absolute; owned. */
char *fs_join(const char *dir, const char *rel);

/* Creates the directory and its parents (mode 0755). 0 on success. */
int fs_mkdirs(const char *dir, struct err *err);

/* Wall-clock time in milliseconds since the epoch, and a monotonic clock
 * in milliseconds (for durations). */
double fs_now_ms(void);
double fs_mono_ms(void);

#endif
