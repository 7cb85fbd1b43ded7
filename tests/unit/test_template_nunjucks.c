/* test_template_nunjucks.c — the Nunjucks tags, filters and operators of
 * src/suite/template*.c.
 *
 * Every expected string was written by hand from Nunjucks' behaviour, with
 * its source named beside it: "filters.js" is nunjucks/src/filters.js (the
 * filter functions), "compiler.js" / "runtime.js" / "parser.js" /
 * "lexer.js" the files of the same name in nunjucks/src (mozilla/nunjucks
 * at 13239ff, read for facts), "docs" the Nunjucks templating docs
 * (mozilla.github.io/nunjucks/templating.html), "JS" ECMA-262 (Nunjucks
 * compiles templates to JavaScript, so its values follow JavaScript). */
#include "t.h"
#include "../../src/suite/template.h"
#include "../../src/suite/suite.h"
#include "../../src/util/limits.h"

#include <stdlib.h>

#define RENDER_EQ(tmpl, js, want)                                       \
	do {                                                            \
		struct err e_ = {0};                                    \
		json_t *v_ = json_loads((js), 0, NULL);                 \
		char *r_ = tmpl_render((tmpl), v_, 0, NULL, &e_);       \
		json_decref(v_);                                        \
		if (!r_) {                                              \
			t_fail(__FILE__, __LINE__, "%s: render failed: %s", \
			       (tmpl), e_.msg);                         \
			return;                                         \
		}                                                       \
		if (strcmp(r_, (want)) != 0) {                          \
			t_fail(__FILE__, __LINE__, "%s: got \"%s\", want " \
			       "\"%s\"", (tmpl), r_, (want));           \
			free(r_);                                       \
			return;                                         \
		}                                                       \
		free(r_);                                               \
	} while (0)

#define RENDER_ERR(tmpl, js, want, line_, col_)                         \
	do {                                                            \
		struct err e_ = {0};                                    \
		json_t *v_ = json_loads((js), 0, NULL);                 \
		char *r_ = tmpl_render((tmpl), v_, 0, NULL, &e_);       \
		json_decref(v_);                                        \
		if (r_ || !strstr(e_.msg, (want)) || e_.line != (line_) || \
		    e_.col != (col_)) {                                 \
			t_fail(__FILE__, __LINE__, "%s: got %d:%d '%s', " \
			       "want %d:%d '%s'", (tmpl), e_.line, e_.col, \
			       r_ ? r_ : e_.msg, (line_), (col_), (want)); \
			free(r_);                                       \
			return;                                         \
		}                                                       \
	} while (0)

TEST(nunjucks_if_elif_else)
{
	/* docs "if": the first true branch renders */
	RENDER_EQ("{% if x %}A{% elif y %}B{% else %}C{% endif %}",
		  "{\"x\":0,\"y\":\"s\"}", "B");
	RENDER_EQ("{% if x %}A{% elif y %}B{% else %}C{% endif %}",
		  "{\"x\":0,\"y\":\"\"}", "C");
	RENDER_EQ("{% if x %}A{% elseif y %}B{% endif %}", "{\"x\":1,\"y\":1}",
		  "A");   /* parser.js parseIf: elseif is elif */
	/* an undefined var in a condition is false, not an error (runtime.js
	 * contextOrFrameLookup gives undefined) */
	RENDER_EQ("[{% if nope %}yes{% endif %}]", "{}", "[]");
	RENDER_EQ("{% if nope.deeper %}y{% else %}n{% endif %}", "{}", "n");
}

TEST(nunjucks_truthiness_is_javascripts)
{
	/* JS ToBoolean: [], {} and "0" are true; 0, "", null, false are
	 * false */
	RENDER_EQ("{% if l %}t{% else %}f{% endif %}{% if o %}t{% else %}f"
		  "{% endif %}{% if s %}t{% else %}f{% endif %}{% if z %}t"
		  "{% else %}f{% endif %}{% if n %}t{% else %}f{% endif %}"
		  "{% if e %}t{% else %}f{% endif %}{% if r %}t{% else %}f"
		  "{% endif %}",
		  "{\"l\":[],\"o\":{},\"s\":\"0\",\"z\":0,\"n\":null,\"e\":\"\","
		  "\"r\":0.0}", "tttffff");
}

