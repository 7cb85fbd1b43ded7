/* mock_int.h — what the files of src/mock/ share with each other and with
 * their unit tests.  Not a front door: other modules use mock.h.
 *
 * Ownership: a `struct mock_rules` owns every string, array and compiled
 * regex hanging off it; mock_rules_free() releases them all.  It is
 * immutable after loading, so any number of server threads may read it. */
#ifndef ASSAY_MOCK_INT_H
#define ASSAY_MOCK_INT_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"

/* ---- faults (mock_fault.c) --------------------------------------------- */

/* What can go wrong with one request.  The order is the order of the
 * cumulative draw (docs/mock.md, "Fault injection"). */
enum mock_fault_kind {
	MOCK_FAULT_NONE = -1,
	MOCK_FAULT_RATE_LIMIT,    /* 429 + Retry-After / retry-after-ms */
	MOCK_FAULT_SERVER_ERROR,  /* 500 */
	MOCK_FAULT_UNAVAILABLE,   /* 503 */
	MOCK_FAULT_RESET,         /* connection closed (RST), no response */
	MOCK_FAULT_STREAM_CUT,    /* body or stream stops mid-way, closed */
	MOCK_FAULT_MALFORMED,     /* 200, body not JSON / a broken event */
	MOCK_FAULT_WRONG_CONTENT_TYPE, /* 200, text/html */
	MOCK_FAULT_HANG,          /* no answer for hang_ms, then closed */
	MOCK_FAULT_SLOW_STREAM,   /* slow_stream_ms between stream events */
	MOCK_FAULT_STREAM_ERROR,  /* 200, some events, then an error event in
				   * the profile's shape (mock_profile.c) */
	MOCK_FAULT_BAD_BYTES,     /* 200, the reply followed by bytes that are
				   * not text (invalid UTF-8, a NUL) */
	MOCK_FAULT_REDIRECT,      /* 302 + Location, the normal reply as body */
	MOCK_FAULT_ENDLESS_STREAM, /* a stream of small events that never ends
				   * (up to 1 GiB, or until the client stops) */
	MOCK_FAULT_N
};

/* A `faults:` block (or --faults).  Probabilities add up to at most 1:
 * one draw u in [0,1) picks the first fault whose cumulative probability
 * exceeds u, or none. */
struct mock_faults {
	int set;                  /* 1 when the block was given */
	double p[MOCK_FAULT_N];
	int retry_after_s;        /* Retry-After header; -1 = not sent */
	int retry_after_ms;       /* retry-after-ms header; -1 = not sent */
	int hang_ms;              /* default 30000 */
	int slow_stream_ms;       /* default 200 */
};

/* Per-prompt attempt counters (thread-safe), so that the k-th request
 * with a given (seed, model, prompt) always draws the same fault. */
struct mock_attempts;

void mock_faults_init(struct mock_faults *f);   /* no faults, defaults */

/* The stable name of a fault ("rate_limit", ...), or NULL. */
const char *mock_fault_name(enum mock_fault_kind k);

/* Sets one key of a faults block from its text value.  Returns 0, or -1
 * with a message in why[why_len] (unknown key, not a number, out of
 * range).  Does not check the sum: see mock_faults_check. */
int mock_faults_set(struct mock_faults *f, const char *key, const char *value,
		    char *why, size_t why_len);

/* 0 when the probabilities add up to at most 1, else -1 and why. */
int mock_faults_check(const struct mock_faults *f, char *why, size_t why_len);

/* Parses the --faults syntax "name=value,name=value" into f (which is
 * initialised first).  ST_USAGE with a message naming the bad item. */
int mock_faults_parse_spec(const char *spec, struct mock_faults *f,
			   struct err *err);

/* 1 when some fault has a probability > 0. */
int mock_faults_any(const struct mock_faults *f);

/* The fault for draw u in [0,1), or MOCK_FAULT_NONE. */
enum mock_fault_kind mock_fault_pick(const struct mock_faults *f, double u);

/* The fault draw of the `attempt`-th request (from 0) whose prompt key
 * (mock_prompt_key) is `key`: uniform in [0,1), independent of the
 * accuracy draw and of the other attempts. */
