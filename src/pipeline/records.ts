/**
 * Decision records and holdout checkpoints, orchestrated: given a {@link Conclusion} (a confirmed
 * `/experiment promote|rollback`, the autopilot, or a conclusion a scan noticed in PostHog), write exactly
 * one record — a pull request adding `<records.path>/<id>-<slug>.md` and updating the index, or an entry in
 * the dashboard's records store — and, on later scans, the holdout checkpoints of shipped experiments.
 *
 * Idempotency without a database: a record exists when the dashboard's store lists the experiment, when a
 * pull request from `experiment-hygiene/record-<id>` exists in any state, or when a file `<id>-*.md` is in
 * the folder on the default branch. Each checkpoint fires once (the store keeps the fired days; comments on
 * the record's pull request carry a marker and are posted once).
 */
import type { AutopilotAction } from "../autopilot/rules.js";
import type { Config } from "../config/schema.js";
import type { Decision } from "../decision/index.js";
import {
  commentOnce,
  commitToBranch,
  findRecordPullRequest,
  listFolder,
  openRecordPullRequest,
  readFile,
  RecordPermissionError,
} from "../github/decision-record.js";
import { findDashboard } from "../github/dashboard.js";
import { listManagedIssues, renderIssueBody, type ManagedIssue } from "../github/issues.js";
import type { GitHubClient, Logger, RepoRef } from "../github/types.js";
import type { Experiment } from "../model.js";
import type { PostHogApi } from "../posthog/index.js";
import {
  checkpointMarker,
  indexEntryOf,
  parseDecisionRecord,
  parseRecordIndex,
  parseRecordStore,
  renderCheckpointComment,
  renderDashboardRecords,
  renderDecisionRecord,
  renderRecordIndex,
  type RecordLinks,
  type RecordStore,
} from "../render/decision-record.js";
import { escapeMarkdown } from "../render/markdown.js";
import {
  conclusionFromPosthog,
  dueCheckpoints,
  evaluateCheckpoint,
  indexPath,
  isConcluded,
  recordBranch,
  recordPath,
  shippedVariantOf,
  summarizeRecord,
  type Conclusion,
  type RecordSummary,
} from "../records/record.js";
import { decide } from "../decision/index.js";
import { DeadlineExceededError } from "../deadline.js";
import { metricsToQuery } from "./pull-request.js";

/** Where the records go and who writes them. */
export interface RecordTarget {
  octokit: GitHubClient;
  repo: RepoRef;
  config: Config;
  /** The repository's default branch (the pull request's base), asked for only when a record needs it. */
  base: () => Promise<string>;
  botLogin: string;
  links: (experimentId: number) => RecordLinks;
  log: Logger;
}

/** What {@link writeDecisionRecord} did. */
export type RecordOutcome =
  | { kind: "disabled" }
  | { kind: "exists"; pullRequest: number | null }
  | { kind: "pull_request"; pullRequest: number }
  | { kind: "dashboard"; note: string | null };

/**
 * Writes one decision record for a conclusion, unless one exists. Updates `store` (the dashboard's records
 * store) in place; the caller saves it (the scan through the dashboard it reconciles, chat-ops with
 * {@link saveRecordStore}).
 *
 * @param experiment the experiment at conclusion (detail, with metrics)
 * @param decision `decide()` on its data at conclusion, or null when it could not be decided
 * @param opts `lookedUp`: the caller already found no record in the repository (saves the lookup)
 * @throws Octokit's RequestError when GitHub fails other than with a 403 (a 403 falls back to the dashboard)
 */
