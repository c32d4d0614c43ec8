/**
 * Sample ratio mismatch (SRM): the exposures per variant contradict the flag's configured split.
 *
 * Test: the statistics core's `sampleRatioMismatch` (PostHog's `_calculate_srm` inclusion rules: counted
 * variants have rollout > 0 and are not excluded, `$multiple` is left out, a holdout with its own exposures is its own arm (PostHog's current rule), else it rescales the split;
 * posthog-api.md §5). Gate (PostHog experiments scout, §10): at least `srmMinExposures` counted exposures,
 * an observed share more than `srmMinSigma` standard errors from its expected share, and p < `srmAlpha`.
 *
 * Forced-variant release conditions (a group whose `variant` is one of the flag's keys) pin a sub-audience
 * to one variant, so the configured split is not the expected split and no SRM finding is made: the scout
 * skips such experiments and PostHog's `forced_variant.py` health check reports them separately. This is
 * the documented decision for "noted, not called SRM".
 */
import type { Experiment, FeatureFlag } from "../model.js";
import { formatCount, formatPValue } from "../format.js";
import { experimentSrm, type SrmResult } from "../stats/index.js";
import { describeEdit, editsAfter, type FlagEdit } from "./mutation.js";
import type { DetectorConfig, ExperimentData, Finding } from "./types.js";
import {
  alignCumulative,
  assertNow,
  baseFinding,
  daysBetween,
  forcedVariantGroups,
  isLiveRun,
  q,
  round,
  type AlignedSeries,
} from "./util.js";

/**
 * Run the SRM test on per-variant totals with the experiment's split, exclusions and holdout, requiring at
 * least `config.srmMinExposures` counted exposures.
 * @returns the statistics core's result, or null below the minimum or with fewer than 2 counted variants.
 * @throws RangeError from the statistics core on negative counts or a bad split.
 */
export function srmTest(experiment: Experiment, totals: Record<string, number>, config: DetectorConfig): SrmResult | null {
  return experimentSrm(experiment, totals, config.srmMinExposures);
}

/** True when an SRM result passes the gate: p < srmAlpha and max deviation > srmMinSigma standard errors. */
export function srmSignificant(r: SrmResult | null, config: DetectorConfig): r is SrmResult {
  return r !== null && r.pValue < config.srmAlpha && r.maxSigma > config.srmMinSigma;
}

/**
 * Onset of an SRM: the first day from which the test, re-run on the cumulative counts of each day, stays
 * significant (same gate as the finding) through the last day of the series.
 * @returns `YYYY-MM-DD`, or null when the last day is not significant or the series is empty.
 */
export function srmOnset(experiment: Experiment, aligned: AlignedSeries, config: DetectorConfig): string | null {
  let onset: string | null = null;
  for (let d = aligned.days.length - 1; d >= 0; d--) {
    const totals: Record<string, number> = {};
    for (const [k, values] of aligned.byVariant) totals[k] = values[d] as number;
    if (!srmSignificant(srmTest(experiment, totals, config), config)) break;
    onset = aligned.days[d] as string;
  }
  return onset;
}

/** The material flag edit closest to `onset` within ±1 day, made after the start, or null. */
function editNearOnset(experiment: Experiment, data: ExperimentData, onset: string): FlagEdit | null {
  if (!data.flagActivity || experiment.startDate === null) return null;
  let best: { edit: FlagEdit; distance: number } | null = null;
  for (const edit of editsAfter(data.flagActivity, experiment.startDate)) {
    if (!edit.material || edit.kinds.every((k) => k === "arm-excluded")) continue;
    const distance = Math.abs(daysBetween(onset, edit.at.slice(0, 10)));
    if (distance <= 1 && (!best || distance < best.distance)) best = { edit, distance };
  }
  return best?.edit ?? null;
}

/**
 * The latest edit after the start that changed the variant split, or null. The SRM test compares
 * cumulative counts with the *current* split, so such an edit makes the counts disagree by itself, and the
 * computed onset can fall well before it.
 */
function splitChangeAfterStart(experiment: Experiment, data: ExperimentData): FlagEdit | null {
  if (!data.flagActivity || experiment.startDate === null) return null;
  const edits = editsAfter(data.flagActivity, experiment.startDate).filter((e) =>
    e.kinds.some((k) => k === "split-redistributed" || k === "variants-changed"),
  );
  return edits.at(-1) ?? null;
}

function share(x: number): string {
  return `${(x * 100).toFixed(1)} %`;
}

