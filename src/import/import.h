/* import.h — `assay import --from FORMAT FILE -o OUT.yaml`: other tools'
 * eval data converted into an assay case file or suite (docs/import.md).
 *
 * Formats: OpenAI Evals samples (JSONL: `input` chat or text, `ideal`
 * string or list), Inspect samples (JSONL: `input`, `target`, `choices`,
 * `id`, `metadata`), Hugging Face-style exports and spreadsheets (JSONL or
 * CSV; columns chosen with flags).  The input is streamed: one record in
 * memory at a time, each line capped; a record that cannot be mapped is
 * reported with file:line and skipped, never fatal.
 *
 * The YAML writer (imp_yaml.c) turns a JSON value into block YAML that
 * reads back as the same value (strings that would read as numbers,
 * booleans or null are quoted). */
#ifndef ASSAY_IMPORT_H
#define ASSAY_IMPORT_H

#include <stdio.h>
#include <jansson.h>
#include <yaml.h>

#include "../util/err.h"

/* The `assay import` conversion mode (argv[0] is "import").  Returns the
 * exit status: 0 when at least one record was mapped, 1 when none was or
 * on an I/O error, 2 on a usage error. */
int import_convert_exec(int argc, char **argv);

/* True when argv asks for a conversion (--from, or -o/--output given)
 * rather than the import of an .assay bundle. */
int import_is_conversion(int argc, char **argv);

/* YAML output (imp_yaml.c).  imp_yaml_open starts a stream and document
 * on f; imp_yaml_value emits v; imp_yaml_{map,seq}_{start,end} and
 * imp_yaml_key frame values by hand; imp_yaml_close ends the document.
 * Each returns 0 or ST_IO with err set (the emitter's message). */
int imp_yaml_open(yaml_emitter_t *e, FILE *f, struct err *err);
int imp_yaml_value(yaml_emitter_t *e, const json_t *v, struct err *err);
int imp_yaml_str(yaml_emitter_t *e, const char *s, struct err *err);
int imp_yaml_map_start(yaml_emitter_t *e, struct err *err);
int imp_yaml_map_end(yaml_emitter_t *e, struct err *err);
int imp_yaml_seq_start(yaml_emitter_t *e, struct err *err);
int imp_yaml_seq_end(yaml_emitter_t *e, struct err *err);
int imp_yaml_close(yaml_emitter_t *e, struct err *err);

#endif
