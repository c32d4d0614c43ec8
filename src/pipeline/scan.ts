/**
 * One scheduled scan: for each repository whose config enables reports, find the experiments it is
 * responsible for, run the detectors and make its hygiene issues converge (open, update, close, reopen).
 * Used by the server's scheduler, the authenticated trigger route and `experiment-hygiene scan`.
 *
 * PostHog is loaded once per scan (lazily, at the first repository that enables reports); each repository
 * costs a config read, a tarball download (scope `referenced`), an issue listing and the writes.
 */
import type { API as ConfigApi } from "@probot/octokit-plugin-config";
import { CONFIG_PATH, formatProblem, type ConfigProblem, type ConfigResult } from "../config/load.js";
import { DEFAULT_CONFIG, type Config } from "../config/schema.js";
import type { Finding } from "../detectors/index.js";
import { ConfigReadError, loadRepoConfig } from "../github/repo-config.js";
import { listManagedIssues, reconcileIssues, type PlannedAction } from "../github/issues.js";
import { findDashboard } from "../github/dashboard.js";
import { codeUrl, scanRepository } from "./repository-scan.js";
import type { GitHubClient, Logger, RepoRef } from "../github/types.js";
import { silentLogger } from "../github/types.js";
import type { FindingCapture } from "../posthog/capture.js";
import type { PostHogApi } from "../posthog/index.js";
import { loadProjectState, type LoadedProject } from "./project-state.js";
import { mergeLiftHistories, parseLiftHistory } from "./lift-history.js";
import { parseDashboardKeys, parseMemory, planRepositoryIssues } from "./scan-plan.js";
import { parseAcknowledgements } from "./acknowledgements.js";
import { parseCodeChanges } from "./code-changes.js";
import { DeadlineExceededError, withDeadline } from "../deadline.js";
import { parseAutopilotKey, type AutopilotAction } from "../autopilot/rules.js";
import { autopilotActive, evaluateAutopilot, runAutopilotActions } from "./autopilot.js";
import { guardOctokit } from "../github/deadline.js";
import { experimentUrl } from "../render/links.js";
import { parseRecordStore, type RecordStore } from "../render/decision-record.js";
import {
  dashboardRecordsSection,
  recordAutopilotActions,
  recordConcludedExperiments,
  type AutopilotRecordResult,
  type RecordTarget,
  type ScanRecordsResult,
} from "./records.js";

/** An Octokit with REST methods and @probot/octokit-plugin-config (Probot's has it built in). */
export type ScanOctokit = GitHubClient & ConfigApi;

/** One repository to scan. */
export interface ScanTarget {
  octokit: ScanOctokit;
  repo: RepoRef;
}

/** Options of {@link runScan}. */
export interface ScanOptions {
  posthog: PostHogApi;
  now: Date;
  /** The app's login (`<slug>[bot]`, or `github-actions[bot]` under Actions): only its issues are touched. */
  botLogin: string;
  /** Plan only: no issue is written. */
  dryRun?: boolean;
  /** Web URL of GitHub for code links (default `https://github.com`). */
  serverUrl?: string;
  capture?: FindingCapture | null;
  watchCap?: number;
  callBudget?: number;
  /** Scans a day (24 / SCAN_INTERVAL_HOURS); the day's checks are split over them (`planCoverage`). Default 1. */
  scansPerDay?: number;
  /**
   * Deadline of one repository's work (config, tarball, issue listing, writes), ms. Past it the
   * repository is abandoned (its client refuses further requests, so nothing more is written), its
   * result gets an `error`, and the scan goes on with the next repository. Default: none.
   */
  repositoryDeadlineMs?: number;
  log?: Logger;
  /**
   * Whether the operator allows PostHog writes (`POSTHOG_ALLOW_WRITES`); the autopilot acts only then and
   * only where the repository opted in (`autopilot:`). Default false.
   */
  writesAllowed?: boolean;
  /**
   * Called after each autopilot write (applied or failed), after the scan wrote its decision record (when
   * `records.enabled`; see `RepositoryScanResult.autopilotRecords`).
   */
  onAutopilotAction?: (action: AutopilotAction, repository: string) => void | Promise<void>;
}

