/* limits.h — the byte and work budgets every input is held to.
 *
 * One process-wide set of limits, read once from the environment variable
 * ASSAY_LIMITS ("name=value,name=value"; sizes take K, M or G suffixes,
 * powers of 1024).  Every limit has a default that no reasonable suite
 * reaches; an input that exceeds one fails with an error naming the file,
 * line and column, the limit's name and how to raise it.  The names, their
 * defaults and what they bound are in docs/security.md. */
#ifndef ASSAY_LIMITS_H
#define ASSAY_LIMITS_H

#include <stdbool.h>
#include <stddef.h>
#include "err.h"

struct limits {
	size_t file_bytes;        /* file_bytes: one file read by the loader */
	size_t yaml_bytes;        /* yaml_bytes: bytes of scalars a YAML
				   * document may expand to through aliases,
				   * beyond 3x its own size */
	long yaml_nodes;          /* yaml_nodes: nodes the same, beyond 3 per
				   * node written */
	size_t tree_bytes;        /* tree_bytes: memory the node tree of one
				   * YAML or JSON file may take */
	size_t tests_bytes;       /* tests_bytes: memory the loaded tests may
				   * take (vars, assertions, metadata) */
	size_t template_work;     /* template_work: steps one template render
				   * may take (bytes produced + 64 per tag and loop iteration,
				   * nested vars included) */
	size_t template_bytes;    /* template_bytes: text one render makes */
	size_t reply_json_bytes;  /* reply_json_bytes: memory parsing one
				   * provider reply's JSON may allocate */
	long stream_tests;        /* stream_tests: a CSV or JSONL test file
				   * that gives at least this many tests is
				   * streamed, not kept in memory
				   * (docs/ARCHITECTURE.md); 0 never */
	bool var_files_anywhere;  /* var_files=anywhere: file:// vars may be
				   * read outside the suite's directory */
};

/* The limits in force: defaults, overridden by ASSAY_LIMITS when it was
 * valid (see limits_load).  Never NULL. */
const struct limits *limits_get(void);

/* Reads ASSAY_LIMITS into the limits in force (once; later calls return
 * the first result).  Returns 0, or ST_USAGE with err naming the bad item
 * and the known names; the defaults then stay in force. */
int limits_load(struct err *err);

/* Parses a spec ("yaml_bytes=1M,template_work=1000") over the defaults
 * into *out.  Returns 0 or ST_USAGE with err set. */
int limits_parse(const char *spec, struct limits *out, struct err *err);

/* Replaces the limits in force (tests); NULL restores the defaults. */
void limits_set(const struct limits *l);

/* The defaults. */
void limits_default(struct limits *out);

#endif
