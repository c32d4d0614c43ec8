/**
 * The real Probot server on 127.0.0.1 receiving signed HTTP deliveries: a good signature is processed (one
 * comment), a bad one gets 4xx and makes no API call.
 */
import nock from "nock";
import type { Server } from "probot";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createApp } from "../../src/app/index.js";
import { buildProject, DEMO_EXPERIMENTS } from "../../src/demo/project.js";
import { createPostHogClient } from "../../src/posthog/index.js";
import { examplePayload, GITHUB, nockAppAuth, nockCheckRun, nockConfig, OWNER, PR_NUMBER, REPO } from "../support/github.js";
import { API_KEY, nockAnalysis, nockExperimentReads, POSTHOG, PROJECT_ID } from "../support/posthog.js";
import { probotServer, signBody } from "../support/server.js";

const SECRET = "webhook-secret-for-tests";
const NOW = new Date("2026-11-20T12:00:00Z");
const project = buildProject(NOW, [DEMO_EXPERIMENTS[0]!], [], PROJECT_ID);
const DIFF = [
  "diff --git a/a.py b/a.py",
  "--- a/a.py",
  "+++ b/a.py",
  "@@ -1,1 +1,2 @@",
  " import posthog",
  '+posthog.feature_enabled("new-checkout", user_id)',
  "",
].join("\n");

function sign(body: string, secret = SECRET): string {
  return signBody(body, secret);
}

let server: Server;
let baseUrl: string;

beforeEach(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect("127.0.0.1");
  const started = await probotServer({ secret: SECRET, logLevel: "fatal", webhookPath: "/api/github/webhooks" });
  server = started.server;
  const port = started.port;
  const posthog = createPostHogClient({ host: POSTHOG, projectId: PROJECT_ID, apiKey: API_KEY });
  await server.load(createApp({ posthog, now: () => NOW, env: { POSTHOG_ALLOW_WRITES: "true", SCAN_INTERVAL_HOURS: "0" } }));
  await server.start();
  baseUrl = `http://127.0.0.1:${port}`;
});

afterEach(async () => {
  await server.stop();
  nock.cleanAll();
  nock.enableNetConnect();
});

function deliver(body: string, signature: string, id: string, event = "pull_request") {
  return fetch(`${baseUrl}/api/github/webhooks`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-github-event": event,
      "x-github-delivery": id,
      "x-hub-signature-256": signature,
      "user-agent": "GitHub-Hookshot/test",
    },
    body,
  });
}

describe("signed deliveries over HTTP", () => {
  it("processes a correctly signed pull_request.opened, posts one comment and the experiment-hygiene check run", async () => {
    const posted = vi.fn((_b: unknown) => true);
    const checks: any[] = [];
    const gh = nockAppAuth();
    nockConfig(gh, null);
    nockCheckRun(gh, { onBody: (b) => checks.push(b) });
    gh.get(`/repos/${OWNER}/${REPO}/pulls/${PR_NUMBER}`).reply(200, DIFF);
    gh.get(`/repos/${OWNER}/${REPO}/issues/${PR_NUMBER}/comments`).query({ per_page: "100" }).reply(200, []);
    gh.post(`/repos/${OWNER}/${REPO}/issues/${PR_NUMBER}/comments`, posted).reply(201, { id: 1 });
    const ph = nockAnalysis(project, [101]);

    const body = JSON.stringify(examplePayload("pull_request", "opened"));
    const res = await deliver(body, sign(body), "good-1");

    expect(res.status).toBeLessThan(300);
    expect(gh.pendingMocks()).toStrictEqual([]);
    expect(ph.pendingMocks()).toStrictEqual([]);
    expect(posted).toHaveBeenCalledTimes(1);
    // The check run: on the PR's head commit, completed and neutral, linking the comment, one notice per reference.
    expect(checks).toHaveLength(1);
    const payload = examplePayload("pull_request", "opened") as any;
    expect(checks[0]).toMatchObject({
      name: "experiment-hygiene",
      head_sha: payload.pull_request.head.sha,
      status: "completed",
      conclusion: "neutral",
      details_url: `${payload.pull_request.html_url}#issuecomment-1`,
      output: { title: "1 flag, 1 experiment, no findings" },
    });
    expect(checks[0].output.annotations.map((a: any) => [a.annotation_level, a.title])).toEqual([["notice", "PostHog feature flag new-checkout"]]);
  });

  it("rejects a bad signature with 4xx and makes no API call", async () => {
    // nock reports every request it does not intercept; only those leaving for GitHub or PostHog matter
    // (the delivery itself goes to 127.0.0.1).
    const outbound: string[] = [];
    const onNoMatch = (req: { hostname?: string; host?: string; href?: string }) => {
      const host = String(req.hostname ?? req.host ?? req.href ?? "");
      if (!host.includes("127.0.0.1")) outbound.push(host);
    };
    nock.emitter.on("no match", onNoMatch);
    const gh = nock(GITHUB).post(/.*/).reply(500).get(/.*/).reply(500);

    const body = JSON.stringify(examplePayload("pull_request", "opened"));
    const res = await deliver(body, sign(body, "wrong-secret"), "bad-1");

    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(gh.pendingMocks()).toHaveLength(2); // neither catch-all interceptor was used
    expect(outbound).toStrictEqual([]);
    nock.emitter.removeListener("no match", onNoMatch);
  });
});

