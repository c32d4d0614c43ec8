/**
 * Multiple-comparison corrections (statistics.md §6; GrowthBook `packages/shared/src/experiments/experiments.ts`
 * vectors). PostHog does not adjust at all; with 5 independent metrics at α 0.05 the chance of ≥ 1 false
 * positive is ≈ 23 %.
 */
import { StatsInputError } from "./errors.js";

/** Correction method: family-wise (Bonferroni, Holm), false discovery rate (Benjamini–Hochberg), or none. */
export type Correction = "bonferroni" | "holm" | "benjamini-hochberg" | "none";

function assertPValues(pValues: number[]): void {
  pValues.forEach((p, i) => {
    if (typeof p !== "number" || Number.isNaN(p) || p < 0 || p > 1) {
      throw new StatsInputError("invalid-input", `pValues[${i}] must be within [0, 1], got ${String(p)}`);
    }
  });
}

/**
 * Adjusted p-values, returned in the input order (compare each with the unadjusted alpha):
 * - bonferroni: min(1, p·m);
 * - holm (FWER, step-down): sort ascending, min(1, p_(i)·(m − i)) for i from 0, then running maximum;
 * - benjamini-hochberg (FDR, step-up): sort descending, min(1, p_(i)·m/(m − i)) for i from 0 (rank m − i),
 *   then running minimum;
 * - none: the input unchanged (copied).
 *
 * @throws StatsInputError `invalid-input` when a p-value is outside [0, 1] or NaN.
 */
export function adjustPValues(pValues: number[], method: Correction): number[] {
  assertPValues(pValues);
  const m = pValues.length;
  if (method === "none") return [...pValues];
  if (method === "bonferroni") return pValues.map((p) => Math.min(1, p * m));
  const idx = pValues.map((_, i) => i);
  const out = new Array<number>(m).fill(0);
  if (method === "holm") {
    idx.sort((a, b) => (pValues[a] as number) - (pValues[b] as number));
    let running = 0;
    idx.forEach((orig, i) => {
      running = Math.max(running, Math.min(1, (pValues[orig] as number) * (m - i)));
      out[orig] = running;
    });
    return out;
  }
  if (method === "benjamini-hochberg") {
    idx.sort((a, b) => (pValues[b] as number) - (pValues[a] as number));
    let running = 1;
    idx.forEach((orig, i) => {
      running = Math.min(running, Math.min(1, ((pValues[orig] as number) * m) / (m - i)));
      out[orig] = running;
    });
    return out;
  }
  throw new StatsInputError("invalid-input", `unknown correction method "${String(method)}"`);
}

/**
 * A single significance level to test each of `comparisons` hypotheses at, for display ("each test at
 * 98.75 %") and for interval widths:
 * - bonferroni: alpha/m;
 * - holm: alpha/m — the first (strictest) step of Holm's procedure; later steps are looser, so use
 *   {@link adjustPValues} for the actual decisions;
 * - benjamini-hochberg: alpha/m as the conservative first step too (BH's threshold for the smallest p-value;
 *   BH has no single per-comparison level — its threshold for rank k is alpha·k/m);
 * - none: alpha.
 * Comparisons vs control in a k-arm experiment: m = k − 1 (statistics.md §6 table).
 *
 * @param alpha family level in (0, 1).
 * @param comparisons number of hypotheses m (integer ≥ 1).
 * @throws StatsInputError `invalid-input` for alpha outside (0, 1) or m < 1 / non-integer.
 */
export function perComparisonAlpha(alpha: number, comparisons: number, method: Correction): number {
  if (!(Number.isFinite(alpha) && alpha > 0 && alpha < 1)) {
    throw new StatsInputError("invalid-input", `alpha must be strictly between 0 and 1, got ${alpha}`);
  }
  if (!Number.isInteger(comparisons) || comparisons < 1) {
    throw new StatsInputError("invalid-input", `comparisons must be an integer >= 1, got ${comparisons}`);
  }
  switch (method) {
    case "none":
      return alpha;
    case "bonferroni":
    case "holm":
    case "benjamini-hochberg":
      return alpha / comparisons;
    default:
      throw new StatsInputError("invalid-input", `unknown correction method "${String(method)}"`);
  }
}
