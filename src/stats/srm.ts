/**
 * Sample ratio mismatch (SRM): Pearson χ² goodness of fit of exposure counts against the configured split.
 *
 * Sources: statistics.md §1 (formula, exact tails), posthog-api.md §5 (PostHog's `_calculate_srm` in
 * `experiment_exposures_query_runner.py`: counted variants, `$multiple`, holdout, minimum 100 exposures).
 */
import type { Variant } from "../model.js";
import { StatsInputError } from "./errors.js";
import { chiSquareSf } from "./tails.js";

/** Result of {@link chiSquareGoodnessOfFit}. */
export interface ChiSquareGofResult {
  /** Pearson statistic Σ(O − E)²/E over the kept arms. */
  chi2: number;
  /** Kept arms − 1 (0 when fewer than 2 arms were kept). */
  df: number;
  /** χ² survival function at `chi2` (1 when df = 0 or no users). */
  pValue: number;
  /** Expected counts, aligned with the input; 0 for skipped (weight ≤ 0) arms. */
  expected: number[];
}

/**
 * Pearson χ² goodness-of-fit test of counts against weights: `E_i = N·w_i/Σw`, `χ² = Σ(O_i − E_i)²/E_i`,
 * p = χ² survival function (never 1 − cdf).
 *
 * Arms with weight ≤ 0 are skipped entirely (their counts are not part of N) and df = kept arms − 1, as in
 * GrowthBook's TS `checkSrm` (statistics.md §1). With fewer than 2 kept arms or N = 0 there is nothing to
 * test: `chi2 = 0, pValue = 1`.
 *
 * @param observed counts per arm (finite, ≥ 0).
 * @param weights configured weights per arm, any scale (fractions or percentages); ≤ 0 means "not served".
 * @throws RangeError ({@link StatsInputError}, `invalid-input`) on length mismatch, negative or non-finite
 *   counts or weights.
 */
export function chiSquareGoodnessOfFit(observed: number[], weights: number[]): ChiSquareGofResult {
  if (observed.length !== weights.length) {
    throw new StatsInputError(
      "invalid-input",
      `observed (${observed.length}) and weights (${weights.length}) must have the same length`,
    );
  }
  const kept: number[] = [];
  let total = 0;
  let weightSum = 0;
  observed.forEach((o, i) => {
    const w = weights[i] as number;
    if (typeof o !== "number" || !Number.isFinite(o) || o < 0) {
      throw new StatsInputError("invalid-input", `observed[${i}] must be a finite count >= 0, got ${String(o)}`);
    }
    if (typeof w !== "number" || !Number.isFinite(w)) {
      throw new StatsInputError("invalid-input", `weights[${i}] must be a finite number, got ${String(w)}`);
    }
    if (w > 0) {
      kept.push(i);
      total += o;
      weightSum += w;
    }
  });
  const expected = observed.map(() => 0);
  const df = Math.max(kept.length - 1, 0);
  for (const i of kept) expected[i] = (total * (weights[i] as number)) / weightSum;
  if (kept.length < 2 || total === 0) return { chi2: 0, df, pValue: 1, expected };
  let chi2 = 0;
  for (const i of kept) {
    const e = expected[i] as number;
    const d = (observed[i] as number) - e;
    chi2 += (d * d) / e;
  }
  return { chi2, df, pValue: chiSquareSf(chi2, df), expected };
}

/** PostHog's `SRM_MINIMUM_SAMPLE_SIZE`: no SRM verdict below 100 counted exposures (posthog-api.md §5). */
export const SRM_MINIMUM_SAMPLE_SIZE = 100;

/** Key PostHog uses for users exposed to more than one variant. */
export const MULTIPLE_VARIANTS_KEY = "$multiple";

/** Input of {@link sampleRatioMismatch}. */
export interface SrmInput {
  /** Exposures per variant key; may include `$multiple` and holdout keys (`holdout-<id>`), which are not counted. */
  totals: Record<string, number>;
  /** The flag's variants in flag order, `rolloutPercentage` 0–100. */
  variants: Variant[];
  /** Variant keys excluded from analysis. */
  excludedVariants?: string[];
  /** Holdout share 0–100; the holdout key is dropped and rollouts are scaled by (100 − h)/100. */
  holdoutPercentage?: number | null;
  /** Minimum counted exposures; default {@link SRM_MINIMUM_SAMPLE_SIZE}. */
  minExposures?: number;
}

