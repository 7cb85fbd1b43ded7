/* score_judge.c — model-graded assertions (judge.h): which judge calls a
 * test needs, whether a judge's reply is usable, and how the replies
 * become assertion outcomes.
 *
 * Every judged type asks its judge for one JSON object (our own prompts,
 * score_judge_prompts.c, asking for the information promptfoo's prompts
 * ask for); the same parser (score_judge_parse) decides in
 * score_judge_validate whether a reply is usable and reads it in
 * score_grade_judged, so a reply that validated always grades.  The types
 * that promptfoo grades with two judge rounds (g-eval's steps, the
 * statements of context-faithfulness) ask for both parts in one reply.
 *
 * A call's `tag` (score_int.h, JTAG) carries the type and a small argument
 * (the number of numbered sentences, an embedding's index), so a reply can
 * be validated from the call alone. */
#include "score_int.h"
#include "judge.h"
#include "judge_more.h"
#include "score_judge_prompts.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../suite/template.h"
#include "../util/buf.h"
#include "../util/xalloc.h"

/* ---- the registry ------------------------------------------------------- */

static const struct {
	const char *name;
	enum judge_type type;
} jnames[] = {
	{ "llm-rubric", JT_RUBRIC },
	{ "model-graded-closedqa", JT_CLOSEDQA },
	{ "factuality", JT_FACTUALITY },
	{ "model-graded-factuality", JT_FACTUALITY },
	{ "g-eval", JT_GEVAL },
	{ "answer-relevance", JT_ANSWER_REL },
	{ "similar", JT_SIMILAR },
	{ "context-faithfulness", JT_CTX_FAITH },
	{ "context-recall", JT_CTX_RECALL },
	{ "context-relevance", JT_CTX_REL },
	{ "select-best", JT_SELECT_BEST },
	{ "compare", JT_COMPARE },
};

enum judge_type score_judge_type(const char *type, bool *inverse)
{
	bool inv = false;
	if (!type)
		return JT_NONE;
	if (!strncmp(type, "not-", 4)) {
		inv = true;
		type += 4;
	}
	for (size_t i = 0; i < sizeof jnames / sizeof jnames[0]; i++)
		if (!strcmp(jnames[i].name, type)) {
			if (inverse)
				*inverse = inv;
			return jnames[i].type;
		}
	return JT_NONE;
}

bool score_is_comparison(const struct assertion_spec *a)
{
	enum judge_type t = score_judge_type(a->type, NULL);
	return t == JT_SELECT_BEST || t == JT_COMPARE;
}

bool score_needs_judge(const struct test_case *tc)
{
	for (size_t i = 0; i < tc->n_asserts; i++) {
		const struct assertion_spec *a = &tc->asserts[i];
		if (score_judge_type(a->type, NULL) != JT_NONE &&
		    !score_is_comparison(a))
			return true;
	}
	return false;
}

const char *score_judge_provider(const struct test_case *tc,
				 const struct assertion_spec *a)
{
	return a->provider ? a->provider : tc ? tc->grader : NULL;
}

/* The context var of a context-* assertion: `value` names it for
 * faithfulness and relevance, `value.context` for recall; else
 * "context". */
static const char *context_var(enum judge_type t, const json_t *value)
{
	if (t == JT_CTX_RECALL) {
		const json_t *c = json_object_get(value, "context");
		return json_is_string(c) ? json_string_value(c) : "context";
	}
	if (json_is_string(value) && *json_string_value(value))
		return json_string_value(value);
	return "context";
}

/* The reference of a context-recall assertion: the value, or
 * value.reference. */
static const char *recall_reference(const json_t *value)
{
	if (json_is_object(value))
		value = json_object_get(value, "reference");
	return json_is_string(value) ? json_string_value(value) : NULL;
}

static int check_judged(const struct assertion_spec *a, const json_t *value,
			const json_t *vars, struct err *err)
{
	enum judge_type t = score_judge_type(a->type, NULL);
	const char *cv;

	if (a->rubric_prompt && !*a->rubric_prompt)
		return score_err(a, err, "'%s': rubricPrompt is empty",
				 a->type);
	if (a->has_threshold && (a->threshold < 0 || a->threshold > 1))
		return score_err(a, err, "'%s': threshold must be between 0 "
				 "and 1, got %g", a->type, a->threshold);
	switch (t) {
	case JT_ANSWER_REL:
	case JT_CTX_FAITH:
	case JT_CTX_REL:
		if (!json_is_string(json_object_get(vars, "query")))
			return score_err(a, err, "'%s' needs the test var "
					 "'query' (the user's question) as a "
					 "string", a->type);
		break;
	case JT_SIMILAR:
		if (json_is_array(value)) {
			size_t i;
			json_t *it;
			if (!json_array_size(value))
				return score_err(a, err, "'similar' needs at "
						 "least one value");
			json_array_foreach(value, i, it)
				if (!json_is_string(it))
					return score_err(a, err, "'similar' "
						"values must be strings (item "
						"%zu is not)", i + 1);
		}
		break;
	case JT_GEVAL:
		if (json_is_array(value)) {
			size_t i;
			json_t *it;
			if (!json_array_size(value))
				return score_err(a, err, "'g-eval' needs at "
						 "least one criterion");
			json_array_foreach(value, i, it)
				if (!json_is_string(it))
					return score_err(a, err, "'g-eval' "
						"criteria must be strings (item "
						"%zu is not)", i + 1);
		}
		break;
	case JT_CTX_RECALL:
		if (!recall_reference(value))
			return score_err(a, err, "'context-recall' value must "
					 "be the reference text, or a mapping "
					 "{reference: TEXT, context: VAR}");
		break;
	default:
		break;
	}
	if (t == JT_CTX_FAITH || t == JT_CTX_REL || t == JT_CTX_RECALL) {
		cv = context_var(t, value);
		if (!json_object_get(vars, cv))
			return score_err(a, err, "'%s' needs the test var '%s' "
					 "(the context); name another var with "
					 "%s", a->type, cv, t == JT_CTX_RECALL ?
					 "value: {reference: …, context: VAR}" :
					 "value: VAR");
	}
	return 0;
}

