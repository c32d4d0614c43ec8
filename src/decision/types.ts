/**
 * Types of the auto-decision rules (`decide()` in `./decide.ts`).
 *
 * Units: lifts, shares and chances to win are fractions 0–1 (0.12 = +12 %), durations are (fractional)
 * days, exposures are counts of users. All values are plain data; nothing here does I/O.
 */
import type { DecisionConfig } from "../config/schema.js";
import type { Experiment, ExposureResult, Metric, MetricResult, StatsMethod } from "../model.js";
import type { SampleProgress, SrmResult, VariantComparison } from "../stats/index.js";

/** What the rules recommend doing with an experiment. */
export type DecisionKind = "promote" | "rollback" | "continue" | "extend" | "stop" | "investigate";

/**
 * Stable ids of the rules, in evaluation order. The rank of a rule is its index here; reasons are
 * listed in this order after the deciding one.
 */
export const RULE_ORDER = [
  "not-launched",
  "srm",
  "kill-regression",
  "below-minimum-sample",
  "significant-regression",
  "guardrail-regression",
  "no-metric-data",
  "significant-win",
  "guardrail-blocks-promote",
  "below-min-improvement",
  "past-max-duration",
  "near-significance",
  "not-yet-significant",
] as const;

/** Stable id of a decision rule (see {@link RULE_ORDER}). */
export type RuleId = (typeof RULE_ORDER)[number];

/** One rule that fired, with a plain-text sentence carrying the numbers that made it fire. */
export interface Reason {
  /**
   * Stable id: "not-launched", "srm", "kill-regression", "below-minimum-sample", "significant-regression",
   * "guardrail-regression", "no-metric-data", "significant-win", "guardrail-blocks-promote",
   * "below-min-improvement", "past-max-duration", "near-significance", "not-yet-significant".
   */
  rule: RuleId;
  /**
   * One plain-text sentence with the numbers, e.g.
   * "SRM: p = 2.1e-7 < 0.001 on 12,345 exposures (control 52.3% vs 50% expected, test 47.7% vs 50% expected)".
   * Not escaped: the renderer escapes it.
   */
  message: string;
}

/**
 * Which inference produced a verdict's p-value/interval: the app's always-valid (sequential) confidence
 * sequence, the app's fixed-horizon test, or PostHog's own per-variant figures (an analysis the app does not
 * reproduce: CUPED, PostHog's sequential mode, an informative prior).
 */
export type VerdictInference = "always-valid" | "fixed-horizon" | "posthog";

/** One treatment variant compared with control on one metric, judged against the corrected threshold. */
export interface MetricVerdict extends VariantComparison {
  /**
   * Which inference the verdict's `pValue`/`interval` (frequentist) come from. Under `always-valid` the
   * frequentist `pValue` and `interval` ARE the always-valid ones; the fixed-horizon figures stay in
   * `fixedHorizon`.
   */
  inference: VerdictInference;
  /** The fixed-horizon p-value and interval when `pValue`/`interval` were replaced by always-valid ones. */
  fixedHorizon: { pValue: number | null; interval: [number, number] | null } | null;
  /** When `inference` is `posthog`: why ("PostHog's CUPED-adjusted figures"); else null. */
  posthogFigures: string | null;
  /**
   * Bayesian under sequential inference: the always-valid p-value must also be below this (the corrected
   * `decision.alpha`) for a significant verdict; null otherwise.
   */
  alwaysValidThreshold: number | null;
  /** PostHog's own `significant` for this variant (uncorrected, at the experiment's level); null when absent. */
  posthogSignificant: boolean | null;
  /** Relative lift with the metric's goal applied: positive = good ('decrease' flips the sign); null when unknown. */
  goalAdjustedLift: number | null;
  /** Bayesian only: P(variant is better than control) with the goal applied ('decrease' → 1 − chanceToWin). */
  goalAdjustedChanceToWin: number | null;
  /**
   * The corrected threshold the verdict was judged against: frequentist — the p-value must be below it
   * (Holm: the step-down threshold of this variant's rank); Bayesian — the goal-adjusted chance to win
   * must reach it. Null when the comparison failed.
   */
  threshold: number | null;
  /** Significantly better than control (goal applied), after the correction for multiple comparisons. */
  significantlyBetter: boolean;
  /** Significantly worse than control (goal applied), after the correction for multiple comparisons. */
  significantlyWorse: boolean;
}

/** The verdicts of one metric. */
export interface MetricAnalysis {
  metric: Metric;
  role: "primary" | "guardrail";
  /** One verdict per non-control counted variant, in the experiment's variant order. */
  verdicts: MetricVerdict[];
  /**
   * Why the metric cannot (fully) be used: the query failed, PostHog returned no control arm, or every
   * arm carries a PostHog validation failure. Null when the data is usable.
   */
  error: string | null;
}

