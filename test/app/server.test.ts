/**
 * The real Probot server on 127.0.0.1 receiving signed HTTP deliveries: a good signature is processed (one
 * comment), a bad one gets 4xx and makes no API call.
 */
import { createHmac } from "node:crypto";
import { createServer } from "node:net";
import nock from "nock";
import { Probot, Server } from "probot";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createApp } from "../../src/app/index.js";
import { buildProject, DEMO_EXPERIMENTS } from "../../src/demo/project.js";
import { createPostHogClient } from "../../src/posthog/index.js";
import { examplePayload, GITHUB, nockAppAuth, nockConfig, OWNER, PR_NUMBER, PRIVATE_KEY, REPO, TestOctokit } from "../support/github.js";
import { API_KEY, nockAnalysis, POSTHOG, PROJECT_ID } from "../support/posthog.js";

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

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

function sign(body: string, secret = SECRET): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

let server: Server;
let baseUrl: string;

beforeEach(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect("127.0.0.1");
  const port = await freePort();
  server = new Server({
    Probot: Probot.defaults({
      appId: 1,
      privateKey: PRIVATE_KEY,
      secret: SECRET,
      logLevel: "fatal",
      Octokit: TestOctokit,
    }),
    host: "127.0.0.1",
    port,
    webhookPath: "/api/github/webhooks",
  });
  const posthog = createPostHogClient({ host: POSTHOG, projectId: PROJECT_ID, apiKey: API_KEY });
  await server.load(createApp({ posthog, now: () => NOW }));
  await server.start();
  baseUrl = `http://127.0.0.1:${port}`;
});

afterEach(async () => {
  await server.stop();
  nock.cleanAll();
  nock.enableNetConnect();
});

function deliver(body: string, signature: string, id: string) {
  return fetch(`${baseUrl}/api/github/webhooks`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-github-event": "pull_request",
      "x-github-delivery": id,
      "x-hub-signature-256": signature,
      "user-agent": "GitHub-Hookshot/test",
    },
    body,
  });
}

describe("signed deliveries over HTTP", () => {
  it("processes a correctly signed pull_request.opened and posts one comment", async () => {
    const posted = vi.fn((_b: unknown) => true);
    const gh = nockAppAuth();
    nockConfig(gh, null);
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
