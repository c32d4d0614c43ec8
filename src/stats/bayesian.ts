/**
 * Bayesian comparisons of one variant (treatment) against control.
 *
 * Sources: statistics.md §4; PostHog `products/experiments/stats/bayesian/{method,tests,utils}.py`
 * (Gaussian posterior on the relative effect, non-informative prior); Evan Miller, "Formulas for Bayesian
 * A/B Testing" (closed-form beta-binomial chance to win); stats-vectors `bayesian_beta_binomial`.
 */
import { assertFinite, StatsInputError } from "./errors.js";
import { relativeDifference, relativeEffectVariance } from "./frequentist.js";
import type { Moments } from "./moments.js";
import { normalQuantile, normalSf } from "./tails.js";
import { logBeta } from "./stdlib.js";

/** Result of {@link gaussianChanceToWin}; effect and interval are relative (fractions). */
export interface GaussianBayesResult {
  /** Posterior mean of mT/mC − 1 (= the observed relative effect under the flat prior). */
  effect: number;
  /** Posterior standard deviation (delta-method SE). */
  sd: number;
  /** P(effect > 0 | data) = Φ(effect/sd), raw direction (not goal-adjusted). */
  chanceToWin: number;
  /** Equal-tailed credible interval effect ± z_{(1+ciLevel)/2}·sd. */
  credibleInterval: [number, number];
}

/**
 * PostHog's Bayesian method (`products/experiments/stats/bayesian/method.py`, statistics.md §4): the
 * relative effect L = mT/mC − 1 is Gaussian with the delta-method variance
 * `vT/(nT·mC²) + mT²·vC/(nC·mC⁴)`, flat (improper) prior so the posterior is N(L, se²);
 * chance to win = Φ(L/se), computed as `normalSf(−L/se)` so tiny and near-1 values keep their accuracy;
 * credible interval L ± z·se. PostHog calls it significant when ctw > ciLevel or < 1 − ciLevel.
 * PostHog passes `inverse = false`, so a "decrease" goal must be handled by the caller (1 − chanceToWin).
 *
 * @param control control moments (sample variance for means, p(1 − p) for conversions — see moments.ts).
 * @param treatment treatment moments.
 * @param ciLevel credible level, default 0.95.
 * A negative control mean uses L = (mT − mC)/|mC| (GrowthBook `frequentist_diff`, statistics.md §11), so
 * the chance to win follows the raw difference; PostHog itself refuses a negative control mean here.
 *
 * @throws StatsInputError `zero-baseline` (|mC| < 1e-10), `zero-variance` (sd = 0), `too-few-samples`
 *   (n < 1), `invalid-input`.
 */
export function gaussianChanceToWin(control: Moments, treatment: Moments, ciLevel = 0.95): GaussianBayesResult {
  assertFinite("ciLevel", ciLevel);
  if (!(ciLevel > 0 && ciLevel < 1)) {
    throw new StatsInputError("invalid-input", `ciLevel must be strictly between 0 and 1, got ${ciLevel}`);
  }
  for (const [name, m] of [
    ["control", control],
    ["treatment", treatment],
  ] as const) {
    assertFinite(`${name}.n`, m.n);
    assertFinite(`${name}.mean`, m.mean);
    assertFinite(`${name}.variance`, m.variance);
    if (m.n < 1) throw new StatsInputError("too-few-samples", `${name}.n must be >= 1, got ${m.n}`);
    if (m.variance < 0) throw new StatsInputError("invalid-input", `${name}.variance must be >= 0`);
  }
  const sd = Math.sqrt(relativeEffectVariance(control, treatment));
  if (!(sd > 0)) throw new StatsInputError("zero-variance", "both arms have zero variance: the posterior is degenerate");
  const effect = relativeDifference(control.mean, treatment.mean) as number; // |mC| ≥ 1e-10 checked above
  const z = normalQuantile(1 - (1 - ciLevel) / 2);
  return {
    effect,
    sd,
    chanceToWin: normalSf(-effect / sd),
    credibleInterval: [effect - z * sd, effect + z * sd],
  };
}

