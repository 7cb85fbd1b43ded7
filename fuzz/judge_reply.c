/* judge_reply.c — fuzzes the reading of a judge model's reply
 * (src/score/score_judge.c): finding the JSON object in free text (code
 * fences, prose around it) and reading the verdict for each judged type.
 *
 * Input: byte 0 picks the judged type and byte 1 its argument, the rest
 * is the reply text.  A refused verdict must say why. */
#include "fuzz.h"
#include "score/score_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *rest;
	size_t rest_n;
	char *text;
	json_t *o;
	int tag;
	if (size < 2)
		return 0;
	tag = JTAG(1 + data[0] % JT_COMPARE, data[1]);
	text = fz_head(data + 2, size - 2, &rest, &rest_n);
	o = score_judge_extract(text);
	if (o) {
		struct jverdict v;
		char why[256];
		memset(&v, 0, sizeof v);
		why[0] = '\0';
		if (score_judge_parse(tag, o, &v, why, sizeof why) && !why[0])
			abort();
		json_decref(o);
	}
	free(text);
	return 0;
}
