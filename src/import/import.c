/* import.c — `assay import --from openai-evals|inspect|hf|csv FILE -o OUT`
 * (import.h, docs/import.md): reads the records one at a time (JSONL
 * lines, or CSV rows with a header), maps each to an assay test and
 * writes it at once as YAML; what a record could not give is reported
 * with file:line and the record skipped.
 *
 * The prompt comes from the first record that maps: a text input becomes
 * `{{input}}`; a chat input a chat prompt with one var per message
 * (named after its role: system, user, assistant, user_2, …); choices a
 * multiple-choice prompt asking for "ANSWER: <letter>" (Inspect's
 * multiple_choice contract) graded by a regex on that letter.  Expected
 * answers become assertions by --match (defaults: OpenAI Evals' Match is
 * starts-with, Inspect's includes() is icontains, columns equals). */
#include "import.h"
#include "../cmd.h"
#include "../util/buf.h"
#include "../util/json_limit.h"
#include "../util/xalloc.h"

#include <csv.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define LINE_CAP (16u << 20)       /* one JSONL line or CSV row */
#define JSON_MEM (256u << 20)      /* memory one line's parse may take */
#define MAX_REPORTED 20            /* skipped records listed one by one */
#define MAX_COLS 4096

enum fmt { F_OPENAI, F_INSPECT, F_HF };
enum match { M_DEFAULT, M_EQUALS, M_STARTS, M_CONTAINS, M_ICONTAINS };
enum pkind { P_NONE, P_TEXT, P_CHAT, P_MC };

struct imp {
	/* options */
	const char *from, *file, *out, *provider, *prompt_opt;
	const char *col_input, *col_target, *col_choices, *col_id;
	const char **meta_cols;
	size_t n_meta;
	bool suite, quiet;
	enum match match;
	/* state */
	enum fmt fmt;
	enum pkind kind;
	char *prompt;               /* the prompt template, once decided */
	json_t *shape;              /* chat: the roles of the prompt */
	json_t *hdr;                /* CSV: the header cells */
	json_t *notes;              /* what was mapped how (unique strings) */
	yaml_emitter_t em;
	bool em_open;
	long mapped, skipped, line;
	struct err *err;
};

static const char usage_text[] =
	"usage: assay import --from FORMAT FILE -o OUT.yaml [options]\n"
	"       assay import FILE.assay [--db PATH]      (a run bundle; see above)\n"
	"\n"
	"Converts eval data into an assay case file (a YAML list of tests, for\n"
	"`tests: file://OUT.yaml`) or, with --suite, a whole suite.\n"
	"\n"
	"FORMAT: openai-evals (JSONL: input chat or text, ideal), inspect (JSONL:\n"
	"input, target, choices, id, metadata), hf (JSONL or CSV with columns),\n"
	"csv (a spreadsheet saved as CSV: like hf).  Without --from the format is\n"
	"guessed from the first record (ideal: openai-evals, target: inspect).\n"
	"\n"
	"options:\n"
	"  -o, --output FILE     the YAML to write (- for standard output)\n"
	"      --suite           write a suite (prompts, providers, tests)\n"
	"      --provider ID     the suite's provider (default openai:chat:gpt-4o-mini)\n"
	"      --match M         equals, starts-with, includes or icontains: how an\n"
	"                        expected answer is checked (defaults: openai-evals\n"
	"                        starts-with as its Match class, inspect icontains as\n"
	"                        its includes(), hf/csv equals)\n"
	"      --input COL       hf/csv: the input column (default: input, question,\n"
	"                        prompt, text, query or problem)\n"
	"      --target COL      hf/csv: the expected answer (default: target, answer,\n"
	"                        ideal, expected, label or output)\n"
	"      --choices COL     hf/csv: choices (a JSON list, or a|b|c)\n"
	"      --id COL          hf/csv: an id, used as the description\n"
	"      --metadata COL    hf/csv: a column kept as metadata (repeatable);\n"
	"                        the other columns become vars\n"
	"      --prompt TEXT     hf/csv: the prompt (default {{INPUT-COLUMN}})\n"
	"      --quiet           no report (errors are still printed)\n"
	"\n"
	"Every record that cannot be mapped is reported (file:line: why) and\n"
	"skipped.  Exit status: 0 when some record was mapped, 1 otherwise.\n";

int import_is_conversion(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--from") || !strncmp(argv[i], "--from=", 7) ||
		    !strcmp(argv[i], "-o") || !strcmp(argv[i], "--output") ||
		    !strncmp(argv[i], "--output=", 9) || !strcmp(argv[i], "--suite"))
			return 1;
	return 0;
}

