/**
 * Issue 9 cases for the decision rules: always-valid (sequential) inference by default, the early kill only
 * on clear always-valid harm, the baseline from stats_config / the response, PostHog's own figures where the
 * app does not reproduce PostHog's analysis (CUPED, PostHog's sequential mode), disagreements with PostHog's
 * `significant` stated, the negative-baseline lift, the holdout as its own SRM arm, and pending metrics.
 * Arms carry PostHog's per-variant figures as the adapter normalises them (`MetricArm.posthog`).
 */
import { describe, expect, it } from "vitest";
import { buildChangePlan, controlVariant } from "../../src/chatops/plan.js";
import { decide, explainRules } from "../../src/decision/index.js";
import type { MetricArm, MetricResult } from "../../src/model.js";
import { CONVERSION, equalSplit, funnelArm, meanArm, metric, result, scenario } from "./builders.js";

const seq = { sequential: true };

/** A variant arm with PostHog's own verdict attached. */
function withPosthog(arm: MetricArm, posthog: NonNullable<MetricArm["posthog"]>): MetricArm {
  return { ...arm, posthog };
}

const ruleIds = (d: ReturnType<typeof decide>) => d.reasons.map((r) => r.rule);

describe("always-valid inference is the default", () => {
  it("says which inference is in force and where N* came from", () => {
    const on = decide(scenario({ primary: result(CONVERSION, [funnelArm("control", 10_000, 1_000), funnelArm("test", 10_000, 1_000)]), config: seq }));
    expect(on.inference?.label).toBe("always-valid (sequential)");
    expect(on.inference?.tuningSampleSize).toBe(2_000); // min_sample_per_variant 1,000 × 2 variants
    expect(on.inference?.tuningSource).toBe("minimum-sample");
    const rec = decide(
      scenario({
        primary: result(CONVERSION, [funnelArm("control", 10_000, 1_000), funnelArm("test", 10_000, 1_000)]),
        config: seq,
        experiment: { recommendedSampleSize: 8_000 },
      }),
    );
    expect(rec.inference).toMatchObject({ tuningSampleSize: 8_000, tuningSource: "posthog" });
    const off = decide(scenario({ primary: result(CONVERSION, [funnelArm("control", 10_000, 1_000), funnelArm("test", 10_000, 1_000)]) }));
    expect(off.inference?.label).toBe("fixed-horizon");
    expect(off.inference?.description).toContain("inflates false positives");
  });

  it("tunes N* in the unit of n, the users of control and one variant: PostHog's total for k variants counts 2/k of it", () => {
    // GrowthBook's n is n_control + n_variant (the tuning test's N* = 6,461 = 3,000 + 3,461 is the tightest);
    // PostHog's recommended sample size is the total over all variants (per-variant size × variants).
    const three = result(CONVERSION, [funnelArm("control", 10_000, 1_000), funnelArm("a", 10_000, 1_000), funnelArm("b", 10_000, 1_000)]);
    const rec = decide(scenario({ primary: three, config: seq, experiment: { recommendedSampleSize: 12_000 } }));
    expect(rec.inference).toMatchObject({ tuningSampleSize: 8_000, tuningSource: "posthog" });
    expect(rec.inference?.description).toContain("tuned at 8,000 users (PostHog's recommended sample size 12,000 for 3 variants, the share of control and one variant)");
    expect(rec.minSamplePerVariant).toBe(4_000); // the same plan: 4,000 per variant, so 8,000 in one comparison
    const fallback = decide(scenario({ primary: three, config: seq }));
    expect(fallback.inference).toMatchObject({ tuningSampleSize: 2_000, tuningSource: "minimum-sample" }); // 1,000 × 2
    const configured = decide(scenario({ primary: three, config: { ...seq, sequential_tuning_sample: 5_000 } }));
    expect(configured.inference).toMatchObject({ tuningSampleSize: 5_000, tuningSource: "config" });
  });

  it("+10% at fixed-horizon p = 0.028: promote fixed-horizon, continue always-valid (the sequence still crosses 0)", () => {
    const primary = result(CONVERSION, [funnelArm("control", 10_000, 1_000), funnelArm("test", 10_000, 1_100)]);
    const fixed = decide(scenario({ primary, config: { correction: "none" } }));
    expect(fixed.decision).toBe("promote");
    const av = decide(scenario({ primary, config: { ...seq, correction: "none" } }));
    expect(av.decision).toBe("continue");
    const v = av.primary!.verdicts[0]!;
    expect(v.inference).toBe("always-valid");
    expect(v.fixedHorizon?.pValue).toBeCloseTo(0.028, 3);
    expect(v.pValue).toBeGreaterThan(0.05);
    expect(v.interval![0]).toBeLessThan(0);
    expect(av.reasons[0]?.message).toContain("always-valid p =");
  });

  it("a strong win (+20%) is promoted under always-valid inference", () => {
    const d = decide(scenario({ primary: result(CONVERSION, [funnelArm("control", 10_000, 1_000), funnelArm("test", 10_000, 1_200)]), config: seq }));
    expect(d.decision).toBe("promote");
    expect(d.primary!.verdicts[0]!.interval![0]).toBeGreaterThan(0);
  });

  it("SRM fires on the χ² or the sequential test, and the message names both", () => {
    const d = decide(scenario({ primary: result(CONVERSION, [funnelArm("control", 6_000, 600), funnelArm("test", 4_000, 400)]), config: seq }));
    expect(d.decision).toBe("investigate");
    expect(d.reasons[0]?.message).toMatch(/χ² p = .* < 0\.001, sequential SRM p = .* < 0\.001/);
    expect(d.srm!.sequentialPValue).toBeLessThan(0.001);
  });

  it("explainRules stays in step with decide() under sequential inference", () => {
    const input = scenario({ primary: result(CONVERSION, [funnelArm("control", 10_000, 1_000), funnelArm("test", 10_000, 1_100)]), config: seq });
    const outcomes = explainRules(decide(input), input);
    expect(outcomes.find((o) => o.rule === "significant-win")?.message).toContain("always-valid p =");
    expect(outcomes.find((o) => o.rule === "kill-regression")?.message).toContain("always-valid interval");
  });
});

