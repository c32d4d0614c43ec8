import { describe, expect, it } from "vitest";
import type { Metric } from "../../src/model.js";
import { PostHogSchemaError } from "../../src/posthog/errors.js";
import {
  deriveStatus,
  normalizeActivity,
  normalizeExperiment,
  normalizeExposures,
  normalizeFlag,
  normalizeMetricResult,
} from "../../src/posthog/normalize.js";
import {
  activitySchema,
  experimentSchema,
  exposureResponseSchema,
  featureFlagSchema,
  metricResponseSchema,
  parseWith,
} from "../../src/posthog/schemas.js";
import { fixture } from "./helpers.js";

function experiment(raw: Record<string, unknown>) {
  return normalizeExperiment(parseWith(experimentSchema, raw, "GET test"), raw);
}

const metric: Metric = { uuid: "a1b2", name: "Checkout funnel", metricType: "funnel", goal: "increase", role: "primary", query: {} };

describe("normalizeExperiment — new build (experiment-42.json)", () => {
  const raw = fixture("experiment-42.json");
  const e = experiment(raw);

  it("reads identity, status, dates and keeps the raw object", () => {
    expect(e).toMatchObject({
      id: 42,
      name: "New checkout",
      description: "Single-page checkout",
      flagKey: "new-checkout",
      status: "running",
      startDate: "2026-05-20T10:00:00Z",
      endDate: null,
      createdAt: "2026-05-19T09:00:00Z",
      archived: false,
      conclusion: null,
    });
    expect(e.raw).toBe(raw);
  });

  it("takes variants from the linked flag and excluded variants from the top level", () => {
    expect(e.variants).toEqual([
      { key: "control", name: "Control", rolloutPercentage: 34 },
      { key: "test", name: null, rolloutPercentage: 33 },
      { key: "test-2", name: null, rolloutPercentage: 33 },
    ]);
    expect(e.excludedVariants).toEqual(["test-2"]);
  });

  it("prefers running_time_calculation over parameters (whose values are 0 here)", () => {
    expect(e.recommendedSampleSize).toBe(8000);
    expect(e.recommendedRunningTimeDays).toBe(14);
    expect(e.minimumDetectableEffect).toBe(20);
  });

  it("reads stats_config, holdout and exposure_criteria", () => {
    expect(e.statsMethod).toBe("frequentist");
    expect(e.alpha).toBe(0.01);
    expect(e.ciLevel).toBe(0.95);
    expect(e.holdout).toEqual({ id: 5, name: "Q2 holdout", rolloutPercentage: 10 });
    expect(e.exposureCriteria).toEqual({
      filterTestAccounts: false,
      multipleVariantHandling: "first_seen",
      exposureEvent: "checkout_viewed",
    });
  });

  it("normalises the embedded flag", () => {
    expect(e.flag).toMatchObject({
      id: 7,
      key: "new-checkout",
      active: true,
      deleted: false,
      ensureExperienceContinuity: false,
      bucketingIdentifier: "distinct_id",
      experimentIds: [42],
      groups: [{ properties: [], rolloutPercentage: 100, variant: null }],
    });
    expect(e.flag?.filters).toEqual((raw.feature_flag as { filters: unknown }).filters);
  });

  it("merges inline and saved metrics in PostHog's order with fallback names and goals", () => {
    expect(e.primaryMetrics.map((m) => [m.uuid, m.name, m.metricType, m.goal, m.role])).toEqual([
      ["c3d4", "Revenue per user", "mean", "increase", "primary"],
      ["s-ratio", "Average order value", "ratio", "increase", "primary"],
      ["a1b2", "checkout_started → purchase", "funnel", "increase", "primary"],
    ]);
    expect(e.secondaryMetrics.map((m) => [m.uuid, m.name, m.metricType, m.goal, m.role])).toEqual([
      ["s-err", "Errors", "mean", "decrease", "secondary"],
      ["e5f6", "$pageleave", "mean", "decrease", "secondary"],
    ]);
    const savedQuery = (raw.saved_metrics as { query: unknown }[])[0]?.query;
    expect(e.primaryMetrics[1]?.query).toEqual(savedQuery);
  });
});

