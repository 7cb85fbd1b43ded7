/* test_mock_fault.c — fault injection without the network: faults blocks
 * in the rules file (and their errors), the --faults syntax, the
 * cumulative pick, the seeded per-attempt draw and the attempt counters. */
#include "t.h"

#include <stdlib.h>
#include <string.h>

#include "mock/mock_int.h"

static struct mock_rules *parse(const char *y, struct err *e)
{
	memset(e, 0, sizeof *e);
	return mock_rules_parse(y, strlen(y), "f.yaml", e);
}

TEST(mock_fault_blocks_and_precedence)
{
	static const char y[] =
		"faults: {server_error: 0.1}\n"
		"models:\n"
		"  - name: a\n"
		"    faults: {rate_limit: 0.25, retry_after_ms: 200, reset: 0.5}\n"
		"    rules:\n"
		"      - contains: calm\n"
		"        reply: ok\n"
		"        faults: {}\n"
		"  - name: b\n"
		"rules:\n"
		"  - contains: hang\n"
		"    reply: late\n"
		"    faults: {hang: 1, hang_ms: 50}\n";
	struct err e;
	struct mock_rules *r = parse(y, &e);
	const struct mock_model *a, *b;
	const struct mock_faults *f;
	struct mock_answer ans = { .rule = -1 };
	T_ASSERT(r != NULL);
	a = mock_rules_model(r, "a");
	b = mock_rules_model(r, "b");
	T_ASSERT(a && b);
	/* no rule matched: the model's block, else the top level */
	f = mock_rules_faults(r, a, &ans);
	T_NEAR(f->p[MOCK_FAULT_RATE_LIMIT], 0.25, 1e-12);
	T_NEAR(f->p[MOCK_FAULT_RESET], 0.5, 1e-12);
	T_EQ_INT(f->retry_after_ms, 200);
	T_EQ_INT(f->retry_after_s, -1);
	T_NEAR(f->p[MOCK_FAULT_SERVER_ERROR], 0, 0);
	f = mock_rules_faults(r, b, &ans);
	T_NEAR(f->p[MOCK_FAULT_SERVER_ERROR], 0.1, 1e-12);
	/* a matched rule's block wins, even an empty one */
	ans.rule = 0;
	ans.from_model = 1;
	f = mock_rules_faults(r, a, &ans);
	T_ASSERT(!mock_faults_any(f));
	ans.from_model = 0;
	f = mock_rules_faults(r, a, &ans);
	T_NEAR(f->p[MOCK_FAULT_HANG], 1, 0);
	T_EQ_INT(f->hang_ms, 50);
	T_EQ_INT(mock_rules_any_faults(r), 1);
	T_EQ_INT(mock_rules_fault_sleeps(r), 1);
	mock_rules_free(r);

	r = parse("models: [{name: x, faults: {reset: 0.3}}]\n", &e);
	T_ASSERT(r != NULL);
	T_EQ_INT(mock_rules_fault_sleeps(r), 0);
	T_EQ_INT(mock_rules_any_faults(r), 1);
	mock_rules_free(r);
	r = parse("models: [{name: x}]\n", &e);
	T_ASSERT(r != NULL);
	T_EQ_INT(mock_rules_any_faults(r), 0);
	mock_rules_free(r);
}

TEST(mock_fault_rules_errors)
{
	struct err e;
	T_ASSERT(parse("models:\n  - name: a\n    faults: {rate_limt: 0.1}\n", &e) == NULL);
	T_EQ_INT(e.line, 3);
	T_EQ_INT(e.col, 14);
	T_ASSERT(strstr(e.msg, "unknown key 'rate_limt'") != NULL);
	T_ASSERT(parse("models: [{name: a}]\nfaults:\n  reset: 1.5\n", &e) == NULL);
	T_EQ_INT(e.line, 3);
	T_EQ_INT(e.col, 10);
	T_ASSERT(strstr(e.msg, "reset: 1.5 is out of range 0..1") != NULL);
	T_ASSERT(parse("models: [{name: a}]\nfaults: {reset: 0.6, hang: 0.6}\n", &e) == NULL);
	T_EQ_INT(e.line, 2);
	T_ASSERT(strstr(e.msg, "add up to 1.2") != NULL);
	T_ASSERT(parse("models: [{name: a}]\nfaults: {hang_ms: soon}\n", &e) == NULL);
	T_ASSERT(strstr(e.msg, "hang_ms: expected a whole number") != NULL);
	T_ASSERT(parse("models: [{name: a}]\nfaults: [reset]\n", &e) == NULL);
	T_ASSERT(strstr(e.msg, "faults: expected a mapping") != NULL);
	T_ASSERT(parse("models: [{name: a}]\nrules:\n  - contains: x\n    reply: y\n"
		       "    faults: {reset: [1]}\n", &e) == NULL);
	T_EQ_INT(e.line, 5);
	T_ASSERT(strstr(e.msg, "reset: expected a number") != NULL);
}

