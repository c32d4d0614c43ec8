/**
 * The job queue: one interface ({@link JobQueue}), two implementations — {@link InProcessQueue} without
 * `REDIS_URL` (the default; nothing new is needed for `npm start`, the CLI or the Actions workflow) and
 * {@link BullMqQueue} with it. docs/scaling.md describes running several replicas.
 */
export * from "./types.js";
export { InProcessQueue, keyedQueue } from "./in-process.js";
export { BullMqQueue, QueueUnavailableError, bullMqSettingsFromEnv, type BullMqSettings } from "./bullmq.js";
export { createRedis, redisFromEnv } from "./redis.js";
