/* test_served_model.c — the model the server says answered: compared with
 * the asked one up to a version suffix, and what the call is costed at. */
#include "t.h"

#include <stdio.h>
#include "../../src/provider/provider.h"
#include "../../src/util/xalloc.h"

TEST(served_model_same_up_to_a_version_suffix)
{
	T_ASSERT(provider_same_model("gpt-4o-mini", "gpt-4o-mini-2024-07-18"));
	T_ASSERT(provider_same_model("gpt-4o-mini-2024-07-18", "gpt-4o-mini"));
	T_ASSERT(provider_same_model("claude-3-5-sonnet-latest", "claude-3-5-sonnet-20241022"));
	T_ASSERT(provider_same_model("llama3", "llama3:latest"));
	T_ASSERT(provider_same_model("gpt-4-0613", "GPT-4"));
	T_ASSERT(!provider_same_model("gpt-4o", "gpt-4o-mini"));
	T_ASSERT(!provider_same_model("gpt-4", "gpt-4o"));
	T_ASSERT(!provider_same_model("claude-3-5-sonnet", "claude-3-5-haiku"));
	T_ASSERT(!provider_same_model("gpt-4o", "qwen2.5-0.5b-instruct-q4_k_m.gguf"));
	T_ASSERT(!provider_same_model("claude-3-5", "claude-3-7"));
}

static struct provider *make(const char *id, const char *cfg, struct provider_spec *s)
{
	struct provider *p = NULL;
	struct err e;
	memset(s, 0, sizeof *s);
	s->id = (char *)id;
	s->label = (char *)id;
	s->config = json_loads(cfg, 0, NULL);
	s->loc.file = "suite.yaml";
	if (provider_new(s, ".", &p, &e))
		fprintf(stderr, "provider_new(%s): %s\n", id, e.msg);
	return p;
}

static double cost_with(struct provider *p, const char *served)
{
	struct response r;
	double c;
	response_init(&r);
	r.output = xstrdup("x");
	r.prompt_tokens = 1000000;
	r.completion_tokens = 0;
	r.served_model = served ? xstrdup(served) : NULL;
	provider_set_cost(p, &r);
	c = r.cost_usd;
	response_cleanup(&r);
	return c;
}

TEST(served_model_decides_the_cost)
{
	struct provider_spec s1, s2, s3, s4;
	struct provider *oai = make("openai:chat:gpt-4o", "{\"apiBaseUrl\":\"http://127.0.0.1:9/v1\"}", &s1);
	struct provider *llama = make("llamacpp:gpt-4o", "{}", &s2);
	struct provider *priced = make("llamacpp:m", "{\"cost\":{\"input_per_mtok\":1.5,\"output_per_mtok\":2}}", &s3);
	struct provider *mini = make("openai:chat:gpt-4o-mini", "{\"apiBaseUrl\":\"http://127.0.0.1:9/v1\"}", &s4);
	T_ASSERT(oai && llama && priced && mini);
	/* gpt-4o input: $2.50 per Mtok (cost.c) */
	T_NEAR(cost_with(oai, NULL), 2.50, 1e-9);
	T_NEAR(cost_with(oai, "gpt-4o-2024-08-06"), 2.50, 1e-9);
	/* another model answered: its price when known, else unknown */
	T_NEAR(cost_with(oai, "gpt-4o-mini"), 0.15, 1e-9);
	T_NEAR(cost_with(oai, "qwen2.5-0.5b-instruct-q4_k_m.gguf"), -1, 0);
	T_ASSERT(*oai->warned_served);
	T_ASSERT(!*mini->warned_served);
	T_NEAR(cost_with(mini, "gpt-4o-mini-2024-07-18"), 0.15, 1e-9);
	T_ASSERT(!*mini->warned_served);
	/* a local alias costs nothing, whatever its model is called */
	T_NEAR(cost_with(llama, NULL), 0, 0);
	T_NEAR(cost_with(llama, "qwen.gguf"), 0, 0);
	/* unless the suite gives a price */
	T_NEAR(cost_with(priced, "qwen.gguf"), 1.5, 1e-9);
	provider_free(oai);
	provider_free(llama);
	provider_free(priced);
	provider_free(mini);
	json_decref(s1.config);
	json_decref(s2.config);
	json_decref(s3.config);
	json_decref(s4.config);
}