/**
 * Expected loss of shipping the treatment under a Gaussian posterior X ~ N(μ, σ²) on the relative effect:
 * E[max(−X, 0)] = σ·φ(μ/σ) − μ·Φ(−μ/σ) (GrowthBook `gbstats/bayesian/tests.py` `get_risk`,
 * `−Φ(0; μ, σ)·E[X | X < 0]`; PostHog `bayesian/utils.py calculate_risk`; statistics.md §4). Units: those
 * of μ (a relative lift, fraction of |control mean|). Raw direction: the loss if the treatment is lower.
 *
 * @param mu posterior mean; @param sigma posterior standard deviation (> 0).
 * @throws StatsInputError `invalid-input` for a non-finite μ or σ ≤ 0.
 */
export function gaussianExpectedLoss(mu: number, sigma: number): number {
  assertFinite("mu", mu);
  assertFinite("sigma", sigma);
  if (!(sigma > 0)) throw new StatsInputError("invalid-input", `sigma must be > 0, got ${sigma}`);
  const z = mu / sigma;
  const pdf = Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);
  return Math.max(0, sigma * pdf - mu * normalSf(z));
}

/** Result of {@link betaBinomialChanceToWin}. Losses are in conversion-rate units (fractions). */
export interface BetaBinomialResult {
  /** P(pT > pC | data). */
  chanceToWin: number;
  /** E[max(pC − pT, 0)]: expected loss of shipping the treatment. */
  expectedLossShip: number;
  /** E[max(pT − pC, 0)]: expected loss of keeping control. */
  expectedLossKeep: number;
}

function isPositiveInteger(x: number): boolean {
  return Number.isInteger(x) && x > 0;
}

/** log(e^a + e^b) without overflow. */
function logAddExp(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  const hi = Math.max(a, b);
  return hi + Math.log1p(Math.exp(Math.min(a, b) - hi));
}

/**
 * Evan Miller's closed form, summed in log space:
 * P(X > Y) = Σ_{i=0}^{aX−1} B(aY + i, bY + bX)/((bX + i)·B(1 + i, bX)·B(aY, bY)),
 * X ~ Beta(aX, bX), Y ~ Beta(aY, bY), aX a positive integer.
 *
 * Successive terms satisfy term_{i+1}/term_i = r_i = (aY + i)(bX + i)/((aY + bY + bX + i)(1 + i)), and
 * r_i > 1 exactly when i < c = (aY·bX − aY − bY − bX)/(bY + 1): the terms are unimodal with their peak at
 * ⌈c⌉. The sum starts at the peak (one exact `betaln` evaluation) and walks outwards in both directions by
 * the ratio, re-anchoring with `betaln` every 256 steps against drift, and stops in each direction once the
 * remaining terms (each no larger than the current one) cannot change the sum at 1e-22 relative. This keeps
 * posterior parameters in the millions to a few thousand terms. Relative accuracy is bounded by the
 * rounding of `betaln` values of size ~|aY + bY|·log: ~1e-14 for thousands of users, ~1e-11 for millions.
 */
function logProbGreaterSum(aX: number, bX: number, aY: number, bY: number): number {
  const lbY = logBeta(aY, bY);
  const exactLogTerm = (i: number): number => logBeta(aY + i, bY + bX) - Math.log(bX + i) - logBeta(1 + i, bX) - lbY;
  const logRatio = (i: number): number => Math.log(((aY + i) * (bX + i)) / ((aY + bY + bX + i) * (1 + i)));
  const c = (aY * bX - aY - bY - bX) / (bY + 1);
  const peak = Math.min(aX - 1, Math.max(0, Math.ceil(c)));
  const peakLogTerm = exactLogTerm(peak);
  let logSum = peakLogTerm;
  const CUTOFF = 50; // e^-50 ≈ 2e-22

  // Upwards: terms decrease; indices i+1 … aX−1 remain.
  let lt = peakLogTerm;
  for (let i = peak + 1; i < aX; i++) {
    lt = (i - peak) % 256 === 0 ? exactLogTerm(i) : lt + logRatio(i - 1);
    logSum = logAddExp(logSum, lt);
    if (lt + Math.log(aX - i) < logSum - CUTOFF) break;
  }
  // Downwards: terms decrease; indices 0 … i−1 remain.
  lt = peakLogTerm;
  for (let i = peak - 1; i >= 0; i--) {
    lt = (peak - i) % 256 === 0 ? exactLogTerm(i) : lt - logRatio(i);
    logSum = logAddExp(logSum, lt);
    if (i === 0 || lt + Math.log(i) < logSum - CUTOFF) break;
  }
  return logSum;
}

