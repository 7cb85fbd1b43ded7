/* load_spec.c — the command-line language of a load plan: rate lists,
 * geometric ramps, durations and SLOs (load.h has the grammar).  Every
 * error is ST_USAGE and names the item that was wrong and what was
 * expected. */
#include "load/load.h"

#include <ctype.h>
#include <arpa/inet.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

#define MAX_RATE 100000.0
#define MAX_STEPS 64

void load_plan_init(struct load_plan *p)
{
	memset(p, 0, sizeof *p);
	p->duration_s = 60;
	p->arrivals = LOAD_CONSTANT;
	p->seed = 1;
	p->concurrency = 1000;
	p->max_cost = -1;
	p->late_ms = 1;
	p->drain_s = 10;
}

void load_plan_cleanup(struct load_plan *p)
{
	free(p->rates);
	p->rates = NULL;
	p->n_rates = 0;
}

/* A decimal number: digits, optionally '.' and more digits (so that the
 * ".." of a ramp is not read as a decimal point). */
static int number(const char *s, const char **end, double *out)
{
	const char *q = s;
	char tmp[64];
	size_t n;
	while (isdigit((unsigned char)*q))
		q++;
	if (*q == '.' && isdigit((unsigned char)q[1]))
		for (q++; isdigit((unsigned char)*q); q++)
			;
	n = (size_t)(q - s);
	if (n == 0 || n >= sizeof tmp || !isdigit((unsigned char)*s))
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	*out = strtod(tmp, NULL);
	*end = q;
	return 0;
}

static void add_rate(struct load_plan *p, double r)
{
	p->rates = xrealloc(p->rates, (p->n_rates + 1) * sizeof *p->rates);
	p->rates[p->n_rates++] = r;
}

int load_parse_rates(const char *s, struct load_plan *p, struct err *err)
{
	const char *q = s, *e;
	double r;
	load_plan_cleanup(p);
	for (;;) {
		if (number(q, &e, &r) || (*e && *e != ',') || !(r > 0) || r > MAX_RATE)
			return err_set(err, ST_USAGE, "--rate: '%s': expected "
				       "requests per second (0 < r <= %g) separated by commas, "
				       "e.g. 5,10,20", q, MAX_RATE);
		if (p->n_rates && r <= p->rates[p->n_rates - 1])
			return err_set(err, ST_USAGE, "--rate: %g after %g: rates must increase",
				       r, p->rates[p->n_rates - 1]);
		if (p->n_rates == MAX_STEPS)
			return err_set(err, ST_USAGE, "--rate: more than %d steps", MAX_STEPS);
		add_rate(p, r);
		if (!*e)
			return 0;
		q = e + 1;
	}
}

int load_parse_ramp(const char *s, struct load_plan *p, struct err *err)
{
	const char *e, *q = s;
	double from, to, f, r;
	if (number(q, &e, &from) || strncmp(e, "..", 2) ||
	    number(e + 2, &e, &to) || (*e != 'x' && *e != '*') ||
	    number(e + 1, &e, &f) || *e)
		return err_set(err, ST_USAGE, "--ramp '%s': expected FROM..TOxFACTOR, "
			       "e.g. 5..200x1.5", s);
	if (!(from > 0) || to > MAX_RATE || !(to > from) || !(f > 1.0001))
		return err_set(err, ST_USAGE, "--ramp '%s': needs 0 < FROM < TO <= %g "
			       "and FACTOR > 1", s, MAX_RATE);
	load_plan_cleanup(p);
	r = from;
	while (r <= to * 1.000001) {
		if (p->n_rates == MAX_STEPS)
			return err_set(err, ST_USAGE, "--ramp '%s': more than %d steps "
				       "(use a larger factor)", s, MAX_STEPS);
		add_rate(p, r);
		r *= f;
	}
	if (p->n_rates && p->rates[p->n_rates - 1] < to * 0.99 && p->n_rates < MAX_STEPS)
		add_rate(p, to);
	return 0;
}

