/* suite_conv.c — a test's `conversation:` list (suite/conv.h): user turns,
 * as text or as {user, assert}, and the `turn: N` assertions of the test
 * moved onto their turn.  The layout is in docs/suites.md. */
#include "conv.h"
#include "suite_int.h"
#include "template.h"
#include "../util/xalloc.h"

#include <stdlib.h>
#include <string.h>

/* A conversation longer than this is a mistake in the file, not a test. */
#define CONV_MAX_TURNS 200

void conv_free(struct conv *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_turns; i++) {
		struct test_case t;
		memset(&t, 0, sizeof t);
		t.asserts = c->turns[i].asserts;
		t.n_asserts = c->turns[i].n_asserts;
		suite_test_cleanup(&t); /* frees the assertions */
		free(c->turns[i].user);
	}
	free(c->turns);
	if (c->sim) {
		free(c->sim->provider);
		json_decref(c->sim->config);
		free(c->sim->persona);
		free(c->sim->goal);
		free(c->sim->stop);
		free(c->sim);
	}
	free(c);
}

size_t conv_max_turns(const struct conv *c)
{
	if (c->sim && (size_t)c->sim->max_turns > c->n_scripted)
		return (size_t)c->sim->max_turns;
	return c->n_scripted;
}

static int parse_turn_asserts(struct ld *l, const struct ynode *v,
			      struct conv_turn *ct)
{
	if (v->kind != YN_SEQ)
		return ld_err(l, v, "found %s, expected a list of assertions",
			      yn_kind_name(v));
	ct->asserts = xcalloc(v->n ? v->n : 1, sizeof *ct->asserts);
	for (size_t j = 0; j < v->n; j++) {
		int rc = ld_parse_assert(l, v->kids[j], &ct->asserts[j]);
		ct->n_asserts = j + 1;
		if (rc)
			return rc;
		if (ct->asserts[j].turn)
			return ld_err(l, v->kids[j], "an assertion under a "
				      "turn's assert grades that turn; remove "
				      "'turn' (or move it to the test's assert)");
	}
	return 0;
}

/* The turn's template parses (its vars are checked when it is sent:
 * defaultTest's vars are not merged yet). */
static int check_syntax(struct ld *l, const struct conv_turn *ct)
{
	json_t *none = json_object();
	char *t = tmpl_render(ct->user, none, TMPL_LENIENT, &ct->loc, l->err);
	json_decref(none);
	free(t);
	return t ? 0 : ST_INPUT;
}

static int parse_turn(struct ld *l, const struct ynode *m, struct conv_turn *ct)
{
	ct->loc.file = m->file;
	ct->loc.line = m->line;
	ct->loc.col = m->col;
	if (m->kind == YN_SCALAR) {
		ct->user = xstrdup(m->str);
		return check_syntax(l, ct);
	}
	if (m->kind != YN_MAP)
		return ld_err(l, m, "found %s, expected a turn: the user's "
			      "text, or a mapping with user and assert",
			      yn_kind_name(m));
	for (size_t i = 0; i + 1 < m->n; i += 2) {
		const struct ynode *k = m->kids[i], *v = m->kids[i + 1];
		int rc;
		if (!strcmp(k->str, "user")) {
			if (v->kind != YN_SCALAR)
				return ld_err(l, v, "found %s, expected the "
					      "user's text (a string)",
					      yn_kind_name(v));
			free(ct->user);
			ct->user = xstrdup(v->str);
		} else if (!strcmp(k->str, "assert")) {
			if (ct->asserts)
				return ld_err(l, k, "'assert' given twice");
			if ((rc = parse_turn_asserts(l, v, ct)))
				return rc;
		} else {
			return ld_err(l, k, "unknown key '%s' in a turn, "
				      "expected one of: user, assert", k->str);
		}
	}
	if (!ct->user)
		return ld_err(l, m, "missing key 'user' in a turn, expected "
			      "the user's text");
	return check_syntax(l, ct);
}

static int sim_text(struct ld *l, const struct ynode *v, char **out,
		    const struct conv_sim *sim)
{
	struct conv_turn ct;
	if (v->kind != YN_SCALAR || !*v->str)
		return ld_err(l, v, "found %s, expected a non-empty text",
			      v->kind == YN_SCALAR ? "an empty text" : yn_kind_name(v));
	free(*out);
	*out = xstrdup(v->str);
	memset(&ct, 0, sizeof ct);
	ct.user = *out;
	ct.loc = sim->loc;
	return check_syntax(l, &ct);
}

static int parse_sim(struct ld *l, const struct ynode *m, struct conv *c)
{
	struct conv_sim *sim = xcalloc(1, sizeof *sim);
	c->sim = sim;
	sim->loc.file = m->file;
	sim->loc.line = m->line;
	sim->loc.col = m->col;
	sim->max_turns = CONV_SIM_MAX_TURNS;
	if (m->kind != YN_MAP)
		return ld_err(l, m, "found %s, expected a simulated user (a "
			      "mapping with provider, persona, goal)",
			      yn_kind_name(m));
	for (size_t i = 0; i + 1 < m->n; i += 2) {
		const struct ynode *k = m->kids[i], *v = m->kids[i + 1];
		int rc = 0;
		if (!strcmp(k->str, "provider")) {
			rc = ld_parse_judge(l, v, &sim->provider, &sim->config);
		} else if (!strcmp(k->str, "persona")) {
			rc = sim_text(l, v, &sim->persona, sim);
		} else if (!strcmp(k->str, "goal")) {
			rc = sim_text(l, v, &sim->goal, sim);
		} else if (!strcmp(k->str, "stop")) {
			rc = sim_text(l, v, &sim->stop, sim);
		} else if (!strcmp(k->str, "max_turns")) {
			char *end = NULL;
			long n = v->kind == YN_SCALAR ? strtol(v->str, &end, 10) : 0;
			if (!end || *end || n < 1 || n > CONV_MAX_TURNS)
				return ld_err(l, v, "found %s, expected a whole "
					      "number of turns from 1 to %d",
					      v->kind == YN_SCALAR ? v->str
					      : yn_kind_name(v), CONV_MAX_TURNS);
			sim->max_turns = (int)n;
		} else {
			return ld_err(l, k, "unknown key '%s' in simulated_user, "
				      "expected one of: provider, persona, goal, "
				      "stop, max_turns", k->str);
		}
		if (rc)
			return rc;
	}
	if (!sim->provider)
		return ld_err(l, m, "missing key 'provider' in simulated_user, "
			      "expected the id of the provider that plays the user");
	if (!sim->persona && !sim->goal)
		return ld_err(l, m, "simulated_user needs a persona or a goal "
			      "(what the simulated user is and wants)");
	if (!sim->stop)
		sim->stop = xstrdup(CONV_SIM_STOP);
	return 0;
}

