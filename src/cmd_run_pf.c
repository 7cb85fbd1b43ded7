/* cmd_run_pf.c — promptfoo's `eval` flags (cmd_run_pf.h).
 *
 * The meanings follow promptfoo's source (src/commands/eval.ts and
 * src/commands/eval/filterTests.ts): -p/-r/-t replace the suite's
 * prompts, providers and tests; --var sets defaultTest vars; the test
 * filters run in promptfoo's order (metadata, previous results, pattern,
 * range, first N, sample).  Flags assay cannot honour are refused with a
 * message that says why, never ignored.  Everything read from a file is
 * size-capped (limits file_bytes) and every bad line is named. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "cmd_run_pf.h"
#include "cmd.h"
#include "store/store.h"
#include "util/fsutil.h"
#include "util/json_limit.h"
#include "util/limits.h"
#include "util/xalloc.h"

#include <errno.h>
#include <pcre2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
	O_PROMPTS = PF_OPT_BASE, O_PROVIDERS, O_TESTS, O_VAR, O_ENV_FILE,
	O_VERBOSE, O_NO_WRITE, O_FAILING, O_FAILING_ONLY, O_ERRORS_ONLY,
	O_METADATA, O_FPROVIDERS, O_FPROMPTS, O_RANGE, O_SAMPLE, O_SEED,
	O_SHARE, O_NO_SHARE, O_TABLE, O_REFUSED
};

static const struct option own[] = {
	{ "prompts", required_argument, NULL, O_PROMPTS },
	{ "providers", required_argument, NULL, O_PROVIDERS },
	{ "tests", required_argument, NULL, O_TESTS },
	{ "vars", required_argument, NULL, O_TESTS },
	{ "var", required_argument, NULL, O_VAR },
	{ "env-file", required_argument, NULL, O_ENV_FILE },
	{ "env-path", required_argument, NULL, O_ENV_FILE },
	{ "verbose", no_argument, NULL, O_VERBOSE },
	{ "no-write", no_argument, NULL, O_NO_WRITE },
	{ "filter-failing", required_argument, NULL, O_FAILING },
	{ "filter-failing-only", required_argument, NULL, O_FAILING_ONLY },
	{ "filter-errors-only", required_argument, NULL, O_ERRORS_ONLY },
	{ "filter-metadata", required_argument, NULL, O_METADATA },
	{ "filter-providers", required_argument, NULL, O_FPROVIDERS },
	{ "filter-targets", required_argument, NULL, O_FPROVIDERS },
	{ "filter-prompts", required_argument, NULL, O_FPROMPTS },
	{ "filter-range", required_argument, NULL, O_RANGE },
	{ "filter-sample", required_argument, NULL, O_SAMPLE },
	{ "filter-sample-seed", required_argument, NULL, O_SEED },
	{ "share", no_argument, NULL, O_SHARE },
	{ "no-share", no_argument, NULL, O_NO_SHARE },
	{ "table", no_argument, NULL, O_TABLE },
	/* promptfoo flags assay refuses (docs/promptfoo.md says why) */
	{ "assertions", required_argument, NULL, O_REFUSED },
	{ "model-outputs", required_argument, NULL, O_REFUSED },
	{ "prompt-prefix", required_argument, NULL, O_REFUSED },
	{ "prompt-suffix", required_argument, NULL, O_REFUSED },
	{ "tag", required_argument, NULL, O_REFUSED },
	{ "remote", no_argument, NULL, O_REFUSED },
	{ "table-cell-max-length", required_argument, NULL, O_REFUSED },
	{ "show-assertions", no_argument, NULL, O_REFUSED },
	{ "suggest-prompts", required_argument, NULL, O_REFUSED },
	{ "watch", no_argument, NULL, O_REFUSED },
	{ "extension", required_argument, NULL, O_REFUSED },
	{ "interactive-providers", no_argument, NULL, O_REFUSED },
	{ NULL, 0, NULL, 0 },
};

