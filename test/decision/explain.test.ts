import { describe, expect, it } from "vitest";
import {
  decide,
  DecisionInputError,
  explainRules,
  RULE_ORDER,
  type Decision,
  type DecisionInput,
  type RuleId,
  type RuleOutcome,
  type RuleStatus,
} from "../../src/decision/index.js";
import { CONVERSION, REVENUE, conversion, funnelArm, meanArm, result, scenario } from "./builders.js";

/** Revenue guardrail: control mean 50 (sd 20) vs test mean `testMean`, 10,000 users each. */
function revenue(testMean: number) {
  return result(REVENUE, [meanArm("control", 10_000, 50, 20), meanArm("test", 10_000, testMean, 20)]);
}

interface Case {
  name: string;
  input: DecisionInput;
  /** Expected decided rule (pins the premise of the case). */
  decided: RuleId;
  /** Expected status of some rules. */
  statuses: Partial<Record<RuleId, RuleStatus>>;
  /** Substrings the message of a rule must contain (numbers and thresholds of the explanation). */
  contains: Partial<Record<RuleId, string[]>>;
}

const cases: Case[] = [
  {
    name: "promote (frequentist +20%, guardrail flat)",
    input: scenario({ primary: conversion(1_200), secondary: [revenue(50.2)] }),
    decided: "significant-win",
    statuses: {
      "not-launched": "not-fired",
      srm: "not-fired",
      "significant-regression": "not-fired",
      "guardrail-regression": "not-fired",
      "kill-regression": "not-fired",
      "below-minimum-sample": "not-fired",
      "guardrail-blocks-promote": "not-fired",
      "below-min-improvement": "not-fired",
      "past-max-duration": "not-fired",
      "near-significance": "not-fired",
      "not-yet-significant": "not-fired",
    },
    contains: {
      "not-launched": ["status running"],
      srm: ["SRM p = 1 ≥ 0.001 on 20,000 exposures"],
      "significant-regression": ["10% max_regression", "test +20.0% (no regression)"],
      "guardrail-regression": ['"Revenue per user" (guardrail): test +0.4% (no regression)', "10% max_regression"],
      "kill-regression": ["20% worse", "≥ 200 exposures", "the worst is test at +0.4%"],
      "no-metric-data": ["1 of 1 variant", "p < 0.05"],
      "below-minimum-sample": ["Every variant has at least 10,000 exposures (minimum 1,000 per variant, min_sample_per_variant)"],
      "guardrail-blocks-promote": ['No guardrail is significantly worse for test: "Revenue per user" (guardrail) +0.4% (no regression)'],
      "below-min-improvement": ["+20.0%", "at least the 5% min_improvement"],
      "past-max-duration": ["Not past the maximum duration: day 7 of 14 (max_duration_days)"],
      "near-significance": ["near significance (p < 0.1)"],
      "not-yet-significant": ['"significant-win" rule decided (promote)'],
    },
  },
  {
    name: "rollback on a guardrail regression (-15% revenue) that also blocks the primary win",
    input: scenario({ primary: conversion(1_200), secondary: [revenue(42.5)] }),
    decided: "guardrail-regression",
    statuses: { "guardrail-blocks-promote": "fired", "significant-win": "not-fired", "kill-regression": "not-fired" },
    contains: {
      "significant-win": ["significantly better", "but a guardrail is significantly worse", '"Revenue per user" (guardrail) -15.0%'],
      "kill-regression": ["20% worse", "the worst is test at -15.0%"],
    },
  },
  {
    name: "SRM investigate (5,165 vs 4,835)",
    input: scenario({ primary: result(CONVERSION, [funnelArm("control", 5_165, 517), funnelArm("test", 4_835, 484)]) }),
    decided: "srm",
    statuses: { "guardrail-regression": "not-evaluated", "not-yet-significant": "not-fired" },
    contains: {
      "guardrail-regression": ['decision.guardrails is "secondary"'],
      "significant-win": ["needs < 0.05"],
      "below-minimum-sample": ["at least 4,835 exposures (minimum 1,000 per variant"],
    },
  },
  {
    name: "draft",
    input: scenario({ primary: conversion(1_200), experiment: { status: "draft", startDate: null } }),
    decided: "not-launched",
    statuses: Object.fromEntries(RULE_ORDER.filter((r) => r !== "not-launched").map((r) => [r, "not-evaluated"])),
    contains: { srm: ["draft"], "not-yet-significant": ["draft"] },
  },
  {
    name: "below the minimum sample: continue, SRM not tested below srm_min_exposures",
    input: scenario({
      primary: result(CONVERSION, [funnelArm("control", 800, 80), funnelArm("test", 600, 60)]),
      days: 3.5,
      config: { srm_min_exposures: 5_000 },
    }),
    decided: "below-minimum-sample",
    statuses: { srm: "not-evaluated", "kill-regression": "not-fired", "significant-win": "not-fired" },
    contains: {
      srm: ["Not tested: 1,400 exposures < srm_min_exposures 5,000"],
      "kill-regression": ["smallest test 600"],
      "past-max-duration": ["day 3.5 of 14"],
    },
  },
  {
    name: "past the maximum duration, not near significance: stop",
    input: scenario({ primary: conversion(1_020), days: 14.1 }),
    decided: "past-max-duration",
    statuses: { "near-significance": "not-fired", "below-minimum-sample": "not-fired" },
    contains: {
      "near-significance": ["test is not near significance", "+2.0%", "near needs < 0.1"],
      "below-minimum-sample": ["Past the maximum duration (day 14.1 of 14, max_duration_days)", "1,000 per variant"],
      "significant-win": ["p = 0.642, needs < 0.05"],
    },
  },
  {
    name: "past the maximum duration and near significance: extend",
    input: scenario({ primary: conversion(1_080), days: 15 }),
    decided: "near-significance",
    statuses: { "past-max-duration": "not-fired" },
    contains: {
      "past-max-duration": ["Past the maximum duration (day 15 of 14, max_duration_days)", "near significance", "p = 0.0746 < 0.1"],
      "below-min-improvement": ["5% min_improvement is not checked", "needs < 0.05"],
    },
  },
  {
    name: "Bayesian promote (+8%, chance to win 96.8%)",
    input: scenario({ primary: conversion(1_080), experiment: { statsMethod: "bayesian" } }),
    decided: "significant-win",
    statuses: { "guardrail-blocks-promote": "not-fired" },
    contains: {
      "near-significance": ["chance to win ≥ 90%"],
      "no-metric-data": ["chance to win ≥ 95%"],
      "guardrail-blocks-promote": ['decision.guardrails is "secondary"'],
    },
  },
  {
    name: "Bayesian, 3 variants: 96.8% misses the Bonferroni 97.5% (not yet significant)",
    input: scenario({
      primary: result(CONVERSION, [
        funnelArm("control", 10_000, 1_000),
        funnelArm("test-a", 10_000, 1_080),
        funnelArm("test-b", 10_000, 990),
      ]),
      experiment: { statsMethod: "bayesian" },
    }),
    decided: "not-yet-significant",
    statuses: { "significant-win": "not-fired" },
    contains: {
      "significant-win": ["test-a at +8.0% (chance to win 96.8%, needs ≥ 97.5%)"],
      "significant-regression": ["test-b -1.0% (chance to win 40.7%, worse needs ≤ 2.5%)"],
      "near-significance": ["chance to win ≥ 95%"],
    },
  },
  {
    name: "an observed -25% at 200 exposures: the kill rule is armed but its always-valid interval crosses -20%",
    input: scenario({ primary: result(CONVERSION, [funnelArm("control", 200, 20), funnelArm("test", 200, 15)]) }),
    decided: "below-minimum-sample",
    statuses: { "kill-regression": "not-fired", srm: "not-evaluated", "significant-regression": "not-fired" },
    contains: {
      "significant-regression": ["test -25.0% (p = 0.308, needs < 0.05)", "10% max_regression"],
      "kill-regression": ["No variant's always-valid interval lies entirely beyond 20% worse", "the worst is test at -25.0%"],
    },
  },
  {
    name: "kill rule rolls back on clear harm before the minimum sample; the minimum sample fires too",
    input: scenario({ primary: result(CONVERSION, [funnelArm("control", 200, 20), funnelArm("test", 200, 2)]) }),
    decided: "kill-regression",
    statuses: { "below-minimum-sample": "fired", "significant-regression": "fired" },
    contains: { "kill-regression": ["always-valid", "lies entirely beyond the 20% kill_regression"] },
  },
  {
    name: "kill rule not armed at 199 exposures",
    input: scenario({ primary: result(CONVERSION, [funnelArm("control", 200, 20), funnelArm("test", 199, 15)]) }),
    decided: "below-minimum-sample",
    statuses: { "kill-regression": "not-evaluated" },
    contains: { "kill-regression": ["Not armed: test has 199 exposures < kill_min_exposures 200"] },
  },
  {
    name: "significant but below min_improvement: stop",
    input: scenario({ primary: conversion(1_150), config: { min_improvement: 0.151 } }),
    decided: "below-min-improvement",
    statuses: { "significant-win": "not-fired", "guardrail-blocks-promote": "not-fired" },
    contains: {
      "significant-win": ["+15.0% is below the 15.1% min_improvement"],
      "guardrail-blocks-promote": ["No promotion to block", "15.1% min_improvement"],
    },
  },
  {
    name: "guardrail 5% worse blocks the promotion but is below max_regression",
    input: scenario({ primary: conversion(1_200), secondary: [revenue(47.5)] }),
    decided: "guardrail-blocks-promote",
    statuses: { "guardrail-regression": "not-fired" },
    contains: { "guardrail-regression": ["test -5.0% (significantly worse, p = 1.4e-19 < 0.05, but less than the 10% max_regression)"] },
  },
  {
    name: "no primary metric",
    input: scenario({ totals: { control: 5_000, test: 5_000 } }),
    decided: "no-metric-data",
    statuses: {
      "significant-regression": "not-evaluated",
      "kill-regression": "not-evaluated",
      "significant-win": "not-evaluated",
      "past-max-duration": "not-evaluated",
      "below-minimum-sample": "not-fired",
    },
    contains: { "significant-win": ["no primary metric"], "below-minimum-sample": ["at least 5,000 exposures"] },
  },
  {
    name: "primary query failed; guardrails none",
    input: scenario({
      primary: result(CONVERSION, [], "ExperimentQuery failed: 504 Gateway Timeout"),
      totals: { control: 5_000, test: 5_000 },
      config: { guardrails: "none" },
    }),
    decided: "no-metric-data",
    statuses: { "significant-regression": "not-evaluated", "guardrail-regression": "not-evaluated" },
    contains: { "significant-regression": ["504 Gateway Timeout"], "guardrail-regression": ['decision.guardrails is "none"'] },
  },
  {
    name: "two variants regress: both reasons of one rule in one outcome",
    input: scenario({
      primary: result(CONVERSION, [
        funnelArm("control", 10_000, 1_000),
        funnelArm("test-a", 10_000, 880),
        funnelArm("test-b", 10_000, 700),
      ]),
    }),
    decided: "significant-regression",
    statuses: { "kill-regression": "not-fired" },
    contains: { "significant-regression": ["test-a", "test-b"] },
  },
  {
    name: "PostHog's recommended sample size and running time",
    input: scenario({
      primary: conversion(1_020),
      experiment: { recommendedSampleSize: 10_000, recommendedRunningTimeDays: 21 },
    }),
    decided: "not-yet-significant",
    statuses: { "below-minimum-sample": "not-fired" },
    contains: {
      "below-minimum-sample": ["minimum 5,000 per variant, PostHog's recommended sample size 10,000 / 2 variants"],
      "past-max-duration": ["day 7 of 21 (PostHog's recommended running time)"],
    },
  },
];

