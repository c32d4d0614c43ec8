/**
 * Frequentist comparisons of one variant (treatment) against control.
 *
 * Sources: statistics.md §3; PostHog `products/experiments/stats/frequentist/{method,tests,utils}.py`
 * (two-sided Welch t on the relative effect, delta-method variance, Welch–Satterthwaite dof from the
 * per-arm variances, CI = effect ± t_crit·se); GrowthBook `gbstats/frequentist/tests.py` uses the same
 * construction. All p-values come from survival functions ({@link studentTTwoSidedP},
 * {@link normalTwoSidedP}); PostHog/gbstats compute `2·(1 − t.cdf)`, which agrees to ~1e-16 absolute.
 */
import { assertFinite, StatsInputError } from "./errors.js";
import type { Moments } from "./moments.js";
import { normalQuantile, normalTwoSidedP, studentTQuantile, studentTTwoSidedP } from "./tails.js";

/** PostHog treats |control mean| below this as zero (`calculate_point_estimate`). */
export const ZERO_BASELINE_EPSILON = 1e-10;

function assertAlpha(alpha: number): void {
  assertFinite("alpha", alpha);
  if (!(alpha > 0 && alpha < 1)) {
    throw new StatsInputError("invalid-input", `alpha must be strictly between 0 and 1, got ${alpha}`);
  }
}

function assertMoments(name: string, m: Moments, minN: number): void {
  assertFinite(`${name}.n`, m.n);
  assertFinite(`${name}.mean`, m.mean);
  assertFinite(`${name}.variance`, m.variance);
  if (m.variance < 0) throw new StatsInputError("invalid-input", `${name}.variance must be >= 0, got ${m.variance}`);
  if (m.n < minN) {
    throw new StatsInputError("too-few-samples", `${name} needs at least ${minN} samples, got n = ${m.n}`);
  }
}

/**
 * Welch–Satterthwaite degrees of freedom `(a + b)²/(a²/(nC − 1) + b²/(nT − 1))` with a = vC/nC, b = vT/nT.
 * Returns Infinity when both variances are 0 (no sampling noise).
 */
export function welchSatterthwaiteDof(control: Moments, treatment: Moments): number {
  const a = control.variance / control.n;
  const b = treatment.variance / treatment.n;
  const den = (a * a) / (control.n - 1) + (b * b) / (treatment.n - 1);
  return den === 0 ? Infinity : ((a + b) * (a + b)) / den;
}

/** Result of {@link welchTTest}; differences in metric units (treatment − control). */
export interface WelchResult {
  diff: number;
  se: number;
  t: number;
  dof: number;
  pValue: number;
  /** (1 − alpha) confidence interval on `diff`. */
  ci: [number, number];
}

/**
 * Welch's unequal-variance t test on the absolute difference of means (statistics.md §3):
 * `t = (mT − mC)/√(vC/nC + vT/nT)`, Welch–Satterthwaite dof, `p = 2·t_sf(|t|, dof)`,
 * CI = diff ± t_{1−α/2, dof}·se.
 *
 * @param control control moments (variance = per-unit sample variance).
 * @param treatment treatment moments.
 * @param alpha two-sided significance level, default 0.05.
 * @throws StatsInputError `too-few-samples` (n < 2 in an arm), `zero-variance` (se = 0), `invalid-input`.
 */
export function welchTTest(control: Moments, treatment: Moments, alpha = 0.05): WelchResult {
  assertAlpha(alpha);
  assertMoments("control", control, 2);
  assertMoments("treatment", treatment, 2);
  const se = Math.sqrt(control.variance / control.n + treatment.variance / treatment.n);
  if (!(se > 0)) throw new StatsInputError("zero-variance", "both arms have zero variance: the t statistic is undefined");
  const diff = treatment.mean - control.mean;
  const t = diff / se;
  const dof = welchSatterthwaiteDof(control, treatment);
  const crit = studentTQuantile(1 - alpha / 2, dof);
  return { diff, se, t, dof, pValue: studentTTwoSidedP(t, dof), ci: [diff - crit * se, diff + crit * se] };
}

