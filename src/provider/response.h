/* response.h — what one provider call produced: the model's output, or an
 * infrastructure error, plus timings and usage.  Filled by the providers,
 * read by grading, the store and the reports.
 *
 * Ownership: strings are owned by the struct; `response_cleanup` frees them
 * and leaves the struct zeroed. */
#ifndef ASSAY_RESPONSE_H
#define ASSAY_RESPONSE_H

#include <stdbool.h>

/* Infrastructure errors are data, never model failures. */
enum resp_error {
	RESP_OK = 0,
	RESP_ERR_CONNECT,    /* refused, DNS, reset */
	RESP_ERR_TIMEOUT,
	RESP_ERR_HTTP,       /* HTTP status >= 400 */
	RESP_ERR_BODY,       /* body not parseable / unexpected shape */
	RESP_ERR_EXEC,       /* local program failed */
	RESP_ERR_OTHER
};

struct response {
	enum resp_error error;
	char *error_msg;       /* NULL when error == RESP_OK */
	char *error_type;      /* the server's own error type
				* ("unavailable_error", "rate_limit_error",
				* "exceed_context_size_error", ...) or NULL */
	int http_status;       /* 0 when not HTTP; for an error event inside
				* a stream, the status the event stands for */
	bool in_stream;        /* the error arrived as a stream event */
	char *served_model;    /* `model` the server says answered, or NULL */
	char *output;          /* model text; NULL on error */
	char *finish_reason;   /* "stop", "length", … or NULL */
	long prompt_tokens, completion_tokens, total_tokens; /* -1 unknown */
	double latency_ms;     /* request start to last byte */
	double ttft_ms;        /* to first token (streaming), else -1 */
	double cost_usd;       /* -1 when unknown */
	int retries;           /* attempts after the first */
	double retry_wait_ms;  /* time spent waiting between attempts */
	bool cached;           /* served from the response cache */
	double confidence;     /* exp(mean token logprob) of the answer when
				* the provider returned logprobs, else -1 */
	double logprob_sum;    /* streaming: sum and count of the token */
	long logprob_n;        /* logprobs seen so far (0 = none) */
};

/* Stable names: "ok", "connect", "timeout", "http", "body", "exec", "other". */
const char *resp_error_name(enum resp_error e);

void response_init(struct response *r);     /* zero + unknowns to -1 */
void response_cleanup(struct response *r);

#endif
