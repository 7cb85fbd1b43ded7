/* fuzz.h — what every fuzz target in fuzz/ shares.
 *
 * A target is one file defining LLVMFuzzerTestOneInput (and, when it needs
 * setup, LLVMFuzzerInitialize).  The same object links into two programs:
 * a libFuzzer binary (`make fuzz`, clang) and a replay driver
 * (fuzz/driver/replay.c, any C compiler) that feeds every corpus file to
 * it once, which `make check` runs.  A target must be deterministic, must
 * not leak, and must not touch the network or run other programs.
 *
 * The helpers are static inline so that each target stays one object. */
#ifndef ASSAY_FUZZ_H
#define ASSAY_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Splits data at its first NUL: the part before (copied, NUL-terminated,
 * owned by the caller) is returned; *rest / *rest_n are what follows the
 * NUL (empty when there is none). */
static inline char *fz_head(const uint8_t *data, size_t size,
			    const uint8_t **rest, size_t *rest_n)
{
	const uint8_t *z = memchr(data, 0, size);
	size_t n = z ? (size_t)(z - data) : size;
	char *s = malloc(n + 1);
	if (!s)
		abort();
	memcpy(s, data, n);
	s[n] = '\0';
	*rest = z ? z + 1 : data + size;
	*rest_n = z ? size - n - 1 : 0;
	return s;
}

/* A private directory for the files a target writes, made once per
 * process; the files and the directory are removed at exit. */
static char fz_dir_path[64];
static char fz_names[8][32];
static int fz_n_names;

static inline void fz_dir_remove(void)
{
	char path[512];
	int i;
	for (i = 0; i < fz_n_names; i++) {
		snprintf(path, sizeof path, "%s/%s", fz_dir_path, fz_names[i]);
		unlink(path);
	}
	rmdir(fz_dir_path);
}

static inline const char *fz_dir(void)
{
	if (!fz_dir_path[0]) {
		const char *t = getenv("TMPDIR");
		snprintf(fz_dir_path, sizeof fz_dir_path, "%s/assay-fuzz.XXXXXX",
			 t && *t && strlen(t) < 40 ? t : "/tmp");
		if (!mkdtemp(fz_dir_path))
			abort();
		atexit(fz_dir_remove);
	}
	return fz_dir_path;
}

/* Writes n bytes to fz_dir()/name (name shorter than 32 bytes, at most 8
 * distinct names); returns the path (static storage, valid until the next
 * call). */
static inline const char *fz_write(const char *name, const void *p, size_t n)
{
	static char path[512];
	FILE *f;
	int i;
	for (i = 0; i < fz_n_names && strcmp(fz_names[i], name); i++)
		;
	if (i == fz_n_names) {
		if (fz_n_names == 8 || strlen(name) >= sizeof fz_names[0])
			abort();
		snprintf(fz_names[fz_n_names++], sizeof fz_names[0], "%s", name);
	}
	snprintf(path, sizeof path, "%s/%s", fz_dir(), name);
	f = fopen(path, "wb");
	if (!f || (n && fwrite(p, 1, n, f) != n) || fclose(f))
		abort();
	return path;
}

#endif
