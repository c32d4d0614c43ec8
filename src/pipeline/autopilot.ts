/**
 * The autopilot inside a scheduled scan (docs/autopilot.md): evaluate the repository's experiments with
 * fresh PostHog data, keep the two-evaluation state in each experiment's autopilot issue
 * (`experiment:<id>:autopilot`, made to converge by the same reconciler as the hygiene issues), announce
 * before acting, act once, and record what was sent. The rules are pure (src/autopilot/rules.ts); the
 * PostHog writes are the confirmed `/experiment rollback|promote` plan's (./execute-plan.ts).
 *
 * Exactly one write per announced condition, also with redelivered or overlapping scans:
 * 1. the state lives in the issue body; a redelivered scan at the same instant does not count as a second
 *    evaluation;
 * 2. before acting the issue is read again, and a finished state or an existing record comment stops it;
 * 3. the write is claimed with a 🚀 reaction by the app on the (oldest) announcement comment: GitHub answers
 *    `201 Created` to the first such reaction and `200 OK` to any repeat by the same user, so exactly one
 *    scan gets 201 and acts. A write that fails is recorded and not retried (it may have gone through).
 */
import type { Config } from "../config/schema.js";
import {
  autopilotBlockers,
  autopilotCondition,
  autopilotKey,
  autopilotStateMarker,
  nextAutopilotStep,
  parseAutopilotKey,
  parseAutopilotState,
  type AutopilotAction,
  type AutopilotCondition,
  type AutopilotState,
  type AutopilotStep,
} from "../autopilot/rules.js";
import type { Decision } from "../decision/index.js";
import type { Finding } from "../detectors/index.js";
import type { DesiredIssue, ManagedIssue, PlannedAction } from "../github/issues.js";
import type { GitHubClient, Logger, RepoRef } from "../github/types.js";
import type { Experiment } from "../model.js";
import type { FindingCapture } from "../posthog/capture.js";
import type { PostHogApi } from "../posthog/index.js";
import { autopilotIssueTitle, announcementMarker, recordMarker, renderAnnouncement, renderAutopilotIssue, renderRecord } from "../render/autopilot.js";
import { experimentUrl } from "../render/links.js";
import { replaceJsonMarker } from "../render/markdown.js";
import type { AcknowledgementStore } from "./acknowledgements.js";
import { executePlanSteps, stepRequest } from "./execute-plan.js";
import type { LoadedProject } from "./project-state.js";
import { analyzeExperiment, dataNotFreshEnough } from "./pull-request.js";

/** What one evaluation of one experiment concluded (for the result and the second phase). */
export interface AutopilotEvaluation {
  experimentId: number;
  experiment: Experiment;
  step: AutopilotStep["step"];
  state: AutopilotState | null;
  condition: AutopilotCondition | null;
  /** `decide()` on the evaluated data (the decision record of an action keeps it); null when not decided. */
  decision: Decision | null;
  /** Why nothing is done now (blockers, stale data, refusal); plain text. */
  notes: string[];
}

/** Inputs of {@link evaluateAutopilot}. */
export interface AutopilotInput {
  config: Config;
  project: LoadedProject;
  posthog: PostHogApi;
  /** `POSTHOG_ALLOW_WRITES` as the operator set it. */
  writesAllowed: boolean;
  /** Whether an experiment is this repository's (its scope). */
  inScope(e: Experiment): boolean;
  /** Every finding the scan detected, acknowledged ones included. */
  findings: Finding[];
  acknowledgements: AcknowledgementStore;
  /** The repository's managed issues as listed before reconciling. */
  managed: ManagedIssue[];
  labels: string[];
  log: Logger;
}

/** Whether autopilot is switched on at all for a repository (some action opted in and writes allowed). */
export function autopilotActive(config: Config, writesAllowed: boolean): boolean {
  const a = config.autopilot;
  return writesAllowed && (a.rollback || a.promote || a.expire);
}

function latestIssue(managed: ManagedIssue[], key: string): ManagedIssue | undefined {
  return managed.filter((i) => i.key === key).sort((a, b) => Number(b.open) - Number(a.open) || a.number - b.number)[0];
}

/**
 * Phase 1, before the reconciler: evaluate each running, watched, in-scope experiment (and each with a
 * pending state) on data no older than `max_data_age_hours` (forced refresh, as chat-ops writes), and
 * return the autopilot issues the repository should have.
 *
 * PostHog calls per evaluated experiment: detail, exposures, one query per primary/guardrail metric.
 * @throws PostHogError subclasses other than a schema error of one experiment (the scan reports it)
 */
