/**
 * Per-arm moments from PostHog's sufficient statistics (`ExperimentStatsBase`: `number_of_samples`, `sum`,
 * `sum_squares`, ratio fields). The variance conventions follow PostHog's
 * `products/experiments/stats/shared/statistics.py` exactly, because that is what reproduces PostHog's own
 * test vectors (statistics.md §3): mean metrics use the sample variance (n − 1), conversion (funnel)
 * metrics the binomial variance p(1 − p) (no n − 1), ratio metrics a per-unit delta-method variance.
 */
import { assertFinite, assertNonNegative, StatsInputError } from "./errors.js";

/** Mean and per-unit variance of one arm; the standard error of the mean is √(variance/n). */
export interface Moments {
  /** Number of units (exposed users), ≥ 1. */
  n: number;
  mean: number;
  /** Per-unit variance (sample variance, n − 1 denominator, for {@link momentsFromSums}). */
  variance: number;
}

function assertSampleSize(n: number): void {
  assertFinite("n", n);
  if (n < 1) throw new StatsInputError("too-few-samples", `n must be >= 1, got ${n}`);
}

/**
 * Moments of a continuous (mean) metric from n, Σx and Σx²: mean = Σx/n, variance = (Σx² − (Σx)²/n)/(n − 1)
 * (0 when n = 1), as PostHog's `SampleMeanStatistic`. A slightly negative numerator from float rounding
 * (|·| ≤ 1e-9·Σx²) is clamped to 0.
 *
 * @throws StatsInputError `too-few-samples` when n < 1; `invalid-input` when a value is not finite or
 *   Σx² < (Σx)²/n beyond rounding (impossible sums).
 */
export function momentsFromSums(n: number, sum: number, sumSquares: number): Moments {
  assertSampleSize(n);
  assertFinite("sum", sum);
  assertNonNegative("sumSquares", sumSquares);
  const mean = sum / n;
  if (n === 1) return { n, mean, variance: 0 };
  let ss = sumSquares - (sum * sum) / n;
  if (ss < 0) {
    if (ss < -1e-9 * Math.max(sumSquares, 1)) {
      throw new StatsInputError(
        "invalid-input",
        `sumSquares (${sumSquares}) is smaller than sum²/n (${(sum * sum) / n}): not the sums of one sample`,
      );
    }
    ss = 0;
  }
  return { n, mean, variance: ss / (n - 1) };
}

/**
 * Moments of a conversion metric: mean p = conversions/n, variance p(1 − p) — PostHog's
 * `ProportionStatistic` (binomial variance without the n − 1 correction; needed to reproduce PostHog's funnel
 * vector 62/1471 vs 87/1529, and GrowthBook's `ProportionStatistic` in stats-vectors `growthbook_style`).
 *
 * @throws StatsInputError `too-few-samples` when n < 1; `invalid-input` unless 0 ≤ conversions ≤ n.
 */
export function momentsFromProportion(n: number, conversions: number): Moments {
  assertSampleSize(n);
  assertNonNegative("conversions", conversions);
  if (conversions > n) {
    throw new StatsInputError("invalid-input", `conversions (${conversions}) cannot exceed n (${n})`);
  }
  const p = conversions / n;
  return { n, mean: p, variance: p * (1 - p) };
}

/** Sufficient statistics of a ratio metric Σm/Σd over one arm's units. */
export interface RatioSums {
  n: number;
  numeratorSum: number;
  numeratorSumSquares: number;
  denominatorSum: number;
  denominatorSumSquares: number;
  /** Σ m·d over units. */
  numeratorDenominatorSumProduct: number;
}

/**
 * Moments of a ratio metric R = Σm/Σd (PostHog `RatioStatistic`): mean = R, per-unit variance by the delta
 * method `Var(m)/d̄² + m̄²·Var(d)/d̄⁴ − 2·m̄·Cov(m, d)/d̄³` with sample variances/covariance (n − 1), so the
 * standard error of R is √(variance/n). Reproduces PostHog's ratio vector (p 0.0032826, test_frequentist.py).
 *
 * @throws StatsInputError `zero-baseline` when |d̄| < 1e-10 (PostHog's threshold), plus the errors of
 *   {@link momentsFromSums}.
 */
export function momentsFromRatio(s: RatioSums): Moments {
  const m = momentsFromSums(s.n, s.numeratorSum, s.numeratorSumSquares);
  const d = momentsFromSums(s.n, s.denominatorSum, s.denominatorSumSquares);
  assertFinite("numeratorDenominatorSumProduct", s.numeratorDenominatorSumProduct);
  if (Math.abs(d.mean) < 1e-10) {
    throw new StatsInputError("zero-baseline", "ratio metric denominator mean is zero");
  }
  const n = s.n;
  const cov = n === 1 ? 0 : (s.numeratorDenominatorSumProduct - (s.numeratorSum * s.denominatorSum) / n) / (n - 1);
  const variance =
    m.variance / d.mean ** 2 + (m.mean ** 2 * d.variance) / d.mean ** 4 - (2 * m.mean * cov) / d.mean ** 3;
  return { n, mean: s.numeratorSum / s.denominatorSum, variance: Math.max(variance, 0) };
}
