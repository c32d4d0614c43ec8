/**
 * Types of the hygiene detectors: what a finding is, what the detectors read, and their thresholds.
 *
 * The detectors are pure functions over one PostHog project's state (no I/O). Principle (issue 3): a
 * contradiction between an experiment's configuration and its data is a signal; which variant is winning
 * is not our business here. Detectors stay quiet unless the evidence is clear.
 */
import type { ActivityEntry, Experiment, ExposureResult, FeatureFlag, MetricResult } from "../model.js";

/** The kinds of findings, in the order they are reported for one experiment. */
export const FINDING_KINDS = [
  "srm",
  "contamination",
  "stall",
  "mutation",
  "broken-metric",
  "zombie",
  "decided-still-running",
  "stale-variants",
] as const;

/** Kind of a finding. The first five are validity threats (P2), the last three lifecycle hygiene (P3). */
export type FindingKind = (typeof FINDING_KINDS)[number];

/** Kinds that threaten the validity of an experiment's results (severity P2, one issue each). */
export const VALIDITY_KINDS: readonly FindingKind[] = ["srm", "contamination", "stall", "mutation", "broken-metric"];

/** A chart the issue renderer draws as a Mermaid `xychart-beta`. */
export interface FindingChart {
  /** `cumulative-exposures`: one line per variant; `daily-share`: one line of a daily share, in percent 0–100. */
  kind: "cumulative-exposures" | "daily-share";
  /** ISO dates `YYYY-MM-DD`, one per point. */
  days: string[];
  /** One series per line; `values` is aligned with `days`. */
  series: { name: string; values: number[] }[];
}

/** One problem found in one experiment. All text fields are plain text (the renderer escapes them). */
export interface Finding {
  kind: FindingKind;
  /** Validity threats (srm, contamination, stall, mutation, broken-metric) are P2; lifecycle findings P3. */
  severity: "P2" | "P3";
  experimentId: number;
  experimentName: string;
  flagKey: string;
  flagId: number | null;
  /** `experiment:<id>:<kind>`: one issue per (experiment, kind). */
  dedupeKey: string;
  /** Short plain-text title, e.g. `Sample ratio mismatch in “New checkout” (p = 3.1e-9)`. */
  title: string;
  /** What contradicts what, with numbers. */
  contradiction: string;
  /** Suspected cause, or null when nothing specific is known. */
  cause: string | null;
  /** What to do. */
  action: string;
  /** ISO date `YYYY-MM-DD` when the problem started, where one can be found. */
  onset: string | null;
  /** Quantified, machine-readable evidence (snake_case keys; fractions 0–1 unless the key ends in `_pct`). */
  evidence: Record<string, string | number | boolean | null>;
  /**
   * Figures the reconciler compares to decide whether a finding a person acknowledged has materially
   * escalated: a p-value a thousand times smaller, or a deviation (fraction) doubled.
   */
  escalation: { pValue?: number; deviation?: number };
  chart: FindingChart | null;
  /** stale-variants only: places in the repository's default branch that still reference the flag (filled by the scan). */
  codeReferences?: { file: string; line: number }[];
  /**
   * srm / contamination only, when PostHog returned its own health view: what PostHog itself flags and where
   * it disagrees with this finding (plain text; `comparePosthogHealth` in `posthog-health.ts`).
   */
  posthogHealth?: { flags: string[]; disagreements: string[] };
}

/** A decision of the auto-decision rules and since when it has held. */
export interface StandingDecision {
  /** e.g. `promote`, `rollback`, `stop`, `continue`, `extend` (compared case-insensitively). */
  decision: string;
  /** ISO 8601 timestamp since which this decision has held. */
  since: string;
}

