/**
 * Typed errors of the statistics core.
 *
 * Every bad input to a `src/stats/` function throws a {@link StatsInputError} (a `RangeError`, so callers that
 * only know "RangeError" still catch it) whose `code` says what kind of problem it was and whose message
 * names the offending value.
 */

/** Machine-readable reason for a {@link StatsInputError}. */
export type StatsErrorCode =
  /** A number is NaN/infinite/negative/out of range, or arrays do not line up. */
  | "invalid-input"
  /** The control (baseline) mean is zero, so a relative lift is undefined. */
  | "zero-baseline"
  /** The control (baseline) mean is negative where the method needs a positive one (PostHog Bayesian). */
  | "negative-baseline"
  /** Both arms have zero variance, so the standard error is zero and no test statistic exists. */
  | "zero-variance"
  /** Too few samples for the method (e.g. Welch needs n ≥ 2 per arm). */
  | "too-few-samples";

/** Bad input to a statistics function. `code` classifies it; the message is for humans. */
export class StatsInputError extends RangeError {
  readonly code: StatsErrorCode;

  constructor(code: StatsErrorCode, message: string) {
    super(message);
    this.name = "StatsInputError";
    this.code = code;
  }
}

/** Throws `invalid-input` unless `value` is a finite number. */
export function assertFinite(name: string, value: number): void {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new StatsInputError("invalid-input", `${name} must be a finite number, got ${String(value)}`);
  }
}

/** Throws `invalid-input` unless `value` is a finite number ≥ 0. */
export function assertNonNegative(name: string, value: number): void {
  assertFinite(name, value);
  if (value < 0) throw new StatsInputError("invalid-input", `${name} must be >= 0, got ${value}`);
}

/** Throws `invalid-input` unless `value` lies strictly between 0 and 1. */
export function assertOpenUnit(name: string, value: number): void {
  assertFinite(name, value);
  if (!(value > 0 && value < 1)) {
    throw new StatsInputError("invalid-input", `${name} must be strictly between 0 and 1, got ${value}`);
  }
}
