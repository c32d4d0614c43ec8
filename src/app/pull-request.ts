/**
 * The `pull_request` handler: on opened / synchronize / reopened / ready_for_review, analyse the PR's
 * flag references and upsert the sticky comment, then publish the `experiment-hygiene` check run on the head
 * commit (`checks.enabled`; docs/code-checks.md). `comment.enabled: false` with checks on is check-only mode.
 *
 * Failure policy: a PostHog outage, rate limit, bad key or missing setting is logged, and the sticky
 * comment gets a short notice with the fix unless it already holds a good analysis, which is never
 * replaced (rules in `posthog-notice.ts`). Configuration (docs/config.md): `enabled: false` wins
 * whenever it can be read; bad keys are listed in the comment and use their defaults, every other key
 * applies; a file that is not YAML gets one config-error comment and nothing else (no analysis with
 * defaults the repository did not choose).
 */
import type { Context } from "probot";
import { formatProblem } from "../config/load.js";
import { loadEventConfig } from "./repo-config.js";
import { fetchPullRequestChanges } from "../pipeline/pull-request-changes.js";
import { upsertStickyComment } from "../github/sticky-comment.js";
import { publishCheckRun, type CheckRunContent } from "../github/check-run.js";
import { analyzeAcrossProjects } from "../pipeline/projects.js";
import { PostHogConfigError, PostHogError } from "../posthog/errors.js";
import { renderCheckRun } from "../render/check-run.js";
import type { PostHogApi } from "../posthog/index.js";
import { renderConfigProblemsComment, renderPrComment } from "../render/pr-comment.js";
import { callsFeatureFlags, postHogNoticeFor, reconcilePostHogNotice } from "./posthog-notice.js";
import { loadReferenceIndex } from "./reference-index-cache.js";

/** What the handler needs from the app. */
export interface PullRequestDeps {
  /** The PostHog client, or null when PostHog is not configured (the reason is logged). */
  posthog(): PostHogApi | null;
  /** Why {@link posthog} returned null (the missing or invalid `POSTHOG_*` variables), when known. */
  posthogProblem?(): PostHogConfigError | null;
  /**
   * The client of another PostHog project of the same host and key (monorepos, `projects` in the config),
   * or null when it cannot be built. Absent: only the default project is available.
   */
  posthogForProject?(projectId: string): PostHogApi | null;
  /** The app's own login, e.g. `experiment-hygiene[bot]`. */
  botLogin(): Promise<string>;
  now(): Date;
}

/** The outcome, for logs and tests. */
export type PullRequestOutcome =
  | "created"
  | "updated"
  | "unchanged"
  | "skipped-disabled"
  | "config-error"
  | "skipped-config-unreadable"
  | "skipped-closed"
  | "skipped-no-posthog"
  | "skipped-posthog-error"
  | "skipped-no-references"
  /** `comment.enabled: false` with `checks.enabled`: only the check run was published. */
  | "check-only";

/** Owners whose installation refused a check run (403), so the missing permission is logged once each. */
const checksForbiddenLogged = new Set<string>();

/**
 * Handle one `pull_request` event.
 *
 * @throws only for unexpected GitHub errors (Probot logs them and answers the delivery with 500).
 */
