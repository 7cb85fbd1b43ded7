/* store_turns.h — the turns of conversations (suite/conv.h): one row per
 * turn in the `turns` table, keyed like the result of its case plus the
 * turn number (docs/storage.md).  Part of the store's front door.
 *
 * A conversation's result row is written when the conversation ends (its
 * output is the transcript); its turns are written as they come, so the
 * turns obtained before an infrastructure error are kept. */
#ifndef ASSAY_STORE_TURNS_H
#define ASSAY_STORE_TURNS_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

struct store_turn {
	size_t case_idx, prompt_idx, provider_idx;
	int repeat;
	int turn;                /* 1-based */
	const char *user;        /* the user's message as sent */
	const char *output;      /* the candidate's reply */
	double latency_ms;
	long prompt_tokens, completion_tokens; /* -1 unknown */
	double cost_usd;         /* -1 unknown */
	int cached, retries;
	int pass;                /* 1, 0, or -1: the turn had no assertions */
	double score;            /* NAN when pass is -1 */
	const char *reason;      /* or NULL */
};

/* Stores one turn (in the open batch, if any).  Turn 1 first removes the
 * item's older turns (a retried or resumed conversation starts again).
 * Texts are redacted like every stored text.  0 or ST_DB. */
int store_turn_put(struct store *st, int64_t run_id, const struct store_turn *t,
		   struct err *err);

/* Calls cb for each turn of the run in (case, prompt, provider, repeat,
 * turn) order; case_idx >= 0 keeps that case only.  The strings are valid
 * during the call.  A non-zero cb return stops the walk and is returned. */
int store_turns_each(struct store *st, int64_t run_id, long case_idx,
		     int (*cb)(void *ud, const struct store_turn *t), void *ud,
		     struct err *err);

/* The table's DDL, run at every open and by the version-4 migration. */
extern const char *const store_turns_schema;

#endif
