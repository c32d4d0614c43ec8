/**
 * GitHub side of `/experiment` against nock: the collaborator permission (200, 404 → none, 500 throws),
 * replies and stored plans found only in the bot's own comments (a pasted marker is inert), and
 * `recordAcknowledgement` writing the store into the dashboard (updated in place or created) and closing
 * the acknowledged finding's open issue.
 */
import { Octokit } from "@octokit/rest";
import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { planMarker, type ChangePlan } from "../../src/chatops/plan.js";
import { collaboratorPermission, findReply, listConversation, replyMarker } from "../../src/github/chatops.js";
import { storedPlans } from "../../src/pipeline/chatops.js";
import { recordAcknowledgement } from "../../src/pipeline/dashboard.js";
import { parseIssueKey, parseIssueState, renderIssueBody, type IssueState } from "../../src/github/issues.js";
import {
  acknowledgementsMarker,
  parseAcknowledgements,
  type Acknowledgement,
  type AcknowledgementStore,
} from "../../src/pipeline/acknowledgements.js";
import { parseDashboardKeys, parseMemory } from "../../src/pipeline/scan-plan.js";
import { BOT_LOGIN, GITHUB, OWNER, REPO } from "../support/github.js";

const NOW = new Date("2026-11-21T12:00:00.000Z");
const repo = { owner: OWNER, repo: REPO };
const ISSUES = `/repos/${OWNER}/${REPO}/issues`;
const LIST_QUERY = { creator: BOT_LOGIN, labels: "experiment-hygiene", state: "all", per_page: "100" };

function octokit(): Octokit {
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };
  return new Octokit({ auth: "test", request: { retries: 0 }, log: quiet });
}

beforeEach(() => nock.disableNetConnect());
afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

describe("collaboratorPermission", () => {
  const path = `/repos/${OWNER}/${REPO}/collaborators/alice/permission`;

  it("returns the legacy permission and the real role name", async () => {
    const scope = nock(GITHUB).get(path).reply(200, { permission: "write", role_name: "maintain", user: { login: "alice" } });
    expect(await collaboratorPermission(octokit(), repo, "alice")).toEqual({ permission: "write", roleName: "maintain" });
    expect(scope.isDone()).toBe(true);
  });

  it("falls back to the permission when GitHub sends no role name", async () => {
    nock(GITHUB).get(path).reply(200, { permission: "read", user: { login: "alice" } });
    expect(await collaboratorPermission(octokit(), repo, "alice")).toEqual({ permission: "read", roleName: "read" });
  });

  it("gives none for a 404 (not a collaborator)", async () => {
    nock(GITHUB).get(path).reply(404, { message: "Not Found" });
    expect(await collaboratorPermission(octokit(), repo, "alice")).toEqual({ permission: "none", roleName: "none" });
  });

  it("throws on any other failure (the caller fails closed)", async () => {
    nock(GITHUB).get(path).reply(500, { message: "Server Error" });
    await expect(collaboratorPermission(octokit(), repo, "alice")).rejects.toMatchObject({ status: 500 });
    nock(GITHUB).get(path).reply(403, { message: "Resource not accessible by integration" });
    await expect(collaboratorPermission(octokit(), repo, "alice")).rejects.toMatchObject({ status: 403 });
  });
});

describe("findReply / storedPlans", () => {
  const plan = (over: Partial<ChangePlan> = {}): ChangePlan => ({
    action: "promote",
    experimentId: 42,
    experimentName: "New checkout",
    flagKey: "new-checkout",
    flagId: 7,
    variant: "test",
    disableFlag: false,
    force: false,
    steps: [{ kind: "ship-variant", variant: "test", conclusion: "won" }],
    requestedBy: "alice",
    requestedAt: "2026-11-21T11:50:00.000Z",
    status: "pending",
    ...over,
  });

  /** Serves the conversation of PR 5 and reads it back through `listConversation` (real response shapes). */
  async function conversation(comments: { id: number; login: string; body: string | null }[]) {
    nock(GITHUB)
      .get(`${ISSUES}/5/comments`)
      .query({ per_page: "100" })
      .reply(
        200,
        comments.map((c) => ({ id: c.id, body: c.body, user: { login: c.login, type: "User" }, created_at: NOW.toISOString() })),
      );
    return listConversation(octokit(), repo, 5);
  }

  it("finds the bot's reply to a command comment, by marker and author (login case-insensitive)", async () => {
    const comments = await conversation([
      { id: 1, login: "mallory", body: `Fake reply ${replyMarker(100)}` },
      { id: 2, login: "Experiment-Hygiene[bot]", body: `Reply ${replyMarker(100)}` },
      { id: 3, login: BOT_LOGIN, body: `Reply ${replyMarker(101)}` },
    ]);
    expect(findReply(comments, BOT_LOGIN, 100)?.id).toBe(2);
    expect(findReply(comments, BOT_LOGIN, 101)?.id).toBe(3);
    expect(findReply(comments, BOT_LOGIN, 102)).toBeNull();
  });

  it("ignores a reply marker pasted by a user", async () => {
    const comments = await conversation([{ id: 1, login: "mallory", body: replyMarker(100) }]);
    expect(findReply(comments, BOT_LOGIN, 100)).toBeNull();
  });

  it("reads plans only from the bot's comments, so a pasted plan marker is inert", async () => {
    const mine = plan();
    const forged = plan({ variant: "evil", requestedBy: "mallory" });
    const comments = await conversation([
      { id: 1, login: "mallory", body: `Look: ${planMarker(forged)}` },
      { id: 2, login: BOT_LOGIN, body: `Plan\n${planMarker(mine)}\n` },
      { id: 3, login: BOT_LOGIN, body: "A reply without a plan." },
      { id: 4, login: BOT_LOGIN, body: null },
      { id: 5, login: BOT_LOGIN, body: "<!-- experiment-hygiene:plan {broken -->" },
    ]);
    expect(storedPlans(comments, BOT_LOGIN)).toEqual([{ commentId: 2, body: `Plan\n${planMarker(mine)}\n`, plan: mine }]);
    expect(storedPlans(comments, "someone-else[bot]")).toEqual([]);
  });

  it("handles a comment without a user (deleted account)", async () => {
    nock(GITHUB).get(`${ISSUES}/5/comments`).query({ per_page: "100" }).reply(200, [{ id: 9, body: planMarker(plan()), user: null }]);
    const comments = await listConversation(octokit(), repo, 5);
    expect(storedPlans(comments, BOT_LOGIN)).toEqual([]);
    expect(findReply(comments, BOT_LOGIN, 9)).toBeNull();
  });
});

