/**
 * The chat-ops pipeline of `/experiment …` comments on pull requests and issues, behind the thin Probot
 * handler `src/app/issue-comment.ts`:
 *
 * load (the conversation, `.github/experiment-hygiene.yml`, the commenter's permission, PostHog) → pure
 * analysis and plan (`src/chatops/`: parser, target resolution, change plan; `src/decision/`) → render
 * (`src/render/chatops.ts`) → reconcile (one reply per command comment; a confirmed plan executed once
 * through `execute-plan.ts`; acknowledgements in the dashboard through `dashboard.ts`).
 *
 * Guard order (github-probot.md §8; prow `generic-comment.go`): only `created` (edits and deletions are
 * not subscribed) → skip bots (the app's own replies come back as webhooks) → skip comments without a
 * command → 👀 → one reply per command comment (a redelivery finds the earlier reply and stops) → for
 * anything that changes state, the commenter's permission from `repos.getCollaboratorPermissionLevel`
 * (write, maintain or admin; never `author_association`) → act and reply.
 *
 * PostHog changes happen in two steps: the command posts a plan (stored in the reply), and a writer's
 * `--confirm` within 30 minutes runs exactly that plan, once. Failures are answered with a short sentence,
 * never a stack trace.
 */
import { buildChangePlan, canWrite, findPendingPlan, parsePlan, planMarker, replacePlanMarker, type ChangePlan, type StoredPlan } from "../chatops/plan.js";
import { findingsForExperiment, type ExperimentFindings } from "../chatops/findings.js";
import { parseComment, type ChatCommand, type Target } from "../chatops/parse.js";
import { resolveTarget } from "../chatops/targets.js";
import { formatProblem, type ConfigResult } from "../config/load.js";
import type { Config } from "../config/schema.js";
import { explainRules } from "../decision/index.js";
import {
  botComments,
  collaboratorPermission,
  findReply,
  listConversation,
  postReply,
  pullRequestHeadSha,
  reactEyes,
  replyMarker,
  updateComment,
  type IssueComment,
} from "../github/chatops.js";
import { listManagedIssues, parseIssueKey, type ManagedIssue } from "../github/issues.js";
import { autopilotKey, parseAutopilotKey } from "../autopilot/rules.js";
import { renderAutopilotSwitch } from "../render/autopilot.js";
import { fetchPullRequestChanges } from "./pull-request-changes.js";
import { ConfigReadError, loadRepoConfig, webOrigin } from "../github/repo-config.js";
import type { GitHubClient, Logger, RepoRef } from "../github/types.js";
import type { Experiment } from "../model.js";
import { loadRecordStore, saveRecordStore, writeDecisionRecord } from "./records.js";
import { experimentUrl } from "../render/links.js";
import {
  acknowledgementCloseComment,
  describeAcknowledgement,
  findingKey,
  type Acknowledgement,
} from "./acknowledgements.js";
import { recordAcknowledgement, removeAcknowledgement } from "./dashboard.js";
import { historyWithEvaluation } from "./lift-history.js";
import { executePlanSteps } from "./execute-plan.js";
import { analyzeExperiment, analyzePullRequest, dataNotFreshEnough, type ExperimentReport } from "./pull-request.js";
import {
  PostHogApprovalRequiredError,
  PostHogAuthError,
  PostHogError,
  PostHogNetworkError,
  PostHogServerError,
  type PostHogApi,
} from "../posthog/index.js";
import {
  renderAcknowledged,
  renderAnalysis,
  renderApprovalRequired,
  renderConfigError,
  renderExecuted,
  renderPlan,
  renderPostHogFailure,
  renderRefusal,
  renderStatus,
  renderUsage,
  withConfigProblems,
  type ReplyContext,
} from "../render/chatops.js";

