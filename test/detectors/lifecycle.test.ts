import { describe, expect, it } from "vitest";
import { detectDecidedStillRunning, detectStaleVariants } from "../../src/detectors/lifecycle.js";
import { detectZombie } from "../../src/detectors/zombie.js";
import type { StandingDecision } from "../../src/detectors/types.js";
import type { Experiment, FeatureFlag } from "../../src/model.js";
import { CONFIG, START, data, exposuresFromDaily, hoursAfter, makeExperiment } from "./fixtures.js";

const daysAfter = (iso: string, days: number) => hoursAfter(iso, days * 24);

describe("detectZombie", () => {
  // 30 days: 1,000 a day for 20 days, then 20 a day (flat: last 7 days add 140 of 20,200 = 0.7 %).
  const flat = () =>
    exposuresFromDaily({
      control: [...(Array(20).fill(500) as number[]), ...(Array(10).fill(10) as number[])],
      test: [...(Array(20).fill(500) as number[]), ...(Array(10).fill(10) as number[])],
    });
  const steady = () => exposuresFromDaily({ control: Array(30).fill(500) as number[], test: Array(30).fill(500) as number[] });

  const cases: { name: string; days: number; exp?: Partial<Experiment>; flat?: boolean; steady?: boolean; fires: boolean }[] = [
    { name: "59 days, no recommendation, no exposure data", days: 59, fires: false },
    { name: "61 days, no exposure data (zombie-only)", days: 61, fires: true },
    { name: "120 days, no exposure data", days: 120, fires: true },
    { name: "30 days, past 14-day recommendation, flat curve", days: 30, exp: { recommendedRunningTimeDays: 14 }, flat: true, fires: true },
    { name: "30 days, past 14-day recommendation, steady curve", days: 30, exp: { recommendedRunningTimeDays: 14 }, steady: true, fires: false },
    { name: "30 days, within a 45-day recommendation, flat", days: 30, exp: { recommendedRunningTimeDays: 45 }, flat: true, fires: false },
    { name: "past recommended sample size (20,000), flat", days: 30, exp: { recommendedSampleSize: 20000 }, flat: true, fires: true },
    { name: "below recommended sample size (30,000), flat", days: 30, exp: { recommendedSampleSize: 30000 }, flat: true, fires: false },
    { name: "past recommendation, no exposure data", days: 30, exp: { recommendedRunningTimeDays: 14 }, fires: false },
    { name: "paused, 120 days", days: 120, exp: { status: "paused" }, fires: false },
    { name: "ended, 120 days", days: 120, exp: { endDate: "2026-07-01T00:00:00Z", status: "stopped" }, fires: false },
    { name: "draft", days: 120, exp: { startDate: null, status: "draft" }, fires: false },
  ];
  it.each(cases)("$name → fires: $fires", (c) => {
    const e = makeExperiment(c.exp ?? {});
    const exposures = c.flat ? flat() : c.steady ? steady() : null;
    const f = detectZombie(e, data(e, { exposures }), CONFIG, daysAfter(START, c.days));
    expect(f !== null).toBe(c.fires);
    if (f) expect(f.severity).toBe("P3");
  });

  it("onset: start + 60 days; or the day the recommended sample size was reached", () => {
    const e = makeExperiment();
    expect(detectZombie(e, data(e), CONFIG, daysAfter(START, 75))?.onset).toBe("2026-07-31");
    const sized = makeExperiment({ recommendedSampleSize: 20000 });
    // Cumulative counted exposures reach 20,000 at the end of day 20 (2026-06-20).
    const f = detectZombie(sized, data(sized, { exposures: flat() }), CONFIG, daysAfter(START, 30));
    expect(f?.onset).toBe("2026-06-20");
    expect(f?.evidence.counted_exposures).toBe(20200);
    expect(f?.evidence.recent_exposure_share).toBeCloseTo(140 / 20200, 4);
  });
});

