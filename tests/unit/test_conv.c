/* test_conv.c — conversations: the `conversation:` layout and its errors
 * (file:line:col), the turns table (puts, replacement, reads) and the
 * version-3 → 4 migration that adds it. */
#include "t.h"
#include "../../src/suite/suite.h"
#include "../../src/suite/conv.h"
#include "../../src/score/score.h"
#include "../../src/store/store_turns.h"
#include "../../src/util/xalloc.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *tfx_tmpdir(void);
void tfx_rmdir(char *dir);
struct suite *tfx_suite(size_t n_tests, size_t n_providers);
void tfx_suite_free(struct suite *s);

/* A store at path with one run (id 1) to hang turns on. */
static struct store *open_run(const char *path)
{
	struct store *st = NULL;
	struct suite *s = tfx_suite(2, 2);
	struct err e = {0};
	int64_t run = 0;
	if (store_open(path, &st, &e) || store_run_begin(st, s, NULL, 1, &run, &e) ||
	    run != 1)
		t_fail(__FILE__, __LINE__, "cannot make a run: %s", e.msg);
	tfx_suite_free(s);
	return st;
}

#define HEAD "prompts: ['You help.']\nproviders: [echo]\ntests:\n"

/* Loads yaml (then score_check_suite) from a scratch file. */
static int load(const char *yaml, struct suite **out, struct err *e)
{
	char *dir = tfx_tmpdir();
	char *path = xasprintf("%s/suite.yaml", dir);
	FILE *f = fopen(path, "wb");
	int rc;
	*out = NULL;
	if (!f)
		return -1;
	fputs(yaml, f);
	fclose(f);
	rc = suite_load(path, out, e);
	if (!rc && score_check_suite(*out, e))
		rc = ST_INPUT;
	unlink(path);
	free(path);
	tfx_rmdir(dir);
	return rc;
}

static void expect_err(const char *yaml, int line, int col, const char *text)
{
	struct suite *s = NULL;
	struct err e = {0};
	int rc = load(yaml, &s, &e);
	suite_free(s);
	T_EQ_INT(rc, ST_INPUT);
	T_EQ_INT(e.line, line);
	T_EQ_INT(e.col, col);
	if (!strstr(e.msg, text))
		t_fail(__FILE__, __LINE__, "got '%s', want '%s'", e.msg, text);
}

TEST(conv_parse_turns_and_turn_asserts)
{
	struct suite *s = NULL;
	struct err e = {0};
	const struct conv *c;
	T_EQ_INT(load(HEAD
		"  - vars: {n: Ada}\n"
		"    conversation:\n"
		"      - 'Hi, I am {{n}}'\n"
		"      - user: What is my name?\n"
		"        assert: [{type: contains, value: '{{n}}'}]\n"
		"    assert:\n"
		"      - {type: icontains, value: ada, turn: 1}\n"
		"      - {type: not-contains, value: sorry}\n", &s, &e), 0);
	T_ASSERT(s && s->n_tests == 1);
	c = s->tests[0].conv;
	T_ASSERT(c != NULL);
	T_EQ_INT((int)c->n_turns, 2);
	T_EQ_INT((int)c->n_scripted, 2);
	T_EQ_STR(c->turns[0].user, "Hi, I am {{n}}");
	/* turn: 1 moved onto turn 1; the other one grades the transcript */
	T_EQ_INT((int)c->turns[0].n_asserts, 1);
	T_EQ_STR(c->turns[0].asserts[0].type, "icontains");
	T_EQ_INT((int)c->turns[1].n_asserts, 1);
	T_EQ_INT((int)s->tests[0].n_asserts, 1);
	T_EQ_STR(s->tests[0].asserts[0].type, "not-contains");
	T_ASSERT(c->sim == NULL);
	suite_free(s);
}

TEST(conv_parse_simulated_user)
{
	struct suite *s = NULL;
	struct err e = {0};
	const struct conv *c;
	T_EQ_INT(load(HEAD
		"  - conversation:\n"
		"      turns: [Hello]\n"
		"      simulated_user:\n"
		"        provider: {id: echo, config: {temperature: 0}}\n"
		"        persona: a hurried customer\n"
		"        goal: a refund\n"
		"        max_turns: 4\n"
		"    assert:\n"
		"      - {type: contains, value: refund, turn: 3}\n", &s, &e), 0);
	c = s->tests[0].conv;
	T_ASSERT(c && c->sim);
	T_EQ_STR(c->sim->provider, "echo");
	T_EQ_STR(c->sim->stop, CONV_SIM_STOP);
	T_EQ_INT(c->sim->max_turns, 4);
	T_EQ_INT((int)c->n_scripted, 1);
	/* turn 3 is simulated: an entry holds its assertion */
	T_EQ_INT((int)c->n_turns, 3);
	T_ASSERT(c->turns[2].user == NULL);
	T_EQ_INT((int)c->turns[2].n_asserts, 1);
	T_EQ_INT((int)conv_max_turns(c), 4);
	suite_free(s);
}

