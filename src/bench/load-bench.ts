/**
 * `npm run bench -- load`: the BullMQ queue under load — 2 web replicas and 2 worker processes on one
 * Redis, 500 signed deliveries over 50 PRs (bursts of `synchronize`, one redelivery per PR), the fake
 * GitHub and PostHog (demo project, 7 experiments) on 127.0.0.1. Prints deliveries per second, p50/p99
 * time to the webhook's answer and to the comment, and PostHog calls per PR event.
 *
 * Redis: `BENCH_REDIS_URL` when set (a disposable server: the run's keys are deleted afterwards), else a
 * `redis-server` from PATH on a free port in a temporary directory.
 */
import { fileURLToPath } from "node:url";
import { runLoad } from "./load.js";
import { startRedisServer, type RedisServer } from "./redis-server.js";

function quantile(xs: number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
}

/** Run the bench and print its figures. */
export async function benchLoad(opts: { posthogLatencyMs?: number; log?: (l: string) => void } = {}): Promise<void> {
  const log = opts.log ?? ((l: string) => console.log(l));
  let server: RedisServer | null = null;
  let url = process.env["BENCH_REDIS_URL"]?.trim();
  if (!url) {
    try {
      server = await startRedisServer();
    } catch (err) {
      log(`load bench skipped: ${(err as Error).message} (install redis-server or set BENCH_REDIS_URL)`);
      return;
    }
    url = server.url;
  }
  try {
    const latency = opts.posthogLatencyMs ?? 20;
    const r = await runLoad({
      redisUrl: url,
      replicaScript: fileURLToPath(new URL("./load-replica.js", import.meta.url)),
      webReplicas: 2,
      workerReplicas: 2,
      prs: 50,
      perPr: 10,
      posthogLatencyMs: latency,
      timeoutMs: 120_000,
    });
    const ok = r.prs.filter((p) => p.showsNewest && p.creations === 1 && p.comments === 1).length;
    log(`load bench: ${r.deliveries} deliveries over ${r.prs.length} PRs, 2 web replicas + 2 worker processes (WORKER_CONCURRENCY 4), PR debounce 300 ms, PostHog latency ${latency} ms`);
    log(`answers: ${JSON.stringify(r.statuses)} (202 queued, 200 redelivery of a stored delivery)${r.timedOut ? " — TIMED OUT waiting for comments" : ""}`);
    log(`deliveries per second (sending, 16 in flight): ${(r.deliveries / r.sendSeconds).toFixed(0)} (${r.sendSeconds.toFixed(1)} s to send all)`);
    log(`time to the webhook's answer: p50 ${quantile(r.answerMs, 0.5).toFixed(1)} ms, p99 ${quantile(r.answerMs, 0.99).toFixed(1)} ms`);
    log(`time from the newest delivery's answer to the comment showing that head: p50 ${quantile(r.commentMs, 0.5).toFixed(0)} ms, p99 ${quantile(r.commentMs, 0.99).toFixed(0)} ms (${r.commentMs.length} PRs)`);
    log(`all PRs commented ${r.totalSeconds.toFixed(1)} s after the first delivery; PRs with exactly one comment showing the newest head: ${ok}/${r.prs.length}`);
    log(`analyses run: ${r.analyses} for ${r.prDeliveries} fresh pull_request deliveries (debounce collapsed ${r.prDeliveries - r.analyses})`);
    log(`PostHog calls: ${r.posthogCalls} in all = ${(r.posthogCalls / r.prDeliveries).toFixed(2)} per PR delivery, ${(r.posthogCalls / Math.max(1, r.analyses)).toFixed(1)} per analysis (the replicas share the PostHog read cache and budget on Redis); max PostHog queries in flight across replicas: ${r.posthogMaxInFlight}`);
    log(`failed jobs left: ${r.failedJobs}`);
  } finally {
    await server?.dispose();
  }
}
