import { describe, expect, it } from "vitest";
import { decide, type Decision, type DecisionInput, type DecisionKind, type RuleId } from "../../src/decision/index.js";
import {
  CONVERSION,
  REVENUE,
  conversion,
  daysBeforeNow,
  funnelArm,
  meanArm,
  metric,
  result,
  scenario,
} from "./builders.js";

/** Revenue guardrail: control mean 50 (sd 20) vs test mean `testMean`, 10,000 users each. */
function revenue(testMean: number, goal: "increase" | "decrease" = "increase") {
  const m = goal === "increase" ? REVENUE : metric("Revenue per user", { type: "mean", role: "secondary", goal });
  return result(m, [meanArm("control", 10_000, 50, 20), meanArm("test", 10_000, testMean, 20)]);
}

const TIME_TO_CONVERT = metric("Time to convert", { type: "mean", goal: "decrease" });
/** Time to convert (lower is better): control mean 60 s (sd 30) vs test `testMean`. */
function timeToConvert(testMean: number) {
  return result(TIME_TO_CONVERT, [meanArm("control", 10_000, 60, 30), meanArm("test", 10_000, testMean, 30)]);
}

/** Three arms: control 1,000/10,000, test-a and test-b with the given conversions out of 10,000. */
function threeArms(a: number, b: number) {
  return result(CONVERSION, [
    funnelArm("control", 10_000, 1_000),
    funnelArm("test-a", 10_000, a),
    funnelArm("test-b", 10_000, b),
  ]);
}

interface Row {
  name: string;
  input: DecisionInput;
  decision: DecisionKind;
  variant: string | null;
  rules: RuleId[];
  /** Checks that the row's premise holds (the boundary it is about) or extra outputs. */
  check?: (d: Decision) => void;
}

const pOf = (d: Decision, variant = "test") => d.primary?.verdicts.find((v) => v.variant === variant)?.pValue ?? null;
const ctwOf = (d: Decision, variant = "test") =>
  d.primary?.verdicts.find((v) => v.variant === variant)?.goalAdjustedChanceToWin ?? null;

