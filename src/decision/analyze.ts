/**
 * Per-metric analysis for the decision rules: which variants are counted, which metrics are guardrails,
 * and each treatment's verdict against control with the correction for multiple comparisons applied.
 *
 * Pure functions; the statistics come from `src/stats/` (`compareToControl`, `adjustPValues`).
 */
import type { DecisionConfig } from "../config/schema.js";
import { DEFAULT_ANALYSIS, type AnalysisSettings, type Experiment, type ExposureResult, type Metric, type MetricArm, type MetricResult, type StatsMethod } from "../model.js";
import {
  adjustPValues,
  alwaysValid,
  normalQuantile,
  compareToControl,
  MULTIPLE_VARIANTS_KEY,
  perComparisonAlpha,
  type VariantComparison,
  failedComparison,
} from "../stats/index.js";
import { formatNumber, formatPercent } from "../format.js";
import type { AnalysisThresholds, CorrectionSummary, MetricAnalysis, MetricVerdict, VerdictInference } from "./types.js";

/** The variants the rules count, and which one is control. */
export interface VariantRoles {
  /**
   * Key of the control (baseline) variant: the experiment's `analysis.baselineVariantKey`, else the primary
   * metric response's baseline arm, else `control`, else the first counted variant (each only when counted);
   * null when none is known.
   */
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
 * used, else the arms of `primary` (baseline first). Control is, in order and only when counted: the
 * experiment's `analysis.baselineVariantKey` (`stats_config.baseline_variant_key`), the key of the primary
 * response's baseline arm, the variant keyed `control`, the first counted variant — never assumed to be
 * `control` (posthog-api.md §11).
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
    counted = Object.keys(exposures.totals).filter((k) => k !== MULTIPLE_VARIANTS_KEY && !k.startsWith("holdout-") && !excluded.has(k));
  } else if (primary) {
    const arms = metricArms(primary);
    counted = arms.map((a) => a.key).filter((k) => k !== MULTIPLE_VARIANTS_KEY && !excluded.has(k));
  } else {
    counted = [];
  }
  counted = [...new Set(counted)];
  const candidates = [experiment.analysis?.baselineVariantKey ?? null, primary?.baseline?.key ?? null, "control"];
  const control = candidates.find((k): k is string => k !== null && counted.includes(k)) ?? counted[0] ?? null;
  return { control, counted, treatments: counted.filter((k) => k !== control) };
}

/**
 * The arms of one metric result, baseline first then the variants in PostHog's order, without a missing
 * baseline. Empty for a null or undefined result.
 */