/** What the pipeline needs from the app. */
export interface ChatOpsDeps {
  /** The PostHog client, or null when PostHog is not configured. */
  posthog(): PostHogApi | null;
  /** The app's own login, e.g. `experiment-hygiene[bot]`. */
  botLogin(): Promise<string>;
  now(): Date;
  /** Whether the operator enabled PostHog writes (`POSTHOG_ALLOW_WRITES`). */
  writes(): { allowed: boolean; problem: string | null };
}

/** What happened, for logs and tests. */
export type ChatOpsOutcome = "ignored-bot" | "ignored-no-command" | "already-answered" | "answered";

/** One `issue_comment.created` event, as plain values read from the webhook payload. */
export interface ChatOpsEvent {
  octokit: GitHubClient;
  repo: RepoRef;
  /** The `X-GitHub-Delivery` id (named in the reply of an unexpected failure). */
  delivery: string;
  /** Whether the sender is a bot (Probot's `context.isBot`). */
  senderIsBot: boolean;
  comment: {
    id: number;
    body: string;
    /** The comment author's login ("" when GitHub gave none). */
    author: string;
    /** True when the comment's user is of type `Bot`. */
    authorIsBot: boolean;
  };
  issue: {
    number: number;
    body: string | null;
    /** The issue author's login ("" when GitHub gave none). */
    author: string;
    /** True when the conversation is a pull request (the payload's `issue.pull_request` is set). */
    isPullRequest: boolean;
    /** The pull request's web URL, when GitHub gave one. */
    pullRequestUrl: string | null;
  };
  repository: { fullName: string; htmlUrl: string; defaultBranch: string };
  log: Logger;
}

/** Thrown inside the pipeline to answer with a refusal (plain text) and stop. */
class Refusal extends Error {
  constructor(
    readonly title: string,
    readonly reason: string,
  ) {
    super(reason);
  }
}

/** The plans stored in the bot's replies (other authors' comments are ignored, so a pasted marker is inert). */
export function storedPlans(comments: IssueComment[], botLogin: string): StoredPlan[] {
  const out: StoredPlan[] = [];
  for (const c of botComments(comments, botLogin)) {
    const plan = parsePlan(c.body);
    if (plan) out.push({ commentId: c.id, body: c.body ?? "", plan });
  }
  return out;
}

/** Rewrites a plan reply with the plan's new status and a closing line (so it cannot be confirmed again). */
export async function markPlan(
  octokit: GitHubClient,
  repo: RepoRef,
  stored: StoredPlan,
  plan: ChangePlan,
  note: string,
): Promise<void> {
  const body = `${replacePlanMarker(stored.body, plan).trimEnd()}\n\n${note}\n`;
  await updateComment(octokit, repo, stored.commentId, body);
}

/**
 * Runs one `/experiment` comment through the pipeline and posts the reply.
 *
 * @throws only when GitHub itself fails (reading the conversation, posting the reply); Probot logs it
 */
