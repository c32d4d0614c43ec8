import { Redis } from "ioredis";

/** Creates an ioredis client for `url` (e.g. `redis://127.0.0.1:6379`), as BullMQ requires (`maxRetriesPerRequest: null`). */
export function createRedis(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null });
}