function outcome(outcomes: RuleOutcome[], rule: RuleId): RuleOutcome {
  const o = outcomes.find((x) => x.rule === rule);
  if (!o) throw new Error(`no outcome for ${rule}`);
  return o;
}

describe("explainRules", () => {
  it.each(cases)("$name", (c) => {
    const d = decide(c.input);
    const outcomes = explainRules(d, c.input);

    // Exactly one outcome per rule, in RULE_ORDER.
    expect(outcomes.map((o) => o.rule)).toEqual([...RULE_ORDER]);

    // decided/fired rules = the reasons' rules, with the reasons' messages; exactly one decided = reasons[0].
    const firing = outcomes.filter((o) => o.status === "decided" || o.status === "fired");
    expect(new Set(firing.map((o) => o.rule))).toEqual(new Set(d.reasons.map((r) => r.rule)));
    for (const o of firing) {
      expect(o.message).toBe(d.reasons.filter((r) => r.rule === o.rule).map((r) => r.message).join(" "));
    }
    const decided = outcomes.filter((o) => o.status === "decided");
    expect(decided.map((o) => o.rule)).toEqual([d.reasons[0]?.rule]);
    expect(decided[0]?.rule).toBe(c.decided);

    // not-yet-significant is decided only when it is the reason.
    const nys = outcome(outcomes, "not-yet-significant");
    expect(nys.status === "decided").toBe(d.reasons.some((r) => r.rule === "not-yet-significant"));

    for (const o of outcomes) {
      expect(o.message.trim().length).toBeGreaterThan(0);
      expect(o.message).not.toMatch(/NaN|undefined|null|Infinity/);
    }
    for (const [rule, status] of Object.entries(c.statuses)) expect(outcome(outcomes, rule as RuleId).status, rule).toBe(status);
    for (const [rule, parts] of Object.entries(c.contains)) {
      const o = outcome(outcomes, rule as RuleId);
      for (const part of parts ?? []) expect(o.message, rule).toContain(part);
    }
  });

  it("explains a promotion blocked only by the minimum sample", () => {
    const input = scenario({ primary: result(CONVERSION, [funnelArm("control", 900, 90), funnelArm("test", 900, 140)]) });
    const d = decide(input);
    const outcomes = explainRules(d, input);
    expect(outcome(outcomes, "below-minimum-sample").status).toBe("decided");
    expect(outcome(outcomes, "significant-win").status).toBe("fired");
  });

  it("throws a DecisionInputError when the decision has no reasons", () => {
    const input = scenario({ primary: conversion(1_200) });
    const d: Decision = { ...decide(input), reasons: [] };
    expect(() => explainRules(d, input)).toThrow(DecisionInputError);
    expect(() => explainRules(d, input)).toThrow(/reasons is empty/);
  });

  it("throws a DecisionInputError when a rule that holds on the decision's numbers is missing from its reasons", () => {
    const input = scenario({ primary: conversion(1_200) });
    const d: Decision = { ...decide(input), reasons: [{ rule: "not-yet-significant", message: "forged" }] };
    expect(() => explainRules(d, input)).toThrow(/rule "significant-win" should have fired/);
  });

  it("throws a DecisionInputError when a draft's decision was made by another rule", () => {
    const running = scenario({ primary: conversion(1_200) });
    const draft = scenario({ primary: conversion(1_200), experiment: { status: "draft", startDate: null } });
    expect(() => explainRules(decide(running), draft)).toThrow(/draft but "significant-win" decided/);
  });
});