/* Why each refused flag is refused (the message users see). */
static const struct { const char *flag, *why; } refusals[] = {
	{ "assertions", "write the assertions in the suite (defaultTest.assert)" },
	{ "model-outputs", "put the outputs in a test file and serve them with an exec: provider or `assay mock`" },
	{ "prompt-prefix", "put the prefix in the prompt" },
	{ "prompt-suffix", "put the suffix in the prompt" },
	{ "tag", "use --label NAME or --description TEXT" },
	{ "remote", "assay never sends work to a remote service" },
	{ "table-cell-max-length", "the summary table has no cells to truncate; see `assay show`" },
	{ "show-assertions", "use `assay show RUN` for each result's assertions" },
	{ "suggest-prompts", "assay does not generate prompts" },
	{ "watch", "re-run the command (assay keeps no watcher)" },
	{ "extension", "extension hooks are not implemented" },
	{ "interactive-providers", "promptfoo removed it too; use -j 1" },
	{ "a", "write the assertions in the suite (defaultTest.assert)" },
	{ "w", "re-run the command (assay keeps no watcher)" },
	{ "x", "extension hooks are not implemented" },
};

struct option *pf_options(const struct option *base)
{
	size_t nb = 0, no = sizeof own / sizeof own[0];
	struct option *all;
	while (base[nb].name)
		nb++;
	all = xcalloc(nb + no, sizeof *all);
	memcpy(all, base, nb * sizeof *all);
	memcpy(all + nb, own, no * sizeof *all);   /* own ends with NULL */
	return all;
}

static int usage(const char *cmd, const char *fmt, const char *a, const char *b)
{
	fprintf(stderr, "assay %s: ", cmd);
	fprintf(stderr, fmt, a, b);
	fprintf(stderr, "\nTry 'assay %s --help'.\n", cmd);
	return EXIT_USAGE;
}

static void push(const char ***list, size_t *n, const char *v)
{
	*list = xrealloc(*list, (*n + 1) * sizeof **list);
	(*list)[(*n)++] = v;
}

/* promptfoo's `-p a b c`: values up to the next flag (eval only). */
static void push_more(struct pf_args *p, const char ***list, size_t *n,
		      int argc, char **argv)
{
	while (p->eval && optind < argc && argv[optind][0] != '-')
		push(list, n, argv[optind++]);
}

static int parse_ulong(const char *s, unsigned long *out)
{
	char *end;
	unsigned long v;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (!*s || *end || errno || *s == '-')
		return -1;
	*out = v;
	return 0;
}

static int refuse(const char *cmd, int c, const char *arg, char **argv)
{
	/* the flag is the word before its value when that came separately */
	const char *flag = arg && optind >= 2 && arg == argv[optind - 1]
			   ? argv[optind - 2] : argv[optind - 1];
	const char *name = flag, *why = "";
	char shortname[2] = { (char)c, 0 };
	while (*name == '-')
		name++;
	for (size_t i = 0; i < sizeof refusals / sizeof refusals[0]; i++) {
		size_t n = strlen(refusals[i].flag);
		if ((c < PF_OPT_BASE && !strcmp(refusals[i].flag, shortname)) ||
		    (c >= PF_OPT_BASE && !strncmp(name, refusals[i].flag, n) &&
		     (name[n] == 0 || name[n] == '='))) {
			why = refusals[i].why;
			break;
		}
	}
	fprintf(stderr, "assay %s: %s is a promptfoo flag assay does not "
		"support: %s (docs/promptfoo.md)\n", cmd, flag, why);
	return EXIT_USAGE;
}

