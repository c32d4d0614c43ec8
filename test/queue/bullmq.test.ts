/**
 * BullMqQueue against a real Redis (TEST_REDIS_URL; .ci/run starts one), in this process: redelivery
 * dedupe, debounce to the newest delivery per PR, chat-ops before analyses, the scan scheduler firing
 * once per tick across two replicas, and a job that exhausts its retries kept and logged with its
 * delivery id. Skipped locally without TEST_REDIS_URL; fails under CI=true without it.
 */
import { randomUUID } from "node:crypto";
import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { BullMqQueue, bullMqSettingsFromEnv, createRedis, type JobHandlers, type QueuedEvent } from "../../src/queue/index.js";
import { silentLogger, type Logger } from "../../src/github/types.js";

const REDIS = process.env["TEST_REDIS_URL"]?.trim();

if (!REDIS) {
  if (process.env["CI"] === "true") {
    it("TEST_REDIS_URL is set in CI (the BullMQ tests need a real Redis)", () => {
      expect.fail("TEST_REDIS_URL is not set but CI=true: .ci/run must start redis-server and export TEST_REDIS_URL");
    });
  } else {
    console.warn("test/queue/bullmq.test.ts skipped: set TEST_REDIS_URL=redis://127.0.0.1:<port> (a disposable redis-server) to run it");
  }
}

const open: { queue: BullMqQueue; conns: Redis[] }[] = [];
const prefixes: string[] = [];

function makeQueue(prefix: string, env: Record<string, string> = {}, log: Logger = silentLogger): BullMqQueue {
  const producer = createRedis(REDIS!, { failFast: true });
  const worker = createRedis(REDIS!);
  const queue = new BullMqQueue({
    producer,
    worker,
    settings: bullMqSettingsFromEnv({ QUEUE_PREFIX: prefix, QUEUE_PR_DEBOUNCE_MS: "200", QUEUE_LOCK_MS: "2000", QUEUE_BACKOFF_MS: "50", ...env }),
    log,
  });
  open.push({ queue, conns: [producer, worker] });
  return queue;
}

function newPrefix(): string {
  const p = `eh-test-${randomUUID().slice(0, 8)}`;
  prefixes.push(p);
  return p;
}

afterEach(async () => {
  for (const { queue, conns } of open.splice(0)) {
    await queue.close();
    for (const c of conns) c.disconnect();
  }
  const redis = createRedis(REDIS!);
  for (const prefix of prefixes.splice(0)) {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
  }
  redis.disconnect();
});

const pr = (action: string, n: number, sha: string) => ({
  action,
  pull_request: { number: n, state: "open", head: { sha } },
  repository: { full_name: "acme/shop", name: "shop", owner: { login: "acme" } },
  installation: { id: 1 },
});
const comment = (n: number) => ({
  action: "created",
  issue: { number: n },
  comment: { id: 1, body: "/experiment status", user: { login: "dev", type: "User" } },
  repository: { full_name: "acme/shop", name: "shop", owner: { login: "acme" } },
  installation: { id: 1 },
});

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not reached in time");
    await new Promise((r) => setTimeout(r, 25));
  }
}

function recorder() {
  const delivered: QueuedEvent[] = [];
  const scans: string[] = [];
  const handlers: JobHandlers = {
    deliver: async (e) => {
      delivered.push(e);
    },
    scan: async (reason) => {
      scans.push(reason);
    },
  };
  return { delivered, scans, handlers };
}