/**
 * Detect a sample ratio mismatch in a running experiment.
 *
 * Needs the experiment's exposure result (validity-watch set). Paused experiments, inactive flags and
 * flags with forced-variant release conditions produce no finding. Onset from {@link srmOnset}; tied to a
 * flag edit (activity log) within ±1 day of the onset when one exists; otherwise a split change after the
 * start is named as a possible cause (the test compares cumulative counts with the current split).
 *
 * @returns a P2 `srm` finding with observed/expected counts per variant (`observed:<key>`,
 *   `expected:<key>`, `observed_share:<key>`, `expected_share:<key>` in the evidence, shares 0–1),
 *   p-value, χ², df, counted and `$multiple` exposures, max deviation (fraction) and σ; or null.
 * @throws DetectorInputError / RangeError on malformed exposure data.
 */
export function detectSrm(
  experiment: Experiment,
  data: ExperimentData,
  config: DetectorConfig,
  now: Date,
): Finding | null {
  assertNow(now);
  const flag: FeatureFlag | null = data.flag;
  if (!isLiveRun(experiment, flag) || !data.exposures) return null;
  if (forcedVariantGroups(flag, experiment.variants.map((v) => v.key)).length > 0) return null;
  const r = srmTest(experiment, data.exposures.totals, config);
  if (!srmSignificant(r, config)) return null;

  const aligned = alignCumulative(data.exposures.timeseries);
  const onset = srmOnset(experiment, aligned, config);
  const edit = onset ? editNearOnset(experiment, data, onset) : null;
  const splitChange = edit ? null : splitChangeAfterStart(experiment, data);

  const holdout = experiment.holdout?.rolloutPercentage ?? 0;
  const split = r.included.map((k) => `${k} ${share(r.expectedShare[k] as number)}`).join(" / ");
  const arms = r.included
    .map(
      (k) =>
        `${k} got ${formatCount(r.observed[k] as number)} (${share(r.observedShare[k] as number)}, expected ` +
        `${formatCount(r.expected[k] as number)})`,
    )
    .join(", ");
  const contradiction =
    `The flag splits exposures ${split}${holdout > 0 ? ` (after a ${holdout} % holdout)` : ""}, but of ` +
    `${formatCount(r.total)} counted exposures ${arms}: χ² = ${r.chi2.toFixed(2)}, df = ${r.df}, ` +
    `p = ${formatPValue(r.pValue)}. The largest deviation is ${(r.maxShareDeviation * 100).toFixed(2)} ` +
    `percentage points (${r.maxSigma.toFixed(1)}σ).`;

  const cause = edit
    ? `The flag was edited within a day of the onset (${onset}): ${describeEdit(edit)}. Users bucketed before ` +
      `and after the edit were split differently, so the cumulative counts no longer match the current split.`
    : "No flag edit near the onset. " +
      (splitChange
        ? `Note that the variant split was changed on ${splitChange.at.slice(0, 10)} (${describeEdit(splitChange)}): ` +
          "exposures counted before that were bucketed under the old split, which by itself makes the cumulative " +
          "counts disagree with the current split. Other usual causes: "
        : "Usual causes: ") +
      "one variant crashes, redirects or loads slower and loses " +
      "its exposure event; the exposure event is sent on only some code paths; bot or test-account filtering " +
      "hits one variant more; caching serves one variant's response to other users.";
  const action =
    "Do not act on this experiment's results. Compare the variants' exposure paths (where the flag is " +
    "evaluated and the exposure event sent), fix the cause, then reset the experiment or restart it so " +
    "exposures are counted afresh.";

  const evidence: Finding["evidence"] = {
    p_value: r.pValue,
    /** Anytime-valid sequential SRM p (Lindon & Malek 2022), valid under the scheduled scans' repeated checks. */
    sequential_p_value: r.sequentialPValue,
    chi2: round(r.chi2, 4),
    df: r.df,
    counted_exposures: r.total,
    multiple_exposures: r.multiple,
    max_share_deviation: round(r.maxShareDeviation, 6),
    max_sigma: round(r.maxSigma, 2),
    holdout_pct: holdout,
    srm_alpha: config.srmAlpha,
    flag_edit_near_onset: edit ? edit.at : null,
    split_changed_at: splitChange ? splitChange.at : null,
  };
  for (const k of r.included) {
    evidence[`observed:${k}`] = r.observed[k] as number;
    evidence[`expected:${k}`] = round(r.expected[k] as number, 1);
    evidence[`observed_share:${k}`] = round(r.observedShare[k] as number, 6);
    evidence[`expected_share:${k}`] = round(r.expectedShare[k] as number, 6);
  }

  return {
    ...baseFinding("srm", experiment, flag),
    title: `Sample ratio mismatch in ${q(experiment.name)} (p = ${formatPValue(r.pValue)})`,
    contradiction,
    cause,
    action,
    onset,
    evidence,
    escalation: { pValue: r.pValue, deviation: r.maxShareDeviation },
    chart:
      aligned.days.length > 0
        ? {
            kind: "cumulative-exposures",
            days: aligned.days,
            series: r.included.map((k) => ({ name: k, values: aligned.byVariant.get(k) ?? aligned.days.map(() => 0) })),
          }
        : null,
  };
}
