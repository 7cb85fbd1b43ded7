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

void provider_free(struct provider *p)
{
	if (!p)
		return;
	if (p->ops && p->ops->cleanup)
		p->ops->cleanup(p);
	free(p->model);
	free(p);
}
