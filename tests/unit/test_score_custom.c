/* test_score_custom.c — programmable grading: the jq assertion, jq:
 * transforms, script/exec scorers (child processes) and embedded Lua;
 * their verdict shapes, grading errors and load-time errors. */
#include "t.h"
#include "test_score_util.h"
#include "score/score_int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include "../../src/util/xalloc.h"

#define SCRIPT "tests/data/score/verdict.sh"

/* Runs one assertion; returns 1/0 for pass/fail, -1 for a grading error
 * (message in *msg when given). */
static int run_full(const char *type, const char *value, const char *transform,
		    bool has_th, double th, const json_t *vars,
		    const char *output, double *score, char **reason,
		    char *msg, size_t msgn)
{
	struct assertion_spec a = ts_spec(type, value);
	struct assert_outcome o;
	struct err e = {0};
	int rc;
	a.transform = (char *)transform;
	a.has_threshold = has_th;
	a.threshold = th;
	rc = score_assert_eval(&a, vars, output, NULL, &o, &e);
	ts_free(&a);
	if (rc) {
		if (msg)
			snprintf(msg, msgn, "%s", e.msg);
		return -1;
	}
	if (score)
		*score = o.score;
	if (reason)
		*reason = o.reason;
	else
		free(o.reason);
	return o.pass;
}

/* ---- jq ----------------------------------------------------------------- */

TEST(score_jq_assertion)
{
	json_t *vars = json_pack("{s:s, s:i}", "expected", "spam", "n", 2);
	char *r = NULL;
	T_EQ_INT(ts_run("jq", "\".label == \\\"spam\\\"\"", NULL,
			"{\"label\": \"spam\"}", NULL, NULL), 1);
	T_EQ_INT(ts_run("jq", "\".label == \\\"spam\\\"\"", NULL,
			"{\"label\": \"ham\"}", NULL, &r), 0);
	T_ASSERT(strstr(r, "to yield true, got false"));
	free(r);
	/* Templated value and $vars. */
	T_EQ_INT(ts_run("jq", "\".label == \\\"{{expected}}\\\"\"", vars,
			"{\"label\": \"spam\"}", NULL, NULL), 1);
	T_EQ_INT(ts_run("jq", "\".items | length == $vars.n\"", vars,
			"{\"items\": [1, 2]}", NULL, NULL), 1);
	/* Output that is not JSON is a JSON string. */
	T_EQ_INT(ts_run("jq", "\"test(\\\"^hel\\\")\"", NULL, "hello", NULL,
			NULL), 1);
	T_EQ_INT(ts_run("jq", "\". == \\\"\\\"\"", NULL, "", NULL, NULL), 1);
	/* Only true passes; a runtime error fails with the message. */
	T_EQ_INT(ts_run("jq", "\".a\"", NULL, "{\"a\": 1}", NULL, NULL), 0);
	T_EQ_INT(ts_run("jq", "\".a.b\"", NULL, "\"str\"", NULL, &r), 0);
	T_ASSERT(strstr(r, "jq error: Cannot index string"));
	free(r);
	T_EQ_INT(ts_run("jq", "\"empty\"", NULL, "1", NULL, &r), 0);
	T_ASSERT(strstr(r, "no result"));
	free(r);
	T_EQ_INT(ts_run("not-jq", "\".ok\"", NULL, "{\"ok\": false}", NULL,
			NULL), 1);
	T_EQ_INT(ts_run("not-jq", "\".ok\"", NULL, "{\"ok\": true}", NULL,
			NULL), 0);
	/* Unicode passes through. */
	T_EQ_INT(ts_run("jq", "\".city == \\\"M\\u00fcnchen\\\"\"", NULL,
			"{\"city\": \"M\xC3\xBCnchen\"}", NULL, NULL), 1);
	json_decref(vars);
}

TEST(score_jq_check_errors)
{
	struct err e;
	T_EQ_INT(ts_check("jq", "\".a ==\"", NULL, &e), ST_INPUT);
	T_ASSERT(strstr(e.msg, "'jq': the jq program does not compile"));
	T_EQ_INT(e.line, 7);
	T_EQ_INT(ts_check("jq", "\"\"", NULL, &e), ST_INPUT);
	T_EQ_INT(ts_check("jq", "\"$nope\"", NULL, &e), ST_INPUT);
	T_EQ_INT(ts_check("jq", "\"def f: . + 1; f == 2\"", NULL, &e), 0);
	T_EQ_INT(ts_check("jq", "3", NULL, &e), ST_INPUT);
}

