/* provider.h — the front door of the provider layer: turn a rendered prompt
 * into an HTTP request for one provider, and its reply into a
 * `struct response`.
 *
 * Providers do no I/O: the engine owns the event loop and the transfers.
 * A provider id ("openai:chat:gpt-4o-mini") selects an implementation by
 * prefix from the table in provider.c; `provider_new` reads and checks the
 * provider's config (unknown config keys are errors naming the key) and
 * resolves its API key from the config or the environment.  The key lives
 * only in the provider's memory and request headers — never in a response,
 * error message, log or the store.
 *
 * Ownership: `provider_new` returns an owned provider (free with
 * `provider_free`); `http_request` members are owned by the request and
 * released with `http_request_cleanup`. */
#ifndef ASSAY_PROVIDER_H
#define ASSAY_PROVIDER_H

#include <stdbool.h>
#include <stddef.h>

#include "../util/err.h"
#include "../suite/suite.h"
#include "response.h"
#include "cost.h"

struct curl_slist;

struct http_request {
	char *url;
	struct curl_slist *headers;
	char *body;
	size_t body_len;
};

void http_request_cleanup(struct http_request *req);

struct provider;

struct provider_ops {
	const char *prefix;    /* matched against the start of the id */
	/* Reads spec->config into p->state; errors carry the spec's location. */
	int (*init)(struct provider *p, struct err *err);
	void (*cleanup)(struct provider *p);
	/* Builds the request for one rendered prompt.  A chat prompt is a JSON
	 * array of messages; otherwise the text is one user message. */
	int (*build)(const struct provider *p, const char *prompt, bool is_chat,
		     struct http_request *req, struct err *err);
	/* Fills resp (output, finish reason, usage, or a typed error) from the
	 * HTTP status and body.  Never fails: a bad body is RESP_ERR_BODY. */
	void (*parse)(const struct provider *p, long status, const char *body,
		      size_t len, struct response *resp);
};

struct provider {
	const struct provider_ops *ops;
	const struct provider_spec *spec;  /* borrowed from the suite */
	char *model;                       /* the part after the prefix */
	long timeout_ms;                   /* whole request; default 120000 */
	bool has_price;                    /* config.cost or the price table */
	struct price price;
	void *state;
};

/* Config keys every provider accepts, read by provider_new itself:
 * cost {input_per_mtok, output_per_mtok}, timeout_ms.  Implementations
 * skip them when they check for unknown keys. */
bool provider_generic_key(const char *key);

int provider_new(const struct provider_spec *spec, struct provider **out,
		 struct err *err);
void provider_free(struct provider *p);

/* Sets resp->cost_usd from the usage when the provider has a price. */
void provider_set_cost(const struct provider *p, struct response *resp);

/* The implementations (table entries). */
extern const struct provider_ops prov_openai_ops;

#endif
