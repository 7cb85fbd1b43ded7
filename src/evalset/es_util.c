/* es_util.c — hashing, UTF-8 and YAML-writing helpers of the eval-set
 * builders. */
#include "evalset.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "../util/utf8.h"
#include "../util/xalloc.h"

uint64_t es_hash(const void *p, size_t n, uint64_t seed)
{
	const unsigned char *s = p;
	uint64_t h = 0xcbf29ce484222325ULL ^ (seed * 0x9E3779B97F4A7C15ULL);
	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 0x100000001b3ULL;
	}
	/* splitmix64's finaliser: FNV alone mixes the last bytes poorly */
	h += 0x9E3779B97F4A7C15ULL;
	h = (h ^ (h >> 30)) * 0xBF58476D1CE4E5B9ULL;
	h = (h ^ (h >> 27)) * 0x94D049BB133111EBULL;
	return h ^ (h >> 31);
}

char *es_utf8_clean(const char *s, size_t n)
{
	struct buf b = {0};
	size_t i = 0;
	while (i < n) {
		uint32_t cp;
		size_t l = utf8_decode(s + i, n - i, &cp);
		if (!l || cp == 0) {
			buf_puts(&b, l ? "" : UTF8_REPLACEMENT);
			i += l ? l : 1;
			continue;
		}
		buf_append(&b, s + i, l);
		i += l;
	}
	return buf_detach(&b);
}

size_t es_utf8_len(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

void es_yaml_quote(struct buf *b, const char *s)
{
	size_t n = strlen(s), i = 0;
	buf_putc(b, '"');
	while (i < n) {
		uint32_t cp;
		size_t l = utf8_decode(s + i, n - i, &cp);
		if (!l) {               /* not expected: callers clean first */
			buf_puts(b, "\\uFFFD");
			i++;
			continue;
		}
		if (cp == '"' || cp == '\\') {
			buf_putc(b, '\\');
			buf_putc(b, (char)cp);
		} else if (cp == '\n') {
			buf_puts(b, "\\n");
		} else if (cp == '\t') {
			buf_puts(b, "\\t");
		} else if (cp == '\r') {
			buf_puts(b, "\\r");
		} else if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F)) {
			buf_printf(b, "\\x%02X", (unsigned)cp);
		} else if (cp == 0xFEFF || cp == 0xFFFE || cp == 0xFFFF ||
			   cp == 0x2028 || cp == 0x2029 ||
			   (cp >= 0xD800 && cp <= 0xDFFF)) {
			buf_printf(b, "\\u%04X", (unsigned)cp);
		} else {
			buf_append(b, s + i, l);
		}
		i += l;
	}
	buf_putc(b, '"');
}

void es_yaml_json(struct buf *b, const json_t *v)
{
	const char *k;
	json_t *x;
	size_t i;
	bool first = true;
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		buf_putc(b, '{');
		json_object_foreach((json_t *)v, k, x) {
			if (!first)
				buf_puts(b, ", ");
			first = false;
			es_yaml_quote(b, k);
			buf_puts(b, ": ");
			es_yaml_json(b, x);
		}
		buf_putc(b, '}');
		break;
	case JSON_ARRAY:
		buf_putc(b, '[');
		json_array_foreach(v, i, x) {
			if (i)
				buf_puts(b, ", ");
			es_yaml_json(b, x);
		}
		buf_putc(b, ']');
		break;
	case JSON_STRING:
		es_yaml_quote(b, json_string_value(v));
		break;
	default: {
		char *t = json_dumps(v, JSON_ENCODE_ANY);
		buf_puts(b, t ? t : "null");
		free(t);
	}
	}
}

int es_write_file(const char *path, const char *data, size_t n,
		  struct err *err)
{
	char tmp[4096];
	FILE *f;
	if (!strcmp(path, "-")) {
		fwrite(data, 1, n, stdout);
		fflush(stdout);
		return 0;
	}
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	f = fopen(tmp, "wb");
	if (!f)
		return err_set(err, ST_IO, "cannot write %s: %s", tmp,
			       strerror(errno));
	if (fwrite(data, 1, n, f) != n || fclose(f) != 0) {
		unlink(tmp);
		return err_set(err, ST_IO, "cannot write %s", path);
	}
	if (rename(tmp, path)) {
		int e = errno;
		unlink(tmp);
		return err_set(err, ST_IO, "cannot rename %s to %s: %s", tmp,
			       path, strerror(e));
	}
	return 0;
}

char *es_untemplate(const char *s, size_t *count)
{
	struct buf b = {0};
	for (const char *p = s; *p; p++) {
		buf_putc(&b, *p);
		if (*p == '{' && (p[1] == '{' || p[1] == '#' || p[1] == '%')) {
			buf_putc(&b, ' ');
			if (count)
				(*count)++;
		}
	}
	return buf_detach(&b);
}