TEST(nunjucks_comparisons)
{
	/* compiler.js compareOps: == is JavaScript's loose == */
	RENDER_EQ("{% if n == \"1\" %}eq{% endif %}", "{\"n\":1}", "eq");
	RENDER_EQ("{% if t == 1 %}eq{% endif %}", "{\"t\":true}", "eq");
	RENDER_EQ("{% if n == none %}eq{% endif %}", "{\"n\":null}", "eq");
	RENDER_EQ("{% if n != 0 %}ne{% else %}eq{% endif %}", "{\"n\":null}",
		  "ne");   /* JS: null == 0 is false */
	RENDER_EQ("{% if l == \"1,2\" %}eq{% endif %}", "{\"l\":[1,2]}",
		  "eq");   /* JS: [1,2] == "1,2" (ToPrimitive) */
	RENDER_EQ("{% if a == b %}eq{% else %}ne{% endif %}",
		  "{\"a\":[1],\"b\":[1]}", "ne");   /* objects by identity */
	RENDER_EQ("{% if a == a %}eq{% endif %}", "{\"a\":[1]}", "eq");
	/* relational: strings compare as strings, else as numbers */
	RENDER_EQ("{% if \"10\" < \"9\" %}s{% endif %}{% if 10 < \"9\" %}n"
		  "{% else %}m{% endif %}", "{}", "sm");
	RENDER_EQ("{% if x >= 2.5 and x <= 3 %}in{% endif %}", "{\"x\":3}",
		  "in");
	RENDER_EQ("{% if \"abc\" > 1 %}y{% else %}n{% endif %}", "{}", "n");
	/* JS: "abc" is NaN as a number; every comparison with NaN is false */
}

TEST(nunjucks_and_or_not_yield_operands)
{
	/* compiler.js compileOr / compileAnd emit || and &&: the value of an
	 * operand, not a boolean */
	RENDER_EQ("{{ a or \"fallback\" }}|{{ b or \"fallback\" }}",
		  "{\"a\":\"\",\"b\":\"set\"}", "fallback|set");
	RENDER_EQ("{{ a and \"second\" }}|{{ b and \"second\" }}",
		  "{\"a\":0,\"b\":1}", "0|second");
	RENDER_EQ("{{ not a }}|{{ not not a }}", "{\"a\":\"x\"}", "false|true");
	/* the left of `or` may be undefined (strict rendering asks there
	 * whether it is set), the right may not */
	RENDER_EQ("{{ nick or name }}", "{\"name\":\"Ada\"}", "Ada");
	RENDER_ERR("{{ name or nick }}", "{\"name\":\"\"}",
		   "undefined variable 'nick'", 1, 12);
	/* parser.js: not binds looser than comparisons */
	RENDER_EQ("{% if not x == 1 %}y{% else %}n{% endif %}", "{\"x\":1}",
		  "n");
	RENDER_EQ("{% if (a or b) and c %}y{% endif %}",
		  "{\"a\":0,\"b\":1,\"c\":1}", "y");
}

TEST(nunjucks_in_operator)
{
	/* lib.js inOperator: lists by ===, strings by indexOf, objects by
	 * key */
	RENDER_EQ("{% if \"b\" in l %}1{% endif %}{% if 1 in l %}2{% endif %}"
		  "{% if \"1\" in l %}3{% endif %}", "{\"l\":[1,\"b\"]}", "12");
	RENDER_EQ("{% if \"ell\" in s %}y{% endif %}{% if \"k\" in o %}k"
		  "{% endif %}{% if \"z\" not in o %}z{% endif %}",
		  "{\"s\":\"hello\",\"o\":{\"k\":0}}", "ykz");
	RENDER_EQ("{% if x in [\"a\", \"b\"] %}y{% endif %}", "{\"x\":\"b\"}",
		  "y");
	RENDER_ERR("{% if 1 in n %}{% endif %}", "{\"n\":5}",
		   "cannot use 'in'", 1, 12);
}

