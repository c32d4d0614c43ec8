/**
 * The pull_request handler's overall deadline and the PostHog notice, through Probot with nock (GitHub,
 * PostHog) and, for the trickling body, a real local HTTP server standing in for PostHog.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import nock from "nock";
import type { Probot } from "probot";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createApp } from "../../src/app/index.js";
import { buildProject, DEMO_EXPERIMENTS } from "../../src/demo/project.js";
import { PR_COMMENT_MARKER } from "../../src/github/sticky-comment.js";
import { createPostHogClient, type PostHogApi } from "../../src/posthog/index.js";
import { CONFIG_ERROR_MARKER } from "../../src/render/config-problems.js";
import { POSTHOG_NOTICE_MARKER } from "../../src/render/notice.js";
import { renderConfigProblemsComment } from "../../src/render/pr-comment.js";
import {
  BOT_LOGIN,
  examplePayload,
  GITHUB,
  nockAppAuth,
  nockCheckRun,
  nockConfig,
  OWNER,
  PR_NUMBER,
  REPO,
} from "../support/github.js";
import { API_KEY, nockAnalysis, POSTHOG, PROJECT_ID } from "../support/posthog.js";
import { CHECKOUT_DIFF, loggingProbot, nockPullDiff } from "../support/pull-request.js";

const NOW = new Date("2026-11-20T12:00:00Z");
const project = buildProject(NOW, [DEMO_EXPERIMENTS[0]!], [{ id: 301, key: "checkout-copy-tweak" }], PROJECT_ID);
const DIFF = CHECKOUT_DIFF;
const NO_FLAGS_DIFF = DIFF.replace('posthog.getFeatureFlag("new-checkout")', "computeVariant()");
const comments = `/repos/${OWNER}/${REPO}/issues/${PR_NUMBER}/comments`;
const flagsPath = `/api/projects/${PROJECT_ID}/feature_flags/`;

/** Probot as the App, logging JSON lines into `lines` at info and above. */
function makeProbot(lines: Record<string, unknown>[]): Probot {
  return loggingProbot(lines, "info");
}

function posthogClient(host = POSTHOG, extra: { deadlineMs?: number } = {}): PostHogApi {
  return createPostHogClient({ host, projectId: PROJECT_ID, apiKey: API_KEY, retry: { limit: 0 }, ...extra });
}

function nockDiff(scope: nock.Scope, diff = DIFF): nock.Scope {
  return nockPullDiff(scope, diff);
}

const opened = () => examplePayload("pull_request", "opened") as any;
const synchronize = () => examplePayload("pull_request", "synchronize") as any;

beforeEach(() => {
  nock.disableNetConnect();
});

afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

