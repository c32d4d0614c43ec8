/**
 * PostHog's request budget, shared by every client of one host and personal API key — in this process
 * (default) or by every replica on one Redis. PostHog limits per hashed personal API key
 * (posthog-api.md §1, §11: `posthog/rate_limit.py`, `query.py get_throttles`):
 *
 * - query API: 3 concurrent queries, 240 requests a minute and 2,400 an hour;
 * - other endpoints (lists, details, activity, writes): 480 requests a minute and 4,800 an hour;
 * - HTTP 429 with `Retry-After` when exceeded.
 *
 * Both implementations use Bottleneck (the limiter @octokit/plugin-throttling — and so Probot — already
 * runs, with a Redis cluster mode on ioredis): one limiter for the query slots (`maxConcurrent`), one
 * token bucket per request class (`reservoir` + `reservoirIncrease*`), plus a shared pause for
 * `Retry-After`. In-memory, they are Bottleneck's local mode; with Redis, Bottleneck's cluster mode keyed
 * by a hash of host and key (the key itself is never stored in Redis or logged), so a replica that dies
 * holding a slot frees it when its heartbeat lapses.
 */
import { createHash } from "node:crypto";
import Bottleneck from "bottleneck";
import type { Redis } from "ioredis";

/** The request classes PostHog throttles separately: `query` (`POST …/query/` and its polls) and `other`. */
export type RequestClass = "query" | "other";

/**
 * One PostHog budget (host + personal API key). All methods are safe to call from many clients and, for
 * the Redis implementation, from many processes.
 */
export interface PostHogLimiter {
  /** Stable, non-secret id of the budget: `<16 hex of sha256(host|key)>`. */
  readonly id: string;
  /**
   * Runs `fn` holding one of the budget's query slots: at most {@link PostHogBudget.queryConcurrency}
   * queries are in flight, from submission to completion (async polls included).
   * @returns what `fn` returns; rejects with `fn`'s error.
   */
  withQuerySlot<T>(fn: () => Promise<T>): Promise<T>;
  /**
   * Resolves when one more HTTP request of class `cls` may be sent: after any shared `Retry-After` pause,
   * and within the per-minute budget of the class. Every attempt (retries included) calls this once.
   */
  acquire(cls: RequestClass): Promise<void>;
  /**
   * Pauses every request of this budget (both classes, every client and replica) for `ms` milliseconds
   * from now — PostHog's `Retry-After` on a 429. A shorter pause never shortens a longer one.
   */
  pause(ms: number): Promise<void>;
  /** Epoch ms until which the budget is paused (0 when not paused). */
  pausedUntil(): Promise<number>;
  /** Stops timers and Redis heartbeats (the Redis client itself is the caller's). */
  close(): Promise<void>;
}

/** The limits one budget enforces. */
export interface PostHogBudget {
  /** Queries in flight, 1–3. PostHog: 3 (docs/api/queries.mdx). */
  queryConcurrency: number;
  /** Query requests per rolling minute. PostHog: 240. */
  queryPerMinute: number;
  /** Other requests per rolling minute. PostHog: 480. */
  otherPerMinute: number;
  /** Query requests per rolling hour. PostHog: 2,400 (1,200 on some plans). */
  queryPerHour: number;
  /** Other requests per rolling hour. PostHog: 4,800. */
  otherPerHour: number;
}

/** PostHog's published limits (posthog-api.md §1, §11). */
export const POSTHOG_BUDGET: PostHogBudget = {
  queryConcurrency: 3,
  queryPerMinute: 240,
  otherPerMinute: 480,
  queryPerHour: 2_400,
  otherPerHour: 4_800,
};

/** Longest `Retry-After` pause honoured, ms (a larger value is capped: one bad header must not stall the app for hours). */
export const MAX_PAUSE_MS = 10 * 60_000;

/**
 * The token bucket of one class and window: a burst of `burst` requests, then one every `intervalMs`, so
 * that in any window of `windowMs` (default 60 s) at most `burst + floor(windowMs / intervalMs)` ≤
 * `perWindow` requests start — the rolling window PostHog's DRF throttles count in.
 * @throws RangeError when `perWindow` < 2.
 */
export function tokenBucket(perWindow: number, burst: number, windowMs = 60_000): { burst: number; intervalMs: number } {
  if (!(perWindow >= 2) || !Number.isFinite(perWindow)) throw new RangeError(`perWindow must be >= 2, got ${perWindow}`);
  const b = Math.max(1, Math.min(Math.floor(burst), Math.floor(perWindow / 2)));
  return { burst: b, intervalMs: Math.ceil(windowMs / (perWindow - b)) };
}

/** Non-secret id of a budget: 16 hex characters of sha256(`host|apiKey`). */
export function budgetId(host: string, apiKey: string): string {
  return createHash("sha256").update(`${host.replace(/\/+$/, "")}|${apiKey}`).digest("hex").slice(0, 16);
}

type Bucket = RequestClass | `${RequestClass}-hour`;

