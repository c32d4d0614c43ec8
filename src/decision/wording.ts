/**
 * Small pieces shared by {@link decide} (`./decide.ts`) and {@link explainRules} (`./explain.ts`), so that the
 * reasons of the rules that fired and the explanations of those that did not use the same numbers and words:
 * metric labels, the evidence sentence of a verdict, the best variant, the near-significance test, the
 * "day x of y" text. Pure functions, plain text (not escaped).
 */
import type { DecisionConfig } from "../config/schema.js";
import type { Experiment, Metric, StatsMethod } from "../model.js";
import type { SrmResult } from "../stats/index.js";
import { formatCount, formatDays, formatLift, formatNumber, formatP, formatPercent } from "../format.js";
import type { InferenceSummary, MetricAnalysis, MetricVerdict } from "./types.js";

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
    const p = `${v.fixedHorizon !== null ? "always-valid p" : "p"} = ${formatP(v.pValue)}`;
    const thr = v.threshold;
    if (thr === null) return p;
    return v.pValue < thr ? `${p} < ${formatNumber(thr)}` : `${p}, needs < ${formatNumber(thr)}`;
  }
  const g = v.goalAdjustedChanceToWin;
  if (g === null) return "no chance to win";
  const thr = v.threshold;
  if (thr === null) return `chance to win ${formatPercent(g)}`;
  const avThr = v.alwaysValidThreshold;
  const avP = v.alwaysValid?.pValue ?? null;
  const av =
    avThr === null
      ? ""
      : avP === null
        ? ", no always-valid p"
        : avP < avThr
          ? `, always-valid p = ${formatP(avP)} < ${formatNumber(avThr)}`
          : `, always-valid p = ${formatP(avP)}, needs < ${formatNumber(avThr)}`;
  if (direction === "worse") return `chance to win ${formatPercent(g)}${av}`;
  return g >= thr ? `chance to win ${formatPercent(g)} ≥ ${formatPercent(thr, 2)}${av}` : `chance to win ${formatPercent(g)}, needs ≥ ${formatPercent(thr, 2)}${av}`;
}