/* score_grade (no judge) on a model-graded assertion: a grading error. */
static int eval_needs_judge(const struct score_in *in,
			    struct assert_outcome *out, struct err *err)
{
	(void)out;
	return err_set(err, ST_INTERNAL, "'%s' is model-graded and needs a "
		       "judge's reply (it cannot be graded without one)",
		       in->spec->type);
}

const struct score_type score_judge_types[] = {
	{ "llm-rubric", SV_STRING | SV_OBJECT | SV_OPTIONAL,
	  "the rubric (a string)", check_judged, eval_needs_judge },
	{ "model-graded-closedqa", SV_STRING, "the criterion (a string)",
	  check_judged, eval_needs_judge },
	{ "factuality", SV_STRING, "the reference answer (a string)",
	  check_judged, eval_needs_judge },
	{ "model-graded-factuality", SV_STRING,
	  "the reference answer (a string)", check_judged, eval_needs_judge },
	{ "g-eval", SV_STRING | SV_LIST, "the criteria (a string or a list)",
	  check_judged, eval_needs_judge },
	{ "answer-relevance", SV_NONE, "no value", check_judged,
	  eval_needs_judge },
	{ "similar", SV_STRING | SV_LIST,
	  "the expected text (a string or a list of strings)", check_judged,
	  eval_needs_judge },
	{ "context-faithfulness", SV_STRING | SV_OPTIONAL,
	  "the name of the context var (optional)", check_judged,
	  eval_needs_judge },
	{ "context-recall", SV_STRING | SV_OBJECT,
	  "the reference (a string, or {reference, context})", check_judged,
	  eval_needs_judge },
	{ "context-relevance", SV_STRING | SV_OPTIONAL,
	  "the name of the context var (optional)", check_judged,
	  eval_needs_judge },
	{ "select-best", SV_STRING, "the criteria (a string)", check_judged,
	  eval_needs_judge },
	{ "compare", SV_STRING | SV_OPTIONAL, "the criteria (a string)",
	  check_judged, eval_needs_judge },
	{ NULL, 0, NULL, NULL, NULL }
};

/* ---- replies ------------------------------------------------------------- */

json_t *score_judge_extract(const char *text)
{
	const char *p = text;
	int tries = 0;
	if (!text)
		return NULL;
	/* Each '{' in turn: a fenced block, prose before the object and
	 * text after it are skipped; the first that parses wins. */
	while ((p = strchr(p, '{')) != NULL && tries++ < 64) {
		json_error_t je;
		json_t *o = json_loads(p, JSON_DISABLE_EOF_CHECK, &je);
		if (json_is_object(o))
			return o;
		json_decref(o);
		p++;
	}
	return NULL;
}

/* A boolean as judges write it: true/false, "yes"/"no", "pass"/"fail". */
static int get_bool(const json_t *v)
{
	const char *s;
	if (json_is_boolean(v))
		return json_is_true(v);
	if (!json_is_string(v))
		return -1;
	s = json_string_value(v);
	if (!strcasecmp(s, "true") || !strcasecmp(s, "yes") ||
	    !strcasecmp(s, "y") || !strcasecmp(s, "pass"))
		return 1;
	if (!strcasecmp(s, "false") || !strcasecmp(s, "no") ||
	    !strcasecmp(s, "n") || !strcasecmp(s, "fail"))
		return 0;
	return -1;
}

/* A number, or a string holding one; NaN when neither. */
static double get_num(const json_t *v)
{
	if (json_is_number(v))
		return json_number_value(v);
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		char *end;
		double d = strtod(s, &end);
		while (isspace((unsigned char)*end))
			end++;
		if (end != s && !*end)
			return d;
	}
	return NAN;
}

static int why_set(char *why, size_t n, const char *msg)
{
	snprintf(why, n, "%s", msg);
	return -1;
}

/* Reads an array of numbers in [1, max] into a seen-set; counts the
 * distinct ones. */
static int count_numbers(const json_t *arr, size_t max, size_t *count,
			 char *why, size_t whyn)
{
	unsigned char *seen;
	size_t i, n = 0;
	json_t *it;
	if (!json_is_array(arr))
		return why_set(why, whyn, "a list of sentence numbers");
	seen = xcalloc(max + 1, 1);
	json_array_foreach(arr, i, it) {
		double d = get_num(it);
		if (isnan(d) || d != floor(d) || d < 1 || d > (double)max) {
			free(seen);
			snprintf(why, whyn, "sentence numbers from 1 to %zu",
				 max);
			return -1;
		}
		if (!seen[(size_t)d]++)
			n++;
	}
	free(seen);
	*count = n;
	return 0;
}

