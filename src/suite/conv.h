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

/* A simulated user: a provider that plays the user from a persona and
 * a goal after the scripted turns, until it says `stop` or the
 * conversation has `max_turns` user turns. */
struct conv_sim {
	char *provider;          /* provider id */
	json_t *config;          /* its config, or NULL */
	char *persona, *goal;    /* templates; {{vars}} of the test */
	char *stop;              /* the stop marker */
	int max_turns;           /* user turns in all, scripted included */
	struct loc loc;
};

struct conv {
	/* turns[0, n_scripted) are the scripted turns; a simulated user's
	 * turns that have `turn: N` assertions get entries after them
	 * (user NULL) up to n_turns. */
	struct conv_turn *turns;
	size_t n_turns, n_scripted;
	struct conv_sim *sim;    /* or NULL */
};

/* The stop marker of a simulated user unless `stop:` says otherwise, and
 * its default turn limit. */
#define CONV_SIM_STOP "[DONE]"
#define CONV_SIM_MAX_TURNS 6

/* The most user turns a conversation can have. */
size_t conv_max_turns(const struct conv *c);

/* The prefix of the transcript's speaker lines ("User: ", "Assistant: "),
 * the text transcript assertions see (docs/suites.md). */
#define CONV_USER "User: "
#define CONV_ASSISTANT "Assistant: "

/* Frees one conversation; conv_free(NULL) does nothing. */
void conv_free(struct conv *c);

#endif
