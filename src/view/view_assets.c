/* view_assets.c — src/view/assets/{index.html,app.js,app.css} compiled
 * into the binary with the assembler's .incbin (as report_html_assets.c
 * does), each NUL-terminated; the Makefile makes this object depend on
 * them.  The report's style sheet (report_html_css) is served too. */
#include "view_int.h"

__asm__(".section .rodata\n"
	".global view_index_html\n"
	".type view_index_html, @object\n"
	"view_index_html:\n"
	".incbin \"src/view/assets/index.html\"\n"
	".byte 0\n"
	".global view_app_js\n"
	".type view_app_js, @object\n"
	"view_app_js:\n"
	".incbin \"src/view/assets/app.js\"\n"
	".byte 0\n"
	".global view_app_css\n"
	".type view_app_css, @object\n"
	"view_app_css:\n"
	".incbin \"src/view/assets/app.css\"\n"
	".byte 0\n"
	".previous\n");
