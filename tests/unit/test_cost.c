/* test_cost.c — price lookup by longest prefix and the cost arithmetic. */
#include "t.h"
#include "../../src/provider/cost.h"

TEST(cost_longest_prefix_wins)
{
	struct price p;
	T_ASSERT(cost_lookup("gpt-4o-mini-2024-07-18", &p));
	T_NEAR(p.input_per_mtok, 0.15, 1e-12);
	T_NEAR(p.output_per_mtok, 0.60, 1e-12);
	T_ASSERT(cost_lookup("gpt-4o-2024-08-06", &p));
	T_NEAR(p.input_per_mtok, 2.50, 1e-12);
	T_ASSERT(cost_lookup("claude-3-5-haiku-20241022", &p));
	T_NEAR(p.output_per_mtok, 4.00, 1e-12);
	T_ASSERT(!cost_lookup("llama3:8b", &p));
}

TEST(cost_arithmetic)
{
	struct price p = { 2.50, 10.00 };
	/* 1,000 in + 500 out: 1000*2.5/1e6 + 500*10/1e6 = 0.0025 + 0.005 */
	T_NEAR(cost_usd(&p, 1000, 500), 0.0075, 1e-15);
	T_NEAR(cost_usd(&p, -1, -1), 0.0, 0);
}
