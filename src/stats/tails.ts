/**
 * Tail probabilities and quantiles of the normal, Student t and χ² distributions.
 *
 * Every tail is computed as a survival function directly (upper regularized incomplete gamma/beta, erfc),
 * never as `1 − cdf`: in float64 `1 − cdf` is exactly 0 once p ≲ 1e-16 and loses relative accuracy well
 * before (statistics.md §1; e.g. χ² = 1000 on 1 df has p = 1.7958e-219, which `1 − cdf` reports as 0).
 * These functions are accurate in relative terms down to the float64 underflow limit (~1e-300).
 */
import { StatsInputError } from "./errors.js";
import { erfc, regularizedBetaInc, regularizedGammaInc, stdNormalQuantile, tQuantile } from "./stdlib.js";

function assertDf(df: number, allowInfinity: boolean): void {
  if (typeof df !== "number" || Number.isNaN(df) || df <= 0 || (!allowInfinity && !Number.isFinite(df))) {
    throw new StatsInputError("invalid-input", `degrees of freedom must be a positive number, got ${String(df)}`);
  }
}

function assertProbability(p: number): void {
  if (typeof p !== "number" || Number.isNaN(p) || p < 0 || p > 1) {
    throw new StatsInputError("invalid-input", `probability must be within [0, 1], got ${String(p)}`);
  }
}

/**
 * Upper tail of the χ² distribution, P(X > x) for X ~ χ²(df): `Q(df/2, x/2)` (upper regularized incomplete
 * gamma, statistics.md §1).
 *
 * @param x χ² statistic (≥ 0; values ≤ 0 give 1).
 * @param df degrees of freedom (> 0, may be fractional).
 * @returns p-value in [0, 1], relatively accurate down to ~1e-300.
 * @throws StatsInputError (`invalid-input`) when x is NaN or df is not a positive finite number.
 */
export function chiSquareSf(x: number, df: number): number {
  if (typeof x !== "number" || Number.isNaN(x)) {
    throw new StatsInputError("invalid-input", `chi-square statistic must be a number, got ${String(x)}`);
  }
  assertDf(df, false);
  if (x <= 0) return 1;
  if (x === Infinity) return 0;
  return regularizedGammaInc(x / 2, df / 2, true);
}

/**
 * Upper tail of the standard normal, P(Z > z) = ½·erfc(z/√2).
 *
 * @param z standard score (±Infinity allowed).
 * @returns probability in [0, 1].
 * @throws StatsInputError (`invalid-input`) when z is NaN.
 */
export function normalSf(z: number): number {
  if (typeof z !== "number" || Number.isNaN(z)) {
    throw new StatsInputError("invalid-input", `z must be a number, got ${String(z)}`);
  }
  return 0.5 * erfc(z / Math.SQRT2);
}

/**
 * Two-sided normal p-value P(|Z| > |z|) = erfc(|z|/√2).
 *
 * @param z standard score (±Infinity allowed).
 * @returns p-value in [0, 1].
 * @throws StatsInputError (`invalid-input`) when z is NaN.
 */
export function normalTwoSidedP(z: number): number {
  if (typeof z !== "number" || Number.isNaN(z)) {
    throw new StatsInputError("invalid-input", `z must be a number, got ${String(z)}`);
  }
  return Math.min(1, erfc(Math.abs(z) / Math.SQRT2));
}

/**
 * Two-sided Student t p-value P(|T| > |t|) for T ~ t(ν): `I_{ν/(ν+t²)}(ν/2, ½)` (regularized incomplete
 * beta, statistics.md §1). When ν/(ν+t²) ≥ ½ the complementary form `1 − I_{t²/(ν+t²)}(½, ν/2)` is
 * evaluated as an upper incomplete beta, so neither branch subtracts from 1.
 *
 * @param t t statistic (±Infinity allowed).
 * @param df degrees of freedom ν (> 0, may be fractional); `Infinity` → the normal two-sided p.
 * @returns p-value in [0, 1].
 * @throws StatsInputError (`invalid-input`) when t is NaN or df is not positive.
 */
export function studentTTwoSidedP(t: number, df: number): number {
  if (typeof t !== "number" || Number.isNaN(t)) {
    throw new StatsInputError("invalid-input", `t must be a number, got ${String(t)}`);
  }
  assertDf(df, true);
  if (df === Infinity) return normalTwoSidedP(t);
  if (!Number.isFinite(t)) return 0;
  if (t === 0) return 1;
  const t2 = t * t;
  const x = df / (df + t2);
  if (x < 0.5) return regularizedBetaInc(x, df / 2, 0.5, false);
  return Math.min(1, regularizedBetaInc(t2 / (df + t2), 0.5, df / 2, true));
}

/**
 * Standard normal quantile Φ⁻¹(p).
 *
 * @param p probability in [0, 1] (0 → −Infinity, 1 → +Infinity).
 * @returns z such that Φ(z) = p.
 * @throws StatsInputError (`invalid-input`) when p is outside [0, 1] or NaN.
 */
export function normalQuantile(p: number): number {
  assertProbability(p);
  return stdNormalQuantile(p);
}

/**
 * Student t quantile.
 *
 * @param p probability in [0, 1].
 * @param df degrees of freedom (> 0, may be fractional); `Infinity` → {@link normalQuantile}.
 * @returns t such that P(T ≤ t) = p.
 * @throws StatsInputError (`invalid-input`) when p is outside [0, 1] or df is not positive.
 */
export function studentTQuantile(p: number, df: number): number {
  assertProbability(p);
  assertDf(df, true);
  if (df === Infinity) return stdNormalQuantile(p);
  return tQuantile(p, df);
}

