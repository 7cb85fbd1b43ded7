/* judges.c — building and finding judge providers (see judges.h). */
#include "judges.h"
#include "../suite/conv.h"
#include "../score/judge.h"
#include "../util/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct judge_entry {
	struct provider_spec spec;   /* owned copy: providers borrow it */
	struct provider *p;
	struct provider *embedder;   /* p's embeddings twin, or NULL */
};

struct judge_set {
	struct judge_entry **e;    /* each entry allocated alone: providers
				    * point at their spec */
	size_t n, cap;
	struct provider *dflt;
	char *need_type;           /* the first model-graded assertion with
				    * no judge of its own, or NULL */
	struct loc need_loc;
};

static struct provider *find(const struct judge_set *j, const char *id)
{
	for (size_t i = 0; i < j->n; i++)
		if (!strcmp(j->e[i]->spec.id, id))
			return j->e[i]->p;
	return NULL;
}

/* Adds a judge unless one with that id exists (the first config wins). */
static int add(struct judge_set *j, const char *id, const json_t *config,
	       const struct loc *loc, const char *dir, struct err *err)
{
	struct judge_entry *e;
	int rc;
	if (find(j, id))
		return 0;
	e = xcalloc(1, sizeof *e);
	e->spec.id = xstrdup(id);
	e->spec.label = xstrdup(id);
	e->spec.config = config ? json_deep_copy(config) : json_object();
	e->spec.loc = *loc;
	rc = provider_new(&e->spec, dir, &e->p, err);
	if (rc) {
		free(e->spec.id);
		free(e->spec.label);
		json_decref(e->spec.config);
		free(e);
		return rc;
	}
	if (!e->p->embed) {
		struct err ignore;
		err_clear(&ignore);
		if (provider_new_embedder(e->p, &e->embedder, &ignore))
			e->embedder = NULL;
	}
	j->e = xgrow(j->e, &j->cap, j->n + 1, sizeof *j->e);
	j->e[j->n++] = e;
	return 0;
}

static bool is_model_graded(const struct test_case *tc,
			    const struct assertion_spec *a)
{
	struct test_case one = *tc;
	one.asserts = (struct assertion_spec *)a;
	one.n_asserts = 1;
	return score_needs_judge(&one) || score_is_comparison(a);
}

/* The first model-graded assertion with no judge of its own (none given
 * by it or its test), which the default grader must grade. */
static void note_needs_default(struct judge_set *j, const struct test_case *tc)
{
	for (size_t a = 0; !j->need_type && a < tc->n_asserts; a++) {
		const struct assertion_spec *as = &tc->asserts[a];
		if (is_model_graded(tc, as) && !as->provider && !tc->grader) {
			j->need_type = xstrdup(as->type ? as->type : "");
			j->need_loc = as->loc;
		}
	}
}

struct judge_set *judges_begin(void)
{
	return xcalloc(1, sizeof(struct judge_set));
}

int judges_visit(struct judge_set *j, const struct test_case *tc,
		 const char *dir, struct err *err)
{
	int rc = 0;
	if (tc->grader)
		rc = add(j, tc->grader, tc->grader_config, &tc->loc, dir, err);
	if (!rc && tc->conv && tc->conv->sim) /* a simulated user (suite/conv.h) */
		rc = add(j, tc->conv->sim->provider, tc->conv->sim->config,
			 &tc->conv->sim->loc, dir, err);
	for (size_t a = 0; a < tc->n_asserts && !rc; a++)
		if (tc->asserts[a].provider)
			rc = add(j, tc->asserts[a].provider,
				 tc->asserts[a].provider_config,
				 &tc->asserts[a].loc, dir, err);
	if (!rc)
		note_needs_default(j, tc);
	return rc;
}

