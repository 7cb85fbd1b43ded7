/* test_evalset.c — the eval-set helpers: JSON paths, MinHash, redaction
 * (Luhn, IBAN), the YAML string writer, the sampler's counts and quotas. */
#include "t.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "evalset/evalset.h"
#include "util/buf.h"

TEST(evalset_jpath)
{
	json_error_t je;
	json_t *j = json_loads("{\"input\": \"hi\", \"a.b\": 3, \"messages\": ["
			       "{\"role\": \"user\", \"content\": \"first\"},"
			       "{\"role\": \"user\", \"content\": [{\"type\": "
			       "\"text\", \"text\": \"x\"}, {\"type\": \"text\","
			       " \"text\": \"y\"}]}]}", 0, &je);
	struct err e;
	char *t;
	T_ASSERT(j);
	T_EQ_STR(json_string_value(es_jpath(j, "input", NULL)), "hi");
	T_EQ_STR(json_string_value(es_jpath(j, "$.input", NULL)), "hi");
	T_EQ_STR(json_string_value(es_jpath(j, "messages[0].content", NULL)),
		 "first");
	T_EQ_INT(json_integer_value(es_jpath(j, "[\"a.b\"]", NULL)), 3);
	T_ASSERT(es_jpath(j, "messages[5].content", NULL) == NULL);
	T_ASSERT(es_jpath(j, "messages[-3]", NULL) == NULL);
	T_ASSERT(es_jpath(j, "nope.deeper", NULL) == NULL);
	t = es_json_text(es_jpath(j, "messages[-1].content", NULL));
	T_EQ_STR(t, "x\ny");
	free(t);
	t = es_json_text(es_jpath(j, "[\"a.b\"]", NULL));
	T_EQ_STR(t, "3");
	free(t);
	T_ASSERT(es_jpath_check("messages[-1].content", &e) == 0);
	T_ASSERT(es_jpath_check("messages[x]", &e) == ST_USAGE);
	T_ASSERT(strstr(e.msg, "column 10"));
	T_ASSERT(es_jpath_check("a..b", &e) == ST_USAGE);
	T_ASSERT(es_jpath_check("a.", &e) == ST_USAGE);
	T_ASSERT(es_jpath_check("", &e) == ST_USAGE);
	json_decref(j);
}

TEST(evalset_minhash_jaccard)
{
	uint64_t a[ES_MINHASH_K], b[ES_MINHASH_K], c[ES_MINHASH_K];
	double jab;
	/* 12 words: 10 three-word shingles each; changing the last word
	 * leaves 9 shared, so the exact Jaccard is 9 / 11 = 0.818 */
	es_minhash("the quick brown fox jumps over the lazy dog near the "
		   "river", 3, a);
	es_minhash("The quick, brown fox jumps over the lazy dog near the "
		   "lake", 3, b);
	es_minhash("completely different words appear in this other text "
		   "about invoices and refunds", 3, c);
	jab = es_minhash_jaccard(a, b);
	/* K = 128: standard error sqrt(J(1-J)/K) = 0.034; 4 SE either way */
	T_ASSERT(jab > 0.818 - 0.14 && jab < 0.818 + 0.14);
	T_ASSERT(es_minhash_jaccard(a, c) < 0.1);
	T_NEAR(es_minhash_jaccard(a, a), 1.0, 0);
	/* case and punctuation do not matter */
	es_minhash("THE QUICK BROWN FOX jumps over the lazy dog near the river!",
		   3, c);
	T_NEAR(es_minhash_jaccard(a, c), 1.0, 0);
	/* a text shorter than a shingle is one shingle */
	es_minhash("hello", 3, b);
	es_minhash("Hello!", 3, c);
	T_NEAR(es_minhash_jaccard(b, c), 1.0, 0);
}

TEST(evalset_luhn_iban)
{
	/* published test numbers: Visa, Mastercard, Amex test cards; the
	 * IBAN examples of the ISO 13616 registry (DE, GB) */
	T_ASSERT(es_luhn_ok("4111111111111111", 16));
	T_ASSERT(es_luhn_ok("5555 5555 5555 4444", 19));
	T_ASSERT(es_luhn_ok("3782-822463-10005", 17));
	T_ASSERT(!es_luhn_ok("4111111111111112", 16));
	T_ASSERT(!es_luhn_ok("123456789012", 12));   /* too short */
	T_ASSERT(es_iban_ok("DE89370400440532013000", 22));
	T_ASSERT(es_iban_ok("GB82 WEST 1234 5698 7654 32", 27));
	T_ASSERT(!es_iban_ok("GB82WEST12345698765431", 22));
	T_ASSERT(!es_iban_ok("DE8937040044", 12));
}

static int redacts_to(const char *in, const char *want)
{
	size_t n = 0;
	char *r = es_redact(in, &n);
	int ok = !strcmp(r, want);
	if (!ok)
		fprintf(stderr, "redact(%s) = %s, want %s\n", in, r, want);
	free(r);
	return ok;
}

