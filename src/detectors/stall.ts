/**
 * Exposure stall: a running experiment stopped collecting exposures.
 *
 * Rules (PostHog scout, posthog-api.md §10; PostHog `zero_exposures.py`, §6):
 * - zero exposures at all more than `launchGraceHours` (24 h) after launch;
 * - no new exposure for more than `stallHours` (48 h) after a healthy baseline. The last exposure is placed
 *   at the end of the last day on which the cumulative count rose (days are PostHog's calendar days, read
 *   as UTC), so the gap is never overstated. "Healthy" = the baseline rate (exposures per active day) predicts
 *   at least {@link STALL_MIN_EXPECTED} exposures in the gap, i.e. P(no exposure | Poisson) < 0.001; a
 *   trickle of a few exposures a week is not a stall.
 * A paused experiment or an inactive flag is context, not a stall (no finding). The exposure event PostHog
 * counts ({@link effectiveExposureEvent}: custom, else `resolved_exposure_event`, e.g. `$experiment_exposure`)
 * is named in the evidence and the cause.
 *
 * Time is measured up to the data's `last_refresh` ({@link dataTime}), not the wall clock: a cached result
 * says nothing about the hours after it was computed, so a 30-hour-old cache cannot make a 30-hour gap.
 * The pipelines refresh results older than `max_data_age_hours` before judging stalls.
 */
import type { Experiment } from "../model.js";
import { formatCount } from "../format.js";
import type { DetectorConfig, ExperimentData, Finding } from "./types.js";
import {
  DAY_MS,
  HOUR_MS,
  alignCumulative,
  assertNow,
  baseFinding,
  isLiveRun,
  isoDay,
  parseIso,
  q,
  round,
  sumSeries,
  sumTotals,
  addDays,
  dataTime,
  effectiveExposureEvent,
} from "./util.js";

/** Minimum exposures the baseline rate must predict in the gap: ln(1000) ≈ 6.91, so P(0) = e^−λ < 0.001. */
export const STALL_MIN_EXPECTED = Math.log(1000);

/**
 * Detect a stall in a running experiment with a live flag and an exposure result.
 *
 * @returns a P2 `stall` finding (evidence: `exposure_event`, `hours_since_launch`, `hours_since_last_exposure`,
 *   `last_exposure_day`, `total_exposures`, `baseline_per_day`, `expected_in_gap`), with a cumulative chart
 *   and onset = the first silent day (or the launch day when there never was an exposure); or null.
 * @throws DetectorInputError on malformed dates or exposure data.
 */
