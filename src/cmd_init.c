/* cmd_init.c — `assay init [DIR]`: writes a starter suite for one kind of
 * task (a suite file, a case file with placeholder rows, and a README that
 * says what to do next).  Never overwrites a file unless --force; never asks
 * a question, so it works the same on a terminal, in a script and in CI. */
#include "cmd.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/fsutil.h"
#include "util/xalloc.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char init_usage[] =
	"usage: assay init [DIR] [options]\n"
	"\n"
	"Writes a starter suite into DIR (default: the current directory):\n"
	"promptfooconfig.yaml, cases.csv (placeholder cases to replace with real\n"
	"ones) and README.md.  Existing files are never overwritten without --force.\n"
	"\n"
	"options:\n"
	"  -k, --kind KIND      classify (default), extract or qa\n"
	"  -p, --provider ID    a candidate provider; repeatable (default: two\n"
	"                       placeholders, openai:chat:gpt-4o-mini and\n"
	"                       anthropic:messages:claude-3-5-haiku-latest)\n"
	"  -f, --force          overwrite existing files\n"
	"  -h, --help           this text\n"
	"\n"
	"examples:\n"
	"  assay init triage --kind classify\n"
	"  assay init --kind qa -p openai:chat:gpt-4o -p llamacpp:local\n";

/* One kind of task: the prompt, the suite's assertions and the case file. */
struct init_kind {
	const char *name;
	const char *what;       /* one line for the suite's description */
	const char *prompt;     /* the prompt template (YAML block text) */
	const char *suite_tail; /* defaultTest and statistics blocks */
	const char *cases;      /* the CSV case file */
};

static const struct init_kind kinds[] = {
	{
		.name = "classify",
		.what = "Route each input to one category",
		.prompt =
			"      Classify the message into exactly one category:\n"
			"      billing, technical, account or other.\n"
			"      Reply with JSON only: {\"category\": \"<category>\", \"confidence\": <0 to 1>}.\n"
			"\n"
			"      Message: {{message}}\n",
		.suite_tail =
			"defaultTest:\n"
			"  assert:\n"
			"    - {type: is-json, metric: json_format}\n"
			"\n"
			"tests: file://cases.csv\n"
			"\n"
			"# Beyond pass rates: calibration of the stated confidence and a confusion\n"
			"# matrix of the predicted categories (docs/statistics.md).\n"
			"calibration:\n"
			"  confidence: \"jq:.confidence\"\n"
			"classification:\n"
			"  expected: \"{{category}}\"\n"
			"  predicted: \"jq:.category\"\n",
		.cases =
			"__description,message,category,__expected,__metadata:tags[]\n"
			"placeholder 1,REPLACE with a real message from your logs,billing,\"icontains:\"\"billing\"\"\",billing\n"
			"placeholder 2,REPLACE with a real message from your logs,technical,\"icontains:\"\"technical\"\"\",technical\n"
			"placeholder 3,REPLACE with a messy or ambiguous real message,other,\"icontains:\"\"other\"\"\",edge\n",
	},
	{
		.name = "extract",
		.what = "Extract fields from a document as JSON",
		.prompt =
			"      Extract the vendor name and the total amount from the invoice below.\n"
			"      Reply with JSON only: {\"vendor\": \"<name>\", \"total\": <number>}.\n"
			"\n"
			"      Invoice:\n"
			"      {{document}}\n",
		.suite_tail =
			"defaultTest:\n"
			"  assert:\n"
			"    - type: is-json\n"
			"      metric: json_format\n"
			"      value:\n"
			"        type: object\n"
			"        required: [vendor, total]\n"
			"        properties:\n"
			"          vendor: {type: string}\n"
			"          total: {type: number}\n"
			"\n"
			"tests: file://cases.csv\n",
		.cases =
			"__description,document,__expected1,__expected2,__metadata:tags[]\n"
			"placeholder 1,REPLACE with a real invoice text,contains:ACME Ltd,contains:120.5,typical\n"
			"placeholder 2,REPLACE with a scanned invoice with OCR noise,contains:Example GmbH,contains:99,ocr\n",
	},
	{
		.name = "qa",
		.what = "Answer questions from a given context",
		.prompt =
			"      Answer the question using only the context. If the context does\n"
			"      not contain the answer, say \"I don't know\".\n"
			"\n"
			"      Context: {{context}}\n"
			"      Question: {{question}}\n",
		.suite_tail =
			"defaultTest:\n"
			"  assert:\n"
			"    - {type: icontains, value: \"{{answer}}\", metric: correct}\n"
			"    # A judge model grades faithfulness too: uncomment and name one with\n"
			"    # --grader or options.provider (docs/assertions.md).\n"
			"    # - {type: llm-rubric, value: \"Uses only facts from the context\"}\n"
			"\n"
			"tests: file://cases.csv\n",
		.cases =
			"__description,context,question,answer,__metadata:tags[]\n"
			"placeholder 1,REPLACE with a real document,REPLACE with a real question,REPLACE with the answer,typical\n"
			"unanswerable,REPLACE with a document that lacks the answer,REPLACE with a question it cannot answer,I don't know,unanswerable\n",
	},
};