export async function runChatOps(event: ChatOpsEvent, deps: ChatOpsDeps): Promise<ChatOpsOutcome> {
  const { comment } = event;
  const author = comment.author;
  if (comment.authorIsBot || event.senderIsBot || author === "") return "ignored-bot";
  const parsed = parseComment(comment.body);
  if (!parsed) return "ignored-no-command";
  const botLogin = await deps.botLogin();
  if (author.toLowerCase() === botLogin.toLowerCase()) return "ignored-bot";

  const { repo, log, octokit } = event;
  const issueNumber = event.issue.number;
  try {
    await reactEyes(octokit, repo, comment.id);
  } catch (err) {
    log.warn({ err: (err as Error).message }, "could not add the 👀 reaction");
  }

  const conversation = await listConversation(octokit, repo, issueNumber);
  if (findReply(conversation, botLogin, comment.id)) {
    log.info("command already answered (redelivery); nothing to do");
    return "already-answered";
  }

  const posthog = deps.posthog();
  const ctx: ReplyContext = {
    marker: replyMarker(comment.id),
    line: parsed.line,
    host: posthog?.host ?? "",
    projectId: posthog?.projectId ?? "",
  };
  let loaded: ConfigResult;
  try {
    loaded = await loadRepoConfig(octokit, repo, { webBase: webOrigin(event.repository.htmlUrl) });
  } catch (err) {
    if (!(err instanceof ConfigReadError)) throw err;
    log.warn({ err: err.message, status: err.status }, "could not read .github/experiment-hygiene.yml");
    const reason = "GitHub did not return .github/experiment-hygiene.yml just now, so nothing was done. Try the command again in a minute.";
    await postReply(octokit, repo, issueNumber, renderRefusal(ctx, "The configuration could not be read", reason));
    return "answered";
  }
  const { config, problems, fatal } = loaded;
  if (problems.length > 0) {
    log.warn({ problems: problems.map(formatProblem) }, fatal ? "unreadable .github/experiment-hygiene.yml" : "problems in .github/experiment-hygiene.yml; those keys use their defaults");
  }
  const prUrl = event.issue.pullRequestUrl;
  if (prUrl) ctx.filesUrl = `${prUrl}/files`;
  const command = parsed.command;
  log.info({ command: command.name, user: author }, "chat-ops command");

  let body: string;
  if (config.enabled && fatal) {
    await postReply(octokit, repo, issueNumber, renderConfigError(ctx, problems));
    return "answered";
  }
  if (!config.enabled) {
    body = renderRefusal(
      ctx,
      "experiment-hygiene is turned off here",
      "This repository's .github/experiment-hygiene.yml sets enabled: false, so the app does not answer commands.",
    );
    await postReply(octokit, repo, issueNumber, body);
    return "answered";
  }
  try {
    body = await answer(command, { event, deps, repo, author, botLogin, config, posthog, ctx, conversation, log });
  } catch (err) {
    if (err instanceof Refusal) {
      body = renderRefusal(ctx, err.title, err.reason);
    } else if (err instanceof PostHogError) {
      log.warn({ err: err.message, status: err.status }, "PostHog request failed while answering a command");
      body = renderPostHogFailure(ctx, err.message, false);
    } else {
      log.error({ err }, "chat-ops command failed");
      body = renderRefusal(
        ctx,
        "Something went wrong",
        `The command could not be completed. Nothing was changed. The app's logs have the details (delivery ${event.delivery}).`,
      );
    }
  }
  body = withConfigProblems(body, problems);
  if (parsed.ignoredCommands > 0) {
    body = `${body.trimEnd()}\n\n<sub>Only the first \`/experiment\` line of a comment is run; ${parsed.ignoredCommands} more ignored.</sub>\n`;
  }
  await postReply(octokit, repo, issueNumber, body);
  return "answered";
}

interface Run {
  event: ChatOpsEvent;
  deps: ChatOpsDeps;
  repo: RepoRef;
  author: string;
  botLogin: string;
  config: Config;
  posthog: PostHogApi | null;
  ctx: ReplyContext;
  conversation: IssueComment[];
  log: Logger;
}

async function answer(command: ChatCommand, run: Run): Promise<string> {
  switch (command.name) {
    case "help":
      return renderUsage(run.ctx, null);
    case "usage":
      return renderUsage(run.ctx, command.problem);
    case "status":
      return status(command.target, run);
    case "analyze":
      return analyze(command.target, run);
    case "promote":
    case "rollback":
      return change(command, run);
    case "ack":
    case "snooze":
      return acknowledge(command, run);
    case "autopilot":
      return switchAutopilot(command, run);
  }
}

function requirePostHog(run: Run): PostHogApi {
  if (!run.posthog) {
    throw new Refusal(
      "PostHog is not configured",
      "The app has no PostHog connection: the operator must set POSTHOG_PROJECT_ID and POSTHOG_PERSONAL_API_KEY.",
    );
  }
  return run.posthog;
}

