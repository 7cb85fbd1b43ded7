/* prov.h — shared by the provider fuzz targets (prov_*.c): a provider made
 * from an id and a config, and one reply run through it the way the
 * engine does (src/engine/engine.c: a whole body to `parse`, or a stream
 * through the SSE parser to `stream_event` until an event ends it).
 *
 * Input of every provider target: byte 0 picks the HTTP status (bits 1-4)
 * and streaming (bit 0); the rest is the body.  The checks are the
 * contract of provider.h: a reply is an output or a typed error with a
 * message, never both and never neither. */
#ifndef ASSAY_FUZZ_PROV_H
#define ASSAY_FUZZ_PROV_H

#include "fuzz.h"
#include "provider/provider.h"
#include "util/sse.h"

static const long fz_statuses[16] = { 200, 200, 200, 201, 204, 301, 302,
				      400, 401, 404, 408, 429, 500, 502,
				      503, 0 };

/* Makes a provider (aborts when the fixed config is refused: a bug in the
 * target, not in the input). */
static inline struct provider *fz_provider(struct provider_spec *spec,
					   const char *id, const char *config)
{
	struct provider *p = NULL;
	struct err err;
	err_clear(&err);
	memset(spec, 0, sizeof *spec);
	spec->id = (char *)id;
	spec->label = (char *)id;
	spec->config = json_loads(config, 0, NULL);
	spec->loc.file = "fuzz.yaml";
	spec->loc.line = spec->loc.col = 1;
	if (!spec->config || provider_new(spec, ".", &p, &err)) {
		fprintf(stderr, "fuzz: provider %s: %s\n", id, err.msg);
		abort();
	}
	return p;
}

struct fz_stream {
	const struct provider *p;
	struct buf text;
	struct response resp;
	enum stream_step step;
};

static inline int fz_on_event(void *ud, const char *event, const char *data,
			      size_t n)
{
	struct fz_stream *st = ud;
	st->step = st->p->ops->stream_event(st->p, event, data, n, &st->text,
					    &st->resp);
	if (st->step == STREAM_ERROR && (!st->resp.error || !st->resp.error_msg))
		abort(); /* STREAM_ERROR promises a typed error */
	return st->step != STREAM_MORE;
}

static inline void fz_check_response(const struct response *r)
{
	if (r->error == RESP_OK ? !r->output || r->error_msg
				: !r->error_msg || r->output)
		abort();
}

/* Runs one reply (the target's input) through provider p. */
static inline void fz_reply(const struct provider *p, const uint8_t *data,
			    size_t size)
{
	long status;
	if (size < 1)
		return;
	status = fz_statuses[(data[0] >> 1) & 15];
	data++;
	size--;
	if ((data[-1] & 1) && p->ops->stream_event && status < 400) {
		struct fz_stream st;
		struct sse s;
		memset(&st, 0, sizeof st);
		st.p = p;
		st.step = STREAM_MORE;
		response_init(&st.resp);
		sse_init(&s, fz_on_event, &st);
		/* In two reads, as a network would deliver it. */
		if (sse_feed(&s, (const char *)data, size / 2) == 0)
			sse_feed(&s, (const char *)data + size / 2, size - size / 2);
		sse_cleanup(&s);
		buf_free(&st.text);
		response_cleanup(&st.resp);
	} else {
		struct response r;
		response_init(&r);
		p->ops->parse(p, status, (const char *)data, size, &r);
		fz_check_response(&r);
		response_cleanup(&r);
	}
}

static inline void fz_provider_free(struct provider *p,
				    struct provider_spec *spec)
{
	provider_free(p);
	json_decref(spec->config);
}

#endif
