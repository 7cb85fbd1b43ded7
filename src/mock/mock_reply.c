/* mock_reply.c — the bytes the mock server sends: OpenAI chat.completion
 * objects, chat.completion.chunk SSE streams, Anthropic messages and
 * their event streams, error bodies of both APIs and the model list.
 *
 * Bodies are written straight into a `struct buf` with buf_json_escape
 * rather than built as jansson trees: this is the hot path of a server
 * that must answer >10,000 requests a second, and the shapes are fixed.
 * The unit tests parse every shape back with jansson.  Both protocols are
 * fed by the same `struct mock_completion`. */
#include "mock_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

/* Longest content piece of one stream chunk, in bytes. */
#define MOCK_CHUNK_MAX 24

long mock_tokens(size_t bytes)
{
	long t = (long)((bytes + 3) / 4);
	return t < 1 ? 1 : t;
}

static void put_str(struct buf *b, const char *s, size_t n)
{
	buf_putc(b, '"');
	buf_json_escape(b, s, n);
	buf_putc(b, '"');
}

static void put_usage(struct buf *b, const struct mock_completion *c)
{
	buf_printf(b, "{\"prompt_tokens\":%ld,\"completion_tokens\":%ld,"
		   "\"total_tokens\":%ld}", c->prompt_tokens,
		   c->completion_tokens, c->prompt_tokens + c->completion_tokens);
}

static void put_head(struct buf *b, const struct mock_completion *c,
		     const char *object)
{
	buf_puts(b, "{\"id\":");
	put_str(b, c->id, strlen(c->id));
	buf_printf(b, ",\"object\":\"%s\",\"created\":%ld,\"model\":", object,
		   c->created);
	put_str(b, c->model, strlen(c->model));
	buf_puts(b, ",\"system_fingerprint\":\"fp_assay_mock\"");
}

double mock_logprob_confidence(int correct, double u)
{
	return correct ? 0.75 + 0.2 * u : 0.35 + 0.3 * u;
}

static size_t piece_len(const char *s, size_t n);

/* {"content":[{"token":…,"logprob":…,"bytes":null,"top_logprobs":[]},…]} */
static void put_logprobs(struct buf *b, const struct mock_completion *c)
{
	size_t off = 0;
	buf_puts(b, "{\"content\":[");
	while (off < c->content_len) {
		size_t n = piece_len(c->content + off, c->content_len - off);
		buf_puts(b, off ? ",{\"token\":" : "{\"token\":");
		put_str(b, c->content + off, n);
		buf_printf(b, ",\"logprob\":%.17g,\"bytes\":null,"
			   "\"top_logprobs\":[]}", c->logprob);
		off += n;
	}
	buf_puts(b, "],\"refusal\":null}");
}

void mock_reply_completion(struct buf *b, const struct mock_completion *c)
{
	put_head(b, c, "chat.completion");
	buf_puts(b, ",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
		 "\"content\":");
	put_str(b, c->content, c->content_len);
	buf_puts(b, ",\"refusal\":null},\"logprobs\":");
	if (c->logprobs)
		put_logprobs(b, c);
	else
		buf_puts(b, "null");
	buf_printf(b, ",\"finish_reason\":\"%s\"}],\"usage\":", c->finish_reason);
	put_usage(b, c);
	buf_puts(b, "}");
}

/* Length of the next content piece at s: up to and including the next run
 * of spaces after a word (roughly a token), at most MOCK_CHUNK_MAX bytes,
 * never splitting a UTF-8 sequence. */
static size_t piece_len(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && s[i] == ' ')
		i++;
	while (i < n && s[i] != ' ' && i < MOCK_CHUNK_MAX)
		i++;
	while (i < n && s[i] == ' ' && i < MOCK_CHUNK_MAX)
		i++;
	while (i < n && i > 0 && ((unsigned char)s[i] & 0xC0) == 0x80)
		i--;    /* back off to a character boundary */
	if (i == 0) /* a long multi-byte character run: take it whole */
		for (i = 1; i < n && ((unsigned char)s[i] & 0xC0) == 0x80; i++)
			;
	return i;
}

static void end_event(struct buf *b, size_t **ends, size_t *n_ends,
		      size_t *cap)
{
	buf_puts(b, "\n\n");
	if (ends) {
		*ends = xgrow(*ends, cap, *n_ends + 1, sizeof **ends);
		(*ends)[(*n_ends)++] = b->len;
	}
}

static void chunk_open(struct buf *b, const struct mock_completion *c)
{
	buf_puts(b, "data: ");
	put_head(b, c, "chat.completion.chunk");
	buf_puts(b, ",\"choices\":[{\"index\":0,\"delta\":");
}

