/* term.c — the colour decision (term.h). */
#include "term.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool term_color(int fd)
{
	const char *no = getenv("NO_COLOR"), *force = getenv("FORCE_COLOR");
	if (no && *no)
		return false;
	if (force && *force)
		return strcmp(force, "0") != 0;
	return isatty(fd) == 1;
}
