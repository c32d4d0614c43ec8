/**
 * The primary metric's lift over time, as the app evaluated it (issue 13).
 *
 * PostHog's `ExperimentQuery` returns cumulative totals at the time of the query, not a daily series, so the
 * app keeps its own: every scheduled scan records, for each experiment it evaluated, the relative lift of
 * every variant on the primary metric and its always-valid interval (confidence sequence), one point per
 * day (a later evaluation on the same day replaces the earlier one), in a hidden marker of the dashboard
 * issue next to the decision memory. `/experiment analyze` and validity issues chart it once there are
 * {@link MIN_CHART_POINTS} points. Pure: no I/O.
 *
 * Units: lifts and interval ends are fractions (0.12 = +12 %), relative to control, raw (not goal-adjusted);
 * days are ISO dates `YYYY-MM-DD` (UTC).
 */
import type { Decision } from "../decision/index.js";
import { jsonMarker, readJsonMarker } from "../render/markdown.js";

/** One evaluation of one variant: the day (UTC), the lift and the always-valid interval, fractions. */
export interface LiftPoint {
  day: string;
  lift: number;
  lower: number;
  upper: number;
}

/** What one experiment's evaluations recorded: the primary metric (uuid) and each variant's points, oldest first. */
export interface LiftHistory {
  metricUuid: string;
  /** The best variant (highest goal-adjusted lift) at the latest evaluation; the one a chart shows by default. */
  best: string | null;
  variants: Record<string, LiftPoint[]>;
}

/** Lift histories by PostHog experiment id. */
export type LiftHistoryStore = Map<number, LiftHistory>;

/** Points kept per variant (the newest); older evaluations are dropped so the dashboard stays small. */
export const MAX_HISTORY_POINTS = 30;
/** A lift chart needs at least this many evaluations (fewer show no trend). */
export const MIN_CHART_POINTS = 3;

const MARKER = "experiment-hygiene:lift-history";
const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** Rounded to 5 significant decimals of a fraction (0.001 percentage points): enough for a chart, short in JSON. */
function round(x: number): number {
  return Math.round(x * 1e5) / 1e5;
}

/**
 * This evaluation's points from a decision: every primary-metric verdict with a lift and an always-valid
 * interval (`alwaysValid.interval`, computed whatever `decision.sequential` says). Null when the decision has
 * no usable primary metric.
 *
 * @param decision the result of `decide()`
 * @param now the evaluation time; its UTC date is the point's day
 */
export function liftSnapshot(decision: Decision, now: Date): LiftHistory | null {
  const primary = decision.primary;
  if (!primary || primary.error !== null) return null;
  const day = now.toISOString().slice(0, 10);
  const variants: Record<string, LiftPoint[]> = {};
  let best: { key: string; g: number } | null = null;
  for (const v of primary.verdicts) {
    const iv = v.alwaysValid?.interval ?? null;
    if (v.error !== null || v.lift === null || !iv || ![v.lift, iv[0], iv[1]].every(Number.isFinite)) continue;
    variants[v.variant] = [{ day, lift: round(v.lift), lower: round(iv[0]), upper: round(iv[1]) }];
    const g = v.goalAdjustedLift ?? v.lift;
    if (best === null || g > best.g) best = { key: v.variant, g };
  }
  if (Object.keys(variants).length === 0) return null;
  return { metricUuid: primary.metric.uuid, best: best?.key ?? null, variants };
}

/**
 * Adds one evaluation to a history: each variant's point replaces one of the same day, else is appended; at
 * most {@link MAX_HISTORY_POINTS} per variant are kept. A different primary metric starts a new history.
 * Variants missing from this evaluation keep their points.
 */
export function addEvaluation(previous: LiftHistory | undefined, snapshot: LiftHistory): LiftHistory {
  if (!previous || previous.metricUuid !== snapshot.metricUuid) return snapshot;
  const variants: Record<string, LiftPoint[]> = { ...previous.variants };
  for (const [key, points] of Object.entries(snapshot.variants)) {
    const merged = [...(variants[key] ?? [])];
    for (const p of points) {
      const at = merged.findIndex((q) => q.day === p.day);
      if (at >= 0) merged[at] = p;
      else merged.push(p);
    }
    merged.sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0));
    variants[key] = merged.slice(-MAX_HISTORY_POINTS);
  }
  return { metricUuid: snapshot.metricUuid, best: snapshot.best ?? previous.best, variants };
}

/** Most characters of a lift-history marker by default: well inside GitHub's 65,536-character issue body. */
export const MAX_MARKER_CHARS = 16_000;

/**
 * The hidden marker that stores the histories, compact: one string `"day lift lower upper"` per point. Strings,
 * not JSON numbers, because the marker escapes every `-` (so no `--` can close the HTML comment), which is
 * only valid JSON inside strings. When it would exceed `maxChars`, fewer (the newest) points per variant are
 * kept — 20, 10, 5, then {@link MIN_CHART_POINTS} — and then the experiments with the highest ids are left out.
 */
export function liftHistoryMarker(store: LiftHistoryStore, maxChars = MAX_MARKER_CHARS): string {
  let text = markerText(store);
  for (const keep of [20, 10, 5, MIN_CHART_POINTS]) {
    if (text.length <= maxChars) return text;
    text = markerText(new Map([...store].map(([id, h]) => [id, trimHistory(h, keep)])));
  }
  const ids = [...store.keys()].sort((a, b) => a - b);
  while (text.length > maxChars && ids.length > 0) {
    ids.pop();
    text = markerText(new Map(ids.map((id) => [id, trimHistory(store.get(id) as LiftHistory, MIN_CHART_POINTS)])));
  }
  return text;
}

