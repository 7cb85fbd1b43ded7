/* cost.c — built-in list prices (see cost.h).  Figures are the providers'
 * published per-million-token prices for standard (non-batch, non-cached)
 * use as of 2025. */
#include "cost.h"

#include <string.h>

static const struct {
	const char *prefix;
	double in, out;
} prices[] = {
	{ "gpt-5-nano", 0.05, 0.40 },
	{ "gpt-5-mini", 0.25, 2.00 },
	{ "gpt-5", 1.25, 10.00 },
	{ "gpt-4.1-nano", 0.10, 0.40 },
	{ "gpt-4.1-mini", 0.40, 1.60 },
	{ "gpt-4.1", 2.00, 8.00 },
	{ "gpt-4o-mini", 0.15, 0.60 },
	{ "gpt-4o", 2.50, 10.00 },
	{ "gpt-4-turbo", 10.00, 30.00 },
	{ "gpt-4", 30.00, 60.00 },
	{ "gpt-3.5-turbo", 0.50, 1.50 },
	{ "o4-mini", 1.10, 4.40 },
	{ "o3-mini", 1.10, 4.40 },
	{ "o3", 2.00, 8.00 },
	{ "o1-mini", 1.10, 4.40 },
	{ "o1", 15.00, 60.00 },
	{ "claude-opus-4", 15.00, 75.00 },
	{ "claude-sonnet-4", 3.00, 15.00 },
	{ "claude-haiku-4", 1.00, 5.00 },
	{ "claude-3-7-sonnet", 3.00, 15.00 },
	{ "claude-3-5-sonnet", 3.00, 15.00 },
	{ "claude-3-5-haiku", 0.80, 4.00 },
	{ "claude-3-opus", 15.00, 75.00 },
	{ "claude-3-haiku", 0.25, 1.25 },
};

bool cost_lookup(const char *model, struct price *out)
{
	size_t best = 0, best_len = 0;
	bool found = false;
	for (size_t i = 0; i < sizeof prices / sizeof *prices; i++) {
		size_t n = strlen(prices[i].prefix);
		if (n > best_len && !strncmp(model, prices[i].prefix, n)) {
			best = i;
			best_len = n;
			found = true;
		}
	}
	if (found) {
		out->input_per_mtok = prices[best].in;
		out->output_per_mtok = prices[best].out;
	}
	return found;
}

double cost_usd(const struct price *p, long prompt_tokens,
		long completion_tokens)
{
	double in = prompt_tokens > 0 ? (double)prompt_tokens : 0;
	double out = completion_tokens > 0 ? (double)completion_tokens : 0;
	return (in * p->input_per_mtok + out * p->output_per_mtok) / 1e6;
}