describe("pull_request deadline", () => {
  it("abandons a stuck analysis at the deadline, logs the delivery id, leaves the comment, and lets the next event for the PR run", async () => {
    const real = posthogClient();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let flagCalls = 0;
    // The first analysis hangs inside PostHog (as a trickling body did before request deadlines); later ones are served.
    const stuckOnce = new Proxy(real, {
      get(target, prop) {
        if (prop === "listFeatureFlags") {
          return async () => {
            flagCalls++;
            if (flagCalls === 1) {
              await gate;
              return [];
            }
            return target.listFeatureFlags();
          };
        }
        return Reflect.get(target, prop, target) as unknown;
      },
    });
    const lines: Record<string, unknown>[] = [];
    const probot = makeProbot(lines);
    // The deadline must leave the second (healthy) event time to finish on a loaded machine: at 400 ms it,
    // too, was sometimes abandoned while the full suite ran beside other work.
    await probot.load(createApp({ posthog: stuckOnce, now: () => NOW, env: { PR_HANDLER_DEADLINE_MS: "3000" } }));

    const existing = { id: 2, body: `${PR_COMMENT_MARKER}\nold analysis`, user: { login: BOT_LOGIN } };
    const patched = vi.fn((_body: any) => true);
    const gh = nockAppAuth();
    nockConfig(gh, null); // first event
    nockDiff(gh);
    nockConfig(gh, null); // second event
    nockCheckRun(gh);
    nockDiff(gh);
    gh.get(comments).query({ per_page: "100" }).reply(200, [existing]);
    gh.patch(`/repos/${OWNER}/${REPO}/issues/comments/2`, patched).reply(200, { id: 2 });
    const ph = nockAnalysis(project, [101]); // the second event's reads (the first never reaches HTTP)
    const unmatched: string[] = [];
    const onNoMatch = (req: { method?: string; path?: string }) => unmatched.push(`${req.method} ${req.path}`);
    nock.emitter.on("no match", onNoMatch);

    try {
      const first = probot.receive({ id: "d-stuck", name: "pull_request", payload: opened() });
      const second = probot.receive({ id: "d-next", name: "pull_request", payload: synchronize() });
      await Promise.all([first, second]);

      const abandoned = lines.filter((l) => l["level"] === 50 && String(l["msg"]).includes("abandoned"));
      expect(abandoned).toHaveLength(1);
      expect(abandoned[0]).toMatchObject({
        delivery: "d-stuck",
        event: "pull_request",
        target: `pull_request ${OWNER}/${REPO}#${PR_NUMBER}`,
        deadline_ms: 3000,
        setting: "PR_HANDLER_DEADLINE_MS",
      });
      expect(String(abandoned[0]!["msg"])).toContain("the existing comment was left untouched");
      // Only the second event wrote, once, with a real analysis.
      expect(patched).toHaveBeenCalledTimes(1);
      expect((patched.mock.calls[0]![0] as any).body).toContain("✅ Promote `test`");
      expect(gh.pendingMocks()).toStrictEqual([]);
      expect(ph.pendingMocks()).toStrictEqual([]);
    } finally {
      release();
    }
    // The stuck work coming back later writes nothing.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(patched).toHaveBeenCalledTimes(1);
    expect(unmatched).toStrictEqual([]);
    nock.emitter.removeListener("no match", onNoMatch);
  });
});

