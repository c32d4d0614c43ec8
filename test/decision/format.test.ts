import { describe, expect, it } from "vitest";
import { formatCount, formatDays, formatLift, formatNumber, formatP, formatPercent, roundTo } from "../../src/format.js";

describe("reason number formatting", () => {
  it.each([
    [2.1e-7, "2.1e-7"],
    [3.24e-7, "3.2e-7"],
    [0.000967, "9.7e-4"],
    [0.001, "0.001"],
    [0.011040784, "0.011"],
    [0.0279, "0.0279"],
    [0.5, "0.5"],
    [0, "0"],
  ])("formatP(%s) = %s", (p, text) => expect(formatP(p)).toBe(text));

  it.each([
    [0.123, "+12.3%"],
    [-0.05, "-5.0%"],
    [-0.10000000000000009, "-10.0%"],
    [0.1499999999999999, "+15.0%"],
    [0.00004, "0.0%"],
    [-0.00004, "0.0%"],
  ])("formatLift(%s) = %s", (lift, text) => expect(formatLift(lift)).toBe(text));

  it.each([
    [0.5165, "51.7%"],
    [0.4835, "48.4%"],
    [0.5, "50%"],
    [0.975, "97.5%"],
    [0.991666, "99.17%"],
    [1e-12, "0%"],
  ])("formatPercent(%s) = %s", (f, text) => expect(formatPercent(f)).toBe(text));

  it("rounds half away from zero after removing binary noise", () => {
    expect(roundTo(51.65, 1)).toBe(51.7);
    expect(roundTo(-51.65, 1)).toBe(-51.7);
    expect(roundTo(1e-9, 1)).toBe(0);
  });

  it("formats counts, days and thresholds", () => {
    expect(formatCount(12345)).toBe("12,345");
    expect(formatDays(13.94)).toBe("13.9");
    expect(formatDays(14)).toBe("14");
    expect(formatNumber(0.05 / 3)).toBe("0.0167");
    expect(formatNumber(0.025)).toBe("0.025");
  });
});
