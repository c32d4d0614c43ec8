import { describe, expect, it } from "vitest";
import {
  betaBinomialChanceToWin,
  gaussianChanceToWin,
  momentsFromProportion,
  momentsFromSums,
  normalSf,
  probBetaGreater,
  StatsInputError,
} from "../../src/stats/index.js";
import { expectRel, vectors } from "./vectors.js";

describe("gaussianChanceToWin", () => {
  it("PostHog Bayesian vector: effect 0.63646, CI [−0.0873, 1.36026], ctw 0.95759", () => {
    const r = gaussianChanceToWin(momentsFromSums(2507, 1196.87, 37377.9767), momentsFromSums(2461, 1922.7, 94698.29));
    expect(r.effect).toBeCloseTo(0.63646, 4); // PostHog truncates 0.6364670
    expect(r.credibleInterval[0]).toBeCloseTo(-0.0873, 4);
    expect(r.credibleInterval[1]).toBeCloseTo(1.36026, 4);
    expect(r.chanceToWin).toBeCloseTo(0.95759, 4); // 0.9575986, truncated in the reference
  });

  it("matches the z-based relative CI of every Welch vector", () => {
    for (const c of vectors.welch_t_tests_from_summary_stats.cases) {
      const r = gaussianChanceToWin(c.control, c.treatment);
      expectRel(r.sd, c.relative_lift_se_delta, 1e-9, `${c.id} sd`);
      expectRel(r.credibleInterval[0], c.relative_ci95_z[0], 1e-9, `${c.id} lo`);
      expectRel(r.credibleInterval[1], c.relative_ci95_z[1], 1e-9, `${c.id} hi`);
    }
  });

  it("matches the GrowthBook-style Gaussian ctw of every beta-binomial vector (p(1 − p) variances)", () => {
    for (const c of vectors.bayesian_beta_binomial.cases) {
      const r = gaussianChanceToWin(
        momentsFromProportion(c.control.n, c.control.conversions),
        momentsFromProportion(c.treatment.n, c.treatment.conversions),
      );
      expectRel(r.chanceToWin, c.growthbook_style_gaussian_ctw_relative, 1e-9, c.id);
    }
  });

  it("keeps tail accuracy: a chance to win of ~6e-27 is not rounded to 0", () => {
    const r = gaussianChanceToWin({ n: 1e6, mean: 1, variance: 1 }, { n: 1e6, mean: 0.985, variance: 1 });
    expect(r.chanceToWin).toBeGreaterThan(0);
    expectRel(r.chanceToWin, normalSf(-r.effect / r.sd), 1e-15, "tail");
    expect(r.chanceToWin).toBeLessThan(1e-20);
    expect(1 - normalSf(r.effect / r.sd)).toBe(0); // what "1 − Φ" style code would report
  });

  it("ciLevel sets the interval width; bad inputs throw typed errors", () => {
    const c = { n: 1000, mean: 10, variance: 25 };
    const t = { n: 1000, mean: 10.5, variance: 25 };
    const w90 = gaussianChanceToWin(c, t, 0.9).credibleInterval;
    const w99 = gaussianChanceToWin(c, t, 0.99).credibleInterval;
    expect(w99[1] - w99[0]).toBeGreaterThan(w90[1] - w90[0]);
    expect(() => gaussianChanceToWin({ n: 10, mean: 0, variance: 1 }, t)).toThrow(expect.objectContaining({ code: "zero-baseline" }));
    // A negative control mean: the lift is (mT − mC)/|mC| (GrowthBook frequentist_diff), so −2 → −1 is +50 %.
    const neg = gaussianChanceToWin({ n: 1000, mean: -2, variance: 1 }, { n: 1000, mean: -1, variance: 1 });
    expect(neg.effect).toBeCloseTo(0.5, 12);
    expect(neg.chanceToWin).toBeGreaterThan(0.999);
    expect(() => gaussianChanceToWin({ n: 10, mean: 1, variance: 0 }, { n: 10, mean: 1, variance: 0 })).toThrow(
      expect.objectContaining({ code: "zero-variance" }),
    );
    expect(() => gaussianChanceToWin(c, t, 1)).toThrow(RangeError);
  });
});