async function requireWriter(run: Run, what: string): Promise<void> {
  let permission: { permission: string; roleName: string };
  try {
    permission = await collaboratorPermission(run.event.octokit, run.repo, run.author);
  } catch (err) {
    run.log.warn({ err: (err as Error).message }, "permission check failed; refusing");
    throw new Refusal("Permission check failed", `GitHub did not say what access @${run.author} has, so nothing was changed. Try again later.`);
  }
  if (!canWrite(permission.permission)) {
    throw new Refusal(
      "Not allowed",
      `@${run.author} has ${permission.roleName} access to ${run.repo.owner}/${run.repo.repo}; ${what} needs write, maintain or admin access. Nothing was changed.`,
    );
  }
}

async function resolveOne(posthog: PostHogApi, target: Target): Promise<Experiment> {
  const found = resolveTarget(await posthog.listExperiments(), target, { single: true });
  if (!found.ok) throw new Refusal("Experiment not found", found.problem);
  return found.experiments[0]!;
}

async function managedIssues(run: Run): Promise<ManagedIssue[] | null> {
  try {
    return await listManagedIssues(run.event.octokit, run.repo, run.botLogin, run.config.reports.labels[0] ?? "experiment-hygiene");
  } catch (err) {
    run.log.warn({ err: (err as Error).message }, "could not list hygiene issues");
    return null;
  }
}

function findingsOf(managed: ManagedIssue[] | null, experimentId: number, now: Date): ExperimentFindings | null {
  return managed ? findingsForExperiment(managed, experimentId, now) : null;
}

async function status(target: Target | null, run: Run): Promise<string> {
  const posthog = requirePostHog(run);
  const now = run.deps.now();
  let reports: ExperimentReport[];
  let note: string | null = null;
  if (target === null) {
    const pr = run.event.issue.isPullRequest;
    if (!pr) throw new Refusal("Which experiment?", "On an issue, name a feature flag key or an experiment id: /experiment status <flag-key | experiment-id>.");
    const changes = await fetchPullRequestChanges(
      run.event.octokit,
      { ...run.repo, pull_number: run.event.issue.number },
      run.log,
    );
    const report = await analyzePullRequest({ lines: changes.lines, posthog, config: run.config, now, log: run.log });
    reports = report.experiments;
    if (reports.length === 0) {
      throw new Refusal("No experiments", "This pull request's diff references no PostHog feature flag with an experiment.");
    }
  } else {
    const found = resolveTarget(await posthog.listExperiments(), target, { single: false });
    if (!found.ok) throw new Refusal("Experiment not found", found.problem);
    const max = run.config.comment.max_experiments;
    const selected = found.experiments.slice(0, max);
    if (found.experiments.length > max) note = `${found.experiments.length - max} more experiments on this flag are not shown (comment.max_experiments).`;
    reports = await Promise.all(selected.map((e) => analyzeExperiment(posthog, e, run.config, now, run.log)));
  }
  const managed = await managedIssues(run);
  return renderStatus(
    run.ctx,
    reports.map((report) => ({ report, findings: findingsOf(managed, report.experiment.id, now) })),
    note,
  );
}

async function analyze(target: Target, run: Run): Promise<string> {
  const posthog = requirePostHog(run);
  const now = run.deps.now();
  const experiment = await resolveOne(posthog, target);
  const report = await analyzeExperiment(posthog, experiment, run.config, now, run.log);
  const outcomes = report.decision
    ? explainRules(report.decision, {
        experiment: report.experiment,
        exposures: report.exposures,
        metricResults: report.metricResults,
        config: run.config.decision,
        now,
      })
    : [];
  const managed = await managedIssues(run);
  const history = historyWithEvaluation(
    (managed ?? []).filter((i) => i.open).map((i) => i.body),
    report.experiment.id,
    report.decision,
    now,
  );
  return renderAnalysis(run.ctx, report, outcomes, findingsOf(managed, report.experiment.id, now), history);
}

