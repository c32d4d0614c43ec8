/**
 * Triage as PostHog's experiments scout does (posthog-api.md §10): exposure and metric queries are spent only
 * on a validity-watch set — running experiments launched within the last 90 days and at least 24 hours ago —
 * capped per scan and rotated across scans, so one scan stays within PostHog's query limits (3 concurrent,
 * 240/min; §1). Running experiments older than 90 days go to the zombie bundle without any query.
 */
import type { Experiment } from "../model.js";
import { DAY_MS, DetectorInputError, HOUR_MS, assertNow, parseIso } from "./util.js";

/** Options of {@link selectValidityWatch}. */
export interface WatchOptions {
  /** Maximum experiments to watch in this scan (integer ≥ 0; scout: ~10). */
  cap: number;
  /** Rotation counter, e.g. the day number, so a capped set rotates through all candidates (any integer). */
  rotation: number;
  /** Launched longer ago than this many days → `zombieOnly` (default 90). */
  maxAgeDays?: number;
  /** Launched more recently than this many hours → skipped (default 24). */
  minAgeHours?: number;
}

/** Result of {@link selectValidityWatch}. */
export interface WatchSelection {
  /** Experiments to query exposures (and metrics, activity) for, in id order. */
  watch: Experiment[];
  /** Running longer than `maxAgeDays`: judged as zombies without exposure queries. */
  zombieOnly: Experiment[];
  /** Everything else, with the reason. */
  skipped: { id: number; reason: string }[];
}

/**
 * Pick the experiments whose validity is checked in this scan.
 *
 * Running = launched, no end date, status `running`, not archived, flag (when embedded) active. Candidates are
 * sorted by id; when there are more than `cap`, a window of `cap` starting at `(rotation × cap) mod n` is taken
 * (wrapping), so consecutive rotations cover every candidate.
 *
 * @throws DetectorInputError when `cap` is not an integer ≥ 0, `rotation` is not an integer, an age option is
 *   negative, `now` is invalid, or a start date does not parse.
 */
export function selectValidityWatch(experiments: Experiment[], now: Date, opts: WatchOptions): WatchSelection {
  assertNow(now);
  const { cap, rotation } = opts;
  const maxAgeDays = opts.maxAgeDays ?? 90;
  const minAgeHours = opts.minAgeHours ?? 24;
  if (!Number.isInteger(cap) || cap < 0) throw new DetectorInputError(`cap must be an integer >= 0, got ${String(cap)}`);
  if (!Number.isInteger(rotation)) throw new DetectorInputError(`rotation must be an integer, got ${String(rotation)}`);
  if (!(maxAgeDays >= 0) || !(minAgeHours >= 0)) {
    throw new DetectorInputError(`maxAgeDays and minAgeHours must be >= 0, got ${maxAgeDays} and ${minAgeHours}`);
  }
  const zombieOnly: Experiment[] = [];
  const skipped: { id: number; reason: string }[] = [];
  const candidates: Experiment[] = [];
  for (const e of experiments) {
    if (e.archived) skipped.push({ id: e.id, reason: "archived" });
    else if (e.startDate === null) skipped.push({ id: e.id, reason: "draft (not launched)" });
    else if (e.endDate !== null) skipped.push({ id: e.id, reason: "ended" });
    else if (e.status === "paused" || (e.flag !== null && (!e.flag.active || e.flag.deleted))) {
      skipped.push({ id: e.id, reason: "paused (flag inactive)" });
    } else if (e.status !== "running") skipped.push({ id: e.id, reason: `status ${e.status}` });
    else {
      const ageMs = now.getTime() - parseIso(`start date of experiment ${e.id}`, e.startDate).getTime();
      if (ageMs > maxAgeDays * DAY_MS) zombieOnly.push(e);
      else if (ageMs < minAgeHours * HOUR_MS) skipped.push({ id: e.id, reason: `launched less than ${minAgeHours} h ago` });
      else candidates.push(e);
    }
  }
  candidates.sort((a, b) => a.id - b.id);
  zombieOnly.sort((a, b) => a.id - b.id);
  if (candidates.length <= cap) return { watch: candidates, zombieOnly, skipped };
  const n = candidates.length;
  const offset = (((rotation * cap) % n) + n) % n;
  const picked = new Set<number>();
  for (let i = 0; i < cap; i++) picked.add((offset + i) % n);
  const watch: Experiment[] = [];
  candidates.forEach((e, i) => {
    if (picked.has(i)) watch.push(e);
    else skipped.push({ id: e.id, reason: `over the per-scan cap of ${cap} (rotates)` });
  });
  return { watch, zombieOnly, skipped };
}
