/* test_mock_reply.c — the shapes the mock server sends, parsed back with
 * jansson: chat.completion, the chunk stream, errors, the model list. */
#include "t.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mock/mock_int.h"
#include "util/buf.h"

static const char reply_text[] = "Hello \"world\",\nthis is ü — a long-ish reply";

static struct mock_completion comp(void)
{
	return (struct mock_completion){
		.id = "chatcmpl-x", .model = "m\"1", .created = 1700000000,
		.content = reply_text, .content_len = strlen(reply_text),
		.finish_reason = "stop", .prompt_tokens = 5,
		.completion_tokens = 12,
	};
}

TEST(mock_reply_tokens)
{
	T_EQ_INT(mock_tokens(0), 1);
	T_EQ_INT(mock_tokens(1), 1);
	T_EQ_INT(mock_tokens(4), 1);
	T_EQ_INT(mock_tokens(5), 2);
	T_EQ_INT(mock_tokens(400), 100);
}

TEST(mock_reply_completion_shape)
{
	struct buf b = { 0 };
	struct mock_completion c = comp();
	json_error_t je;
	json_t *j, *ch, *u;
	mock_reply_completion(&b, &c);
	j = json_loads(buf_str(&b), 0, &je);
	T_ASSERT(j != NULL);
	T_EQ_STR(json_string_value(json_object_get(j, "id")), "chatcmpl-x");
	T_EQ_STR(json_string_value(json_object_get(j, "object")), "chat.completion");
	T_EQ_INT(json_integer_value(json_object_get(j, "created")), 1700000000);
	T_EQ_STR(json_string_value(json_object_get(j, "model")), "m\"1");
	ch = json_array_get(json_object_get(j, "choices"), 0);
	T_EQ_INT(json_array_size(json_object_get(j, "choices")), 1);
	T_EQ_INT(json_integer_value(json_object_get(ch, "index")), 0);
	T_EQ_STR(json_string_value(json_object_get(ch, "finish_reason")), "stop");
	T_EQ_STR(json_string_value(json_object_get(json_object_get(ch, "message"), "role")),
		 "assistant");
	T_EQ_STR(json_string_value(json_object_get(json_object_get(ch, "message"), "content")),
		 reply_text);
	u = json_object_get(j, "usage");
	T_EQ_INT(json_integer_value(json_object_get(u, "prompt_tokens")), 5);
	T_EQ_INT(json_integer_value(json_object_get(u, "completion_tokens")), 12);
	T_EQ_INT(json_integer_value(json_object_get(u, "total_tokens")), 17);
	json_decref(j);
	buf_free(&b);
}

/* With logprobs asked: one entry per piece of the content, the pieces
 * spell the content, every logprob is log(confidence); right answers get
 * a higher confidence than wrong ones. */
TEST(mock_reply_completion_logprobs)
{
	struct buf b = { 0 }, joined = { 0 };
	struct mock_completion c = comp();
	json_t *j, *lp, *t;
	size_t i;
	double sum = 0;
	c.logprobs = 1;
	c.logprob = log(mock_logprob_confidence(1, 0.5));
	mock_reply_completion(&b, &c);
	j = json_loads(buf_str(&b), 0, NULL);
	T_ASSERT(j != NULL);
	lp = json_object_get(json_object_get(json_array_get(
		json_object_get(j, "choices"), 0), "logprobs"), "content");
	T_ASSERT(json_array_size(lp) > 1);
	json_array_foreach(lp, i, t) {
		buf_puts(&joined, json_string_value(json_object_get(t, "token")));
		sum += json_number_value(json_object_get(t, "logprob"));
	}
	T_EQ_STR(buf_str(&joined), reply_text);
	T_NEAR(exp(sum / (double)json_array_size(lp)), 0.85, 1e-12);
	T_ASSERT(mock_logprob_confidence(0, 0.99) < mock_logprob_confidence(1, 0));
	json_decref(j);
	buf_free(&b);
	buf_free(&joined);
	/* not asked: logprobs is null */
	c.logprobs = 0;
	mock_reply_completion(&b, &c);
	j = json_loads(buf_str(&b), 0, NULL);
	T_ASSERT(json_is_null(json_object_get(json_array_get(
		json_object_get(j, "choices"), 0), "logprobs")));
	json_decref(j);
	buf_free(&b);
}

/* Parses an SSE body: returns the number of JSON events, concatenates the
 * content deltas into *content, and checks the framing. */
