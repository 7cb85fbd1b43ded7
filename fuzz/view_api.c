/* view_api.c — fuzzes the JSON API of `assay view` (src/view/view_api.c:
 * the route split of /api/…, the ids in the path, every query parameter's
 * check, the two POST bodies the review page sends — a rating and a
 * pairwise choice — and the store reads and writes behind them), called
 * directly: no socket, no libmicrohttpd.  (The checks before the API —
 * token, Host, CSRF, body cap — are view_http.c's and are tested by
 * tests/cli/view*.sh.)
 *
 * Setup: the store of fz_store.h, as made at start for each input.
 * Input: byte 0, bit 0: POST (else GET), bit 1: a reviewers-per-item
 * limit of 2; then the
 * URL after "/api/" up to '?' or NUL, the query (NAME=VALUE pairs split at
 * '&', not decoded: libmicrohttpd hands over decoded bytes, which can be
 * anything) up to NUL, then the body.  Every request must get a status
 * and a JSON body that parses back. */
#include "fz_store.h"
#include "view/view_int.h"

#define QMAX 16

struct query {
	char *name[QMAX], *value[QMAX];
	int n;
};

static const char *q_get(void *ud, const char *name)
{
	struct query *q = ud;
	for (int i = 0; i < q->n; i++)
		if (!strcmp(q->name[i], name))
			return q->value[i];
	return NULL;
}

static void q_parse(struct query *q, char *s)
{
	q->n = 0;
	while (s && *s && q->n < QMAX) {
		char *amp = strchr(s, '&'), *eq;
		if (amp)
			*amp = 0;
		eq = strchr(s, '=');
		if (eq)
			*eq = 0;
		q->name[q->n] = s;
		q->value[q->n++] = eq ? eq + 1 : s + strlen(s); /* "?x": empty */
		s = amp ? amp + 1 : NULL;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct view_server s;
	struct view_reply r;
	struct query q;
	struct view_args a = { NULL, q_get, &q };
	const uint8_t *body;
	size_t body_n;
	char *head, *url, *qs;
	json_t *j;
	if (size < 1)
		return 0;
	head = fz_head(data + 1, size - 1, &body, &body_n);
	url = malloc(strlen(head) + 6);
	if (!url)
		abort();
	qs = strchr(head, '?');
	if (qs)
		*qs++ = 0;
	snprintf(url, strlen(head) + 6, "/api/%s", head);
	q_parse(&q, qs);
	memset(&s, 0, sizeof s);
	s.st = fz_store_get();
	snprintf(s.csrf, sizeof s.csrf, "%s", "00112233445566778899aabbccddeeff");
	s.per_item = data[0] & 2 ? 2 : 0;
	s.seed = 42;
	s.rng = s.seed ^ 0x2545F4914F6CDD1Dull;
	memset(&r, 0, sizeof r);
	view_api(&s, &a, data[0] & 1 ? "POST" : "GET", url, (const char *)body, body_n, &r);
	/* Every route answers: a status and a JSON body (view_http.c would
	 * send a bare 500 for a reply left empty). */
	if (!r.type || r.status < 200 || r.status > 599 || strcmp(r.type, "application/json"))
		abort();
	j = json_loadb(buf_str(&r.body), r.body.len, 0, NULL);
	if (!j)
		abort();
	if (r.status >= 400 && !json_is_string(json_object_get(j, "error")))
		abort(); /* an error names what is wrong */
	json_decref(j);
	view_charts_free(&s);   /* the run page's cached candidate table */
	buf_free(&r.body);
	free(r.location);
	free(r.cookie);
	if ((data[0] & 1) && r.status == 200)
		fz_store_dirty(); /* a grade was stored */
	free(url);
	free(head);
	return 0;
}
