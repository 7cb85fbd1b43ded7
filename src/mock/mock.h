/* mock.h — `assay mock`: a scripted model server on loopback speaking the
 * OpenAI chat completions and the Anthropic Messages protocols, with
 * seeded fault injection — for tests, benchmarks, the offline demo and
 * users' own offline CI runs.  docs/mock.md describes the rules file and the HTTP surface.
 *
 * Front door of src/mock/.  A server is started from a `struct mock_config`
 * (which it copies; the caller keeps ownership of the strings) and runs on
 * libmicrohttpd's own threads until mock_server_stop().  Everything it
 * needs per request (rules, compiled regexes) is prepared at start, so the
 * request path never touches the file system. */
#ifndef ASSAY_MOCK_H
#define ASSAY_MOCK_H

#include <stdint.h>

#include "util/err.h"

struct mock_config {
	const char *rules_path;   /* YAML rules file; NULL = built-in rules */
	const char *rules_yaml;   /* rules given as text (tests); wins over path */
	const char *host;         /* NULL = "127.0.0.1" */
	int port;                 /* 0 = pick a free port */
	uint64_t seed;            /* accuracy seed, used when seed_set */
	int seed_set;             /* 1: `seed` overrides the file's `seed:` */
	int threads;              /* worker threads; 0 = number of CPUs */
	int quiet;                /* no request log on stderr */
	const char *faults;       /* "rate_limit=0.1,reset=0.05,..." replacing
				   * the file's top-level faults; NULL = none */
};

struct mock_server;

/* Loads the rules and starts listening.  On success stores an owned handle
 * in *out and returns ST_OK.  On failure returns a status with `err` filled
 * (ST_INPUT with file:line:col for a bad rules file, ST_NET when the
 * address cannot be bound, ST_USAGE for a bad host or faults spec) and
 * *out is NULL. */
int mock_server_start(const struct mock_config *cfg, struct mock_server **out,
		      struct err *err);

/* The TCP port the server listens on (the real one when cfg.port was 0). */
int mock_server_port(const struct mock_server *s);

/* Number of chat / messages requests answered so far (any status). */
uint64_t mock_server_requests(const struct mock_server *s);

/* Number of requests that met an injected fault so far. */
uint64_t mock_server_faults(const struct mock_server *s);

/* Stops listening, waits for in-flight requests and frees everything.
 * mock_server_stop(NULL) does nothing. */
void mock_server_stop(struct mock_server *s);

#endif
