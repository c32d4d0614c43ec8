/**
 * Wiring of the PostHog read cache and request budget: in this process by default, on Redis when
 * `REDIS_URL` is set, so every replica shares one budget per host + key and one cache per project
 * (docs/budgets.md).
 */
import type { Redis } from "ioredis";
import { createMemoryCache, createRedisCache, type ResponseCache } from "../posthog/cache.js";
import { createRedisLimiter, type PostHogLimiter } from "../posthog/limiter.js";
import { createWriteBudget, type WriteBudget } from "../github/write-budget.js";
import { createRedis } from "../queue/redis.js";

let shared: { url: string; redis: Redis } | null = null;

/**
 * The `cache` and (with Redis) `limiter` options of `createPostHogClient` for this environment. Without
 * `REDIS_URL` the limiter is left to the client's default (the process-wide in-memory budget of host + key).
 * One Redis connection per URL is opened for the process, lazily.
 */
export function posthogSharing(
  env: Record<string, string | undefined>,
  cfg: { host: string; apiKey: string },
): { cache: ResponseCache; limiter?: PostHogLimiter } {
  const url = env.REDIS_URL?.trim();
  if (!url) return { cache: createMemoryCache() };
  if (!shared || shared.url !== url) shared = { url, redis: createRedis(url) };
  return { cache: createRedisCache(shared.redis), limiter: createRedisLimiter(shared.redis, cfg.host, cfg.apiKey) };
}

let writeBudget: { url: string; budget: WriteBudget } | null = null;

/**
 * The process's GitHub write budget (80 writes a minute per installation): in memory, or on Redis when
 * `REDIS_URL` is set, so every replica shares it.
 */
export function githubWriteBudget(env: Record<string, string | undefined>): WriteBudget {
  const url = env.REDIS_URL?.trim() ?? "";
  if (writeBudget && writeBudget.url === url) return writeBudget.budget;
  if (url && (!shared || shared.url !== url)) shared = { url, redis: createRedis(url) };
  writeBudget = { url, budget: createWriteBudget(url && shared ? { redis: shared.redis } : {}) };
  return writeBudget.budget;
}
