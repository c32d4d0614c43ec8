/**
 * The `issue_comment.created` handler: `/experiment …` chat-ops on pull requests and issues.
 *
 * Wiring only: it reads the webhook payload into plain values, hands them to the chat-ops pipeline
 * (`src/pipeline/chatops.ts`: load → analysis and plan → render → reply and execute) and logs. The guard
 * order, the two-step PostHog changes and the failure replies are described there and in docs/chatops.md.
 */
import type { Context } from "probot";
import { runChatOps, type ChatOpsDeps, type ChatOpsEvent, type ChatOpsOutcome } from "../pipeline/chatops.js";

/** What the handler needs from the app. */
export type IssueCommentDeps = ChatOpsDeps;

/** What happened, for logs and tests. */
export type IssueCommentOutcome = ChatOpsOutcome;

type CommentContext = Context<"issue_comment.created">;

/** The pipeline's view of the event: the payload's fields it uses, the installation's client and a child logger. */
export function chatOpsEvent(context: CommentContext): ChatOpsEvent {
  const { comment, issue, repository } = context.payload;
  return {
    octokit: context.octokit,
    repo: context.repo(),
    delivery: context.id,
    senderIsBot: context.isBot,
    comment: {
      id: comment.id,
      body: comment.body,
      author: comment.user?.login ?? "",
      authorIsBot: comment.user?.type === "Bot",
    },
    issue: {
      number: issue.number,
      body: issue.body ?? null,
      author: issue.user?.login ?? "",
      isPullRequest: Boolean(issue.pull_request),
      pullRequestUrl: issue.pull_request?.html_url ?? null,
    },
    repository: { fullName: repository.full_name, htmlUrl: repository.html_url, defaultBranch: repository.default_branch },
    log: context.log.child({ repo: repository.full_name, issue: issue.number, comment: comment.id, delivery: context.id }),
  };
}

/**
 * Handles one `issue_comment.created` event.
 *
 * @throws only when GitHub itself fails (reading the conversation, posting the reply); Probot logs it
 */
export async function handleIssueComment(context: CommentContext, deps: IssueCommentDeps): Promise<IssueCommentOutcome> {
  return runChatOps(chatOpsEvent(context), deps);
}
