/**
 * The hygiene detectors: pure functions over one PostHog project's state, each returning findings with a
 * kind, a severity (validity threats P2, lifecycle hygiene P3), quantified evidence, an onset where one can
 * be found and a dedupe key `experiment:<id>:<kind>` (issue 3).
 */
import type { Experiment } from "../model.js";
import { detectBrokenMetric } from "./broken-metric.js";
import { detectContamination } from "./contamination.js";
import { detectDecidedStillRunning, detectStaleVariants } from "./lifecycle.js";
import { detectMutation } from "./mutation.js";
import { detectSrm } from "./srm.js";
import { detectStall } from "./stall.js";
import { FINDING_KINDS, type DetectorConfig, type DetectorState, type ExperimentData, type Finding } from "./types.js";
import { assertNow, resolveConfig, resolveFlag } from "./util.js";
import { detectZombie } from "./zombie.js";
import { comparePosthogHealth } from "./posthog-health.js";

export * from "./types.js";
export { detectSrm, srmOnset, srmSignificant, srmTest } from "./srm.js";
export { detectContamination, identityTransitionMechanism, multipleShareLimit } from "./contamination.js";
export { detectStall, STALL_MIN_EXPECTED } from "./stall.js";
export { classifyActivity, describeEdit, detectMutation, editsAfter, type FlagEdit, type FlagEditKind } from "./mutation.js";
export { BROKEN_METRIC_MIN_ARM_EXPOSURES, detectBrokenMetric, metricBreakage } from "./broken-metric.js";
export { detectZombie, recentExposureShare, ZOMBIE_FLAT_SHARE, ZOMBIE_FLAT_WINDOW_DAYS } from "./zombie.js";
export { detectDecidedStillRunning, detectStaleVariants, FINAL_DECISIONS } from "./lifecycle.js";
export { selectValidityWatch, type WatchOptions, type WatchSelection } from "./watch.js";
export { comparePosthogHealth, POSTHOG_SRM_P_VALUE, type AppHealthVerdicts, type PosthogHealthView } from "./posthog-health.js";
export { effectiveExposureEvent, dataTime } from "./util.js";
export { autoEvenSplit, DetectorInputError, isEvenSplit, resolveConfig, servedVariants } from "./util.js";

/**
 * The slice of a project's state one experiment's detectors read.
 * @param byFlagKey optional index of the project's experiments by flag key (built once by {@link detectAll}).
 */
export function experimentData(
  state: DetectorState,
  experiment: Experiment,
  byFlagKey?: Map<string, Experiment[]>,
): ExperimentData {
  const flag = resolveFlag(experiment, state.flags);
  return {
    flag,
    exposures: state.exposures.get(experiment.id) ?? null,
    metricResults: state.metricResults.get(experiment.id) ?? null,
    flagActivity: flag ? (state.flagActivity.get(flag.id) ?? null) : null,
    experimentActivity: state.experimentActivity?.get(experiment.id) ?? null,
    decision: state.decisions.get(experiment.id) ?? null,
    siblings: (byFlagKey?.get(experiment.flagKey) ?? state.experiments.filter((e) => e.flagKey === experiment.flagKey)).filter(
      (e) => e.id !== experiment.id,
    ),
  };
}

const DETECTORS = [
  detectSrm,
  detectContamination,
  detectStall,
  detectMutation,
  detectBrokenMetric,
  detectZombie,
  detectDecidedStillRunning,
  detectStaleVariants,
] as const;

/** Order findings by severity (P2 first), experiment id, then kind in {@link FINDING_KINDS} order. */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    a.severity.localeCompare(b.severity) ||
    a.experimentId - b.experimentId ||
    FINDING_KINDS.indexOf(a.kind) - FINDING_KINDS.indexOf(b.kind)
  );
}

/**
 * Run every detector on every experiment of the project.
 *
 * Validity detectors only fire where `state.exposures` (and metric results, activity) were provided — the
 * validity-watch set; lifecycle detectors run on every experiment.
 *
 * @param state the project's state (see {@link DetectorState}).
 * @param config thresholds overriding {@link DEFAULT_DETECTOR_CONFIG}.
 * @returns findings sorted by severity, experiment id and kind; at most one per (experiment, kind).
 * @throws DetectorInputError on invalid thresholds, an invalid `now`, malformed dates or series.
 */
export function detectAll(state: DetectorState, config?: Partial<DetectorConfig>): Finding[] {
  assertNow(state.now);
  const cfg = resolveConfig(config);
  const byFlagKey = new Map<string, Experiment[]>();
  for (const e of state.experiments) byFlagKey.set(e.flagKey, [...(byFlagKey.get(e.flagKey) ?? []), e]);
  const findings: Finding[] = [];
  for (const experiment of state.experiments) {
    const data = experimentData(state, experiment, byFlagKey);
    const own: Finding[] = [];
    for (const detect of DETECTORS) {
      const f = detect(experiment, data, cfg, state.now);
      if (f) own.push(f);
    }
    attachPosthogHealth(own, data);
    findings.push(...own);
  }
  return findings.sort(compareFindings);
}

/**
 * Adds PostHog's own health view (what it flags, where it disagrees) to the experiment's `srm` and
 * `contamination` findings, when PostHog returned one ({@link comparePosthogHealth}). Mutates `own`.
 */
function attachPosthogHealth(own: Finding[], data: ExperimentData): void {
  const srm = own.find((f) => f.kind === "srm");
  const contamination = own.find((f) => f.kind === "contamination");
  if (!srm && !contamination) return;
  const view = comparePosthogHealth(data.exposures, { srm: !!srm, multipleVariants: !!contamination });
  if (view.flags.length === 0 && view.disagreements.length === 0) return;
  for (const f of [srm, contamination]) {
    if (!f) continue;
    const about = f.kind === "srm" ? /sample ratio/i : /several variants|bias risk/i;
    f.posthogHealth = { flags: view.flags, disagreements: view.disagreements.filter((d) => about.test(d)) };
  }
}