describe("normalizeExperiment — old build (experiment-17.json)", () => {
  const e = experiment(fixture("experiment-17.json"));

  it("derives paused from dates + inactive flag when status is absent", () => {
    expect(e.status).toBe("paused");
  });

  it("falls back to parameters for variants, excluded variants and recommendations", () => {
    expect(e.variants.map((v) => [v.key, v.rolloutPercentage])).toEqual([
      ["control", 34],
      ["short", 33],
      ["long", 33],
    ]);
    expect(e.excludedVariants).toEqual(["long"]);
    expect(e.recommendedSampleSize).toBe(4500);
    expect(e.recommendedRunningTimeDays).toBe(21);
    expect(e.minimumDetectableEffect).toBe(5);
  });

  it("applies PostHog's defaults for stats and exposure criteria", () => {
    expect(e.statsMethod).toBe("bayesian");
    expect(e.alpha).toBe(0.05);
    expect(e.ciLevel).toBe(0.95);
    expect(e.holdout).toBeNull();
    expect(e.exposureCriteria).toEqual({ filterTestAccounts: true, multipleVariantHandling: "exclude", exposureEvent: null });
  });

  it("maps legacy metric kinds with synthetic uuids unique across primary and secondary", () => {
    expect(e.primaryMetrics.map((m) => [m.uuid, m.name, m.metricType, m.goal])).toEqual([
      ["legacy-0", "signup", "legacy-trends", "increase"],
    ]);
    expect(e.secondaryMetrics.map((m) => [m.uuid, m.name, m.metricType])).toEqual([
      ["legacy-1", "Signup funnel", "legacy-funnels"],
    ]);
  });
});

describe("normalizeExperiment — slim list item and edge cases", () => {
  it("normalises a slim list item with 0 → null recommendations", () => {
    const item = fixture<{ results: Record<string, unknown>[] }>("experiments-page-2.json").results[0]!;
    const e = experiment(item);
    expect(e.flag).toBeNull();
    expect(e.status).toBe("running");
    expect(e.primaryMetrics).toEqual([]);
    expect(e.recommendedSampleSize).toBeNull();
    expect(e.recommendedRunningTimeDays).toBe(21);
  });

  it("treats $feature_flag_called as the default exposure event", () => {
    const e = experiment({
      id: 1,
      feature_flag_key: "k",
      exposure_criteria: { exposure_config: { kind: "ExperimentEventExposureConfig", event: "$feature_flag_called" } },
    });
    expect(e.exposureCriteria.exposureEvent).toBeNull();
    expect(e.name).toBe("Experiment 1");
  });

  it("requires a flag key in one of its homes", () => {
    expect(() => experiment({ id: 1, name: "x" })).toThrow(/feature_flag_key: expected a feature flag key/);
  });

  it("rejects an unknown metric_type with the field path", () => {
    expect(() =>
      experiment({ id: 1, feature_flag_key: "k", metrics: [{ kind: "ExperimentMetric", metric_type: "median", uuid: "u" }] }),
    ).toThrow(/metrics\[0\]\.metric_type: expected one of "mean"\|"funnel"\|"ratio"\|"retention", received "median"/);
  });
});

describe("deriveStatus", () => {
  it.each([
    [{ status: "stopped", start_date: "2026-01-01" }, "stopped"],
    [{ status: "exposure_frozen", start_date: "2026-01-01" }, "running"],
    [{ start_date: null }, "draft"],
    [{ start_date: "2026-01-01", end_date: null }, "running"],
    [{ start_date: "2026-01-01", end_date: "2026-02-01" }, "stopped"],
    [{ start_date: "2026-01-01", flagActive: false }, "paused"],
    [{ status: "running", start_date: "2026-01-01", flagActive: false }, "paused"],
    [{ start_date: "2026-01-01", end_date: "2026-02-01", flagActive: false }, "stopped"],
  ] as const)("%j → %s", (input, expected) => {
    expect(deriveStatus(input)).toBe(expected);
  });
});

