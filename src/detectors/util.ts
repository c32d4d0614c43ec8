/**
 * Shared helpers of the detectors: dates, experiment state, flag serving state, exposure series.
 * Pure functions; bad input throws {@link DetectorInputError}.
 */
import type { DataFreshness, ExposureSeries, Experiment, FeatureFlag, FlagGroup } from "../model.js";
import { DEFAULT_DETECTOR_CONFIG, type DetectorConfig, type Finding, type FindingKind } from "./types.js";

/** Milliseconds in an hour and a day. */
export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

/** Key PostHog uses for users exposed to more than one variant (posthog-api.md §4). */
export const MULTIPLE_KEY = "$multiple";

/** Malformed detector input (an unparseable date, misaligned series, a bad threshold). */
export class DetectorInputError extends TypeError {
  constructor(message: string) {
    super(message);
    this.name = "DetectorInputError";
  }
}

const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;
const NO_OFFSET = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/;

/**
 * Parse an ISO 8601 date or timestamp (UTC when no offset is given).
 * @throws DetectorInputError naming `what` when the string is not a valid date.
 */
export function parseIso(what: string, value: string): Date {
  const text = typeof value !== "string" ? "" : ISO_DAY.test(value) ? `${value}T00:00:00Z` : NO_OFFSET.test(value) ? `${value}Z` : value;
  const d = new Date(text === "" ? NaN : text);
  if (Number.isNaN(d.getTime())) {
    throw new DetectorInputError(`${what} is not an ISO 8601 date: ${JSON.stringify(value)}`);
  }
  return d;
}

/** The UTC calendar day `YYYY-MM-DD` of a date. */
export function isoDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** Whole days between two `YYYY-MM-DD` days (b − a). */
export function daysBetween(a: string, b: string): number {
  return Math.round((parseIso("day", b).getTime() - parseIso("day", a).getTime()) / DAY_MS);
}

/** Add days to a `YYYY-MM-DD` day. */
export function addDays(day: string, n: number): string {
  return isoDay(new Date(parseIso("day", day).getTime() + n * DAY_MS));
}

/** Curly-quoted experiment name for titles and sentences. */
export function q(name: string): string {
  return `“${name}”`;
}

/** Round to `digits` decimals (for evidence values). */
export function round(x: number, digits = 4): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/**
 * The experiment's flag: the embedded one, else the non-deleted project flag with its key, else null.
 */
export function resolveFlag(experiment: Experiment, flags: FeatureFlag[]): FeatureFlag | null {
  if (experiment.flag) return experiment.flag;
  return flags.find((f) => f.key === experiment.flagKey && !f.deleted) ?? null;
}

/** Launched and not ended (`start_date` set, no `end_date`), whatever the derived status. */
export function isLaunchedNotEnded(experiment: Experiment): boolean {
  return experiment.startDate !== null && experiment.endDate === null;
}

/**
 * Running with a live flag: launched, not ended, status `running`, not archived, and its flag (when known)
 * active and not deleted. PostHog derives `paused` from an inactive flag (posthog-api.md §3, §6
 * `flag_state.py`); a paused experiment is context, never a validity finding.
 */
export function isLiveRun(experiment: Experiment, flag: FeatureFlag | null): boolean {
  if (!isLaunchedNotEnded(experiment) || experiment.status !== "running" || experiment.archived) return false;
  return flag === null || (flag.active && !flag.deleted);
}

/** Release groups that force a variant which exists on the flag (PostHog `forced_variant.py`). */
export function forcedVariantGroups(flag: FeatureFlag | null, variantKeys: string[]): FlagGroup[] {
  if (!flag) return [];
  const keys = new Set(variantKeys);
  return flag.groups.filter((g) => g.variant !== null && keys.has(g.variant));
}

/** A group that matches everyone: no properties and a rollout of 100 % (or unset). */
function matchesEveryone(g: FlagGroup): boolean {
  return g.properties.length === 0 && (g.rolloutPercentage === null || g.rolloutPercentage >= 100);
}

