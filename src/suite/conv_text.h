/* conv_text.h — the texts a conversation (conv.h) is made of, apart from
 * the loop that sends them (engine/engine_conv.c): the history it starts
 * from, a rendered user turn, the simulated user's instructions and the
 * history seen from its side, and the transcript's lines.  Pure functions
 * of the suite and the replies, so that fuzz/suite_conv.c reaches them
 * without a provider.
 *
 * Ownership: returned strings and arrays are owned by the caller; a
 * history (`msgs`) is a JSON array of {role, content} objects. */
#ifndef ASSAY_SUITE_CONV_TEXT_H
#define ASSAY_SUITE_CONV_TEXT_H

#include "conv.h"
#include "../util/buf.h"

/* The history a conversation starts from: the rendered prompt's messages
 * (a chat prompt whose rendering is a JSON array), else the prompt as a
 * system message (none when it is empty). */
json_t *conv_start_msgs(const struct prompt *pr, const char *rendered);

/* Appends {role, content} to msgs (NULL content: "").  Content that is
 * not valid UTF-8 (jansson refuses it) gets U+FFFD for each bad byte, so
 * that a turn is never dropped from the history. */
void conv_push_msg(json_t *msgs, const char *role, const char *content);

/* Turn `ct`'s user text rendered with the test's vars (owned), or NULL
 * with err set (ST_INPUT at the turn's location). */
char *conv_render_turn(const struct conv_turn *ct, const json_t *vars,
		       struct err *err);

/* The simulated user's instructions, persona and goal rendered with vars
 * (owned), or NULL with err set when one does not render. */
char *conv_sim_instructions(const struct conv_sim *sim, const json_t *vars,
			    struct err *err);

/* The request body the simulated user is sent: its instructions first,
 * then msgs with the roles swapped and the candidate's system messages
 * left out (compact JSON, owned). */
char *conv_sim_request(const char *sim_system, const json_t *msgs);

/* Appends "WHO TEXT" to a transcript, a newline before it unless first. */
void conv_add_line(struct buf *b, const char *who, const char *text);

#endif
