import { describe, expect, it } from "vitest";
import {
  momentsFromProportion,
  momentsFromRatio,
  momentsFromSums,
  StatsInputError,
  twoProportionZTest,
  welchRelativeLift,
  welchTTest,
} from "../../src/stats/index.js";
import { expectRel, vectors } from "./vectors.js";

describe("moments", () => {
  it("momentsFromSums uses the n − 1 sample variance (GrowthBook/PostHog vector: 1396.87, 52377.9767, 3407 → 0.41, 15.21)", () => {
    const m = momentsFromSums(3407, 1396.87, 52377.9767);
    expectRel(m.mean, 0.41, 1e-12, "mean");
    expectRel(m.variance, 15.21, 1e-10, "variance");
    expect(momentsFromSums(1, 5, 25)).toEqual({ n: 1, mean: 5, variance: 0 });
    expect(momentsFromSums(4, 4, 4).variance).toBe(0);
  });

  it("momentsFromSums rejects impossible sums and n < 1", () => {
    expect(() => momentsFromSums(10, 10, 5)).toThrow(/sumSquares/);
    expect(() => momentsFromSums(0, 0, 0)).toThrow(StatsInputError);
    expect(() => momentsFromSums(5, Number.NaN, 1)).toThrow(RangeError);
  });

  it("momentsFromProportion uses p(1 − p) without n − 1 and checks counts", () => {
    expect(momentsFromProportion(1000, 100)).toEqual({ n: 1000, mean: 0.1, variance: 0.1 * 0.9 });
    expect(() => momentsFromProportion(10, 11)).toThrow(/exceed/);
    expect(() => momentsFromProportion(10, -1)).toThrow(StatsInputError);
  });

  it("momentsFromRatio: delta-method variance; reduces to the mean metric when every denominator is 1", () => {
    const r = momentsFromRatio({
      n: 100,
      numeratorSum: 250,
      numeratorSumSquares: 900,
      denominatorSum: 100,
      denominatorSumSquares: 100,
      numeratorDenominatorSumProduct: 250,
    });
    const m = momentsFromSums(100, 250, 900);
    expectRel(r.mean, m.mean, 1e-15, "mean");
    expectRel(r.variance, m.variance, 1e-12, "variance");
    expect(() =>
      momentsFromRatio({ n: 10, numeratorSum: 1, numeratorSumSquares: 1, denominatorSum: 0, denominatorSumSquares: 0, numeratorDenominatorSumProduct: 0 }),
    ).toThrow(expect.objectContaining({ code: "zero-baseline" }));
  });
});

