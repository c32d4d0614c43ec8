import { describe, expect, it } from "vitest";
import { adjustPValues, perComparisonAlpha, StatsInputError } from "../../src/stats/index.js";

const sortedAsc = (xs: number[]) => [...xs].sort((a, b) => a - b);

describe("adjustPValues (statistics.md §6, GrowthBook vectors)", () => {
  it("Holm: [0.01, 0.04, 0.03, 0.005, 0.55, 0.6] → sorted [0.03, 0.05, 0.12, 0.12, 1, 1], in input order", () => {
    const adj = adjustPValues([0.01, 0.04, 0.03, 0.005, 0.55, 0.6], "holm");
    sortedAsc(adj).forEach((v, i) => expect(v).toBeCloseTo([0.03, 0.05, 0.12, 0.12, 1, 1][i]!, 12));
    [0.05, 0.12, 0.12, 0.03, 1, 1].forEach((v, i) => expect(adj[i]).toBeCloseTo(v, 12));
  });

  it("Benjamini–Hochberg: GB vector → [0.964, 0.964, 0.7532, 0.2415, 0.2415, 0.0245, 0.0245] (sorted desc), in input order", () => {
    const input = [0.898, 0.138, 0.007, 0.964, 0.538, 0.006, 0.138];
    const adj = adjustPValues(input, "benjamini-hochberg");
    const desc = [...adj].sort((a, b) => b - a);
    desc.forEach((v, i) => expect(v).toBeCloseTo([0.964, 0.964, 0.7532, 0.2415, 0.2415, 0.0245, 0.0245][i]!, 12));
    [0.964, 0.2415, 0.0245, 0.964, 0.7532, 0.0245, 0.2415].forEach((v, i) => expect(adj[i]).toBeCloseTo(v, 12));
  });

  it("Bonferroni multiplies by m and caps at 1; none copies", () => {
    expect(adjustPValues([0.01, 0.2, 0.6], "bonferroni")).toEqual([0.03, 0.6000000000000001, 1]);
    const input = [0.01, 0.2];
    const none = adjustPValues(input, "none");
    expect(none).toEqual(input);
    expect(none).not.toBe(input);
    expect(adjustPValues([], "holm")).toEqual([]);
  });

  it("orders the methods: none ≤ BH ≤ Holm ≤ Bonferroni", () => {
    const p = [0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205];
    const none = adjustPValues(p, "none");
    const bh = adjustPValues(p, "benjamini-hochberg");
    const holm = adjustPValues(p, "holm");
    const bon = adjustPValues(p, "bonferroni");
    p.forEach((_, i) => {
      expect(none[i]!).toBeLessThanOrEqual(bh[i]!);
      expect(bh[i]!).toBeLessThanOrEqual(holm[i]!);
      expect(holm[i]!).toBeLessThanOrEqual(bon[i]!);
    });
  });

  it("rejects p-values outside [0, 1]", () => {
    expect(() => adjustPValues([0.1, 1.2], "holm")).toThrow(StatsInputError);
    expect(() => adjustPValues([Number.NaN], "bonferroni")).toThrow(/pValues\[0\]/);
  });
});

describe("perComparisonAlpha", () => {
  it("gives the confidence table of statistics.md §6 (1 − 0.05/m)", () => {
    // k arms vs control: m = k − 1 → 95 %, 97.5 %, 98.33 %, 98.75 %
    expect(1 - perComparisonAlpha(0.05, 1, "bonferroni")).toBeCloseTo(0.95, 12);
    expect(1 - perComparisonAlpha(0.05, 2, "bonferroni")).toBeCloseTo(0.975, 12);
    expect(1 - perComparisonAlpha(0.05, 3, "holm")).toBeCloseTo(0.98333, 5);
    expect(1 - perComparisonAlpha(0.05, 4, "benjamini-hochberg")).toBeCloseTo(0.9875, 12);
    // all pairs of 5 arms: m = 10 → 99.5 %
    expect(1 - perComparisonAlpha(0.05, 10, "bonferroni")).toBeCloseTo(0.995, 12);
    expect(perComparisonAlpha(0.05, 4, "none")).toBe(0.05);
  });

  it("rejects bad alpha and comparison counts", () => {
    expect(() => perComparisonAlpha(0, 2, "holm")).toThrow(RangeError);
    expect(() => perComparisonAlpha(0.05, 0, "holm")).toThrow(RangeError);
    expect(() => perComparisonAlpha(0.05, 1.5, "holm")).toThrow(StatsInputError);
  });
});
