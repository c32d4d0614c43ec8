/**
 * Broken primary metric: exposures are healthy but a primary metric returns no data, or validation failures
 * in every arm (PostHog scout, posthog-api.md §10: "`data: null` or `validation_failures` in all arms";
 * validation failure codes in §4).
 *
 * "Healthy exposures" = at least `srmMinExposures` counted exposures and at least
 * {@link BROKEN_METRIC_MIN_ARM_EXPOSURES} in every counted variant, so PostHog's own
 * `not-enough-exposures` (< 50 per arm) cannot be the honest explanation. A failure in some arms only —
 * e.g. `not-enough-metric-data` on the control for an event only the treatment sends — is expected, not a
 * fault.
 */
import type { Experiment, MetricArm, MetricResult } from "../model.js";
import { formatCount } from "../format.js";
import type { DetectorConfig, ExperimentData, Finding } from "./types.js";
import { MULTIPLE_KEY, assertNow, baseFinding, isLiveRun, q } from "./util.js";

/** Minimum exposures per counted variant for exposures to count as healthy (2 × PostHog's 50). */
export const BROKEN_METRIC_MIN_ARM_EXPOSURES = 100;

/**
 * Why one primary metric is considered broken, or null when it is not. A metric PostHog is still computing
 * (`pending`: an async query not finished by the client's deadline) is not broken.
 */
export function metricBreakage(result: MetricResult): { reason: "error" | "no-data" | "all-arms-failing"; detail: string } | null {
  if (result.pending === true && result.error === null) return null;
  if (result.error !== null) return { reason: "error", detail: result.error };
  const arms: MetricArm[] = [...(result.baseline ? [result.baseline] : []), ...result.variants];
  if (result.baseline === null || arms.length === 0) return { reason: "no-data", detail: "no baseline data returned" };
  if (arms.every((a) => a.validationFailures.length > 0)) {
    const codes = [...new Set(arms.flatMap((a) => a.validationFailures))];
    return { reason: "all-arms-failing", detail: `validation failures in every arm: ${codes.join(", ")}` };
  }
  return null;
}

/**
 * Detect primary metrics that return nothing usable while exposures are healthy.
 *
 * @returns a P2 `broken-metric` finding (evidence: `broken_metrics`, `primary_metrics`, `counted_exposures`,
 *   `min_arm_exposures`, `reasons`), or null.
 */
export function detectBrokenMetric(
  experiment: Experiment,
  data: ExperimentData,
  config: DetectorConfig,
  now: Date,
): Finding | null {
  assertNow(now);
  if (!isLiveRun(experiment, data.flag) || !data.exposures || !data.metricResults || data.metricResults.length === 0) {
    return null;
  }
  const excluded = new Set(experiment.excludedVariants);
  const counted = experiment.variants.filter((v) => v.rolloutPercentage > 0 && !excluded.has(v.key));
  if (counted.length === 0) return null;
  const perArm = counted.map((v) => data.exposures?.totals[v.key] ?? 0);
  const countedTotal = perArm.reduce((a, b) => a + b, 0);
  const minArm = Math.min(...perArm);
  if (countedTotal < config.srmMinExposures || minArm < BROKEN_METRIC_MIN_ARM_EXPOSURES) return null;

  const broken = data.metricResults
    .filter((r) => r.metric.role === "primary")
    .map((r) => ({ r, why: metricBreakage(r) }))
    .filter((x): x is { r: MetricResult; why: NonNullable<ReturnType<typeof metricBreakage>> } => x.why !== null);
  if (broken.length === 0) return null;

  const names = broken.map((b) => b.r.metric.name || b.r.metric.uuid);
  const list = broken.map((b) => `${b.r.metric.name || b.r.metric.uuid} (${b.why.detail})`).join("; ");
  const primaryCount = data.metricResults.filter((r) => r.metric.role === "primary").length;
  const notEnoughExposures = broken.some((b) => b.why.detail.includes("not-enough-exposures"));
  return {
    ...baseFinding("broken-metric", experiment, data.flag),
    title:
      broken.length === 1
        ? `Primary metric returns no usable data in ${q(experiment.name)}`
        : `${broken.length} primary metrics return no usable data in ${q(experiment.name)}`,
    contradiction:
      `${q(experiment.name)} has ${formatCount(countedTotal)} counted exposures (at least ${formatCount(minArm)} ` +
      `in every variant${data.exposures.totals[MULTIPLE_KEY] ? `, plus ${formatCount(data.exposures.totals[MULTIPLE_KEY] ?? 0)} in $multiple` : ""}), ` +
      `but ${broken.length === 1 ? "its primary metric" : "these primary metrics"} ${broken.length === 1 ? "returns" : "return"} nothing usable: ${list}.`,
    cause: notEnoughExposures
      ? "The metric query sees no exposed users although the exposure query does: the metric's exposure " +
        "settings (custom exposure event, test-account filter, date range) likely differ from the experiment's."
      : "The metric's event or property is probably not sent (renamed, removed, or sent under another name), " +
        "or the metric definition filters everything out.",
    action:
      "Open the metric in PostHog and check its event, filters and conversion window against what the code " +
      "sends; fix the metric (or the tracking) — without a working primary metric the experiment cannot be decided.",
    onset: null,
    evidence: {
      broken_metrics: names.join(", "),
      broken_count: broken.length,
      primary_metrics: primaryCount,
      counted_exposures: countedTotal,
      min_arm_exposures: minArm,
      reasons: broken.map((b) => b.why.reason).join(","),
    },
    escalation: {},
    chart: null,
  };
}