export function metricArms(result: MetricResult | null | undefined): MetricArm[] {
  return result ? [result.baseline, ...result.variants].filter((a): a is MetricArm => a !== null) : [];
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
 *   corrected per-comparison alpha, Bayesian credible intervals at the experiment's `ciLevel`. The
 *   always-valid p-value and confidence sequence (`alwaysValid`, tuned at `thresholds.tuningSampleSize` total
 *   users, at `alpha`/m) are always computed — the kill rule uses them. With `thresholds.sequential` the
 *   frequentist `pValue`/`interval` are the always-valid ones (fixed-horizon kept in `fixedHorizon`), and a
 *   Bayesian verdict is significant only when its always-valid p is also below `alpha`/m.
 * - PostHog's own figures replace the recomputation where PostHog's analysis is not reproduced (CUPED or
 *   an arm flagged `adjusted`, PostHog's sequential mode, an informative prior; `posthogFigures` says which),
 *   and for metric kinds the app does not model. A `pending` result is "still computing", not an error of the
 *   data.
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
  if (result.pending === true) {
    return { metric, role, verdicts: [], error: "PostHog is still computing this metric (its query has not finished yet)." };
  }
  if (result.error !== null) return { metric, role, verdicts: [], error: result.error };
  const arms = metricArms(result);
  const controlArm = arms.find((a) => a.key === thresholds.control) ?? result.baseline;
  if (!controlArm) {
    return { metric, role, verdicts: [], error: `PostHog returned no data for the control variant "${thresholds.control}".` };
  }
  const m = thresholds.treatments.length;
  const corrected = correctionSummary(method, thresholds);
  const alphaPerComparison = corrected.alpha ?? thresholds.alpha;
  const sign = metric.goal === "decrease" ? -1 : 1;
  const sequential = thresholds.sequential ?? false;
  const tuningSampleSize = thresholds.tuningSampleSize ?? DEFAULT_TUNING_SAMPLE;
  // Level of the always-valid evidence: decision.alpha with the Bonferroni/Holm first step (conservative for Holm).
  const avAlpha = thresholds.correction === "none" || m <= 1 ? thresholds.alpha : thresholds.alpha / m;
  const analysis = experiment.analysis ?? DEFAULT_ANALYSIS;

  const comparisons = thresholds.treatments.map((key): { c: VariantComparison; ph: string | null; phSig: boolean | null } => {
    const arm = arms.find((a) => a.key === key && a !== controlArm);
    if (!arm) return { c: failedComparison(result.metric.metricType, key, method, `PostHog returned no data for variant "${key}".`), ph: null, phSig: null };
    const phSig = arm.posthog?.significant ?? null;
    const own = compareToControl(metric.metricType, controlArm, arm, method, {
      ...(method === "frequentist" ? { alpha: alphaPerComparison } : {}),
      ciLevel: experiment.ciLevel,
      sequential: { alpha: avAlpha, tuningSampleSize },
    });
    const why =
      posthogFiguresReason(analysis, method, arm) ??
      (own.model === "posthog" ? "PostHog's own figures (the app does not recompute this metric)" : null);
    if (why === null || own.error !== null) return { c: own, ph: null, phSig };
    const fromPosthog = posthogComparison(own, controlArm, arm, method, experiment, analysis, avAlpha, tuningSampleSize);
    return fromPosthog ? { c: fromPosthog, ph: why, phSig } : { c: own, ph: null, phSig };
  });

  // Frequentist under sequential inference: the always-valid p-value and confidence sequence replace the
  // fixed-horizon ones (kept in `fixedHorizon`). PostHog's own sequential figures are already always-valid.
  const judged = comparisons.map(({ c, ph }) => {
    const useAv = sequential && method === "frequentist" && c.alwaysValid && !(c.model === "posthog" && analysis.sequential);
    const inference: VerdictInference = ph !== null ? "posthog" : sequential ? "always-valid" : "fixed-horizon";
    if (useAv && c.alwaysValid) {
      return {
        c: { ...c, pValue: c.alwaysValid.pValue, interval: c.alwaysValid.interval },
        inference,
        fixedHorizon: { pValue: c.pValue, interval: c.interval },
      };
    }
    return { c, inference, fixedHorizon: null };
  });

  const goalLifts = judged.map(({ c }) => (c.error === null && c.lift !== null ? sign * c.lift : null));
  const goalCtws = judged.map(({ c }) =>
    c.error === null && c.chanceToWin !== null ? (sign === 1 ? c.chanceToWin : 1 - c.chanceToWin) : null,
  );

  let better: boolean[];
  let worse: boolean[];
  let threshold: (number | null)[];
  if (method === "frequentist") {
    const ps = judged.map(({ c }) => (c.error === null ? c.pValue : null));
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
    if (sequential) {
      // Bayesian under sequential inference: the posterior must also carry always-valid evidence (the
      // normal-mixture Bayes factor ≥ 1/α, i.e. always-valid p < α), so a verdict stays valid under repeated
      // looks (Johari et al. 2017; Deng, Lu & Chen 2016). PostHog's own sequential mode is frequentist only.
      const evidenceOk = judged.map(({ c }) => c.alwaysValid != null && c.alwaysValid.pValue < avAlpha);
      better = better.map((b, i) => b && (evidenceOk[i] ?? false));
      worse = worse.map((w, i) => w && (evidenceOk[i] ?? false));
    }
  }

  const verdicts: MetricVerdict[] = judged.map(({ c, inference, fixedHorizon }, i) => ({
    ...c,
    inference,
    fixedHorizon,
    posthogFigures: comparisons[i]?.ph ?? null,
    alwaysValidThreshold: method === "bayesian" && sequential ? avAlpha : null,
    posthogSignificant: comparisons[i]?.phSig ?? null,
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

/** Default N* (total users) of the confidence sequences when nothing else is known (Eppo's N_tune). */
export const DEFAULT_TUNING_SAMPLE = 10_000;

/**
 * Why a variant's verdict must use PostHog's own figures, or null when the app reproduces PostHog's analysis:
 * CUPED (`analysis.cuped` or the arm's `covariate_*` fields), PostHog's frequentist sequential mode, or a
 * Bayesian informative prior (posthog-api.md §11).
 */
function posthogFiguresReason(analysis: AnalysisSettings, method: StatsMethod, arm: MetricArm): string | null {
  if (analysis.cuped || arm.posthog?.adjusted === true) return "PostHog's CUPED-adjusted figures";
  if (analysis.sequential && method === "frequentist") return "PostHog's sequential (always-valid) figures";
  if (analysis.informativePrior && method === "bayesian") return "PostHog's figures with the experiment's informative prior";
  return null;
}

/**
 * A comparison from PostHog's per-variant figures: lift = the midpoint of PostHog's (symmetric) interval on
 * the relative lift, PostHog's p-value / chance to win / interval. The always-valid evidence is PostHog's own
 * under its sequential mode; otherwise it is built on PostHog's estimate with the standard error read back
 * from its interval (half-width / z at the experiment's level), so the kill rule and the app's sequential
 * mode stay valid on adjusted figures. Null when PostHog sent no usable figures.
 */
function posthogComparison(
  own: VariantComparison,
  control: MetricArm,
  arm: MetricArm,
  method: StatsMethod,
  experiment: Experiment,
  analysis: AnalysisSettings,
  avAlpha: number,
  tuningSampleSize: number,
): VariantComparison | null {
  const ph = arm.posthog;
  if (!ph) return null;
  const usable = method === "frequentist" ? ph.pValue !== null || ph.interval !== null : ph.chanceToWin !== null || ph.interval !== null;
  if (!usable) return null;
  const interval = ph.interval;
  const lift = interval ? (interval[0] + interval[1]) / 2 : own.lift;
  let av: VariantComparison["alwaysValid"] = null;
  if (interval && lift !== null) {
    if (analysis.sequential && method === "frequentist") {
      av = { pValue: ph.pValue ?? 1, interval, alpha: experiment.alpha, tuningSampleSize };
    } else {
      const level = method === "frequentist" ? 1 - experiment.alpha : experiment.ciLevel;
      const z = normalQuantile(1 - (1 - level) / 2);
      const se = (interval[1] - interval[0]) / (2 * z);
      const n = control.numberOfSamples + arm.numberOfSamples;
      if (se > 0 && n > 0) {
        const r = alwaysValid(lift, se, n, avAlpha, tuningSampleSize);
        av = { pValue: r.pValue, interval: r.interval, alpha: avAlpha, tuningSampleSize };
      }
    }
  }
  return {
    ...own,
    method,
    model: "posthog",
    lift,
    interval,
    pValue: method === "frequentist" ? ph.pValue : null,
    chanceToWin: method === "bayesian" ? ph.chanceToWin : null,
    expectedLoss: null,
    expectedLossUnits: null,
    error: null,
    alwaysValid: av,
  };
}
