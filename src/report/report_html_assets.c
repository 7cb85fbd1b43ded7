/* report_html_assets.c — src/report/assets/report.{js,css} as strings in
 * the binary.  The assembler's .incbin reads the files at build time, so
 * they stay real JavaScript and CSS files (linted, edited as such) and no
 * generator step is needed; the Makefile makes this object depend on them.
 * Paths are relative to the repository root, where make runs the compiler. */
#include "report_html_assets.h"

__asm__(".section .rodata\n"
	".global report_html_js\n"
	".type report_html_js, @object\n"
	"report_html_js:\n"
	".incbin \"src/report/assets/report.js\"\n"
	".byte 0\n"
	".global report_html_css\n"
	".type report_html_css, @object\n"
	"report_html_css:\n"
	".incbin \"src/report/assets/report.css\"\n"
	".byte 0\n"
	".previous\n");
