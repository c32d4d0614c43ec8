import { describe, expect, it } from "vitest";
import type { Variant } from "../../src/model.js";
import {
  chiSquareGoodnessOfFit,
  sampleRatioMismatch,
  SRM_MINIMUM_SAMPLE_SIZE,
  StatsInputError,
} from "../../src/stats/index.js";
import { expectRel, vectors } from "./vectors.js";

const split = (...pcts: number[]): Variant[] =>
  pcts.map((rolloutPercentage, i) => ({ key: i === 0 ? "control" : `test${i === 1 ? "" : `_${i}`}`, rolloutPercentage }));

describe("chiSquareGoodnessOfFit — every srm_chi_square_gof vector", () => {
  for (const c of vectors.srm_chi_square_gof.cases) {
    it(c.id, () => {
      const r = chiSquareGoodnessOfFit(c.counts, c.weights);
      expect(r.df).toBe(c.df);
      expectRel(r.chi2, c.chi2, 1e-9, "chi2");
      c.expected_counts.forEach((e, i) => expectRel(r.expected[i], e, 1e-9, `expected[${i}]`));
      expectRel(r.pValue, Number(c.p_value_str), 1e-9, "p");
      expect(r.pValue < 0.001).toBe(c["srm_at_0.001"]);
      expect(r.pValue < 0.01).toBe(c["srm_at_0.01"]);
    });
  }

  it("skips arms with weight <= 0 (counts and df) and keeps zero-count arms with weight", () => {
    const skipped = chiSquareGoodnessOfFit([1000, 1200, 77], [0.5, 0.5, 0]);
    const twoArm = chiSquareGoodnessOfFit([1000, 1200], [0.5, 0.5]);
    expect(skipped.df).toBe(1);
    expect(skipped.chi2).toBe(twoArm.chi2);
    expect(skipped.pValue).toBe(twoArm.pValue);
    expect(skipped.expected).toEqual([1100, 1100, 0]);
    expect(chiSquareGoodnessOfFit([0, 10, 10], [1, 1, 1]).df).toBe(2);
  });

  it("returns p = 1 with nothing to test: all zero counts, a single kept arm", () => {
    expect(chiSquareGoodnessOfFit([0, 0], [0.5, 0.5])).toEqual({ chi2: 0, df: 1, pValue: 1, expected: [0, 0] });
    expect(chiSquareGoodnessOfFit([40, 60], [1, 0])).toEqual({ chi2: 0, df: 0, pValue: 1, expected: [40, 0] });
  });

  it("throws RangeError on length mismatch, negative or non-finite counts", () => {
    expect(() => chiSquareGoodnessOfFit([1, 2], [1])).toThrow(RangeError);
    expect(() => chiSquareGoodnessOfFit([1, -2], [1, 1])).toThrow(/observed\[1\]/);
    expect(() => chiSquareGoodnessOfFit([1, Number.NaN], [1, 1])).toThrow(StatsInputError);
    expect(() => chiSquareGoodnessOfFit([1, 2], [1, Infinity])).toThrow(/weights\[1\]/);
  });
});