TEST(nunjucks_for_lists_and_loop_vars)
{
	/* compiler.js _emitLoopBindings: index (1-based), index0, revindex,
	 * revindex0, first, last, length */
	RENDER_EQ("{% for x in l %}{{ loop.index }}:{{ x }}"
		  "{% if not loop.last %},{% endif %}{% endfor %}",
		  "{\"l\":[\"a\",\"b\",\"c\"]}", "1:a,2:b,3:c");
	RENDER_EQ("{% for x in l %}{{ loop.index0 }}{{ loop.revindex }}"
		  "{{ loop.revindex0 }}{{ loop.first }}{{ loop.length }};"
		  "{% endfor %}", "{\"l\":[7,8]}", "021true2;110false2;");
	/* docs "for": else renders when the list is empty */
	RENDER_EQ("{% for x in l %}{{ x }}{% else %}none{% endfor %}",
		  "{\"l\":[]}", "none");
	/* nested loops each have their own loop */
	RENDER_EQ("{% for r in m %}{% for c in r %}{{ loop.index }}{{ c }}"
		  "{% endfor %}/{{ loop.index }} {% endfor %}",
		  "{\"m\":[[\"a\",\"b\"],[\"c\"]]}", "1a2b/1 1c/2 ");
	/* the loop var is gone after the loop */
	RENDER_EQ("{% for x in l %}{% endfor %}[{{ x | default(\"gone\") }}]",
		  "{\"l\":[1]}", "[gone]");
}

TEST(nunjucks_for_objects_strings_and_falsy)
{
	/* compiler.js compileFor: `for k, v in obj` walks the keys (JS
	 * order: integer keys first, ascending); one name over an object has
	 * no .length, so nothing iterates and the else renders */
	RENDER_EQ("{% for k, v in o %}{{ k }}={{ v }};{% endfor %}",
		  "{\"o\":{\"b\":1,\"2\":\"x\",\"a\":2,\"1\":\"y\"}}",
		  "1=y;2=x;b=1;a=2;");
	RENDER_EQ("{% for x in o %}{{ x }}{% else %}no length{% endfor %}",
		  "{\"o\":{\"a\":1}}", "no length");
	/* a string is indexed like a list of characters */
	RENDER_EQ("{% for ch in s %}[{{ ch }}]{% endfor %}", "{\"s\":\"hé!\"}",
		  "[h][é][!]");
	/* if (arr): null and 0 do not iterate */
	RENDER_EQ("{% for x in n %}{{ x }}{% else %}e{% endfor %}",
		  "{\"n\":null}", "e");
	/* two names over a list of pairs */
	RENDER_EQ("{% for a, b in l %}{{ a }}{{ b }} {% endfor %}",
		  "{\"l\":[[1,2],[3,4]]}", "12 34 ");
}

TEST(nunjucks_set_scopes)
{
	RENDER_EQ("{% set x = \"v\" %}{{ x }}", "{}", "v");
	/* a set overrides a var of the same name for the rest */
	RENDER_EQ("{{ x }}{% set x = 2 %}{{ x }}", "{\"x\":1}", "12");
	/* runtime.js Frame.set(…, resolveUp): a loop updates a name set
	 * before it */
	RENDER_EQ("{% set last = \"-\" %}{% for x in l %}{% set last = x %}"
		  "{% endfor %}{{ last }}", "{\"l\":[\"a\",\"b\"]}", "b");
	/* a name first set inside a loop belongs to the loop's frame */
	RENDER_EQ("{% for x in l %}{% set y = x %}{% endfor %}"
		  "{{ y | default(\"none\") }}", "{\"l\":[1]}", "none");
	/* `if` opens no frame */
	RENDER_EQ("{% if true %}{% set z = 3 %}{% endif %}{{ z }}", "{}", "3");
	/* the set persists across iterations of one loop (one frame per
	 * loop) */
	RENDER_EQ("{% for x in l %}{% if loop.first %}{% set y = \"F\" %}"
		  "{% endif %}{{ y }}{% endfor %}", "{\"l\":[1,2]}", "FF");
}

