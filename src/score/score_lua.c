/* score_lua.c — the `lua` assertion: a custom scorer written inline in
 * Lua 5.4, run in-process.
 *
 * The value is an expression (`#output < 200`, with or without `return`)
 * or a function body (`local n = 0 ... return n > 2`): it is compiled
 * first as `return <value>` and, when that does not parse, as written.
 * The code sees the globals `output` (string), `vars` (a table built from
 * the test's vars; JSON null becomes nil) and `json_decode(s)` (a table,
 * or nil and a message), plus the base, string, table, math and utf8
 * libraries; io, os, package, debug, load, loadfile, dofile and print are
 * not there.  Each call gets a fresh global table whose misses fall
 * through to that sandbox, so one test cannot leave state for the next.
 *
 * It returns true/false, a number (the score: pass when >= the
 * assertion's threshold, or > 0 without one) or a table {pass=, score=,
 * reason=}.  A Lua error, a runtime over 10 s (which pcall cannot catch:
 * past the deadline every instruction raises), more than 256 MiB of Lua
 * memory, or another kind of return value is a grading error carrying the
 * message.  The engine runs Lua in a child with a hard deadline on top
 * (engine_grade.c), which also bounds long C calls.  One lua_State serves the process (a mutex serialises calls);
 * compiled chunks are cached in it by source text. */
#include "score_int.h"

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../util/buf.h"
#include "../util/xalloc.h"

#define LUA_MEM_CAP ((size_t)256 << 20)
#define LUA_TIME_S 10.0

static pthread_mutex_t lua_mu = PTHREAD_MUTEX_INITIALIZER;
static lua_State *L;
static size_t lua_mem;
static double lua_deadline;
static double lua_time_s = LUA_TIME_S;
static bool lua_expired;

void score_lua_set_time_limit(double seconds)
{
	pthread_mutex_lock(&lua_mu);
	lua_time_s = seconds > 0 ? seconds : LUA_TIME_S;
	pthread_mutex_unlock(&lua_mu);
}

static const char CHUNKS_KEY[] = "assay.chunks";
static const char SANDBOX_KEY[] = "assay.sandbox";

static void *lua_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	(void)ud;
	if (!ptr)
		osize = 0;
	if (nsize == 0) {
		free(ptr);
		lua_mem -= osize;
		return NULL;
	}
	if (nsize > osize && lua_mem + (nsize - osize) > LUA_MEM_CAP)
		return NULL;   /* Lua raises "not enough memory" */
	ptr = realloc(ptr, nsize);
	if (ptr)
		lua_mem = lua_mem - osize + nsize;
	return ptr;
}

static double mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Past the deadline every instruction raises, in whichever coroutine
 * runs: a pcall that catches the error cannot carry on (its very next
 * instruction raises again), so the error reaches run_job.  Long C calls
 * never reach the hook: the engine grades Lua in a child it kills at a
 * hard deadline (engine_grade.c). */
static void time_hook(lua_State *l, lua_Debug *ar)
{
	(void)ar;
	if (lua_expired || mono_s() > lua_deadline) {
		lua_expired = true;
		lua_sethook(l, time_hook, LUA_MASKCOUNT, 1);
		luaL_error(l, "the Lua code ran longer than %g s", lua_time_s);
	}
}

/* ---- JSON → Lua -------------------------------------------------------- */

static void push_json(lua_State *l, const json_t *v, int depth)
{
	if (depth > 200 || !lua_checkstack(l, 4)) {
		lua_pushnil(l);
		return;
	}
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		const char *k;
		json_t *x;
		lua_createtable(l, 0, (int)json_object_size(v));
		json_object_foreach((json_t *)v, k, x) {
			push_json(l, x, depth + 1);
			lua_setfield(l, -2, k);
		}
		break;
	}
	case JSON_ARRAY:
		lua_createtable(l, (int)json_array_size(v), 0);
		for (size_t i = 0; i < json_array_size(v); i++) {
			push_json(l, json_array_get(v, i), depth + 1);
			lua_rawseti(l, -2, (lua_Integer)i + 1);
		}
		break;
	case JSON_STRING:
		lua_pushlstring(l, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		lua_pushinteger(l, (lua_Integer)json_integer_value(v));
		break;
	case JSON_REAL:
		lua_pushnumber(l, json_real_value(v));
		break;
	case JSON_TRUE:
		lua_pushboolean(l, 1);
		break;
	case JSON_FALSE:
		lua_pushboolean(l, 0);
		break;
	default:
		lua_pushnil(l);
	}
}

static int l_json_decode(lua_State *l)
{
	size_t n;
	const char *s = luaL_checklstring(l, 1, &n);
	json_error_t je;
	json_t *v = json_loadb(s, n, JSON_DECODE_ANY, &je);
	if (!v) {
		lua_pushnil(l);
		lua_pushfstring(l, "invalid JSON at line %d: %s", je.line,
				je.text);
		return 2;
	}
	push_json(l, v, 0);
	json_decref(v);
	return 1;
}

