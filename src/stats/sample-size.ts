/**
 * Sample size and progress towards it.
 *
 * Sources: statistics.md §5; PostHog `products/experiments/backend/running_time_calculator.py` (rule of 16,
 * days remaining); Fleiss / G*Power / statsmodels `NormalIndPower` for the normal approximation.
 */
import { assertFinite, assertNonNegative, assertOpenUnit, StatsInputError } from "./errors.js";
import { normalQuantile } from "./tails.js";

/**
 * Users per variant needed to detect a relative change `mdeRelative` of a conversion rate `baseline` with a
 * two-sided test at level alpha and the given power (normal approximation, statistics.md §5),
 * p2 = baseline·(1 + mdeRelative):
 * - unpooled (default): n = (z_{1−α/2} + z_{power})²·(p1q1 + p2q2)/(p2 − p1)²;
 * - pooled null variance: n = (z_{1−α/2}·√(2p̄q̄) + z_{power}·√(p1q1 + p2q2))²/(p2 − p1)², p̄ = (p1 + p2)/2.
 *
 * @param baseline control conversion rate, fraction in (0, 1).
 * @param mdeRelative relative minimum detectable effect, fraction (0.1 = 10 %), non-zero; p2 must stay in (0, 1).
 * @param opts alpha (default 0.05), power (default 0.8), pooled (default false).
 * @returns users per variant, unrounded (callers `Math.ceil`).
 * @throws StatsInputError `invalid-input` for out-of-range inputs.
 */
export function sampleSizePerVariantTwoProportions(
  baseline: number,
  mdeRelative: number,
  opts: { alpha?: number; power?: number; pooled?: boolean } = {},
): number {
  const alpha = opts.alpha ?? 0.05;
  const power = opts.power ?? 0.8;
  assertOpenUnit("baseline", baseline);
  assertOpenUnit("alpha", alpha);
  assertOpenUnit("power", power);
  assertFinite("mdeRelative", mdeRelative);
  if (mdeRelative === 0) throw new StatsInputError("invalid-input", "mdeRelative must be non-zero");
  const p1 = baseline;
  const p2 = p1 * (1 + mdeRelative);
  if (!(p2 > 0 && p2 < 1)) {
    throw new StatsInputError("invalid-input", `baseline·(1 + mdeRelative) = ${p2} must be strictly between 0 and 1`);
  }
  const zA = normalQuantile(1 - alpha / 2);
  const zB = normalQuantile(power);
  const varSum = p1 * (1 - p1) + p2 * (1 - p2);
  const delta2 = (p2 - p1) ** 2;
  if (opts.pooled) {
    const pBar = (p1 + p2) / 2;
    return (zA * Math.sqrt(2 * pBar * (1 - pBar)) + zB * Math.sqrt(varSum)) ** 2 / delta2;
  }
  return ((zA + zB) ** 2 * varSum) / delta2;
}

/**
 * PostHog's running-time rule `N_per_variant = 16·σ²/d²` (`running_time_calculator.py`; statistics.md §5):
 * σ² = p(1 − p) for funnels, 2·baseline for counts, 0.25·baseline² for sums/averages; d = (MDE%/100)·baseline.
 * 16 ≈ 2·(z_{0.975} + z_{0.8})² (α 0.05, power 0.8).
 *
 * @param variance per-user variance σ² (> 0), metric units squared.
 * @param absoluteDelta absolute effect d (non-zero), metric units.
 * @returns users per variant, unrounded (PostHog stores `ceil(N × variants)` as the total).
 * @throws StatsInputError `invalid-input` when variance ≤ 0 or delta is 0/non-finite.
 */
export function sampleSizeRuleOf16(variance: number, absoluteDelta: number): number {
  assertFinite("variance", variance);
  assertFinite("absoluteDelta", absoluteDelta);
  if (variance <= 0) throw new StatsInputError("invalid-input", `variance must be > 0, got ${variance}`);
  if (absoluteDelta === 0) throw new StatsInputError("invalid-input", "absoluteDelta must be non-zero");
  return (16 * variance) / (absoluteDelta * absoluteDelta);
}

/** Progress of each variant towards a per-variant target sample size. */
export interface SampleProgress {
  targetPerVariant: number;
  /** fraction = exposures/target (may exceed 1). */
  perVariant: Record<string, { exposures: number; fraction: number }>;
  /** The slowest variant's fraction (0 when there are no variants). */
  minFraction: number;
  /** The slowest variant's average daily exposures over `daysRunning`; null when daysRunning ≤ 0 or no variants. */
  exposuresPerDay: number | null;
  /**
   * Days until the slowest variant reaches the target, ceil((target − exposures)/rate); 0 when already
   * reached; null when the rate is 0 or unknown.
   */
  daysRemaining: number | null;
}

/**
 * Progress towards a per-variant target (PostHog's remaining time `(N − current)/rate`, statistics.md §5),
 * judged by the slowest variant (fewest exposures), assuming its average daily rate so far continues.
 *
 * @param exposuresPerVariant exposures per variant key (counts ≥ 0); pass only the analysed variants
 *   (not `$multiple`).
 * @param targetPerVariant required users per variant (> 0).
 * @param daysRunning days since launch (≥ 0, may be fractional).
 * @throws StatsInputError `invalid-input` for a non-positive target, negative counts or days.
 */
export function sampleProgress(
  exposuresPerVariant: Record<string, number>,
  targetPerVariant: number,
  daysRunning: number,
): SampleProgress {
  assertFinite("targetPerVariant", targetPerVariant);
  if (targetPerVariant <= 0) throw new StatsInputError("invalid-input", `targetPerVariant must be > 0, got ${targetPerVariant}`);
  assertNonNegative("daysRunning", daysRunning);
  const perVariant: Record<string, { exposures: number; fraction: number }> = {};
  let slowest: number | null = null;
  for (const [key, exposures] of Object.entries(exposuresPerVariant)) {
    assertNonNegative(`exposures of "${key}"`, exposures);
    perVariant[key] = { exposures, fraction: exposures / targetPerVariant };
    if (slowest === null || exposures < slowest) slowest = exposures;
  }
  if (slowest === null) {
    return { targetPerVariant, perVariant, minFraction: 0, exposuresPerDay: null, daysRemaining: null };
  }
  const minFraction = slowest / targetPerVariant;
  const exposuresPerDay = daysRunning > 0 ? slowest / daysRunning : null;
  let daysRemaining: number | null;
  if (slowest >= targetPerVariant) daysRemaining = 0;
  else if (exposuresPerDay === null || exposuresPerDay === 0) daysRemaining = null;
  else daysRemaining = Math.ceil((targetPerVariant - slowest) / exposuresPerDay);
  return { targetPerVariant, perVariant, minFraction, exposuresPerDay, daysRemaining };
}
