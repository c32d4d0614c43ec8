/**
 * How many running experiments the scheduled scans can check, and which first, within PostHog's query
 * budget. Pure: no I/O.
 *
 * Budget model (posthog-api.md §1, §11): the query API allows 2,400 requests an hour per personal API
 * key (`query.py get_throttles`; some plans 1,200), and a scan's evaluation of one experiment costs 2
 * queries (`ExperimentExposureQuery` + the primary metric's `ExperimentQuery`; the detail and the flag
 * activity are other endpoints, 4,800 an hour). So a key can carry 2,400 × 24 / 2 = 28,800 evaluations a
 * day; a share of it is left to pull-request events and chat-ops.
 *
 * Order: the riskiest first — experiments with an open finding (previously flagged), recently launched,
 * recently edited — then the rest in a rotation, so that consecutive scans tile every candidate. What a
 * scan cannot afford is returned as skipped, with the reason, for the scan log and report.
 */
import type { Experiment } from "../model.js";

/** The query budget scans may spend. */
export interface ScanBudget {
  /** PostHog query requests an hour for the key (2,400; 1,200 on some plans). */
  queriesPerHour: number;
  /** Queries one evaluation costs (exposures + primary metric = 2). */
  queriesPerEvaluation: number;
  /** Fraction 0–1 of the budget scans may use; the rest is left to PR events and chat-ops. Default 0.8. */
  scanShare: number;
}

/** PostHog's query budget per key (posthog-api.md §11), 2 queries an evaluation, 80 % for scans. */
export const DEFAULT_SCAN_BUDGET: ScanBudget = { queriesPerHour: 2_400, queriesPerEvaluation: 2, scanShare: 0.8 };

/** Launched within this many days → "recently launched" (SRM and broken setups show early). */
export const RECENT_LAUNCH_DAYS = 7;
/** Edited (`updated_at`) within this many days → "recently edited". */
export const RECENT_EDIT_DAYS = 2;

const DAY_MS = 86_400_000;

/**
 * Evaluations the budget allows in `hours` hours: floor(queriesPerHour × hours × scanShare / queriesPerEvaluation).
 * @throws RangeError for a non-positive rate or cost, a share outside 0–1, or negative hours.
 */
export function evaluationsWithin(budget: ScanBudget, hours: number): number {
  const { queriesPerHour: q, queriesPerEvaluation: c, scanShare: s } = budget;
  if (!(q > 0) || !(c > 0) || !(s >= 0 && s <= 1) || !(hours >= 0)) {
    throw new RangeError(`invalid scan budget: ${q} queries/h, ${c} queries an evaluation, share ${s}, ${hours} h`);
  }
  return Math.floor((q * hours * s) / c);
}

/** Why an experiment is checked early: 0 previously flagged, 1 recently launched, 2 recently edited, 3 routine. */
export interface Risk {
  tier: 0 | 1 | 2 | 3;
  reason: "previously flagged" | "recently launched" | "recently edited" | "routine";
}

/**
 * The risk tier of a running experiment: `flagged` (ids with an open finding) first, then launched within
 * {@link RECENT_LAUNCH_DAYS} days, then edited (`updatedAt`) within {@link RECENT_EDIT_DAYS} days.
 */
export function riskOf(e: Experiment, now: Date, flagged: ReadonlySet<number>): Risk {
  if (flagged.has(e.id)) return { tier: 0, reason: "previously flagged" };
  const start = e.startDate ? Date.parse(e.startDate) : Number.NaN;
  if (!Number.isNaN(start) && now.getTime() - start <= RECENT_LAUNCH_DAYS * DAY_MS) return { tier: 1, reason: "recently launched" };
  const edited = e.updatedAt ? Date.parse(e.updatedAt) : Number.NaN;
  if (!Number.isNaN(edited) && now.getTime() - edited <= RECENT_EDIT_DAYS * DAY_MS) return { tier: 2, reason: "recently edited" };
  return { tier: 3, reason: "routine" };
}

/** Result of {@link planCoverage}. */
export interface CoveragePlan {
  /** Experiments to evaluate this scan, riskiest first, each with why it is in its place. */
  watch: { experiment: Experiment; risk: Risk }[];
  /** Candidates no scan of this day can afford, with the reason (for the scan log and report). */
  skipped: { id: number; reason: string }[];
  /** Candidates left to another scan of the same day (not skipped: they are checked today). */
  deferred: number;
}

