/**
 * `npm run worker`: a job worker without an HTTP server, for deployments with `REDIS_URL`
 * (docs/scaling.md). It reads the same environment as `npm start` (`APP_ID`, `PRIVATE_KEY`,
 * `WEBHOOK_SECRET`, `POSTHOG_*`, `GHE_HOST`, `LOG_LEVEL`, …) plus `REDIS_URL` (required) and
 * `WORKER_CONCURRENCY`, runs the jobs the web replicas store, and the scheduled scans. SIGTERM/SIGINT
 * stop taking jobs and wait for the running ones (BullMQ's graceful close) before exiting.
 * Exit codes: 0 after a clean shutdown, 2 when `REDIS_URL` is missing.
 */
import { createProbot } from "probot";
import { createApp } from "./app/index.js";
import type { JobQueue } from "./queue/index.js";

if (!process.env["REDIS_URL"]?.trim()) {
  console.error("npm run worker needs REDIS_URL (a worker takes its jobs from Redis); without it, run npm start, which handles webhooks in process");
  process.exit(2);
}
const probot = createProbot();
let queue: JobQueue | null = null;
await probot.load(createApp({ role: "worker", onQueue: (q) => (queue = q) }));
probot.log.info("experiment-hygiene worker started");
let stopping = false;
const stop = (signal: string) => {
  if (stopping) return;
  stopping = true;
  probot.log.info({ signal }, "worker stopping: finishing running jobs");
  void (queue?.close() ?? Promise.resolve()).then(
    () => process.exit(0),
    (err: unknown) => {
      probot.log.error({ err: (err as Error).message }, "worker did not stop cleanly");
      process.exit(1);
    },
  );
};
process.on("SIGTERM", () => stop("SIGTERM"));
process.on("SIGINT", () => stop("SIGINT"));
