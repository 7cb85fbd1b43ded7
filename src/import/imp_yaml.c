/* imp_yaml.c — JSON values written as block YAML with libyaml's emitter
 * (import.h).  libyaml quotes and escapes what must be; this file only
 * decides which strings must be quoted so they read back as strings: the
 * ones YAML's core schema would resolve to another type, the empty
 * string, and text with edge spaces.  Multi-line strings are literal
 * blocks so prompts stay readable. */
#include "import.h"

#include <regex.h>
#include <stdbool.h>
#include <string.h>

static int yerr(yaml_emitter_t *e, struct err *err)
{
	return err_set(err, ST_IO, "writing YAML: %s",
		       e->problem ? e->problem : "emitter error");
}

static int emit(yaml_emitter_t *e, yaml_event_t *ev, struct err *err)
{
	return yaml_emitter_emit(e, ev) ? 0 : yerr(e, err);
}

int imp_yaml_open(yaml_emitter_t *e, FILE *f, struct err *err)
{
	yaml_event_t ev;
	if (!yaml_emitter_initialize(e))
		return err_set(err, ST_INTERNAL, "cannot start the YAML writer");
	yaml_emitter_set_output_file(e, f);
	yaml_emitter_set_unicode(e, 1);
	yaml_emitter_set_width(e, 100);
	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	if (emit(e, &ev, err))
		return ST_IO;
	yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
	return emit(e, &ev, err);
}

int imp_yaml_close(yaml_emitter_t *e, struct err *err)
{
	yaml_event_t ev;
	int rc;
	yaml_document_end_event_initialize(&ev, 1);
	rc = emit(e, &ev, err);
	if (!rc) {
		yaml_stream_end_event_initialize(&ev);
		rc = emit(e, &ev, err);
	}
	if (!rc && !yaml_emitter_flush(e))
		rc = yerr(e, err);
	yaml_emitter_delete(e);
	return rc;
}

/* Would a plain scalar with this text resolve to something other than a
 * string (YAML 1.2 core schema, and the 1.1 words libyaml readers know)? */
static bool needs_quotes(const char *s)
{
	static const char *const words[] = {
		"null", "Null", "NULL", "~", "true", "True", "TRUE", "false",
		"False", "FALSE", "yes", "Yes", "YES", "no", "No", "NO", "on",
		"On", "ON", "off", "Off", "OFF", "y", "Y", "n", "N", NULL };
	static regex_t num;
	static bool ready;
	size_t n = strlen(s);
	if (!n || s[0] == ' ' || s[n - 1] == ' ' || s[0] == '\t')
		return true;
	for (int i = 0; words[i]; i++)
		if (!strcmp(s, words[i]))
			return true;
	if (!ready) {
		ready = regcomp(&num, "^[-+]?(0x[0-9a-fA-F]+|0o[0-7]+|[0-9_]+"
				"(\\.[0-9_]*)?([eE][-+]?[0-9]+)?|\\.[0-9]+([eE][-+]?"
				"[0-9]+)?|\\.(inf|Inf|INF|nan|NaN|NAN))$",
				REG_EXTENDED | REG_NOSUB) == 0;
	}
	return ready && regexec(&num, s, 0, NULL, 0) == 0;
}

int imp_yaml_str(yaml_emitter_t *e, const char *s, struct err *err)
{
	yaml_event_t ev;
	yaml_scalar_style_t style = YAML_ANY_SCALAR_STYLE;
	bool quote = needs_quotes(s);
	if (quote)
		style = YAML_SINGLE_QUOTED_SCALAR_STYLE;
	else if (strchr(s, '\n'))
		style = YAML_LITERAL_SCALAR_STYLE;
	yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s,
				     (int)strlen(s), !quote, 1, style);
	return emit(e, &ev, err);
}

static int plain(yaml_emitter_t *e, const char *s, struct err *err)
{
	yaml_event_t ev;
	yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s,
				     (int)strlen(s), 1, 0, YAML_PLAIN_SCALAR_STYLE);
	return emit(e, &ev, err);
}

int imp_yaml_map_start(yaml_emitter_t *e, struct err *err)
{
	yaml_event_t ev;
	yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
	return emit(e, &ev, err);
}

int imp_yaml_map_end(yaml_emitter_t *e, struct err *err)
{
	yaml_event_t ev;
	yaml_mapping_end_event_initialize(&ev);
	return emit(e, &ev, err);
}

int imp_yaml_seq_start(yaml_emitter_t *e, struct err *err)
{
	yaml_event_t ev;
	yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE);
	return emit(e, &ev, err);
}

int imp_yaml_seq_end(yaml_emitter_t *e, struct err *err)
{
	yaml_event_t ev;
	yaml_sequence_end_event_initialize(&ev);
	return emit(e, &ev, err);
}

int imp_yaml_value(yaml_emitter_t *e, const json_t *v, struct err *err)
{
	char num[64];
	const char *k;
	json_t *x;
	size_t i;
	int rc = 0;
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		if ((rc = imp_yaml_map_start(e, err)))
			return rc;
		json_object_foreach((json_t *)v, k, x)
			if ((rc = imp_yaml_str(e, k, err)) || (rc = imp_yaml_value(e, x, err)))
				return rc;
		return imp_yaml_map_end(e, err);
	case JSON_ARRAY:
		if ((rc = imp_yaml_seq_start(e, err)))
			return rc;
		json_array_foreach(v, i, x)
			if ((rc = imp_yaml_value(e, x, err)))
				return rc;
		return imp_yaml_seq_end(e, err);
	case JSON_STRING:
		return imp_yaml_str(e, json_string_value(v), err);
	case JSON_INTEGER:
		snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
		return plain(e, num, err);
	case JSON_REAL:
		snprintf(num, sizeof num, "%.17g", json_real_value(v));
		return plain(e, num, err);
	case JSON_TRUE:
		return plain(e, "true", err);
	case JSON_FALSE:
		return plain(e, "false", err);
	default:
		return plain(e, "null", err);
	}
}
