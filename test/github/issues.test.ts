/**
 * The issue reconciler against nock: exact GitHub calls for each transition (create, unchanged, update,
 * close, out of scope, acknowledgement, escalation, reopen after `reopenAfterDays`, app-closed and back),
 * dry run, foreign authors, partial failure, and two overlapping scans against an in-memory fake of the
 * issues API that must still converge to one open issue per key.
 */
import { Octokit } from "@octokit/rest";
import nock from "nock";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  type DesiredIssue,
  type IssueState,
  IssueInputError,
  issueMarker,
  parseIssueKey,
  parseIssueState,
  reconcileIssues,
  ReconcileIssuesError,
  type ReconcileOptions,
  renderIssueBody,
  stateMarker,
} from "../../src/github/issues.js";
import { BOT_LOGIN, GITHUB, OWNER, REPO } from "../support/github.js";

const NOW = new Date("2026-11-20T12:00:00Z");
const LABEL = "experiment-hygiene";
const ISSUES = `/repos/${OWNER}/${REPO}/issues`;
const LIST_QUERY = { creator: BOT_LOGIN, labels: LABEL, state: "all", per_page: "100" };
const repoRef = { owner: OWNER, repo: REPO };

/**
 * @octokit/rest 22 bundles only core, paginate-rest, request-log and rest-endpoint-methods — no retry or
 * throttling plugin — so a mocked 500 fails at once. The logger is silenced.
 */
function octokit(): Octokit {
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };
  return new Octokit({ auth: "token test", log: quiet });
}

function srm(id: number, p: number, extra: Partial<DesiredIssue> = {}): DesiredIssue {
  return {
    dedupeKey: `experiment:${id}:srm`,
    title: `Sample ratio mismatch in experiment ${id}`,
    body: `## Sample ratio mismatch\n\nObserved 5,210 vs expected 5,000 in control; p-value ${p}.`,
    labels: [LABEL, "srm"],
    escalation: { pValue: p, deviation: 0.021 },
    ...extra,
  };
}

function options(extra: Partial<ReconcileOptions> = {}): ReconcileOptions {
  return { botLogin: BOT_LOGIN, label: LABEL, now: NOW, reopenAfterDays: 30, inScope: () => true, ...extra };
}

interface FakeIssue {
  number: number;
  title: string;
  body: string;
  state: "open" | "closed";
  closed_at: string | null;
  created_at: string;
  user: { login: string };
  labels: { name: string }[];
  pull_request?: { url: string };
}

/** A listed issue as GitHub returns it, with the body the reconciler would have written. */
function existing(
  number: number,
  want: DesiredIssue,
  opts: {
    state?: "open" | "closed";
    closedAt?: string;
    issueState?: IssueState;
    body?: string;
    login?: string;
    title?: string;
  } = {},
): FakeIssue {
  const issueState = opts.issueState ?? { p: want.escalation?.pValue, first_seen: "2026-11-01T08:00:00.000Z" };
  return {
    number,
    title: opts.title ?? want.title,
    body: opts.body ?? renderIssueBody(want, issueState),
    state: opts.state ?? "open",
    closed_at: opts.state === "closed" ? (opts.closedAt ?? "2026-11-10T09:00:00Z") : null,
    created_at: "2026-11-01T08:00:00Z",
    user: { login: opts.login ?? BOT_LOGIN },
    labels: want.labels.map((name) => ({ name })),
  };
}

function nockList(issues: FakeIssue[], scope = nock(GITHUB)): nock.Scope {
  return scope.get(ISSUES).query(LIST_QUERY).reply(200, issues);
}

beforeEach(() => {
  nock.disableNetConnect();
});

afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

