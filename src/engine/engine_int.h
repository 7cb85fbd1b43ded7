/* engine_int.h — what the files of src/engine/ share: the run's state,
 * its slots and the pending queue.  Not a front door: other modules use
 * engine.h. */
#ifndef ASSAY_ENGINE_INT_H
#define ASSAY_ENGINE_INT_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "engine.h"
#include "retry.h"
#include "../score/judge.h"
#include "../score/score.h"
#include "../util/buf.h"
#include "../util/sse.h"

/* A response body larger than this is an error, not an allocation. */
#define MAX_BODY ((size_t)64 << 20)
#define MAX_STDERR ((size_t)64 << 10)

struct pstate {
	struct provider *p;
	long cursor, n_items;
	int in_flight;
	struct aimd aimd;      /* concurrency limit, 1 … aimd.max */
	double pause_until;    /* mono ms */
	double rpm_tokens, tpm_tokens, last_refill;
	long hits_429;
	long keepalive_s;      /* the server's Keep-Alive timeout, -1 unknown */
};

struct slot;

/* An attempt waiting to start: a retry after its backoff, or a judge call
 * waiting for a judge slot. */
struct pending {
	int prov;
	long item;
	int attempt;
	double ready_at, waited_ms;
	struct slot *parent;     /* judge calls: the candidate being graded */
	size_t call;
	char *messages;          /* judge calls: a repair conversation (owned) */
	bool repaired;
};

/* What a busy slot is doing; each role's work is serviced, timed out and
 * finished by its own file, only while the slot has that role. */
enum slot_role {
	ROLE_FREE,
	ROLE_HTTP,      /* a transfer in flight (candidate or judge call) */
	ROLE_EXEC,      /* an `exec:` child running */
	ROLE_JUDGING,   /* a candidate waiting for its judge calls */
	ROLE_GRADING,   /* a candidate graded by a child (engine_grade.c) */
};

struct slot {
	bool busy, is_exec, is_judge;
	enum slot_role role;
	int prov;                /* index into run.ps */
	long item;
	size_t test, prompt;
	int rep, attempt;
	double waited_ms;
	char *prompt_text;
	double started_wall, t_start, t_first_byte, t_first_token, t_last_data;
	long est_tokens;
	/* HTTP */
	CURL *easy;
	struct http_request req;
	struct buf body;
	bool too_big, sse_mode, sse_decided, stream_done, stream_failed;
	struct sse sse;
	struct buf text;
	struct response sresp;   /* filled by stream events */
	long hint_ms;
	int resends;             /* libcurl's own re-sends that count as retries */
	bool reuse_reset;        /* the reused connection was reset or unwritable */
	char cache_key[65];
	bool cacheable;
	char errbuf[CURL_ERROR_SIZE];
	/* exec */
	pid_t pid;
	int fd_in, fd_out, fd_err;
	char *stdin_text;
	size_t stdin_off, stdin_len;
	struct buf out, errb;
	bool exited;
	int wstatus;
	/* a judge call: whose, which, and whether it is a repair */
	struct slot *parent;
	size_t call;
	bool repaired;
	char *messages;
	/* a candidate waiting for its judges */
	bool judging;
	struct response cand;
	struct judge_call *calls;
	size_t n_calls, n_open;
	char **jtext, **jerr;
	double **jvec;
	size_t *jdim;
	double judge_cost, judge_latency;
	int judge_count;
	/* graded off the loop (engine_grade.c) */
	pid_t g_pid;
	int g_fd;
	double g_deadline;
	struct buf g_out;
	bool g_judged;
	struct judge_reply *g_replies;   /* owned; the judged path */
	/* a comparison (select-best, compare) of every provider's output */
	bool is_compare;
	size_t cmp_ai;
	char **outputs;
};

struct run {
	const struct suite *s;
	struct store *st;
	int64_t run_id;
	const struct engine_opts *o;
	struct engine_totals *tot;
	CURLM *multi;
	struct slot *slots;
	int n_slots, in_flight;
	struct pstate *ps;       /* candidates [0, n_cand), then judges */
	size_t n_ps, n_cand, rr;
	int cand_slots, cand_in_flight, judge_in_flight;
	struct pending *pend;
	size_t n_pend, cap_pend;
	long items_per_prov;
	double next_start;       /* --delay */
	/* the comparison pass: a cursor over (test, prompt, repeat, assertion) */
	bool cmp_phase;
	size_t cmp_t, cmp_p, cmp_a;
	int cmp_r, cmp_active;
	bool cmp_done;
	uint64_t rng;
	struct err *err;
	int rc;
};

/* engine.c: the end of one attempt (retry it, or finish it); takes resp. */
void attempt_done(struct run *r, struct slot *sl, struct response *resp);
/* engine.c: stores and counts one result (g NULL: resp is an error). */
void engine_record(struct run *r, struct slot *sl, struct response *resp,
		   struct grade *g);
/* engine.c: grading failed for a reason that is not the model's. */
void engine_grading_error(struct response *resp, const struct err *gerr);
/* engine.c: frees a slot's per-attempt state and marks it free. */
void engine_release(struct run *r, struct slot *sl);

/* engine_grade.c: grading off the loop, in a child with hard limits. */
bool engine_grade_offloop(const struct test_case *tc);
long engine_grade_timeout_ms(const struct engine_opts *o);
/* Forks the child grading sl->cand (judged: with `replies`, which the
 * slot takes); the slot becomes ROLE_GRADING.  -1 when it cannot fork. */
int engine_grade_start(struct run *r, struct slot *sl, bool judged,
		       struct judge_reply *replies);
void engine_grade_service(struct run *r, struct slot *sl);
void engine_grade_check_deadline(struct run *r, struct slot *sl, double now);
void engine_grade_kill(struct slot *sl);

/* engine_exec.c: `exec:` children on the event loop. */
int engine_spawn_child(struct slot *sl, const struct provider *p, char **argv,
		       char *why, size_t why_n);
void engine_service_exec(struct run *r, struct slot *sl);
void engine_finish_exec(struct run *r, struct slot *sl, bool timed_out);
void engine_kill_child(struct slot *sl);

#endif
