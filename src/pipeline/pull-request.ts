/**
 * The pull-request pipeline, shared by the Probot app and the CLI:
 * changed lines → flag references → matched PostHog experiments → exposures and metric results →
 * decisions. It loads from PostHog through the `PostHogApi` adapter and runs the pure analysis core; it
 * renders nothing and writes nothing to GitHub.
 */
import type { Config } from "../config/schema.js";
import { decide, selectGuardrails, type Decision } from "../decision/index.js";
import { DEFAULT_DETECTOR_CONFIG, detectStall, type Finding } from "../detectors/index.js";
import type { Logger } from "../github/types.js";
import { silentLogger } from "../github/types.js";
import {
  createFlagMatcher,
  matchDiff,
  otherSdkCalls,
  type ChangedLine,
  type DiffMatches,
  type FlagMatcher,
  type FlagReference,
  type ReferenceIndex,
  type UnknownKey,
} from "../matching/index.js";
import { detectCodeThreats, type CodeThreat } from "../matching/threats.js";
import type { Experiment, ExposureResult, FeatureFlag, Metric, MetricResult } from "../model.js";
import { isOlderThan, type PostHogApi } from "../posthog/index.js";
import { PostHogQueryPendingError, PostHogSchemaError } from "../posthog/errors.js";
import { comparePosthogHealth, type PosthogHealthView } from "../detectors/posthog-health.js";

/** One matched experiment with everything the comment shows. */
export interface ExperimentReport {
  flagKey: string;
  experiment: Experiment;
  exposures: ExposureResult | null;
  /** Primary metric first, then guardrails. */
  metricResults: MetricResult[];
  decision: Decision | null;
  /** Set when PostHog's answer for this experiment could not be read; the message is for humans. */
  error: string | null;
  /** PostHog was still computing the exposures at the client's deadline (`exposures` is then null). */
  exposuresPending?: boolean;
  /** What PostHog itself flags about the experiment's health, and where it disagrees with the decision's SRM check. */
  posthogHealth?: PosthogHealthView;
  /**
   * The scan's exposure-stall finding for this experiment (`detectStall` with the default thresholds), or
   * null/absent when exposures are flowing. While set, no time-to-target estimate is shown.
   */
  stall?: Finding | null;
  /**
   * True when this PR removes every reference to the experiment's flag in its diff (the flag's status is
   * "removed") — with a running experiment, merging it stops exposures mid-run.
   */
  removesFlagCode?: boolean;
  /** Where the PR's diff references the experiment's flag (diff order); absent outside a PR. */
  references?: FlagReference[];
  /** The PostHog project the experiment lives in, when the PR spans several (`projects` in the config). */
  projectId?: string;
}

/** Options of {@link analyzeExperiment}. */
export interface AnalyzeExperimentOptions {
  /**
   * Recompute PostHog results older than this many hours (`max_data_age_hours`) before deciding; for
   * writes. Without it PostHog's cache (up to 24 h) is accepted and the comment shows the data's age.
   */
  maxDataAgeHours?: number;
}

/** A flag referenced by the PR. */
export interface FlagSummary {
  flagKey: string;
  status: "added-or-modified" | "removed";
  flag: FeatureFlag;
  /** Number of experiments on this flag that the report analyses. */
  experiments: number;
  /** The PostHog project the flag lives in, when the PR spans several (`projects` in the config). */
  projectId?: string;
}

/** The result of analysing one pull request. */
export interface PullRequestReport {
  posthog: { host: string; projectId: string };
  /** When the analysis ran (ISO 8601). */
  analyzedAt: string;
  matches: DiffMatches;
  flags: FlagSummary[];
  experiments: ExperimentReport[];
  unknownKeys: UnknownKey[];
  /** Experiments matched but not analysed because of `comment.max_experiments`. */
  omittedExperiments: number;
  /** Validity threats the change poses to experiments on the referenced flags (`src/matching/threats.ts`). */
  threats?: CodeThreat[];
  /** Every PostHog project analysed, when the PR spans several (`projects` in the config); else absent. */
  projects?: string[];
}