/** Everything the detectors know about one PostHog project at one point in time. */
export interface DetectorState {
  now: Date;
  /** Experiments with full details. */
  experiments: Experiment[];
  flags: FeatureFlag[];
  /** Exposure results by experiment id; only for the validity-watch set ({@link selectValidityWatch}). */
  exposures: Map<number, ExposureResult>;
  /** Primary metric results by experiment id. */
  metricResults: Map<number, MetricResult[]>;
  /** Activity log entries by flag id (newest builds also include the linked experiment's entries). */
  flagActivity: Map<number, ActivityEntry[]>;
  /** Activity log entries by experiment id (for `excluded_variants` edits), when fetched. */
  experimentActivity?: Map<number, ActivityEntry[]>;
  /** Last decision of the auto-decision rules per experiment id, and since when (kept by the reconciler). */
  decisions: Map<number, StandingDecision>;
}

/** What one detector gets about one experiment (the slice of {@link DetectorState} for it). */
export interface ExperimentData {
  /** The experiment's flag (embedded, else looked up by key among the project's flags), or null. */
  flag: FeatureFlag | null;
  /** Exposure result, or null when it was not queried (outside the validity-watch set). */
  exposures: ExposureResult | null;
  /** Primary metric results, or null when not queried. */
  metricResults: MetricResult[] | null;
  /** The flag's activity log (any order), or null when not fetched. */
  flagActivity: ActivityEntry[] | null;
  /** The experiment's activity log, or null when not fetched. */
  experimentActivity: ActivityEntry[] | null;
  /** Standing decision of the auto-decision rules, or null. */
  decision: StandingDecision | null;
  /** Other experiments of the project on the same feature flag key (a flag reused by a later experiment). */
  siblings?: Experiment[];
}

/**
 * Detector thresholds. Counts are exposures, shares are fractions 0–1, durations are hours or days as named.
 * Sources are given on {@link DEFAULT_DETECTOR_CONFIG}.
 */
export interface DetectorConfig {
  /** SRM significance level (PostHog scout: 0.01; PostHog UI/health check: 0.001). */
  srmAlpha: number;
  /** Minimum counted exposures before SRM (and contamination/broken-metric) is judged (scout: ~1,000). */
  srmMinExposures: number;
  /** Minimum deviation of an observed share from its expected share, in standard errors (scout: 3σ). */
  srmMinSigma: number;
  /** `$multiple` share of all exposures above which users seeing several variants is a finding (scout: 0.5 %). */
  multipleShare: number;
  /** Stricter `$multiple` share on an uneven split under `exclude` (PostHog bias risk: > 0.1 %, strict). */
  multipleShareUneven: number;
  /** Hours without a new exposure, after a healthy baseline, that make a stall (scout: 48 h). */
  stallHours: number;
  /** Hours after launch after which zero exposures is a stall (PostHog `zero_exposures`: 24 h). */
  launchGraceHours: number;
  /** Days running after which an experiment is a zombie regardless of its curve (scout: 60). */
  zombieDays: number;
  /** Days running after which no exposure queries are made at all (scout triage: 90). */
  zombieSkipQueriesDays: number;
  /** Days a promote/rollback/stop decision may stand while the experiment still runs (issue 3: 7). */
  decidedDays: number;
  /** Days after the end after which a still-live multi-variant flag is stale (issue 3: 14). */
  staleEndedDays: number;
}

/**
 * Default thresholds: PostHog's experiments scout (posthog-api.md §10) for SRM (p < 0.01, ≥ 1,000 exposures,
 * > 3σ), `$multiple` (0.5 %), stalls (48 h) and zombies (60 / 90 days); PostHog's bias-risk health check
 * (§6) for the strict 0.1 % and its zero-exposure check for the 24 h launch grace; issue 3 for 7 and 14 days.
 */
export const DEFAULT_DETECTOR_CONFIG: Readonly<DetectorConfig> = Object.freeze({
  srmAlpha: 0.01,
  srmMinExposures: 1000,
  srmMinSigma: 3,
  multipleShare: 0.005,
  multipleShareUneven: 0.001,
  stallHours: 48,
  launchGraceHours: 24,
  zombieDays: 60,
  zombieSkipQueriesDays: 90,
  decidedDays: 7,
  staleEndedDays: 14,
});
