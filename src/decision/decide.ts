/**
 * The auto-decision rules: one pure function from (experiment, exposures, metric results, config, now) to a
 * recommendation and the reasons that fired.
 *
 * Inference (`decision.sequential`, default on; docs/statistics.md): frequentist verdicts use always-valid
 * confidence sequences and p-values (Howard et al. 2021; Waudby-Smith et al. 2023), tuned at PostHog's
 * recommended sample size (else `sequential_tuning_sample`, else the minimum sample × variants); Bayesian
 * verdicts additionally need always-valid evidence (always-valid p < the corrected `alpha`). Off: fixed-horizon.
 * Where PostHog analyses with something the app does not reproduce (CUPED, its sequential mode, an
 * informative prior) the verdict uses PostHog's per-variant figures; `notes` says so and states every
 * disagreement with PostHog's `significant`.
 *
 * Rules in order (every number from `decision.*` in `.github/experiment-hygiene.yml`, fractions 0–1):
 *  0. not-launched — a draft experiment: continue.
 *  1. srm — sample ratio mismatch once counted exposures ≥ `srm_min_exposures`: χ² p < `srm_alpha`, or under
 *     sequential inference the anytime-valid sequential SRM p < `srm_alpha` (Lindon & Malek 2022): investigate.
 *     (PostHog, GrowthBook, Statsig, Eppo all block decisions on SRM at p < 0.001; statistics.md §7, §8, §13.)
 *  2. kill-regression — once every counted variant has ≥ `kill_min_exposures`, the always-valid confidence
 *     sequence of the primary or a guardrail metric lies entirely beyond −`kill_regression` (goal-adjusted):
 *     rollback, even before the minimum sample. Never on an observed drop alone (LaunchDarkly guarded
 *     rollouts / GrowthBook Safe Rollouts, statistics.md §8, §12).
 *  3. below-minimum-sample — a variant below the minimum sample and the experiment younger than its maximum
 *     duration: continue (promote, stop and the other rollbacks wait; statistics.md §9).
 *  4. significant-regression / guardrail-regression — the primary or a guardrail metric significantly worse
 *     (corrected) by ≥ `max_regression`: rollback (GrowthBook "Clear Signals", statistics.md §8).
 *  -  no-metric-data — no primary metric, its query failed or is still computing, or every arm has a
 *     validation failure: continue.
 *  5. significant-win — the best variant significantly better (corrected), lift ≥ `min_improvement`, no
 *     guardrail significantly worse: promote; guardrail-blocks-promote when a guardrail is: continue
 *     (stop once past the maximum duration).
 *  6. below-min-improvement — significant but lift < `min_improvement`: stop; past-max-duration — past the
 *     maximum duration and not near significance: stop.
 *  7. near-significance — past the maximum duration and near significance (fixed-horizon p under
 *     sequential inference): extend.
 *  8. not-yet-significant — otherwise: continue.
 */
import type { Experiment, MetricResult } from "../model.js";
import { experimentSrm, sampleProgress, type SampleProgress, type SrmResult } from "../stats/index.js";
import { analyzeMetric, correctionSummary, metricArms, resolveVariants, selectGuardrails } from "./analyze.js";
import { formatCount, formatLift, formatPercent } from "../format.js";
import {
  bestVerdict,
  formatInterval,
  goalInterval,
  inferenceSummary,
  srmEvidence,
  srmFires,
  verdictNotes,
  dayText as dayTextOf,
  evidence,
  isUsableVerdict,
  LIFT_EPSILON,
  metricLabel,
  nearSignificance,
  regressionTests,
  significanceNeed,
  smallestVariant,
  srmShares,
} from "./wording.js";
import {
  DecisionInputError,
  RULE_ORDER,
  type AnalysisThresholds,
  type Decision,
  type DecisionInput,
  type DecisionKind,
  type MetricAnalysis,
  type Reason,
  type RuleId,
} from "./types.js";

const MS_PER_DAY = 86_400_000;

