/**
 * The CLI against a PostHog that sends its headers and then trickles the body forever (it used to hang
 * until killed): it stops at the request deadline with one line and exit 1; a bad deadline value is a
 * usage error.
 */
import { writeFileSync, mkdtempSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, type CliIo } from "../../src/cli/main.js";

const KEY = "phx_cli_deadline_key";
let server: Server;
let ticker: ReturnType<typeof setInterval> | null = null;
let host: string;
let diff: string;

function io(env: Record<string, string | undefined>) {
  const out: string[] = [];
  const err: string[] = [];
  const value: CliIo = { stdout: (t) => out.push(t), stderr: (t) => err.push(t), readStdin: async () => "", stdinIsTTY: true, env };
  return { io: value, out: () => out.join(""), err: () => err.join("") };
}

beforeAll(async () => {
  server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.write('{"count": 1, "results": [');
    ticker ??= setInterval(() => res.write(" "), 100);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  host = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  diff = join(mkdtempSync(join(tmpdir(), "eh-deadline-")), "pr.diff");
  writeFileSync(diff, "--- a/x.ts\n+++ b/x.ts\n@@ -1,0 +1,1 @@\n+posthog.isFeatureEnabled('new-checkout')\n");
});

afterAll(async () => {
  if (ticker) clearInterval(ticker);
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe("experiment-hygiene pr against a trickling PostHog", () => {
  it("gives up at POSTHOG_REQUEST_DEADLINE_MS with one line", async () => {
    const t = io({ POSTHOG_HOST: host, POSTHOG_PROJECT_ID: "4242", POSTHOG_PERSONAL_API_KEY: KEY, POSTHOG_REQUEST_DEADLINE_MS: "300" });
    const code = await runCli(["pr", diff, "--now", "2026-11-20T12:00:00Z"], t.io);
    expect(code).toBe(1);
    expect(t.err()).toContain("within the request deadline of 300 ms");
    expect(t.err()).not.toContain(KEY);
    expect(t.out()).toBe("");
  });

  it("refuses a deadline that is not a whole number of milliseconds (exit 2)", async () => {
    const t = io({ POSTHOG_HOST: host, POSTHOG_PROJECT_ID: "4242", POSTHOG_PERSONAL_API_KEY: KEY, POSTHOG_REQUEST_DEADLINE_MS: "soon" });
    expect(await runCli(["pr", diff], t.io)).toBe(2);
    expect(t.err()).toContain('POSTHOG_REQUEST_DEADLINE_MS must be a whole number ≥ 1 (milliseconds), got "soon"');
  });
});