type ChangeCommand = Extract<ChatCommand, { name: "promote" | "rollback" }>;

async function change(command: ChangeCommand, run: Run): Promise<string> {
  await requireWriter(run, command.name);
  const writes = run.deps.writes();
  if (!writes.allowed) {
    throw new Refusal(
      "PostHog writes are off",
      `${writes.problem ? `${writes.problem} ` : ""}The operator must set POSTHOG_ALLOW_WRITES=true and give the personal API key the experiment:write scope (and feature_flag:write for --disable-flag). Nothing was changed.`,
    );
  }
  const posthog = requirePostHog(run);
  const now = run.deps.now();
  const experiment = await resolveOne(posthog, command.target);
  // A change is decided on results no older than max_data_age_hours (older cached ones are recomputed).
  const maxAge = run.config.max_data_age_hours;
  const report = await analyzeExperiment(posthog, experiment, run.config, now, run.log, { maxDataAgeHours: maxAge });
  if (report.error) throw new Refusal("Cannot read the experiment", report.error);
  const notFresh = dataNotFreshEnough(report, maxAge, now);
  if (notFresh) throw new Refusal("PostHog's results are not fresh enough", `${notFresh} Nothing was changed.`);
  const managed = await managedIssues(run);
  const findings = findingsOf(managed, report.experiment.id, now);
  const variant = command.name === "promote" ? command.variant : null;

  if (!command.confirm) {
    const result = buildChangePlan({
      action: command.name,
      experiment: report.experiment,
      decision: report.decision,
      openFindings: findings?.open.map((f) => f.kind) ?? [],
      variant,
      disableFlag: command.disableFlag,
      force: command.force,
      requestedBy: run.author,
      now,
    });
    if (!result.ok) throw new Refusal(`Cannot ${command.name}`, result.refusal);
    return `${renderPlan(run.ctx, result.plan, result.warnings, report.decision, findings).trimEnd()}\n${planMarker(result.plan)}\n`;
  }

  // --confirm: find the plan, check it again against the current state, run it once.
  const lookup = findPendingPlan(storedPlans(run.conversation, run.botLogin), command.name, report.experiment.id, now);
  if ("none" in lookup) {
    throw new Refusal(
      "No plan to confirm",
      `There is no pending ${command.name} plan for experiment ${report.experiment.id} in this conversation. Post /experiment ${command.name} ${report.experiment.id}${variant ? ` ${variant}` : ""} first, then confirm it.`,
    );
  }
  if ("expired" in lookup) {
    throw new Refusal(
      "The plan expired",
      `The ${command.name} plan posted at ${lookup.expired.plan.requestedAt} waited more than 30 minutes for confirmation. Post /experiment ${command.name} ${report.experiment.id} again.`,
    );
  }
  const stored = lookup.found;
  const plan = stored.plan;
  if (variant !== null && variant !== plan.variant) {
    throw new Refusal("Variant differs from the plan", `The plan promotes ${plan.variant}, not ${variant}. Post a new plan to promote ${variant}.`);
  }
  const recheck = buildChangePlan({
    action: plan.action,
    experiment: report.experiment,
    decision: report.decision,
    openFindings: findings?.open.map((f) => f.kind) ?? [],
    variant: plan.action === "promote" ? plan.variant : null,
    disableFlag: plan.disableFlag,
    force: plan.force || command.force,
    requestedBy: plan.requestedBy,
    now,
  });
  if (!recheck.ok) throw new Refusal(`Cannot ${command.name} any more`, `Since the plan was posted: ${recheck.refusal}`);

  const issueNumber = run.event.issue.number;
  const headSha = run.event.issue.isPullRequest ? await pullRequestHeadSha(run.event.octokit, run.repo, issueNumber) : null;
  const where = `${run.repo.owner}/${run.repo.repo}#${issueNumber}`;
  const conclusionComment =
    `${plan.action === "promote" ? `Promoted ${plan.variant}` : `Rolled back to ${plan.variant}`} from GitHub (${where}) with experiment-hygiene: ` +
    `requested by @${plan.requestedBy}, confirmed by @${run.author} at ${now.toISOString()}${headSha ? `, head ${headSha}` : ""}.`;

  const { done, error: err } = await executePlanSteps(posthog, plan, conclusionComment);
  if (err) {
    if (err instanceof PostHogApprovalRequiredError) {
      run.log.info({ change_request: err.changeRequestId, experiment_id: plan.experimentId }, "PostHog approval required");
      const held: ChangePlan = { ...plan, status: "approval-requested" };
      await markPlan(run.event.octokit, run.repo, stored, held, `_Confirmed by @\u200B${run.author}; PostHog opened a change request${err.changeRequestId ? ` (${err.changeRequestId.replace(/[^\w-]/g, "")})` : ""}._`);
      return renderApprovalRequired(run.ctx, plan, err.changeRequestId, err.message);
    }
    const prefix = done.length > 0 ? `Already applied: ${done.join(", ")}. Then: ` : "";
    const maybe = err instanceof PostHogServerError || err instanceof PostHogNetworkError;
    run.log.warn({ err: err.message, status: err.status, done }, "PostHog write failed");
    if (err instanceof PostHogAuthError) {
      return renderPostHogFailure(run.ctx, `${prefix}${err.message}`, false);
    }
    return renderPostHogFailure(run.ctx, `${prefix}${err.message}`, maybe || done.length > 0);
  }
  run.log.info({ experiment_id: plan.experimentId, action: plan.action, variant: plan.variant, confirmed_by: run.author, head_sha: headSha }, "PostHog change applied");
  await markPlan(
    run.event.octokit,
    run.repo,
    stored,
    { ...plan, status: "executed" },
    `_Confirmed by @\u200B${run.author} at ${now.toISOString()} and applied._`,
  );
  const recordLine = await recordConclusion(run, plan, report, now, where);
  const executed = renderExecuted(run.ctx, plan, run.author, now, headSha);
  return recordLine ? `${executed.trimEnd()}\n\n${recordLine}\n` : executed;
}

