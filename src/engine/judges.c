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

/* True when some model-graded assertion has no judge of its own. */
static bool needs_default(const struct suite *s)
{
	for (size_t t = 0; t < s->n_tests; t++) {
		const struct test_case *tc = suite_test(s, t);
		for (size_t a = 0; tc && a < tc->n_asserts; a++)
			if (is_model_graded(tc, &tc->asserts[a]) &&
			    !tc->asserts[a].provider && !tc->grader)
				return true;
	}
	return false;
}

int judges_new(const struct suite *s, const char *grader,
	       struct judge_set **out, struct err *err)
{
	struct judge_set *j = xcalloc(1, sizeof *j);
	static const struct loc cli = { "command line (--grader)", 0, 0 };
	int rc = 0;
	*out = NULL;
	/* Pass 1: every judge named in the suite. */
	for (size_t t = 0; t < s->n_tests && !rc; t++) {
		const struct test_case *tc = suite_test(s, t);
		if (!tc) {   /* a streamed file that cannot be read again */
			*err = *suite_stream_err(s);
			rc = ST_IO;
			break;
		}
		if (tc->grader)
			rc = add(j, tc->grader, tc->grader_config, &tc->loc, s->dir, err);
		if (!rc && tc->conv && tc->conv->sim) /* a simulated user (suite/conv.h) */
			rc = add(j, tc->conv->sim->provider, tc->conv->sim->config,
				 &tc->conv->sim->loc, s->dir, err);
		for (size_t a = 0; a < tc->n_asserts && !rc; a++)
			if (tc->asserts[a].provider)
				rc = add(j, tc->asserts[a].provider,
					 tc->asserts[a].provider_config,
					 &tc->asserts[a].loc, s->dir, err);
	}
	/* No --grader: $ASSAY_GRADER, else promptfoo's default OpenAI grader
	 * when an OpenAI endpoint is configured — but only if some
	 * model-graded assertion has no judge of its own, and said aloud. */
	if (!rc && (!grader || !*grader) && needs_default(s)) {
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
	if (!rc && grader && *grader) {
		rc = add(j, grader, NULL, &cli, s->dir, err);
		if (!rc)
			j->dflt = find(j, grader);
	}
	/* Pass 2: every model-graded assertion has a judge. */
	for (size_t t = 0; t < s->n_tests && !rc; t++) {
		const struct test_case *tc = suite_test(s, t);
		if (!tc) {
			*err = *suite_stream_err(s);
			rc = ST_IO;
			break;
		}
		for (size_t a = 0; a < tc->n_asserts && !rc; a++) {
			const struct assertion_spec *as = &tc->asserts[a];
			if (!is_model_graded(tc, as) || as->provider || tc->grader || j->dflt)
				continue;
			rc = err_at(err, as->loc.file, as->loc.line, as->loc.col,
				    "'%s' needs a judge model: give the assertion a "
				    "`provider`, the test (or defaultTest) "
				    "`options.provider`, run with --grader ID or set "
				    "ASSAY_GRADER (or OPENAI_API_KEY / OPENAI_BASE_URL "
				    "for promptfoo's default OpenAI grader)",
				    as->type);
		}
	}
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
