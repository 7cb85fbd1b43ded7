/* sample_write.c — the sampled cases as a YAML test list or a CSV test
 * file (both load as `tests: file://…`), and the strata report. */
#include "evalset.h"

#include <string.h>

#include "../util/utf8.h"

/* Appends text from the log (a stratify-by value) or the command line to
 * the report: every character that YAML does not allow in a comment, or
 * that a terminal would obey — control characters (a newline would end
 * the comment and start YAML), C1, U+2028/9, U+FEFF/FFFE/FFFF, bytes that
 * are not UTF-8 — as \xNN or \uNNNN. */
static void put_text(struct buf *b, const char *s)
{
	size_t n = strlen(s), i = 0;
	while (i < n) {
		uint32_t cp = 0;
		size_t l = utf8_decode(s + i, n - i, &cp);
		if (!l) {
			buf_printf(b, "\\x%02X", (unsigned char)s[i]);
			i++;
			continue;
		}
		if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F))
			buf_printf(b, "\\x%02X", (unsigned)cp);
		else if (cp == 0x2028 || cp == 0x2029 || cp == 0xFEFF || cp == 0xFFFE ||
			 cp == 0xFFFF)
			buf_printf(b, "\\u%04X", (unsigned)cp);
		else
			buf_append(b, s + i, l);
		i += l;
	}
}

/* put_text, then spaces up to `width` bytes (a table column). */
static void put_cell(struct buf *b, const char *s, size_t width)
{
	size_t start = b->len;
	put_text(b, s);
	while (b->len - start < width)
		buf_putc(b, ' ');
}

static void bucket_line(const struct es_sample *s, struct buf *b)
{
	static const char *const names[4] = { "short", "typical", "long",
					      "very long" };
	bool first = true;
	for (int k = 0; k < 4; k++) {
		if (!s->bucket_used[k])
			continue;
		buf_printf(b, "%s%s %zu-%zu", first ? "" : ", ", names[k],
			   s->bucket_lo[k], s->bucket_hi[k]);
		first = false;
	}
	if (first)
		buf_puts(b, "(no records)");
}

static void report(const struct es_sample_opts *o, const struct es_sample *s,
		   struct buf *b, const char *pfx)
{
	buf_printf(b, "%sassay sample: %zu records read from ", pfx, s->records);
	put_text(b, o->path);
	if (s->malformed || s->no_input) {
		buf_printf(b, " (skipped: %zu malformed, %zu without a text '",
			   s->malformed, s->no_input);
		put_text(b, o->field);
		buf_puts(b, "')");
	}
	buf_printf(b, "\n%slength buckets (code points): ", pfx);
	bucket_line(s, b);
	buf_printf(b, "\n%s%-40s %10s %8s\n", pfx, "stratum", "records",
		   "sampled");
	for (size_t i = 0; i < s->n_strata; i++) {
		buf_puts(b, pfx);
		put_cell(b, s->strata[i].name, 40);
		buf_printf(b, " %10zu %8zu\n", s->strata[i].records,
			   s->strata[i].sampled);
	}
	buf_printf(b, "%sdropped from the sample: %zu exact duplicates, %zu "
		   "near-duplicates ", pfx, s->exact_dups, s->near_dups);
	if (o->near_dup <= 1)
		buf_printf(b, "(MinHash, %d hashes, %d-word shingles, Jaccard "
			   ">= %.2f)\n", ES_MINHASH_K, o->shingle, o->near_dup);
	else
		buf_puts(b, "(near-duplicate check off)\n");
	buf_printf(b, "%sseed %llu; %zu cases", pfx,
		   (unsigned long long)o->seed, s->n_cases);
	if (o->redact)
		buf_printf(b, "; %zu values redacted", s->redactions);
	if (s->untemplated)
		buf_printf(b, "; %zu '{{', '{#' or '{%%' written as '{ {' "
			   "(the suite would read them as a template)",
			   s->untemplated);
	buf_putc(b, '\n');
}

void es_sample_report(const struct es_sample_opts *o,
		      const struct es_sample *s, FILE *f)
{
	struct buf b = {0};
	report(o, s, &b, "");
	fputs(buf_str(&b), f);
	buf_free(&b);
}

void es_sample_write_yaml(const struct es_sample_opts *o,
			  const struct es_sample *s, struct buf *b)
{
	report(o, s, b, "# ");
	buf_puts(b, "# Fill in `expected` (or replace it) and the assertions "
		 "of each case;\n# see docs/evalset.md.\n");
	if (!s->n_cases) {
		buf_puts(b, "[]\n");
		return;
	}
	for (size_t i = 0; i < s->n_cases; i++) {
		const struct es_case *c = &s->cases[i];
		buf_printf(b, "- description: ");
		{
			char d[128];
			snprintf(d, sizeof d, "log line %ld (%s)", c->line,
				 c->bucket);
			es_yaml_quote(b, d);
		}
		buf_puts(b, "\n  vars:\n    ");
		es_yaml_quote(b, o->var);
		buf_puts(b, ": ");
		es_yaml_quote(b, c->input);
		buf_puts(b, "\n    expected: \"\"      # fill in: the right "
			 "answer\n    rubric: \"\"        # or: what a good "
			 "answer does, for {type: llm-rubric, value: "
			 "\"{{rubric}}\"}\n");
		buf_puts(b, "  assert: []          # fill in, e.g. "
			 "- {type: icontains, value: \"{{expected}}\"} or "
			 "an llm-rubric\n");
		buf_puts(b, "  metadata:\n    source: ");
		es_yaml_quote(b, o->path);
		buf_printf(b, "\n    line: %ld\n    stratum: ", c->line);
		es_yaml_quote(b, c->stratum);
		buf_puts(b, "\n    length_bucket: ");
		es_yaml_quote(b, c->bucket);
		if (c->untemplated)
			buf_puts(b, "\n    untemplated: true");
		if (c->value) {
			buf_puts(b, "\n    stratify_value: ");
			es_yaml_quote(b, c->value);
		}
		if (c->record) {
			buf_puts(b, "\n    record: ");
			es_yaml_json(b, c->record);
		}
		buf_putc(b, '\n');
	}
}

static void csv_cell(struct buf *b, const char *s)
{
	buf_putc(b, '"');
	for (; *s; s++) {
		if (*s == '"')
			buf_putc(b, '"');
		buf_putc(b, *s);
	}
	buf_putc(b, '"');
}

void es_sample_write_csv(const struct es_sample_opts *o,
			 const struct es_sample *s, struct buf *b)
{
	csv_cell(b, o->var);
	buf_puts(b, ",rubric,__expected,__metadata:source,__metadata:line,"
		 "__metadata:stratum,__metadata:length_bucket\n");
	for (size_t i = 0; i < s->n_cases; i++) {
		const struct es_case *c = &s->cases[i];
		char line[32];
		snprintf(line, sizeof line, "%ld", c->line);
		csv_cell(b, c->input);
		buf_puts(b, ",,,");
		csv_cell(b, o->path);
		buf_putc(b, ',');
		csv_cell(b, line);
		buf_putc(b, ',');
		csv_cell(b, c->stratum);
		buf_putc(b, ',');
		csv_cell(b, c->bucket);
		buf_puts(b, "\n");
	}
}