int pf_parse_opt(struct pf_args *p, const char *cmd, int c, const char *arg,
		 int argc, char **argv)
{
	unsigned long u;
	const char *eq;
	switch (c) {
	case 'p': case O_PROMPTS:
		push(&p->prompts, &p->n_prompts, arg);
		push_more(p, &p->prompts, &p->n_prompts, argc, argv);
		return -1;
	case 'r': case O_PROVIDERS:
		push(&p->providers, &p->n_providers, arg);
		push_more(p, &p->providers, &p->n_providers, argc, argv);
		return -1;
	case 't': case 'v': case O_TESTS:
		p->tests = arg;
		return -1;
	case O_VAR:
		eq = strchr(arg, '=');
		if (!eq || eq == arg)
			return usage(cmd, "--var must be KEY=VALUE, not '%s'%s", arg, "");
		if (!p->vars)
			p->vars = json_object();
		{
			char *k = xstrndup(arg, (size_t)(eq - arg));
			json_object_set_new(p->vars, k, json_string(eq + 1));
			free(k);
		}
		return -1;
	case O_ENV_FILE:
		push(&p->env_files, &p->n_env_files, arg);
		return -1;
	case O_VERBOSE: p->verbose = true; return -1;
	case O_NO_WRITE: p->no_write = true; return -1;
	case O_FAILING: case O_FAILING_ONLY: case O_ERRORS_ONLY:
		if (p->results)
			return usage(cmd, "give one of --filter-failing, "
				     "--filter-failing-only and "
				     "--filter-errors-only%s%s", "", "");
		p->results = arg;
		p->from = c == O_FAILING ? PF_FAILING : c == O_FAILING_ONLY
			  ? PF_FAILING_ONLY : PF_ERRORS_ONLY;
		return -1;
	case O_METADATA:
		eq = strchr(arg, '=');
		if (!eq || eq == arg || !eq[1])
			return usage(cmd, "--filter-metadata must be KEY=VALUE, "
				     "not '%s'%s", arg, "");
		push(&p->metadata, &p->n_metadata, arg);
		return -1;
	case O_FPROVIDERS: p->filter_providers = arg; return -1;
	case O_FPROMPTS: p->filter_prompts = arg; return -1;
	case O_RANGE: p->range = arg; return -1;
	case O_SAMPLE:
		if (parse_ulong(arg, &u) || u == 0 || u > (1UL << 40))
			return usage(cmd, "--filter-sample wants a positive "
				     "number, not '%s'%s", arg, "");
		p->sample = (long)u;
		return -1;
	case O_SEED:
		if (parse_ulong(arg, &u))
			return usage(cmd, "--filter-sample-seed wants a number "
				     "from 0, not '%s'%s", arg, "");
		p->seed = u;
		p->has_seed = true;
		return -1;
	case O_SHARE:
		fprintf(stderr, "assay %s: --share is not supported: assay never "
			"uploads results, nothing leaves this machine; write a "
			"report with -o report.html or browse runs with 'assay "
			"view'\n", cmd);
		return EXIT_USAGE;
	case O_NO_SHARE: case O_TABLE:
		return -1;      /* what assay does anyway */
	case 'a': case 'w': case 'x': case O_REFUSED:
		return refuse(cmd, c, arg, argv);
	default:
		return -2;
	}
}

const struct suite_cli *pf_cli(struct pf_args *p)
{
	if (!p->n_prompts && !p->n_providers && !p->tests &&
	    !(p->vars && json_object_size(p->vars)))
		return NULL;
	p->cli.prompts = p->prompts;
	p->cli.n_prompts = p->n_prompts;
	p->cli.providers = p->providers;
	p->cli.n_providers = p->n_providers;
	p->cli.tests = p->tests;
	p->cli.vars = p->vars;
	return &p->cli;
}

bool pf_is_standalone(const struct pf_args *p)
{
	return p->n_prompts && p->n_providers;
}

/* ------------------------------------------------------------ .env */

/* One dotenv value (after '='): quoted values keep their text ('…'
 * literally; "…" with \n and \" escapes; either over several lines),
 * unquoted ones are trimmed and end at " #". *ok false when a quote is not
 * closed. */
