/** Builders for detector tests: a running 50/50 experiment and exposure series built from daily counts. */
import type { ActivityEntry, Experiment, ExposureResult, FeatureFlag, MetricArm, MetricResult } from "../../src/model.js";
import { DEFAULT_DETECTOR_CONFIG, type DetectorConfig, type ExperimentData } from "../../src/detectors/types.js";

export const NOW = new Date("2026-06-15T12:00:00Z");
export const START = "2026-06-01T10:00:00Z";
export const CONFIG: DetectorConfig = { ...DEFAULT_DETECTOR_CONFIG };

export function makeFlag(over: Partial<FeatureFlag> = {}): FeatureFlag {
  const variants = over.variants ?? [
    { key: "control", rolloutPercentage: 50 },
    { key: "test", rolloutPercentage: 50 },
  ];
  return {
    id: 7,
    key: "new-checkout",
    name: "New checkout",
    active: true,
    deleted: false,
    variants,
    groups: [{ properties: [], rolloutPercentage: 100, variant: null }],
    ensureExperienceContinuity: false,
    bucketingIdentifier: "distinct_id",
    experimentIds: [42],
    filters: {},
    ...over,
  };
}

export function makeExperiment(over: Partial<Experiment> = {}, flagOver: Partial<FeatureFlag> = {}): Experiment {
  const flag = over.flag === undefined ? makeFlag(flagOver) : over.flag;
  const variants = over.variants ?? flag?.variants ?? makeFlag().variants;
  return {
    id: 42,
    name: "New checkout",
    description: null,
    flagKey: "new-checkout",
    status: "running",
    startDate: START,
    endDate: null,
    createdAt: "2026-05-30T09:00:00Z",
    archived: false,
    conclusion: null,
    statsMethod: "bayesian",
    alpha: 0.05,
    ciLevel: 0.95,
    excludedVariants: [],
    holdout: null,
    recommendedSampleSize: null,
    recommendedRunningTimeDays: null,
    minimumDetectableEffect: null,
    exposureCriteria: { filterTestAccounts: true, multipleVariantHandling: "exclude", exposureEvent: null },
    primaryMetrics: [],
    secondaryMetrics: [],
    raw: {},
    ...over,
    flag,
    variants,
  };
}

/** ISO day `n` days after `start` (a day). */
export function day(start: string, n: number): string {
  const d = new Date(`${start}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

/**
 * An exposure result from **daily new** exposures per variant, starting on `firstDay`; cumulative series and
 * totals are derived (as PostHog returns them).
 */
export function exposuresFromDaily(daily: Record<string, number[]>, firstDay = "2026-06-01", experimentId = 42): ExposureResult {
  const timeseries = Object.entries(daily).map(([variant, counts]) => {
    let c = 0;
    return { variant, days: counts.map((_, i) => day(firstDay, i)), cumulative: counts.map((n) => (c += n)) };
  });
  const totals: Record<string, number> = {};
  for (const s of timeseries) totals[s.variant] = s.cumulative[s.cumulative.length - 1] ?? 0;
  return { experimentId, timeseries, totals, posthogSrm: null };
}

/** An exposure result with one day holding the given totals. */
export function exposuresFromTotals(totals: Record<string, number>, onDay = "2026-06-10"): ExposureResult {
  return exposuresFromDaily(Object.fromEntries(Object.entries(totals).map(([k, v]) => [k, [v]])), onDay);
}

export function data(experiment: Experiment, over: Partial<ExperimentData> = {}): ExperimentData {
  return {
    flag: experiment.flag,
    exposures: null,
    metricResults: null,
    flagActivity: null,
    experimentActivity: null,
    decision: null,
    ...over,
  };
}

export function activity(createdAt: string, changes: ActivityEntry["changes"], scope = "FeatureFlag"): ActivityEntry {
  return { scope, itemId: "7", activity: "updated", createdAt, user: "eli@example.com", changes };
}

/** Raw flag `filters` for activity-log diffs. */
export function filters(variants: [string, number][], groups: { properties?: unknown[]; rollout_percentage?: number; variant?: string }[] = [{ properties: [], rollout_percentage: 100 }]): unknown {
  return {
    groups: groups.map((g) => ({ properties: g.properties ?? [], rollout_percentage: g.rollout_percentage ?? 100, ...(g.variant ? { variant: g.variant } : {}) })),
    multivariate: { variants: variants.map(([key, rollout_percentage]) => ({ key, rollout_percentage })) },
  };
}

export function arm(key: string, n: number, failures: string[] = [], sum = n / 10): MetricArm {
  return { key, numberOfSamples: n, sum, sumSquares: sum, validationFailures: failures };
}

export function metricResult(over: Partial<MetricResult> = {}): MetricResult {
  return {
    metric: { uuid: "m1", name: "Purchase", metricType: "funnel", goal: "increase", role: "primary", query: {} },
    baseline: arm("control", 5000),
    variants: [arm("test", 5000)],
    error: null,
    ...over,
  };
}

/** `now` = `hours` after `iso`. */
export function hoursAfter(iso: string, hours: number): Date {
  return new Date(new Date(iso).getTime() + hours * 3_600_000);
}
