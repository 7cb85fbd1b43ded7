/* suite_yaml.c — fuzzes the suite loader (src/suite/: libyaml events, the
 * node tree, top-level keys, prompts, providers, tests, defaultTest,
 * assertions, the statistics blocks) on a whole suite file.
 *
 * Input: the YAML text, written to suite.yaml in a private directory (the
 * loader reads from a path).  Every outcome must be a suite or an error
 * with a message; a suite must survive a filter and be freed cleanly. */
#include "fuzz.h"
#include "suite/suite.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fz_write("suite.yaml", data, size);
	struct suite *s = NULL;
	struct err err;
	err_clear(&err);
	if (suite_load(path, &s, &err) == 0) {
		size_t i;
		for (i = 0; i < s->n_prompts && i < s->n_tests; i++) {
			struct err e2;
			char *out;
			err_clear(&e2);
			out = suite_render_prompt(&s->prompts[i], s->tests[i].vars, &e2);
			free(out);
		}
		err_clear(&err);
		(void)suite_filter(s, "a", 2, &err);
		suite_free(s);
	} else if (!err.msg[0] || s) {
		abort(); /* a failure must say why and leave *out NULL */
	}
	return 0;
}
