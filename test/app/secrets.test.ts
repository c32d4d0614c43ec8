/**
 * A malformed PostHog personal API key (line break, smart quotes, zero-width space) or a POSTHOG_HOST
 * with `user:pass@`, given to the real Probot server on 127.0.0.1: the app refuses the value at start-up
 * with a message naming the variable, and no log line (captured at `debug`), HTTP body or GitHub
 * comment contains the key, its pieces, the credentials, the webhook secret or the private key.
 */
import nock from "nock";
import type { ApplicationFunction, Server } from "probot";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createApp } from "../../src/app/index.js";
import { examplePayload, GITHUB, nockAppAuth, nockConfig, OWNER, PR_NUMBER, PRIVATE_KEY, REPO } from "../support/github.js";
import { POSTHOG, PROJECT_ID } from "../support/posthog.js";
import { BAD_KEYS, GOOD_KEY, traces } from "../support/secrets.js";
import { captureLog, probotServer, signBody } from "../support/server.js";

const SECRET = "webhook-secret-for-secret-tests";
const PEM_LINE = PRIVATE_KEY.split("\n")[3]!;

const sign = (body: string) => signBody(body, SECRET);

let server: Server | undefined;
let output: string[];

async function start(env: Record<string, string>, extra?: ApplicationFunction): Promise<string> {
  const started = await probotServer({ secret: SECRET, log: captureLog(output) });
  server = started.server;
  const port = started.port;
  await server.load(
    createApp({ env: { SCAN_INTERVAL_HOURS: "0", WEBHOOK_SECRET: SECRET, PRIVATE_KEY, POSTHOG_PROJECT_ID: PROJECT_ID, ...env } }),
  );
  if (extra) await server.load(extra);
  await server.start();
  return `http://127.0.0.1:${port}/api/github/webhooks`;
}

async function deliver(url: string, body: string, event: string, id: string): Promise<void> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", "x-github-event": event, "x-github-delivery": id, "x-hub-signature-256": sign(body) },
    body,
  });
  output.push(`HTTP ${res.status} ${await res.text()}`);
}

/** A signed `pull_request.opened`, a signed `/experiment status` comment and a signed malformed payload. */
async function exercise(url: string): Promise<void> {
  const gh = nockAppAuth(nock(GITHUB), { slug: false });
  nockConfig(gh, null);
  await deliver(url, JSON.stringify(examplePayload("pull_request", "opened")), "pull_request", "pr-1");
  expect(gh.pendingMocks()).toStrictEqual([]);

  const p = examplePayload("issue_comment", "created");
  p["comment"].id = 9101;
  p["comment"].body = "/experiment status new-checkout";
  p["comment"].user = { ...p["comment"].user, login: "writer", type: "User" };
  p["issue"].number = PR_NUMBER;
  p["issue"].pull_request = { url: `${GITHUB}/repos/${OWNER}/${REPO}/pulls/${PR_NUMBER}` };
  const replied = vi.fn((body: { body: string }) => {
    output.push(`COMMENT ${body.body}`);
    return true;
  });
  // The installation token is cached from the first delivery; the bot's login is asked once.
  const gh2 = nock(GITHUB).get("/app").reply(200, { id: 1, slug: "experiment-hygiene", name: "experiment-hygiene", owner: { login: OWNER } });
  gh2.post(`/repos/${OWNER}/${REPO}/issues/comments/9101/reactions`).reply(201, {});
  gh2.get(`/repos/${OWNER}/${REPO}/issues/${PR_NUMBER}/comments`).query(true).reply(200, []);
  nockConfig(gh2, null);
  gh2.post(`/repos/${OWNER}/${REPO}/issues/${PR_NUMBER}/comments`, replied).reply(201, { id: 1 });
  await deliver(url, JSON.stringify(p), "issue_comment", "cmd-1");
  expect(gh2.pendingMocks()).toStrictEqual([]);
  expect(replied).toHaveBeenCalledTimes(1);

  await deliver(url, JSON.stringify({ action: "opened" }), "pull_request", "bad-1");
}

beforeEach(() => {
  nock.disableNetConnect();
  nock.enableNetConnect("127.0.0.1");
  output = [];
});

afterEach(async () => {
  await server?.stop();
  server = undefined;
  nock.cleanAll();
  nock.enableNetConnect();
});

describe("a malformed PostHog key never appears in the server's output", () => {
  it.each(BAD_KEYS)("a key with $label is refused at start-up and never printed", async ({ key, position, cls }) => {
    const url = await start({ POSTHOG_HOST: POSTHOG, POSTHOG_PERSONAL_API_KEY: key });
    const logged = JSON.stringify(`POSTHOG_PERSONAL_API_KEY contains ${cls} at position ${position}`).slice(1, -1);
    expect(output.join("")).toContain(logged);

    await exercise(url);

    const all = output.join("\n");
    expect(all).toContain("HTTP 200 ok");
    expect(all).toContain("COMMENT ");
    expect(all).toContain("PostHog is not configured");
    expect(all).toContain("HTTP 400");
    expect(traces(all, key)).toStrictEqual([]);
    expect(all).not.toContain(SECRET);
    expect(all).not.toContain(PEM_LINE);
    expect(all).not.toMatch(/ByteString|invalid header value/);
  });
});

describe("POSTHOG_HOST with userinfo", () => {
  it("is refused at start-up without echoing the credentials", async () => {
    const url = await start({ POSTHOG_HOST: "https://alice:pa55-w0rd-secret@eu.posthog.com", POSTHOG_PERSONAL_API_KEY: GOOD_KEY });
    expect(output.join("")).toContain("POSTHOG_HOST must not contain a user name or password");

    await exercise(url);

    const all = output.join("\n");
    expect(all).not.toContain("pa55-w0rd-secret");
    expect(all).not.toContain("alice");
    expect(all).not.toContain(GOOD_KEY);
  });
});

describe("defence in depth: whatever prints a secret, the output is redacted", () => {
  it("a handler that logs and throws the key and the private key leaves neither in the log or the HTTP body", async () => {
    const leaky: ApplicationFunction = (app) => {
      app.on("pull_request.opened", async (context) => {
        context.log.warn(`about to fail with ${GOOD_KEY}`);
        throw new Error(`failed with ${GOOD_KEY} and ${PRIVATE_KEY} via https://alice:pa55-w0rd-secret@eu.posthog.com`);
      });
    };
    const url = await start({ POSTHOG_HOST: POSTHOG, POSTHOG_PERSONAL_API_KEY: GOOD_KEY }, leaky);
    // createApp's own handler stops at PostHog-less config reads; only the token and config are served.
    const gh = nockAppAuth(nock(GITHUB), { slug: false });
    nockConfig(gh, "comment:\n  enabled: false\n");

    await deliver(url, JSON.stringify(examplePayload("pull_request", "opened")), "pull_request", "leak-1");

    const all = output.join("\n");
    expect(all).toContain('HTTP 500 {"error":"handling the pull_request delivery failed');
    expect(all).toContain("about to fail with [REDACTED POSTHOG_PERSONAL_API_KEY]");
    expect(all).toMatch(/\[REDACTED PRIVATE[ _]KEY\]/);
    expect(all).not.toContain(GOOD_KEY);
    expect(all).not.toContain(PEM_LINE);
    expect(all).not.toContain("pa55-w0rd-secret");
  });
});