static char *env_value(char *v, bool *ok)
{
	char q = *v, *e;
	*ok = true;
	if (q == '\'' || q == '"' || q == '`') {
		char *out = xmalloc(strlen(v) + 1), *o = out;
		for (e = v + 1; *e && *e != q; e++) {
			if (q == '"' && *e == '\\' && e[1] == 'n') {
				*o++ = '\n';
				e++;
			} else if (q == '"' && *e == '\\' && e[1] == '"') {
				*o++ = '"';
				e++;
			} else {
				*o++ = *e;
			}
		}
		*o = 0;
		*ok = *e == q;
		return out;
	}
	for (e = v; *e; e++)
		if (*e == '#' && (e == v || e[-1] == ' ' || e[-1] == '\t'))
			break;
	while (e > v && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		e--;
	return xstrndup(v, (size_t)(e - v));
}

/* The closing quote q in s (a "…" value skips \" escapes), or NULL. */
static char *quote_end(char *s, char q)
{
	for (; *s; s++) {
		if (q == '"' && *s == '\\' && s[1])
			s++;
		else if (*s == q)
			return s;
	}
	return NULL;
}

static int env_file(const char *path, bool verbose, struct err *err)
{
	size_t len, n_set = 0;
	char *text = fs_read_file(path, 1 << 20, &len, err), *line, *next;
	int lineno = 0;
	if (!text)
		return ST_IO;
	for (line = text; line && *line; line = next) {
		char *eq, *k, *v, *key;
		bool ok;
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		lineno++;
		for (k = line; *k == ' ' || *k == '\t'; k++)
			;
		if (!*k || *k == '#' || *k == '\r')
			continue;
		if (!strncmp(k, "export ", 7))
			k += 7;
		eq = strchr(k, '=');
		if (!eq) {
			fprintf(stderr, "%s:%d: warning: no '=', line ignored\n",
				path, lineno);
			continue;
		}
		for (v = eq + 1; *v == ' ' || *v == '\t'; v++)
			;
		/* a quoted value may go on over several lines, as dotenv's */
		if ((*v == '"' || *v == '\'' || *v == '`') && next &&
		    !quote_end(v + 1, *v)) {
			char *close = quote_end(next, *v);
			if (close) {
				int extra = 1;
				next[-1] = '\n';
				for (char *c = next; c < close; c++)
					extra += *c == '\n';
				next = strchr(close, '\n');
				if (next)
					*next++ = 0;
				lineno += extra;
			}
		}
		while (eq > k && (eq[-1] == ' ' || eq[-1] == '\t'))
			eq--;
		key = xstrndup(k, (size_t)(eq - k));
		v = env_value(v, &ok);
		if (!ok)
			fprintf(stderr, "%s:%d: warning: unclosed quote in the "
				"value of %s (read to the end of the line)\n",
				path, lineno, key);
		if (!*key || strspn(key, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				    "abcdefghijklmnopqrstuvwxyz0123456789_.-")
			     != strlen(key))
			fprintf(stderr, "%s:%d: warning: '%s' is not a variable "
				"name, line ignored\n", path, lineno, key);
		else if (!getenv(key) && setenv(key, v, 0) == 0)
			n_set++;
		free(key);
		free(v);
	}
	free(text);
	if (verbose)
		fprintf(stderr, "assay: loaded %zu variables from %s\n", n_set, path);
	return 0;
}

int pf_load_env(const struct pf_args *p, struct err *err)
{
	int rc;
	for (size_t i = 0; i < p->n_env_files; i++)
		if ((rc = env_file(p->env_files[i], p->verbose, err)))
			return rc;
	if (!p->n_env_files && p->eval && access(".env", R_OK) == 0)
		return env_file(".env", p->verbose, err);
	return 0;
}

/* ------------------------------------------------------------ filters */

static pcre2_code *re_compile(const char *flag, const char *pat, struct err *err)
{
	int ec;
	PCRE2_SIZE eo;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED,
				       PCRE2_UTF, &ec, &eo, NULL);
	if (!re) {
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message(ec, msg, sizeof msg);
		err_set(err, ST_USAGE, "%s: bad pattern '%s' at offset %zu: %s",
			flag, pat, (size_t)eo, (const char *)msg);
	}
	return re;
}

