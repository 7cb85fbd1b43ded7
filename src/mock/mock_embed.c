/* mock_embed.c — `POST /v1/embeddings` for `assay mock`: deterministic
 * vectors so that `similar` and `answer-relevance` can be tested offline.
 *
 * The vector of a text is a hashed bag of words: every word (lowercased
 * letters and digits) adds ±1 to one of MOCK_EMBED_DIM coordinates chosen
 * by a hash of the word, and the vector is scaled to length 1.  Texts that
 * share words are close (cosine near 1), texts with no word in common are
 * near orthogonal, and the same text always gets the same vector.  An
 * empty text gets the zero vector. */
#include "mock_int.h"

#include <ctype.h>
#include <jansson.h>
#include <math.h>
#include <string.h>

static uint64_t fnv1a(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

void mock_embed_text(const char *s, size_t n, double *v)
{
	char w[64];
	size_t wl = 0;
	double norm = 0;
	memset(v, 0, MOCK_EMBED_DIM * sizeof *v);
	for (size_t i = 0; i <= n; i++) {
		unsigned char c = i < n ? (unsigned char)s[i] : ' ';
		if (isalnum(c) || c >= 0x80) {
			if (wl < sizeof w)
				w[wl++] = (char)tolower(c);
			continue;
		}
		if (wl) {
			uint64_t h = fnv1a(w, wl);
			v[h % MOCK_EMBED_DIM] += (h >> 63) ? -1.0 : 1.0;
			wl = 0;
		}
	}
	for (int i = 0; i < MOCK_EMBED_DIM; i++)
		norm += v[i] * v[i];
	if (norm > 0)
		for (int i = 0; i < MOCK_EMBED_DIM; i++)
			v[i] /= sqrt(norm);
}

int mock_embed_reply(const char *body, size_t len, struct buf *out,
		     char *why, size_t why_n)
{
	json_error_t je;
	json_t *req = json_loadb(body, len, 0, &je), *input, *data, *resp, *item;
	const char *model;
	size_t i, n;
	long tokens = 0;
	char *txt;
	if (!json_is_object(req)) {
		snprintf(why, why_n, "the body is not a JSON object (%s)", je.text);
		json_decref(req);
		return -1;
	}
	model = json_string_value(json_object_get(req, "model"));
	input = json_object_get(req, "input");
	if (json_is_string(input)) {
		input = json_pack("[O]", input);
	} else if (json_is_array(input) && json_array_size(input) > 0) {
		json_incref(input);
	} else {
		snprintf(why, why_n, "'input' must be a string or a list of strings");
		json_decref(req);
		return -1;
	}
	data = json_array();
	n = json_array_size(input);
	for (i = 0; i < n; i++) {
		json_t *t = json_array_get(input, i), *vec;
		double v[MOCK_EMBED_DIM];
		if (!json_is_string(t)) {
			snprintf(why, why_n, "input[%zu] is not a string", i);
			json_decref(data);
			json_decref(input);
			json_decref(req);
			return -1;
		}
		mock_embed_text(json_string_value(t), json_string_length(t), v);
		tokens += mock_tokens(json_string_length(t));
		vec = json_array();
		for (int k = 0; k < MOCK_EMBED_DIM; k++)
			json_array_append_new(vec, json_real(v[k]));
		item = json_pack("{s:s,s:I,s:o}", "object", "embedding", "index",
				 (json_int_t)i, "embedding", vec);
		json_array_append_new(data, item);
	}
	resp = json_pack("{s:s,s:o,s:s,s:{s:I,s:I}}", "object", "list", "data",
			 data, "model", model ? model : "mock-embedding", "usage",
			 "prompt_tokens", (json_int_t)tokens, "total_tokens",
			 (json_int_t)tokens);
	txt = json_dumps(resp, JSON_COMPACT);
	buf_puts(out, txt);
	free(txt);
	json_decref(resp);
	json_decref(input);
	json_decref(req);
	return 0;
}
