/* analysis_robust.c — robustness across variant groups (a case and its
 * rephrasings or perturbations, docs/statistics.md "Robustness"): per
 * candidate the share of groups whose verdict is the same for every
 * member (consistency), the share where every member passes (worst case)
 * and the mean pass share of the groups. */
#include "analysis_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../util/xalloc.h"

void rs_robustness(const struct rs_run *r, const struct rs_cand *c,
		   char ***kinds, size_t *nkinds, struct rs_robust *out)
{
	long *att, *pas, *gn, *gp;
	long groups = 0, consistent = 0, worst = 0;
	double mean = 0;
	(void)kinds;
	(void)nkinds;
	memset(out, 0, sizeof *out);
	if (!r->nvariants)
		return;
	att = xcalloc(r->ncases ? r->ncases : 1, sizeof *att);
	pas = xcalloc(r->ncases ? r->ncases : 1, sizeof *pas);
	gn = xcalloc(r->nvariants, sizeof *gn);	/* variants with a verdict */
	gp = xcalloc(r->nvariants, sizeof *gp);	/* ... that pass */
	for (size_t i = 0; i < c->n; i++)
		if (c->it[i].pass >= 0 && c->it[i].c < r->ncases) {
			att[c->it[i].c]++;
			pas[c->it[i].c] += c->it[i].pass;
		}
	for (size_t k = 0; k < r->ncases; k++) {
		long g = r->cases[k].variant;
		if (g < 0 || !att[k])
			continue;
		gn[g]++;
		/* with repeats a variant passes when most attempts do */
		gp[g] += 2 * pas[k] > att[k];
	}
	for (size_t g = 0; g < r->nvariants; g++) {
		if (gn[g] < 2)
			continue;
		groups++;
		consistent += gp[g] == 0 || gp[g] == gn[g];
		worst += gp[g] == gn[g];
		mean += (double)gp[g] / (double)gn[g];
	}
	out->present = true;
	out->groups = groups;
	out->consistency = rs_wilson(consistent, groups);
	out->worst = rs_wilson(worst, groups);
	out->mean_pass = groups ? mean / (double)groups : NAN;
	free(att);
	free(pas);
	free(gn);
	free(gp);
}
