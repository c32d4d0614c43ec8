import { describe, expect, it } from "vitest";
import {
  DEFAULT_DETECTOR_CONFIG,
  DetectorInputError,
  autoEvenSplit,
  detectAll,
  isEvenSplit,
  selectValidityWatch,
  type DetectorState,
} from "../../src/detectors/index.js";
import type { Experiment } from "../../src/model.js";
import { activity, exposuresFromDaily, exposuresFromTotals, filters, hoursAfter, makeExperiment, makeFlag, metricResult } from "./fixtures.js";

const NOW = new Date("2026-06-15T12:00:00Z");
const startedHoursAgo = (h: number) => hoursAfter(NOW.toISOString(), -h).toISOString();

describe("selectValidityWatch", () => {
  it("sorts experiments into watch, zombie-only and skipped, with boundaries", () => {
    const exps: Experiment[] = [
      makeExperiment({ id: 1, startDate: startedHoursAgo(23) }),
      makeExperiment({ id: 2, startDate: startedHoursAgo(24) }),
      makeExperiment({ id: 3, startDate: startedHoursAgo(90 * 24) }),
      makeExperiment({ id: 4, startDate: startedHoursAgo(90 * 24 + 1) }),
      makeExperiment({ id: 5, status: "paused" }),
      makeExperiment({ id: 6 }, { active: false }),
      makeExperiment({ id: 7, status: "draft", startDate: null }),
      makeExperiment({ id: 8, status: "stopped", endDate: "2026-06-10T00:00:00Z" }),
      makeExperiment({ id: 9, archived: true }),
    ];
    const r = selectValidityWatch(exps, NOW, { cap: 10, rotation: 0 });
    expect(r.watch.map((e) => e.id)).toEqual([2, 3]);
    expect(r.zombieOnly.map((e) => e.id)).toEqual([4]);
    expect(Object.fromEntries(r.skipped.map((s) => [s.id, s.reason]))).toEqual({
      1: "launched less than 24 h ago",
      5: "paused (flag inactive)",
      6: "paused (flag inactive)",
      7: "draft (not launched)",
      8: "ended",
      9: "archived",
    });
  });

  it("caps and rotates so consecutive scans cover every candidate", () => {
    const exps = [5, 3, 1, 4, 2, 6, 7].map((id) => makeExperiment({ id, startDate: startedHoursAgo(100) }));
    const seen = new Set<number>();
    for (let rotation = 0; rotation < 3; rotation++) {
      const r = selectValidityWatch(exps, NOW, { cap: 3, rotation });
      expect(r.watch).toHaveLength(3);
      expect(r.skipped).toHaveLength(4);
      r.watch.forEach((e) => seen.add(e.id));
    }
    expect([...seen].sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(selectValidityWatch(exps, NOW, { cap: 3, rotation: 0 }).watch.map((e) => e.id)).toEqual([1, 2, 3]);
    expect(selectValidityWatch(exps, NOW, { cap: 3, rotation: 1 }).watch.map((e) => e.id)).toEqual([4, 5, 6]);
    expect(selectValidityWatch(exps, NOW, { cap: 3, rotation: 2 }).watch.map((e) => e.id)).toEqual([1, 2, 7]);
  });

  it("rejects a bad cap or rotation", () => {
    expect(() => selectValidityWatch([], NOW, { cap: -1, rotation: 0 })).toThrow(DetectorInputError);
    expect(() => selectValidityWatch([], NOW, { cap: 2.5, rotation: 0 })).toThrow(/cap/);
    expect(() => selectValidityWatch([], NOW, { cap: 2, rotation: Number.NaN })).toThrow(/rotation/);
  });
});

describe("auto-even split (PostHog variant_distribution)", () => {
  it.each([
    [2, [50, 50]],
    [3, [34, 33, 33]],
    [7, [15, 15, 14, 14, 14, 14, 14]],
  ])("%i variants → %j", (n, split) => {
    expect(autoEvenSplit(n)).toEqual(split);
    expect(isEvenSplit(split)).toBe(true);
  });
  it("is position-sensitive", () => {
    expect(isEvenSplit([33, 34, 33])).toBe(false);
    expect(isEvenSplit([80, 20])).toBe(false);
  });
});

describe("detectAll", () => {
  function state(): DetectorState {
    const healthy = makeExperiment({ id: 10, name: "Healthy" });
    const srm = makeExperiment({ id: 3, name: "Biased", flagKey: "biased" }, { id: 30, key: "biased" });
    const zombie = makeExperiment({ id: 1, name: "Old", flagKey: "old", startDate: "2026-03-01T00:00:00Z" }, { id: 11, key: "old" });
    const stale = makeExperiment(
      { id: 2, name: "Done", flagKey: "done", status: "stopped", endDate: "2026-05-01T00:00:00Z", conclusion: "won" },
      { id: 12, key: "done" },
    );
    // Flag not embedded: looked up by key.
    const mutated = makeExperiment({ id: 4, name: "Edited", flagKey: "edited", flag: null });
    const daily = (n: number) => Array(14).fill(n) as number[];
    return {
      now: NOW,
      experiments: [healthy, srm, zombie, stale, mutated],
      flags: [makeFlag({ id: 40, key: "edited" })],
      exposures: new Map([
        [10, exposuresFromDaily({ control: daily(500), test: daily(500) })],
        [3, exposuresFromTotals({ control: 5300, test: 4700 }, "2026-06-14")],
        [4, exposuresFromDaily({ control: daily(500), test: daily(500) })],
      ]),
      metricResults: new Map([[10, [metricResult()]]]),
      flagActivity: new Map([
        [40, [activity("2026-06-05T00:00:00Z", [{ field: "filters", action: "changed", before: filters([["control", 50], ["test", 50]]), after: filters([["control", 60], ["test", 40]]) }])]],
      ]),
      decisions: new Map(),
    };
  }

  it("finds each problem once, sorted by severity, experiment id and kind, and nothing for the healthy one", () => {
    const findings = detectAll(state());
    expect(findings.map((f) => f.dedupeKey)).toEqual([
      "experiment:3:srm",
      "experiment:4:mutation",
      "experiment:1:zombie",
      "experiment:2:stale-variants",
    ]);
    expect(findings.find((f) => f.experimentId === 10)).toBeUndefined();
    expect(findings.find((f) => f.kind === "mutation")?.flagId).toBe(40);
  });

  it("a flag reused by a running experiment is not stale for the ended one", () => {
    const s = state();
    const reuse = makeExperiment({ id: 20, name: "Done, again", flagKey: "done", startDate: "2026-06-10T00:00:00Z" }, { id: 12, key: "done" });
    const findings = detectAll({ ...s, experiments: [...s.experiments, reuse] });
    expect(findings.map((f) => f.dedupeKey)).not.toContain("experiment:2:stale-variants");
  });

  it("applies partial config over the defaults", () => {
    expect(detectAll(state(), { srmAlpha: 1e-12 }).map((f) => f.kind)).not.toContain("srm");
    expect(DEFAULT_DETECTOR_CONFIG.srmAlpha).toBe(0.01);
  });

  it("rejects invalid thresholds and an invalid now", () => {
    expect(() => detectAll(state(), { multipleShare: 5 })).toThrow(/fraction/);
    expect(() => detectAll(state(), { stallHours: Number.NaN })).toThrow(DetectorInputError);
    expect(() => detectAll({ ...state(), now: new Date("nope") })).toThrow(/now/);
  });
});