static void note(struct imp *im, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void note(struct imp *im, const char *fmt, ...)
{
	char s[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s, sizeof s, fmt, ap);
	va_end(ap);
	if (json_object_size(im->notes) < 64)
		json_object_set_new(im->notes, s, json_true());
}

/* A skipped record: reported (the first MAX_REPORTED one by one). */
static void skip(struct imp *im, long line, const char *why)
{
	if (im->skipped++ < MAX_REPORTED && !im->quiet)
		fprintf(stderr, "%s:%ld: skipped: %s\n", im->file, line, why);
}

/* ------------------------------------------------------------ text bits */

/* The text of a chat message's content: a string, or a list of parts
 * whose `text` parts are joined.  NULL (why set) for anything else. */
static char *content_text(const json_t *c, const char **why)
{
	struct buf b = {0};
	size_t i;
	const json_t *p;
	if (json_is_string(c))
		return xstrdup(json_string_value(c));
	if (!json_is_array(c)) {
		*why = "a message's content is neither text nor a list of parts";
		return NULL;
	}
	json_array_foreach(c, i, p) {
		const json_t *t = json_object_get(p, "text");
		const char *ty = json_string_value(json_object_get(p, "type"));
		if (!json_is_string(t) || (ty && strcmp(ty, "text"))) {
			*why = "a message has non-text content (images, audio or "
			       "tools are not imported)";
			buf_free(&b);
			return NULL;
		}
		if (b.len)
			buf_putc(&b, '\n');
		buf_puts(&b, json_string_value(t));
	}
	if (!b.p)
		return xstrdup("");
	return b.p;
}

/* A scalar as text (numbers and booleans written as JSON would). */
static char *scalar_text(const json_t *v)
{
	if (json_is_string(v))
		return xstrdup(json_string_value(v));
	if (json_is_number(v) || json_is_boolean(v))
		return json_dumps(v, JSON_ENCODE_ANY);
	return NULL;
}

static bool has_template(const char *s)
{
	return strstr(s, "{{") || strstr(s, "{%") || strstr(s, "{#");
}

/* The expected answers: a string, a number, or a list of them. */
static json_t *answers(const json_t *v, const char **why)
{
	json_t *out = json_array();
	size_t i;
	const json_t *x;
	if (!json_is_array(v)) {
		char *s = scalar_text(v);
		if (!s) {
			*why = "the expected answer is missing or is not text";
			json_decref(out);
			return NULL;
		}
		json_array_append_new(out, json_string(s));
		free(s);
	} else {
		json_array_foreach(v, i, x) {
			char *s = scalar_text(x);
			if (!s) {
				*why = "an expected answer in the list is not text";
				json_decref(out);
				return NULL;
			}
			json_array_append_new(out, json_string(s));
			free(s);
		}
	}
	if (!json_array_size(out)) {
		*why = "the list of expected answers is empty";
		json_decref(out);
		return NULL;
	}
	json_array_foreach(out, i, x)
		if (has_template(json_string_value(x))) {
			*why = "an expected answer contains '{{', '{%' or '{#', "
			       "which assay would read as a template";
			json_decref(out);
			return NULL;
		}
	return out;
}

static void re_escape(struct buf *b, const char *s)
{
	for (; *s; s++) {
		if (strchr("\\^$.|?*+()[]{}/", *s))
			buf_putc(b, '\\');
		buf_putc(b, *s);
	}
}

/* The assertion checking `ans` (a list of strings) by im->match. */
static json_t *answer_assert(struct imp *im, const json_t *ans)
{
	size_t n = json_array_size(ans), i;
	const json_t *x;
	struct buf b = {0};
	json_t *a;
	switch (im->match) {
	case M_CONTAINS:
	case M_ICONTAINS:
		if (n == 1)
			return json_pack("{s:s, s:O}", "type", im->match == M_CONTAINS
					 ? "contains" : "icontains", "value",
					 json_array_get(ans, 0));
		return json_pack("{s:s, s:O}", "type", im->match == M_CONTAINS
				 ? "contains-any" : "icontains-any", "value", ans);
	case M_STARTS:
		if (n == 1)
			return json_pack("{s:s, s:O}", "type", "starts-with", "value",
					 json_array_get(ans, 0));
		break;
	default:
		if (n == 1)
			return json_pack("{s:s, s:O}", "type", "equals", "value",
					 json_array_get(ans, 0));
		break;
	}
	/* several answers for equals / starts-with: one anchored regex */
	buf_puts(&b, "^(?:");
	json_array_foreach(ans, i, x) {
		if (i)
			buf_putc(&b, '|');
		re_escape(&b, json_string_value(x));
	}
	buf_puts(&b, im->match == M_STARTS ? ")" : ")$");
	a = json_pack("{s:s, s:s}", "type", "regex", "value", b.p);
	buf_free(&b);
	note(im, "several expected answers: a regex matching any of them");
	return a;
}

/* ------------------------------------------------------------ prompts */

/* Decides the prompt from the first record, or checks a later record
 * fits it.  Returns false (why set) when it does not. */
static bool fit_prompt(struct imp *im, enum pkind kind, const json_t *roles,
		       const char *text_var, const char **why)
{
	if (im->kind == P_NONE) {
		struct buf b = {0};
		im->kind = kind;
		if (kind == P_CHAT) {
			size_t i;
			const json_t *r;
			im->shape = json_copy((json_t *)roles);
			buf_puts(&b, "[\n");
			json_array_foreach(roles, i, r) {
				char name[64];
				size_t rep = 0, j;
				for (j = 0; j < i; j++)
					rep += !strcmp(json_string_value(json_array_get(roles, j)),
						       json_string_value(r));
				if (rep)
					snprintf(name, sizeof name, "%s_%zu",
						 json_string_value(r), rep + 1);
				else
					snprintf(name, sizeof name, "%s", json_string_value(r));
				buf_printf(&b, "  {\"role\": \"%s\", \"content\": \"{{%s}}\"}%s\n",
					   json_string_value(r), name, i + 1 < json_array_size(roles)
					   ? "," : "");
			}
			buf_puts(&b, "]");
		} else if (kind == P_MC) {
			buf_puts(&b, "Answer this multiple-choice question. Reply with a "
				 "single line 'ANSWER: X', where X is the letter of the "
				 "right choice ({{letters}}).\n\n{{question}}\n\n{{choices}}");
		} else {
			buf_printf(&b, "{{%s}}", text_var);
		}
		if (im->prompt_opt)
			im->prompt = xstrdup(im->prompt_opt);
		else
			im->prompt = b.p ? b.p : xstrdup("");
		if (im->prompt_opt)
			buf_free(&b);
		return true;
	}
	if (im->kind != kind) {
		*why = kind == P_MC ? "it has choices, the first record had none"
		     : im->kind == P_MC ? "it has no choices, the first record had"
		     : kind == P_CHAT ? "its input is a chat, the first record's was text"
		     : "its input is text, the first record's was a chat";
		return false;
	}
	if (kind == P_CHAT && !json_equal(im->shape, (json_t *)roles)) {
		*why = "its messages' roles differ from the first record's, whose "
		       "roles made the prompt";
		return false;
	}
	return true;
}

/* Chat messages into vars (role names, _2… for repeats). */
static bool chat_vars(struct imp *im, const json_t *msgs, json_t *vars,
		      const char **why)
{
	json_t *roles = json_array();
	size_t i;
	const json_t *m;
	bool ok = true;
	if (!json_array_size(msgs)) {
		*why = "its input is an empty list of messages";
		json_decref(roles);
		return false;
	}
	json_array_foreach(msgs, i, m) {
		const char *role = json_string_value(json_object_get(m, "role"));
		if (!role || !*role || strspn(role, "abcdefghijklmnopqrstuvwxyz_") != strlen(role)) {
			*why = "a message has no role (or an unusual one)";
			ok = false;
			break;
		}
		json_array_append_new(roles, json_string(role));
	}
	if (ok && !fit_prompt(im, P_CHAT, roles, NULL, why))
		ok = false;
	json_array_foreach(msgs, i, m) {
		char name[64], *text;
		const char *role;
		size_t rep = 0;
		if (!ok)
			break;
		role = json_string_value(json_object_get(m, "role"));
		for (size_t j = 0; j < i; j++)
			rep += !strcmp(json_string_value(json_array_get(roles, j)), role);
		if (rep)
			snprintf(name, sizeof name, "%s_%zu", role, rep + 1);
		else
			snprintf(name, sizeof name, "%s", role);
		if (!(text = content_text(json_object_get(m, "content"), why))) {
			ok = false;
			break;
		}
		json_object_set_new(vars, name, json_string(text));
		free(text);
	}
	json_decref(roles);
	return ok;
}

/* Choices into the multiple-choice vars; the target (a letter, an index
 * or a choice's text) into the letter.  0 or a reason. */
static const char *mc_vars(struct imp *im, const char *question,
			   const json_t *choices, const json_t *target,
			   json_t *vars, char *letter)
{
	struct buf ch = {0}, letters = {0};
	size_t n = json_array_size(choices), i;
	const json_t *c, *t = target;
	const char *why = NULL;
	if (n < 2 || n > 26)
		return "it has fewer than 2 or more than 26 choices";
	if (json_is_array(t)) {
		if (json_array_size(t) != 1)
			return "it has several correct choices (not imported: one letter is graded)";
		t = json_array_get(t, 0);
	}
	*letter = 0;
	if (json_is_integer(t) && json_integer_value(t) >= 0 &&
	    (size_t)json_integer_value(t) < n)
		*letter = (char)('A' + json_integer_value(t));
	else if (json_is_string(t) && strlen(json_string_value(t)) == 1 &&
		 ((json_string_value(t)[0] | 0x20) - 'a') < (int)n &&
		 ((json_string_value(t)[0] | 0x20) >= 'a'))
		*letter = (char)(json_string_value(t)[0] & ~0x20);
	json_array_foreach(choices, i, c) {
		char *s = scalar_text(c);
		if (!s) {
			why = "a choice is not text";
			break;
		}
		if (!*letter && json_is_string(t) && !strcmp(s, json_string_value(t))) {
			*letter = (char)('A' + i);
			note(im, "a target equal to a choice's text: that choice's letter");
		}
		buf_printf(&ch, "%s%c) %s", i ? "\n" : "", (char)('A' + i), s);
		buf_printf(&letters, "%s%c", i ? ", " : "", (char)('A' + i));
		free(s);
	}
	if (!why && !*letter)
		why = "its target is not a letter, an index or one of its choices";
	if (!why) {
		json_object_set_new(vars, "question", json_string(question));
		json_object_set_new(vars, "choices", json_string(ch.p));
		json_object_set_new(vars, "letters", json_string(letters.p));
	}
	buf_free(&ch);
	buf_free(&letters);
	return why;
}

static json_t *mc_assert(char letter)
{
	char re[96];
	snprintf(re, sizeof re, "(?i)\\bANSWER\\s*:\\s*\\(?%c\\)?(?![A-Za-z])", letter);
	return json_pack("{s:s, s:s}", "type", "regex", "value", re);
}

/* ------------------------------------------------------------ formats */

/* The input (text or chat) of an OpenAI Evals or Inspect record, with
 * optional choices.  Fills vars and *mc_letter; returns a reason or NULL. */
static const char *map_input(struct imp *im, const json_t *input,
			     const json_t *choices, const json_t *target,
			     json_t *vars, char *letter)
{
	const char *why = NULL;
	if (choices) {
		char *q = json_is_string(input) ? xstrdup(json_string_value(input)) : NULL;
		if (!q && json_is_array(input) && json_array_size(input) == 1)
			q = content_text(json_object_get(json_array_get(input, 0), "content"), &why);
		if (!q)
			return why ? why : "multiple choice needs a text input (or one message)";
		if (!json_is_array(choices)) {
			free(q);
			return "its choices are not a list";
		}
		why = mc_vars(im, q, choices, target, vars, letter);
		free(q);
		if (!why && !fit_prompt(im, P_MC, NULL, NULL, &why))
			return why;
		return why;
	}
	if (json_is_string(input)) {
		if (!fit_prompt(im, P_TEXT, NULL, "input", &why))
			return why;
		json_object_set_new(vars, "input", json_string(json_string_value(input)));
		return NULL;
	}
	if (json_is_array(input))
		return chat_vars(im, input, vars, &why) ? NULL : why;
	return "its input is missing, or neither text nor a list of messages";
}

static const char *const openai_keys[] = { "input", "ideal", NULL };
static const char *const inspect_keys[] = { "input", "target", "choices", "id",
	"metadata", NULL };

static bool in(const char *const *list, const char *k)
{
	for (int i = 0; list[i]; i++)
		if (!strcmp(list[i], k))
			return true;
	return false;
}

static const char *map_openai_inspect(struct imp *im, const json_t *rec, json_t *test)
{
	bool insp = im->fmt == F_INSPECT;
	const json_t *input = json_object_get(rec, "input");
	const json_t *target = json_object_get(rec, insp ? "target" : "ideal");
	const json_t *choices = insp ? json_object_get(rec, "choices") : NULL;
	json_t *vars = json_object(), *meta = json_object(), *asserts = json_array(), *ans;
	const char *why = NULL, *k;
	json_t *v;
	char letter = 0;
	if (!json_is_object(rec)) {
		why = "the line is not a JSON object";
		goto out;
	}
	if (!target || json_is_null(target)) {
		why = insp ? "it has no 'target'" : "it has no 'ideal'";
		goto out;
	}
	if ((why = map_input(im, input, choices, target, vars, &letter)))
		goto out;
	if (letter) {
		json_array_append_new(asserts, mc_assert(letter));
		note(im, "choices: a multiple-choice prompt; the target letter checked "
		     "by a regex on 'ANSWER: <letter>'");
	} else {
		if (!(ans = answers(target, &why)))
			goto out;
		json_array_append_new(asserts, answer_assert(im, ans));
		json_decref(ans);
	}
	if (insp) {
		const json_t *id = json_object_get(rec, "id"), *md = json_object_get(rec, "metadata");
		char *ids = id ? scalar_text(id) : NULL;
		if (ids) {
			json_object_set_new(test, "description", json_string(ids));
			json_object_set_new(meta, "id", json_string(ids));
			free(ids);
		}
		if (json_is_object(md))
			json_object_update(meta, (json_t *)md);
	}
	json_object_foreach((json_t *)rec, k, v) {
		if (in(insp ? inspect_keys : openai_keys, k))
			continue;
		if (insp && (!strcmp(k, "sandbox") || !strcmp(k, "files") ||
			     !strcmp(k, "setup"))) {
			note(im, "Inspect '%s' is not imported (assay runs no sandbox)", k);
			continue;
		}
		json_object_set(meta, k, v);
		note(im, "other keys ('%s', …) kept as metadata", k);
	}
out:
	if (!why) {
		json_object_set(test, "vars", vars);
		json_object_set(test, "assert", asserts);
		if (json_object_size(meta))
			json_object_set(test, "metadata", meta);
	}
	json_decref(vars);
	json_decref(meta);
	json_decref(asserts);
	return why;
}

/* A column's name as a template var: letters, digits and '_' (others
 * become '_', a leading digit gets one before it).  Owned. */
static char *var_name(const char *col)
{
	size_t n = strlen(col);
	char *v = xmalloc(n + 2), *o = v;
	if (!n || (col[0] >= '0' && col[0] <= '9'))
		*o++ = '_';
	for (const char *c = col; *c; c++)
		*o++ = ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
			(*c >= '0' && *c <= '9') || *c == '_') ? *c : '_';
	*o = 0;
	return v;
}

