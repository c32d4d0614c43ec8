/**
 * Decision records, the pure part: who or what concluded an experiment ({@link Conclusion}), the figures a
 * record keeps ({@link RecordSummary}, built from the decision core's `decide()` output), where its file
 * lives, and the holdout checkpoints (shipped variant against the experiment's holdout at 30/60/90 days).
 *
 * No I/O. Inputs are the domain model (`src/model.ts`) and `Decision` (`src/decision/`); outputs are plain
 * data the renderer (`src/render/decision-record.ts`) and the GitHub adapter use. Units: lifts and interval
 * bounds are fractions (0.05 = +5 %), dates ISO 8601 (UTC), days whole or fractional days.
 */
import { metricArms, type Decision, type MetricAnalysis } from "../decision/index.js";
import type { Experiment, MetricResult } from "../model.js";
import { compareToControl } from "../stats/index.js";

/**
 * Who or what concluded the experiment. Every way an experiment can conclude maps onto one of these:
 * - `command`: a confirmed `/experiment promote|rollback` (the requester and the confirmer, the conversation);
 * - `autopilot`: the app's autopilot (issue 12 part 1), with the rule that fired;
 * - `posthog`: a conclusion or end date set in PostHog that a scheduled scan noticed.
 */
export type DecidedBy =
  | { kind: "command"; action: "promote" | "rollback"; requestedBy: string; confirmedBy: string; where: string | null }
  | { kind: "autopilot"; action: "promote" | "rollback" | "expire"; rule: string | null }
  | { kind: "posthog"; conclusion: string | null; comment: string | null };

/** A conclusion, the pure input of the record writer. */
export interface Conclusion {
  experimentId: number;
  decidedBy: DecidedBy;
  /** The variant that now gets 100 % of the split (promote: the winner; rollback: the baseline); null when none was shipped. */
  shippedVariant: string | null;
  /** PostHog's conclusion: `won` | `lost` | `inconclusive` | `stopped_early` | `invalid`, or null. */
  outcome: string | null;
  /** When it concluded (ISO 8601): the write's time, else PostHog's `end_date`, else when the scan noticed it. */
  at: string;
}

/** One metric's result for one treatment, as the record keeps it. */
export interface RecordResult {
  metric: string;
  role: "primary" | "guardrail";
  variant: string;
  /** Relative lift variant vs baseline (raw direction), fraction; null when not computed. */
  lift: number | null;
  interval: [number, number] | null;
  /** `p = 0.012` or `chance to win 97.1%` (plain text), or null. */
  evidence: string | null;
  /** Which inference produced the interval: `always-valid (sequential)`, `fixed-horizon`, `PostHog's figures`. */
  inference: string;
  /** `better`, `worse`, `not significant`, or the reason nothing was computed. */
  verdict: string;
}

/** A holdout checkpoint that fired. */
export interface CheckpointResult {
  /** Days after the ship date (a configured checkpoint: 30, 60, 90). */
  days: number;
  /** When the scan evaluated it (ISO 8601). */
  at: string;
  verdict: "holds" | "decays" | "grows" | "no-data";
  /** Shipped vs holdout relative lift (fraction), null without data. */
  lift: number | null;
  /** Always-valid (1 − alpha) confidence sequence on that lift, null without data. */
  interval: [number, number] | null;
  /** Exposed users per arm in the metric result. */
  shippedUsers: number | null;
  holdoutUsers: number | null;
  /** Plain-text sentence: why holds/decays/grows, or why there was no data. */
  note: string;
}

/** What a record keeps: everything the file, the dashboard entry and the holdout checkpoints need. */
export interface RecordSummary {
  experimentId: number;
  name: string;
  flagKey: string;
  description: string | null;
  conclusion: Conclusion;
  /** The decision rules' verdict at conclusion, or null when the data could not be decided on. */
  decision: string | null;
  /** The rules that fired, plain text (`rule: message`). */
  reasons: string[];
  method: string;
  inference: string | null;
  correction: string | null;
  startDate: string | null;
  endDate: string | null;
  daysRunning: number | null;
  /** Variant key → rollout percentage 0–100. */
  split: { key: string; rolloutPercentage: number }[];
  holdout: { id: number; name: string; rolloutPercentage: number } | null;
  exposures: Record<string, number>;
  primaryMetric: string | null;
  guardrailMetrics: string[];
  results: RecordResult[];
  /**
   * The shipped variant's lift on the primary metric at conclusion (fraction), the reference the holdout
   * checkpoints are compared with; null when nothing (or the baseline) was shipped.
   */
  shippedLift: number | null;
  /** The primary metric's uuid (the checkpoints query it). */
  primaryMetricUuid: string | null;
  checkpoints: CheckpointResult[];
}

/** The branch a record's pull request comes from: `experiment-hygiene/record-<id>`. */
export function recordBranch(experimentId: number): string {
  return `experiment-hygiene/record-${experimentId}`;
}

/**
 * A file-name slug: lower case ASCII letters, digits and single dashes, at most 60 characters; `experiment`
 * when nothing is left (a name in another script).
 */
export function slugify(name: string): string {
  const slug = name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 60)
    .replace(/-+$/, "");
  return slug || "experiment";
}