export function detectStall(
  experiment: Experiment,
  data: ExperimentData,
  config: DetectorConfig,
  now: Date,
): Finding | null {
  assertNow(now);
  if (!isLiveRun(experiment, data.flag) || !data.exposures || experiment.startDate === null) return null;
  const start = parseIso("start date", experiment.startDate);
  const asOf = dataTime(data.exposures.freshness, now);
  const hoursSinceLaunch = (asOf.getTime() - start.getTime()) / HOUR_MS;
  const { event, custom: customEvent } = effectiveExposureEvent(experiment);
  const flag = data.flag;
  const allGroupsZero = !!flag && flag.groups.length > 0 && flag.groups.every((g) => g.rolloutPercentage === 0);
  const aligned = alignCumulative(data.exposures.timeseries);
  const total = sumTotals(data.exposures.totals);

  const zeroRolloutCause =
    "Every release condition of the flag is at 0 % rollout, so nobody is bucketed any more (PostHog reports this " +
    "as “no new exposures”).";
  const eventCause = customEvent
    ? `The experiment counts the custom exposure event ${event}: check that it is still sent and carries the ` +
      `$feature/${experiment.flagKey} property.`
    : `Check that the code still evaluates the flag (${experiment.flagKey}) and sends ${event} — ` +
      `e.g. the code path was removed or the flag is evaluated with local evaluation without sending events.`;
  const chart =
    aligned.days.length > 0
      ? {
          kind: "cumulative-exposures" as const,
          days: aligned.days,
          series: [...aligned.byVariant].map(([name, values]) => ({ name, values })),
        }
      : null;
  const base = baseFinding("stall", experiment, flag);

  if (total === 0) {
    if (!(hoursSinceLaunch > config.launchGraceHours)) return null;
    return {
      ...base,
      title: `No exposures in ${q(experiment.name)} ${Math.floor(hoursSinceLaunch)} h after launch`,
      contradiction:
        `${q(experiment.name)} was launched ${Math.floor(hoursSinceLaunch)} hours ago (${experiment.startDate.slice(0, 10)}) ` +
        `and its flag is active, but not a single exposure (${event}) has been recorded.`,
      cause: allGroupsZero ? zeroRolloutCause : eventCause,
      action:
        "Make sure the flag is evaluated in the shipped code with this key and the exposure event is sent " +
        "(deployed? behind another flag? filtered as a test account?). Until then the experiment collects no data.",
      onset: isoDay(start),
      evidence: {
        exposure_event: event,
        custom_exposure_event: customEvent,
        hours_since_launch: round(hoursSinceLaunch, 1),
        hours_since_last_exposure: null,
        ...(asOf !== now ? { data_as_of: asOf.toISOString() } : {}),
        total_exposures: 0,
        all_release_groups_zero: allGroupsZero,
      },
      escalation: {},
      chart: null,
    };
  }

  const cum = sumSeries(aligned);
  let firstInc = -1;
  let lastInc = -1;
  cum.forEach((v, d) => {
    const prev = d > 0 ? (cum[d - 1] as number) : 0;
    if (v > prev) {
      if (firstInc < 0) firstInc = d;
      lastInc = d;
    }
  });
  if (lastInc < 0) return null; // totals without a series: nothing to date the gap with.
  const lastDay = aligned.days[lastInc] as string;
  const lastBound = parseIso("exposure day", lastDay).getTime() + DAY_MS;
  const gapHours = (asOf.getTime() - lastBound) / HOUR_MS;
  if (!(gapHours > config.stallHours)) return null;
  const activeDays = lastInc - firstInc + 1;
  const baselineTotal = cum[lastInc] as number;
  const perDay = baselineTotal / activeDays;
  const expectedInGap = (perDay * gapHours) / 24;
  if (expectedInGap < STALL_MIN_EXPECTED) return null;

  return {
    ...base,
    title: `Exposures stalled in ${q(experiment.name)} (none for ${Math.floor(gapHours)} h)`,
    contradiction:
      `${q(experiment.name)} is running with an active flag and collected ${formatCount(baselineTotal)} exposures ` +
      `(about ${formatCount(perDay)} a day) until ${lastDay}, but none since: ${Math.floor(gapHours)} hours ` +
      `without a new exposure (${event}) where about ${formatCount(expectedInGap)} were expected.`,
    cause: allGroupsZero ? zeroRolloutCause : eventCause,
    action:
      "Check for a deploy, a rollout change or a broken exposure event around the last exposure day. If the " +
      "experiment was meant to stop, end it in PostHog; otherwise restore exposures — data collected across the " +
      "gap may differ before and after.",
    onset: addDays(lastDay, 1),
    evidence: {
      exposure_event: event,
      custom_exposure_event: customEvent,
      hours_since_launch: round(hoursSinceLaunch, 1),
      hours_since_last_exposure: round(gapHours, 1),
      last_exposure_day: lastDay,
      ...(asOf !== now ? { data_as_of: asOf.toISOString() } : {}),
      total_exposures: total,
      baseline_per_day: round(perDay, 1),
      expected_in_gap: round(expectedInGap, 1),
      all_release_groups_zero: allGroupsZero,
    },
    escalation: {},
    chart,
  };
}