export async function writeDecisionRecord(
  target: RecordTarget,
  store: RecordStore,
  experiment: Experiment,
  decision: Decision | null,
  conclusion: Conclusion,
  opts: { lookedUp?: boolean } = {},
): Promise<RecordOutcome> {
  const cfg = target.config.records;
  if (!cfg.enabled) return { kind: "disabled" };
  const known = store.get(experiment.id);
  if (known) return { kind: "exists", pullRequest: known.pullRequest };
  const summary = summarizeRecord(experiment, decision, conclusion);
  if (cfg.mode === "dashboard") {
    store.set(experiment.id, { summary, pullRequest: null, note: null });
    return { kind: "dashboard", note: null };
  }
  const existing = opts.lookedUp === true ? null : await findExistingRecord(target, experiment);
  if (existing) {
    store.set(experiment.id, { summary: existing.summary ?? summary, pullRequest: existing.pullRequest, note: null });
    return { kind: "exists", pullRequest: existing.pullRequest };
  }
  const path = recordPath(cfg.path, experiment.id, experiment.name);
  const index = indexPath(cfg.path);
  try {
    const entries = parseRecordIndex(await readFile(target.octokit, target.repo, index, await target.base()));
    const file = path.slice(path.lastIndexOf("/") + 1);
    const number = await openRecordPullRequest(target.octokit, target.repo, {
      base: await target.base(),
      branch: recordBranch(experiment.id),
      files: [
        { path, content: renderDecisionRecord(summary, target.links(experiment.id), cfg.holdout_checkpoints_days) },
        { path: index, content: renderRecordIndex([...entries, indexEntryOf(summary, file)]) },
      ],
      message: `Decision record: experiment ${experiment.id}`,
      title: `Decision record: ${oneLine(experiment.name)} (experiment ${experiment.id})`,
      body:
        `Adds the decision record of ${escapeMarkdown(experiment.name)} (PostHog experiment ${experiment.id}) to \`${path}\` and lists it in \`${index}\`.\n\n` +
        "Written by experiment-hygiene when the experiment concluded; review and merge to keep what the team learned in git. " +
        "Holdout checkpoints, if any, arrive as follow-up commits while this pull request is open, and as comments after.\n",
    });
    store.set(experiment.id, { summary, pullRequest: number, note: null });
    target.log.info({ experiment_id: experiment.id, pull_request: number }, "decision record pull request opened");
    return { kind: "pull_request", pullRequest: number };
  } catch (err) {
    if (!(err instanceof RecordPermissionError)) throw err;
    const note = `The record is kept here because GitHub refused the pull request (${err.status}): grant the app contents: write and pull_requests: write, or set records.mode: dashboard.`;
    target.log.warn({ experiment_id: experiment.id, status: err.status }, "decision record pull request refused; kept on the dashboard");
    store.set(experiment.id, { summary, pullRequest: null, note });
    return { kind: "dashboard", note };
  }
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim().slice(0, 200);
}

/**
 * A record already in the repository: its pull request in any state (the record is read from the pull
 * request's head commit), else a file `<id>-*.md` in the folder on the default branch.
 */
async function findExistingRecord(
  target: RecordTarget,
  experiment: Pick<Experiment, "id" | "name">,
): Promise<{ pullRequest: number | null; summary: RecordSummary | null } | null> {
  const pr = await findRecordPullRequest(target.octokit, target.repo, recordBranch(experiment.id));
  const folder = target.config.records.path.replace(/\/+$/, "");
  if (pr) {
    const text = await readFile(target.octokit, target.repo, recordPath(folder, experiment.id, experiment.name), pr.headSha);
    return { pullRequest: pr.number, summary: parseDecisionRecord(text) };
  }
  const names = await listFolder(target.octokit, target.repo, folder, await target.base());
  const name = names.find((n) => n.startsWith(`${experiment.id}-`) && n.endsWith(".md"));
  if (!name) return null;
  return { pullRequest: null, summary: parseDecisionRecord(await readFile(target.octokit, target.repo, `${folder}/${name}`, await target.base())) };
}

/** Options of {@link recordConcludedExperiments}. */
export interface ScanRecordsOptions {
  posthog: PostHogApi;
  now: Date;
  /** The experiments of the loaded project in the repository's scope. */
  experiments: Experiment[];
  /** At most this many new records per scan (each costs PostHog queries); default 5. */
  maxNewRecords?: number;
}

/** What a scan did about records. */
export interface ScanRecordsResult {
  /** Experiment ids and what happened to each. */
  records: { experimentId: number; outcome: RecordOutcome }[];
  /** Checkpoints that fired: experiment id, day. */
  checkpoints: { experimentId: number; days: number; verdict: string }[];
}

/**
 * The scan's part: (1) every experiment in scope that PostHog says concluded within `records.lookback_days`
 * and has no record gets one (decided by PostHog's conclusion; the data is analysed with the same
 * `analyzeExperiment` + `decide()` as the PR comment); (2) every recorded shipped experiment with a holdout
 * gets its due checkpoints (shipped arm vs `holdout-<id>` arm of the primary metric's `ExperimentQuery`),
 * written to the record's open pull request as a follow-up commit, or as a comment on a merged or closed
 * one, and to the store (the dashboard).
 *
 * @throws PostHog and GitHub errors (the scan confines them to the repository)
 */
