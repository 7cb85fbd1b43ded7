/* test_utf8.c — the one UTF-8 decoder (src/util/utf8.c) and the callers
 * that were switched to it.  The cases are RFC 3629's table of
 * well-formed sequences (§4) and Markus Kuhn's "UTF-8 decoder capability
 * and stress test" (sections 2 boundaries, 3 malformed, 4 overlong, 5
 * surrogates): valid boundaries, overlong forms, surrogates, code points
 * past U+10FFFF, stray continuation bytes and sequences cut short. */
#include "t.h"

#include <stdlib.h>
#include <string.h>

#include "../../src/provider/provider.h"
#include "../../src/suite/conv_text.h"
#include "../../src/util/utf8.h"
#include "../../src/view/view_int.h"

static const struct { const char *s; size_t len; uint32_t cp; } valid[] = {
	{ "A", 1, 0x41 },
	{ "\x7F", 1, 0x7F },
	{ "\xC2\x80", 2, 0x80 },             /* first 2-byte */
	{ "\xC3\xA9", 2, 0xE9 },
	{ "\xDF\xBF", 2, 0x7FF },            /* last 2-byte */
	{ "\xE0\xA0\x80", 3, 0x800 },        /* first 3-byte */
	{ "\xE2\x82\xAC", 3, 0x20AC },
	{ "\xED\x9F\xBF", 3, 0xD7FF },       /* just below the surrogates */
	{ "\xEE\x80\x80", 3, 0xE000 },       /* just above them */
	{ "\xEF\xBF\xBF", 3, 0xFFFF },
	{ "\xF0\x90\x80\x80", 4, 0x10000 },  /* first 4-byte */
	{ "\xF0\x9F\x98\x80", 4, 0x1F600 },
	{ "\xF4\x8F\xBF\xBF", 4, 0x10FFFF }, /* the last code point */
};

static const struct { const char *s; size_t n; const char *why; } invalid[] = {
	{ "\x80", 1, "continuation byte" },
	{ "\xBF", 1, "continuation byte" },
	{ "\xC0\x80", 2, "overlong NUL" },
	{ "\xC1\xBF", 2, "overlong 2-byte" },
	{ "\xE0\x80\x80", 3, "overlong 3-byte" },
	{ "\xE0\x9F\xBF", 3, "overlong U+07FF" },
	{ "\xF0\x80\x80\x80", 4, "overlong 4-byte" },
	{ "\xF0\x8F\xBF\xBF", 4, "overlong U+FFFF" },
	{ "\xED\xA0\x80", 3, "surrogate U+D800" },
	{ "\xED\xBF\xBF", 3, "surrogate U+DFFF" },
	{ "\xF4\x90\x80\x80", 4, "U+110000" },
	{ "\xF5\x80\x80\x80", 4, "lead byte F5" },
	{ "\xFE", 1, "byte FE" },
	{ "\xFF", 1, "byte FF" },
	{ "\xC3\x41", 2, "no continuation" },
	{ "\xE2\x28\xA1", 3, "bad second byte" },
	{ "\xE2\x82\x28", 3, "bad third byte" },
	{ "\xC3", 1, "cut short (2)" },
	{ "\xE2\x82", 2, "cut short (3)" },
	{ "\xF0\x9F\x98", 3, "cut short (4)" },
	{ "\xC3\xA9", 1, "cut by n" },
	{ "", 0, "nothing" },
};

TEST(utf8_decode_valid_boundaries)
{
	for (size_t i = 0; i < sizeof valid / sizeof *valid; i++) {
		uint32_t cp = 0;
		T_EQ_INT(utf8_decode(valid[i].s, strlen(valid[i].s), &cp), valid[i].len);
		T_EQ_INT(cp, valid[i].cp);
	}
	{
		uint32_t cp = 7;
		T_EQ_INT(utf8_decode("\0x", 2, &cp), 1);   /* NUL is a code point */
		T_EQ_INT(cp, 0);
	}
}

TEST(utf8_decode_refuses_invalid_overlong_surrogate_truncated)
{
	for (size_t i = 0; i < sizeof invalid / sizeof *invalid; i++) {
		uint32_t cp = 0x1234;
		size_t l = utf8_decode(invalid[i].s, invalid[i].n, &cp);
		if (l != 0 || cp != 0x1234)
			t_fail(__FILE__, __LINE__, "%s: length %zu, want 0", invalid[i].why, l);
	}
}

TEST(utf8_valid_prefix_and_clean)
{
	const char mixed[] = "ab\xC3\xA9\xFF" "cd\xED\xA0\x80!";
	char *c;
	T_EQ_INT(utf8_valid_prefix(mixed, sizeof mixed - 1), 4);
	T_EQ_INT(utf8_valid_prefix("abc", 3), 3);
	T_EQ_INT(utf8_valid_prefix("", 0), 0);
	c = utf8_clean(mixed, sizeof mixed - 1);
	/* one U+FFFD per byte that does not start a valid sequence */
	T_EQ_STR(c, "ab\xC3\xA9\xEF\xBF\xBD" "cd\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD!");
	free(c);
	c = utf8_clean("a\0b\xF0\x9F", 5);   /* NUL kept, the cut sequence replaced */
	T_ASSERT(!memcmp(c, "a\0b\xEF\xBF\xBD\xEF\xBF\xBD", 9));
	free(c);
	c = utf8_clean(NULL, 0);
	T_EQ_STR(c, "");
	free(c);
}

/* The callers keep their own answer for a bad byte. */
TEST(utf8_callers_provider_text_check_and_view_jstr)
{
	json_t *j;
	T_EQ_INT(provider_text_check("ok\xE0\x9F\xBF", 5), 2);   /* overlong */
	T_EQ_INT(provider_text_check("a\0\xFF", 3), 1);          /* NUL first */
	T_EQ_INT(provider_text_check("", 0), 0);
	/* view_jstr: an overlong or a surrogate used to pass its own check,
	 * then jansson refused the whole string and the page showed "" */
	j = view_jstr("a\xC0\x80" "b\xED\xA0\x80" "c", 0, NULL);
	T_EQ_STR(json_string_value(j), "a\xEF\xBF\xBD\xEF\xBF\xBD" "b"
		 "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD" "c");
	json_decref(j);
}

/* A reply that is not UTF-8 still joins a conversation's history (jansson
 * refuses such a string: the message used to be dropped silently). */
TEST(conv_push_msg_keeps_a_reply_that_is_not_utf8)
{
	json_t *msgs = json_array();
	char *txt;
	conv_push_msg(msgs, "user", "hi");
	conv_push_msg(msgs, "assistant", "bad \xFF\xC0\x80 reply");
	T_EQ_INT(json_array_size(msgs), 2);
	T_EQ_STR(json_string_value(json_object_get(json_array_get(msgs, 1), "content")),
		 "bad \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD reply");
	txt = conv_sim_request("play a user", msgs);
	T_ASSERT(txt != NULL);
	T_ASSERT(strstr(txt, "\"role\":\"user\",\"content\":\"bad ") != NULL);
	free(txt);
	json_decref(msgs);
}
