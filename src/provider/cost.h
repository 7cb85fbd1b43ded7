/* cost.h — what a call cost: a built-in table of list prices for common
 * hosted models (USD per million tokens, input and output), matched by the
 * longest model-name prefix, and overridable per provider with
 * `config.cost: {input_per_mtok, output_per_mtok}`.  Prices change: the
 * table is a convenience; set the override for figures you will act on. */
#ifndef ASSAY_COST_H
#define ASSAY_COST_H

#include <stdbool.h>

struct price {
	double input_per_mtok, output_per_mtok;
};

/* Looks a model name up ("gpt-4o-mini-2024-07-18" matches "gpt-4o-mini").
 * Returns false when the model is not in the table. */
bool cost_lookup(const char *model, struct price *out);

/* USD for the given token counts (negative counts count as 0). */
double cost_usd(const struct price *p, long prompt_tokens,
		long completion_tokens);

#endif
