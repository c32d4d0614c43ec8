/**
 * One variant against control, from PostHog `ExperimentQuery` arms (`src/model.ts` `MetricArm`).
 *
 * Model choice (documented; statistics.md §3–4):
 * - frequentist, mean / funnel / ratio / retention → {@link welchRelativeLift} (PostHog's frequentist method);
 * - bayesian, mean / ratio / retention → {@link gaussianChanceToWin} (PostHog's Bayesian method);
 * - bayesian, funnel → chance to win and expected loss from the exact beta-binomial model
 *   ({@link betaBinomialChanceToWin}, Beta(1, 1) prior), because the Gaussian approximation is poor for small
 *   or lopsided conversion counts (1/10 vs 4/10: 0.926 vs 0.768; 0/50 vs 3/50: 0.941 vs undefined); the
 *   interval stays PostHog's Gaussian credible interval on the relative lift so it is comparable with
 *   PostHog's UI. Its chance to win can therefore differ slightly from PostHog's own figure.
 * - legacy kinds, retention/ratio without denominator statistics, or anything our model rejects →
 *   PostHog's own figures (`arm.posthog`) with `model: "posthog"` when present, else `error`.
 *
 * Per-arm statistics follow PostHog's `metric_variant_to_statistic`: mean → sample variance (n − 1), funnel →
 * proportion p(1 − p) with sum = conversions, ratio and retention → `RatioStatistic`, i.e. R = Σm/Σd with
 * delta-method per-unit variance Var(m)/d̄² + m̄²Var(d)/d̄⁴ − 2m̄·Cov(m, d)/d̄³ ({@link momentsFromRatio});
 * the relative lift R_T/R_C − 1 then gets the usual two-arm delta method.
 */
import type { MetricArm, MetricType, StatsMethod } from "../model.js";
import { betaBinomialChanceToWin, gaussianChanceToWin, gaussianExpectedLoss } from "./bayesian.js";
import { StatsInputError } from "./errors.js";
import { relativeDifference, welchRelativeLift } from "./frequentist.js";
import { alwaysValid } from "./sequential.js";
import { type Moments, momentsFromProportion, momentsFromRatio, momentsFromSums } from "./moments.js";

/** Which model produced a {@link VariantComparison}. */
export type ComparisonModel = "welch-delta" | "gaussian" | "beta-binomial" | "posthog";

/** One variant compared with control. Fractions throughout; raw direction (not goal-adjusted). */
export interface VariantComparison {
  variant: string;
  method: StatsMethod;
  model: ComparisonModel;
  controlMean: number | null;
  variantMean: number | null;
  /** Relative lift variant/control − 1, fraction. */
  lift: number | null;
  /** On the relative lift: (1 − alpha) confidence interval or ciLevel credible interval. */
  interval: [number, number] | null;
  /** Frequentist only. */
  pValue: number | null;
  /** Bayesian only: P(variant mean > control mean). */
  chanceToWin: number | null;
  /**
   * Bayesian only: expected loss of shipping the variant (raw direction: the loss if it is lower), in
   * `expectedLossUnits`: beta-binomial funnels in conversion-rate units, Gaussian (mean, ratio, retention)
   * in relative-lift units ({@link gaussianExpectedLoss}).
   */
  expectedLoss: number | null;
  /** `rate` (conversion-rate units) or `relative` (fraction of |control mean|); null without an expected loss. */
  expectedLossUnits?: "rate" | "relative" | null;
  /** Delta-method standard error of `lift` (fraction); null when not computed by our model. */
  se?: number | null;
  /** Units in both arms (n_control + n_variant); null when not computed by our model. */
  totalUnits?: number | null;
  /**
   * Always-valid inference on the same lift and SE (`src/stats/sequential.ts`), when asked for with
   * `opts.sequential`: the always-valid p-value and the (1 − alpha) confidence sequence. Null otherwise or
   * when our model did not produce an SE.
   */
  alwaysValid?: { pValue: number; interval: [number, number]; alpha: number; tuningSampleSize: number } | null;
  /** Human-readable reason when nothing could be computed; null on success. */
  error: string | null;
}

/** Raised internally when our model does not cover a metric kind; triggers the PostHog fallback. */
class UnsupportedMetricError extends Error {}

