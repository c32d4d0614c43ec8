/**
 * The PostHog transport's total deadline, redirect policy and page cap, against a real local HTTP server
 * (so headers, a trickled body and 3xx answers travel over a socket exactly as from PostHog).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createPostHogClient } from "../../src/posthog/api.js";
import {
  PostHogNetworkError,
  PostHogPaginationError,
  PostHogRedirectError,
} from "../../src/posthog/errors.js";
import { createHttpTransport, getKey } from "../../src/posthog/transport.js";

const KEY = "phx_deadline_test_key";
const PID = "7";

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
const servers: Server[] = [];
const timers: ReturnType<typeof setInterval>[] = [];

/** A server on 127.0.0.1 with a random port; closed (connections included) after each test. */
async function serve(handler: Handler): Promise<{ origin: string; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url} auth=${req.headers.authorization ? "yes" : "no"}`);
    handler(req, res);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { origin: `http://127.0.0.1:${port}`, requests };
}

afterEach(async () => {
  for (const t of timers.splice(0)) clearInterval(t);
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
});

/** Sends 200 + headers at once, then one byte of a never-ending JSON string every 100 ms. */
const trickle: Handler = (_req, res) => {
  res.writeHead(200, { "content-type": "application/json" });
  res.write('{"results": "');
  timers.push(setInterval(() => res.write("x"), 100));
};

function flagPage(next: string | null, id: number) {
  return JSON.stringify({
    count: 1,
    next,
    previous: null,
    results: [{ id, key: `flag-${id}`, name: "", active: true, deleted: false, filters: { groups: [] } }],
  });
}

describe("PostHog request deadline", () => {
  it("aborts a body that trickles after the headers, at the total deadline", async () => {
    const { origin, requests } = await serve(trickle);
    const transport = createHttpTransport({ host: origin, projectId: PID, apiKey: KEY, deadlineMs: 300, retry: { limit: 0 } });
    const path = `/api/projects/${PID}/feature_flags/?limit=100`;

    const err = await transport({ method: "GET", path, key: getKey(path) }).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(PostHogNetworkError);
    expect((err as Error).message).toContain("within the request deadline of 300 ms");
    expect((err as Error).message).toContain("reading the body included");
    expect((err as Error).message).not.toContain(KEY);
    expect(requests).toHaveLength(1);
  });

  it("aborts a trickling body through the client too (the CLI's path)", async () => {
    const { origin } = await serve(trickle);
    const client = createPostHogClient({ host: origin, projectId: PID, apiKey: KEY, deadlineMs: 300, retry: { limit: 0 } });
    await expect(client.listFeatureFlags()).rejects.toThrow(PostHogNetworkError);
  });

  it("counts the retries' waits against the same deadline", async () => {
    // 503 with Retry-After: 5 s would be waited for; the 300 ms deadline ends the request first.
    const { origin, requests } = await serve((_req, res) => {
      res.writeHead(503, { "retry-after": "5", "content-type": "application/json" });
      res.end('{"detail":"down"}');
    });
    const transport = createHttpTransport({ host: origin, projectId: PID, apiKey: KEY, deadlineMs: 300 });
    const path = `/api/projects/${PID}/experiments/?limit=100`;
    const err = await transport({ method: "GET", path, key: getKey(path) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PostHogNetworkError);
    expect((err as Error).message).toContain("request deadline of 300 ms");
    expect(requests).toHaveLength(1);
  });

  it("still reads a body that arrives in pieces within the deadline", async () => {
    const { origin } = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write('{"results": [], ');
      setTimeout(() => res.end('"next": null}'), 50);
    });
    const transport = createHttpTransport({ host: origin, projectId: PID, apiKey: KEY, deadlineMs: 5_000 });
    const path = `/api/projects/${PID}/feature_flags/?limit=100`;
    await expect(transport({ method: "GET", path, key: getKey(path) })).resolves.toStrictEqual({ results: [], next: null });
  });
});