describe("normalizeFlag", () => {
  it("reads groups with forced variants and null rollout, and a boolean flag has no variants", () => {
    const raw = fixture<{ results: unknown[] }>("flags-page-2.json").results[0];
    const f = normalizeFlag(parseWith(featureFlagSchema, raw, "GET test"));
    expect(f).toMatchObject({
      id: 9,
      key: "dark-mode",
      name: "Dark mode",
      variants: [],
      ensureExperienceContinuity: true,
      bucketingIdentifier: null,
      experimentIds: [],
      updatedAt: "2026-04-01T00:00:00Z",
    });
    expect(f.groups).toEqual([
      { properties: [{ key: "email", type: "person", value: "@acme.com", operator: "icontains" }], rolloutPercentage: 30, variant: null },
      { properties: [], rolloutPercentage: null, variant: "on" },
    ]);
  });
});

describe("normalizeExposures", () => {
  it("keeps cumulative series, totals incl. $multiple and PostHog's SRM", () => {
    const r = normalizeExposures(42, parseWith(exposureResponseSchema, fixture("exposures-42.json"), "POST test"));
    expect(r.timeseries[0]).toEqual({ variant: "control", days: ["2026-05-20", "2026-05-21"], cumulative: [120, 260] });
    expect(r.totals).toEqual({ control: 260, test: 255, $multiple: 3 });
    expect(r.posthogSrm).toEqual({ expected: { control: 257.5, test: 257.5 }, pValue: 0.826 });
  });

  it("completes totals from the last cumulative value and tolerates absent SRM (older builds)", () => {
    const r = normalizeExposures(17, parseWith(exposureResponseSchema, fixture("exposures-old-build.json"), "POST test"));
    expect(r.totals).toEqual({ control: 40, short: 41 });
    expect(r.posthogSrm).toBeNull();
  });

  it("rejects series whose days and counts differ in length", () => {
    const bad = { timeseries: [{ variant: "control", days: ["2026-05-20"], exposure_counts: [1, 2] }] };
    expect(() => parseWith(exposureResponseSchema, bad, "POST q")).toThrow(PostHogSchemaError);
    expect(() => parseWith(exposureResponseSchema, bad, "POST q")).toThrow(/timeseries\[0\]\.exposure_counts: days and exposure_counts differ/);
  });
});

describe("normalizeMetricResult", () => {
  const parse = (name: string) => parseWith(metricResponseSchema, fixture(name), "POST test");

  it("maps a Bayesian result: baseline without verdict, variant with chance to win and credible interval", () => {
    const r = normalizeMetricResult(metric, parse("metric-bayesian.json"));
    expect(r.error).toBeNull();
    expect(r.baseline).toEqual({
      key: "control",
      numberOfSamples: 1000,
      sum: 100,
      sumSquares: 100,
      denominatorSum: null,
      denominatorSumSquares: null,
      numeratorDenominatorSumProduct: null,
      validationFailures: [],
    });
    expect(r.variants[0]).toMatchObject({
      key: "test",
      numberOfSamples: 1010,
      sum: 121,
      posthog: { method: "bayesian", chanceToWin: 0.93, pValue: null, interval: [-0.02, 0.44], significant: false },
    });
  });

  it("maps a frequentist result: p-value and confidence interval", () => {
    const r = normalizeMetricResult(metric, parse("metric-frequentist.json"));
    expect(r.variants[0]?.posthog).toEqual({ method: "frequentist", chanceToWin: null, pValue: 0.004, interval: [0.03, 0.18], significant: true });
    expect(r.baseline?.sumSquares).toBe(3100000.25);
  });

  it("sets error for validation failures but keeps the arms", () => {
    const r = normalizeMetricResult(metric, parse("metric-validation-failures.json"));
    expect(r.error).toBe(
      'PostHog validation failures for metric "Checkout funnel": control: not-enough-exposures, baseline-mean-is-zero; test: not-enough-exposures',
    );
    expect(r.baseline?.validationFailures).toEqual(["not-enough-exposures", "baseline-mean-is-zero"]);
    expect(r.variants).toHaveLength(1);
  });

  it("sets error when PostHog returned no data", () => {
    const r = normalizeMetricResult(metric, parse("metric-empty.json"));
    expect(r).toEqual({
      metric,
      baseline: null,
      variants: [],
      error: 'PostHog returned no data for metric "Checkout funnel"',
      freshness: { computedAt: null, cached: false },
    });
  });
});

