/* mock_rules.c — fuzzes the mock's rules file parser
 * (src/mock/mock_rules.c, mock_fault.c: models, rules, regexes, reply
 * templates, faults blocks) and answering one prompt with the rules.
 *
 * Input: the rules YAML, a NUL, the prompt text (NUL-terminated here, as
 * the server's request buffers are). */
#include "fuzz.h"
#include "mock/mock_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *rest;
	size_t rest_n;
	char *yaml = fz_head(data, size, &rest, &rest_n);
	char *prompt = malloc(rest_n + 1);
	struct err err;
	struct mock_rules *r;
	if (!prompt)
		abort();
	memcpy(prompt, rest, rest_n);
	prompt[rest_n] = '\0';
	err_clear(&err);
	r = mock_rules_parse(yaml, strlen(yaml), "rules.yaml", &err);
	if (r) {
		static const char *const names[] = { "gpt-cheap", "mock", "x" };
		size_t i;
		for (i = 0; i < 3; i++) {
			const struct mock_model *m = mock_rules_model(r, names[i]);
			struct mock_prompt p;
			struct mock_answer a;
			if (!m)
				continue;
			p.last_user = prompt;
			p.last_user_len = rest_n;
			p.all = prompt;
			p.all_len = rest_n;
			memset(&a, 0, sizeof a);
			mock_rules_answer(r, m, names[i], 1, &p, &a);
			if (!a.text)
				abort(); /* never fails */
			free(a.text);
		}
		mock_rules_free(r);
	} else if (!err.msg[0]) {
		abort();
	}
	free(yaml);
	free(prompt);
	return 0;
}
