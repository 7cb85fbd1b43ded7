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
	/* Future: per-rule `faults:` (429/500/503, reset, stream cut, hang)
	 * with a seeded probability would live here. */
};

struct mock_model {
	char *name;               /* "*" = serves any model name */
	double accuracy;          /* 0..1; default 1 */
	int latency_ms;           /* fixed part */
	int latency_min_ms, latency_max_ms; /* uniform part (0,0 = none) */
	int chunk_delay_ms;       /* between SSE chunks */
	struct mock_rule *rules;  /* tried before the global rules */
	size_t n_rules;
	char *default_reply;      /* NULL = the global default */
	char **wrong;             /* NULL = the global `wrong` */
	size_t n_wrong;
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

/* Answers a prompt: the model's rules, then the global rules, first match
 * wins; the draw decides between `reply` and a `wrong` reply; nothing
 * matching gives the default.  `model_name` is the name the client asked
 * for (it feeds the draw and {{model}}).  Never fails. */
void mock_rules_answer(const struct mock_rules *r, const struct mock_model *m,
		       const char *model_name, uint64_t seed,
		       const struct mock_prompt *p, struct mock_answer *out);

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
};

/* Appends a chat.completion JSON object. */
void mock_reply_completion(struct buf *out, const struct mock_completion *c);

/* Appends the whole SSE stream of chat.completion.chunk events, ending
 * with "data: [DONE]\n\n".  When `ends` is not NULL it receives an owned
 * array of the end offsets of each event (*n_ends of them), so a slow
 * stream can send them one at a time. */
void mock_reply_stream(struct buf *out, const struct mock_completion *c,
		       int include_usage, size_t **ends, size_t *n_ends);

/* Appends an OpenAI-style error body {"error":{message,type,param,code}};
 * `code` may be NULL (JSON null). */
void mock_reply_error(struct buf *out, const char *type, const char *code,
		      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Appends the /v1/models list (named models; not "*"). */
void mock_reply_models(struct buf *out, const struct mock_rules *r);

#endif
