/* redact.h — every known secret value, removed from text before it is
 * stored or printed.
 *
 * One process-wide registry.  The suite loader registers what it knows to
 * be secret (apiKey values, the variables apiKeyEnv names, header values,
 * passwords in URLs, environment variables whose names say KEY, TOKEN,
 * SECRET, PASSWORD…); the places where text leaves the process — the
 * store's writes, err_print — pass it through redact_dup / redact_buf, so
 * a server that echoes a key back in its error body cannot get the key
 * into error_msg, the database, an export or a log.  Each occurrence of a
 * secret becomes "[REDACTED]".
 *
 * Thread-safe: registration and lookup take one mutex.  Values shorter
 * than REDACT_MIN_LEN are not registered (they would redact ordinary
 * words and cannot be real keys). */
#ifndef ASSAY_REDACT_H
#define ASSAY_REDACT_H

#include <stdbool.h>
#include <stddef.h>

#define REDACT_MIN_LEN 6
#define REDACT_MARK "[REDACTED]"

/* Registers `secret` (copied; NULL or short values are ignored), and its
 * JSON-escaped form when that differs, so a secret inside stored JSON is
 * found too. */
void redact_add(const char *secret);

/* Registers a header's value when the header can carry a credential:
 * every header except a short list of harmless ones (Content-Type,
 * Accept, User-Agent…).  "Bearer X" / "Basic X" also register X. */
void redact_add_header(const char *name, const char *value);

/* Registers the userinfo of a URL ("https://user:pass@host/…": both
 * "user:pass" and "pass"); other text is ignored. */
void redact_add_url(const char *url);

/* The offset and length of a URL's userinfo (before '@' in the
 * authority), or false when it has none. */
bool redact_url_userinfo(const char *url, size_t *off, size_t *len);

/* Registers the values of environment variables whose names contain KEY,
 * TOKEN, SECRET, PASSWORD, PASSWD or CREDENTIAL (case-insensitive), and
 * the userinfo of every URL found in the environment (OPENAI_BASE_URL,
 * DATABASE_URL…). */
void redact_add_env(void);

/* True when a config key's name says it holds a secret: it contains key,
 * token, secret, password, passwd, authorization, cookie or credential
 * (case-insensitive; the suite's sanitizer drops such keys). */
bool redact_secret_name(const char *name);

/* An owned copy of s (n bytes) with every registered secret replaced, or
 * NULL when s holds none (the common case: no copy made). */
char *redact_dup(const char *s, size_t n);

/* Redacts the NUL-terminated text in buf (capacity cap) in place,
 * truncating when the result would not fit.  Returns true when anything
 * was replaced. */
bool redact_buf(char *buf, size_t cap);

/* Forgets every secret (tests). */
void redact_clear(void);

#endif