TEST(score_transform_jq)
{
	char *r = NULL, msg[512];
	json_t *vars = json_pack("{s:s}", "k", "answer");
	T_EQ_INT(run_full("equals", "\"Paris\"", "jq:.answer", false, 0, NULL,
			  "{\"answer\": \"Paris\"}", NULL, NULL, NULL, 0), 1);
	/* A non-string result is JSON-serialized (compact). */
	T_EQ_INT(run_full("equals", "\"{\\\"a\\\":1}\"", "jq:.x", false, 0, NULL,
			  "{\"x\": {\"a\": 1}}", NULL, NULL, NULL, 0), 1);
	T_EQ_INT(run_full("equals", "\"3\"", "jq:.items | length", false, 0,
			  NULL, "{\"items\": [1,2,3]}", NULL, NULL, NULL, 0), 1);
	/* Raw text in, upper-cased out. */
	T_EQ_INT(run_full("starts-with", "\"HELLO\"", "jq:ascii_upcase", false,
			  0, NULL, "hello there", NULL, NULL, NULL, 0), 1);
	T_EQ_INT(run_full("contains", "\"Paris\"", "jq:.[$vars.k]", false, 0,
			  vars, "{\"answer\": \"Paris\"}", NULL, &r, NULL, 0), 1);
	free(r);
	/* A transform that cannot read the model's output fails the
	 * assertion (the model's failure, issue 8), not a grading error. */
	(void)msg;
	T_EQ_INT(run_full("contains", "\"x\"", "jq:.a.b", false, 0, NULL,
			  "\"text\"", NULL, &r, NULL, 0), 0);
	T_ASSERT(strstr(r, "could not be read by the transform"));
	T_ASSERT(strstr(r, "transform jq:.a.b failed: jq error"));
	free(r);
	T_EQ_INT(run_full("equals", "\"ACME\"", "jq:.vendor", false, 0, NULL,
			  "Sure! The vendor is ACME.", NULL, NULL, NULL, 0), 0);
	/* The helper itself. */
	{
		char *out = NULL;
		struct err e = {0};
		T_EQ_INT(score_transform("jq:.a", "{\"a\": [1, \"x\"]}", 15, NULL,
					 &out, &e), 0);
		T_EQ_STR(out, "[1,\"x\"]");
		free(out);
		/* A file:// transform is not run (refused at load, too). */
		T_ASSERT(score_transform("file://t.js", "x", 1, NULL, &out,
					 &e) != 0);
		T_ASSERT(out == NULL);
	}
	json_decref(vars);
}

/* Found by fuzz/prov_http.c: output that is not JSON (a raw NUL, a key
 * without its colon) made libjq 1.6's JSON parser leak (seen by
 * LeakSanitizer in the ASan pass of make check).  It is text: jq gets it
 * as one string, NUL included. */
TEST(score_transform_output_with_nul)
{
	char *out = NULL;
	struct err e = {0};
	T_EQ_INT(score_transform("jq:type", "{\"a\" \"b\"}", 9, NULL, &out, &e), 0);
	T_EQ_STR(out, "string");
	free(out);
	out = NULL;
	T_EQ_INT(score_transform("jq:.a", "{\"a\": 12345678901234567890}", 27,
				 NULL, &out, &e), 0);
	T_EQ_STR(out, "12345678901234567000");
	free(out);
	out = NULL;
	T_EQ_INT(score_transform("jq:length", "{\0\"\"", 4, NULL, &out, &e), 0);
	T_EQ_STR(out, "4");
	free(out);
	out = NULL;
	T_EQ_INT(score_transform("jq:type", "[1,\0", 4, NULL, &out, &e), 0);
	T_EQ_STR(out, "string");
	free(out);
}

