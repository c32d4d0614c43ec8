/**
 * The webhook route with a job queue (REDIS_URL deployments): the signature is verified and the payload
 * shape-checked before anything is stored; a stored delivery is answered 202, a redelivery 200, and a
 * delivery the queue cannot store 503 (so GitHub marks it failed and it can be redelivered) — without
 * the queue's error text. Also: an unreachable Redis makes `BullMqQueue.enqueue` fail fast.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type Server } from "node:http";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createWebhookGuard, type GuardLog } from "../../src/app/webhook-guard.js";
import { BullMqQueue, QueueUnavailableError, bullMqSettingsFromEnv, createRedis } from "../../src/queue/index.js";
import { freePort } from "../../src/bench/redis-server.js";
import { silentLogger } from "../../src/github/types.js";
import { examplePayload } from "../support/github.js";

const SECRET = "queue-route-secret";
const sign = (body: string, secret = SECRET) => `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;

let server: Server;
let url: string;
let enqueue: ReturnType<typeof vi.fn>;
let receive: ReturnType<typeof vi.fn>;
let errors: { obj: object; msg: string }[];

beforeEach(async () => {
  enqueue = vi.fn();
  receive = vi.fn(async () => undefined);
  errors = [];
  const log: GuardLog = { debug() {}, warn() {}, error: (obj, msg) => errors.push({ obj, msg }) };
  const guard = createWebhookGuard({
    webhooks: {
      verify: async (payload, signature) => {
        const want = Buffer.from(sign(payload));
        const got = Buffer.from(signature);
        return want.length === got.length && timingSafeEqual(want, got);
      },
      receive: receive as never,
    },
    path: "/api/github/webhooks",
    log,
    redact: (s) => s,
    enqueue: enqueue as never,
  });
  server = createServer((req, res) => void guard(req, res));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}/api/github/webhooks`;
});
afterEach(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

async function post(body: string, signature = sign(body), id = "d-1", event = "pull_request") {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", "x-github-event": event, "x-github-delivery": id, "x-hub-signature-256": signature },
    body,
  });
  return { status: res.status, text: await res.text() };
}

describe("webhook route with a job queue", () => {
  const payload = examplePayload("pull_request", "synchronize");
  const body = JSON.stringify(payload);

  it("stores a verified delivery (id, event name, parsed payload) and answers 202 without running handlers", async () => {
    enqueue.mockResolvedValue("queued");
    const res = await post(body, sign(body), "delivery-42");
    expect(res).toEqual({ status: 202, text: "queued\n" });
    expect(enqueue).toHaveBeenCalledTimes(1);
    expect(enqueue.mock.calls[0]![0]).toEqual({ id: "delivery-42", name: "pull_request", payload });
    // The payload is an ordinary property of what is stored (BullMQ serialises job data as JSON).
    expect(JSON.parse(JSON.stringify(enqueue.mock.calls[0]![0])).payload).toEqual(payload);
    expect(receive).not.toHaveBeenCalled();
  });

  it("answers a redelivery of a stored delivery with 200", async () => {
    enqueue.mockResolvedValue("duplicate");
    expect(await post(body)).toEqual({ status: 200, text: "duplicate delivery; already queued\n" });
  });

  it("answers 503 when the queue cannot store the delivery, logs it with the delivery id, and leaks no error text", async () => {
    enqueue.mockRejectedValue(new QueueUnavailableError("connect ECONNREFUSED redis://:hunter2@10.0.0.5:6379"));
    const res = await post(body, sign(body), "delivery-503");
    expect(res.status).toBe(503);
    expect(JSON.parse(res.text)).toEqual({ error: "the job queue is unavailable; delivery delivery-503 was not stored, redeliver it later" });
    expect(res.text).not.toContain("hunter2");
    expect(errors).toHaveLength(1);
    expect(errors[0]!.obj).toMatchObject({ delivery: "delivery-503", event: "pull_request" });
  });

  it("stores nothing when the signature does not match or the payload is malformed", async () => {
    expect((await post(body, sign(body, "wrong"))).status).toBe(401);
    const bad = JSON.stringify({ action: "synchronize", repository: payload["repository"] });
    expect((await post(bad)).status).toBe(400);
    expect(enqueue).not.toHaveBeenCalled();
  });
});

describe("BullMqQueue.enqueue without Redis", () => {
  it("rejects with QueueUnavailableError within the enqueue timeout when Redis is unreachable", async () => {
    const port = await freePort(); // nothing listens there
    const producer = createRedis(`redis://127.0.0.1:${port}`, { failFast: true });
    const worker = createRedis(`redis://127.0.0.1:${port}`);
    const queue = new BullMqQueue({
      producer,
      worker,
      settings: bullMqSettingsFromEnv({ QUEUE_ENQUEUE_TIMEOUT_MS: "500" }),
      log: silentLogger,
    });
    const started = Date.now();
    await expect(queue.enqueue({ id: "d-down", name: "pull_request", payload: {} })).rejects.toBeInstanceOf(QueueUnavailableError);
    expect(Date.now() - started).toBeLessThan(5_000);
    producer.disconnect();
    worker.disconnect();
    await queue.close().catch(() => undefined);
  });

  it("reads its settings from the environment and names a bad variable", () => {
    expect(bullMqSettingsFromEnv({})).toEqual({
      prefix: "experiment-hygiene",
      concurrency: 4,
      prDebounceMs: 2_000,
      lockMs: 30_000,
      attempts: 5,
      backoffMs: 5_000,
      enqueueTimeoutMs: 2_000,
    });
    expect(() => bullMqSettingsFromEnv({ WORKER_CONCURRENCY: "0" })).toThrow(/WORKER_CONCURRENCY must be a whole number ≥ 1/);
    expect(() => bullMqSettingsFromEnv({ QUEUE_LOCK_MS: "fast" })).toThrow(/QUEUE_LOCK_MS/);
    expect(() => bullMqSettingsFromEnv({ QUEUE_PREFIX: "a b" })).toThrow(/QUEUE_PREFIX/);
  });
});
