/* cmd_mock.c — `assay mock`: the command line of the mock model server
 * (OpenAI and Anthropic protocols, fault injection).
 *
 * Parses options, starts the server (src/mock/), announces the address,
 * writes the port file, then waits for SIGINT/SIGTERM with sigwait() and
 * stops cleanly.  The signals are blocked before the server's threads are
 * created so that they all inherit the mask and only sigwait() sees them. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "mock/mock.h"
#include "util/err.h"
#include "util/xalloc.h"

static void mock_usage(FILE *f)
{
	fprintf(f,
"usage: assay mock [--rules FILE] [--port N] [--host ADDR] [--port-file PATH]\n"
"                  [--seed N] [--faults SPEC] [--threads N] [--quiet]\n"
"\n"
"Serves a scripted model on loopback until interrupted: OpenAI chat completions\n"
"(POST /v1/chat/completions), Anthropic Messages (POST /v1/messages),\n"
"GET /v1/models, GET /health; with seeded fault injection.  See docs/mock.md.\n"
"\n"
"  --rules FILE      YAML rules: models, latency, accuracy, replies\n"
"                    (default: one model \"mock\", any name accepted, echoes\n"
"                    the last user message)\n"
"  --port N          TCP port (default 8080; 0 picks a free one)\n"
"  --host ADDR       address to listen on (default 127.0.0.1); anything but\n"
"                    loopback exposes the server to the network\n"
"  --port-file PATH  write the port to PATH once listening (atomically)\n"
"  --seed N          seed of the accuracy and fault draws (default: the file's\n"
"                    seed:, or 0)\n"
"  --faults SPEC     global faults, replacing the file's top-level faults:, e.g.\n"
"                    rate_limit=0.1,retry_after_ms=200,reset=0.05,hang=0.01,\n"
"                    hang_ms=5000 (faults: rate_limit server_error unavailable\n"
"                    reset stream_cut malformed wrong_content_type hang\n"
"                    slow_stream; probabilities add up to at most 1)\n"
"  --threads N       worker threads (default: number of CPUs)\n"
"  --quiet           no per-request log on stderr\n"
"  -h, --help        this text\n");
}

static int parse_num(const char *opt, const char *s, unsigned long long max,
		     unsigned long long *out)
{
	char *end;
	errno = 0;
	*out = strtoull(s, &end, 10);
	if (!*s || *end || errno || s[0] == '-' || *out > max) {
		fprintf(stderr, "assay mock: %s: expected a number 0..%llu, got '%s'\n",
			opt, max, s);
		return -1;
	}
	return 0;
}

/* Writes "PORT\n" to path through a temporary file and rename(), so a
 * reader never sees a partial file. */
static int write_port_file(const char *path, int port)
{
	char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	FILE *f = fopen(tmp, "w");
	int ok = f && fprintf(f, "%d\n", port) > 0;
	if (f && fclose(f))
		ok = 0;
	if (ok && rename(tmp, path))
		ok = 0;
	if (!ok) {
		fprintf(stderr, "assay mock: cannot write %s: %s\n", path,
			strerror(errno));
		unlink(tmp);
	}
	free(tmp);
	return ok ? 0 : -1;
}

static int is_loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;
	if (!strcmp(host, "localhost"))
		return 1;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, host, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6);
	return 0;
}

static int mock_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rules", required_argument, NULL, 'r' },
		{ "port", required_argument, NULL, 'p' },
		{ "host", required_argument, NULL, 'H' },
		{ "port-file", required_argument, NULL, 'P' },
		{ "seed", required_argument, NULL, 's' },
		{ "faults", required_argument, NULL, 'f' },
		{ "threads", required_argument, NULL, 't' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct mock_config cfg = { .port = 8080 };
	struct mock_server *srv = NULL;
	struct err err = { 0 };
	const char *port_file = NULL;
	unsigned long long v;
	sigset_t set, old;
	int c, sig = 0, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "hq", opts, NULL)) != -1) {
		switch (c) {
		case 'r': cfg.rules_path = optarg; break;
		case 'H': cfg.host = optarg; break;
		case 'P': port_file = optarg; break;
		case 'f': cfg.faults = optarg; break;
		case 'q': cfg.quiet = 1; break;
		case 'h': mock_usage(stdout); return 0;
		case 'p':
			if (parse_num("--port", optarg, 65535, &v))
				return EXIT_USAGE;
			cfg.port = (int)v;
			break;
		case 's':
			if (parse_num("--seed", optarg, UINT64_MAX, &v))
				return EXIT_USAGE;
			cfg.seed = v;
			cfg.seed_set = 1;
			break;
		case 't':
			if (parse_num("--threads", optarg, 1024, &v))
				return EXIT_USAGE;
			cfg.threads = (int)v;
			break;
		default:
			mock_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "assay mock: unexpected argument '%s'\n", argv[optind]);
		mock_usage(stderr);
		return EXIT_USAGE;
	}
	if (cfg.host && !is_loopback(cfg.host))
		fprintf(stderr, "assay mock: warning: listening on %s, which is "
			"not a loopback address: anyone who can reach it can use it\n",
			cfg.host);

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	signal(SIGPIPE, SIG_IGN);

	rc = mock_server_start(&cfg, &srv, &err);
	if (rc) {
		fprintf(stderr, "assay mock: ");
		err_print(&err, stderr);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		return rc == ST_USAGE ? EXIT_USAGE : EXIT_RUN_ERROR;
	}
	{
		const char *h = cfg.host ? cfg.host : "127.0.0.1";
		int v6 = strchr(h, ':') != NULL;
		fprintf(stderr, "assay mock listening on http://%s%s%s:%d/v1\n",
			v6 ? "[" : "", h, v6 ? "]" : "", mock_server_port(srv));
	}
	if (port_file && write_port_file(port_file, mock_server_port(srv))) {
		mock_server_stop(srv);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		return EXIT_RUN_ERROR;
	}
	while (sigwait(&set, &sig) != 0)
		;
	if (!cfg.quiet)
		fprintf(stderr, "assay mock: %s, stopping after %llu requests "
			"(%llu with an injected fault)\n",
			sig == SIGINT ? "interrupted" : "terminated",
			(unsigned long long)mock_server_requests(srv),
			(unsigned long long)mock_server_faults(srv));
	mock_server_stop(srv);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return 0;
}

const struct cmd cmd_mock = {
	.name = "mock",
	.summary = "serve a scripted model (OpenAI, Anthropic) with faults on loopback",
	.exec = mock_exec,
};
