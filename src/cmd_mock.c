/* cmd_mock.c — `assay mock` (placeholder until src/mock lands). */
#include <stdio.h>
#include "cmd.h"
static int mock_exec(int argc, char **argv)
{
	(void)argc; (void)argv;
	fprintf(stderr, "assay mock: not built yet\n");
	return EXIT_RUN_ERROR;
}
const struct cmd cmd_mock = { "mock", "serve a scripted OpenAI-compatible model on loopback", mock_exec };
