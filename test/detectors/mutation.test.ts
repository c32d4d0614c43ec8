import { describe, expect, it } from "vitest";
import { classifyActivity, detectMutation } from "../../src/detectors/mutation.js";
import type { ActivityEntry, Experiment } from "../../src/model.js";
import { CONFIG, NOW, activity, data, filters, makeExperiment } from "./fixtures.js";

const AFTER = "2026-06-05T12:00:00Z";
const BEFORE_START = "2026-05-31T12:00:00Z";
const even = filters([["control", 50], ["test", 50]]);
const change = (before: unknown, after: unknown, field = "filters") => [{ field, action: "changed", before, after }];

describe("detectMutation — what counts as a mid-run edit", () => {
  const cases: { name: string; entries: ActivityEntry[]; exp?: Partial<Experiment>; fires: boolean; kinds?: string }[] = [
    { name: "split redistributed", entries: [activity(AFTER, change(even, filters([["control", 80], ["test", 20]])))], fires: true, kinds: "split-redistributed" },
    { name: "variant added", entries: [activity(AFTER, change(even, filters([["control", 34], ["test", 33], ["c", 33]])))], fires: true, kinds: "variants-changed" },
    {
      name: "rollout decreased",
      entries: [activity(AFTER, change(even, filters([["control", 50], ["test", 50]], [{ rollout_percentage: 40 }])))],
      fires: true,
      kinds: "rollout-decreased",
    },
    {
      name: "rollout increased is safe",
      entries: [activity(AFTER, change(filters([["control", 50], ["test", 50]], [{ rollout_percentage: 40 }]), even))],
      fires: false,
    },
    {
      name: "conditions tightened (property added)",
      entries: [activity(AFTER, change(even, filters([["control", 50], ["test", 50]], [{ properties: [{ key: "country", value: "US" }] }])))],
      fires: true,
      kinds: "conditions-tightened",
    },
    {
      name: "conditions loosened (property removed) is safe",
      entries: [activity(AFTER, change(filters([["control", 50], ["test", 50]], [{ properties: [{ key: "country", value: "US" }] }]), even))],
      fires: false,
    },
    {
      name: "release group removed",
      entries: [activity(AFTER, change(filters([["control", 50], ["test", 50]], [{ properties: [{ key: "a", value: 1 }] }, {}]), filters([["control", 50], ["test", 50]], [{ properties: [{ key: "a", value: 1 }] }])))],
      fires: true,
      kinds: "rollout-decreased",
    },
    {
      name: "forced variant added",
      entries: [activity(AFTER, change(even, filters([["control", 50], ["test", 50]], [{}, { properties: [{ key: "e" }], variant: "test" }])))],
      fires: true,
      kinds: "forced-variant",
    },
    { name: "bucketing identifier changed", entries: [activity(AFTER, change("distinct_id", "device_id", "bucketing_identifier"))], fires: true, kinds: "bucketing-changed" },
    { name: "experience continuity switched on", entries: [activity(AFTER, change(false, true, "ensure_experience_continuity"))], fires: true, kinds: "bucketing-changed" },
    { name: "flag key renamed", entries: [activity(AFTER, change("new-checkout", "checkout-v2", "key"))], fires: true, kinds: "key-renamed" },
    { name: "legacy top-level rollout decreased", entries: [activity(AFTER, change(100, 50, "rollout_percentage"))], fires: true, kinds: "rollout-decreased" },
    { name: "edit before the start", entries: [activity(BEFORE_START, change(even, filters([["control", 80], ["test", 20]])))], fires: false },
    { name: "name change only", entries: [activity(AFTER, change("a", "b", "name"))], fires: false },
    { name: "active toggled (pause/resume) only", entries: [activity(AFTER, change(true, false, "active"))], fires: false },
    { name: "unreadable filters diff", entries: [activity(AFTER, change(null, "x"))], fires: false },
    { name: "no activity entries", entries: [], fires: false },
    { name: "paused experiment", entries: [activity(AFTER, change(even, filters([["control", 80], ["test", 20]])))], exp: { status: "paused" }, fires: false },
  ];
  it.each(cases)("$name → fires: $fires", ({ entries, exp, fires, kinds }) => {
    const e = makeExperiment(exp ?? {});
    const f = detectMutation(e, data(e, { flagActivity: entries }), CONFIG, NOW);
    expect(f !== null).toBe(fires);
    if (f && kinds) expect(f.evidence.change_kinds).toBe(kinds);
  });
});

describe("detectMutation — the finding", () => {
  it("dates the onset at the first material edit and describes the split change", () => {
    const e = makeExperiment();
    const entries = [
      activity("2026-06-08T09:00:00Z", change(filters([["control", 80], ["test", 20]]), filters([["control", 70], ["test", 30]]))),
      activity("2026-06-03T09:00:00Z", change(even, filters([["control", 80], ["test", 20]]))),
      activity("2026-06-02T09:00:00Z", change(filters([["control", 50], ["test", 50]], [{ rollout_percentage: 20 }]), even)),
    ];
    const f = detectMutation(e, data(e, { flagActivity: entries }), CONFIG, NOW);
    expect(f?.severity).toBe("P2");
    expect(f?.onset).toBe("2026-06-03");
    expect(f?.evidence.edits).toBe(2);
    expect(f?.contradiction).toContain("control 50 % → 80 %, test 50 % → 20 %");
    expect(f?.contradiction).not.toContain("rollout 20 %");
    expect(f?.cause).toContain("eli@example.com");
  });

  it("frames an arm excluded through excluded_variants as deliberate, with side effects", () => {
    const e = makeExperiment();
    const entry = activity("2026-06-06T10:00:00Z", change([], ["test"], "excluded_variants"), "Experiment");
    const f = detectMutation(e, data(e, { experimentActivity: [entry] }), CONFIG, NOW);
    expect(f?.evidence.deliberate_exclusion_only).toBe(true);
    expect(f?.title).toContain("Arm excluded");
    expect(f?.cause).toContain("deliberate");
    expect(f?.action).toContain("Side effects");
    expect(f?.onset).toBe("2026-06-06");
  });

  it("reads excluded_variants inside parameters, and deduplicates entries seen in both logs", () => {
    const entry = activity("2026-06-06T10:00:00Z", change({ excluded_variants: null }, { excluded_variants: ["b"] }, "parameters"), "Experiment");
    expect(classifyActivity(entry)?.kinds).toEqual(["arm-excluded"]);
    const e = makeExperiment();
    const f = detectMutation(e, data(e, { flagActivity: [entry], experimentActivity: [entry] }), CONFIG, NOW);
    expect(f?.evidence.edits).toBe(1);
  });

  it("throws a typed error on an unparseable activity date", () => {
    const e = makeExperiment();
    expect(() => detectMutation(e, data(e, { flagActivity: [activity("yesterday", [])] }), CONFIG, NOW)).toThrow(/not an ISO 8601 date/);
  });
});
