import { describe, expect, it } from "vitest";
import { detectSrm, srmOnset } from "../../src/detectors/srm.js";
import { alignCumulative } from "../../src/detectors/util.js";
import type { Experiment, FeatureFlag } from "../../src/model.js";
import { CONFIG, NOW, activity, data, day, exposuresFromDaily, exposuresFromTotals, filters, makeExperiment, makeFlag } from "./fixtures.js";

const threeWay = [
  { key: "control", rolloutPercentage: 45 },
  { key: "a", rolloutPercentage: 45 },
  { key: "b", rolloutPercentage: 10 },
];

describe("detectSrm — fires / does not fire", () => {
  const cases: {
    name: string;
    totals: Record<string, number>;
    exp?: Partial<Experiment>;
    flag?: Partial<FeatureFlag>;
    fires: boolean;
  }[] = [
    { name: "5300/4700 on 50/50 (p 1.97e-9)", totals: { control: 5300, test: 4700 }, fires: true },
    { name: "A/A, even split, balanced data", totals: { control: 5000, test: 5000 }, fires: false },
    {
      name: "A/A, even split, imbalanced data still checked",
      totals: { "a-1": 5300, "a-2": 4700 },
      flag: { variants: [{ key: "a-1", rolloutPercentage: 50 }, { key: "a-2", rolloutPercentage: 50 }] },
      fires: true,
    },
    { name: "low volume: 999 counted exposures", totals: { control: 600, test: 399 }, fires: false },
    { name: "1000 counted exposures", totals: { control: 600, test: 400 }, fires: true },
    { name: "2.8σ (p 0.005 < 0.01) is not enough", totals: { control: 5140, test: 4860 }, fires: false },
    { name: "3.2σ (p 0.0014)", totals: { control: 5160, test: 4840 }, fires: true },
    { name: "$multiple is left out", totals: { control: 5000, test: 5000, $multiple: 900 }, fires: false },
    {
      name: "80/20 split with 80/20 data",
      totals: { control: 8000, test: 2000 },
      flag: { variants: [{ key: "control", rolloutPercentage: 80 }, { key: "test", rolloutPercentage: 20 }] },
      fires: false,
    },
    {
      name: "80/20 split with 50/50 data",
      totals: { control: 5000, test: 5000 },
      flag: { variants: [{ key: "control", rolloutPercentage: 80 }, { key: "test", rolloutPercentage: 20 }] },
      fires: true,
    },
    {
      name: "holdout: expected split rescaled, holdout key dropped",
      totals: { control: 4000, test: 4000, "holdout-1": 2000 },
      exp: { holdout: { id: 1, name: "H", rolloutPercentage: 20 } },
      fires: false,
    },
    {
      name: "excluded variant is not counted",
      totals: { control: 4500, a: 4500, b: 10 },
      flag: { variants: threeWay },
      exp: { excludedVariants: ["b"] },
      fires: false,
    },
    { name: "missing 10 % variant counts 0", totals: { control: 4500, a: 4500 }, flag: { variants: threeWay }, fires: true },
    {
      name: "forced variant release condition: noted, not SRM",
      totals: { control: 4000, test: 6000 },
      flag: {
        groups: [
          { properties: [{ key: "email", value: "@corp" }], rolloutPercentage: 100, variant: "test" },
          { properties: [], rolloutPercentage: 100, variant: null },
        ],
      },
      fires: false,
    },
    { name: "paused experiment", totals: { control: 5300, test: 4700 }, exp: { status: "paused" }, fires: false },
    { name: "inactive flag", totals: { control: 5300, test: 4700 }, flag: { active: false }, fires: false },
    { name: "ended experiment", totals: { control: 5300, test: 4700 }, exp: { endDate: "2026-06-12T00:00:00Z", status: "stopped" }, fires: false },
  ];
  it.each(cases)("$name → fires: $fires", ({ totals, exp, flag, fires }) => {
    const e = makeExperiment(exp ?? {}, flag ?? {});
    const f = detectSrm(e, data(e, { exposures: exposuresFromTotals(totals) }), CONFIG, NOW);
    expect(f !== null).toBe(fires);
  });

  it("does nothing without exposure data", () => {
    const e = makeExperiment();
    expect(detectSrm(e, data(e), CONFIG, NOW)).toBeNull();
  });

  it("respects srmAlpha: 0.001 silences p = 0.0014", () => {
    const e = makeExperiment();
    const d = data(e, { exposures: exposuresFromTotals({ control: 5160, test: 4840 }) });
    expect(detectSrm(e, d, CONFIG, NOW)).not.toBeNull();
    expect(detectSrm(e, d, { ...CONFIG, srmAlpha: 0.001 }, NOW)).toBeNull();
  });
});