function hasRatioFields(arm: MetricArm): boolean {
  return (
    typeof arm.denominatorSum === "number" &&
    typeof arm.denominatorSumSquares === "number" &&
    typeof arm.numeratorDenominatorSumProduct === "number"
  );
}

function ratioMoments(arm: MetricArm): Moments {
  return momentsFromRatio({
    n: arm.numberOfSamples,
    numeratorSum: arm.sum,
    numeratorSumSquares: arm.sumSquares,
    denominatorSum: arm.denominatorSum as number,
    denominatorSumSquares: arm.denominatorSumSquares as number,
    numeratorDenominatorSumProduct: arm.numeratorDenominatorSumProduct as number,
  });
}

/** Point estimate of an arm's metric for display; null when it cannot be formed. */
function armMean(metricType: MetricType, arm: MetricArm): number | null {
  if ((metricType === "ratio" || metricType === "retention") && hasRatioFields(arm)) {
    return arm.denominatorSum ? arm.sum / arm.denominatorSum : null;
  }
  if (metricType === "ratio" || metricType === "retention") return null;
  return arm.numberOfSamples > 0 ? arm.sum / arm.numberOfSamples : null;
}

function relativeLift(controlMean: number | null, variantMean: number | null): number | null {
  if (controlMean === null || variantMean === null) return null;
  return relativeDifference(controlMean, variantMean);
}

/**
 * A comparison with every figure null and `error` set (or null): what is reported when nothing could be
 * computed for `variant`.
 */
export function failedComparison(metricType: MetricType, variant: string, method: StatsMethod, error: string | null): VariantComparison {
  return {
    variant,
    method,
    model: defaultModel(metricType, method),
    controlMean: null,
    variantMean: null,
    lift: null,
    interval: null,
    pValue: null,
    chanceToWin: null,
    expectedLoss: null,
    error,
  };
}

function defaultModel(metricType: MetricType, method: StatsMethod): ComparisonModel {
  if (metricType === "legacy-trends" || metricType === "legacy-funnels") return "posthog";
  if (method === "frequentist") return "welch-delta";
  return metricType === "funnel" ? "beta-binomial" : "gaussian";
}

function momentsFor(metricType: MetricType, arm: MetricArm): Moments {
  switch (metricType) {
    case "mean":
      return momentsFromSums(arm.numberOfSamples, arm.sum, arm.sumSquares);
    case "funnel":
      return momentsFromProportion(arm.numberOfSamples, arm.sum);
    case "ratio":
    case "retention":
      if (!hasRatioFields(arm)) {
        throw new UnsupportedMetricError(`${metricType} metric arm "${arm.key}" lacks denominator statistics`);
      }
      return ratioMoments(arm);
    default:
      throw new UnsupportedMetricError(`${metricType} metrics are not analysed by our model`);
  }
}

function ownModel(
  metricType: MetricType,
  control: MetricArm,
  variant: MetricArm,
  method: StatsMethod,
  alpha: number,
  ciLevel: number,
): VariantComparison {
  const controlMoments = momentsFor(metricType, control);
  const variantMoments = momentsFor(metricType, variant);
  const common = {
    variant: variant.key,
    method,
    controlMean: controlMoments.mean,
    variantMean: variantMoments.mean,
    error: null,
  };
  const totalUnits = controlMoments.n + variantMoments.n;
  if (method === "frequentist") {
    const r = welchRelativeLift(controlMoments, variantMoments, alpha);
    return {
      ...common,
      model: "welch-delta",
      lift: r.lift,
      interval: r.ci,
      pValue: r.pValue,
      chanceToWin: null,
      expectedLoss: null,
      expectedLossUnits: null,
      se: r.se,
      totalUnits,
    };
  }
  if (metricType === "funnel") {
    const bb = betaBinomialChanceToWin(
      { n: control.numberOfSamples, conversions: control.sum },
      { n: variant.numberOfSamples, conversions: variant.sum },
    );
    let interval: [number, number] | null = null;
    let se: number | null = null;
    try {
      const g = gaussianChanceToWin(controlMoments, variantMoments, ciLevel);
      interval = g.credibleInterval;
      se = g.sd;
    } catch (e) {
      // The beta-binomial chance to win exists even when the Gaussian relative interval does not
      // (zero baseline or zero variance); only those expected failures leave the interval null.
      if (!(e instanceof StatsInputError)) throw e;
    }
    return {
      ...common,
      model: "beta-binomial",
      lift: relativeLift(controlMoments.mean, variantMoments.mean),
      interval,
      pValue: null,
      chanceToWin: bb.chanceToWin,
      expectedLoss: bb.expectedLossShip,
      expectedLossUnits: "rate",
      se,
      totalUnits,
    };
  }
  const g = gaussianChanceToWin(controlMoments, variantMoments, ciLevel);
  return {
    ...common,
    model: "gaussian",
    lift: g.effect,
    interval: g.credibleInterval,
    pValue: null,
    chanceToWin: g.chanceToWin,
    expectedLoss: gaussianExpectedLoss(g.effect, g.sd),
    expectedLossUnits: "relative",
    se: g.sd,
    totalUnits,
  };
}

