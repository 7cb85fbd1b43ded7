/* cmd_view.c — `assay view`: flags → src/view (the local web app).  The
 * server runs on its own thread; this one blocks SIGINT/SIGTERM before it
 * starts (so the server's thread inherits the mask), writes the port
 * file, prints the address and waits in sigwait() for a signal. */
#include "cmd.h"
#include "settings.h"
#include "store/store.h"
#include "util/xalloc.h"
#include "view/view.h"

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char view_usage[] =
	"usage: assay view [options]\n"
	"\n"
	"Serves a local web app over the stored runs: the runs list, a run page\n"
	"with the report's charts, the cases x candidates matrix with filters,\n"
	"case detail, two runs compared, grading by hand (1-5, would you show\n"
	"this to a user?, a note; keys 1-5 y n j k enter) with a review queue,\n"
	"and blind pairwise review.  Grades go to the database (human_grades).\n"
	"\n"
	"options:\n"
	"      --db PATH        SQLite file or postgres:// URL\n"
	"                       (default $ASSAY_DB, the config file's db,\n"
	"                       else the nearest .assay/ from here up)\n"
	"  -p, --port N         port (default 8080; 0 = any free port)\n"
	"      --host ADDR      address to listen on (default 127.0.0.1); any\n"
	"                       other than loopback requires --token\n"
	"      --token T        required on every request (16-200 characters of\n"
	"                       A-Z a-z 0-9 . _ ~ -); open the printed link once\n"
	"      --reviewers-per-item N  the queue leaves out outputs N other\n"
	"                       reviewers have rated (default 0: no limit)\n"
	"      --seed N         order of blind pairs and their sides (default random)\n"
	"      --port-file F    write the port to F once listening\n"
	"      --no-warm        do not draw the newest runs' charts at start-up\n"
	"                       (each is then drawn on its first view)\n"
	"  -h, --help           this text\n"
	"\n"
	"example:\n"
	"  assay view            # then open http://127.0.0.1:8080/\n";

static int parse_ulong(const char *opt, const char *s, unsigned long long max,
		       unsigned long long *out)
{
	char *end;
	errno = 0;
	*out = strtoull(s, &end, 10);
	if (!*s || *end || errno || *s == '-' || *out > max) {
		fprintf(stderr, "assay view: %s wants an integer 0..%llu, not '%s'\n", opt, max, s);
		return -1;
	}
	return 0;
}

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
		fprintf(stderr, "assay view: cannot write %s: %s\n", path, strerror(errno));
		unlink(tmp);
	}
	free(tmp);
	return ok ? 0 : -1;
}

static int view_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "port", required_argument, NULL, 'p' },
		{ "host", required_argument, NULL, 'H' },
		{ "token", required_argument, NULL, 't' },
		{ "reviewers-per-item", required_argument, NULL, 'r' },
		{ "seed", required_argument, NULL, 's' },
		{ "port-file", required_argument, NULL, 'P' },
		{ "no-warm", no_argument, NULL, 'W' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct view_config cfg = { .port = 8080 };
	const char *db = settings_db(), *port_file = NULL;
	bool no_warm = false;
	struct view_server *srv = NULL;
	struct store *st = NULL;
	struct err err = { 0 };
	unsigned long long v;
	sigset_t set, old;
	int c, sig = 0;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":p:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'H': cfg.host = optarg; break;
		case 't': cfg.token = optarg; break;
		case 'P': port_file = optarg; break;
		case 'W': no_warm = true; break;
		case 'h': fputs(view_usage, stdout); return 0;
		case 'p':
			if (parse_ulong("--port", optarg, 65535, &v))
				return EXIT_USAGE;
			cfg.port = (int)v;
			break;
		case 'r':
			if (parse_ulong("--reviewers-per-item", optarg, 1000, &v))
				return EXIT_USAGE;
			cfg.reviewers_per_item = (long)v;
			break;
		case 's':
			if (parse_ulong("--seed", optarg, 1ull << 50, &v))
				return EXIT_USAGE;
			cfg.seed = v;
			cfg.seed_set = true;
			break;
		default:
			fprintf(stderr, "assay view: bad option '%s'\n%s", argv[optind - 1], view_usage);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "assay view: unexpected argument '%s'\n%s", argv[optind], view_usage);
		return EXIT_USAGE;
	}
	if (store_open_existing(db, &st, &err)) {
		fprintf(stderr, "assay view: ");
		err_print(&err, stderr);
		return EXIT_RUN_ERROR;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	signal(SIGPIPE, SIG_IGN);
	cfg.db_path = no_warm ? NULL : db;
	if (view_start(&cfg, st, &srv, &err)) {
		fprintf(stderr, "assay view: ");
		err_print(&err, stderr);
		store_close(st);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		return err.code == ST_USAGE ? EXIT_USAGE : EXIT_RUN_ERROR;
	}
	{
		const char *h = cfg.host ? cfg.host : "127.0.0.1";
		int v6 = strchr(h, ':') != NULL;
		fprintf(stderr, "assay view: open http://%s%s%s:%d/%s%s in a browser (Ctrl-C stops)\n",
			v6 ? "[" : "", h, v6 ? "]" : "", view_port(srv),
			cfg.token ? "?token=" : "", cfg.token ? cfg.token : "");
	}
	if (port_file && write_port_file(port_file, view_port(srv))) {
		view_stop(srv);
		store_close(st);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		return EXIT_RUN_ERROR;
	}
	while (sigwait(&set, &sig) != 0)
		;
	view_stop(srv);
	store_close(st);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return 0;
}

const struct cmd cmd_view = {
	.name = "view",
	.summary = "serve a local web app: browse runs, grade by hand, blind A/B",
	.exec = view_exec,
};