const rows: Row[] = [
  // ── 1. SRM ───────────────────────────────────────────────────────────────────────────────────────
  {
    name: "SRM p just below srm_alpha (5,165 vs 4,835) → investigate",
    input: scenario({ primary: result(CONVERSION, [funnelArm("control", 5_165, 517), funnelArm("test", 4_835, 484)]) }),
    decision: "investigate",
    variant: null,
    rules: ["srm"],
    check: (d) => {
      expect(d.srm?.pValue).toBeGreaterThan(0.0009);
      expect(d.srm?.pValue).toBeLessThan(0.001);
      expect(d.reasons[0]?.message).toContain(
        "SRM: p = 9.7e-4 < 0.001 on 10,000 exposures (control 51.7% vs 50% expected, test 48.4% vs 50% expected)",
      );
    },
  },
  {
    name: "SRM p just above srm_alpha (5,164 vs 4,836) → no SRM",
    input: scenario({ primary: result(CONVERSION, [funnelArm("control", 5_164, 516), funnelArm("test", 4_836, 484)]) }),
    decision: "continue",
    variant: null,
    rules: ["not-yet-significant"],
    check: (d) => {
      expect(d.srm?.pValue).toBeGreaterThan(0.001);
      expect(d.srm?.pValue).toBeLessThan(0.0011);
    },
  },
  {
    name: "999 counted exposures: SRM not tested yet",
    input: scenario({ primary: result(CONVERSION, [funnelArm("control", 600, 60), funnelArm("test", 399, 40)]) }),
    decision: "continue",
    variant: null,
    rules: ["below-minimum-sample"],
    check: (d) => expect(d.srm).toBeNull(),
  },
  {
    name: "1,000 counted exposures: the same 60/40 imbalance is an SRM",
    input: scenario({ primary: result(CONVERSION, [funnelArm("control", 600, 60), funnelArm("test", 400, 40)]) }),
    decision: "investigate",
    variant: null,
    rules: ["srm", "below-minimum-sample"],
    check: (d) => expect(d.srm?.total).toBe(1_000),
  },
  {
    name: "$multiple exposures are neither counted nor part of the SRM test",
    input: scenario({ primary: conversion(1_000), totals: { control: 10_000, test: 10_000, $multiple: 900 } }),
    decision: "continue",
    variant: null,
    rules: ["not-yet-significant"],
    check: (d) => {
      expect(d.exposures).toEqual({ control: 10_000, test: 10_000 });
      expect(d.srm?.multiple).toBe(900);
      expect(d.srm?.total).toBe(20_000);
    },
  },
  {
    name: "without an exposure result, SRM runs on the primary arms' sample counts",
    input: scenario({
      primary: result(CONVERSION, [funnelArm("control", 5_400, 540), funnelArm("test", 4_600, 460)]),
      totals: null,
    }),
    decision: "investigate",
    variant: null,
    rules: ["srm"],
    check: (d) => expect(d.exposures).toEqual({ control: 5_400, test: 4_600 }),
  },

  // ── 2. Rollback ──────────────────────────────────────────────────────────────────────────────────
  {
    name: "significant regression exactly at max_regression (-10.0%, p = 0.011) → rollback",
    input: scenario({ primary: conversion(900) }),
    decision: "rollback",
    variant: "test",
    rules: ["significant-regression"],
    check: (d) => {
      expect(pOf(d)).toBeLessThan(0.05);
      expect(d.reasons[0]?.message).toContain("-10.0% (p = 0.011 < 0.05)");
    },
  },
  {
    name: "significant regression just short of max_regression (-9.9%) → no rollback",
    input: scenario({ primary: conversion(901) }),
    decision: "continue",
    variant: null,
    rules: ["not-yet-significant"],
    check: (d) => expect(d.primary?.verdicts[0]?.significantlyWorse).toBe(true),
  },
  {
    name: "kill rule: -25% at 199 exposures in one variant → not armed",
    input: scenario({ primary: result(CONVERSION, [funnelArm("control", 200, 20), funnelArm("test", 199, 15)]) }),
    decision: "continue",
    variant: null,
    rules: ["below-minimum-sample"],
    check: (d) => expect(d.primary?.verdicts[0]?.goalAdjustedLift).toBeLessThan(-0.2),
  },
  {
    name: "kill rule: an observed -25% alone at 200 exposures does not roll back (its always-valid interval crosses -20%)",
    input: scenario({ primary: result(CONVERSION, [funnelArm("control", 200, 20), funnelArm("test", 200, 15)]) }),
    decision: "continue",
    variant: null,
    rules: ["below-minimum-sample"],
    check: (d) => {
      expect(d.primary?.verdicts[0]?.goalAdjustedLift).toBeCloseTo(-0.25, 12);
      expect(d.primary?.verdicts[0]?.alwaysValid?.interval[1]).toBeGreaterThan(-0.2);
    },
  },
  {
    name: "kill rule: clear harm (-90%, always-valid interval entirely beyond -20%) at 200 exposures → rollback before the minimum sample",
    input: scenario({ primary: result(CONVERSION, [funnelArm("control", 200, 20), funnelArm("test", 200, 2)]) }),
    decision: "rollback",
    variant: "test",
    // The significant regression fires too but ranks after the minimum sample; only the kill rule acts early.
    rules: ["kill-regression", "below-minimum-sample", "significant-regression"],
    check: (d) => {
      expect(d.primary?.verdicts[0]?.alwaysValid?.interval[1]).toBeLessThan(-0.2);
      expect(d.reasons[0]?.message).toContain("lies entirely beyond the 20% kill_regression");
    },
  },
  {
    name: "kill rule: an observed regression exactly at kill_regression (-20.0%), not significant → continue",
    input: scenario({ primary: conversion(80, 1_000) }),
    decision: "continue",
    variant: null,
    rules: ["not-yet-significant"],
    check: (d) => expect(pOf(d)).toBeGreaterThan(0.05),
  },
  {
    name: "kill rule: observed regression just short of kill_regression (-19.0%) → continue",
    input: scenario({ primary: conversion(81, 1_000) }),
    decision: "continue",
    variant: null,
    rules: ["not-yet-significant"],
  },
  {
    name: "guardrail significantly worse by 15% → rollback, and it blocks the primary win",
    input: scenario({ primary: conversion(1_200), secondary: [revenue(42.5)] }),
    decision: "rollback",
    variant: "test",
    rules: ["guardrail-regression", "guardrail-blocks-promote"],
  },
  {
    name: "guardrail significantly worse by only 5% blocks promote → continue",
    input: scenario({ primary: conversion(1_200), secondary: [revenue(47.5)] }),
    decision: "continue",
    variant: "test",
    rules: ["guardrail-blocks-promote"],
  },
  {
    name: "guardrail-blocked win past the maximum duration → stop",
    input: scenario({ primary: conversion(1_200), secondary: [revenue(47.5)], days: 15 }),
    decision: "stop",
    variant: "test",
    rules: ["guardrail-blocks-promote"],
  },
  {
    name: "guardrails: 'none' ignores the regressing secondary metric → promote",
    input: scenario({ primary: conversion(1_200), secondary: [revenue(42.5)], config: { guardrails: "none" } }),
    decision: "promote",
    variant: "test",
    rules: ["significant-win"],
    check: (d) => expect(d.guardrails).toEqual([]),
  },
  {
    name: "rollback picks the worst of several regressing variants",
    input: scenario({ primary: threeArms(880, 700) }),
    decision: "rollback",
    variant: "test-b",
    rules: ["significant-regression", "significant-regression"],
  },

  // ── Rule order ───────────────────────────────────────────────────────────────────────────────────
  {
    name: "SRM beats rollback",
    input: scenario({ primary: result(CONVERSION, [funnelArm("control", 6_000, 600), funnelArm("test", 4_000, 280)]) }),
    decision: "investigate",
    variant: null,
    rules: ["srm", "significant-regression"],
  },

  // ── 3. Minimum sample ────────────────────────────────────────────────────────────────────────────
  {
    name: "significant win below the minimum sample (900 < 1,000) on day 7 → continue",
    input: scenario({ primary: result(CONVERSION, [funnelArm("control", 900, 90), funnelArm("test", 900, 140)]) }),
    decision: "continue",
    variant: null,
    rules: ["below-minimum-sample", "significant-win"],
  },
  {
    name: "same win below the minimum sample on day 13.9 (< 14) → continue",
    input: scenario({
      primary: result(CONVERSION, [funnelArm("control", 900, 90), funnelArm("test", 900, 140)]),
      days: 13.9,
    }),
    decision: "continue",
    variant: null,
    rules: ["below-minimum-sample", "significant-win"],
  },
  {
    name: "same win below the minimum sample on day 14.1 (past max_duration_days) → promote",
    input: scenario({
      primary: result(CONVERSION, [funnelArm("control", 900, 90), funnelArm("test", 900, 140)]),
      days: 14.1,
    }),
    decision: "promote",
    variant: "test",
    rules: ["significant-win"],
  },
  {
    name: "PostHog's recommended sample size (total 30,000 → 15,000 per variant) overrides the config",
    input: scenario({ primary: conversion(1_200), experiment: { recommendedSampleSize: 30_000 } }),
    decision: "continue",
    variant: null,
    rules: ["below-minimum-sample", "significant-win"],
    check: (d) => {
      expect(d.minSamplePerVariant).toBe(15_000);
      expect(d.minSampleSource).toBe("posthog");
      expect(d.sample?.minFraction).toBeCloseTo(10_000 / 15_000, 12);
    },
  },
  {
    name: "PostHog's recommended sample size is divided over the counted variants and rounded up",
    input: scenario({ primary: threeArms(1_200, 1_000), experiment: { recommendedSampleSize: 30_001 } }),
    decision: "continue",
    variant: null,
    rules: ["below-minimum-sample", "significant-win"],
    check: (d) => expect(d.minSamplePerVariant).toBe(10_001),
  },
  {
    name: "PostHog's recommended running time (5 days) overrides max_duration_days: day 7 is past it",
    input: scenario({
      primary: result(CONVERSION, [funnelArm("control", 900, 90), funnelArm("test", 900, 140)]),
      experiment: { recommendedRunningTimeDays: 5 },
    }),
    decision: "promote",
    variant: "test",
    rules: ["significant-win"],
    check: (d) => {
      expect(d.maxDurationDays).toBe(5);
      expect(d.maxDurationSource).toBe("posthog");
    },
  },

  // ── 4–5. Promote / stop on min_improvement ───────────────────────────────────────────────────────
  {
    name: "frequentist win (+20%, p = 3.7e-5) → promote",
    input: scenario({ primary: conversion(1_200) }),
    decision: "promote",
    variant: "test",
    rules: ["significant-win"],
    check: (d) => {
      expect(d.reasons[0]?.message).toContain("+20.0% (p = 3.7e-5 < 0.05)");
      expect(d.correction).toMatchObject({ method: "bonferroni", comparisons: 1, alpha: 0.05, chanceToWin: null });
    },
  },
  {
    name: "lift exactly at min_improvement (+15.0% vs 0.15) → promote",
    input: scenario({ primary: conversion(1_150), config: { min_improvement: 0.15 } }),
    decision: "promote",
    variant: "test",
    rules: ["significant-win"],
  },
  {
    name: "lift just below min_improvement (+15.0% vs 0.151) → stop",
    input: scenario({ primary: conversion(1_150), config: { min_improvement: 0.151 } }),
    decision: "stop",
    variant: "test",
    rules: ["below-min-improvement"],
  },
  {
    name: "Bonferroni, 3 variants: p = 0.028 misses alpha/2 = 0.025 → continue",
    input: scenario({ primary: threeArms(1_100, 1_000) }),
    decision: "continue",
    variant: null,
    rules: ["not-yet-significant"],
    check: (d) => {
      const p = pOf(d, "test-a");
      expect(p).toBeGreaterThan(0.025);
      expect(p).toBeLessThan(0.05);
      expect(d.correction).toMatchObject({ method: "bonferroni", comparisons: 2, alpha: 0.025 });
      expect(d.correction.description).toBe("Bonferroni, 2 comparisons with control: p < 0.025");
    },
  },
  {
    name: "no correction, 3 variants: the same p = 0.028 → promote",
    input: scenario({ primary: threeArms(1_100, 1_000), config: { correction: "none" } }),
    decision: "promote",
    variant: "test-a",
    rules: ["significant-win"],
  },
  {
    name: "Holm: a smaller p on test-b lets test-a's p = 0.028 pass the second step (< 0.05) → promote",
    input: scenario({
      primary: result(CONVERSION, [
        funnelArm("control", 10_000, 1_000),
        funnelArm("test-a", 10_000, 1_100),
        funnelArm("test-b", 100_000, 10_900),
      ]),
      experiment: {
        variants: [
          { key: "control", rolloutPercentage: 1_000 / 120 },
          { key: "test-a", rolloutPercentage: 1_000 / 120 },
          { key: "test-b", rolloutPercentage: 10_000 / 120 },
        ],
      },
      config: { correction: "holm" },
    }),
    decision: "promote",
    variant: "test-a",
    rules: ["significant-win"],
    check: (d) => {
      expect(pOf(d, "test-b")).toBeLessThan(0.025);
      expect(d.primary?.verdicts.find((v) => v.variant === "test-a")?.threshold).toBe(0.05);
    },
  },
  {
    name: "Bonferroni on the same data: test-a's p = 0.028 misses 0.025 → continue",
    input: scenario({
      primary: result(CONVERSION, [
        funnelArm("control", 10_000, 1_000),
        funnelArm("test-a", 10_000, 1_100),
        funnelArm("test-b", 100_000, 10_900),
      ]),
      experiment: {
        variants: [
          { key: "control", rolloutPercentage: 1_000 / 120 },
          { key: "test-a", rolloutPercentage: 1_000 / 120 },
          { key: "test-b", rolloutPercentage: 10_000 / 120 },
        ],
      },
    }),
    decision: "continue",
    variant: null,
    rules: ["not-yet-significant"],
  },

  // ── Bayesian vs frequentist ──────────────────────────────────────────────────────────────────────
  {
    name: "frequentist: +8% at p = 0.075 → continue",
    input: scenario({ primary: conversion(1_080) }),
    decision: "continue",
    variant: null,
    rules: ["not-yet-significant"],
    check: (d) => expect(pOf(d)).toBeGreaterThan(0.05),
  },
  {
    name: "Bayesian: the same +8% has chance to win 96.8% ≥ 95% → promote",
    input: scenario({ primary: conversion(1_080), experiment: { statsMethod: "bayesian" } }),
    decision: "promote",
    variant: "test",
    rules: ["significant-win"],
    check: (d) => {
      expect(ctwOf(d)).toBeGreaterThan(0.95);
      expect(d.correction).toMatchObject({ alpha: null, chanceToWin: 0.95 });
      expect(d.reasons[0]?.message).toContain("chance to win 96.8% ≥ 95%");
    },
  },
  {
    name: "Bayesian, 3 variants: 96.8% misses the Bonferroni 97.5% → continue",
    input: scenario({ primary: threeArms(1_080, 1_000), experiment: { statsMethod: "bayesian" } }),
    decision: "continue",
    variant: null,
    rules: ["not-yet-significant"],
    check: (d) => {
      expect(d.correction.chanceToWin).toBeCloseTo(0.975, 12);
      expect(d.correction.description).toBe("Bonferroni, 2 comparisons with control: chance to win ≥ 97.5%");
    },
  },
  {
    name: "Bayesian: -12% with chance to win 0.2% → rollback",
    input: scenario({ primary: conversion(880), experiment: { statsMethod: "bayesian" } }),
    decision: "rollback",
    variant: "test",
    rules: ["significant-regression"],
  },

  // ── goal: decrease ───────────────────────────────────────────────────────────────────────────────
  {
    name: "goal decrease: time to convert 15% lower → promote",
    input: scenario({ primary: timeToConvert(51) }),
    decision: "promote",
    variant: "test",
    rules: ["significant-win"],
    check: (d) => {
      expect(d.primary?.verdicts[0]?.lift).toBeCloseTo(-0.15, 12);
      expect(d.primary?.verdicts[0]?.goalAdjustedLift).toBeCloseTo(0.15, 12);
    },
  },
  {
    name: "goal decrease: time to convert 15% higher → rollback",
    input: scenario({ primary: timeToConvert(69) }),
    decision: "rollback",
    variant: "test",
    rules: ["significant-regression"],
  },
  {
    name: "goal decrease, Bayesian: 15% lower → chance to win flipped → promote",
    input: scenario({ primary: timeToConvert(51), experiment: { statsMethod: "bayesian" } }),
    decision: "promote",
    variant: "test",
    rules: ["significant-win"],
    check: (d) => expect(ctwOf(d)).toBeGreaterThan(0.999),
  },
  {
    name: "goal decrease on a guardrail: revenue falling is good there → promote",
    input: scenario({ primary: conversion(1_200), secondary: [revenue(42.5, "decrease")] }),
    decision: "promote",
    variant: "test",
    rules: ["significant-win"],
  },

  // ── 5–7. Maximum duration: stop / extend / continue ──────────────────────────────────────────────
  {
    name: "day 13.9, nothing significant → continue",
    input: scenario({ primary: conversion(1_020), days: 13.9 }),
    decision: "continue",
    variant: null,
    rules: ["not-yet-significant"],
  },
  {
    name: "day 14.1, +2% at p = 0.64 (not near) → stop",
    input: scenario({ primary: conversion(1_020), days: 14.1 }),
    decision: "stop",
    variant: null,
    rules: ["past-max-duration"],
  },
  {
    name: "day 15, +8% at p = 0.075 < near_alpha → extend",
    input: scenario({ primary: conversion(1_080), days: 15 }),
    decision: "extend",
    variant: "test",
    rules: ["near-significance"],
  },
  {
    name: "day 15, +7% at p = 0.116 ≥ near_alpha → stop",
    input: scenario({ primary: conversion(1_070), days: 15 }),
    decision: "stop",
    variant: null,
    rules: ["past-max-duration"],
    check: (d) => expect(pOf(d)).toBeGreaterThan(0.1),
  },
  {
    name: "Bayesian, day 15, chance to win 91.9% ≥ near_chance_to_win → extend",
    input: scenario({ primary: conversion(1_060), days: 15, experiment: { statsMethod: "bayesian" } }),
    decision: "extend",
    variant: "test",
    rules: ["near-significance"],
  },
  {
    name: "Bayesian, day 15, chance to win 87.8% → stop",
    input: scenario({ primary: conversion(1_050), days: 15, experiment: { statsMethod: "bayesian" } }),
    decision: "stop",
    variant: null,
    rules: ["past-max-duration"],
  },
  {
    name: "a stopped experiment counts days up to its end date",
    input: scenario({
      primary: conversion(1_020),
      days: 30,
      experiment: { status: "stopped", endDate: daysBeforeNow(30 - 14.5) },
    }),
    decision: "stop",
    variant: null,
    rules: ["past-max-duration"],
    check: (d) => expect(d.daysRunning).toBeCloseTo(14.5, 9),
  },

  // ── Not launched / no metric data ────────────────────────────────────────────────────────────────
  {
    name: "draft experiment → continue (not launched)",
    input: scenario({ primary: conversion(1_200), experiment: { status: "draft", startDate: null } }),
    decision: "continue",
    variant: null,
    rules: ["not-launched"],
    check: (d) => expect(d.daysRunning).toBeNull(),
  },
  {
    name: "no primary metric → continue (no metric data)",
    input: scenario({ totals: { control: 5_000, test: 5_000 } }),
    decision: "continue",
    variant: null,
    rules: ["no-metric-data"],
    check: (d) => expect(d.primary).toBeNull(),
  },
  {
    name: "no primary metric, but a guardrail 25% down with every variant ≥ 200 → kill rule still applies",
    input: scenario({ totals: { control: 10_000, test: 10_000 }, secondary: [revenue(37.5)] }),
    decision: "rollback",
    variant: "test",
    rules: ["kill-regression", "guardrail-regression", "no-metric-data"],
  },
  {
    name: "primary query errored → continue (no metric data)",
    input: scenario({
      primary: result(CONVERSION, [], "ExperimentQuery failed: 504 Gateway Timeout"),
      totals: { control: 5_000, test: 5_000 },
    }),
    decision: "continue",
    variant: null,
    rules: ["no-metric-data"],
    check: (d) => expect(d.reasons[0]?.message).toContain("504 Gateway Timeout"),
  },
  {
    name: "primary query errored, SRM still applies",
    input: scenario({
      primary: result(CONVERSION, [], "ExperimentQuery failed: 504 Gateway Timeout"),
      totals: { control: 5_400, test: 4_600 },
    }),
    decision: "investigate",
    variant: null,
    rules: ["srm", "no-metric-data"],
  },
  {
    name: "every variant has a validation failure → continue (no metric data)",
    input: scenario({
      primary: result(CONVERSION, [
        funnelArm("control", 10_000, 1_000, ["not-enough-metric-data"]),
        funnelArm("test", 10_000, 1_300, ["not-enough-metric-data"]),
      ]),
    }),
    decision: "continue",
    variant: null,
    rules: ["no-metric-data"],
  },
  {
    name: "excluded variant is neither counted nor compared",
    input: scenario({
      primary: threeArms(1_200, 500),
      totals: { control: 10_000, "test-a": 10_000, "test-b": 37 },
      experiment: { excludedVariants: ["test-b"] },
    }),
    decision: "promote",
    variant: "test-a",
    rules: ["significant-win"],
    check: (d) => {
      expect(Object.keys(d.exposures)).toEqual(["control", "test-a"]);
      expect(d.correction.comparisons).toBe(1);
      expect(d.primary?.verdicts.map((v) => v.variant)).toEqual(["test-a"]);
    },
  },
];

