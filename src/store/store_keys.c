/* store_keys.c — content keys that identify work across runs
 * (docs/storage.md, "Identity of a case").
 *
 * A case's content hash is SHA-256 over the canonical JSON (sorted keys,
 * compact) of what decides its work: vars, assertions (type, value,
 * weight, threshold, metric, transform, judge and its config, rubric,
 * severity), the test's threshold, transform, grader and rubric.  Its
 * description, tags and other metadata are labels and do not count.  The
 * case key is that hash, or — when the test has a user `id` — a hash of
 * the id alone, so an edited test keeps its identity.  A work item's key
 * hashes the case key, the prompt template, the provider (id and config,
 * secrets removed) and the repeat index.  Positions never enter a key:
 * a reordered suite pairs the same work.
 *
 * A streamed suite (suite.h) keeps no key per case: the suite hash is
 * computed in one pass over the tests, fed to SHA-256 piece by piece
 * (the same digest as the whole text), and a case's keys are computed
 * when asked for and kept in a small direct-mapped cache (KEY_CACHE
 * entries: the cases in flight and the recent ones). */
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/buf.h"
#include "../util/hash.h"
#include "../suite/conv.h"
#include "../util/xalloc.h"

#define KEY_CACHE 2048

struct key_entry {
	size_t idx1;             /* test index + 1; 0 empty */
	char key[65], hash[65];
};

struct store_keys {
	size_t n_tests, n_prompts, n_providers;
	char (*case_key)[65];    /* in-memory suites; NULL when streamed */
	char (*case_hash)[65];
	const struct suite *s;   /* streamed: where the cases are read */
	struct key_entry *cache; /* streamed: KEY_CACHE entries */
	char (*prompt)[65];
	char (*provider)[65];
	char suite[65];
	/* the dump of the last shared assertion list (case_hash) */
	const struct assertion_spec *memo_asserts;
	size_t memo_n;
	char *memo_text;
};

static json_t *stripped(const json_t *j)
{
	json_t *c = j ? json_deep_copy(j) : NULL;
	if (c)
		store_json_strip_secrets(c);
	return c ? c : json_null();
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

#define DUMP_FLAGS (JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY | \
		    JSON_REAL_PRECISION(17))

static void hash_json(json_t *j, char out[65])
{
	char *text = json_dumps(j, DUMP_FLAGS);
	struct hash_part part = { text ? text : "", text ? strlen(text) : 0 };
	hash_sha256_parts(&part, 1, out);
	free(text);
}

static json_t *assertion_json(const struct assertion_spec *a)
{
	json_t *o = json_object();
	json_object_set_new(o, "type", str_or_null(a->type));
	json_object_set(o, "value", a->value ? a->value : json_null());
	json_object_set_new(o, "weight", json_real(a->weight));
	if (a->has_threshold)
		json_object_set_new(o, "threshold", json_real(a->threshold));
	json_object_set_new(o, "metric", str_or_null(a->metric));
	json_object_set_new(o, "transform", str_or_null(a->transform));
	json_object_set_new(o, "provider", str_or_null(a->provider));
	json_object_set_new(o, "provider_config", stripped(a->provider_config));
	json_object_set_new(o, "rubric", str_or_null(a->rubric_prompt));
	if (a->has_severity)
		json_object_set_new(o, "severity", json_real(a->severity));
	return o;
}

/* A conversation's turns and simulated user, for its case's hash (absent
 * from other cases, so their keys do not change). */
static json_t *conv_json(const struct conv *c)
{
	json_t *turns = json_array(), *o = json_object();
	for (size_t i = 0; i < c->n_turns; i++) {
		json_t *as = json_array();
		for (size_t j = 0; j < c->turns[i].n_asserts; j++)
			json_array_append_new(as, assertion_json(&c->turns[i].asserts[j]));
		json_array_append_new(turns, json_pack("{s:s?,s:o}", "user",
						       c->turns[i].user, "assert", as));
	}
	json_object_set_new(o, "turns", turns);
	if (c->sim)
		json_object_set_new(o, "sim", json_pack("{s:s?,s:o,s:s?,s:s?,s:s?,s:i}",
			"provider", c->sim->provider, "config", stripped(c->sim->config),
			"persona", c->sim->persona, "goal", c->sim->goal,
			"stop", c->sim->stop, "max_turns", c->sim->max_turns));
	return o;
}

/* Appends jansson's dump of j (null for NULL) with the hash's flags. */
static void put_dump(struct buf *b, json_t *j)
{
	char *text = json_dumps(j ? j : json_null(), DUMP_FLAGS);
	buf_puts(b, text ? text : "null");
	free(text);
}

/* Appends `,"name":` and the dump of an owned value. */
static void member(struct buf *b, const char *name, json_t *owned)
{
	buf_printf(b, ",\"%s\":", name);
	put_dump(b, owned);
	json_decref(owned);
}

