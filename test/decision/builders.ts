/**
 * Small builders for decision-rule tests: experiments, exposure results and metric results with realistic
 * PostHog sufficient statistics (mean metrics: n / sum / sumSquares; funnels: sum = conversions and
 * sumSquares = sum, since a converted user contributes 1² = 1).
 */
import { decisionSchema, type DecisionConfig } from "../../src/config/schema.js";
import type { DecisionInput } from "../../src/decision/index.js";
import type { Experiment, ExposureResult, Metric, MetricArm, MetricResult, Variant } from "../../src/model.js";

export const NOW = new Date("2026-03-15T12:00:00Z");
const MS_PER_DAY = 86_400_000;

/** ISO date `days` (fractional) before {@link NOW}. */
export function daysBeforeNow(days: number): string {
  return new Date(NOW.getTime() - days * MS_PER_DAY).toISOString();
}

/** A metric; uuid derived from the name. */
export function metric(
  name: string,
  opts: { type?: Metric["metricType"]; goal?: Metric["goal"]; role?: Metric["role"] } = {},
): Metric {
  return {
    uuid: `uuid-${name.toLowerCase().replace(/\W+/g, "-")}`,
    name,
    metricType: opts.type ?? "funnel",
    goal: opts.goal ?? "increase",
    role: opts.role ?? "primary",
    query: { kind: "ExperimentMetric" },
  };
}

/** A funnel arm: `n` exposed users of whom `conversions` converted. */
export function funnelArm(key: string, n: number, conversions: number, validationFailures: string[] = []): MetricArm {
  return { key, numberOfSamples: n, sum: conversions, sumSquares: conversions, validationFailures };
}

/** A mean-metric arm with per-user mean and sample standard deviation (n − 1): sumSquares = (n − 1)·sd² + n·mean². */
export function meanArm(key: string, n: number, mean: number, sd: number): MetricArm {
  return { key, numberOfSamples: n, sum: n * mean, sumSquares: (n - 1) * sd * sd + n * mean * mean, validationFailures: [] };
}

/** A metric result; the first arm is the baseline (control). */
export function result(m: Metric, arms: MetricArm[], error: string | null = null): MetricResult {
  const [baseline, ...variants] = arms;
  return { metric: m, baseline: baseline ?? null, variants, error };
}

/** An exposure result with the given totals. */
export function exposureResult(totals: Record<string, number>): ExposureResult {
  return {
    experimentId: 1,
    timeseries: Object.entries(totals).map(([variant, total]) => ({
      variant,
      days: ["2026-03-08"],
      cumulative: [total],
    })),
    totals,
    posthogSrm: null,
  };
}

/** Equal split over the keys, in percent (remainder on the first variant). */
export function equalSplit(keys: string[]): Variant[] {
  const share = Math.floor(100 / keys.length);
  return keys.map((key, i) => ({ key, rolloutPercentage: i === 0 ? 100 - share * (keys.length - 1) : share }));
}

/** A running frequentist experiment started 7 days before {@link NOW}. */
export function experiment(over: Partial<Experiment> = {}): Experiment {
  return {
    id: 1,
    name: "New checkout",
    description: null,
    flagKey: "new-checkout",
    flag: null,
    status: "running",
    startDate: daysBeforeNow(7),
    endDate: null,
    createdAt: daysBeforeNow(10),
    archived: false,
    conclusion: null,
    statsMethod: "frequentist",
    alpha: 0.05,
    ciLevel: 0.95,
    variants: equalSplit(["control", "test"]),
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
  };
}

/** The decision config with defaults, overridden by `over` (YAML keys). */
export function config(over: Record<string, unknown> = {}): DecisionConfig {
  return decisionSchema.parse(over);
}

export const CONVERSION = metric("Checkout conversion");
export const REVENUE = metric("Revenue per user", { type: "mean", role: "secondary" });

export interface ScenarioOptions {
  /** Primary metric result (default: none). */
  primary?: MetricResult;
  /** Secondary metric results (guardrail candidates). */
  secondary?: MetricResult[];
  /**
   * Exposure totals; default: the primary arms' sample counts. `null` = no exposure query result.
   */
  totals?: Record<string, number> | null;
  /** Days since the start date. */
  days?: number;
  experiment?: Partial<Experiment>;
  /**
   * `decision.*` YAML keys. Unless given, `sequential` is false here: most rows pin fixed-horizon boundaries
   * (p = 0.028 vs 0.025 and the like); the always-valid rows set `sequential: true` (the schema default).
   */
  config?: Record<string, unknown>;
}

/**
 * A complete decision input. The experiment's metrics come from the results; its variants default to an
 * equal split over the primary arms' keys.
 */
export function scenario(o: ScenarioOptions): DecisionInput {
  const arms = o.primary ? [o.primary.baseline, ...o.primary.variants].filter((a): a is MetricArm => a !== null) : [];
  const totals =
    o.totals === undefined ? Object.fromEntries(arms.map((a) => [a.key, a.numberOfSamples])) : o.totals;
  const exp = experiment({
    variants: arms.length > 0 ? equalSplit(arms.map((a) => a.key)) : equalSplit(["control", "test"]),
    primaryMetrics: o.primary ? [o.primary.metric] : [],
    secondaryMetrics: (o.secondary ?? []).map((r) => r.metric),
    startDate: daysBeforeNow(o.days ?? 7),
    ...o.experiment,
  });
  return {
    experiment: exp,
    exposures: totals === null ? null : exposureResult(totals),
    metricResults: [...(o.primary ? [o.primary] : []), ...(o.secondary ?? [])],
    config: config({ sequential: false, ...o.config }),
    now: NOW,
  };
}

/** A two-arm funnel primary: control 10,000 users with 1,000 conversions vs test with `conversions`. */
export function conversion(testConversions: number, n = 10_000, controlConversions = n / 10): MetricResult {
  return result(CONVERSION, [funnelArm("control", n, controlConversions), funnelArm("test", n, testConversions)]);
}
