/* suite.c — loads a suite file: the top-level keys, prompts and providers,
 * the template check of every prompt against every test, the sanitized
 * copy, and the small operations on a loaded suite (render, filter, free).
 * Tests, assertions and external test files are in suite_tests.c.
 *
 * Every check happens here, at load, so that a bad suite fails before a
 * single request is sent, with an error that names file:line:col. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "suite_int.h"
#include "conv.h"
#include "template.h"
#include "../util/buf.h"
#include "../util/fsutil.h"
#include "../util/limits.h"
#include "../util/xalloc.h"

#include <ctype.h>
#include <pcre2.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- loader helpers ----------------------------------------------------- */

/* A set maps each path to its index: a scan per file made 100,000
 * file:// vars quadratic. */
const char *ld_intern(struct ld *l, const char *path)
{
	struct suite *s = l->s;
	json_t *at;
	if (!l->file_idx)
		l->file_idx = json_object();
	at = json_object_get(l->file_idx, path);
	if (at)
		return s->files[json_integer_value(at)];
	s->files = xgrow(s->files, &l->cap_files, s->n_files + 1,
			 sizeof *s->files);
	s->files[s->n_files] = xstrdup(path);
	json_object_set_new_nocheck(l->file_idx, path,
				    json_integer((json_int_t)s->n_files));
	return s->files[s->n_files++];
}

struct ydoc *ld_doc(struct ld *l)
{
	struct ydoc *d = xcalloc(1, sizeof *d);
	l->docs = xgrow(l->docs, &l->cap_docs, l->n_docs + 1, sizeof *l->docs);
	l->docs[l->n_docs++] = d;
	return d;
}

int ld_err(struct ld *l, const struct ynode *n, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (!n)
		return err_at(l->err, l->s->path, 1, 1, "%s", msg);
	return err_at(l->err, n->file, n->line, n->col, "%s", msg);
}

int ld_is_file_ref(const char *s)
{
	return s && strncmp(s, "file://", 7) == 0;
}

const char *ld_ext(const char *path, char *buf, size_t n)
{
	const char *slash = strrchr(path, '/');
	const char *dot = strrchr(slash ? slash : path, '.');
	size_t i = 0;
	if (!dot) {
		buf[0] = '\0';
		return buf;
	}
	for (; dot[i] && i + 1 < n; i++)
		buf[i] = (char)tolower((unsigned char)dot[i]);
	buf[i] = '\0';
	return buf;
}

/* Returns the offset of the first invalid UTF-8 sequence, or len. */
size_t ld_utf8_bad(const unsigned char *p, size_t len)
{
	size_t i = 0;
	while (i < len) {
		unsigned c = p[i];
		size_t k;
		unsigned min;
		unsigned long cp;
		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xE0) == 0xC0) {
			k = 1; min = 0x80; cp = c & 0x1F;
		} else if ((c & 0xF0) == 0xE0) {
			k = 2; min = 0x800; cp = c & 0x0F;
		} else if ((c & 0xF8) == 0xF0) {
			k = 3; min = 0x10000; cp = c & 0x07;
		} else {
			return i;
		}
		for (size_t j = 1; j <= k; j++) {
			if (i + j >= len || (p[i + j] & 0xC0) != 0x80)
				return i;
			cp = (cp << 6) | (p[i + j] & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return i;
		i += k + 1;
	}
	return len;
}

/* Names the limit in fs_read_file's "larger than" message. */
void ld_file_limit_hint(struct err *e)
{
	size_t n = strlen(e->msg);
	if (strstr(e->msg, " is larger than ") && n + 80 < sizeof e->msg)
		snprintf(e->msg + n, sizeof e->msg - n, " (limit file_bytes; "
			 "raise it with ASSAY_LIMITS=file_bytes=N)");
}

char *ld_read(struct ld *l, const struct ynode *at, const char *rel,
	      const char **path, size_t *len)
{
	struct err e = {0};
	char *full = fs_join(l->s->dir, rel);
	size_t n = 0, bad;
	char *text = fs_read_file(full, limits_get()->file_bytes, &n, &e);
	if (!text) {
		ld_file_limit_hint(&e);
		ld_err(l, at, "cannot read file '%s': %s", rel, e.msg);
		free(full);
		return NULL;
	}
	*path = ld_intern(l, full);
	free(full);
	bad = ld_utf8_bad((const unsigned char *)text, n);
	if (bad < n) {
		int line = 1, col = 1;
		for (size_t i = 0; i < bad; i++) {
			if (text[i] == '\n') {
				line++;
				col = 1;
			} else if ((text[i] & 0xC0) != 0x80) {
				col++;
			}
		}
		err_at(l->err, *path, line, col, "found a byte that is not "
		       "valid UTF-8 (0x%02x), expected UTF-8 text",
		       (unsigned char)text[bad]);
		free(text);
		return NULL;
	}
	if (len)
		*len = n;
	return text;
}

/* ---- prompts ------------------------------------------------------------- */

/* The chat rule: the text (trimmed) starts with '[' and, with every
 * `{{ … }}` replaced by `null` and every `{# … #}` removed, parses as a
 * non-empty JSON array of objects that each have a string "role". */
