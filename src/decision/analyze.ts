/**
 * Per-metric analysis for the decision rules: which variants are counted, which metrics are guardrails,
 * and each treatment's verdict against control with the correction for multiple comparisons applied.
 *
 * Pure functions; the statistics come from `src/stats/` (`compareToControl`, `adjustPValues`).
 */
import type { DecisionConfig } from "../config/schema.js";
import type { Experiment, ExposureResult, Metric, MetricArm, MetricResult, StatsMethod } from "../model.js";
import {
  adjustPValues,
  compareToControl,
  MULTIPLE_VARIANTS_KEY,
  perComparisonAlpha,
  type VariantComparison,
  failedComparison,
} from "../stats/index.js";
import { formatNumber, formatPercent } from "../format.js";
import type { AnalysisThresholds, CorrectionSummary, MetricAnalysis, MetricVerdict } from "./types.js";

/** The variants the rules count, and which one is control. */
export interface VariantRoles {
  /** Key of the control variant: `control` when counted, else the first counted variant; null when none is known. */
  control: string | null;
  /** Counted variants in the experiment's order (control included). */
  counted: string[];
  /** Counted variants other than control; m = `treatments.length` comparisons with control. */
  treatments: string[];
}

/**
 * Works out the counted variants and the control.
 *
 * Counted: the experiment's variants minus `excludedVariants` and minus variants with a 0 % rollout (they
 * receive no users; when every variant reads 0 %, the split is unknown and all are kept). When the
 * experiment lists no variants, the keys of `exposures.totals` (without `$multiple` and excluded ones) are
 * used, else the arms of `primary` (baseline first). Control is the variant keyed `control`, else the first
 * counted variant (PostHog's convention).
 *
 * @param experiment the experiment (variants, excluded variants)
 * @param exposures the exposure query result, or null
 * @param primary the primary metric's result, or null (fallback source of variant keys)
 */
export function resolveVariants(
  experiment: Experiment,
  exposures: ExposureResult | null,
  primary: MetricResult | null = null,
): VariantRoles {
  const excluded = new Set(experiment.excludedVariants);
  let counted: string[];
  const listed = experiment.variants.filter((v) => !excluded.has(v.key));
  if (listed.length > 0) {
    const withTraffic = listed.filter((v) => v.rolloutPercentage > 0);
    counted = (withTraffic.length > 0 ? withTraffic : listed).map((v) => v.key);
  } else if (exposures && Object.keys(exposures.totals).length > 0) {
    counted = Object.keys(exposures.totals).filter((k) => k !== MULTIPLE_VARIANTS_KEY && !excluded.has(k));
  } else if (primary) {
    const arms = [primary.baseline, ...primary.variants].filter((a): a is MetricArm => a !== null);
    counted = arms.map((a) => a.key).filter((k) => k !== MULTIPLE_VARIANTS_KEY && !excluded.has(k));
  } else {
    counted = [];
  }
  counted = [...new Set(counted)];
  const control = counted.includes("control") ? "control" : (counted[0] ?? null);
  return { control, counted, treatments: counted.filter((k) => k !== control) };
}

/**
 * Selects the guardrail metrics named by `decision.guardrails`.
 *
 * - `'secondary'`: every secondary metric of the experiment;
 * - `'none'`: none;
 * - a list: the experiment's metrics (primary and secondary) whose name or uuid is in the list, in the
 *   experiment's order (primary first), each at most once. Names that match no metric of this experiment
 *   are skipped: one repository configuration applies to every experiment it references.
 *
 * @returns the metrics, in the experiment's order; never throws
 */
export function selectGuardrails(experiment: Experiment, config: DecisionConfig): Metric[] {
  const sel = config.guardrails;
  if (sel === "none") return [];
  if (sel === "secondary") return [...experiment.secondaryMetrics];
  const wanted = new Set(sel);
  const seen = new Set<string>();
  const out: Metric[] = [];
  for (const m of [...experiment.primaryMetrics, ...experiment.secondaryMetrics]) {
    if ((wanted.has(m.name) || wanted.has(m.uuid)) && !seen.has(m.uuid)) {
      seen.add(m.uuid);
      out.push(m);
    }
  }
  return out;
}

/** Required chance to win per comparison: `1 − (1 − ctw)/m` (Bonferroni on 1 − ctw), `ctw` without correction. */
function requiredChanceToWin(ctw: number, m: number, correction: AnalysisThresholds["correction"]): number {
  if (correction === "none" || m <= 1) return ctw;
  return 1 - (1 - ctw) / m;
}