export async function evaluateAutopilot(input: AutopilotInput): Promise<{ evaluations: AutopilotEvaluation[]; desired: DesiredIssue[] }> {
  const { config, project, log } = input;
  const now = project.now;
  const evaluations: AutopilotEvaluation[] = [];
  const desired: DesiredIssue[] = [];
  if (!autopilotActive(config, input.writesAllowed)) return { evaluations, desired };
  const byId = new Map(project.state.experiments.map((e) => [e.id, e]));
  const pendingIds = input.managed.flatMap((i) => {
    const id = parseAutopilotKey(i.key);
    return id !== null && i.open ? [id] : [];
  });
  const ids = new Set<number>([...project.watched, ...pendingIds]);
  for (const id of [...ids].sort((a, b) => a - b)) {
    const listed = byId.get(id);
    if (!listed || !input.inScope(listed) || listed.archived || listed.endDate || !listed.startDate) continue;
    const key = autopilotKey(id);
    const issue = latestIssue(input.managed, key);
    const previous = issue ? parseAutopilotState(issue.body) : null;
    const notes: string[] = [];
    const hold = (why: string, experiment: Experiment) => {
      notes.push(why);
      evaluations.push({ experimentId: id, experiment, step: "hold", state: previous, condition: null, decision: null, notes });
      if (previous && issue?.open) desired.push({ dedupeKey: key, title: issue.title, body: stripMarkers(issue.body), labels: [...input.labels, "autopilot"] });
    };
    if (!project.watched.has(id)) {
      hold("not among the experiments whose validity this scan checked", listed);
      continue;
    }
    if (issue && !issue.open && issue.state?.closed_by !== "app" && previous?.status === "pending") {
      notes.push(`a person closed the autopilot issue #${issue.number}`);
      evaluations.push({ experimentId: id, experiment: listed, step: "none", state: null, condition: null, decision: null, notes });
      continue;
    }
    const report = await analyzeExperiment(input.posthog, listed, config, now, log, { maxDataAgeHours: config.max_data_age_hours });
    if (report.error || !report.decision) {
      hold(report.error ?? "no decision could be computed", report.experiment);
      continue;
    }
    const stale = dataNotFreshEnough(report, config.max_data_age_hours, now);
    if (stale) {
      hold(stale, report.experiment);
      continue;
    }
    const e = report.experiment;
    const result = autopilotCondition({ config: config.autopilot, sequential: config.decision.sequential, experiment: e, decision: report.decision, now });
    if (!result.condition && result.refusal) {
      notes.push(result.refusal);
      log.warn({ experiment_id: id, reason: result.refusal }, "autopilot refuses to act");
    }
    const blockers = result.condition
      ? autopilotBlockers({
          experimentId: id,
          kind: result.condition.kind,
          findingKinds: input.findings.filter((f) => f.experimentId === id).map((f) => f.kind),
          acknowledgements: input.acknowledgements,
          now,
        })
      : [];
    notes.push(...blockers);
    const step = nextAutopilotStep(previous, id, result.condition, blockers, now, config.autopilot.confirm_after_hours);
    evaluations.push({ experimentId: id, experiment: e, step: step.step, state: step.state, condition: result.condition, decision: report.decision, notes });
    if (step.state && result.condition) {
      const url = experimentUrl(project.host, project.projectId, id);
      desired.push({
        dedupeKey: key,
        title: autopilotIssueTitle(e, result.condition.kind),
        body: `${renderAutopilotIssue(e, result.condition, step.state, config.autopilot.confirm_after_hours, url).trimEnd()}\n${autopilotStateMarker(step.state)}\n`,
        labels: [...input.labels, "autopilot"],
      });
    } else if (step.step === "done" && issue?.open) {
      desired.push({ dedupeKey: key, title: issue.title, body: stripMarkers(issue.body), labels: [...input.labels, "autopilot"] });
    }
  }
  return { evaluations, desired };
}

/** The body without the reconciler's issue and state markers (it adds them again). */
function stripMarkers(body: string): string {
  return body
    .split("\n")
    .filter((l) => !l.startsWith("<!-- experiment-hygiene:issue:") && !l.startsWith("<!-- experiment-hygiene:state "))
    .join("\n");
}

/** Inputs of {@link runAutopilotActions}. */
export interface AutopilotActInput {
  octokit: GitHubClient;
  repo: RepoRef;
  posthog: PostHogApi;
  botLogin: string;
  config: Config;
  now: Date;
  evaluations: AutopilotEvaluation[];
  /** The reconciler's actions (issue numbers of the autopilot issues). */
  actions: PlannedAction[];
  capture?: FindingCapture | null;
  log: Logger;
}

type Comment = { id: number; body?: string | null; user?: { login?: string } | null };

/**
 * Phase 2, after the reconciler: post announcements for new conditions and perform confirmed actions
 * (re-read, claim, write, record). Returns what was done, one {@link AutopilotAction} per write attempted.
 *
 * @throws Octokit errors of the GitHub calls (the scan confines them to the repository)
 */