/**
 * After a confirmed change: the decision record (records.mode) naming who asked and who confirmed. Never
 * fails the command: a GitHub failure is logged and the reply says the next scan writes the record.
 *
 * @returns one Markdown line for the reply, or null when records are off
 */
async function recordConclusion(run: Run, plan: ChangePlan, report: ExperimentReport, now: Date, where: string): Promise<string | null> {
  if (!run.config.records.enabled) return null;
  const posthog = run.posthog;
  const links = (id: number) => ({ experimentUrl: posthog ? experimentUrl(posthog.host, posthog.projectId, id) : null });
  const target = {
    octokit: run.event.octokit,
    repo: run.repo,
    config: run.config,
    base: async () => run.event.repository.defaultBranch,
    botLogin: run.botLogin,
    links,
    log: run.log,
  };
  const conclusion = plan.steps.find((s) => s.kind !== "deactivate-flag") as { conclusion?: string } | undefined;
  try {
    const { store, managed } = await loadRecordStore(target, run.config.reports.labels);
    const outcome = await writeDecisionRecord(
      target,
      store,
      { ...report.experiment, endDate: report.experiment.endDate ?? now.toISOString() },
      report.decision,
      {
        experimentId: plan.experimentId,
        decidedBy: { kind: "command", action: plan.action, requestedBy: plan.requestedBy, confirmedBy: run.author, where },
        shippedVariant: plan.steps.some((s) => s.kind === "ship-variant") ? plan.variant : null,
        outcome: conclusion?.conclusion ?? null,
        at: now.toISOString(),
      },
    );
    switch (outcome.kind) {
      case "disabled":
        return null;
      case "pull_request":
        return `Decision record: #${outcome.pullRequest}.`;
      case "exists":
        return outcome.pullRequest !== null ? `Decision record: already in #${outcome.pullRequest}.` : "Decision record: already written.";
      case "dashboard": {
        const issue = await saveRecordStore(target, store, { labels: run.config.reports.labels, now, managed });
        return `Decision record: on the dashboard, #${issue}.${outcome.note ? ` ${outcome.note}` : ""}`;
      }
    }
  } catch (err) {
    run.log.warn({ err: (err as Error).message, experiment_id: plan.experimentId }, "decision record not written");
    return "The decision record could not be written just now; the next scheduled scan writes it.";
  }
}

