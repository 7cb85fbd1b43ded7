/* replay.c — runs a fuzz target over files without libFuzzer: every file
 * named on the command line, and every regular file inside a directory
 * named there (in name order), is passed once to LLVMFuzzerTestOneInput.
 *
 * `make check` builds one replay program per target with the project's
 * compiler (gcc on a clean Debian; under ASan + UBSan in the second pass)
 * and tests/cli/fuzz_replay.sh runs it on fuzz/corpus/<target>/, so every
 * seed and every input that once crashed is exercised on each check
 * without clang.  Exits 0 after the last file, 2 when a file cannot be
 * read; a crash is the target's own (a signal or a sanitizer abort). */
#include "../fuzz.h"

#include <dirent.h>
#include <sys/stat.h>

/* libFuzzer calls this when a target defines it; so do we. */
__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv);

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *p = NULL;
	size_t n = 0, cap = 0;
	if (!f) {
		fprintf(stderr, "replay: cannot open %s\n", path);
		return 2;
	}
	for (;;) {
		size_t got;
		if (n == cap) {
			uint8_t *q;
			cap = cap ? cap * 2 : 4096;
			q = realloc(p, cap);
			if (!q)
				abort();
			p = q;
		}
		got = fread(p + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	fclose(f);
	/* An exact-size copy, so that ASan sees a read past the input. */
	{
		uint8_t *exact = malloc(n ? n : 1);
		if (!exact)
			abort();
		memcpy(exact, p, n);
		free(p);
		LLVMFuzzerTestOneInput(exact, n);
		free(exact);
	}
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int run_dir(const char *dir, int *count)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0, i;
	int rc = 0;
	if (!d)
		return 2;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			char **q;
			cap = cap ? cap * 2 : 64;
			q = realloc(names, cap * sizeof *names);
			if (!q)
				abort();
			names = q;
		}
		names[n] = malloc(strlen(dir) + strlen(e->d_name) + 2);
		if (!names[n])
			abort();
		snprintf(names[n], strlen(dir) + strlen(e->d_name) + 2, "%s/%s",
			 dir, e->d_name);
		n++;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof *names, by_name);
	for (i = 0; i < n; i++) {
		struct stat st;
		if (!rc && stat(names[i], &st) == 0 && S_ISREG(st.st_mode)) {
			rc = run_file(names[i]);
			++*count;
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	int i, count = 0, rc = 0;
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (i = 1; i < argc && !rc; i++) {
		struct stat st;
		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "replay: no such file %s\n", argv[i]);
			rc = 2;
		} else if (S_ISDIR(st.st_mode)) {
			rc = run_dir(argv[i], &count);
		} else {
			rc = run_file(argv[i]);
			count++;
		}
	}
	printf("replayed %d inputs\n", count);
	return rc;
}