double mock_fault_draw(uint64_t key, uint64_t attempt);

struct mock_attempts *mock_attempts_new(void);
void mock_attempts_free(struct mock_attempts *t);
/* Returns how many requests with `key` came before this one and counts
 * this one. */
uint64_t mock_attempts_next(struct mock_attempts *t, uint64_t key);

/* ---- rules (mock_rules.c) ---------------------------------------------- */

enum mock_match_kind { MOCK_CONTAINS, MOCK_ICONTAINS, MOCK_REGEX };
enum mock_match_in { MOCK_IN_LAST_USER, MOCK_IN_ALL };

struct mock_rule {
	enum mock_match_kind kind;
	enum mock_match_in in;
	char *pattern;            /* the substring, or the regex source */
	size_t pattern_len;
	pcre2_code *re;           /* MOCK_REGEX only, JIT-compiled if possible */
	char *reply;              /* template */
	char **wrong;             /* templates used when the draw fails */
	size_t n_wrong;
	int line;                 /* where the rule starts in the file */
	struct mock_faults faults;  /* wins over the model's when set */
};

/* ---- server profiles (mock_profile.c) ---------------------------------- */

/* Whose manners a model has: error bodies, stream error events, the
 * /v1/models entry, keep-alive behaviour (docs/mock.md, "Profiles"). */
enum mock_profile {
	MOCK_PROFILE_OPENAI = 0,
	MOCK_PROFILE_LLAMACPP,
	MOCK_PROFILE_VLLM,
	MOCK_PROFILE_OLLAMA
};

/* "openai", "llamacpp", "vllm", "ollama" → *out; -1 for another name. */
int mock_profile_parse(const char *s, enum mock_profile *out);
const char *mock_profile_name(enum mock_profile p);

/* Appends the error body the server sends with HTTP `status` (an OpenAI
 * type and code as the openai profile's; `code` may be NULL). */
void mock_profile_error(struct buf *b, enum mock_profile p, unsigned status,
			const char *type, const char *code, const char *msg);

/* Appends what the server writes into a streamed reply that fails after
 * its HTTP 200 (the event, and for vLLM the [DONE] that follows it). */
void mock_profile_stream_error(struct buf *b, enum mock_profile p,
			       int anthropic);

/* Appends the 400 body for a prompt of n_prompt tokens over a context of
 * n_ctx tokens. */
void mock_profile_context_error(struct buf *b, enum mock_profile p,
				long n_prompt, long n_ctx);

/* The 503 body of a server still loading its model. */
void mock_profile_loading_error(struct buf *b, enum mock_profile p);

/* The message of a 404 for an unknown model name. */
void mock_profile_not_found(struct buf *b, enum mock_profile p,
			    const char *model);

struct mock_model {
	char *name;               /* "*" = serves any model name */
	enum mock_profile profile;
	int profile_set;          /* `profile:` given (else the top-level one) */
	char *served_model;       /* `model` in replies; NULL = as asked */
	int loading_ms;           /* 503 "loading" for this long after start */
	long context_tokens;      /* prompts longer than this get a 400; 0 = none */
	int close_after_stream;   /* -1 = the profile's default */
	double accuracy;          /* 0..1; default 1 */
	int latency_ms;           /* fixed part */
	int latency_min_ms, latency_max_ms; /* uniform part (0,0 = none) */
	int chunk_delay_ms;       /* between SSE chunks */
	struct mock_rule *rules;  /* tried before the global rules */
	size_t n_rules;
	char *default_reply;      /* NULL = the global default */
	char **wrong;             /* NULL = the global `wrong` */
	size_t n_wrong;
	struct mock_faults faults;  /* wins over the global ones when set */
	/* queueing model (mock_queue.c): 0 slots = unlimited */
	int slots;                /* requests served at once; more wait (FIFO) */
	double service_ms;        /* service time per request */
	double service_token_ms;  /* and per output token */
};

