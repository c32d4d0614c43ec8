/**
 * Loading one PostHog project's state for a scheduled scan, within PostHog's rate limits (posthog-api.md
 * §1: query API 3 concurrent and 240/min) and a per-scan call budget, triaged as PostHog's experiments
 * scout does (§10): a validity-watch set of running experiments launched within 90 days and more than
 * 24 hours ago, capped and rotated; older running experiments are judged as zombies without queries.
 */
import { decide } from "../decision/index.js";
import type { DetectorState } from "../detectors/index.js";
import { selectValidityWatch } from "../detectors/index.js";
import type { Logger } from "../github/types.js";
import { silentLogger } from "../github/types.js";
import type { ActivityEntry, Experiment, ExposureResult, MetricResult } from "../model.js";
import { PostHogQueryPendingError, type PostHogApi } from "../posthog/index.js";
import { DEFAULT_CONFIG, type DecisionConfig } from "../config/schema.js";
import { liftSnapshot, type LiftHistory } from "./lift-history.js";
import { planCoverage, type Risk } from "./scan-coverage.js";

/** Options of {@link loadProjectState}. */
export interface LoadProjectOptions {
  now: Date;
  /** Most experiments whose exposures, primary metric and flag activity are queried (default 10). */
  watchCap?: number;
  /** Rotation counter for a capped watch set, +1 per scan (default: the scan number of `now`, see `scansPerDay`). */
  rotation?: number;
  /**
   * Scans a day (`24 / SCAN_INTERVAL_HOURS`, default 1): the day's candidates, riskiest first, are split
   * over that many scans of `watchCap` each (`planCoverage`).
   */
  scansPerDay?: number;
  /**
   * Most PostHog requests this load may make (default 200). The list calls always run; watch-set
   * experiments that would exceed the budget are left out of this scan (and so out of scope).
   */
  callBudget?: number;
  /**
   * Ids of experiments with an open finding (previously flagged): checked before the rest
   * (`planCoverage`: previously flagged, recently launched, recently edited, then a rotation).
   */
  flagged?: ReadonlySet<number>;
  /** Decision thresholds used to compute each watched experiment's current decision. */
  decision?: DecisionConfig;
  /**
   * Exposure results older than this many hours are recomputed before the stall detector sees them
   * (`max_data_age_hours`, default {@link DEFAULT_CONFIG}'s 6). A watched experiment whose exposures PostHog
   * is still computing at the deadline is left without exposures this scan (no validity judgement).
   */
  maxDataAgeHours?: number;
  log?: Logger;
}

/** What a scan knows about the project. */
export interface LoadedProject {
  host: string;
  projectId: string;
  now: Date;
  /** Detector input; `decisions` is empty here — each repository adds its own memory. */
  state: DetectorState;
  /** Ids of experiments whose validity was checked this scan (exposures loaded). */
  watched: Set<number>;
  /** Current decision of each watched experiment (auto-decision rules on its primary metric). */
  currentDecisions: Map<number, string>;
  /**
   * This scan's evaluation of each watched experiment's primary metric: every variant's lift and always-valid
   * interval (`liftSnapshot`), recorded into the lift history; absent when built by hand.
   */
  currentLifts?: Map<number, LiftHistory>;
  /** Experiments skipped by triage or budget, with the reason. */
  skipped: { id: number; reason: string }[];
  /** Why each watched experiment was checked in its place (riskiest first). */
  watchRisk?: Map<number, Risk>;
  /** PostHog requests made. */
  requests: number;
}

const DAY_MS = 86_400_000;

/**
 * Load flags, experiments and, for the validity-watch set, each experiment's detail, exposures, primary
 * metric result and flag activity since its start.
 *
 * Calls: flags (all pages, plus the archived ones) and experiments lists (all pages), then 4 per watched
 * experiment (detail, exposure query, metric query, activity page), plus the polls of queries PostHog runs
 * asynchronously and a forced refresh of exposures older than `maxDataAgeHours`.
 *
 * @throws PostHogError subclasses from the client (a scan then reports nothing rather than half-truths).
 */
