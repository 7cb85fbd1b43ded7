/* mhd_dl.c — libmicrohttpd, loaded when first used (`assay mock` and `assay view`
 * serve HTTP).
 *
 * Why: libmicrohttpd links GnuTLS and p11-kit, whose loading costs about
 * 3.8 million instructions at every start of every command; `assay
 * --version` must start in under 5 ms.  This file defines the
 * libmicrohttpd functions assay calls and forwards them to
 * libmicrohttpd.so.12 opened on first use.  Same pattern as curl_dl.c.
 *
 * MHD_start_daemon's variadic option list is forwarded as an
 * MHD_OPTION_ARRAY (libmicrohttpd's documented alternative form): each
 * option assay uses is converted by its argument type; an option not
 * listed here is refused with a message, so adding one is a one-line
 * change below. */
#include <dlfcn.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define MHD_FUNCS(X)                                                          \
	X(struct MHD_Daemon *, MHD_start_daemon,                              \
	  (unsigned int flags, uint16_t port, MHD_AcceptPolicyCallback apc,    \
	   void *apc_cls, MHD_AccessHandlerCallback dh, void *dh_cls, ...))    \
	X(void, MHD_stop_daemon, (struct MHD_Daemon * d))                     \
	X(const union MHD_DaemonInfo *, MHD_get_daemon_info,                  \
	  (struct MHD_Daemon * d, enum MHD_DaemonInfoType t, ...))             \
	X(const union MHD_ConnectionInfo *, MHD_get_connection_info,          \
	  (struct MHD_Connection * c, enum MHD_ConnectionInfoType t, ...))     \
	X(const char *, MHD_lookup_connection_value,                          \
	  (struct MHD_Connection * c, enum MHD_ValueKind k, const char *key))  \
	X(enum MHD_Result, MHD_queue_response,                                \
	  (struct MHD_Connection * c, unsigned int status,                     \
	   struct MHD_Response *r))                                            \
	X(struct MHD_Response *, MHD_create_response_from_callback,           \
	  (uint64_t size, size_t block, MHD_ContentReaderCallback crc,         \
	   void *crc_cls, MHD_ContentReaderFreeCallback crfc))                 \
	X(struct MHD_Response *, MHD_create_response_from_buffer,             \
	  (size_t size, void *buffer, enum MHD_ResponseMemoryMode mode))       \
	X(void, MHD_destroy_response, (struct MHD_Response * r))              \
	X(enum MHD_Result, MHD_add_response_header,                           \
	  (struct MHD_Response * r, const char *h, const char *v))