void mock_reply_stream(struct buf *b, const struct mock_completion *c,
		       int include_usage, size_t **ends, size_t *n_ends)
{
	const char *usage_null = include_usage ? ",\"usage\":null" : "";
	size_t cap = 0, off = 0;
	if (ends) {
		*ends = NULL;
		*n_ends = 0;
	}
	/* the role comes first, with empty content, as OpenAI does */
	chunk_open(b, c);
	buf_printf(b, "{\"role\":\"assistant\",\"content\":\"\",\"refusal\":null},"
		   "\"logprobs\":null,\"finish_reason\":null}]%s}", usage_null);
	end_event(b, ends, n_ends, &cap);
	while (off < c->content_len) {
		size_t n = piece_len(c->content + off, c->content_len - off);
		chunk_open(b, c);
		buf_puts(b, "{\"content\":");
		put_str(b, c->content + off, n);
		if (c->logprobs) {   /* this piece's token, as OpenAI sends them */
			buf_puts(b, "},\"logprobs\":{\"content\":[{\"token\":");
			put_str(b, c->content + off, n);
			buf_printf(b, ",\"logprob\":%.17g,\"bytes\":null,"
				   "\"top_logprobs\":[]}],\"refusal\":null},"
				   "\"finish_reason\":null}]%s}", c->logprob,
				   usage_null);
		} else {
			buf_printf(b, "},\"logprobs\":null,\"finish_reason\":null}]%s}",
				   usage_null);
		}
		end_event(b, ends, n_ends, &cap);
		off += n;
	}
	chunk_open(b, c);
	buf_printf(b, "{},\"logprobs\":null,\"finish_reason\":\"%s\"}]%s}",
		   c->finish_reason, usage_null);
	end_event(b, ends, n_ends, &cap);
	if (include_usage) {
		buf_puts(b, "data: ");
		put_head(b, c, "chat.completion.chunk");
		buf_puts(b, ",\"choices\":[],\"usage\":");
		put_usage(b, c);
		buf_puts(b, "}");
		end_event(b, ends, n_ends, &cap);
	}
	buf_puts(b, "data: [DONE]");
	end_event(b, ends, n_ends, &cap);
}

void mock_reply_text_completion(struct buf *b, const struct mock_completion *c)
{
	put_head(b, c, "text_completion");
	buf_puts(b, ",\"choices\":[{\"text\":");
	put_str(b, c->content, c->content_len);
	buf_printf(b, ",\"index\":0,\"logprobs\":null,\"finish_reason\":\"%s\"}],"
		   "\"usage\":", c->finish_reason);
	put_usage(b, c);
	buf_puts(b, "}");
}

void mock_reply_text_stream(struct buf *b, const struct mock_completion *c,
			    int include_usage, size_t **ends, size_t *n_ends)
{
	const char *usage_null = include_usage ? ",\"usage\":null" : "";
	size_t cap = 0, off = 0;
	if (ends) {
		*ends = NULL;
		*n_ends = 0;
	}
	while (off < c->content_len) {
		size_t n = piece_len(c->content + off, c->content_len - off);
		buf_puts(b, "data: ");
		put_head(b, c, "text_completion");
		buf_puts(b, ",\"choices\":[{\"text\":");
		put_str(b, c->content + off, n);
		buf_printf(b, ",\"index\":0,\"logprobs\":null,"
			   "\"finish_reason\":null}]%s}", usage_null);
		end_event(b, ends, n_ends, &cap);
		off += n;
	}
	buf_puts(b, "data: ");
	put_head(b, c, "text_completion");
	buf_printf(b, ",\"choices\":[{\"text\":\"\",\"index\":0,\"logprobs\":null,"
		   "\"finish_reason\":\"%s\"}]%s}", c->finish_reason, usage_null);
	end_event(b, ends, n_ends, &cap);
	if (include_usage) {
		buf_puts(b, "data: ");
		put_head(b, c, "text_completion");
		buf_puts(b, ",\"choices\":[],\"usage\":");
		put_usage(b, c);
		buf_puts(b, "}");
		end_event(b, ends, n_ends, &cap);
	}
	buf_puts(b, "data: [DONE]");
	end_event(b, ends, n_ends, &cap);
}

void mock_reply_error(struct buf *b, const char *type, const char *code,
		      const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	buf_puts(b, "{\"error\":{\"message\":");
	put_str(b, msg, strlen(msg));
	buf_puts(b, ",\"type\":");
	put_str(b, type, strlen(type));
	buf_puts(b, ",\"param\":null,\"code\":");
	if (code)
		put_str(b, code, strlen(code));
	else
		buf_puts(b, "null");
	buf_puts(b, "}}");
}

/* One /v1/models entry in the profile's shape: llama-server names
 * itself the owner, vLLM adds root, parent and max_model_len, Ollama says
 * "library". */
