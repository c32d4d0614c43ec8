/**
 * The webhook route under unauthenticated load and hostile input, over real HTTP to a Probot server on
 * 127.0.0.1 whose log is captured (pino at `debug`, below the `info` of production):
 * - a 25 MB delivery with a garbage signature is refused (401) and its body never reaches the log;
 * - a body above the cap is refused with 413, by Content-Length or while streaming;
 * - signed but malformed payloads (`null`, missing `pull_request` / `repository` / `comment`, invalid
 *   JSON) get 400 and a short message, never 500 or a TypeError;
 * - a handler failure gets a fixed 500 sentence without the error's text.
 */
import { createServer as createHttpServer, request, type ClientRequest, type Server as HttpServer } from "node:http";
import nock from "nock";
import type { Server } from "probot";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createApp, type AppOptions } from "../../src/app/index.js";
import { createWebhookGuard, MAX_WEBHOOK_BODY_BYTES } from "../../src/app/webhook-guard.js";
import { createPostHogClient } from "../../src/posthog/index.js";
import { examplePayload, GITHUB, nockAppAuth, nockConfig, OWNER, PR_NUMBER, REPO } from "../support/github.js";
import { API_KEY, POSTHOG, PROJECT_ID } from "../support/posthog.js";
import { captureLog, probotServer, signBody } from "../support/server.js";

const SECRET = "webhook-secret-for-hardening-tests";
const MB = 1024 * 1024;

function sign(body: string, secret = SECRET): string {
  return signBody(body, secret);
}

let server: Server;
let url: string;
let logText: string[];
let outbound: string[];
const onNoMatch = (req: { hostname?: string; host?: string; href?: string }) => {
  const host = String(req.hostname ?? req.host ?? req.href ?? "");
  if (!host.includes("127.0.0.1")) outbound.push(host);
};

/** Starts a Probot server on 127.0.0.1 with the app, logging at `debug` into {@link logText}. */
async function start(appOptions: AppOptions = {}): Promise<void> {
  const started = await probotServer({ secret: SECRET, log: captureLog(logText) });
  server = started.server;
  const port = started.port;
  await server.load(createApp({ env: { SCAN_INTERVAL_HOURS: "0", WEBHOOK_SECRET: SECRET }, ...appOptions }));
  await server.start();
  url = `http://127.0.0.1:${port}/api/github/webhooks`;
}

beforeEach(() => {
  nock.disableNetConnect();
  nock.enableNetConnect("127.0.0.1");
  outbound = [];
  nock.emitter.on("no match", onNoMatch);
  logText = [];
});

afterEach(async () => {
  await server?.stop();
  nock.emitter.removeListener("no match", onNoMatch);
  nock.cleanAll();
  nock.enableNetConnect();
});

function headers(signature: string, event = "pull_request", id = "delivery-1"): Record<string, string> {
  return {
    "content-type": "application/json",
    "x-github-event": event,
    "x-github-delivery": id,
    "x-hub-signature-256": signature,
    "user-agent": "GitHub-Hookshot/test",
  };
}

async function deliver(body: string, signature: string, event = "pull_request") {
  const res = await fetch(url, { method: "POST", headers: headers(signature, event), body });
  return { status: res.status, text: await res.text() };
}

const logBytes = () => logText.reduce((n, l) => n + Buffer.byteLength(l), 0);

describe("unauthenticated load", () => {
  beforeEach(() => start());
  // A valid JSON object of exactly 25 MiB whose padding is a recognisable marker.
  const marker = "PAYLOAD-MARKER-";
  const prefix = '{"action":"opened","pad":"';
  const suffix = '"}';
  const pad = marker.repeat(Math.ceil((25 * MB - prefix.length - suffix.length) / marker.length)).slice(0, 25 * MB - prefix.length - suffix.length);
  const big = `${prefix}${pad}${suffix}`;

  it("refuses a 25 MB delivery with a well-formed but wrong signature (401) and logs only a few hundred bytes", async () => {
    expect(Buffer.byteLength(big)).toBe(25 * MB);
    const res = await deliver(big, `sha256=${"0".repeat(64)}`);

    expect(res.status).toBe(401);
    expect(res.text).toBe('{"error":"signature does not match"}\n');
    expect(logBytes()).toBeLessThan(10_000);
    expect(logText.join("")).not.toContain(marker);
    expect(logText.join("")).toContain("signature mismatch");
    expect(outbound).toStrictEqual([]);
  });

  it("refuses a garbage signature header before reading the body", async () => {
    const res = await deliver(big, "garbage");
    expect(res.status).toBe(401);
    expect(res.text).toContain("signature missing or malformed");
    expect(logBytes()).toBeLessThan(10_000);
    expect(logText.join("")).not.toContain(marker);
  });

  it("answers 413 for a Content-Length above the cap, unread and unlogged", async () => {
    const over = "x".repeat(MAX_WEBHOOK_BODY_BYTES + 1);
    const res = await deliver(over, sign(over));
    expect(res.status).toBe(413);
    expect(res.text).toContain(`payload larger than ${MAX_WEBHOOK_BODY_BYTES} bytes`);
    expect(logBytes()).toBeLessThan(10_000);
  });

  it("the cap is above GitHub's 25 MB maximum: a correctly signed 25 MB payload is read and checked", async () => {
    const signed = JSON.stringify({ zen: "x".repeat(25 * MB - 20) });
    expect(Buffer.byteLength(signed)).toBeLessThanOrEqual(25 * MB);
    const res = await deliver(signed, sign(signed), "ping");
    expect(res.status).toBe(200);
    expect(logBytes()).toBeLessThan(10_000);
  });
});

