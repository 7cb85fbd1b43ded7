/* test_template.c — the Nunjucks subset of src/suite/template.c. */
#include "t.h"
#include "../../src/suite/template.h"
#include "../../src/suite/suite.h"

#include <stdlib.h>

static json_t *vars_of(const char *json)
{
	return json_loads(json, 0, NULL);
}

/* Renders and compares; returns 1 when equal (failing the test otherwise). */
#define RENDER_EQ(tmpl, js, flags, want)                                \
	do {                                                            \
		struct err e_ = {0};                                    \
		json_t *v_ = vars_of(js);                               \
		char *r_ = tmpl_render((tmpl), v_, (flags), NULL, &e_); \
		json_decref(v_);                                        \
		if (!r_) {                                              \
			t_fail(__FILE__, __LINE__, "render failed: %s", \
			       e_.msg);                                 \
			return;                                         \
		}                                                       \
		if (strcmp(r_, (want)) != 0) {                          \
			t_fail(__FILE__, __LINE__, "got \"%s\", want \"%s\"", \
			       r_, (want));                             \
			free(r_);                                       \
			return;                                         \
		}                                                       \
		free(r_);                                               \
	} while (0)

TEST(template_plain_vars)
{
	RENDER_EQ("Hello {{name}}!", "{\"name\":\"Ada\"}", 0, "Hello Ada!");
	RENDER_EQ("{{ name }} / {{  name}}", "{\"name\":\"x\"}", 0, "x / x");
	RENDER_EQ("no tags", "{}", 0, "no tags");
	RENDER_EQ("", "{}", 0, "");
}

TEST(template_value_kinds)
{
	RENDER_EQ("{{i}} {{r}} {{f}} {{t}} {{n}}",
		  "{\"i\":42,\"r\":0.1,\"f\":3.0,\"t\":true,\"n\":null}", 0,
		  "42 0.1 3 true ");
	RENDER_EQ("{{l}}|{{o}}", "{\"l\":[1,\"a\"],\"o\":{\"k\":2}}", 0,
		  "[1,\"a\"]|{\"k\":2}");
}

TEST(template_paths)
{
	const char *js = "{\"a\":{\"b\":{\"c\":\"deep\"}},\"l\":[\"x\","
			 "{\"y\":7}],\"m\":{\"odd key\":1}}";
	RENDER_EQ("{{a.b.c}}", js, 0, "deep");
	RENDER_EQ("{{ l[0] }}{{l[1].y}}", js, 0, "x7");
	RENDER_EQ("{{ m[\"odd key\"] }}{{m['odd key']}}", js, 0, "11");
	RENDER_EQ("{{ l.length }}", js, 0, "2");
}

TEST(template_filters)
{
	RENDER_EQ("{{ s | upper }}|{{s|lower}}|{{ p | trim }}",
		  "{\"s\":\"MiXed\",\"p\":\"  pad \\n\"}", 0, "MIXED|mixed|pad");
	RENDER_EQ("{{ s | dump }} {{ n|dump }} {{ o | dump }}",
		  "{\"s\":\"a\\\"b\",\"n\":3,\"o\":{\"k\":[1]}}", 0,
		  "\"a\\\"b\" 3 {\"k\":[1]}");
	RENDER_EQ("{{ p | trim | upper }}", "{\"p\":\" x \"}", 0, "X");
}

TEST(template_comments_and_whitespace_control)
{
	RENDER_EQ("a{# note #}b", "{}", 0, "ab");
	RENDER_EQ("a   {{- x -}}   b", "{\"x\":\"X\"}", 0, "aXb");
	RENDER_EQ("a\n{#- c -#}\nb", "{}", 0, "ab");
}

TEST(template_nested_vars)
{
	RENDER_EQ("{{ greeting }}", "{\"greeting\":\"Hi {{name}}\","
		  "\"name\":\"Bo\"}", 0, "Hi Bo");
	RENDER_EQ("{{ a }}", "{\"a\":\"<{{b}}>\",\"b\":\"[{{c}}]\",\"c\":1}",
		  0, "<[1]>");
}

TEST(template_nested_vars_depth_limit)
{
	struct err e = {0};
	json_t *v = vars_of("{\"a\":\"{{a}}\"}");
	char *r = tmpl_render("x {{ a }}", v, 0, NULL, &e);
	json_decref(v);
	T_ASSERT(r == NULL);
	T_ASSERT(strstr(e.msg, "nested more than 8 levels") != NULL);
	T_EQ_INT(e.line, 1);
	T_EQ_INT(e.col, 6);
}

TEST(template_json_escape_only_inside_strings)
{
	RENDER_EQ("[{\"role\":\"user\",\"content\":\"Q: {{q}}\"}]",
		  "{\"q\":\"say \\\"hi\\\"\\nnow\"}", TMPL_JSON_ESCAPE,
		  "[{\"role\":\"user\",\"content\":\"Q: say \\\"hi\\\"\\nnow\"}]");
	/* outside a string the value is spliced as-is (dump of a list) */
	RENDER_EQ("[{\"role\":\"user\",\"content\":\"x\"},{{ h | dump }}]",
		  "{\"h\":{\"role\":\"assistant\",\"content\":\"a\\\"b\"}}",
		  TMPL_JSON_ESCAPE,
		  "[{\"role\":\"user\",\"content\":\"x\"},{\"role\":\"assistant\","
		  "\"content\":\"a\\\"b\"}]");
	/* an escaped quote in the literal does not end the string */
	RENDER_EQ("\"a\\\"{{q}}\"", "{\"q\":\"\\\"\"}", TMPL_JSON_ESCAPE,
		  "\"a\\\"\\\"\"");
}