static bool looks_like_chat(const char *raw)
{
	struct buf b = {0};
	const char *p = raw;
	json_t *j;
	bool ok = false;
	size_t i;
	json_t *m;
	bool tags = false;

	while (isspace((unsigned char)*p))
		p++;
	if (*p != '[')
		return false;
	while (*p) {
		if (p[0] == '{' && (p[1] == '{' || p[1] == '#')) {
			const char *e = strstr(p + 2, p[1] == '{' ? "}}" : "#}");
			if (!e)
				break;
			if (p[1] == '{')
				buf_puts(&b, "null");
			p = e + 2;
			continue;
		}
		if (p[0] == '{' && p[1] == '%') {
			/* control tags (a `{% for %}` over _conversation) are
			 * left out: what remains is the messages' shape */
			const char *e = strstr(p + 2, "%}");
			if (!e)
				break;
			tags = true;
			p = e + 2;
			continue;
		}
		buf_putc(&b, *p++);
	}
	if (tags) {
		/* a comma a loop puts between items leaves one before ']' */
		char *t = b.p;
		size_t w = 0;
		for (size_t k = 0; t && k < b.len; k++) {
			if (t[k] == ',') {
				size_t q = k + 1;
				while (q < b.len && isspace((unsigned char)t[q]))
					q++;
				if (q < b.len && (t[q] == ']' || t[q] == '}'))
					continue;
			}
			t[w++] = t[k];
		}
		b.len = w;
		if (t)
			t[w] = '\0';
	}
	j = json_loads(buf_str(&b), 0, NULL);
	buf_free(&b);
	if (json_is_array(j) && json_array_size(j) > 0) {
		ok = true;
		json_array_foreach(j, i, m)
			if (!json_is_object(m) ||
			    !json_is_string(json_object_get(m, "role")))
				ok = false;
	}
	json_decref(j);
	return ok;
}

void ld_add_prompt(struct ld *l, char *raw, const char *label,
		   const char *file, int line, int col)
{
	struct suite *s = l->s;
	struct prompt *p;
	s->prompts = xgrow(s->prompts, &l->cap_prompts, s->n_prompts + 1,
			   sizeof *s->prompts);
	p = &s->prompts[s->n_prompts++];
	p->raw = raw;
	p->label = xstrdup(label ? label : raw);
	p->is_chat = looks_like_chat(raw);
	p->config = NULL;
	p->loc.file = file;
	p->loc.line = line;
	p->loc.col = col;
}

static bool is_code_file(const char *path)
{
	char e[16];
	static const char *const code[] = { ".js", ".cjs", ".mjs", ".ts",
					    ".py", ".rb", NULL };
	ld_ext(path, e, sizeof e);
	for (int i = 0; code[i]; i++)
		if (strcmp(e, code[i]) == 0)
			return true;
	/* promptfoo's file://x.py:function_name */
	return strstr(path, ".py:") || strstr(path, ".js:") ||
	       strstr(path, ".ts:");
}

/* Splits a text file into prompts at lines that are exactly "---". */
static void split_text_prompts(struct ld *l, char *text, const char *file,
			       const char *label)
{
	char *p = text;
	int line = 1;
	size_t count = 0, total = 1;

	for (char *q = text; *q; q++)
		if (*q == '\n' && (strncmp(q + 1, "---\n", 4) == 0 ||
				   strncmp(q + 1, "---\r\n", 5) == 0 ||
				   strcmp(q + 1, "---") == 0))
			total++;
	if (strncmp(text, "---\n", 4) == 0)
		total++;
	for (;;) {
		char *end = p, *next = NULL, *s, *e;
		int start_line = line, next_line;
		/* find the next delimiter line */
		for (;;) {
			char *nl = strchr(end, '\n');
			char *ln_end = nl ? nl : end + strlen(end);
			size_t ll = (size_t)(ln_end - end);
			if (ll && end[ll - 1] == '\r')
				ll--;
			if (ll == 3 && strncmp(end, "---", 3) == 0) {
				next = nl ? nl + 1 : ln_end;
				break;
			}
			if (!nl)
				break;
			end = nl + 1;
			line++;
		}
		next_line = line + 1;
		if (!next)
			end = end + strlen(end);
		/* trim, keeping the line of the first non-blank char */
		s = p;
		e = end;
		while (s < e && isspace((unsigned char)*s)) {
			if (*s == '\n')
				start_line++;
			s++;
		}
		while (e > s && isspace((unsigned char)e[-1]))
			e--;
		if (e > s) {
			char lab[512];
			count++;
			if (label && total > 1)
				snprintf(lab, sizeof lab, "%s (%zu)", label,
					 count);
			else if (label)
				snprintf(lab, sizeof lab, "%s", label);
			ld_add_prompt(l, xstrndup(s, (size_t)(e - s)),
				   label ? lab : NULL, file, start_line, 1);
		}
		if (!next)
			break;
		p = next;
		line = next_line;
	}
}

static int prompt_file(struct ld *l, const struct ynode *at,
		       const char *ref, const char *label)
{
	const char *rel = ref + 7, *path;
	char ext[16];
	char *text;
	size_t len;

	if (strpbrk(rel, "*?["))
		return ld_err(l, at, "unsupported feature: glob patterns in "
			      "file:// prompts ('%s'); list each file", ref);
	if (is_code_file(rel))
		return ld_err(l, at, "unsupported feature: prompt functions "
			      "('%s'); write the prompt as text, a .json or a "
			      ".yaml chat", ref);
	text = ld_read(l, at, rel, &path, &len);
	if (!text)
		return ST_INPUT;
	ld_ext(rel, ext, sizeof ext);
	if (strcmp(ext, ".yaml") == 0 || strcmp(ext, ".yml") == 0) {
		struct ydoc *d = ld_doc(l);
		json_t *j;
		char *raw;
		if (ydoc_parse(d, path, text, len, l->err)) {
			free(text);
			return ST_INPUT;
		}
		free(text);
		if (!d->root || d->root->kind != YN_SEQ)
			return ld_err(l, d->root ? d->root : at, "found %s, "
				      "expected a list of chat messages "
				      "(role, content)", d->root ?
				      yn_kind_name(d->root) : "an empty file");
		j = yn_to_json(d->root, l->err);
		if (!j)
			return ST_INPUT;
		raw = json_dumps(j, JSON_INDENT(2));
		json_decref(j);
		if (!raw || !looks_like_chat(raw)) {
			free(raw);
			return ld_err(l, d->root, "expected a list of chat "
				      "messages, each a mapping with 'role' "
				      "and 'content'");
		}
		ld_add_prompt(l, raw, label ? label : ref, path, d->root->line,
			   d->root->col);
		return 0;
	}
	if (strcmp(ext, ".csv") == 0 || strcmp(ext, ".jsonl") == 0) {
		int rc = strcmp(ext, ".csv") == 0
			 ? ld_prompt_csv(l, at, text, len, path, label)
			 : ld_prompt_jsonl(l, at, text, path, label, ref);
		free(text);
		return rc;
	}
	if (strcmp(ext, ".json") == 0) {
		char *s = text, *e = text + len;
		while (s < e && isspace((unsigned char)*s))
			s++;
		while (e > s && isspace((unsigned char)e[-1]))
			e--;
		ld_add_prompt(l, xstrndup(s, (size_t)(e - s)), label ? label : ref,
			   path, 1, 1);
		free(text);
		return 0;
	}
	split_text_prompts(l, text, path, label);
	free(text);
	return 0;
}

