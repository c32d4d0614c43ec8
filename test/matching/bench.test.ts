import { describe, expect, it } from "vitest";
import { benchMatcher, syntheticKeys } from "../../src/bench/matcher.js";

describe("benchMatcher (smoke test; timings are not asserted)", () => {
  it("generates distinct, valid synthetic keys deterministically", () => {
    const a = syntheticKeys(5000);
    expect(new Set(a).size).toBe(5000);
    expect(a.every((k) => /^[a-zA-Z0-9_-]+$/.test(k))).toBe(true);
    expect(syntheticKeys(5000)).toEqual(a);
  });

  it("reads the corpus, finds every planted key and reports the figures", async () => {
    const lines: string[] = [];
    const r = await benchMatcher({ keys: 400, minBytes: 2_000_000, repetitions: 1, log: (l) => lines.push(l) });
    expect(r.keys).toBe(400);
    expect(r.planted).toBe(50);
    expect(r.plantedFound).toBe(50);
    expect(r.corpusMB).toBeGreaterThanOrEqual(2);
    expect(r.hits).toBeGreaterThanOrEqual(50);
    expect(typeof r.mbPerSec).toBe("number");
    expect(lines.some((l) => /^scan: .* MB\/s$/.test(l))).toBe(true);
    expect(lines.some((l) => l === "rg not installed: skipped" || l.startsWith("throughput ratio matcher/rg: "))).toBe(true);
  }, 60_000);
});
