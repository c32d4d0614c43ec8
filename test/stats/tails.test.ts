import { describe, expect, it } from "vitest";
import {
  chiSquareSf,
  normalQuantile,
  normalSf,
  normalTwoSidedP,
  StatsInputError,
  studentTQuantile,
  studentTTwoSidedP,
} from "../../src/stats/index.js";
import { erfc, regularizedGammaInc } from "../../src/stats/stdlib.js";
import { expectRel, vectors } from "./vectors.js";

describe("chiSquareSf", () => {
  it("matches the exact p of every SRM vector (p_value_str, down to 1.8e-219) to 1e-9 relative", () => {
    for (const c of vectors.srm_chi_square_gof.cases) {
      expectRel(chiSquareSf(c.chi2, c.df), Number(c.p_value_str), 1e-9, c.id);
    }
  });

  it("is where 1 − cdf fails: exact at 1.8e-219 (naive gives 0) and at 2.5e-10 (naive off by 3e-8)", () => {
    const naive = (x: number, df: number) => 1 - regularizedGammaInc(x / 2, df / 2, false);
    const extreme = vectors.srm_chi_square_gof.cases.find((c) => c.id === "2arm_n10M_extreme")!;
    expect(naive(extreme.chi2, extreme.df)).toBe(0);
    expect(extreme.p_value_float64_one_minus_cdf).toBe(0);
    expectRel(chiSquareSf(extreme.chi2, extreme.df), 1.7958327848e-219, 1e-9, "extreme");

    const tenTen = vectors.srm_chi_square_gof.cases.find((c) => c.id === "2arm_n10M_p_1e-10")!;
    const truth = Number(tenTen.p_value_str);
    // The naive value in our float64 and scipy's both miss the 1e-9 tolerance our function meets.
    expect(Math.abs(naive(tenTen.chi2, 1) - truth) / truth).toBeGreaterThan(1e-9);
    expect(Math.abs(tenTen.p_value_float64_one_minus_cdf - truth) / truth).toBeGreaterThan(1e-9);
    expectRel(chiSquareSf(tenTen.chi2, 1), truth, 1e-9, "p 2.5e-10");
  });

  it("equals erfc(√(x/2)) for 1 df across the whole range, down to ~1e-300", () => {
    for (const x of [1e-6, 0.5, 3.84, 10, 100, 500, 1000, 1370]) {
      const ref = erfc(Math.sqrt(x / 2));
      expect(ref).toBeGreaterThan(1e-305);
      expectRel(chiSquareSf(x, 1), ref, 1e-12, `x=${x}`);
    }
  });

  it("matches closed forms for 2 df (e^{−x/2}) and 4 df ((1 + x/2)e^{−x/2})", () => {
    for (const x of [0.1, 2, 20, 200, 1200]) {
      expectRel(chiSquareSf(x, 2), Math.exp(-x / 2), 1e-12, `df2 x=${x}`);
      expectRel(chiSquareSf(x, 4), (1 + x / 2) * Math.exp(-x / 2), 1e-12, `df4 x=${x}`);
    }
  });

  it("returns 1 at or below 0 and 0 at Infinity; rejects NaN and non-positive df", () => {
    expect(chiSquareSf(0, 3)).toBe(1);
    expect(chiSquareSf(-1, 3)).toBe(1);
    expect(chiSquareSf(Infinity, 3)).toBe(0);
    expect(() => chiSquareSf(Number.NaN, 1)).toThrow(StatsInputError);
    expect(() => chiSquareSf(1, 0)).toThrow(RangeError);
    expect(() => chiSquareSf(1, Infinity)).toThrow(/degrees of freedom/);
  });
});

describe("normal tails", () => {
  it("normalSf and normalTwoSidedP hit textbook values and stay exact in the far tail", () => {
    expectRel(normalSf(1.959963984540054), 0.025, 1e-12, "z 1.96");
    expectRel(normalTwoSidedP(-1.959963984540054), 0.05, 1e-12, "two-sided");
    expect(normalSf(0)).toBe(0.5);
    expect(normalTwoSidedP(0)).toBe(1);
    // Q(10) = 7.619853024160527e-24 (Abramowitz & Stegun 26.2; 1 − Φ(10) is 0 in float64).
    expectRel(normalSf(10), 7.619853024160527e-24, 1e-12, "z 10");
    expectRel(normalSf(-10), 1 - 7.619853024160527e-24, 1e-15, "z −10");
    expect(normalSf(40)).toBe(0); // true value ~3.7e-350 underflows
    expect(() => normalSf(Number.NaN)).toThrow(StatsInputError);
  });

  it("normalQuantile inverts normalSf and matches the constants of stats-vectors", () => {
    const k = vectors.sample_size_two_proportions.constants;
    expectRel(normalQuantile(0.975), k["z_0.975"] as number, 1e-11, "z 0.975");
    expectRel(normalQuantile(0.8), k["z_0.8"] as number, 1e-11, "z 0.8");
    for (const p of [1e-12, 0.001, 0.3, 0.5, 0.9]) expectRel(normalSf(-normalQuantile(p)), p, 1e-12, `p ${p}`);
    expect(normalQuantile(1)).toBe(Infinity);
    expect(() => normalQuantile(1.5)).toThrow(RangeError);
  });
});

describe("studentTTwoSidedP", () => {
  it("matches the Cauchy closed form (1 df): p = (2/π)·atan(1/|t|), both branches", () => {
    for (const t of [0.1, 0.5, 1, 2, 10, 1e5, 1e10]) {
      expectRel(studentTTwoSidedP(t, 1), (2 / Math.PI) * Math.atan(1 / t), 1e-12, `t=${t}`);
      expectRel(studentTTwoSidedP(-t, 1), (2 / Math.PI) * Math.atan(1 / t), 1e-12, `t=-${t}`);
    }
  });

  it("matches the 2 df closed form p = 1 − |t|/√(2 + t²) = 2/(√(2 + t²)(√(2 + t²) + |t|))", () => {
    for (const t of [0.01, 0.7, 1.5, 4, 300, 1e8]) {
      const s = Math.sqrt(2 + t * t);
      expectRel(studentTTwoSidedP(t, 2), 2 / (s * (s + t)), 1e-12, `t=${t}`);
    }
  });

  it("matches every Welch vector (scipy t.sf) and converges to the normal for huge df", () => {
    for (const c of vectors.welch_t_tests_from_summary_stats.cases) {
      expectRel(studentTTwoSidedP(c.t, c.welch_dof), c.two_sided_p, 1e-9, c.id);
    }
    expectRel(studentTTwoSidedP(3, Infinity), normalTwoSidedP(3), 1e-15, "df ∞");
    expectRel(studentTTwoSidedP(3, 1e9), normalTwoSidedP(3), 1e-7, "df 1e9");
    expect(studentTTwoSidedP(0, 5)).toBe(1);
    expect(studentTTwoSidedP(Infinity, 5)).toBe(0);
    expect(() => studentTTwoSidedP(1, -2)).toThrow(StatsInputError);
  });

  it("studentTQuantile inverts the two-sided p and falls back to the normal at df = Infinity", () => {
    for (const df of [1.5, 5, 30, 5841.74203209]) {
      const q = studentTQuantile(0.975, df);
      expectRel(studentTTwoSidedP(q, df), 0.05, 1e-9, `df ${df}`);
    }
    expect(studentTQuantile(0.975, Infinity)).toBe(normalQuantile(0.975));
    expect(() => studentTQuantile(0.5, 0)).toThrow(RangeError);
  });
});
