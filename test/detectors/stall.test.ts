import { describe, expect, it } from "vitest";
import { STALL_MIN_EXPECTED, detectStall } from "../../src/detectors/stall.js";
import type { Experiment, FeatureFlag } from "../../src/model.js";
import { CONFIG, START, data, exposuresFromDaily, hoursAfter, makeExperiment } from "./fixtures.js";

// Ten days of 500 + 500 exposures from 2026-06-01; the last exposure day is 2026-06-10, which ends at
// 2026-06-11T00:00:00Z.
const steady = () => exposuresFromDaily({ control: Array(10).fill(500) as number[], test: Array(10).fill(500) as number[] });
const END_OF_LAST_DAY = "2026-06-11T00:00:00Z";

describe("detectStall — gap after a healthy baseline", () => {
  const cases: { name: string; hours: number; exp?: Partial<Experiment>; flag?: Partial<FeatureFlag>; fires: boolean }[] = [
    { name: "47 h without exposures", hours: 47, fires: false },
    { name: "exactly 48 h", hours: 48, fires: false },
    { name: "49 h without exposures", hours: 49, fires: true },
    { name: "49 h, but paused", hours: 49, exp: { status: "paused" }, fires: false },
    { name: "49 h, but the flag is inactive", hours: 49, flag: { active: false }, fires: false },
    { name: "49 h, but ended", hours: 49, exp: { endDate: "2026-06-11T00:00:00Z", status: "stopped" }, fires: false },
  ];
  it.each(cases)("$name → fires: $fires", ({ hours, exp, flag, fires }) => {
    const e = makeExperiment(exp ?? {}, flag ?? {});
    const f = detectStall(e, data(e, { exposures: steady() }), CONFIG, hoursAfter(END_OF_LAST_DAY, hours));
    expect(f !== null).toBe(fires);
  });

  it("quantifies the gap, the baseline and the onset", () => {
    const e = makeExperiment();
    const f = detectStall(e, data(e, { exposures: steady() }), CONFIG, hoursAfter(END_OF_LAST_DAY, 49));
    expect(f?.kind).toBe("stall");
    expect(f?.severity).toBe("P2");
    expect(f?.evidence.hours_since_last_exposure).toBe(49);
    expect(f?.evidence.last_exposure_day).toBe("2026-06-10");
    expect(f?.evidence.baseline_per_day).toBe(1000);
    expect(f?.evidence.total_exposures).toBe(10000);
    expect(f?.evidence.exposure_event).toBe("$feature_flag_called");
    expect(f?.onset).toBe("2026-06-11");
    expect(f?.chart?.kind).toBe("cumulative-exposures");
    expect(f?.title).toContain("49 h");
  });

  it("a trickle (3 exposures in 10 days) is not a healthy baseline", () => {
    const e = makeExperiment();
    const exposures = exposuresFromDaily({ control: [1, 0, 0, 0, 1, 0, 0, 0, 0, 0], test: [0, 0, 0, 0, 0, 0, 1, 0, 0, 0] });
    // Rate 3 per 7 active days ≈ 0.43/day: 60 h of silence predicts ~1 exposure, far below ln(1000).
    expect(detectStall(e, data(e, { exposures }), CONFIG, hoursAfter("2026-06-08T00:00:00Z", 60))).toBeNull();
    expect(STALL_MIN_EXPECTED).toBeCloseTo(6.9078, 4);
  });

  it("names a custom exposure event", () => {
    const e = makeExperiment({ exposureCriteria: { filterTestAccounts: true, multipleVariantHandling: "exclude", exposureEvent: "checkout viewed" } });
    const f = detectStall(e, data(e, { exposures: steady() }), CONFIG, hoursAfter(END_OF_LAST_DAY, 72));
    expect(f?.evidence.exposure_event).toBe("checkout viewed");
    expect(f?.evidence.custom_exposure_event).toBe(true);
    expect(f?.cause).toContain("checkout viewed");
  });

  it("blames release groups that are all at 0 %", () => {
    const e = makeExperiment({}, { groups: [{ properties: [], rolloutPercentage: 0, variant: null }] });
    const f = detectStall(e, data(e, { exposures: steady() }), CONFIG, hoursAfter(END_OF_LAST_DAY, 72));
    expect(f?.evidence.all_release_groups_zero).toBe(true);
    expect(f?.cause).toContain("0 %");
  });
});

describe("detectStall — never any exposure", () => {
  const none = () => exposuresFromDaily({ control: [0, 0], test: [0, 0] });
  it.each([
    { hours: 23, fires: false },
    { hours: 24, fires: false },
    { hours: 25, fires: true },
  ])("$hours h after launch → fires: $fires", ({ hours, fires }) => {
    const e = makeExperiment();
    const f = detectStall(e, data(e, { exposures: none() }), CONFIG, hoursAfter(START, hours));
    expect(f !== null).toBe(fires);
    if (f) {
      expect(f.evidence.total_exposures).toBe(0);
      expect(f.onset).toBe("2026-06-01");
    }
  });

  it("an empty exposure result counts as zero exposures", () => {
    const e = makeExperiment();
    const f = detectStall(e, data(e, { exposures: { experimentId: 42, timeseries: [], totals: {}, posthogSrm: null } }), CONFIG, hoursAfter(START, 30));
    expect(f?.evidence.hours_since_launch).toBe(30);
  });

  it("no exposure data → no finding", () => {
    const e = makeExperiment();
    expect(detectStall(e, data(e), CONFIG, hoursAfter(START, 300))).toBeNull();
  });
});
