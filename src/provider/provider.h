/* provider.h — the front door of the provider layer: turn a rendered prompt
 * into a request for one provider (an HTTP request, or a local program to
 * run), and its reply into a `struct response`.
 *
 * Providers do no I/O: the engine owns the event loop, the transfers and
 * the child processes.  A provider id selects an implementation by prefix
 * from the table in provider.c; `provider_new` reads and checks the
 * provider's config (unknown keys are errors naming the key) and resolves
 * its API key from the config or the environment.  The key lives only in
 * the provider's memory and request headers — never in a response, error
 * message, log or the store.
 *
 * Ownership: `provider_new` returns an owned provider (free with
 * `provider_free`); `http_request` members are owned by the request and
 * released with `http_request_cleanup`; argv arrays from `exec_argv` are
 * owned by the caller (free each string, then the array). */
#ifndef ASSAY_PROVIDER_H
#define ASSAY_PROVIDER_H

#include <stdbool.h>
#include <stddef.h>

#include "../util/buf.h"
#include "../util/err.h"
#include "../suite/suite.h"
#include "cost.h"
#include "response.h"

struct curl_slist;

struct http_request {
	char *url;
	char *method;              /* NULL = POST */
	struct curl_slist *headers;
	char *body;                /* NULL for a GET */
	size_t body_len;
};

void http_request_cleanup(struct http_request *req);

/* What one SSE event did to a streamed response. */
enum stream_step {
	STREAM_MORE,   /* keep reading */
	STREAM_DONE,   /* the stream's own end marker arrived */
	STREAM_ERROR   /* resp->error and error_msg are set */
};

struct provider;

struct provider_ops {
	const char *name;      /* "openai", "anthropic", "http", "exec", "echo" */
	bool echo;             /* no request: the output is the prompt
				* (prov_echo.c; the engine answers it) */
	/* Reads spec->config into p->state; errors carry the spec's location. */
	int (*init)(struct provider *p, struct err *err);
	void (*cleanup)(struct provider *p);
	/* HTTP providers.  A chat prompt is a JSON array of messages;
	 * otherwise the text is one user message. */
	int (*build)(const struct provider *p, const char *prompt, bool is_chat,
		     const json_t *vars, struct http_request *req,
		     struct err *err);
	/* Fills resp (output, finish reason, usage, or a typed error) from a
	 * whole (non-streamed) body.  Never fails: a bad body is
	 * RESP_ERR_BODY. */
	void (*parse)(const struct provider *p, long status, const char *body,
		      size_t len, struct response *resp);
	/* Streaming (when p->stream): one Server-Sent Event.  Appends text
	 * deltas to `text`, sets finish reason and usage in resp. */
	enum stream_step (*stream_event)(const struct provider *p,
					 const char *event, const char *data,
					 size_t len, struct buf *text,
					 struct response *resp);
	/* Exec providers (build/parse are NULL): the program and arguments
	 * for one prompt; *stdin_text is what to write on its stdin (owned). */
	int (*exec_argv)(const struct provider *p, const char *prompt,
			 const struct prompt *pr, const json_t *vars,
			 char ***argv, char **stdin_text, struct err *err);
	/* Script providers (file://x.js, file://x.py; prov_code.c): the
	 * request for the run's code worker (owned) and its language (0
	 * JavaScript, 1 Python); then the worker's reply → resp. */
	int (*code_request)(const struct provider *p, const char *prompt,
			    const struct prompt *pr, const json_t *vars,
			    int *lang, json_t **req, struct err *err);
	void (*code_reply)(const struct provider *p, const json_t *reply,
			   struct response *resp);
};

/* Transport settings every provider has (config keys in brackets). */
struct transport {
	long timeout_ms;            /* whole request [timeout_ms] 120000 */
	long connect_timeout_ms;    /* [connect_timeout_ms] 10000 */
	long first_byte_timeout_ms; /* [first_byte_timeout_ms] 0 = none */
	long idle_timeout_ms;       /* between stream chunks [idle_timeout_ms] 0 = none */
	int max_concurrency;        /* [max_concurrency] 0 = only -j */
	double rpm, tpm;            /* budgets per minute [rpm] [tpm] 0 = none */
	int max_retries;            /* [max_retries] 4 */
	long retry_base_ms;         /* [retry_base_ms] 500 */
	long retry_max_ms;          /* [retry_max_ms] 30000 */
	long unavailable_wait_ms;   /* total wait for "unavailable" (503,
				     * loading) errors past max_retries
				     * [unavailable_wait_ms] 60000 */
};

struct provider {
	const struct provider_ops *ops;
	const struct provider_spec *spec;  /* borrowed from the suite */
	char *model;                       /* the part after the prefix */
	const char *default_base;          /* the alias's base URL, or NULL */
	bool stream;                       /* [stream] ask for SSE */
	bool embed;                        /* an embeddings endpoint: the
					    * output is the vector as JSON */
	bool has_price;                    /* [cost] or the price table */
	bool price_from_config;            /* [cost] given: it always wins */
	bool local;                        /* a local-server alias (llamacpp:,
					    * ollama:, vllm:): free unless
					    * [cost] says otherwise */
	struct price price;
	bool *warned_served;               /* owned; set once the "another
					    * model answered" warning is out */
	struct transport tr;
	char *dir;                         /* the suite's directory */
	void *state;
};

