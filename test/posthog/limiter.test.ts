/**
 * The shared PostHog budget: query slots, per-minute token buckets and the `Retry-After` pause, in memory
 * and (when TEST_REDIS_URL is set) on Redis shared by two "replicas" (two Redis clients). Limits are
 * PostHog's (posthog-api.md §1: 3 concurrent queries, 240 query requests and 480 other requests a minute).
 */
import { randomUUID } from "node:crypto";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import nock from "nock";
import type { Redis } from "ioredis";
import {
  budgetId,
  createMemoryLimiter,
  createRedisLimiter,
  POSTHOG_BUDGET,
  REDIS_PREFIX,
  tokenBucket,
  type PostHogLimiter,
} from "../../src/posthog/limiter.js";
import { createHttpTransport, requestClassOf, retryAfterMs } from "../../src/posthog/transport.js";
import { createRedis } from "../../src/queue/redis.js";
import { HOST, KEY, PID } from "./helpers.js";

const REDIS_URL = process.env.TEST_REDIS_URL;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Runs `n` jobs of `ms` each through `withQuerySlot` of the given limiters (round robin); returns the peak in flight. */
async function peakInFlight(limiters: PostHogLimiter[], n: number, ms: number): Promise<number> {
  let open = 0;
  let peak = 0;
  await Promise.all(
    Array.from({ length: n }, (_, i) =>
      limiters[i % limiters.length]!.withQuerySlot(async () => {
        open++;
        peak = Math.max(peak, open);
        await sleep(ms);
        open--;
      }),
    ),
  );
  return peak;
}

/** Whether `p` settles within `ms`. */
async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  return Promise.race([p.then(() => true), sleep(ms).then(() => false)]);
}

describe("token bucket arithmetic", () => {
  it("never lets more than perMinute requests start in any rolling minute", () => {
    for (const perMinute of [240, 480, 120, 8, 4]) {
      for (const burst of [1, 3, 60, 120, 1000]) {
        const b = tokenBucket(perMinute, burst);
        expect(b.burst + Math.floor(60_000 / b.intervalMs)).toBeLessThanOrEqual(perMinute);
        expect(b.burst).toBeGreaterThanOrEqual(1);
      }
    }
    for (const perHour of [2400, 1200, 4800]) {
      const b = tokenBucket(perHour, perHour / 4, 3_600_000);
      expect(b.burst + Math.floor(3_600_000 / b.intervalMs)).toBeLessThanOrEqual(perHour);
    }
    expect(() => tokenBucket(1, 1)).toThrow(RangeError);
  });

  it("uses PostHog's limits by default", () => {
    expect(POSTHOG_BUDGET).toEqual({ queryConcurrency: 3, queryPerMinute: 240, otherPerMinute: 480, queryPerHour: 2400, otherPerHour: 4800 });
  });

  it("identifies a budget by a hash, never the key", () => {
    const id = budgetId(HOST, KEY);
    expect(id).toMatch(/^[0-9a-f]{16}$/);
    expect(id).not.toContain("phx");
    expect(budgetId(`${HOST}/`, KEY)).toBe(id);
    expect(budgetId(HOST, `${KEY}x`)).not.toBe(id);
  });
});

describe("request classes and Retry-After", () => {
  it("counts query submissions and polls against the query budget, everything else against the other", () => {
    expect(requestClassOf("/api/projects/1/query/")).toBe("query");
    expect(requestClassOf("/api/projects/1/query/abc-123/")).toBe("query");
    expect(requestClassOf("/api/projects/1/experiments/?limit=100")).toBe("other");
    expect(requestClassOf("/api/projects/1/experiments/7/")).toBe("other");
  });

  it("reads delta-seconds and HTTP dates", () => {
    expect(retryAfterMs("2")).toBe(2000);
    expect(retryAfterMs("0.5")).toBe(500);
    expect(retryAfterMs(new Date(10_000).toUTCString(), 4_000)).toBe(6_000);
    expect(retryAfterMs("soon")).toBeNull();
    expect(retryAfterMs(null)).toBeNull();
  });
});