describe("markers and state", () => {
  it("round-trips state through a marker that never contains -- or >", () => {
    const state: IssueState = { p: 1e-9, d: -0.03, first_seen: "2026--11 -->x<y", closed_by: "app", duplicate_of: 4 };
    const m = stateMarker(state);
    const inner = m.slice("<!-- ".length, -" -->".length);
    expect(inner).not.toContain("--");
    expect(inner).not.toContain(">");
    expect(parseIssueState(`text\n${m}\n`)).toEqual(state);
  });

  it("reads no state from a body without a marker or with broken JSON, and drops mistyped fields", () => {
    expect(parseIssueState("no marker")).toBeNull();
    expect(parseIssueState("<!-- experiment-hygiene:state {not json} -->")).toBeNull();
    expect(parseIssueState('<!-- experiment-hygiene:state {"p":"small","closed_by":"bob","first_seen":"x"} -->')).toEqual({
      first_seen: "x",
    });
  });

  it("builds and parses the identity marker and rejects keys that cannot live in a comment", () => {
    expect(issueMarker("experiment:42:srm")).toBe("<!-- experiment-hygiene:issue:experiment:42:srm -->");
    expect(parseIssueKey(`x\n${issueMarker("dashboard")}\ny`)).toBe("dashboard");
    for (const bad of ["", "a b", "a--b", "a>b"]) expect(() => issueMarker(bad)).toThrow(IssueInputError);
  });

  it("rejects a repeated dedupe key before any call", async () => {
    await expect(reconcileIssues(octokit(), repoRef, [srm(1, 1e-5), srm(1, 1e-6)], options())).rejects.toThrow(
      /desired twice/,
    );
  });
});

