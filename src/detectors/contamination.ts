/**
 * Contamination: users exposed to more than one variant (PostHog's `$multiple` bucket).
 *
 * Rules: the `$multiple` share of all exposures is above `multipleShare` (scout: 0.5 %), or above
 * `multipleShareUneven` (strictly; PostHog bias risk: 0.1 %) when the split is uneven and handling is
 * `exclude` — then excluding those users removes them from the arms unequally (posthog-api.md §6
 * `bias_risk.py`: even = PostHog's auto-even split, exact and position-sensitive; `end_date` null).
 * Quiet gate: judged only from `srmMinExposures` total exposures on, like SRM. The predictable mechanism —
 * bucketing by `distinct_id` (the default) with `ensure_experience_continuity: false`, so identifying
 * changes the bucketing key (scout, §10) — is named when it matches.
 */
import type { Experiment, FeatureFlag } from "../model.js";
import { formatCount } from "../format.js";
import type { DetectorConfig, ExperimentData, Finding } from "./types.js";
import {
  MULTIPLE_KEY,
  alignCumulative,
  assertNow,
  baseFinding,
  isEvenSplit,
  isLiveRun,
  q,
  round,
  sumSeries,
  sumTotals,
  effectiveExposureEvent,
} from "./util.js";

/**
 * The `$multiple` share limit that applies to an experiment, and whether the strict bias-risk rule applies.
 * @returns `threshold` as a fraction 0–1.
 */
export function multipleShareLimit(
  experiment: Experiment,
  config: DetectorConfig,
): { threshold: number; strict: boolean; uneven: boolean } {
  const uneven = !isEvenSplit(experiment.variants.map((v) => v.rolloutPercentage));
  const strict = uneven && experiment.exposureCriteria.multipleVariantHandling === "exclude";
  return { threshold: strict ? config.multipleShareUneven : config.multipleShare, strict, uneven };
}

/**
 * True when the flag buckets by `distinct_id` (explicitly or by default: `null`/`''`), per person (no group
 * aggregation), without experience continuity — identifying a user then changes its bucketing key.
 */
export function identityTransitionMechanism(flag: FeatureFlag | null): boolean {
  if (!flag) return false;
  const byDistinctId = flag.bucketingIdentifier === null || flag.bucketingIdentifier === "" || flag.bucketingIdentifier === "distinct_id";
  const filters = flag.filters as { aggregation_group_type_index?: unknown } | null;
  const grouped = typeof filters?.aggregation_group_type_index === "number";
  return byDistinctId && !grouped && !flag.ensureExperienceContinuity;
}

function pct(x: number, digits = 2): string {
  return `${(x * 100).toFixed(digits)} %`;
}

/**
 * Detect users exposed to several variants in a running experiment.
 *
 * @returns a P2 `contamination` finding (evidence: `multiple_exposures`, `total_exposures`, `multiple_share`
 *   and `threshold` as fractions 0–1, `uneven_split`, `handling`, `identity_transition`), with a daily-share
 *   chart (percent 0–100) and an onset (first day from which the cumulative share stays above the limit);
 *   or null.
 * @throws DetectorInputError on malformed exposure data.
 */
export function detectContamination(
  experiment: Experiment,
  data: ExperimentData,
  config: DetectorConfig,
  now: Date,
): Finding | null {
  assertNow(now);
  if (!isLiveRun(experiment, data.flag) || !data.exposures) return null;
  const totals = data.exposures.totals;
  const multiple = totals[MULTIPLE_KEY] ?? 0;
  const total = sumTotals(totals);
  if (multiple === 0 || total < config.srmMinExposures) return null;
  const shareNow = multiple / total;
  const { threshold, strict, uneven } = multipleShareLimit(experiment, config);
  if (!(shareNow > threshold)) return null;

  const aligned = alignCumulative(data.exposures.timeseries);
  const cumTotal = sumSeries(aligned);
  const cumMultiple = aligned.byVariant.get(MULTIPLE_KEY) ?? aligned.days.map(() => 0);
  let onset: string | null = null;
  for (let d = aligned.days.length - 1; d >= 0; d--) {
    const t = cumTotal[d] as number;
    if (!(t >= config.srmMinExposures && (cumMultiple[d] as number) / t > threshold)) break;
    onset = aligned.days[d] as string;
  }
  const daily = aligned.days.map((_, d) => {
    const t = (cumTotal[d] as number) - (d > 0 ? (cumTotal[d - 1] as number) : 0);
    const m = (cumMultiple[d] as number) - (d > 0 ? (cumMultiple[d - 1] as number) : 0);
    return t > 0 ? round((m / t) * 100, 3) : 0;
  });

  const flag = data.flag;
  const mechanism = identityTransitionMechanism(flag);
  const split = experiment.variants.map((v) => v.rolloutPercentage).join("/");
  const limitText = strict
    ? `the limit on this uneven ${split} split with "exclude" handling is ${pct(threshold, 1)}, because ` +
      `excluding those users removes them from the arms unequally and biases the comparison`
    : `the limit is ${pct(threshold, 1)}`;
  const contradiction =
    `Each user should see exactly one variant, but ${formatCount(multiple)} of ${formatCount(total)} exposed ` +
    `users (${pct(shareNow)}) saw more than one ($multiple); ${limitText}.`;
  const cause = mechanism
    ? `The flag buckets users by distinct_id without experience continuity (ensure_experience_continuity: false): ` +
      `a user who is anonymous and then identifies (logs in, signs up) gets a new distinct_id and can be ` +
      `bucketed into another variant.`
    : "Users reach several variants, e.g. the flag is evaluated with different identifiers on different " +
      "platforms (client and server), devices are shared, code overrides the flag value, or the split changed.";
  const action =
    (mechanism
      ? "Turn on “Persist flag across authentication steps” (ensure_experience_continuity) or evaluate the flag " +
        "only after identify. "
      : `Find where users switch variants (compare the ${effectiveExposureEvent(experiment).event} events of users in $multiple) and ` +
        "make every evaluation use the same identifier. ") +
    "Changing bucketing mid-run is itself a mutation: reset the experiment after the fix." +
    (strict ? ' Alternatively count users by their first-seen variant (multiple variant handling "first_seen").' : "");

  return {
    ...baseFinding("contamination", experiment, flag),
    title: `Users exposed to several variants in ${q(experiment.name)} (${pct(shareNow)} $multiple)`,
    contradiction,
    cause,
    action,
    onset,
    evidence: {
      multiple_exposures: multiple,
      total_exposures: total,
      multiple_share: round(shareNow, 6),
      threshold,
      uneven_split: uneven,
      split,
      handling: experiment.exposureCriteria.multipleVariantHandling,
      bucketing_identifier: flag?.bucketingIdentifier ?? null,
      ensure_experience_continuity: flag?.ensureExperienceContinuity ?? null,
      identity_transition: mechanism,
    },
    escalation: { deviation: shareNow },
    chart:
      aligned.days.length > 0
        ? { kind: "daily-share", days: aligned.days, series: [{ name: "$multiple share of new exposures (%)", values: daily }] }
        : null,
  };
}