function assertLevel(name: string, v: number): void {
  if (!(Number.isFinite(v) && v > 0 && v < 1)) {
    throw new StatsInputError("invalid-input", `${name} must be strictly between 0 and 1, got ${v}`);
  }
}

/**
 * Compares one variant with control for one metric (see the module comment for the model per metric kind
 * and method). Never throws for data problems: they come back in `error` with all numbers null.
 * Order of checks: PostHog `validationFailures` on either arm → `error: "validation failure: <codes>"`;
 * our model; on a model failure (zero baseline, zero variance, unsupported kind, missing fields) PostHog's
 * own figures from `variant.posthog` with `model: "posthog"` if it has any; else `error` with the reason
 * (e.g. "baseline mean is zero: the relative lift is undefined").
 *
 * @param metricType PostHog metric kind; funnel arms carry conversions in `sum`.
 * @param control the baseline arm.
 * @param variant the arm to compare.
 * @param method the experiment's stats method (frequentist → p-value + confidence interval; bayesian →
 *   chance to win + credible interval).
 * @param opts alpha (default 0.05, the experiment's `alpha`), ciLevel (default 0.95, `ciLevel`);
 *   sequential: also compute the always-valid p-value and (1 − `sequential.alpha`) confidence sequence on
 *   the relative lift, tuned at `tuningSampleSize` total units (`alwaysValid`, src/stats/sequential.ts).
 *   Relative lifts are (mT − mC)/|mC|, so a negative control mean keeps the raw difference's sign.
 * @throws StatsInputError only for an invalid alpha/ciLevel (a programming error, not data).
 */
export function compareToControl(
  metricType: MetricType,
  control: MetricArm,
  variant: MetricArm,
  method: StatsMethod,
  opts: { alpha?: number; ciLevel?: number; sequential?: { alpha: number; tuningSampleSize: number } } = {},
): VariantComparison {
  const alpha = opts.alpha ?? 0.05;
  const ciLevel = opts.ciLevel ?? 0.95;
  assertLevel("alpha", alpha);
  assertLevel("ciLevel", ciLevel);
  const empty = failedComparison(metricType, variant.key, method, null);

  const failures = [...new Set([...control.validationFailures, ...variant.validationFailures])];
  if (failures.length > 0) return { ...empty, error: `validation failure: ${failures.join(", ")}` };

  let reason: string;
  try {
    const own = ownModel(metricType, control, variant, method, alpha, ciLevel);
    const seq = opts.sequential;
    if (seq && own.lift !== null && typeof own.se === "number" && own.se > 0 && typeof own.totalUnits === "number") {
      const av = alwaysValid(own.lift, own.se, own.totalUnits, seq.alpha, seq.tuningSampleSize);
      return { ...own, alwaysValid: { pValue: av.pValue, interval: av.interval, alpha: seq.alpha, tuningSampleSize: seq.tuningSampleSize } };
    }
    return { ...own, alwaysValid: null };
  } catch (e) {
    if (!(e instanceof StatsInputError) && !(e instanceof UnsupportedMetricError)) throw e;
    reason = e.message;
  }

  const ph = variant.posthog;
  if (ph && (ph.chanceToWin !== null || ph.pValue !== null || ph.interval !== null)) {
    const controlMean = armMean(metricType, control);
    const variantMean = armMean(metricType, variant);
    return {
      ...empty,
      method: ph.method ?? method,
      model: "posthog",
      controlMean,
      variantMean,
      lift: relativeLift(controlMean, variantMean),
      interval: ph.interval,
      pValue: ph.pValue,
      chanceToWin: ph.chanceToWin,
    };
  }
  return { ...empty, error: reason };
}