static bool re_hit(pcre2_code *re, pcre2_match_data *md, const char *s)
{
	return s && pcre2_match(re, (PCRE2_SPTR)s, PCRE2_ZERO_TERMINATED, 0, 0,
				md, NULL) >= 0;
}

int pf_filter_columns(struct suite *s, const struct pf_args *p, struct err *err)
{
	pcre2_code *re;
	pcre2_match_data *md;
	size_t keep = 0;
	if (p->filter_providers) {
		if (!(re = re_compile("--filter-providers", p->filter_providers, err)))
			return ST_USAGE;
		md = pcre2_match_data_create_from_pattern(re, NULL);
		for (size_t i = 0; i < s->n_providers; i++) {
			struct provider_spec *v = &s->providers[i];
			if (re_hit(re, md, v->id) || re_hit(re, md, v->label)) {
				s->providers[keep++] = *v;
			} else {
				free(v->id);
				free(v->label);
				json_decref(v->config);
			}
		}
		s->n_providers = keep;
		pcre2_match_data_free(md);
		pcre2_code_free(re);
		if (!keep)
			return err_set(err, ST_USAGE, "--filter-providers '%s' "
				       "matches no provider", p->filter_providers);
	}
	if (p->filter_prompts) {
		keep = 0;
		if (!(re = re_compile("--filter-prompts", p->filter_prompts, err)))
			return ST_USAGE;
		md = pcre2_match_data_create_from_pattern(re, NULL);
		for (size_t i = 0; i < s->n_prompts; i++) {
			struct prompt *v = &s->prompts[i];
			if (re_hit(re, md, v->label) || re_hit(re, md, v->raw)) {
				s->prompts[keep++] = *v;
			} else {
				free(v->raw);
				free(v->label);
			}
		}
		s->n_prompts = keep;
		pcre2_match_data_free(md);
		pcre2_code_free(re);
		if (!keep)
			return err_set(err, ST_USAGE, "--filter-prompts '%s' "
				       "matches no prompt", p->filter_prompts);
	}
	return 0;
}

/* A metadata value as JavaScript's toString would print it; NULL when it
 * has none worth matching (null, objects). */
static char *meta_text(const json_t *v)
{
	if (json_is_string(v))
		return xstrdup(json_string_value(v));
	if (json_is_integer(v))
		return xasprintf("%lld", (long long)json_integer_value(v));
	if (json_is_real(v))
		return xasprintf("%.15g", json_real_value(v));
	if (json_is_boolean(v))
		return xstrdup(json_is_true(v) ? "true" : "false");
	return NULL;
}

static bool meta_includes(const json_t *v, const char *want)
{
	char *t;
	bool hit;
	if (json_is_array(v)) {
		size_t i;
		const json_t *it;
		json_array_foreach(v, i, it)
			if (meta_includes(it, want))
				return true;
		return false;
	}
	t = meta_text(v);
	hit = t && strstr(t, want);
	free(t);
	return hit;
}

/* One --filter-metadata KEY=A,B (\, is a comma in a value): true when
 * the test's metadata[KEY] includes one of the alternatives. */
static bool meta_match(const json_t *meta, const char *filter)
{
	const char *eq = strchr(filter, '=');
	char *key = xstrndup(filter, (size_t)(eq - filter));
	const json_t *v = json_object_get(meta, key);
	char *alt = xmalloc(strlen(eq) + 1);
	const char *s = eq + 1;
	bool hit = false;
	free(key);
	while (v && !hit) {
		char *o = alt;
		for (; *s && *s != ','; s++) {
			if (*s == '\\' && s[1] == ',')
				s++;
			*o++ = *s;
		}
		*o = 0;
		hit = *alt && meta_includes(v, alt);
		if (!*s)
			break;
		s++;
	}
	free(alt);
	return hit;
}

