/* err.c — filling and printing error records (see err.h). */
#include "err.h"
#include "redact.h"

#include <stdarg.h>
#include <string.h>

int err_set(struct err *e, enum status code, const char *fmt, ...)
{
	va_list ap;
	if (!e)
		return (int)code;
	e->code = code;
	e->file[0] = '\0';
	e->line = e->col = 0;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	return (int)code;
}

int err_at(struct err *e, const char *file, int line, int col,
	   const char *fmt, ...)
{
	va_list ap;
	if (!e)
		return ST_INPUT;
	e->code = ST_INPUT;
	snprintf(e->file, sizeof e->file, "%s", file ? file : "");
	e->line = line;
	e->col = col;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	return ST_INPUT;
}

void err_print(const struct err *e0, FILE *f)
{
	/* messages can quote a server's reply or a config value: never
	 * print a registered secret */
	struct err copy = *e0;
	const struct err *e = &copy;
	redact_buf(copy.msg, sizeof copy.msg);
	redact_buf(copy.file, sizeof copy.file);
	if (e->file[0] && e->line > 0)
		fprintf(f, "%s:%d:%d: error: %s\n", e->file, e->line,
			e->col > 0 ? e->col : 1, e->msg);
	else if (e->file[0])
		fprintf(f, "%s: error: %s\n", e->file, e->msg);
	else
		fprintf(f, "error: %s\n", e->msg);
}

void err_clear(struct err *e)
{
	memset(e, 0, sizeof *e);
}
