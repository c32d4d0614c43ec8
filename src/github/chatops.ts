/**
 * GitHub side of the `/experiment` commands: the 👀 reaction, the collaborator permission, the replies
 * (one per command comment, found again by a hidden marker and the bot's login), stored plans, the PR head
 * SHA, and acknowledgements written into the dashboard issue. Thin: every decision is made elsewhere.
 * Endpoints and guard order: github-probot.md §8–9.
 */
import type { RestEndpointMethodTypes } from "@octokit/rest";
import { parsePlan, replacePlanMarker, type ChangePlan, type StoredPlan } from "../chatops/plan.js";
import {
  parseAcknowledgements,
  withAcknowledgementsMarker,
  type Acknowledgement,
} from "../pipeline/acknowledgements.js";
import { closeManagedIssue, listManagedIssues, renderIssueBody, type ManagedIssue } from "./issues.js";
import type { GitHubClient, RepoRef } from "./types.js";

type IssueComment = RestEndpointMethodTypes["issues"]["listComments"]["response"]["data"][number];

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

/** The plans stored in the bot's replies (other authors' comments are ignored, so a pasted marker is inert). */
export function storedPlans(comments: IssueComment[], botLogin: string): StoredPlan[] {
  const out: StoredPlan[] = [];
  for (const c of comments) {
    if (!byBot(c, botLogin)) continue;
    const plan = parsePlan(c.body);
    if (plan) out.push({ commentId: c.id, body: c.body ?? "", plan });
  }
  return out;
}

/** Posts the reply to a command comment (the body must already carry {@link replyMarker}). */
export async function postReply(octokit: GitHubClient, repo: RepoRef, issueNumber: number, body: string): Promise<number> {
  const { data } = await octokit.rest.issues.createComment({ ...repo, issue_number: issueNumber, body });
  return data.id;
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
  await octokit.rest.issues.updateComment({ ...repo, comment_id: stored.commentId, body });
}

/** The head commit SHA of a pull request at this moment (`pulls.get`). */
export async function pullRequestHeadSha(octokit: GitHubClient, repo: RepoRef, pullNumber: number): Promise<string> {
  const { data } = await octokit.rest.pulls.get({ ...repo, pull_number: pullNumber });
  return data.head.sha;
}

/** Result of {@link recordAcknowledgement}. */
export interface AcknowledgementWrite {
  /** The dashboard issue holding the store. */
  dashboardIssue: number;
  /** Open issues of the finding that were closed at once. */
  closedIssues: number[];
}

/**
 * Stores an acknowledgement in the dashboard issue (created when the repository has none yet, with the
 * labels a scan would give it) and closes the finding's open issue at once with `closeComment`. The next
 * scan keeps the entry, leaves the finding out and drops the entry once it expires or the experiment ends.
 *
 * @param key the finding's dedupe key `experiment:<id>:<kind>`
 * @param labels the report labels (`reports.labels`); the first is the common label used to list issues
 * @throws the Octokit `RequestError` of a failed call
 */
export async function recordAcknowledgement(
  octokit: GitHubClient,
  repo: RepoRef,
  opts: {
    botLogin: string;
    labels: string[];
    key: string;
    ack: Acknowledgement;
    closeComment: string;
    now: Date;
    managed?: ManagedIssue[];
  },
): Promise<AcknowledgementWrite> {
  const label = opts.labels[0] ?? "experiment-hygiene";
  const managed = opts.managed ?? (await listManagedIssues(octokit, repo, opts.botLogin, label));
  const dashboards = managed.filter((i) => i.key === "dashboard").sort((a, b) => Number(b.open) - Number(a.open) || a.number - b.number);
  const dashboard = dashboards[0];
  const store = parseAcknowledgements(dashboard?.body);
  store.set(opts.key, opts.ack);
  let dashboardIssue: number;
  if (dashboard) {
    await octokit.rest.issues.update({ ...repo, issue_number: dashboard.number, body: withAcknowledgementsMarker(dashboard.body, store) });
    dashboardIssue = dashboard.number;
  } else {
    const body = renderIssueBody(
      {
        dedupeKey: "dashboard",
        body: withAcknowledgementsMarker(
          "No lifecycle findings yet. Acknowledged and snoozed findings are listed here after the next scan.\n",
          store,
        ),
      },
      { first_seen: opts.now.toISOString() },
    );
    const { data } = await octokit.rest.issues.create({
      ...repo,
      title: "Experiment hygiene dashboard",
      body,
      labels: [...new Set([...opts.labels, "dashboard"])],
    });
    dashboardIssue = data.number;
  }
  const closedIssues: number[] = [];
  for (const issue of managed.filter((i) => i.key === opts.key && i.open)) {
    await closeManagedIssue(octokit, repo, issue, opts.closeComment, opts.now);
    closedIssues.push(issue.number);
  }
  return { dashboardIssue, closedIssues };
}

/**
 * Removes an entry from the acknowledgement store in the dashboard issue (`/experiment autopilot on`).
 *
 * @returns the dashboard issue's number when an entry was removed, else null (nothing written)
 * @throws the Octokit `RequestError` of a failed call
 */
export async function removeAcknowledgement(
  octokit: GitHubClient,
  repo: RepoRef,
  opts: { botLogin: string; labels: string[]; key: string },
): Promise<number | null> {
  const managed = await listManagedIssues(octokit, repo, opts.botLogin, opts.labels[0] ?? "experiment-hygiene");
  const dashboard = managed.filter((i) => i.key === "dashboard").sort((a, b) => Number(b.open) - Number(a.open) || a.number - b.number)[0];
  if (!dashboard) return null;
  const store = parseAcknowledgements(dashboard.body);
  if (!store.delete(opts.key)) return null;
  await octokit.rest.issues.update({ ...repo, issue_number: dashboard.number, body: withAcknowledgementsMarker(dashboard.body, store) });
  return dashboard.number;
}