static const char *pick_col(const json_t *rec, const char *given,
			    const char *const *guesses)
{
	if (given)
		return json_object_get(rec, given) ? given : NULL;
	for (int i = 0; guesses[i]; i++)
		if (json_object_get(rec, guesses[i]))
			return guesses[i];
	return NULL;
}

static const char *map_hf(struct imp *im, const json_t *rec, json_t *test)
{
	static const char *const g_in[] = { "input", "question", "prompt", "text",
		"query", "problem", NULL };
	static const char *const g_tg[] = { "target", "answer", "ideal", "expected",
		"label", "output", NULL };
	static const char *const g_ch[] = { "choices", "options", NULL };
	static const char *const g_id[] = { "id", NULL };
	const char *cin, *ctg, *cch, *cid, *why = NULL, *k;
	json_t *vars = json_object(), *meta = json_object(), *asserts = json_array();
	json_t *choices = NULL, *ans, *v, *target;
	char letter = 0, *input = NULL;
	if (!json_is_object(rec)) {
		why = "the line is not a JSON object";
		goto out;
	}
	cin = pick_col(rec, im->col_input, g_in);
	ctg = pick_col(rec, im->col_target, g_tg);
	cch = pick_col(rec, im->col_choices, g_ch);
	cid = pick_col(rec, im->col_id, g_id);
	if (!cin) {
		why = im->col_input ? "it has no value in the --input column"
			: "no input column (give --input COL)";
		goto out;
	}
	if (!ctg) {
		why = im->col_target ? "it has no value in the --target column"
			: "no expected-answer column (give --target COL)";
		goto out;
	}
	if (!(input = scalar_text(json_object_get(rec, cin)))) {
		why = "its input is not text";
		goto out;
	}
	target = json_object_get(rec, ctg);
	if (cch) {
		v = json_object_get(rec, cch);
		if (json_is_string(v)) {   /* CSV: a JSON list or a|b|c */
			const char *s = json_string_value(v);
			choices = s[0] == '[' ? json_loads(s, 0, NULL) : NULL;
			if (!json_is_array(choices)) {
				json_decref(choices);
				choices = json_array();
				for (const char *p = s, *e; ; p = e + 1) {
					e = strchr(p, '|');
					json_array_append_new(choices, json_stringn(p, e ? (size_t)(e - p)
										    : strlen(p)));
					if (!e)
						break;
				}
			}
		} else {
			choices = json_incref(v);
		}
		/* a CSV label "2" is an index when the choices are texts */
		if (json_is_string(target) && strspn(json_string_value(target), "0123456789") ==
		    strlen(json_string_value(target)) && *json_string_value(target) &&
		    strlen(json_string_value(target)) < 10)
			target = json_integer(strtol(json_string_value(target), NULL, 10));
		else
			json_incref(target);
		why = mc_vars(im, input, choices, target, vars, &letter);
		json_decref(target);
		if (!why)
			fit_prompt(im, P_MC, NULL, NULL, &why);
		if (why)
			goto out;
		json_array_append_new(asserts, mc_assert(letter));
		note(im, "column '%s': choices of a multiple-choice prompt; '%s' the "
		     "right one's index, letter or text", cch, ctg);
	} else {
		char *vn = var_name(cin);
		bool fits = fit_prompt(im, P_TEXT, NULL, vn, &why);
		if (strcmp(vn, cin))
			note(im, "column '%s' is the var '%s'", cin, vn);
		free(vn);
		if (!fits)
			goto out;
		if (!(ans = answers(target, &why)))
			goto out;
		json_array_append_new(asserts, answer_assert(im, ans));
		json_decref(ans);
		note(im, "column '%s': the input; '%s': the expected answer", cin, ctg);
	}
	json_object_foreach((json_t *)rec, k, v) {
		bool is_meta = false;
		if (!strcmp(k, ctg) || (cch && !strcmp(k, cch)) || (letter && !strcmp(k, cin)))
			continue;
		for (size_t i = 0; i < im->n_meta; i++)
			is_meta |= !strcmp(im->meta_cols[i], k);
		if (cid && !strcmp(k, cid)) {
			char *s = scalar_text(v);
			if (s)
				json_object_set_new(test, "description", json_string(s));
			free(s);
			is_meta = true;
		}
		if (is_meta) {
			json_object_set(meta, k, v);
		} else {
			char *base = var_name(k), *vn = xstrdup(base);
			for (int n = 2; json_object_get(vars, vn) && n < 1000; n++) {
				free(vn);
				vn = xasprintf("%s_%d", base, n);
			}
			free(base);
			json_object_set(vars, vn, v);
			free(vn);
		}
	}
out:
	if (!why) {
		json_object_set(test, "vars", vars);
		json_object_set(test, "assert", asserts);
		if (json_object_size(meta))
			json_object_set(test, "metadata", meta);
	}
	free(input);
	json_decref(choices);
	json_decref(vars);
	json_decref(meta);
	json_decref(asserts);
	return why;
}