describe("Bayesian: promote waits for the minimum sample and for always-valid evidence", () => {
  const bayes = { statsMethod: "bayesian" as const };

  it("a chance to win of 98% with a crossing always-valid sequence → continue under sequential, promote fixed-horizon", () => {
    const primary = result(CONVERSION, [funnelArm("control", 10_000, 1_000), funnelArm("test", 10_000, 1_100)]);
    const av = decide(scenario({ primary, experiment: bayes, config: seq }));
    const v = av.primary!.verdicts[0]!;
    expect(v.goalAdjustedChanceToWin).toBeGreaterThan(0.98);
    expect(v.alwaysValid!.pValue).toBeGreaterThan(0.05);
    expect(av.decision).toBe("continue");
    expect(av.reasons[0]?.message).toContain("needs < 0.05");
    expect(decide(scenario({ primary, experiment: bayes })).decision).toBe("promote");
  });

  it("before the minimum sample a Bayesian win waits; only clear always-valid harm rolls back", () => {
    const win = result(CONVERSION, [funnelArm("control", 900, 90), funnelArm("test", 900, 180)]);
    const d = decide(scenario({ primary: win, experiment: bayes, config: seq }));
    expect(d.decision).toBe("continue");
    expect(ruleIds(d)[0]).toBe("below-minimum-sample");
    const harm = result(CONVERSION, [funnelArm("control", 300, 30), funnelArm("test", 300, 2)]);
    const h = decide(scenario({ primary: harm, experiment: bayes, config: seq }));
    expect(h.decision).toBe("rollback");
    expect(ruleIds(h)[0]).toBe("kill-regression");
  });
});

describe("negative control mean (statistics.md §11)", () => {
  const SCORE = metric("Net score", { type: "mean" });
  const primary = result(SCORE, [meanArm("control", 1_000, -10, 5), meanArm("test", 1_000, -5, 5)]);

  it("control −10 → variant −5 (goal increase) is +50 %, promote — not a −50 % rollback", () => {
    for (const config of [seq, { sequential: false }]) {
      const d = decide(scenario({ primary, config }));
      expect(d.primary!.verdicts[0]!.lift).toBeCloseTo(0.5, 12);
      expect(d.decision).toBe("promote");
      expect(d.variant).toBe("test");
    }
  });

  it("goal decrease: the same move is a regression", () => {
    const down = result(metric("Net score", { type: "mean", goal: "decrease" }), [meanArm("control", 1_000, -10, 5), meanArm("test", 1_000, -5, 5)]);
    const d = decide(scenario({ primary: down, config: seq }));
    expect(d.primary!.verdicts[0]!.goalAdjustedLift).toBeCloseTo(-0.5, 12);
    expect(d.decision).toBe("rollback");
  });
});