/* ---- the state --------------------------------------------------------- */

static int state_open(char *msg, size_t msgn)
{
	static const luaL_Reg libs[] = {
		{ LUA_GNAME, luaopen_base },
		{ LUA_TABLIBNAME, luaopen_table },
		{ LUA_STRLIBNAME, luaopen_string },
		{ LUA_MATHLIBNAME, luaopen_math },
		{ LUA_UTF8LIBNAME, luaopen_utf8 },
	};
	static const char *const drop[] = { "dofile", "loadfile", "load",
		"print", "require", "collectgarbage" };
	if (L)
		return 0;
	lua_mem = 0;
	L = lua_newstate(lua_alloc, NULL);
	if (!L) {
		snprintf(msg, msgn, "cannot start Lua (out of memory)");
		return -1;
	}
	for (size_t i = 0; i < sizeof libs / sizeof libs[0]; i++) {
		luaL_requiref(L, libs[i].name, libs[i].func, 1);
		lua_pop(L, 1);
	}
	lua_pushglobaltable(L);
	for (size_t i = 0; i < sizeof drop / sizeof drop[0]; i++) {
		lua_pushnil(L);
		lua_setfield(L, -2, drop[i]);
	}
	lua_pushcfunction(L, l_json_decode);
	lua_setfield(L, -2, "json_decode");
	/* The sandbox globals, and the metatable {__index = sandbox} that
	 * each call's fresh environment gets. */
	lua_newtable(L);
	lua_pushvalue(L, -2);
	lua_setfield(L, -2, "__index");
	lua_setfield(L, LUA_REGISTRYINDEX, SANDBOX_KEY);
	lua_pop(L, 1);
	lua_newtable(L);
	lua_setfield(L, LUA_REGISTRYINDEX, CHUNKS_KEY);
	return 0;
}

void score_lua_shutdown(void)
{
	pthread_mutex_lock(&lua_mu);
	if (L)
		lua_close(L);
	L = NULL;
	pthread_mutex_unlock(&lua_mu);
}

/* One protected job: everything that touches the state runs inside
 * lua_pcall, so a memory error or a metamethod that raises cannot reach
 * Lua's panic handler (which would abort the process). */
struct lua_job {
	const char *src;
	size_t n;
	const struct score_in *in;   /* NULL: compile only */
};

/* Leaves the compiled chunk for the job's source on the stack (cached in
 * the registry by source text); raises the compiler's message. */
static void chunk_push(lua_State *l, const struct lua_job *j)
{
	luaL_Buffer b;
	lua_getfield(l, LUA_REGISTRYINDEX, CHUNKS_KEY);
	lua_pushlstring(l, j->src, j->n);
	if (lua_rawget(l, -2) == LUA_TFUNCTION) {
		lua_remove(l, -2);
		return;
	}
	lua_pop(l, 1);
	luaL_buffinit(l, &b);
	luaL_addstring(&b, "return ");
	luaL_addlstring(&b, j->src, j->n);
	luaL_pushresult(&b);
	if (luaL_loadbufferx(l, lua_tostring(l, -1), lua_rawlen(l, -1),
			     "=lua", "t") != LUA_OK) {
		lua_pop(l, 2);   /* message, "return …" */
		if (luaL_loadbufferx(l, j->src, j->n, "=lua", "t") != LUA_OK)
			lua_error(l);
	} else {
		lua_remove(l, -2);
	}
	lua_pushlstring(l, j->src, j->n);
	lua_pushvalue(l, -2);
	lua_rawset(l, -4);
	lua_remove(l, -2);
}

/* Returns (kind, pass, score, reason): kind is the result's type name;
 * for a table the other three are its raw fields. */
static int l_job(lua_State *l)
{
	const struct lua_job *j = lua_touserdata(l, 1);
	int t;
	chunk_push(l, j);
	if (!j->in)
		return 0;
	lua_newtable(l);
	lua_pushlstring(l, j->in->output, j->in->output_len);
	lua_setfield(l, -2, "output");
	push_json(l, j->in->vars, 0);
	lua_setfield(l, -2, "vars");
	lua_getfield(l, LUA_REGISTRYINDEX, SANDBOX_KEY);
	lua_setmetatable(l, -2);
	if (!lua_setupvalue(l, -2, 1))
		lua_pop(l, 1);
	lua_call(l, 0, 1);
	t = lua_type(l, -1);
	lua_pushstring(l, lua_typename(l, t));
	if (t != LUA_TTABLE) {
		lua_pushvalue(l, -2);
		lua_pushnil(l);
		lua_pushnil(l);
		return 4;
	}
	lua_pushliteral(l, "pass");
	lua_rawget(l, -3);
	lua_pushliteral(l, "score");
	lua_rawget(l, -4);
	lua_pushliteral(l, "reason");
	lua_rawget(l, -5);
	return 4;
}

