/* term.h — whether output to a terminal gets colour.
 *
 * The convention of no-color.org and FORCE_COLOR: NO_COLOR set to any
 * non-empty value turns colour off everywhere; otherwise FORCE_COLOR set
 * to a non-empty value other than "0" turns it on even into a pipe;
 * otherwise colour is on when fd is a terminal.  Only colour: progress
 * bars and prompts still follow isatty(). */
#ifndef ASSAY_TERM_H
#define ASSAY_TERM_H

#include <stdbool.h>

bool term_color(int fd);

#endif