/** The corrected significance requirement of a verdict: "p < 0.025" / "chance to win ≥ 97.5%". */
export function significanceNeed(v: MetricVerdict): string {
  if (v.threshold === null) return "a usable comparison";
  if (v.method === "frequentist") return `${v.fixedHorizon !== null ? "always-valid p" : "p"} < ${formatNumber(v.threshold)}`;
  const av = v.alwaysValidThreshold === null ? "" : ` and always-valid p < ${formatNumber(v.alwaysValidThreshold)}`;
  return `chance to win ≥ ${formatPercent(v.threshold, 2)}${av}`;
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
 * Frequentist under sequential inference: judged on the fixed-horizon p (extending is always allowed by the
 * confidence sequence; promotion still needs the always-valid p). Corrected like significance: frequentist p < `near_alpha`/m (Holm: its first step; none or m ≤ 1:
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
    // Under sequential inference "near" uses the fixed-horizon p: extending is a look the confidence sequence
    // already allows, so this only asks whether more data may plausibly reach significance.
    const p = best.fixedHorizon !== null ? best.fixedHorizon.pValue : best.pValue;
    const near = p !== null && g > 0 && p < threshold;
    const text = `${best.fixedHorizon !== null ? "fixed-horizon p" : "p"} = ${p === null ? "?" : formatP(p)}${near ? " <" : ", near needs <"} ${formatNumber(threshold)}`;
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
 * The always-valid interval of a verdict with the metric's goal applied (positive = good): `[lo, hi]` for
 * `increase`, `[−hi, −lo]` for `decrease`; null when the verdict has none.
 */
export function goalInterval(v: MetricVerdict, goal: "increase" | "decrease"): [number, number] | null {
  const i = v.alwaysValid?.interval ?? null;
  if (!i) return null;
  return goal === "decrease" ? [-i[1], -i[0]] : [i[0], i[1]];
}

/** "[−42.0%, −21.3%]" (relative lifts as signed percentages); "(none)" for null. */
export function formatInterval(i: [number, number] | null): string {
  return i ? `[${formatLift(i[0])}, ${formatLift(i[1])}]` : "(none)";
}

/**
 * The regression rules' per-verdict conditions (`max_regression`, `kill_regression` are fractions 0–1 of the
 * goal-adjusted relative lift): `regression` = significantly worse (corrected; always-valid under
 * `decision.sequential`) by at least `max_regression`; `kill` = the always-valid confidence sequence (at the
 * corrected α, computed whatever `decision.sequential` says) lies entirely beyond −`kill_regression`, i.e. its
 * goal-adjusted upper end ≤ −kill_regression — clear harm that stays valid however often the app looks, never
 * an observed drop alone (the LaunchDarkly guarded-rollout / GrowthBook Safe Rollouts rule, statistics.md §8).
 * The caller checks that the kill rule is armed. Both false for an unusable verdict.
 */
export function regressionTests(
  v: MetricVerdict,
  config: DecisionConfig,
  goal: "increase" | "decrease",
): { regression: boolean; kill: boolean } {
  if (!isUsableVerdict(v)) return { regression: false, kill: false };
  const g = v.goalAdjustedLift;
  const gi = goalInterval(v, goal);
  return {
    regression: v.significantlyWorse && g <= -config.max_regression + LIFT_EPSILON,
    kill: gi !== null && gi[1] <= -config.kill_regression + LIFT_EPSILON,
  };
}

/** Whether the SRM rule fires: χ² p < `srm_alpha`, or (under `decision.sequential`) the sequential SRM p < `srm_alpha`. */
export function srmFires(srm: SrmResult, config: DecisionConfig): boolean {
  return srm.pValue < config.srm_alpha || (config.sequential && srm.sequentialPValue < config.srm_alpha);
}

/** "χ² p = 2.1e-7 < 0.001 (sequential p = 3.0e-4)" — both tests, the one(s) below the threshold marked. */
export function srmEvidence(srm: SrmResult, config: DecisionConfig): string {
  const thr = formatNumber(config.srm_alpha);
  const chi = `χ² p = ${formatP(srm.pValue)}${srm.pValue < config.srm_alpha ? ` < ${thr}` : ` ≥ ${thr}`}`;
  if (!config.sequential) return chi.replace("χ² p", "p");
  const seq = `sequential SRM p = ${formatP(srm.sequentialPValue)}${srm.sequentialPValue < config.srm_alpha ? ` < ${thr}` : ` ≥ ${thr}`}`;
  return `${chi}, ${seq}`;
}

/**
 * The inference in force and N* for the confidence sequences, in the unit of their n: the users of the two
 * arms of one comparison (control + one variant; GrowthBook `SequentialTwoSidedTTest` uses
 * n = n_control + n_variant, statistics.md §12). N* is PostHog's recommended sample size when the
 * experiment has one (PostHog stores the total over all k variants, so for k > 2 its share of one pair,
 * total × 2/k), else `decision.sequential_tuning_sample` as given, else the minimum sample per variant × 2.
 * Two-variant experiments get the total in every case.
 */
export function inferenceSummary(
  experiment: Experiment,
  config: DecisionConfig,
  minSamplePerVariant: number,
  countedVariants: number,
): { summary: InferenceSummary; tuning: number } {
  let tuning: number;
  let source: InferenceSummary["tuningSource"];
  let sourceText: string;
  const arms = Math.max(countedVariants, 2);
  if (experiment.recommendedSampleSize !== null && experiment.recommendedSampleSize > 0) {
    tuning = Math.max(1, Math.round((experiment.recommendedSampleSize * 2) / arms));
    source = "posthog";
    sourceText =
      arms > 2
        ? `PostHog's recommended sample size ${formatCount(experiment.recommendedSampleSize)} for ${arms} variants, the share of control and one variant`
        : "PostHog's recommended sample size";
  } else if (config.sequential_tuning_sample !== undefined) {
    tuning = config.sequential_tuning_sample;
    source = "config";
    sourceText = "sequential_tuning_sample";
  } else {
    tuning = Math.max(1, minSamplePerVariant * 2);
    source = "minimum-sample";
    sourceText = "the minimum sample per variant × 2, control and one variant";
  }
  if (!config.sequential) {
    return {
      tuning,
      summary: {
        mode: "fixed-horizon",
        label: "fixed-horizon",
        tuningSampleSize: null,
        tuningSource: null,
        description:
          "fixed-horizon: p-values and intervals assume one look at the planned sample; looking again and again inflates false positives (decision.sequential is off)",
      },
    };
  }
  return {
    tuning,
    summary: {
      mode: "always-valid",
      label: "always-valid (sequential)",
      tuningSampleSize: tuning,
      tuningSource: source,
      description: `always-valid (sequential): confidence sequences and always-valid p-values (Howard et al. 2021), valid however often the app looks, tuned at ${formatCount(tuning)} users (${sourceText})`,
    },
  };
}

/**
 * Notes the comment must show (plain text, not escaped): each metric whose verdicts use PostHog's own figures
 * and why, and every disagreement between PostHog's `significant` and the app's verdict, with the reason the
 * app differs (always-valid inference, the correction for multiple comparisons, the negative-baseline lift).
 */
export function verdictNotes(analyses: (MetricAnalysis | null)[], inference: InferenceSummary, method: StatsMethod): string[] {
  const notes: string[] = [];
  for (const a of analyses) {
    if (!a) continue;
    const label = `"${a.metric.name}"`;
    const figures = new Set(a.verdicts.map((v) => v.posthogFigures).filter((x): x is string => x !== null));
    for (const f of figures) {
      const withAv = a.verdicts.some((v) => v.posthogFigures === f && v.fixedHorizon !== null);
      notes.push(`${label} uses ${f}${withAv ? ", with the app's always-valid inference on PostHog's estimate and standard error" : ""}.`);
    }
    for (const v of a.verdicts) {
      if (v.error !== null || v.posthogSignificant === null || v.posthogFigures !== null) continue;
      const app = v.significantlyBetter || v.significantlyWorse;
      if (app === v.posthogSignificant) continue;
      const why: string[] = [];
      if (inference.mode === "always-valid") why.push(`the app uses ${inference.label} inference`);
      if (v.threshold !== null && method === "frequentist") why.push(`it needs ${v.fixedHorizon !== null ? "always-valid p" : "p"} < ${formatNumber(v.threshold)}`);
      if (v.threshold !== null && method === "bayesian") why.push(`it needs chance to win ≥ ${formatPercent(v.threshold, 2)}`);
      const evid = method === "frequentist" ? (v.pValue === null ? "" : ` (app: ${v.fixedHorizon !== null ? "always-valid p" : "p"} = ${formatP(v.pValue)})`) : "";
      notes.push(
        `PostHog calls ${v.variant} ${v.posthogSignificant ? "significant" : "not significant"} on ${label}, but the app ${app ? "does" : "does not"}${evid}${why.length > 0 ? `: ${why.join("; ")}` : ""}.`,
      );
    }
  }
  return notes;
}

/** The counted variant with the fewest exposures (ties: the first); null when there is none. */
export function smallestVariant(exposures: Record<string, number>, counted: string[]): { key: string; n: number } | null {
  return counted.reduce<{ key: string; n: number } | null>((acc, key) => {
    const n = exposures[key] ?? 0;
    return acc === null || n < acc.n ? { key, n } : acc;
  }, null);
}