/** What the scan did in one repository. */
export interface RepositoryScanResult {
  repository: string;
  /** Why nothing was done (reports disabled, …), or null. */
  skipped: string | null;
  configProblems: ConfigProblem[];
  findings: Finding[];
  actions: PlannedAction[];
  /** Autopilot writes made in this repository (docs/autopilot.md). */
  autopilot: AutopilotAction[];
  /** Autopilot evaluations: experiment, step and why nothing was done. */
  autopilotEvaluations: { experimentId: number; step: string; notes: string[] }[];
  /** Decision records written or found, and holdout checkpoints fired (absent when records are off). */
  records?: ScanRecordsResult;
  /** Decision records of this scan's applied autopilot writes (absent when records are off or nothing was written). */
  autopilotRecords?: AutopilotRecordResult[];
  /** A failure confined to this repository (the scan went on with the others). */
  error: string | null;
}

/** The result of a scan. */
export interface ScanResult {
  repositories: RepositoryScanResult[];
  /** PostHog requests made (0 when no repository enabled reports). */
  posthogRequests: number;
  watched: number;
}

/**
 * Read `.github/experiment-hygiene.yml` (default branch, org `.github` fallback, `_extends`; see
 * `src/github/repo-config.ts`), key by key. Never throws: a file GitHub would not return is a fatal problem.
 *
 * @param webBase GitHub's web origin for links in the problems (`https://github.com`).
 */
export async function readRepositoryConfig(octokit: ScanOctokit, repo: RepoRef, webBase?: string): Promise<ConfigResult> {
  try {
    return await loadRepoConfig(octokit, repo, { webBase: webBase ?? null });
  } catch (err) {
    if (!(err instanceof ConfigReadError)) throw err;
    return { config: DEFAULT_CONFIG, problems: [{ key: "(file)", message: err.message, file: CONFIG_PATH }], fatal: true };
  }
}

/**
 * Scan repositories one after the other.
 *
 * @throws PostHogError subclasses when PostHog cannot be loaded (nothing is written then); GitHub errors
 *   are confined to their repository and reported in its result.
 */
export async function runScan(targets: AsyncIterable<ScanTarget> | Iterable<ScanTarget>, opts: ScanOptions): Promise<ScanResult> {
  const log = opts.log ?? silentLogger;
  let project: LoadedProject | null = null;
  const results: RepositoryScanResult[] = [];
  for await (const target of targets) {
    const name = `${target.repo.owner}/${target.repo.repo}`;
    const result: RepositoryScanResult = {
      repository: name,
      skipped: null,
      configProblems: [],
      findings: [],
      actions: [],
      autopilot: [],
      autopilotEvaluations: [],
      error: null,
    };
    results.push(result);
    const { config, problems, fatal } = await readRepositoryConfig(target.octokit, target.repo, opts.serverUrl ?? "https://github.com");
    result.configProblems = problems;
    if (problems.length > 0) {
      log.warn(
        { repository: name, problems: problems.map(formatProblem) },
        fatal ? "unreadable .github/experiment-hygiene.yml; repository skipped" : "problems in .github/experiment-hygiene.yml; those keys use their defaults",
      );
    }
    if (!config.enabled || (!fatal && !config.reports.enabled)) {
      result.skipped = "reports are not enabled in .github/experiment-hygiene.yml";
      continue;
    }
    if (fatal) {
      result.skipped = ".github/experiment-hygiene.yml cannot be read (see the config problems); reports resume once it can";
      continue;
    }
    project ??= await loadProjectState(opts.posthog, {
      now: opts.now,
      decision: config.decision,
      maxDataAgeHours: config.max_data_age_hours,
      log,
      ...(opts.watchCap !== undefined ? { watchCap: opts.watchCap } : {}),
      ...(opts.callBudget !== undefined ? { callBudget: opts.callBudget } : {}),
      ...(opts.scansPerDay !== undefined ? { scansPerDay: opts.scansPerDay } : {}),
    });
    const loaded = project;
    try {
      const deadlineMs = opts.repositoryDeadlineMs;
      if (deadlineMs === undefined) {
        await scanOneRepository(target, config, loaded, opts, result, log);
      } else {
        await withDeadline(deadlineMs, `scan of ${name}`, (signal) =>
          scanOneRepository({ ...target, octokit: guardOctokit(target.octokit, signal) }, config, loaded, opts, result, log),
        );
      }
    } catch (err) {
      result.error = (err as Error).message;
      if (err instanceof DeadlineExceededError) {
        log.error({ repository: name, deadline_ms: err.deadlineMs, setting: "SCAN_REPOSITORY_DEADLINE_MS" }, "scan of repository abandoned at its deadline");
      } else {
        log.error({ repository: name, err: result.error }, "scan of repository failed");
      }
    }
  }
  return { repositories: results, posthogRequests: project?.requests ?? 0, watched: project?.watched.size ?? 0 };
}

