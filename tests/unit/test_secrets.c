/* test_secrets.c — no known secret value is stored or printed, and data
 * cannot reach secrets: the redactor (src/util/redact.c), what a suite
 * registers and sanitizes (src/suite/suite_secrets.c), file:// vars kept
 * inside the suite's directory, and HTTP headers that a var can neither
 * extend (CR/LF) nor fill from the environment through nested templates.
 * Each case reproduces a leak observed before the fix. */
#include "t.h"
#include "../../src/provider/provider.h"
#include "../../src/suite/suite.h"
#include "../../src/util/buf.h"
#include "../../src/util/limits.h"
#include "../../src/util/redact.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[128];

static const char *put(const char *name, const char *text)
{
	static char path[256];
	FILE *f;
	snprintf(dir, sizeof dir, "/tmp/assay_secrets_t%ld", (long)getpid());
	mkdir(dir, 0700);
	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
	return path;
}

static void rm(const char *name)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	unlink(path);
}

static bool redacts(const char *text)
{
	char *r = redact_dup(text, strlen(text));
	bool ok = r && !strstr(r, text) && strstr(r, REDACT_MARK);
	free(r);
	return ok;
}

TEST(secrets_redact_replaces_every_occurrence)
{
	char *r;
	char small[32] = "key=sk-abcdef0123 end";
	redact_clear();
	redact_add("sk-abcdef0123");
	redact_add("abc");                  /* too short: ignored */
	redact_add("sk-abcdef0123-LONGER"); /* longest first */
	r = redact_dup("a sk-abcdef0123 b sk-abcdef0123-LONGER c", 40);
	T_EQ_STR(r, "a " REDACT_MARK " b " REDACT_MARK " c");
	free(r);
	T_ASSERT(redact_dup("nothing here abc", 16) == NULL);
	T_ASSERT(redact_buf(small, sizeof small));
	T_EQ_STR(small, "key=" REDACT_MARK " end");
	/* the JSON-escaped form of a secret is found in stored JSON */
	redact_add("pa\"ss/wo\\rd");
	r = redact_dup("{\"m\":\"pa\\\"ss/wo\\\\rd\"}", 22);
	T_ASSERT(r && !strstr(r, "wo\\\\rd"));
	free(r);
	redact_clear();
}

TEST(secrets_redact_header_and_url_forms)
{
	size_t off, len;
	redact_clear();
	redact_add_header("Content-Type", "application/json");
	T_ASSERT(redact_dup("application/json", 16) == NULL);
	redact_add_header("X-Team-Auth", "Bearer tok-9876543210");
	T_ASSERT(redacts("tok-9876543210"));
	T_ASSERT(redact_url_userinfo("https://u:pw-secret1@h.test/v1", &off,
				     &len));
	T_EQ_INT(off, 8);
	T_EQ_INT(len, 12);
	T_ASSERT(!redact_url_userinfo("https://h.test/a@b", &off, &len));
	redact_add_url("https://u:pw-secret1@h.test/v1");
	T_ASSERT(redacts("pw-secret1"));
	redact_clear();
}

/* A key in apiBaseUrl's userinfo, a literal secret under an unrecognised
 * header name and a key put in apiKeyEnv by mistake: all registered, none
 * in the sanitized suite that is stored. */
TEST(secrets_suite_registers_and_sanitizes)
{
	struct suite *s = NULL;
	struct err e = {0};
	const char *path;
	char *js;
	redact_clear();
	setenv("ASSAY_T_HDR", "env-secret-4242", 1);
	path = put("suite.yaml",
		"prompts: [hi]\n"
		"providers:\n"
		"  - id: openai:chat:m\n"
		"    config:\n"
		"      apiBaseUrl: https://user:sk-userinfo-1111@api.test/v1\n"
		"      apiKeyEnv: sk-mistaken-2222\n"
		"      headers:\n"
		"        X-Custom: literal-secret-3333\n"
		"        Content-Type: application/json\n"
		"  - id: https://api.test/gen\n"
		"    config:\n"
		"      headers: {X-Env: '{{ env.ASSAY_T_HDR }}'}\n"
		"      apiKey: sk-plain-5555\n");
	T_EQ_INT(suite_load(path, &s, &e), 0);
	T_ASSERT(redacts("sk-userinfo-1111"));
	T_ASSERT(redacts("sk-mistaken-2222"));
	T_ASSERT(redacts("literal-secret-3333"));
	T_ASSERT(redacts("env-secret-4242"));
	T_ASSERT(redacts("sk-plain-5555"));
	js = json_dumps(s->sanitized, JSON_COMPACT);
	T_ASSERT(js != NULL);
	T_ASSERT(!strstr(js, "sk-userinfo-1111"));
	T_ASSERT(!strstr(js, "sk-mistaken-2222"));
	T_ASSERT(!strstr(js, "literal-secret-3333"));
	T_ASSERT(!strstr(js, "sk-plain-5555"));
	T_ASSERT(strstr(js, "https://" REDACT_MARK "@api.test/v1") != NULL);
	T_ASSERT(strstr(js, "application/json") != NULL);   /* harmless */
	free(js);
	suite_free(s);
	rm("suite.yaml");
	rmdir(dir);
	unsetenv("ASSAY_T_HDR");
	redact_clear();
}

