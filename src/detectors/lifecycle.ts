/**
 * Lifecycle hygiene detectors (P3): a decided experiment that still runs, and a flag that keeps serving
 * several variants when no experiment is running on it.
 *
 * Sources: issue 3 (7 and 14 days); PostHog health checks `flag_state.py` (`FLAG_LIVE_AFTER_END`,
 * `FLAG_LIVE_BEFORE_LAUNCH`; posthog-api.md §6); scout "stopped but contaminating" (§10).
 */
import type { Experiment } from "../model.js";
import type { DetectorConfig, ExperimentData, Finding } from "./types.js";
import { DAY_MS, addDays, assertNow, baseFinding, isLaunchedNotEnded, isoDay, parseIso, q, round, servedVariants } from "./util.js";

/** Standing decisions of the auto-decision rules that mean "this experiment is done" (case-insensitive). */
export const FINAL_DECISIONS: ReadonlySet<string> = new Set(["promote", "rollback", "stop"]);

/**
 * Detect an experiment that has been decided but still runs (launched, no `end_date`, not archived):
 * a `conclusion` is recorded, or the auto-decision rules have said promote/rollback/stop for at least
 * `decidedDays` days.
 *
 * @returns a P3 `decided-still-running` finding (evidence: `conclusion`, `decision`, `decision_since`,
 *   `days_since_decision`), onset = the decision's day (null for a bare conclusion); or null.
 * @throws DetectorInputError on a malformed `since` date.
 */
export function detectDecidedStillRunning(
  experiment: Experiment,
  data: ExperimentData,
  config: DetectorConfig,
  now: Date,
): Finding | null {
  assertNow(now);
  if (!isLaunchedNotEnded(experiment) || experiment.archived) return null;
  const conclusion = experiment.conclusion;
  const d = data.decision;
  let decisionDays: number | null = null;
  if (d && FINAL_DECISIONS.has(d.decision.toLowerCase())) {
    decisionDays = (now.getTime() - parseIso("decision since", d.since).getTime()) / DAY_MS;
  }
  const decided = decisionDays !== null && decisionDays >= config.decidedDays;
  if (conclusion === null && !decided) return null;

  const reasons: string[] = [];
  if (conclusion !== null) reasons.push(`its conclusion is recorded as “${conclusion}”`);
  if (decided && d) {
    reasons.push(`the decision rules have recommended “${d.decision}” for ${Math.floor(decisionDays ?? 0)} days (since ${d.since.slice(0, 10)})`);
  }
  return {
    ...baseFinding("decided-still-running", experiment, data.flag),
    title: `${q(experiment.name)} is decided but still running`,
    contradiction: `${q(experiment.name)} has no end date, but ${reasons.join(", and ")}.`,
    cause: null,
    action:
      "End the experiment in PostHog (“Ship variant” or “End experiment”) so the decision takes effect and " +
      "exposures stop accumulating; then clean up the losing code paths.",
    onset: decided && d ? isoDay(parseIso("decision since", d.since)) : null,
    evidence: {
      conclusion,
      decision: d?.decision ?? null,
      decision_since: d?.since ?? null,
      days_since_decision: decisionDays === null ? null : round(decisionDays, 1),
      decided_days: config.decidedDays,
    },
    escalation: {},
    chart: null,
  };
}

/**
 * Detect a flag still serving more than one variant although its experiment is not running:
 * ended at least `staleEndedDays` days ago (PostHog `FLAG_LIVE_AFTER_END`), or still a draft
 * (`FLAG_LIVE_BEFORE_LAUNCH`). "Serving" per {@link servedVariants}: active, not deleted, some release group
 * above 0 %, more than one variant with rollout ≠ 0, not shipped. No finding while another experiment on the same
 * flag key (`data.siblings`) is launched and not ended — the flag was reused.
 *
 * @returns a P3 `stale-variants` finding (evidence: `state` `ended` | `draft`, `served_variants`,
 *   `days_since_end`), onset = end day + `staleEndedDays` (null for a draft); `codeReferences` is left for the
 *   scan to fill; or null.
 * @throws DetectorInputError on a malformed end date.
 */
export function detectStaleVariants(
  experiment: Experiment,
  data: ExperimentData,
  config: DetectorConfig,
  now: Date,
): Finding | null {
  assertNow(now);
  const served = servedVariants(data.flag);
  if (served.length < 2) return null;
  // The flag may have been reused by another experiment that is running now: then serving is expected.
  if ((data.siblings ?? []).some((s) => isLaunchedNotEnded(s) && !s.archived)) return null;
  const list = served.join(", ");
  const base = baseFinding("stale-variants", experiment, data.flag);

  if (experiment.endDate !== null) {
    const end = parseIso("end date", experiment.endDate);
    const days = (now.getTime() - end.getTime()) / DAY_MS;
    if (days < config.staleEndedDays) return null;
    const endDay = isoDay(end);
    return {
      ...base,
      title: `Flag ${experiment.flagKey} still splits users ${Math.floor(days)} days after ${q(experiment.name)} ended`,
      contradiction:
        `${q(experiment.name)} ended on ${endDay}${experiment.conclusion ? ` (conclusion: ${experiment.conclusion})` : ""}, ` +
        `but its feature flag ${experiment.flagKey} is still active and serves ${served.length} variants (${list}).`,
      cause: "The experiment was ended without shipping a variant or turning the flag off.",
      action:
        "Ship the winning variant (PostHog “Ship variant”, which gives it 100 %) or disable the flag, then remove " +
        "the flag and the losing branches from the code.",
      onset: addDays(endDay, config.staleEndedDays),
      evidence: { state: "ended", served_variants: list, days_since_end: round(days, 1), end_date: endDay },
      escalation: {},
      chart: null,
    };
  }
  if (experiment.startDate === null && experiment.status === "draft") {
    return {
      ...base,
      title: `Flag ${experiment.flagKey} is live before ${q(experiment.name)} was launched`,
      contradiction:
        `${q(experiment.name)} is still a draft, but its feature flag ${experiment.flagKey} is already active and ` +
        `serves ${served.length} variants (${list}): users are split without any exposure being analysed.`,
      cause: "The flag was switched on (or reused) before the experiment was launched.",
      action:
        "Launch the experiment if it is ready, or disable the flag until it is; users bucketed now may be " +
        "counted once the experiment launches.",
      onset: null,
      evidence: { state: "draft", served_variants: list, days_since_end: null, end_date: null },
      escalation: {},
      chart: null,
    };
  }
  return null;
}
