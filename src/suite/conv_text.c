/* conv_text.c — the texts of a conversation (conv_text.h), taken out of
 * the engine's loop so that they can be tested and fuzzed alone. */
#include "conv_text.h"
#include "template.h"
#include "../util/utf8.h"
#include "../util/xalloc.h"

#include <stdlib.h>
#include <string.h>

json_t *conv_start_msgs(const struct prompt *pr, const char *rendered)
{
	json_t *a = NULL;
	if (pr->is_chat)
		a = json_loads(rendered, 0, NULL);
	if (json_is_array(a))
		return a;
	json_decref(a);
	a = json_array();
	if (*rendered)
		conv_push_msg(a, "system", rendered);
	return a;
}

void conv_push_msg(json_t *msgs, const char *role, const char *content)
{
	json_t *s;
	if (!content)
		content = "";
	s = json_string(content);
	if (!s) {
		/* not UTF-8: jansson would refuse the whole message */
		char *clean = utf8_clean(content, strlen(content));
		s = json_string(clean);
		free(clean);
	}
	json_array_append_new(msgs, json_pack("{s:s,s:o}", "role", role, "content", s));
}

char *conv_render_turn(const struct conv_turn *ct, const json_t *vars,
		       struct err *err)
{
	return tmpl_render(ct->user, vars, 0, &ct->loc, err);
}

char *conv_sim_instructions(const struct conv_sim *sim, const json_t *vars,
			    struct err *err)
{
	char *persona = NULL, *goal = NULL, *out = NULL;
	if (sim->persona && !(persona = tmpl_render(sim->persona, vars, 0, &sim->loc, err)))
		goto done;
	if (sim->goal && !(goal = tmpl_render(sim->goal, vars, 0, &sim->loc, err)))
		goto done;
	/* written here, not promptfoo's */
	out = xasprintf("You are role-playing a user who is talking to an AI "
			"assistant. Stay in character and write only the user's "
			"next message, with no quotes or commentary.%s%s%s%s When "
			"your goal is met, or the conversation cannot go further, "
			"reply with exactly %s and nothing else.",
			persona ? " Who you are: " : "", persona ? persona : "",
			goal ? " Your goal: " : "", goal ? goal : "", sim->stop);
done:
	free(persona);
	free(goal);
	return out;
}

char *conv_sim_request(const char *sim_system, const json_t *msgs)
{
	json_t *a = json_array(), *m;
	size_t i;
	char *txt;
	conv_push_msg(a, "system", sim_system);
	json_array_foreach(msgs, i, m) {
		const char *role = json_string_value(json_object_get(m, "role"));
		const char *content = json_string_value(json_object_get(m, "content"));
		if (!role || !content || !strcmp(role, "system"))
			continue;
		conv_push_msg(a, !strcmp(role, "user") ? "assistant" : "user", content);
	}
	if (json_array_size(a) == 1)
		conv_push_msg(a, "user", "Write your first message to the assistant.");
	txt = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	return txt;
}

void conv_add_line(struct buf *b, const char *who, const char *text)
{
	if (b->len)
		buf_puts(b, "\n");
	buf_puts(b, who);
	buf_puts(b, text ? text : "");
}
