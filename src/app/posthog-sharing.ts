/**
 * Wiring of the PostHog read cache and request budget: in this process by default, on Redis when
 * `REDIS_URL` is set, so every replica shares one budget per host + key and one cache per project
 * (docs/budgets.md).
 */
import type { Redis } from "ioredis";
import { createMemoryCache, createRedisCache, type ResponseCache } from "../posthog/cache.js";
import { createRedisLimiter, POSTHOG_BUDGET, sharedMemoryLimiter, type PostHogBudget, type PostHogLimiter } from "../posthog/limiter.js";
import { createWriteBudget, GITHUB_WRITES_PER_MINUTE, type WriteBudget } from "../github/write-budget.js";
import { createRedis } from "../queue/redis.js";

let shared: { url: string; redis: Redis } | null = null;

/** The process's one Redis connection for `url`, opened on first use (a new URL replaces it). */
function sharedRedis(url: string): Redis {
  if (!shared || shared.url !== url) shared = { url, redis: createRedis(url) };
  return shared.redis;
}

/**
 * The `cache` and (with Redis) `limiter` options of `createPostHogClient` for this environment. Without
 * `REDIS_URL` the limiter is left to the client's default (the process-wide in-memory budget of host + key).
 * One Redis connection per URL is opened for the process, lazily.
 */
export function posthogSharing(
  env: Record<string, string | undefined>,
  cfg: { host: string; apiKey: string },
): { cache: ResponseCache; limiter?: PostHogLimiter } {
  const budget = posthogBudgetFromEnv(env);
  const url = env.REDIS_URL?.trim();
  if (!url) {
    const cache = createMemoryCache();
    return budget === POSTHOG_BUDGET ? { cache } : { cache, limiter: sharedMemoryLimiter(cfg.host, cfg.apiKey, budget) };
  }
  const redis = sharedRedis(url);
  return { cache: createRedisCache(redis), limiter: createRedisLimiter(redis, cfg.host, cfg.apiKey, budget) };
}

/** The environment variables that override one limit of {@link POSTHOG_BUDGET}, each a whole number ≥ 1. */
const BUDGET_VARIABLES = {
  POSTHOG_QUERIES_PER_MINUTE: "queryPerMinute",
  POSTHOG_QUERIES_PER_HOUR: "queryPerHour",
  POSTHOG_REQUESTS_PER_MINUTE: "otherPerMinute",
  POSTHOG_REQUESTS_PER_HOUR: "otherPerHour",
} as const;

/**
 * PostHog's request budget for this environment: {@link POSTHOG_BUDGET} (240 queries a minute, 2,400 an
 * hour, 480 / 4,800 other requests; posthog-api.md §11), with any of `POSTHOG_QUERIES_PER_MINUTE`,
 * `POSTHOG_QUERIES_PER_HOUR` (1,200 on plans with the lower throttle class), `POSTHOG_REQUESTS_PER_MINUTE`
 * and `POSTHOG_REQUESTS_PER_HOUR` overriding one limit. Returns `POSTHOG_BUDGET` itself when none is set.
 * @throws Error naming the variable when a value is not a whole number ≥ 1
 */
export function posthogBudgetFromEnv(env: Record<string, string | undefined>): PostHogBudget {
  let budget = POSTHOG_BUDGET;
  for (const [name, field] of Object.entries(BUDGET_VARIABLES)) {
    const raw = env[name]?.trim();
    if (!raw) continue;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a whole number of at least 1 (got ${JSON.stringify(raw)})`);
    budget = { ...budget, [field]: n };
  }
  return budget;
}

let redisWriteBudget: { url: string; budget: WriteBudget } | null = null;

/**
 * A GitHub write budget (80 writes a minute per installation). Without `REDIS_URL`: a new in-memory budget,
 * which the caller (one app instance) keeps. With it: the process's one budget on Redis, shared by every
 * replica.
 */
export function githubWriteBudget(env: Record<string, string | undefined>): WriteBudget {
  const perMinute = writesPerMinute(env);
  const url = env.REDIS_URL?.trim();
  if (!url) return createWriteBudget({ perMinute });
  const id = `${url} ${perMinute}`;
  if (redisWriteBudget && redisWriteBudget.url === id) return redisWriteBudget.budget;
  redisWriteBudget = { url: id, budget: createWriteBudget({ redis: sharedRedis(url), perMinute }) };
  return redisWriteBudget.budget;
}

/**
 * `GITHUB_WRITES_PER_MINUTE`: content-creating requests a minute per installation, a whole number ≥ 2
 * (default 80, GitHub's documented secondary limit). Raise it only against a GitHub that allows more
 * (GitHub Enterprise Server with its own limits, or a test double).
 * @throws Error naming the variable when the value is not a whole number ≥ 2
 */
export function writesPerMinute(env: Record<string, string | undefined>): number {
  const raw = env.GITHUB_WRITES_PER_MINUTE?.trim();
  if (!raw) return GITHUB_WRITES_PER_MINUTE;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 2) throw new Error(`GITHUB_WRITES_PER_MINUTE must be a whole number of at least 2 (got ${JSON.stringify(raw)})`);
  return n;
}
