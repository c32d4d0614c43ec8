/**
 * The peeking simulation behind `npm run bench -- peeking`, on a small seeded sample: daily looks with the
 * real decide() keep the A/A false-decision rate at or below α with sequential inference, and inflate it
 * without. (The bench prints the 2,000-run figures; this checks the behaviour, not speed.)
 */
import { describe, expect, it } from "vitest";
import { simulatePeeking } from "../../src/bench/peeking.js";

const base = { runs: 120, days: 28, usersPerVariantPerDay: 600, baseRate: 0.1, recommendedSampleSize: 8_000, method: "frequentist" as const };

describe("simulatePeeking", () => {
  it("A/A with sequential inference: false promote/rollback rate ≤ α over 28 daily looks; fixed-horizon is inflated", () => {
    const on = simulatePeeking({ ...base, lift: 0, sequential: true, seed: 11 });
    const off = simulatePeeking({ ...base, lift: 0, sequential: false, seed: 11 });
    expect((on.promotes + on.rollbacks) / on.runs).toBeLessThanOrEqual(0.05);
    expect(off.promotes + off.rollbacks).toBeGreaterThan(on.promotes + on.rollbacks);
    expect(on.day1Writes).toBe(0);
  });

  it("A/B +10 %: sequential inference still promotes the better variant, and never rolls it back here", () => {
    const ab = simulatePeeking({ ...base, runs: 60, lift: 0.1, sequential: true, seed: 12 });
    expect(ab.promotes).toBeGreaterThan(10);
    expect(ab.rollbacks).toBe(0);
  });
});