interface Fired {
  rule: RuleId;
  kind: DecisionKind;
  message: string;
  variant: string | null;
  /** For rollback: the goal-adjusted lift, to pick the worst variant. */
  goalLift?: number;
}

function parseDate(value: string, field: string): number {
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new DecisionInputError(`experiment.${field} is not an ISO 8601 date: "${value}"`);
  return t;
}

/** Fractional days from the start date to the end date (capped at `now`) or `now`; null without a start date. */
function daysRunningOf(experiment: Experiment, now: Date): number | null {
  if (!experiment.startDate) return null;
  const start = parseDate(experiment.startDate, "startDate");
  const end = experiment.endDate ? Math.min(parseDate(experiment.endDate, "endDate"), now.getTime()) : now.getTime();
  return Math.max(0, (end - start) / MS_PER_DAY);
}

function exposuresFromArms(result: MetricResult | null, counted: string[]): Record<string, number> | null {
  if (!result || result.error !== null) return null;
  const arms = metricArms(result);
  if (arms.length === 0) return null;
  const out: Record<string, number> = {};
  for (const key of counted) out[key] = arms.find((a) => a.key === key)?.numberOfSamples ?? 0;
  return out;
}

/**
 * Applies the decision rules to one experiment.
 *
 * Inputs: the normalised experiment, its exposure result (or null: exposures then come from the primary
 * metric arms' `numberOfSamples`), the metric results (matched by metric uuid), the `decision` config
 * (fractions 0–1, days) and the evaluation time. The primary metric is the experiment's first primary
 * metric; guardrails are {@link selectGuardrails} minus that metric. The minimum sample per variant is
 * `ceil(experiment.recommendedSampleSize / counted variants)` when PostHog has one (it stores the total),
 * else `min_sample_per_variant`; the maximum duration is `recommendedRunningTimeDays`, else
 * `max_duration_days`. "Past the maximum duration" means days running ≥ maximum. Near significance is
 * corrected like significance: p < `near_alpha`/m (Holm: its first step; none: `near_alpha`), or chance to
 * win ≥ 1 − (1 − `near_chance_to_win`)/m, in the goal's direction.
 *
 * @returns the decision, every rule that fired (deciding rule first, then in rule order) and the analyses
 * @throws DecisionInputError when `now` is invalid or the experiment's dates are not ISO 8601
 * @throws StatsInputError (from `src/stats/`) on impossible numbers: negative exposure counts, `decision.alpha`
 *   of exactly 0 or 1 for a frequentist experiment, a holdout of 100 %
 */