describe("normalizeActivity", () => {
  it("reads user, item id (string or number) and changes", () => {
    const [a, b] = fixture<{ results: unknown[] }>("activity-page-1.json").results.map((x) =>
      normalizeActivity(parseWith(activitySchema, x, "GET test")),
    );
    expect(a).toEqual({
      scope: "FeatureFlag",
      itemId: "7",
      activity: "updated",
      createdAt: "2026-06-05T12:00:00Z",
      user: "Eli",
      changes: [
        {
          field: "filters",
          action: "changed",
          before: { groups: [{ properties: [], rollout_percentage: 100 }] },
          after: { groups: [{ properties: [], rollout_percentage: 50 }] },
        },
      ],
    });
    expect(b?.itemId).toBe("7");
    expect(b?.user).toBeNull();
  });
});

describe("analysis settings, exposure event, CUPED and health (experiment-77-cuped-sequential.json)", () => {
  const e = experiment(fixture("experiment-77-cuped-sequential.json"));

  it("reads the whole stats_config and the resolved exposure event", () => {
    expect(e.analysis).toEqual({ baselineVariantKey: "original", cuped: true, sequential: true, informativePrior: false });
    expect(e.resolvedExposureEvent).toBe("$experiment_exposure");
    expect(e.exposureCriteria.exposureEvent).toBeNull();
  });

  it("fills PostHog's defaults when stats_config is absent or partial", () => {
    const raw = fixture("experiment-42.json");
    expect(experiment(raw).analysis).toEqual({ baselineVariantKey: null, cuped: false, sequential: false, informativePrior: false });
    expect(experiment(raw).resolvedExposureEvent).toBeUndefined();
    // Sequential testing is a frequentist setting: ignored under the Bayesian method.
    const bayes = experiment({ ...raw, stats_config: { method: "bayesian", frequentist: { sequential_testing_enabled: true } } });
    expect(bayes.analysis?.sequential).toBe(false);
  });

  it("marks CUPED-adjusted arms and keeps the response's baseline key", () => {
    const m: Metric = { ...metric, uuid: "rev-1", metricType: "mean" };
    const r = normalizeMetricResult(m, parseWith(metricResponseSchema, fixture("metric-cuped-original-baseline.json"), "test"));
    expect(r.baseline?.key).toBe("original");
    expect(r.variants[0]?.key).toBe("redesign");
    expect(r.variants[0]?.posthog).toEqual({
      method: "frequentist",
      chanceToWin: null,
      pValue: 0.0121,
      interval: [0.018, 0.142],
      significant: true,
      adjusted: true,
    });
    expect(r.freshness).toEqual({ computedAt: "2026-11-20T11:40:00Z", cached: false });
    const plain = normalizeMetricResult(m, parseWith(metricResponseSchema, fixture("metric-sequential.json"), "test"));
    expect(plain.variants[0]?.posthog?.adjusted).toBeUndefined();
    expect(plain.variants[0]?.posthog?.pValue).toBe(1);
  });

  it("normalises health findings, bias risk and freshness of an exposure response", () => {
    const r = normalizeExposures(77, parseWith(exposureResponseSchema, fixture("exposures-health-findings.json"), "test"));
    expect(r.healthFindings).toEqual([
      {
        kind: "srm",
        severity: "warning",
        message:
          "Users are not split across variants as configured: The distribution of users across variants doesn't match your configured rollout percentages (p < 0.001). This may indicate issues with randomization or data collection.",
      },
    ]);
    expect(r.biasRisk).toBeNull();
    expect(r.freshness).toEqual({ computedAt: "2026-11-20T11:55:00Z", cached: false });
    expect(r.posthogSrm?.pValue).toBe(3.1e-6);
  });

  it("takes the detail's health findings when the exposure response has none", () => {
    const detail = fixture<{ health_findings: unknown[] }>("experiment-77-cuped-sequential.json").health_findings;
    const parsedDetail = parseWith(experimentSchema, fixture("experiment-77-cuped-sequential.json"), "test").health_findings;
    expect(parsedDetail).toHaveLength(detail.length);
    const r = normalizeExposures(77, parseWith(exposureResponseSchema, fixture("exposures-30h-old.json"), "test"), parsedDetail);
    expect(r.healthFindings?.map((f) => f.kind)).toEqual(["bias_risk_multiple_excluded"]);
    expect(r.freshness).toEqual({ computedAt: "2026-11-19T06:00:00Z", cached: true });
  });
});
