/* suite_cli.c — promptfoo's `eval` flags that replace parts of the suite
 * before it is loaded: `-p/--prompts FILE…`, `-r/--providers ID…`,
 * `-t/--tests FILE` and `--var KEY=VALUE` (struct suite_cli, suite.h).
 *
 * The loader's tree is rewritten, not the loaded structs: a new root
 * mapping is built with the replaced keys, so the replaced parts are
 * checked exactly like written ones and the sanitized copy stored with the
 * run shows what really ran.  As in promptfoo, -p/-r/-t replace the
 * suite's prompts, providers and tests; their paths are relative to the
 * current directory (not the suite's); --var values go into
 * defaultTest.vars, so a test's own vars still win. */
#include "suite_int.h"
#include "../util/xalloc.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Errors in what a flag brought name the flag, and as the column the
 * value's place among that flag's values: "(command line -p):1:2". */

/* A path from the command line made absolute against the current
 * directory (the loader resolves relative paths against the suite's). */
static char *cli_abs(const char *path)
{
	char cwd[PATH_MAX];
	const char *p = strncmp(path, "file://", 7) == 0 ? path + 7 : path;
	if (p[0] == '/' || !getcwd(cwd, sizeof cwd))
		return xasprintf("file://%s", p);
	return xasprintf("file://%s/%s", cwd, p);
}

static struct ynode *cli_str_at(struct ydoc *d, const char *file, const char *s,
			       size_t i)
{
	return yn_scalar(d, s, strlen(s), 1, file, 1, (int)i + 1);
}

static struct ynode *cli_str(struct ydoc *d, const char *file, const char *s)
{
	return cli_str_at(d, file, s, 0);
}

/* -p: each file becomes {id: file://ABS, label: PATH-as-typed}. */
static struct ynode *cli_prompts(struct ld *l, struct ydoc *d)
{
	const struct suite_cli *c = l->cli;
	const char *file = ld_intern(l, "(command line -p)");
	struct ynode *seq = yn_new(d, YN_SEQ, file, 1, 1);
	for (size_t i = 0; i < c->n_prompts; i++) {
		struct ynode *m = yn_new(d, YN_MAP, file, 1, (int)i + 1);
		char *abs = cli_abs(c->prompts[i]);
		yn_map_set(d, m, "id", cli_str_at(d, file, abs, i));
		yn_map_set(d, m, "label", cli_str_at(d, file, c->prompts[i], i));
		free(abs);
		yn_push(seq, m);
	}
	return seq;
}

static struct ynode *cli_providers(struct ld *l, struct ydoc *d)
{
	const struct suite_cli *c = l->cli;
	const char *file = ld_intern(l, "(command line -r)");
	struct ynode *seq = yn_new(d, YN_SEQ, file, 1, 1);
	for (size_t i = 0; i < c->n_providers; i++)
		yn_push(seq, cli_str_at(d, file, c->providers[i], i));
	return seq;
}

/* defaultTest with --var merged into its vars (the command line's value
 * replaces the suite's defaultTest value of the same name). */
static int cli_default_test(struct ld *l, struct ydoc *d,
			    const struct ynode *def, struct ynode **out)
{
	const struct suite_cli *c = l->cli;
	const char *file = ld_intern(l, "(command line --var)");
	struct ynode *m = yn_new(d, YN_MAP, file, 1, 1), *vars = NULL;
	const char *key;
	json_t *val;
	if (def && def->kind == YN_SCALAR && yn_scalar_type(def) == JSON_NULL)
		def = NULL;
	if (def && def->kind != YN_MAP)
		return ld_err(l, def, "--var: found %s as defaultTest, expected "
			      "a mapping the command line's vars can be merged "
			      "into", yn_kind_name(def));
	for (size_t i = 0; def && i + 1 < def->n; i += 2) {
		const struct ynode *k = def->kids[i], *v = def->kids[i + 1];
		if (k->kind == YN_SCALAR && strcmp(k->str, "vars") == 0) {
			if (v->kind != YN_MAP)
				return ld_err(l, v, "found %s, expected a "
					      "mapping of vars", yn_kind_name(v));
			vars = yn_new(d, YN_MAP, v->file, v->line, v->col);
			for (size_t j = 0; j + 1 < v->n; j += 2)
				if (v->kids[j]->kind != YN_SCALAR ||
				    !json_object_get(c->vars, v->kids[j]->str)) {
					yn_push(vars, v->kids[j]);
					yn_push(vars, v->kids[j + 1]);
				}
			continue;
		}
		yn_push(m, def->kids[i]);
		yn_push(m, def->kids[i + 1]);
	}
	if (!vars)
		vars = yn_new(d, YN_MAP, file, 1, 1);
	json_object_foreach((json_t *)c->vars, key, val)
		yn_map_set(d, vars, key, cli_str(d, file, json_string_value(val)));
	yn_map_set(d, m, "vars", vars);
	*out = m;
	return 0;
}

static bool replaced(const struct suite_cli *c, const char *k)
{
	if (c->n_prompts && !strcmp(k, "prompts"))
		return true;
	if (c->n_providers && (!strcmp(k, "providers") || !strcmp(k, "targets")))
		return true;
	if (c->tests && !strcmp(k, "tests"))
		return true;
	return c->vars && json_object_size(c->vars) && !strcmp(k, "defaultTest");
}

int ld_cli_root(struct ld *l, const struct ynode **root)
{
	const struct suite_cli *c = l->cli;
	const struct ynode *r = *root, *def = NULL;
	struct ydoc *d;
	struct ynode *m;
	char *abs;
	int rc;
	if (!c || !r || r->kind != YN_MAP)
		return 0;       /* load_root reports what the root is */
	d = ld_doc(l);
	m = yn_new(d, YN_MAP, r->file, r->line, r->col);
	for (size_t i = 0; i + 1 < r->n; i += 2) {
		const struct ynode *k = r->kids[i];
		if (k->kind == YN_SCALAR && !strcmp(k->str, "defaultTest"))
			def = r->kids[i + 1];
		if (k->kind == YN_SCALAR && replaced(c, k->str))
			continue;
		yn_push(m, r->kids[i]);
		yn_push(m, r->kids[i + 1]);
	}
	if (c->n_prompts)
		yn_map_set(d, m, "prompts", cli_prompts(l, d));
	if (c->n_providers)
		yn_map_set(d, m, "providers", cli_providers(l, d));
	if (c->tests) {
		abs = cli_abs(c->tests);
		yn_map_set(d, m, "tests", cli_str(d, ld_intern(l, "(command line -t)"), abs));
		free(abs);
	}
	if (c->vars && json_object_size(c->vars)) {
		struct ynode *nd = NULL;
		if ((rc = cli_default_test(l, d, def, &nd)))
			return rc;
		yn_map_set(d, m, "defaultTest", nd);
	}
	/* the new root converts to JSON on the original's budgets (and its
	 * own nodes' share, added by yn_new) */
	if (r->doc) {
		d->budget += r->doc->budget;
		d->bytes += r->doc->bytes;
	}
	*root = m;
	return 0;
}
