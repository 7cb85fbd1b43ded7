/* settings.c — ASSAY_* variables and ~/.config/assay/config.yaml
 * (settings.h).  The file is small and flat (key: scalar), read with
 * libyaml's document API so every error names its line and column. */
#include "settings.h"
#include "util/fsutil.h"
#include "util/xalloc.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

/* The file may be at most this large: it holds three settings. */
#define SETTINGS_MAX_BYTES (64 * 1024)

struct settings {
	bool loaded;
	char *file;
	char *db;
	int concurrency;
	char *grader;
	char *found_db;   /* the built-in rule's database, once looked for */
};

static struct settings S;

static const char *env_value(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

static void die(const char *fmt, const char *a, const char *b, int line,
		int col)
{
	if (line > 0)
		fprintf(stderr, "%s:%d:%d: error: ", S.file, line, col);
	else
		fputs("assay: error: ", stderr);
	fprintf(stderr, fmt, a, b);
	fputc('\n', stderr);
	exit(1);
}

/* 1 to 100000, or -1. */
static int parse_conc(const char *s)
{
	char *end;
	long v;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > 100000)
		return -1;
	return (int)v;
}

static char *expand_home(const char *s)
{
	const char *home = env_value("HOME");
	if (!strncmp(s, "~/", 2) && home)
		return fs_join(home, s + 2);
	return xstrdup(s);
}

static void read_file(void)
{
	struct err e = {0};
	yaml_parser_t p;
	yaml_document_t doc;
	yaml_node_t *root;
	size_t len = 0;
	char *text = fs_read_file(S.file, SETTINGS_MAX_BYTES, &len, &e);

	if (!text) {
		if (errno == ENOENT || strstr(e.msg, "No such file"))
			return;  /* optional */
		die("cannot read the config file: %s%s", e.msg, "", 0, 0);
	}
	yaml_parser_initialize(&p);
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	if (!yaml_parser_load(&p, &doc)) {
		int line = (int)p.problem_mark.line + 1;
		int col = (int)p.problem_mark.column + 1;
		char why[200];
		snprintf(why, sizeof why, "%s", p.problem ? p.problem : "?");
		yaml_parser_delete(&p);
		free(text);
		die("invalid YAML: %s%s", why, "", line, col);
	}
	root = yaml_document_get_root_node(&doc);
	if (root && root->type != YAML_MAPPING_NODE)
		die("found %s%s, expected a mapping of settings (db, "
		    "concurrency, grader)", "a value that is not a mapping", "",
		    (int)root->start_mark.line + 1,
		    (int)root->start_mark.column + 1);
	for (yaml_node_pair_t *pr = root ? root->data.mapping.pairs.start : NULL;
	     pr && pr < root->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = yaml_document_get_node(&doc, pr->key);
		yaml_node_t *v = yaml_document_get_node(&doc, pr->value);
		const char *key = k->type == YAML_SCALAR_NODE
				  ? (const char *)k->data.scalar.value : "?";
		const char *val;
		int line = (int)v->start_mark.line + 1;
		int col = (int)v->start_mark.column + 1;
		if (v->type != YAML_SCALAR_NODE)
			die("%s: found a list or mapping%s, expected a single "
			    "value", key, "", line, col);
		val = (const char *)v->data.scalar.value;
		if (!strcmp(key, "db")) {
			if (!*val)
				die("db: found an empty value%s%s, expected a "
				    "path", "", "", line, col);
			S.db = expand_home(val);
		} else if (!strcmp(key, "concurrency")) {
			if ((S.concurrency = parse_conc(val)) < 0)
				die("concurrency: found '%s'%s, expected a whole "
				    "number from 1 to 100000", val, "", line, col);
		} else if (!strcmp(key, "grader")) {
			if (!*val)
				die("grader: found an empty value%s%s, expected "
				    "a provider id", "", "", line, col);
			S.grader = xstrdup(val);
		} else {
			die("unknown key '%s'%s, expected db, concurrency or "
			    "grader", key, "", (int)k->start_mark.line + 1,
			    (int)k->start_mark.column + 1);
		}
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&p);
	free(text);
}

static void load(void)
{
	const char *xdg = env_value("XDG_CONFIG_HOME"), *home = env_value("HOME");
	const char *v;
	if (S.loaded)
		return;
	S.loaded = true;
	if (xdg)
		S.file = fs_join(xdg, "assay/config.yaml");
	else if (home)
		S.file = fs_join(home, ".config/assay/config.yaml");
	if (S.file)
		read_file();
	/* the variables win over the file */
	if ((v = env_value("ASSAY_DB"))) {
		free(S.db);
		S.db = xstrdup(v);
	}
	if ((v = env_value("ASSAY_CONCURRENCY")) &&
	    (S.concurrency = parse_conc(v)) < 0)
		die("ASSAY_CONCURRENCY is '%s'%s, expected a whole number from "
		    "1 to 100000", v, "", 0, 0);
	/* ASSAY_GRADER itself is read where the judges are made
	 * (engine/judges.c, which names it): the file's grader only stands
	 * in when the variable is not set */
	if (env_value("ASSAY_GRADER")) {
		free(S.grader);
		S.grader = NULL;
	}
}

/* Whether `dir` is one of ASSAY_CEILING_DIRECTORIES (trailing slashes
 * ignored). */
static bool is_ceiling(const char *dir)
{
	const char *list = env_value("ASSAY_CEILING_DIRECTORIES"), *p, *e;
	size_t n = strlen(dir);
	for (p = list; p && *p; p = *e ? e + 1 : e) {
		size_t m;
		if (!(e = strchr(p, ':')))
			e = p + strlen(p);
		m = (size_t)(e - p);
		while (m > 1 && p[m - 1] == '/')
			m--;
		if (m == n && !strncmp(p, dir, n))
			return true;
	}
	return false;
}

static char *store_dir_of(const char *dir)
{
	return strcmp(dir, "/") ? fs_join(dir, ".assay") : xstrdup("/.assay");
}

static bool has_store_dir(const char *dir)
{
	struct stat st;
	char *p = store_dir_of(dir);
	bool yes = stat(p, &st) == 0 && S_ISDIR(st.st_mode);
	free(p);
	return yes;
}

/* The built-in rule (settings.h): the nearest DIR/.assay/ from here up. */
static char *find_db(void)
{
	char cwd[PATH_MAX], *dir, *slash;
	if (has_store_dir(".") || !getcwd(cwd, sizeof cwd))
		return xstrdup(".assay/assay.db");
	dir = cwd;
	for (;;) {
		if (!(slash = strrchr(dir, '/')))
			break;
		if (slash == dir) {      /* the parent is the root */
			if (!dir[1])
				break;   /* already at the root */
			dir[1] = '\0';
		} else {
			*slash = '\0';
		}
		if (is_ceiling(dir))
			break;
		if (has_store_dir(dir)) {
			char *d = store_dir_of(dir);
			char *db = fs_join(d, "assay.db");
			free(d);
			return db;
		}
	}
	return xstrdup(".assay/assay.db");
}

const char *settings_db(void)
{
	load();
	if (S.db)
		return S.db;
	if (!S.found_db)
		S.found_db = find_db();
	return S.found_db;
}

int settings_concurrency(void)
{
	load();
	return S.concurrency;
}

const char *settings_grader(void)
{
	/* NULL when ASSAY_GRADER is set: judges.c reads and names it */
	load();
	return S.grader;
}

const char *settings_file(void)
{
	load();
	return S.file ? S.file : "(no $HOME: no config file)";
}