struct mock_rules {
	char *source;             /* file name for messages */
	uint64_t seed;
	int has_seed;
	enum mock_match_in match_in;  /* default for rules */
	struct mock_model *models;
	size_t n_models;
	struct mock_rule *rules;
	size_t n_rules;
	char *default_reply;
	char **wrong;
	size_t n_wrong;
	struct mock_faults faults;  /* top-level `faults:` (or --faults) */
	enum mock_profile profile;  /* top-level `profile:`, default openai */
};

/* The text a request's rules look at. */
struct mock_prompt {
	const char *last_user;    /* content of the last "user" message ("" if none) */
	size_t last_user_len;
	const char *all;          /* every message's content joined by "\n" */
	size_t all_len;
};

/* What the model says. */
struct mock_answer {
	char *text;               /* owned by the caller */
	int rule;                 /* index of the matching rule; -1 = default */
	int from_model;           /* 1 when the rule is one of the model's own */
	int correct;              /* 1 right answer, 0 the draw failed */
	double u;                 /* the draw in [0,1) */
};

/* Parses rules from YAML text; `name` labels error locations.  Returns an
 * owned rule set, or NULL with `err` set (ST_INPUT, file:line:col). */
struct mock_rules *mock_rules_parse(const char *text, size_t len,
				    const char *name, struct err *err);

/* Reads and parses a rules file (ST_IO when it cannot be read). */
struct mock_rules *mock_rules_load(const char *path, struct err *err);

/* The built-in rules used without --rules: one model "mock" that accepts
 * any model name and echoes the last user message. */
struct mock_rules *mock_rules_builtin(struct err *err);

void mock_rules_free(struct mock_rules *r);

/* The model entry serving `name`: an exact match, else the "*" entry, else
 * NULL (the server answers 404 model_not_found). */
const struct mock_model *mock_rules_model(const struct mock_rules *r,
					  const char *name);

/* The deterministic draw: a uniform number in [0,1) from a hash of the
 * seed, the requested model name and the prompt text. */
double mock_draw(uint64_t seed, const char *model, const char *text,
		 size_t len);

/* The 64-bit hash behind mock_draw: identifies (seed, model, prompt). */
uint64_t mock_prompt_key(uint64_t seed, const char *model, const char *text,
			 size_t len);

/* The faults block that applies to an answer: the matched rule's when it
 * has one, else the model's, else the top-level one (possibly all zero). */
const struct mock_faults *mock_rules_faults(const struct mock_rules *r,
					    const struct mock_model *m,
					    const struct mock_answer *a);

/* 1 when any faults block of the rules can inject a fault
 * that sleeps (hang, slow_stream). */
int mock_rules_fault_sleeps(const struct mock_rules *r);

/* 1 when any faults block of the rules has a fault > 0. */
int mock_rules_any_faults(const struct mock_rules *r);

/* Answers a prompt: the model's rules, then the global rules, first match
 * wins; the draw decides between `reply` and a `wrong` reply; nothing
 * matching gives the default.  `model_name` is the name the client asked
 * for (it feeds the draw and {{model}}).  Never fails. */
void mock_rules_answer(const struct mock_rules *r, const struct mock_model *m,
		       const char *model_name, uint64_t seed,
		       const struct mock_prompt *p, struct mock_answer *out);

/* ---- queueing model (mock_queue.c) ------------------------------------ */

/* The models' `slots` / `service_ms` / `service_per_token_ms`: a model
 * with slots: N serves N requests at a time, each for service_ms +
 * tokens * service_per_token_ms; requests beyond the slots wait in arrival
 * order.  Shared by the server's threads; thread-safe. */
struct mock_queue;

/* 1 when some model has a service time or slots. */
int mock_queue_needed(const struct mock_rules *r);
/* NULL when mock_queue_needed is 0. */
struct mock_queue *mock_queue_new(const struct mock_rules *r);
/* Wakes every waiter (they return at once); later calls do not wait. */
void mock_queue_stop(struct mock_queue *q);
void mock_queue_free(struct mock_queue *q);   /* NULL does nothing */
/* Waits for a slot of model m (FIFO), holds it for the service time of a
 * reply of `tokens` output tokens, frees it.  Returns the ms spent waiting
 * for the slot.  Does nothing (returns 0) when q is NULL or m has no
 * service time and no slots. */
