/**
 * Test support for the real Probot server on 127.0.0.1 receiving signed HTTP deliveries
 * (test/app/server.test.ts, webhook-hardening.test.ts, secrets.test.ts, scheduler.test.ts): a free port,
 * GitHub's webhook signature, a log captured as text, and the server as the App with {@link TestOctokit}.
 */
import { createHmac } from "node:crypto";
import { createServer } from "node:net";
import { Writable } from "node:stream";
import pino, { type Logger } from "pino";
import { Probot, Server } from "probot";
import { PRIVATE_KEY, TestOctokit } from "./github.js";

/** A TCP port on 127.0.0.1 that was free a moment ago (bound with port 0, then released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

/** GitHub's `X-Hub-Signature-256` header for `body`: `sha256=` and the hex HMAC-SHA256 under `secret`. */
export function signBody(body: string, secret: string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

/** A pino logger at `level` (default `debug`, below production's `info`) pushing each written chunk onto `lines`. */
export function captureLog(lines: string[], level = "debug"): Logger {
  const sink = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return pino({ level }, sink);
}

/**
 * A Probot {@link Server} on 127.0.0.1 at a free port, as the App (id 1, {@link PRIVATE_KEY}) with
 * Octokit's retry and throttling off. `log` goes to both Probot and the server; `logLevel` and
 * `webhookPath` are passed on only when given. Neither loaded nor started: the caller loads the app and
 * calls `start()`, and stops the server after the test.
 */
export async function probotServer(opts: {
  secret: string;
  log?: Logger;
  logLevel?: "fatal" | "error" | "warn" | "info" | "debug" | "trace";
  webhookPath?: string;
}): Promise<{ server: Server; port: number }> {
  const port = await freePort();
  const server = new Server({
    Probot: Probot.defaults({
      appId: 1,
      privateKey: PRIVATE_KEY,
      secret: opts.secret,
      ...(opts.log ? { log: opts.log } : {}),
      ...(opts.logLevel ? { logLevel: opts.logLevel } : {}),
      Octokit: TestOctokit,
    }),
    ...(opts.log ? { log: opts.log } : {}),
    host: "127.0.0.1",
    port,
    ...(opts.webhookPath ? { webhookPath: opts.webhookPath } : {}),
  });
  return { server, port };
}