type AckCommand = Extract<ChatCommand, { name: "ack" | "snooze" }>;

async function acknowledge(command: AckCommand, run: Run): Promise<string> {
  await requireWriter(run, command.name);
  const posthog = requirePostHog(run);
  const now = run.deps.now();
  const experiment = await resolveOne(posthog, command.target);
  const ack: Acknowledgement =
    command.name === "ack"
      ? { kind: "ack", by: run.author, at: now.toISOString(), until: null, reason: command.reason }
      : { kind: "snooze", by: run.author, at: now.toISOString(), until: new Date(now.getTime() + command.days * 86_400_000).toISOString(), reason: null };
  const description = describeAcknowledgement(ack);
  const write = await recordAcknowledgement(run.event.octokit, run.repo, {
    botLogin: run.botLogin,
    labels: run.config.reports.labels,
    key: findingKey(experiment.id, command.findingKind),
    ack,
    closeComment: acknowledgementCloseComment(ack),
    now,
  });
  return renderAcknowledged(run.ctx, experiment, command.findingKind, description, write);
}

type AutopilotCommand = Extract<ChatCommand, { name: "autopilot" }>;

/**
 * `/experiment autopilot off|on [target]`: pause or resume the autopilot of one experiment (write access).
 * Without a target, the experiment is the one of the app's autopilot issue the comment is on. The pause is
 * stored as `experiment:<id>:autopilot` in the acknowledgement store of the dashboard issue.
 */
async function switchAutopilot(command: AutopilotCommand, run: Run): Promise<string> {
  await requireWriter(run, "autopilot " + (command.enabled ? "on" : "off"));
  const posthog = requirePostHog(run);
  const now = run.deps.now();
  let target = command.target;
  if (target === null) {
    const issue = run.event.issue;
    const key = issue.author.toLowerCase() === run.botLogin.toLowerCase() ? parseIssueKey(issue.body) : null;
    const id = key === null ? null : parseAutopilotKey(key);
    if (id === null) {
      throw new Refusal("Which experiment?", "Outside an autopilot issue, name a feature flag key or an experiment id: /experiment autopilot off <flag-key | experiment-id>.");
    }
    target = { kind: "id", id, raw: String(id) };
  }
  const experiment = await resolveOne(posthog, target);
  const key = autopilotKey(experiment.id);
  if (command.enabled) {
    const dashboard = await removeAcknowledgement(run.event.octokit, run.repo, { botLogin: run.botLogin, labels: run.config.reports.labels, key });
    return renderAutopilotSwitch(run.ctx, experiment, true, run.author, dashboard, []);
  }
  const ack: Acknowledgement = { kind: "ack", by: run.author, at: now.toISOString(), until: null, reason: "autopilot off" };
  const write = await recordAcknowledgement(run.event.octokit, run.repo, {
    botLogin: run.botLogin,
    labels: run.config.reports.labels,
    key,
    ack,
    closeComment: `Autopilot turned off for this experiment by @\u200B${run.author} (\`/experiment autopilot off\`): nothing will be done automatically. \`/experiment autopilot on\` turns it back on.`,
    now,
  });
  return renderAutopilotSwitch(run.ctx, experiment, false, run.author, write.dashboardIssue, write.closedIssues);
}
