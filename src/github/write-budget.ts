/**
 * GitHub's budget for content-creating requests, per installation: at most 80 a minute (GitHub's
 * secondary rate limits: "no more than 80 content-generating requests per minute"; github-probot.md).
 *
 * Probot already runs @octokit/plugin-throttling: its `write` limiter spaces every POST/PATCH/PUT/DELETE
 * of the app by 1 s (one queue for all installations, keyed by the throttle id Probot leaves unset), and
 * when Probot is given `REDIS_URL` it shares those queues between replicas through Bottleneck's Redis
 * mode. This module adds the per-installation ceiling on top, so it holds even where that spacing is
 * disabled (benchmarks, custom Octokit defaults): a Bottleneck group keyed by installation id, a token
 * bucket of 80 a minute, in memory or on Redis (shared by every replica).
 */
import Bottleneck from "bottleneck";
import type { Redis } from "ioredis";
import { tokenBucket } from "../posthog/limiter.js";
import type { HookableOctokit } from "./deadline.js";

/** GitHub's content-creating requests a minute per installation. */
export const GITHUB_WRITES_PER_MINUTE = 80;

/** The per-installation write budget. */
export interface WriteBudget {
  /** Resolves when installation `installationId` may send one more write. */
  take(installationId: number): Promise<void>;
  /** Stops timers and Redis heartbeats (the Redis client is the caller's). */
  close(): Promise<void>;
}

/**
 * Creates a write budget: in memory, or on `redis` (keys `experiment-hygiene:github-writes:<installation id>`).
 * @param opts.perMinute writes a rolling minute per installation (≥ 2; default 80)
 */
export function createWriteBudget(opts: { perMinute?: number; redis?: Redis } = {}): WriteBudget {
  const { burst, intervalMs } = tokenBucket(opts.perMinute ?? GITHUB_WRITES_PER_MINUTE, Math.floor((opts.perMinute ?? GITHUB_WRITES_PER_MINUTE) / 4));
  const group = new Bottleneck.Group({
    reservoir: burst,
    reservoirIncreaseAmount: 1,
    reservoirIncreaseInterval: intervalMs,
    reservoirIncreaseMaximum: burst,
    ...(opts.redis
      ? {
          id: `experiment-hygiene:github-writes:${opts.perMinute ?? GITHUB_WRITES_PER_MINUTE}`,
          datastore: "ioredis",
          connection: new Bottleneck.IORedisConnection({ client: opts.redis }),
          clearDatastore: false,
          timeout: 15 * 60_000,
        }
      : {}),
  });
  return {
    take: (installationId) => group.key(String(installationId)).schedule(() => Promise.resolve()),
    async close() {
      await Promise.all(group.limiters().map(({ limiter }) => limiter.disconnect(false)));
    },
  };
}

/**
 * Makes every write (POST, PATCH, PUT, DELETE) of `octokit` wait for the installation's budget. Call it
 * before `addRequestDeadline`, so the request deadline also bounds the wait.
 * @returns the same instance
 */
export function addWriteBudget<T extends HookableOctokit>(octokit: T, installationId: number, budget: WriteBudget): T {
  octokit.hook.before("request", async (options) => {
    const method = String(options.method).toUpperCase();
    if (method !== "GET" && method !== "HEAD") await budget.take(installationId);
  });
  return octokit;
}
