import { describe, expect, it } from "vitest";
import {
  analyzeMetric,
  correctionSummary,
  resolveVariants,
  selectGuardrails,
  type AnalysisThresholds,
} from "../../src/decision/index.js";
import { compareToControl } from "../../src/stats/index.js";
import {
  CONVERSION,
  REVENUE,
  config,
  experiment,
  exposureResult,
  funnelArm,
  meanArm,
  metric,
  result,
} from "./builders.js";

const T = (over: Partial<AnalysisThresholds> = {}): AnalysisThresholds => ({
  control: "control",
  treatments: ["test"],
  alpha: 0.05,
  chanceToWin: 0.95,
  correction: "bonferroni",
  ...over,
});

describe("selectGuardrails", () => {
  const latency = metric("Page latency", { type: "mean", role: "secondary", goal: "decrease" });
  const orders = metric("Orders", { role: "primary" });
  const exp = experiment({ primaryMetrics: [CONVERSION, orders], secondaryMetrics: [REVENUE, latency] });

  it.each([
    ["secondary", ["Revenue per user", "Page latency"]],
    ["none", []],
    [["Page latency"], ["Page latency"]],
    [[REVENUE.uuid, "Orders", "Not a metric"], ["Orders", "Revenue per user"]],
    [["Orders", "Orders", "uuid-orders"], ["Orders"]],
  ] as const)("guardrails %j → %j", (guardrails, names) => {
    const selected = selectGuardrails(exp, config({ guardrails }));
    expect(selected.map((m) => m.name)).toEqual(names);
  });
});

describe("resolveVariants", () => {
  it("uses `control` as control even when it is not first, and drops excluded and 0% variants", () => {
    const exp = experiment({
      variants: [
        { key: "a", rolloutPercentage: 40 },
        { key: "control", rolloutPercentage: 40 },
        { key: "b", rolloutPercentage: 20 },
        { key: "paused", rolloutPercentage: 0 },
      ],
      excludedVariants: ["b"],
    });
    expect(resolveVariants(exp, null)).toEqual({ control: "control", counted: ["a", "control"], treatments: ["a"] });
  });

  it("falls back to the first variant as control", () => {
    const exp = experiment({ variants: [{ key: "baseline", rolloutPercentage: 50 }, { key: "new", rolloutPercentage: 50 }] });
    expect(resolveVariants(exp, null).control).toBe("baseline");
  });

  it("falls back to exposure keys, without $multiple, when the experiment lists no variants", () => {
    const exp = experiment({ variants: [] });
    const roles = resolveVariants(exp, exposureResult({ control: 10, test: 12, $multiple: 3 }));
    expect(roles).toEqual({ control: "control", counted: ["control", "test"], treatments: ["test"] });
  });
});

describe("correctionSummary", () => {
  it.each([
    ["frequentist", "bonferroni", 3, { alpha: 0.05 / 3, chanceToWin: null }, "Bonferroni, 3 comparisons with control: p < 0.0167"],
    ["frequentist", "none", 3, { alpha: 0.05, chanceToWin: null }, "No correction, 3 comparisons with control: p < 0.05"],
    [
      "frequentist",
      "holm",
      2,
      { alpha: 0.025, chanceToWin: null },
      "Holm step-down, 2 comparisons with control: p < 0.025 for the smallest p-value, stepping up to p < 0.05",
    ],
    ["bayesian", "bonferroni", 4, { alpha: null, chanceToWin: 1 - 0.05 / 4 }, "Bonferroni, 4 comparisons with control: chance to win ≥ 98.75%"],
    ["bayesian", "none", 4, { alpha: null, chanceToWin: 0.95 }, "No correction, 4 comparisons with control: chance to win ≥ 95%"],
  ] as const)("%s %s m=%d", (method, correction, m, numbers, description) => {
    const treatments = Array.from({ length: m }, (_, i) => `test-${i}`);
    const s = correctionSummary(method, T({ correction, treatments }));
    expect(s.comparisons).toBe(m);
    if (numbers.alpha !== null) expect(s.alpha).toBeCloseTo(numbers.alpha, 15);
    else expect(s.alpha).toBeNull();
    if (numbers.chanceToWin !== null) expect(s.chanceToWin).toBeCloseTo(numbers.chanceToWin, 15);
    else expect(s.chanceToWin).toBeNull();
    expect(s.description).toBe(description);
  });
});