/**
 * Summarises the correction for multiple comparisons with control.
 *
 * Frequentist: Bonferroni tests each comparison at alpha/m; Holm (step-down, FWER) sorts the m p-values
 * ascending and tests the i-th (from 0) at alpha/(m − i) until one fails; none: alpha.
 * Bayesian: 1 − chance to win is treated as the p-value analogue (one-sided posterior tail), so Bonferroni
 * requires 1 − (1 − ctw)/m and Holm steps from there down to ctw (statistics.md §6).
 *
 * @param method the experiment's statistical method
 * @param t thresholds (alpha and chance to win are fractions 0–1)
 */
export function correctionSummary(method: StatsMethod, t: AnalysisThresholds): CorrectionSummary {
  const m = t.treatments.length;
  const label = t.correction === "bonferroni" ? "Bonferroni" : t.correction === "holm" ? "Holm step-down" : "No correction";
  const count = `${m} comparison${m === 1 ? "" : "s"} with control`;
  if (method === "frequentist") {
    const alpha = m >= 1 ? perComparisonAlpha(t.alpha, m, t.correction) : t.alpha;
    const rule =
      t.correction === "holm" && m > 1
        ? `p < ${formatNumber(alpha)} for the smallest p-value, stepping up to p < ${formatNumber(t.alpha)}`
        : `p < ${formatNumber(alpha)}`;
    return { method: t.correction, comparisons: m, alpha, chanceToWin: null, description: `${label}, ${count}: ${rule}` };
  }
  const need = requiredChanceToWin(t.chanceToWin, m, t.correction);
  const rule =
    t.correction === "holm" && m > 1
      ? `chance to win ≥ ${formatPercent(need, 2)} for the strongest variant, stepping down to ≥ ${formatPercent(t.chanceToWin, 2)} (1 − chance to win as the p-value)`
      : `chance to win ≥ ${formatPercent(need, 2)}`;
  return { method: t.correction, comparisons: m, alpha: null, chanceToWin: need, description: `${label}, ${count}: ${rule}` };
}

/** Holm step-down thresholds per position: the i-th smallest value (from 0) is compared with `level/(m − i)`. */
function holmThresholds(values: number[], level: number): number[] {
  const m = values.length;
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const out = new Array<number>(m).fill(level);
  order.forEach(([, i], rank) => {
    out[i] = level / (m - rank);
  });
  return out;
}

/**
 * Compares every treatment arm of one metric result with control and judges it against the corrected
 * threshold, with the metric's goal applied.
 *
 * - The control arm is the arm keyed `thresholds.control`, else `result.baseline`; treatments are
 *   `thresholds.treatments` (m = their number, also for variants without data, whose verdict carries an error).
 * - Comparisons use `compareToControl` with the experiment's method; frequentist intervals are at the
 *   corrected per-comparison alpha, Bayesian credible intervals at the experiment's `ciLevel`.
 * - Goal: `goalAdjustedLift = ±lift` and `goalAdjustedChanceToWin = ctw` or `1 − ctw` ('decrease' flips).
 * - Frequentist: significant when p < alpha/m (Bonferroni), Holm-adjusted p < alpha (Holm, via
 *   `adjustPValues`; missing p-values count as 1), or p < alpha (none); better/worse by the sign of the
 *   goal-adjusted lift. Bayesian: better when the goal-adjusted chance to win ≥ the required chance to win,
 *   worse when it is ≤ 1 − required (Holm: step-down on 1 − ctw resp. ctw as p-value analogues).
 * - A verdict carries `error` (and no numbers) when its arm is missing, when either arm has a PostHog
 *   validation failure, or when no model applies (e.g. a zero baseline) — see `compareToControl`.
 * - The analysis' `error` is set when the query failed, there is no control arm, or every arm carries a
 *   PostHog validation failure.
 *
 * @param result one `ExperimentQuery` result
 * @param experiment the experiment (stats method, credible level)
 * @param role primary or guardrail
 * @param thresholds control, treatments and uncorrected thresholds (fractions 0–1)
 * @returns the analysis; data problems become errors in the analysis or its verdicts
 * @throws StatsInputError (from `src/stats/`) when `thresholds.alpha` or the experiment's `ciLevel` is not
 *   strictly between 0 and 1
 */