export async function recordConcludedExperiments(target: RecordTarget, store: RecordStore, opts: ScanRecordsOptions): Promise<ScanRecordsResult> {
  const cfg = target.config.records;
  const out: ScanRecordsResult = { records: [], checkpoints: [] };
  if (!cfg.enabled) return out;
  const since = opts.now.getTime() - cfg.lookback_days * 86_400_000;
  const candidates = opts.experiments
    .filter((e) => isConcluded(e) && !store.has(e.id))
    .filter((e) => (e.endDate === null ? true : Date.parse(e.endDate) >= since))
    .sort((a, b) => a.id - b.id)
    .slice(0, opts.maxNewRecords ?? 5);
  for (const listed of candidates) {
    if (cfg.mode === "pull_request") {
      const existing = await findExistingRecord(target, listed);
      if (existing) {
        const report = existing.summary ? null : await analyzeForRecord(opts.posthog, listed, target.config, opts.now, target.log);
        const summary =
          existing.summary ?? summarizeRecord(report!.experiment, report!.decision, conclusionFromPosthog(report!.experiment, opts.now));
        store.set(listed.id, { summary, pullRequest: existing.pullRequest, note: null });
        out.records.push({ experimentId: listed.id, outcome: { kind: "exists", pullRequest: existing.pullRequest } });
        continue;
      }
    }
    const report = await analyzeForRecord(opts.posthog, listed, target.config, opts.now, target.log);
    const outcome = await writeDecisionRecord(
      target,
      store,
      report.experiment,
      report.decision,
      conclusionFromPosthog(report.experiment, opts.now),
      { lookedUp: true },
    );
    out.records.push({ experimentId: listed.id, outcome });
  }
  for (const entry of [...store.values()].sort((a, b) => a.summary.experimentId - b.summary.experimentId)) {
    const due = dueCheckpoints(entry.summary, cfg.holdout_checkpoints_days, opts.now);
    if (due.length === 0) continue;
    const experiment = await opts.posthog.getExperiment(entry.summary.experimentId);
    const metric = experiment.primaryMetrics.find((m) => m.uuid === entry.summary.primaryMetricUuid) ?? experiment.primaryMetrics[0];
    const result = metric ? await opts.posthog.getMetricResult(experiment, metric) : null;
    const tuning = experiment.recommendedSampleSize ?? target.config.decision.sequential_tuning_sample ?? target.config.decision.min_sample_per_variant * 2;
    const fired = due.map((days) => evaluateCheckpoint(entry.summary, days, result, { alpha: target.config.decision.alpha, tuningSampleSize: tuning, now: opts.now }));
    const summary: RecordSummary = { ...entry.summary, checkpoints: [...entry.summary.checkpoints, ...fired] };
    store.set(summary.experimentId, { ...entry, summary });
    for (const cp of fired) out.checkpoints.push({ experimentId: summary.experimentId, days: cp.days, verdict: cp.verdict });
    if (entry.pullRequest !== null && cfg.mode === "pull_request") {
      await publishCheckpoints(target, entry.pullRequest, summary, fired.map((c) => c.days));
    }
  }
  pruneRecordStore(store, cfg, opts.now);
  return out;
}

/** What {@link recordAutopilotActions} did for one autopilot write. */
export interface AutopilotRecordResult {
  experimentId: number;
  outcome: RecordOutcome | { kind: "failed"; error: string };
  /** The dashboard issue the store was saved into (outcome `dashboard`), else null. */
  dashboard: number | null;
}

/**
 * The decision records of the autopilot's writes in one scan, as a confirmed `/experiment rollback|promote`
 * writes one: `decidedBy: {kind: "autopilot", action, rule}` where `rule` is the decision rule that fired
 * (`decide()`'s first reason, e.g. `guardrail-regression`; `autopilot.expire_after_days` for an expiry).
 * Only applied writes get a record (a failed write did not conclude the experiment; if it went through
 * after all, the next scan records the conclusion PostHog then shows). A record kept on the dashboard is
 * saved there at once with {@link saveRecordStore} (the issues were already reconciled in this scan).
 * Throws only the repository's DeadlineExceededError: any other failure of one record is logged and returned, and the next scan records the experiment
 * from PostHog's conclusion (the autopilot writes one).
 *
 * @param actions the scan's autopilot writes ({@link AutopilotAction}, ISO `at`)
 * @param evaluated per experiment id, the experiment and `decide()` the autopilot acted on
 */
