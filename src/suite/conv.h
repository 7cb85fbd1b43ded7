/* conv.h — a test that is a conversation (docs/suites.md, "Conversations"):
 * user turns sent one after the other, each with the history so far (the
 * candidate's own replies included), assertions per turn and on the whole
 * transcript.
 *
 * Ownership: every `struct conv` belongs to its suite (suite->convs) and
 * is freed by suite_free; a test_case only borrows it, so copies of a test
 * (variant groups) share it safely. */
#ifndef ASSAY_SUITE_CONV_H
#define ASSAY_SUITE_CONV_H

#include "suite.h"

/* One user turn: its template text and the assertions on its reply. */
struct conv_turn {
	char *user;                     /* template; {{vars}} of the test */
	struct assertion_spec *asserts; /* graded on this turn's reply */
	size_t n_asserts;
	struct loc loc;
};

struct conv {
	struct conv_turn *turns;
	size_t n_turns;
};

/* The prefix of the transcript's speaker lines ("User: ", "Assistant: "),
 * the text transcript assertions see (docs/suites.md). */
#define CONV_USER "User: "
#define CONV_ASSISTANT "Assistant: "

/* Frees one conversation; conv_free(NULL) does nothing. */
void conv_free(struct conv *c);

#endif
