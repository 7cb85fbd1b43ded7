/* test_prov_code.c — script providers (src/provider/prov_code.c) without
 * an interpreter: the worker request, and every reply shape → response,
 * as promptfoo's contracts define them (src/providers/pythonCompletion.ts:
 * a dict with `output` or `error`, else an error quoting what came back). */
#include "t.h"
#include "../../src/provider/provider.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];
static struct provider_spec spec;   /* borrowed by the provider */

__attribute__((destructor)) static void cleanup_dir(void)
{
	char path[128];
	json_decref(spec.config);
	if (!dir[0])
		return;
	snprintf(path, sizeof path, "%s/prov.py", dir);
	unlink(path);
	rmdir(dir);
}

static struct provider *code_provider(const char *id, const char *cfg)
{
	struct provider_spec *sp = &spec;
	struct provider *p = NULL;
	struct err e = {0};
	FILE *f;
	snprintf(dir, sizeof dir, "/tmp/assay_prov_code_%d", (int)getpid());
	mkdir(dir, 0700);
	{
		char path[128];
		snprintf(path, sizeof path, "%s/prov.py", dir);
		f = fopen(path, "w");
		if (f) {
			fputs("def call_api(p, o, c):\n    return {}\n", f);
			fclose(f);
		}
	}
	json_decref(sp->config);   /* the previous test's provider is gone */
	memset(sp, 0, sizeof *sp);
	sp->id = (char *)id;
	sp->label = (char *)"lab";
	sp->config = json_loads(cfg, 0, NULL);
	sp->loc.file = "suite.yaml";
	sp->loc.line = 3;
	sp->loc.col = 5;
	if (provider_new(sp, dir, &p, &e)) {
		t_fail(__FILE__, __LINE__, "provider_new: %s", e.msg);
		return NULL;
	}
	return p;
}

static void reply_of(struct provider *p, const char *reply_json,
		     struct response *resp)
{
	json_t *r = json_loads(reply_json, 0, NULL);
	response_init(resp);
	p->ops->code_reply(p, r, resp);
	json_decref(r);
}

TEST(prov_code_request_carries_the_contract)
{
	struct provider *p = code_provider("file://prov.py:my_call",
					   "{\"greeting\":\"hi\"}");
	json_t *req = NULL, *vars = json_pack("{s:s}", "q", "v");
	struct prompt pr = { .raw = (char *)"{{q}}", .label = (char *)"P" };
	struct err e = {0};
	int lang = -1;
	T_ASSERT(p != NULL);
	T_EQ_INT(p->ops->code_request(p, "rendered", &pr, vars, &lang, &req,
				      &e), 0);
	T_EQ_INT(lang, 1);
	T_EQ_STR(json_string_value(json_object_get(req, "kind")), "provider");
	T_EQ_STR(json_string_value(json_object_get(req, "fn")), "my_call");
	T_EQ_STR(json_string_value(json_object_get(req, "prompt")), "rendered");
	T_ASSERT(strstr(json_string_value(json_object_get(req, "file")),
			"/prov.py") != NULL);
	/* options = {id, label, config}; context = {vars, prompt} */
	T_EQ_STR(json_string_value(json_object_get(json_object_get(
		json_object_get(req, "options"), "config"), "greeting")), "hi");
	T_EQ_STR(json_string_value(json_object_get(json_object_get(req,
		"options"), "id")), "file://prov.py:my_call");
	T_EQ_STR(json_string_value(json_object_get(json_object_get(
		json_object_get(req, "context"), "vars"), "q")), "v");
	T_EQ_STR(json_string_value(json_object_get(json_object_get(
		json_object_get(req, "context"), "prompt"), "label")), "P");
	json_decref(req);
	json_decref(vars);
	provider_free(p);
}