/** Result of {@link sampleRatioMismatch}. Shares are fractions 0–1. */
export interface SrmResult {
  pValue: number;
  chi2: number;
  df: number;
  /** Counted total (excludes `$multiple`, excluded and 0 % variants, holdout). */
  total: number;
  /** Counted variant keys in flag order. */
  included: string[];
  observed: Record<string, number>;
  expected: Record<string, number>;
  observedShare: Record<string, number>;
  expectedShare: Record<string, number>;
  /** max |observed share − expected share| over counted variants, fraction. */
  maxShareDeviation: number;
  /** max |observed share − expected share| / √(p(1−p)/total), p = expected share (PostHog scout's σ). */
  maxSigma: number;
  /** `$multiple` exposures (not part of the test). */
  multiple: number;
}

/**
 * PostHog-compatible sample ratio mismatch check (posthog-api.md §5, `_calculate_srm`):
 * counted variants are those with rollout > 0 that are not excluded; `$multiple` is excluded from observed
 * and expected; a counted variant missing from `totals` counts 0; exposures of 0 %-rollout, excluded or
 * unknown keys (including the holdout key) are ignored; expected = rollout/Σrollout × counted total, with
 * rollouts scaled by (100 − holdout)/100 (which leaves the shares unchanged); df = counted variants − 1.
 * PostHog flags SRM at p < 0.001 (statistics.md §7) — the threshold is the caller's decision.
 *
 * @returns null when there are no variants, fewer than 2 counted variants, or the counted total is below
 *   `minExposures` (default 100).
 * @throws RangeError ({@link StatsInputError}) on negative/non-finite counts or rollouts, duplicate variant
 *   keys, or a holdout percentage outside [0, 100).
 */
export function sampleRatioMismatch(input: SrmInput): SrmResult | null {
  const { totals, variants } = input;
  const excluded = new Set(input.excludedVariants ?? []);
  const minExposures = input.minExposures ?? SRM_MINIMUM_SAMPLE_SIZE;
  if (!Number.isFinite(minExposures) || minExposures < 0) {
    throw new StatsInputError("invalid-input", `minExposures must be a finite number >= 0, got ${minExposures}`);
  }
  const holdout = input.holdoutPercentage ?? 0;
  if (!Number.isFinite(holdout) || holdout < 0 || holdout >= 100) {
    throw new StatsInputError("invalid-input", `holdoutPercentage must be within [0, 100), got ${holdout}`);
  }
  for (const [key, count] of Object.entries(totals)) {
    if (typeof count !== "number" || !Number.isFinite(count) || count < 0) {
      throw new StatsInputError("invalid-input", `exposures of "${key}" must be a finite count >= 0, got ${String(count)}`);
    }
  }
  const seen = new Set<string>();
  for (const v of variants) {
    if (seen.has(v.key)) throw new StatsInputError("invalid-input", `duplicate variant key "${v.key}"`);
    seen.add(v.key);
    if (!Number.isFinite(v.rolloutPercentage) || v.rolloutPercentage < 0) {
      throw new StatsInputError(
        "invalid-input",
        `rolloutPercentage of "${v.key}" must be a finite number >= 0, got ${String(v.rolloutPercentage)}`,
      );
    }
  }
  if (variants.length === 0) return null;

  const scale = (100 - holdout) / 100;
  const counted = variants.filter((v) => v.rolloutPercentage > 0 && !excluded.has(v.key));
  if (counted.length < 2) return null;
  const observedList = counted.map((v) => totals[v.key] ?? 0);
  const total = observedList.reduce((a, b) => a + b, 0);
  if (total < minExposures || total === 0) return null;

  const weights = counted.map((v) => v.rolloutPercentage * scale);
  const gof = chiSquareGoodnessOfFit(observedList, weights);
  const weightSum = weights.reduce((a, b) => a + b, 0);

  const observed: Record<string, number> = {};
  const expected: Record<string, number> = {};
  const observedShare: Record<string, number> = {};
  const expectedShare: Record<string, number> = {};
  let maxShareDeviation = 0;
  let maxSigma = 0;
  counted.forEach((v, i) => {
    const o = observedList[i] as number;
    const p = (weights[i] as number) / weightSum;
    observed[v.key] = o;
    expected[v.key] = gof.expected[i] as number;
    observedShare[v.key] = o / total;
    expectedShare[v.key] = p;
    const dev = Math.abs(o / total - p);
    maxShareDeviation = Math.max(maxShareDeviation, dev);
    const sigma = Math.sqrt((p * (1 - p)) / total);
    if (sigma > 0) maxSigma = Math.max(maxSigma, dev / sigma);
  });

  return {
    pValue: gof.pValue,
    chi2: gof.chi2,
    df: gof.df,
    total,
    included: counted.map((v) => v.key),
    observed,
    expected,
    observedShare,
    expectedShare,
    maxShareDeviation,
    maxSigma,
    multiple: totals[MULTIPLE_VARIANTS_KEY] ?? 0,
  };
}