export async function recordAutopilotActions(
  target: RecordTarget,
  store: RecordStore,
  actions: readonly AutopilotAction[],
  evaluated: ReadonlyMap<number, { experiment: Experiment; decision: Decision | null }>,
  opts: { labels: string[]; now: Date },
): Promise<AutopilotRecordResult[]> {
  const out: AutopilotRecordResult[] = [];
  if (!target.config.records.enabled) return out;
  for (const action of actions) {
    if (action.outcome !== "applied") continue;
    const seen = evaluated.get(action.experimentId);
    if (!seen) continue;
    const rule = action.kind === "expire" ? "autopilot.expire_after_days" : (seen.decision?.reasons[0]?.rule ?? null);
    try {
      const outcome = await writeDecisionRecord(
        target,
        store,
        { ...seen.experiment, endDate: seen.experiment.endDate ?? action.at },
        seen.decision,
        {
          experimentId: action.experimentId,
          decidedBy: { kind: "autopilot", action: action.kind, rule },
          shippedVariant: action.kind === "expire" ? null : action.variant,
          outcome: action.conclusion,
          at: action.at,
        },
      );
      const dashboard = outcome.kind === "dashboard" ? await saveRecordStore(target, store, opts) : null;
      out.push({ experimentId: action.experimentId, outcome, dashboard });
    } catch (err) {
      if (err instanceof DeadlineExceededError) throw err;
      const error = (err as Error).message;
      target.log.warn({ experiment_id: action.experimentId, err: error }, "decision record of the autopilot action not written; the next scan writes it");
      out.push({ experimentId: action.experimentId, outcome: { kind: "failed", error }, dashboard: null });
    }
  }
  return out;
}

/** Most entries the dashboard's store keeps (each is a few kilobytes of the issue's 65,536 characters). */
export const MAX_STORED_RECORDS = 40;

/**
 * Drops the oldest entries beyond {@link MAX_STORED_RECORDS}, but only those a scan will never need again:
 * concluded more than `lookback_days` ago (so not re-recorded) with no checkpoint left to fire.
 */
export function pruneRecordStore(store: RecordStore, cfg: Config["records"], now: Date): void {
  if (store.size <= MAX_STORED_RECORDS) return;
  const since = now.getTime() - cfg.lookback_days * 86_400_000;
  const far = new Date(now.getTime() + 100 * 365 * 86_400_000);
  const droppable = [...store.values()]
    .filter((e) => Date.parse(e.summary.conclusion.at) < since && dueCheckpoints(e.summary, cfg.holdout_checkpoints_days, far).length === 0)
    .sort((a, b) => a.summary.conclusion.at.localeCompare(b.summary.conclusion.at));
  for (const e of droppable.slice(0, store.size - MAX_STORED_RECORDS)) store.delete(e.summary.experimentId);
}

/**
 * The experiment's detail, exposures and metrics (primary and guardrails, {@link metricsToQuery}) and
 * `decide()` on them, as the PR comment does. A shipped experiment's flag serves one variant at 100 %
 * (PostHog's `ship_variant`), which no longer says how the experiment was split: its variants are then
 * analysed with the split unknown (every rollout 0, so every variant is counted and SRM is not re-judged).
 * A decision that cannot be made (malformed data) is null; the record says so.
 */
async function analyzeForRecord(
  posthog: PostHogApi,
  listed: Experiment,
  config: Config,
  now: Date,
  log: Logger,
): Promise<{ experiment: Experiment; decision: Decision | null }> {
  const experiment = await posthog.getExperiment(listed.id);
  const judged = shippedVariantOf(experiment) ? { ...experiment, variants: experiment.variants.map((v) => ({ ...v, rolloutPercentage: 0 })) } : experiment;
  const [exposures, ...results] = await Promise.all([
    posthog.getExposures(experiment).catch((err: unknown) => {
      log.warn({ experiment_id: experiment.id, err: (err as Error).message }, "exposures unavailable for the decision record");
      return null;
    }),
    ...metricsToQuery(experiment, config).map((m) => posthog.getMetricResult(experiment, m)),
  ]);
  try {
    return { experiment, decision: decide({ experiment: judged, exposures, metricResults: results, config: config.decision, now }) };
  } catch (err) {
    log.warn({ experiment_id: experiment.id, err: (err as Error).message }, "could not decide for the decision record");
    return { experiment, decision: null };
  }
}

