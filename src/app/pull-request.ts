/**
 * The `pull_request` handler: on opened / synchronize / reopened / ready_for_review, analyse the PR's
 * flag references and upsert the sticky comment.
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
import { ConfigReadError, loadRepoConfig, webOrigin } from "../github/repo-config.js";
import { fetchPullRequestChanges } from "../github/pull-request-changes.js";
import { upsertStickyComment } from "../github/sticky-comment.js";
import { analyzePullRequest } from "../pipeline/pull-request.js";
import { PostHogError, type PostHogConfigError } from "../posthog/errors.js";
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

  const { owner, repo } = context.repo();
  let loaded;
  try {
    loaded = await loadRepoConfig(context.octokit, { owner, repo }, { webBase: webOrigin(context.payload.repository.html_url) });
  } catch (err) {
    if (!(err instanceof ConfigReadError)) throw err;
    log.warn({ err: err.message, status: err.status }, "could not read .github/experiment-hygiene.yml; leaving the comment as it is");
    return "skipped-config-unreadable";
  }
  const { config, problems, fatal } = loaded;
  if (!config.enabled || (!fatal && !config.comment.enabled)) return "skipped-disabled";
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
    await notify(deps.posthogProblem?.() ?? null);
    return "skipped-no-posthog";
  }

  let report;
  try {
    report = await analyzePullRequest({
      lines: changes.lines,
      posthog,
      config,
      now: deps.now(),
      log,
      // The base commit's index (the default branch's, for a PR into it), cached per commit sha.
      loadReferenceIndex: (matcher) =>
        loadReferenceIndex(context.octokit, { owner, repo }, pr.base.sha, matcher, { ignorePaths: config.ignore_paths, log }),
    });
  } catch (err) {
    if (err instanceof PostHogError) {
      log.warn({ err: err.message, status: err.status }, "PostHog request failed; no analysis for this event");
      await notify(err, posthog.host);
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