/* The vars of the results that qualify, as a JSON array (owned). */
struct picked {
	json_t *vars;
	enum pf_from from;
};

/* promptfoo's layout (success, failureReason: 2 = error) or assay's
 * (pass true/false/null, error). */
static void pick_result(struct picked *pk, const json_t *r)
{
	const json_t *vars = json_object_get(r, "vars"), *v;
	bool is_error, is_fail;
	if (!json_is_object(r))
		return;
	if ((v = json_object_get(r, "success"))) {
		is_error = json_integer_value(json_object_get(r, "failureReason")) == 2;
		is_fail = !json_is_true(v) && !is_error;
	} else {
		v = json_object_get(r, "pass");
		is_error = !v || json_is_null(v);
		is_fail = json_is_false(v);
	}
	if (pk->from == PF_FAILING ? is_error || is_fail
	    : pk->from == PF_FAILING_ONLY ? is_fail : is_error)
		json_array_append(pk->vars, json_is_object(vars) ? (json_t *)vars
				  : json_object());
}

static int pick_store(void *ud, const struct store_result *r)
{
	struct picked *pk = ud;
	json_t *vars = json_loads(r->vars_json ? r->vars_json : "{}", 0, NULL);
	bool is_error = r->pass < 0, is_fail = r->pass == 0;
	if (pk->from == PF_FAILING ? is_error || is_fail
	    : pk->from == PF_FAILING_ONLY ? is_fail : is_error)
		json_array_append(pk->vars, vars ? vars : json_object());
	json_decref(vars);
	return 0;
}

static bool ends_with(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);
	return n >= m && !strcmp(s + n - m, suf);
}

static int read_results(const char *src, const char *db, struct picked *pk,
			struct err *err)
{
	size_t cap = limits_get()->file_bytes, len;
	char *text;
	int rc = 0;
	if (!ends_with(src, ".json") && !ends_with(src, ".jsonl")) {
		struct store *st = NULL;
		int64_t id;
		if (!(rc = store_open_existing(db, &st, err)) &&
		    !(rc = store_resolve_run(st, src, &id, err)))
			rc = store_results_each(st, id, pick_store, pk, err);
		store_close(st);
		return rc;
	}
	if (!(text = fs_read_file(src, cap, &len, err)))
		return ST_IO;
	if (ends_with(src, ".jsonl")) {
		int lineno = 0;
		for (char *line = text, *next; line && *line; line = next) {
			json_error_t je;
			json_t *r;
			next = strchr(line, '\n');
			if (next)
				*next++ = 0;
			lineno++;
			if (!line[strspn(line, " \t\r")])
				continue;
			if (!(r = json_loadb_limited(line, strlen(line), 0, 64u << 20,
						     &je, NULL))) {
				rc = err_at(err, src, lineno, je.column, "%s, expected "
					    "one result object a line", je.text);
				break;
			}
			pick_result(pk, r);
			json_decref(r);
		}
	} else {
		json_error_t je;
		json_t *doc = json_loadb_limited(text, len, 0, cap * 8 + (64u << 20),
						 &je, NULL);
		const json_t *list = json_object_get(doc, "results");
		if (json_is_object(list))   /* promptfoo: results.results[] */
			list = json_object_get(list, "results");
		if (!doc)
			rc = err_at(err, src, je.line, je.column, "%s", je.text);
		else if (!json_is_array(list))
			rc = err_at(err, src, 1, 1, "found no results list, expected "
				    "promptfoo's results.results[] or assay's results[]");
		for (size_t i = 0; !rc && i < json_array_size(list); i++)
			pick_result(pk, json_array_get(list, i));
		json_decref(doc);
	}
	free(text);
	return rc;
}

/* The vars without promptfoo's run-time keys. */
static json_t *plain_vars(const json_t *v)
{
	json_t *c = json_is_object(v) ? json_copy((json_t *)v) : json_object();
	json_object_del(c, "_conversation");
	json_object_del(c, "sessionId");
	return c;
}