describe("/experiment over signed HTTP deliveries", () => {
  const comments = `/repos/${OWNER}/${REPO}/issues/${PR_NUMBER}/comments`;
  let nextId = 880_000;

  function commentBody(text: string, login: string): { json: string; id: number } {
    const p = examplePayload("issue_comment", "created");
    const id = nextId++;
    p["comment"].id = id;
    p["comment"].body = text;
    p["comment"].user = { ...p["comment"].user, login, type: "User" };
    p["issue"].number = PR_NUMBER;
    p["issue"].pull_request = { url: `${GITHUB}/repos/${OWNER}/${REPO}/pulls/${PR_NUMBER}` };
    return { json: JSON.stringify(p), id };
  }

  /** Token, `GET /app`, 👀, the conversation, the (absent) config and the permission of `login`. */
  function nockCommand(id: number, login: string, permission: string, conversation: unknown[] = []): nock.Scope {
    const gh = nockAppAuth();
    gh.post(`/repos/${OWNER}/${REPO}/issues/comments/${id}/reactions`, { content: "eyes" }).reply(201, {});
    gh.get(comments).query({ per_page: "100" }).reply(200, conversation);
    nockConfig(gh, null);
    gh.get(`/repos/${OWNER}/${REPO}/collaborators/${login}/permission`).reply(200, { permission, role_name: permission });
    return gh;
  }

  it("a read-only user's promote changes nothing and is told why", async () => {
    const { json, id } = commentBody("/experiment promote new-checkout", "reader");
    const gh = nockCommand(id, "reader", "read");
    const replied = vi.fn((_b: any) => true);
    gh.post(comments, replied).reply(201, { id: 1 });
    const ph = nock(POSTHOG).post(/.*/).reply(500).get(/.*/).reply(500).patch(/.*/).reply(500);

    const res = await deliver(json, sign(json), `cmd-${id}`, "issue_comment");

    expect(res.status).toBeLessThan(300);
    expect(gh.pendingMocks()).toStrictEqual([]);
    expect(ph.pendingMocks()).toHaveLength(3); // PostHog never called
    const body = (replied.mock.calls[0]![0] as any).body as string;
    expect(body).toContain("**Not allowed**");
    expect(body).toContain("has read access to Codertocat/Hello-World; promote needs write, maintain or admin access. Nothing was changed.");
  });

  it("a writer's promote followed by --confirm sends exactly one correct ship_variant", async () => {
    // Step 1: the plan.
    const first = commentBody("/experiment promote new-checkout", "writer");
    const gh1 = nockCommand(first.id, "writer", "write");
    gh1
      .get(`/repos/${OWNER}/${REPO}/issues`)
      .query(true)
      .reply(200, []);
    const planPosted = vi.fn((_b: any) => true);
    gh1.post(comments, planPosted).reply(201, { id: 555 });
    const reads1 = nockExperimentDetailReads();
    const res1 = await deliver(first.json, sign(first.json), `cmd-${first.id}`, "issue_comment");
    expect(res1.status).toBeLessThan(300);
    expect(gh1.pendingMocks()).toStrictEqual([]);
    expect(reads1.pendingMocks()).toStrictEqual([]);
    const planBody = (planPosted.mock.calls[0]![0] as any).body as string;
    expect(planBody).toContain("### Plan: Promote `test`");

    // Step 2: the confirmation, with the plan reply in the conversation.
    const second = commentBody("/experiment promote new-checkout --confirm", "writer");
    const gh2 = nock(GITHUB);
    gh2.post(`/repos/${OWNER}/${REPO}/issues/comments/${second.id}/reactions`, { content: "eyes" }).reply(201, {});
    gh2.get(comments).query({ per_page: "100" }).reply(200, [{ id: 555, body: planBody, user: { login: "experiment-hygiene[bot]", type: "Bot" } }]);
    nockConfig(gh2, null);
    gh2.get(`/repos/${OWNER}/${REPO}/collaborators/writer/permission`).reply(200, { permission: "write", role_name: "write" });
    gh2.get(`/repos/${OWNER}/${REPO}/issues`).query(true).reply(200, []);
    gh2.get(`/repos/${OWNER}/${REPO}/pulls/${PR_NUMBER}`).reply(200, { head: { sha: "feedface".repeat(5) } });
    gh2.patch(`/repos/${OWNER}/${REPO}/issues/comments/555`).reply(200, {});
    const confirmed = vi.fn((_b: any) => true);
    gh2.post(comments, confirmed).reply(201, { id: 556 });
    const reads2 = nockExperimentDetailReads();
    const shipped = vi.fn((_b: any) => true);
    const ship = nock(POSTHOG)
      .post(`/api/projects/${PROJECT_ID}/experiments/101/ship_variant/`, shipped)
      .matchHeader("authorization", `Bearer ${API_KEY}`)
      .reply(200, {});

    const res2 = await deliver(second.json, sign(second.json), `cmd-${second.id}`, "issue_comment");

    expect(res2.status).toBeLessThan(300);
    expect(gh2.pendingMocks()).toStrictEqual([]);
    expect(ship.pendingMocks()).toStrictEqual([]);
    expect(reads2.pendingMocks()).toStrictEqual([]);
    expect(shipped).toHaveBeenCalledTimes(1);
    expect(shipped.mock.calls[0]![0]).toEqual({
      variant_key: "test",
      conclusion: "won",
      conclusion_comment: `Promoted test from GitHub (${OWNER}/${REPO}#${PR_NUMBER}) with experiment-hygiene: requested by @writer, confirmed by @writer at 2026-11-20T12:00:00.000Z, head ${"feedface".repeat(5)}.`,
    });
    expect((confirmed.mock.calls[0]![0] as any).body).toContain("### ✅ Promoted `test`");
  });

  /** The experiment list, detail, exposures and metrics of experiment 101 (commands never read the flag list). */
  function nockExperimentDetailReads(): nock.Scope {
    return nockExperimentReads(project, 101);
  }

});