/* promptfoo reads a prompt string as a file path when it has no newline
 * and a '/', '\\' or '*', or a dot three or four characters from its end
 * (maybeFilePath).  assay reads it as a file when that file exists in
 * the suite's directory; a word ending in a prompt file's extension that
 * names no file is an error; anything else stays inline text (promptfoo
 * would fail to find "What is 3.14?" as a file). */
static int bare_path(struct ld *l, const struct ynode *v, const char *label,
		     bool *done)
{
	static const char *const exts[] = { ".txt", ".json", ".jsonl", ".yaml",
		".yml", ".csv", ".md", ".j2", ".njk", NULL };
	const char *s = v->str;
	size_t n = strlen(s);
	char ext[16], *full, *ref;
	bool like, exists, named = false;
	int rc;

	*done = false;
	like = !strchr(s, '\n') && (strpbrk(s, "/\\*") ||
				    (n >= 3 && s[n - 3] == '.') ||
				    (n >= 4 && s[n - 4] == '.'));
	if (!like || strpbrk(s, " \t"))
		return 0;
	ld_ext(s, ext, sizeof ext);
	for (int i = 0; exts[i]; i++)
		named = named || !strcmp(ext, exts[i]);
	full = fs_join(l->s->dir, s);
	{
		struct stat st;
		exists = stat(full, &st) == 0 && S_ISREG(st.st_mode);
	}
	free(full);
	if (!exists && !named)
		return 0;
	*done = true;
	if (!exists)
		return ld_err(l, v, "found the prompt file '%s', which does not "
			      "exist (a prompt that looks like a path is read "
			      "as a file, as promptfoo reads it)", s);
	ref = xasprintf("file://%s", s);
	rc = prompt_file(l, v, ref, label ? label : s);
	free(ref);
	return rc;
}

static int prompt_item(struct ld *l, const struct ynode *v, const char *label)
{
	bool done;
	int rc;
	if (v->kind != YN_SCALAR || yn_scalar_type(v) != JSON_STRING)
		return ld_err(l, v, "found %s, expected a prompt (a string, "
			      "a file:// path or a mapping with raw/id and "
			      "label)", yn_kind_name(v));
	if (ld_is_file_ref(v->str))
		return prompt_file(l, v, v->str, label);
	if ((rc = bare_path(l, v, label, &done)) || done)
		return rc;
	ld_add_prompt(l, xstrdup(v->str), label, v->file, v->text_line,
		   v->text_col);
	return 0;
}

/* A prompt's `config`: request parameters that override the provider's
 * for this prompt (promptfoo merges prompt.config over the provider's
 * config).  Only keys that go into an OpenAI-compatible request body,
 * type-checked here; the engine applies them (provider.h). */
static int prompt_config(struct ld *l, const struct ynode *v, json_t **out)
{
	static const struct { const char *k; const char *type; } keys[] = {
		{ "temperature", "n" }, { "top_p", "n" },
		{ "presence_penalty", "n" }, { "frequency_penalty", "n" },
		{ "max_tokens", "i" }, { "max_completion_tokens", "i" },
		{ "seed", "i" }, { "top_logprobs", "i" }, { "logprobs", "b" },
		{ "stop", "s" }, { "response_format", "o" },
		{ "tools", "l" }, { "functions", "l" }, { "tool_choice", "so" },
		{ "function_call", "so" }, { "parallel_tool_calls", "b" },
		{ "reasoning_effort", "S" }, { "user", "S" },
	};
	if (v->kind != YN_MAP)
		return ld_err(l, v, "found %s, expected a mapping of request "
			      "parameters", yn_kind_name(v));
	for (size_t i = 0; i + 1 < v->n; i += 2) {
		const struct ynode *k = v->kids[i], *x = v->kids[i + 1];
		const char *t = NULL;
		int jt = x->kind == YN_SCALAR ? yn_scalar_type(x) : -1;
		bool ok;
		for (size_t j = 0; j < sizeof keys / sizeof *keys; j++)
			if (!strcmp(keys[j].k, k->str))
				t = keys[j].type;
		if (!t)
			return ld_err(l, k, "prompt config key '%s' is not "
				      "supported; expected one of: temperature, "
				      "top_p, presence_penalty, "
				      "frequency_penalty, max_tokens, "
				      "max_completion_tokens, seed, logprobs, "
				      "top_logprobs, stop, response_format, "
				      "tools, functions, tool_choice, "
				      "function_call, parallel_tool_calls, "
				      "reasoning_effort, user", k->str);
		ok = (strchr(t, 'n') && (jt == JSON_INTEGER || jt == JSON_REAL)) ||
		     (strchr(t, 'i') && jt == JSON_INTEGER) ||
		     (strchr(t, 'b') && (jt == JSON_TRUE || jt == JSON_FALSE)) ||
		     (strchr(t, 'S') && jt == JSON_STRING) ||
		     (strchr(t, 's') && (jt == JSON_STRING || x->kind == YN_SEQ)) ||
		     (strchr(t, 'o') && x->kind == YN_MAP) ||
		     (strchr(t, 'l') && x->kind == YN_SEQ);
		if (!ok)
			return ld_err(l, x, "prompt config %s: found %s, "
				      "expected %s", k->str, yn_kind_name(x),
				      *t == 'n' ? "a number" :
				      *t == 'i' ? "an integer" :
				      *t == 'b' ? "true or false" :
				      *t == 'S' ? "a string" :
				      *t == 'o' ? "a mapping" :
				      *t == 'l' ? "a list" :
				      !strcmp(t, "so") ? "a string or a mapping"
						       : "a string or a list");
	}
	*out = yn_to_json(v, l->err);
	return *out ? 0 : ST_INPUT;
}