export async function loadProjectState(posthog: PostHogApi, opts: LoadProjectOptions): Promise<LoadedProject> {
  const log = opts.log ?? silentLogger;
  const now = opts.now;
  const start = posthog.requestCount;
  const budget = opts.callBudget ?? 200;
  // Archived flags too: stale-flag logic must find the flag of an ended experiment even once it is archived.
  const flags = await posthog.listFeatureFlags({ includeArchived: true });
  const listed = (await posthog.listExperiments()).filter((e) => !e.archived);
  // Every validity candidate (the scout's triage), then the riskiest first within this scan's capacity.
  const selection = selectValidityWatch(listed, now, { cap: listed.length, rotation: 0 });
  const skipped = [...selection.skipped];
  const perExperiment = 4;
  const remaining = Math.max(0, budget - (posthog.requestCount - start));
  const affordable = Math.floor(remaining / perExperiment);
  const cap = opts.watchCap ?? 10;
  const capacity = Math.min(cap, affordable);
  const plan = planCoverage(selection.watch, now, {
    capacity,
    rotation: opts.rotation ?? Math.floor((now.getTime() * (opts.scansPerDay ?? 1)) / DAY_MS),
    scansPerDay: opts.scansPerDay ?? 1,
    ...(opts.flagged ? { flagged: opts.flagged } : {}),
    why:
      affordable < cap
        ? `over the per-scan call budget (${budget} PostHog calls)`
        : `over the day's capacity of ${cap * (opts.scansPerDay ?? 1)} checks (SCAN_WATCH_CAP ${cap} × ${opts.scansPerDay ?? 1} scans)`,
  });
  const watch = plan.watch.map((w) => w.experiment);
  skipped.push(...plan.skipped);
  if (plan.skipped.length > 0) {
    log.warn(
      { checked: watch.length, skipped: plan.skipped.length, skipped_ids: plan.skipped.slice(0, 50).map((s) => s.id) },
      "scan could not check every running experiment within its PostHog budget; the riskiest were checked first",
    );
  }

  const exposures = new Map<number, ExposureResult>();
  const metricResults = new Map<number, MetricResult[]>();
  const flagActivity = new Map<number, ActivityEntry[]>();
  const currentDecisions = new Map<number, string>();
  const currentLifts = new Map<number, LiftHistory>();
  const details = new Map<number, Experiment>();
  await Promise.all(
    watch.map(async (summary) => {
      const e = await posthog.getExperiment(summary.id);
      details.set(e.id, e);
      const primary = e.primaryMetrics[0];
      const [exp, result, activity] = await Promise.all([
        posthog
          .getExposures(e, { maxAgeHours: opts.maxDataAgeHours ?? DEFAULT_CONFIG.max_data_age_hours, now })
          .catch((err: unknown) => {
            if (!(err instanceof PostHogQueryPendingError)) throw err;
            log.info({ experiment_id: e.id, query_id: err.queryId }, "PostHog is still computing exposures; no validity judgement this scan");
            return null;
          }),
        primary ? posthog.getMetricResult(e, primary) : Promise.resolve(null),
        e.flag ? posthog.getFlagActivity(e.flag.id, e.startDate ? { since: e.startDate } : {}) : Promise.resolve(null),
      ]);
      if (exp) exposures.set(e.id, exp);
      if (result) metricResults.set(e.id, [result]);
      if (activity && e.flag) flagActivity.set(e.flag.id, activity);
      try {
        const d = decide({
          experiment: e,
          exposures: exp,
          metricResults: result ? [result] : [],
          config: opts.decision ?? DEFAULT_CONFIG.decision,
          now,
        });
        currentDecisions.set(e.id, d.decision);
        const lift = liftSnapshot(d, now);
        if (lift) currentLifts.set(e.id, lift);
      } catch (err) {
        log.warn({ experiment_id: e.id, err: (err as Error).message }, "could not decide for watched experiment");
      }
    }),
  );
  const experiments = listed.map((e) => details.get(e.id) ?? e);
  log.info(
    { experiments: experiments.length, flags: flags.length, watched: watch.length, requests: posthog.requestCount - start },
    "loaded PostHog project for the scan",
  );
  return {
    host: posthog.host,
    projectId: posthog.projectId,
    now,
    state: { now, experiments, flags, exposures, metricResults, flagActivity, decisions: new Map() },
    watched: new Set(watch.map((e) => e.id)),
    currentDecisions,
    currentLifts,
    skipped,
    watchRisk: new Map(plan.watch.map((w) => [w.experiment.id, w.risk])),
    requests: posthog.requestCount - start,
  };
}
