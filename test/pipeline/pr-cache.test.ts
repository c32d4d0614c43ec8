/**
 * The PostHog read cache on the pull-request path (docs/budgets.md): a warm PR event costs at most 2
 * PostHog calls per matched experiment, produces the same report as a cold one, and a detail is read
 * again when the experiment list shows a new `updated_at`; writes invalidate. Runs the real pipeline
 * against the PostHog-compatible demo server (the demo project: 7 experiments matched by the demo diff).
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_CONFIG } from "../../src/config/schema.js";
import { startFakePostHog, type FakePostHog } from "../../src/demo/fake-posthog.js";
import { buildDemoProject } from "../../src/demo/project.js";
import { changedLinesFromDiff } from "../../src/matching/index.js";
import { analyzePullRequest } from "../../src/pipeline/pull-request.js";
import { cacheNamespace, createMemoryCache, type ResponseCache } from "../../src/posthog/cache.js";
import { createPostHogClient } from "../../src/posthog/index.js";

const NOW = new Date("2026-11-20T12:00:00Z");
const KEY = "phx_pr_cache_test_key";
const DIFF = readFileSync(new URL("../../src/demo/pr.diff", import.meta.url), "utf8");
const project = buildDemoProject(NOW);
let server: FakePostHog;

beforeAll(async () => {
  server = await startFakePostHog(project, { apiKey: KEY });
});
afterAll(async () => {
  await server.close();
});

/** One PR event's analysis; returns the report and the PostHog requests it made. */
async function prEvent(cache: ResponseCache, cacheTtl?: { listMs?: number; detailMs?: number }) {
  const posthog = createPostHogClient({ host: server.url, projectId: project.projectId, apiKey: KEY, cache, ...(cacheTtl ? { cacheTtl } : {}) });
  const before = server.requests.length;
  const report = await analyzePullRequest({ lines: changedLinesFromDiff(DIFF), posthog, config: DEFAULT_CONFIG, now: NOW });
  return { report, requests: server.requests.slice(before) };
}

describe("PostHog read cache on a PR event", () => {
  it("costs at most 2 PostHog calls per matched experiment when warm, all of them queries, with the same report", async () => {
    const cache = createMemoryCache();
    const cold = await prEvent(cache);
    const matched = cold.report.experiments.length;
    expect(matched).toBe(7);
    expect(cold.requests.filter((r) => r.includes("/experiments/") || r.includes("/feature_flags/")).length).toBeGreaterThan(0);

    // A second event — another repository's, with its own client — shares the cache.
    const warm = await prEvent(cache);
    expect(warm.requests.length).toBeLessThanOrEqual(2 * matched);
    expect(warm.requests.every((r) => r.endsWith("/query/"))).toBe(true);
    expect(JSON.stringify(warm.report.experiments)).toBe(JSON.stringify(cold.report.experiments));
    expect(warm.report.flags.map((f) => f.flagKey)).toEqual(cold.report.flags.map((f) => f.flagKey));
  });

  it("reads a detail again when the list shows a new updated_at, and only that one", async () => {
    const cache = createMemoryCache();
    const ttl = { listMs: 1 }; // lists always re-read here; details live for their TTL unless updated_at moves
    await prEvent(cache, ttl);
    const edited = project.experiments.find((e) => e["id"] === 101)!;
    const previous = edited["updated_at"];
    edited["updated_at"] = "2026-11-20T11:59:00Z";
    edited["description"] = "edited in PostHog";
    try {
      await new Promise((r) => setTimeout(r, 5));
      const next = await prEvent(cache, ttl);
      const details = next.requests.filter((r) => /\/experiments\/\d+\/$/.test(r));
      expect(details).toEqual([`GET /api/projects/${project.projectId}/experiments/101/`]);
      expect(next.report.experiments.find((r) => r.experiment.id === 101)!.experiment.description).toBe("edited in PostHog");
    } finally {
      edited["updated_at"] = previous;
      delete edited["description"];
    }
  });

  it("misses after the TTL and is keyed by host and project, never by the API key", async () => {
    const cache = createMemoryCache();
    const keys: string[] = [];
    const spy: ResponseCache = {
      get: (k) => cache.get(k),
      set: (k, v, t) => {
        keys.push(k);
        return cache.set(k, v, t);
      },
      delete: (k) => cache.delete(k),
    };
    await prEvent(spy, { listMs: 1, detailMs: 1 });
    await new Promise((r) => setTimeout(r, 5));
    const again = await prEvent(spy, { listMs: 1, detailMs: 1 });
    expect(again.requests.filter((r) => /\/experiments\/\d+\/$/.test(r))).toHaveLength(7);
    const ns = cacheNamespace(server.url, project.projectId);
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.every((k) => k.startsWith(`${ns}:`))).toBe(true);
    expect(keys.some((k) => k.includes(KEY))).toBe(false);
  });
});

describe("memory cache", () => {
  it("expires entries and drops the oldest beyond its size", async () => {
    const c = createMemoryCache(2);
    await c.set("a", "1", 60_000);
    await c.set("b", "2", 60_000);
    await c.set("c", "3", 60_000);
    expect(await c.get("a")).toBeUndefined();
    expect(await c.get("c")).toBe("3");
    await c.set("d", "4", 1);
    await new Promise((r) => setTimeout(r, 5));
    expect(await c.get("d")).toBeUndefined();
    await c.delete(["c"]);
    expect(await c.get("c")).toBeUndefined();
  });
});