static int prompt_object(struct ld *l, const struct ynode *m)
{
	const struct ynode *raw = NULL, *id = NULL, *label = NULL;
	json_t *config = NULL;
	size_t before = l->s->n_prompts;
	int rc;
	for (size_t i = 0; i + 1 < m->n; i += 2) {
		const struct ynode *k = m->kids[i], *v = m->kids[i + 1];
		if (strcmp(k->str, "raw") == 0)
			raw = v;
		else if (strcmp(k->str, "id") == 0)
			id = v;
		else if (strcmp(k->str, "label") == 0)
			label = v;
		else if (strcmp(k->str, "config") == 0) {
			json_decref(config);
			config = NULL;
			if ((rc = prompt_config(l, v, &config)))
				return rc;
		} else if (strcmp(k->str, "function") == 0) {
			json_decref(config);
			return ld_err(l, k, "unsupported feature: prompt key "
				      "'%s'", k->str);
		} else {
			json_decref(config);
			return ld_err(l, k, "unknown key '%s' in a prompt, "
				      "expected raw, id, label or config",
				      k->str);
		}
	}
	if (label && label->kind != YN_SCALAR) {
		json_decref(config);
		return ld_err(l, label, "found %s, expected a string label",
			      yn_kind_name(label));
	}
	if (raw) {
		rc = prompt_item(l, raw, label ? label->str : NULL);
	} else if (id) {
		if (id->kind == YN_SCALAR && ld_is_file_ref(id->str))
			rc = prompt_file(l, id, id->str,
					 label ? label->str : NULL);
		else if (id->kind == YN_SCALAR &&
			 yn_scalar_type(id) == JSON_STRING)
			rc = prompt_item(l, id, label ? label->str : NULL);
		else
			rc = ld_err(l, id, "found %s, expected a file:// path "
				    "as the prompt's id (or use 'raw:' for "
				    "inline text)", yn_kind_name(id));
	} else {
		rc = ld_err(l, m, "found a prompt mapping without 'raw' or "
			    "'id', expected one of them");
	}
	for (size_t i = before; !rc && config && i < l->s->n_prompts; i++)
		l->s->prompts[i].config = json_incref(config);
	json_decref(config);
	return rc;
}

static int load_prompts(struct ld *l, const struct ynode *n)
{
	int rc = 0;
	if (n->kind == YN_SCALAR)
		return prompt_item(l, n, NULL);
	if (n->kind == YN_MAP) {
		/* promptfoo's map form: {prompt-or-path: label} */
		for (size_t i = 0; i + 1 < n->n && !rc; i += 2) {
			const struct ynode *lab = n->kids[i + 1];
			if (lab->kind != YN_SCALAR)
				return ld_err(l, lab, "found %s, expected a "
					      "label string",
					      yn_kind_name(lab));
			rc = prompt_item(l, n->kids[i], lab->str);
		}
	}
	for (size_t i = 0; n->kind == YN_SEQ && i < n->n && !rc; i++) {
		const struct ynode *it = n->kids[i];
		rc = it->kind == YN_MAP ? prompt_object(l, it)
					: prompt_item(l, it, NULL);
	}
	if (!rc && l->s->n_prompts == 0)
		return ld_err(l, n, "found no prompts, expected at least one");
	return rc;
}

/* ---- providers ----------------------------------------------------------- */

static bool code_provider_id(const char *id);