/**
 * Relative lift (mT − mC)/|mC| (GrowthBook `gbstats/utils.py frequentist_diff`, statistics.md §11): equal to
 * mT/mC − 1 for a positive control mean, and with the sign of the raw difference mT − mC for a negative one
 * (control −10 → variant −5 is +50 %, not −50 %). Null when |mC| < 1e-10 (undefined).
 */
export function relativeDifference(controlMean: number, treatmentMean: number): number | null {
  if (!Number.isFinite(controlMean) || !Number.isFinite(treatmentMean) || Math.abs(controlMean) < ZERO_BASELINE_EPSILON) return null;
  // sign(mC)·(mT/mC − 1) = (mT − mC)/|mC|, written so a positive control gives bit-for-bit mT/mC − 1.
  return controlMean > 0 ? treatmentMean / controlMean - 1 : 1 - treatmentMean / controlMean;
}

/** Result of {@link welchRelativeLift}; `lift` and `ci` are fractions (0.05 = +5 %). */
export interface RelativeLiftResult {
  /** (mean_T − mean_C)/|mean_C| ({@link relativeDifference}; = mean_T/mean_C − 1 for a positive control). */
  lift: number;
  /** Delta-method standard error of `lift`. */
  se: number;
  /** lift/se. */
  statistic: number;
  /** Welch–Satterthwaite dof of the per-arm (absolute) variances. */
  dof: number;
  pValue: number;
  /** (1 − alpha) confidence interval on `lift`. */
  ci: [number, number];
}

/**
 * Delta-method variance of the relative effect mT/mC − 1 for independent arms:
 * `vT/(nT·mC²) + mT²·vC/(nC·mC⁴)` (PostHog `calculate_variance_pooled`, GrowthBook `variance_of_ratios`).
 *
 * @throws StatsInputError `zero-baseline` when |mC| < 1e-10.
 */
export function relativeEffectVariance(control: Moments, treatment: Moments): number {
  const mc = control.mean;
  if (Math.abs(mc) < ZERO_BASELINE_EPSILON) {
    throw new StatsInputError("zero-baseline", "baseline mean is zero: the relative lift is undefined");
  }
  return treatment.variance / (treatment.n * mc * mc) + (treatment.mean ** 2 * control.variance) / (control.n * mc ** 4);
}

/**
 * PostHog's frequentist method (`products/experiments/stats/frequentist/method.py`, statistics.md §3):
 * two-sided Welch test on the relative effect L = (mT − mC)/|mC| (= mT/mC − 1 for a positive control
 * mean; for a negative one the sign follows the raw difference, as GrowthBook's `frequentist_diff` —
 * PostHog's mT/mC − 1 flips it, statistics.md §11) with delta-method variance (unchanged by |mC|), dof from the
 * Welch–Satterthwaite formula on the per-arm variances, p = 2·t_sf(|L/se|, dof), CI = L ± t_{1−α/2,dof}·se;
 * PostHog calls it significant when p < alpha.
 *
 * Variance convention (reproduces PostHog's vectors): mean metrics → sample variance (n − 1)
 * ({@link momentsFromSums}); funnel metrics → p(1 − p) ({@link momentsFromProportion}); ratio → delta method
 * ({@link momentsFromRatio}). Also equals GrowthBook's `TwoSidedTTest` relative p/CI for positive baselines.
 *
 * @param alpha two-sided significance level, default 0.05.
 * @throws StatsInputError `zero-baseline` (|mC| < 1e-10), `too-few-samples` (n < 2), `zero-variance`
 *   (se = 0), `invalid-input`.
 */
