/* main.c — argv → subcommand table → exit code.  Nothing is initialised
 * here so that `assay --version` starts instantly. */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "version.h"

static const struct cmd *const commands[] = {
	&cmd_run, &cmd_eval, &cmd_validate, &cmd_show, &cmd_mock,
	&cmd_stats, &cmd_init, &cmd_report, &cmd_view,
	&cmd_runs, &cmd_export, &cmd_import, &cmd_delete,
	&cmd_compare,
	&cmd_sample,
	&cmd_probe,
	&cmd_load,
	&cmd_review,
};

static void usage(FILE *f)
{
	fprintf(f, "usage: assay <command> [options]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
		fprintf(f, "  %-10s %s\n", commands[i]->name,
			commands[i]->summary);
	fprintf(f, "\n`assay <command> --help` describes each command.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("assay %s\n", ASSAY_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
		if (!strcmp(argv[1], commands[i]->name))
			return commands[i]->exec(argc - 1, argv + 1);
	fprintf(stderr, "assay: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