describe("reconcileIssues", () => {
  it("opens an issue with labels, the identity marker and state, then re-lists for duplicates", async () => {
    const want = srm(42, 1e-7);
    const created = vi.fn((_body: any) => true);
    const scope = nockList([]);
    scope.post(ISSUES, created).reply(201, { number: 7 });
    nockList([{ ...existing(7, want) }], scope);

    const actions = await reconcileIssues(octokit(), repoRef, [want], options());

    expect(actions).toEqual([
      { action: "create", dedupeKey: "experiment:42:srm", issueNumber: 7, title: want.title, reason: "new finding" },
    ]);
    const sent = created.mock.lastCall![0];
    expect(sent.title).toBe(want.title);
    expect(sent.labels).toEqual([LABEL, "srm"]);
    expect(sent.body.startsWith("<!-- experiment-hygiene:issue:experiment:42:srm -->\n")).toBe(true);
    expect(sent.body).toContain(want.body);
    expect(parseIssueState(sent.body)).toEqual({ p: 1e-7, d: 0.021, first_seen: "2026-11-20T12:00:00.000Z" });
    expect(scope.pendingMocks()).toEqual([]);
  });

  it("makes no write when title and body are unchanged, even if the stored figures drifted", async () => {
    const want = srm(42, 1e-7);
    // Stored p differs from the new one (volatile); the visible body and first_seen are the same.
    const issue = existing(3, want, { issueState: { p: 3e-7, d: 0.02, first_seen: "2026-11-01T08:00:00.000Z" } });
    const scope = nockList([issue]);

    const actions = await reconcileIssues(octokit(), repoRef, [want], options());

    expect(actions.map((a) => [a.action, a.issueNumber])).toEqual([["unchanged", 3]]);
    expect(scope.pendingMocks()).toEqual([]);
    expect(nock.activeMocks()).toEqual([]);
  });

  it("rewrites a changed body in place and keeps first_seen", async () => {
    const before = srm(42, 1e-7);
    const after = srm(42, 1e-9, { body: "## Sample ratio mismatch\n\nNow 5,400 vs 5,000." });
    const patched = vi.fn((_body: any) => true);
    const scope = nockList([existing(3, before)]);
    scope.patch(`${ISSUES}/3`, patched).reply(200, { number: 3 });

    const actions = await reconcileIssues(octokit(), repoRef, [after], options());

    expect(actions.map((a) => [a.action, a.issueNumber])).toEqual([["update", 3]]);
    const sent = patched.mock.lastCall![0];
    expect(sent.state).toBeUndefined();
    expect(sent.body).toContain("Now 5,400 vs 5,000.");
    expect(parseIssueState(sent.body)).toEqual({ p: 1e-9, d: 0.021, first_seen: "2026-11-01T08:00:00.000Z" });
    expect(scope.pendingMocks()).toEqual([]);
  });

  it("comments and closes an in-scope issue whose condition cleared, recording closed_by app", async () => {
    const want = srm(42, 1e-7);
    const commented = vi.fn((_body: any) => true);
    const patched = vi.fn((_body: any) => true);
    const scope = nockList([existing(3, want)]);
    scope.post(`${ISSUES}/3/comments`, commented).reply(201, { id: 1 });
    scope.patch(`${ISSUES}/3`, patched).reply(200, { number: 3 });

    const actions = await reconcileIssues(
      octokit(),
      repoRef,
      [],
      options({ closeReason: (key) => (key === "experiment:42:srm" ? "experiment 42 ended on 2026-11-19" : null) }),
    );

    expect(actions.map((a) => [a.action, a.issueNumber, a.dedupeKey])).toEqual([["close", 3, "experiment:42:srm"]]);
    expect(commented.mock.lastCall![0].body).toMatch(/^The condition cleared on 2026-11-20: experiment 42 ended on 2026-11-19\./);
    const sent = patched.mock.lastCall![0];
    expect(sent.state).toBe("closed");
    expect(sent.body).toContain(want.body);
    expect(parseIssueState(sent.body)).toMatchObject({ closed_by: "app", closed_at: NOW.toISOString(), p: 1e-7 });
    expect(scope.pendingMocks()).toEqual([]);
  });

  it("leaves an out-of-scope issue untouched", async () => {
    const scope = nockList([existing(3, srm(42, 1e-7)), existing(4, srm(43, 1e-7))]);
    const inScope = vi.fn((key: string) => key !== "experiment:42:srm");
    const commented = vi.fn((_body: any) => true);
    scope.post(`${ISSUES}/4/comments`, commented).reply(201, { id: 1 });
    scope.patch(`${ISSUES}/4`).reply(200, { number: 4 });

    const actions = await reconcileIssues(octokit(), repoRef, [], options({ inScope }));

    expect(inScope).toHaveBeenCalledWith("experiment:42:srm");
    expect(actions.map((a) => [a.action, a.issueNumber])).toEqual([["close", 4]]);
    expect(commented.mock.lastCall![0].body).toContain("the latest scan no longer finds it");
    expect(scope.pendingMocks()).toEqual([]);
  });

  it("keeps an issue a person closed closed (an acknowledgement)", async () => {
    const want = srm(42, 1e-7);
    const scope = nockList([existing(3, want, { state: "closed", closedAt: "2026-11-10T09:00:00Z" })]);

    const actions = await reconcileIssues(octokit(), repoRef, [want], options());

    expect(actions.map((a) => [a.action, a.issueNumber])).toEqual([["acknowledged", 3]]);
    expect(scope.pendingMocks()).toEqual([]);
    expect(nock.activeMocks()).toEqual([]);
  });

  it("reopens a person-closed issue when the SRM p-value fell 10,000× (1e-4 → 1e-8), naming the numbers", async () => {
    const atClose = srm(42, 1e-4);
    const now = srm(42, 1e-8);
    const patched = vi.fn((_body: any) => true);
    const commented = vi.fn((_body: any) => true);
    const scope = nockList([existing(3, atClose, { state: "closed", issueState: { p: 1e-4, d: 0.021 } })]);
    scope.patch(`${ISSUES}/3`, patched).reply(200, { number: 3 });
    scope.post(`${ISSUES}/3/comments`, commented).reply(201, { id: 1 });

    const actions = await reconcileIssues(octokit(), repoRef, [now], options());

    expect(actions.map((a) => [a.action, a.issueNumber])).toEqual([["reopen", 3]]);
    expect(patched.mock.lastCall![0]).toMatchObject({ state: "open" });
    expect(parseIssueState(patched.mock.lastCall![0].body)).toMatchObject({ p: 1e-8 });
    expect(parseIssueState(patched.mock.lastCall![0].body)?.closed_by).toBeUndefined();
    const comment = commented.mock.lastCall![0].body as string;
    expect(comment).toContain("escalated");
    expect(comment).toContain("1.0e-4 → 1.0e-8");
    expect(comment).toContain("10,000×");
    expect(scope.pendingMocks()).toEqual([]);
  });

  it("reopens a person-closed issue when the deviation doubled", async () => {
    const now = srm(42, 1e-4, { escalation: { pValue: 1e-4, deviation: 0.05 } });
    const commented = vi.fn((_body: any) => true);
    const scope = nockList([existing(3, now, { state: "closed", issueState: { p: 1e-4, d: 0.02 } })]);
    scope.patch(`${ISSUES}/3`).reply(200, { number: 3 });
    scope.post(`${ISSUES}/3/comments`, commented).reply(201, { id: 1 });

    const actions = await reconcileIssues(octokit(), repoRef, [now], options());

    expect(actions.map((a) => a.action)).toEqual(["reopen"]);
    expect(commented.mock.lastCall![0].body).toContain("deviation 0.02 → 0.05 (2.5×");
    expect(scope.pendingMocks()).toEqual([]);
  });

  it("keeps it closed when the p-value moved but did not escalate materially (1e-4 → 5e-5)", async () => {
    const now = srm(42, 5e-5, { escalation: { pValue: 5e-5, deviation: 0.03 } });
    const scope = nockList([existing(3, now, { state: "closed", issueState: { p: 1e-4, d: 0.02 } })]);

    const actions = await reconcileIssues(octokit(), repoRef, [now], options());

    expect(actions.map((a) => a.action)).toEqual(["acknowledged"]);
    expect(scope.pendingMocks()).toEqual([]);
    expect(nock.activeMocks()).toEqual([]);
  });

  it("reopens 31 days after a person's close while the problem persists, but not at 29", async () => {
    const want = srm(42, 1e-4);
    const closedAt = (days: number) => new Date(NOW.getTime() - days * 86_400_000).toISOString();
    const commented = vi.fn((_body: any) => true);
    const scope = nockList([existing(3, want, { state: "closed", closedAt: closedAt(31) })]);
    scope.patch(`${ISSUES}/3`, (b: any) => b.state === "open").reply(200, { number: 3 });
    scope.post(`${ISSUES}/3/comments`, commented).reply(201, { id: 1 });

    const actions = await reconcileIssues(octokit(), repoRef, [want], options());

    expect(actions.map((a) => a.action)).toEqual(["reopen"]);
    expect(commented.mock.lastCall![0].body).toContain("31 days ago (more than `reopen_after_days` = 30)");
    expect(scope.pendingMocks()).toEqual([]);

    const again = nockList([existing(3, want, { state: "closed", closedAt: closedAt(29) })]);
    const actions2 = await reconcileIssues(octokit(), repoRef, [want], options());
    expect(actions2.map((a) => a.action)).toEqual(["acknowledged"]);
    expect(again.pendingMocks()).toEqual([]);
  });

  it("reopens an issue the app closed when the condition is back", async () => {
    const want = srm(42, 1e-3);
    const commented = vi.fn((_body: any) => true);
    const patched = vi.fn((_body: any) => true);
    const scope = nockList([
      existing(3, want, {
        state: "closed",
        closedAt: "2026-11-18T12:00:05Z",
        issueState: { p: 1e-3, first_seen: "2026-11-01T08:00:00.000Z", closed_by: "app", closed_at: "2026-11-18T12:00:00.000Z" },
      }),
    ]);
    scope.patch(`${ISSUES}/3`, patched).reply(200, { number: 3 });
    scope.post(`${ISSUES}/3/comments`, commented).reply(201, { id: 1 });

    const actions = await reconcileIssues(octokit(), repoRef, [want], options());

    expect(actions.map((a) => [a.action, a.issueNumber])).toEqual([["reopen", 3]]);
    expect(parseIssueState(patched.mock.lastCall![0].body)).toEqual({
      p: 1e-3,
      d: 0.021,
      first_seen: "2026-11-01T08:00:00.000Z",
    });
    expect(commented.mock.lastCall![0].body).toContain("The condition is back as of 2026-11-20");
    expect(scope.pendingMocks()).toEqual([]);
  });

  it("ignores issues by another author and pull requests that carry the marker", async () => {
    const want = srm(42, 1e-7);
    const forged = existing(90, want, { login: "mallory" });
    const pr = { ...existing(91, want), pull_request: { url: "https://api.github.com/x" } };
    const created = vi.fn((_body: any) => true);
    const scope = nockList([forged, pr]);
    scope.post(ISSUES, created).reply(201, { number: 92 });
    nockList([forged, pr, existing(92, want)], scope);

    const actions = await reconcileIssues(octokit(), repoRef, [want], options());

    expect(actions.map((a) => [a.action, a.issueNumber])).toEqual([["create", 92]]);
    expect(scope.pendingMocks()).toEqual([]);
  });

  it("matches the bot login case-insensitively", async () => {
    const want = srm(42, 1e-7);
    const scope = nockList([existing(3, want, { login: BOT_LOGIN.toUpperCase() })]);
    const actions = await reconcileIssues(octokit(), repoRef, [want], options());
    expect(actions.map((a) => a.action)).toEqual(["unchanged"]);
    expect(scope.pendingMocks()).toEqual([]);
  });

  it("with several open issues for one key keeps the oldest and closes the others as duplicates", async () => {
    const want = srm(42, 1e-7);
    const commented = vi.fn((_body: any) => true);
    const patched = vi.fn((_body: any) => true);
    const scope = nockList([existing(8, want), existing(5, want)]);
    scope.post(`${ISSUES}/8/comments`, commented).reply(201, { id: 1 });
    scope.patch(`${ISSUES}/8`, patched).reply(200, { number: 8 });

    const actions = await reconcileIssues(octokit(), repoRef, [want], options());

    expect(actions.map((a) => [a.action, a.issueNumber])).toEqual([
      ["close-duplicate", 8],
      ["unchanged", 5],
    ]);
    expect(commented.mock.lastCall![0].body).toBe("Duplicate of #5");
    expect(patched.mock.lastCall![0].state).toBe("closed");
    expect(parseIssueState(patched.mock.lastCall![0].body)).toMatchObject({ closed_by: "app", duplicate_of: 5 });
    expect(scope.pendingMocks()).toEqual([]);
  });

  it("in a dry run lists and plans but writes nothing", async () => {
    const scope = nockList([
      existing(3, srm(1, 1e-7)), // will be updated
      existing(4, srm(2, 1e-7)), // cleared → close
      existing(5, srm(3, 1e-4), { state: "closed", issueState: { p: 1e-4 } }), // escalated → reopen
    ]);

    const actions = await reconcileIssues(
      octokit(),
      repoRef,
      [srm(1, 1e-7, { title: "New title" }), srm(3, 1e-9), srm(4, 1e-7)],
      options({ dryRun: true }),
    );

    expect(actions.map((a) => [a.action, a.dedupeKey, a.issueNumber])).toEqual([
      ["update", "experiment:1:srm", 3],
      ["reopen", "experiment:3:srm", 5],
      ["create", "experiment:4:srm", null],
      ["close", "experiment:2:srm", 4],
    ]);
    expect(scope.pendingMocks()).toEqual([]);
    expect(nock.activeMocks()).toEqual([]);
  });

  it("keeps going after a 500 on one update and then throws an AggregateError naming it", async () => {
    const a = srm(1, 1e-7);
    const b = srm(2, 1e-7);
    const scope = nockList([existing(3, a), existing(4, b)]);
    scope.patch(`${ISSUES}/3`).reply(500, { message: "Server Error" });
    const patched = vi.fn((_body: any) => true);
    scope.patch(`${ISSUES}/4`, patched).reply(200, { number: 4 });

    const changed = (d: DesiredIssue) => ({ ...d, body: `${d.body}\n\nUpdated.` });
    const error = await reconcileIssues(octokit(), repoRef, [changed(a), changed(b)], options()).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AggregateError);
    expect(error).toBeInstanceOf(ReconcileIssuesError);
    const e = error as ReconcileIssuesError;
    expect(e.failures.map((f) => [f.action, f.dedupeKey, f.issueNumber])).toEqual([["update", "experiment:1:srm", 3]]);
    expect((e.errors[0] as { status?: number }).status).toBe(500);
    expect(e.message).toContain("update experiment:1:srm (#3)");
    expect(e.actions.map((x) => [x.action, x.issueNumber])).toEqual([["update", 4]]);
    expect(patched).toHaveBeenCalledTimes(1);
    expect(scope.pendingMocks()).toEqual([]);
  });
});