static int add_provider(struct ld *l, const struct ynode *at,
			const struct ynode *id, const struct ynode *opts)
{
	struct suite *s = l->s;
	struct provider_spec *p;
	const struct ynode *label = NULL, *config = NULL;

	if (!id || id->kind != YN_SCALAR || yn_scalar_type(id) != JSON_STRING
	    || !id->str[0])
		return ld_err(l, id ? id : at, "found %s, expected a provider "
			      "id such as openai:chat:gpt-4o-mini",
			      id ? yn_kind_name(id) : "no 'id'");
	if (ld_is_file_ref(id->str) && !code_provider_id(id->str))
		return ld_err(l, id, "unsupported feature: file:// providers "
			      "other than provider files (.yaml, .yml, .json) "
			      "and .js and .py scripts ('%s'); use an "
			      "exec: or http provider", id->str);
	for (size_t i = 0; opts && i + 1 < opts->n; i += 2) {
		const struct ynode *k = opts->kids[i];
		static const char *const unsup[] = { "transform", "delay",
			"prompts", "env", "inputs", "tools", NULL };
		if (strcmp(k->str, "id") == 0)
			continue;
		if (strcmp(k->str, "label") == 0) {
			label = opts->kids[i + 1];
			continue;
		}
		if (strcmp(k->str, "config") == 0) {
			config = opts->kids[i + 1];
			continue;
		}
		for (int u = 0; unsup[u]; u++)
			if (strcmp(k->str, unsup[u]) == 0)
				return ld_err(l, k, "unsupported feature: "
					      "provider key '%s'", k->str);
		return ld_err(l, k, "unknown key '%s' in a provider, expected "
			      "id, label or config", k->str);
	}
	if (label && label->kind != YN_SCALAR)
		return ld_err(l, label, "found %s, expected a label string",
			      yn_kind_name(label));
	if (config && config->kind != YN_MAP && yn_scalar_type(config) !=
	    JSON_NULL)
		return ld_err(l, config, "found %s, expected a mapping of "
			      "provider options", yn_kind_name(config));
	s->providers = xgrow(s->providers, &l->cap_providers,
			     s->n_providers + 1, sizeof *s->providers);
	p = &s->providers[s->n_providers];
	memset(p, 0, sizeof *p);
	if (config && config->kind == YN_MAP) {
		p->config = yn_to_json(config, l->err);
		if (!p->config)
			return ST_INPUT;
	} else {
		p->config = json_object();
	}
	p->id = xstrdup(id->str);
	p->label = xstrdup(label ? label->str : id->str);
	p->loc.file = at->file;
	p->loc.line = at->line;
	p->loc.col = at->col;
	s->n_providers++;
	return 0;
}

static int provider_item(struct ld *l, const struct ynode *it);

/* promptfoo's provider files: `file://x.yaml` (or .yml, .json) holding
 * one provider's options ({id, label, config}) or a list of them. */
static int provider_file(struct ld *l, const struct ynode *at, bool *done)
{
	const char *path;
	char ext[16], *text;
	size_t len;
	struct ydoc *d;
	const struct ynode *root;
	int rc = 0;

	*done = false;
	ld_ext(at->str + 7, ext, sizeof ext);
	if (strcmp(ext, ".yaml") && strcmp(ext, ".yml") && strcmp(ext, ".json"))
		return 0;
	*done = true;
	if (l->in_provider_file)
		return ld_err(l, at, "found the provider file '%s' inside a "
			      "provider file, expected providers (an id or "
			      "{id, label, config})", at->str);
	if (!(text = ld_read(l, at, at->str + 7, &path, &len)))
		return ST_INPUT;
	d = ld_doc(l);
	rc = ydoc_parse(d, path, text, len, l->err);
	free(text);
	if (rc)
		return rc;
	if (!d->root)
		return ld_err(l, at, "'%s' is empty, expected a provider "
			      "({id, label, config}) or a list of them",
			      at->str);
	if ((rc = ld_refs(l, &d->root)))
		return rc;
	root = d->root;
	l->in_provider_file = true;
	if (root->kind == YN_SEQ) {
		for (size_t i = 0; i < root->n && !rc; i++)
			rc = provider_item(l, root->kids[i]);
	} else if (root->kind == YN_MAP) {
		rc = provider_item(l, root);
	} else {
		rc = ld_err(l, root, "found %s, expected a provider ({id, "
			    "label, config}) or a list of them",
			    yn_kind_name(root));
	}
	l->in_provider_file = false;
	return rc;
}

static int provider_item(struct ld *l, const struct ynode *it)
{
	if (it->kind == YN_SCALAR && yn_scalar_type(it) == JSON_STRING &&
	    ld_is_file_ref(it->str)) {
		bool done;
		int rc = provider_file(l, it, &done);
		if (rc || done)
			return rc;
	}
	if (it->kind == YN_SCALAR)
		return add_provider(l, it, it, NULL);
	if (it->kind != YN_MAP)
		return ld_err(l, it, "found %s, expected a provider id or a "
			      "mapping with id, label and config",
			      yn_kind_name(it));
	if (yn_get(it, "id") || yn_get(it, "config") || yn_get(it, "label"))
		return add_provider(l, it, yn_get(it, "id"), it);
	/* promptfoo's map form: `- openai:gpt-4o: {config: …}` */
	if (it->n == 2 && it->kids[0]->kind == YN_SCALAR) {
		const struct ynode *opts = it->kids[1];
		if (opts->kind != YN_MAP && yn_scalar_type(opts) != JSON_NULL)
			return ld_err(l, opts, "found %s, expected the "
				      "provider's options (a mapping with "
				      "label, config)", yn_kind_name(opts));
		return add_provider(l, it, it->kids[0],
				    opts->kind == YN_MAP ? opts : NULL);
	}
	return ld_err(l, it, "found a provider mapping without 'id', "
		      "expected id, label and config");
}

static int load_providers(struct ld *l, const struct ynode *n)
{
	int rc = 0;
	if (n->kind == YN_SCALAR)
		return provider_item(l, n);
	if (n->kind != YN_SEQ)
		return ld_err(l, n, "found %s, expected a provider id or a "
			      "list of providers", yn_kind_name(n));
	for (size_t i = 0; i < n->n && !rc; i++)
		rc = provider_item(l, n->kids[i]);
	if (!rc && l->s->n_providers == 0)
		return ld_err(l, n, "found no providers, expected at least "
			      "one");
	return rc;
}

/* file://x.js (.mjs, .cjs) and file://x.py[:function]: script providers
 * (src/provider/prov_code.c). */
static bool code_provider_id(const char *id)
{
	const char *p = id + 7, *colon = strrchr(p, ':');
	size_t n = colon && !strchr(colon, '/') ? (size_t)(colon - p)
						: strlen(p);
	static const char *const ext[] = { ".js", ".mjs", ".cjs", ".py" };
	if (strncmp(id, "file://", 7))
		return false;
	for (size_t i = 0; i < 4; i++) {
		size_t e = strlen(ext[i]);
		if (n > e && !memcmp(p + n - e, ext[i], e))
			return true;
	}
	return false;
}

