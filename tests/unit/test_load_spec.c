/* test_load_spec.c — the load plan language (src/load/load_spec.c), the
 * knee (Kneedle, Satopää et al. 2011, computed by hand from its definition
 * in the comments) and a step's verdict from its counts. */
#include "../../src/load/load_int.h"
#include "t.h"

TEST(load_rates_and_ramp)
{
	struct load_plan p;
	struct err e;
	load_plan_init(&p);
	T_EQ_INT(load_parse_rates("5,10,20,50", &p, &e), 0);
	T_EQ_INT(p.n_rates, 4);
	T_NEAR(p.rates[3], 50, 0);
	T_EQ_INT(load_parse_rates("5,5", &p, &e), ST_USAGE);
	T_ASSERT(strstr(e.msg, "must increase"));
	T_EQ_INT(load_parse_rates("5,x", &p, &e), ST_USAGE);
	T_ASSERT(strstr(e.msg, "'x'"));
	/* 5·1.5^k ≤ 200: 5, 7.5, …, 192.2168, then 200 itself (192.2 < 198) */
	T_EQ_INT(load_parse_ramp("5..200x1.5", &p, &e), 0);
	T_EQ_INT(p.n_rates, 11);
	T_NEAR(p.rates[1], 7.5, 1e-12);
	T_NEAR(p.rates[9], 192.216796875, 1e-9);
	T_NEAR(p.rates[10], 200, 0);
	T_EQ_INT(load_parse_ramp("20..180x1.5", &p, &e), 0);
	T_EQ_INT(p.n_rates, 7);   /* 20 30 45 67.5 101.25 151.875, then 180 */
	T_EQ_INT(load_parse_ramp("5..200", &p, &e), ST_USAGE);
	T_EQ_INT(load_parse_ramp("5..200x1", &p, &e), ST_USAGE);
	T_EQ_INT(load_parse_ramp("200..5x2", &p, &e), ST_USAGE);
	load_plan_cleanup(&p);
}

TEST(load_durations)
{
	double s = 0;
	struct err e;
	T_EQ_INT(load_parse_duration("60s", &s, &e), 0);
	T_NEAR(s, 60, 0);
	T_EQ_INT(load_parse_duration("500ms", &s, &e), 0);
	T_NEAR(s, 0.5, 1e-12);
	T_EQ_INT(load_parse_duration("2m", &s, &e), 0);
	T_NEAR(s, 120, 0);
	T_EQ_INT(load_parse_duration("1.5", &s, &e), 0);
	T_NEAR(s, 1.5, 0);
	T_EQ_INT(load_parse_duration("0s", &s, &e), ST_USAGE);
	T_EQ_INT(load_parse_duration("fast", &s, &e), ST_USAGE);
	T_ASSERT(strstr(e.msg, "'fast'"));
}

TEST(load_slo_parse)
{
	struct load_slo slo;
	struct err e;
	T_EQ_INT(load_parse_slo("p95<800ms,errors<1%,ttft_p99.9<2s", &slo, &e), 0);
	T_EQ_INT(slo.n, 3);
	T_EQ_INT(slo.c[0].kind, SLO_LATENCY);
	T_NEAR(slo.c[0].q, 0.95, 1e-12);
	T_NEAR(slo.c[0].limit, 800, 0);
	T_EQ_INT(slo.c[1].kind, SLO_ERRORS);
	T_NEAR(slo.c[1].limit, 0.01, 1e-12);
	T_EQ_INT(slo.c[2].kind, SLO_TTFT);
	T_NEAR(slo.c[2].q, 0.999, 1e-12);
	T_NEAR(slo.c[2].limit, 2000, 0);
	T_NEAR(load_slo_limit(&slo), 800, 0);
	T_EQ_INT(load_parse_slo("p95<800", &slo, &e), ST_USAGE);
	T_ASSERT(strstr(e.msg, "'p95<800'"));
	T_EQ_INT(load_parse_slo("p95<1s,errors<x%", &slo, &e), ST_USAGE);
	T_ASSERT(strstr(e.msg, "'errors<x%'"));
	T_EQ_INT(load_parse_slo("p101<1s", &slo, &e), ST_USAGE);
}

TEST(load_loopback)
{
	T_EQ_INT(load_url_is_loopback("http://127.0.0.1:8080/v1"), 1);
	T_EQ_INT(load_url_is_loopback("http://localhost/v1"), 1);
	T_EQ_INT(load_url_is_loopback("http://[::1]:9/v1"), 1);
	T_EQ_INT(load_url_is_loopback("http://127.8.9.10/"), 1);
	T_EQ_INT(load_url_is_loopback("https://api.openai.com/v1"), 0);
	T_EQ_INT(load_url_is_loopback("http://127.0.0.1.evil.com/"), 0);
	T_EQ_INT(load_url_is_loopback("http://localhost.evil.com/"), 0);
	T_EQ_INT(load_url_is_loopback("http://user@10.0.0.1/"), 0);
}

/* x = 20 30 45 67.5 101.25, y = 50 50 50 52 308.  Scaled: x' = (x−20)/81.25
 * = 0 .123 .308 .585 1; y' = (y−50)/258 = 0 0 0 .0078 1; x' − y' = 0 .123
 * .308 .577 0 → the knee is the 4th point (67.5). */
TEST(load_knee_kneedle)
{
	double x[] = { 20, 30, 45, 67.5, 101.25 }, y[] = { 50, 50, 50, 52, 308 };
	double lin[] = { 1, 2, 3, 4, 5 };
	T_EQ_INT(load_knee(x, y, 5), 3);
	T_EQ_INT(load_knee(x, y, 2), -1);
	T_EQ_INT(load_knee(lin, lin, 5), -1);  /* a straight line has no knee */
}

TEST(load_step_verdicts)
{
	static struct load_step st;
	struct load_plan p;
	struct err e;
	load_plan_init(&p);
	T_EQ_INT(load_parse_slo("p95<100ms,errors<5%", &p.slo, &e), 0);
	memset(&st, 0, sizeof st);
	hist_init(&st.lat);
	hist_init(&st.ttft);
	st.duration_s = 1;
	st.scheduled = st.sent = st.responses = 100;
	st.ok = 98;
	st.errors = 2;
	st.in_window = 100;
	for (int i = 0; i < 98; i++)
		hist_record_ms(&st.lat, 50 + i % 10);
	load_step_figures(&st, &p);
	T_EQ_INT(st.verdict, 1);
	T_NEAR(st.error_rate, 0.02, 1e-12);
	T_NEAR(st.achieved_rps, 100, 1e-12);
	st.errors = 6;
	st.ok = 94;
	load_step_figures(&st, &p);
	T_EQ_INT(st.verdict, 0);
	T_ASSERT(strstr(st.why, "errors 6.00% not < 5.00%"));
	st.errors = 0;
	st.backlog_mid = 10;
	st.backlog_end = 30;  /* grew by 20 > max(5, 5 % of 100) */
	load_step_figures(&st, &p);
	T_EQ_INT(st.verdict, 0);
	T_ASSERT(st.backlog_growing);
	st.backlog_end = 14;  /* +4: noise */
	for (int i = 0; i < 20; i++)
		hist_record_ms(&st.lat, 500);
	load_step_figures(&st, &p);
	T_EQ_INT(st.verdict, 0);
	T_ASSERT(strstr(st.why, "p95<100ms broken"));
	load_plan_cleanup(&p);
}