describe("analyzeMetric", () => {
  it("keeps the raw comparison from the statistics core and adds the goal-adjusted verdict", () => {
    const control = funnelArm("control", 10_000, 1_000);
    const test = funnelArm("test", 10_000, 1_200);
    const a = analyzeMetric(result(CONVERSION, [control, test]), experiment(), "primary", T());
    const raw = compareToControl("funnel", control, test, "frequentist", {
      alpha: 0.05,
      ciLevel: 0.95,
      sequential: { alpha: 0.05, tuningSampleSize: 10_000 },
    });
    expect(a.error).toBeNull();
    expect(a.verdicts).toHaveLength(1);
    expect(a.verdicts[0]).toMatchObject({
      ...raw,
      inference: "fixed-horizon",
      fixedHorizon: null,
      posthogFigures: null,
      goalAdjustedLift: raw.lift,
      threshold: 0.05,
      significantlyBetter: true,
      significantlyWorse: false,
    });
  });

  it("flips lift and chance to win for goal 'decrease'", () => {
    const latency = metric("Page latency", { type: "mean", goal: "decrease" });
    const arms = [meanArm("control", 5_000, 800, 300), meanArm("test", 5_000, 760, 300)];
    const bayes = analyzeMetric(result(latency, arms), experiment({ statsMethod: "bayesian" }), "primary", T());
    const v = bayes.verdicts[0];
    expect(v?.lift).toBeCloseTo(-0.05, 12);
    expect(v?.goalAdjustedLift).toBeCloseTo(0.05, 12);
    expect(v?.goalAdjustedChanceToWin).toBeCloseTo(1 - (v?.chanceToWin ?? NaN), 15);
    expect(v?.significantlyBetter).toBe(true);
    const freq = analyzeMetric(result(latency, arms), experiment(), "primary", T());
    expect(freq.verdicts[0]).toMatchObject({ significantlyBetter: true, significantlyWorse: false });
  });

  it("Holm: thresholds step from alpha/m for the smallest p-value up to alpha", () => {
    const arms = [
      funnelArm("control", 10_000, 1_000),
      funnelArm("a", 10_000, 1_100), // p ≈ 0.028
      funnelArm("b", 10_000, 1_200), // p ≈ 3.7e-5
      funnelArm("c", 10_000, 1_010), // p ≈ 0.8
    ];
    const a = analyzeMetric(result(CONVERSION, arms), experiment(), "primary", T({ treatments: ["a", "b", "c"], correction: "holm" }));
    const by = Object.fromEntries(a.verdicts.map((v) => [v.variant, v]));
    expect(by.b?.threshold).toBeCloseTo(0.05 / 3, 15);
    expect(by.a?.threshold).toBeCloseTo(0.05 / 2, 15);
    expect(by.c?.threshold).toBeCloseTo(0.05, 15);
    // a: p ≈ 0.028 > 0.025 at the second step → Holm stops there; c is not tested.
    expect([by.b?.significantlyBetter, by.a?.significantlyBetter, by.c?.significantlyBetter]).toEqual([true, false, false]);
  });

  it("a variant without an arm gets an error verdict and still counts as a comparison", () => {
    const a = analyzeMetric(
      result(CONVERSION, [funnelArm("control", 10_000, 1_000), funnelArm("a", 10_000, 1_200)]),
      experiment(),
      "primary",
      T({ treatments: ["a", "b"] }),
    );
    expect(a.verdicts.map((v) => [v.variant, v.error === null])).toEqual([
      ["a", true],
      ["b", false],
    ]);
    expect(a.verdicts[1]?.error).toMatch(/no data for variant "b"/);
    expect(a.verdicts[0]?.threshold).toBe(0.025);
  });

  it("passes a failed query through as the analysis error", () => {
    const a = analyzeMetric(result(CONVERSION, [], "query timed out"), experiment(), "guardrail", T());
    expect(a).toMatchObject({ role: "guardrail", verdicts: [], error: "query timed out" });
  });

  it("reports when no control arm came back", () => {
    const r = { metric: CONVERSION, baseline: null, variants: [funnelArm("test", 100, 10)], error: null };
    expect(analyzeMetric(r, experiment(), "primary", T()).error).toMatch(/no data for the control variant "control"/);
  });
});
