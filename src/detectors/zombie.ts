/**
 * Zombie experiment: still running long after it should have been decided (PostHog scout, posthog-api.md
 * §10: "exposures far above `recommended_sample_size`, or > 60 days flat"; issue 3).
 *
 * Fires when the experiment has run more than `zombieDays` (60), or when it is past its recommended running
 * time or recommended sample size (total across variants) and its exposure curve is flat: the last
 * {@link ZOMBIE_FLAT_WINDOW_DAYS} days added less than {@link ZOMBIE_FLAT_SHARE} of all exposures, so running
 * on adds little data. Experiments running longer than `zombieSkipQueriesDays` (90) have no exposure data
 * (see `selectValidityWatch`) and are judged on age alone.
 */
import type { Experiment } from "../model.js";
import { formatCount } from "../format.js";
import type { DetectorConfig, ExperimentData, Finding } from "./types.js";
import { DAY_MS, addDays, alignCumulative, assertNow, baseFinding, isoDay, parseIso, q, round, sumSeries } from "./util.js";

/** Window, in days, over which a flat exposure curve is judged. */
export const ZOMBIE_FLAT_WINDOW_DAYS = 7;
/** A curve is flat when the last window added less than this fraction of all exposures (5 %). */
export const ZOMBIE_FLAT_SHARE = 0.05;

/**
 * Share of all exposures added in the last `ZOMBIE_FLAT_WINDOW_DAYS` days, or null when the series is
 * shorter than the window plus one day or has no exposures.
 */
export function recentExposureShare(data: ExperimentData): number | null {
  if (!data.exposures) return null;
  const cum = sumSeries(alignCumulative(data.exposures.timeseries));
  const last = cum.length - 1;
  if (last < ZOMBIE_FLAT_WINDOW_DAYS) return null;
  const end = cum[last] as number;
  if (end <= 0) return null;
  return (end - (cum[last - ZOMBIE_FLAT_WINDOW_DAYS] as number)) / end;
}

/** First day on which the cumulative counted exposures reached `size`, or null. */
function sizeCrossedOn(data: ExperimentData, keys: Set<string>, size: number): string | null {
  if (!data.exposures) return null;
  const aligned = alignCumulative(data.exposures.timeseries);
  const cum = sumSeries(aligned, (k) => keys.has(k));
  const d = cum.findIndex((v) => v >= size);
  return d >= 0 ? (aligned.days[d] as string) : null;
}

/**
 * Detect a zombie among running experiments (status `running`, launched, not ended, not archived).
 *
 * @returns a P3 `zombie` finding (evidence: `days_running`, `recommended_running_time_days`,
 *   `recommended_sample_size`, `counted_exposures` (the experiment's variants, not `$multiple` or excluded), `recent_exposure_share` fraction 0–1), onset = the day it
 *   crossed the limit that fired; or null.
 * @throws DetectorInputError on malformed dates or exposure data.
 */
export function detectZombie(
  experiment: Experiment,
  data: ExperimentData,
  config: DetectorConfig,
  now: Date,
): Finding | null {
  assertNow(now);
  if (experiment.status !== "running" || experiment.startDate === null || experiment.endDate !== null || experiment.archived) {
    return null;
  }
  const start = parseIso("start date", experiment.startDate);
  const daysRunning = (now.getTime() - start.getTime()) / DAY_MS;
  const startDay = isoDay(start);
  const keys = new Set(experiment.variants.map((v) => v.key).filter((k) => !experiment.excludedVariants.includes(k)));
  const counted = data.exposures
    ? Object.entries(data.exposures.totals)
        .filter(([k]) => keys.has(k))
        .reduce((a, [, v]) => a + v, 0)
    : null;
  const recent = recentExposureShare(data);
  const flat = recent !== null && recent < ZOMBIE_FLAT_SHARE;
  const recDays = experiment.recommendedRunningTimeDays;
  const recSize = experiment.recommendedSampleSize;
  const pastTime = recDays !== null && daysRunning > recDays;
  const pastSize = recSize !== null && counted !== null && counted >= recSize;

  let reason: string;
  let onset: string;
  if (daysRunning > config.zombieDays) {
    reason = `has been running for ${Math.floor(daysRunning)} days (limit ${config.zombieDays})`;
    onset = addDays(startDay, config.zombieDays);
  } else if ((pastTime || pastSize) && flat) {
    const parts: string[] = [];
    if (pastTime) parts.push(`past its recommended running time of ${recDays} days (day ${Math.floor(daysRunning)})`);
    if (pastSize) parts.push(`past its recommended sample size of ${formatCount(recSize ?? 0)} (${formatCount(counted ?? 0)} exposures)`);
    reason =
      `is ${parts.join(" and ")}, and its exposure curve is flat: the last ${ZOMBIE_FLAT_WINDOW_DAYS} days added ` +
      `${((recent ?? 0) * 100).toFixed(1)} % of all exposures`;
    onset = pastTime ? addDays(startDay, Math.ceil(recDays ?? 0)) : (sizeCrossedOn(data, keys, recSize ?? 0) ?? startDay);
  } else {
    return null;
  }

  return {
    ...baseFinding("zombie", experiment, data.flag),
    title: `${q(experiment.name)} is still running after ${Math.floor(daysRunning)} days`,
    contradiction: `${q(experiment.name)} ${reason}, yet it has not been ended.`,
    cause: null,
    action:
      "Read the results and end the experiment in PostHog (ship a variant or roll back), then remove the losing " +
      "code paths. Running on adds little data, invites peeking and keeps the flag's branches alive.",
    onset,
    evidence: {
      days_running: round(daysRunning, 1),
      zombie_days: config.zombieDays,
      recommended_running_time_days: recDays,
      recommended_sample_size: recSize,
      counted_exposures: counted,
      recent_exposure_share: recent === null ? null : round(recent, 4),
    },
    escalation: {},
    chart: null,
  };
}