int score_judge_parse(int tag, const json_t *o, struct jverdict *v,
		      char *why, size_t whyn)
{
	unsigned arg = JTAG_ARG(tag);
	const json_t *r = json_object_get(o, "reason");

	memset(v, 0, sizeof *v);
	v->pass = -1;
	v->score = NAN;
	v->reason = json_is_string(r) ? json_string_value(r) : NULL;
	switch ((enum judge_type)JTAG_TYPE(tag)) {
	case JT_RUBRIC: {
		double s = get_num(json_object_get(o, "score"));
		v->pass = get_bool(json_object_get(o, "pass"));
		if (json_object_get(o, "score") && isnan(s))
			return why_set(why, whyn, "\"score\" as a number");
		if (!isnan(s) && (s < 0 || s > 5))
			return why_set(why, whyn, "\"score\" from 0 to 1");
		if (isnan(s) && v->pass < 0)
			return why_set(why, whyn, "\"pass\" (true or false) "
				       "and \"score\"");
		/* 0–1 as asked; a judge that answers on a 1–5 scale is
		 * mapped to 0–1 as (s-1)/4 */
		v->score = isnan(s) ? (v->pass ? 1.0 : 0.0)
				    : s <= 1 ? s : (s - 1) / 4;
		return 0;
	}
	case JT_CLOSEDQA: {
		const json_t *a = json_object_get(o, "answer");
		int b = get_bool(a);
		if (b < 0)
			return why_set(why, whyn, "\"answer\": \"Y\" or \"N\"");
		v->choice = b;
		return 0;
	}
	case JT_FACTUALITY: {
		const json_t *c = json_object_get(o, "category");
		const char *s = json_is_string(c) ? json_string_value(c) : "";
		while (*s == ' ' || *s == '(')
			s++;
		if (!(toupper((unsigned char)s[0]) >= 'A' &&
		      toupper((unsigned char)s[0]) <= 'E') ||
		    isalpha((unsigned char)s[1]))
			return why_set(why, whyn, "\"category\": one of \"A\", "
				       "\"B\", \"C\", \"D\", \"E\"");
		v->choice = toupper((unsigned char)s[0]) - 'A';
		return 0;
	}
	case JT_GEVAL: {
		double s = get_num(json_object_get(o, "score"));
		if (isnan(s) || s < 0 || s > 10)
			return why_set(why, whyn, "\"score\" from 0 to 10");
		v->score = s / 10.0;
		return 0;
	}
	case JT_ANSWER_REL: {
		const json_t *q = json_object_get(o, "questions");
		size_t i;
		json_t *it;
		if (!json_is_array(q) || json_array_size(q) == 0)
			return why_set(why, whyn, "\"questions\": a list of "
				       "question strings");
		json_array_foreach(q, i, it)
			if (!json_is_string(it) || !*json_string_value(it))
				return why_set(why, whyn, "\"questions\": a list "
					       "of question strings");
		v->den = json_array_size(q) < 3 ? json_array_size(q) : 3;
		return 0;
	}
	case JT_CTX_FAITH: {
		const json_t *c = json_object_get(o, "claims");
		size_t i;
		json_t *it;
		if (!json_is_array(c))
			return why_set(why, whyn, "\"claims\": a list of "
				       "{\"claim\", \"supported\"}");
		json_array_foreach(c, i, it) {
			int b = get_bool(json_object_get(it, "supported"));
			if (b < 0)
				return why_set(why, whyn, "\"supported\" (true "
					       "or false) on every claim");
			v->num += (size_t)b;
			v->den++;
		}
		v->score = v->den ? (double)v->num / (double)v->den : 1.0;
		return 0;
	}
	case JT_CTX_RECALL: {
		const json_t *vs = json_object_get(o, "verdicts");
		unsigned char *seen;
		size_t i;
		json_t *it;
		if (!json_is_array(vs))
			return why_set(why, whyn, "\"verdicts\": a list of "
				       "{\"sentence\", \"attributed\"}");
		seen = xcalloc(arg + 1, 1);
		json_array_foreach(vs, i, it) {
			double d = get_num(json_object_get(it, "sentence"));
			int b = get_bool(json_object_get(it, "attributed"));
			if (isnan(d) || d != floor(d) || d < 1 ||
			    d > (double)arg || b < 0) {
				free(seen);
				snprintf(why, whyn, "a verdict {\"sentence\": 1 "
					 "to %u, \"attributed\": true or false} "
					 "per sentence", arg);
				return -1;
			}
			if (!seen[(size_t)d]) {
				seen[(size_t)d] = 1;
				v->num += (size_t)b;
				v->den++;
			}
		}
		free(seen);
		if (v->den != arg) {
			snprintf(why, whyn, "a verdict for each of the %u "
				 "sentences (got %zu)", arg, v->den);
			return -1;
		}
		v->score = arg ? (double)v->num / arg : 0;
		return 0;
	}
	case JT_CTX_REL:
		if (count_numbers(json_object_get(o, "relevant"), arg, &v->num,
				  why, whyn))
			return -1;
		v->den = arg;
		v->score = arg ? (double)v->num / arg : 0;
		return 0;
	case JT_SELECT_BEST: {
		double d = get_num(json_object_get(o, "best"));
		if (isnan(d) || d != floor(d) || d < 0 || d >= (double)arg) {
			snprintf(why, whyn, "\"best\": the index of the best "
				 "output, 0 to %u", arg ? arg - 1 : 0);
			return -1;
		}
		v->choice = (int)d;
		return 0;
	}
	case JT_COMPARE: {
		const json_t *w = json_object_get(o, "winner");
		const char *s = json_is_string(w) ? json_string_value(w) : "";
		if (!strcasecmp(s, "A"))
			v->choice = 0;
		else if (!strcasecmp(s, "B"))
			v->choice = 1;
		else if (!strcasecmp(s, "tie"))
			v->choice = 2;
		else
			return why_set(why, whyn, "\"winner\": \"A\", \"B\" or "
				       "\"tie\"");
		return 0;
	}
	default:
		return why_set(why, whyn, "a reply this call does not expect");
	}
}

bool score_judge_validate(const struct judge_call *call, const char *reply,
			  char **repair)
{
	char why[160] = "a JSON object";
	json_t *o, *msgs;
	struct jverdict v;
	struct buf b = {0};
	int rc = -1;

	*repair = NULL;
	if (call->kind != JUDGE_CHAT)
		return true;
	o = score_judge_extract(reply);
	if (o)
		rc = score_judge_parse(call->tag, o, &v, why, sizeof why);
	json_decref(o);
	if (rc == 0)
		return true;
	msgs = json_loads(call->messages ? call->messages : "[]", 0, NULL);
	if (!json_is_array(msgs)) {
		json_decref(msgs);
		msgs = json_array();
	}
	json_array_append_new(msgs, json_pack("{s:s, s:s}", "role",
					      "assistant", "content",
					      reply ? reply : ""));
	buf_printf(&b, "Your reply could not be used: it needs %s. Reply "
		   "again with only the JSON object, in exactly this form: %s",
		   why, score_judge_format(call->tag));
	json_array_append_new(msgs, json_pack("{s:s, s:s}", "role", "user",
					      "content", buf_str(&b)));
	buf_free(&b);
	*repair = json_dumps(msgs, JSON_COMPACT);
	json_decref(msgs);
	return false;
}

/* ---- messages ------------------------------------------------------------ */

void score_judge_section(struct buf *b, const char *name, const char *text)
{
	buf_printf(b, "<%s>\n%s\n</%s>\n\n", name, text ? text : "", name);
}

/* A rubricPrompt receives untrusted text (the output, and the rubric
 * rendered from vars): each value is inserted once and never parsed as a
 * template again, so an output saying "{{ reference }}" cannot show the
 * judge a var it was not meant to see. */