TEST(score_transform_check_errors)
{
	struct err e = {0};
	struct assertion_spec a = ts_spec("contains", "\"x\"");
	a.transform = "output.toUpperCase()";   /* inline JavaScript runs */
	T_EQ_INT(score_check(&a, NULL, &e), 0);
	a.transform = "file://transforms/up.js";
	T_EQ_INT(score_check(&a, NULL, &e), ST_INPUT);
	T_ASSERT(strstr(e.msg, "transforms from files are not supported yet"));
	T_ASSERT(strstr(e.msg, "jq:EXPR"));
	T_EQ_INT(e.line, 7);
	a.transform = "jq:";
	T_EQ_INT(score_check(&a, NULL, &e), ST_INPUT);
	a.transform = "jq:.a |";
	T_EQ_INT(score_check(&a, NULL, &e), ST_INPUT);
	T_ASSERT(strstr(e.msg, "does not compile"));
	a.transform = "jq:.a | ascii_downcase";
	T_EQ_INT(score_check(&a, NULL, &e), 0);
	T_EQ_INT(score_transform_check("file://t.js", &e), ST_INPUT);
	ts_free(&a);
}

/* jq programs are compiled per thread: several threads at once. */
static void *jq_thread(void *arg)
{
	long bad = 0;
	(void)arg;
	for (int i = 0; i < 300; i++) {
		char out[64], prog[64];
		/* Eight distinct programs: each costs one compile per
		 * thread (jq 1.6 compiles its builtins every time). */
		snprintf(out, sizeof out, "{\"n\": %d}", i % 8);
		snprintf(prog, sizeof prog, "\".n == %d\"", i % 8);
		if (ts_run("jq", prog, NULL, out, NULL, NULL) != 1)
			bad++;
	}
	return (void *)bad;
}

TEST(score_jq_threads)
{
	pthread_t th[4];
	long total = 0;
	for (int i = 0; i < 4; i++)
		T_EQ_INT(pthread_create(&th[i], NULL, jq_thread, NULL), 0);
	for (int i = 0; i < 4; i++) {
		void *r;
		pthread_join(th[i], &r);
		total += (long)r;
	}
	T_EQ_INT(total, 0);
}

/* ---- script ------------------------------------------------------------- */

TEST(score_script_verdicts)
{
	char *r = NULL, msg[1024];
	double s = -1;
	T_EQ_INT(ts_run("script", "\"" SCRIPT "\"", NULL, "It is Paris.", &s,
			NULL), 1);
	T_NEAR(s, 1, 0);
	T_EQ_INT(ts_run("script", "\"" SCRIPT "\"", NULL, "It is Rome.", &s,
			NULL), 0);
	T_EQ_INT(ts_run("exec", "[\"" SCRIPT "\"]", NULL, "Paris", NULL, NULL), 1);
	T_EQ_INT(ts_run("not-script", "\"" SCRIPT "\"", NULL, "Rome", NULL,
			NULL), 1);
	/* Numbers: pass = score > 0 without a threshold, >= with one. */
	T_EQ_INT(run_full("script", "\"" SCRIPT " number 0.7\"", NULL, false, 0,
			  NULL, "x", &s, NULL, NULL, 0), 1);
	T_NEAR(s, 0.7, 1e-12);
	T_EQ_INT(run_full("script", "\"" SCRIPT " number 0.7\"", NULL, true, 0.8,
			  NULL, "x", &s, &r, NULL, 0), 0);
	T_EQ_STR(r, "Score 0.7 is below the threshold 0.8");
	free(r);
	T_EQ_INT(run_full("script", "\"" SCRIPT " number 0\"", NULL, false, 0,
			  NULL, "x", &s, NULL, NULL, 0), 0);
	/* An object verdict. */
	T_EQ_INT(ts_run("script", "\"" SCRIPT " object\"", NULL, "x", &s, &r), 0);
	T_NEAR(s, 0.25, 1e-12);
	T_EQ_STR(r, "too vague");
	free(r);
	/* Shell-like quoting without a shell. */
	T_EQ_INT(ts_run("script", "\"sh -c 'echo true'\"", NULL, "x", NULL,
			NULL), 1);
	T_EQ_INT(ts_run("script", "\"sh -c \\\"echo '{\\\\\\\"pass\\\\\\\": true}'\\\"\"",
			NULL, "x", NULL, NULL), 1);
	T_EQ_INT(ts_run("script", "\"echo $HOME; false\"", NULL, "x", &s, &r), -1);
	(void)msg;
}

/* A var's value is one argument of the script, whatever it holds: its
 * quote used to break out of the command line and become extra
 * arguments (the line was rendered, then split). */