TEST(prov_code_reply_shapes)
{
	struct provider *p = code_provider("file://prov.py", "{}");
	struct response r;
	T_ASSERT(p != NULL);
	reply_of(p, "{\"ok\":true,\"result\":{\"output\":\"hi\",\"tokenUsage\":"
		 "{\"prompt\":3,\"completion\":4},\"cost\":0.5,\"cached\":true}}",
		 &r);
	T_EQ_INT(r.error, RESP_OK);
	T_EQ_STR(r.output, "hi");
	T_EQ_INT(r.prompt_tokens, 3);
	T_EQ_INT(r.total_tokens, 7);   /* prompt + completion when absent */
	T_ASSERT(fabs(r.cost_usd - 0.5) < 1e-12);
	T_ASSERT(r.cached);
	response_cleanup(&r);
	/* a non-string output is its JSON; no cost is a free local call */
	reply_of(p, "{\"ok\":true,\"result\":{\"output\":{\"a\":[1]}}}", &r);
	T_EQ_STR(r.output, "{\"a\":[1]}");
	T_ASSERT(r.cost_usd == 0);
	response_cleanup(&r);
	/* `error` wins, as promptfoo reads it */
	reply_of(p, "{\"ok\":true,\"result\":{\"output\":\"x\",\"error\":"
		 "\"quota\"}}", &r);
	T_EQ_INT(r.error, RESP_ERR_OTHER);
	T_EQ_STR(r.error_msg, "prov.py returned an error: quota");
	response_cleanup(&r);
	/* an empty error is no error */
	reply_of(p, "{\"ok\":true,\"result\":{\"output\":\"x\",\"error\":\"\"}}",
		 &r);
	T_EQ_INT(r.error, RESP_OK);
	response_cleanup(&r);
	reply_of(p, "{\"ok\":true,\"result\":\"just text\"}", &r);
	T_EQ_INT(r.error, RESP_ERR_EXEC);
	T_ASSERT(strstr(r.error_msg, "call_api must return a dict with an "
			"`output` or an `error`, instead got: \"just text\"")
		 != NULL);
	response_cleanup(&r);
	provider_free(p);
}

TEST(prov_code_throw_names_the_scripts_line)
{
	struct provider *p = code_provider("file://prov.py", "{}");
	struct response r;
	char reply[1024];
	char *real = realpath(dir, NULL);
	T_ASSERT(p != NULL && real != NULL);
	/* Python: the innermost frame in the script is the last one (the
	 * provider names the script by its real path, as stacks do) */
	snprintf(reply, sizeof reply, "{\"ok\":false,\"error\":\""
		 "ZeroDivisionError: division by zero\",\"stack\":\"Traceback:"
		 "\\n  File \\\"%s/prov.py\\\", line 2, in call_api\\n  "
		 "File \\\"%s/prov.py\\\", line 9, in helper\\n\"}", real,
		 real);
	free(real);
	reply_of(p, reply, &r);
	T_EQ_INT(r.error, RESP_ERR_EXEC);
	T_EQ_STR(r.error_msg, "prov.py:9 threw: ZeroDivisionError: division by "
		 "zero");
	response_cleanup(&r);
	/* no frame of the script: the file's name alone */
	reply_of(p, "{\"ok\":false,\"error\":\"boom\",\"stack\":\"elsewhere\"}",
		 &r);
	T_EQ_STR(r.error_msg, "prov.py threw: boom");
	response_cleanup(&r);
	provider_free(p);
}

TEST(prov_code_config_errors)
{
	struct provider_spec s;
	struct provider *p = NULL;
	struct err e = {0};
	memset(&s, 0, sizeof s);
	s.id = (char *)"file://missing.py";
	s.label = s.id;
	s.config = json_object();
	s.loc.file = "suite.yaml";
	s.loc.line = 4;
	s.loc.col = 7;
	T_ASSERT(provider_new(&s, "/nonexistent", &p, &e) != 0);
	T_ASSERT(strstr(e.msg, "cannot read provider script") != NULL);
	T_EQ_INT(e.line, 4);
	s.id = (char *)"file://provider.yaml";
	T_ASSERT(provider_new(&s, "/tmp", &p, &e) != 0);
	T_ASSERT(strstr(e.msg, "other than JavaScript") != NULL);
	json_decref(s.config);
}