function trimHistory(h: LiftHistory, keep: number): LiftHistory {
  return { ...h, variants: Object.fromEntries(Object.entries(h.variants).map(([k, ps]) => [k, ps.slice(-keep)])) };
}

function markerText(store: LiftHistoryStore): string {
  const out: Record<string, { m: string; b: string | null; v: Record<string, string[]> }> = {};
  for (const [id, h] of [...store].sort((a, b) => a[0] - b[0])) {
    out[String(id)] = {
      m: h.metricUuid,
      b: h.best,
      v: Object.fromEntries(Object.entries(h.variants).map(([k, ps]) => [k, ps.map((p) => `${p.day} ${p.lift} ${p.lower} ${p.upper}`)])),
    };
  }
  return jsonMarker(MARKER, out);
}

/**
 * Read the histories from a dashboard body. An absent or broken marker gives an empty store; malformed
 * entries and points (a hand-edited body) are dropped, never thrown.
 */
export function parseLiftHistory(body: string | null | undefined): LiftHistoryStore {
  const store: LiftHistoryStore = new Map();
  const obj = readJsonMarker(body, MARKER);
  if (!obj || typeof obj !== "object" || Array.isArray(obj)) return store;
  for (const [id, raw] of Object.entries(obj as Record<string, unknown>)) {
    const e = raw as { m?: unknown; b?: unknown; v?: unknown };
    if (!/^\d+$/.test(id) || typeof e?.m !== "string" || !e.v || typeof e.v !== "object" || Array.isArray(e.v)) continue;
    const variants: Record<string, LiftPoint[]> = {};
    for (const [key, pts] of Object.entries(e.v as Record<string, unknown>)) {
      if (!Array.isArray(pts)) continue;
      const points = pts
        .map((p) => (typeof p === "string" ? p.split(" ") : []))
        .filter((f) => f.length === 4 && DAY.test(f[0] as string) && f.slice(1).every((x) => x !== "" && Number.isFinite(Number(x))))
        .map(([day, lift, lower, upper]) => ({ day: day as string, lift: Number(lift), lower: Number(lower), upper: Number(upper) }))
        .slice(-MAX_HISTORY_POINTS);
      if (points.length > 0) variants[key] = points;
    }
    if (Object.keys(variants).length > 0) store.set(Number(id), { metricUuid: e.m, best: typeof e.b === "string" ? e.b : null, variants });
  }
  return store;
}

/**
 * The next store after a scan: previous histories of experiments still running (`keep`), plus this scan's
 * evaluations added ({@link addEvaluation}).
 *
 * @param previous the histories read from the dashboard
 * @param evaluations this scan's snapshots by experiment id ({@link liftSnapshot})
 * @param keep whether an experiment's history is kept (running and in this repository's scope)
 */
export function updateLiftHistory(
  previous: LiftHistoryStore,
  evaluations: ReadonlyMap<number, LiftHistory>,
  keep: (experimentId: number) => boolean,
): LiftHistoryStore {
  const next: LiftHistoryStore = new Map();
  for (const [id, h] of previous) if (keep(id)) next.set(id, h);
  for (const [id, snap] of evaluations) if (keep(id)) next.set(id, addEvaluation(next.get(id), snap));
  return next;
}

/** The newest day of a history, "" when it has none. */
function latestDay(h: LiftHistory): string {
  let d = "";
  for (const ps of Object.values(h.variants)) for (const p of ps) if (p.day > d) d = p.day;
  return d;
}

/**
 * Merges the histories read from several issue bodies (the dashboard and each validity issue carry the
 * histories they concern). For one experiment, histories of the same primary metric are united point by point
 * (a later store's point wins on the same day); of different metrics, the one evaluated most recently wins.
 */
export function mergeLiftHistories(stores: readonly LiftHistoryStore[]): LiftHistoryStore {
  const out: LiftHistoryStore = new Map();
  for (const store of stores) {
    for (const [id, h] of store) {
      const prev = out.get(id);
      if (prev && prev.metricUuid !== h.metricUuid && latestDay(prev) > latestDay(h)) continue;
      out.set(id, addEvaluation(prev, { ...h, best: h.best ?? prev?.best ?? null }));
    }
  }
  return out;
}

/**
 * One experiment's recorded history (from issue bodies) with an evaluation made now added as the last point
 * — what `/experiment analyze` charts.
 *
 * @param bodies the bodies of the app's open issues (dashboard and validity issues)
 * @param experimentId the PostHog experiment id
 * @param decision this evaluation (null: only the recorded history)
 * @param now the evaluation time
 * @returns the history, or null when nothing was recorded and this evaluation has no usable primary metric
 */
export function historyWithEvaluation(
  bodies: readonly string[],
  experimentId: number,
  decision: Decision | null,
  now: Date,
): LiftHistory | null {
  const recorded = mergeLiftHistories(bodies.map((b) => parseLiftHistory(b))).get(experimentId);
  const snap = decision ? liftSnapshot(decision, now) : null;
  if (!snap) return recorded ?? null;
  return addEvaluation(recorded, snap);
}