export function analyzeMetric(
  result: MetricResult,
  experiment: Experiment,
  role: "primary" | "guardrail",
  thresholds: AnalysisThresholds,
): MetricAnalysis {
  const metric = result.metric;
  const method = experiment.statsMethod;
  if (result.error !== null) return { metric, role, verdicts: [], error: result.error };
  const arms = [result.baseline, ...result.variants].filter((a): a is MetricArm => a !== null);
  const controlArm = arms.find((a) => a.key === thresholds.control) ?? result.baseline;
  if (!controlArm) {
    return { metric, role, verdicts: [], error: `PostHog returned no data for the control variant "${thresholds.control}".` };
  }
  const m = thresholds.treatments.length;
  const corrected = correctionSummary(method, thresholds);
  const alphaPerComparison = corrected.alpha ?? thresholds.alpha;
  const sign = metric.goal === "decrease" ? -1 : 1;

  const comparisons = thresholds.treatments.map((key) => {
    const arm = arms.find((a) => a.key === key && a !== controlArm);
    if (!arm) return failedComparison(result.metric.metricType, key, method, `PostHog returned no data for variant "${key}".`);
    return compareToControl(
      metric.metricType,
      controlArm,
      arm,
      method,
      method === "frequentist" ? { alpha: alphaPerComparison, ciLevel: experiment.ciLevel } : { ciLevel: experiment.ciLevel },
    );
  });

  const goalLifts = comparisons.map((c) => (c.error === null && c.lift !== null ? sign * c.lift : null));
  const goalCtws = comparisons.map((c) =>
    c.error === null && c.chanceToWin !== null ? (sign === 1 ? c.chanceToWin : 1 - c.chanceToWin) : null,
  );

  let better: boolean[];
  let worse: boolean[];
  let threshold: (number | null)[];
  if (method === "frequentist") {
    const ps = comparisons.map((c) => (c.error === null ? c.pValue : null));
    let significant: boolean[];
    if (thresholds.correction === "holm" && m > 1) {
      const padded = ps.map((p) => p ?? 1);
      const adjusted = adjustPValues(padded, "holm");
      significant = ps.map((p, i) => p !== null && (adjusted[i] ?? 1) < thresholds.alpha);
      const steps = holmThresholds(padded, thresholds.alpha);
      threshold = ps.map((p, i) => (p === null ? null : (steps[i] ?? null)));
    } else {
      significant = ps.map((p) => p !== null && p < alphaPerComparison);
      threshold = ps.map((p) => (p === null ? null : alphaPerComparison));
    }
    better = significant.map((s, i) => s && (goalLifts[i] ?? 0) > 0);
    worse = significant.map((s, i) => s && (goalLifts[i] ?? 0) < 0);
  } else {
    const level = 1 - thresholds.chanceToWin; // family-wise "alpha" analogue
    if (thresholds.correction === "holm" && m > 1) {
      const qBetter = goalCtws.map((g) => (g === null ? 1 : 1 - g));
      const qWorse = goalCtws.map((g) => (g === null ? 1 : g));
      const adjBetter = adjustPValues(qBetter, "holm");
      const adjWorse = adjustPValues(qWorse, "holm");
      better = goalCtws.map((g, i) => g !== null && (adjBetter[i] ?? 1) <= level);
      worse = goalCtws.map((g, i) => g !== null && (adjWorse[i] ?? 1) <= level);
      const steps = holmThresholds(qBetter, level);
      threshold = goalCtws.map((g, i) => (g === null ? null : 1 - (steps[i] ?? level)));
    } else {
      const need = corrected.chanceToWin ?? thresholds.chanceToWin;
      better = goalCtws.map((g) => g !== null && g >= need);
      worse = goalCtws.map((g) => g !== null && g <= 1 - need);
      threshold = goalCtws.map((g) => (g === null ? null : need));
    }
  }

  const verdicts: MetricVerdict[] = comparisons.map((c, i) => ({
    ...c,
    goalAdjustedLift: goalLifts[i] ?? null,
    goalAdjustedChanceToWin: goalCtws[i] ?? null,
    threshold: threshold[i] ?? null,
    significantlyBetter: better[i] ?? false,
    significantlyWorse: worse[i] ?? false,
  }));

  let error: string | null = null;
  if (arms.length > 0 && arms.every((a) => a.validationFailures.length > 0)) {
    const list = arms.map((a) => `${a.key}: ${a.validationFailures.join(", ")}`).join("; ");
    error = `PostHog reported validation failures for every variant (${list}).`;
  }
  return { metric, role, verdicts, error };
}