/**
 * Chooses the experiments one scan evaluates. The day's order is every candidate by risk tier (ties:
 * newest launch first, then id), the routine tier rotated by `day × (dayCapacity − risky)` so that
 * consecutive days cover all of it when the budget cannot; the day's `scansPerDay` scans take
 * consecutive `capacity`-sized slices of that order (wrapping when the day can afford more than every
 * candidate). So with `capacity × scansPerDay ≥ candidates` every candidate is checked every day, the
 * riskiest in the day's first scan; with less, the riskiest are still checked daily and the routine
 * ones rotate, and those the day cannot reach are returned as skipped.
 *
 * @param candidates running experiments eligible for a validity check (see `selectValidityWatch`)
 * @param opts.capacity evaluations one scan may make (integer ≥ 0)
 * @param opts.rotation scan counter (any integer, +1 per scan; e.g. floor(epoch ms / scan interval))
 * @param opts.scansPerDay scans a day (integer ≥ 1; default 1)
 * @param opts.flagged ids of experiments with an open finding
 * @param opts.why start of each skipped reason (default "over the day's PostHog query budget of N evaluations")
 * @throws RangeError when `capacity` is not an integer ≥ 0, `rotation` not an integer, or `scansPerDay` < 1.
 */
export function planCoverage(
  candidates: Experiment[],
  now: Date,
  opts: { capacity: number; rotation: number; scansPerDay?: number; flagged?: ReadonlySet<number>; why?: string },
): CoveragePlan {
  const { capacity, rotation } = opts;
  const scansPerDay = opts.scansPerDay ?? 1;
  if (!Number.isInteger(capacity) || capacity < 0) throw new RangeError(`capacity must be an integer >= 0, got ${capacity}`);
  if (!Number.isInteger(rotation)) throw new RangeError(`rotation must be an integer, got ${rotation}`);
  if (!Number.isInteger(scansPerDay) || scansPerDay < 1) throw new RangeError(`scansPerDay must be an integer >= 1, got ${scansPerDay}`);
  const flagged = opts.flagged ?? new Set<number>();
  const ranked = candidates.map((experiment) => ({ experiment, risk: riskOf(experiment, now, flagged) }));
  const risky = ranked
    .filter((r) => r.risk.tier < 3)
    .sort(
      (a, b) =>
        a.risk.tier - b.risk.tier ||
        (b.experiment.startDate ?? "").localeCompare(a.experiment.startDate ?? "") ||
        a.experiment.id - b.experiment.id,
    );
  const routine = ranked.filter((r) => r.risk.tier === 3).sort((a, b) => a.experiment.id - b.experiment.id);
  const day = Math.floor(rotation / scansPerDay);
  const slot = ((rotation % scansPerDay) + scansPerDay) % scansPerDay;
  const dayCapacity = capacity * scansPerDay;
  const routineSlots = Math.max(0, dayCapacity - risky.length);
  if (routine.length > 0 && routineSlots > 0 && routineSlots < routine.length) {
    const n = routine.length;
    const offset = (((day * routineSlots) % n) + n) % n;
    routine.push(...routine.splice(0, offset));
  }
  const order = [...risky, ...routine];
  const n = order.length;
  const today = order.slice(0, Math.min(n, dayCapacity));
  const watch: CoveragePlan["watch"] = [];
  if (n > 0) {
    const from = slot * capacity;
    const take = Math.min(capacity, n);
    for (let i = 0; i < take; i++) {
      const j = dayCapacity >= n ? (from + i) % n : from + i;
      if (j >= today.length) break;
      watch.push(order[j]!);
    }
  }
  const why = opts.why ?? `over the day's PostHog query budget of ${dayCapacity} evaluations`;
  const skipped = order.slice(today.length).map((r) => ({ id: r.experiment.id, reason: `${why} (${r.risk.reason}; rotates in on a later day)` }));
  return { watch, skipped, deferred: today.length - watch.length };
}

/**
 * Daily coverage of `running` candidates when scans run every `intervalHours` hours with the budget:
 * evaluations a day (capped by what is needed), the fraction 0–1 of candidates checked at least once a
 * day, and how many are left out each day.
 */
export function dailyCoverage(running: number, budget: ScanBudget = DEFAULT_SCAN_BUDGET, intervalHours = 24) {
  const perScan = evaluationsWithin(budget, intervalHours);
  const scansPerDay = Math.max(1, Math.floor(24 / intervalHours));
  const capacity = perScan * scansPerDay;
  const evaluations = Math.min(capacity, running * scansPerDay);
  const covered = Math.min(running, capacity);
  return { perScan, scansPerDay, capacityPerDay: capacity, evaluationsPerDay: evaluations, coverage: running === 0 ? 1 : covered / running, skippedPerDay: running - covered };
}