static int parse_turns(struct ld *l, const struct ynode *v, struct conv *c)
{
	if (v->kind != YN_SEQ)
		return ld_err(l, v, "found %s, expected a list of user turns",
			      yn_kind_name(v));
	if (v->n > CONV_MAX_TURNS)
		return ld_err(l, v, "found %zu turns, expected at most %d",
			      v->n, CONV_MAX_TURNS);
	c->turns = xcalloc(v->n ? v->n : 1, sizeof *c->turns);
	for (size_t i = 0; i < v->n; i++) {
		int rc = parse_turn(l, v->kids[i], &c->turns[i]);
		c->n_turns = c->n_scripted = i + 1;
		if (rc)
			return rc;
	}
	return 0;
}

/* The mapping form: `turns` (scripted, optional) and `simulated_user`. */
static int parse_conv_map(struct ld *l, const struct ynode *m, struct conv *c)
{
	for (size_t i = 0; i + 1 < m->n; i += 2) {
		const struct ynode *k = m->kids[i], *v = m->kids[i + 1];
		int rc;
		if (!strcmp(k->str, "turns"))
			rc = parse_turns(l, v, c);
		else if (!strcmp(k->str, "simulated_user"))
			rc = parse_sim(l, v, c);
		else
			return ld_err(l, k, "unknown key '%s' in a conversation, "
				      "expected one of: turns, simulated_user",
				      k->str);
		if (rc)
			return rc;
	}
	if (!c->n_scripted && !c->sim)
		return ld_err(l, m, "a conversation needs turns or a "
			      "simulated_user");
	if (c->sim && (size_t)c->sim->max_turns < c->n_scripted)
		return ld_err(l, m, "simulated_user max_turns (%d) is below "
			      "the %zu scripted turns", c->sim->max_turns,
			      c->n_scripted);
	return 0;
}

int ld_conversation(struct ld *l, const struct ynode *v, struct test_case *t)
{
	struct suite *s = l->s;
	struct conv *c;
	if (t->conv)
		return ld_err(l, v, "'conversation' given twice");
	if (!(v->kind == YN_SEQ && v->n) && v->kind != YN_MAP)
		return ld_err(l, v, "found %s, expected a non-empty list of "
			      "user turns, or a mapping with turns and "
			      "simulated_user", v->kind == YN_SEQ ? "an empty list"
			      : yn_kind_name(v));
	c = xcalloc(1, sizeof *c);
	/* Owned by the suite from here, so an error below frees it too. */
	s->convs = xrealloc(s->convs, (s->n_convs + 1) * sizeof *s->convs);
	s->convs[s->n_convs++] = c;
	t->conv = c;
	return v->kind == YN_MAP ? parse_conv_map(l, v, c) : parse_turns(l, v, c);
}

/* The test's assertions with `turn: N` move onto turn N; the others stay
 * and grade the transcript. */
int ld_conv_turn_asserts(struct ld *l, struct test_case *t)
{
	struct conv *c = NULL;
	size_t keep = 0;
	for (size_t i = 0; i < l->s->n_convs; i++)
		if (l->s->convs[i] == t->conv)
			c = l->s->convs[i];
	for (size_t i = 0; i < t->n_asserts; i++) {
		struct assertion_spec *a = &t->asserts[i];
		struct conv_turn *ct;
		if (!a->turn) {
			t->asserts[keep++] = *a;
			continue;
		}
		if (!c)
			return err_at(l->err, a->loc.file, a->loc.line,
				      a->loc.col, "'turn: %d' on a test without "
				      "a conversation; add a 'conversation:' "
				      "list or remove 'turn'", a->turn);
		if ((size_t)a->turn > conv_max_turns(c))
			return err_at(l->err, a->loc.file, a->loc.line,
				      a->loc.col, "found turn: %d, expected a "
				      "turn from 1 to %zu (the conversation's "
				      "length)", a->turn, conv_max_turns(c));
		if ((size_t)a->turn > c->n_turns) {
			/* a simulated turn: an empty scripted slot holds it */
			size_t old = c->n_turns;
			c->turns = xrealloc(c->turns, (size_t)a->turn * sizeof *c->turns);
			memset(c->turns + old, 0, ((size_t)a->turn - old) * sizeof *c->turns);
			c->n_turns = (size_t)a->turn;
		}
		ct = &c->turns[a->turn - 1];
		ct->asserts = xrealloc(ct->asserts, (ct->n_asserts + 1) *
				       sizeof *ct->asserts);
		ct->asserts[ct->n_asserts++] = *a;
	}
	t->n_asserts = keep;
	return 0;
}