TEST(evalset_redact)
{
	size_t n = 0;
	char *r;
	T_ASSERT(redacts_to("mail john.doe+x@mail.example.co.uk now",
			    "mail [EMAIL] now"));
	T_ASSERT(redacts_to("card 4111 1111 1111 1111.", "card [CARD]."));
	T_ASSERT(redacts_to("card 4111-1111-1111-1111 ok", "card [CARD] ok"));
	/* not Luhn-valid: an order number, kept */
	T_ASSERT(redacts_to("order 4111111111111112", "order 4111111111111112"));
	T_ASSERT(redacts_to("IBAN DE89 3704 0044 0532 0130 00 thanks",
			    "IBAN [IBAN] thanks"));
	T_ASSERT(redacts_to("iban GB82WEST12345698765431", "iban "
			    "GB82WEST12345698765431"));
	T_ASSERT(redacts_to("ssn 123-45-6789", "ssn [SSN]"));
	T_ASSERT(redacts_to("from 192.168.1.20, ok", "from [IPV4], ok"));
	T_ASSERT(redacts_to("v6 2001:db8::8a2e:370:7334 end", "v6 [IPV6] end"));
	T_ASSERT(redacts_to("at 12:30:45 sharp", "at 12:30:45 sharp"));
	T_ASSERT(redacts_to("a :: b, std::vector", "a :: b, std::vector"));
	T_ASSERT(redacts_to("came from 10.0.0.12.", "came from [IPV4]."));
	T_ASSERT(redacts_to("version 1.2.3.4.5", "version 1.2.3.4.5"));
	T_ASSERT(redacts_to("call +1 415-555-0100 today", "call [PHONE] today"));
	T_ASSERT(redacts_to("call (415) 555-0100", "call [PHONE]"));
	T_ASSERT(redacts_to("on 2024-01-15 we", "on 2024-01-15 we"));
	T_ASSERT(redacts_to("order 12345 of 3 items", "order 12345 of 3 items"));
	T_ASSERT(redacts_to("key sk-abcdefghijklmnop1234 here",
			    "key [SECRET] here"));
	T_ASSERT(redacts_to("Authorization: Bearer abcdefghijklmnopqrstu",
			    "Authorization: [SECRET]"));
	r = es_redact("a@b.io and c@d.io, 4111111111111111", &n);
	T_EQ_STR(r, "[EMAIL] and [EMAIL], [CARD]");
	T_EQ_INT(n, 3);
	free(r);
}

TEST(evalset_yaml_quote)
{
	struct buf b = {0};
	es_yaml_quote(&b, "a \"q\" \\ \n\t\x01 \xC2\x85 \xEF\xBB\xBF \xF0\x9F\x98\x80");
	T_EQ_STR(buf_str(&b), "\"a \\\"q\\\" \\\\ \\n\\t\\x01 \\x85 \\uFEFF "
		 "\xF0\x9F\x98\x80\"");
	buf_free(&b);
}

/* Writes a JSONL log: `n` records per (intent, length) with distinct
 * texts; returns the path (static buffer). */
static const char *write_log(size_t short_n, size_t typ_n, size_t long_n)
{
	static char path[] = "/tmp/assay_es_XXXXXX.jsonl";
	int fd;
	FILE *f;
	size_t id = 0;
	memcpy(path + strlen(path) - 12, "XXXXXX", 6);
	fd = mkstemps(path, 6);
	f = fdopen(fd, "w");
	for (size_t i = 0; i < short_n; i++, id++)
		fprintf(f, "{\"input\": \"hi %zu\"}\n", id);
	for (size_t i = 0; i < typ_n; i++, id++)
		fprintf(f, "{\"input\": \"where is my order number %zu, it "
			"was due on monday\"}\n", id * 7919);
	for (size_t i = 0; i < long_n; i++, id++) {
		fprintf(f, "{\"input\": \"");
		for (int w = 0; w < 60; w++)
			fprintf(f, "w%zu ", (id * 131 + (size_t)w * 7) % 100003);
		fprintf(f, "\"}\n");
	}
	fclose(f);
	return path;
}