export function decide(input: DecisionInput): Decision {
  const { experiment, exposures, metricResults, config, now } = input;
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) {
    throw new DecisionInputError("now must be a valid Date");
  }
  const method = experiment.statsMethod;

  const primaryMetric =
    experiment.primaryMetrics[0] ?? metricResults.find((r) => r.metric.role === "primary")?.metric ?? null;
  const primaryResult = primaryMetric ? (metricResults.find((r) => r.metric.uuid === primaryMetric.uuid) ?? null) : null;

  const roles = resolveVariants(experiment, exposures, primaryResult);

  // Duration and minimum sample.
  const daysRunning = daysRunningOf(experiment, now);
  const fromPosthogDays = experiment.recommendedRunningTimeDays !== null && experiment.recommendedRunningTimeDays > 0;
  const maxDurationDays = fromPosthogDays ? (experiment.recommendedRunningTimeDays as number) : config.max_duration_days;
  const maxDurationSource = fromPosthogDays ? ("posthog" as const) : ("config" as const);
  const fromPosthogSample =
    experiment.recommendedSampleSize !== null && experiment.recommendedSampleSize > 0 && roles.counted.length > 0;
  const minSamplePerVariant = fromPosthogSample
    ? Math.ceil((experiment.recommendedSampleSize as number) / roles.counted.length)
    : config.min_sample_per_variant;
  const minSampleSource = fromPosthogSample ? ("posthog" as const) : ("config" as const);
  const pastMax = daysRunning !== null && daysRunning >= maxDurationDays;

  const inference = inferenceSummary(experiment, config, minSamplePerVariant, roles.counted.length);
  const thresholds: AnalysisThresholds = {
    control: roles.control ?? primaryResult?.baseline?.key ?? "control",
    treatments: roles.treatments,
    alpha: config.alpha,
    chanceToWin: config.chance_to_win,
    correction: config.correction,
    sequential: config.sequential,
    tuningSampleSize: inference.tuning,
  };
  const correction = correctionSummary(method, thresholds);
  const m = roles.treatments.length;

  // Metric analyses.
  let primary: MetricAnalysis | null = null;
  if (primaryMetric) {
    primary = primaryResult
      ? analyzeMetric(primaryResult, experiment, "primary", thresholds)
      : { metric: primaryMetric, role: "primary", verdicts: [], error: `No result for the primary metric "${primaryMetric.name}".` };
  }
  const guardrails: MetricAnalysis[] = selectGuardrails(experiment, config)
    .filter((g) => g.uuid !== primaryMetric?.uuid)
    .map((g) => {
      const r = metricResults.find((x) => x.metric.uuid === g.uuid);
      return r
        ? analyzeMetric(r, experiment, "guardrail", thresholds)
        : { metric: g, role: "guardrail" as const, verdicts: [], error: `No result for the guardrail metric "${g.name}".` };
    });

  // Exposures per counted variant.
  let exposureCounts: Record<string, number> | null;
  if (exposures) {
    exposureCounts = {};
    for (const key of roles.counted) exposureCounts[key] = exposures.totals[key] ?? 0;
  } else {
    exposureCounts = exposuresFromArms(primaryResult, roles.counted);
  }
  const exposureRecord = exposureCounts ?? {};
  const known = exposureCounts !== null && roles.counted.length > 0;

  const sample: SampleProgress | null = known && minSamplePerVariant > 0 ? sampleProgress(exposureRecord, minSamplePerVariant, daysRunning ?? 0) : null;

  // SRM on the exposure totals (or the primary arms' sample counts when the exposure query is missing).
  let srm: SrmResult | null = null;
  const srmTotals = exposures ? exposures.totals : exposureCounts;
  if (srmTotals && experiment.variants.length > 0) {
    srm = experimentSrm(experiment, srmTotals, config.srm_min_exposures);
  }

  const base = {
    control: roles.control ?? primaryResult?.baseline?.key ?? null,
    inference: inference.summary,
    notes: verdictNotes([primary, ...guardrails], inference.summary, method),
    method,
    correction,
    srm,
    primary,
    guardrails,
    exposures: exposureRecord,
    sample,
    minSamplePerVariant,
    minSampleSource,
    maxDurationDays,
    maxDurationSource,
    daysRunning,
  };
  const dayText = dayTextOf(daysRunning, maxDurationDays);

  // 0. Draft: nothing to decide.
  if (experiment.status === "draft") {
    return {
      ...base,
      decision: "continue",
      variant: null,
      reasons: [{ rule: "not-launched", message: `Experiment "${experiment.name}" is a draft: it has not been launched yet.` }],
    };
  }

  const fired: Fired[] = [];

  // 1. SRM: the χ² or (under sequential inference) the anytime-valid sequential test below srm_alpha.
  if (srm && srmFires(srm, config)) {
    const shares = srmShares(srm);
    fired.push({
      rule: "srm",
      kind: "investigate",
      variant: null,
      message: `SRM: ${srmEvidence(srm, config)} on ${formatCount(srm.total)} exposures (${shares}).`,
    });
  }

  // 2. Rollback.
  const smallest = smallestVariant(exposureRecord, roles.counted);
  const killArmed = known && smallest !== null && smallest.n >= config.kill_min_exposures;
  const regressionFired: Fired[] = [];
  const killFired: Fired[] = [];
  for (const analysis of [primary, ...guardrails]) {
    if (!analysis) continue;
    for (const v of analysis.verdicts) {
      if (!isUsableVerdict(v)) continue;
      const g = v.goalAdjustedLift;
      const label = metricLabel(analysis.metric, analysis.role);
      const tests = regressionTests(v, config, analysis.metric.goal);
      if (tests.regression) {
        regressionFired.push({
          rule: analysis.role === "primary" ? "significant-regression" : "guardrail-regression",
          kind: "rollback",
          variant: v.variant,
          goalLift: g,
          message: `${v.variant} is significantly worse than control on ${label}: ${formatLift(v.lift)} (${evidence(v, "worse")}), a regression of at least the ${formatPercent(config.max_regression, 2)} max_regression.`,
        });
      }
      if (killArmed && tests.kill) {
        killFired.push({
          rule: "kill-regression",
          kind: "rollback",
          variant: v.variant,
          goalLift: g,
          message: `${v.variant} is ${formatLift(v.lift)} against control on ${label}, and its always-valid ${formatPercent(1 - (v.alwaysValid?.alpha ?? config.alpha), 2)} interval ${formatInterval(goalInterval(v, analysis.metric.goal))} (goal-adjusted) lies entirely beyond the ${formatPercent(config.kill_regression, 2)} kill_regression, with every variant at ≥ ${formatCount(config.kill_min_exposures)} exposures (smallest: ${smallest?.key} ${formatCount(smallest?.n ?? 0)}); valid however often the app looks.`,
        });
      }
    }
  }
  // Primary significant regressions before guardrail ones (rule order), then kills.
  fired.push(...regressionFired.filter((f) => f.rule === "significant-regression"));
  fired.push(...regressionFired.filter((f) => f.rule === "guardrail-regression"));
  fired.push(...killFired);

  // No usable primary data.
  const primaryUsable = primary !== null && primary.error === null && primary.verdicts.some((v) => v.error === null);
  if (!primaryUsable) {
    let why: string;
    if (primaryResult?.pending === true && primary) {
      why = `PostHog is still computing the primary metric "${primary.metric.name}" (its query has not finished); the rules wait for it.`;
    } else if (!primary) why = `Experiment "${experiment.name}" has no primary metric, so no promote/stop decision is possible.`;
    else if (primary.error) why = `No usable data for the primary metric "${primary.metric.name}": ${primary.error}`;
    else if (primary.verdicts.length === 0) why = `No usable data for the primary metric "${primary.metric.name}": no variant to compare with control.`;
    else
      why = `No usable data for the primary metric "${primary.metric.name}": ${primary.verdicts.map((v) => `${v.variant}: ${v.error}`).join("; ")}`;
    fired.push({ rule: "no-metric-data", kind: "continue", variant: null, message: why });
  }

  // 3. Minimum sample.
  if (known && !pastMax) {
    const below = roles.counted.filter((k) => (exposureRecord[k] ?? 0) < minSamplePerVariant);
    if (below.length > 0) {
      const source = fromPosthogSample
        ? `PostHog's recommended sample size ${formatCount(experiment.recommendedSampleSize as number)} / ${roles.counted.length} variants`
        : "min_sample_per_variant";
      const list = below.map((k) => `${k} has ${formatCount(exposureRecord[k] ?? 0)}`).join(", ");
      fired.push({
        rule: "below-minimum-sample",
        kind: "continue",
        variant: null,
        message: `Below the minimum sample: ${list} of ${formatCount(minSamplePerVariant)} exposures needed per variant (${source}); ${dayText}.`,
      });
    }
  }

  // 4–6. Promote, stop, extend — on the best variant of the primary metric.
  const best = primaryUsable && primary ? bestVerdict(primary) : null;
  if (primary && best && best.goalAdjustedLift !== null && best.lift !== null) {
    const label = metricLabel(primary.metric, "primary");
    const g = best.goalAdjustedLift;
    if (best.significantlyBetter) {
      if (g >= config.min_improvement - LIFT_EPSILON) {
        const blockers = guardrails.flatMap((a) =>
          a.verdicts.filter((v) => v.variant === best.variant && v.significantlyWorse).map((v) => ({ a, v })),
        );
        if (blockers.length === 0) {
          fired.push({
            rule: "significant-win",
            kind: "promote",
            variant: best.variant,
            message: `${best.variant} is significantly better than control on ${label}: ${formatLift(best.lift)} (${evidence(best, "better")}), at least the ${formatPercent(config.min_improvement, 2)} min_improvement, and no guardrail is significantly worse.`,
          });
        } else {
          const hurt = blockers
            .map(({ a, v }) => `${metricLabel(a.metric, "guardrail")}: ${v.lift === null ? "" : `${formatLift(v.lift)} `}(${evidence(v, "worse")})`)
            .join(", ");
          fired.push({
            rule: "guardrail-blocks-promote",
            kind: pastMax ? "stop" : "continue",
            variant: best.variant,
            message: `${best.variant} is significantly better than control on ${label} (${formatLift(best.lift)}, ${evidence(best, "better")}) but significantly worse on ${hurt}, so it is not promoted${pastMax ? `; past the maximum duration (${dayText})` : ""}.`,
          });
        }
      } else {
        fired.push({
          rule: "below-min-improvement",
          kind: "stop",
          variant: best.variant,
          message: `${best.variant} is significantly better than control on ${label} but only ${formatLift(best.lift)} (${evidence(best, "better")}), below the ${formatPercent(config.min_improvement, 2)} min_improvement.`,
        });
      }
    } else if (pastMax) {
      const { near, text: nearText } = nearSignificance(best, method, config, m);
      const source = fromPosthogDays ? "PostHog's recommended running time" : "max_duration_days";
      if (near) {
        fired.push({
          rule: "near-significance",
          kind: "extend",
          variant: best.variant,
          message: `Past the maximum duration (${dayText}, ${source}) and ${best.variant} is near significance on ${label}: ${formatLift(best.lift)} (${nearText}; significance needs ${significanceNeed(best)}).`,
        });
      } else {
        fired.push({
          rule: "past-max-duration",
          kind: "stop",
          variant: null,
          message: `Past the maximum duration (${dayText}, ${source}) and the best variant ${best.variant} is not near significance on ${label}: ${formatLift(best.lift)} (${nearText}).`,
        });
      }
    }
  } else if (primaryUsable && pastMax) {
    fired.push({
      rule: "past-max-duration",
      kind: "stop",
      variant: null,
      message: `Past the maximum duration (${dayText}) and no variant has a usable lift on the primary metric.`,
    });
  }

  // Order by rule; the first decides.
  const rank = (r: RuleId) => RULE_ORDER.indexOf(r);
  const ordered = fired.map((f, i) => ({ f, i })).sort((a, b) => rank(a.f.rule) - rank(b.f.rule) || a.i - b.i).map((x) => x.f);
  const first = ordered[0];
  if (!first) {
    const status =
      best && best.lift !== null
        ? `best is ${best.variant} at ${formatLift(best.lift)} (${evidence(best, "better")}${best.significantlyWorse ? ", significantly worse" : ""})`
        : "no variant has a usable lift";
    return {
      ...base,
      decision: "continue",
      variant: null,
      reasons: [
        {
          rule: "not-yet-significant",
          message: `No variant is significantly better than control on ${primary ? metricLabel(primary.metric, "primary") : "the primary metric"} yet: ${status}; ${dayText}.`,
        },
      ],
    };
  }
  let variant = first.variant;
  if (first.kind === "rollback") {
    const worst = ordered
      .filter((f) => f.kind === "rollback" && f.goalLift !== undefined)
      .reduce<Fired | null>((acc, f) => (acc === null || (f.goalLift ?? 0) < (acc.goalLift ?? 0) ? f : acc), null);
    variant = worst?.variant ?? first.variant;
  }
  const reasons: Reason[] = ordered.map((f) => ({ rule: f.rule, message: f.message }));
  return { ...base, decision: first.kind, variant, reasons };
}