describe("baseline variant key", () => {
  const arms = [funnelArm("original", 10_000, 1_000), funnelArm("test", 10_000, 1_200)];

  it("baseline_variant_key 'original' is control, even when it is not the first variant", () => {
    const primary = result(CONVERSION, arms);
    const d = decide(
      scenario({
        primary,
        config: seq,
        experiment: { variants: equalSplit(["test", "original"]), analysis: { baselineVariantKey: "original", cuped: false, sequential: false, informativePrior: false } },
      }),
    );
    expect(d.correction.comparisons).toBe(1);
    expect(d.primary!.verdicts.map((v) => v.variant)).toEqual(["test"]);
    expect(d.decision).toBe("promote");
    expect(d.variant).toBe("test");
  });

  it("without stats_config, the response's baseline arm is control, not the first variant", () => {
    const primary: MetricResult = { ...result(CONVERSION, arms) };
    const d = decide(scenario({ primary, config: seq, experiment: { variants: equalSplit(["test", "original"]) } }));
    expect(d.primary!.verdicts.map((v) => v.variant)).toEqual(["test"]);
    expect(d.decision).toBe("promote");
  });

  it("chat-ops rollback ships the baseline the decision compared with", () => {
    const e = scenario({ primary: result(CONVERSION, arms) }).experiment;
    expect(
      controlVariant({ ...e, variants: equalSplit(["test", "original"]), analysis: { baselineVariantKey: "original", cuped: false, sequential: false, informativePrior: false } }),
    ).toBe("original");
    // No stats_config: the decision takes the response's baseline arm ("original") as control, so a
    // rollback must ship "original" too — not the first listed variant, which is the treatment.
    const worse = [funnelArm("original", 10_000, 1_200), funnelArm("test", 10_000, 1_000)];
    const input = scenario({ primary: result(CONVERSION, worse), config: seq, experiment: { variants: equalSplit(["test", "original"]) } });
    const d = decide(input);
    expect(d.control).toBe("original");
    expect(d.decision).toBe("rollback");
    expect(controlVariant(input.experiment, d)).toBe("original");
    const plan = buildChangePlan({
      experiment: input.experiment,
      decision: d,
      action: "rollback",
      variant: null,
      disableFlag: false,
      force: false,
      requestedBy: "octocat",
      now: input.now,
      openFindings: [],
    });
    expect(plan.ok && plan.plan.variant).toBe("original");
  });
});

