/**
 * The PR notice for a PostHog that cannot be used (missing settings, rejected key, unknown project,
 * unreachable, too slow, failing, redirecting elsewhere): which failures get one, which PRs get one, and
 * how it is reconciled with the sticky comment.
 *
 * Rules: the notice lives in the sticky comment. No sticky comment → the notice is posted, but only on a
 * PR whose diff calls a PostHog SDK with a flag key (so an outage does not comment on every PR of every
 * repository). The sticky comment is a notice → it is updated in place (not repeated; not rewritten
 * when unchanged). The sticky comment is a config-error comment from a file that has since been fixed →
 * it is replaced by the notice. The sticky comment is a good analysis → it is left untouched and the
 * problem is only logged. The next successful analysis replaces the notice.
 */
import type { Config } from "../config/schema.js";
import { findStickyComments } from "../github/sticky-comment.js";
import type { GitHubClient, Logger, RepoRef } from "../github/types.js";
import { createFlagMatcher, matchDiff, type ChangedLine } from "../matching/index.js";
import {
  PostHogAuthError,
  PostHogConfigError,
  PostHogNetworkError,
  PostHogNotFoundError,
  PostHogRateLimitError,
  PostHogRedirectError,
  PostHogServerError,
} from "../posthog/errors.js";
import { CONFIG_ERROR_MARKER } from "../render/config-problems.js";
import { POSTHOG_NOTICE_MARKER, renderPostHogNotice, type PostHogNotice } from "../render/notice.js";

/** What {@link reconcilePostHogNotice} did. */
export type NoticeAction = "notice-posted" | "notice-updated" | "notice-unchanged" | "kept-analysis" | "not-relevant";

/**
 * The notice for a PostHog failure, or null when the failure is not one the operator can fix by
 * configuration or that says PostHog is down (schema mismatches, a missing experiment, a pagination that
 * never ends: those are logged only).
 *
 * - PostHogConfigError → `not-configured` with its variables; PostHogAuthError → `rejected-key`;
 * - PostHogNotFoundError on a project-level collection (`…/feature_flags/`, `…/experiments/`,
 *   `…/query/`) → `not-found` (a 404 for one experiment or flag id is not a configuration problem);
 * - PostHogNetworkError → `timeout` when it ran past a deadline, else `unreachable`;
 * - PostHogServerError → `server-error`; PostHogRateLimitError → `rate-limited`; PostHogRedirectError → `redirect`.
 *
 * @param host the configured PostHog host (its origin is shown), when known
 */
export function postHogNoticeFor(err: unknown, host?: string): PostHogNotice | null {
  const withHost = (n: PostHogNotice): PostHogNotice => (host ? { ...n, host } : n);
  const status = (e: { status?: number }) => (e.status !== undefined ? { status: e.status } : {});
  if (err instanceof PostHogConfigError) return { kind: "not-configured", variables: [...err.variables] };
  if (err instanceof PostHogAuthError) return withHost({ kind: "rejected-key", ...status(err) });
  if (err instanceof PostHogNotFoundError) {
    const projectLevel = /^\S+ \/api\/(projects|environments)\/[^/]+\/(feature_flags|experiments|query)\/(\?.*)?$/.test(err.endpoint);
    return projectLevel ? withHost({ kind: "not-found", ...status(err) }) : null;
  }
  if (err instanceof PostHogRedirectError) return withHost({ kind: "redirect", ...status(err) });
  if (err instanceof PostHogNetworkError) {
    return withHost({ kind: /deadline|within \d+ ms/.test(err.message) ? "timeout" : "unreachable" });
  }
  if (err instanceof PostHogServerError) return withHost({ kind: "server-error", ...status(err) });
  if (err instanceof PostHogRateLimitError) return withHost({ kind: "rate-limited", ...status(err) });
  return null;
}

/**
 * Whether the changed lines call a PostHog SDK with a literal flag key (`getFeatureFlag("x")`,
 * `isFeatureEnabled('x')`, …): the PRs a PostHog problem matters to. Pure.
 */
export function callsFeatureFlags(lines: ChangedLine[], config: Config): boolean {
  return matchDiff(lines, createFlagMatcher([]), { ignorePaths: config.ignore_paths }).unknownKeys.length > 0;
}

/**
 * Posts, updates or withholds the notice (rules in the module comment).
 *
 * @param opts.relevant whether this PR is one the notice matters to (see {@link callsFeatureFlags}); an
 *   existing notice is updated regardless.
 * @returns what was done; GitHub errors propagate (Octokit's RequestError).
 */
export async function reconcilePostHogNotice(
  octokit: GitHubClient,
  ref: RepoRef & { issue_number: number },
  notice: PostHogNotice,
  opts: { botLogin: string; relevant: boolean; log: Logger },
): Promise<NoticeAction> {
  const body = renderPostHogNotice(notice);
  const [first] = await findStickyComments(octokit, ref, opts.botLogin);
  if (!first) {
    if (!opts.relevant) return "not-relevant";
    await octokit.rest.issues.createComment({ ...ref, body });
    return "notice-posted";
  }
  // A config-error comment is no analysis: the file was read fine this time, so the error is over.
  if (!first.body.includes(POSTHOG_NOTICE_MARKER) && !first.body.includes(CONFIG_ERROR_MARKER)) {
    opts.log.warn({ comment_id: first.id, notice: notice.kind }, "PostHog problem; the existing analysis comment is kept as it is");
    return "kept-analysis";
  }
  const norm = (t: string) => t.replace(/\r\n/g, "\n").trimEnd();
  if (norm(first.body) === norm(body)) return "notice-unchanged";
  await octokit.rest.issues.updateComment({ owner: ref.owner, repo: ref.repo, comment_id: first.id, body });
  return "notice-updated";
}
