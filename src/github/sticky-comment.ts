/**
 * The sticky pull-request comment: exactly one per PR, found by a hidden marker **and** the app's own
 * author login (so a pasted marker cannot hijack it), updated in place, and not rewritten when its body
 * would not change. Pattern: marocchino/sticky-pull-request-comment `src/comment.ts`, Renovate
 * `ensureComment` (github-probot.md §9).
 */
import type { GitHubClient, Logger, RepoRef } from "./types.js";
import { silentLogger } from "./types.js";

/** The hidden marker that identifies the PR comment. */
export const PR_COMMENT_MARKER = "<!-- experiment-hygiene:pr -->";

/** What the upsert did. */
export type UpsertAction = "created" | "updated" | "unchanged";

/** A comment as far as the upsert needs it. */
export interface ExistingComment {
  id: number;
  body: string;
  login: string | null;
}

/**
 * Find the app's sticky comments on an issue or PR: every comment whose author is `botLogin` and whose
 * body contains `marker`, oldest first.
 *
 * @param botLogin the app's login, e.g. `experiment-hygiene[bot]` (compared case-insensitively).
 */
export async function findStickyComments(
  octokit: GitHubClient,
  ref: RepoRef & { issue_number: number },
  botLogin: string,
  marker = PR_COMMENT_MARKER,
): Promise<ExistingComment[]> {
  const comments = await octokit.paginate(octokit.rest.issues.listComments, { ...ref, per_page: 100 });
  const login = botLogin.toLowerCase();
  return comments
    .filter((c) => (c.user?.login ?? "").toLowerCase() === login && (c.body ?? "").includes(marker))
    .map((c) => ({ id: c.id, body: c.body ?? "", login: c.user?.login ?? null }));
}

/**
 * Create or update the sticky comment so that its body is `body`.
 *
 * - No existing comment → create (unless `createIfMissing` is false, then nothing happens: `"unchanged"`).
 * - Existing with the same body → no write (`"unchanged"`).
 * - Otherwise update the oldest; duplicates left by an earlier race are deleted so the PR converges to one.
 *
 * @param body the full Markdown body; must contain `marker` (it is prepended when missing).
 * @returns the action taken and the comment id (null when nothing exists).
 * @throws Octokit's RequestError when GitHub rejects a call (after its own retries).
 */
export async function upsertStickyComment(
  octokit: GitHubClient,
  ref: RepoRef & { issue_number: number },
  opts: { body: string; botLogin: string; marker?: string; createIfMissing?: boolean; log?: Logger },
): Promise<{ action: UpsertAction; commentId: number | null }> {
  const marker = opts.marker ?? PR_COMMENT_MARKER;
  const log = opts.log ?? silentLogger;
  const body = opts.body.includes(marker) ? opts.body : `${marker}\n${opts.body}`;
  const existing = await findStickyComments(octokit, ref, opts.botLogin, marker);
  const [first, ...duplicates] = existing;
  for (const dup of duplicates) {
    log.warn({ comment_id: dup.id }, "deleting duplicate sticky comment");
    await octokit.rest.issues.deleteComment({ owner: ref.owner, repo: ref.repo, comment_id: dup.id });
  }
  if (!first) {
    if (opts.createIfMissing === false) return { action: "unchanged", commentId: null };
    const created = await octokit.rest.issues.createComment({ ...ref, body });
    return { action: "created", commentId: created.data.id };
  }
  if (normalize(first.body) === normalize(body)) return { action: "unchanged", commentId: first.id };
  await octokit.rest.issues.updateComment({ owner: ref.owner, repo: ref.repo, comment_id: first.id, body });
  return { action: "updated", commentId: first.id };
}

/** GitHub normalises line endings of stored bodies; compare without them. */
function normalize(text: string): string {
  return text.replace(/\r\n/g, "\n").trimEnd();
}
