import { describe, expect, it } from "vitest";
import type { MetricArm } from "../../src/model.js";
import {
  betaBinomialChanceToWin,
  compareToControl,
  gaussianChanceToWin,
  momentsFromProportion,
  StatsInputError,
} from "../../src/stats/index.js";
import { expectRel } from "./vectors.js";

const arm = (key: string, numberOfSamples: number, sum: number, sumSquares: number, extra: Partial<MetricArm> = {}): MetricArm => ({
  key,
  numberOfSamples,
  sum,
  sumSquares,
  validationFailures: [],
  ...extra,
});

// PostHog's vectors (statistics.md §3–4; products/experiments/stats/tests/test_frequentist.py, test_bayesian.py)
const meanControl = arm("control", 2507, 1196.87, 37377.9767);
const meanTest = arm("test", 2461, 1922.7, 94698.29);
const funnelControl = arm("control", 1529, 87, 87);
const funnelTest = arm("test", 1471, 62, 62);
const ratioTest = arm("test", 2034, 99673.9364269569, 11298745.182728939, {
  denominatorSum: 947,
  denominatorSumSquares: 947,
  numeratorDenominatorSumProduct: 99673.9364269569,
});
const ratioControl = arm("control", 1966, 94605.79858780127, 10463129.505392816, {
  denominatorSum: 936,
  denominatorSumSquares: 936,
  numeratorDenominatorSumProduct: 94605.79858780127,
});

describe("compareToControl — frequentist (PostHog's Welch on the relative lift)", () => {
  it("mean metric: CI [−0.0875, 1.36048], p 0.08487", () => {
    const r = compareToControl("mean", meanControl, meanTest, "frequentist");
    expect(r).toMatchObject({ variant: "test", method: "frequentist", model: "welch-delta", chanceToWin: null, expectedLoss: null, error: null });
    expect(r.lift).toBeCloseTo(0.63646, 4);
    expect(r.interval![0]).toBeCloseTo(-0.0875, 4);
    expect(r.interval![1]).toBeCloseTo(1.36048, 4);
    expect(r.pValue).toBeCloseTo(0.08487, 4);
    expectRel(r.controlMean, 1196.87 / 2507, 1e-15, "control mean");
    expectRel(r.variantMean, 1922.7 / 2461, 1e-15, "variant mean");
  });

  it("funnel metric (sum = conversions, p(1 − p)): effect −0.25925, CI [−0.49475, −0.02376], p 0.030960", () => {
    const r = compareToControl("funnel", funnelControl, funnelTest, "frequentist");
    expect(r.model).toBe("welch-delta");
    expect(r.lift).toBeCloseTo(-0.25925, 4);
    expect(r.interval![0]).toBeCloseTo(-0.49475, 5);
    expect(r.interval![1]).toBeCloseTo(-0.02376, 5);
    expect(r.pValue).toBeCloseTo(0.03096, 5);
  });

  it("ratio metric with denominator fields: p 0.0032826, CI [0.01378609, 0.0689]", () => {
    const r = compareToControl("ratio", ratioControl, ratioTest, "frequentist");
    expect(r.model).toBe("welch-delta");
    expectRel(r.controlMean, 94605.79858780127 / 936, 1e-15, "ratio mean");
    expect(r.lift).toBeCloseTo(0.041333, 5);
    expect(r.interval![0]).toBeCloseTo(0.01378609, 5);
    expect(r.pValue).toBeCloseTo(0.0032826, 6);
  });

  it("alpha from the experiment widens the interval", () => {
    const r95 = compareToControl("mean", meanControl, meanTest, "frequentist");
    const r99 = compareToControl("mean", meanControl, meanTest, "frequentist", { alpha: 0.01 });
    expect(r99.interval![0]).toBeLessThan(r95.interval![0]);
    expect(r99.pValue).toBe(r95.pValue);
  });
});

describe("compareToControl — bayesian", () => {
  it("mean metric: PostHog Gaussian, effect 0.63646, CI [−0.0873, 1.36026], ctw 0.95759", () => {
    const r = compareToControl("mean", meanControl, meanTest, "bayesian");
    expect(r).toMatchObject({ method: "bayesian", model: "gaussian", pValue: null, expectedLossUnits: "relative", error: null });
    // Gaussian expected loss −Φ(0; μ, σ)·E[X | X < 0] (GrowthBook get_risk), reproduced with scipy 1.17 truncnorm.
    expectRel(r.expectedLoss!, 0.006376662425027586, 1e-9, "expected loss");
    expect(r.lift).toBeCloseTo(0.63646, 4);
    expect(r.interval![0]).toBeCloseTo(-0.0873, 4);
    expect(r.interval![1]).toBeCloseTo(1.36026, 4);
    expect(r.chanceToWin).toBeCloseTo(0.95759, 4);
  });

  it("funnel metric: beta-binomial chance to win and expected loss, Gaussian credible interval", () => {
    const c = arm("control", 1000, 100, 100);
    const t = arm("test", 1000, 120, 120);
    const r = compareToControl("funnel", c, t, "bayesian", { ciLevel: 0.9 });
    const bb = betaBinomialChanceToWin({ n: 1000, conversions: 100 }, { n: 1000, conversions: 120 });
    const g = gaussianChanceToWin(momentsFromProportion(1000, 100), momentsFromProportion(1000, 120), 0.9);
    expect(r.model).toBe("beta-binomial");
    expectRel(r.chanceToWin, 0.92318343897356, 1e-10, "ctw (stats-vectors)");
    expect(r.expectedLoss).toBe(bb.expectedLossShip);
    expect(r.interval).toEqual(g.credibleInterval);
    expectRel(r.lift, 0.2, 1e-12, "lift");
    expect(r.pValue).toBeNull();
  });

  it("funnel with zero control conversions: chance to win still defined, lift and interval null", () => {
    const r = compareToControl("funnel", arm("control", 50, 0, 0), arm("test", 50, 3, 3), "bayesian");
    expect(r.error).toBeNull();
    expect(r.chanceToWin).toBeCloseTo(0.94119, 5);
    expect(r.lift).toBeNull();
    expect(r.interval).toBeNull();
  });

  it("ratio metric uses the Gaussian on the ratio moments", () => {
    const r = compareToControl("ratio", ratioControl, ratioTest, "bayesian");
    expect(r.model).toBe("gaussian");
    expect(r.chanceToWin).toBeGreaterThan(0.99);
    expect(r.lift).toBeCloseTo(0.041333, 5);
  });
});