TEST(nunjucks_filter_default)
{
	/* filters.js default_(val, def, bool): only undefined is replaced,
	 * unless bool is true, then every falsy value */
	RENDER_EQ("{{ nope | default(\"d\") }}|{{ n | default(\"d\") }}|"
		  "{{ e | default(\"d\") }}|{{ e | default(\"d\", true) }}",
		  "{\"n\":null,\"e\":\"\"}", "d|||d");
	RENDER_EQ("{{ a.b.c | default(\"deep\") }}", "{\"a\":{}}", "deep");
}

TEST(nunjucks_filter_dump)
{
	/* filters.js dump = JSON.stringify(obj, null, spaces) */
	RENDER_EQ("{{ o | dump }}", "{\"o\":{\"a\":[1,2.5,\"x\"],\"b\":null}}",
		  "{\"a\":[1,2.5,\"x\"],\"b\":null}");
	RENDER_EQ("{{ o | dump(2) }}", "{\"o\":{\"a\":[1],\"e\":[]}}",
		  "{\n  \"a\": [\n    1\n  ],\n  \"e\": []\n}");
	RENDER_EQ("{{ o | dump(\"\\t\") }}", "{\"o\":{\"a\":1}}",
		  "{\n\t\"a\": 1\n}");
	RENDER_EQ("{{ s | dump }}|{{ n | dump }}|{{ f | dump }}",
		  "{\"s\":\"q\\\"\\n\",\"n\":1.0,\"f\":1e-7}",
		  "\"q\\\"\\n\"|1|1e-7");   /* JS number forms */
	RENDER_EQ("[{{ l | first | dump }}]", "{\"l\":[]}", "[]");
	/* JS Number::toString: fixed below 1e21 and from 1e-6, else
	 * exponent form with an explicit sign */
	RENDER_EQ("{{ a }} {{ b }} {{ c }} {{ d }} {{ e }} {{ [f] | dump }}",
		  "{\"a\":1e21,\"b\":1e20,\"c\":0.000001,\"d\":1.5e300,"
		  "\"e\":-0.1,\"f\":2.5e-7}",
		  "1e+21 100000000000000000000 0.000001 1.5e+300 -0.1 [2.5e-7]");
	/* JSON.stringify(undefined) is undefined: the output is empty */
}

TEST(nunjucks_filter_join_length_first_last)
{
	/* filters.js join(arr, del, attr): arr.join(del || '') — String() of
	 * each element, null as "" (JS Array.prototype.join) */
	RENDER_EQ("{{ l | join(\", \") }}|{{ l | join }}",
		  "{\"l\":[1,\"a\",null,true]}", "1, a, , true|1atrue");
	RENDER_EQ("{{ l | join(\"-\", \"n\") }}",
		  "{\"l\":[{\"n\":\"x\"},{\"n\":2},{}]}", "x-2-");
	RENDER_EQ("{{ l | join(\";\") }}", "{\"l\":[[1,2],{\"a\":1}]}",
		  "1,2;[object Object]");
	/* lengthFilter: strings in UTF-16 units, objects by key count, null
	 * and undefined 0 */
	RENDER_EQ("{{ s | length }} {{ o | length }} {{ l | length }} "
		  "{{ n | length }} {{ e | length }}",
		  "{\"s\":\"h\\u00e9\\ud83d\\ude00\",\"o\":{\"a\":1,\"b\":2},"
		  "\"l\":[1,2,3],\"n\":null,\"e\":\"\"}", "4 2 3 0 0");
	/* first(arr) = arr[0], last(arr) = arr[arr.length - 1] */
	RENDER_EQ("{{ l | first }}{{ l | last }}{{ s | first }}{{ s | last }}"
		  "[{{ e | first }}]", "{\"l\":[1,2,3],\"s\":\"xyz\",\"e\":[]}",
		  "13xz[]");
}