/* The mistaken key is named in the provider's error, and err_print
 * redacts it. */
TEST(secrets_err_print_redacts)
{
	struct err e = {0};
	FILE *f = tmpfile();
	char out[512] = "";
	size_t n;
	redact_clear();
	redact_add("sk-mistaken-2222");
	err_at(&e, "suite.yaml", 3, 5, "apiKeyEnv names $sk-mistaken-2222, "
	       "which is not set");
	err_print(&e, f);
	rewind(f);
	n = fread(out, 1, sizeof out - 1, f);
	out[n] = '\0';
	fclose(f);
	T_EQ_STR(out, "suite.yaml:3:5: error: apiKeyEnv names $" REDACT_MARK
		 ", which is not set\n");
	T_ASSERT(strstr(e.msg, "sk-mistaken-2222") != NULL); /* untouched */
	redact_clear();
}

/* A CSV cell reading /proc/self/environ or a file above the suite. */
TEST(secrets_file_vars_stay_inside_the_suite_dir)
{
	struct suite *s = NULL;
	struct err e = {0};
	struct limits l;
	char path[256];
	limits_set(NULL);
	put("inside.txt", "ok text");
	put("rows.csv", "q\nfile://inside.txt\nfile:///proc/self/environ\n");
	snprintf(path, sizeof path, "%s",
		 put("suite.yaml", "prompts: ['{{q}}']\nproviders: [exec:cat]\n"
		     "tests: file://rows.csv\n"));
	T_EQ_INT(suite_load(path, &s, &e), ST_INPUT);
	T_ASSERT(strstr(e.msg, "outside the suite's directory") != NULL);
	T_ASSERT(strstr(e.msg, "var_files=anywhere") != NULL);
	T_ASSERT(strstr(e.file, "rows.csv") != NULL);
	T_EQ_INT(e.line, 3);
	T_EQ_INT(e.col, 1);
	put("rows.csv", "q\nfile://../../etc/hostname\n");
	T_EQ_INT(suite_load(path, &s, &e), ST_INPUT);
	T_ASSERT(strstr(e.msg, "outside the suite's directory") != NULL);
	/* inside: read; anywhere: allowed on request */
	put("rows.csv", "q\nfile://inside.txt\n");
	T_EQ_INT(suite_load(path, &s, &e), 0);
	T_EQ_STR(json_string_value(json_object_get(s->tests[0].vars, "q")),
		 "ok text");
	suite_free(s);
	limits_default(&l);
	l.var_files_anywhere = true;
	limits_set(&l);
	put("rows.csv", "q\nfile:///proc/self/cmdline\n");
	T_EQ_INT(suite_load(path, &s, &e), 0);
	suite_free(s);
	limits_set(NULL);
	rm("inside.txt");
	rm("rows.csv");
	rm("suite.yaml");
	rmdir(dir);
}

static struct provider_spec http_spec(const char *config)
{
	struct provider_spec sp;
	memset(&sp, 0, sizeof sp);
	sp.id = (char *)"https://api.test/gen";
	sp.label = sp.id;
	sp.config = json_loads(config, 0, NULL);
	sp.loc.file = "suite.yaml";
	sp.loc.line = 4;
	sp.loc.col = 5;
	return sp;
}

static bool has_header(const struct curl_slist *h, const char *line)
{
	for (; h; h = h->next)
		if (!strcmp(h->data, line))
			return true;
	return false;
}

/* A var holding {{ env.NAME }} reaches a header only as text; a var
 * holding CR/LF cannot add a header. */