describe("PostHog redirects", () => {
  it("refuses a 302 to another host and never sends the key there", async () => {
    const other = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(flagPage(null, 666));
    });
    const { origin } = await serve((req, res) => {
      res.writeHead(302, { location: `${other.origin.replace("127.0.0.1", "localhost")}${req.url}` });
      res.end();
    });
    const client = createPostHogClient({ host: origin, projectId: PID, apiKey: KEY, retry: { limit: 0 } });

    const err = await client.listFeatureFlags().catch((e: unknown) => e);

    expect(err).toBeInstanceOf(PostHogRedirectError);
    expect((err as Error).message).toContain("HTTP 302");
    expect((err as Error).message).toContain("to another host (http://localhost:");
    expect((err as Error).message).toContain("POSTHOG_HOST");
    expect(other.requests).toStrictEqual([]);
  });

  it("does not echo userinfo of a cross-host Location", async () => {
    const { origin } = await serve((_req, res) => {
      res.writeHead(301, { location: "https://user:s3cret@evil.example/api/" });
      res.end();
    });
    const transport = createHttpTransport({ host: origin, projectId: PID, apiKey: KEY, retry: { limit: 0 } });
    const path = `/api/projects/${PID}/feature_flags/?limit=100`;
    const err = await transport({ method: "GET", path, key: getKey(path) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PostHogRedirectError);
    expect((err as Error).message).toContain("(https://evil.example)");
    expect((err as Error).message).not.toContain("s3cret");
  });

  it("follows a redirect within the configured host", async () => {
    const { origin, requests } = await serve((req, res) => {
      if (req.url === `/api/projects/${PID}/feature_flags/?limit=100`) {
        res.writeHead(301, { location: `/api/environments/${PID}/feature_flags/?limit=100` });
        res.end();
        return;
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end(flagPage(null, 1));
    });
    const client = createPostHogClient({ host: origin, projectId: PID, apiKey: KEY, retry: { limit: 0 } });
    const flags = await client.listFeatureFlags();
    expect(flags.map((f) => f.key)).toStrictEqual(["flag-1"]);
    expect(requests).toStrictEqual([
      `GET /api/projects/${PID}/feature_flags/?limit=100 auth=yes`,
      `GET /api/environments/${PID}/feature_flags/?limit=100 auth=yes`,
    ]);
  });

  it("follows a same-host redirect under a host with a path prefix without doubling the prefix", async () => {
    const { origin, requests } = await serve((req, res) => {
      if (req.url === `/proxy/api/projects/${PID}/feature_flags/?limit=100`) {
        res.writeHead(308, { location: `/proxy/api/environments/${PID}/feature_flags/?limit=100` });
        res.end();
        return;
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end(flagPage(null, 2));
    });
    const client = createPostHogClient({ host: `${origin}/proxy`, projectId: PID, apiKey: KEY, retry: { limit: 0 } });
    expect((await client.listFeatureFlags()).map((f) => f.key)).toStrictEqual(["flag-2"]);
    expect(requests).toStrictEqual([
      `GET /proxy/api/projects/${PID}/feature_flags/?limit=100 auth=yes`,
      `GET /proxy/api/environments/${PID}/feature_flags/?limit=100 auth=yes`,
    ]);
  });

  it("does not turn a query POST into a GET on a 302 within the host", async () => {
    const { origin, requests } = await serve((_req, res) => {
      res.writeHead(302, { location: "/login" });
      res.end();
    });
    const transport = createHttpTransport({ host: origin, projectId: PID, apiKey: KEY, retry: { limit: 0 } });
    const path = `/api/projects/${PID}/query/`;
    const err = await transport({ method: "POST", path, body: { query: {} }, key: `POST ${path}` }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PostHogRedirectError);
    expect((err as Error).message).toContain("would turn the POST into a GET");
    expect(requests).toHaveLength(1);
  });
});

describe("PostHog pagination cap", () => {
  it("fails loudly, naming the endpoint and the cap, when `next` never ends", async () => {
    let served = 0;
    const { origin } = await serve((req, res) => {
      served++;
      const offset = Number(new URL(req.url ?? "/", "http://x").searchParams.get("offset") ?? "0");
      res.writeHead(200, { "content-type": "application/json" });
      res.end(flagPage(`https://us.posthog.com/api/projects/${PID}/feature_flags/?limit=100&offset=${offset + 100}`, offset + 1));
    });
    const client = createPostHogClient({ host: origin, projectId: PID, apiKey: KEY, maxPages: 5, retry: { limit: 0 } });

    const err = await client.listFeatureFlags().catch((e: unknown) => e);

    expect(err).toBeInstanceOf(PostHogPaginationError);
    expect((err as Error).message).toBe(
      `pagination of GET /api/projects/${PID}/feature_flags/?limit=100 did not end within 5 pages (the cap, POSTHOG_MAX_PAGES); refusing to go on with a partial list`,
    );
    expect(served).toBe(5);
  });

  it("stops endless `next` links at 100 pages by default (not 1,000)", async () => {
    let served = 0;
    const { origin } = await serve((req, res) => {
      served++;
      const offset = Number(new URL(req.url ?? "/", "http://x").searchParams.get("offset") ?? "0");
      res.writeHead(200, { "content-type": "application/json" });
      res.end(flagPage(`/api/projects/${PID}/feature_flags/?limit=100&offset=${offset + 100}`, offset + 1));
    });
    const client = createPostHogClient({ host: origin, projectId: PID, apiKey: KEY, retry: { limit: 0 } });
    await expect(client.listFeatureFlags()).rejects.toThrow(
      `pagination of GET /api/projects/${PID}/feature_flags/?limit=100 did not end within 100 pages (the cap, POSTHOG_MAX_PAGES)`,
    );
    expect(served).toBe(100);
  });

  it("reads a list that ends exactly at the cap", async () => {
    const { origin } = await serve((req, res) => {
      const offset = Number(new URL(req.url ?? "/", "http://x").searchParams.get("offset") ?? "0");
      const next = offset < 200 ? `/api/projects/${PID}/feature_flags/?limit=100&offset=${offset + 100}` : null;
      res.writeHead(200, { "content-type": "application/json" });
      res.end(flagPage(next, offset + 1));
    });
    const client = createPostHogClient({ host: origin, projectId: PID, apiKey: KEY, maxPages: 3 });
    expect((await client.listFeatureFlags()).map((f) => f.key)).toStrictEqual(["flag-1", "flag-101", "flag-201"]);
  });
});