/** The record's path: `<folder>/<id>-<slug>.md` (folder without trailing slash). */
export function recordPath(folder: string, experimentId: number, name: string): string {
  return `${folder.replace(/\/+$/, "")}/${experimentId}-${slugify(name)}.md`;
}

/** The index's path: `<folder>/README.md`. */
export function indexPath(folder: string): string {
  return `${folder.replace(/\/+$/, "")}/README.md`;
}

/**
 * Whether PostHog says the experiment concluded: an `end_date`, or a `conclusion` recorded while it still
 * runs. Drafts and archived experiments never count.
 */
export function isConcluded(e: Experiment): boolean {
  return !e.archived && e.startDate !== null && (e.endDate !== null || e.conclusion !== null);
}

/** The conclusion a scan reads from PostHog: its `conclusion`, `conclusion_comment` and `end_date`. */
export function conclusionFromPosthog(e: Experiment, now: Date): Conclusion {
  const comment = typeof e.raw["conclusion_comment"] === "string" ? (e.raw["conclusion_comment"] as string) : null;
  return {
    experimentId: e.id,
    decidedBy: { kind: "posthog", conclusion: e.conclusion, comment },
    shippedVariant: shippedVariantOf(e),
    outcome: e.conclusion,
    at: e.endDate ?? now.toISOString(),
  };
}

/**
 * The variant the flag now serves to everyone, read from the split PostHog's `ship_variant` leaves (one
 * variant at 100 %, the others at 0 %); null when the split is still shared.
 */
export function shippedVariantOf(e: Experiment): string | null {
  const full = e.variants.filter((v) => v.rolloutPercentage === 100);
  return full.length === 1 && e.variants.every((v) => v.rolloutPercentage === 100 || v.rolloutPercentage === 0) ? full[0]!.key : null;
}

function inferenceLabel(v: { inference: string; posthogFigures: string | null }): string {
  if (v.inference === "posthog") return v.posthogFigures ?? "PostHog's figures";
  return v.inference === "always-valid" ? "always-valid (sequential)" : "fixed-horizon";
}

function resultsOf(a: MetricAnalysis): RecordResult[] {
  if (a.error !== null && a.verdicts.length === 0) {
    return [{ metric: a.metric.name, role: a.role, variant: "-", lift: null, interval: null, evidence: null, inference: "-", verdict: a.error }];
  }
  return a.verdicts.map((v) => ({
    metric: a.metric.name,
    role: a.role,
    variant: v.variant,
    lift: v.error === null ? v.lift : null,
    interval: v.error === null ? v.interval : null,
    evidence:
      v.error !== null
        ? null
        : v.pValue !== null
          ? `p = ${formatPlain(v.pValue)}`
          : v.chanceToWin !== null
            ? `chance to win ${(v.chanceToWin * 100).toFixed(1)}%`
            : null,
    inference: inferenceLabel(v),
    verdict: v.error ?? (v.significantlyBetter ? "better" : v.significantlyWorse ? "worse" : "not significant"),
  }));
}

function formatPlain(p: number): string {
  if (p === 0) return "< 1e-300";
  return p < 0.001 ? p.toExponential(1).replace("e+", "e") : String(Number(p.toPrecision(3)));
}

/**
 * Builds the record's figures from the experiment, the decision core's result and the conclusion.
 *
 * @param decision `decide()` on the experiment's exposures and metrics (primary and guardrails) at
 *   conclusion; null when PostHog's data could not be decided on (the record then says so).
 * @returns plain data; never throws
 */
export function summarizeRecord(experiment: Experiment, decision: Decision | null, conclusion: Conclusion): RecordSummary {
  const analyses = decision ? [...(decision.primary ? [decision.primary] : []), ...decision.guardrails] : [];
  const shipped = conclusion.shippedVariant;
  const primaryVerdict = decision?.primary?.verdicts.find((v) => v.variant === shipped && v.error === null) ?? null;
  const daysRunning =
    decision?.daysRunning ??
    (experiment.startDate && experiment.endDate ? (Date.parse(experiment.endDate) - Date.parse(experiment.startDate)) / 86_400_000 : null);
  return {
    experimentId: experiment.id,
    name: experiment.name,
    flagKey: experiment.flagKey,
    description: experiment.description,
    conclusion,
    decision: decision?.decision ?? null,
    reasons: decision?.reasons.map((r) => `${r.rule}: ${r.message}`) ?? [],
    method: experiment.statsMethod,
    inference: decision?.inference?.description ?? null,
    correction: decision?.correction.description ?? null,
    startDate: experiment.startDate,
    endDate: experiment.endDate,
    daysRunning,
    split: experiment.variants.map((v) => ({ key: v.key, rolloutPercentage: v.rolloutPercentage })),
    holdout: experiment.holdout ? { ...experiment.holdout } : null,
    exposures: decision ? { ...decision.exposures } : {},
    primaryMetric: experiment.primaryMetrics[0]?.name ?? null,
    guardrailMetrics: decision?.guardrails.map((g) => g.metric.name) ?? [],
    results: analyses.flatMap(resultsOf),
    shippedLift: primaryVerdict?.lift ?? null,
    primaryMetricUuid: experiment.primaryMetrics[0]?.uuid ?? null,
    checkpoints: [],
  };
}

