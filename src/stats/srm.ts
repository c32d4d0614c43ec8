/**
 * Sample ratio mismatch (SRM): Pearson χ² goodness of fit of exposure counts against the configured split.
 *
 * Sources: statistics.md §1 (formula, exact tails), posthog-api.md §5 (PostHog's `_calculate_srm` in
 * `experiment_exposures_query_runner.py`: counted variants, `$multiple`, holdout, minimum 100 exposures).
 */
import type { Experiment, Variant } from "../model.js";
import { StatsInputError } from "./errors.js";
import { logGamma } from "./stdlib.js";
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
  /**
   * Holdout share 0–100. When `totals` carries the holdout's exposures (key `holdoutKey`, else the one key
   * starting with `holdout-`), the holdout is counted as its own arm with weight h and the variants' rollouts
   * are scaled by (100 − h)/100 (PostHog's current rule, `test_srm_calculation_adjusts_for_holdout`); when
   * it does not, the holdout is left out and the scaled rollouts leave the variants' shares unchanged.
   */
  holdoutPercentage?: number | null;
  /** Key of the holdout's exposures in `totals` (PostHog: `holdout-<id>`); default: the one `holdout-*` key. */
  holdoutKey?: string | null;
  /** Concentration of the sequential SRM test's Dirichlet prior; default {@link SEQUENTIAL_SRM_CONCENTRATION}. */
  sequentialConcentration?: number;
  /** Minimum counted exposures; default {@link SRM_MINIMUM_SAMPLE_SIZE}. */
  minExposures?: number;
}

/** Result of {@link sampleRatioMismatch}. Shares are fractions 0–1. */
export interface SrmResult {
  pValue: number;
  chi2: number;
  df: number;
  /** Counted total (excludes `$multiple`, excluded and 0 % variants; includes the holdout only when it is its own arm). */
  total: number;
  /** Counted variant keys in flag order, then the holdout key when it is counted as its own arm. */
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
  /**
   * Anytime-valid p-value of the sequential SRM test on the same counts ({@link sequentialSrmPValue},
   * Lindon & Malek 2022): valid however often it is checked, unlike `pValue` (the χ²).
   */
  sequentialPValue: number;
  /** The holdout key counted as its own arm, or null when the holdout was left out (or there is none). */
  holdoutArm: string | null;
}

/**
 * PostHog-compatible sample ratio mismatch check (posthog-api.md §5, `_calculate_srm`):
 * counted variants are those with rollout > 0 that are not excluded; `$multiple` is excluded from observed
 * and expected; a counted variant missing from `totals` counts 0; exposures of 0 %-rollout, excluded or
 * unknown keys are ignored; expected = weight/Σweight × counted total; df = counted arms − 1. A holdout
 * whose exposures are in `totals` is its own arm with weight = its percentage, the variants' weights being
 * rollout × (100 − holdout)/100 (PostHog's current runner, posthog-api.md §11: holdout 20 / control 40 /
 * test 40 → p = 1); without holdout exposures the holdout is left out (the scaled rollouts then leave the
 * variants' shares unchanged, PostHog's older rule, §5). Beside the χ² it reports the anytime-valid
 * sequential SRM p-value (Lindon & Malek 2022), which stays valid under the bot's repeated checks.
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
  const countedVariants = variants.filter((v) => v.rolloutPercentage > 0 && !excluded.has(v.key));
  if (countedVariants.length < 2) return null;
  const holdoutArm = holdout > 0 ? findHoldoutKey(totals, input.holdoutKey ?? null, seen) : null;
  const counted: { key: string; weight: number }[] = countedVariants.map((v) => ({ key: v.key, weight: v.rolloutPercentage * scale }));
  if (holdoutArm !== null) counted.push({ key: holdoutArm, weight: holdout });
  const observedList = counted.map((v) => totals[v.key] ?? 0);
  const total = observedList.reduce((a, b) => a + b, 0);
  if (total < minExposures || total === 0) return null;

  const weights = counted.map((v) => v.weight);
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
    sequentialPValue: sequentialSrmPValue(observedList, weights, input.sequentialConcentration ?? SEQUENTIAL_SRM_CONCENTRATION),
    holdoutArm,
  };
}

/**
 * {@link sampleRatioMismatch} on one experiment's exposure counts: its variants, excluded variants and
 * holdout (`holdout-<id>`, its rollout percentage). Used by the decision rules and the SRM detector alike.
 *
 * @param totals exposure counts per variant key
 * @param minExposures smallest counted total tested (below it: null)
 * @returns and @throws as {@link sampleRatioMismatch}
 */