/** Inputs of {@link analyzePullRequest}. */
export interface AnalyzeInput {
  lines: ChangedLine[];
  posthog: PostHogApi;
  config: Config;
  now: Date;
  log?: Logger;
  /**
   * References of each flag key on the repository's default branch outside this PR's removed lines (a
   * repository index). Absent: unknown, and the diff alone decides whether the PR removes a flag's last
   * reference.
   */
  otherReferences?: ReadonlyMap<string, number>;
  /**
   * Loads the repository's reference index (definitions of flag constants and SDK calls per file on the
   * base branch), called at most once and only when the diff uses a constant in an SDK call's key slot that
   * the diff itself does not define, or removes every reference it shows to the flag of a running or paused
   * experiment (then, without `otherReferences`, they are computed from the index: `otherSdkCalls`). A
   * failure is logged and the analysis goes on without it.
   */
  loadReferenceIndex?: (matcher: FlagMatcher) => Promise<ReferenceIndex | null>;
}

/** Rank of an experiment's status on one flag: running 0, paused 1, stopped 2, draft 3 (lower first). */
export function experimentRank(e: Experiment): number {
  return { running: 0, paused: 1, stopped: 2, draft: 3 }[e.status];
}

/**
 * Order of the experiments on a flag, for `Array.prototype.sort`: by {@link experimentRank}, then the latest
 * start (or creation) first, then the highest id first.
 */
export function compareExperiments(a: Experiment, b: Experiment): number {
  return (
    experimentRank(a) - experimentRank(b) ||
    (b.startDate ?? b.createdAt ?? "").localeCompare(a.startDate ?? a.createdAt ?? "") ||
    b.id - a.id
  );
}

/**
 * Analyse a pull request's changed lines against a PostHog project.
 *
 * PostHog calls: feature flags (all pages), experiments (all pages), then per matched experiment its
 * detail, one `ExperimentExposureQuery` and one `ExperimentQuery` per primary/guardrail metric (the
 * client keeps at most 3 queries in flight). With a warm client cache (docs/budgets.md) the lists and
 * unchanged details cost no call and only the queries remain (one round trip, plus async polls).
 *
 * @throws PostHogError subclasses for outages, rate limits after the retry budget, bad keys or unknown
 *   projects — callers must then leave any existing comment untouched. A `PostHogSchemaError` on one
 *   experiment is recorded in that experiment's `error` instead.
 */