/* Runs a job under the lock.  Returns 0 (results, if any, on the stack
 * above `top`) or -1 with the message in msg. */
static int run_job(const struct lua_job *j, int nres, char *msg, size_t msgn)
{
	if (state_open(msg, msgn))
		return -1;
	lua_pushcfunction(L, l_job);
	lua_pushlightuserdata(L, (void *)j);
	lua_deadline = mono_s() + lua_time_s;
	lua_expired = false;
	lua_sethook(L, time_hook, LUA_MASKCOUNT, 10000);
	if (lua_pcall(L, 1, nres, 0) != LUA_OK) {
		const char *m = lua_type(L, -1) == LUA_TSTRING
					? lua_tostring(L, -1) : "error";
		if (lua_expired)
			snprintf(msg, msgn, "the Lua code ran longer than %g s", lua_time_s);
		else
			snprintf(msg, msgn, "%s", m);
		lua_pop(L, 1);
		lua_sethook(L, NULL, 0, 0);
		return -1;
	}
	lua_sethook(L, NULL, 0, 0);
	return 0;
}

static int check_lua(const struct assertion_spec *a, const json_t *v,
		     const json_t *vars, struct err *err)
{
	char msg[900];
	struct lua_job j = { json_string_value(v), json_string_length(v),
			     NULL };
	int rc = 0;
	(void)vars;
	if (json_string_length(v) == 0)
		return score_err(a, err, "'%s' value must be Lua code, e.g. "
				 "'#output < 200'", a->type);
	pthread_mutex_lock(&lua_mu);
	if (run_job(&j, 0, msg, sizeof msg))
		rc = score_err(a, err, "'%s': the Lua code does not compile: "
			       "%s", a->type, msg);
	pthread_mutex_unlock(&lua_mu);
	return rc;
}

/* Turns the four results of l_job into an outcome.  Returns 0 or -1 with
 * msg.  Lock held; reads with type checks only (nothing can raise). */
static int lua_verdict(const struct score_in *in, struct assert_outcome *out,
		       int base, char *msg, size_t msgn)
{
	const char *kind = lua_tostring(L, base);
	if (!strcmp(kind, "boolean")) {
		score_binary(out, lua_toboolean(L, base + 1), in->inverse,
			     NULL);
		return 0;
	}
	if (!strcmp(kind, "number")) {
		score_scored(out, in, lua_tonumber(L, base + 1), NULL);
		return 0;
	}
	if (!strcmp(kind, "table")) {
		json_t *o = json_object();
		int rc;
		if (lua_type(L, base + 1) == LUA_TBOOLEAN)
			json_object_set_new(o, "pass", json_boolean(
				lua_toboolean(L, base + 1)));
		else if (!lua_isnil(L, base + 1))
			json_object_set_new(o, "pass", json_string("?"));
		if (lua_type(L, base + 2) == LUA_TNUMBER)
			json_object_set_new(o, "score", json_real(
				lua_tonumber(L, base + 2)));
		else if (!lua_isnil(L, base + 2))
			json_object_set_new(o, "score", json_string("?"));
		if (lua_type(L, base + 3) == LUA_TSTRING) {
			size_t n;
			const char *r = lua_tolstring(L, base + 3, &n);
			json_object_set_new(o, "reason", json_stringn(r, n));
		}
		rc = score_verdict(out, in, o, msg, msgn);
		json_decref(o);
		return rc;
	}
	snprintf(msg, msgn, "the Lua code returned %s; return true/false, a "
		 "number or {pass=..., score=..., reason=...}", kind);
	return -1;
}

static int eval_lua(const struct score_in *in, struct assert_outcome *out,
		    struct err *err)
{
	char msg[1024];
	struct lua_job j = { json_string_value(in->value),
			     json_string_length(in->value), in };
	int rc = 0, top;
	pthread_mutex_lock(&lua_mu);
	top = L ? lua_gettop(L) : 0;
	if (run_job(&j, 4, msg, sizeof msg))
		rc = err_set(err, ST_INTERNAL, "lua: %s", msg);
	else if (lua_verdict(in, out, top + 1, msg, sizeof msg))
		rc = err_set(err, ST_INTERNAL, "lua: %s", msg);
	if (L) {
		lua_settop(L, top);
		/* Keep per-call garbage from piling up. */
		lua_gc(L, LUA_GCSTEP, 0);
	}
	pthread_mutex_unlock(&lua_mu);
	return rc;
}

const struct score_type score_lua_types[] = {
	{ .name = "lua", .values = SV_STRING,
	  .value_desc = "a string (Lua code returning true/false, a number or "
			"{pass, score, reason})",
	  .check = check_lua, .eval = eval_lua },
	{ .name = NULL }
};
