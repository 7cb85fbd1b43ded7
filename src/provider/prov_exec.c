/* prov_exec.c — `exec:<command>`: any local program is a provider, with
 * promptfoo's calling convention: the command is split into words (single
 * quotes, double quotes and backslashes as in a POSIX shell, but no shell
 * ever runs: no globbing, no variables, no pipes), then three arguments
 * follow: the prompt, the options JSON ({"config": …} without secrets) and
 * the context JSON ({"vars": …, "prompt": {"raw", "label"}}).  The prompt
 * is also written to the program's stdin; when it is too long to be an
 * argument (over 128 KiB) the prompt argument is empty and stdin alone
 * carries it (and a context JSON that large becomes
 * {"vars":{},"truncated":true}).  The program runs in the suite's directory; its trimmed
 * stdout is the output.  The engine runs it (see engine_exec.c): exit
 * status ≠ 0, empty stdout with stderr, stdout over `max_output_bytes`
 * (default 64 MiB) or a timeout is an error. */
#include "provider.h"
#include "../util/xalloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Linux refuses single arguments longer than MAX_ARG_STRLEN (128 KiB). */
#define MAX_PROMPT_ARG ((size_t)128 * 1024 - 1)

/* The default cap on a program's stdout. */
#define DEFAULT_MAX_OUTPUT ((size_t)64 << 20)

struct exec {
	char **words;
	size_t n_words;
	char *options_json;
	size_t max_output;       /* [max_output_bytes] */
};

size_t provider_exec_max_output(const struct provider *p)
{
	const struct exec *x = p->state;
	return x && x->max_output ? x->max_output : DEFAULT_MAX_OUTPUT;
}

int provider_split_words(const char *s, char ***out, size_t *n_out,
		     const char **why)
{
	char **words = NULL;
	size_t n = 0, cap = 0;
	struct buf w = { 0 };
	bool in_word = false;
	*out = NULL;
	*n_out = 0;
	for (;;) {
		char c = *s;
		if (c == '\0' || c == ' ' || c == '\t' || c == '\n') {
			if (in_word) {
				words = xgrow(words, &cap, n + 2, sizeof *words);
				words[n++] = buf_detach(&w);
				words[n] = NULL;
				in_word = false;
			}
			if (!c)
				break;
			s++;
		} else if (c == '\'') {
			const char *end = strchr(s + 1, '\'');
			if (!end)
				goto unterminated;
			buf_append(&w, s + 1, (size_t)(end - s - 1));
			in_word = true;
			s = end + 1;
		} else if (c == '"') {
			s++;
			while (*s && *s != '"') {
				if (*s == '\\' && s[1] && strchr("\"\\$`", s[1]))
					s++;
				buf_putc(&w, *s++);
			}
			if (*s != '"')
				goto unterminated;
			s++;
			in_word = true;
		} else if (c == '\\' && s[1]) {
			buf_putc(&w, s[1]);
			s += 2;
			in_word = true;
		} else {
			buf_putc(&w, c);
			s++;
			in_word = true;
		}
	}
	buf_free(&w);
	if (!n) {
		free(words);
		*why = "the command is empty";
		return -1;
	}
	*out = words;
	*n_out = n;
	return 0;
unterminated:
	buf_free(&w);
	for (size_t i = 0; i < n; i++)
		free(words[i]);
	free(words);
	*why = "the command has an unterminated quote";
	return -1;
}

static int exec_init(struct provider *p, struct err *err)
{
	struct exec *x = xcalloc(1, sizeof *x);
	const char *why = NULL, *k;
	json_t *v, *opts;
	p->state = x;
	if (provider_split_words(p->model, &x->words, &x->n_words, &why))
		return provider_config_error(p, err, "%s", why);
	x->max_output = DEFAULT_MAX_OUTPUT;
	json_object_foreach(p->spec->config, k, v) {
		if (!strcmp(k, "stream"))
			return provider_config_error(p, err,
				"stream is not supported by exec providers");
		if (!strcmp(k, "max_output_bytes")) {
			if (!json_is_integer(v) || json_integer_value(v) < 1 ||
			    (uint64_t)json_integer_value(v) > (uint64_t)SIZE_MAX / 2)
				return provider_config_error(p, err,
					"max_output_bytes must be a positive integer (bytes)");
			x->max_output = (size_t)json_integer_value(v);
		}
	}
	/* The config as the program sees it: generic keys and anything the
	 * program wants; secrets are never passed on the command line. */
	opts = json_object();
	json_object_set_new(opts, "config", json_deep_copy(p->spec->config));
	{
		json_t *cfg = json_object_get(opts, "config");
		const char *ck;
		json_t *cv;
		void *tmp;
		json_object_foreach_safe(cfg, tmp, ck, cv) {
			(void)cv;
			if (strstr(ck, "apiKey") || strstr(ck, "secret") ||
			    strstr(ck, "password") || strstr(ck, "token") ||
			    strstr(ck, "Token"))
				json_object_del(cfg, ck);
		}
	}
	x->options_json = json_dumps(opts, JSON_COMPACT);
	json_decref(opts);
	return 0;
}

static void exec_cleanup(struct provider *p)
{
	struct exec *x = p->state;
	if (!x)
		return;
	for (size_t i = 0; i < x->n_words; i++)
		free(x->words[i]);
	free(x->words);
	free(x->options_json);
	free(x);
	p->state = NULL;
}

static int exec_argv(const struct provider *p, const char *prompt,
		     const struct prompt *pr, const json_t *vars,
		     char ***argv, char **stdin_text, struct err *err)
{
	const struct exec *x = p->state;
	char **a = xcalloc(x->n_words + 4, sizeof *a);
	json_t *ctx, *empty = vars ? NULL : json_object();
	size_t i;
	(void)err;
	for (i = 0; i < x->n_words; i++)
		a[i] = xstrdup(x->words[i]);
	a[i++] = xstrdup(strlen(prompt) > MAX_PROMPT_ARG ? "" : prompt);
	a[i++] = xstrdup(x->options_json);
	ctx = json_pack("{s:O,s:{s:s,s:s}}", "vars",
			vars ? (json_t *)vars : empty, "prompt", "raw",
			pr && pr->raw ? pr->raw : "", "label",
			pr && pr->label ? pr->label : "");
	a[i] = json_dumps(ctx, JSON_COMPACT);
	json_decref(ctx);
	if (strlen(a[i]) > MAX_PROMPT_ARG) { /* huge vars: the kernel refuses */
		free(a[i]);
		a[i] = xstrdup("{\"vars\":{},\"truncated\":true}");
	}
	i++;
	json_decref(empty);
	a[i] = NULL;
	*argv = a;
	*stdin_text = xstrdup(prompt);
	return 0;
}

const struct provider_ops prov_exec_ops = {
	.name = "exec",
	.init = exec_init,
	.cleanup = exec_cleanup,
	.exec_argv = exec_argv,
};