describe("betaBinomialChanceToWin — every bayesian_beta_binomial vector", () => {
  for (const c of vectors.bayesian_beta_binomial.cases) {
    it(c.id, () => {
      const r = betaBinomialChanceToWin(c.control, c.treatment);
      expectRel(r.chanceToWin, Number(c.p_treatment_beats_control_str), 1e-10, "ctw");
      expectRel(r.expectedLossShip, c.expected_loss_if_ship_treatment, 1e-9, "loss ship");
      expectRel(r.expectedLossKeep, c.expected_loss_if_keep_control, 1e-9, "loss keep");
      // Posterior parameters as the vector states them.
      expect([1 + c.control.conversions, 1 + c.control.n - c.control.conversions]).toEqual(c.control.posterior);
    });
  }

  it("statistics.md §4 divergent cases: 1/10 vs 4/10 → 0.92570; 0/50 vs 3/50 → 0.94119 (Gaussian undefined)", () => {
    expect(betaBinomialChanceToWin({ n: 10, conversions: 1 }, { n: 10, conversions: 4 }).chanceToWin).toBeCloseTo(0.9257, 5);
    expect(betaBinomialChanceToWin({ n: 50, conversions: 0 }, { n: 50, conversions: 3 }).chanceToWin).toBeCloseTo(0.94119, 5);
    expect(() => gaussianChanceToWin(momentsFromProportion(50, 0), momentsFromProportion(50, 3))).toThrow(StatsInputError);
  });

  it("is symmetric: swapping arms gives 1 − ctw and swaps the losses", () => {
    const a = betaBinomialChanceToWin({ n: 200, conversions: 20 }, { n: 200, conversions: 31 });
    const b = betaBinomialChanceToWin({ n: 200, conversions: 31 }, { n: 200, conversions: 20 });
    expectRel(a.chanceToWin + b.chanceToWin, 1, 1e-13, "sum");
    expectRel(a.expectedLossShip, b.expectedLossKeep, 1e-12, "losses");
  });

  it("handles αB in the millions in log space (5M users per arm) and agrees with the normal approximation", () => {
    const control = { n: 5_000_000, conversions: 2_500_000 };
    const treatment = { n: 5_000_000, conversions: 2_510_000 };
    const started = performance.now();
    const lose = probBetaGreater(1 + control.conversions, 1 + control.n - control.conversions, 1 + treatment.conversions, 1 + treatment.n - treatment.conversions);
    const r = betaBinomialChanceToWin(control, treatment);
    expect(performance.now() - started).toBeLessThan(1000);
    // P(pC > pT) ≈ Φ(−Δ/se), Δ = 0.002, se = √(2·0.25/5e6) (unpooled z 6.3246 in stats-vectors half_at_5M)
    expect(lose).toBeGreaterThan(1e-10);
    expectRel(lose, normalSf(6.32458061871), 0.05, "tail vs normal");
    expect(Math.abs(r.chanceToWin - (1 - lose))).toBeLessThan(1e-9);
    expect(r.expectedLossShip).toBeGreaterThan(0);
    expect(r.expectedLossShip).toBeLessThan(1e-12);
  });

  it("probBetaGreater agrees between its two closed forms and with a direct identity", () => {
    // Beta(1,1) vs Beta(1,1): 1/2; Beta(2,1) (density 2x) vs uniform: P = ∫ 2x·x dx = 2/3.
    expectRel(probBetaGreater(1, 1, 1, 1), 0.5, 1e-15, "uniforms");
    expectRel(probBetaGreater(2, 1, 1, 1), 2 / 3, 1e-15, "2x vs uniform");
    // Non-integer bY forces the aX form; non-integer aX forces the bY form; compare with the complement.
    const p1 = probBetaGreater(7, 3.5, 4, 9);
    const p2 = probBetaGreater(4, 9, 7, 3.5);
    expectRel(p1 + p2, 1, 1e-13, "complement across forms");
    expect(() => probBetaGreater(2.5, 1, 1, 1.5)).toThrow(/integer/);
  });

  it("validates counts", () => {
    expect(() => betaBinomialChanceToWin({ n: 10, conversions: 11 }, { n: 10, conversions: 1 })).toThrow(RangeError);
    expect(() => betaBinomialChanceToWin({ n: 10.5, conversions: 1 }, { n: 10, conversions: 1 })).toThrow(StatsInputError);
    expect(betaBinomialChanceToWin({ n: 0, conversions: 0 }, { n: 0, conversions: 0 }).chanceToWin).toBeCloseTo(0.5, 14);
  });
});
