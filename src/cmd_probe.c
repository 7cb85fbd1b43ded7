/* cmd_probe.c — `assay probe SUITE`: adversarial and edge-case cases from
 * the suite's own prompts and vars (src/evalset/probe.c, packs/NAME.yaml). */
#include "cmd.h"
#include "evalset/evalset.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char probe_usage[] =
	"usage: assay probe SUITE [options] -o probes.yaml\n"
	"\n"
	"Generates probe cases from the suite's own cases: prompt injection with\n"
	"a planted canary, jailbreak templates around the suite's `probe:\n"
	"{forbidden: [...]}` requests, and edge cases; each with its expected\n"
	"behaviour, assertions, tags probe:PACK and probe:PACK:ID, expect and\n"
	"severity (docs/evalset.md).  Nothing is fetched: the packs are files.\n"
	"\n"
	"options:\n"
	"      --packs LIST      packs by name or path (default\n"
	"                        injection,jailbreak,edge)\n"
	"      --pack-dir DIR    where named packs live (default $ASSAY_PACKS,\n"
	"                        else ../packs or ../share/assay/packs next to\n"
	"                        the binary)\n"
	"      --per-case N      probes per case (or per forbidden request) and\n"
	"                        pack, drawn with the seed; 'all' (default 2)\n"
	"      --var NAME        the var to probe (default: the first string var\n"
	"                        the prompts use)\n"
	"      --seed S          seed of the draws and canaries (default 0)\n"
	"  -o, --output FILE     the YAML test list ('-' for stdout)\n"
	"  -q, --quiet           no summary on stderr\n"
	"  -h, --help            this text\n";

static int probe_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "packs", required_argument, NULL, 'p' },
		{ "pack-dir", required_argument, NULL, 'd' },
		{ "per-case", required_argument, NULL, 'n' },
		{ "var", required_argument, NULL, 'v' },
		{ "seed", required_argument, NULL, 's' },
		{ "output", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct es_probe_opts o = { .packs = "injection,jailbreak,edge",
				   .per_case = 2 };
	const char *out = NULL;
	bool quiet = false;
	struct buf b = {0};
	struct err err;
	char *end;
	double v;
	int c, rc;

	opterr = 0;
	optind = 1;
	err_clear(&err);
	while ((c = getopt_long(argc, argv, ":o:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'p': o.packs = optarg; break;
		case 'd': o.pack_dir = optarg; break;
		case 'n':
			if (!strcmp(optarg, "all")) {
				o.per_case = 0;
				break;
			}
			errno = 0;
			v = strtod(optarg, &end);
			if (errno || end == optarg || *end || v < 1 ||
			    v > 1000 || v != floor(v))
				goto bad_value;
			o.per_case = (size_t)v;
			break;
		case 'v': o.var = optarg; break;
		case 's':
			errno = 0;
			v = strtod(optarg, &end);
			if (errno || end == optarg || *end || v < 0 ||
			    v > 9007199254740992.0 || v != floor(v))
				goto bad_value;
			o.seed = (uint64_t)v;
			break;
		case 'o': out = optarg; break;
		case 'q': quiet = true; break;
		case 'h': fputs(probe_usage, stdout); return 0;
		case ':':
			fprintf(stderr, "assay probe: option '%s' needs a "
				"value\n%s", argv[optind - 1], probe_usage);
			return EXIT_USAGE;
		default:
			fprintf(stderr, "assay probe: bad option '%s'\n%s",
				argv[optind - 1], probe_usage);
			return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "assay probe: expected one SUITE file\n%s",
			probe_usage);
		return EXIT_USAGE;
	}
	if (!out) {
		fprintf(stderr, "assay probe: -o FILE is required (a .yaml "
			"test list; '-' for stdout)\n");
		return EXIT_USAGE;
	}
	o.suite = argv[optind];
	rc = es_probe_run(&o, &b, quiet ? NULL : stderr, &err);
	if (!rc)
		rc = es_write_file(out, buf_str(&b), b.len, &err);
	buf_free(&b);
	if (rc) {
		fprintf(stderr, "assay probe: ");
		err_print(&err, stderr);
		return rc == ST_USAGE ? EXIT_USAGE : EXIT_RUN_ERROR;
	}
	if (!quiet && strcmp(out, "-"))
		fprintf(stderr, "wrote %s\n", out);
	return 0;
bad_value:
	fprintf(stderr, "assay probe: bad value '%s' for %s\n", optarg,
		argv[optind - 1]);
	return EXIT_USAGE;
}

const struct cmd cmd_probe = {
	.name = "probe",
	.summary = "generate injection, jailbreak and edge-case probes for a suite",
	.exec = probe_exec,
};
