/* cmd_run_pf.h — promptfoo's `eval` command-line flags on `assay eval` and
 * `assay run` (cmd_run_pf.c): the options table, their parsing, the .env
 * files, and the test / provider / prompt filters in promptfoo's order.
 * docs/promptfoo.md lists every flag and what assay does with it.
 *
 * Ownership: a `struct pf_args` borrows argv's strings and owns its lists
 * and `vars`; pf_args_free releases them. */
#ifndef ASSAY_CMD_RUN_PF_H
#define ASSAY_CMD_RUN_PF_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "suite/suite.h"
#include "util/err.h"

/* The getopt codes of the flags handled here start at PF_OPT_BASE. */
#define PF_OPT_BASE 512

enum pf_from { PF_FAILING, PF_FAILING_ONLY, PF_ERRORS_ONLY };

struct pf_args {
	bool eval;                  /* invoked as `assay eval`: promptfoo's
				     * exact meanings (see pf_filter_tests) */
	const char **prompts, **providers, **env_files, **metadata;
	size_t n_prompts, n_providers, n_env_files, n_metadata;
	const char *tests;          /* -t / -v / --tests / --vars */
	json_t *vars;               /* --var KEY=VALUE, or NULL */
	const char *results;        /* --filter-failing… PATH-or-RUN */
	enum pf_from from;
	const char *filter_providers, *filter_prompts, *range;
	long sample;                /* --filter-sample N, 0: none */
	bool has_seed;
	unsigned long seed;
	bool verbose, no_write;
	struct suite_cli cli;       /* filled by pf_cli */
};

/* getopt's long options: `base` (terminated by a NULL name) followed by
 * the flags of this module.  Returns an owned array. */
struct option *pf_options(const struct option *base);

/* The short options this module takes, to append to getopt's string. */
#define PF_SHORT "n:p:r:t:v:a:wx:"

/* Handles getopt's code `c` (a short letter in PF_SHORT other than n, or
 * a code >= PF_OPT_BASE) with its argument.  argv/optind let -p and -r
 * of `assay eval` take several values as promptfoo's do.  Returns -1 when
 * handled, 2 after printing a usage error (a refused flag included), or
 * -2 when `c` is not one of its codes. */
int pf_parse_opt(struct pf_args *p, const char *cmd, int c, const char *arg,
		 int argc, char **argv);

/* The suite replacements of -p/-r/-t/--var, or NULL when none. */
const struct suite_cli *pf_cli(struct pf_args *p);

/* True when the flags make a suite by themselves (-p and -r given). */
bool pf_is_standalone(const struct pf_args *p);

/* Loads each --env-file (or, for `assay eval` without one, ./.env when it
 * exists) into the environment without replacing variables already set,
 * as dotenv does.  Returns 0, or ST_IO/ST_INPUT with err naming
 * file:line. */
int pf_load_env(const struct pf_args *p, struct err *err);

/* --filter-providers and --filter-prompts (regexes on id or label).
 * Returns 0 or ST_USAGE (bad regex, or nothing left). */
int pf_filter_columns(struct suite *s, const struct pf_args *p,
		      struct err *err);

/* The test filters in promptfoo's order: --filter-metadata (AND across
 * flags, comma-separated alternatives, substring match), --filter-failing
 * / -failing-only / -errors-only (a results .json/.jsonl written by assay
 * or promptfoo, or a run in the store at `db`), --filter-pattern
 * (`pattern`: description only for eval; description or vars for run),
 * --filter-range, --filter-first-n (`first_n`, 0 none),
 * --filter-sample.  Prints the counts to stderr with --verbose.  Returns
 * 0 or an error status. */
int pf_filter_tests(struct suite *s, const struct pf_args *p,
		    const char *pattern, size_t first_n, const char *db,
		    struct err *err);

/* promptfoo's exit rule for `assay eval` when PROMPTFOO_PASS_RATE_THRESHOLD
 * or PROMPTFOO_FAILED_TEST_EXIT_CODE is set: the pass rate is passes over
 * every result (errors included), and below the threshold (percent,
 * default 100) the status is the exit code (default 100), else 0.
 * Returns false (status untouched) when neither variable is set. */
bool pf_env_exit(long passes, long fails, long errors, int *status);

void pf_args_free(struct pf_args *p);

#endif