/**
 * P(X > Y) for independent X ~ Beta(aX, bX), Y ~ Beta(aY, bY), exact for integer aX or integer bY.
 * Uses whichever closed form needs fewer terms (the second via P(X > Y) = P(1 − Y > 1 − X)); never
 * subtracts from 1, so tiny probabilities keep their relative accuracy.
 *
 * @throws StatsInputError `invalid-input` when a parameter is not positive or neither aX nor bY is an integer.
 */
export function probBetaGreater(aX: number, bX: number, aY: number, bY: number): number {
  for (const [name, v] of [
    ["aX", aX],
    ["bX", bX],
    ["aY", aY],
    ["bY", bY],
  ] as const) {
    assertFinite(name, v);
    if (v <= 0) throw new StatsInputError("invalid-input", `${name} must be > 0, got ${v}`);
  }
  const useFirst = isPositiveInteger(aX) && (!isPositiveInteger(bY) || aX <= bY);
  if (useFirst) return Math.min(1, Math.exp(logProbGreaterSum(aX, bX, aY, bY)));
  if (isPositiveInteger(bY)) return Math.min(1, Math.exp(logProbGreaterSum(bY, aY, bX, aX)));
  throw new StatsInputError("invalid-input", "closed form needs an integer aX or bY (integer conversion counts)");
}

function assertCounts(name: string, arm: { n: number; conversions: number }): void {
  if (!Number.isInteger(arm.n) || arm.n < 0) {
    throw new StatsInputError("invalid-input", `${name}.n must be an integer >= 0, got ${String(arm.n)}`);
  }
  if (!Number.isInteger(arm.conversions) || arm.conversions < 0 || arm.conversions > arm.n) {
    throw new StatsInputError(
      "invalid-input",
      `${name}.conversions must be an integer within [0, n = ${arm.n}], got ${String(arm.conversions)}`,
    );
  }
}

/**
 * Beta-binomial chance to win and expected losses (statistics.md §4; Evan Miller's closed form), prior
 * Beta(1, 1) per arm, posterior Beta(1 + x, 1 + n − x), independent arms:
 * - chanceToWin = P(pT > pC);
 * - expectedLossShip = E[max(pC − pT, 0)] = μC·P(Beta(αC+1, βC) > pT) − μT·P(pC > Beta(αT+1, βT));
 * - expectedLossKeep = E[max(pT − pC, 0)], evaluated by the mirrored formula (not by
 *   (μT − μC) + lossShip, which cancels badly when the variant is clearly worse).
 * Sums run in log space from `betaln`, so posterior parameters in the millions are fine.
 *
 * @param control `{n, conversions}` integers, 0 ≤ conversions ≤ n (n = 0 allowed: the prior alone).
 * @param treatment same for the variant.
 * @throws StatsInputError `invalid-input` for non-integer or impossible counts.
 */
export function betaBinomialChanceToWin(
  control: { n: number; conversions: number },
  treatment: { n: number; conversions: number },
): BetaBinomialResult {
  assertCounts("control", control);
  assertCounts("treatment", treatment);
  const aC = 1 + control.conversions;
  const bC = 1 + control.n - control.conversions;
  const aT = 1 + treatment.conversions;
  const bT = 1 + treatment.n - treatment.conversions;
  const muC = aC / (aC + bC);
  const muT = aT / (aT + bT);
  const chanceToWin = probBetaGreater(aT, bT, aC, bC);
  const expectedLossShip = Math.max(0, muC * probBetaGreater(aC + 1, bC, aT, bT) - muT * probBetaGreater(aC, bC, aT + 1, bT));
  const expectedLossKeep = Math.max(0, muT * probBetaGreater(aT + 1, bT, aC, bC) - muC * probBetaGreater(aT, bT, aC + 1, bC));
  return { chanceToWin, expectedLossShip, expectedLossKeep };
}
