/* limits.c — the budgets every input is held to (see limits.h).
 *
 * The table below is the one list of names: the parser, the error
 * message listing the names and docs/security.md follow it.  Limits are
 * read before the suite is loaded and not changed afterwards, so readers
 * need no lock. */
#include "limits.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

enum lkind { L_SIZE, L_LONG, L_VARFILES };

static const struct lentry {
	const char *name;
	enum lkind kind;
	size_t off;
} entries[] = {
	{ "file_bytes", L_SIZE, offsetof(struct limits, file_bytes) },
	{ "yaml_bytes", L_SIZE, offsetof(struct limits, yaml_bytes) },
	{ "yaml_nodes", L_LONG, offsetof(struct limits, yaml_nodes) },
	{ "tree_bytes", L_SIZE, offsetof(struct limits, tree_bytes) },
	{ "tests_bytes", L_SIZE, offsetof(struct limits, tests_bytes) },
	{ "template_work", L_SIZE, offsetof(struct limits, template_work) },
	{ "template_bytes", L_SIZE, offsetof(struct limits, template_bytes) },
	{ "reply_json_bytes", L_SIZE, offsetof(struct limits, reply_json_bytes) },
	{ "stream_tests", L_LONG, offsetof(struct limits, stream_tests) },
	{ "var_files", L_VARFILES, offsetof(struct limits, var_files_anywhere) },
};

#define NAMES "file_bytes, yaml_bytes, yaml_nodes, tree_bytes, tests_bytes, " \
	      "template_work, template_bytes, reply_json_bytes, stream_tests, " \
	      "var_files"

static struct limits cur;
static bool have_cur, loaded;
static int load_rc;
static struct err load_err;

void limits_default(struct limits *out)
{
	out->file_bytes = (size_t)256 << 20;
	out->yaml_bytes = (size_t)64 << 20;
	out->yaml_nodes = 1000000L;
	out->tree_bytes = (size_t)512 << 20;
	out->tests_bytes = (size_t)1 << 30;
	out->template_work = (size_t)256 << 20;
	out->template_bytes = (size_t)64 << 20;
	out->reply_json_bytes = (size_t)128 << 20;
	out->stream_tests = 50000;
	out->var_files_anywhere = false;
}

const struct limits *limits_get(void)
{
	if (!have_cur) {
		limits_default(&cur);
		have_cur = true;
	}
	return &cur;
}

void limits_set(const struct limits *l)
{
	if (l)
		cur = *l;
	else
		limits_default(&cur);
	have_cur = true;
	loaded = true;     /* an explicit setting wins over ASSAY_LIMITS */
	load_rc = 0;
}

/* "123", "64K", "1M", "2G" (powers of 1024), > 0. */
static int parse_size(const char *s, size_t n, unsigned long long *out)
{
	unsigned long long v = 0, mul = 1;
	size_t i = 0;
	if (!n || !isdigit((unsigned char)s[0]))
		return -1;
	for (; i < n && isdigit((unsigned char)s[i]); i++) {
		if (v > ULLONG_MAX / 10)
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (i < n) {
		switch (toupper((unsigned char)s[i])) {
		case 'K': mul = 1ULL << 10; break;
		case 'M': mul = 1ULL << 20; break;
		case 'G': mul = 1ULL << 30; break;
		default: return -1;
		}
		if (++i < n && (s[i] == 'B' || s[i] == 'b'))
			i++;
		if (i < n)
			return -1;
	}
	if (v == 0 || v > ULLONG_MAX / mul || v * mul > (unsigned long long)LONG_MAX)
		return -1;
	*out = v * mul;
	return 0;
}

static int parse_item(const char *s, size_t n, struct limits *out,
		      struct err *err)
{
	const char *eq = memchr(s, '=', n);
	size_t kn = eq ? (size_t)(eq - s) : n;
	const char *v = eq ? eq + 1 : s + n;
	size_t vn = eq ? n - kn - 1 : 0;
	unsigned long long x;

	for (size_t i = 0; i < sizeof entries / sizeof *entries; i++) {
		const struct lentry *e = &entries[i];
		char *field = (char *)out + e->off;
		if (strlen(e->name) != kn || memcmp(e->name, s, kn) != 0)
			continue;
		if (!eq)
			return err_set(err, ST_USAGE, "ASSAY_LIMITS: '%.*s' "
				       "needs a value (name=value)", (int)kn,
				       s);
		if (e->kind == L_VARFILES) {
			if (vn == 5 && !memcmp(v, "suite", 5))
				*(bool *)field = false;
			else if (vn == 8 && !memcmp(v, "anywhere", 8))
				*(bool *)field = true;
			else
				return err_set(err, ST_USAGE, "ASSAY_LIMITS: "
					       "var_files is 'suite' or "
					       "'anywhere', not '%.*s'",
					       (int)vn, v);
			return 0;
		}
		if (parse_size(v, vn, &x))
			return err_set(err, ST_USAGE, "ASSAY_LIMITS: %s wants a "
				       "positive number (suffix K, M or G "
				       "allowed), not '%.*s'", e->name,
				       (int)vn, v);
		if (e->kind == L_LONG)
			*(long *)field = (long)x;
		else
			*(size_t *)field = (size_t)x;
		return 0;
	}
	return err_set(err, ST_USAGE, "ASSAY_LIMITS: unknown limit '%.*s', "
		       "expected one of: " NAMES, (int)kn, s);
}

int limits_parse(const char *spec, struct limits *out, struct err *err)
{
	const char *p = spec ? spec : "";
	limits_default(out);
	while (*p) {
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		while (n && isspace((unsigned char)*p)) {
			p++;
			n--;
		}
		while (n && isspace((unsigned char)p[n - 1]))
			n--;
		if (n) {
			int rc = parse_item(p, n, out, err);
			if (rc)
				return rc;
		}
		if (!e)
			break;
		p = e + 1;
	}
	return 0;
}

int limits_load(struct err *err)
{
	if (!loaded) {
		struct limits l;
		const char *spec = getenv("ASSAY_LIMITS");
		loaded = true;
		load_rc = limits_parse(spec, &l, &load_err);
		if (load_rc == 0)
			limits_set(&l);
		else
			(void)limits_get();
	}
	if (load_rc && err)
		*err = load_err;
	return load_rc;
}