/**
 * Variant keys an active flag still serves: none when the flag is inactive/deleted, has no variants, or every
 * release group is at 0 %; the forced variant when the first group matches everyone and forces one; else the
 * variants with rollout ≠ 0 (PostHog `flag_state.py`: "> 1 variant with rollout ≠ 0, not shipped"). A shipped
 * flag (one variant at 100 %) serves one variant.
 */
export function servedVariants(flag: FeatureFlag | null): string[] {
  if (!flag || !flag.active || flag.deleted || flag.variants.length === 0) return [];
  if (flag.groups.length > 0 && flag.groups.every((g) => g.rolloutPercentage === 0)) return [];
  const first = flag.groups[0];
  if (first && matchesEveryone(first) && first.variant !== null && flag.variants.some((v) => v.key === first.variant)) {
    return [first.variant];
  }
  return flag.variants.filter((v) => v.rolloutPercentage !== 0).map((v) => v.key);
}

/**
 * PostHog's automatic even split for `n` variants, 0–100: ⌊100/n⌋ each, the remainder given one point at a
 * time from the first variant ([50, 50], [34, 33, 33], [15, 15, 14, 14, 14, 14, 14]; posthog-api.md §6,
 * `variant_distribution.py`).
 * @throws DetectorInputError when n is not a positive integer.
 */
export function autoEvenSplit(n: number): number[] {
  if (!Number.isInteger(n) || n < 1) throw new DetectorInputError(`variant count must be a positive integer, got ${n}`);
  const base = Math.floor(100 / n);
  const rest = 100 - base * n;
  return Array.from({ length: n }, (_, i) => base + (i < rest ? 1 : 0));
}

/** True when the split equals PostHog's auto-even split exactly and in order (position-sensitive, §6). */
export function isEvenSplit(rollouts: number[]): boolean {
  if (rollouts.length === 0) return true;
  const even = autoEvenSplit(rollouts.length);
  return rollouts.every((r, i) => r === even[i]);
}

/** Cumulative exposure series aligned on one sorted list of days. */
export interface AlignedSeries {
  days: string[];
  /** Cumulative count per variant key (including `$multiple`), aligned with `days`; missing days carried forward. */
  byVariant: Map<string, number[]>;
}

/**
 * Align PostHog's cumulative per-variant series (posthog-api.md §4: cumulative, gap-filled) on the union of
 * their days; a day missing in one series carries its previous cumulative value (0 before its first day).
 * @throws DetectorInputError when a series' `days` and `cumulative` differ in length, a day is not
 *   `YYYY-MM-DD`, or a count is not a finite number ≥ 0.
 */
export function alignCumulative(timeseries: ExposureSeries[]): AlignedSeries {
  const all = new Set<string>();
  for (const s of timeseries) {
    if (s.days.length !== s.cumulative.length) {
      throw new DetectorInputError(
        `exposure series "${s.variant}" has ${s.days.length} days but ${s.cumulative.length} counts`,
      );
    }
    s.days.forEach((d, i) => {
      if (!ISO_DAY.test(d)) throw new DetectorInputError(`exposure series "${s.variant}" has a bad day ${JSON.stringify(d)}`);
      const c = s.cumulative[i];
      if (typeof c !== "number" || !Number.isFinite(c) || c < 0) {
        throw new DetectorInputError(`exposure series "${s.variant}" has a bad count ${String(c)} on ${d}`);
      }
      all.add(d);
    });
  }
  const days = [...all].sort();
  const byVariant = new Map<string, number[]>();
  for (const s of timeseries) {
    const at = new Map<string, number>();
    s.days.forEach((d, i) => at.set(d, s.cumulative[i] as number));
    let last = 0;
    const values = days.map((d) => {
      const v = at.get(d);
      if (v !== undefined) last = v;
      return last;
    });
    const prev = byVariant.get(s.variant);
    byVariant.set(s.variant, prev ? prev.map((p, i) => p + (values[i] as number)) : values);
  }
  return { days, byVariant };
}