TEST(score_script_var_stays_one_argument)
{
	const char *cmd = "\"sh -c \\\"[ $# -eq 1 ] && [ \\\\\\\"$1\\\\\\\" = "
			  "\\\\\\\"$V\\\\\\\" ] && echo true || echo false\\\" "
			  "argv0 '{{ q }}'\"";
	json_t *vars = json_pack("{s:s}", "q", "a' 'b --evil");
	char msg[512] = "";
	setenv("V", "a' 'b --evil", 1);
	T_EQ_INT(run_full("script", cmd, NULL, false, 0, vars, "x", NULL, NULL,
			  msg, sizeof msg), 1);
	json_decref(vars);
	vars = json_pack("{s:s}", "q", "x");
	T_EQ_INT(run_full("script", cmd, NULL, false, 0, vars, "x", NULL, NULL,
			  msg, sizeof msg), 0);      /* $1 != $V: it can fail */
	json_decref(vars);
	unsetenv("V");
}

TEST(score_script_stdin_json)
{
	json_t *vars = json_pack("{s:s}", "city", "Paris");
	struct assertion_spec a = ts_spec("script", "\"" SCRIPT " json\"");
	struct assert_outcome o;
	struct err e = {0};
	/* The script echoes its stdin, which is not a verdict: a grading
	 * error whose message quotes what it printed. */
	a.metric = "m";
	T_ASSERT(score_assert_eval(&a, vars, "caf\xC3\xA9", NULL, &o, &e) != 0);
	T_ASSERT(strstr(e.msg, "an unexpected verdict"));
	T_ASSERT(strstr(e.msg, "\"output\":\"caf\xC3\xA9\""));
	T_ASSERT(strstr(e.msg, "\"vars\":{\"city\":\"Paris\"}"));
	T_ASSERT(strstr(e.msg, "\"assertion\":{\"type\":\"script\""));
	ts_free(&a);
	json_decref(vars);
}

TEST(score_script_grading_errors)
{
	char msg[1024];
	T_EQ_INT(run_full("script", "\"" SCRIPT " fail\"", NULL, false, 0, NULL,
			  "x", NULL, NULL, msg, sizeof msg), -1);
	T_ASSERT(strstr(msg, "exited with status 3"));
	T_ASSERT(strstr(msg, "scorer broke: bad config"));
	T_EQ_INT(run_full("script", "\"" SCRIPT " garbage\"", NULL, false, 0,
			  NULL, "x", NULL, NULL, msg, sizeof msg), -1);
	T_ASSERT(strstr(msg, "no JSON verdict"));
	T_ASSERT(strstr(msg, "hello there"));
	T_EQ_INT(run_full("script", "{\"command\": \"" SCRIPT " sleep\", "
			  "\"timeout\": 0.3}", NULL, false, 0, NULL, "x", NULL,
			  NULL, msg, sizeof msg), -1);
	T_ASSERT(strstr(msg, "timed out after 0.3s"));
	T_EQ_INT(run_full("script", "\"/nonexistent/scorer\"", NULL, false, 0,
			  NULL, "x", NULL, NULL, msg, sizeof msg), -1);
	T_ASSERT(strstr(msg, "nonexistent"));
	/* A script that never reads a 4 MB stdin must not kill us
	 * (SIGPIPE) nor hang. */
	{
		size_t n = 4 << 20;
		char *big = malloc(n + 1);
		T_ASSERT(big);
		memset(big, 'a', n);
		big[n] = '\0';
		T_EQ_INT(run_full("script", "\"sh -c 'echo true'\"", NULL, false,
				  0, NULL, big, NULL, NULL, msg, sizeof msg), 1);
		free(big);
	}
}

TEST(score_script_check_errors)
{
	struct err e;
	T_EQ_INT(ts_check("script", "\"python3 'unterminated\"", NULL, &e),
		 ST_INPUT);
	T_ASSERT(strstr(e.msg, "unterminated ' quote"));
	T_EQ_INT(ts_check("script", "\"   \"", NULL, &e), ST_INPUT);
	T_ASSERT(strstr(e.msg, "empty"));
	T_EQ_INT(ts_check("script", "[\"a\", 1]", NULL, &e), ST_INPUT);
	T_EQ_INT(ts_check("script", "{\"command\": \"x\", \"timeout\": 0}", NULL,
			  &e), ST_INPUT);
	T_EQ_INT(ts_check("exec", "{\"cmd\": \"x\"}", NULL, &e), ST_INPUT);
	T_ASSERT(strstr(e.msg, "unknown key 'cmd'"));
	T_EQ_INT(ts_check("script", "\"grade.py --strict\"", NULL, &e), 0);
}