/* The vars as a canonical key (sorted, compact JSON; owned). */
static char *vars_key(const json_t *v)
{
	json_t *c = plain_vars(v);
	char *k = json_dumps(c, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(c);
	return k ? k : xstrdup("{}");
}

/* A set of the results' vars, then one look-up per test: linear in the
 * tests plus the results. */
static int filter_by_results(struct suite *s, const struct pf_args *p,
			     const char *db, bool *keep, struct err *err)
{
	struct picked pk = { .vars = json_array(), .from = p->from };
	json_t *set = json_object();
	int rc = read_results(p->results, db, &pk, err);
	for (size_t i = 0; !rc && i < json_array_size(pk.vars); i++) {
		char *k = vars_key(json_array_get(pk.vars, i));
		json_object_set_new(set, k, json_true());
		free(k);
	}
	for (size_t t = 0; !rc && t < s->n_tests; t++) {
		char *k;
		if (!keep[t])
			continue;
		k = vars_key(s->tests[t].vars);
		keep[t] = json_object_get(set, k) != NULL;
		free(k);
	}
	json_decref(set);
	json_decref(pk.vars);
	return rc;
}

/* --filter-range START:END (zero-based, END exclusive, either may be
 * empty). */
static int parse_range(const char *r, size_t n, size_t *lo, size_t *hi,
		       struct err *err)
{
	const char *colon = strchr(r, ':');
	unsigned long a = 0, b = n;
	char buf[32];
	if (!colon || (size_t)(colon - r) >= sizeof buf)
		goto bad;
	memcpy(buf, r, (size_t)(colon - r));
	buf[colon - r] = 0;
	if ((*buf && parse_ulong(buf, &a)) || (colon[1] && parse_ulong(colon + 1, &b)))
		goto bad;
	*lo = a < n ? a : n;
	*hi = b < n ? b : n;
	if (*hi < *lo)
		*hi = *lo;
	return 0;
bad:
	return err_set(err, ST_USAGE, "--filter-range wants START:END (0:10, "
		       "10:, :10), not '%s'", r);
}

/* A small seeded generator (splitmix64) for --filter-sample. */
static uint64_t mix(uint64_t *x)
{
	uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static size_t count(const bool *keep, size_t n)
{
	size_t c = 0;
	for (size_t i = 0; i < n; i++)
		c += keep[i];
	return c;
}

static void note(const struct pf_args *p, const char *what, size_t before,
		 size_t after)
{
	if (p->verbose)
		fprintf(stderr, "assay: %s: %zu of %zu tests kept\n", what, after,
			before);
}

int pf_filter_tests(struct suite *s, const struct pf_args *p,
		    const char *pattern, size_t first_n, const char *db,
		    struct err *err)
{
	size_t n, c;
	bool *keep;
	int rc = 0;
	if (!p->n_metadata && !p->results && !(pattern && *pattern) &&
	    !p->range && !first_n && !p->sample)
		return 0;              /* no filter: the tests stay as loaded */
	if ((rc = suite_tests_materialize(s, err)))  /* filters need them all */
		return rc;
	n = s->n_tests;
	keep = xmalloc((n ? n : 1) * sizeof *keep);
	for (size_t i = 0; i < n; i++)
		keep[i] = true;
	for (size_t f = 0; f < p->n_metadata; f++) {
		c = count(keep, n);
		for (size_t i = 0; i < n; i++)
			keep[i] = keep[i] && meta_match(s->tests[i].metadata, p->metadata[f]);
		note(p, p->metadata[f], c, count(keep, n));
	}
	if (p->results) {
		c = count(keep, n);
		if ((rc = filter_by_results(s, p, db, keep, err)))
			goto out;
		note(p, p->results, c, count(keep, n));
		if (!count(keep, n))
			fprintf(stderr, "assay: warning: %s selected no tests (no "
				"%s there, or the suite changed since)\n",
				p->results, p->from == PF_ERRORS_ONLY ? "errors"
				: p->from == PF_FAILING_ONLY ? "assertion failures"
				: "failures or errors");
	}
	if (pattern && *pattern) {
		pcre2_code *re = re_compile("--filter-pattern", pattern, err);
		pcre2_match_data *md;
		if (!re) {
			rc = ST_USAGE;
			goto out;
		}
		md = pcre2_match_data_create_from_pattern(re, NULL);
		c = count(keep, n);
		for (size_t i = 0; i < n; i++) {
			bool hit;
			if (!keep[i])
				continue;
			hit = re_hit(re, md, s->tests[i].description);
			if (!hit && !p->eval) {   /* assay run: the vars too */
				char *js = json_dumps(s->tests[i].vars,
						      JSON_COMPACT | JSON_SORT_KEYS);
				hit = re_hit(re, md, js);
				free(js);
			}
			keep[i] = hit;
		}
		note(p, "--filter-pattern", c, count(keep, n));
		pcre2_match_data_free(md);
		pcre2_code_free(re);
	}
	if (p->range || first_n) {
		size_t lo = 0, hi = SIZE_MAX, k = 0;
		c = count(keep, n);
		if (p->range && (rc = parse_range(p->range, c, &lo, &hi, err)))
			goto out;
		if (first_n && hi - lo > first_n)
			hi = lo + first_n;
		for (size_t i = 0; i < n; i++)
			if (keep[i]) {
				keep[i] = k >= lo && k < hi;
				k++;
			}
		note(p, "--filter-range/--filter-first-n", c, count(keep, n));
	}
	if (p->sample && (size_t)p->sample < (c = count(keep, n))) {
		/* a uniform sample without replacement: draw positions */
		uint64_t x = p->has_seed ? p->seed : (uint64_t)fs_now_ms() ^
			     ((uint64_t)getpid() << 32);
		size_t *idx = xmalloc(c * sizeof *idx), k = 0;
		for (size_t i = 0; i < n; i++)
			if (keep[i])
				idx[k++] = i;
		for (size_t i = c - 1; i > 0; i--) {
			size_t j = (size_t)(mix(&x) % (i + 1)), t = idx[i];
			idx[i] = idx[j];
			idx[j] = t;
		}
		for (size_t i = 0; i < n; i++)
			keep[i] = false;
		for (size_t i = 0; i < (size_t)p->sample; i++)
			keep[idx[i]] = true;
		free(idx);
		note(p, "--filter-sample", c, (size_t)p->sample);
	}
	suite_keep_tests(s, keep);
out:
	free(keep);
	return rc;
}

bool pf_env_exit(long passes, long fails, long errors, int *status)
{
	const char *t = getenv("PROMPTFOO_PASS_RATE_THRESHOLD");
	const char *c = getenv("PROMPTFOO_FAILED_TEST_EXIT_CODE");
	double threshold = 100, rate;
	long code = 100, total = passes + fails + errors;
	char *end;
	if (!t && !c)
		return false;
	if (t && *t) {
		double v = strtod(t, &end);
		if (!*end && v == v)
			threshold = v;
	}
	if (c && *c) {
		long v = strtol(c, &end, 10);
		if (!*end && v >= 0 && v <= 255)
			code = v;
	}
	rate = total ? 100.0 * (double)passes / (double)total : 0.0 / 0.0;
	*status = rate < threshold ? (int)code : 0;   /* NaN (nothing ran): 0 */
	if (t)
		fprintf(stderr, "assay: pass rate %.2f%%, threshold %g%% "
			"(PROMPTFOO_PASS_RATE_THRESHOLD)\n", rate, threshold);
	return true;
}

void pf_args_free(struct pf_args *p)
{
	free(p->prompts);
	free(p->providers);
	free(p->env_files);
	free(p->metadata);
	json_decref(p->vars);
	memset(p, 0, sizeof *p);
}