function bottleneckOptions(budget: PostHogBudget, cls: Bucket | "slots"): Bottleneck.ConstructorOptions {
  if (cls === "slots") return { maxConcurrent: Math.max(1, Math.min(3, Math.floor(budget.queryConcurrency))) };
  const hour = cls.endsWith("-hour");
  const per = {
    query: budget.queryPerMinute,
    other: budget.otherPerMinute,
    "query-hour": budget.queryPerHour,
    "other-hour": budget.otherPerHour,
  }[cls];
  // A quarter of the window's budget may go at once (a PR event's queries start together), the rest
  // refills evenly: burst + refill ≤ the budget in any rolling window.
  const { burst, intervalMs } = tokenBucket(per, Math.floor(per / 4), hour ? 3_600_000 : 60_000);
  return { reservoir: burst, reservoirIncreaseAmount: 1, reservoirIncreaseInterval: intervalMs, reservoirIncreaseMaximum: burst };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function base(
  id: string,
  make: (cls: Bucket | "slots") => Bottleneck,
  pauseStore: { get(): Promise<number>; raise(until: number, ms: number): Promise<void> },
): PostHogLimiter {
  const slots = make("slots");
  const rate = { query: make("query"), other: make("other") };
  const hourly = { query: make("query-hour"), other: make("other-hour") };
  return {
    id,
    withQuerySlot: (fn) => slots.schedule(fn),
    async acquire(cls) {
      for (;;) {
        const until = await pauseStore.get();
        const wait = until - Date.now();
        if (wait <= 0) break;
        await sleep(Math.min(wait, MAX_PAUSE_MS));
      }
      await hourly[cls].schedule(() => Promise.resolve());
      await rate[cls].schedule(() => Promise.resolve());
    },
    async pause(ms) {
      if (!(ms > 0)) return;
      const capped = Math.min(ms, MAX_PAUSE_MS);
      await pauseStore.raise(Date.now() + capped, capped);
    },
    pausedUntil: () => pauseStore.get(),
    async close() {
      await Promise.all([slots, rate.query, rate.other, hourly.query, hourly.other].map((l) => l.disconnect(false)));
    },
  };
}

/**
 * An in-process budget (Bottleneck's local mode). Clients that should share it must share the instance;
 * {@link sharedMemoryLimiter} keeps one per host + key for the process.
 */
export function createMemoryLimiter(id: string, budget: PostHogBudget = POSTHOG_BUDGET): PostHogLimiter {
  let pausedUntil = 0;
  return base(id, (cls) => new Bottleneck(bottleneckOptions(budget, cls)), {
    get: async () => (pausedUntil > Date.now() ? pausedUntil : 0),
    raise: async (until) => {
      pausedUntil = Math.max(pausedUntil, until);
    },
  });
}

const memoryLimiters = new Map<string, PostHogLimiter>();

/**
 * The process-wide in-memory budget of `host` + `apiKey` (created on first use). This is the default of
 * every HTTP client, so several clients of one key in one process never exceed PostHog's limits together.
 */
export function sharedMemoryLimiter(host: string, apiKey: string, budget: PostHogBudget = POSTHOG_BUDGET): PostHogLimiter {
  const id = `${budgetId(host, apiKey)}:${Object.values(budget).join(":")}`;
  let l = memoryLimiters.get(id);
  if (!l) memoryLimiters.set(id, (l = createMemoryLimiter(budgetId(host, apiKey), budget)));
  return l;
}

/** Prefix of every Redis key this module writes. */
export const REDIS_PREFIX = "experiment-hygiene:posthog-budget";

/**
 * A budget shared through Redis by every process that uses the same `redis`, host and key: Bottleneck's
 * cluster mode (Lua scripts; a dead replica's slots are freed after its heartbeat lapses, ~10 s) and a
 * pause key `experiment-hygiene:posthog-budget:<id>:pause` holding the epoch ms of the pause's end, with
 * a matching expiry. Redis keys carry only {@link budgetId}.
 *
 * @param redis an ioredis client (`createRedis(url)`); it is not closed by {@link PostHogLimiter.close}.
 */
export function createRedisLimiter(
  redis: Redis,
  host: string,
  apiKey: string,
  budget: PostHogBudget = POSTHOG_BUDGET,
): PostHogLimiter {
  const id = budgetId(host, apiKey);
  const connection = new Bottleneck.IORedisConnection({ client: redis });
  const pauseKey = `${REDIS_PREFIX}:${id}:pause`;
  return base(
    id,
    (cls) =>
      new Bottleneck({
        ...bottleneckOptions(budget, cls),
        id: `${REDIS_PREFIX}:${id}:${cls}:${Object.values(budget).join(":")}`,
        datastore: "ioredis",
        connection,
        clearDatastore: false,
        // Bottleneck's own key expiry when idle, ms.
        timeout: 15 * 60_000,
      }),
    {
      async get() {
        const v = Number(await redis.get(pauseKey));
        return Number.isFinite(v) && v > Date.now() ? v : 0;
      },
      async raise(until, ms) {
        // Keep the later of the two pauses; the key expires with it.
        await redis.eval(
          "local cur = tonumber(redis.call('GET', KEYS[1]) or '0') if tonumber(ARGV[1]) > cur then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) end return 1",
          1,
          pauseKey,
          String(until),
          String(Math.ceil(ms)),
        );
      },
    },
  );
}