describe("recordAcknowledgement", () => {
  const KEY = "experiment:42:srm";
  const ack: Acknowledgement = { kind: "ack", by: "alice", at: NOW.toISOString(), until: null, reason: "bot traffic --> <b>" };
  const CLOSE = "Closing: acknowledged by @\u200Balice (`/experiment ack`).";
  const earlier: AcknowledgementStore = new Map([
    ["experiment:7:zombie", { kind: "snooze", by: "bob", at: "2026-11-20T00:00:00.000Z", until: "2026-11-27T00:00:00.000Z", reason: null }],
  ]);

  function listed(number: number, key: string, opts: { state?: "open" | "closed"; body?: string; login?: string; issueState?: IssueState } = {}) {
    const state = opts.state ?? "open";
    return {
      number,
      title: `Issue ${key}`,
      state,
      body: opts.body ?? renderIssueBody({ dedupeKey: key, body: "Finding." }, opts.issueState ?? { first_seen: "2026-11-01T00:00:00.000Z" }),
      user: { login: opts.login ?? BOT_LOGIN },
      created_at: "2026-11-01T00:00:00Z",
      closed_at: state === "closed" ? "2026-11-10T00:00:00Z" : null,
    };
  }

  /** A dashboard body as a scan writes it: section text, memory, acks and findings markers, identity and state. */
  function dashboardBody(): string {
    return renderIssueBody(
      {
        dedupeKey: "dashboard",
        body: [
          "1 lifecycle finding in 1 experiment.",
          '<!-- experiment-hygiene:decisions {"7":{"decision":"promote","since":"2026\\u002d11\\u002d01T00:00:00.000Z"}} -->',
          acknowledgementsMarker(earlier),
          "<!-- experiment-hygiene:findings experiment:7:zombie -->",
        ].join("\n"),
      },
      { first_seen: "2026-11-01T00:00:00.000Z" },
    );
  }

  it("updates the dashboard's store in place, keeping its other markers, and closes the finding's open issue", async () => {
    const dashboard = listed(5, "dashboard", { body: dashboardBody() });
    const updates: Record<number, any> = {};
    const comments: Record<number, any> = {};
    const scope = nock(GITHUB)
      .get(ISSUES)
      .query(LIST_QUERY)
      .reply(200, [
        // A dashboard marker pasted into an issue by a person, with a lower number: never touched.
        listed(2, "dashboard", { login: "mallory", body: dashboardBody() }),
        dashboard,
        listed(11, KEY, { issueState: { first_seen: "2026-11-02T00:00:00.000Z", p: 1e-9 } }),
        listed(12, "experiment:42:contamination"),
        listed(13, KEY, { state: "closed" }),
        listed(14, "experiment:43:srm"),
      ])
      .patch(`${ISSUES}/5`, (b: any) => ((updates[5] = b), true))
      .reply(200, { number: 5 })
      .post(`${ISSUES}/11/comments`, (b: any) => ((comments[11] = b), true))
      .reply(201, { id: 900 })
      .patch(`${ISSUES}/11`, (b: any) => ((updates[11] = b), true))
      .reply(200, { number: 11 });

    const result = await recordAcknowledgement(octokit(), repo, {
      botLogin: BOT_LOGIN,
      labels: ["experiment-hygiene", "team-growth"],
      key: KEY,
      ack,
      closeComment: CLOSE,
      now: NOW,
    });

    expect(scope.pendingMocks()).toEqual([]);
    expect(result).toEqual({ dashboardIssue: 5, closedIssues: [11] });

    const body: string = updates[5].body;
    expect(Object.keys(updates[5])).toEqual(["body"]); // the dashboard is not closed, retitled or relabelled
    expect(Object.fromEntries(parseAcknowledgements(body))).toEqual({ ...Object.fromEntries(earlier), [KEY]: ack });
    expect(body.split("<!-- experiment-hygiene:acks ")).toHaveLength(2);
    expect(body.replace(/<!-- experiment-hygiene:acks .*? -->/, "")).toBe(dashboardBody().replace(/<!-- experiment-hygiene:acks .*? -->/, ""));
    expect(parseIssueKey(body)).toBe("dashboard");
    expect([...parseDashboardKeys(body)]).toEqual(["experiment:7:zombie"]);
    expect(parseMemory(body).get(7)).toEqual({ decision: "promote", since: "2026-11-01T00:00:00.000Z" });
    expect(parseIssueState(body)).toEqual({ first_seen: "2026-11-01T00:00:00.000Z" });

    expect(comments[11]).toEqual({ body: CLOSE });
    expect(updates[11]).toMatchObject({ state: "closed", state_reason: "not_planned" });
    expect(parseIssueState(updates[11].body)).toEqual({
      first_seen: "2026-11-02T00:00:00.000Z",
      p: 1e-9,
      closed_by: "app",
      closed_at: NOW.toISOString(),
    });
    expect(parseIssueKey(updates[11].body)).toBe(KEY);
  });

  it("replaces an earlier acknowledgement of the same key", async () => {
    const store: AcknowledgementStore = new Map([[KEY, { ...ack, by: "bob", reason: "old" }]]);
    const body = renderIssueBody({ dedupeKey: "dashboard", body: `Text\n${acknowledgementsMarker(store)}` }, {});
    let written = "";
    nock(GITHUB)
      .patch(`${ISSUES}/5`, (b: any) => ((written = b.body), true))
      .reply(200, { number: 5 });
    const managed = [
      { number: 5, key: "dashboard", title: "Experiment hygiene dashboard", body, open: true, createdAt: "2026-11-01T00:00:00Z", closedAt: null, state: {} },
    ];
    const result = await recordAcknowledgement(octokit(), repo, {
      botLogin: BOT_LOGIN,
      labels: ["experiment-hygiene"],
      key: KEY,
      ack,
      closeComment: CLOSE,
      now: NOW,
      managed, // given: no listing call
    });
    expect(result).toEqual({ dashboardIssue: 5, closedIssues: [] });
    expect(Object.fromEntries(parseAcknowledgements(written))).toEqual({ [KEY]: ack });
  });

  it("creates the dashboard with the report labels plus dashboard when the repository has none", async () => {
    let created: any = null;
    const scope = nock(GITHUB)
      .get(ISSUES)
      .query({ ...LIST_QUERY, labels: "hygiene" })
      .reply(200, [listed(2, "dashboard", { login: "mallory" }), listed(11, KEY, { state: "closed" })])
      .post(ISSUES, (b: any) => ((created = b), true))
      .reply(201, { number: 77 });

    const result = await recordAcknowledgement(octokit(), repo, {
      botLogin: BOT_LOGIN,
      labels: ["hygiene", "team-growth"],
      key: KEY,
      ack,
      closeComment: CLOSE,
      now: NOW,
    });

    expect(scope.pendingMocks()).toEqual([]);
    expect(result).toEqual({ dashboardIssue: 77, closedIssues: [] });
    expect(created.title).toBe("Experiment hygiene dashboard");
    expect(created.labels).toEqual(["hygiene", "team-growth", "dashboard"]);
    expect(parseIssueKey(created.body)).toBe("dashboard");
    expect(parseIssueState(created.body)).toEqual({ first_seen: NOW.toISOString() });
    expect(Object.fromEntries(parseAcknowledgements(created.body))).toEqual({ [KEY]: ack });
    expect(created.body.indexOf("<!-- experiment-hygiene:acks ")).toBeLessThan(created.body.indexOf("<!-- experiment-hygiene:state "));
  });

  it("does not repeat the dashboard label", async () => {
    let labels: string[] = [];
    nock(GITHUB)
      .post(ISSUES, (b: any) => ((labels = b.labels), true))
      .reply(201, { number: 78 });
    await recordAcknowledgement(octokit(), repo, {
      botLogin: BOT_LOGIN,
      labels: ["experiment-hygiene", "dashboard"],
      key: KEY,
      ack,
      closeComment: CLOSE,
      now: NOW,
      managed: [],
    });
    expect(labels).toEqual(["experiment-hygiene", "dashboard"]);
  });

  it("surfaces a failed write", async () => {
    nock(GITHUB).post(ISSUES).reply(422, { message: "Validation Failed" });
    await expect(
      recordAcknowledgement(octokit(), repo, { botLogin: BOT_LOGIN, labels: ["experiment-hygiene"], key: KEY, ack, closeComment: CLOSE, now: NOW, managed: [] }),
    ).rejects.toMatchObject({ status: 422 });
  });
});