TEST(template_missing_var_reports_name_and_position)
{
	struct err e = {0};
	char missing[64];
	json_t *v = vars_of("{\"a\":{\"b\":1}}");
	char *r = tmpl_render_ex("line1\n  x {{ a.c }}", v, 0, NULL, &e,
				 missing, sizeof missing);
	T_ASSERT(r == NULL);
	T_EQ_STR(missing, "a.c");
	T_EQ_INT(e.code, ST_INPUT);
	T_EQ_INT(e.line, 2);
	T_EQ_INT(e.col, 8);
	T_ASSERT(strstr(e.msg, "undefined variable 'a.c'") != NULL);
	r = tmpl_render_ex("{{ nope }}", v, 0, NULL, &e, missing,
			   sizeof missing);
	T_ASSERT(r == NULL);
	T_EQ_STR(missing, "nope");
	json_decref(v);
}

TEST(template_lenient_renders_missing_as_empty)
{
	RENDER_EQ("[{{ nope }}|{{ a.zz | upper }}]", "{\"a\":{}}",
		  TMPL_LENIENT, "[|]");
}

TEST(template_location_offset_by_loc)
{
	struct err e = {0};
	struct loc l = { "suite.yaml", 10, 7 };
	char *r = tmpl_render("ab {{ x | title }}", NULL, TMPL_LENIENT, &l,
			      &e);
	T_ASSERT(r == NULL);
	T_EQ_STR(e.file, "suite.yaml");
	T_EQ_INT(e.line, 10);
	T_EQ_INT(e.col, 7 + 10);
	T_ASSERT(strstr(e.msg, "unsupported filter 'title'") != NULL);
	r = tmpl_render("a\nbb {% macro x %}", NULL, 0, &l, &e);
	T_ASSERT(r == NULL);
	T_EQ_INT(e.line, 11);
	T_EQ_INT(e.col, 4 + 6);
	T_ASSERT(strstr(e.msg, "'{% macro %}'") != NULL);
}

TEST(template_syntax_errors)
{
	struct err e = {0};
	const char *bad[] = {
		"{{ x ", "{{ }}", "{{ x + 1 }}", "{{ x ~ y }}",
		"{{ f(x) }}", "{{ x | }}", "{{ x | trim(1 }}", "{# open",
		"{{ a[ }}", "{{ a.}}",
	};
	const char *want[] = {
		"unterminated tag", "empty expression", "unsupported template "
		"syntax '+ 1'", "unsupported template syntax '~ y'",
		"function calls", "expected a filter name", "unterminated "
		"arguments of filter 'trim'", "unterminated comment",
		"expected a number", "expected a field",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *r = tmpl_render(bad[i], NULL, TMPL_LENIENT, NULL, &e);
		if (r || !strstr(e.msg, want[i])) {
			t_fail(__FILE__, __LINE__, "%s: got '%s'", bad[i],
			       r ? r : e.msg);
			free(r);
			return;
		}
	}
}

TEST(template_has_tags)
{
	T_ASSERT(tmpl_has_tags("a {{b}}"));
	T_ASSERT(tmpl_has_tags("{% if %}"));
	T_ASSERT(tmpl_has_tags("{# c #}"));
	T_ASSERT(!tmpl_has_tags("{ \"json\": 1 }"));
	T_ASSERT(!tmpl_has_tags(NULL));
}

TEST(template_value_text_forms)
{
	json_t *v = json_real(1e-7);
	char *s = tmpl_value_text(v);
	T_EQ_STR(s, "1e-7");   /* String(1e-7) in JavaScript (ECMA-262
				* Number::toString: exponent form below 1e-6) */
	free(s);
	json_decref(v);
	v = json_real(2.5);
	s = tmpl_value_text(v);
	T_EQ_STR(s, "2.5");
	free(s);
	json_decref(v);
}

/* TMPL_NO_NEST and tmpl_render_raw: untrusted values are inserted once. */
TEST(template_untrusted_values_are_not_rendered_again)
{
	struct err e = {0};
	json_t *v = vars_of("{\"a\":\"{{b}}\",\"b\":\"B\",\"p\":\"{{b}}!\"}");
	static const char *const raw[] = { "p", NULL };
	char *r;
	RENDER_EQ("{{a}}", "{\"a\":\"{{b}}\",\"b\":\"B\"}", 0, "B");
	RENDER_EQ("{{a}}", "{\"a\":\"{{b}}\",\"b\":\"B\"}", TMPL_NO_NEST,
		  "{{b}}");
	r = tmpl_render_raw("{{a}} {{p}} {{ p | upper }}", v, 0, raw, NULL, &e);
	T_EQ_STR(r, "B {{b}}! {{B}}!");
	free(r);
	json_decref(v);
}
