/* calib.h — calibration: does a model's stated confidence match how often
 * it is right?  Expected calibration error (equal-width and equal-mass
 * bins), Brier score, reliability-diagram data, and selective accuracy
 * (accuracy on the most confident fraction of cases).
 *
 * Inputs are parallel arrays: p[i] in [0, 1] is the confidence given for
 * case i and y[i] in [0, 1] its correctness (0/1, or partial credit).
 * Any p or y outside [0, 1] (or NaN) makes a function fail. */
#ifndef ASSAY_STATS_CALIB_H
#define ASSAY_STATS_CALIB_H

#include <stddef.h>

struct stats_bin {
	double lo, hi;		/* confidence range of the bin */
	double conf;		/* mean confidence in the bin (NaN if empty) */
	double acc;		/* mean correctness in the bin (NaN if empty) */
	long count;
};

enum stats_binning {
	STATS_BIN_WIDTH,	/* [0,.1), [.1,.2), ... [.9,1] */
	STATS_BIN_MASS,		/* sorted by p, n/nbins cases per bin */
};

/* Fills bins[0..nbins) for a reliability diagram.  Equal-width bin b is
 * [b/nbins, (b+1)/nbins), the last one closed; equal-mass bin b holds the
 * cases ranked floor(b n / nbins) .. floor((b+1) n / nbins) - 1 by
 * confidence, each edge moved forward to the end of a run of equal
 * confidences so that tied cases share a bin (the result does not depend
 * on the input order; a bin may be empty), lo/hi being its smallest and
 * largest confidence.  Returns 0, or -1 on bad input (n == 0, nbins == 0, a value
 * outside [0, 1]).  Allocates scratch for equal-mass. */
int stats_reliability(const double *p, const double *y, size_t n,
		      enum stats_binning how, size_t nbins,
		      struct stats_bin *bins);

/* Expected calibration error: sum over bins of (count/n) |acc - conf|
 * (Naeini et al. 2015; Guo et al. 2017), usually nbins = 10.  NaN on bad
 * input. */
double stats_ece(const double *p, const double *y, size_t n,
		 enum stats_binning how, size_t nbins);

/* Brier score: mean of (p - y)^2 (Brier 1950).  0 is perfect, 0.25 is
 * what always saying 0.5 scores on 0/1 outcomes.  NaN on bad input. */
double stats_brier(const double *p, const double *y, size_t n);

/* Selective accuracy: for each coverage c in cov[0..ncov) (e.g. 0.5, 0.8,
 * 0.9), the mean correctness of the ceil(c n) most confident cases into
 * acc[]; the cases tied with the last one taken enter with equal weight
 * (their mean correctness times the places left), so ties do not depend
 * on the input order.  Returns 0, or -1 on bad input (coverage
 * outside (0, 1] gives NaN for that entry only). */
int stats_selective_accuracy(const double *p, const double *y, size_t n,
			     const double *cov, size_t ncov, double *acc);

#endif
