/**
 * Small pieces shared by {@link decide} (`./decide.ts`) and {@link explainRules} (`./explain.ts`), so that the
 * reasons of the rules that fired and the explanations of those that did not use the same numbers and words:
 * metric labels, the evidence sentence of a verdict, the best variant, the near-significance test, the
 * "day x of y" text. Pure functions, plain text (not escaped).
 */
import type { DecisionConfig } from "../config/schema.js";
import type { Metric, StatsMethod } from "../model.js";
import type { SrmResult } from "../stats/index.js";
import { formatDays, formatNumber, formatP, formatPercent } from "../format.js";
import type { MetricAnalysis, MetricVerdict } from "./types.js";

/** Lifts are ratios of floating-point means: a lift within 1e-9 of a threshold counts as at the threshold. */
export const LIFT_EPSILON = 1e-9;

/** `"Checkout" (primary)` / `"Time to convert" (guardrail, lower is better)`. */
export function metricLabel(metric: Metric, role: "primary" | "guardrail"): string {
  const goal = metric.goal === "decrease" ? ", lower is better" : "";
  return `"${metric.name}" (${role}${goal})`;
}

/**
 * The evidence of one verdict against its corrected threshold: "p = 0.0012 < 0.025" / "p = 0.21, needs < 0.025"
 * / "chance to win 97.1% ≥ 95%" / "chance to win 40%, needs ≥ 97.5%". With `direction = "worse"` a Bayesian
 * verdict shows the bare chance to win (Holm ranks "worse" separately from "better"; the sentence states the
 * verdict).
 */
export function evidence(v: MetricVerdict, direction: "better" | "worse" | "status"): string {
  if (v.method === "frequentist") {
    if (v.pValue === null) return "no p-value";
    const thr = v.threshold;
    if (thr === null) return `p = ${formatP(v.pValue)}`;
    return v.pValue < thr ? `p = ${formatP(v.pValue)} < ${formatNumber(thr)}` : `p = ${formatP(v.pValue)}, needs < ${formatNumber(thr)}`;
  }
  const g = v.goalAdjustedChanceToWin;
  if (g === null) return "no chance to win";
  const thr = v.threshold;
  if (thr === null) return `chance to win ${formatPercent(g)}`;
  if (direction === "worse") return `chance to win ${formatPercent(g)}`;
  return g >= thr ? `chance to win ${formatPercent(g)} ≥ ${formatPercent(thr, 2)}` : `chance to win ${formatPercent(g)}, needs ≥ ${formatPercent(thr, 2)}`;
}

/** The corrected significance requirement of a verdict: "p < 0.025" / "chance to win ≥ 97.5%". */
export function significanceNeed(v: MetricVerdict): string {
  if (v.threshold === null) return "a usable comparison";
  return v.method === "frequentist" ? `p < ${formatNumber(v.threshold)}` : `chance to win ≥ ${formatPercent(v.threshold, 2)}`;
}

/** A verdict the rules can use: no error, and a known lift and goal-adjusted lift. */
export function isUsableVerdict(v: MetricVerdict): v is MetricVerdict & { lift: number; goalAdjustedLift: number } {
  return v.error === null && v.lift !== null && v.goalAdjustedLift !== null;
}

/** The verdict with the highest goal-adjusted lift (ties: the first), among verdicts without error; null when none. */
export function bestVerdict(analysis: MetricAnalysis): MetricVerdict | null {
  let best: MetricVerdict | null = null;
  for (const v of analysis.verdicts) {
    if (v.error !== null || v.goalAdjustedLift === null) continue;
    if (best === null || v.goalAdjustedLift > (best.goalAdjustedLift ?? -Infinity)) best = v;
  }
  return best;
}

/** Result of {@link nearSignificance}. */
export interface NearSignificance {
  near: boolean;
  /** The corrected near threshold: a p-value bound (frequentist) or a chance to win (Bayesian), fraction 0–1. */
  threshold: number;
  /** "p = 0.075 < 0.1" / "p = 0.64, near needs < 0.1" / "chance to win 91.9% ≥ 90%" / "chance to win 87.8%, near needs ≥ 90%". */
  text: string;
}

/**
 * Whether the best variant is "near significance" (used past the maximum duration to extend instead of stop).
 * Corrected like significance: frequentist p < `near_alpha`/m (Holm: its first step; none or m ≤ 1:
 * `near_alpha`) with a positive goal-adjusted lift; Bayesian goal-adjusted chance to win ≥
 * 1 − (1 − `near_chance_to_win`)/m (none or m ≤ 1: `near_chance_to_win`).
 *
 * @param best the best verdict of the primary metric
 * @param method the experiment's statistical method
 * @param config the `decision` config (fractions 0–1)
 * @param m number of comparisons with control (non-control counted variants)
 */
export function nearSignificance(best: MetricVerdict, method: StatsMethod, config: DecisionConfig, m: number): NearSignificance {
  const g = best.goalAdjustedLift ?? 0;
  if (method === "frequentist") {
    const threshold = config.correction === "none" || m <= 1 ? config.near_alpha : config.near_alpha / m;
    const near = best.pValue !== null && g > 0 && best.pValue < threshold;
    const text = `p = ${best.pValue === null ? "?" : formatP(best.pValue)}${near ? " <" : ", near needs <"} ${formatNumber(threshold)}`;
    return { near, threshold, text };
  }
  const threshold = config.correction === "none" || m <= 1 ? config.near_chance_to_win : 1 - (1 - config.near_chance_to_win) / m;
  const ctw = best.goalAdjustedChanceToWin;
  const near = ctw !== null && ctw >= threshold;
  const text = `chance to win ${ctw === null ? "?" : formatPercent(ctw)}${near ? " ≥" : ", near needs ≥"} ${formatPercent(threshold, 2)}`;
  return { near, threshold, text };
}

/** "day 7.0 of 14" ("day ? of 14" without a start date); days are fractional. */
export function dayText(daysRunning: number | null, maxDurationDays: number): string {
  return `day ${daysRunning === null ? "?" : formatDays(daysRunning)} of ${formatDays(maxDurationDays)}`;
}

/** "control 52.3% vs 50% expected, test 47.7% vs 50% expected" (shares of the SRM test's counted total). */
export function srmShares(srm: SrmResult): string {
  return srm.included
    .map((k) => `${k} ${formatPercent(srm.observedShare[k] ?? 0)} vs ${formatPercent(srm.expectedShare[k] ?? 0, 2)} expected`)
    .join(", ");
}

/**
 * The regression rules' per-verdict conditions (`max_regression`, `kill_regression` are fractions 0–1 of the
 * goal-adjusted relative lift): `regression` = significantly worse (corrected) by at least `max_regression`;
 * `kill` = observed at least `kill_regression` worse, regardless of significance (the caller checks that
 * the kill rule is armed). Both false for an unusable verdict.
 */
export function regressionTests(v: MetricVerdict, config: DecisionConfig): { regression: boolean; kill: boolean } {
  if (!isUsableVerdict(v)) return { regression: false, kill: false };
  const g = v.goalAdjustedLift;
  return {
    regression: v.significantlyWorse && g <= -config.max_regression + LIFT_EPSILON,
    kill: g <= -config.kill_regression + LIFT_EPSILON,
  };
}

/** The counted variant with the fewest exposures (ties: the first); null when there is none. */
export function smallestVariant(exposures: Record<string, number>, counted: string[]): { key: string; n: number } | null {
  return counted.reduce<{ key: string; n: number } | null>((acc, key) => {
    const n = exposures[key] ?? 0;
    return acc === null || n < acc.n ? { key, n } : acc;
  }, null);
}
