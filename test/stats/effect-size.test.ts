import { describe, expect, it } from "vitest";
import type { MetricArm } from "../../src/model.js";
import { cohensD, cohensH, effectSizeFromArms, effectSizeLabel, StatsInputError } from "../../src/stats/index.js";

/**
 * Reference values computed independently with Python 3 (`math.asin`, `math.sqrt`, `statistics`):
 *   h = lambda p1, p2: 2*asin(sqrt(p2)) - 2*asin(sqrt(p1))
 *   h(0.5, 0.4)  = -0.20135792079033088
 *   h(0.1, 0.12) =  0.06398210298605855
 *   h(0.1, 0.2)  =  0.2837941092083278
 *   h(0.05, 0.3) =  0.7082526689311461
 *   h(0, 1)      =  3.141592653589793
 *   d = lambda m1, v1, n1, m2, v2, n2: (m2 - m1) / sqrt(((n1-1)*v1 + (n2-1)*v2) / (n1+n2-2))
 *   d(10, 4, 20, 12, 9, 30) = 0.7548065564669267
 *   d(50, 400, 10000, 51, 400, 10000) = 0.05
 *   raw samples c = [1, 2, 3, 4, 5], t = [3, 4, 5, 6]: statistics.variance → 2.5 and 1.6666666666666667,
 *   d = 1.0246950765959597 (sums: c n 5, Σx 15, Σx² 55; t n 4, Σx 18, Σx² 86)
 */
const REL = 1e-12;

function expectClose(actual: number | null | undefined, expected: number): void {
  expect(actual).not.toBeNull();
  expect(actual).toBeDefined();
  expect(Math.abs((actual as number) - expected)).toBeLessThanOrEqual(REL * Math.max(1, Math.abs(expected)));
}

const arm = (key: string, n: number, sum: number, sumSquares: number): MetricArm => ({
  key,
  numberOfSamples: n,
  sum,
  sumSquares,
  validationFailures: [],
});

describe("cohensH", () => {
  it.each([
    [0.5, 0.4, -0.20135792079033088],
    [0.1, 0.12, 0.06398210298605855],
    [0.1, 0.2, 0.2837941092083278],
    [0.05, 0.3, 0.7082526689311461],
    [0, 1, 3.141592653589793],
    [0.3, 0.3, 0],
  ])("h(%s, %s) = %s", (p1, p2, h) => expectClose(cohensH(p1, p2), h));

  it("is antisymmetric", () => {
    expect(cohensH(0.4, 0.5)).toBeCloseTo(-cohensH(0.5, 0.4), 15);
  });

  it.each([
    [-0.01, 0.5, /p1 must be a proportion in \[0, 1\], got -0.01/],
    [0.5, 1.5, /p2 must be a proportion in \[0, 1\], got 1.5/],
    [Number.NaN, 0.5, /p1 must be a finite number/],
    [0.5, Number.POSITIVE_INFINITY, /p2 must be a finite number/],
  ])("throws StatsInputError for h(%s, %s)", (p1, p2, message) => {
    expect(() => cohensH(p1, p2)).toThrow(StatsInputError);
    expect(() => cohensH(p1, p2)).toThrow(message);
  });
});

describe("cohensD", () => {
  it("matches the pooled-SD formula on summary statistics", () => {
    expectClose(cohensD({ mean: 10, variance: 4, n: 20 }, { mean: 12, variance: 9, n: 30 }), 0.7548065564669267);
    expectClose(cohensD({ mean: 50, variance: 400, n: 10_000 }, { mean: 51, variance: 400, n: 10_000 }), 0.05);
  });

  it("weights the variances by n − 1 (unequal groups differ from the plain average of variances)", () => {
    const d = cohensD({ mean: 10, variance: 4, n: 20 }, { mean: 12, variance: 9, n: 30 });
    const unweighted = 2 / Math.sqrt((4 + 9) / 2); // 0.7844645405527362, the wrong (unpooled-average) answer
    expect(Math.abs((d ?? 0) - unweighted)).toBeGreaterThan(0.02);
  });

  it("is negative when the second group's mean is lower and flips sign when the groups swap", () => {
    const a = { mean: 10, variance: 4, n: 20 };
    const b = { mean: 12, variance: 9, n: 30 };
    expectClose(cohensD(b, a), -0.7548065564669267);
  });

  it("returns null when both groups have zero variance", () => {
    expect(cohensD({ mean: 1, variance: 0, n: 5 }, { mean: 2, variance: 0, n: 5 })).toBeNull();
  });

  it("throws too-few-samples for n < 2", () => {
    const call = () => cohensD({ mean: 1, variance: 1, n: 1 }, { mean: 2, variance: 1, n: 10 });
    expect(call).toThrow(StatsInputError);
    expect(call).toThrow(/a\.n must be >= 2/);
    try {
      call();
    } catch (e) {
      expect((e as StatsInputError).code).toBe("too-few-samples");
    }
  });

  it.each([
    [{ mean: 1, variance: -0.5, n: 10 }, /a\.variance must be >= 0, got -0.5/],
    [{ mean: Number.NaN, variance: 1, n: 10 }, /a\.mean must be a finite number/],
    [{ mean: 1, variance: Number.POSITIVE_INFINITY, n: 10 }, /a\.variance must be a finite number/],
    [{ mean: 1, variance: 1, n: Number.NaN }, /a\.n must be a finite number/],
  ])("throws invalid-input for %o", (a, message) => {
    expect(() => cohensD(a, { mean: 2, variance: 1, n: 10 })).toThrow(message);
    try {
      cohensD(a, { mean: 2, variance: 1, n: 10 });
    } catch (e) {
      expect(e).toBeInstanceOf(StatsInputError);
      expect((e as StatsInputError).code).toBe("invalid-input");
    }
  });
});