/** Sum over variants of an aligned series, per day. */
export function sumSeries(aligned: AlignedSeries, keys?: (k: string) => boolean): number[] {
  const out = aligned.days.map(() => 0);
  for (const [k, values] of aligned.byVariant) {
    if (keys && !keys(k)) continue;
    values.forEach((v, i) => (out[i] = (out[i] as number) + v));
  }
  return out;
}

/** Sum of all values of a totals record (every key, `$multiple` included). */
export function sumTotals(totals: Record<string, number>): number {
  return Object.values(totals).reduce((a, b) => a + b, 0);
}

/** Severity of a kind: validity threats P2, lifecycle hygiene P3. */
export function severityOf(kind: FindingKind): "P2" | "P3" {
  return kind === "zombie" || kind === "decided-still-running" || kind === "stale-variants" ? "P3" : "P2";
}

/** The fields every finding shares, from the experiment and its flag. */
export function baseFinding(
  kind: FindingKind,
  experiment: Experiment,
  flag: FeatureFlag | null,
): Pick<Finding, "kind" | "severity" | "experimentId" | "experimentName" | "flagKey" | "flagId" | "dedupeKey"> {
  return {
    kind,
    severity: severityOf(kind),
    experimentId: experiment.id,
    experimentName: experiment.name,
    flagKey: experiment.flagKey,
    flagId: flag?.id ?? null,
    dedupeKey: `experiment:${experiment.id}:${kind}`,
  };
}

/**
 * Merge partial thresholds over the defaults and validate them.
 * @throws DetectorInputError when a value is not a finite number ≥ 0, or a share/alpha is above 1.
 */
export function resolveConfig(config?: Partial<DetectorConfig>): DetectorConfig {
  const merged: DetectorConfig = { ...DEFAULT_DETECTOR_CONFIG, ...(config ?? {}) };
  for (const [k, v] of Object.entries(merged)) {
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0) {
      throw new DetectorInputError(`detector config ${k} must be a finite number >= 0, got ${String(v)}`);
    }
  }
  for (const k of ["srmAlpha", "multipleShare", "multipleShareUneven"] as const) {
    if (merged[k] > 1) throw new DetectorInputError(`detector config ${k} is a fraction 0–1, got ${merged[k]}`);
  }
  return merged;
}

/** @throws DetectorInputError unless `now` is a valid Date. */
export function assertNow(now: Date): void {
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) {
    throw new DetectorInputError(`now must be a valid Date, got ${String(now)}`);
  }
}

/** PostHog's default exposure events: `$feature_flag_called`, and `$experiment_exposure` for newer experiments. */
export const DEFAULT_EXPOSURE_EVENTS: readonly string[] = ["$feature_flag_called", "$experiment_exposure"];

/**
 * The event PostHog counts this experiment's exposures on: a custom `exposure_config.event` wins; otherwise
 * the detail's `resolved_exposure_event` (`$experiment_exposure` for experiments started after PostHog's
 * cutoff on teams in the rollout, `$feature_flag_called` before; products/experiments/backend/hogql_queries/
 * exposure_query_logic.py); otherwise `$feature_flag_called` (older builds). Both default events carry the
 * flag in `$feature_flag` and the variant in `$feature_flag_response`; a custom event carries
 * `$feature/<flag key>`.
 *
 * @returns `{event, custom}`: `custom` is true for an event other than the two defaults.
 */
export function effectiveExposureEvent(experiment: Experiment): { event: string; custom: boolean } {
  const event = experiment.exposureCriteria.exposureEvent ?? experiment.resolvedExposureEvent ?? "$feature_flag_called";
  return { event, custom: !DEFAULT_EXPOSURE_EVENTS.includes(event) };
}

/**
 * The time PostHog's data describes: its `last_refresh` (`freshness.computedAt`) when known and not after
 * `now`, else `now`. Gaps measured up to this time are gaps in the data, not in PostHog's cache age: a
 * result cached 30 hours ago cannot show the last 30 hours.
 */
export function dataTime(freshness: DataFreshness | undefined, now: Date): Date {
  const at = freshness?.computedAt ? Date.parse(freshness.computedAt) : Number.NaN;
  return Number.isFinite(at) && at <= now.getTime() ? new Date(at) : now;
}
