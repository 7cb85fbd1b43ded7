/* schema.c — fuzzes the JSON Schema validator (src/score/score_schema.c):
 * compiling a schema (every keyword's shape, every $ref target) and
 * validating an instance against it.
 *
 * Input: the schema as JSON, a NUL, the instance as JSON.  A compile
 * failure or a failed validation must carry a message. */
#include "fuzz.h"
#include "score/score_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *rest;
	size_t rest_n;
	char *text = fz_head(data, size, &rest, &rest_n);
	json_t *schema = json_loads(text, JSON_DECODE_ANY, NULL);
	json_t *inst = json_loadb((const char *)rest, rest_n, JSON_DECODE_ANY, NULL);
	struct score_schema *c;
	char msg[512];
	free(text);
	if (!schema)
		goto out;
	msg[0] = '\0';
	c = score_schema_compile(schema, msg, sizeof msg);
	if (!c) {
		if (!msg[0])
			abort();
		goto out;
	}
	if (inst) {
		msg[0] = '\0';
		if (!score_schema_validate(c, inst, msg, sizeof msg) && !msg[0])
			abort();
	}
	score_schema_free(c);
out:
	json_decref(schema);
	json_decref(inst);
	return 0;
}
