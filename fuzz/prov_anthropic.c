/* prov_anthropic.c — fuzzes the Anthropic Messages reply parser and its
 * stream events (src/provider/prov_anthropic.c).  Input as fuzz/prov.h
 * says. */
#include "prov.h"

static struct provider_spec spec;
static struct provider *prov;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	prov = fz_provider(&spec, "anthropic:messages:claude-3-5-haiku-latest",
			   "{\"apiKey\": \"sk-ant-fuzz\", \"stream\": true}");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!prov)
		LLVMFuzzerInitialize(NULL, NULL);
	fz_reply(prov, data, size);
	return 0;
}
