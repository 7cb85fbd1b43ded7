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
struct judging;

/* An attempt waiting to start: a retry after its backoff, or a judge call
 * waiting for a judge slot. */
struct pending {
	int prov;
	long item;
	int attempt;
	double ready_at, waited_ms;
	struct judging *parent;  /* judge calls: whose judges they are */
	size_t call;
	char *messages;          /* judge calls: a repair conversation (owned) */
	bool repaired;
	struct conv_run *cv;     /* a conversation's next turn or retry (owned) */
};

/* What a busy slot is doing.  Each role's work is serviced, timed out and
 * finished by its own file, and only while the slot has that role; the
 * end of an attempt moves the slot out of ROLE_HTTP / ROLE_EXEC before
 * anything else happens, so an attempt cannot be finished twice. */
enum slot_role {
	ROLE_FREE,
	ROLE_HTTP,      /* a transfer in flight, candidate or judge call (engine_http.c) */
	ROLE_EXEC,      /* an `exec:` child running (engine_exec.c) */
	ROLE_DONE,      /* the attempt is over; its result is being handled */
	ROLE_JUDGING,   /* a candidate waiting for its judge calls (engine_judge.c) */
	ROLE_GRADING,   /* a candidate graded by a child (engine_grade.c) */
};

/* ROLE_HTTP: one transfer. */
struct slot_http {
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
	double t_first_byte, t_first_token, t_last_data;
	char errbuf[CURL_ERROR_SIZE];
};

/* ROLE_EXEC: one child. */
struct slot_exec {
	pid_t pid;
	int fd_in, fd_out, fd_err;
	char *stdin_text;
	size_t stdin_off, stdin_len;
	struct buf out, errb;
	bool exited, too_big;
	int wstatus;
	bool code;               /* a script provider's call (engine_code.c):
				  * fd_out is its thread's socket, no child */
};

/* The judge calls of one candidate (ROLE_JUDGING) or of one comparison:
 * who is waiting, the calls and their answers so far. */
struct judging {
	struct slot *cand;       /* the candidate's slot, or NULL: */
	struct comparison *cmp;  /* the comparison */
	size_t test;
	struct judge_call *calls;
	size_t n_calls, n_open;
	char **jtext, **jerr;
	double **jvec;
	size_t *jdim;
	double judge_cost, judge_latency;
	int judge_count;
};

/* ROLE_GRADING: a child grading the candidate (engine_grade.c). */
struct slot_grade {
	pid_t pid;
	int fd;
	double deadline;
	struct buf out;
	bool judged;
	struct judge_reply *replies;   /* owned; the judged path */
	long script_pgid;              /* the script it runs now, or 0 */
};

/* A comparison (select-best, compare) of every provider's output. */
struct comparison {
	size_t test, prompt, ai;
	int rep;
	char **outputs;
	struct judging *jd;
};

struct slot {
	/* the common head */
	bool busy, is_judge;
	enum slot_role role;
	int prov;                /* index into run.ps */
	long item;
	size_t test, prompt;
	int rep, attempt;
	double waited_ms;
	char *prompt_text;
	double started_wall, t_start;
	long est_tokens;
	CURL *easy;              /* kept for reuse across attempts */
	/* a judge call: whose, which, and whether it is a repair */
	struct judging *parent;
	size_t call;
	bool repaired;
	char *messages;
	/* the candidate's final response, held while judged or graded */
	struct response cand;
	bool holds_cand;
	/* the role's part */
	union {
		struct slot_http h;
		struct slot_exec x;
	} u;
	struct judging *jd;      /* ROLE_JUDGING, and ROLE_GRADING after judges */
	struct slot_grade g;     /* ROLE_GRADING */
	struct conv_run *cv;     /* a conversation in progress (owned), or NULL */
	bool cvar_open;          /* holds its `_conversation` chain (engine_cvar.c) */
	bool holds_test;         /* holds its test (suite_test_hold): every
				  * suite_test(r->s, sl->test) of the slot,
				  * its judges' and grader's, reads a test
				  * that stays in memory */
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
	/* promptfoo's `_conversation` var (engine_cvar.c): which prompts
	 * use it, each chain's history and whether its item is in flight */
	bool *cvar_uses;
	json_t *cvar_hist, *cvar_busy;
	struct engine_socks *socks; /* libcurl's sockets and timer (engine_sock.c) */
};

/* engine.c: the end of one attempt (retry it, or finish it); takes resp.
 * The slot must be in ROLE_HTTP or ROLE_EXEC (else nothing happens). */
void attempt_done(struct run *r, struct slot *sl, struct response *resp);
/* engine.c: stores and counts one result (g NULL: resp is an error). */
void engine_record(struct run *r, struct slot *sl, struct response *resp,
		   struct grade *g);
/* engine.c: grading failed for a reason that is not the model's. */
void engine_grading_error(struct response *resp, const struct err *gerr);
/* engine.c: frees whatever the slot's role holds and marks it free. */
void engine_release(struct run *r, struct slot *sl);
/* engine.c: a new pending entry (zeroed) at the end of the queue. */
struct pending *engine_push_pending(struct run *r);
/* engine.c: starts a prepared attempt on a busy slot that failed before
 * it could be sent: never retried. */
void engine_fail_now(struct run *r, struct slot *sl, enum resp_error e,
		     const char *msg);
/* engine.c: claims a free slot for an attempt and counts it in flight. */
struct slot *engine_slot_begin(struct run *r, int prov, int attempt,
			       double waited, bool judge);
