/* cmd_sample.c — `assay sample LOGS`: production logs → a case file to
 * label (src/evalset/sample.c does the work). */
#include "cmd.h"
#include "evalset/evalset.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char sample_usage[] =
	"usage: assay sample LOG [options] -o cases.yaml|cases.csv\n"
	"\n"
	"Draws a seeded, stratified, de-duplicated sample of a JSONL or CSV log\n"
	"(gzip-compressed or not, '-' for stdin) in one streaming pass and writes\n"
	"it as test cases to label (docs/evalset.md).\n"
	"\n"
	"options:\n"
	"  -n, --n N               cases to draw (default 50)\n"
	"      --field PATH        JSON path of the input (default input), e.g.\n"
	"                          messages[-1].content; a CSV column name\n"
	"      --stratify-by PATH  also stratify by this field's value\n"
	"      --min-per-stratum K at least K cases per stratum (default 2)\n"
	"      --seed S            seed of the draw (default 0)\n"
	"      --near-dup J        MinHash Jaccard threshold for near-duplicates\n"
	"                          (default 0.8; 'off' keeps them)\n"
	"      --shingle W         words per shingle (default 3)\n"
	"      --redact            replace e-mails, phones, cards, IBANs, IPs,\n"
	"                          SSNs and API keys by placeholders\n"
	"      --var NAME          var name of the input in the cases (default input)\n"
	"      --csv               read the log as CSV (default: by extension)\n"
	"      --no-record         leave the original record out of the metadata\n"
	"  -o, --output FILE       .yaml/.yml or .csv ('-': YAML on stdout)\n"
	"  -q, --quiet             no report on stderr\n"
	"  -h, --help              this text\n";

static int num(const char *s, double lo, double hi, double *out)
{
	char *end;
	double v;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static bool ends_with(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);
	return n >= m && !strcmp(s + n - m, suf);
}

static int sample_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "n", required_argument, NULL, 'n' },
		{ "field", required_argument, NULL, 'f' },
		{ "stratify-by", required_argument, NULL, 'b' },
		{ "min-per-stratum", required_argument, NULL, 'k' },
		{ "seed", required_argument, NULL, 's' },
		{ "near-dup", required_argument, NULL, 'J' },
		{ "shingle", required_argument, NULL, 'w' },
		{ "redact", no_argument, NULL, 'r' },
		{ "var", required_argument, NULL, 'v' },
		{ "csv", no_argument, NULL, 'c' },
		{ "no-record", no_argument, NULL, 'R' },
		{ "output", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct es_sample_opts o = { .field = "input", .var = "input", .n = 50,
				    .min_per_stratum = 2, .near_dup = 0.8,
				    .shingle = 3, .keep_record = true };
	struct es_sample s;
	const char *out = NULL;
	bool quiet = false;
	struct buf b = {0};
	struct err err;
	double v;
	int c, rc;

	opterr = 0;
	optind = 1;
	err_clear(&err);
	while ((c = getopt_long(argc, argv, ":n:o:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (num(optarg, 1, 100000, &v) || v != floor(v))
				goto bad_value;
			o.n = (size_t)v;
			break;
		case 'f': o.field = optarg; break;
		case 'b': o.stratify_by = optarg; break;
		case 'k':
			if (num(optarg, 0, 100000, &v) || v != floor(v))
				goto bad_value;
			o.min_per_stratum = (size_t)v;
			break;
		case 's':
			if (num(optarg, 0, 18446744073709549568.0, &v) ||
			    v != floor(v))
				goto bad_value;
			o.seed = (uint64_t)v;
			break;
		case 'J':
			if (!strcmp(optarg, "off"))
				o.near_dup = 2;
			else if (num(optarg, 0.01, 1, &o.near_dup))
				goto bad_value;
			break;
		case 'w':
			if (num(optarg, 1, 16, &v) || v != floor(v))
				goto bad_value;
			o.shingle = (int)v;
			break;
		case 'r': o.redact = true; break;
		case 'v': o.var = optarg; break;
		case 'c': o.csv_input = true; break;
		case 'R': o.keep_record = false; break;
		case 'o': out = optarg; break;
		case 'q': quiet = true; break;
		case 'h': fputs(sample_usage, stdout); return 0;
		case ':':
			fprintf(stderr, "assay sample: option '%s' needs a "
				"value\n%s", argv[optind - 1], sample_usage);
			return EXIT_USAGE;
		default:
			fprintf(stderr, "assay sample: bad option '%s'\n%s",
				argv[optind - 1], sample_usage);
			return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "assay sample: expected one LOG file%s\n%s",
			optind < argc ? ", got more" : "", sample_usage);
		return EXIT_USAGE;
	}
	if (!out) {
		fprintf(stderr, "assay sample: -o FILE is required (.yaml, "
			".yml or .csv; '-' for stdout)\n");
		return EXIT_USAGE;
	}
	if (strcmp(out, "-") && !ends_with(out, ".yaml") &&
	    !ends_with(out, ".yml") && !ends_with(out, ".csv")) {
		fprintf(stderr, "assay sample: -o %s: expected a .yaml, .yml "
			"or .csv file\n", out);
		return EXIT_USAGE;
	}
	o.path = argv[optind];
	if (ends_with(o.path, ".csv") || ends_with(o.path, ".csv.gz"))
		o.csv_input = true;
	rc = es_sample_run(&o, &s, quiet ? NULL : stderr, &err);
	if (rc) {
		fprintf(stderr, "assay sample: ");
		err_print(&err, stderr);
		return rc == ST_USAGE ? EXIT_USAGE : EXIT_RUN_ERROR;
	}
	if (ends_with(out, ".csv"))
		es_sample_write_csv(&o, &s, &b);
	else
		es_sample_write_yaml(&o, &s, &b);
	rc = es_write_file(out, buf_str(&b), b.len, &err);
	if (!quiet)
		es_sample_report(&o, &s, stderr);
	buf_free(&b);
	es_sample_cleanup(&s);
	if (rc) {
		fprintf(stderr, "assay sample: ");
		err_print(&err, stderr);
		return EXIT_RUN_ERROR;
	}
	if (!quiet && strcmp(out, "-"))
		fprintf(stderr, "wrote %s\n", out);
	return 0;
bad_value:
	fprintf(stderr, "assay sample: bad value '%s' for %s\n", optarg,
		argv[optind - 1]);
	return EXIT_USAGE;
}

const struct cmd cmd_sample = {
	.name = "sample",
	.summary = "draw test cases from production logs (JSONL/CSV, gzip)",
	.exec = sample_exec,
};