TEST(mock_fault_spec_syntax)
{
	struct mock_faults f;
	struct err e = { 0 };
	T_EQ_INT(mock_faults_parse_spec("rate_limit=0.2,retry_after=3,reset=0.1,"
					"hang=0.05,hang_ms=1000", &f, &e), ST_OK);
	T_EQ_INT(f.set, 1);
	T_NEAR(f.p[MOCK_FAULT_RATE_LIMIT], 0.2, 1e-12);
	T_NEAR(f.p[MOCK_FAULT_RESET], 0.1, 1e-12);
	T_NEAR(f.p[MOCK_FAULT_HANG], 0.05, 1e-12);
	T_EQ_INT(f.retry_after_s, 3);
	T_EQ_INT(f.retry_after_ms, -1);
	T_EQ_INT(f.hang_ms, 1000);
	T_EQ_INT(f.slow_stream_ms, 200);
	T_EQ_INT(mock_faults_parse_spec("reset", &f, &e), ST_USAGE);
	T_ASSERT(strstr(e.msg, "'reset' is not NAME=VALUE") != NULL);
	T_EQ_INT(mock_faults_parse_spec("boom=0.1", &f, &e), ST_USAGE);
	T_ASSERT(strstr(e.msg, "unknown fault 'boom'") != NULL);
	T_EQ_INT(mock_faults_parse_spec("reset=0.7,malformed=0.7", &f, &e), ST_USAGE);
	T_ASSERT(strstr(e.msg, "add up to 1.4") != NULL);
	T_EQ_INT(mock_faults_parse_spec("reset=-0.1", &f, &e), ST_USAGE);
	T_EQ_INT(mock_faults_parse_spec("slow_stream_ms=999999", &f, &e), ST_USAGE);
	T_EQ_INT(mock_faults_parse_spec("", &f, &e), ST_OK);
	T_ASSERT(!mock_faults_any(&f));
	T_EQ_STR(mock_fault_name(MOCK_FAULT_WRONG_CONTENT_TYPE), "wrong_content_type");
	T_ASSERT(mock_fault_name(MOCK_FAULT_NONE) == NULL);
}

TEST(mock_fault_pick_is_cumulative)
{
	struct mock_faults f;
	mock_faults_init(&f);
	f.p[MOCK_FAULT_RATE_LIMIT] = 0.1;
	f.p[MOCK_FAULT_RESET] = 0.2;
	f.p[MOCK_FAULT_HANG] = 0.3;
	T_EQ_INT(mock_fault_pick(&f, 0.0), MOCK_FAULT_RATE_LIMIT);
	T_EQ_INT(mock_fault_pick(&f, 0.0999), MOCK_FAULT_RATE_LIMIT);
	T_EQ_INT(mock_fault_pick(&f, 0.1001), MOCK_FAULT_RESET);
	T_EQ_INT(mock_fault_pick(&f, 0.2999), MOCK_FAULT_RESET);
	T_EQ_INT(mock_fault_pick(&f, 0.3001), MOCK_FAULT_HANG);
	T_EQ_INT(mock_fault_pick(&f, 0.5999), MOCK_FAULT_HANG);
	T_EQ_INT(mock_fault_pick(&f, 0.6001), MOCK_FAULT_NONE);
	T_EQ_INT(mock_fault_pick(&f, 0.9999), MOCK_FAULT_NONE);
	f.p[MOCK_FAULT_SLOW_STREAM] = 0.4;
	T_EQ_INT(mock_fault_pick(&f, 0.9999), MOCK_FAULT_SLOW_STREAM);
}

TEST(mock_fault_draw_per_attempt)
{
	uint64_t k1 = mock_prompt_key(7, "m", "hello", 5);
	uint64_t k2 = mock_prompt_key(7, "m", "hellp", 5);
	double sum = 0, u0 = mock_fault_draw(k1, 0);
	int hits = 0, n = 20000, differ = 0;
	T_ASSERT(k1 != k2);
	T_ASSERT(k1 != mock_prompt_key(8, "m", "hello", 5));
	T_ASSERT(k1 != mock_prompt_key(7, "n", "hello", 5));
	/* reproducible, and not the accuracy draw */
	T_NEAR(mock_fault_draw(k1, 0), u0, 0);
	T_ASSERT(u0 != mock_draw(7, "m", "hello", 5));
	/* attempts of one prompt are independent draws: uniform, and a
	 * 30% fault lets some attempt through quickly */
	for (int i = 0; i < n; i++) {
		double u = mock_fault_draw(k1, (uint64_t)i);
		T_ASSERT(u >= 0 && u < 1);
		sum += u;
		hits += u < 0.3;
		differ += u != mock_fault_draw(k2, (uint64_t)i);
	}
	T_NEAR(sum / n, 0.5, 0.01);
	T_NEAR((double)hits / n, 0.3, 0.015);
	T_EQ_INT(differ, n);
}

TEST(mock_fault_attempt_counters)
{
	struct mock_attempts *t = mock_attempts_new();
	/* enough keys to make the table grow several times */
	for (uint64_t k = 0; k < 5000; k++)
		T_EQ_INT(mock_attempts_next(t, k * 0x9e3779b97f4a7c15ULL), 0);
	for (uint64_t k = 0; k < 5000; k++)
		T_EQ_INT(mock_attempts_next(t, k * 0x9e3779b97f4a7c15ULL), 1);
	T_EQ_INT(mock_attempts_next(t, 42), 0);
	T_EQ_INT(mock_attempts_next(t, 42), 1);
	T_EQ_INT(mock_attempts_next(t, 42), 2);
	T_EQ_INT(mock_attempts_next(t, 0), 2);   /* key 0 shares with key 1 */
	mock_attempts_free(t);
	mock_attempts_free(NULL);
}
