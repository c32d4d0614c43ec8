import { describe, expect, it } from "vitest";
import { detectBrokenMetric, metricBreakage } from "../../src/detectors/broken-metric.js";
import type { Experiment, MetricResult } from "../../src/model.js";
import { CONFIG, NOW, arm, data, exposuresFromTotals, makeExperiment, metricResult } from "./fixtures.js";

const healthy = { control: 5000, test: 5000 };

describe("detectBrokenMetric", () => {
  const cases: {
    name: string;
    results: MetricResult[];
    totals?: Record<string, number>;
    exp?: Partial<Experiment>;
    fires: boolean;
  }[] = [
    { name: "healthy metric", results: [metricResult()], fires: false },
    { name: "query error", results: [metricResult({ error: "Query returned no data", baseline: null, variants: [] })], fires: true },
    { name: "no data (null baseline)", results: [metricResult({ baseline: null, variants: [] })], fires: true },
    {
      name: "not-enough-metric-data in every arm",
      results: [metricResult({ baseline: arm("control", 5000, ["not-enough-metric-data"], 1), variants: [arm("test", 5000, ["not-enough-metric-data"], 2)] })],
      fires: true,
    },
    {
      name: "not-enough-exposures in every arm while exposures are healthy",
      results: [metricResult({ baseline: arm("control", 10, ["not-enough-exposures"]), variants: [arm("test", 12, ["not-enough-exposures"])] })],
      fires: true,
    },
    {
      name: "control-only not-enough-metric-data (treatment-only event) is expected",
      results: [metricResult({ baseline: arm("control", 5000, ["not-enough-metric-data"], 0), variants: [arm("test", 5000, [], 400)] })],
      fires: false,
    },
    {
      name: "baseline-mean-is-zero on the control only",
      results: [metricResult({ baseline: arm("control", 5000, ["baseline-mean-is-zero"], 0), variants: [arm("test", 5000)] })],
      fires: false,
    },
    {
      name: "low volume: 999 counted exposures",
      results: [metricResult({ error: "boom", baseline: null, variants: [] })],
      totals: { control: 500, test: 499 },
      fires: false,
    },
    {
      name: "one arm below 100 exposures",
      results: [metricResult({ error: "boom", baseline: null, variants: [] })],
      totals: { control: 5000, test: 99 },
      fires: false,
    },
    {
      name: "exactly 1000 counted, 100 in the smaller arm",
      results: [metricResult({ error: "boom", baseline: null, variants: [] })],
      totals: { control: 900, test: 100 },
      fires: true,
    },
    { name: "paused", results: [metricResult({ error: "boom" })], exp: { status: "paused" }, fires: false },
    { name: "no metric results", results: [], fires: false },
  ];
  it.each(cases)("$name → fires: $fires", ({ results, totals, exp, fires }) => {
    const e = makeExperiment(exp ?? {});
    const f = detectBrokenMetric(e, data(e, { exposures: exposuresFromTotals(totals ?? healthy), metricResults: results }), CONFIG, NOW);
    expect(f !== null).toBe(fires);
  });

  it("names the broken metrics and their failure codes", () => {
    const e = makeExperiment();
    const results = [
      metricResult(),
      metricResult({
        metric: { uuid: "m2", name: "Revenue", metricType: "mean", goal: "increase", role: "primary", query: {} },
        baseline: arm("control", 5000, ["not-enough-metric-data"]),
        variants: [arm("test", 5000, ["not-enough-metric-data"])],
      }),
    ];
    const f = detectBrokenMetric(e, data(e, { exposures: exposuresFromTotals(healthy), metricResults: results }), CONFIG, NOW);
    expect(f?.severity).toBe("P2");
    expect(f?.evidence.broken_metrics).toBe("Revenue");
    expect(f?.evidence.broken_count).toBe(1);
    expect(f?.evidence.primary_metrics).toBe(2);
    expect(f?.evidence.counted_exposures).toBe(10000);
    expect(f?.contradiction).toContain("not-enough-metric-data");
  });

  it("without exposure data it cannot judge", () => {
    const e = makeExperiment();
    expect(detectBrokenMetric(e, data(e, { metricResults: [metricResult({ error: "x" })] }), CONFIG, NOW)).toBeNull();
  });

  it("metricBreakage classifies", () => {
    expect(metricBreakage(metricResult())).toBeNull();
    expect(metricBreakage(metricResult({ error: "e" }))?.reason).toBe("error");
    expect(metricBreakage(metricResult({ baseline: null }))?.reason).toBe("no-data");
  });
});