describe("overlapping scans", () => {
  /** A tiny in-memory issues API: list (filtered like GitHub's), create, update, comment. */
  function fakeIssuesApi() {
    const issues: FakeIssue[] = [];
    const comments: { issue: number; body: string }[] = [];
    let clock = Date.parse("2026-11-20T12:00:00Z");
    const tick = () => new Date((clock += 1000)).toISOString();
    const pause = () => new Promise((r) => setTimeout(r, 5));
    const scope = nock(GITHUB).persist();
    scope
      .get(ISSUES)
      .query(true)
      .reply(async (uri) => {
        const q = new URL(uri, GITHUB).searchParams;
        const snapshot = issues
          .filter((i) => i.user.login === q.get("creator"))
          .filter((i) => i.labels.some((l) => l.name === q.get("labels")))
          .filter((i) => q.get("state") === "all" || i.state === q.get("state"))
          .map((i) => structuredClone(i));
        await pause();
        return [200, snapshot];
      });
    scope.post(ISSUES).reply(async (_uri, body: any) => {
      await pause();
      const issue: FakeIssue = {
        number: issues.length + 1,
        title: body.title,
        body: body.body,
        state: "open",
        closed_at: null,
        created_at: tick(),
        user: { login: BOT_LOGIN },
        labels: (body.labels as string[]).map((name) => ({ name })),
      };
      issues.push(issue);
      return [201, issue];
    });
    scope.patch(/\/issues\/\d+$/).reply(async (uri, body: any) => {
      await pause();
      const issue = issues.find((i) => i.number === Number(uri.split("/").pop()));
      if (!issue) return [404, { message: "Not Found" }];
      if (body.title !== undefined) issue.title = body.title;
      if (body.body !== undefined) issue.body = body.body;
      if (body.state !== undefined && body.state !== issue.state) {
        issue.state = body.state;
        issue.closed_at = body.state === "closed" ? tick() : null;
      }
      return [200, issue];
    });
    scope.post(/\/issues\/\d+\/comments$/).reply(async (uri, body: any) => {
      await pause();
      comments.push({ issue: Number(uri.split("/").at(-2)), body: body.body });
      return [201, { id: comments.length }];
    });
    return { issues, comments };
  }

  it("converges to exactly one open issue per key, the oldest, when two scans race", async () => {
    const fake = fakeIssuesApi();
    const desired = [srm(1, 1e-7), srm(2, 1e-6)];
    const run = () => reconcileIssues(octokit(), repoRef, desired, options());

    await Promise.all([run(), run()]);

    // Both scans listed an empty repository, so each created one issue per key…
    expect(fake.issues).toHaveLength(4);
    // …and the re-list after creating closed the later one of each pair.
    for (const d of desired) {
      const forKey = fake.issues.filter((i) => parseIssueKey(i.body) === d.dedupeKey);
      const open = forKey.filter((i) => i.state === "open");
      expect(open).toHaveLength(1);
      expect(open[0]!.number).toBe(Math.min(...forKey.map((i) => i.number)));
      const dup = forKey.find((i) => i.state === "closed")!;
      expect(fake.comments.filter((c) => c.issue === dup.number).map((c) => c.body)).toContain(
        `Duplicate of #${open[0]!.number}`,
      );
    }

    // A further pair of overlapping scans changes nothing.
    const writesBefore = JSON.stringify(fake);
    const [a, b] = await Promise.all([run(), run()]);
    expect([...a, ...b].map((x) => x.action)).toEqual(["unchanged", "unchanged", "unchanged", "unchanged"]);
    expect(JSON.stringify(fake)).toBe(writesBefore);
  });

  it("a scan and a clearing scan racing still leave no key with two open issues", async () => {
    const fake = fakeIssuesApi();
    await reconcileIssues(octokit(), repoRef, [srm(1, 1e-7)], options());
    await Promise.all([
      reconcileIssues(octokit(), repoRef, [srm(1, 1e-7), srm(2, 1e-7)], options()),
      reconcileIssues(octokit(), repoRef, [srm(2, 1e-7)], options()),
    ]);
    const openKeys = fake.issues.filter((i) => i.state === "open").map((i) => parseIssueKey(i.body));
    expect(new Set(openKeys).size).toBe(openKeys.length);
    expect(openKeys).toContain("experiment:2:srm");
  });
});