export function experimentSrm(
  experiment: Pick<Experiment, "variants" | "excludedVariants" | "holdout">,
  totals: Record<string, number>,
  minExposures: number,
): SrmResult | null {
  return sampleRatioMismatch({
    totals,
    variants: experiment.variants,
    excludedVariants: experiment.excludedVariants,
    holdoutPercentage: experiment.holdout?.rolloutPercentage ?? null,
    holdoutKey: experiment.holdout ? `holdout-${experiment.holdout.id}` : null,
    minExposures,
  });
}

/** The holdout's key in `totals`: `preferred` when present, else the only `holdout-*` key that is not a variant (older builds wrote `holdout-<id>.0`). */
function findHoldoutKey(totals: Record<string, number>, preferred: string | null, variantKeys: Set<string>): string | null {
  if (preferred !== null && preferred in totals) return preferred;
  const keys = Object.keys(totals).filter((k) => k.startsWith("holdout-") && !variantKeys.has(k));
  return keys.length === 1 ? (keys[0] as string) : null;
}

/** GrowthBook's concentration of the Dirichlet prior of its sequential SRM check (statistics.md §13). */
export const SEQUENTIAL_SRM_CONCENTRATION = 10_000;

/**
 * Anytime-valid p-value of the sequential SRM test (Lindon & Malek, "Anytime-valid inference for
 * multinomial count data", NeurIPS 2022, arXiv 2011.03567; statistics.md §13). With expected shares
 * p₀ = w/Σw, counts x (n = Σx) and the Dirichlet prior α = c·p₀, the Bayes factor of the
 * Dirichlet-multinomial mixture against the null multinomial is
 * BF = Γ(Σα)/Γ(Σα + n) · Π Γ(α_i + x_i)/Γ(α_i) / Π p₀_i^{x_i}, computed in logs; p = min(1, 1/BF).
 * Under the null P(ever p ≤ a) ≤ a however often it is checked (Ville's inequality), so a fixed threshold
 * (0.001, as GrowthBook) can be applied at every look. Arms with weight ≤ 0 are skipped.
 *
 * @param observed counts per arm (finite, ≥ 0).
 * @param weights expected weights per arm, any scale.
 * @param concentration c > 0, default {@link SEQUENTIAL_SRM_CONCENTRATION} (GrowthBook); smaller c reacts
 *   faster to large imbalances, larger c to small ones.
 * @returns p in (0, 1]; 1 with fewer than 2 kept arms or no users.
 * @throws StatsInputError `invalid-input` on length mismatch, negative/non-finite counts or weights, c ≤ 0.
 */
export function sequentialSrmPValue(observed: number[], weights: number[], concentration = SEQUENTIAL_SRM_CONCENTRATION): number {
  if (observed.length !== weights.length) {
    throw new StatsInputError("invalid-input", `observed (${observed.length}) and weights (${weights.length}) must have the same length`);
  }
  if (!(Number.isFinite(concentration) && concentration > 0)) {
    throw new StatsInputError("invalid-input", `concentration must be a finite number > 0, got ${concentration}`);
  }
  const kept: { x: number; w: number }[] = [];
  observed.forEach((x, i) => {
    const w = weights[i] as number;
    if (!(typeof x === "number" && Number.isFinite(x) && x >= 0)) {
      throw new StatsInputError("invalid-input", `observed[${i}] must be a finite count >= 0, got ${String(x)}`);
    }
    if (!(typeof w === "number" && Number.isFinite(w))) {
      throw new StatsInputError("invalid-input", `weights[${i}] must be a finite number, got ${String(w)}`);
    }
    if (w > 0) kept.push({ x, w });
  });
  const n = kept.reduce((a, k) => a + k.x, 0);
  if (kept.length < 2 || n === 0) return 1;
  const wSum = kept.reduce((a, k) => a + k.w, 0);
  let logBf = logGamma(concentration) - logGamma(concentration + n);
  for (const { x, w } of kept) {
    const p0 = w / wSum;
    const a = concentration * p0;
    logBf += logGamma(a + x) - logGamma(a) - x * Math.log(p0);
  }
  return Math.min(1, Math.exp(-logBf));
}
