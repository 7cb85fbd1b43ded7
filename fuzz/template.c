/* template.c — fuzzes the `{{var}}` template engine (src/suite/template.c).
 *
 * Input: template text, a NUL, then the vars as JSON (an object; anything
 * else means no vars).  Renders strictly, leniently and JSON-escaped; every
 * outcome must be a string or an error with a message, never a crash. */
#include "fuzz.h"
#include "suite/suite.h"
#include "suite/template.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *rest;
	size_t rest_n;
	char *tmpl = fz_head(data, size, &rest, &rest_n);
	json_t *vars = json_loadb((const char *)rest, rest_n, JSON_DECODE_ANY, NULL);
	static const int modes[] = { 0, TMPL_LENIENT, TMPL_JSON_ESCAPE,
				     TMPL_JSON_ESCAPE | TMPL_LENIENT };
	struct loc loc = { "fuzz.yaml", 3, 5 };
	size_t i;
	if (vars && !json_is_object(vars)) {
		json_decref(vars);
		vars = NULL;
	}
	if (!vars)
		vars = json_object();
	for (i = 0; i < sizeof modes / sizeof modes[0]; i++) {
		struct err err;
		char missing[64];
		char *out;
		err_clear(&err);
		out = tmpl_render_ex(tmpl, vars, modes[i], i & 1 ? &loc : NULL, &err,
				     missing, sizeof missing);
		if (!out && !err.msg[0])
			abort(); /* a failure must say why */
		free(out);
	}
	(void)tmpl_has_tags(tmpl);
	(void)tmpl_refers_to(tmpl, "_conversation");
	json_decref(vars);
	free(tmpl);
	return 0;
}
