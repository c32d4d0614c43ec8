import { describe, expect, it } from "vitest";
import { detectContamination, identityTransitionMechanism } from "../../src/detectors/contamination.js";
import type { Experiment, FeatureFlag, Variant } from "../../src/model.js";
import { CONFIG, NOW, data, exposuresFromDaily, exposuresFromTotals, makeExperiment, makeFlag } from "./fixtures.js";

const split = (...r: number[]): Variant[] => r.map((p, i) => ({ key: i === 0 ? "control" : `v${i}`, rolloutPercentage: p }));
const totals3 = (a: number, b: number, c: number, m: number) => ({ control: a, v1: b, v2: c, $multiple: m });

describe("detectContamination — PostHog bias-risk vectors and the 0.5 % rule", () => {
  const cases: {
    name: string;
    variants: Variant[];
    totals: Record<string, number>;
    exp?: Partial<Experiment>;
    fires: boolean;
  }[] = [
    { name: "[80,20] {800,200,$multiple 20} (1.96 %)", variants: split(80, 20), totals: { control: 800, v1: 200, $multiple: 20 }, fires: true },
    { name: "[80,20] {799,200,1}: exactly 0.1 %", variants: split(80, 20), totals: { control: 799, v1: 200, $multiple: 1 }, fires: false },
    { name: "[80,20] {798,200,2}: 0.2 %", variants: split(80, 20), totals: { control: 798, v1: 200, $multiple: 2 }, fires: true },
    {
      name: "[80,20] 0.2 % under first_seen",
      variants: split(80, 20),
      totals: { control: 798, v1: 200, $multiple: 2 },
      exp: { exposureCriteria: { filterTestAccounts: true, multipleVariantHandling: "first_seen", exposureEvent: null } },
      fires: false,
    },
    { name: "[50,50] 0.3 % (even split: 0.5 % limit)", variants: split(50, 50), totals: { control: 4985, v1: 4985, $multiple: 30 }, fires: false },
    { name: "[50,50] exactly 0.5 %", variants: split(50, 50), totals: { control: 4975, v1: 4975, $multiple: 50 }, fires: false },
    { name: "[50,50] 0.6 %", variants: split(50, 50), totals: { control: 4970, v1: 4970, $multiple: 60 }, fires: true },
    { name: "[34,33,33] 0.3 %: auto-even", variants: split(34, 33, 33), totals: totals3(3390, 3290, 3290, 30), fires: false },
    { name: "[33,34,33] 0.3 %: position-sensitive, uneven", variants: split(33, 34, 33), totals: totals3(3290, 3390, 3290, 30), fires: true },
    { name: "no $multiple at all", variants: split(80, 20), totals: { control: 8000, v1: 2000 }, fires: false },
    { name: "low volume: 999 exposures with 10 % $multiple", variants: split(50, 50), totals: { control: 450, v1: 449, $multiple: 100 }, fires: false },
    {
      name: "ended experiment",
      variants: split(50, 50),
      totals: { control: 4500, v1: 4500, $multiple: 1000 },
      exp: { endDate: "2026-06-10T00:00:00Z", status: "stopped" },
      fires: false,
    },
    { name: "paused experiment", variants: split(50, 50), totals: { control: 4500, v1: 4500, $multiple: 1000 }, exp: { status: "paused" }, fires: false },
  ];
  it.each(cases)("$name → fires: $fires", ({ variants, totals, exp, fires }) => {
    const e = makeExperiment(exp ?? {}, { variants });
    const f = detectContamination(e, data(e, { exposures: exposuresFromTotals(totals) }), CONFIG, NOW);
    expect(f !== null).toBe(fires);
  });
});

describe("detectContamination — the finding", () => {
  it("quantifies the share and the limit applied", () => {
    const e = makeExperiment({}, { variants: split(80, 20) });
    const f = detectContamination(e, data(e, { exposures: exposuresFromTotals({ control: 800, v1: 200, $multiple: 20 }) }), CONFIG, NOW);
    expect(f?.severity).toBe("P2");
    expect(f?.dedupeKey).toBe("experiment:42:contamination");
    expect(f?.evidence.multiple_share).toBeCloseTo(20 / 1020, 6);
    expect(f?.evidence.threshold).toBe(0.001);
    expect(f?.evidence.uneven_split).toBe(true);
    expect(f?.escalation.deviation).toBeCloseTo(20 / 1020, 9);
    expect(f?.contradiction).toContain("20 of 1,020");
    expect(f?.contradiction).toContain("1.96 %");
  });

  const mechanismCases: { name: string; flag: Partial<FeatureFlag>; expected: boolean }[] = [
    { name: "distinct_id, no continuity", flag: { bucketingIdentifier: "distinct_id", ensureExperienceContinuity: false }, expected: true },
    { name: "default (null) bucketing, no continuity", flag: { bucketingIdentifier: null, ensureExperienceContinuity: false }, expected: true },
    { name: "distinct_id with continuity", flag: { bucketingIdentifier: "distinct_id", ensureExperienceContinuity: true }, expected: false },
    { name: "device_id bucketing", flag: { bucketingIdentifier: "device_id", ensureExperienceContinuity: false }, expected: false },
    { name: "group-aggregated flag", flag: { bucketingIdentifier: null, filters: { aggregation_group_type_index: 0 } }, expected: false },
  ];
  it.each(mechanismCases)("mechanism $name → $expected", ({ flag, expected }) => {
    expect(identityTransitionMechanism(makeFlag(flag))).toBe(expected);
    const e = makeExperiment({}, flag);
    const f = detectContamination(e, data(e, { exposures: exposuresFromTotals({ control: 4970, test: 4970, $multiple: 60 }) }), CONFIG, NOW);
    expect(f?.evidence.identity_transition).toBe(expected);
    expect(f?.cause?.includes("ensure_experience_continuity: false")).toBe(expected);
  });

  it("charts the daily share and dates the onset", () => {
    const e = makeExperiment();
    const exposures = exposuresFromDaily({
      control: [1000, 1000, 1000, 1000],
      test: [1000, 1000, 1000, 1000],
      $multiple: [0, 0, 100, 100],
    });
    const f = detectContamination(e, data(e, { exposures }), CONFIG, NOW);
    expect(f?.chart?.kind).toBe("daily-share");
    // Day 3: 100 of 2,100 new exposures → 4.762 %.
    expect(f?.chart?.series[0]?.values).toEqual([0, 0, 4.762, 4.762]);
    // Cumulative share: day 3 = 100/6100 = 1.6 % > 0.5 %; before: 0.
    expect(f?.onset).toBe("2026-06-03");
  });
});
