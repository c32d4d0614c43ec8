import { describe, expect, it } from "vitest";
import {
  sampleProgress,
  sampleSizePerVariantTwoProportions,
  sampleSizeRuleOf16,
  StatsInputError,
} from "../../src/stats/index.js";
import { expectRel, vectors } from "./vectors.js";

describe("sample size — every sample_size_two_proportions vector", () => {
  for (const c of vectors.sample_size_two_proportions.cases) {
    it(`baseline ${c.baseline}, MDE ${c.mde_relative}`, () => {
      const opts = { alpha: c.alpha_two_sided, power: c.power };
      const unpooled = sampleSizePerVariantTwoProportions(c.baseline, c.mde_relative, opts);
      const pooled = sampleSizePerVariantTwoProportions(c.baseline, c.mde_relative, { ...opts, pooled: true });
      // n_per_arm_unpooled is printed to 9 significant digits in some cases.
      expectRel(unpooled, c.n_per_arm_unpooled, 1e-8, "unpooled");
      expectRel(pooled, c.n_per_arm_pooled_null_variance, 1e-9, "pooled");
      expect(Math.ceil(unpooled)).toBe(c.n_per_arm_unpooled_ceil);
      expect(Math.ceil(pooled)).toBe(c.n_per_arm_pooled_ceil);
      expectRel(sampleSizeRuleOf16(c.baseline * (1 - c.baseline), c.abs_delta), c.n_per_arm_rule_of_thumb_16, 1e-9, "16 rule");
    });
  }

  it("defaults to alpha 0.05, power 0.8, unpooled; stricter settings need more users", () => {
    const base = sampleSizePerVariantTwoProportions(0.1, 0.1);
    expectRel(base, 14748.0450208, 1e-9, "defaults");
    expect(sampleSizePerVariantTwoProportions(0.1, 0.1, { alpha: 0.01 })).toBeGreaterThan(base);
    expect(sampleSizePerVariantTwoProportions(0.1, 0.1, { power: 0.9 })).toBeGreaterThan(base);
    expect(sampleSizePerVariantTwoProportions(0.1, -0.1)).toBeGreaterThan(0);
  });

  it("rejects impossible inputs with typed errors", () => {
    expect(() => sampleSizePerVariantTwoProportions(0, 0.1)).toThrow(StatsInputError);
    expect(() => sampleSizePerVariantTwoProportions(0.6, 1)).toThrow(/between 0 and 1/);
    expect(() => sampleSizePerVariantTwoProportions(0.1, 0)).toThrow(RangeError);
    expect(() => sampleSizePerVariantTwoProportions(0.1, 0.1, { power: 1 })).toThrow(RangeError);
    expect(() => sampleSizeRuleOf16(0, 0.1)).toThrow(RangeError);
    expect(() => sampleSizeRuleOf16(0.25, 0)).toThrow(RangeError);
  });
});

describe("sampleProgress", () => {
  it("follows the slowest variant: fraction, daily rate and ceil(days remaining)", () => {
    const p = sampleProgress({ control: 5000, test: 4000 }, 10_000, 8);
    expect(p.perVariant).toEqual({ control: { exposures: 5000, fraction: 0.5 }, test: { exposures: 4000, fraction: 0.4 } });
    expect(p.minFraction).toBe(0.4);
    expect(p.exposuresPerDay).toBe(500);
    expect(p.daysRemaining).toBe(12); // (10000 − 4000)/500
    expect(sampleProgress({ control: 5000, test: 4001 }, 10_000, 8).daysRemaining).toBe(12); // 11.998 → 12
    expect(sampleProgress({ control: 5000, test: 3999 }, 10_000, 8).daysRemaining).toBe(13); // 12.0025 → 13
  });

  it("reports 0 days once every variant reached the target; fractions may exceed 1", () => {
    const p = sampleProgress({ control: 12_000, test: 10_000 }, 10_000, 3);
    expect(p.daysRemaining).toBe(0);
    expect(p.perVariant.control!.fraction).toBe(1.2);
    expect(p.minFraction).toBe(1);
  });

  it("returns null rate/days when nothing ran yet or a variant has no exposures", () => {
    expect(sampleProgress({ control: 10, test: 0 }, 100, 5)).toMatchObject({ exposuresPerDay: 0, daysRemaining: null, minFraction: 0 });
    expect(sampleProgress({ control: 10, test: 10 }, 100, 0)).toMatchObject({ exposuresPerDay: null, daysRemaining: null });
    expect(sampleProgress({}, 100, 3)).toEqual({ targetPerVariant: 100, perVariant: {}, minFraction: 0, exposuresPerDay: null, daysRemaining: null });
  });

  it("rejects a non-positive target and negative counts/days", () => {
    expect(() => sampleProgress({ control: 1 }, 0, 1)).toThrow(RangeError);
    expect(() => sampleProgress({ control: -1 }, 10, 1)).toThrow(/exposures of "control"/);
    expect(() => sampleProgress({ control: 1 }, 10, -1)).toThrow(StatsInputError);
  });
});