describe("decide", () => {
  it.each(rows)("$name", (row) => {
    const d = decide(row.input);
    expect({ decision: d.decision, variant: d.variant, rules: d.reasons.map((r) => r.rule) }).toEqual({
      decision: row.decision,
      variant: row.variant,
      rules: row.rules,
    });
    for (const r of d.reasons) {
      expect(r.message.length).toBeGreaterThan(0);
      expect(r.message).not.toContain("NaN");
      expect(r.message).not.toContain("undefined");
    }
    row.check?.(d);
  });

  it("reports fractional days running, exposures and sample progress", () => {
    const d = decide(scenario({ primary: result(CONVERSION, [funnelArm("control", 800, 80), funnelArm("test", 600, 60)]), days: 3.5, config: { srm_min_exposures: 5_000 } }));
    expect(d.daysRunning).toBeCloseTo(3.5, 9);
    expect(d.exposures).toEqual({ control: 800, test: 600 });
    expect(d.sample?.targetPerVariant).toBe(1_000);
    expect(d.sample?.minFraction).toBeCloseTo(0.6, 12);
    expect(d.reasons[0]?.message).toBe(
      "Below the minimum sample: control has 800, test has 600 of 1,000 exposures needed per variant (min_sample_per_variant); day 3.5 of 14.",
    );
  });

  it("throws a DecisionInputError on an invalid start date", () => {
    const input = scenario({ primary: conversion(1_000), experiment: { startDate: "last tuesday" } });
    expect(() => decide(input)).toThrow(/startDate is not an ISO 8601 date: "last tuesday"/);
  });

  it("throws a DecisionInputError on an invalid now", () => {
    const input = { ...scenario({ primary: conversion(1_000) }), now: new Date("nope") };
    expect(() => decide(input)).toThrow(/now must be a valid Date/);
  });
});
