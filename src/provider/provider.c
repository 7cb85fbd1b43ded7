/* provider.c — the provider table and the lookup by id prefix. */
#include "provider.h"
#include "../util/xalloc.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

/* Longer prefixes first: "openai:chat:" must win over "openai:". */
static const struct {
	const char *prefix;
	const struct provider_ops *ops;
} table[] = {
	{ "openai:chat:", &prov_openai_ops },
	{ "openai:", &prov_openai_ops },
};

bool provider_generic_key(const char *key)
{
	return !strcmp(key, "cost") || !strcmp(key, "timeout_ms");
}

/* Reads the keys every provider shares. */
static int generic_config(struct provider *p, struct err *err)
{
	const json_t *cfg = p->spec->config, *v;
	const struct loc *l = &p->spec->loc;
	if ((v = json_object_get(cfg, "timeout_ms"))) {
		if (!json_is_integer(v) || json_integer_value(v) <= 0)
			return err_at(err, l->file, l->line, l->col,
				      "provider '%s': timeout_ms must be a "
				      "positive integer", p->spec->id);
		p->timeout_ms = (long)json_integer_value(v);
	}
	if ((v = json_object_get(cfg, "cost"))) {
		const json_t *in = json_object_get(v, "input_per_mtok");
		const json_t *out = json_object_get(v, "output_per_mtok");
		if (!json_is_object(v) || !json_is_number(in) ||
		    !json_is_number(out) || json_number_value(in) < 0 ||
		    json_number_value(out) < 0 || json_object_size(v) != 2)
			return err_at(err, l->file, l->line, l->col,
				      "provider '%s': cost must be {input_per_mtok: "
				      "N, output_per_mtok: N} (USD per million "
				      "tokens, ≥ 0)", p->spec->id);
		p->price.input_per_mtok = json_number_value(in);
		p->price.output_per_mtok = json_number_value(out);
		p->has_price = true;
	} else {
		p->has_price = cost_lookup(p->model, &p->price);
	}
	return 0;
}

void http_request_cleanup(struct http_request *req)
{
	free(req->url);
	free(req->body);
	curl_slist_free_all(req->headers);
	memset(req, 0, sizeof *req);
}

int provider_new(const struct provider_spec *spec, struct provider **out,
		 struct err *err)
{
	*out = NULL;
	for (size_t i = 0; i < sizeof table / sizeof *table; i++) {
		size_t n = strlen(table[i].prefix);
		struct provider *p;
		int rc;
		if (strncmp(spec->id, table[i].prefix, n) != 0)
			continue;
		if (!spec->id[n])
			return err_at(err, spec->loc.file, spec->loc.line,
				      spec->loc.col,
				      "provider '%s' names no model; expected "
				      "'%s<model>'",
				      spec->id, table[i].prefix);
		p = xcalloc(1, sizeof *p);
		p->ops = table[i].ops;
		p->spec = spec;
		p->model = xstrdup(spec->id + n);
		p->timeout_ms = 120000;
		rc = generic_config(p, err);
		if (!rc)
			rc = p->ops->init(p, err);
		if (rc) {
			provider_free(p);
			return rc;
		}
		*out = p;
		return 0;
	}
	return err_at(err, spec->loc.file, spec->loc.line, spec->loc.col,
		      "unsupported provider '%s'; expected one of: "
		      "openai:chat:<model>, openai:<model>",
		      spec->id);
}

void provider_set_cost(const struct provider *p, struct response *resp)
{
	if (p->has_price && resp->error == RESP_OK &&
	    (resp->prompt_tokens >= 0 || resp->completion_tokens >= 0))
		resp->cost_usd = cost_usd(&p->price, resp->prompt_tokens,
					  resp->completion_tokens);
}

void provider_free(struct provider *p)
{
	if (!p)
		return;
	if (p->ops && p->ops->cleanup)
		p->ops->cleanup(p);
	free(p->model);
	free(p);
}
