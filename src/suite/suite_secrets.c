/* suite_secrets.c — what in a suite is secret: registering every secret
 * value with the redactor (util/redact.h) and the sanitized copy of the
 * suite that may be stored and printed.
 *
 * A provider's secrets are found by their place, not by their look: the
 * values of keys named like apiKey/token/password, the variable apiKeyEnv
 * names (and the value itself when it is not a variable name: a key put
 * there by mistake), every header value except a few harmless ones
 * (whatever the header's name: an unrecognised header can carry a key),
 * the variables a header template reads through `{{ env.NAME }}`, and the
 * userinfo of any URL.  The same walk covers the judges' configs in tests
 * and assertions.  Registered values are redacted from everything stored
 * or printed; the sanitized copy drops them from the suite itself. */
#include "suite_int.h"
#include "../util/redact.h"
#include "../util/xalloc.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* True for a conventional variable name (upper case, digits, '_'): a
 * value of apiKeyEnv that is not one is probably the key itself. */
static bool env_name_like(const char *s)
{
	size_t n = 0;
	if (!s || !(isupper((unsigned char)*s) || *s == '_'))
		return false;
	for (; s[n]; n++)
		if (!(isupper((unsigned char)s[n]) ||
		      isdigit((unsigned char)s[n]) || s[n] == '_'))
			return false;
	return n <= 64;
}

/* Registers the environment variables a template reads as env.NAME or
 * env['NAME'] / env["NAME"]. */
static void add_env_refs(const char *t)
{
	for (const char *p = strstr(t, "env"); p; p = strstr(p + 3, "env")) {
		const char *q = p + 3;
		char name[128];
		size_t n = 0;
		if (p > t && (isalnum((unsigned char)p[-1]) || p[-1] == '_'))
			continue;
		if (*q == '.') {
			q++;
		} else if (*q == '[' && (q[1] == '\'' || q[1] == '"')) {
			q += 2;
		} else {
			continue;
		}
		while ((isalnum((unsigned char)q[n]) || q[n] == '_') &&
		       n + 1 < sizeof name) {
			name[n] = q[n];
			n++;
		}
		name[n] = '\0';
		if (n)
			redact_add(getenv(name));
	}
}

static void add_config(const json_t *cfg);

static void add_value(const char *k, const json_t *v)
{
	const char *hk;
	json_t *hv;
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		redact_add_url(s);
		if (k && !strcmp(k, "apiKeyEnv")) {
			const char *env = getenv(s);
			redact_add(env);
			if (!env_name_like(s))
				redact_add(s);  /* probably the key itself */
		} else if (k && redact_secret_name(k)) {
			redact_add(s);
			add_env_refs(s);
		}
		return;
	}
	if (k && !strcmp(k, "headers") && json_is_object(v)) {
		json_object_foreach((json_t *)v, hk, hv) {
			if (!json_is_string(hv))
				continue;
			redact_add_header(hk, json_string_value(hv));
			add_env_refs(json_string_value(hv));
		}
		return;
	}
	add_config(v);
}

/* Walks a config (object or list) for secret values. */
static void add_config(const json_t *cfg)
{
	const char *k;
	json_t *v;
	size_t i;
	if (json_is_object(cfg)) {
		json_object_foreach((json_t *)cfg, k, v)
			add_value(k, v);
	} else if (json_is_array(cfg)) {
		json_array_foreach(cfg, i, v)
			add_value(NULL, v);
	}
}

void ld_secrets(const struct suite *s)
{
	redact_add_env();
	for (size_t i = 0; i < s->n_providers; i++)
		add_config(s->providers[i].config);
	for (size_t t = 0; t < s->n_tests; t++) {
		const struct test_case *tc = ld_mem_test(s, t);
		if (tc)    /* streamed tests: as they were read */
			ld_secrets_test(tc);
	}
}

void ld_secrets_test(const struct test_case *tc)
{
	add_config(tc->grader_config);
	for (size_t a = 0; a < tc->n_asserts; a++)
		add_config(tc->asserts[a].provider_config);
}

/* ---- the sanitized copy -------------------------------------------------- */

static json_t *mark(void)
{
	return json_string(REDACT_MARK);
}

/* A string with its URL userinfo replaced and registered secrets
 * redacted, or NULL when it needs no change. */
static json_t *clean_string(const char *s)
{
	size_t off, len;
	char *r, *t = NULL;
	json_t *out;
	if (redact_url_userinfo(s, &off, &len)) {
		t = xasprintf("%.*s%s%s", (int)off, s, REDACT_MARK,
			      s + off + len);
		s = t;
	}
	r = redact_dup(s, strlen(s));
	if (!r && !t)
		return NULL;
	out = json_string(r ? r : t);
	free(r);
	free(t);
	return out;
}

static void sanitize(json_t *j, bool in_headers)
{
	const char *k;
	json_t *v;
	void *tmp;
	size_t i;
	if (json_is_object(j)) {
		json_object_foreach_safe(j, tmp, k, v) {
			json_t *c;
			if (redact_secret_name(k) && !json_is_number(v) &&
			    !json_is_boolean(v)) {
				json_object_del(j, k);
			} else if (in_headers && json_is_string(v)) {
				/* every header but the harmless ones: an
				 * unknown name can carry a key */
				if (strcasecmp(k, "content-type") &&
				    strcasecmp(k, "accept") &&
				    strcasecmp(k, "user-agent"))
					json_object_set_new(j, k, mark());
			} else if (json_is_string(v) &&
				   (c = clean_string(json_string_value(v)))) {
				json_object_set_new(j, k, c);
			} else {
				sanitize(v, !strcmp(k, "headers"));
			}
		}
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, v) {
			json_t *c;
			if (json_is_string(v) &&
			    (c = clean_string(json_string_value(v))))
				json_array_set_new(j, i, c);
			else
				sanitize(v, false);
		}
	}
}

void ld_sanitize(json_t *j)
{
	sanitize(j, false);
}