/* engine.c: debits a provider's budgets for a request of est tokens. */
void engine_debit(struct pstate *ps, long est);
/* engine.c: rough tokens of a request before it is sent. */
long engine_estimate_tokens(const struct provider *p, const char *prompt);
/* engine.c: true once engine_request_stop was called. */
bool engine_stopping(void);

/* engine_sock.c: the loop's wait on libcurl's socket interface.  init
 * registers the callbacks on r->multi; drive runs libcurl for the sockets
 * the last wait found ready and for its timer, if due (finished
 * transfers are then in curl_multi_info_read); wait sleeps until one of
 * libcurl's sockets or the engine's `wfds` is ready, libcurl's timer
 * falls due, or timeout_ms passes. */
void engine_socks_init(struct run *r);
void engine_socks_drive(struct run *r);
void engine_socks_wait(struct run *r, const struct curl_waitfd *wfds,
		       unsigned nw, int timeout_ms);
void engine_socks_free(struct run *r);

/* engine_http.c: transfers through libcurl's multi handle. */
extern struct run *engine_current_run;
void engine_start_http(struct run *r, struct slot *sl, const struct provider *p);
/* A finished (or aborted: forced ≠ RESP_OK) transfer → attempt_done. */
void engine_finish_http(struct run *r, struct slot *sl, CURLcode cc,
			enum resp_error forced, const char *forced_msg);
void engine_http_timeouts(struct run *r, struct slot *sl, double now);
void engine_http_part_free(struct slot *sl);

/* engine_cvar.c: promptfoo's `_conversation` var.  A chain is one
 * (provider, prompt, repeat, test metadata conversationId); its items run
 * one at a time in test order, and each sees the earlier ones' prompts
 * and outputs. */
void engine_cvar_init(struct run *r);
void engine_cvar_free(struct run *r);
/* True when the item may not start yet: its chain has one in flight. */
bool engine_cvar_blocked(const struct run *r, int prov, long item);
/* The vars for the slot's prompt with `_conversation` added (owned), or
 * NULL when its prompt does not use it; takes the chain (first attempt). */
json_t *engine_cvar_vars(struct run *r, struct slot *sl);
/* The slot's item is over: appends {prompt, input, output} (resp NULL:
 * no output) and frees the chain.  Nothing when the slot holds none. */
void engine_cvar_end(struct run *r, struct slot *sl,
		     const struct response *resp);

/* engine_code.c: script providers' calls on the event loop (a slot in
 * ROLE_EXEC with u.x.code; engine_exec.c hands them over). */
void engine_launch_code(struct run *r, struct slot *sl,
			const struct provider *p, const struct prompt *pr);
void engine_service_code(struct run *r, struct slot *sl);
void engine_code_timeouts(struct run *r, struct slot *sl, double now);

/* engine_exec.c: `exec:` children on the event loop. */
void engine_launch_exec(struct run *r, struct slot *sl, const struct provider *p,
			const struct prompt *pr);
void engine_service_exec(struct run *r, struct slot *sl);
void engine_exec_timeouts(struct run *r, struct slot *sl, double now);
void engine_kill_child(struct slot *sl);
void engine_exec_part_free(struct slot *sl);

/* engine_judge.c: model-graded assertions. */
/* A candidate's final response: grade it (here or in a child), or hand
 * its judge calls to the queue.  Returns true when the slot stays busy. */
bool engine_grade_or_judge(struct run *r, struct slot *sl, struct response *resp);
/* A judge call's final answer (or failure) reaches whoever waits for it. */
void engine_deliver(struct run *r, struct slot *sl, struct response *resp);
/* Starts one judge call (pending entry pe). */
void engine_launch_judge(struct run *r, const struct pending *pe);
/* A pending call with no judge: answered with that error. */
void engine_no_judge(struct run *r, const struct pending *pe);
/* The run.ps index of the judge for call `call` of jd, or -1. */
int engine_judge_index(const struct run *r, const struct judging *jd, size_t call);
/* A judging record for n calls (taken), and its release. */
struct judging *engine_judging_new(size_t test, struct judge_call *calls, size_t n);
void engine_judging_free(struct judging *jd);
/* Queues every call of jd from index `from`. */
void engine_queue_calls(struct run *r, struct judging *jd, size_t from);

/* engine_conv.c: conversations (suite/conv.h), a chain of requests. */
struct conv_run;
void engine_conv_free(struct conv_run *cv);
/* The request text of the turn in flight: the history as a JSON array of
 * chat messages; *cvp is created at the first turn (owned by the caller).
 * NULL with err set when a template does not render. */
char *engine_conv_prompt(struct run *r, struct slot *sl, struct conv_run **cvp,
			 struct err *err);
/* After engine_conv_prompt returned NULL without an error: the first
 * call is the simulated user's, so the slot hands the conversation to
 * the pending queue (released; true).  False when there is nothing to
 * hand over. */
bool engine_conv_handoff(struct run *r, struct slot *sl);
/* The request text of the call in flight (candidate or simulated user). */
char *engine_conv_request(struct run *r, struct slot *sl, struct err *err);
/* A conversation's final attempt of a turn (resp taken by nobody): stores
 * and grades the turn; true when the next turn was queued (the slot may
 * be released), false when resp is now the whole conversation's outcome
 * (the transcript, or its infrastructure error). */
bool engine_conv_next(struct run *r, struct slot *sl, struct response *resp);
/* Folds the turns' verdicts into the conversation's grade. */
void engine_conv_fold(const struct slot *sl, struct grade *g);

/* engine_compare.c: the comparison pass. */
bool engine_needs_comparisons(const struct suite *s);
void engine_start_comparisons(struct run *r);
void engine_compare_done(struct run *r, struct comparison *c);

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

#endif
