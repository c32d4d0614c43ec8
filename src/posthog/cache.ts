/**
 * A short-lived cache of PostHog list and detail reads, so events and repositories that use the same
 * PostHog project share them: in memory by default, in Redis when the app has `REDIS_URL` (every replica
 * then shares it). Values are JSON strings; the client decides what to cache and for how long
 * (`createPostHogClient({ cache })`): the flag and experiment lists for {@link DEFAULT_CACHE_TTL}.listMs,
 * experiment details for `detailMs`, and a detail is only used while its `updated_at` equals the one the
 * (fresher) list shows. Query results are never cached here (PostHog caches them itself, 24 h).
 */
import { createHash } from "node:crypto";
import type { Redis } from "ioredis";

/** A string cache with per-entry expiry. Implementations must tolerate concurrent use. */
export interface ResponseCache {
  /** The value stored under `key`, or undefined when absent or expired. */
  get(key: string): Promise<string | undefined>;
  /** Stores `value` under `key` for `ttlMs` milliseconds (> 0). */
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /** Removes the keys (missing keys are ignored). */
  delete(keys: string[]): Promise<void>;
}

/** How long cached reads live, ms. */
export interface CacheTtl {
  /** Flag and experiment lists. Default 60 000 (1 min): a new flag or experiment shows up within a minute. */
  listMs: number;
  /**
   * Experiment details. Default 600 000 (10 min); a detail is refetched sooner whenever the experiment
   * list shows a different `updated_at`, and after this app's own writes.
   */
  detailMs: number;
}

/** Defaults of {@link CacheTtl}. */
export const DEFAULT_CACHE_TTL: CacheTtl = { listMs: 60_000, detailMs: 600_000 };

/** Prefix of every cache key: `experiment-hygiene:posthog-cache:<16 hex of sha256(host|project)>:…`. */
export function cacheNamespace(host: string, projectId: string): string {
  const h = createHash("sha256").update(`${host.replace(/\/+$/, "")}|${projectId}`).digest("hex").slice(0, 16);
  return `experiment-hygiene:posthog-cache:${h}`;
}

/**
 * An in-process cache holding at most `maxEntries` entries (the oldest written is dropped first).
 * @param maxEntries ≥ 1; default 1 000.
 */
export function createMemoryCache(maxEntries = 1_000): ResponseCache {
  const entries = new Map<string, { value: string; expires: number }>();
  return {
    async get(key) {
      const e = entries.get(key);
      if (!e) return undefined;
      if (e.expires <= Date.now()) {
        entries.delete(key);
        return undefined;
      }
      return e.value;
    },
    async set(key, value, ttlMs) {
      entries.delete(key);
      entries.set(key, { value, expires: Date.now() + ttlMs });
      while (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
    },
    async delete(keys) {
      for (const k of keys) entries.delete(k);
    },
  };
}

/**
 * A cache in Redis (`SET key value PX ttl`), shared by every replica on it.
 * @param redis an ioredis client (`createRedis(url)`), not closed here.
 */
export function createRedisCache(redis: Redis): ResponseCache {
  return {
    async get(key) {
      return (await redis.get(key)) ?? undefined;
    },
    async set(key, value, ttlMs) {
      await redis.set(key, value, "PX", Math.max(1, Math.ceil(ttlMs)));
    },
    async delete(keys) {
      if (keys.length > 0) await redis.del(...keys);
    },
  };
}
