/**
 * The autopilot simulation behind `npm run bench -- autopilot`, on a small seeded sample: the real decide()
 * plus the autopilot's two-evaluation confirmation rarely rolls back a harmless change (A/A) and does roll
 * back a real −10 % regression (A/B). The bench prints the 1,000-run figures; this checks the behaviour.
 */
import { describe, expect, it } from "vitest";
import { simulateAutopilot } from "../../src/bench/autopilot.js";
import { DEFAULT_CONFIG } from "../../src/config/schema.js";

const base = {
  runs: 80,
  days: 28,
  usersPerVariantPerDay: 600,
  baseRate: 0.1,
  recommendedSampleSize: 8_000,
  evaluationsPerDay: 1,
  autopilot: { ...DEFAULT_CONFIG.autopilot, rollback: true },
};

describe("simulateAutopilot", () => {
  it("A/A: false rollbacks at or below α over 28 daily evaluations", () => {
    const aa = simulateAutopilot({ ...base, lift: 0, seed: 31 });
    expect(aa.rollbacks / aa.runs).toBeLessThanOrEqual(0.05);
    expect(aa.promotes).toBe(0); // promote is off
  });

  it("A/B −10 %: rolls back a good share by day 28, never before the confirming second evaluation", () => {
    const ab = simulateAutopilot({ ...base, lift: -0.1, seed: 32 });
    expect(ab.rollbacks).toBeGreaterThan(ab.runs / 4);
    expect(Math.min(...ab.rollbackDays)).toBeGreaterThanOrEqual(2);
  });

  it("with rollback off nothing is ever written", () => {
    const ab = simulateAutopilot({ ...base, runs: 20, lift: -0.1, seed: 33, autopilot: DEFAULT_CONFIG.autopilot });
    expect(ab.rollbacks + ab.promotes).toBe(0);
  });
});
