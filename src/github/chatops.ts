/**
 * GitHub side of the `/experiment` commands: the 👀 reaction, the collaborator permission, the replies
 * (one per command comment, found again by a hidden marker and the bot's login), stored plans, the PR head
 * SHA. Thin: every decision is made elsewhere (plans and acknowledgements: src/pipeline/chatops.ts and
 * src/pipeline/dashboard.ts).
 * Endpoints and guard order: github-probot.md §8–9.
 */
import type { RestEndpointMethodTypes } from "@octokit/rest";
import type { GitHubClient, RepoRef } from "./types.js";

/** One comment of an issue or pull request conversation, as `issues.listComments` returns it. */
export type IssueComment = RestEndpointMethodTypes["issues"]["listComments"]["response"]["data"][number];

/** The hidden marker that ties a reply to the command comment it answers. */
export function replyMarker(commandCommentId: number): string {
  return `<!-- experiment-hygiene:reply:${commandCommentId} -->`;
}

/** Adds the 👀 reaction to a comment (acknowledges receipt). */
export async function reactEyes(octokit: GitHubClient, repo: RepoRef, commentId: number): Promise<void> {
  await octokit.rest.reactions.createForIssueComment({ ...repo, comment_id: commentId, content: "eyes" });
}

/**
 * A user's repository permission: `rest.repos.getCollaboratorPermissionLevel` → `{ permission, roleName }`
 * (`permission` is admin|write|read|none; `roleName` the real role such as maintain or triage). A 404
 * (not a collaborator) gives `none`.
 *
 * @throws the Octokit `RequestError` of any other failure (callers fail closed)
 */
export async function collaboratorPermission(
  octokit: GitHubClient,
  repo: RepoRef,
  username: string,
): Promise<{ permission: string; roleName: string }> {
  try {
    const { data } = await octokit.rest.repos.getCollaboratorPermissionLevel({ ...repo, username });
    return { permission: data.permission, roleName: data.role_name ?? data.permission };
  } catch (err) {
    if ((err as { status?: number }).status === 404) return { permission: "none", roleName: "none" };
    throw err;
  }
}

/** Every comment of an issue or pull request conversation, oldest first (paginated, 100 per page). */
export async function listConversation(octokit: GitHubClient, repo: RepoRef, issueNumber: number): Promise<IssueComment[]> {
  return octokit.paginate(octokit.rest.issues.listComments, { ...repo, issue_number: issueNumber, per_page: 100 });
}

function byBot(c: IssueComment, botLogin: string): boolean {
  return (c.user?.login ?? "").toLowerCase() === botLogin.toLowerCase();
}

/** The bot's existing reply to a command comment (a redelivered webhook must not answer twice), or null. */
export function findReply(comments: IssueComment[], botLogin: string, commandCommentId: number): IssueComment | null {
  const m = replyMarker(commandCommentId);
  return comments.find((c) => byBot(c, botLogin) && (c.body ?? "").includes(m)) ?? null;
}

/** The comments written by the app itself (`botLogin`, case-insensitive), in conversation order. */
export function botComments(comments: IssueComment[], botLogin: string): IssueComment[] {
  return comments.filter((c) => byBot(c, botLogin));
}

/** Posts the reply to a command comment (the body must already carry {@link replyMarker}). */
export async function postReply(octokit: GitHubClient, repo: RepoRef, issueNumber: number, body: string): Promise<number> {
  const { data } = await octokit.rest.issues.createComment({ ...repo, issue_number: issueNumber, body });
  return data.id;
}

/** Replaces the body of a comment (e.g. a plan reply with its new status). */
export async function updateComment(octokit: GitHubClient, repo: RepoRef, commentId: number, body: string): Promise<void> {
  await octokit.rest.issues.updateComment({ ...repo, comment_id: commentId, body });
}

/** The head commit SHA of a pull request at this moment (`pulls.get`). */
export async function pullRequestHeadSha(octokit: GitHubClient, repo: RepoRef, pullNumber: number): Promise<string> {
  const { data } = await octokit.rest.pulls.get({ ...repo, pull_number: pullNumber });
  return data.head.sha;
}