int load_parse_duration(const char *s, double *seconds, struct err *err)
{
	const char *e;
	double v, mul = 1;
	if (number(s, &e, &v))
		goto bad;
	if (!strcmp(e, "ms"))
		mul = 0.001;
	else if (!strcmp(e, "s") || !*e)
		mul = 1;
	else if (!strcmp(e, "m") || !strcmp(e, "min"))
		mul = 60;
	else
		goto bad;
	v *= mul;
	if (!(v > 0) || v > 86400)
		goto bad;
	*seconds = v;
	return 0;
bad:
	return err_set(err, ST_USAGE, "duration '%s': expected a time such as 60s, "
		       "1.5s, 500ms or 2m (more than 0, at most a day)", s);
}

static int time_ms(const char *s, const char **end, double *ms)
{
	double v;
	if (number(s, end, &v))
		return -1;
	if (!strncmp(*end, "ms", 2)) {
		*end += 2;
	} else if (**end == 's') {
		v *= 1000;
		*end += 1;
	} else {
		return -1;
	}
	*ms = v;
	return 0;
}

static int clause(const char *s, size_t n, struct slo_clause *c, struct err *err)
{
	char t[48];
	const char *q, *e;
	double v;
	if (n == 0 || n >= sizeof t)
		goto bad;
	memcpy(t, s, n);
	t[n] = '\0';
	snprintf(c->text, sizeof c->text, "%s", t);
	q = t;
	if (!strncmp(q, "errors<", 7)) {
		c->kind = SLO_ERRORS;
		if (number(q + 7, &e, &v) || strcmp(e, "%") || v < 0 || v > 100)
			goto bad;
		c->limit = v / 100.0;
		return 0;
	}
	c->kind = SLO_LATENCY;
	if (!strncmp(q, "ttft_", 5)) {
		c->kind = SLO_TTFT;
		q += 5;
	}
	if (*q != 'p' || number(q + 1, &e, &v) || *e != '<' || !(v > 0) || v > 100)
		goto bad;
	c->q = v / 100.0;
	if (time_ms(e + 1, &e, &c->limit) || *e || !(c->limit > 0))
		goto bad;
	return 0;
bad:
	return err_set(err, ST_USAGE, "--slo: '%.*s': expected pNN<TIME (e.g. "
		       "p95<800ms), ttft_pNN<TIME or errors<N%%", (int)n, s);
}

int load_parse_slo(const char *s, struct load_slo *out, struct err *err)
{
	const char *q = s;
	memset(out, 0, sizeof *out);
	for (;;) {
		const char *comma = strchr(q, ',');
		size_t n = comma ? (size_t)(comma - q) : strlen(q);
		if (out->n == LOAD_MAX_SLO)
			return err_set(err, ST_USAGE, "--slo: more than %d clauses",
				       LOAD_MAX_SLO);
		if (clause(q, n, &out->c[out->n], err))
			return ST_USAGE;
		out->n++;
		if (!comma)
			return 0;
		q = comma + 1;
	}
}

int load_url_is_loopback(const char *url)
{
	const char *h = strstr(url, "://"), *end;
	char host[256];
	size_t n;
	h = h ? h + 3 : url;
	if ((end = strchr(h, '@')) && end < h + strcspn(h, "/"))
		h = end + 1;          /* user:pass@ */
	if (*h == '[') {
		end = strchr(h, ']');
		if (!end)
			return 0;
		h++;
	} else {
		end = h + strcspn(h, ":/?#");
	}
	n = (size_t)(end - h);
	if (n == 0 || n >= sizeof host)
		return 0;
	memcpy(host, h, n);
	host[n] = '\0';
	for (char *c = host; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	if (!strcmp(host, "localhost") || !strcmp(host, "::1") ||
	    !strcmp(host, "0:0:0:0:0:0:0:1"))
		return 1;
	if (!strncmp(host, "127.", 4)) {
		struct in_addr a;
		return inet_pton(AF_INET, host, &a) == 1;
	}
	return 0;
}