describe("PostHog's own figures where the app does not reproduce PostHog's analysis", () => {
  it("CUPED-adjusted response: the decision uses PostHog's adjusted figures and says so", () => {
    // Raw sums show +5 % (not significant); PostHog's CUPED-adjusted interval is [+12 %, +28 %], p = 1e-6.
    const primary = result(CONVERSION, [
      funnelArm("control", 10_000, 1_000),
      withPosthog(funnelArm("test", 10_000, 1_050), {
        method: "frequentist",
        chanceToWin: null,
        pValue: 1e-6,
        interval: [0.12, 0.28],
        significant: true,
        adjusted: true,
      }),
    ]);
    const raw = decide(scenario({ primary: result(CONVERSION, [funnelArm("control", 10_000, 1_000), funnelArm("test", 10_000, 1_050)]), config: seq }));
    expect(raw.decision).toBe("continue");
    const d = decide(
      scenario({ primary, config: seq, experiment: { analysis: { baselineVariantKey: null, cuped: true, sequential: false, informativePrior: false } } }),
    );
    const v = d.primary!.verdicts[0]!;
    expect(v.inference).toBe("posthog");
    expect(v.posthogFigures).toBe("PostHog's CUPED-adjusted figures");
    expect(v.lift).toBeCloseTo(0.2, 12);
    expect(v.interval![0]).toBeGreaterThan(0); // the app's always-valid sequence on PostHog's estimate and SE
    expect(d.decision).toBe("promote");
    expect(d.notes?.join(" ")).toContain("PostHog's CUPED-adjusted figures");
    // The arm flag alone (covariate_* fields) is enough.
    const flagged = decide(scenario({ primary, config: seq }));
    expect(flagged.primary!.verdicts[0]!.posthogFigures).toBe("PostHog's CUPED-adjusted figures");
  });

  it("PostHog-sequential response: PostHog's always-valid p and interval are used as they are", () => {
    const primary = result(CONVERSION, [
      funnelArm("control", 10_000, 1_000),
      withPosthog(funnelArm("test", 10_000, 1_160), {
        method: "frequentist",
        chanceToWin: null,
        pValue: 0.004,
        interval: [0.04, 0.28],
        significant: true,
      }),
    ]);
    const d = decide(
      scenario({ primary, config: seq, experiment: { analysis: { baselineVariantKey: null, cuped: false, sequential: true, informativePrior: false } } }),
    );
    const v = d.primary!.verdicts[0]!;
    expect(v.posthogFigures).toBe("PostHog's sequential (always-valid) figures");
    expect(v.pValue).toBe(0.004);
    expect(v.interval).toEqual([0.04, 0.28]);
    expect(v.fixedHorizon).toBeNull();
    expect(d.decision).toBe("promote");
    expect(d.notes).toEqual(['"Checkout conversion" uses PostHog\'s sequential (always-valid) figures.']);
  });

  it("Bayesian informative prior: PostHog's chance to win and credible interval decide, and the comment says so", () => {
    const primary = result(CONVERSION, [
      funnelArm("control", 10_000, 1_000),
      withPosthog(funnelArm("test", 10_000, 1_080), {
        method: "bayesian",
        chanceToWin: 0.9999,
        pValue: null,
        interval: [0.1, 0.3],
        significant: true,
      }),
    ]);
    const d = decide(
      scenario({
        primary,
        config: seq,
        experiment: { statsMethod: "bayesian", analysis: { baselineVariantKey: null, cuped: false, sequential: false, informativePrior: true } },
      }),
    );
    const v = d.primary!.verdicts[0]!;
    expect(v.posthogFigures).toBe("PostHog's figures with the experiment's informative prior");
    expect(v.chanceToWin).toBe(0.9999);
    expect(v.lift).toBeCloseTo(0.2, 12);
    expect(v.alwaysValid!.pValue).toBeLessThan(0.05); // on PostHog's estimate and the SE read back from its interval
    expect(d.decision).toBe("promote");
    expect(d.notes?.[0]).toContain("informative prior");
  });

  it("PostHog calls the variant significant but the app's always-valid verdict does not: stated in the notes", () => {
    const primary = result(CONVERSION, [
      funnelArm("control", 10_000, 1_000),
      withPosthog(funnelArm("test", 10_000, 1_100), {
        method: "frequentist",
        chanceToWin: null,
        pValue: 0.0211,
        interval: [0.015, 0.185],
        significant: true,
      }),
    ]);
    const d = decide(scenario({ primary, config: seq }));
    expect(d.decision).toBe("continue");
    expect(d.notes).toHaveLength(1);
    expect(d.notes![0]).toMatch(/^PostHog calls test significant on "Checkout conversion", but the app does not \(app: always-valid p = /);
    expect(d.notes![0]).toContain("always-valid (sequential)");
    // Agreement → no note.
    const agree = decide(scenario({ primary, config: { sequential: false, correction: "none" } }));
    expect(agree.notes).toEqual([]);
  });
});

describe("holdout and pending metrics", () => {
  it("holdout 20 / control 40 / test 40 (PostHog test_srm_calculation_adjusts_for_holdout) → SRM p = 1, no investigate", () => {
    const primary = result(CONVERSION, [funnelArm("control", 4_000, 400), funnelArm("test", 4_000, 400)]);
    const d = decide(
      scenario({
        primary,
        totals: { control: 4_000, test: 4_000, "holdout-7": 2_000 },
        config: seq,
        experiment: { holdout: { id: 7, name: "Q4 holdout", rolloutPercentage: 20 } },
      }),
    );
    expect(d.srm?.pValue).toBe(1);
    expect(d.srm?.holdoutArm).toBe("holdout-7");
    expect(d.srm?.expectedShare).toEqual({ control: 0.4, test: 0.4, "holdout-7": 0.2 });
    expect(ruleIds(d)).not.toContain("srm");
  });

  it("a pending metric is 'still computing', not broken", () => {
    const pending: MetricResult = { metric: CONVERSION, baseline: null, variants: [], error: null, pending: true };
    const d = decide(scenario({ primary: pending, totals: { control: 5_000, test: 5_000 }, config: seq }));
    expect(d.decision).toBe("continue");
    expect(d.reasons[0]?.rule).toBe("no-metric-data");
    expect(d.reasons[0]?.message).toContain("still computing");
    expect(d.primary?.error).toContain("still computing");
  });
});

describe("explainRules agrees with decide() on generated experiments under sequential inference", () => {
  it("never reports a rule whose condition holds as not fired (seeded)", async () => {
    const { mulberry32 } = await import("../support/random.js");
    const rand = mulberry32(909);
    for (let i = 0; i < 300; i++) {
      const n = 50 + Math.floor(rand() * 20_000);
      const pc = 0.02 + rand() * 0.3;
      const pt = pc * (0.5 + rand());
      const g = result(metric("Guard", { type: "mean", role: "secondary", goal: rand() < 0.5 ? "increase" : "decrease" }), [
        meanArm("control", n, 50, 20),
        meanArm("test", n, 50 * (0.7 + rand() * 0.6), 20),
      ]);
      const input = scenario({
        primary: result(CONVERSION, [funnelArm("control", n, Math.round(n * pc)), funnelArm("test", n, Math.round(n * pt))]),
        secondary: [g],
        days: 1 + rand() * 30,
        config: { sequential: true, correction: rand() < 0.5 ? "holm" : "bonferroni" },
        experiment: { statsMethod: rand() < 0.5 ? "bayesian" : "frequentist", recommendedSampleSize: rand() < 0.5 ? 8_000 : null },
      });
      const d = decide(input);
      const outcomes = explainRules(d, input);
      expect(outcomes.find((o) => o.status === "decided")?.rule).toBe(d.reasons[0]?.rule);
    }
  });
});