/* The canonical text of a case is the dump of one object,
 * {"assert", "conversation"?, "grader", "grader_config", "rubric",
 * "threshold"?, "transform", "vars"}; it is written here member by member
 * in that order — the sorted order JSON_SORT_KEYS gives — each value
 * dumped by jansson with the same flags, so the bytes are those of
 * dumping the whole object (test store_keys_case_hashes_pinned).  What
 * that saves: a test that adds no assertion shares defaultTest's
 * (suite.h, asserts_share), and their dump — three quarters of the text
 * of a typical case, and of the time of store_run_begin before a run's
 * first request — is made once for all such tests (k->memo).  Every
 * share of one suite is a copy of the same defaultTest assertions, so a
 * share at a reused address has the same text. */
static void case_hash(struct store_keys *k, const struct test_case *t,
		      char out[65])
{
	struct buf b = {0};
	struct hash_part part;
	buf_puts(&b, "{\"assert\":");
	if (t->asserts_share && k->memo_text && k->memo_asserts == t->asserts &&
	    k->memo_n == t->n_asserts) {
		buf_puts(&b, k->memo_text);
	} else {
		json_t *as = json_array();
		size_t from = b.len;
		for (size_t i = 0; i < t->n_asserts; i++)
			json_array_append_new(as, assertion_json(&t->asserts[i]));
		put_dump(&b, as);
		json_decref(as);
		if (t->asserts_share) {
			free(k->memo_text);
			k->memo_text = xstrndup(b.p + from, b.len - from);
			k->memo_asserts = t->asserts;
			k->memo_n = t->n_asserts;
		}
	}
	if (t->conv)
		member(&b, "conversation", conv_json(t->conv));
	member(&b, "grader", str_or_null(t->grader));
	member(&b, "grader_config", stripped(t->grader_config));
	member(&b, "rubric", str_or_null(t->rubric_prompt));
	if (t->has_threshold)
		member(&b, "threshold", json_real(t->threshold));
	member(&b, "transform", str_or_null(t->transform));
	member(&b, "vars", t->vars ? json_incref(t->vars) : json_null());
	buf_putc(&b, '}');
	part = (struct hash_part){ b.p, b.len };
	hash_sha256_parts(&part, 1, out);
	buf_free(&b);
}

const char *store_case_user_id(const struct test_case *t, char buf[32])
{
	const json_t *id = t->metadata ? json_object_get(t->metadata, "id") : NULL;
	if (json_is_string(id))
		return json_string_value(id);
	if (json_is_integer(id)) {
		snprintf(buf, 32, "%lld", (long long)json_integer_value(id));
		return buf;
	}
	return NULL;
}

/* Appends `"hex"` (and a comma unless first) to the suite hash's text:
 * the bytes json_dumps gives for a compact array of hex strings, written
 * directly — a jansson array of every case's hash, and its dump, were the
 * run's memory peak at start (issue 16). */
static void put_key(char *text, size_t *len, const char hex[65])
{
	if (*len > 1)
		text[(*len)++] = ',';
	text[(*len)++] = '"';
	memcpy(text + *len, hex, 64);
	*len += 64;
	text[(*len)++] = '"';
}

/* The case and content keys of test t (an all-zero hash for a streamed
 * test that cannot be read again: the run stops at it). */
static void case_keys(struct store_keys *k, const struct test_case *t,
		      char key[65], char hash[65])
{
	char buf[32];
	const char *uid;
	if (!t) {
		memset(hash, '0', 64);
		hash[64] = '\0';
		memcpy(key, hash, 65);
		return;
	}
	uid = store_case_user_id(t, buf);
	case_hash(k, t, hash);
	if (uid) {
		struct hash_part parts[2] = { { "id", 2 }, { uid, strlen(uid) } };
		hash_sha256_parts(parts, 2, key);
	} else {
		memcpy(key, hash, 65);
	}
}

/* The suite hash of a streamed suite: the bytes put_key would write,
 * hashed as they are made. */
static void more_key(struct hash_sha *h, size_t i, const char hex[65])
{
	char piece[68];
	size_t len = 0;
	if (i)
		piece[len++] = ',';
	piece[len++] = '"';
	memcpy(piece + len, hex, 64);
	len += 64;
	piece[len++] = '"';
	hash_sha256_more(h, piece, len);
}

static void streamed_suite_hash(struct store_keys *k, const struct suite *s)
{
	size_t n_all = s->n_tests + s->n_prompts + s->n_providers, i = 0;
	struct hash_sha *h = hash_sha256_begin(n_all ? n_all * 67 + 1 : 2);
	char key[65], hash[65];
	hash_sha256_more(h, "[", 1);
	for (size_t t = 0; t < s->n_tests; t++) {
		case_keys(k, suite_test(s, t), key, hash);
		more_key(h, i++, hash);
	}
	for (size_t p = 0; p < s->n_prompts; p++)
		more_key(h, i++, k->prompt[p]);
	for (size_t v = 0; v < s->n_providers; v++)
		more_key(h, i++, k->provider[v]);
	hash_sha256_more(h, "]", 1);
	hash_sha256_end(h, k->suite);
}

