/**
 * Always-valid inference: confidence sequences and always-valid p-values that stay valid however often the
 * data are looked at (the bot re-evaluates an experiment on every push and every scheduled scan).
 *
 * Sources (statistics.md §12): Howard, Ramdas, McAuliffe & Sekhon (2021), "Time-uniform, nonparametric,
 * nonasymptotic confidence sequences", Ann. Statist. 49(2); Waudby-Smith, Arbour, Sinha, Kennedy & Ramdas
 * (2023), "Time-uniform central limit theory and asymptotic confidence sequences", arXiv 2103.06476v7,
 * eqs. 9 (two-sided half-width), 155 (always-valid p-value), 161 (ρ from the tuning sample size);
 * GrowthBook `packages/stats/gbstats/frequentist/tests.py` (`sequential_rho`,
 * `sequential_interval_halfwidth`, `SequentialTwoSidedTTest.p_value`), which Eppo also uses (N_tune 10,000).
 *
 * The confidence sequence is built on the same point estimate Δ and standard error SE as the fixed-horizon
 * test (here the relative lift and its delta-method SE), with n = total units in both arms:
 * - ρ = √((−2 ln α + ln(−2 ln α + 1)) / N*), N* = the tuning sample size (total units at which the
 *   sequence is tightest);
 * - s² = SE²·n; half-width = √s² · √(2(nρ² + 1) · ln(√(nρ² + 1)/α) / (nρ)²);
 * - always-valid p = min(1, 1/E), E = exp(ρ²·S/(2(nρ² + 1))) / √(nρ² + 1), S = (Δ − Δ₀)²·n/SE².
 * The p-value and the interval are dual: p < α exactly when the (1 − α) sequence excludes Δ₀.
 * P(the sequence ever misses the true Δ) ≤ α (asymptotically, by Ville's inequality on the normal-mixture
 * martingale), so no running intersection is needed for validity; it only stops a result flipping back.
 */
import { assertFinite, StatsInputError } from "./errors.js";

function assertLevel(alpha: number): void {
  assertFinite("alpha", alpha);
  if (!(alpha > 0 && alpha < 1)) throw new StatsInputError("invalid-input", `alpha must be strictly between 0 and 1, got ${alpha}`);
}

/**
 * The mixture tuning parameter ρ (Waudby-Smith et al. 2023 eq. 161, GrowthBook `sequential_rho`):
 * ρ = √((−2 ln a + ln(−2 ln a + 1)) / N*), a = α (two-sided) or 2α (one-sided). It makes the sequence
 * tightest at n = N* total units.
 *
 * @param alpha significance level, strictly between 0 and 1 (one-sided: below 0.5).
 * @param tuningSampleSize N*, total units across both arms (> 0); e.g. the experiment's recommended sample
 *   size (GrowthBook default 5,000; Eppo 10,000).
 * @throws StatsInputError `invalid-input` on an alpha outside (0, 1) or a non-positive N*.
 */
export function sequentialRho(alpha: number, tuningSampleSize: number, twoSided = true): number {
  assertLevel(alpha);
  assertFinite("tuningSampleSize", tuningSampleSize);
  if (!(tuningSampleSize > 0)) throw new StatsInputError("invalid-input", `tuningSampleSize must be > 0, got ${tuningSampleSize}`);
  const a = twoSided ? alpha : 2 * alpha;
  if (!(a < 1)) throw new StatsInputError("invalid-input", `one-sided alpha must be below 0.5, got ${alpha}`);
  const l = -2 * Math.log(a);
  return Math.sqrt((l + Math.log(l + 1)) / tuningSampleSize);
}

function assertSeN(se: number, n: number, rho: number): void {
  assertFinite("se", se);
  assertFinite("n", n);
  assertFinite("rho", rho);
  if (!(se > 0)) throw new StatsInputError("zero-variance", `se must be > 0, got ${se}`);
  if (!(n > 0)) throw new StatsInputError("too-few-samples", `n must be > 0, got ${n}`);
  if (!(rho > 0)) throw new StatsInputError("invalid-input", `rho must be > 0, got ${rho}`);
}

