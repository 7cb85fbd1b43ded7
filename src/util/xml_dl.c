/* xml_dl.c — libxml2, loaded when first used (the `is-xml` and
 * `contains-xml` assertions are its only users).
 *
 * Why: libxml2 links ICU, and the two cost about 2.9 million instructions
 * of dynamic linking at every start of every command; `assay --version`
 * must start in under 5 ms.  This file defines the few libxml2 functions
 * assay calls and forwards them to libxml2.so.2 opened on first use; call
 * sites use <libxml/parser.h> unchanged.  Same pattern as curl_dl.c. */
#include <dlfcn.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define XML_FUNCS(X)                                                          \
	X(void, xmlInitParser, (void))                                        \
	X(xmlParserCtxtPtr, xmlNewParserCtxt, (void))                         \
	X(void, xmlFreeParserCtxt, (xmlParserCtxtPtr c))                      \
	X(xmlDocPtr, xmlCtxtReadMemory,                                       \
	  (xmlParserCtxtPtr c, const char *b, int n, const char *url,         \
	   const char *enc, int opt))                                         \
	X(xmlErrorPtr, xmlCtxtGetLastError, (void *c))                        \
	X(xmlNodePtr, xmlDocGetRootElement, (const xmlDoc *d))                \
	X(void, xmlFreeDoc, (xmlDocPtr d))

static struct {
#define X(ret, name, params) ret(*name) params;
	XML_FUNCS(X)
#undef X
} real;

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void)
{
	void *h = dlopen("libxml2.so.2", RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		fprintf(stderr, "assay: cannot load libxml2 (%s); install the "
				"Debian package libxml2\n", dlerror());
		exit(1);
	}
#define X(ret, name, params)                                                  \
	*(void **)&real.name = dlsym(h, #name);                               \
	if (!real.name) {                                                     \
		fprintf(stderr, "assay: libxml2 lacks %s\n", #name);          \
		exit(1);                                                      \
	}
	XML_FUNCS(X)
#undef X
}

#define LOAD() pthread_once(&once, load)

void xmlInitParser(void)
{
	LOAD();
	real.xmlInitParser();
}

xmlParserCtxtPtr xmlNewParserCtxt(void)
{
	LOAD();
	return real.xmlNewParserCtxt();
}

void xmlFreeParserCtxt(xmlParserCtxtPtr c)
{
	LOAD();
	real.xmlFreeParserCtxt(c);
}

xmlDocPtr xmlCtxtReadMemory(xmlParserCtxtPtr c, const char *b, int n,
			    const char *url, const char *enc, int opt)
{
	LOAD();
	return real.xmlCtxtReadMemory(c, b, n, url, enc, opt);
}

xmlErrorPtr xmlCtxtGetLastError(void *c)
{
	LOAD();
	return real.xmlCtxtGetLastError(c);
}

xmlNodePtr xmlDocGetRootElement(const xmlDoc *d)
{
	LOAD();
	return real.xmlDocGetRootElement(d);
}

void xmlFreeDoc(xmlDocPtr d)
{
	LOAD();
	real.xmlFreeDoc(d);
}
