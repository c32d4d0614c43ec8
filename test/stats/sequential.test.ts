import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { MetricArm } from "../../src/model.js";
import {
  alwaysValid,
  alwaysValidPValue,
  chiSquareGoodnessOfFit,
  compareToControl,
  momentsFromProportion,
  momentsFromSums,
  sequentialHalfWidth,
  sequentialRho,
  sequentialSrmPValue,
  StatsInputError,
  welchRelativeLift,
} from "../../src/stats/index.js";
import { mulberry32 } from "../support/random.js";
import { expectRel } from "./vectors.js";

interface Vectors {
  growthbook_two_sided: {
    id: string;
    kind: "mean" | "proportion";
    control: { n: number; sum?: number; sum_squares?: number; conversions?: number };
    treatment: { n: number; sum?: number; sum_squares?: number; conversions?: number };
    tuning: number;
    alpha: number;
    expected: number;
    se: number;
    ci: [number, number];
    p_value: number;
    decimals: number;
  }[];
  growthbook_tuning_order: { tunings: number[] };
  reproduced_two_sided: {
    id: string;
    control: { n: number; conversions: number };
    treatment: { n: number; conversions: number };
    tuning: number;
    alpha: number;
    rho: number;
    lift: number;
    se: number;
    half_width: number;
    p_value: number;
  }[];
  rho: { alpha: number; tuning: number; rho: number }[];
  sequential_srm: { id: string; counts: number[]; weights: number[]; concentration: number; log_bayes_factor: number; p_value: number }[];
}

const V = JSON.parse(readFileSync(new URL("../fixtures/sequential-vectors.json", import.meta.url), "utf8")) as Vectors;

const moments = (kind: string, a: Vectors["growthbook_two_sided"][number]["control"]) =>
  kind === "mean" ? momentsFromSums(a.n, a.sum!, a.sum_squares!) : momentsFromProportion(a.n, a.conversions!);

describe("sequentialRho / sequentialHalfWidth / alwaysValidPValue (Waudby-Smith et al. 2023 eqs. 9, 155, 161)", () => {
  for (const r of V.rho) {
    it(`ρ at α ${r.alpha}, N* ${r.tuning}`, () => expectRel(sequentialRho(r.alpha, r.tuning), r.rho, 1e-12, "rho"));
  }

  for (const c of V.growthbook_two_sided) {
    it(`GrowthBook ${c.id}`, () => {
      const ctl = moments(c.kind, c.control);
      const trt = moments(c.kind, c.treatment);
      const fixed = welchRelativeLift(ctl, trt, c.alpha);
      const av = alwaysValid(fixed.lift, fixed.se, ctl.n + trt.n, c.alpha, c.tuning);
      const tol = 0.5 * 10 ** -c.decimals + 1e-12;
      expect(Math.abs(fixed.lift - c.expected)).toBeLessThanOrEqual(tol);
      expect(Math.abs(fixed.se - c.se)).toBeLessThanOrEqual(tol);
      expect(Math.abs(av.interval[0] - c.ci[0])).toBeLessThanOrEqual(tol);
      expect(Math.abs(av.interval[1] - c.ci[1])).toBeLessThanOrEqual(tol);
      expect(Math.abs(av.pValue - c.p_value)).toBeLessThanOrEqual(tol);
    });
  }

  it("GrowthBook tuning test: a badly under-tuned N* is wider than over-tuned, and N* = n is the narrowest", () => {
    const c = V.growthbook_two_sided[0]!;
    const ctl = moments(c.kind, c.control);
    const trt = moments(c.kind, c.treatment);
    const fixed = welchRelativeLift(ctl, trt);
    const [below, near, above] = V.growthbook_tuning_order.tunings.map((t) => alwaysValid(fixed.lift, fixed.se, ctl.n + trt.n, 0.05, t).interval);
    expect(below![0]).toBeLessThan(above![0]);
    expect(below![1]).toBeGreaterThan(above![1]);
    expect(above![0]).toBeLessThan(near![0]);
    expect(above![1]).toBeGreaterThan(near![1]);
  });

  for (const c of V.reproduced_two_sided) {
    it(`reproduced (scipy): ${c.id}`, () => {
      const ctl = momentsFromProportion(c.control.n, c.control.conversions);
      const trt = momentsFromProportion(c.treatment.n, c.treatment.conversions);
      const fixed = welchRelativeLift(ctl, trt);
      expectRel(fixed.lift, c.lift, 1e-12, "lift");
      expectRel(fixed.se, c.se, 1e-12, "se");
      const rho = sequentialRho(c.alpha, c.tuning);
      expectRel(rho, c.rho, 1e-12, "rho");
      expectRel(sequentialHalfWidth(fixed.se, ctl.n + trt.n, c.alpha, rho), c.half_width, 1e-10, "half-width");
      expectRel(alwaysValidPValue(fixed.lift, fixed.se, ctl.n + trt.n, rho), c.p_value, 1e-10, "p");
    });
  }

  it("the always-valid p-value and interval are dual: p < α exactly when the (1 − α) sequence excludes 0", () => {
    const rand = mulberry32(7);
    for (let i = 0; i < 500; i++) {
      const est = (rand() - 0.5) * 0.4;
      const se = 0.01 + rand() * 0.1;
      const n = 100 + Math.floor(rand() * 50_000);
      const tuning = 1000 + rand() * 50_000;
      const av = alwaysValid(est, se, n, 0.05, tuning);
      const excludes = av.interval[0] > 0 || av.interval[1] < 0;
      expect(av.pValue < 0.05).toBe(excludes);
    }
  });

  it("is wider than the fixed-horizon interval and never smaller in p", () => {
    const ctl = momentsFromProportion(10_000, 1000);
    const trt = momentsFromProportion(10_000, 1100);
    const fixed = welchRelativeLift(ctl, trt);
    const av = alwaysValid(fixed.lift, fixed.se, 20_000, 0.05, 20_000);
    expect(av.interval[1] - av.interval[0]).toBeGreaterThan(fixed.ci[1] - fixed.ci[0]);
    expect(av.pValue).toBeGreaterThan(fixed.pValue);
  });

  it("bad inputs throw typed errors", () => {
    expect(() => sequentialRho(0, 1000)).toThrow(StatsInputError);
    expect(() => sequentialRho(0.05, 0)).toThrow(/tuningSampleSize/);
    expect(() => sequentialRho(0.6, 1000, false)).toThrow(/below 0.5/);
    expect(() => sequentialHalfWidth(0, 100, 0.05, 0.1)).toThrow(expect.objectContaining({ code: "zero-variance" }));
    expect(() => alwaysValidPValue(0.1, 0.1, 0, 0.1)).toThrow(expect.objectContaining({ code: "too-few-samples" }));
  });
});