export async function analyzePullRequest(input: AnalyzeInput): Promise<PullRequestReport> {
  const { posthog, config, now } = input;
  const log = input.log ?? silentLogger;
  const flags = await posthog.listFeatureFlags();
  const matcher = createFlagMatcher(flags.map((f) => f.key));
  const unresolved = new Set<string>();
  let matches = matchDiff(input.lines, matcher, { ignorePaths: config.ignore_paths, onUnresolved: (e) => unresolved.add(e) });
  // The repository index is loaded at most once per analysis, and only when needed (PR events stay cheap).
  let indexLoad: Promise<ReferenceIndex | null> | null = null;
  const repositoryIndex = (why: string): Promise<ReferenceIndex | null> =>
    (indexLoad ??= (async () => {
      try {
        return (await input.loadReferenceIndex?.(matcher)) ?? null;
      } catch (err) {
        log.warn({ err: err instanceof Error ? err.message : String(err), why }, "repository reference index unavailable; the diff alone decides");
        return null;
      }
    })());
  if (unresolved.size > 0 && input.loadReferenceIndex) {
    // A constant defined outside the diff (`useFeatureFlagEnabled(FLAGS.NEW_CHECKOUT)`): ask the repository.
    const index = await repositoryIndex(`unresolved constants ${[...unresolved].slice(0, 5).join(", ")}`);
    if (index) matches = matchDiff(input.lines, matcher, { ignorePaths: config.ignore_paths, repositoryIndex: index });
  }
  const flagByKey = new Map(flags.map((f) => [f.key, f]));
  const referenced = matches.flags.filter((f) => flagByKey.has(f.flagKey));

  const base = {
    posthog: { host: posthog.host, projectId: posthog.projectId },
    analyzedAt: now.toISOString(),
    matches,
    unknownKeys: matches.unknownKeys,
  };
  if (referenced.length === 0) {
    return { ...base, flags: [], experiments: [], omittedExperiments: 0 };
  }

  const referencedKeys = new Set(referenced.map((f) => f.flagKey));
  const experiments = (await posthog.listExperiments())
    .filter((e) => referencedKeys.has(e.flagKey) && !e.archived)
    .sort(compareExperiments);
  const max = config.comment.max_experiments;
  const selected = experiments.slice(0, max);
  log.debug({ matched: experiments.length, analysed: selected.length }, "experiments matched by flag key");

  const removedKeys = new Set(referenced.filter((f) => f.status === "removed").map((f) => f.flagKey));
  let otherReferences = input.otherReferences;
  const removedLive = [...removedKeys].filter((k) => experiments.some((e) => e.flagKey === k && (e.status === "running" || e.status === "paused")));
  if (otherReferences === undefined && removedLive.length > 0 && input.loadReferenceIndex) {
    // The diff removes every reference it shows to a running experiment's flag: does other code on the base
    // branch still evaluate it? (issue 10 §2; the rule is `otherSdkCalls`)
    const index = await repositoryIndex(`removes references of ${removedLive.slice(0, 5).join(", ")}`);
    if (index?.sdkCalls) otherReferences = otherSdkCalls(index, matches.references, removedKeys);
  }
  const reports = await Promise.all(
    selected.map((summary) => analyzeExperiment(posthog, summary, config, now, log)),
  );
  const stillReferenced = (key: string) => (otherReferences?.get(key) ?? 0) > 0;
  for (const r of reports) {
    r.removesFlagCode = removedKeys.has(r.flagKey) && !stillReferenced(r.flagKey);
    r.references = matches.references.filter((m) => m.flagKey === r.flagKey);
  }
  // Most urgent first (investigate, roll back, promote, stop, extend, continue), then by flag key.
  reports.sort(
    (a, b) => urgency(a) - urgency(b) || a.flagKey.localeCompare(b.flagKey) || a.experiment.id - b.experiment.id,
  );

  const flagSummaries: FlagSummary[] = referenced.map((f) => ({
    flagKey: f.flagKey,
    status: f.status,
    flag: flagByKey.get(f.flagKey)!,
    experiments: reports.filter((r) => r.flagKey === f.flagKey).length,
  }));
  const detailed = experiments.map((e) => reports.find((r) => r.experiment.id === e.id)?.experiment ?? e);
  const threats = detectCodeThreats({
    lines: input.lines,
    matches,
    experiments: detailed,
    ...(otherReferences ? { otherReferences } : {}),
  });
  return {
    ...base,
    flags: flagSummaries,
    experiments: reports,
    omittedExperiments: experiments.length - selected.length,
    threats,
  };
}

const URGENCY = ["investigate", "rollback", "promote", "stop", "extend", "continue"];

/**
 * Sort key: a running experiment whose code the PR removes first, then experiments whose answer could not
 * be read, then by decision urgency.
 */
function urgency(r: ExperimentReport): number {
  if (r.removesFlagCode && r.experiment.status === "running") return -2;
  if (r.error) return -1;
  const i = URGENCY.indexOf(r.decision?.decision ?? "continue");
  return i < 0 ? URGENCY.length : i;
}

/**
 * The metrics the comment needs for an experiment: its first primary metric, then its guardrails
 * (`decision.guardrails`), without repeating the primary. One `ExperimentQuery` each.
 */
export function metricsToQuery(experiment: Experiment, config: Config): Metric[] {
  const primary = experiment.primaryMetrics[0];
  const guardrails = selectGuardrails(experiment, config.decision).filter((m) => m.uuid !== primary?.uuid);
  return primary ? [primary, ...guardrails] : guardrails;
}

/**
 * The scheduled scan's stall rule (`detectStall`, default thresholds: 48 h without an exposure after a
 * healthy baseline, or none 24 h after launch) applied to one experiment, so the PR comment and the scan
 * agree. A malformed date is logged and treated as "no stall known".
 */
function stallOf(experiment: Experiment, exposures: ExposureResult | null, now: Date, log: Logger): Finding | null {
  if (!exposures) return null;
  const data = {
    flag: experiment.flag,
    exposures,
    metricResults: null,
    flagActivity: null,
    experimentActivity: null,
    decision: null,
  };
  try {
    return detectStall(experiment, data, DEFAULT_DETECTOR_CONFIG, now);
  } catch (err) {
    log.warn({ experiment_id: experiment.id, err: (err as Error).message }, "stall check skipped");
    return null;
  }
}