static char *render_lenient(const char *s, const json_t *tvars,
			    struct err *err)
{
	return tmpl_render(s, tvars, TMPL_LENIENT | TMPL_NO_NEST, NULL, err);
}

char *score_judge_messages(const struct assertion_spec *a, const char *system,
			   const char *user, const json_t *tvars,
			   struct err *err)
{
	json_t *msgs;
	char *out;
	if (a->rubric_prompt) {
		json_t *rp = json_loads(a->rubric_prompt, 0, NULL);
		if (json_is_array(rp) && json_array_size(rp)) {
			size_t i;
			json_t *m;
			/* each message's content rendered on its own: the
			 * output inserted is never re-read as JSON */
			json_array_foreach(rp, i, m) {
				const json_t *c = json_object_get(m, "content");
				char *r;
				if (!json_is_string(c))
					continue;
				r = render_lenient(json_string_value(c), tvars,
						   err);
				if (!r) {
					json_decref(rp);
					return NULL;
				}
				json_object_set_new(m, "content",
						    json_string_nocheck(r));
				free(r);
			}
			out = json_dumps(rp, JSON_COMPACT);
			json_decref(rp);
			return out;
		}
		json_decref(rp);
		{
			char *r = render_lenient(a->rubric_prompt, tvars, err);
			if (!r)
				return NULL;
			msgs = json_pack("[{s:s, s:s}]", "role", "user",
					 "content", r);
			free(r);
		}
	} else {
		msgs = json_pack("[{s:s, s:s}, {s:s, s:s}]", "role", "system",
				 "content", system, "role", "user", "content",
				 user);
	}
	out = json_dumps(msgs, JSON_COMPACT);
	json_decref(msgs);
	return out;
}

/* ---- planning ------------------------------------------------------------ */

/* One model-graded assertion, prepared: the rendered value, the output
 * after the assertion's transform, the vars its prompt may use. */
struct jprep {
	const struct test_case *tc;
	const struct assertion_spec *a;
	size_t ai;
	enum judge_type type;
	bool inverse;
	const json_t *vars;
	json_t *value;            /* rendered; NULL when absent */
	bool owned;
	char *output;             /* owned */
	char *unreadable;         /* owned: why the assertion's transform
				   * could not read the output (the model's
				   * failure: no judge is asked), or NULL */
};

static void prep_cleanup(struct jprep *p)
{
	if (p->owned)
		json_decref(p->value);
	free(p->output);
	free(p->unreadable);
	memset(p, 0, sizeof *p);
}

static int prep(const struct test_case *tc, size_t ai, const char *output,
		struct jprep *p, struct err *err)
{
	const struct assertion_spec *a = &tc->asserts[ai];
	memset(p, 0, sizeof *p);
	p->tc = tc;
	p->a = a;
	p->ai = ai;
	p->type = score_judge_type(a->type, &p->inverse);
	p->vars = score_vars(tc->vars);
	if (a->value && !json_is_null(a->value)) {
		struct err rerr = {0};
		p->value = score_render_value(a, p->vars, &p->owned, &rerr);
		if (!p->value)
			return err_set(err, ST_INTERNAL, "could not render the "
				       "value of '%s': %s", a->type, rerr.msg);
	}
	output = output ? output : "";
	if (a->transform) {
		/* The model answered and the assertion's transform cannot
		 * read the answer (not JSON, no such field): the answer
		 * fails, as for a deterministic assertion (score.c) — not a
		 * grading error, unless the suite opts out with
		 * options.unparsable_output: error (issue 8). */
		struct err terr = {0};
		if (score_transform(a->transform, output, strlen(output),
				    p->vars, &p->output, &terr)) {
			if (a->unparsable_error) {
				prep_cleanup(p);
				return err_set(err, ST_INTERNAL, "'%s': the "
					       "output could not be read by "
					       "the transform "
					       "(unparsable_output: error): %s",
					       a->type, terr.msg);
			}
			p->unreadable = xstrdup(terr.msg);
			p->output = xstrdup("");
		}
	} else {
		p->output = xstrdup(output);
	}
	return 0;
}

static const char *var_str(const json_t *vars, const char *name,
			   char **owned)
{
	const json_t *v = json_object_get(vars, name);
	*owned = NULL;
	if (!v)
		return NULL;
	if (json_is_string(v))
		return json_string_value(v);
	*owned = tmpl_value_text(v);   /* a list of chunks: as JSON */
	if (json_is_array(v)) {
		/* chunks joined by blank lines, as promptfoo serializes */
		struct buf b = {0};
		size_t i;
		json_t *it;
		json_array_foreach(v, i, it) {
			char *t = tmpl_value_text(it);
			buf_printf(&b, "%s%s", i ? "\n\n" : "", t);
			free(t);
		}
		free(*owned);
		*owned = buf_detach(&b);
	}
	return *owned;
}

struct calls {
	struct judge_call *v;
	size_t n, cap;
};

static struct judge_call *add_call(struct calls *c, const struct jprep *p,
				   enum judge_kind kind, int tag)
{
	struct judge_call *jc;
	c->v = xgrow(c->v, &c->cap, c->n + 1, sizeof *c->v);
	jc = &c->v[c->n++];
	memset(jc, 0, sizeof *jc);
	jc->assert_idx = p->ai;
	jc->kind = kind;
	jc->provider = score_judge_provider(p->tc, p->a);
	jc->tag = tag;
	return jc;
}

/* Splits text into sentences (ends at . ! ? followed by space, and at
 * line breaks), or into non-empty lines when `by_line`.  Returns an
 * owned array of owned strings. */
static char **split_units(const char *s, bool by_line, size_t *n)
{
	char **out = NULL;
	size_t cap = 0;
	*n = 0;
	while (*s) {
		const char *e = s;
		while (*e && *e != '\n') {
			if (!by_line && (*e == '.' || *e == '!' || *e == '?') &&
			    (e[1] == ' ' || e[1] == '\t' || e[1] == '\r' ||
			     e[1] == '\n' || !e[1])) {
				e++;
				break;
			}
			e++;
		}
		{
			const char *a = s, *z = e;
			while (a < z && isspace((unsigned char)*a))
				a++;
			while (z > a && isspace((unsigned char)z[-1]))
				z--;
			if (z > a) {
				out = xgrow(out, &cap, *n + 1, sizeof *out);
				out[(*n)++] = xstrndup(a, (size_t)(z - a));
			}
		}
		s = *e == '\n' ? e + 1 : e;
	}
	return out;
}

