/* prov_http.c — fuzzes the generic HTTP provider (src/provider/prov_http.c):
 * its `responsePath` check and JSONPath reader, and the reply parser.
 *
 * Input: byte 0 as fuzz/prov.h says, then the responsePath as a suite
 * would write it (empty = none), a NUL, and the body.  A path starting
 * with "jq:" is replaced by a fixed jq program: jq programs are the jq
 * library's business (and have no time limit), the JSONPath reader is
 * ours. */
#include "prov.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct provider_spec spec;
	struct provider *p = NULL;
	struct err err;
	const uint8_t *body;
	size_t body_n;
	char *path;
	uint8_t *reply;
	if (size < 1)
		return 0;
	path = fz_head(data + 1, size - 1, &body, &body_n);
	memset(&spec, 0, sizeof spec);
	spec.id = "http://127.0.0.1:9/api";
	spec.label = spec.id;
	spec.config = json_object();
	spec.loc.file = "fuzz.yaml";
	spec.loc.line = spec.loc.col = 1;
	if (path[0])
		json_object_set_new(spec.config, "responsePath",
				    json_string(strncmp(path, "jq:", 3) ? path
									 : "jq:.output"));
	err_clear(&err);
	if (provider_new(&spec, ".", &p, &err) == 0) {
		/* The status byte, then the body, in one piece as fz_reply wants. */
		reply = malloc(body_n + 1);
		if (!reply)
			abort();
		reply[0] = data[0];
		memcpy(reply + 1, body, body_n);
		fz_reply(p, reply, body_n + 1);
		free(reply);
		provider_free(p);
	} else if (!err.msg[0] || p) {
		abort();
	}
	json_decref(spec.config);
	free(path);
	return 0;
}