describe("detectSrm — the finding", () => {
  it("reports exact p, χ², observed vs expected per variant and escalation figures", () => {
    const e = makeExperiment();
    const f = detectSrm(e, data(e, { exposures: exposuresFromTotals({ control: 5300, test: 4700 }) }), CONFIG, NOW);
    expect(f).not.toBeNull();
    if (!f) return;
    expect(f.kind).toBe("srm");
    expect(f.severity).toBe("P2");
    expect(f.dedupeKey).toBe("experiment:42:srm");
    expect(f.flagId).toBe(7);
    // statistics.md §5: 5300/4700 → χ² 36, p 1.973e-9
    expect(f.evidence.chi2).toBeCloseTo(36, 6);
    expect(f.evidence.p_value as number).toBeGreaterThan(1.972e-9);
    expect(f.evidence.p_value as number).toBeLessThan(1.974e-9);
    expect(f.evidence["observed:control"]).toBe(5300);
    expect(f.evidence["expected:control"]).toBe(5000);
    expect(f.evidence["observed_share:test"]).toBeCloseTo(0.47, 9);
    expect(f.evidence["expected_share:test"]).toBeCloseTo(0.5, 9);
    expect(f.evidence.max_sigma).toBeCloseTo(6, 1);
    expect(f.escalation.pValue).toBe(f.evidence.p_value);
    expect(f.escalation.deviation).toBeCloseTo(0.03, 9);
    expect(f.title).toBe("Sample ratio mismatch in “New checkout” (p = 2.0e-9)");
    expect(f.contradiction).toContain("5,300");
    expect(f.contradiction).toContain("expected 5,000");
  });

  it("holdout: counted as its own arm with its percentage (PostHog's current rule), variants rescaled", () => {
    const e = makeExperiment({ holdout: { id: 1, name: "H", rolloutPercentage: 20 } });
    const f = detectSrm(e, data(e, { exposures: exposuresFromTotals({ control: 5300, test: 4700, "holdout-1": 2500 }) }), CONFIG, NOW);
    // 12,500 counted: expected 40 % / 40 % / 20 % = 5,000 / 5,000 / 2,500.
    expect(f?.evidence["expected:control"]).toBe(5000);
    expect(f?.evidence["expected:holdout-1"]).toBe(2500);
    // The anytime-valid sequential SRM p sits beside the χ² and is the more conservative of the two.
    expect(f?.evidence.sequential_p_value).toBeGreaterThan(f?.evidence.p_value as number);
    expect(f?.evidence.sequential_p_value).toBeLessThanOrEqual(1);
    expect(f?.evidence.counted_exposures).toBe(12500);
    expect(f?.evidence.holdout_pct).toBe(20);
  });

  it("dates the onset from the cumulative series: balanced for 5 days, then test loses 40 %", () => {
    const e = makeExperiment();
    const control = Array(10).fill(1000) as number[];
    const test = [...(Array(5).fill(1000) as number[]), ...(Array(5).fill(600) as number[])];
    const exposures = exposuresFromDaily({ control, test });
    const f = detectSrm(e, data(e, { exposures }), CONFIG, NOW);
    // Day 6 (index 5): 6000 vs 5600 → χ² 13.8, 3.7σ: significant from then on; days 1–5 are balanced.
    expect(f?.onset).toBe(day("2026-06-01", 5));
    expect(srmOnset(e, alignCumulative(exposures.timeseries), CONFIG)).toBe("2026-06-06");
    expect(f?.chart?.kind).toBe("cumulative-exposures");
    expect(f?.chart?.series.map((s) => s.name)).toEqual(["control", "test"]);
    expect(f?.chart?.series[1]?.values[9]).toBe(8000);
  });

  it("onset is null when the last day of the series is not significant", () => {
    const e = makeExperiment();
    const exposures = exposuresFromDaily({ control: [1000, 1000], test: [1000, 1000] });
    exposures.totals = { control: 5300, test: 4700 }; // totals disagree with the (balanced) series
    const f = detectSrm(e, data(e, { exposures }), CONFIG, NOW);
    expect(f).not.toBeNull();
    expect(f?.onset).toBeNull();
  });

  it("ties the onset to a flag edit within a day and names it in the cause", () => {
    const e = makeExperiment();
    const exposures = exposuresFromDaily({
      control: Array(10).fill(1000) as number[],
      test: [...(Array(5).fill(1000) as number[]), ...(Array(5).fill(600) as number[])],
    });
    const edit = activity("2026-06-05T16:00:00Z", [
      { field: "filters", action: "changed", before: filters([["control", 50], ["test", 50]]), after: filters([["control", 60], ["test", 40]]) },
    ]);
    const near = detectSrm(e, data(e, { exposures, flagActivity: [edit] }), CONFIG, NOW);
    expect(near?.cause).toContain("2026-06-05");
    expect(near?.cause).toContain("control 50 % → 60 %");
    expect(near?.evidence.flag_edit_near_onset).toBe("2026-06-05T16:00:00Z");

    const far = activity("2026-06-09T16:00:00Z", edit.changes);
    const notNear = detectSrm(e, data(e, { exposures, flagActivity: [far] }), CONFIG, NOW);
    expect(notNear?.cause).toContain("No flag edit near the onset");
    expect(notNear?.evidence.flag_edit_near_onset).toBeNull();
    // …but a split change after the start is still named as a possible cause.
    expect(notNear?.cause).toContain("the variant split was changed on 2026-06-09");
    expect(notNear?.evidence.split_changed_at).toBe("2026-06-09T16:00:00Z");
  });

  it("a rollout increase near the onset is not blamed", () => {
    const e = makeExperiment();
    const exposures = exposuresFromDaily({
      control: Array(10).fill(1000) as number[],
      test: [...(Array(5).fill(1000) as number[]), ...(Array(5).fill(600) as number[])],
    });
    const edit = activity("2026-06-06T10:00:00Z", [
      {
        field: "filters",
        action: "changed",
        before: filters([["control", 50], ["test", 50]], [{ rollout_percentage: 50 }]),
        after: filters([["control", 50], ["test", 50]], [{ rollout_percentage: 100 }]),
      },
    ]);
    expect(detectSrm(e, data(e, { exposures, flagActivity: [edit] }), CONFIG, NOW)?.cause).toContain("No flag edit");
  });

  it("resolves a forced variant only when the forced key exists on the flag", () => {
    const flag = makeFlag({
      groups: [{ properties: [], rolloutPercentage: 100, variant: "not-a-variant" }],
    });
    const e = makeExperiment({ flag });
    expect(detectSrm(e, data(e, { exposures: exposuresFromTotals({ control: 5300, test: 4700 }) }), CONFIG, NOW)).not.toBeNull();
  });
});