static void free_units(char **u, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(u[i]);
	free(u);
}

static bool multi_line(const char *s)
{
	size_t lines = 0;
	const char *p = s;
	while (*p) {
		const char *e = strchr(p, '\n');
		const char *z = e ? e : p + strlen(p);
		for (const char *q = p; q < z; q++)
			if (!isspace((unsigned char)*q)) {
				lines++;
				break;
			}
		p = e ? e + 1 : z;
	}
	return lines > 1;
}

/* The units of a context or reference as numbered lines "1. …". */
static char *numbered(char **u, size_t n)
{
	struct buf b = {0};
	for (size_t i = 0; i < n; i++)
		buf_printf(&b, "%zu. %s\n", i + 1, u[i]);
	return buf_detach(&b);
}

/* The vars a rubricPrompt sees: the test's, then ours on top. */
static json_t *tvars_new(const struct jprep *p)
{
	json_t *t = json_deep_copy(p->vars);
	json_object_set_new(t, "output", json_string_nocheck(p->output));
	return t;
}

static void tset(json_t *t, const char *k, const char *v)
{
	if (v)
		json_object_set_new(t, k, json_string_nocheck(v));
}

static int chat_call(struct calls *c, const struct jprep *p, int tag,
		     const char *system, struct buf *user, json_t *tvars,
		     struct err *err)
{
	char *m = score_judge_messages(p->a, system, buf_str(user), tvars,
				       err);
	buf_free(user);
	json_decref(tvars);
	if (!m)
		return err->code ? (int)err->code : ST_INTERNAL;
	add_call(c, p, JUDGE_CHAT, tag)->messages = m;
	return 0;
}

static char *value_text(const json_t *v)
{
	if (!v)
		return xstrdup("");
	if (json_is_string(v))
		return xstrdup(json_string_value(v));
	return json_dumps(v, JSON_COMPACT);
}

static int plan_one(const struct jprep *p, struct calls *c, struct err *err)
{
	struct buf u = {0};
	json_t *tv = tvars_new(p);
	char *own = NULL, *own2 = NULL;
	const char *query = var_str(p->vars, "query", &own2);
	int rc = 0;

	switch (p->type) {
	case JT_RUBRIC: {
		char *rubric = value_text(p->value);
		score_judge_section(&u, "Output", p->output);
		score_judge_section(&u, "Rubric", rubric);
		tset(tv, "rubric", rubric);
		free(rubric);
		rc = chat_call(c, p, JTAG(JT_RUBRIC, 0), score_jp_rubric, &u,
			       tv, err);
		break;
	}
	case JT_CLOSEDQA: {
		const char *crit = json_string_value(p->value);
		if (query)
			score_judge_section(&u, "Question", query);
		score_judge_section(&u, "Submission", p->output);
		score_judge_section(&u, "Criterion", crit);
		tset(tv, "criteria", crit);
		tset(tv, "rubric", crit);
		tset(tv, "completion", p->output);
		tset(tv, "input", query);
		rc = chat_call(c, p, JTAG(JT_CLOSEDQA, 0), score_jp_closedqa,
			       &u, tv, err);
		break;
	}
	case JT_FACTUALITY: {
		const char *ref = json_string_value(p->value);
		if (query)
			score_judge_section(&u, "Question", query);
		score_judge_section(&u, "Expert answer", ref);
		score_judge_section(&u, "Submitted answer", p->output);
		tset(tv, "reference", ref);
		tset(tv, "ideal", ref);
		tset(tv, "rubric", ref);
		tset(tv, "completion", p->output);
		tset(tv, "input", query);
		rc = chat_call(c, p, JTAG(JT_FACTUALITY, 0),
			       score_jp_factuality, &u, tv, err);
		break;
	}
	case JT_GEVAL: {
		/* one call per criterion; their scores are averaged */
		size_t n = json_is_array(p->value) ? json_array_size(p->value)
						   : 1;
		json_decref(tv);
		for (size_t i = 0; i < n && !rc; i++) {
			const json_t *cv = json_is_array(p->value) ?
				json_array_get(p->value, i) : p->value;
			const char *crit = json_string_value(cv);
			struct buf ub = {0};
			json_t *t2 = tvars_new(p);
			if (query)
				score_judge_section(&ub, "Input", query);
			score_judge_section(&ub, "Criteria", crit);
			score_judge_section(&ub, "Output", p->output);
			tset(t2, "criteria", crit);
			tset(t2, "rubric", crit);
			tset(t2, "input", query);
			rc = chat_call(c, p, JTAG(JT_GEVAL, i), score_jp_geval,
				       &ub, t2, err);
		}
		tv = NULL;
		break;
	}
	case JT_ANSWER_REL:
		score_judge_section(&u, "Answer", p->output);
		tset(tv, "answer", p->output);
		rc = chat_call(c, p, JTAG(JT_ANSWER_REL, 0),
			       score_jp_answer_rel, &u, tv, err);
		if (!rc)
			add_call(c, p, JUDGE_EMBED,
				 JTAG(JT_ANSWER_REL, 1))->text =
				xstrdup(query ? query : "");
		break;
	case JT_SIMILAR: {
		size_t n = json_is_array(p->value) ? json_array_size(p->value)
						   : 1;
		json_decref(tv);
		tv = NULL;
		add_call(c, p, JUDGE_EMBED, JTAG(JT_SIMILAR, 0))->text =
			xstrdup(p->output);
		for (size_t i = 0; i < n; i++) {
			const json_t *v = json_is_array(p->value) ?
				json_array_get(p->value, i) : p->value;
			add_call(c, p, JUDGE_EMBED,
				 JTAG(JT_SIMILAR, i + 1))->text =
				xstrdup(json_string_value(v));
		}
		break;
	}
	case JT_CTX_FAITH: {
		const char *ctx = var_str(p->vars, context_var(p->type,
					  p->value), &own);
		if (query)
			score_judge_section(&u, "Question", query);
		score_judge_section(&u, "Context", ctx);
		score_judge_section(&u, "Answer", p->output);
		tset(tv, "context", ctx);
		tset(tv, "question", query);
		tset(tv, "answer", p->output);
		rc = chat_call(c, p, JTAG(JT_CTX_FAITH, 0), score_jp_ctx_faith,
			       &u, tv, err);
		break;
	}
	case JT_CTX_RECALL: {
		const char *ctx = var_str(p->vars, context_var(p->type,
					  p->value), &own);
		const char *ref = recall_reference(p->value);
		size_t n;
		char **units = split_units(ref ? ref : "", false, &n);
		char *num = numbered(units, n);
		free_units(units, n);
		if (n == 0) {
			free(num);
			buf_free(&u);
			json_decref(tv);
			rc = err_set(err, ST_INTERNAL, "'context-recall': the "
				     "reference has no sentences");
			break;
		}
		score_judge_section(&u, "Context", ctx);
		score_judge_section(&u, "Reference sentences", num);
		tset(tv, "context", ctx);
		tset(tv, "reference", ref);
		tset(tv, "groundTruth", ref);
		tset(tv, "sentences", num);
		free(num);
		rc = chat_call(c, p, JTAG(JT_CTX_RECALL, n), score_jp_ctx_recall,
			       &u, tv, err);
		break;
	}
	case JT_CTX_REL: {
		const json_t *cj = json_object_get(p->vars,
					context_var(p->type, p->value));
		const char *ctx = var_str(p->vars, context_var(p->type,
					  p->value), &own);
		size_t n = 0;
		char **units;
		char *num;
		/* units: list items, else lines when the context is already
		 * split into lines, else sentences (promptfoo's rule) */
		if (json_is_array(cj)) {
			size_t i;
			json_t *it;
			units = xcalloc(json_array_size(cj) + 1, sizeof *units);
			json_array_foreach(cj, i, it) {
				char *t = tmpl_value_text(it);
				if (*t)
					units[n++] = t;
				else
					free(t);
			}
		} else {
			units = split_units(ctx ? ctx : "", multi_line(ctx ?
					    ctx : ""), &n);
		}
		num = numbered(units, n);
		free_units(units, n);
		if (n == 0) {
			free(num);
			buf_free(&u);
			json_decref(tv);
			rc = err_set(err, ST_INTERNAL, "'context-relevance': "
				     "the context is empty");
			break;
		}
		score_judge_section(&u, "Query", query);
		score_judge_section(&u, "Context sentences", num);
		tset(tv, "context", ctx);
		tset(tv, "query", query);
		tset(tv, "sentences", num);
		free(num);
		rc = chat_call(c, p, JTAG(JT_CTX_REL, n), score_jp_ctx_rel, &u,
			       tv, err);
		break;
	}
	default:
		buf_free(&u);
		json_decref(tv);
		break;
	}
	free(own);
	free(own2);
	return rc;
}

