/* prov_openai.c — fuzzes the OpenAI chat completions reply parser and its
 * stream events (src/provider/prov_openai.c), and the embeddings reply.
 * Input as fuzz/prov.h says; byte 0 bit 5 asks the embeddings provider. */
#include "prov.h"

static struct provider_spec chat_spec, embed_spec;
static struct provider *chat, *embed;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	chat = fz_provider(&chat_spec, "openai:chat:gpt-4o-mini",
			   "{\"apiKey\": \"sk-fuzz\", \"stream\": true}");
	embed = fz_provider(&embed_spec, "openai:embedding:text-embedding-3-small",
			    "{\"apiKey\": \"sk-fuzz\"}");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!chat)
		LLVMFuzzerInitialize(NULL, NULL);
	fz_reply(size && (data[0] & 32) ? embed : chat, data, size);
	return 0;
}