describe("welchTTest and welchRelativeLift — every welch_t_tests_from_summary_stats vector", () => {
  for (const c of vectors.welch_t_tests_from_summary_stats.cases) {
    it(c.id, () => {
      const abs = welchTTest(c.control, c.treatment);
      expectRel(abs.diff, c.abs_diff, 1e-12, "diff");
      expectRel(abs.se, c.se_abs, 1e-9, "se");
      expectRel(abs.t, c.t, 1e-9, "t");
      expectRel(abs.dof, c.welch_dof, 1e-9, "dof");
      expectRel(abs.pValue, c.two_sided_p, 1e-9, "p");
      expectRel(abs.ci[0], c.abs_ci95_t[0], 1e-9, "ci lo");
      expectRel(abs.ci[1], c.abs_ci95_t[1], 1e-9, "ci hi");

      const rel = welchRelativeLift(c.control, c.treatment);
      expectRel(rel.lift, c.relative_lift, 1e-11, "lift");
      expectRel(rel.se, c.relative_lift_se_delta, 1e-9, "rel se");
      expectRel(rel.statistic, c.relative_t, 1e-9, "rel t");
      expectRel(rel.dof, c.welch_dof, 1e-9, "rel dof (absolute-variance Welch dof)");
      expectRel(rel.pValue, c.relative_two_sided_p_growthbook_style, 1e-9, "rel p");
      expectRel(rel.ci[0], c.relative_ci95_t_growthbook_style[0], 1e-9, "rel ci lo");
      expectRel(rel.ci[1], c.relative_ci95_t_growthbook_style[1], 1e-9, "rel ci hi");
    });
  }

  it("the relative p differs from the absolute p (0.0619 vs 0.0202 on GrowthBook's vector)", () => {
    const c = vectors.welch_t_tests_from_summary_stats.cases[0]!;
    expect(welchRelativeLift(c.control, c.treatment).pValue).toBeGreaterThan(0.06);
    expect(welchTTest(c.control, c.treatment).pValue).toBeLessThan(0.021);
  });

  it("alpha widens or narrows the interval", () => {
    const c = vectors.welch_t_tests_from_summary_stats.cases[1]!;
    const w95 = welchRelativeLift(c.control, c.treatment, 0.05).ci;
    const w99 = welchRelativeLift(c.control, c.treatment, 0.01).ci;
    expect(w99[0]).toBeLessThan(w95[0]);
    expect(w99[1]).toBeGreaterThan(w95[1]);
  });

  it("throws typed errors: zero baseline, zero variance, n < 2, bad alpha", () => {
    const ok = { n: 100, mean: 1, variance: 1 };
    expect(() => welchRelativeLift({ n: 100, mean: 0, variance: 1 }, ok)).toThrow(
      expect.objectContaining({ code: "zero-baseline", message: expect.stringMatching(/baseline mean is zero/) }),
    );
    expect(() => welchTTest({ n: 10, mean: 1, variance: 0 }, { n: 10, mean: 2, variance: 0 })).toThrow(
      expect.objectContaining({ code: "zero-variance" }),
    );
    expect(() => welchTTest({ n: 1, mean: 1, variance: 0 }, ok)).toThrow(expect.objectContaining({ code: "too-few-samples" }));
    expect(() => welchTTest(ok, ok, 1.2)).toThrow(RangeError);
  });
});

describe("PostHog frequentist vectors (products/experiments/stats/tests/test_frequentist.py)", () => {
  it("mean: treatment {2461, 1922.7, 94698.29} vs control {2507, 1196.87, 37377.9767} → CI [−0.0875, 1.36048], p 0.08487", () => {
    const r = welchRelativeLift(momentsFromSums(2507, 1196.87, 37377.9767), momentsFromSums(2461, 1922.7, 94698.29));
    expect(r.lift).toBeCloseTo(0.63646, 4);
    expect(r.ci[0]).toBeCloseTo(-0.0875, 4);
    expect(r.ci[1]).toBeCloseTo(1.36048, 4);
    expect(r.pValue).toBeCloseTo(0.08487, 4);
  });

  it("funnel: control 87/1529, treatment 62/1471 with p(1 − p) → effect −0.25925, CI [−0.49475, −0.02376], p 0.030960", () => {
    const r = welchRelativeLift(momentsFromProportion(1529, 87), momentsFromProportion(1471, 62));
    expect(r.lift).toBeCloseTo(-0.25925, 4); // PostHog truncates −0.2592575 to 5 decimals
    expect(r.ci[0]).toBeCloseTo(-0.49475, 5);
    expect(r.ci[1]).toBeCloseTo(-0.02376, 5);
    expect(r.pValue).toBeCloseTo(0.03096, 5);
    // The n − 1 convention does not reproduce PostHog's CI: evidence for the p(1 − p) choice.
    const nMinus1 = welchRelativeLift(momentsFromSums(1529, 87, 87), momentsFromSums(1471, 62, 62));
    expect(Math.abs(nMinus1.ci[0] - -0.49475)).toBeGreaterThan(5e-5);
  });

  it("ratio: delta-method RatioStatistic → effect 0.041333, CI [0.01378609, 0.0689], p 0.0032826", () => {
    const treatment = momentsFromRatio({
      n: 2034,
      numeratorSum: 99673.9364269569,
      numeratorSumSquares: 11298745.182728939,
      denominatorSum: 947,
      denominatorSumSquares: 947,
      numeratorDenominatorSumProduct: 99673.9364269569,
    });
    const control = momentsFromRatio({
      n: 1966,
      numeratorSum: 94605.79858780127,
      numeratorSumSquares: 10463129.505392816,
      denominatorSum: 936,
      denominatorSumSquares: 936,
      numeratorDenominatorSumProduct: 94605.79858780127,
    });
    const r = welchRelativeLift(control, treatment);
    expect(r.lift).toBeCloseTo(0.041333, 5);
    expect(r.ci[0]).toBeCloseTo(0.01378609, 5);
    expect(r.ci[1]).toBeCloseTo(0.0689, 4);
    expect(r.pValue).toBeCloseTo(0.0032826, 6);
  });
});