/* ------------------------------------------------------------ output */

static int finish_output(struct imp *im)
{
	int rc = imp_yaml_seq_end(&im->em, im->err);
	if (!rc && im->suite) {
		/* the prompt is known once the first record has mapped */
		if (!(rc = imp_yaml_str(&im->em, "prompts", im->err)) &&
		    !(rc = imp_yaml_seq_start(&im->em, im->err)) &&
		    !(rc = imp_yaml_str(&im->em, im->prompt ? im->prompt : "{{input}}", im->err)))
			rc = imp_yaml_seq_end(&im->em, im->err);
		if (!rc)
			rc = imp_yaml_map_end(&im->em, im->err);
	}
	if (!rc)
		rc = imp_yaml_close(&im->em, im->err);
	else
		yaml_emitter_delete(&im->em);
	im->em_open = false;
	return rc;
}

/* One record (a parsed line or row) into one test, written at once. */
static int on_record(struct imp *im, json_t *rec, long line)
{
	json_t *test = json_object();
	const char *why = im->fmt == F_HF ? map_hf(im, rec, test)
					  : map_openai_inspect(im, rec, test);
	int rc = 0;
	if (why) {
		skip(im, line, why);
	} else {
		im->mapped++;
		rc = imp_yaml_value(&im->em, test, im->err);
	}
	json_decref(test);
	return rc;
}