TEST(nunjucks_filter_replace_trim_case_load)
{
	/* filters.js replace(str, old, new, maxCount) */
	RENDER_EQ("{{ s | replace(\"a\", \"o\") }}|{{ s | replace(\"a\", \"o\", "
		  "1) }}|{{ s | replace(\"\", \".\") }}",
		  "{\"s\":\"banana\"}", "bonono|bonana|.b.a.n.a.n.a.");
	RENDER_EQ("{{ n | replace(1, \"x\") }}|{{ s | replace(\"a\", 2) }}",
		  "{\"n\":101,\"s\":\"aa\"}", "x0x|22");
	/* trim: str.replace(/^\s*|\s*$/g, ''): JS \s includes U+00A0 */
	RENDER_EQ("[{{ s | trim }}]", "{\"s\":\" \\u00a0\\tpad\\n \"}",
		  "[pad]");
	/* upper / lower: normalize(str, ''): null and undefined are "" */
	RENDER_EQ("{{ s | upper }}{{ s | lower }}[{{ n | upper }}]",
		  "{\"s\":\"ÉtÉ\",\"n\":null}", "ÉTÉété[]");
	/* promptfoo's load filter: JSON.parse(str) */
	RENDER_EQ("{% set o = j | load %}{{ o.a[1] }}|{{ (j | load).b }}",
		  "{\"j\":\"{\\\"a\\\":[1,2],\\\"b\\\":\\\"B\\\"}\"}", "2|B");
	RENDER_ERR("{{ j | load }}", "{\"j\":\"{bad\"}",
		   "filter 'load': the value is not JSON", 1, 8);
}

TEST(nunjucks_filter_type_errors)
{
	/* where Nunjucks' JavaScript would throw (no such method on the
	 * value), the render fails at the filter */
	RENDER_ERR("{{ n | upper }}", "{\"n\":3}",
		   "filter 'upper' expects a string, got a number", 1, 8);
	RENDER_ERR("{{ s | join(\",\") }}", "{\"s\":\"abc\"}",
		   "filter 'join' expects a list, got a string", 1, 8);
	RENDER_ERR("x\n{{ l | trim }}", "{\"l\":[1]}",
		   "filter 'trim' expects a string", 2, 8);
}

TEST(nunjucks_literals_and_lookups)
{
	/* lexer.js: strings with \n \t escapes, none/null literals */
	RENDER_EQ("{{ \"a\\tb\" }}|{{ 'q' }}|{{ 42 }}|{{ 1.50 }}|[{{ none }}]",
		  "{}", "a\tb|q|42|1.5|[]");
	RENDER_EQ("{{ o[k] }}{{ l[i] }}", "{\"o\":{\"x\":\"X\"},\"k\":\"x\","
		  "\"l\":[5,6],\"i\":1}", "X6");
	RENDER_EQ("{{ s.length }}{{ s[1] }}", "{\"s\":\"abc\"}", "3b");
}

TEST(nunjucks_whitespace_control_on_blocks)
{
	/* docs "Whitespace Control": {%- and -%} strip the whitespace
	 * around the tag; without them the tag's line keeps its newlines
	 * (trimBlocks and lstripBlocks are off by default) */
	RENDER_EQ("a\n{% if true %}\nb\n{% endif %}\nc", "{}", "a\n\nb\n\nc");
	RENDER_EQ("a\n{%- if true -%}\nb\n{%- endif -%}\nc", "{}", "abc");
	RENDER_EQ("{% for x in l -%}\n  {{ x }}\n{%- endfor %}",
		  "{\"l\":[1,2]}", "12");
}