int score_judge_plan(const struct test_case *tc, const struct response *resp,
		     struct judge_call **calls, size_t *n, struct err *err)
{
	struct calls c = {0};
	const char *output = resp && resp->output ? resp->output : "";
	*calls = NULL;
	*n = 0;
	for (size_t i = 0; i < tc->n_asserts; i++) {
		const struct assertion_spec *a = &tc->asserts[i];
		struct jprep p;
		int rc;
		if (score_judge_type(a->type, NULL) == JT_NONE ||
		    score_is_comparison(a))
			continue;
		rc = prep(tc, i, output, &p, err);
		if (!rc && !p.unreadable)	/* unreadable: no judge asked */
			rc = plan_one(&p, &c, err);
		prep_cleanup(&p);
		if (rc) {
			score_judge_calls_free(c.v, c.n);
			return rc;
		}
	}
	*calls = c.v;
	*n = c.n;
	return 0;
}

void score_judge_calls_free(struct judge_call *calls, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(calls[i].messages);
		free(calls[i].text);
	}
	free(calls);
}

/* ---- grading ------------------------------------------------------------- */

struct judged_ctx {
	const struct test_case *tc;
	const struct response *resp;
	const char *output;
	const struct judge_call *calls;
	const struct judge_reply *replies;
	size_t n;
};

/* The reply to assertion ai's call with `tag`, or NULL with err set. */
static const struct judge_reply *find_reply(const struct judged_ctx *c,
					    const struct jprep *p, int tag,
					    size_t *idx, struct err *err)
{
	for (size_t i = 0; i < c->n; i++) {
		const struct judge_reply *r = &c->replies[i];
		if (c->calls[i].assert_idx != p->ai || c->calls[i].tag != tag)
			continue;
		if (idx)
			*idx = i;
		if (r->error) {
			err_set(err, ST_INTERNAL, "'%s': %s", p->a->type,
				r->error);
			return NULL;
		}
		if (c->calls[i].kind == JUDGE_CHAT ? !r->text
						   : !r->vec || !r->dim) {
			err_set(err, ST_INTERNAL, "'%s': the judge gave no "
				"answer", p->a->type);
			return NULL;
		}
		return r;
	}
	err_set(err, ST_INTERNAL, "'%s': no judge reply for this assertion",
		p->a->type);
	return NULL;
}

/* Parses a chat reply; a grading error when it is not usable. */
static int reply_verdict(const struct jprep *p, const struct judge_reply *r,
			 int tag, struct jverdict *v, json_t **hold,
			 struct err *err)
{
	char why[160] = "a JSON object";
	*hold = score_judge_extract(r->text);
	if (!*hold || score_judge_parse(tag, *hold, v, why, sizeof why)) {
		json_decref(*hold);
		*hold = NULL;
		return err_set(err, ST_INTERNAL, "'%s': the judge's reply is "
			       "not usable (it needs %s)", p->a->type, why);
	}
	return 0;
}

static double cosine(const double *a, const double *b, size_t n)
{
	double d = 0, na = 0, nb = 0;
	for (size_t i = 0; i < n; i++) {
		d += a[i] * b[i];
		na += a[i] * a[i];
		nb += b[i] * b[i];
	}
	return na > 0 && nb > 0 ? d / (sqrt(na) * sqrt(nb)) : 0;
}