describe("detectDecidedStillRunning", () => {
  const NOW = new Date("2026-06-20T12:00:00Z");
  const decision = (d: string, daysAgo: number): StandingDecision => ({
    decision: d,
    since: new Date(NOW.getTime() - daysAgo * 86_400_000).toISOString(),
  });
  const cases: { name: string; exp?: Partial<Experiment>; decision?: StandingDecision; fires: boolean }[] = [
    { name: "conclusion recorded, still running", exp: { conclusion: "won" }, fires: true },
    { name: "conclusion recorded, paused (no end date)", exp: { conclusion: "lost", status: "paused" }, fires: true },
    { name: "conclusion recorded and ended", exp: { conclusion: "won", endDate: "2026-06-10T00:00:00Z", status: "stopped" }, fires: false },
    { name: "promote for 8 days", decision: decision("promote", 8), fires: true },
    { name: "rollback for exactly 7 days", decision: decision("rollback", 7), fires: true },
    { name: "stop for 6 days", decision: decision("stop", 6), fires: false },
    { name: "continue for 30 days", decision: decision("continue", 30), fires: false },
    { name: "Promote (case-insensitive) for 8 days", decision: decision("Promote", 8), fires: true },
    { name: "nothing decided", fires: false },
  ];
  it.each(cases)("$name → fires: $fires", ({ exp, decision: d, fires }) => {
    const e = makeExperiment(exp ?? {});
    const f = detectDecidedStillRunning(e, data(e, { decision: d ?? null }), CONFIG, NOW);
    expect(f !== null).toBe(fires);
  });

  it("reports the decision and its age", () => {
    const e = makeExperiment();
    const f = detectDecidedStillRunning(e, data(e, { decision: decision("promote", 9) }), CONFIG, NOW);
    expect(f?.severity).toBe("P3");
    expect(f?.onset).toBe("2026-06-11");
    expect(f?.evidence.days_since_decision).toBe(9);
    expect(f?.contradiction).toContain("“promote” for 9 days");
  });
});

describe("detectStaleVariants", () => {
  const NOW = new Date("2026-06-30T12:00:00Z");
  const ended = (daysAgo: number): Partial<Experiment> => ({
    status: "stopped",
    endDate: new Date(NOW.getTime() - daysAgo * 86_400_000).toISOString(),
  });
  const cases: { name: string; exp: Partial<Experiment>; flag?: Partial<FeatureFlag>; fires: boolean }[] = [
    { name: "ended 15 days ago, flag live 50/50", exp: ended(15), fires: true },
    { name: "ended exactly 14 days ago", exp: ended(14), fires: true },
    { name: "ended 13 days ago", exp: ended(13), fires: false },
    { name: "ended, flag inactive", exp: ended(30), flag: { active: false }, fires: false },
    { name: "ended, flag deleted", exp: ended(30), flag: { deleted: true }, fires: false },
    {
      name: "ended, shipped (100/0)",
      exp: ended(30),
      flag: { variants: [{ key: "control", rolloutPercentage: 0 }, { key: "test", rolloutPercentage: 100 }] },
      fires: false,
    },
    {
      name: "ended, shipped through a forced first group for everyone",
      exp: ended(30),
      flag: { groups: [{ properties: [], rolloutPercentage: 100, variant: "test" }] },
      fires: false,
    },
    { name: "ended, every release group at 0 %", exp: ended(30), flag: { groups: [{ properties: [], rolloutPercentage: 0, variant: null }] }, fires: false },
    { name: "draft, flag live 50/50", exp: { status: "draft", startDate: null }, fires: true },
    { name: "draft, flag inactive", exp: { status: "draft", startDate: null }, flag: { active: false }, fires: false },
    { name: "running", exp: {}, fires: false },
    { name: "ended, flag unknown", exp: { ...ended(30), flag: null }, fires: false },
  ];
  it.each(cases)("$name → fires: $fires", ({ exp, flag, fires }) => {
    const e = makeExperiment(exp, flag ?? {});
    const f = detectStaleVariants(e, data(e), CONFIG, NOW);
    expect(f !== null).toBe(fires);
    if (f) {
      expect(f.severity).toBe("P3");
      expect(f.evidence.served_variants).toBe("control, test");
    }
  });

  it("dates the onset at end + 14 days and leaves code references to the scan", () => {
    const e = makeExperiment({ status: "stopped", endDate: "2026-06-01T08:00:00Z" });
    const f = detectStaleVariants(e, data(e), CONFIG, NOW);
    expect(f?.onset).toBe("2026-06-15");
    expect(f?.evidence.state).toBe("ended");
    expect(f?.codeReferences).toBeUndefined();
  });
});

describe("detectStaleVariants — reused flag", () => {
  it("stays quiet while another experiment on the same flag key runs", () => {
    const NOW = new Date("2026-06-30T12:00:00Z");
    const old = makeExperiment({ id: 1, status: "stopped", endDate: "2026-05-01T00:00:00Z" });
    const running = makeExperiment({ id: 2, startDate: "2026-06-10T00:00:00Z" });
    expect(detectStaleVariants(old, data(old, { siblings: [running] }), CONFIG, NOW)).toBeNull();
    const ended = { ...running, endDate: "2026-06-12T00:00:00Z", status: "stopped" as const };
    expect(detectStaleVariants(old, data(old, { siblings: [ended] }), CONFIG, NOW)).not.toBeNull();
  });
});