describe("twoProportionZTest — every two_proportion_tests vector", () => {
  for (const c of vectors.two_proportion_tests.cases) {
    it(c.id, () => {
      const r = twoProportionZTest(c.control, c.treatment);
      expectRel(r.pControl, c.p_control, 1e-15, "pC");
      expectRel(r.pTreatment, c.p_treatment, 1e-15, "pT");
      expectRel(r.z, c.pooled_z, 1e-9, "z");
      expectRel(r.pValue, Number(c.pooled_z_two_sided_p_str), 1e-9, "p");
      expectRel(r.pValue, c.scipy_chi2_contingency_no_yates_p, 1e-9, "= 2×2 χ² without Yates");
      if (c.relative_lift === null) {
        expect(r.lift).toBeNull();
        expect(r.liftSe).toBeNull();
        expect(r.liftCi).toBeNull();
        expect(() => welchRelativeLift(momentsFromProportion(c.control.n, c.control.conversions), momentsFromProportion(c.treatment.n, c.treatment.conversions))).toThrow(
          expect.objectContaining({ code: "zero-baseline" }),
        );
        return;
      }
      expectRel(r.lift, c.relative_lift, 1e-11, "lift");
      expectRel(r.liftSe, c.relative_lift_se_delta!, 1e-9, "lift se");
      expectRel(r.liftCi![0], c.relative_lift_ci95_delta_z![0], 1e-9, "ci lo");
      expectRel(r.liftCi![1], c.relative_lift_ci95_delta_z![1], 1e-9, "ci hi");

      // GrowthBook/PostHog style on the same counts: Welch t on the relative lift with p(1 − p) variances.
      const gb = c.growthbook_style!;
      const w = welchRelativeLift(
        momentsFromProportion(c.control.n, c.control.conversions),
        momentsFromProportion(c.treatment.n, c.treatment.conversions),
      );
      expectRel(w.dof, gb.welch_dof, 1e-9, "gb dof");
      expectRel(w.statistic, gb.t, 1e-9, "gb t");
      expectRel(w.pValue, gb.two_sided_p, 1e-9, "gb p");
      expectRel(w.ci[0], gb.ci95[0], 1e-9, "gb ci lo");
      expectRel(w.ci[1], gb.ci95[1], 1e-9, "gb ci hi");
    });
  }

  it("handles both arms at 0 % (z 0, p 1) and rejects impossible counts", () => {
    const r = twoProportionZTest({ n: 100, conversions: 0 }, { n: 100, conversions: 0 });
    expect(r.z).toBe(0);
    expect(r.pValue).toBe(1);
    expect(r.lift).toBeNull();
    expect(() => twoProportionZTest({ n: 10, conversions: 11 }, { n: 10, conversions: 1 })).toThrow(RangeError);
    expect(() => twoProportionZTest({ n: 0, conversions: 0 }, { n: 10, conversions: 1 })).toThrow(StatsInputError);
  });
});