describe("PostHog notice", () => {
  it("posts one notice when PostHog is down, updates it in place on the next event, and leaves it when unchanged", async () => {
    const lines: Record<string, unknown>[] = [];
    const probot = makeProbot(lines);
    await probot.load(createApp({ posthog: posthogClient(), now: () => NOW, env: {} }));
    let stored: { id: number; body: string; user: { login: string } } | null = null;
    const posted = vi.fn((_b: any) => true);
    const patched = vi.fn((_b: any) => true);
    const gh = nockAppAuth();
    for (let i = 0; i < 3; i++) {
      nockConfig(gh, null);
      nockCheckRun(gh);
      nockDiff(gh);
      gh.get(comments).query({ per_page: "100" }).reply(200, () => (stored ? [stored] : []));
    }
    gh.post(comments, posted).reply(201, (_uri, body: any) => {
      stored = { id: 77, body: body.body, user: { login: BOT_LOGIN } };
      return stored;
    });
    gh.patch(`/repos/${OWNER}/${REPO}/issues/comments/77`, patched).reply(200, (_uri, body: any) => {
      stored = { id: 77, body: body.body, user: { login: BOT_LOGIN } };
      return stored;
    });
    const ph = nock(POSTHOG)
      .get(flagsPath).query({ limit: "100" }).reply(502, "<html>Bad gateway</html>")
      .get(flagsPath).query({ limit: "100" }).reply(401, { type: "authentication_error", code: "authentication_failed", detail: "Invalid personal API key." })
      .get(flagsPath).query({ limit: "100" }).reply(401, { type: "authentication_error", code: "authentication_failed", detail: "Invalid personal API key." });

    await probot.receive({ id: "d-down-1", name: "pull_request", payload: opened() });
    expect(posted).toHaveBeenCalledTimes(1);
    const first: string = (posted.mock.calls[0]![0] as any).body;
    expect(first.startsWith(`${PR_COMMENT_MARKER}\n${POSTHOG_NOTICE_MARKER}\n`)).toBe(true);
    expect(first).toContain("PostHog at `https://us.posthog.com` answered with a server error (HTTP 502)");
    expect(first).not.toContain("Bad gateway");

    await probot.receive({ id: "d-down-2", name: "pull_request", payload: synchronize() });
    expect(posted).toHaveBeenCalledTimes(1); // not repeated
    expect(patched).toHaveBeenCalledTimes(1); // updated in place
    const second: string = (patched.mock.calls[0]![0] as any).body;
    expect(second).toContain("rejected the app's personal API key (HTTP 401)");
    expect(second).toContain("`POSTHOG_PERSONAL_API_KEY`");
    expect(second).toContain("`experiment:read`, `feature_flag:read`, `query:read`");
    expect(second).not.toContain(API_KEY);

    await probot.receive({ id: "d-down-3", name: "pull_request", payload: synchronize() });
    expect(patched).toHaveBeenCalledTimes(1); // same notice: no write
    expect(gh.pendingMocks()).toStrictEqual([]);
    expect(ph.pendingMocks()).toStrictEqual([]);
  });

  it("never replaces a good analysis with a notice", async () => {
    const lines: Record<string, unknown>[] = [];
    const probot = makeProbot(lines);
    await probot.load(createApp({ posthog: posthogClient(), now: () => NOW, env: {} }));
    const gh = nockAppAuth();
    nockConfig(gh, null);
    nockCheckRun(gh);
    nockDiff(gh);
    gh.get(comments)
      .query({ per_page: "100" })
      .reply(200, [{ id: 5, body: `${PR_COMMENT_MARKER}\n### Experiment hygiene\n✅ Promote`, user: { login: BOT_LOGIN } }]);
    // No POST, no PATCH registered: nock fails the delivery on any write.
    nock(POSTHOG).get(flagsPath).query({ limit: "100" }).reply(403, { type: "authentication_error", code: "permission_denied", detail: "no scope" });

    await probot.receive({ id: "d-keep", name: "pull_request", payload: synchronize() });

    expect(gh.pendingMocks()).toStrictEqual([]);
    expect(lines.some((l) => l["msg"] === "PostHog notice reconciled" && l["action"] === "kept-analysis")).toBe(true);
  });

  it("replaces a config-error comment left from a file that has since been fixed (it is no analysis)", async () => {
    const probot = makeProbot([]);
    await probot.load(createApp({ posthog: posthogClient(), now: () => NOW, env: {} }));
    const patched = vi.fn((_b: any) => true);
    const gh = nockAppAuth();
    nockConfig(gh, null); // the file is readable again (here: the defaults)
    nockDiff(gh);
    const stale = renderConfigProblemsComment([{ key: "(file)", message: "is not valid YAML", line: 3, column: 1 }], { fatal: true });
    expect(stale).toContain(CONFIG_ERROR_MARKER);
    gh.get(comments).query({ per_page: "100" }).reply(200, [{ id: 9, body: stale, user: { login: BOT_LOGIN } }]);
    gh.patch(`/repos/${OWNER}/${REPO}/issues/comments/9`, patched).reply(200, { id: 9 });
    nock(POSTHOG).get(flagsPath).query({ limit: "100" }).reply(401, { type: "authentication_error", code: "authentication_failed", detail: "Invalid personal API key." });

    await probot.receive({ id: "d-config-fixed", name: "pull_request", payload: synchronize() });

    expect(patched).toHaveBeenCalledTimes(1);
    const body: string = (patched.mock.calls[0]![0] as any).body;
    expect(body).toContain(POSTHOG_NOTICE_MARKER);
    expect(body).not.toContain("Config error");
    expect(gh.pendingMocks()).toStrictEqual([]);
  });

  it("names the missing variables when PostHog is not configured", async () => {
    const probot = makeProbot([]);
    await probot.load(createApp({ now: () => NOW, env: { POSTHOG_HOST: "https://eu.posthog.com" } }));
    const posted = vi.fn((_b: any) => true);
    const gh = nockAppAuth();
    nockConfig(gh, null);
    nockCheckRun(gh);
    nockDiff(gh);
    gh.get(comments).query({ per_page: "100" }).reply(200, []);
    gh.post(comments, posted).reply(201, { id: 1 });

    await probot.receive({ id: "d-unset", name: "pull_request", payload: opened() });

    expect(gh.pendingMocks()).toStrictEqual([]);
    const body: string = (posted.mock.calls[0]![0] as any).body;
    expect(body).toContain("The app is not connected to PostHog.");
    expect(body).toContain("set `POSTHOG_PROJECT_ID`, `POSTHOG_PERSONAL_API_KEY` in the app's environment");
  });

  it("does not comment on a PR that calls no feature flag while PostHog is down", async () => {
    const probot = makeProbot([]);
    await probot.load(createApp({ posthog: posthogClient(), now: () => NOW, env: {} }));
    const gh = nockAppAuth();
    nockConfig(gh, null);
    nockCheckRun(gh);
    nockDiff(gh, NO_FLAGS_DIFF);
    gh.get(comments).query({ per_page: "100" }).reply(200, []);
    nock(POSTHOG).get(flagsPath).query({ limit: "100" }).reply(503, { detail: "down" });

    await probot.receive({ id: "d-unrelated", name: "pull_request", payload: opened() });

    expect(gh.pendingMocks()).toStrictEqual([]);
  });
});

