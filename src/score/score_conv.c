/* score_conv.c — the per-turn assertions of conversations, checked at
 * load (suite/conv.h).  A turn is graded on the loop between two
 * requests, so its assertions may not need a judge, a transform or a
 * sandboxed child; the transcript (the test's own assertions) may. */
#include "score.h"
#include "judge.h"
#include "../suite/conv.h"

#include <string.h>

static bool sandboxed(const char *type)
{
	static const char *const slow[] = { "lua", "jq", "script", "exec" };
	if (!strncmp(type, "not-", 4))
		type += 4;
	for (size_t i = 0; i < sizeof slow / sizeof *slow; i++)
		if (!strcmp(type, slow[i]))
			return true;
	return false;
}

int score_check_turns(const struct test_case *tc, struct err *err)
{
	if (!tc->conv)
		return 0;
	for (size_t k = 0; k < tc->conv->n_turns; k++) {
		const struct conv_turn *ct = &tc->conv->turns[k];
		for (size_t j = 0; j < ct->n_asserts; j++) {
			const struct assertion_spec *a = &ct->asserts[j];
			struct test_case one = *tc;
			int rc = score_check(a, tc->vars, err);
			if (rc)
				return rc;
			one.asserts = (struct assertion_spec *)a;
			one.n_asserts = 1;
			one.transform = NULL;
			if (a->transform || sandboxed(a->type) ||
			    score_needs_judge(&one) || score_is_comparison(a))
				return err_at(err, a->loc.file, a->loc.line,
					      a->loc.col, "assertion type '%s'%s "
					      "cannot grade a single turn (turns "
					      "are graded between requests); put "
					      "it in the test's assert to grade "
					      "the transcript", a->type,
					      a->transform ? " with a transform" : "");
		}
	}
	return 0;
}