TEST(secrets_headers_take_vars_once_and_one_line)
{
	struct provider_spec sp = http_spec("{\"headers\":{\"X-Q\":\"{{ q }}\","
					    "\"X-Env\":\"{{ env.ASSAY_T_E }}\"}}");
	struct provider *p = NULL;
	struct http_request req;
	struct err e = {0};
	json_t *vars = json_pack("{s:s}", "q", "{{ env.ASSAY_T_E }}");
	setenv("ASSAY_T_E", "env-value-77", 1);
	memset(&req, 0, sizeof req);
	T_EQ_INT(provider_new(&sp, ".", &p, &e), 0);
	T_EQ_INT(p->ops->build(p, "hi", false, vars, &req, &e), 0);
	T_ASSERT(has_header(req.headers, "X-Q: {{ env.ASSAY_T_E }}"));
	T_ASSERT(has_header(req.headers, "X-Env: env-value-77"));
	http_request_cleanup(&req);
	json_decref(vars);
	vars = json_pack("{s:s}", "q", "a\r\nX-Injected: 1");
	memset(&req, 0, sizeof req);
	T_ASSERT(p->ops->build(p, "hi", false, vars, &req, &e) != 0);
	T_ASSERT(strstr(e.msg, "line break") != NULL);
	http_request_cleanup(&req);
	json_decref(vars);
	provider_free(p);
	json_decref(sp.config);
	/* a literal line break in a configured header is a config error */
	sp = http_spec("{\"headers\":{\"X-A\":\"v\\r\\nX-B: 2\"}}");
	T_ASSERT(provider_new(&sp, ".", &p, &e) != 0);
	T_ASSERT(strstr(e.msg, "no CR/LF") != NULL);
	json_decref(sp.config);
	unsetenv("ASSAY_T_E");
}

/* An __expected cell naming a schema file outside the suite: it used to
 * be read, and the JSON error quoted a token of it ("near 'root'"). */
TEST(secrets_csv_expected_files_stay_inside_the_suite_dir)
{
	struct suite *s = NULL;
	struct err e = {0};
	char path[256];
	limits_set(NULL);
	put("schema.json", "{\"type\": \"object\"}");
	put("ex.csv", "q,__expected\nhi,is-json:file://schema.json\n"
	    "hi,is-json:file:///etc/passwd\n");
	snprintf(path, sizeof path, "%s",
		 put("suite.yaml", "prompts: ['{{q}}']\nproviders: [exec:cat]\n"
		     "tests: file://ex.csv\n"));
	T_EQ_INT(suite_load(path, &s, &e), ST_INPUT);
	T_ASSERT(strstr(e.msg, "reads a file outside the suite's directory")
		 != NULL);
	T_ASSERT(strstr(e.file, "ex.csv") != NULL);
	T_EQ_INT(e.line, 3);
	T_EQ_INT(e.col, 4);
	put("ex.csv", "q,__expected\nhi,is-json:file://schema.json\n");
	T_EQ_INT(suite_load(path, &s, &e), 0);
	suite_free(s);
	/* JSONL is data too: an assertion value or a rubricPrompt */
	put("ex.jsonl", "{\"vars\":{\"q\":\"a\"},\"options\":"
	    "{\"rubricPrompt\":\"file:///etc/hostname\"}}\n");
	snprintf(path, sizeof path, "%s",
		 put("suite.yaml", "prompts: ['{{q}}']\nproviders: [exec:cat]\n"
		     "tests: file://ex.jsonl\n"));
	T_EQ_INT(suite_load(path, &s, &e), ST_INPUT);
	T_ASSERT(strstr(e.msg, "'file:///etc/hostname' reads a file outside")
		 != NULL);
	T_ASSERT(strstr(e.file, "ex.jsonl") != NULL);
	rm("ex.jsonl");
	rm("schema.json");
	rm("ex.csv");
	rm("suite.yaml");
	rmdir(dir);
}

/* The HTTP body's {{prompt}} is rendered text: a prompt that says
 * "{{ other }}" (from a CSV cell) is sent as those characters. */
TEST(secrets_http_body_prompt_not_rendered_again)
{
	struct provider_spec sp = http_spec("{\"body\":{\"q\":\"Q: {{prompt}}\","
					    "\"v\":\"{{ lang }}\"}}");
	struct provider *p = NULL;
	struct http_request req;
	struct err e = {0};
	json_t *vars = json_pack("{s:s,s:s,s:s}", "lang", "{{ inner }}",
				 "inner", "de", "other", "HIDDEN");
	memset(&req, 0, sizeof req);
	T_EQ_INT(provider_new(&sp, ".", &p, &e), 0);
	T_EQ_INT(p->ops->build(p, "say {{ other }}", false, vars, &req, &e), 0);
	T_ASSERT(strstr(req.body, "Q: say {{ other }}") != NULL);
	T_ASSERT(strstr(req.body, "HIDDEN") == NULL);
	T_ASSERT(strstr(req.body, "\"v\":\"de\"") != NULL); /* vars nest */
	http_request_cleanup(&req);
	json_decref(vars);
	provider_free(p);
	json_decref(sp.config);
}