static const struct judge_reply *embed_of(const struct judged_ctx *c,
					  const struct jprep *p, int tag,
					  size_t dim, struct err *err)
{
	const struct judge_reply *r = find_reply(c, p, tag, NULL, err);
	if (r && dim && r->dim != dim) {
		err_set(err, ST_INTERNAL, "'%s': embeddings of different "
			"sizes (%zu and %zu)", p->a->type, dim, r->dim);
		return NULL;
	}
	return r;
}

/* Sets a scored outcome: pass = score >= threshold; `not-` inverts the
 * pass and uses 1 - score. */
static void scored(struct assert_outcome *o, const struct jprep *p,
		   double score, double th, const char *what)
{
	char s[32];
	bool pass = score >= th - 1e-12;
	snprintf(s, sizeof s, "%.2f", score);
	o->pass = pass != p->inverse;
	o->score = p->inverse ? 1 - score : score;
	if (o->score < 0)
		o->score = 0;
	o->reason = xasprintf("%s %s is %s %g%s", what, s, pass ? ">=" : "<",
			      th, p->inverse ? " (inverted)" : "");
}

static char *with_reason(const char *head, const char *reason)
{
	return reason && *reason ? xasprintf("%s: %s", head, reason)
				 : xstrdup(head);
}

static int grade_one(const struct judged_ctx *c, const struct jprep *p,
		     struct assert_outcome *o, struct err *err)
{
	const struct assertion_spec *a = p->a;
	const struct judge_reply *r;
	struct jverdict v;
	json_t *hold = NULL;
	int rc = 0;

	switch (p->type) {
	case JT_RUBRIC: {
		bool pass;
		if (!(r = find_reply(c, p, JTAG(JT_RUBRIC, 0), NULL, err)) ||
		    reply_verdict(p, r, JTAG(JT_RUBRIC, 0), &v, &hold, err))
			return ST_INTERNAL;
		/* promptfoo: a threshold also needs score >= threshold;
		 * without one the judge's pass decides (score >= 0.5 when
		 * it gave only a score) */
		if (a->has_threshold)
			pass = v.pass != 0 && v.score >= a->threshold;
		else
			pass = v.pass >= 0 ? v.pass == 1 : v.score >= 0.5;
		o->pass = pass != p->inverse;
		o->score = p->inverse ? 1 - v.score : v.score;
		o->reason = v.reason && *v.reason ? xstrdup(v.reason) :
			xstrdup(pass ? "Grading passed" : "Grading failed");
		break;
	}
	case JT_CLOSEDQA:
		if (!(r = find_reply(c, p, JTAG(JT_CLOSEDQA, 0), NULL, err)) ||
		    reply_verdict(p, r, JTAG(JT_CLOSEDQA, 0), &v, &hold, err))
			return ST_INTERNAL;
		o->pass = (v.choice == 1) != p->inverse;
		o->score = o->pass ? 1 : 0;
		o->reason = with_reason(v.choice ? "The submission meets the "
					"criterion" : "The submission does not "
					"meet the criterion", v.reason);
		break;
	case JT_FACTUALITY: {
		/* promptfoo's defaults: A, B, C and E pass with score 1;
		 * D (disagreement) fails with 0 */
		static const char *const what[] = {
			"a subset of the reference, consistent",
			"a superset of the reference, consistent",
			"the same details as the reference",
			"disagrees with the reference",
			("differs from the reference in ways that do not "
			 "matter for factuality") };
		char head[160];
		bool pass;
		if (!(r = find_reply(c, p, JTAG(JT_FACTUALITY, 0), NULL, err)) ||
		    reply_verdict(p, r, JTAG(JT_FACTUALITY, 0), &v, &hold, err))
			return ST_INTERNAL;
		pass = v.choice != 3;
		o->pass = pass != p->inverse;
		o->score = o->pass ? 1 : 0;
		snprintf(head, sizeof head, "Category %c (%s)", 'A' + v.choice,
			 what[v.choice]);
		o->reason = with_reason(head, v.reason);
		break;
	}
	case JT_GEVAL: {
		size_t n = json_is_array(p->value) ? json_array_size(p->value)
						   : 1;
		double sum = 0, th = a->has_threshold ? a->threshold : 0.7;
		struct buf why = {0};
		for (size_t i = 0; i < n; i++) {
			if (!(r = find_reply(c, p, JTAG(JT_GEVAL, i), NULL,
					     err)) ||
			    reply_verdict(p, r, JTAG(JT_GEVAL, i), &v, &hold,
					  err)) {
				buf_free(&why);
				return ST_INTERNAL;
			}
			sum += v.score;
			if (v.reason && *v.reason)
				buf_printf(&why, "%s%s", why.len ? "\n\n" : "",
					   v.reason);
			json_decref(hold);
			hold = NULL;
		}
		scored(o, p, sum / (double)n, th, "G-Eval score");
		if (why.len) {
			char *t = xasprintf("%s. %s", o->reason, buf_str(&why));
			free(o->reason);
			o->reason = t;
		}
		buf_free(&why);
		break;
	}
	case JT_ANSWER_REL: {
		const struct judge_reply *q;
		double sum = 0, th = a->has_threshold ? a->threshold : 0.7;
		size_t nq;
		if (!(r = find_reply(c, p, JTAG(JT_ANSWER_REL, 0), NULL, err)) ||
		    reply_verdict(p, r, JTAG(JT_ANSWER_REL, 0), &v, &hold, err))
			return ST_INTERNAL;
		nq = v.den;
		if (!(q = embed_of(c, p, JTAG(JT_ANSWER_REL, 1), 0, err)))
			rc = ST_INTERNAL;
		/* the generated questions' embeddings: a second round
		 * (score_judge_followup), tags 2.. */
		for (size_t i = 0; i < nq && !rc; i++) {
			const struct judge_reply *e;
			struct err ferr = {0};
			e = embed_of(c, p, JTAG(JT_ANSWER_REL, 2 + i), q->dim,
				     &ferr);
			if (!e) {
				rc = err_set(err, ST_INTERNAL, "%s%s", ferr.msg,
					     strstr(ferr.msg, "no judge reply")
					     ? " (answer-relevance needs a "
					     "second round of judge calls: "
					     "the questions' embeddings)" : "");
				break;
			}
			sum += cosine(q->vec, e->vec, q->dim);
		}
		if (!rc)
			scored(o, p, sum / (double)nq, th, "Relevance");
		break;
	}
	case JT_SIMILAR: {
		const struct judge_reply *out;
		size_t n = json_is_array(p->value) ? json_array_size(p->value)
						   : 1;
		double th = a->has_threshold ? a->threshold : 0.75, best = -2;
		char s[32];
		if (!(out = embed_of(c, p, JTAG(JT_SIMILAR, 0), 0, err)))
			return ST_INTERNAL;
		for (size_t i = 0; i < n; i++) {
			const struct judge_reply *e = embed_of(c, p,
				JTAG(JT_SIMILAR, i + 1), out->dim, err);
			double sim;
			if (!e)
				return ST_INTERNAL;
			sim = cosine(out->vec, e->vec, out->dim);
			if (sim > best)
				best = sim;
		}
		/* similar: the closest value decides; not-similar passes
		 * only when every value is below the threshold */
		{
			bool close = best >= th - 1e-12;
			snprintf(s, sizeof s, "%.2f", best);
			o->pass = close != p->inverse;
			o->score = p->inverse ? 1 - best : best;
			if (o->score < 0)
				o->score = 0;
			o->reason = xasprintf("Similarity %s is %s threshold %g",
					      s, close ? ">=" : "<", th);
		}
		break;
	}
	case JT_CTX_FAITH:
	case JT_CTX_RECALL:
	case JT_CTX_REL: {
		int tag = JTAG(p->type, 0);
		const char *what = p->type == JT_CTX_FAITH ? "Faithfulness" :
				   p->type == JT_CTX_RECALL ? "Recall" :
				   "Context relevance";
		size_t idx = 0;
		if (p->type != JT_CTX_FAITH) {
			/* the tag carries the sentence count: find it */
			for (size_t i = 0; i < c->n; i++)
				if (c->calls[i].assert_idx == p->ai &&
				    JTAG_TYPE(c->calls[i].tag) == p->type)
					tag = c->calls[i].tag;
		}
		if (!(r = find_reply(c, p, tag, &idx, err)) ||
		    reply_verdict(p, r, tag, &v, &hold, err))
			return ST_INTERNAL;
		scored(o, p, v.score, a->has_threshold ? a->threshold : 0,
		       what);
		{
			char *t = xasprintf("%s (%zu of %zu %s)%s%s", o->reason,
					    v.num, v.den, p->type == JT_CTX_FAITH
					    ? "claims supported" :
					    p->type == JT_CTX_RECALL ?
					    "reference sentences in the context"
					    : "context sentences relevant",
					    v.reason && *v.reason ? ": " : "",
					    v.reason && *v.reason ? v.reason : "");
			free(o->reason);
			o->reason = t;
		}
		break;
	}
	default:
		rc = err_set(err, ST_INTERNAL, "'%s' is not graded per output",
			     a->type);
		break;
	}
	json_decref(hold);
	return rc;
}