static void put_model_entry(struct buf *b, const struct mock_model *m)
{
	const char *name = m->served_model ? m->served_model : m->name;
	buf_puts(b, "{\"id\":");
	put_str(b, name, strlen(name));
	buf_puts(b, ",\"object\":\"model\",\"created\":0,\"owned_by\":");
	switch (m->profile) {
	case MOCK_PROFILE_LLAMACPP:
		buf_puts(b, "\"llamacpp\"");
		if (m->context_tokens)
			buf_printf(b, ",\"meta\":{\"n_ctx_train\":%ld}", m->context_tokens);
		break;
	case MOCK_PROFILE_VLLM:
		buf_puts(b, "\"vllm\",\"root\":");
		put_str(b, name, strlen(name));
		buf_puts(b, ",\"parent\":null");
		if (m->context_tokens)
			buf_printf(b, ",\"max_model_len\":%ld", m->context_tokens);
		break;
	case MOCK_PROFILE_OLLAMA:
		buf_puts(b, "\"library\"");
		break;
	case MOCK_PROFILE_OPENAI:
		buf_puts(b, "\"assay-mock\"");
		break;
	}
	buf_putc(b, '}');
}

void mock_reply_models(struct buf *b, const struct mock_rules *r)
{
	int first = 1;
	buf_puts(b, "{\"object\":\"list\",\"data\":[");
	for (size_t i = 0; i < r->n_models; i++) {
		if (!strcmp(r->models[i].name, "*") && !r->models[i].served_model)
			continue;
		if (!first)
			buf_putc(b, ',');
		put_model_entry(b, &r->models[i]);
		first = 0;
	}
	buf_puts(b, "]}");
}

/* ---- Anthropic Messages ------------------------------------------------- */

void mock_reply_message(struct buf *b, const struct mock_completion *c)
{
	buf_puts(b, "{\"id\":");
	put_str(b, c->id, strlen(c->id));
	buf_puts(b, ",\"type\":\"message\",\"role\":\"assistant\",\"model\":");
	put_str(b, c->model, strlen(c->model));
	buf_puts(b, ",\"content\":[{\"type\":\"text\",\"text\":");
	put_str(b, c->content, c->content_len);
	buf_printf(b, "}],\"stop_reason\":\"%s\",\"stop_sequence\":null,"
		   "\"usage\":{\"input_tokens\":%ld,\"output_tokens\":%ld}}",
		   c->finish_reason, c->prompt_tokens, c->completion_tokens);
}

static void event_open(struct buf *b, const char *name)
{
	buf_printf(b, "event: %s\ndata: {\"type\":\"%s\"", name, name);
}

void mock_reply_message_stream(struct buf *b, const struct mock_completion *c,
			       size_t **ends, size_t *n_ends)
{
	size_t cap = 0, off = 0;
	if (ends) {
		*ends = NULL;
		*n_ends = 0;
	}
	event_open(b, "message_start");
	buf_puts(b, ",\"message\":{\"id\":");
	put_str(b, c->id, strlen(c->id));
	buf_puts(b, ",\"type\":\"message\",\"role\":\"assistant\",\"model\":");
	put_str(b, c->model, strlen(c->model));
	buf_printf(b, ",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,"
		   "\"usage\":{\"input_tokens\":%ld,\"output_tokens\":1}}}",
		   c->prompt_tokens);
	end_event(b, ends, n_ends, &cap);
	event_open(b, "content_block_start");
	buf_puts(b, ",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}");
	end_event(b, ends, n_ends, &cap);
	event_open(b, "ping");
	buf_puts(b, "}");
	end_event(b, ends, n_ends, &cap);
	while (off < c->content_len) {
		size_t n = piece_len(c->content + off, c->content_len - off);
		event_open(b, "content_block_delta");
		buf_puts(b, ",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":");
		put_str(b, c->content + off, n);
		buf_puts(b, "}}");
		end_event(b, ends, n_ends, &cap);
		off += n;
	}
	event_open(b, "content_block_stop");
	buf_puts(b, ",\"index\":0}");
	end_event(b, ends, n_ends, &cap);
	event_open(b, "message_delta");
	buf_printf(b, ",\"delta\":{\"stop_reason\":\"%s\",\"stop_sequence\":null},"
		   "\"usage\":{\"output_tokens\":%ld}}", c->finish_reason,
		   c->completion_tokens);
	end_event(b, ends, n_ends, &cap);
	event_open(b, "message_stop");
	buf_puts(b, "}");
	end_event(b, ends, n_ends, &cap);
}

void mock_reply_anthropic_error(struct buf *b, const char *type,
				const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	buf_puts(b, "{\"type\":\"error\",\"error\":{\"type\":");
	put_str(b, type, strlen(type));
	buf_puts(b, ",\"message\":");
	put_str(b, msg, strlen(msg));
	buf_puts(b, "}}");
}

void mock_reply_broken_event(struct buf *b, int anthropic)
{
	/* An event whose JSON stops half-way, as a proxy that mangles a
	 * stream might send it; the stream goes on after it. */
	if (anthropic)
		buf_puts(b, "event: content_block_delta\ndata: {\"type\":"
			 "\"content_block_delta\",\"index\":0,\"delta\":{\"ty\n\n");
	else
		buf_puts(b, "data: {\"id\":\"chatcmpl-broken\",\"object\":"
			 "\"chat.completion.chunk\",\"choices\":[{\"delta\":{\"con\n\n");
}