/**
 * Loads one experiment's detail, its exposures and its metrics ({@link metricsToQuery}), and decides.
 * Used by the PR comment and by `/experiment status|analyze|promote|rollback`, so all agree.
 *
 * @param summary the experiment as listed (its id is what counts; the detail is fetched)
 * @returns the report; a `PostHogSchemaError` becomes the report's `error`
 * @throws other PostHogError subclasses (outage, rate limit, auth, 404)
 */
export async function analyzeExperiment(
  posthog: PostHogApi,
  summary: Experiment,
  config: Config,
  now: Date,
  log: Logger,
  opts: AnalyzeExperimentOptions = {},
): Promise<ExperimentReport> {
  const report: ExperimentReport = {
    flagKey: summary.flagKey,
    experiment: summary,
    exposures: null,
    metricResults: [],
    decision: null,
    error: null,
    stall: null,
  };
  try {
    // The list's `updated_at` validates a cached detail; a write (maxDataAgeHours) always reads PostHog.
    const experiment = await posthog.getExperiment(summary.id, {
      updatedAt: summary.updatedAt ?? null,
      ...(opts.maxDataAgeHours !== undefined ? { fresh: true } : {}),
    });
    report.experiment = experiment;
    if (experiment.status !== "draft") {
      const metrics = metricsToQuery(experiment, config);
      const fresh = opts.maxDataAgeHours !== undefined ? { maxAgeHours: opts.maxDataAgeHours, now } : {};
      const [exposures, ...results] = await Promise.all([
        posthog.getExposures(experiment, fresh).catch((err: unknown) => {
          if (!(err instanceof PostHogQueryPendingError)) throw err;
          log.info({ experiment_id: experiment.id, query_id: err.queryId }, "PostHog is still computing exposures");
          report.exposuresPending = true;
          return null;
        }),
        ...metrics.map((m) => posthog.getMetricResult(experiment, m, fresh)),
      ]);
      report.exposures = exposures ?? null;
      report.metricResults = results;
    }
    report.decision = decide({
      experiment,
      exposures: report.exposures,
      metricResults: report.metricResults,
      config: config.decision,
      now,
    });
    if (report.exposures) {
      const d = report.decision;
      const view = comparePosthogHealth(report.exposures, {
        srm: d.srm === null ? null : d.reasons.some((r) => r.rule === "srm"),
        srmReason:
          d.srm === null
            ? `it tests from ${config.decision.srm_min_exposures} exposures`
            : `its p = ${Number(d.srm.pValue.toPrecision(2))} is not below decision.srm_alpha ${config.decision.srm_alpha}`,
      });
      if (view.flags.length > 0 || view.disagreements.length > 0) report.posthogHealth = view;
    }
    report.stall = stallOf(experiment, report.exposures, now, log);
  } catch (err) {
    if (!(err instanceof PostHogSchemaError)) throw err;
    log.warn({ experiment_id: summary.id, err: err.message }, "unexpected PostHog response for experiment");
    report.error = `PostHog returned a response this app could not read (${err.message}).`;
  }
  return report;
}

/**
 * Why a report's PostHog data is not good enough for a write, or null when it is: PostHog is still
 * computing the exposures or a metric, or a result (exposures or metric, `last_refresh`) is more than
 * `maxDataAgeHours` hours before `now` even after {@link analyzeExperiment} asked for a refresh.
 *
 * @returns a plain-text sentence for the refusal, or null
 */
export function dataNotFreshEnough(report: ExperimentReport, maxDataAgeHours: number, now: Date): string | null {
  const pending = [
    ...(report.exposuresPending ? ["the exposures"] : []),
    ...report.metricResults.filter((r) => r.pending).map((r) => `metric "${r.metric.name}"`),
  ];
  if (pending.length > 0) {
    return `PostHog is still computing ${pending.join(", ")}; a change needs complete results. Try again in a few minutes.`;
  }
  const stale = [
    ...(report.exposures && isOlderThan(report.exposures.freshness, maxDataAgeHours, now) ? [report.exposures.freshness] : []),
    ...report.metricResults.filter((r) => isOlderThan(r.freshness, maxDataAgeHours, now)).map((r) => r.freshness),
  ];
  if (stale.length > 0) {
    const at = stale.map((f) => f?.computedAt ?? "an unknown time").sort()[0];
    return `PostHog's results are from ${at}, older than max_data_age_hours (${maxDataAgeHours} h), and a refresh did not return newer ones. Try again in a few minutes.`;
  }
  return null;
}