describe("signed but malformed payloads", () => {
  beforeEach(() => start());
  const pr = () => examplePayload("pull_request", "opened");
  const comment = () => {
    const p = examplePayload("issue_comment", "created");
    p["issue"].pull_request = { url: `${GITHUB}/repos/o/r/pulls/1` };
    return p;
  };
  const without = (p: Record<string, unknown>, key: string) => {
    delete p[key];
    return JSON.stringify(p);
  };
  const cases: [string, string, string, RegExp][] = [
    ["the JSON null", "null", "pull_request", /payload must be a JSON object/],
    ["a JSON array", "[]", "pull_request", /payload must be a JSON object/],
    ["pull_request missing", without(pr(), "pull_request"), "pull_request", /pull_request is missing/],
    ["repository missing", without(pr(), "repository"), "pull_request", /repository is missing/],
    ["installation missing", without(pr(), "installation"), "pull_request", /installation is missing/],
    ["comment missing", without(comment(), "comment"), "issue_comment", /comment is missing/],
    ["issue missing", without(comment(), "issue"), "issue_comment", /issue is missing/],
    ["invalid JSON", '{"action": "opened", ', "pull_request", /not valid JSON/],
  ];

  it.each(cases)("%s → 400 with a short message, no TypeError, no GitHub call", async (_label, body, event, message) => {
    const res = await deliver(body, sign(body), event);

    expect(res.status).toBe(400);
    expect(res.text).toMatch(message);
    expect(res.text.length).toBeLessThan(300);
    expect(res.text).not.toMatch(/TypeError|Cannot read|\bat [\w.]+ \(/);
    expect(logText.join("")).not.toMatch(/TypeError|Cannot read/);
    expect(outbound).toStrictEqual([]);
  });

  it("a wrong field type is named by its path, without the value", async () => {
    const p = pr();
    p["pull_request"].number = "two-SECRET-VALUE";
    const body = JSON.stringify(p);
    const res = await deliver(body, sign(body));
    expect(res.status).toBe(400);
    expect(res.text).toContain("pull_request.number has the wrong type or value");
    expect(res.text).not.toContain("SECRET-VALUE");
  });
});

describe("handler failures", () => {
  beforeEach(() => start({ posthog: createPostHogClient({ host: POSTHOG, projectId: PROJECT_ID, apiKey: API_KEY }) }));

  it("answers a fixed 500 sentence, not the error text, and logs the error without the payload", async () => {
    // Reading the diff fails: the handler throws Octokit's RequestError with GitHub's message.
    const gh = nockConfig(nockAppAuth(nock(GITHUB), { slug: false }), null);
    gh.get(`/repos/${OWNER}/${REPO}/pulls/${PR_NUMBER}`).reply(500, { message: "internal-detail-from-github" });
    const p = examplePayload("pull_request", "opened");
    p["pull_request"].body = "BODY-MARKER-".repeat(1000);
    const body = JSON.stringify(p);

    const res = await deliver(body, sign(body));

    expect(gh.pendingMocks()).toStrictEqual([]);
    expect(res.status).toBe(500);
    expect(res.text).toBe(
      '{"error":"handling the pull_request delivery failed; the app\'s log has the details (delivery delivery-1)"}\n',
    );
    const log = logText.join("");
    expect(log).toContain("internal-detail-from-github"); // the operator sees the cause …
    expect(log).not.toContain("BODY-MARKER-"); // … but not the payload
  });

  it("a correctly signed, well-formed delivery is still dispatched (200)", async () => {
    const gh = nockAppAuth(nock(GITHUB));
    nockConfig(gh, "enabled: false\n");
    const p = examplePayload("pull_request", "opened");
    p["pull_request"].body = "BODY-MARKER-".repeat(100);
    const body = JSON.stringify(p);
    const res = await deliver(body, sign(body));
    expect(gh.pendingMocks()).toStrictEqual(["GET https://api.github.com:443/app"]); // disabled: no comment to reconcile
    expect(res.status).toBe(200);
    expect(res.text).toBe("ok\n");
    // At debug: one line with the delivery id and size, never the payload.
    expect(logText.join("")).toContain('"delivery":"delivery-1","event":"pull_request","bytes":');
    expect(logText.join("")).not.toContain("BODY-MARKER-");
  });
});

describe("the guard alone (small cap, short deadlines)", () => {
  const CAP = 64 * 1024;
  let http: HttpServer;
  let port: number;
  let calls: { verify: number; receive: string[] };
  let warned: { bytes?: number; status?: number }[];

  beforeEach(async () => {
    calls = { verify: 0, receive: [] };
    warned = [];
    const guard = createWebhookGuard({
      path: "/hook/",
      maxBodyBytes: CAP,
      bodyTimeoutMs: 300,
      responseTimeoutMs: 200,
      redact: (t) => t,
      log: { debug() {}, error() {}, warn: (obj: object) => warned.push(obj as { bytes?: number; status?: number }) },
      webhooks: {
        verify: async (payload, signature) => {
          calls.verify++;
          return signature === sign(payload);
        },
        receive: async (event) => {
          calls.receive.push(event.id);
          if ((event.payload as { slow?: boolean }).slow) await new Promise((r) => setTimeout(r, 500));
        },
      },
    });
    http = createHttpServer((req, res) => {
      void guard(req, res, () => res.writeHead(404).end("not mine"));
    });
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    port = (http.address() as { port: number }).port;
  });

  afterEach(async () => {
    http.closeAllConnections();
    await new Promise((resolve) => http.close(resolve));
  });

  /** A raw request; resolves on the response (status, body), ignoring errors from writing after it. */
  function raw(opts: { method?: string; path?: string; headers?: Record<string, string>; write: (req: ClientRequest) => void }) {
    return new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port, method: opts.method ?? "POST", path: opts.path ?? "/hook", headers: opts.headers ?? {} }, (res) => {
        let body = "";
        res.on("data", (c) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        res.on("error", () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on("error", (e) => reject(e));
      opts.write(req);
    });
  }

  it("stops reading a streamed (chunked) body at the cap and answers 413 without verifying", async () => {
    const chunk = "x".repeat(16 * 1024);
    let stop = false;
    const res = await raw({
      headers: headers(`sha256=${"a".repeat(64)}`),
      write: (req) => {
        req.on("error", () => (stop = true));
        let sent = 0;
        const pump = () => {
          while (!stop && sent < 1024 && req.write(chunk)) sent++;
          if (!stop && sent < 1024) req.once("drain", pump);
        };
        pump();
      },
    });
    stop = true;
    expect(res.status).toBe(413);
    expect(calls.verify).toBe(0);
    expect(calls.receive).toStrictEqual([]);
    const w = warned.find((x) => x.status === 413)!;
    expect(w.bytes).toBeGreaterThan(CAP);
    expect(w.bytes).toBeLessThanOrEqual(CAP + chunk.length * 2); // stopped at the cap, not after 16 MB
  });

  it("answers 408 when the body does not arrive within the deadline", async () => {
    const res = await raw({ headers: headers(`sha256=${"a".repeat(64)}`), write: (req) => req.write('{"a":') });
    expect(res.status).toBe(408);
    expect(calls.verify).toBe(0);
  });

  it("answers 202 when handlers outlive the response deadline, and lets them finish", async () => {
    const body = JSON.stringify({ slow: true });
    const res = await raw({ headers: headers(sign(body), "ping", "slow-1"), write: (req) => req.end(body) });
    expect(res).toStrictEqual({ status: 202, body: "still processing\n" });
    expect(calls.receive).toStrictEqual(["slow-1"]);
  });

  it("refuses other methods, content types and missing headers; passes other paths on", async () => {
    expect((await raw({ method: "GET", write: (r) => r.end() })).status).toBe(405);
    const { "content-type": _ct, ...noType } = headers(sign("{}"));
    expect((await raw({ headers: { ...noType, "content-type": "text/plain" }, write: (r) => r.end("{}") })).status).toBe(415);
    const { "x-github-delivery": _id, ...noId } = headers(sign("{}"));
    const missing = await raw({ headers: noId, write: (r) => r.end("{}") });
    expect(missing).toStrictEqual({ status: 400, body: '{"error":"required headers missing: x-github-delivery"}\n' });
    expect(await raw({ path: "/elsewhere", write: (r) => r.end() })).toStrictEqual({ status: 404, body: "not mine" });
    expect(calls.verify).toBe(0);
  });

  it("verifies over the exact bytes: a UTF-8 payload with a BOM and non-ASCII text passes, a re-encoded one does not", async () => {
    const text = '\uFEFF{"zen":"café ✓"}';
    const ok = await raw({ headers: headers(sign(text), "ping", "u-1"), write: (r) => r.end(Buffer.from(text, "utf8")) });
    expect(ok.status).toBe(400); // signature fine; a BOM is not valid JSON for JSON.parse
    expect(ok.body).toContain("not valid JSON");
    const latin1 = Buffer.from('{"zen":"café"}', "latin1");
    const bad = await raw({ headers: headers(sign('{"zen":"café"}'), "ping", "u-2"), write: (r) => r.end(latin1) });
    expect(bad.status).toBe(401);
  });
});