export async function handlePullRequest(
  context: Context<"pull_request">,
  deps: PullRequestDeps,
): Promise<PullRequestOutcome> {
  const pr = context.payload.pull_request;
  const log = context.log.child({ pr: pr.number, repo: context.payload.repository.full_name, delivery: context.id });
  if (pr.state === "closed") return "skipped-closed";

  const { owner, repo } = context.repo();
  const loaded = await loadEventConfig(context, log, "leaving the comment as it is");
  if (!loaded) return "skipped-config-unreadable";
  const { config, problems, fatal } = loaded;
  if (!config.enabled || (!fatal && !config.comment.enabled && !config.checks.enabled)) return "skipped-disabled";
  const commentOn = fatal || config.comment.enabled;
  if (problems.length > 0) {
    log.warn(
      { problems: problems.map(formatProblem) },
      fatal ? "unreadable .github/experiment-hygiene.yml; posting only the config error" : "problems in .github/experiment-hygiene.yml; those keys use their defaults",
    );
  }
  if (fatal) {
    const result = await upsertStickyComment(
      context.octokit,
      { owner, repo, issue_number: pr.number },
      { body: renderConfigProblemsComment(problems, { fatal: true }), botLogin: await deps.botLogin(), createIfMissing: true, log },
    );
    log.info({ action: result.action }, "config-error comment reconciled");
    return "config-error";
  }

  /** Publish the check run on the head commit when `checks.enabled`; a 403 is logged once per owner and ignored. */
  const publishCheck = async (content: CheckRunContent): Promise<void> => {
    if (!config.checks.enabled) return;
    let result;
    try {
      result = await publishCheckRun(context.octokit, { owner, repo, head_sha: pr.head.sha }, content, { log, completedAt: deps.now() });
    } catch (err) {
      // The comment (when on) is already reconciled; a failed check run must not fail the whole delivery.
      const status = (err as { status?: unknown }).status;
      log.warn({ err: (err as Error).message, status }, "GitHub refused the check run; the comment is unaffected");
      return;
    }
    if (result.action === "forbidden") {
      const say = checksForbiddenLogged.has(owner) ? log.debug.bind(log) : log.warn.bind(log);
      checksForbiddenLogged.add(owner);
      say({ owner }, "GitHub refused the check run (403): grant the App the checks: write permission, or set checks.enabled: false; commenting continues");
    } else {
      log.info({ check_run_id: result.checkRunId, requests: result.requests, conclusion: content.conclusion }, "check run published");
    }
  };
  const noAnalysisCheck = (why: string): CheckRunContent => ({
    conclusion: "neutral",
    title: "No analysis: PostHog could not be read",
    summary: `${why} Nothing was checked for this commit; the check ends neutral so that it never blocks a merge on its own.\n`,
    annotations: [],
  });

  const posthog = deps.posthog();
  const changes = await fetchPullRequestChanges(context.octokit, { owner, repo, pull_number: pr.number }, log);
  const notify = async (err: PostHogError | null, host?: string): Promise<void> => {
    const notice = err ? postHogNoticeFor(err, host) : { kind: "not-configured" as const };
    if (!notice) return;
    const action = await reconcilePostHogNotice(
      context.octokit,
      { owner, repo, issue_number: pr.number },
      notice,
      { botLogin: await deps.botLogin(), relevant: callsFeatureFlags(changes.lines, config), log },
    );
    log.info({ notice: notice.kind, action }, "PostHog notice reconciled");
  };

  if (!posthog) {
    if (commentOn) await notify(deps.posthogProblem?.() ?? null);
    await publishCheck(noAnalysisCheck("PostHog is not configured for this app (POSTHOG_* variables)."));
    return "skipped-no-posthog";
  }

  let report;
  try {
    report = await analyzeAcrossProjects({
      lines: changes.lines,
      config,
      now: deps.now(),
      log,
      defaultProjectId: posthog.projectId,
      clientFor: (projectId) => {
        if (projectId === posthog.projectId) return posthog;
        const client = deps.posthogForProject?.(projectId) ?? null;
        if (!client) throw new PostHogConfigError(`no PostHog client for project ${projectId} (projects in .github/experiment-hygiene.yml)`, ["POSTHOG_PROJECT_ID"]);
        return client;
      },
      // The base commit's index (the default branch's, for a PR into it), cached per commit sha.
      loadReferenceIndex: (matcher) =>
        loadReferenceIndex(context.octokit, { owner, repo }, pr.base.sha, matcher, { ignorePaths: config.ignore_paths, log }),
    });
  } catch (err) {
    if (err instanceof PostHogError) {
      log.warn({ err: err.message, status: err.status }, "PostHog request failed; no analysis for this event");
      if (commentOn) await notify(err, posthog.host);
      await publishCheck(noAnalysisCheck(`PostHog answered with an error (${err.status ?? "no response"}).`));
      return "skipped-posthog-error";
    }
    throw err;
  }

  const notes: string[] = [];
  if (changes.source === "files") {
    notes.push("GitHub's diff endpoint refused this pull request as too large; the per-file patches were read instead.");
  }
  if (changes.skippedFiles.length > 0) {
    const n = changes.skippedFiles.length;
    notes.push(`${n} file${n === 1 ? "" : "s"} came without a patch (too large or binary) and ${n === 1 ? "was" : "were"} not scanned.`);
  }
  if (changes.fileListCapped) notes.push("GitHub lists at most 3,000 files; later files were not scanned.");

  // An unknown key only on removed lines (a flag deleted in PostHog whose code goes too) is no reason to comment.
  const references = report.flags.length > 0 || report.unknownKeys.some((u) => u.side === "added");
  const filesUrl = `${pr.html_url}/files`;
  let body: string;
  if (references) {
    body = renderPrComment(report, { configProblems: problems, headSha: pr.head.sha, notes, filesUrl });
  } else if (problems.length > 0) {
    body = renderConfigProblemsComment(problems);
  } else {
    body = renderPrComment(report, { headSha: pr.head.sha, filesUrl });
  }
  if (!commentOn) {
    // No comment shows the config's problems in this mode: the check run's summary lists them.
    const configNotes = problems.map((p) => `Problem in .github/experiment-hygiene.yml (that key uses its default): ${formatProblem(p)}`);
    await publishCheck(renderCheckRun(report, { blockOn: config.checks.block_on, notes: [...configNotes, ...notes] }));
    log.info({ flags: report.flags.length, experiments: report.experiments.length }, "check-only mode (comment.enabled: false)");
    return "check-only";
  }
  const result = await upsertStickyComment(
    context.octokit,
    { owner, repo, issue_number: pr.number },
    { body, botLogin: await deps.botLogin(), createIfMissing: references || problems.length > 0, log },
  );
  const commentUrl = result.commentId !== null ? `${pr.html_url}#issuecomment-${result.commentId}` : null;
  await publishCheck(renderCheckRun(report, { blockOn: config.checks.block_on, commentUrl, notes }));
  log.info(
    { action: result.action, flags: report.flags.length, experiments: report.experiments.length },
    "pull request comment reconciled",
  );
  if (!references && problems.length === 0 && result.commentId === null) return "skipped-no-references";
  return result.action;
}
