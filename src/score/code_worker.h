/* code_worker.h — private to src/score/: long-lived JavaScript (`node`) and
 * Python (`python3`) worker processes that run promptfoo-style code
 * assertions, one process per language per run, started on first use.
 *
 * Protocol (src/score/workers/worker.{js,py}): a request and its reply are
 * each a 4-byte big-endian length and a JSON object, over one socketpair
 * (the worker's fd 0 and fd 3; its stdout and stderr go to a private file,
 * so a user's print can never corrupt a reply).  Calls to one language are
 * serialised by a mutex; each has a deadline after which the worker is
 * killed and started again on the next call.  Node runs with a heap limit
 * and Python under an address-space limit. */
#ifndef ASSAY_CODE_WORKER_H
#define ASSAY_CODE_WORKER_H

#include <jansson.h>

#include "../util/err.h"

/* CODE_JS_PROV / CODE_PY_PROV: the same languages in workers of their
 * own for script providers (src/engine/engine_code.c). */
enum code_lang { CODE_JS, CODE_PY, CODE_JS_PROV, CODE_PY_PROV };

/* Sends `req` (borrowed) to the worker of `lang` and waits at most
 * timeout_ms for its reply.  Returns 0 with *reply an owned object, or
 * ST_INTERNAL with err set (the interpreter is missing, the worker crashed
 * or timed out — then it was killed — or broke the protocol) and *reply
 * NULL.  The interpreters are `node` and `python3`, or $ASSAY_NODE and
 * $ASSAY_PYTHON.  Thread-safe. */
int code_worker_call(enum code_lang lang, const json_t *req, long timeout_ms,
		     json_t **reply, struct err *err);

/* Stops both workers (they exit when their socket closes).  Optional. */
void code_worker_shutdown(void);

#endif
