/* code_worker_assets.c — src/score/workers/worker.{js,py} as strings in the
 * binary (the worker is started with `node -e` / `python3 -c`), assembled
 * with .incbin so the workers stay real, separately testable source files.
 * The Makefile makes this object depend on them. */
extern const char code_worker_js[], code_worker_py[];

__asm__(".section .rodata\n"
	".global code_worker_js\n"
	".type code_worker_js, @object\n"
	"code_worker_js:\n"
	".incbin \"src/score/workers/worker.js\"\n"
	".byte 0\n"
	".global code_worker_py\n"
	".type code_worker_py, @object\n"
	"code_worker_py:\n"
	".incbin \"src/score/workers/worker.py\"\n"
	".byte 0\n"
	".previous\n");