/**
 * The ship date the checkpoints count from: PostHog's `end_date` (`ship_variant` ends the experiment),
 * else the conclusion's time.
 */
export function shipDate(summary: RecordSummary): string {
  return summary.endDate ?? summary.conclusion.at;
}

/**
 * The checkpoints due now and not yet fired: each configured day count d with ship date + d days ≤ now.
 * Only records that shipped a variant other than the baseline and whose experiment keeps a holdout have
 * checkpoints. Sorted ascending; a scan that was down for a while fires every missed one, once each.
 *
 * @param days configured checkpoints, days after the ship date (`records.holdout_checkpoints_days`)
 */
export function dueCheckpoints(summary: RecordSummary, days: readonly number[], now: Date): number[] {
  if (!summary.holdout || summary.shippedLift === null || summary.conclusion.shippedVariant === null) return [];
  const ship = Date.parse(shipDate(summary));
  if (Number.isNaN(ship)) return [];
  const fired = new Set(summary.checkpoints.map((c) => c.days));
  return [...new Set(days)]
    .filter((d) => !fired.has(d) && ship + d * 86_400_000 <= now.getTime())
    .sort((a, b) => a - b);
}

/**
 * One holdout checkpoint: the shipped variant's arm against the holdout's arm (`holdout-<id>`, PostHog's key
 * in `ExperimentQuery` results of an experiment with a holdout) on the primary metric.
 *
 * Inference: the always-valid (1 − `alpha`) confidence sequence on the relative lift (`compareToControl`
 * with `sequential`, Waudby-Smith et al. 2023 as in statistics.md §3), because the same holdout is looked at
 * at every checkpoint; tuned at `tuningSampleSize` total users. Verdict against the lift at conclusion L₀:
 * - **holds** when the sequence contains L₀;
 * - **decays** when it lies entirely below L₀ (the effect shrank; the note says whether it still excludes 0);
 * - **grows** when it lies entirely above L₀.
 * Metric goals are respected by comparing raw lifts with the raw L₀ (both in the same direction).
 *
 * @param result the primary metric's `ExperimentQuery` result at the checkpoint (null: no data)
 * @param alpha level of the sequence, 0–1 (the decision's `alpha`)
 * @throws StatsInputError when `alpha` is not strictly between 0 and 1
 */
export function evaluateCheckpoint(
  summary: RecordSummary,
  days: number,
  result: MetricResult | null,
  opts: { alpha: number; tuningSampleSize: number; now: Date },
): CheckpointResult {
  const base = { days, at: opts.now.toISOString(), lift: null, interval: null, shippedUsers: null, holdoutUsers: null };
  const shipped = summary.conclusion.shippedVariant;
  const holdoutKey = summary.holdout ? `holdout-${summary.holdout.id}` : null;
  const arms = metricArms(result);
  const shippedArm = arms.find((a) => a.key === shipped);
  const holdoutArm = arms.find((a) => a.key === holdoutKey) ?? arms.find((a) => a.key.startsWith(`${holdoutKey}.`));
  if (!result || result.error !== null || !shippedArm || !holdoutArm || summary.shippedLift === null) {
    const why = !result
      ? "PostHog returned no result for the primary metric"
      : result.error ?? `PostHog's result has no ${!shippedArm ? `"${shipped}"` : `"${holdoutKey}"`} arm`;
    return { ...base, verdict: "no-data", note: `${why}; checked once, not repeated.` };
  }
  const c = compareToControl(result.metric.metricType, holdoutArm, shippedArm, "frequentist", {
    alpha: opts.alpha,
    sequential: { alpha: opts.alpha, tuningSampleSize: opts.tuningSampleSize },
  });
  const users = { shippedUsers: shippedArm.numberOfSamples, holdoutUsers: holdoutArm.numberOfSamples };
  if (c.error !== null || c.lift === null || !c.alwaysValid) {
    return { ...base, ...users, verdict: "no-data", note: `${c.error ?? "the comparison could not be computed"}; checked once, not repeated.` };
  }
  const [lo, hi] = c.alwaysValid.interval;
  const l0 = summary.shippedLift;
  const ref = `the lift at conclusion (${signedPct(l0)})`;
  let verdict: CheckpointResult["verdict"];
  let note: string;
  if (lo <= l0 && l0 <= hi) {
    verdict = "holds";
    note = `the interval contains ${ref}`;
  } else if (hi < l0) {
    verdict = "decays";
    note = `the interval lies below ${ref}` + (lo > 0 || hi < 0 ? "; it still excludes 0" : "; it now includes 0 (no effect can no longer be ruled out)");
  } else {
    verdict = "grows";
    note = `the interval lies above ${ref}`;
  }
  return { ...base, ...users, lift: c.lift, interval: [lo, hi], verdict, note };
}

function signedPct(x: number): string {
  const v = Math.round(x * 1000) / 10;
  return `${v > 0 ? "+" : ""}${v.toFixed(1)}%`;
}