/** Correction for multiple comparisons of each treatment with control. */
export interface CorrectionSummary {
  method: "bonferroni" | "holm" | "none";
  /** m = number of non-control counted variants. */
  comparisons: number;
  /** Frequentist: per-comparison significance level (Holm: the first, strictest step, alpha/m); null for Bayesian. */
  alpha: number | null;
  /** Bayesian: required chance to win per comparison (Bonferroni/Holm first step 1 − (1 − ctw)/m); null for frequentist. */
  chanceToWin: number | null;
  /** e.g. "Bonferroni, 2 comparisons with control: p < 0.025". */
  description: string;
}

/** Which inference the decision rules used (`decision.sequential`). */
export interface InferenceSummary {
  mode: "always-valid" | "fixed-horizon";
  /** "always-valid (sequential)" or "fixed-horizon": what the comment says is in force. */
  label: string;
  /** N*, total users at which the confidence sequences are tightest; null when fixed-horizon. */
  tuningSampleSize: number | null;
  /** Where N* came from; null when fixed-horizon. */
  tuningSource: "posthog" | "config" | "minimum-sample" | null;
  /** One sentence for the comment, e.g. "always-valid (sequential): confidence sequences tuned at 8,000 users (PostHog's recommended sample size)". */
  description: string;
}

/** The result of {@link decide}. */
export interface Decision {
  /** Which inference is in force. Always set by `decide()`; optional so hand-built decisions stay valid. */
  inference?: InferenceSummary;
  /**
   * Plain-text notes the comment must show: which verdicts use PostHog's own figures and why, and every
   * disagreement between PostHog's `significant` and the app's verdict (never silent). Not escaped. Always
   * set by `decide()` (possibly empty).
   */
  notes?: string[];
  decision: DecisionKind;
  /**
   * The control (baseline) variant every verdict was compared with (`resolveVariants`: PostHog's
   * `baseline_variant_key`, else the primary response's baseline arm, else `control`, else the first
   * variant); null when unknown. A rollback ships this variant. Always set by `decide()`; optional so
   * hand-built decisions stay valid.
   */
  control?: string | null;
  /**
   * promote: the winning variant; rollback: the variant that regressed worst; stop on a too-small
   * significant lift, extend and guardrail-blocked promotion: the best variant; otherwise null.
   */
  variant: string | null;
  /** The rule that decided first, then the other rules that fired, in {@link RULE_ORDER}. */
  reasons: Reason[];
  method: StatsMethod;
  correction: CorrectionSummary;
  /** SRM test on the exposures; null when not tested (too few exposures or fewer than 2 counted variants). */
  srm: SrmResult | null;
  /** Analysis of the first primary metric; null when the experiment has none. */
  primary: MetricAnalysis | null;
  guardrails: MetricAnalysis[];
  /** Exposures per counted variant (no `$multiple`, no excluded variants). */
  exposures: Record<string, number>;
  sample: SampleProgress | null;
  minSamplePerVariant: number;
  minSampleSource: "posthog" | "config";
  maxDurationDays: number;
  maxDurationSource: "posthog" | "config";
  /** Fractional days from start date to end date (or `now` while running); null without a start date. */
  daysRunning: number | null;
}

/** Input of {@link decide}. */
export interface DecisionInput {
  experiment: Experiment;
  /** The experiment's exposure query; null when unavailable (exposures then come from the primary metric). */
  exposures: ExposureResult | null;
  /** One result per metric that was queried (matched to metrics by uuid). */
  metricResults: MetricResult[];
  config: DecisionConfig;
  now: Date;
}

/** Thresholds and variant roles used to judge one metric ({@link analyzeMetric}). */
export interface AnalysisThresholds {
  /** Key of the control (baseline) variant. */
  control: string;
  /** Frequentist verdicts use always-valid inference (`decision.sequential`). */
  sequential?: boolean;
  /** N*, total users, for the confidence sequences (always computed, for the kill rule); default 10,000. */
  tuningSampleSize?: number;
  /** Non-control counted variants, in the experiment's order; m = their number. */
  treatments: string[];
  /** Frequentist family-wise significance level before correction (`decision.alpha`). */
  alpha: number;
  /** Bayesian chance to win required before correction (`decision.chance_to_win`). */
  chanceToWin: number;
  correction: "bonferroni" | "holm" | "none";
}

/** Thrown when the input of the decision rules is malformed (bad dates, a non-finite `now`). */
export class DecisionInputError extends Error {
  override readonly name = "DecisionInputError";
}
