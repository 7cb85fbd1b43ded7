/* cmd_run.c — `assay run` (placeholder). */
#include <stdio.h>
#include "cmd.h"
static int run_exec(int argc, char **argv) { (void)argc; (void)argv; return EXIT_RUN_ERROR; }
const struct cmd cmd_run = { "run", "run a suite against its providers", run_exec };
const struct cmd cmd_eval = { "eval", "alias of run (promptfoo habit: eval -c SUITE)", run_exec };
const struct cmd cmd_validate = { "validate", "check a suite without running it", run_exec };