/* ------------------------------------------------------------ readers */

/* Reads one line (without its newline) into b, at most LINE_CAP bytes;
 * *too_long when it was longer (the rest is skipped).  false at EOF. */
static bool read_line(FILE *f, struct buf *b, bool *too_long)
{
	int ch;
	bool any = false;
	buf_reset(b);
	*too_long = false;
	while ((ch = getc(f)) != EOF) {
		any = true;
		if (ch == '\n')
			break;
		if (b->len < LINE_CAP)
			buf_putc(b, (char)ch);
		else
			*too_long = true;
	}
	if (b->len && b->p[b->len - 1] == '\r')
		b->p[--b->len] = 0;
	return any;
}

static enum fmt guess(const json_t *rec)
{
	if (json_object_get(rec, "ideal"))
		return F_OPENAI;
	if (json_object_get(rec, "target"))
		return F_INSPECT;
	return F_HF;
}

static int read_jsonl(struct imp *im, FILE *f)
{
	struct buf b = {0};
	bool too_long;
	int rc = 0;
	while (!rc && read_line(f, &b, &too_long)) {
		json_error_t je;
		json_t *rec;
		char why[300];
		im->line++;
		if (too_long) {
			snprintf(why, sizeof why, "the line is longer than %u bytes", LINE_CAP);
			skip(im, im->line, why);
			continue;
		}
		if (!b.len || !b.p[strspn(b.p, " \t")])
			continue;
		if (!(rec = json_loadb_limited(b.p, b.len, 0, JSON_MEM, &je, NULL))) {
			snprintf(why, sizeof why, "not JSON: %s (column %d)", je.text, je.column);
			skip(im, im->line, why);
			continue;
		}
		if (!im->from) {
			im->fmt = guess(rec);
			im->from = im->fmt == F_OPENAI ? "openai-evals" : im->fmt == F_INSPECT
				   ? "inspect" : "hf";
			if (!im->quiet)
				fprintf(stderr, "%s: read as %s (from line %ld)\n", im->file,
					im->from, im->line);
		}
		if (im->match == M_DEFAULT)
			im->match = im->fmt == F_OPENAI ? M_STARTS : im->fmt == F_INSPECT
				    ? M_ICONTAINS : M_EQUALS;
		rc = on_record(im, rec, im->line);
		json_decref(rec);
	}
	buf_free(&b);
	return rc;
}

