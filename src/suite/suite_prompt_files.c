/* suite_prompt_files.c — prompt files that hold several prompts, read as
 * promptfoo reads them:
 *
 * - .csv: with no comma in the file, every non-blank line is a prompt (a
 *   first line "prompt" is a header and skipped); otherwise a CSV with a
 *   header row, fields trimmed, one prompt per row that has a `prompt`
 *   value, labelled by its `label` column.  Without a label a prompt is
 *   "Prompt N - TEXT", or with the file's label "LABEL: TEXT" when the
 *   file has several rows.
 * - .jsonl: every non-blank line is one prompt (a chat, a JSON list of
 *   messages), labelled "FILE: LINE" (or "LABEL: LINE" with several lines).
 *
 * Each prompt keeps the line it came from, for errors. */
#include "suite_int.h"
#include "../util/buf.h"
#include "../util/xalloc.h"

#include <csv.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct pcsv {
	struct ld *l;
	const char *file, *label;
	char **fields;
	size_t n, cap;
	int line, row_line;     /* the byte being fed; where the row began */
	bool row_started;
	long prompt_col, label_col;  /* -1: none */
	bool header_done;
	size_t rows;            /* prompt rows, for the label rule */
	struct prow { char *raw, *label; int line; } *out;
	size_t n_out, cap_out;
	int rc;
};

static char *trimmed(const char *s, size_t n)
{
	while (n && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	return xstrndup(s, n);
}

static void on_field(void *data, size_t n, void *ctx)
{
	struct pcsv *c = ctx;
	c->fields = xgrow(c->fields, &c->cap, c->n + 1, sizeof *c->fields);
	c->fields[c->n++] = trimmed(data ? data : "", data ? n : 0);
}

static void on_row(int ch, void *ctx)
{
	struct pcsv *c = ctx;
	(void)ch;
	if (!c->header_done) {
		c->header_done = true;
		for (size_t i = 0; i < c->n; i++) {
			if (!strcmp(c->fields[i], "prompt"))
				c->prompt_col = (long)i;
			else if (!strcmp(c->fields[i], "label"))
				c->label_col = (long)i;
		}
		if (c->prompt_col < 0 && !c->rc) {
			struct ynode at = { .file = c->file, .line = 1, .col = 1 };
			c->rc = ld_err(c->l, &at, "found no 'prompt' column in "
				       "the header row, expected a CSV of "
				       "prompts with columns prompt and "
				       "(optionally) label");
		}
	} else if (c->prompt_col >= 0 && (size_t)c->prompt_col < c->n &&
		   c->fields[c->prompt_col][0]) {
		struct prow *r;
		c->out = xgrow(c->out, &c->cap_out, c->n_out + 1, sizeof *c->out);
		r = &c->out[c->n_out++];
		r->raw = xstrdup(c->fields[c->prompt_col]);
		r->label = c->label_col >= 0 && (size_t)c->label_col < c->n &&
			   c->fields[c->label_col][0]
			   ? xstrdup(c->fields[c->label_col]) : NULL;
		r->line = c->row_line;
	}
	for (size_t i = 0; i < c->n; i++)
		free(c->fields[i]);
	c->n = 0;
	c->row_started = false;
}

/* The label of row i (0-based) of `total` rows. */
static char *row_label(const char *own, const char *file_label,
		       const char *raw, size_t i, size_t total)
{
	if (own)
		return xstrdup(own);
	if (file_label)
		return total > 1 ? xasprintf("%s: %s", file_label, raw)
				 : xstrdup(file_label);
	return xasprintf("Prompt %zu - %s", i + 1, raw);
}

static int plain_lines(struct ld *l, char *text, const char *file,
		       const char *label)
{
	size_t total = 0, i = 0, first = 1;
	char *p = text;
	int line = 1;
	/* count the prompt lines first (the label rule needs the total) */
	for (int pass = 0; pass < 2; pass++) {
		p = text;
		line = 1;
		first = 1;
		i = 0;
		while (*p) {
			char *nl = strchr(p, '\n');
			size_t n = nl ? (size_t)(nl - p) : strlen(p);
			char *t = trimmed(p, n);
			if (*t) {
				bool header = first && !strcasecmp(t, "prompt");
				first = 0;
				if (!header) {
					if (pass) {
						char *lab = row_label(NULL, label,
								      t, i, total);
						ld_add_prompt(l, t, lab, file,
							      line, 1);
						free(lab);
						t = NULL;
					}
					i++;
				}
			}
			free(t);
			if (!nl)
				break;
			p = nl + 1;
			line++;
		}
		if (!pass)
			total = i;
	}
	return 0;
}

int ld_prompt_csv(struct ld *l, const struct ynode *at, char *text,
		  size_t len, const char *file, const char *label)
{
	struct csv_parser p;
	struct pcsv c = { .l = l, .file = file, .label = label, .line = 1,
			  .prompt_col = -1, .label_col = -1 };
	size_t i = 0, before = l->s->n_prompts;
	int rc = 0;

	if (!memchr(text, ',', len))
		rc = plain_lines(l, text, file, label);
	else {
		if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL))
			return err_set(l->err, ST_INTERNAL,
				       "cannot start CSV parser");
		if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3))
			i = 3;
		for (; i < len && !c.rc; i++) {
			if (!c.row_started && text[i] != '\n' && text[i] != '\r') {
				c.row_started = true;
				c.row_line = c.line;
			}
			if (csv_parse(&p, text + i, 1, on_field, on_row, &c) != 1) {
				struct ynode here = { .file = file,
						      .line = c.line, .col = 1 };
				c.rc = ld_err(l, &here, "malformed CSV: %s, "
					      "expected fields wrapped in "
					      "double quotes with inner quotes "
					      "doubled",
					      csv_strerror(csv_error(&p)));
			}
			if (text[i] == '\n')
				c.line++;
		}
		if (!c.rc && csv_fini(&p, on_field, on_row, &c)) {
			struct ynode here = { .file = file, .line = c.row_line,
					      .col = 1 };
			c.rc = ld_err(l, &here, "malformed CSV: the file ends "
				      "inside a quoted field, expected a "
				      "closing '\"'");
		}
		csv_free(&p);
		for (size_t k = 0; k < c.n_out && !c.rc; k++) {
			char *lab = row_label(c.out[k].label, label,
					      c.out[k].raw, k, c.n_out);
			ld_add_prompt(l, c.out[k].raw, lab, file,
				      c.out[k].line, 1);
			c.out[k].raw = NULL;
			free(lab);
		}
		for (size_t k = 0; k < c.n_out; k++) {
			free(c.out[k].raw);
			free(c.out[k].label);
		}
		for (size_t k = 0; k < c.n; k++)
			free(c.fields[k]);
		free(c.fields);
		free(c.out);
		rc = c.rc;
	}
	if (!rc && l->s->n_prompts == before)
		rc = ld_err(l, at, "found no prompts in '%s', expected at "
			    "least one", file);
	return rc;
}