export function welchRelativeLift(control: Moments, treatment: Moments, alpha = 0.05): RelativeLiftResult {
  assertAlpha(alpha);
  assertMoments("control", control, 2);
  assertMoments("treatment", treatment, 2);
  const variance = relativeEffectVariance(control, treatment);
  const se = Math.sqrt(variance);
  if (!(se > 0)) throw new StatsInputError("zero-variance", "both arms have zero variance: the t statistic is undefined");
  const lift = relativeDifference(control.mean, treatment.mean) as number; // |mC| ≥ 1e-10 checked above
  const statistic = lift / se;
  const dof = welchSatterthwaiteDof(control, treatment);
  const crit = studentTQuantile(1 - alpha / 2, dof);
  return {
    lift,
    se,
    statistic,
    dof,
    pValue: studentTTwoSidedP(statistic, dof),
    ci: [lift - crit * se, lift + crit * se],
  };
}

/** Result of {@link twoProportionZTest}. Rates and lift are fractions. */
export interface TwoProportionResult {
  pControl: number;
  pTreatment: number;
  /** Pooled z statistic (0 when both arms have rate 0 or both 1). */
  z: number;
  /** Two-sided p-value of the pooled z. */
  pValue: number;
  /** pT/pC − 1; null when the control rate is 0. */
  lift: number | null;
  /** Delta-method SE of `lift` with binomial variances; null when the control rate is 0. */
  liftSe: number | null;
  /** lift ± z_{1−α/2}·liftSe; null when the control rate is 0. */
  liftCi: [number, number] | null;
}

/**
 * Pooled two-proportion z test (statistics.md §3; = 2×2 χ² without Yates): p̂ = (xC + xT)/(nC + nT),
 * `z = (pT − pC)/√(p̂(1 − p̂)(1/nC + 1/nT))`, `p = erfc(|z|/√2)`. Relative lift by the delta method,
 * `Var(L) = pT(1 − pT)/(nT·pC²) + pT²·pC(1 − pC)/(nC·pC⁴)`, CI with the normal quantile
 * (stats-vectors `two_proportion_tests.relative_lift_ci95_delta_z`).
 *
 * @param control `{n, conversions}` of the control arm (n ≥ 1, 0 ≤ conversions ≤ n).
 * @param treatment same for the variant.
 * @param alpha two-sided level for `liftCi`, default 0.05.
 * @throws StatsInputError `invalid-input` for impossible counts, `too-few-samples` when n < 1.
 */
export function twoProportionZTest(
  control: { n: number; conversions: number },
  treatment: { n: number; conversions: number },
  alpha = 0.05,
): TwoProportionResult {
  assertAlpha(alpha);
  for (const [name, arm] of [
    ["control", control],
    ["treatment", treatment],
  ] as const) {
    assertFinite(`${name}.n`, arm.n);
    assertFinite(`${name}.conversions`, arm.conversions);
    if (arm.n < 1) throw new StatsInputError("too-few-samples", `${name}.n must be >= 1, got ${arm.n}`);
    if (arm.conversions < 0 || arm.conversions > arm.n) {
      throw new StatsInputError("invalid-input", `${name}.conversions must be within [0, n], got ${arm.conversions}`);
    }
  }
  const pC = control.conversions / control.n;
  const pT = treatment.conversions / treatment.n;
  const pooled = (control.conversions + treatment.conversions) / (control.n + treatment.n);
  const seNull = Math.sqrt(pooled * (1 - pooled) * (1 / control.n + 1 / treatment.n));
  const z = seNull > 0 ? (pT - pC) / seNull : 0;
  const pValue = normalTwoSidedP(z);
  if (pC === 0) return { pControl: pC, pTreatment: pT, z, pValue, lift: null, liftSe: null, liftCi: null };
  const lift = pT / pC - 1;
  const liftSe = Math.sqrt((pT * (1 - pT)) / (treatment.n * pC * pC) + (pT * pT * pC * (1 - pC)) / (control.n * pC ** 4));
  const zc = normalQuantile(1 - alpha / 2);
  return { pControl: pC, pTreatment: pT, z, pValue, lift, liftSe, liftCi: [lift - zc * liftSe, lift + zc * liftSe] };
}