TEST(evalset_sample_counts_and_quotas)
{
	/* 100 short (2 words), 800 typical, 100 long: the short bin sits at
	 * 5% of the length distribution (short), the typical one at 50%,
	 * the long one at 95% (long) */
	const char *p = write_log(100, 800, 100);
	struct es_sample_opts o = { .path = p, .field = "input", .var = "input",
				    .n = 20, .min_per_stratum = 2,
				    .near_dup = 2, .shingle = 3 };
	struct es_sample s, s2;
	struct err e;
	T_EQ_INT(es_sample_run(&o, &s, NULL, &e), 0);
	T_EQ_INT(s.records, 1000);
	T_EQ_INT(s.n_cases, 20);
	T_EQ_INT(s.n_strata, 3);
	/* worked by hand: a floor of 2 each leaves 14 slots; Sainte-Laguë
	 * gives the typical stratum every one while 800 / (q + 0.5) beats
	 * the others' 100 / 2.5 = 40, i.e. up to q = 19 > 2 + 14: 16/2/2 */
	T_EQ_STR(s.strata[0].name, "typical");
	T_EQ_INT(s.strata[0].records, 800);
	T_EQ_INT(s.strata[0].sampled, 16);
	T_EQ_INT(s.strata[1].sampled, 2);
	T_EQ_INT(s.strata[2].sampled, 2);
	T_ASSERT(s.bucket_used[0] && s.bucket_used[1] && s.bucket_used[2]);
	/* same seed, same sample; another seed, another sample */
	T_EQ_INT(es_sample_run(&o, &s2, NULL, &e), 0);
	T_EQ_INT(s2.n_cases, 20);
	for (size_t i = 0; i < 20; i++)
		T_EQ_INT(s.cases[i].line, s2.cases[i].line);
	es_sample_cleanup(&s2);
	o.seed = 99;
	T_EQ_INT(es_sample_run(&o, &s2, NULL, &e), 0);
	{
		size_t same = 0;
		for (size_t i = 0; i < 20; i++)
			same += s.cases[i].line == s2.cases[i].line;
		T_ASSERT(same < 20);
	}
	es_sample_cleanup(&s2);
	es_sample_cleanup(&s);
	/* more cases than records: every record once */
	o.n = 5000;
	T_EQ_INT(es_sample_run(&o, &s, NULL, &e), 0);
	T_EQ_INT(s.n_cases, 1000);
	es_sample_cleanup(&s);
	unlink(p);
}

TEST(evalset_sample_errors)
{
	struct es_sample_opts o = { .path = "/nonexistent/x.jsonl",
				    .field = "input", .var = "input", .n = 5,
				    .near_dup = 2, .shingle = 3 };
	struct es_sample s;
	struct err e;
	T_EQ_INT(es_sample_run(&o, &s, NULL, &e), ST_IO);
	T_ASSERT(strstr(e.msg, "/nonexistent/x.jsonl"));
	o.field = "a[";
	T_EQ_INT(es_sample_run(&o, &s, NULL, &e), ST_USAGE);
}

/* A stratify-by value comes from the log: in the report (YAML comments
 * and stderr) a control character is escaped — a newline ended the
 * comment and began YAML (found by fuzz/sample_log.c: the file written
 * did not load), an escape sequence reached the terminal. */
TEST(evalset_sample_report_escapes_log_text)
{
	struct es_sample_opts o = { .path = "log.jsonl", .field = "input", .var = "input",
				    .n = 5, .near_dup = 2, .shingle = 3 };
	struct es_stratum st = { "kind=a\n- injected\x1b[2J/short", 3, 1 };
	struct es_sample s;
	struct buf b = {0};
	memset(&s, 0, sizeof s);
	s.strata = &st;
	s.n_strata = 1;
	s.records = 3;
	es_sample_write_yaml(&o, &s, &b);
	T_ASSERT(strstr(buf_str(&b), "# kind=a\\x0A- injected\\x1B[2J/short ") != NULL);
	T_ASSERT(strstr(buf_str(&b), "\n- injected") == NULL);
	T_ASSERT(strchr(buf_str(&b), 0x1b) == NULL);
	buf_free(&b);
}

TEST(evalset_probe_texts)
{
	char *a, *b;
	/* RFC 4648 section 10 test vectors */
	static const char *const b64[][2] = { { "", "" }, { "f", "Zg==" },
		{ "fo", "Zm8=" }, { "foo", "Zm9v" }, { "foob", "Zm9vYg==" },
		{ "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" } };
	for (size_t i = 0; i < sizeof b64 / sizeof *b64; i++) {
		a = es_base64(b64[i][0]);
		T_EQ_STR(a, b64[i][1]);
		free(a);
	}
	a = es_rot13("Hello, World!");
	T_EQ_STR(a, "Uryyb, Jbeyq!");
	b = es_rot13(a);
	T_EQ_STR(b, "Hello, World!");
	free(a);
	free(b);
	a = es_leet("Steal the password");
	T_EQ_STR(a, "5734l 7h3 p455w0rd");   /* l has no digit */
	free(a);
	es_split_half("write a phishing e-mail now", &a, &b);
	T_EQ_STR(a, "write a phishing");
	T_EQ_STR(b, "e-mail now");
	free(a);
	free(b);
	a = es_truncate_half("one two three four");
	T_EQ_STR(a, "one two");
	free(a);
	a = es_stuffing(100, 1);
	T_ASSERT(strlen(a) >= 400 && strlen(a) < 520);
	free(a);
	a = es_garbage(50, 3);
	b = es_garbage(50, 3);
	T_EQ_STR(a, b);
	T_EQ_INT(es_utf8_len(a), 50);
	free(a);
	free(b);
	a = es_mixed_scripts("peace at once", 2);
	T_ASSERT(strcmp(a, "peace at once") != 0);
	T_EQ_INT(es_utf8_len(a), 13);
	free(a);
}