struct csvr {
	struct imp *im;
	json_t *cells;               /* the row so far */
	long line, row_line;         /* current line; where the row began */
	bool bad;                    /* a cell with a NUL or too much text */
	bool need;                   /* the next byte starts a row */
	size_t row_bytes;
	int rc;
};

static void csv_cell(void *s, size_t n, void *ctx)
{
	struct csvr *c = ctx;
	c->row_bytes += n;
	if (json_array_size(c->cells) >= MAX_COLS || c->row_bytes > LINE_CAP ||
	    (s && memchr(s, 0, n))) {
		c->bad = true;
		return;
	}
	json_array_append_new(c->cells, json_stringn_nocheck(s ? s : "", s ? n : 0));
}

static bool utf8_ok(const char *s)
{
	json_t *j = json_string(s);   /* jansson checks UTF-8 */
	bool ok = j != NULL;
	json_decref(j);
	return ok;
}

static void csv_row_end(int ch, void *ctx)
{
	struct csvr *c = ctx;
	struct imp *im = c->im;
	json_t *rec;
	size_t i, n = json_array_size(c->cells);
	(void)ch;
	if (c->rc)
		goto reset;
	if (c->bad) {
		skip(im, c->row_line, "the row has a NUL byte, more than 4096 cells or "
		     "more than 16 MiB of text");
		goto reset;
	}
	for (i = 0; i < n; i++)
		if (!utf8_ok(json_string_value(json_array_get(c->cells, i)))) {
			skip(im, c->row_line, "the row is not valid UTF-8");
			goto reset;
		}
	if (!im->hdr) {
		json_t *seen = json_object();
		for (i = 0; i < n && !c->rc; i++) {
			const char *h = json_string_value(json_array_get(c->cells, i));
			if (json_object_get(seen, h))
				c->rc = err_at(im->err, im->file, (int)c->row_line, 1, "the "
					       "header names column '%s' twice, expected "
					       "each column once", h);
			json_object_set_new(seen, h, json_true());
		}
		json_decref(seen);
		if (!c->rc)
			im->hdr = json_incref(c->cells);
		goto reset;
	}
	if (n == 1 && !*json_string_value(json_array_get(c->cells, 0)))
		goto reset;      /* a blank line */
	if (n != json_array_size(im->hdr)) {
		char why[128];
		snprintf(why, sizeof why, "the row has %zu cells, the header %zu", n,
			 json_array_size(im->hdr));
		skip(im, c->row_line, why);
		goto reset;
	}
	rec = json_object();
	for (i = 0; i < n; i++)
		json_object_set(rec, json_string_value(json_array_get(im->hdr, i)),
				json_array_get(c->cells, i));
	c->rc = on_record(im, rec, c->row_line);
	json_decref(rec);
reset:
	json_decref(c->cells);
	c->cells = json_array();
	c->bad = false;
	c->row_bytes = 0;
	c->need = true;
}