/** The behaviour both implementations must have; `make(budget)` returns limiters sharing one budget. */
function limiterSemantics(make: (budget?: typeof POSTHOG_BUDGET) => PostHogLimiter[]) {
  it("makes requests over the hourly budget wait for a token", async () => {
    const ls = make({ ...POSTHOG_BUDGET, queryPerHour: 4 });
    await ls[0]!.acquire("query");
    expect(await settlesWithin(ls[ls.length - 1]!.acquire("query"), 300)).toBe(false);
  });

  it("keeps at most 3 queries in flight across every client of the budget", async () => {
    const ls = make();
    expect(await peakInFlight(ls, 9, 40)).toBe(3);
  });

  it("makes requests over the per-minute budget wait for a token", async () => {
    // 4 a minute: a burst of 1, then one every 20 s.
    const ls = make({ ...POSTHOG_BUDGET, queryPerMinute: 4, otherPerMinute: 4 });
    await ls[0]!.acquire("query");
    const second = ls[ls.length - 1]!.acquire("query");
    expect(await settlesWithin(second, 300)).toBe(false);
    // The other class has its own bucket.
    expect(await settlesWithin(ls[0]!.acquire("other"), 2_000)).toBe(true);
  });

  it("pauses every client of the budget for Retry-After, and a shorter pause does not shorten it", async () => {
    const ls = make();
    const a = ls[0]!;
    const b = ls[ls.length - 1]!;
    await a.pause(600);
    await b.pause(50);
    const until = await b.pausedUntil();
    expect(until).toBeGreaterThan(Date.now() + 300);
    await b.acquire("other");
    expect(Date.now()).toBeGreaterThanOrEqual(until);
    expect(await a.pausedUntil()).toBe(0);
  });

  it("shares a 429's Retry-After between two transports of one budget", async () => {
    const [la, lb] = make();
    const arrivals: { path: string; at: number }[] = [];
    let pausedAt = 0;
    nock(HOST)
      .get("/api/projects/1/experiments/1/")
      .reply(() => {
        pausedAt = Date.now();
        arrivals.push({ path: "a1", at: pausedAt });
        return [429, { detail: "Request was throttled." }, { "Retry-After": "1" }];
      })
      .get("/api/projects/1/experiments/1/")
      .reply(() => {
        arrivals.push({ path: "a2", at: Date.now() });
        return [200, { id: 1 }];
      })
      .get("/api/projects/1/experiments/2/")
      .reply(() => {
        arrivals.push({ path: "b", at: Date.now() });
        return [200, { id: 2 }];
      });
    const opts = { host: HOST, projectId: PID, apiKey: KEY, retry: { limit: 2, maxRetryAfter: 2_000 } };
    const a = createHttpTransport({ ...opts, limiter: la! });
    const b = createHttpTransport({ ...opts, limiter: lb! });
    const first = a({ method: "GET", path: "/api/projects/1/experiments/1/", key: "a" });
    while (pausedAt === 0) await sleep(5);
    await sleep(20); // the pause is set before ky's own wait starts
    await b({ method: "GET", path: "/api/projects/1/experiments/2/", key: "b" });
    await first;
    const bAt = arrivals.find((x) => x.path === "b")!.at;
    expect(bAt - pausedAt).toBeGreaterThanOrEqual(950);
    expect(nock.isDone()).toBe(true);
  });
}

describe("in-memory limiter", () => {
  limiterSemantics((budget) => {
    const l = createMemoryLimiter("test", budget);
    return [l, l];
  });
});

afterEach(() => {
  nock.cleanAll();
});

describe("Redis limiter (TEST_REDIS_URL)", () => {
  if (!REDIS_URL) {
    console.warn("Redis limiter tests skipped: TEST_REDIS_URL is not set (CI sets it; locally e.g. redis://127.0.0.1:6379)");
  }

  it.runIf(!REDIS_URL && process.env.CI === "true")("has a Redis to test against in CI", () => {
    throw new Error("CI=true but TEST_REDIS_URL is not set: the Redis limiter tests must run in CI");
  });

  const clients: Redis[] = [];
  const limiters: PostHogLimiter[] = [];
  afterAll(async () => {
    await Promise.all(limiters.map((l) => l.close()));
    await Promise.all(clients.map((c) => c.quit()));
  });

  /** Two "replicas": two Redis clients, one budget (a fresh key per test so tests do not share state). */
  const replicas = (budget = POSTHOG_BUDGET): PostHogLimiter[] => {
    const key = `phx_${randomUUID()}`;
    const made = [0, 1].map(() => {
      const c = createRedis(REDIS_URL!);
      clients.push(c);
      const l = createRedisLimiter(c, HOST, key, budget);
      limiters.push(l);
      return l;
    });
    return made;
  };

  describe.runIf(REDIS_URL)("two replicas on one Redis", () => {
    limiterSemantics(replicas);

    it("keeps the key out of Redis: keys carry only the budget's hash", async () => {
      const [a] = replicas();
      await a!.pause(10_000);
      const c = createRedis(REDIS_URL!);
      clients.push(c);
      const keys = await c.keys(`*${a!.id}*`);
      expect(keys.length).toBeGreaterThan(0);
      expect(keys.some((k) => k.startsWith(`${REDIS_PREFIX}:${a!.id}:pause`))).toBe(true);
      const all = await c.keys("*phx_*");
      expect(all).toEqual([]);
    });
  });
});
