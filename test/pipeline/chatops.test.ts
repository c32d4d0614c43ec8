/**
 * The chat-ops pipeline on its own, without Probot: a plain `ChatOpsEvent` and an `@octokit/rest` client
 * against nock. The guards (bots, comments without a command, redelivery) make no write; a command is
 * answered with one reply carrying the reply marker; a promote from a commenter without write access is
 * refused by the permission check before anything else is looked at. Full flows run through Probot in
 * test/app/issue-comment.test.ts.
 */
import { Octokit } from "@octokit/rest";
import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { replyMarker } from "../../src/github/chatops.js";
import { silentLogger } from "../../src/github/types.js";
import { runChatOps, type ChatOpsDeps, type ChatOpsEvent } from "../../src/pipeline/chatops.js";
import { BOT_LOGIN, GITHUB, nockConfig, OWNER, REPO } from "../support/github.js";

const ISSUE = 7;
const COMMENT_ID = 9001;
const COMMENTS = `/repos/${OWNER}/${REPO}/issues/${ISSUE}/comments`;
const REACTIONS = `/repos/${OWNER}/${REPO}/issues/comments/${COMMENT_ID}/reactions`;

function octokit(): Octokit {
  return new Octokit({ auth: "test", request: { retries: 0 }, log: silentLogger });
}

function event(body: string, over: Partial<ChatOpsEvent["comment"]> = {}): ChatOpsEvent {
  return {
    octokit: octokit(),
    repo: { owner: OWNER, repo: REPO },
    delivery: "d-1",
    senderIsBot: false,
    comment: { id: COMMENT_ID, body, author: "octocat", authorIsBot: false, ...over },
    issue: { number: ISSUE, body: "An issue", author: "octocat", isPullRequest: false, pullRequestUrl: null },
    repository: { fullName: `${OWNER}/${REPO}`, htmlUrl: `https://github.com/${OWNER}/${REPO}`, defaultBranch: "main" },
    log: silentLogger,
  };
}

const deps: ChatOpsDeps = {
  posthog: () => null,
  botLogin: async () => BOT_LOGIN,
  now: () => new Date("2026-11-20T12:00:00Z"),
  writes: () => ({ allowed: true, problem: null }),
};

beforeEach(() => nock.disableNetConnect());
afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

describe("runChatOps", () => {
  it("ignores bots, the app's own comments and comments without a command, calling nothing", async () => {
    expect(await runChatOps(event("/experiment help", { authorIsBot: true }), deps)).toBe("ignored-bot");
    expect(await runChatOps(event("/experiment help", { author: BOT_LOGIN.toUpperCase() }), deps)).toBe("ignored-bot");
    expect(await runChatOps(event("/experiment help", { author: "" }), deps)).toBe("ignored-bot");
    expect(await runChatOps(event("Looks good to me"), deps)).toBe("ignored-no-command");
    expect(nock.pendingMocks()).toEqual([]);
  });

  it("stops on a redelivery: the app's reply to this comment is already in the conversation", async () => {
    const scope = nock(GITHUB)
      .post(REACTIONS, { content: "eyes" })
      .reply(201, { id: 1, content: "eyes" })
      .get(COMMENTS)
      .query(true)
      .reply(200, [
        { id: COMMENT_ID, body: "/experiment help", user: { login: "octocat", type: "User" } },
        { id: 9002, body: `Usage…\n${replyMarker(COMMENT_ID)}\n`, user: { login: BOT_LOGIN, type: "Bot" } },
      ]);
    expect(await runChatOps(event("/experiment help"), deps)).toBe("already-answered");
    expect(scope.isDone()).toBe(true);
  });

  it("answers a command with one reply carrying the marker; a reply pasted by someone else does not count", async () => {
    let posted = "";
    const scope = nock(GITHUB)
      .post(REACTIONS)
      .reply(201, { id: 1, content: "eyes" })
      .get(COMMENTS)
      .query(true)
      .reply(200, [{ id: 9002, body: `${replyMarker(COMMENT_ID)}`, user: { login: "mallory", type: "User" } }]);
    nockConfig(scope, null);
    scope
      .post(COMMENTS, (b: { body: string }) => {
        posted = b.body;
        return true;
      })
      .reply(201, { id: 9003 });
    expect(await runChatOps(event("/experiment help"), deps)).toBe("answered");
    expect(scope.isDone()).toBe(true);
    expect(posted).toContain(replyMarker(COMMENT_ID));
    expect(posted).toContain("/experiment status");
  });

  it("refuses a promote from a commenter with read access before anything else", async () => {
    let posted = "";
    const scope = nock(GITHUB)
      .post(REACTIONS)
      .reply(201, { id: 1, content: "eyes" })
      .get(COMMENTS)
      .query(true)
      .reply(200, []);
    nockConfig(scope, null);
    scope
      .get(`/repos/${OWNER}/${REPO}/collaborators/octocat/permission`)
      .reply(200, { permission: "read", role_name: "triage", user: { login: "octocat" } })
      .post(COMMENTS, (b: { body: string }) => {
        posted = b.body;
        return true;
      })
      .reply(201, { id: 9003 });
    // No PostHog client either: the permission refusal comes first, not "PostHog is not configured".
    expect(await runChatOps(event("/experiment promote 101"), deps)).toBe("answered");
    expect(scope.isDone()).toBe(true);
    expect(posted).toContain("Not allowed");
    expect(posted).toContain("triage access");
  });
});
