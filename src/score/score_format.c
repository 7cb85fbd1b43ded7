/* score_format.c — assertions that the output is well-formed in another
 * language: is-xml and contains-xml (libxml2), is-sql (libpg_query, the
 * PostgreSQL parser packaged by Debian as libpg-query-dev).
 *
 * XML is parsed without network access and without substituting
 * entities (no XXE); libxml2's default size limits apply.  is-xml may name
 * required elements as dotted paths from the root ("analysis.summary"),
 * as promptfoo's requiredElements.  is-sql parses PostgreSQL's dialect
 * only: promptfoo's default (MySQL via node-sql-parser) accepts a few
 * things PostgreSQL does not, such as `backtick` identifiers. */
#include "score_int.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <pg_query.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../util/buf.h"
#include "../util/xalloc.h"

/* ---- XML --------------------------------------------------------------- */

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

static void xml_init(void)
{
	xmlInitParser();
}

/* Parses XML; returns the document (caller frees) or NULL with msg. */
static xmlDocPtr xml_parse(const char *s, size_t n, char *msg, size_t msgn)
{
	xmlParserCtxtPtr ctx;
	xmlDocPtr doc;
	pthread_once(&xml_once, xml_init);
	if (n > 0x7fffffff) {
		snprintf(msg, msgn, "output too large for the XML parser");
		return NULL;
	}
	ctx = xmlNewParserCtxt();
	if (!ctx) {
		snprintf(msg, msgn, "cannot start the XML parser");
		return NULL;
	}
	doc = xmlCtxtReadMemory(ctx, s, (int)n, NULL, "UTF-8",
				XML_PARSE_NONET | XML_PARSE_NOERROR |
				XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
	if (!doc || !ctx->wellFormed) {
		xmlErrorPtr e = xmlCtxtGetLastError(ctx);
		if (e && e->message) {
			size_t l;
			snprintf(msg, msgn, "line %d: %s", e->line, e->message);
			l = strlen(msg);
			while (l > 0 && (msg[l - 1] == '\n' || msg[l - 1] == ' '))
				msg[--l] = '\0';
		} else {
			snprintf(msg, msgn, "not well-formed XML");
		}
		if (doc)
			xmlFreeDoc(doc);
		doc = NULL;
	}
	xmlFreeParserCtxt(ctx);
	return doc;
}

/* The required element paths of a value: a comma-separated string, a
 * list, or {requiredElements: [...]}.  Returns a list (owned, maybe empty)
 * or NULL with msg set. */
static json_t *required_paths(const json_t *v, char *msg, size_t msgn)
{
	json_t *out = json_array();
	const json_t *list = v;
	if (!v || json_is_null(v))
		return out;
	if (json_is_object(v)) {
		const char *k;
		json_t *x;
		json_object_foreach((json_t *)v, k, x) {
			if (strcmp(k, "requiredElements")) {
				snprintf(msg, msgn, "unknown key '%s' (expected "
					 "requiredElements)", k);
				json_decref(out);
				return NULL;
			}
		}
		list = json_object_get(v, "requiredElements");
	}
	if (json_is_string(list)) {
		const char *s = json_string_value(list);
		while (*s) {
			const char *e = strchr(s, ',');
			size_t n = e ? (size_t)(e - s) : strlen(s);
			while (n && (*s == ' ' || *s == '\t')) {
				s++;
				n--;
			}
			while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
				n--;
			if (n)
				json_array_append_new(out, json_stringn(s, n));
			s = e ? e + 1 : s + strlen(s);
		}
		return out;
	}
	if (json_is_array(list)) {
		for (size_t i = 0; i < json_array_size(list); i++) {
			const json_t *it = json_array_get(list, i);
			if (!json_is_string(it) || !json_string_length(it)) {
				snprintf(msg, msgn, "required element %zu must "
					 "be a non-empty string", i + 1);
				json_decref(out);
				return NULL;
			}
			json_array_append(out, (json_t *)it);
		}
		return out;
	}
	snprintf(msg, msgn, "expected element paths: \"root.child, root.other\", "
		 "a list, or {requiredElements: [...]}");
	json_decref(out);
	return NULL;
}

/* True when the dotted path (root name first) names an element. */
static bool has_path(xmlNodePtr root, const char *path)
{
	char *p = xstrdup(path), *save = NULL, *seg;
	xmlNodePtr cur = NULL, level = root;
	bool ok = true;
	for (seg = strtok_r(p, ".", &save); seg; seg = strtok_r(NULL, ".", &save)) {
		cur = NULL;
		for (xmlNodePtr n = level; n; n = n->next)
			if (n->type == XML_ELEMENT_NODE &&
			    !strcmp((const char *)n->name, seg)) {
				cur = n;
				break;
			}
		if (!cur) {
			ok = false;
			break;
		}
		level = cur->children;
	}
	free(p);
	return ok && cur;
}

static int check_xml(const struct assertion_spec *a, const json_t *v,
		     const json_t *vars, struct err *err)
{
	char msg[256];
	json_t *l;
	(void)vars;
	l = required_paths(v, msg, sizeof msg);
	if (!l)
		return score_err(a, err, "'%s': %s", a->type, msg);
	json_decref(l);
	return 0;
}

/* Checks a parsed document against the required paths; NULL or a
 * failure reason (owned). */
static char *xml_missing(xmlDocPtr doc, const json_t *paths)
{
	xmlNodePtr root = xmlDocGetRootElement(doc);
	for (size_t i = 0; i < json_array_size(paths); i++) {
		const char *p = json_string_value(json_array_get(paths, i));
		if (!has_path(root, p))
			return xasprintf("XML is missing required element: %s",
					 p);
	}
	return NULL;
}

static int eval_xml(const struct score_in *in, struct assert_outcome *out,
		    bool anywhere)
{
	char msg[512];
	json_t *paths = required_paths(in->value, msg, sizeof msg);
	char *why = NULL;
	bool ok = false;
	if (!paths) {
		out->pass = false;
		out->score = 0;
		out->reason = xasprintf("'%s': %s", in->spec->type, msg);
		return 0;
	}
	if (!anywhere) {
		xmlDocPtr doc = xml_parse(in->output, in->output_len, msg,
					  sizeof msg);
		if (doc) {
			why = xml_missing(doc, paths);
			ok = why == NULL;
			xmlFreeDoc(doc);
		} else {
			why = xasprintf("XML parsing failed: %s", msg);
		}
	} else {
		/* From each of the first 64 '<' that open a tag or an XML
		 * declaration, to the last '>' of the output. */
		const char *s = in->output, *end = NULL;
		size_t n = in->output_len, tries = 0;
		for (size_t i = n; i > 0; i--)
			if (s[i - 1] == '>') {
				end = s + i;
				break;
			}
		for (size_t i = 0; end && i < n && tries < 64 && !ok; i++) {
			xmlDocPtr doc;
			if (s[i] != '<' || i + 1 >= n ||
			    !(s[i + 1] == '?' || s[i + 1] == '_' ||
			      (s[i + 1] | 0x20) >= 'a') || s + i >= end)
				continue;
			tries++;
			doc = xml_parse(s + i, (size_t)(end - (s + i)), msg,
					sizeof msg);
			if (!doc)
				continue;
			free(why);
			why = xml_missing(doc, paths);
			ok = why == NULL;
			xmlFreeDoc(doc);
		}
		if (!ok && !why)
			why = xstrdup("Expected output to contain valid XML");
	}
	json_decref(paths);
	if (ok == in->inverse) {
		if (in->inverse) {
			free(why);
			why = xasprintf("Expected output to not %s valid XML",
					anywhere ? "contain" : "be");
		}
		score_binary(out, ok, in->inverse, why);
		return 0;
	}
	free(why);
	score_binary(out, ok, in->inverse, NULL);
	return 0;
}

static int eval_is_xml(const struct score_in *in, struct assert_outcome *out,
		       struct err *err)
{
	(void)err;
	return eval_xml(in, out, false);
}

static int eval_contains_xml(const struct score_in *in,
			     struct assert_outcome *out, struct err *err)
{
	(void)err;
	return eval_xml(in, out, true);
}

/* ---- SQL --------------------------------------------------------------- */

static int check_sql(const struct assertion_spec *a, const json_t *v,
		     const json_t *vars, struct err *err)
{
	const char *k;
	json_t *x;
	(void)vars;
	if (!v)
		return 0;
	json_object_foreach((json_t *)v, k, x) {
		if (!strcmp(k, "databaseType")) {
			if (!json_is_string(x) ||
			    (strcasecmp(json_string_value(x), "PostgreSQL") &&
			     strcasecmp(json_string_value(x), "Postgres")))
				return score_err(a, err, "'%s': databaseType "
						 "must be PostgreSQL (the only "
						 "SQL parser packaged for assay "
						 "is PostgreSQL's)", a->type);
		} else if (!strcmp(k, "allowedTables") ||
			   !strcmp(k, "allowedColumns")) {
			return score_err(a, err, "'%s': %s is not supported",
					 a->type, k);
		} else {
			return score_err(a, err, "'%s': unknown key '%s' "
					 "(expected databaseType)", a->type, k);
		}
	}
	return 0;
}

static int eval_is_sql(const struct score_in *in, struct assert_outcome *out,
		       struct err *err)
{
	char *sql = xstrndup(in->output, in->output_len);
	PgQueryParseResult r;
	bool ok;
	size_t i = 0;
	(void)err;
	while (sql[i] == ' ' || sql[i] == '\n' || sql[i] == '\t' ||
	       sql[i] == '\r')
		i++;
	if (!sql[i]) {
		free(sql);
		score_binary(out, false, in->inverse, xstrdup(in->inverse
			? "Expected output to not be valid SQL"
			: "Expected output to be valid SQL: the output is empty"));
		return 0;
	}
	r = pg_query_parse(sql);
	ok = r.error == NULL;
	if (ok == in->inverse) {
		char *why = in->inverse
			? xstrdup("Expected output to not be valid SQL")
			: xasprintf("SQL statement does not conform to the "
				    "PostgreSQL syntax: %s at position %d",
				    r.error->message, r.error->cursorpos);
		score_binary(out, ok, in->inverse, why);
	} else {
		score_binary(out, ok, in->inverse, NULL);
	}
	pg_query_free_parse_result(r);
	free(sql);
	return 0;
}

#define XML_DESC "nothing, or required element paths (\"root.child\", a " \
	"list, or {requiredElements: [...]})"

const struct score_type score_format_types[] = {
	{ .name = "is-xml", .values = SV_OPTIONAL | SV_STRING | SV_LIST |
				      SV_OBJECT,
	  .value_desc = XML_DESC, .check = check_xml, .eval = eval_is_xml },
	{ .name = "contains-xml", .values = SV_OPTIONAL | SV_STRING | SV_LIST |
					    SV_OBJECT,
	  .value_desc = XML_DESC, .check = check_xml,
	  .eval = eval_contains_xml },
	{ .name = "is-sql", .values = SV_OPTIONAL | SV_OBJECT,
	  .value_desc = "nothing, or {databaseType: PostgreSQL}",
	  .check = check_sql, .eval = eval_is_sql },
	{ .name = NULL }
};