struct store_keys *store_keys_new(const struct suite *s)
{
	struct store_keys *k = xcalloc(1, sizeof *k);
	bool streamed = suite_streamed(s);
	size_t n_all = s->n_tests + s->n_prompts + s->n_providers, len = 1;
	char *all = streamed ? NULL : xmalloc(n_all * 67 + 3);
	struct hash_part whole;
	k->n_tests = s->n_tests;
	k->n_prompts = s->n_prompts;
	k->n_providers = s->n_providers;
	k->prompt = xcalloc(s->n_prompts + 1, sizeof *k->prompt);
	k->provider = xcalloc(s->n_providers + 1, sizeof *k->provider);
	for (size_t i = 0; i < s->n_prompts; i++) {
		const char *raw = s->prompts[i].raw ? s->prompts[i].raw : "";
		struct hash_part part = { raw, strlen(raw) };
		hash_sha256_parts(&part, 1, k->prompt[i]);
	}
	for (size_t i = 0; i < s->n_providers; i++) {
		json_t *o = json_object();
		json_object_set_new(o, "id", str_or_null(s->providers[i].id));
		json_object_set_new(o, "config", stripped(s->providers[i].config));
		hash_json(o, k->provider[i]);
		json_decref(o);
	}
	if (streamed) {
		k->s = s;
		k->cache = xcalloc(KEY_CACHE, sizeof *k->cache);
		streamed_suite_hash(k, s);
		return k;
	}
	all[0] = '[';
	k->case_key = xcalloc(s->n_tests + 1, sizeof *k->case_key);
	k->case_hash = xcalloc(s->n_tests + 1, sizeof *k->case_hash);
	for (size_t i = 0; i < s->n_tests; i++) {
		case_keys(k, suite_test(s, i), k->case_key[i], k->case_hash[i]);
		put_key(all, &len, k->case_hash[i]);
	}
	for (size_t i = 0; i < s->n_prompts; i++)
		put_key(all, &len, k->prompt[i]);
	for (size_t i = 0; i < s->n_providers; i++)
		put_key(all, &len, k->provider[i]);
	all[len++] = ']';
	whole = (struct hash_part){ all, len };
	hash_sha256_parts(&whole, 1, k->suite);
	free(all);
	return k;
}

/* A streamed case's cached keys (valid until another case takes its
 * entry). */
static const struct key_entry *cached(const struct store_keys *ck, size_t t)
{
	struct store_keys *k = (struct store_keys *)ck; /* the cache only */
	struct key_entry *e = &k->cache[t % KEY_CACHE];
	if (e->idx1 != t + 1) {
		case_keys(k, suite_test(k->s, t), e->key, e->hash);
		e->idx1 = t + 1;
	}
	return e;
}

void store_keys_free(struct store_keys *k)
{
	if (!k)
		return;
	free(k->memo_text);
	free(k->case_key);
	free(k->case_hash);
	free(k->cache);
	free(k->prompt);
	free(k->provider);
	free(k);
}

const char *store_keys_case(const struct store_keys *k, size_t t)
{
	if (t >= k->n_tests)
		return "";
	return k->cache ? cached(k, t)->key : k->case_key[t];
}

const char *store_keys_case_hash(const struct store_keys *k, size_t t)
{
	if (t >= k->n_tests)
		return "";
	return k->cache ? cached(k, t)->hash : k->case_hash[t];
}

const char *store_keys_provider(const struct store_keys *k, size_t v)
{
	return v < k->n_providers ? k->provider[v] : "";
}

const char *store_keys_suite(const struct store_keys *k)
{
	return k->suite;
}

void store_keys_item(const struct store_keys *k, size_t t, size_t p, size_t v,
		     int rep, char out[65])
{
	char r[24];
	struct hash_part parts[4];
	snprintf(r, sizeof r, "%d", rep);
	parts[0] = (struct hash_part){ store_keys_case(k, t), 64 };
	parts[1] = (struct hash_part){ p < k->n_prompts ? k->prompt[p] : "", 64 };
	parts[2] = (struct hash_part){ store_keys_provider(k, v), 64 };
	parts[3] = (struct hash_part){ r, strlen(r) };
	if (t >= k->n_tests || p >= k->n_prompts || v >= k->n_providers) {
		memset(out, '0', 64);
		out[64] = '\0';
		return;
	}
	hash_sha256_parts(parts, 4, out);
}

unsigned store_key_shard(const char *item_key, unsigned n)
{
	unsigned long v = 0;
	if (n <= 1 || !item_key)
		return 1;
	for (int i = 0; i < 8 && item_key[i]; i++) {
		char c = item_key[i];
		unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0')
			   : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10) : 0;
		v = v * 16 + d;
	}
	return (unsigned)(v % n) + 1;
}