/* ---- lua ---------------------------------------------------------------- */

TEST(score_lua_verdicts)
{
	json_t *vars = json_pack("{s:s, s:[i,i]}", "city", "Paris", "xs", 1, 2);
	char *r = NULL, msg[1024];
	double s = -1;
	T_EQ_INT(ts_run("lua", "\"#output < 10\"", NULL, "short", NULL, NULL), 1);
	T_EQ_INT(ts_run("lua", "\"return #output < 3\"", NULL, "short", NULL,
			NULL), 0);
	T_EQ_INT(ts_run("lua", "\"local n = 0 for _ in output:gmatch('%a+') do "
			"n = n + 1 end return n == 3\"", NULL, "one two three",
			NULL, NULL), 1);
	T_EQ_INT(ts_run("lua", "\"output == vars.city and #vars.xs == 2\"", vars,
			"Paris", NULL, NULL), 1);
	T_EQ_INT(ts_run("lua", "\"json_decode(output).a == 1\"", NULL,
			"{\"a\": 1}", NULL, NULL), 1);
	T_EQ_INT(ts_run("lua", "\"utf8.len(output) == 4\"", NULL,
			"caf\xC3\xA9", NULL, NULL), 1);
	T_EQ_INT(ts_run("lua", "\"{pass = false, score = 0.2, reason = "
			"'too short'}\"", NULL, "x", &s, &r), 0);
	T_NEAR(s, 0.2, 1e-12);
	T_EQ_STR(r, "too short");
	free(r);
	T_EQ_INT(run_full("lua", "\"0.7\"", NULL, true, 0.5, NULL, "x", &s, NULL,
			  NULL, 0), 1);
	T_NEAR(s, 0.7, 1e-12);
	T_EQ_INT(ts_run("not-lua", "\"output == 'a'\"", NULL, "b", NULL, NULL), 1);
	/* Globals do not leak from one call to the next. */
	T_EQ_INT(ts_run("lua", "\"leak = 1 return true\"", NULL, "x", NULL,
			NULL), 1);
	T_EQ_INT(ts_run("lua", "\"leak == nil\"", NULL, "x", NULL, NULL), 1);
	/* Errors are grading errors with Lua's message. */
	T_EQ_INT(run_full("lua", "\"error('boom')\"", NULL, false, 0, NULL, "x",
			  NULL, NULL, msg, sizeof msg), -1);
	T_ASSERT(strstr(msg, "lua: lua:1: boom"));
	T_EQ_INT(run_full("lua", "\"os.exit(1)\"", NULL, false, 0, NULL, "x",
			  NULL, NULL, msg, sizeof msg), -1);
	T_ASSERT(strstr(msg, "os"));
	T_EQ_INT(run_full("lua", "\"io.open('/etc/passwd')\"", NULL, false, 0,
			  NULL, "x", NULL, NULL, msg, sizeof msg), -1);
	T_EQ_INT(run_full("lua", "\"'a string'\"", NULL, false, 0, NULL, "x",
			  NULL, NULL, msg, sizeof msg), -1);
	T_ASSERT(strstr(msg, "returned string"));
	T_EQ_INT(run_full("lua", "\"string.rep('x', 300 * 1024 * 1024)\"", NULL,
			  false, 0, NULL, "x", NULL, NULL, msg, sizeof msg), -1);
	T_ASSERT(strstr(msg, "memory"));
	/* The state survives errors. */
	T_EQ_INT(ts_run("lua", "\"true\"", NULL, "x", NULL, NULL), 1);
	json_decref(vars);
}

/* The time limit holds against code that catches its error: pcall in a
 * loop, nested pcalls, xpcall with a handler (issue 9). */