static int no_space(unsigned char ch)
{
	(void)ch;
	return 0;
}

static int read_csv(struct imp *im, FILE *f)
{
	struct csv_parser p;
	struct csvr c = { .im = im, .cells = json_array(), .line = 1, .row_line = 1,
			  .need = true };
	char chunk[1];
	int ch;
	bool bom = true;
	if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) != 0) {
		json_decref(c.cells);
		return err_set(im->err, ST_INTERNAL, "cannot start the CSV parser");
	}
	csv_set_space_func(&p, no_space);
	while (!c.rc && (ch = getc(f)) != EOF) {
		if (bom && ch == 0xEF) {   /* a UTF-8 byte order mark */
			int b2 = getc(f), b3 = getc(f);
			if (b2 == 0xBB && b3 == 0xBF) {
				bom = false;
				continue;
			}
			if (b3 != EOF)
				ungetc(b3, f);
			ungetc(b2, f);  /* best effort; not a BOM */
		}
		bom = false;
		if (c.need && ch != '\r' && ch != '\n') {
			c.row_line = c.line;
			c.need = false;
		}
		chunk[0] = (char)ch;
		if (csv_parse(&p, chunk, 1, csv_cell, csv_row_end, &c) != 1) {
			char why[160];
			snprintf(why, sizeof why, "malformed CSV (a quote inside an unquoted "
				 "field, or text after a closing quote); the rest of the "
				 "file is not read");
			skip(im, c.line, why);
			break;
		}
		if (ch == '\n')
			c.line++;
	}
	if (!c.rc && csv_fini(&p, csv_cell, csv_row_end, &c) != 0)
		skip(im, c.row_line, "the file ends inside a quoted field");
	csv_free(&p);
	json_decref(c.cells);
	im->line = c.line;
	return c.rc;
}

/* ------------------------------------------------------------ command */

static int parse(struct imp *im, int argc, char **argv)
{
	enum { O_FROM = 256, O_SUITE, O_PROVIDER, O_MATCH, O_INPUT, O_TARGET,
	       O_CHOICES, O_ID, O_META, O_PROMPT };
	static const struct option opts[] = {
		{ "from", required_argument, NULL, O_FROM },
		{ "output", required_argument, NULL, 'o' },
		{ "suite", no_argument, NULL, O_SUITE },
		{ "provider", required_argument, NULL, O_PROVIDER },
		{ "match", required_argument, NULL, O_MATCH },
		{ "input", required_argument, NULL, O_INPUT },
		{ "target", required_argument, NULL, O_TARGET },
		{ "choices", required_argument, NULL, O_CHOICES },
		{ "id", required_argument, NULL, O_ID },
		{ "metadata", required_argument, NULL, O_META },
		{ "prompt", required_argument, NULL, O_PROMPT },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
		switch (c) {
		case O_FROM:
			if (!strcmp(optarg, "openai-evals") || !strcmp(optarg, "openai"))
				im->fmt = F_OPENAI;
			else if (!strcmp(optarg, "inspect"))
				im->fmt = F_INSPECT;
			else if (!strcmp(optarg, "hf") || !strcmp(optarg, "csv"))
				im->fmt = F_HF;
			else
				goto bad_value;
			im->from = optarg;
			break;
		case 'o': im->out = optarg; break;
		case O_SUITE: im->suite = true; break;
		case O_PROVIDER: im->provider = optarg; break;
		case O_MATCH:
			im->match = !strcmp(optarg, "equals") ? M_EQUALS
				  : !strcmp(optarg, "starts-with") ? M_STARTS
				  : !strcmp(optarg, "includes") ? M_CONTAINS
				  : !strcmp(optarg, "icontains") ? M_ICONTAINS : M_DEFAULT;
			if (im->match == M_DEFAULT)
				goto bad_value;
			break;
		case O_INPUT: im->col_input = optarg; break;
		case O_TARGET: im->col_target = optarg; break;
		case O_CHOICES: im->col_choices = optarg; break;
		case O_ID: im->col_id = optarg; break;
		case O_META:
			im->meta_cols = xrealloc(im->meta_cols, (im->n_meta + 1) * sizeof *im->meta_cols);
			im->meta_cols[im->n_meta++] = optarg;
			break;
		case O_PROMPT: im->prompt_opt = optarg; break;
		case 'q': im->quiet = true; break;
		case 'h': fputs(usage_text, stdout); return 0;
		case ':':
			fprintf(stderr, "assay import: option '%s' needs a value\n%s",
				argv[optind - 1], usage_text);
			return EXIT_USAGE;
		default:
			fprintf(stderr, "assay import: unknown option '%s'\n%s",
				argv[optind - 1], usage_text);
			return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc || !im->out) {
		fprintf(stderr, "assay import: give one FILE and -o OUT.yaml\n%s", usage_text);
		return EXIT_USAGE;
	}
	im->file = argv[optind];
	if (!im->provider)
		im->provider = "openai:chat:gpt-4o-mini";
	return -1;
bad_value:
	fprintf(stderr, "assay import: bad value '%s' for %s\n%s", optarg,
		argv[optind - 1], usage_text);
	return EXIT_USAGE;
}

/* What was mapped, what was skipped, and how (stderr; not with --quiet). */
static void report(const struct imp *im)
{
	bool to_file = strcmp(im->out, "-") != 0;
	const char *k;
	json_t *v;
	if (im->quiet)
		return;
	if (im->skipped > MAX_REPORTED)
		fprintf(stderr, "%s: … and %ld more skipped\n", im->file,
			im->skipped - MAX_REPORTED);
	fprintf(stderr, "%s (%s): %ld records mapped to tests, %ld skipped%s%s\n",
		im->file, im->from ? im->from : "empty", im->mapped, im->skipped,
		im->mapped && to_file ? "; wrote " : "", im->mapped && to_file ? im->out : "");
	json_object_foreach(im->notes, k, v)
		fprintf(stderr, "  mapped: %s\n", k);
	if (im->prompt && !im->suite && im->mapped)
		fprintf(stderr, "  the prompt these tests expect (put it in your suite's "
			"prompts):\n%s\n", im->prompt);
	if (!im->mapped)
		fprintf(stderr, "assay import: no record of %s could be mapped\n", im->file);
}

static bool ends_with(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);
	return n >= m && !strcasecmp(s + n - m, suf);
}

