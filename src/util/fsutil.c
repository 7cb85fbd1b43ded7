/* fsutil.c — file and clock helpers (see fsutil.h). */
#define _POSIX_C_SOURCE 200809L
#include "fsutil.h"
#include "xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

char *fs_read_file(const char *path, size_t cap, size_t *len, struct err *err)
{
	FILE *f;
	char *p = NULL;
	size_t n = 0, sz = 0;
	if (!cap)
		cap = (size_t)256 << 20;
	f = fopen(path, "rb");
	if (!f) {
		err_set(err, ST_IO, "cannot open %s: %s", path, strerror(errno));
		snprintf(err->file, sizeof err->file, "%s", path);
		return NULL;
	}
	for (;;) {
		size_t got;
		if (n + 4096 + 1 > sz) {
			sz = sz ? sz * 2 : 8192;
			p = xrealloc(p, sz);
		}
		got = fread(p + n, 1, sz - n - 1, f);
		n += got;
		if (n > cap) {
			fclose(f);
			free(p);
			err_set(err, ST_IO, "%s is larger than %zu bytes", path,
				cap);
			return NULL;
		}
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		fclose(f);
		free(p);
		err_set(err, ST_IO, "cannot read %s", path);
		return NULL;
	}
	fclose(f);
	p[n] = '\0';
	if (len)
		*len = n;
	return p;
}

char *fs_dirname(const char *path)
{
	const char *s = strrchr(path, '/');
	if (!s)
		return xstrdup(".");
	if (s == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(s - path));
}

char *fs_join(const char *dir, const char *rel)
{
	if (rel[0] == '/' || !dir || !dir[0] || strcmp(dir, ".") == 0)
		return xstrdup(rel);
	return xasprintf("%s/%s", dir, rel);
}

int fs_mkdirs(const char *dir, struct err *err)
{
	char *p = xstrdup(dir);
	for (char *s = p + 1; *s; s++) {
		if (*s == '/') {
			*s = '\0';
			if (mkdir(p, 0755) != 0 && errno != EEXIST)
				goto fail;
			*s = '/';
		}
	}
	if (mkdir(p, 0755) != 0 && errno != EEXIST)
		goto fail;
	free(p);
	return 0;
fail:
	err_set(err, ST_IO, "cannot create directory %s: %s", p,
		strerror(errno));
	free(p);
	return ST_IO;
}

double fs_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

double fs_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}