int ld_prompt_jsonl(struct ld *l, const struct ynode *at, char *text,
		    const char *file, const char *label, const char *ref)
{
	size_t total = 0, before = l->s->n_prompts;
	for (int pass = 0; pass < 2; pass++) {
		char *p = text;
		int line = 1;
		size_t i = 0;
		while (*p) {
			char *nl = strchr(p, '\n');
			size_t n = nl ? (size_t)(nl - p) : strlen(p);
			char *t = trimmed(p, n);
			if (*t) {
				if (pass) {
					char *lab = total > 1 || !label
						? xasprintf("%s: %s", label ? label
									: ref, t)
						: xstrdup(label);
					ld_add_prompt(l, t, lab, file, line, 1);
					free(lab);
					t = NULL;
					if (!l->s->prompts[l->s->n_prompts - 1].is_chat) {
						struct ynode here = {
							.file = file,
							.line = line, .col = 1 };
						return ld_err(l, &here, "found a "
							      "line that is not "
							      "a chat, expected "
							      "a JSON list of "
							      "messages (role, "
							      "content) on each "
							      "line");
					}
				}
				i++;
			}
			free(t);
			if (!nl)
				break;
			p = nl + 1;
			line++;
		}
		total = i;
	}
	if (l->s->n_prompts == before)
		return ld_err(l, at, "found no prompts in '%s', expected at "
			      "least one", file);
	return 0;
}