describe("compareToControl — failures and PostHog fallback", () => {
  it("any validation failure on either arm → error, all numbers null", () => {
    const bad = { ...meanTest, validationFailures: ["not-enough-exposures"] };
    for (const method of ["frequentist", "bayesian"] as const) {
      const r = compareToControl("mean", meanControl, bad, method);
      expect(r).toEqual({
        variant: "test",
        method,
        model: method === "frequentist" ? "welch-delta" : "gaussian",
        controlMean: null,
        variantMean: null,
        lift: null,
        interval: null,
        pValue: null,
        chanceToWin: null,
        expectedLoss: null,
        error: "validation failure: not-enough-exposures",
      });
    }
    const both = compareToControl(
      "funnel",
      { ...funnelControl, validationFailures: ["baseline-mean-is-zero"] },
      { ...funnelTest, validationFailures: ["not-enough-metric-data"], posthog: { method: "bayesian", chanceToWin: 0.7, pValue: null, interval: null, significant: false } },
      "bayesian",
    );
    expect(both.error).toBe("validation failure: baseline-mean-is-zero, not-enough-metric-data");
    expect(both.chanceToWin).toBeNull();
  });

  it("zero baseline mean → error, numbers null", () => {
    const r = compareToControl("mean", arm("control", 500, 0, 0), arm("test", 500, 20, 40), "frequentist");
    expect(r.error).toMatch(/^baseline mean is zero/);
    expect(r.lift).toBeNull();
    expect(r.pValue).toBeNull();
    expect(compareToControl("mean", arm("control", 500, 0, 0), arm("test", 500, 20, 40), "bayesian").error).toMatch(/baseline mean is zero/);
  });

  it("zero variance in both arms → error", () => {
    const r = compareToControl("mean", arm("control", 100, 100, 100), arm("test", 100, 100, 100), "frequentist");
    expect(r.error).toMatch(/zero variance/);
  });

  it("legacy kinds and retention without denominators return PostHog's own figures", () => {
    const posthog = { method: "bayesian" as const, chanceToWin: 0.93, pValue: null, interval: [-0.01, 0.3] as [number, number], significant: false };
    const legacy = compareToControl("legacy-trends", arm("control", 1000, 200, 0), arm("test", 1000, 250, 0, { posthog }), "bayesian");
    expect(legacy).toEqual({
      variant: "test",
      method: "bayesian",
      model: "posthog",
      controlMean: 0.2,
      variantMean: 0.25,
      lift: 0.25,
      interval: [-0.01, 0.3],
      pValue: null,
      chanceToWin: 0.93,
      expectedLoss: null,
      error: null,
    });
    const retention = compareToControl(
      "retention",
      arm("control", 1000, 300, 300),
      arm("test", 1000, 330, 330, { posthog: { ...posthog, method: "frequentist", chanceToWin: null, pValue: 0.12 } }),
      "frequentist",
    );
    expect(retention).toMatchObject({ model: "posthog", method: "frequentist", pValue: 0.12, controlMean: null, lift: null });
  });

  it("retention with denominator fields is analysed like PostHog (RatioStatistic)", () => {
    const c = arm("control", 1000, 300, 300, { denominatorSum: 900, denominatorSumSquares: 900, numeratorDenominatorSumProduct: 300 });
    const t = arm("test", 1000, 360, 360, { denominatorSum: 900, denominatorSumSquares: 900, numeratorDenominatorSumProduct: 360 });
    const r = compareToControl("retention", c, t, "frequentist");
    expect(r.model).toBe("welch-delta");
    expectRel(r.lift, 0.2, 1e-12, "lift");
    expect(r.pValue).toBeLessThan(0.05);
  });

  it("no model and no PostHog figures → error naming the reason", () => {
    expect(compareToControl("ratio", arm("control", 100, 10, 10), arm("test", 100, 12, 12), "frequentist").error).toMatch(/denominator statistics/);
    expect(compareToControl("legacy-funnels", arm("control", 100, 10, 10), arm("test", 100, 12, 12), "bayesian").error).toMatch(/legacy-funnels/);
    const empty = { method: null, chanceToWin: null, pValue: null, interval: null, significant: null };
    expect(compareToControl("legacy-trends", arm("control", 100, 10, 0), arm("test", 100, 12, 0, { posthog: empty }), "bayesian").model).toBe("posthog");
    expect(compareToControl("legacy-trends", arm("control", 100, 10, 0), arm("test", 100, 12, 0, { posthog: empty }), "bayesian").error).not.toBeNull();
  });

  it("impossible arms become an error, not an exception; a bad alpha is a programming error and throws", () => {
    expect(compareToControl("funnel", arm("control", 100, 120, 120), funnelTest, "frequentist").error).toMatch(/cannot exceed/);
    expect(() => compareToControl("mean", meanControl, meanTest, "frequentist", { alpha: 5 })).toThrow(StatsInputError);
  });
});
