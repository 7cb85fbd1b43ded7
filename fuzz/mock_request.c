/* mock_request.c — fuzzes the mock server's request handling
 * (src/mock/mock_server.c: routing, the OpenAI and Anthropic request
 * bodies, messages and content parts, streaming, the embeddings request,
 * the model lookup) through a real server on loopback.
 *
 * Setup: one `assay mock` server in this process (fixed rules with regex,
 * per-model rules and wrong answers; no latency, no faults).  Input: byte 0
 * picks the route, the rest is the request body.  Every request must get
 * an HTTP response (the server must not die or hang: a read timeout
 * aborts). */
#include "fuzz.h"
#include "mock/mock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>

static const char rules[] =
	"seed: 7\n"
	"default: \"I don't know.\"\n"
	"wrong: [\"Not sure.\"]\n"
	"models:\n"
	"  - name: gpt-cheap\n"
	"    accuracy: 0.5\n"
	"    rules:\n"
	"      - icontains: please\n"
	"        reply: 'No, {{model}}.'\n"
	"  - name: \"*\"\n"
	"    default: \"{{last_user}}\"\n"
	"rules:\n"
	"  - contains: capital of France\n"
	"    reply: Paris\n"
	"    wrong: [Lyon]\n"
	"  - regex: 'my name is (\\w+)'\n"
	"    reply: 'Hello!'\n";

static const struct {
	const char *method, *path;
} routes[] = {
	{ "POST", "/v1/chat/completions" }, { "POST", "/v1/messages" },
	{ "POST", "/v1/embeddings" },       { "GET", "/v1/models" },
	{ "GET", "/v1/models/gpt-cheap" },  { "POST", "/chat/completions" },
	{ "GET", "/health" },               { "PUT", "/v1/messages" },
};

static struct mock_server *server;
static int port;

static void stop(void)
{
	mock_server_stop(server);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct mock_config cfg;
	struct err err;
	(void)argc;
	(void)argv;
	memset(&cfg, 0, sizeof cfg);
	cfg.rules_yaml = rules;
	cfg.threads = 1;
	cfg.quiet = 1;
	err_clear(&err);
	if (mock_server_start(&cfg, &server, &err)) {
		fprintf(stderr, "fuzz: mock: %s\n", err.msg);
		abort();
	}
	port = mock_server_port(server);
	atexit(stop);
	return 0;
}

static void send_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	while (n) {
		ssize_t w = send(fd, c, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return; /* the server may answer before reading it all */
		c += w;
		n -= (size_t)w;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_in sa;
	struct timeval tv = { 10, 0 };
	char head[256], reply[16];
	size_t got = 0;
	int fd, r;
	if (size < 1)
		return 0;
	if (!server)
		LLVMFuzzerInitialize(NULL, NULL);
	r = data[0] % (int)(sizeof routes / sizeof routes[0]);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		abort();
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	/* libFuzzer's timer signal may interrupt a blocking connect; the
	 * connection then goes on in the background. */
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) && errno != EINTR) {
		perror("fuzz: connect to the mock");
		abort();
	} else {
		struct pollfd pf = { fd, POLLOUT, 0 };
		int e = 0;
		socklen_t el = sizeof e;
		while (poll(&pf, 1, 10000) < 0 && errno == EINTR)
			;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) || e) {
			fprintf(stderr, "fuzz: connect to the mock: %s\n", strerror(e));
			abort();
		}
	}
	snprintf(head, sizeof head,
		 "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
		 "Content-Length: %zu\r\nConnection: close\r\n\r\n",
		 routes[r].method, routes[r].path, size - 1);
	send_all(fd, head, strlen(head));
	send_all(fd, data + 1, size - 1);
	/* The whole reply, until the server closes. */
	for (;;) {
		char buf[4096];
		ssize_t n = recv(fd, buf, sizeof buf, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "fuzz: mock did not answer within 10 s\n");
			abort();
		}
		if (n == 0)
			break;
		if (got < sizeof reply)
			memcpy(reply + got, buf,
			       (size_t)n < sizeof reply - got ? (size_t)n : sizeof reply - got);
		got += (size_t)n;
	}
	/* The server closed first and waits for our FIN; a reset instead
	 * (linger 0) ends the connection on both sides at once.  A normal
	 * close would leave a TIME-WAIT entry per request on the server's
	 * side, and at thousands of requests a second the reused ports then
	 * collide with them (connects stall: a false hang). */
	{
		struct linger lg = { 1, 0 };
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
	}
	close(fd);
	if (got < 9 || memcmp(reply, "HTTP/1.", 7))
		abort(); /* every request gets an HTTP response */
	return 0;
}