static const char readme_text[] =
	"# Your eval suite\n"
	"\n"
	"Written by `assay init`.  Next steps:\n"
	"\n"
	"1. Replace the placeholder rows of `cases.csv` with 50-500 real inputs from\n"
	"   production (messy, ambiguous and adversarial ones included); `assay sample`\n"
	"   draws them from a log file.\n"
	"2. Put your candidate models under `providers:` in `promptfooconfig.yaml`.\n"
	"3. Check everything without sending a request: `assay validate promptfooconfig.yaml`\n"
	"4. Run it: `assay run promptfooconfig.yaml -o results.json`, then `assay stats latest`.\n"
	"\n"
	"To try it offline first, start `assay mock` (echo models) and point\n"
	"`OPENAI_BASE_URL` at it: `assay mock --port 8080 &` then\n"
	"`OPENAI_BASE_URL=http://127.0.0.1:8080/v1 assay run`.\n";

static const struct init_kind *find_kind(const char *name)
{
	for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++)
		if (!strcmp(kinds[i].name, name))
			return &kinds[i];
	return NULL;
}

/* A provider id goes into YAML as a double-quoted scalar. */
static void put_provider(struct buf *b, const char *id)
{
	buf_puts(b, "  - \"");
	for (const char *p = id; *p; p++) {
		if (*p == '"' || *p == '\\')
			buf_putc(b, '\\');
		buf_putc(b, *p);
	}
	buf_puts(b, "\"\n");
}

static char *suite_text(const struct init_kind *k, const char **provs,
			size_t n_provs)
{
	static const char *const defaults[] = {
		"openai:chat:gpt-4o-mini",
		"anthropic:messages:claude-3-5-haiku-latest",
	};
	struct buf b = { 0 };
	buf_printf(&b, "# %s — a starter suite written by `assay init --kind %s`.\n"
		       "# Format: docs/suites.md (promptfoo-compatible).\n"
		       "description: %s\n\n"
		       "prompts:\n  - label: main\n    raw: |\n%s\n"
		       "providers:\n",
		   k->what, k->name, k->what, k->prompt);
	if (!n_provs) {
		provs = (const char **)defaults;
		n_provs = sizeof defaults / sizeof *defaults;
	}
	for (size_t i = 0; i < n_provs; i++)
		put_provider(&b, provs[i]);
	buf_puts(&b, "\n");
	buf_puts(&b, k->suite_tail);
	return buf_detach(&b);
}

static bool file_exists(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0;
}

/* Writes text to path; 0 on success, else prints the reason. */
static int write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "assay init: cannot write %s: %s\n", path, strerror(errno));
		return -1;
	}
	size_t n = strlen(text);
	int bad = fwrite(text, 1, n, f) != n;
	bad |= fclose(f) != 0;
	if (bad) {
		fprintf(stderr, "assay init: cannot write %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int init_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kind", required_argument, NULL, 'k' },
		{ "provider", required_argument, NULL, 'p' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct init_kind *kind = &kinds[0];
	const char **provs = NULL;
	size_t n_provs = 0;
	bool force = false;
	const char *dir = ".";
	char *paths[3] = { NULL, NULL, NULL };
	char *texts[3] = { NULL, NULL, NULL };
	struct err err;
	int c, status = EXIT_USAGE;

	opterr = 0;
	optind = 1;
	err_clear(&err);
	while ((c = getopt_long(argc, argv, ":k:p:fh", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			kind = find_kind(optarg);
			if (!kind) {
				fprintf(stderr, "assay init: unknown kind '%s' (expected classify, extract or qa)\n", optarg);
				goto out;
			}
			break;
		case 'p':
			provs = xrealloc(provs, (n_provs + 1) * sizeof *provs);
			provs[n_provs++] = optarg;
			break;
		case 'f': force = true; break;
		case 'h': fputs(init_usage, stdout); status = 0; goto out;
		default:
			fprintf(stderr, "assay init: bad option '%s'\n%s", argv[optind - 1], init_usage);
			goto out;
		}
	}
	if (optind < argc)
		dir = argv[optind++];
	if (optind < argc) {
		fprintf(stderr, "assay init: one directory at most\n%s", init_usage);
		goto out;
	}
	status = EXIT_RUN_ERROR;
	if (fs_mkdirs(dir, &err)) {
		fprintf(stderr, "assay init: %s\n", err.msg);
		goto out;
	}
	paths[0] = fs_join(dir, "promptfooconfig.yaml");
	paths[1] = fs_join(dir, "cases.csv");
	paths[2] = fs_join(dir, "README.md");
	texts[0] = suite_text(kind, provs, n_provs);
	texts[1] = xstrdup(kind->cases);
	texts[2] = xstrdup(readme_text);
	/* Check all three before writing any, so a refusal leaves nothing half-made. */
	for (int i = 0; i < 3 && !force; i++) {
		if (file_exists(paths[i])) {
			fprintf(stderr, "assay init: %s exists; not overwriting it (use --force)\n", paths[i]);
			goto out;
		}
	}
	for (int i = 0; i < 3; i++)
		if (write_text(paths[i], texts[i]))
			goto out;
	printf("wrote %s, %s and %s (kind: %s)\n"
	       "next: replace the placeholder cases, then `assay validate %s`\n",
	       paths[0], paths[1], paths[2], kind->name, paths[0]);
	status = 0;
out:
	for (int i = 0; i < 3; i++) {
		free(paths[i]);
		free(texts[i]);
	}
	free(provs);
	return status;
}

const struct cmd cmd_init = {
	.name = "init",
	.summary = "write a starter suite, case file and README",
	.exec = init_exec,
};