async function scanOneRepository(
  target: ScanTarget,
  config: Config,
  project: LoadedProject,
  opts: ScanOptions,
  result: RepositoryScanResult,
  log: Logger,
): Promise<void> {
  const { octokit, repo } = target;
  const label = config.reports.labels[0] ?? "experiment-hygiene";
  let scopeFlagKeys: Set<string> | null = null;
  let codeReferences: Map<string, { file: string; line: number }[]> | undefined;
  let codeLink: ((ref: { file: string; line: number }) => string | null) | undefined;
  let scanRef: string | null = null;
  if (config.reports.scope === "referenced") {
    const scan = await scanRepository(octokit, repo, project.state.flags.map((f) => f.key), {
      ignorePaths: config.ignore_paths,
      log,
    });
    scopeFlagKeys = new Set(scan.byFlag.keys());
    codeReferences = new Map([...scan.byFlag].map(([k, refs]) => [k, refs.map((r) => ({ file: r.file, line: r.line }))]));
    const ref = scan.sha ?? scan.ref;
    scanRef = scan.ref;
    codeLink = (r) => codeUrl(opts.serverUrl ?? "https://github.com", repo, ref, { flagKey: "", file: r.file, line: r.line });
  }
  const managed = await listManagedIssues(octokit, repo, opts.botLogin, label);
  const dashboard = findDashboard(managed);
  let records: string | undefined;
  let recordsAt: { target: RecordTarget; store: RecordStore } | null = null;
  if (config.records.enabled && opts.dryRun !== true) {
    const store = parseRecordStore(dashboard?.body);
    const links = (id: number) => ({ experimentUrl: experimentUrl(project.host, project.projectId, id) });
    let base: Promise<string> | null = scanRef === null ? null : Promise.resolve(scanRef);
    const defaultBranch = () => (base ??= octokit.rest.repos.get({ owner: repo.owner, repo: repo.repo }).then((r) => r.data.default_branch));
    const recordTarget: RecordTarget = { octokit, repo, config, base: defaultBranch, botLogin: opts.botLogin, links, log };
    recordsAt = { target: recordTarget, store };
    try {
      result.records = await recordConcludedExperiments(
        recordTarget,
        store,
        {
          posthog: opts.posthog,
          now: opts.now,
          experiments: project.state.experiments.filter((e) => scopeFlagKeys === null || scopeFlagKeys.has(e.flagKey)),
        },
      );
    } catch (err) {
      // Records are retried by the next scan; what was written so far is in the store, and the issues
      // still converge.
      if (err instanceof DeadlineExceededError) throw err;
      log.error({ repository: result.repository, err: (err as Error).message }, "decision records failed; the next scan retries");
    }
    records = dashboardRecordsSection(store, links, config.records.holdout_checkpoints_days) || undefined;
  }
  const plan = planRepositoryIssues({
    project,
    scopeFlagKeys,
    ...(records ? { records } : {}),
    memory: parseMemory(dashboard?.body),
    acknowledgements: parseAcknowledgements(dashboard?.body),
    liftHistory: mergeLiftHistories(managed.filter((i) => i.open).map((i) => parseLiftHistory(i.body))),
    codeChanges: parseCodeChanges(dashboard?.body),
    reports: config.reports,
    ...(codeReferences ? { codeReferences } : {}),
    ...(codeLink ? { codeUrl: codeLink } : {}),
  });
  result.findings = plan.findings;
  const autopilot = await evaluateAutopilot({
    config,
    project,
    posthog: opts.posthog,
    writesAllowed: opts.writesAllowed === true,
    inScope: (e) => scopeFlagKeys === null || scopeFlagKeys.has(e.flagKey),
    findings: [...plan.findings, ...plan.acknowledged],
    acknowledgements: plan.acknowledgements,
    managed,
    labels: config.reports.labels,
    log,
  });
  result.autopilotEvaluations = autopilot.evaluations.map((e) => ({ experimentId: e.experimentId, step: e.step, notes: e.notes }));
  result.actions = await reconcileIssues(octokit, repo, [...plan.desired, ...autopilot.desired], {
    botLogin: opts.botLogin,
    label,
    now: opts.now,
    reopenAfterDays: config.reports.reopen_after_days,
    inScope: plan.inScope,
    closeReason: (key) => (parseAutopilotKey(key) !== null ? autopilotCloseReason(key, plan, config, opts) : plan.closeReason(key)),
    closeComment: (key) => (parseAutopilotKey(key) !== null ? null : plan.closeComment(key)),
    dryRun: opts.dryRun === true,
    listed: managed,
    log,
  });
  if (!opts.dryRun && autopilot.evaluations.length > 0) {
    result.autopilot = await runAutopilotActions({
      octokit,
      repo,
      posthog: opts.posthog,
      botLogin: opts.botLogin,
      config,
      now: opts.now,
      evaluations: autopilot.evaluations,
      actions: result.actions,
      capture: opts.capture ?? null,
      log,
    });
    if (recordsAt && result.autopilot.length > 0) {
      // Like a confirmed `/experiment rollback`: one decision record per applied write, naming the autopilot.
      const evaluated = new Map(autopilot.evaluations.map((e) => [e.experimentId, { experiment: e.experiment, decision: e.decision }]));
      result.autopilotRecords = await recordAutopilotActions(recordsAt.target, recordsAt.store, result.autopilot, evaluated, {
        labels: config.reports.labels,
        now: opts.now,
      });
    }
    for (const action of result.autopilot) {
      try {
        await opts.onAutopilotAction?.(action, result.repository);
      } catch (err) {
        log.error({ experiment_id: action.experimentId, err: (err as Error).message }, "autopilot action listener failed");
      }
    }
  }
  if (opts.capture && !opts.dryRun) {
    const byKey = new Map(plan.findings.map((f) => [f.dedupeKey, f]));
    const fresh = result.actions
      .filter((a) => a.action === "create" || a.action === "reopen")
      .flatMap((a): { finding: Finding; action: string; repository: string }[] => {
        const f = byKey.get(a.dedupeKey);
        return f ? [{ finding: f, action: a.action, repository: result.repository }] : [];
      });
    // Lifecycle findings live in the dashboard: new ones are those its previous body did not list.
    const known = parseDashboardKeys(dashboard?.body);
    for (const f of plan.findings) {
      if (f.severity === "P3" && !known.has(f.dedupeKey)) fresh.push({ finding: f, action: "dashboard", repository: result.repository });
    }
    opts.capture.capture(fresh);
  }
  log.info(
    { repository: result.repository, findings: plan.findings.length, actions: summarize(result.actions) },
    "hygiene issues reconciled",
  );
}

/** Why an autopilot issue closes: the experiment ended or left scope, else the condition cleared. */
function autopilotCloseReason(key: string, plan: ReturnType<typeof planRepositoryIssues>, config: Config, opts: ScanOptions): string {
  const base = plan.closeReason(key);
  if (base) return base;
  if (!autopilotActive(config, opts.writesAllowed === true)) {
    return "autopilot is not active here any more (autopilot is off in .github/experiment-hygiene.yml, or the operator does not allow PostHog writes); nothing will be done automatically";
  }
  return "the condition no longer holds, or something now holds autopilot back (an open validity finding, `/experiment autopilot off`, an acknowledgement); nothing will be done automatically unless it is seen and announced again";
}

function summarize(actions: PlannedAction[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const a of actions) out[a.action] = (out[a.action] ?? 0) + 1;
  return out;
}