export async function runAutopilotActions(input: AutopilotActInput): Promise<AutopilotAction[]> {
  const { octokit, repo, log, now, config } = input;
  const out: AutopilotAction[] = [];
  const confirmHours = config.autopilot.confirm_after_hours;
  for (const ev of input.evaluations) {
    if ((ev.step !== "announce" && ev.step !== "act") || !ev.state || !ev.condition) continue;
    const key = autopilotKey(ev.experimentId);
    const planned = input.actions.find((a) => a.dedupeKey === key);
    const issueNumber = planned?.issueNumber ?? null;
    if (issueNumber === null || planned?.action === "acknowledged") {
      log.info({ experiment_id: ev.experimentId, action: planned?.action ?? null }, "autopilot: no open issue to announce on; nothing done");
      continue;
    }
    const state = ev.state;
    const condition = ev.condition;
    const comments: Comment[] = await octokit.paginate(octokit.rest.issues.listComments, { ...repo, issue_number: issueNumber, per_page: 100 });
    const mine = comments.filter((c) => (c.user?.login ?? "").toLowerCase() === input.botLogin.toLowerCase());
    if (mine.some((c) => (c.body ?? "").includes(recordMarker(ev.experimentId, condition.kind)))) continue; // already acted
    const conclusionComment = conclusionCommentFor(ev, repo, issueNumber);
    const requests = condition.steps.map((s) => stepRequest(input.posthog.projectId, ev.experimentId, s, conclusionComment));
    const announcements = mine.filter((c) => (c.body ?? "").includes(announcementMarker(state))).sort((a, b) => a.id - b.id);
    if (announcements.length === 0) {
      // Announce first; an "act" without a visible announcement waits for the next evaluation.
      const fresh: AutopilotState = ev.step === "act" ? { ...state, firstSeen: now.toISOString(), lastSeen: now.toISOString(), evaluations: 1 } : state;
      if (ev.step === "act") await writeState(input, issueNumber, fresh);
      await octokit.rest.issues.createComment({ ...repo, issue_number: issueNumber, body: renderAnnouncement(ev.experiment, condition, fresh, confirmHours, requests) });
      log.info({ experiment_id: ev.experimentId, kind: condition.kind, issue: issueNumber }, "autopilot announced");
      continue;
    }
    if (ev.step !== "act") continue;

    // Re-read before acting: another scan may have finished it.
    const { data: current } = await octokit.rest.issues.get({ ...repo, issue_number: issueNumber });
    const reread = parseAutopilotState(current.body);
    if (!reread || reread.status === "done" || reread.kind !== condition.kind || reread.variant !== condition.variant) {
      log.info({ experiment_id: ev.experimentId, issue: issueNumber }, "autopilot: state changed since the evaluation; not acting");
      continue;
    }
    const claim = await octokit.rest.reactions.createForIssueComment({ ...repo, comment_id: announcements[0]!.id, content: "rocket" });
    if (claim.status !== 201) {
      log.info({ experiment_id: ev.experimentId, issue: issueNumber }, "autopilot: another scan claimed this action; not acting");
      continue;
    }
    const execution = await executePlanSteps(input.posthog, { experimentId: ev.experimentId, flagKey: ev.experiment.flagKey, steps: condition.steps }, conclusionComment);
    const action: AutopilotAction = {
      experimentId: ev.experimentId,
      experimentName: ev.experiment.name,
      flagKey: ev.experiment.flagKey,
      kind: condition.kind,
      variant: condition.variant,
      conclusion: condition.conclusion,
      at: now.toISOString(),
      firstSeen: state.firstSeen,
      reasons: condition.reasons,
      sentRequests: execution.sent,
      outcome: execution.error ? "failed" : "applied",
      error: execution.error?.message ?? null,
      issue: `${repo.owner}/${repo.repo}#${issueNumber}`,
    };
    out.push(action);
    log.info({ experiment_id: action.experimentId, kind: action.kind, outcome: action.outcome, requests: action.sentRequests.length }, "autopilot acted");
    await writeState(input, issueNumber, { ...state, status: "done", doneAt: action.at }, current.body ?? "");
    await octokit.rest.issues.createComment({ ...repo, issue_number: issueNumber, body: renderRecord(action) });
    input.capture?.captureEvent?.({
      kind: "autopilot",
      action: action.kind,
      outcome: action.outcome,
      experiment_id: action.experimentId,
      experiment_name: action.experimentName,
      flag_key: action.flagKey,
      variant: action.variant,
      conclusion: action.conclusion,
      repository: `${repo.owner}/${repo.repo}`,
    });
  }
  return out;
}

function conclusionCommentFor(ev: AutopilotEvaluation, repo: RepoRef, issueNumber: number): string {
  const c = ev.condition!;
  const what = c.kind === "rollback" ? `Rolled back to ${c.variant}` : c.kind === "promote" ? `Promoted ${c.variant}` : "Ended as inconclusive (flag left as configured)";
  const text = `${what} by experiment-hygiene autopilot (${repo.owner}/${repo.repo}#${issueNumber}), announced ${ev.state!.firstSeen} and confirmed by a later evaluation: ${c.reasons[0] ?? ""}`;
  return text.slice(0, 4000);
}

async function writeState(input: AutopilotActInput, issueNumber: number, state: AutopilotState, body?: string): Promise<void> {
  const { octokit, repo } = input;
  const current = body ?? (await octokit.rest.issues.get({ ...repo, issue_number: issueNumber })).data.body ?? "";
  const next = replaceJsonMarker(current, "experiment-hygiene:autopilot", state);
  await octokit.rest.issues.update({ ...repo, issue_number: issueNumber, body: next });
}
