/**
 * The client's read cache with recorded PostHog shapes (nock): lists and details are served from the
 * cache, a detail is checked against the list's `updated_at`, this app's writes invalidate what they
 * change, and a failing cache falls back to PostHog.
 */
import { afterEach, describe, expect, it } from "vitest";
import nock from "nock";
import { createMemoryCache, type ResponseCache } from "../../src/posthog/cache.js";
import { createPostHogClient } from "../../src/posthog/index.js";
import { fixture, HOST, KEY, PID } from "./helpers.js";

const LIST = `/api/projects/${PID}/experiments/?limit=100`;
const DETAIL = `/api/projects/${PID}/experiments/42/`;

afterEach(() => {
  nock.cleanAll();
});

function onePageList() {
  const page = fixture("experiments-page-1.json");
  page.next = null;
  return page;
}

const client = (cache: ResponseCache) => createPostHogClient({ host: HOST, projectId: PID, apiKey: KEY, cache });

describe("client read cache", () => {
  it("serves the experiment list and a detail from the cache until a write invalidates them", async () => {
    const cache = createMemoryCache();
    const ended = { ...fixture("experiment-42.json"), status: "stopped", end_date: "2026-06-11T09:30:00Z", conclusion: "lost" };
    const scope = nock(HOST)
      .get(LIST)
      .reply(200, onePageList())
      .get(DETAIL)
      .reply(200, fixture("experiment-42.json"))
      .post(DETAIL.replace(/\/$/, "/end/"))
      .reply(200, ended)
      .get(LIST)
      .reply(200, onePageList())
      .get(DETAIL)
      .reply(200, ended);
    const a = client(cache);
    const first = await a.listExperiments();
    const detail = await a.getExperiment(42);
    // Another client (another repository, same project) reads the same entries.
    const b = client(cache);
    expect(await b.listExperiments()).toEqual(first);
    expect(await b.getExperiment(42, { updatedAt: detail.updatedAt ?? null })).toEqual(detail);
    await b.endExperiment(42, { conclusion: "lost" });
    await a.listExperiments();
    expect((await a.getExperiment(42)).endDate).toBe("2026-06-11T09:30:00Z");
    expect(scope.isDone()).toBe(true);
  });

  it("re-reads a cached detail whose updated_at differs from the list's, and always with fresh", async () => {
    const cache = createMemoryCache();
    const scope = nock(HOST).get(DETAIL).times(3).reply(200, fixture("experiment-42.json"));
    const api = client(cache);
    const e = await api.getExperiment(42);
    await api.getExperiment(42, { updatedAt: e.updatedAt ?? null }); // hit
    await api.getExperiment(42, { updatedAt: "2099-01-01T00:00:00Z" }); // stale: read
    await api.getExperiment(42, { fresh: true }); // a write's read
    expect(scope.isDone()).toBe(true);
  });

  it("falls back to PostHog when the cache fails", async () => {
    const broken: ResponseCache = {
      get: () => Promise.reject(new Error("connection refused")),
      set: () => Promise.reject(new Error("connection refused")),
      delete: () => Promise.reject(new Error("connection refused")),
    };
    const scope = nock(HOST).get(LIST).twice().reply(200, onePageList());
    const api = client(broken);
    expect((await api.listExperiments()).length).toBeGreaterThan(0);
    expect((await api.listExperiments()).length).toBeGreaterThan(0);
    expect(scope.isDone()).toBe(true);
  });
});

describe.runIf(process.env.TEST_REDIS_URL)("Redis cache (TEST_REDIS_URL)", () => {
  it("stores, expires and deletes entries shared by two connections", async () => {
    const { createRedis } = await import("../../src/queue/redis.js");
    const { createRedisCache } = await import("../../src/posthog/cache.js");
    const r1 = createRedis(process.env.TEST_REDIS_URL!);
    const r2 = createRedis(process.env.TEST_REDIS_URL!);
    try {
      const a = createRedisCache(r1);
      const b = createRedisCache(r2);
      const key = `experiment-hygiene:posthog-cache:test:${Date.now()}`;
      await a.set(key, "v", 60_000);
      expect(await b.get(key)).toBe("v");
      await b.delete([key]);
      expect(await a.get(key)).toBeUndefined();
      await a.set(`${key}:short`, "v", 20);
      await new Promise((r) => setTimeout(r, 60));
      expect(await b.get(`${key}:short`)).toBeUndefined();
    } finally {
      await Promise.all([r1.quit(), r2.quit()]);
    }
  });
});