describe("compareToControl with opts.sequential", () => {
  const arm = (key: string, n: number, c: number): MetricArm => ({ key, numberOfSamples: n, sum: c, sumSquares: c, validationFailures: [] });
  it("adds the always-valid p and confidence sequence on the same lift and SE (frequentist and Bayesian)", () => {
    const c = V.reproduced_two_sided[0]!;
    for (const method of ["frequentist", "bayesian"] as const) {
      const r = compareToControl("funnel", arm("control", 10_000, 1000), arm("test", 10_000, 1100), method, {
        sequential: { alpha: 0.05, tuningSampleSize: c.tuning },
      });
      expect(r.alwaysValid).not.toBeNull();
      expectRel(r.alwaysValid!.pValue, c.p_value, 1e-10, `${method} p`);
      expectRel(r.alwaysValid!.interval[1] - r.lift!, c.half_width, 1e-10, `${method} half-width`);
    }
    expect(compareToControl("funnel", arm("control", 10_000, 1000), arm("test", 10_000, 1100), "frequentist").alwaysValid).toBeNull();
  });

  it("negative control mean: control −10 → variant −5 is +50 %, significantly better (GrowthBook frequentist_diff)", () => {
    const mean = (key: string, n: number, m: number, sd: number): MetricArm => ({
      key,
      numberOfSamples: n,
      sum: n * m,
      sumSquares: (n - 1) * sd * sd + n * m * m,
      validationFailures: [],
    });
    const r = compareToControl("mean", mean("control", 1000, -10, 10), mean("test", 1000, -5, 10), "frequentist");
    expect(r.lift).toBeCloseTo(0.5, 12);
    expect(r.interval![0]).toBeGreaterThan(0);
    const b = compareToControl("mean", mean("control", 1000, -10, 10), mean("test", 1000, -15, 10), "bayesian");
    expect(b.lift).toBeCloseTo(-0.5, 12);
    expect(b.chanceToWin).toBeLessThan(0.001);
  });
});

describe("sequentialSrmPValue (Lindon & Malek 2022; reproduced with scipy gammaln)", () => {
  for (const c of V.sequential_srm) {
    it(c.id, () => {
      const p = sequentialSrmPValue(c.counts, c.weights, c.concentration);
      expectRel(p, c.p_value, 1e-8, "p");
    });
  }

  it("is more conservative than the χ² at one look (5,300 / 4,700: χ² p 1.97e-9, sequential 1.7e-4)", () => {
    expect(chiSquareGoodnessOfFit([5300, 4700], [1, 1]).pValue).toBeLessThan(1e-8);
    expect(sequentialSrmPValue([5300, 4700], [1, 1])).toBeGreaterThan(1e-4);
  });

  it("stays valid when checked daily: null 50/50 traffic crosses 0.001 rarely over 28 looks (seeded)", () => {
    const rand = mulberry32(2022);
    let alarms = 0;
    const runs = 300;
    for (let r = 0; r < runs; r++) {
      let a = 0;
      let b = 0;
      let alarmed = false;
      for (let day = 0; day < 28 && !alarmed; day++) {
        for (let u = 0; u < 200; u++) (rand() < 0.5 ? a++ : b++);
        if (sequentialSrmPValue([a, b], [1, 1]) < 0.001) alarmed = true;
      }
      if (alarmed) alarms++;
    }
    // Ville's inequality bounds the any-look false alarm rate by 0.001; 300 runs allow at most a couple.
    expect(alarms).toBeLessThanOrEqual(2);
  });

  it("returns 1 with nothing to test and throws on bad input", () => {
    expect(sequentialSrmPValue([0, 0], [1, 1])).toBe(1);
    expect(sequentialSrmPValue([10, 5], [1, 0])).toBe(1);
    expect(() => sequentialSrmPValue([1], [1, 1])).toThrow(StatsInputError);
    expect(() => sequentialSrmPValue([1, -1], [1, 1])).toThrow(/observed\[1\]/);
    expect(() => sequentialSrmPValue([1, 1], [1, 1], 0)).toThrow(/concentration/);
  });
});