static struct {
#define X(ret, name, params) ret(*name) params;
	MHD_FUNCS(X)
#undef X
} real;

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void)
{
	void *h = dlopen("libmicrohttpd.so.12", RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		fprintf(stderr, "assay: cannot load libmicrohttpd (%s); install "
				"the Debian package libmicrohttpd12\n", dlerror());
		exit(1);
	}
#define X(ret, name, params)                                                  \
	*(void **)&real.name = dlsym(h, #name);                               \
	if (!real.name) {                                                     \
		fprintf(stderr, "assay: libmicrohttpd lacks %s\n", #name);    \
		exit(1);                                                      \
	}
	MHD_FUNCS(X)
#undef X
}

#define LOAD() pthread_once(&once, load)

#define MAX_OPTIONS 32

struct MHD_Daemon *MHD_start_daemon(unsigned int flags, uint16_t port,
				    MHD_AcceptPolicyCallback apc, void *apc_cls,
				    MHD_AccessHandlerCallback dh, void *dh_cls, ...)
{
	struct MHD_OptionItem items[MAX_OPTIONS + 1];
	size_t n = 0;
	va_list ap;
	enum MHD_OPTION o;
	LOAD();
	va_start(ap, dh_cls);
	while ((o = (enum MHD_OPTION)va_arg(ap, int)) != MHD_OPTION_END) {
		struct MHD_OptionItem *it = &items[n];
		if (n == MAX_OPTIONS)
			goto refuse;
		it->option = o;
		it->value = 0;
		it->ptr_value = NULL;
		switch (o) {
		case MHD_OPTION_CONNECTION_LIMIT:        /* unsigned int */
		case MHD_OPTION_CONNECTION_TIMEOUT:
		case MHD_OPTION_THREAD_POOL_SIZE:
		case MHD_OPTION_LISTEN_BACKLOG_SIZE:
		case MHD_OPTION_PER_IP_CONNECTION_LIMIT:
			it->value = (intptr_t)va_arg(ap, unsigned int);
			break;
		case MHD_OPTION_THREAD_STACK_SIZE:       /* size_t */
		case MHD_OPTION_CONNECTION_MEMORY_LIMIT:
		case MHD_OPTION_CONNECTION_MEMORY_INCREMENT:
			it->value = (intptr_t)va_arg(ap, size_t);
			break;
		case MHD_OPTION_SOCK_ADDR:               /* one pointer */
			it->ptr_value = va_arg(ap, void *);
			break;
		case MHD_OPTION_NOTIFY_COMPLETED:        /* function, closure */
		case MHD_OPTION_NOTIFY_CONNECTION:
			it->value = (intptr_t)va_arg(ap, void (*)(void));
			it->ptr_value = va_arg(ap, void *);
			break;
		default:
			goto refuse;
		}
		n++;
	}
	va_end(ap);
	items[n].option = MHD_OPTION_END;
	items[n].value = 0;
	items[n].ptr_value = NULL;
	return real.MHD_start_daemon(flags, port, apc, apc_cls, dh, dh_cls,
				     MHD_OPTION_ARRAY, items, MHD_OPTION_END);
refuse:
	va_end(ap);
	fprintf(stderr, "assay: mhd_dl.c does not forward libmicrohttpd option "
			"%d\n", (int)o);
	return NULL;
}

void MHD_stop_daemon(struct MHD_Daemon *d)
{
	LOAD();
	real.MHD_stop_daemon(d);
}

/* The info kinds assay asks for take no extra argument. */
const union MHD_DaemonInfo *MHD_get_daemon_info(struct MHD_Daemon *d,
						enum MHD_DaemonInfoType t, ...)
{
	LOAD();
	return real.MHD_get_daemon_info(d, t);
}

const union MHD_ConnectionInfo *MHD_get_connection_info(struct MHD_Connection *c,
							enum MHD_ConnectionInfoType t, ...)
{
	LOAD();
	return real.MHD_get_connection_info(c, t);
}

const char *MHD_lookup_connection_value(struct MHD_Connection *c,
					enum MHD_ValueKind k, const char *key)
{
	LOAD();
	return real.MHD_lookup_connection_value(c, k, key);
}

enum MHD_Result MHD_queue_response(struct MHD_Connection *c, unsigned int status,
				   struct MHD_Response *r)
{
	LOAD();
	return real.MHD_queue_response(c, status, r);
}

struct MHD_Response *MHD_create_response_from_callback(uint64_t size, size_t block,
						       MHD_ContentReaderCallback crc,
						       void *crc_cls,
						       MHD_ContentReaderFreeCallback crfc)
{
	LOAD();
	return real.MHD_create_response_from_callback(size, block, crc, crc_cls, crfc);
}

struct MHD_Response *MHD_create_response_from_buffer(size_t size, void *buffer,
						     enum MHD_ResponseMemoryMode mode)
{
	LOAD();
	return real.MHD_create_response_from_buffer(size, buffer, mode);
}

void MHD_destroy_response(struct MHD_Response *r)
{
	LOAD();
	real.MHD_destroy_response(r);
}

enum MHD_Result MHD_add_response_header(struct MHD_Response *r, const char *h,
					const char *v)
{
	LOAD();
	return real.MHD_add_response_header(r, h, v);
}
