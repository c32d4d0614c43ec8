/**
 * Standardised effect sizes of one variant against control: Cohen's d (difference of means in pooled
 * standard deviations) and Cohen's h (difference of arcsine-transformed proportions), with Cohen's
 * conventional labels. Source: J. Cohen (1988), *Statistical Power Analysis for the Behavioral Sciences*,
 * 2nd ed., §2.2 (d), §2.2.3 (labels for d), §6.2 (h), §6.2.1 (labels for h).
 *
 * Effect sizes complement the relative lift and p-value: they say how large a difference is relative to
 * the spread of the metric, independent of the sample size. Raw direction (variant minus control); the
 * metric's goal is not applied. Pure functions, no I/O.
 */
import type { MetricArm, MetricType } from "../model.js";
import { assertFinite, assertNonNegative, StatsInputError } from "./errors.js";
import { momentsFromProportion, momentsFromSums } from "./moments.js";

/** Summary statistics of one group: mean, sample variance (n − 1 denominator) and size n (count). */
export interface GroupSummary {
  mean: number;
  /** Sample variance s² (n − 1 denominator), ≥ 0. */
  variance: number;
  /** Number of observations (users), ≥ 2. */
  n: number;
}

/** Cohen's conventional size labels. */
export type EffectSizeLabel = "negligible" | "small" | "medium" | "large";

/** An effect size of a variant vs control. */
export interface EffectSize {
  /** `cohens-h` for conversion (funnel) metrics, `cohens-d` for mean metrics. */
  kind: "cohens-d" | "cohens-h";
  /** Signed effect size, variant minus control (unitless; positive = variant higher). */
  value: number;
  label: EffectSizeLabel;
}

function assertGroup(name: string, g: GroupSummary): void {
  assertFinite(`${name}.mean`, g.mean);
  assertNonNegative(`${name}.variance`, g.variance);
  assertFinite(`${name}.n`, g.n);
  if (g.n < 2) throw new StatsInputError("too-few-samples", `${name}.n must be >= 2 for a sample variance, got ${g.n}`);
}

/**
 * Cohen's d for two independent groups with pooled standard deviation
 * s_p = √(((n1 − 1)·s1² + (n2 − 1)·s2²)/(n1 + n2 − 2)); d = (mean2 − mean1)/s_p.
 * Source: Cohen (1988), §2.2 (d = (m_B − m_A)/σ with σ the common within-population standard deviation,
 * estimated by the pooled sample standard deviation).
 *
 * @param a group 1 (control): mean, sample variance (n − 1), n
 * @param b group 2 (variant)
 * @returns d (unitless, positive when b's mean is higher), or null when s_p = 0 (both groups constant)
 * @throws StatsInputError `too-few-samples` when n < 2 in either group; `invalid-input` for a negative
 *   variance or a non-finite mean, variance or n
 */
export function cohensD(a: GroupSummary, b: GroupSummary): number | null {
  assertGroup("a", a);
  assertGroup("b", b);
  const pooled = ((a.n - 1) * a.variance + (b.n - 1) * b.variance) / (a.n + b.n - 2);
  const sp = Math.sqrt(pooled);
  if (sp === 0) return null;
  return (b.mean - a.mean) / sp;
}

function assertProportion(name: string, p: number): void {
  assertFinite(name, p);
  if (p < 0 || p > 1) throw new StatsInputError("invalid-input", `${name} must be a proportion in [0, 1], got ${p}`);
}

/**
 * Cohen's h for two proportions: h = 2·asin(√p2) − 2·asin(√p1) (the arcsine transform makes equal
 * differences of h equally detectable across the range of p). Source: Cohen (1988), §6.2.
 *
 * @param p1 proportion of group 1 (control), fraction 0–1
 * @param p2 proportion of group 2 (variant), fraction 0–1
 * @returns h in [−π, π], positive when p2 > p1
 * @throws StatsInputError `invalid-input` when a proportion is not a finite number in [0, 1]
 */
export function cohensH(p1: number, p2: number): number {
  assertProportion("p1", p1);
  assertProportion("p2", p2);
  return 2 * Math.asin(Math.sqrt(p2)) - 2 * Math.asin(Math.sqrt(p1));
}

/**
 * Cohen's conventional label for |d| or |h| (the same cut-offs for both): |x| < 0.2 "negligible", < 0.5
 * "small", < 0.8 "medium", else "large". Source: Cohen (1988), §2.2.3 (d: small 0.2, medium 0.5, large 0.8)
 * and §6.2.1 (h: the same values). Below 0.2 ("small") is called "negligible" here.
 *
 * @param x a d or h value (sign ignored)
 * @throws StatsInputError `invalid-input` when x is not finite
 */
export function effectSizeLabel(x: number): EffectSizeLabel {
  assertFinite("effect size", x);
  const m = Math.abs(x);
  if (m < 0.2) return "negligible";
  if (m < 0.5) return "small";
  if (m < 0.8) return "medium";
  return "large";
}

/**
 * The effect size of one variant vs control from PostHog `ExperimentQuery` arms (`MetricArm`):
 * - funnel → Cohen's h on the conversion rates sum/n (sum = conversions);
 * - mean → Cohen's d with the sample variances (sumSquares − sum²/n)/(n − 1) (PostHog's
 *   `SampleMeanStatistic`, see `momentsFromSums`);
 * - ratio, retention and legacy kinds → null (no per-unit distribution with a standard d or h).
 *
 * @param metricType the metric's kind
 * @param control the control arm
 * @param variant the variant arm
 * @returns { kind, value (variant minus control, unitless), label }, or null when it cannot be formed: a
 *   kind without an effect size, fewer than 2 users in either arm, or a zero pooled standard deviation
 * @throws StatsInputError `invalid-input` on impossible sums (conversions outside [0, n], sumSquares < sum²/n,
 *   non-finite values)
 */
export function effectSizeFromArms(metricType: MetricType, control: MetricArm, variant: MetricArm): EffectSize | null {
  if (metricType !== "funnel" && metricType !== "mean") return null;
  if (control.numberOfSamples < 2 || variant.numberOfSamples < 2) return null;
  if (metricType === "funnel") {
    const c = momentsFromProportion(control.numberOfSamples, control.sum);
    const v = momentsFromProportion(variant.numberOfSamples, variant.sum);
    const value = cohensH(c.mean, v.mean);
    return { kind: "cohens-h", value, label: effectSizeLabel(value) };
  }
  const c = momentsFromSums(control.numberOfSamples, control.sum, control.sumSquares);
  const v = momentsFromSums(variant.numberOfSamples, variant.sum, variant.sumSquares);
  const value = cohensD(c, v);
  return value === null ? null : { kind: "cohens-d", value, label: effectSizeLabel(value) };
}