TEST(score_lua_time_limit_not_catchable)
{
	static const char *const progs[] = {
		"\"while true do pcall(function() while true do end end) end\"",
		"\"while true do pcall(function() while true do pcall(function() "
		"while true do end end) end end) end\"",
		"\"while true do xpcall(function() while true do end end, "
		"function(m) return m end) end\"",
	};
	char msg[512];
	score_lua_set_time_limit(0.2);
	for (size_t i = 0; i < sizeof progs / sizeof *progs; i++) {
		T_EQ_INT(run_full("lua", progs[i], NULL, false, 0, NULL, "x", NULL, NULL,
				  msg, sizeof msg), -1);
		T_ASSERT(strstr(msg, "ran longer than 0.2 s"));
	}
	score_lua_set_time_limit(0);
	/* The state still works afterwards. */
	T_EQ_INT(ts_run("lua", "\"true\"", NULL, "x", NULL, NULL), 1);
}

TEST(score_lua_check_errors)
{
	struct err e;
	T_EQ_INT(ts_check("lua", "\"return (\"", NULL, &e), ST_INPUT);
	T_ASSERT(strstr(e.msg, "'lua': the Lua code does not compile"));
	T_EQ_INT(e.line, 7);
	T_EQ_INT(ts_check("lua", "\"\"", NULL, &e), ST_INPUT);
	T_EQ_INT(ts_check("lua", "\"local x = 1 return x\"", NULL, &e), 0);
}

static void *lua_thread(void *arg)
{
	long bad = 0;
	(void)arg;
	for (int i = 0; i < 500; i++) {
		char out[32];
		snprintf(out, sizeof out, "%d", i);
		if (ts_run("lua", "\"tonumber(output) >= 0\"", NULL, out, NULL,
			   NULL) != 1)
			bad++;
	}
	return (void *)bad;
}

TEST(score_lua_threads)
{
	pthread_t th[4];
	long total = 0;
	for (int i = 0; i < 4; i++)
		T_EQ_INT(pthread_create(&th[i], NULL, lua_thread, NULL), 0);
	for (int i = 0; i < 4; i++) {
		void *r;
		pthread_join(th[i], &r);
		total += (long)r;
	}
	T_EQ_INT(total, 0);
}

/* score_shutdown releases the calling thread's jq programs and the Lua
 * state; grading afterwards starts them again. */
TEST(score_custom_shutdown_and_restart)
{
	T_EQ_INT(ts_run("jq", "\".a == 1\"", NULL, "{\"a\": 1}", NULL, NULL), 1);
	T_EQ_INT(ts_run("lua", "\"true\"", NULL, "x", NULL, NULL), 1);
	score_shutdown();
	T_EQ_INT(ts_run("jq", "\".a == 1\"", NULL, "{\"a\": 1}", NULL, NULL), 1);
	T_EQ_INT(ts_run("lua", "\"#output == 1\"", NULL, "x", NULL, NULL), 1);
	T_EQ_INT(ts_run("is-json", "{\"type\": \"object\"}", NULL, "{}", NULL,
			NULL), 1);
	score_shutdown();
}

/* What counts as what (issue 8): a definite failure of one assertion
 * fails the test even when another assertion of it could not be graded;
 * without a definite failure the test is a grading error. */
TEST(score_grade_failure_beats_grading_error)
{
	struct test_case tc;
	struct assertion_spec as[2];
	struct response resp;
	struct grade g;
	struct err e = {0};
	memset(&tc, 0, sizeof tc);
	as[0] = ts_spec("lua", "\"error('boom')\"");
	as[1] = ts_spec("contains", "\"Paris\"");
	tc.asserts = as;
	tc.n_asserts = 2;
	response_init(&resp);
	resp.output = xstrdup("London");
	T_EQ_INT(score_grade(&tc, &resp, &g, &e), 0);
	T_ASSERT(!g.pass);
	T_ASSERT(strstr(g.reason, "another assertion could not be graded"));
	T_ASSERT(!g.items[0].pass);
	T_ASSERT(strstr(g.items[0].reason, "grading error"));
	grade_cleanup(&g);
	free(resp.output);
	resp.output = xstrdup("Paris");
	memset(&e, 0, sizeof e);
	T_ASSERT(score_grade(&tc, &resp, &g, &e) != 0);
	T_ASSERT(strstr(e.msg, "boom"));
	/* with a test threshold the score needs every assertion: a grading
	 * error even when another assertion failed */
	free(resp.output);
	resp.output = xstrdup("London");
	tc.has_threshold = true;
	tc.threshold = 0.5;
	memset(&e, 0, sizeof e);
	T_ASSERT(score_grade(&tc, &resp, &g, &e) != 0);
	response_cleanup(&resp);
	ts_free(&as[0]);
	ts_free(&as[1]);
}