/** Follow-up commit on the open record pull request, else one comment per checkpoint on it. */
async function publishCheckpoints(target: RecordTarget, pullRequest: number, summary: RecordSummary, days: number[]): Promise<void> {
  const { data: pr } = await target.octokit.rest.pulls.get({ ...target.repo, pull_number: pullRequest });
  const branch = recordBranch(summary.experimentId);
  if (pr.state === "open" && pr.head.ref === branch) {
    const path = recordPath(target.config.records.path, summary.experimentId, summary.name);
    await commitToBranch(target.octokit, target.repo, {
      branch,
      files: [{ path, content: renderDecisionRecord(summary, target.links(summary.experimentId), target.config.records.holdout_checkpoints_days) }],
      message: `Decision record: holdout checkpoint${days.length > 1 ? "s" : ""} day ${days.join(", ")} for experiment ${summary.experimentId}`,
    });
    return;
  }
  for (const d of days) {
    const cp = summary.checkpoints.find((c) => c.days === d)!;
    await commentOnce(target.octokit, target.repo, {
      issueNumber: pullRequest,
      botLogin: target.botLogin,
      markerText: checkpointMarker(summary.experimentId, d),
      body: renderCheckpointComment(summary, cp),
    });
  }
}

const SECTION_START = "<!-- experiment-hygiene:records-section -->";

/** The dashboard's records section with its start marker (empty for an empty store). */
export function dashboardRecordsSection(store: RecordStore, links: (id: number) => RecordLinks, days: readonly number[]): string {
  const section = renderDashboardRecords(store, links, days);
  return section ? `${SECTION_START}\n${section}` : "";
}

/**
 * Saves the store into the dashboard issue at once (chat-ops: a record kept on the dashboard must not wait
 * for the next scan): replaces the records section of the open dashboard, or creates the dashboard.
 *
 * @returns the dashboard issue's number
 * @throws Octokit's RequestError
 */
export async function saveRecordStore(
  target: RecordTarget,
  store: RecordStore,
  opts: { labels: string[]; now: Date; managed?: ManagedIssue[] },
): Promise<number> {
  const label = opts.labels[0] ?? "experiment-hygiene";
  const managed = opts.managed ?? (await listManagedIssues(target.octokit, target.repo, target.botLogin, label));
  const dashboard = findDashboard(managed);
  const section = dashboardRecordsSection(store, target.links, target.config.records.holdout_checkpoints_days);
  if (dashboard) {
    const start = dashboard.body.indexOf(SECTION_START);
    const stateAt = dashboard.body.indexOf("<!-- experiment-hygiene:state ");
    let body: string;
    if (start >= 0) {
      const endMarker = dashboard.body.indexOf(" -->", dashboard.body.indexOf("<!-- experiment-hygiene:records ", start));
      body = `${dashboard.body.slice(0, start)}${section}${dashboard.body.slice(endMarker + 4)}`;
    } else if (stateAt >= 0) {
      body = `${dashboard.body.slice(0, stateAt)}${section}\n${dashboard.body.slice(stateAt)}`;
    } else {
      body = `${dashboard.body.trimEnd()}\n${section}`;
    }
    await target.octokit.rest.issues.update({ ...target.repo, issue_number: dashboard.number, body });
    return dashboard.number;
  }
  const body = renderIssueBody(
    { dedupeKey: "dashboard", body: `No lifecycle findings yet.\n${section}` },
    { first_seen: opts.now.toISOString() },
  );
  const { data } = await target.octokit.rest.issues.create({
    ...target.repo,
    title: "Experiment hygiene dashboard",
    body,
    labels: [...new Set([...opts.labels, "dashboard"])],
  });
  return data.number;
}

/** The store in the current dashboard issue (empty when there is none), and the managed issues listed to find it. */
export async function loadRecordStore(target: RecordTarget, labels: string[]): Promise<{ store: RecordStore; managed: ManagedIssue[] }> {
  const managed = await listManagedIssues(target.octokit, target.repo, target.botLogin, labels[0] ?? "experiment-hygiene");
  const dashboard = findDashboard(managed);
  return { store: parseRecordStore(dashboard?.body), managed };
}
