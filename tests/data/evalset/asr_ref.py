#!/usr/bin/env python3
"""Reference values for tests/cli/probe_asr.sh and the unit tests of the
paired attack-success difference, computed from the published formulas
with the Python standard library only (not from assay's code):

- Wilson score interval (Wilson 1927);
- Newcombe (1998, Stat Med 17:2635) method 10 for the difference of paired
  proportions, phi with the continuity correction of the paper
  (AD - BC replaced by max(AD - BC - N/2, 0) when AD > BC; phi = 0 when a
  margin is empty);
- McNemar's exact test: two-sided binomial test of the discordant pairs,
  min(1, 2 P(X <= min(b, c))), X ~ Bin(b + c, 1/2) (R's binom.test);
- Holm (1979) step-down adjustment (R's p.adjust(p, "holm")).

Counts are in attack-success terms: a = both attacked, b = A only,
c = B only, d = neither."""
import math

Z = 1.959963984540054  # qnorm(0.975)


def wilson(p, n, z=Z):
    if n <= 0:
        return (0.0, 1.0)
    den = 1 + z * z / n
    mid = (p + z * z / (2 * n)) / den
    half = z / den * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (max(0.0, mid - half), min(1.0, mid + half))


def newcombe10(a, b, c, d, z=Z):
    n = a + b + c + d
    p1, p2 = (a + b) / n, (a + c) / n
    l1, u1 = wilson(p1, n, z)
    l2, u2 = wilson(p2, n, z)
    prod = (a + b) * (c + d) * (a + c) * (b + d)
    phi = 0.0
    if prod > 0:
        num = a * d - b * c
        if num > 0:
            num = max(num - n / 2, 0)
        phi = num / math.sqrt(prod)
    th = p1 - p2
    dl = math.sqrt((p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2)
    du = math.sqrt((u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2)
    return (th, max(-1.0, th - dl), min(1.0, th + du))


def mcnemar_exact(b, c):
    m = b + c
    if m == 0:
        return 1.0
    k = min(b, c)
    return min(1.0, 2 * sum(math.comb(m, i) for i in range(k + 1)) / 2 ** m)


def holm(ps):
    m = len(ps)
    order = sorted(range(m), key=lambda i: ps[i])
    adj, run = [0.0] * m, 0.0
    for r, i in enumerate(order):
        run = max(run, (m - r) * ps[i])
        adj[i] = min(1.0, run)
    return adj


def t_ppf_975(df):
    """Student t 0.975 quantile by bisection on the regularized incomplete
    beta CDF (numerical integration of the density, Simpson's rule)."""
    def cdf(t):
        f = lambda x: (1 + x * x / df) ** (-(df + 1) / 2)
        n = 20000
        h = t / n
        s = f(0) + f(t) + sum((4 if i % 2 else 2) * f(i * h) for i in range(1, n))
        c = math.gamma((df + 1) / 2) / (math.sqrt(df * math.pi) * math.gamma(df / 2))
        return 0.5 + c * s * h / 3
    lo, hi = 0.0, 50.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if cdf(mid) < 0.975:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


if __name__ == "__main__":
    # probe_asr.sh: candidates obeys, robust, wary, leaky; injection 21
    # cases (7 probes x 3 tickets), jailbreak 14 (7 probes x 2 requests).
    # Attacked probes: obeys all; robust none; wary injection 3 probes
    # (9 cases), jailbreak 2 (4); leaky injection 4 (12), jailbreak 2 (4);
    # wary and leaky share in-document (injection) and role-play (jailbreak).
    tables = {
        ("injection", "obeys", "robust"): (0, 21, 0, 0),
        ("injection", "obeys", "wary"): (9, 12, 0, 0),
        ("injection", "obeys", "leaky"): (12, 9, 0, 0),
        ("injection", "robust", "wary"): (0, 0, 9, 12),
        ("injection", "robust", "leaky"): (0, 0, 12, 9),
        ("injection", "wary", "leaky"): (3, 6, 9, 3),
        ("jailbreak", "obeys", "robust"): (0, 14, 0, 0),
        ("jailbreak", "obeys", "wary"): (4, 10, 0, 0),
        ("jailbreak", "obeys", "leaky"): (4, 10, 0, 0),
        ("jailbreak", "robust", "wary"): (0, 0, 4, 10),
        ("jailbreak", "robust", "leaky"): (0, 0, 4, 10),
        ("jailbreak", "wary", "leaky"): (2, 2, 2, 8),
    }
    keys = list(tables)
    ps = [mcnemar_exact(tables[k][1], tables[k][2]) for k in keys]
    adj = holm(ps)
    for k, p, q in zip(keys, ps, adj):
        th, lo, hi = newcombe10(*tables[k])
        print("%s %s-%s est %.4f lo %.4f hi %.4f p %.6g holm %.6g" % (k + (th, lo, hi, p, q)))
    # clustered by ticket (probe_asr.sh, second run): injection obeys vs
    # robust, every difference 1 in 3 clusters: CR1 se 0, so the exact
    # cluster sign-flip bound 2^(1-G) = 0.25 (never below McNemar's);
    # interval: Newcombe on the counts scaled by (z / t_{G-1})^2 (deff 1).
    t2 = t_ppf_975(2)
    f = (Z / t2) ** 2
    th, lo, hi = newcombe10(0, 21 * f, 0, 0)
    print("t(0.975, 2) %.6f scale %.6f clustered obeys-robust lo %.4f hi %.4f p %.4g"
          % (t2, f, lo, hi, max(2 ** (1 - 3), mcnemar_exact(21, 0))))
    # jailbreak obeys vs robust clustered by request: 2 clusters, t(1)
    t1 = t_ppf_975(1)
    f = (Z / t1) ** 2
    th, lo, hi = newcombe10(0, 14 * f, 0, 0)
    print("t(0.975, 1) %.6f clustered jailbreak obeys-robust lo %.4f p %.4g"
          % (t1, lo, max(2 ** (1 - 2), mcnemar_exact(14, 0))))
    # unit tests (test_report_stats.c, report_stats_asr_*): 10 probe
    # cases, A attacked on 0-5, B on 3-7: a 3, b 3, c 2, d 2
    th, lo, hi = newcombe10(3, 3, 2, 2)
    print("unit 3,3,2,2 est %.15f lo %.15f hi %.15f p %.15g" % (th, lo, hi, mcnemar_exact(3, 2)))
    # zero discordant pairs: both attacked on the same 4 of 10
    th, lo, hi = newcombe10(4, 0, 0, 6)
    print("unit 4,0,0,6 est %.15f lo %.15f hi %.15f p %.15g" % (th, lo, hi, mcnemar_exact(0, 0)))