/**
 * Two-sided (1 − α) confidence-sequence half-width (Waudby-Smith et al. 2023 eq. 9, GrowthBook
 * `sequential_interval_halfwidth`): √(SE²·n) · √(2(nρ² + 1)·ln(√(nρ² + 1)/α)/(nρ)²).
 *
 * @param se standard error of the estimate at this look (same units as the estimate).
 * @param n total units in both arms at this look.
 * @param alpha two-sided level, strictly between 0 and 1.
 * @param rho the mixture parameter ({@link sequentialRho}).
 * @throws StatsInputError `zero-variance` (se ≤ 0), `too-few-samples` (n ≤ 0), `invalid-input`.
 */
export function sequentialHalfWidth(se: number, n: number, alpha: number, rho: number): number {
  assertLevel(alpha);
  assertSeN(se, n, rho);
  const s2 = se * se * n;
  const v = n * rho * rho + 1;
  return Math.sqrt(s2) * Math.sqrt((2 * v * Math.log(Math.sqrt(v) / alpha)) / (n * rho) ** 2);
}

/**
 * Always-valid two-sided p-value (Waudby-Smith et al. 2023 eq. 155, GrowthBook `SequentialTwoSidedTTest`):
 * min(1, 1/E) with E = exp(ρ²·S/(2(nρ² + 1)))/√(nρ² + 1), S = (Δ − Δ₀)²·n/SE². Computed in logs, so it
 * underflows to 0 only where the exact value is below ~1e-308.
 *
 * @param estimate Δ, the point estimate (e.g. relative lift, fraction).
 * @param se its standard error at this look.
 * @param n total units in both arms.
 * @param rho the mixture parameter ({@link sequentialRho}).
 * @param nullValue Δ₀, default 0.
 * @throws StatsInputError as {@link sequentialHalfWidth}.
 */
export function alwaysValidPValue(estimate: number, se: number, n: number, rho: number, nullValue = 0): number {
  assertFinite("estimate", estimate);
  assertSeN(se, n, rho);
  const s = ((estimate - nullValue) ** 2 * n) / (se * se);
  const v = n * rho * rho + 1;
  const logE = (rho * rho * s) / (2 * v) - 0.5 * Math.log(v);
  return Math.min(1, Math.exp(-logE));
}

/** An always-valid result on one estimate. */
export interface AlwaysValidResult {
  /** The point estimate Δ (unchanged). */
  estimate: number;
  /** Always-valid two-sided p-value against 0. */
  pValue: number;
  /** (1 − alpha) confidence sequence at this look: Δ ± half-width. */
  interval: [number, number];
  /** ρ used. */
  rho: number;
  /** The tuning sample size N* ρ came from (total units). */
  tuningSampleSize: number;
}

/**
 * The always-valid p-value and (1 − α) confidence sequence of one estimate ({@link sequentialRho},
 * {@link sequentialHalfWidth}, {@link alwaysValidPValue}; ρ at the same α, two-sided).
 *
 * @param estimate Δ (e.g. relative lift, fraction); se its standard error; n total units in both arms.
 * @param alpha two-sided level of the interval and of ρ (the corrected per-comparison α).
 * @param tuningSampleSize N*, total units (> 0).
 * @throws StatsInputError as {@link sequentialHalfWidth} / {@link sequentialRho}.
 */
export function alwaysValid(estimate: number, se: number, n: number, alpha: number, tuningSampleSize: number): AlwaysValidResult {
  const rho = sequentialRho(alpha, tuningSampleSize, true);
  const hw = sequentialHalfWidth(se, n, alpha, rho);
  return {
    estimate,
    pValue: alwaysValidPValue(estimate, se, n, rho),
    interval: [estimate - hw, estimate + hw],
    rho,
    tuningSampleSize,
  };
}
