/* cmd.h — one subcommand: a table entry each cmd_*.c file exports. */
#ifndef ASSAY_CMD_H
#define ASSAY_CMD_H

/* Exit statuses shared by every command. */
enum {
	EXIT_ALL_PASSED = 0,
	EXIT_RUN_ERROR = 1,     /* run or configuration error */
	EXIT_USAGE = 2,
	EXIT_REGRESSION = 3,    /* a candidate significantly worse than the
				 * baseline, or below --min-pass-rate
				 * (run --fail-on regression, compare) */
	EXIT_TESTS_FAILED = 100
};

struct cmd {
	const char *name;
	const char *summary;    /* one line for `assay --help` */
	int (*exec)(int argc, char **argv); /* argv[0] is the command name */
};

extern const struct cmd cmd_run, cmd_eval, cmd_validate, cmd_show, cmd_mock;
extern const struct cmd cmd_stats;
extern const struct cmd cmd_runs, cmd_delete, cmd_export, cmd_import;
extern const struct cmd cmd_compare;
extern const struct cmd cmd_init;
extern const struct cmd cmd_report;
extern const struct cmd cmd_view;
extern const struct cmd cmd_sample;
extern const struct cmd cmd_probe;
extern const struct cmd cmd_load;
extern const struct cmd cmd_review;

#endif
