/**
 * Scheduled scans inside the server: an in-process, jittered timer (default daily) and an authenticated
 * HTTP trigger for an external scheduler in front of several replicas (github-probot.md §7). Only one scan
 * runs at a time per process; effects are idempotent, so a duplicate tick on another replica is harmless.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "../github/types.js";

/** A single-flight scan runner with a jittered timer. */
export interface Scheduler {
  /** Start the timer (no-op when the interval is 0). */
  start(): void;
  stop(): void;
  /** Run a scan now unless one is running: `"started"` or `"busy"`. The promise of the run is in `running`. */
  trigger(reason: string): "started" | "busy";
  /** The scan in progress, if any. */
  readonly running: Promise<void> | null;
}

/** Options of {@link createScheduler}. */
export interface SchedulerOptions {
  /** Runs one scan; errors are logged, never thrown out of the timer. */
  scan(reason: string): Promise<void>;
  /** Interval between scans, ms; 0 disables the timer. */
  intervalMs: number;
  /** Up to this much random delay is added to each tick, ms (default 10 % of the interval). */
  jitterMs?: number;
  log: Logger;
  random?: () => number;
}

/** Create the scheduler (the timer does not start until `start()`). */
export function createScheduler(opts: SchedulerOptions): Scheduler {
  const random = opts.random ?? Math.random;
  const jitter = opts.jitterMs ?? Math.round(opts.intervalMs * 0.1);
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;

  const trigger = (reason: string): "started" | "busy" => {
    if (running) return "busy";
    opts.log.info({ reason }, "hygiene scan started");
    const started = Date.now();
    running = opts
      .scan(reason)
      .then(() => opts.log.info({ reason, ms: Date.now() - started }, "hygiene scan finished"))
      .catch((err: unknown) => opts.log.error({ reason, err: (err as Error).message }, "hygiene scan failed"))
      .finally(() => {
        running = null;
      });
    return "started";
  };
  const schedule = () => {
    const delay = opts.intervalMs + Math.floor(random() * jitter);
    timer = setTimeout(() => {
      const result = trigger("schedule");
      if (result === "busy") opts.log.warn("previous hygiene scan still running; skipping this tick");
      schedule();
    }, delay);
    timer.unref();
  };
  return {
    start() {
      if (opts.intervalMs > 0 && !timer) schedule();
    },
    stop() {
      if (timer) clearTimeout(timer);
      timer = null;
    },
    trigger,
    get running() {
      return running;
    },
  };
}

function digest(s: string): Buffer {
  return createHash("sha256").update(s).digest();
}

/**
 * An HTTP handler for `POST /internal/scan` with `Authorization: Bearer <secret>` (compared in constant
 * time). Answers 202 when a scan starts, 409 when one is running, 401 on a bad secret, 405 on other
 * methods. Returns false (not handled) for other paths.
 */
export function scanTriggerHandler(secret: string, scheduler: Scheduler, path = "/internal/scan") {
  return (req: IncomingMessage, res: ServerResponse): boolean => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname !== path) return false;
    const send = (status: number, body: object) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (req.method !== "POST") {
      send(405, { error: "use POST" });
      return true;
    }
    const header = req.headers.authorization ?? "";
    const given = header.startsWith("Bearer ") ? header.slice(7) : "";
    if (!timingSafeEqual(digest(given), digest(secret))) {
      send(401, { error: "bad or missing bearer token" });
      return true;
    }
    const status = scheduler.trigger("http");
    send(status === "started" ? 202 : 409, { status });
    return true;
  };
}