/* ---- template check -------------------------------------------------------- */

/* Test `tc` (number idx + 1 in messages) renders with every prompt. */
int ld_check_test(struct ld *l, const struct test_case *tc, size_t idx)
{
	struct suite *s = l->s;
	char missing[128], name[160];
	if (tc->description)
		snprintf(name, sizeof name, "test '%s'", tc->description);
	else
		snprintf(name, sizeof name, "test %zu", idx + 1);
	for (size_t p = 0; p < s->n_prompts; p++) {
		const struct prompt *pr = &s->prompts[p];
		struct err e = {0};
		json_t *cv = NULL;
		char *r;
		/* promptfoo's `_conversation`: the engine fills it with the
		 * earlier tests' turns (engine_cvar.c); the first test sees
		 * an empty list */
		if (!tc->conv && tmpl_refers_to(pr->raw, "_conversation") &&
		    !json_object_get(tc->vars, "_conversation")) {
			cv = json_copy(tc->vars);
			json_object_set_new(cv, "_conversation", json_array());
		}
		r = tmpl_render_ex(pr->raw, cv ? cv : tc->vars,
				   pr->is_chat ? TMPL_JSON_ESCAPE : 0,
				   &pr->loc, &e, missing, sizeof missing);
		json_decref(cv);
		if (r && pr->is_chat) {
			json_error_t je;
			json_t *j = json_loads(r, 0, &je);
			bool ok = json_is_array(j);
			json_decref(j);
			free(r);
			if (!ok)
				return err_at(l->err, tc->loc.file, tc->loc.line,
					      tc->loc.col, "%s: chat prompt %zu "
					      "renders to invalid JSON (%s), "
					      "expected a list of messages",
					      name, p + 1,
					      j ? "not a list" : je.text);
			continue;
		}
		if (r) {
			free(r);
			continue;
		}
		if (missing[0])
			return err_at(l->err, tc->loc.file, tc->loc.line,
				      tc->loc.col, "%s does not define var "
				      "'%s' used by prompt %zu (%s:%d:%d)", name,
				      missing, p + 1, e.file, e.line, e.col);
		return err_at(l->err, tc->loc.file, tc->loc.line, tc->loc.col,
			      "%s: prompt %zu: %s", name, p + 1, e.msg);
	}
	return 0;
}

/* The prompts render alone, and every test in memory renders with each
 * (streamed tests were checked as they were read: suite_stream.c). */