describe("sampleRatioMismatch — PostHog rules (posthog-api.md §5)", () => {
  it("reproduces every 2-arm/multi-arm vector through the PostHog wrapper, incl. share deviation", () => {
    for (const c of vectors.srm_chi_square_gof.cases) {
      const variants = c.weights.map((w, i) => ({ key: `v${i}`, rolloutPercentage: w * 100 }));
      const totals = Object.fromEntries(c.counts.map((n, i) => [`v${i}`, n]));
      const r = sampleRatioMismatch({ totals, variants, minExposures: 0 });
      if (c.weights.filter((w) => w > 0).length < 2 || c.total === 0) {
        expect(r, c.id).toBeNull();
        continue;
      }
      expect(r, c.id).not.toBeNull();
      expect(r!.total).toBe(c.total);
      expectRel(r!.pValue, Number(c.p_value_str), 1e-9, c.id);
      if (c.max_abs_share_deviation_pct_points !== undefined) {
        expect(r!.maxShareDeviation * 100).toBeCloseTo(c.max_abs_share_deviation_pct_points, 9);
      }
    }
  });

  it("PostHog test table: 50/50 → 50/50 gives p 1 and expected 50/50", () => {
    const r = sampleRatioMismatch({ totals: { control: 50, test: 50 }, variants: split(50, 50) })!;
    expect(r.pValue).toBe(1);
    expect(r.expected).toEqual({ control: 50, test: 50 });
    expect(r.chi2).toBe(0);
    expect(r.maxSigma).toBe(0);
  });

  it("PostHog test table: 90/10 (χ² 64, p 1.2442e-15) and 100/0 (χ² 100, p 1.5240e-23) are SRM", () => {
    const a = sampleRatioMismatch({ totals: { control: 90, test: 10 }, variants: split(50, 50) })!;
    expect(a.chi2).toBeCloseTo(64, 12);
    expectRel(a.pValue, 1.2442e-15, 1e-4, "90/10");
    expect(a.maxShareDeviation).toBeCloseTo(0.4, 12);
    expect(a.maxSigma).toBeCloseTo(8, 10); // 0.4 / √(0.25/100)
    const b = sampleRatioMismatch({ totals: { control: 100 }, variants: split(50, 50) })!;
    expect(b.observed).toEqual({ control: 100, test: 0 }); // a missing variant counts 0
    expect(b.chi2).toBeCloseTo(100, 12);
    expectRel(b.pValue, 1.524e-23, 1e-4, "100/0");
  });

  it("PostHog test table: 40/40 is below SRM_MINIMUM_SAMPLE_SIZE → null", () => {
    expect(SRM_MINIMUM_SAMPLE_SIZE).toBe(100);
    expect(sampleRatioMismatch({ totals: { control: 40, test: 40 }, variants: split(50, 50) })).toBeNull();
    expect(sampleRatioMismatch({ totals: { control: 50, test: 50 }, variants: split(50, 50) })).not.toBeNull();
    expect(sampleRatioMismatch({ totals: { control: 40, test: 40 }, variants: split(50, 50), minExposures: 80 })).not.toBeNull();
  });

  it("PostHog test table: 45/45/10 with variant_c missing → expected 67.5/67.5/15, χ² 17.4074, p 1.6597e-4", () => {
    const variants: Variant[] = [
      { key: "control", rolloutPercentage: 45 },
      { key: "test", rolloutPercentage: 45 },
      { key: "variant_c", rolloutPercentage: 10 },
    ];
    const r = sampleRatioMismatch({ totals: { control: 80, test: 70 }, variants })!;
    expect(r.included).toEqual(["control", "test", "variant_c"]);
    expect(r.expected).toEqual({ control: 67.5, test: 67.5, variant_c: 15 });
    expect(r.df).toBe(2);
    expectRel(r.chi2, 17.4074, 1e-5, "chi2");
    expectRel(r.pValue, 1.6597e-4, 1e-4, "p");
    expect(r.pValue).toBeLessThan(0.01);
  });

  it("PostHog test table: 0 % variants are ignored, even with exposures", () => {
    const variants: Variant[] = [...split(50, 50), { key: "disabled", rolloutPercentage: 0 }];
    const r = sampleRatioMismatch({ totals: { control: 50, test: 50, disabled: 1 }, variants })!;
    expect(Object.keys(r.expected)).toEqual(["control", "test"]);
    expect(r.total).toBe(100);
    expect(r.pValue).toBe(1);
  });

  it("holdout: counted as its own arm with its percentage (PostHog test_srm_calculation_adjusts_for_holdout: 20/40/40 → p = 1)", () => {
    const input = {
      totals: { "holdout-123": 20, control: 40, test: 40 },
      variants: split(50, 50),
      holdoutPercentage: 20,
      holdoutKey: "holdout-123",
    };
    const r = sampleRatioMismatch(input)!;
    expect(r.total).toBe(100);
    expect(r.df).toBe(2);
    expect(r.included).toEqual(["control", "test", "holdout-123"]);
    expect(r.holdoutArm).toBe("holdout-123");
    expect(r.expected).toEqual({ control: 40, test: 40, "holdout-123": 20 });
    expect(r.expectedShare).toEqual({ control: 0.4, test: 0.4, "holdout-123": 0.2 });
    expect(r.pValue).toBe(1);
    // Without the key, the one holdout-* key is found (older builds wrote "holdout-123.0").
    expect(sampleRatioMismatch({ ...input, holdoutKey: null, totals: { "holdout-123.0": 20, control: 40, test: 40 } })!.holdoutArm).toBe("holdout-123.0");
    // A short holdout is a mismatch: 10/45/45 against 20/40/40, χ² = 5 + 0.625 + 0.625 = 6.25 on 2 df, p = e^(−3.125).
    const short = sampleRatioMismatch({ ...input, totals: { "holdout-123": 10, control: 45, test: 45 } })!;
    expectRel(short.chi2, 6.25, 1e-12, "chi2");
    expectRel(short.pValue, Math.exp(-3.125), 1e-9, "p");
    expect(() => sampleRatioMismatch({ ...input, holdoutPercentage: 100 })).toThrow(RangeError);
  });

  it("holdout without its own exposures in the totals: left out, the variants' shares unchanged (PostHog's older rule)", () => {
    const r = sampleRatioMismatch({ totals: { control: 60, test: 60 }, variants: split(50, 50), holdoutPercentage: 20, holdoutKey: "holdout-123" })!;
    expect(r.holdoutArm).toBeNull();
    expect(r.total).toBe(120);
    expect(r.expectedShare).toEqual({ control: 0.5, test: 0.5 });
    expect(r.pValue).toBe(1);
  });

  it("$multiple is reported but not counted", () => {
    const r = sampleRatioMismatch({ totals: { control: 260, test: 255, $multiple: 3 }, variants: split(50, 50) })!;
    expect(r.multiple).toBe(3);
    expect(r.total).toBe(515);
    expect(r.expected).toEqual({ control: 257.5, test: 257.5 });
    expect(r.pValue).toBeCloseTo(0.826, 3); // posthog-api.md §4 example response
  });

  it("excluded variants are dropped from observed and expected", () => {
    const variants = split(34, 33, 33);
    const r = sampleRatioMismatch({
      totals: { control: 5000, test: 4800, test_2: 100 },
      variants,
      excludedVariants: ["test_2"],
    })!;
    expect(r.included).toEqual(["control", "test"]);
    expect(r.total).toBe(9800);
    expectRel(r.expectedShare.control!, 34 / 67, 1e-12, "share");
    expect(r.df).toBe(1);
    expect(sampleRatioMismatch({ totals: { control: 500, test: 500 }, variants: split(50, 50), excludedVariants: ["test"] })).toBeNull();
  });

  it("extra scipy vectors: 5200/4800 → 16, 6.334e-5; 560/440 → 14.4, 1.478e-4; 820/180 at 80/20 → 2.5, 0.1138", () => {
    const cases: [Record<string, number>, number[], number, number][] = [
      [{ control: 5200, test: 4800 }, [50, 50], 16, 6.334e-5],
      [{ control: 5300, test: 4700 }, [50, 50], 36, 1.973e-9],
      [{ control: 10100, test: 9900 }, [50, 50], 2, 0.1573],
      [{ control: 560, test: 440 }, [50, 50], 14.4, 1.478e-4],
      [{ control: 340, test: 330, test_2: 330 }, [100 / 3, 100 / 3, 100 / 3], 0.2, 0.9048],
      [{ control: 820, test: 180 }, [80, 20], 2.5, 0.1138],
    ];
    for (const [totals, pcts, chi2, p] of cases) {
      const r = sampleRatioMismatch({ totals, variants: split(...pcts) })!;
      expectRel(r.chi2, chi2, 1e-12, JSON.stringify(totals));
      expectRel(r.pValue, p, 1e-3, JSON.stringify(totals));
    }
  });

  it("computes the scout's sigma on the share: 5200/4800 is 4σ from 50 %", () => {
    const r = sampleRatioMismatch({ totals: { control: 5200, test: 4800 }, variants: split(50, 50) })!;
    expect(r.observedShare).toEqual({ control: 0.52, test: 0.48 });
    expect(r.maxShareDeviation).toBeCloseTo(0.02, 12);
    expect(r.maxSigma).toBeCloseTo(4, 10); // 0.02 / √(0.25/10000)
  });

  it("edge cases: no variants, a single arm, zero totals, bad counts and duplicate keys", () => {
    expect(sampleRatioMismatch({ totals: { control: 500 }, variants: [] })).toBeNull();
    expect(sampleRatioMismatch({ totals: { control: 500 }, variants: split(100) })).toBeNull();
    expect(sampleRatioMismatch({ totals: {}, variants: split(50, 50) })).toBeNull();
    expect(sampleRatioMismatch({ totals: { control: 0, test: 0 }, variants: split(50, 50), minExposures: 0 })).toBeNull();
    expect(() => sampleRatioMismatch({ totals: { control: -1, test: 200 }, variants: split(50, 50) })).toThrow(RangeError);
    expect(() =>
      sampleRatioMismatch({
        totals: { control: 100, test: 200 },
        variants: [
          { key: "control", rolloutPercentage: 50 },
          { key: "control", rolloutPercentage: 50 },
        ],
      }),
    ).toThrow(/duplicate/);
  });
});