describe.skipIf(!REDIS)("BullMqQueue (real Redis)", () => {
  it("stores a delivery once: a redelivery with the same id is a duplicate and runs nothing more", async () => {
    const q = makeQueue(newPrefix());
    const r = recorder();
    const event = { id: randomUUID(), name: "issue_comment", payload: comment(3) };
    expect(await q.enqueue(event)).toBe("queued");
    expect(await q.enqueue(event)).toBe("duplicate");
    await q.start(r.handlers, { worker: true, scanEveryMs: 0 });
    await until(() => r.delivered.length === 1);
    expect(await q.enqueue(event)).toBe("duplicate"); // completed jobs are kept, so still a duplicate
    await new Promise((res) => setTimeout(res, 300));
    expect(r.delivered.map((e) => e.id)).toEqual([event.id]);
    expect(r.delivered[0]!.payload).toEqual(comment(3));
  });

  it("debounces a burst of pushes to one PR into one run of the newest delivery", async () => {
    const q = makeQueue(newPrefix());
    const r = recorder();
    await q.start(r.handlers, { worker: true, scanEveryMs: 0 });
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const id = randomUUID();
      ids.push(id);
      await q.enqueue({ id, name: "pull_request", payload: pr(i === 0 ? "opened" : "synchronize", 9, `sha${i}`) });
    }
    // Another PR in the same burst is not affected.
    const other = randomUUID();
    await q.enqueue({ id: other, name: "pull_request", payload: pr("synchronize", 10, "other") });
    await until(() => r.delivered.length >= 2);
    await new Promise((res) => setTimeout(res, 500));
    expect(r.delivered.map((e) => e.id).sort()).toEqual([ids[5]!, other].sort());
  });

  it("runs chat-ops commands before waiting PR analyses", async () => {
    const q = makeQueue(newPrefix(), { QUEUE_PR_DEBOUNCE_MS: "0", WORKER_CONCURRENCY: "1" });
    const r = recorder();
    const analyses = [];
    for (let n = 1; n <= 3; n++) {
      const id = randomUUID();
      analyses.push(id);
      await q.enqueue({ id, name: "pull_request", payload: pr("synchronize", n, `s${n}`) });
    }
    const cmd = randomUUID();
    await q.enqueue({ id: cmd, name: "issue_comment", payload: comment(7) });
    await q.start(r.handlers, { worker: true, scanEveryMs: 0 });
    await until(() => r.delivered.length === 4);
    expect(r.delivered[0]!.id).toBe(cmd);
    expect(r.delivered.slice(1).map((e) => e.id).sort()).toEqual([...analyses].sort());
  });

  it("runs one scan per scheduler tick across two replicas", async () => {
    const prefix = newPrefix();
    const a = recorder();
    const b = recorder();
    const qa = makeQueue(prefix);
    const qb = makeQueue(prefix);
    const every = 400;
    const t0 = Date.now();
    await qa.start(a.handlers, { worker: true, scanEveryMs: every });
    await qb.start(b.handlers, { worker: true, scanEveryMs: every });
    await new Promise((res) => setTimeout(res, 2_000));
    const ticks = Math.floor((Date.now() - t0) / every) + 1;
    const total = a.scans.length + b.scans.length;
    expect(total).toBeGreaterThanOrEqual(2);
    // Two in-process timers would give about 2 × ticks; one scheduler gives at most one scan per tick.
    expect(total).toBeLessThanOrEqual(ticks);
    expect(new Set([...a.scans, ...b.scans])).toEqual(new Set(["schedule"]));
  });

  it("retries a failing job with back-off, then keeps it in the failed set and logs its delivery id", async () => {
    const prefix = newPrefix();
    const errors: { obj: any; msg: string }[] = [];
    const log: Logger = { ...silentLogger, error: (obj: any, msg?: string) => errors.push({ obj, msg: msg ?? "" }) };
    const q = makeQueue(prefix, { QUEUE_ATTEMPTS: "3" }, log);
    let calls = 0;
    await q.start(
      {
        deliver: async () => {
          calls++;
          throw new Error("GitHub answered 502");
        },
        scan: async () => undefined,
      },
      { worker: true, scanEveryMs: 0 },
    );
    const id = randomUUID();
    await q.enqueue({ id, name: "issue_comment", payload: comment(4) });
    await until(() => errors.length === 1);
    expect(calls).toBe(3);
    expect(errors[0]!.obj).toMatchObject({ delivery: id, event: "issue_comment", attempts: 3, err: "GitHub answered 502" });
    expect(errors[0]!.msg).toContain(`redeliver delivery ${id}`);
    const conn = createRedis(REDIS!);
    const inspect = new Queue("deliveries", { connection: conn, prefix });
    expect(await inspect.getJobState(id)).toBe("failed");
    await inspect.close();
    conn.disconnect();
  });
});
