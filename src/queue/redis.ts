/**
 * The one place that turns `REDIS_URL` into an ioredis connection. The queue (BullMQ), the shared
 * PostHog/GitHub budgets and the read cache all take a connection made here, so every part of the app
 * agrees on the options BullMQ requires.
 */
import { Redis, type RedisOptions } from "ioredis";

/** Options of {@link createRedis}. */
export interface CreateRedisOptions {
  /**
   * Fail commands at once while disconnected instead of queueing them until Redis is back. Use it for
   * connections that answer an HTTP request (the web tier's producer), so a Redis outage becomes a 503
   * within milliseconds; leave it off (the default) for workers, which should wait and resume.
   */
  failFast?: boolean;
  /** Name shown by `CLIENT LIST` (debugging). */
  connectionName?: string;
}

/**
 * Open an ioredis connection to `url` (`redis://[:password@]host:port[/db]` or `rediss://…`).
 *
 * Options: `maxRetriesPerRequest: null` (BullMQ workers require it: a blocking command must not be
 * failed by ioredis's retry counter), reconnects forever with a back-off of 100 ms × attempt, capped at
 * 2 s. The URL (it may hold a password) is never logged by this module. Throws only for a URL ioredis
 * cannot parse; connection errors surface as `error` events and failed commands.
 */
export function createRedis(url: string, options: CreateRedisOptions = {}): Redis {
  const opts: RedisOptions = {
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    retryStrategy: (attempt: number) => Math.min(attempt * 100, 2_000),
    ...(options.connectionName ? { connectionName: options.connectionName } : {}),
    ...(options.failFast ? { enableOfflineQueue: false } : {}),
  };
  const redis = new Redis(url, opts);
  // Without a listener ioredis prints every reconnect error to stderr (with the host); callers that
  // want them attach their own `error` listener.
  redis.on("error", () => undefined);
  return redis;
}

/**
 * `createRedis(env.REDIS_URL)` when `REDIS_URL` is set and not blank, else null (the in-process mode).
 * Input: an environment map (default `process.env`).
 */
export function redisFromEnv(env: Record<string, string | undefined> = process.env, options: CreateRedisOptions = {}): Redis | null {
  const url = env["REDIS_URL"]?.trim();
  return url ? createRedis(url, options) : null;
}
