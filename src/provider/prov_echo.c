/* prov_echo.c — `echo`: promptfoo's echo provider, whose output is the
 * rendered prompt itself (used to grade outputs logged elsewhere, passed
 * in as vars).  No request and no process: the engine answers it at once
 * (engine.c), with no tokens and no cost.  Its config may hold only the
 * keys every provider has (provider.h). */
#include "provider.h"

#include <string.h>

static int echo_init(struct provider *p, struct err *err)
{
	const char *k;
	json_t *v;
	json_object_foreach(p->spec->config, k, v)
		if (!provider_generic_key(k))
			return provider_config_error(p, err, "config key '%s' "
						     "is not supported: echo "
						     "takes no options", k);
	if (p->stream)
		return provider_config_error(p, err, "echo cannot stream");
	return 0;
}

const struct provider_ops prov_echo_ops = {
	.name = "echo",
	.init = echo_init,
	.echo = true,
};