describe("effectSizeLabel", () => {
  it.each([
    [0, "negligible"],
    [0.19999, "negligible"],
    [-0.19999, "negligible"],
    [0.2, "small"],
    [-0.2, "small"],
    [0.49999, "small"],
    [0.5, "medium"],
    [-0.79999, "medium"],
    [0.8, "large"],
    [-0.8, "large"],
    [3.14, "large"],
  ] as const)("effectSizeLabel(%s) = %s", (x, label) => expect(effectSizeLabel(x)).toBe(label));

  it("throws StatsInputError for a non-finite value", () => {
    expect(() => effectSizeLabel(Number.NaN)).toThrow(StatsInputError);
  });
});

describe("effectSizeFromArms", () => {
  it("funnel: Cohen's h on the conversion rates (1,000/10,000 vs 1,200/10,000)", () => {
    const r = effectSizeFromArms("funnel", arm("control", 10_000, 1_000, 1_000), arm("test", 10_000, 1_200, 1_200));
    expect(r?.kind).toBe("cohens-h");
    expectClose(r?.value, 0.06398210298605855);
    expect(r?.label).toBe("negligible");
  });

  it("funnel: 5% vs 30% is a medium h", () => {
    const r = effectSizeFromArms("funnel", arm("control", 200, 10, 10), arm("test", 100, 30, 30));
    expectClose(r?.value, 0.7082526689311461);
    expect(r?.label).toBe("medium");
  });

  it("mean: Cohen's d with sample variances from the sums", () => {
    const r = effectSizeFromArms("mean", arm("control", 5, 15, 55), arm("test", 4, 18, 86));
    expect(r?.kind).toBe("cohens-d");
    expectClose(r?.value, 1.0246950765959597);
    expect(r?.label).toBe("large");
  });

  it("mean: means 50 vs 42.5 with sd 20 in both arms → d = −0.375 (small)", () => {
    // sumSquares = (n − 1)·sd² + n·mean² reproduces sd exactly, so d = −7.5/20.
    const mk = (key: string, mean: number) => arm(key, 10_000, 10_000 * mean, 9_999 * 400 + 10_000 * mean * mean);
    const r = effectSizeFromArms("mean", mk("control", 50), mk("test", 42.5));
    expect(r?.value).toBeCloseTo(-0.375, 9);
    expect(r?.label).toBe("small");
  });

  it.each(["ratio", "retention", "legacy-trends", "legacy-funnels"] as const)("%s → null", (type) => {
    expect(effectSizeFromArms(type, arm("control", 100, 10, 10), arm("test", 100, 12, 12))).toBeNull();
  });

  it("null with fewer than 2 users in an arm", () => {
    expect(effectSizeFromArms("mean", arm("control", 1, 3, 9), arm("test", 10, 30, 100))).toBeNull();
    expect(effectSizeFromArms("funnel", arm("control", 10, 1, 1), arm("test", 0, 0, 0))).toBeNull();
  });

  it("null when both mean arms are constant (zero pooled sd)", () => {
    expect(effectSizeFromArms("mean", arm("control", 3, 6, 12), arm("test", 3, 9, 27))).toBeNull();
  });

  it("throws StatsInputError on impossible sums", () => {
    expect(() => effectSizeFromArms("funnel", arm("control", 10, 11, 11), arm("test", 10, 1, 1))).toThrow(
      /conversions \(11\) cannot exceed n \(10\)/,
    );
    expect(() => effectSizeFromArms("mean", arm("control", 10, 100, 10), arm("test", 10, 1, 1))).toThrow(StatsInputError);
  });
});