int provider_new(const struct provider_spec *spec, const char *suite_dir,
		 struct provider **out, struct err *err);
void provider_free(struct provider *p);

/* An embeddings twin of an OpenAI-compatible chat provider: the same base
 * URL, key and model name, asking /embeddings (for judges of
 * answer-relevance, which need both).  Returns 0 with *out owned, or
 * non-zero when `chat` has no such twin (not OpenAI-compatible). */
int provider_new_embedder(const struct provider *chat, struct provider **out,
			  struct err *err);

/* True for the config keys provider_new reads itself (cost, stream and
 * the transport keys); implementations skip them when they check for
 * unknown keys. */
bool provider_generic_key(const char *key);

/* An `exec:` provider's cap on its program's stdout in bytes
 * ([max_output_bytes], default 64 MiB; prov_exec.c). */
size_t provider_exec_max_output(const struct provider *p);

/* Sets resp->cost_usd from the usage: by config.cost when given; 0 for
 * a local alias; else by the model the server says answered
 * (resp->served_model) when the price table knows it, else — when that
 * model is another than the one asked for — unknown (-1), else by the
 * asked model's price.  Warns on stderr, once per provider, when the
 * served model differs from the asked one beyond a version suffix. */
void provider_set_cost(const struct provider *p, struct response *resp);

/* True when `served` names the model `asked` up to a version suffix
 * ("gpt-4o-mini" / "gpt-4o-mini-2024-07-18", "llama3" / "llama3:latest");
 * case-insensitive. */
bool provider_same_model(const char *asked, const char *served);

/* Reports a config problem at the provider's location. */
int provider_config_error(const struct provider *p, struct err *err,
			  const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Shared config readers for the HTTP providers.  `apiKey` / `apiKeyEnv`:
 * returns 1 when k is one of them (*key set, borrowed from the config or
 * the environment, when it gives one), 0 when it is not, or ST_INPUT with
 * err set. */
int provider_key_option(const struct provider *p, const char *k,
			const json_t *v, const char **key, struct err *err);

/* `headers`: a map of name → string; *out is an owned copy. */
int provider_headers_option(const struct provider *p, const json_t *v,
			    json_t **out, struct err *err);

/* Fills a JSON POST: url, body (consumed, serialised compactly), the
 * Content-Type and empty Expect headers, `lines` (n of them; NULL entries
 * are skipped) and the config `headers` map. */
void provider_json_request(struct http_request *req, const char *url,
			   json_t *body, const char *const *lines, size_t n,
			   const json_t *headers);

/* A server's error reply (prov_error.c): sets resp->error (HTTP),
 * http_status, error_type, error_msg ("HTTP 503 unavailable_error: …") and,
 * when the server says so, prompt_tokens.  `root` is the parsed body
 * (may be NULL: the excerpt of `body` is the message).  `in_stream`: the
 * error arrived as an event after a 200, and its status is the one it
 * stands for (provider_error_status). */
void provider_read_error(const json_t *root, long status, const char *body,
			 size_t len, bool in_stream, struct response *resp);

/* The HTTP status an error reply stands for: its integer `code`, else its
 * type's (unavailable_error → 503, rate_limit_error → 429, …), else 500. */
int provider_error_status(const json_t *root);

/* The offset of the first byte that makes s[0..n) not storable text — a
 * NUL, or the start of an invalid UTF-8 sequence (overlong forms,
 * surrogates and code points past U+10FFFF are invalid) — or n when it
 * is all valid. */
size_t provider_text_check(const char *s, size_t n);

/* A printable excerpt (≤ 300 bytes, control characters as spaces); owned. */
char *provider_excerpt(const char *s, size_t n);

/* Parses a reply (whole body or one stream event) like json_loadb, with
 * the memory budget reply_json_bytes (util/limits.h): a body of small
 * values that would take gigabytes as a tree fails instead, je->text
 * saying so.  New reference or NULL. */
json_t *provider_json_load(const char *body, size_t len, size_t flags,
			   json_error_t *je);

/* Splits a command line into words with POSIX-shell quoting (no shell
 * runs).  Returns 0 with an owned NULL-terminated array, or -1 with *why
 * (static text) on an unterminated quote or an empty command. */
int provider_split_words(const char *s, char ***out, size_t *n_out,
			 const char **why);

/* A prompt's `config` (suite.h: checked request parameters) over the
 * provider's: provider_check_prompt_config fails (ST_INPUT at the prompt)
 * unless the provider is an OpenAI-compatible chat or completion one;
 * provider_apply_prompt_config puts the keys into a built request's JSON
 * body, replacing the provider's values (promptfoo's
 * {...provider.config, ...prompt.config}).  Both return 0 when the
 * prompt has no config. */
int provider_check_prompt_config(const struct provider *p,
				 const struct prompt *pr, struct err *err);
int provider_apply_prompt_config(const struct provider *p,
				 const struct prompt *pr,
				 struct http_request *req, struct err *err);

/* The implementations (table entries in provider.c). */
extern const struct provider_ops prov_openai_ops, prov_anthropic_ops,
	prov_http_ops, prov_exec_ops, prov_echo_ops, prov_code_ops;

#endif