TEST(nunjucks_errors_name_the_position)
{
	RENDER_ERR("ab\n  {% if x %}never closed", "{}",
		   "'{% if %}' is never closed", 2, 3);
	RENDER_ERR("{% for x in l %}x", "{\"l\":[]}",
		   "'{% for %}' is never closed", 1, 1);
	RENDER_ERR("x {% endif %}", "{}", "unexpected '{% endif %}'", 1, 3);
	RENDER_ERR("{% include \"f.njk\" %}", "{}",
		   "unsupported template tag '{% include %}'", 1, 1);
	RENDER_ERR("{% for x of l %}{% endfor %}", "{}", "expected 'in'", 1,
		   10);
	RENDER_ERR("{% set x %}b{% endset %}", "{}", "block", 1, 10);
	RENDER_ERR("{{ a if b else c }}", "{}", "inline 'if", 1, 6);
	RENDER_ERR("{{ x is defined }}", "{}", "'is' tests", 1, 6);
	RENDER_ERR("{{ x | capitalize }}", "{\"x\":1}",
		   "unsupported filter 'capitalize'", 1, 8);
	/* an undefined var outside a condition is an error (strict) */
	RENDER_ERR("{% for x in nope %}{% endfor %}", "{}",
		   "undefined variable 'nope'", 1, 13);
	/* syntax errors in a branch never taken are still reported */
	RENDER_ERR("{% if false %}{{ x ~ y }}{% endif %}", "{}",
		   "unsupported template syntax", 1, 20);
}

TEST(nunjucks_loops_stay_within_budget)
{
	/* a loop over a long list, and nested loops, are held to
	 * template_work: an error at the loop, not a hang */
	struct limits saved = *limits_get(), lim = saved;
	struct err e = {0};
	json_t *v = json_object(), *l = json_array();
	char *r;
	for (int i = 0; i < 2000; i++)
		json_array_append_new(l, json_integer(i));
	json_object_set_new(v, "l", l);
	lim.template_work = 100000;
	limits_set(&lim);
	r = tmpl_render("{% for a in l %}{% for b in l %}{{ a }}{% endfor %}"
			"{% endfor %}", v, 0, NULL, &e);
	T_ASSERT(r == NULL);
	T_ASSERT(strstr(e.msg, "limit template_work") != NULL);
	T_ASSERT(e.col >= 17 && e.col <= 35);   /* inside the inner loop */
	/* the same template over a short list fits */
	json_object_set_new(v, "l", json_pack("[i,i]", 1, 2));
	r = tmpl_render("{% for a in l %}{% for b in l %}{{ a }}{% endfor %}"
			"{% endfor %}", v, 0, NULL, &e);
	T_EQ_STR(r, "1122");
	free(r);
	/* text made by a loop is held to template_bytes */
	lim = saved;
	lim.template_bytes = 1000;
	limits_set(&lim);
	l = json_array();
	for (int i = 0; i < 200; i++)
		json_array_append_new(l, json_string("0123456789"));
	json_object_set_new(v, "l", l);
	r = tmpl_render("{% for x in l %}{{ x }}{% endfor %}", v, 0, NULL, &e);
	T_ASSERT(r == NULL);
	T_ASSERT(strstr(e.msg, "limit template_bytes") != NULL);
	limits_set(&saved);
	json_decref(v);
}

TEST(nunjucks_lenient_check_accepts_tags_without_vars)
{
	/* the load-time syntax check renders without vars */
	struct err e = {0};
	char *r = tmpl_render("{% for m in _conversation %}{{ m.input | trim }}"
			      "{{ m.output | join(\",\") }}{% endfor %}"
			      "{% if x == 1 %}a{% endif %}{{ y | first }}",
			      NULL, TMPL_LENIENT, NULL, &e);
	T_EQ_STR(r, "");
	free(r);
}

TEST(nunjucks_refers_to_names_whole_words_in_tags)
{
	/* which prompts get promptfoo's _conversation (engine_cvar.c) */
	T_ASSERT(tmpl_refers_to("{% for c in _conversation %}{% endfor %}",
				"_conversation"));
	T_ASSERT(tmpl_refers_to("{{ _conversation[0].output }}",
				"_conversation"));
	T_ASSERT(!tmpl_refers_to("_conversation outside tags {{ x }}",
				 "_conversation"));
	T_ASSERT(!tmpl_refers_to("{{ my_conversation }}", "_conversation"));
	T_ASSERT(!tmpl_refers_to("{{ _conversations }}", "_conversation"));
	T_ASSERT(!tmpl_refers_to(NULL, "_conversation"));
}
