/**
 * A throw-away `redis-server` on 127.0.0.1 for the load bench and the fault tests: a free port, a
 * temporary directory, append-only persistence (so a restart keeps the queued jobs, like a production
 * Redis with AOF), no RDB snapshots. `stop()` shuts it down (SIGTERM, then SIGKILL after 5 s);
 * `start()` starts it again on the same port and directory.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A controllable redis-server process. */
export interface RedisServer {
  url: string;
  port: number;
  /** Start (again); resolves once it accepts connections. */
  start(): Promise<void>;
  /** Stop; resolves once the process exited. */
  stop(): Promise<void>;
  /** Stop and delete the directory. */
  dispose(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (bound then released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const sock = connect(port, "127.0.0.1");
      sock.once("connect", () => {
        sock.end("PING\r\n");
        resolve(true);
      });
      sock.once("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`redis-server did not accept connections on port ${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Start `bin` (default `redis-server` from PATH). Throws when it cannot be started (not installed:
 * `apt-get install redis-server`) or does not listen within 10 s.
 */
export async function startRedisServer(opts: { bin?: string } = {}): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), "eh-redis-"));
  const port = await freePort();
  let child: ChildProcess | null = null;
  const server: RedisServer = {
    url: `redis://127.0.0.1:${port}`,
    port,
    async start() {
      const proc = spawn(
        opts.bin ?? "redis-server",
        ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "yes", "--appendfsync", "always", "--protected-mode", "yes"],
        { stdio: ["ignore", "ignore", "pipe"] },
      );
      child = proc;
      const failed = new Promise<never>((_, reject) => {
        proc.once("error", (err) => reject(new Error(`could not start redis-server: ${err.message}`)));
        proc.once("exit", (code) => reject(new Error(`redis-server exited with code ${code} before it listened`)));
      });
      failed.catch(() => undefined);
      await Promise.race([waitForPort(port, 10_000), failed]);
    },
    async stop() {
      const proc = child;
      child = null;
      if (!proc || proc.exitCode !== null) return;
      const exited = new Promise<void>((r) => proc.once("exit", () => r()));
      proc.kill("SIGTERM");
      const t = setTimeout(() => proc.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(t);
    },
    async dispose() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await server.start();
  return server;
}