TEST(conv_parse_errors_are_located)
{
	expect_err(HEAD "  - conversation: []\n", 4, 19,
		   "expected a non-empty list of user turns");
	expect_err(HEAD "  - conversation: [a, {usr: b}]\n", 4, 24,
		   "unknown key 'usr' in a turn");
	expect_err(HEAD "  - conversation: [a, b]\n"
		   "    assert: [{type: contains, value: x, turn: 3}]\n", 5, 14,
		   "found turn: 3, expected a turn from 1 to 2");
	expect_err(HEAD "  - vars: {q: x}\n"
		   "    assert: [{type: contains, value: x, turn: 1}]\n", 5, 14,
		   "'turn: 1' on a test without a conversation");
	expect_err(HEAD "  - conversation: [a]\n"
		   "    assert: [{type: contains, value: x, turn: 0}]\n", 5, 47,
		   "expected a turn number");
	expect_err(HEAD "  - conversation:\n      - user: a\n"
		   "        assert: [{type: llm-rubric, value: polite, provider: echo}]\n",
		   6, 18, "cannot grade a single turn");
	expect_err(HEAD "  - conversation: {simulated_user: {persona: p}}\n", 4, 36,
		   "missing key 'provider' in simulated_user");
	expect_err(HEAD "  - conversation: {simulated_user: {provider: echo, persona: p,"
		   " max_turns: 0}}\n", 4, 76, "expected a whole number of turns");
	expect_err(HEAD "  - conversation: ['{{ oops']\n", 4, 20, "");
	expect_err(HEAD "  - conversation: {turnz: [a]}\n", 4, 20,
		   "unknown key 'turnz' in a conversation");
}

struct seen { char text[512]; int n; };

static int on_turn(void *ud, const struct store_turn *t)
{
	struct seen *s = ud;
	size_t len = strlen(s->text);
	snprintf(s->text + len, sizeof s->text - len, "%zu/%zu/%d:%d:%s>%s:%d%s;",
		 t->case_idx, t->provider_idx, t->repeat, t->turn, t->user,
		 t->output, t->pass, t->pass == 0 && t->reason ? t->reason : "");
	s->n++;
	return 0;
}

static void put(struct store *st, size_t c, size_t v, int turn, const char *u,
		const char *o, int pass)
{
	struct store_turn t;
	struct err e = {0};
	memset(&t, 0, sizeof t);
	t.case_idx = c;
	t.provider_idx = v;
	t.turn = turn;
	t.user = u;
	t.output = o;
	t.prompt_tokens = t.completion_tokens = -1;
	t.cost_usd = -1;
	t.pass = pass;
	t.score = pass < 0 ? NAN : pass;
	t.reason = pass == 0 ? "wrong" : NULL;
	T_EQ_INT(store_turn_put(st, 1, &t, &e), 0);
}

TEST(conv_store_turns_put_replace_read)
{
	char *dir = tfx_tmpdir();
	char *path = xasprintf("%s/t.db", dir);
	struct store *st = NULL;
	struct err e = {0};
	struct seen sn = { "", 0 };
	st = open_run(path);
	put(st, 1, 0, 1, "hi", "hello", -1);
	put(st, 1, 0, 2, "name?", "Ada", 1);
	put(st, 0, 1, 1, "q", "a", 0);
	T_EQ_INT(store_turns_each(st, 1, -1, on_turn, &sn, &e), 0);
	T_EQ_STR(sn.text, "0/1/0:1:q>a:0wrong;1/0/0:1:hi>hello:-1;1/0/0:2:name?>Ada:1;");
	/* the conversation again (a retry): turn 1 drops the old turns */
	put(st, 1, 0, 1, "hi", "hey", 1);
	sn.text[0] = '\0';
	sn.n = 0;
	T_EQ_INT(store_turns_each(st, 1, 1, on_turn, &sn, &e), 0);
	T_EQ_STR(sn.text, "1/0/0:1:hi>hey:1;");
	store_close(st);
	free(path);
	tfx_rmdir(dir);
}

TEST(conv_store_migrates_v3_to_v5)
{
	char *dir = tfx_tmpdir();
	char *path = xasprintf("%s/m.db", dir);
	struct store *st = NULL;
	struct err e = {0};
	sqlite3 *db;
	sqlite3_stmt *q;
	int v = 0, tables = -1;
	st = open_run(path);
	store_close(st);
	st = NULL;
	/* a version-3 file: no turns table */
	T_EQ_INT(sqlite3_open(path, &db), SQLITE_OK);
	T_EQ_INT(sqlite3_exec(db, "DROP TABLE turns; DELETE FROM schema_version;"
			      " INSERT INTO schema_version VALUES (3);",
			      NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	T_EQ_INT(store_open(path, &st, &e), 0);
	put(st, 0, 0, 1, "a", "b", 1);
	store_close(st);
	T_EQ_INT(sqlite3_open(path, &db), SQLITE_OK);
	T_EQ_INT(sqlite3_prepare_v2(db, "SELECT (SELECT max(version) FROM schema_version),"
				    " (SELECT count(*) FROM turns)", -1, &q, NULL), SQLITE_OK);
	T_EQ_INT(sqlite3_step(q), SQLITE_ROW);
	v = sqlite3_column_int(q, 0);
	tables = sqlite3_column_int(q, 1);
	sqlite3_finalize(q);
	sqlite3_close(db);
	T_EQ_INT(v, 5);
	T_EQ_INT(tables, 1);
	free(path);
	tfx_rmdir(dir);
}

/* Editing a turn changes the case's content hash (resume and compare then
 * see a changed case). */
TEST(conv_case_hash_covers_turns)
{
	struct suite *a = NULL, *b = NULL;
	struct err e = {0};
	struct store_keys *ka, *kb;
	T_EQ_INT(load(HEAD "  - conversation: [hello, 'what is my name?']\n", &a, &e), 0);
	T_EQ_INT(load(HEAD "  - conversation: [hello, 'what is my code?']\n", &b, &e), 0);
	if (!a || !b) {
		suite_free(a);
		suite_free(b);
		return;
	}
	ka = store_keys_new(a);
	kb = store_keys_new(b);
	T_ASSERT(strcmp(store_keys_case_hash(ka, 0), store_keys_case_hash(kb, 0)) != 0);
	store_keys_free(ka);
	store_keys_free(kb);
	suite_free(a);
	suite_free(b);
}