static int parse_stream(const char *s, struct buf *content, int *done,
			int *usage_events, const char **finish)
{
	int n = 0;
	*done = 0;
	*usage_events = 0;
	*finish = NULL;
	while (*s) {
		const char *end = strstr(s, "\n\n");
		json_t *j, *ch, *d;
		if (strncmp(s, "data: ", 6) || !end || *done)
			return -1;
		if (!strncmp(s + 6, "[DONE]", 6)) {
			*done = 1;
			s = end + 2;
			continue;
		}
		j = json_loadb(s + 6, (size_t)(end - s - 6), 0, NULL);
		if (!j)
			return -1;
		if (strcmp(json_string_value(json_object_get(j, "object")),
			   "chat.completion.chunk")) {
			json_decref(j);
			return -1;
		}
		if (json_is_object(json_object_get(j, "usage")))
			(*usage_events)++;
		ch = json_array_get(json_object_get(j, "choices"), 0);
		d = json_object_get(ch, "delta");
		if (json_is_string(json_object_get(d, "content")))
			buf_puts(content, json_string_value(json_object_get(d, "content")));
		if (json_is_string(json_object_get(ch, "finish_reason")))
			*finish = strcmp(json_string_value(json_object_get(ch, "finish_reason")),
					 "stop") ? "other" : "stop";
		json_decref(j);
		n++;
		s = end + 2;
	}
	return n;
}

TEST(mock_reply_stream_shape)
{
	struct buf b = { 0 }, content = { 0 };
	struct mock_completion c = comp();
	size_t *ends = NULL, n_ends = 0;
	int done, usage, n;
	const char *finish;
	mock_reply_stream(&b, &c, 0, &ends, &n_ends);
	n = parse_stream(buf_str(&b), &content, &done, &usage, &finish);
	T_ASSERT(n >= 4);                 /* role, ≥2 pieces, finish */
	T_EQ_INT(done, 1);
	T_EQ_INT(usage, 0);
	T_EQ_STR(finish, "stop");
	T_EQ_STR(buf_str(&content), reply_text);
	T_EQ_INT(n_ends, (size_t)n + 1);  /* every event, and [DONE] */
	T_EQ_INT(ends[n_ends - 1], b.len);
	for (size_t i = 0; i < n_ends; i++)
		T_ASSERT(!strncmp(b.p + ends[i] - 2, "\n\n", 2));
	free(ends);
	buf_reset(&b);
	buf_reset(&content);
	mock_reply_stream(&b, &c, 1, NULL, NULL);
	n = parse_stream(buf_str(&b), &content, &done, &usage, &finish);
	T_ASSERT(n >= 5);
	T_EQ_INT(usage, 1);
	T_EQ_INT(done, 1);
	T_EQ_STR(buf_str(&content), reply_text);
	T_ASSERT(strstr(b.p, "\"choices\":[],\"usage\":{\"prompt_tokens\":5,"
			"\"completion_tokens\":12,\"total_tokens\":17}") != NULL);
	buf_free(&b);
	buf_free(&content);
}

TEST(mock_reply_stream_empty_and_multibyte)
{
	struct buf b = { 0 }, content = { 0 };
	struct mock_completion c = comp();
	static const char wide[] = "ééééééééééééééééééééééééééééé日本語日本語日本語日本語日本語";
	int done, usage;
	const char *finish;
	c.content = "";
	c.content_len = 0;
	mock_reply_stream(&b, &c, 0, NULL, NULL);
	T_EQ_INT(parse_stream(buf_str(&b), &content, &done, &usage, &finish), 2);
	T_EQ_STR(buf_str(&content), "");
	buf_reset(&b);
	/* pieces never split a UTF-8 character (jansson rejects those) */
	c.content = wide;
	c.content_len = strlen(wide);
	mock_reply_stream(&b, &c, 0, NULL, NULL);
	T_ASSERT(parse_stream(buf_str(&b), &content, &done, &usage, &finish) > 3);
	T_EQ_STR(buf_str(&content), wide);
	buf_free(&b);
	buf_free(&content);
}

TEST(mock_reply_error_and_models)
{
	struct buf b = { 0 };
	struct err e = { 0 };
	json_t *j, *err;
	struct mock_rules *r;
	mock_reply_error(&b, "invalid_request_error", "model_not_found",
			 "The model `%s` does not exist", "x\"y");
	j = json_loads(buf_str(&b), 0, NULL);
	T_ASSERT(j != NULL);
	err = json_object_get(j, "error");
	T_EQ_STR(json_string_value(json_object_get(err, "message")),
		 "The model `x\"y` does not exist");
	T_EQ_STR(json_string_value(json_object_get(err, "type")), "invalid_request_error");
	T_EQ_STR(json_string_value(json_object_get(err, "code")), "model_not_found");
	T_ASSERT(json_is_null(json_object_get(err, "param")));
	json_decref(j);
	buf_reset(&b);
	r = mock_rules_parse("models: [{name: a}, {name: '*'}, {name: b}]\n", 44,
			     "t.yaml", &e);
	T_ASSERT(r != NULL);
	mock_reply_models(&b, r);
	j = json_loads(buf_str(&b), 0, NULL);
	T_ASSERT(j != NULL);
	T_EQ_STR(json_string_value(json_object_get(j, "object")), "list");
	T_EQ_INT(json_array_size(json_object_get(j, "data")), 2);
	T_EQ_STR(json_string_value(json_object_get(json_array_get(json_object_get(j, "data"), 1), "id")), "b");
	json_decref(j);
	mock_rules_free(r);
	buf_free(&b);
}