int judges_end(struct judge_set *j, const char *grader, const char *dir,
	       struct err *err)
{
	static const struct loc cli = { "command line (--grader)", 0, 0 };
	int rc = 0;
	/* No --grader: $ASSAY_GRADER, else promptfoo's default OpenAI grader
	 * when an OpenAI endpoint is configured — but only if some
	 * model-graded assertion has no judge of its own, and said aloud. */
	if ((!grader || !*grader) && j->need_type) {
		const char *env = getenv("ASSAY_GRADER");
		if (env && *env)
			grader = env;
		else if (getenv("OPENAI_API_KEY") || getenv("OPENAI_BASE_URL"))
			grader = JUDGES_DEFAULT_OPENAI;
		if (grader)
			fprintf(stderr, "assay: model-graded assertions without a judge use %s "
				"(%s; --grader ID or ASSAY_GRADER choose another)\n", grader,
				env && *env ? "from ASSAY_GRADER" : "promptfoo's default OpenAI grader");
	}
	if (grader && *grader) {
		rc = add(j, grader, NULL, &cli, dir, err);
		if (!rc)
			j->dflt = find(j, grader);
	}
	/* Every model-graded assertion has a judge. */
	if (!rc && j->need_type && !j->dflt)
		rc = err_at(err, j->need_loc.file, j->need_loc.line, j->need_loc.col,
			    "'%s' needs a judge model: give the assertion a "
			    "`provider`, the test (or defaultTest) "
			    "`options.provider`, run with --grader ID or set "
			    "ASSAY_GRADER (or OPENAI_API_KEY / OPENAI_BASE_URL "
			    "for promptfoo's default OpenAI grader)",
			    j->need_type);
	return rc;
}

int judges_new(const struct suite *s, const char *grader,
	       struct judge_set **out, struct err *err)
{
	struct judge_set *j = judges_begin();
	int rc = 0;
	*out = NULL;
	for (size_t t = 0; t < s->n_tests && !rc; t++) {
		const struct test_case *tc = suite_test(s, t);
		if (!tc) {   /* a streamed file that cannot be read again */
			*err = *suite_stream_err(s);
			rc = ST_IO;
			break;
		}
		rc = judges_visit(j, tc, s->dir, err);
	}
	if (!rc)
		rc = judges_end(j, grader, s->dir, err);
	if (rc) {
		judges_free(j);
		return rc;
	}
	*out = j;
	return 0;
}

void judges_free(struct judge_set *j)
{
	if (!j)
		return;
	for (size_t i = 0; i < j->n; i++) {
		provider_free(j->e[i]->p);
		provider_free(j->e[i]->embedder);
		free(j->e[i]->spec.id);
		free(j->e[i]->spec.label);
		json_decref(j->e[i]->spec.config);
		free(j->e[i]);
	}
	free(j->e);
	free(j->need_type);
	free(j);
}

struct provider *judges_get(const struct judge_set *j, const char *id,
			    const struct test_case *tc)
{
	struct provider *p = NULL;
	if (!j)
		return NULL;
	if (id)
		p = find(j, id);
	if (!p && tc && tc->grader)
		p = find(j, tc->grader);
	return p ? p : j->dflt;
}

struct provider *judges_embedder(const struct judge_set *j, const struct provider *p)
{
	if (!j || !p || p->embed)
		return (struct provider *)p;
	for (size_t i = 0; i < j->n; i++)
		if (j->e[i]->p == p)
			return j->e[i]->embedder;
	return NULL;
}

/* Judges, then their embedding twins, as one list. */
size_t judges_count(const struct judge_set *j)
{
	size_t n = 0;
	if (!j)
		return 0;
	for (size_t i = 0; i < j->n; i++)
		n += 1 + (j->e[i]->embedder != NULL);
	return n;
}

struct provider *judges_at(const struct judge_set *j, size_t i)
{
	if (!j)
		return NULL;
	for (size_t k = 0; k < j->n; k++) {
		if (i == 0)
			return j->e[k]->p;
		i--;
		if (j->e[k]->embedder) {
			if (i == 0)
				return j->e[k]->embedder;
			i--;
		}
	}
	return NULL;
}