double mock_queue_serve(struct mock_queue *q, const struct mock_rules *r,
			const struct mock_model *m, long tokens);

/* ---- embeddings (mock_embed.c) ----------------------------------------- */

#define MOCK_EMBED_DIM 64

/* The deterministic embedding of a text (a hashed bag of words, length 1). */
void mock_embed_text(const char *s, size_t n, double *v);

/* Answers an OpenAI /v1/embeddings request body into out (JSON).  Returns
 * 0, or -1 with `why` set (the request is a 400). */
int mock_embed_reply(const char *body, size_t len, struct buf *out,
		     char *why, size_t why_n);

/* ---- replies (mock_reply.c) -------------------------------------------- */

/* Estimated tokens: ceil(bytes / 4), at least 1. */
long mock_tokens(size_t bytes);

struct mock_completion {
	const char *id;           /* "chatcmpl-…" */
	const char *model;        /* echoed as asked */
	long created;             /* unix seconds */
	const char *content;
	size_t content_len;
	const char *finish_reason;  /* "stop" or "length" */
	long prompt_tokens, completion_tokens;
	int logprobs;             /* the request asked `logprobs: true` */
	double logprob;           /* then every token's logprob (<= 0) */
};

/* The confidence the mock's logprobs express for an answer: 0.75 + 0.2u
 * when it is right, 0.35 + 0.3u when the draw made it wrong (u the
 * accuracy draw), so right answers are surer.  The tokens' logprobs are
 * all log(confidence): exp(mean logprob) gives it back. */
double mock_logprob_confidence(int correct, double u);

/* Appends a chat.completion JSON object (with choices[0].logprobs.content
 * when c->logprobs: one entry per word-sized piece of the content). */
void mock_reply_completion(struct buf *out, const struct mock_completion *c);

/* Appends the whole SSE stream of chat.completion.chunk events, ending
 * with "data: [DONE]\n\n".  When `ends` is not NULL it receives an owned
 * array of the end offsets of each event (*n_ends of them), so a slow
 * stream can send them one at a time. */
void mock_reply_stream(struct buf *out, const struct mock_completion *c,
		       int include_usage, size_t **ends, size_t *n_ends);

/* The legacy /completions API: a text_completion object with
 * choices[0].text, and its stream (one event per piece, a last event with
 * the finish_reason, the usage event with include_usage, [DONE]); `ends`
 * as for mock_reply_stream. */
void mock_reply_text_completion(struct buf *out, const struct mock_completion *c);
void mock_reply_text_stream(struct buf *out, const struct mock_completion *c,
			    int include_usage, size_t **ends, size_t *n_ends);

/* Appends an OpenAI-style error body {"error":{message,type,param,code}};
 * `code` may be NULL (JSON null). */
void mock_reply_error(struct buf *out, const char *type, const char *code,
		      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Appends an Anthropic Messages reply {id, type:"message", role, model,
 * content:[{type:"text", text}], stop_reason, stop_sequence, usage}.
 * c->finish_reason is the stop_reason ("end_turn", "max_tokens"). */
void mock_reply_message(struct buf *out, const struct mock_completion *c);

/* Appends the Anthropic event stream (event: + data: lines):
 * message_start, content_block_start, ping, content_block_delta per
 * piece, content_block_stop, message_delta, message_stop.  `ends` as for
 * mock_reply_stream. */
void mock_reply_message_stream(struct buf *out, const struct mock_completion *c,
			       size_t **ends, size_t *n_ends);

/* Appends an Anthropic error body {"type":"error","error":{type, message}}. */
void mock_reply_anthropic_error(struct buf *out, const char *type,
				const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Appends one SSE event whose JSON is cut short (the `malformed` fault on
 * a stream), in the protocol's framing. */
void mock_reply_broken_event(struct buf *out, int anthropic);

/* Appends the /v1/models list (named models, as served; not "*"), each
 * entry in its profile's shape. */
void mock_reply_models(struct buf *out, const struct mock_rules *r);

#endif
