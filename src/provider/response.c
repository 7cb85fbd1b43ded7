/* response.c — helpers for struct response (see response.h). */
#include "response.h"

#include <stdlib.h>
#include <string.h>

const char *resp_error_name(enum resp_error e)
{
	switch (e) {
	case RESP_OK: return "ok";
	case RESP_ERR_CONNECT: return "connect";
	case RESP_ERR_TIMEOUT: return "timeout";
	case RESP_ERR_HTTP: return "http";
	case RESP_ERR_BODY: return "body";
	case RESP_ERR_EXEC: return "exec";
	case RESP_ERR_OTHER: break;
	}
	return "other";
}

void response_init(struct response *r)
{
	memset(r, 0, sizeof *r);
	r->prompt_tokens = r->completion_tokens = r->total_tokens = -1;
	r->ttft_ms = -1;
	r->cost_usd = -1;
	r->confidence = -1;
}

void response_cleanup(struct response *r)
{
	free(r->error_msg);
	free(r->error_type);
	free(r->served_model);
	free(r->output);
	free(r->finish_reason);
	response_init(r);
}