static int judged_eval(void *ctx, size_t i, struct assert_outcome *o,
		       bool *skip, struct err *err)
{
	struct judged_ctx *c = ctx;
	const struct assertion_spec *a = &c->tc->asserts[i];
	struct jprep p;
	int rc;

	if (score_judge_type(a->type, NULL) == JT_NONE)
		return score_assert_eval(a, c->tc->vars, c->output, c->resp, o,
					 err);
	memset(o, 0, sizeof *o);
	o->spec = a;
	if (score_is_comparison(a)) {
		o->pass = true;
		o->reason = xasprintf("'%s' is graded after the main pass",
				      a->type);
		*skip = true;
		return 0;
	}
	rc = prep(c->tc, i, c->output, &p, err);
	if (rc)
		return rc;
	if (p.unreadable) {
		o->pass = false;
		o->score = 0;
		o->reason = xasprintf("The output could not be read by the "
				      "transform: %s", p.unreadable);
		prep_cleanup(&p);
		return 0;
	}
	rc = grade_one(c, &p, o, err);
	prep_cleanup(&p);
	if (rc) {
		free(o->reason);
		o->reason = NULL;
		if (!err->code)
			err_set(err, ST_INTERNAL, "'%s': grading failed",
				a->type);
	}
	return rc;
}

int score_grade_judged(const struct test_case *tc, const struct response *resp,
		       const struct judge_call *calls,
		       const struct judge_reply *replies, size_t n,
		       struct grade *out, struct err *err)
{
	struct judged_ctx c = { tc, resp, resp && resp->output ? resp->output
							       : "",
				calls, replies, n };
	return score_combine(tc, judged_eval, &c, out, err);
}

/* ---- a second round (answer-relevance) ----------------------------------- */

int score_judge_followup(const struct test_case *tc,
			 const struct judge_call *calls,
			 const struct judge_reply *replies, size_t n,
			 struct judge_call **more, size_t *n_more,
			 struct err *err)
{
	struct calls c = {0};
	(void)err;
	*more = NULL;
	*n_more = 0;
	for (size_t i = 0; i < n; i++) {
		const struct judge_call *k = &calls[i];
		struct jprep p;
		json_t *o;
		struct jverdict v;
		char why[160];
		bool have = false;
		if (k->kind != JUDGE_CHAT ||
		    k->tag != JTAG(JT_ANSWER_REL, 0) || !replies[i].text ||
		    k->assert_idx >= tc->n_asserts)
			continue;
		for (size_t j = 0; j < n; j++)
			if (calls[j].assert_idx == k->assert_idx &&
			    calls[j].tag == JTAG(JT_ANSWER_REL, 2))
				have = true;
		o = score_judge_extract(replies[i].text);
		if (have || !o || score_judge_parse(k->tag, o, &v, why,
						    sizeof why)) {
			json_decref(o);
			continue;
		}
		memset(&p, 0, sizeof p);
		p.tc = tc;
		p.a = &tc->asserts[k->assert_idx];
		p.ai = k->assert_idx;
		for (size_t q = 0; q < v.den; q++)
			add_call(&c, &p, JUDGE_EMBED,
				 JTAG(JT_ANSWER_REL, 2 + q))->text =
				xstrdup(json_string_value(json_array_get(
					json_object_get(o, "questions"), q)));
		json_decref(o);
	}
	*more = c.v;
	*n_more = c.n;
	return 0;
}
