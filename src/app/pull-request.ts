/**
 * The `pull_request` handler: on opened / synchronize / reopened / ready_for_review, analyse the PR's
 * flag references and upsert the sticky comment.
 *
 * Failure policy: a PostHog outage, rate limit or bad key is logged and the existing comment is left
 * untouched (no comment about it: it is not the PR author's problem); a bad configuration file is shown
 * in the comment and the defaults are used.
 */
import type { Context } from "probot";
import { loadRepoConfig } from "../github/repo-config.js";
import { fetchPullRequestChanges } from "../github/pull-request-changes.js";
import { upsertStickyComment } from "../github/sticky-comment.js";
import { analyzePullRequest } from "../pipeline/pull-request.js";
import { PostHogError } from "../posthog/errors.js";
import type { PostHogApi } from "../posthog/index.js";
import { renderConfigProblemsComment, renderPrComment } from "../render/pr-comment.js";

/** What the handler needs from the app. */
export interface PullRequestDeps {
  /** The PostHog client, or null when PostHog is not configured (the reason is logged). */
  posthog(): PostHogApi | null;
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
  | "skipped-closed"
  | "skipped-no-posthog"
  | "skipped-posthog-error"
  | "skipped-no-references";

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

  const { config, problems } = await loadRepoConfig(context);
  if (problems.length > 0) log.warn({ problems }, "invalid .github/experiment-hygiene.yml; using defaults");
  if (!config.enabled || !config.comment.enabled) return "skipped-disabled";

  const posthog = deps.posthog();
  if (!posthog) return "skipped-no-posthog";

  const { owner, repo } = context.repo();
  const changes = await fetchPullRequestChanges(context.octokit, { owner, repo, pull_number: pr.number }, log);

  let report;
  try {
    report = await analyzePullRequest({ lines: changes.lines, posthog, config, now: deps.now(), log });
  } catch (err) {
    if (err instanceof PostHogError) {
      log.warn({ err: err.message, status: err.status }, "PostHog request failed; leaving the comment as it is");
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
  const result = await upsertStickyComment(
    context.octokit,
    { owner, repo, issue_number: pr.number },
    { body, botLogin: await deps.botLogin(), createIfMissing: references || problems.length > 0, log },
  );
  log.info(
    { action: result.action, flags: report.flags.length, experiments: report.experiments.length },
    "pull request comment reconciled",
  );
  if (!references && problems.length === 0 && result.commentId === null) return "skipped-no-references";
  return result.action;
}