int import_convert_exec(int argc, char **argv)
{
	struct imp im;
	struct err err;
	FILE *in = NULL, *out = NULL;
	char *tmp = NULL;
	int rc, status = EXIT_RUN_ERROR;
	memset(&im, 0, sizeof im);
	err_clear(&err);
	im.err = &err;
	im.notes = json_object();
	if ((rc = parse(&im, argc, argv)) >= 0) {
		status = rc;
		goto out;
	}
	if (!(in = fopen(im.file, "rb"))) {
		err_set(&err, ST_IO, "cannot open %s: %s", im.file, strerror(errno));
		goto fail;
	}
	if (!strcmp(im.out, "-")) {
		out = stdout;
	} else {
		tmp = xasprintf("%s.tmp", im.out);
		if (!(out = fopen(tmp, "wb"))) {
			err_set(&err, ST_IO, "cannot write %s: %s", tmp, strerror(errno));
			goto fail;
		}
	}
	if (imp_yaml_open(&im.em, out, &err))
		goto fail;
	im.em_open = true;
	if (im.suite) {   /* description, providers, tests …; prompts last */
		if (imp_yaml_map_start(&im.em, &err) ||
		    imp_yaml_str(&im.em, "description", &err))
			goto fail;
		{
			char *desc = xasprintf("imported from %s", im.file);
			rc = imp_yaml_str(&im.em, desc, &err);
			free(desc);
			if (rc)
				goto fail;
		}
		if (imp_yaml_str(&im.em, "providers", &err) ||
		    imp_yaml_seq_start(&im.em, &err) ||
		    imp_yaml_str(&im.em, im.provider, &err) ||
		    imp_yaml_seq_end(&im.em, &err) ||
		    imp_yaml_str(&im.em, "tests", &err))
			goto fail;
	}
	if (imp_yaml_seq_start(&im.em, &err))
		goto fail;
	if (ends_with(im.file, ".csv") || ends_with(im.file, ".tsv")) {
		if (!im.from || im.fmt != F_HF) {
			if (im.from && im.fmt != F_HF && !im.quiet)
				fprintf(stderr, "%s: a CSV file is read as columns (hf/csv)\n",
					im.file);
			im.fmt = F_HF;
			im.from = "csv";
		}
		if (im.match == M_DEFAULT)
			im.match = M_EQUALS;
		rc = read_csv(&im, in);
	} else {
		rc = read_jsonl(&im, in);
	}
	if (rc || ferror(in)) {
		if (!rc)
			err_set(&err, ST_IO, "reading %s: %s", im.file, strerror(errno));
		goto fail;
	}
	if (finish_output(&im))
		goto fail;
	if (out != stdout) {
		if (fclose(out) != 0) {
			out = NULL;
			err_set(&err, ST_IO, "writing %s: %s", tmp, strerror(errno));
			goto fail;
		}
		out = NULL;
		if (im.mapped && rename(tmp, im.out) != 0) {
			err_set(&err, ST_IO, "cannot rename %s: %s", tmp, strerror(errno));
			goto fail;
		}
		if (!im.mapped)
			unlink(tmp);
	}
	report(&im);
	status = im.mapped ? 0 : EXIT_RUN_ERROR;
	goto out;
fail:
	err_print(&err, stderr);
	if (im.em_open)
		yaml_emitter_delete(&im.em);
	if (tmp)
		unlink(tmp);
	status = EXIT_RUN_ERROR;
out:
	if (in)
		fclose(in);
	if (out && out != stdout)
		fclose(out);
	free(tmp);
	free(im.prompt);
	free(im.meta_cols);
	json_decref(im.shape);
	json_decref(im.hdr);
	json_decref(im.notes);
	return status;
}