describe("PostHog trickling its body under the app", () => {
  let server: Server | null = null;
  let ticker: ReturnType<typeof setInterval> | null = null;
  afterEach(async () => {
    if (ticker) clearInterval(ticker);
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server!.close(() => resolve()));
    }
    server = null;
    ticker = null;
  });

  it("ends the request at its deadline and posts the timeout notice", async () => {
    server = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write('{"results": "');
      ticker = setInterval(() => res.write("x"), 100);
    });
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    const host = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    nock.enableNetConnect("127.0.0.1");
    const probot = makeProbot([]);
    await probot.load(createApp({ posthog: posthogClient(host, { deadlineMs: 300 }), now: () => NOW, env: {} }));
    const posted = vi.fn((_b: any) => true);
    const gh = nockAppAuth(nock(GITHUB));
    nockConfig(gh, null);
    nockCheckRun(gh);
    nockDiff(gh);
    gh.get(comments).query({ per_page: "100" }).reply(200, []);
    gh.post(comments, posted).reply(201, { id: 3 });

    await probot.receive({ id: "d-trickle", name: "pull_request", payload: opened() });

    expect(gh.pendingMocks()).toStrictEqual([]);
    const body: string = (posted.mock.calls[0]![0] as any).body;
    expect(body).toContain(`PostHog at \`${host}\` did not answer in time.`);
    expect(body).toContain("POSTHOG_REQUEST_DEADLINE_MS");
  });
});

describe("issue_comment deadline", () => {
  it("abandons a command stuck on PostHog, logs the delivery id and posts no partial reply", async () => {
    const lines: Record<string, unknown>[] = [];
    const probot = makeProbot(lines);
    await probot.load(createApp({ posthog: posthogClient(), now: () => NOW, env: { COMMAND_HANDLER_DEADLINE_MS: "400" } }));
    const p = examplePayload("issue_comment", "created");
    p["comment"].id = 8801;
    p["comment"].body = "/experiment status new-checkout";
    p["comment"].user = { ...p["comment"].user, login: "reader", type: "User" };
    p["issue"].number = PR_NUMBER;
    p["issue"].pull_request = { url: `${GITHUB}/repos/${OWNER}/${REPO}/pulls/${PR_NUMBER}` };
    const gh = nockAppAuth();
    gh.post(`/repos/${OWNER}/${REPO}/issues/comments/8801/reactions`, { content: "eyes" }).reply(201, { id: 1, content: "eyes" });
    gh.get(comments).query({ per_page: "100" }).reply(200, []);
    nockConfig(gh, null);
    // PostHog answers only after the command's deadline; no reply mock: a late reply would find no match.
    nock(POSTHOG).get(`/api/projects/${PROJECT_ID}/experiments/`).query({ limit: "100" }).delay(2_000).reply(200, { count: 0, next: null, previous: null, results: [] });
    const unmatched: string[] = [];
    const onNoMatch = (req: { method?: string; path?: string }) => unmatched.push(`${req.method} ${req.path}`);
    nock.emitter.on("no match", onNoMatch);

    try {
      await probot.receive({ id: "d-cmd-stuck", name: "issue_comment", payload: p as any });

      const abandoned = lines.filter((l) => l["level"] === 50 && String(l["msg"]).includes("abandoned"));
      expect(abandoned).toHaveLength(1);
      expect(abandoned[0]).toMatchObject({ delivery: "d-cmd-stuck", event: "issue_comment", deadline_ms: 400, setting: "COMMAND_HANDLER_DEADLINE_MS" });
      expect(String(abandoned[0]!["msg"])).toContain("no reply was posted");
      expect(gh.pendingMocks()).toStrictEqual([]);
      expect(unmatched).toStrictEqual([]);
    } finally {
      nock.emitter.removeListener("no match", onNoMatch);
    }
  });
});