static int check_templates(struct ld *l)
{
	struct suite *s = l->s;
	for (size_t p = 0; p < s->n_prompts; p++) {
		const struct prompt *pr = &s->prompts[p];
		char *r = tmpl_render(pr->raw, NULL, TMPL_LENIENT |
				      (pr->is_chat ? TMPL_JSON_ESCAPE : 0),
				      &pr->loc, l->err);
		if (!r)
			return ST_INPUT;
		free(r);
	}
	for (size_t t = 0; t < s->n_tests; t++) {
		const struct test_case *tc = ld_mem_test(s, t);
		int rc = tc ? ld_check_test(l, tc, t) : 0;
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- top level ------------------------------------------------------------- */

static const char *const top_supported[] = {
	"description", "prompts", "providers", "targets", "tests",
	"defaultTest", "evaluateOptions", "outputPath", "calibration",
	"classification", "decision", NULL
};
static const char *const top_unsupported[] = {
	"nunjucksFilters", "extensions", "sharing", "redteam",
	"commandLineOptions", "tags", "tracing", "writeLatestResults", NULL
};

static bool in_list(const char *const *list, const char *s)
{
	for (int i = 0; list[i]; i++)
		if (strcmp(list[i], s) == 0)
			return true;
	return false;
}

static int load_root(struct ld *l, const struct ynode *root)
{
	struct suite *s = l->s;
	const struct ynode *prompts = NULL, *providers = NULL, *tests = NULL,
			   *def = NULL, *perturb = NULL, *scenarios = NULL;
	int rc;

	if ((rc = ld_cli_root(l, &root)))  /* suite_cli.c */
		return rc;
	if (!root)
		return err_at(l->err, s->path, 1, 1, "found an empty file, "
			      "expected a suite (a mapping with prompts, "
			      "providers and tests)");
	if (root->kind != YN_MAP)
		return ld_err(l, root, "found %s, expected a suite (a mapping "
			      "with prompts, providers and tests)",
			      yn_kind_name(root));
	l->root = root;
	if ((rc = ld_refs(l, (struct ynode **)&l->root)))  /* suite_config.c */
		return rc;
	root = l->root;
	for (size_t i = 0; i + 1 < root->n; i += 2) {
		const struct ynode *k = root->kids[i], *v = root->kids[i + 1];
		if (k->kind != YN_SCALAR)
			return ld_err(l, k, "found %s as a key, expected a "
				      "string", yn_kind_name(k));
		if (strcmp(k->str, "description") == 0) {
			if (v->kind != YN_SCALAR)
				return ld_err(l, v, "found %s, expected a "
					      "string", yn_kind_name(v));
			free(s->description);
			s->description = xstrdup(v->str);
		} else if (strcmp(k->str, "prompts") == 0) {
			if (v->kind == YN_SCALAR &&
			    yn_scalar_type(v) != JSON_STRING)
				return ld_err(l, v, "found %s, expected a "
					      "prompt string, a list of prompts "
					      "or a file:// path",
					      yn_kind_name(v));
			prompts = v;
		} else if (strcmp(k->str, "providers") == 0 ||
			   strcmp(k->str, "targets") == 0) {
			if (providers)
				return ld_err(l, k, "found both 'providers' "
					      "and 'targets', expected one");
			providers = v;
		} else if (strcmp(k->str, "tests") == 0) {
			tests = v;
		} else if (strcmp(k->str, "defaultTest") == 0) {
			def = v;
		} else if (strcmp(k->str, "evaluateOptions") == 0) {
			if ((rc = ld_evaluate_options(l, v)))
				return rc;
			s->evaluate_options = yn_to_json(v, l->err);
			if (!s->evaluate_options)
				return ST_INPUT;
		} else if (strcmp(k->str, "outputPath") == 0) {
			bool ok = v->kind == YN_SCALAR &&
				  yn_scalar_type(v) == JSON_STRING;
			for (size_t j = 0; v->kind == YN_SEQ && j < v->n; j++)
				if (v->kids[j]->kind != YN_SCALAR ||
				    yn_scalar_type(v->kids[j]) != JSON_STRING)
					return ld_err(l, v->kids[j], "found %s, "
						      "expected a path (a "
						      "string)",
						      yn_kind_name(v->kids[j]));
			if (v->kind == YN_SEQ)
				ok = v->n > 0;
			if (!ok)
				return ld_err(l, v, "found %s, expected a path "
					      "or a list of paths",
					      yn_kind_name(v));
			s->output_path = yn_to_json(v, l->err);
			if (!s->output_path)
				return ST_INPUT;
		} else if (strcmp(k->str, "calibration") == 0 ||
			   strcmp(k->str, "classification") == 0 ||
			   strcmp(k->str, "decision") == 0) {
			if ((rc = ld_stats_block(l, k, v)))
				return rc;
		} else if (!strcmp(k->str, "perturb") ||
			   !strcmp(k->str, "probe")) {  /* suite_perturb.c */
			if ((rc = ld_evalset_key(l, k, v)))
				return rc;
			if (!strcmp(k->str, "perturb"))
				perturb = v;
		} else if (!strcmp(k->str, "scenarios")) {
			scenarios = v;
		} else if (!strcmp(k->str, "env")) {
			if ((rc = ld_env(l, v)))
				return rc;
		} else if (!strcmp(k->str, "metadata")) {
			if ((rc = ld_metadata(l, v)))
				return rc;
		} else if (!strcmp(k->str, "assertionTemplates")) {
			if (v->kind != YN_MAP)
				return ld_err(l, v, "found %s, expected a "
					      "mapping of names to assertions",
					      yn_kind_name(v));
		} else if (!strcmp(k->str, "derivedMetrics")) {
			if ((rc = ld_derived_metrics(l, v)))
				return rc;
		} else if (in_list(top_unsupported, k->str)) {
			return ld_err(l, k, "unsupported feature: '%s' (a "
				      "promptfoo key that assay does not "
				      "implement)", k->str);
		} else {
			return ld_err(l, k, "unknown key '%s', expected one of: "
				      "description, prompts, providers, tests, "
				      "defaultTest, scenarios, evaluateOptions, "
				      "outputPath, env, metadata, "
				      "assertionTemplates, derivedMetrics, "
				      "calibration, classification, decision, "
				      "perturb, probe", k->str);
		}
	}
	(void)top_supported;
	if (!prompts)
		return ld_err(l, root, "missing key 'prompts', expected the "
			      "suite's prompts");
	if (!providers)
		return ld_err(l, root, "missing key 'providers', expected at "
			      "least one provider");
	rc = load_prompts(l, prompts);
	if (!rc)
		rc = load_providers(l, providers);
	/* Large CSV / JSONL files stream unless something reshapes the
	 * tests as a whole (suite_stream.c) */
	l->stream_ok = !scenarios && !perturb && limits_get()->stream_tests > 0;
	for (size_t i = 0; i + 1 < root->n && l->stream_ok; i += 2)
		l->stream_ok = strcmp(root->kids[i]->str, "probe") != 0;
	if (!rc && scenarios)
		rc = ld_scenarios(l, scenarios, tests, def, &tests);
	if (!rc)
		rc = ld_tests(l, tests, def);
	if (!rc)
		rc = ld_perturb_expand(l, perturb);
	if (!rc)
		rc = check_templates(l);
	if (!rc) {
		s->sanitized = yn_to_json(root, l->err);
		if (!s->sanitized)
			return ST_INPUT;
		ld_secrets(s);
		ld_env_sanitize(s->sanitized);
		ld_sanitize(s->sanitized);
	}
	return rc;
}

int suite_load(const char *path, struct suite **out, struct err *err)
{
	return suite_load_cli(path, NULL, out, err);
}

int suite_load_cli(const char *path, const struct suite_cli *cli,
		   struct suite **out, struct err *err)
{
	return suite_load_visit(path, cli, NULL, out, err);
}

const struct test_case *suite_test_mem(const struct suite *s, size_t i)
{
	return ld_mem_test(s, i);
}

int suite_load_visit(const char *path, const struct suite_cli *cli,
		     const struct suite_visit *visit, struct suite **out,
		     struct err *err)
{
	struct ld l = {0};
	struct suite *s = xcalloc(1, sizeof *s);
	struct ydoc *d;
	const char *file;
	char *text;
	size_t len;
	int rc;

	*out = NULL;
	if (limits_load(err)) {
		free(s);
		return ST_USAGE;
	}
	l.s = s;
	l.err = err;
	l.cli = cli;
	l.visit = visit;
	s->path = xstrdup(path ? path : "(command line)");
	s->dir = path ? fs_dirname(path) : xstrdup(".");
	file = ld_intern(&l, s->path);
	text = path ? fs_read_file(path, limits_get()->file_bytes, &len, err)
		    : xstrdup("{}");
	if (!path)
		len = 2;
	if (!text) {
		ld_file_limit_hint(err);
		json_decref(l.file_idx);
		suite_free(s);
		return ST_IO;
	}
	d = ld_doc(&l);
	rc = ydoc_parse(d, file, text, len, err);
	free(text);
	if (!rc)
		rc = load_root(&l, d->root);
	for (size_t i = 0; i < l.n_docs; i++) {
		ydoc_free(l.docs[i]);
		free(l.docs[i]);
	}
	free(l.docs);
	json_decref(l.empty);
	json_decref(l.file_idx);
	if (rc) {
		suite_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

/* ---- operations on a loaded suite ----------------------------------------- */

static void assert_free(struct assertion_spec *a, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(a[i].type);
		json_decref(a[i].value);
		free(a[i].metric);
		free(a[i].transform);
		free(a[i].provider);
		json_decref(a[i].provider_config);
		free(a[i].rubric_prompt);
	}
}

void suite_share_release(struct assert_share *sh)
{
	if (!sh || --sh->refs)
		return;
	assert_free(sh->specs, sh->n);
	free(sh);
}

void suite_test_cleanup(struct test_case *t)
{
	if (t->asserts_share) {
		suite_share_release(t->asserts_share);
	} else {
		assert_free(t->asserts, t->n_asserts);
		free(t->asserts);
	}
	free(t->description);
	json_decref(t->vars);
	json_decref(t->metadata);
	free(t->grader);
	json_decref(t->grader_config);
	free(t->rubric_prompt);
	free(t->transform);
	memset(t, 0, sizeof *t);
}

void suite_free(struct suite *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_prompts; i++) {
		free(s->prompts[i].raw);
		free(s->prompts[i].label);
		json_decref(s->prompts[i].config);
	}
	free(s->prompts);
	for (size_t i = 0; i < s->n_providers; i++) {
		free(s->providers[i].id);
		free(s->providers[i].label);
		json_decref(s->providers[i].config);
	}
	free(s->providers);
	for (size_t i = 0; s->tests && i < s->n_tests; i++)
		suite_test_cleanup(&s->tests[i]);
	free(s->tests);
	stream_free(s->stream);
	for (size_t i = 0; i < s->n_convs; i++)
		conv_free(s->convs[i]);
	free(s->convs);
	json_decref(s->sanitized);
	json_decref(s->evaluate_options);
	json_decref(s->output_path);
	for (size_t i = 0; i < s->n_files; i++)
		free(s->files[i]);
	free(s->files);
	free(s->path);
	free(s->dir);
	free(s->description);
	free(s);
}

char *suite_render_prompt(const struct prompt *p, const json_t *vars,
			  struct err *err)
{
	json_error_t je;
	json_t *j;
	char *r = tmpl_render(p->raw, vars, p->is_chat ? TMPL_JSON_ESCAPE : 0,
			      &p->loc, err);
	if (!r || !p->is_chat)
		return r;
	j = json_loads(r, 0, &je);
	if (!json_is_array(j)) {
		err_at(err, p->loc.file, p->loc.line, p->loc.col, "chat "
		       "prompt rendered to invalid JSON (%s at line %d, "
		       "column %d of the rendered text), expected a list of "
		       "messages", j ? "not a list" : je.text, je.line,
		       je.column);
		json_decref(j);
		free(r);
		return NULL;
	}
	json_decref(j);
	return r;
}

void suite_keep_tests(struct suite *s, const bool *keep)
{
	size_t n = 0;
	for (size_t i = 0; i < s->n_tests; i++) {
		if (keep[i])
			s->tests[n++] = s->tests[i];
		else
			suite_test_cleanup(&s->tests[i]);
	}
	s->n_tests = n;
}

int suite_filter(struct suite *s, const char *pattern, size_t first_n,
		 struct err *err)
{
	size_t keep = 0;
	if (pattern && *pattern) {
		int ec;
		PCRE2_SIZE eo;
		pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern,
					       PCRE2_ZERO_TERMINATED,
					       PCRE2_UTF, &ec, &eo, NULL);
		pcre2_match_data *md;
		if (!re) {
			PCRE2_UCHAR msg[256];
			pcre2_get_error_message(ec, msg, sizeof msg);
			return err_set(err, ST_USAGE, "bad filter pattern "
				       "'%s' at offset %zu: %s", pattern,
				       (size_t)eo, (const char *)msg);
		}
		if (suite_tests_materialize(s, err)) {
			pcre2_code_free(re);
			return err->code;
		}
		md = pcre2_match_data_create_from_pattern(re, NULL);
		for (size_t i = 0; i < s->n_tests; i++) {
			struct test_case *t = &s->tests[i];
			bool hit = false;
			if (t->description)
				hit = pcre2_match(re, (PCRE2_SPTR)t->description,
						  PCRE2_ZERO_TERMINATED, 0, 0,
						  md, NULL) >= 0;
			if (!hit) {
				char *js = json_dumps(t->vars, JSON_COMPACT |
						      JSON_SORT_KEYS);
				hit = js && pcre2_match(re, (PCRE2_SPTR)js,
							PCRE2_ZERO_TERMINATED,
							0, 0, md, NULL) >= 0;
				free(js);
			}
			if (hit)
				s->tests[keep++] = *t;
			else
				suite_test_cleanup(t);
		}
		s->n_tests = keep;
		pcre2_match_data_free(md);
		pcre2_code_free(re);
	}
	if (first_n && first_n < s->n_tests) {
		if (suite_tests_materialize(s, err))
			return err->code;
		for (size_t i = first_n; i < s->n_tests; i++)
			suite_test_cleanup(&s->tests[i]);
		s->n_tests = first_n;
	}
	return 0;
}
