/**
 * The queue with Redis (`REDIS_URL`): BullMQ. The web tier stores each verified delivery as one job whose
 * id is the `X-GitHub-Delivery` id and answers at once; workers in any replica run the app's handlers.
 *
 * - Redelivery: a job with the delivery's id exists already (completed jobs are kept 24 h) → nothing is
 *   added, the route answers 200 "duplicate".
 * - PR analyses are debounced: each `pull_request` job waits `prDebounceMs`, and the web tier records the
 *   newest delivery per PR (`<prefix>:pr-latest:<owner/repo#n>`, arrival order). A job that is not the
 *   newest when it runs is skipped as superseded, so a burst of pushes gives one analysis of the newest
 *   head commit.
 * - Serialisation per PR or issue across workers: a Redis lock `<prefix>:lock:<owner/repo#n>` (SET NX PX,
 *   a random token, renewed every third of its TTL while the job runs, released by compare-and-delete).
 *   A job that finds the lock taken is moved back to the delayed set without spending an attempt.
 *   BullMQ's own groups would do this but are BullMQ Pro only.
 * - Chat-ops before analyses: `issue_comment` jobs have priority 1, PR analyses 10, others 5.
 * - Scans: one BullMQ job scheduler (`upsertJobScheduler`) — one job per tick across all replicas.
 * - Failures: `attempts` tries with exponential back-off; a job that exhausts them stays in the failed set
 *   (7 days) and is logged at `error` with its delivery id, so an operator can redeliver it from the
 *   app's settings (Advanced → Recent deliveries) or `POST /app/hook/deliveries/{id}/attempts`.
 */
import { randomUUID } from "node:crypto";
import { DelayedError, Queue, Worker, type Job } from "bullmq";
import type { Redis } from "ioredis";
import type { Logger } from "../github/types.js";
import { isPullRequestAnalysis, targetKey, type Acceptance, type JobHandlers, type JobQueue, type QueuedEvent } from "./types.js";
import { keyedQueue } from "./in-process.js";

/** Settings of {@link BullMqQueue}; see {@link bullMqSettingsFromEnv} for the variables and defaults. */
export interface BullMqSettings {
  /** Key prefix of every Redis key (BullMQ's and the locks). */
  prefix: string;
  /** Jobs one worker process runs at once. */
  concurrency: number;
  /** Delay of a PR analysis job, ms: pushes within it collapse into one analysis. */
  prDebounceMs: number;
  /** TTL of the per-PR lock and BullMQ's job lock, ms (a crashed worker's job is retried after ~2× this). */
  lockMs: number;
  /** Tries per job (first run included). */
  attempts: number;
  /** First retry delay, ms; doubles each retry. */
  backoffMs: number;
  /** Longest the web tier waits for Redis to store a delivery, ms, before answering 503. */
  enqueueTimeoutMs: number;
}

const DEFAULTS: BullMqSettings = {
  prefix: "experiment-hygiene",
  concurrency: 4,
  prDebounceMs: 2_000,
  lockMs: 30_000,
  attempts: 5,
  backoffMs: 5_000,
  enqueueTimeoutMs: 2_000,
};

/**
 * Read the queue settings: `QUEUE_PREFIX` (default `experiment-hygiene`), `WORKER_CONCURRENCY` (4),
 * `QUEUE_PR_DEBOUNCE_MS` (2000), `QUEUE_LOCK_MS` (30000, ≥ 1000), `QUEUE_ATTEMPTS` (5, ≥ 1),
 * `QUEUE_BACKOFF_MS` (5000), `QUEUE_ENQUEUE_TIMEOUT_MS` (2000, ≥ 1). Each must be a whole number;
 * throws an Error naming the variable otherwise.
 */
export function bullMqSettingsFromEnv(env: Record<string, string | undefined>): BullMqSettings {
  const int = (name: string, fallback: number, min: number): number => {
    const raw = env[name]?.trim();
    if (!raw) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be a whole number ≥ ${min}, got "${raw.slice(0, 40)}"`);
    return n;
  };
  const prefix = env["QUEUE_PREFIX"]?.trim() || DEFAULTS.prefix;
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(prefix)) throw new Error("QUEUE_PREFIX must be 1–64 letters, digits, '.', '_' or '-'");
  return {
    prefix,
    concurrency: int("WORKER_CONCURRENCY", DEFAULTS.concurrency, 1),
    prDebounceMs: int("QUEUE_PR_DEBOUNCE_MS", DEFAULTS.prDebounceMs, 0),
    lockMs: int("QUEUE_LOCK_MS", DEFAULTS.lockMs, 1_000),
    attempts: int("QUEUE_ATTEMPTS", DEFAULTS.attempts, 1),
    backoffMs: int("QUEUE_BACKOFF_MS", DEFAULTS.backoffMs, 0),
    enqueueTimeoutMs: int("QUEUE_ENQUEUE_TIMEOUT_MS", DEFAULTS.enqueueTimeoutMs, 1),
  };
}

/** Thrown by {@link BullMqQueue.enqueue} when the delivery could not be stored. */
export class QueueUnavailableError extends Error {
  constructor(reason: string) {
    super(`the job queue could not store the delivery: ${reason}`);
    this.name = "QueueUnavailableError";
  }
}

const QUEUE_NAME = "deliveries";
const SCAN_SCHEDULER_ID = "hygiene-scan";
/** Priorities (BullMQ: lower runs first). */
const PRIORITY = { command: 1, other: 5, analysis: 10 } as const;
const DAY_S = 86_400;

const RELEASE = `if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) else return 0 end`;
const RENEW = `if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("PEXPIRE", KEYS[1], ARGV[2]) else return 0 end`;

/** Options of {@link BullMqQueue}. */
export interface BullMqQueueOptions {
  /** Connection for the producer and locks; made with `createRedis(url, { failFast: true })` for a web tier. */
  producer: Redis;
  /** Connection the worker duplicates (blocking commands); made with `createRedis(url)`. Both are closed by {@link BullMqQueue.close}. */
  worker: Redis;
  settings: BullMqSettings;
  log: Logger;
}

/** The BullMQ {@link JobQueue}. */
export class BullMqQueue implements JobQueue {
  readonly kind = "bullmq" as const;
  private readonly queue: Queue;
  private workerInstance: Worker | null = null;
  private readonly local = keyedQueue();
  private readonly s: BullMqSettings;
  private closed = false;

  constructor(private readonly opts: BullMqQueueOptions) {
    this.s = opts.settings;
    this.queue = new Queue(QUEUE_NAME, { connection: opts.producer, prefix: opts.settings.prefix });
    this.queue.on("error", (err) => opts.log.warn({ err: err.message }, "job queue: Redis error"));
  }

  private key(kind: "pr-latest" | "lock", target: string): string {
    return `${this.s.prefix}:${kind}:${target}`;
  }

  /**
   * Store the delivery as job `event.id` (see the module comment). Resolves `"queued"` or `"duplicate"`;
   * rejects with {@link QueueUnavailableError} when Redis does not answer within `enqueueTimeoutMs`.
   */
  async enqueue(event: QueuedEvent): Promise<Acceptance> {
    let abandoned = false;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        abandoned = true;
        reject(new QueueUnavailableError(`Redis did not answer within ${this.s.enqueueTimeoutMs} ms`));
      }, this.s.enqueueTimeoutMs);
    });
    const store = async (): Promise<Acceptance> => {
      if (await this.queue.getJob(event.id)) return "duplicate";
      if (abandoned) throw new QueueUnavailableError("abandoned");
      const analysis = isPullRequestAnalysis(event);
      const target = targetKey(event.name, event.payload);
      if (analysis && target) await this.opts.producer.set(this.key("pr-latest", target), event.id, "EX", DAY_S);
      if (abandoned) throw new QueueUnavailableError("abandoned");
      await this.queue.add(
        event.name,
        { id: event.id, name: event.name, payload: event.payload },
        {
          jobId: event.id,
          delay: analysis ? this.s.prDebounceMs : 0,
          priority: event.name === "issue_comment" ? PRIORITY.command : analysis ? PRIORITY.analysis : PRIORITY.other,
          attempts: this.s.attempts,
          backoff: { type: "exponential", delay: this.s.backoffMs },
          removeOnComplete: { age: DAY_S, count: 50_000 },
          removeOnFail: { age: 7 * DAY_S },
        },
      );
      return "queued";
    };
    try {
      return await Promise.race([
        store().catch((err: unknown) => {
          throw err instanceof QueueUnavailableError ? err : new QueueUnavailableError((err as Error).message);
        }),
        timeout,
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Serialises within this process; the cross-worker lock is taken by the worker around each job. */
  exclusive<T>(key: string, task: () => Promise<T>): Promise<T> {
    return this.local(key, task);
  }

  /**
   * Creates the worker (when `opts.worker`) and stores the scan scheduler unless it exists with this
   * interval (every replica uses the same id, so there is one; `scanEveryMs` 0 removes it). Resolves once the scheduler is stored; while Redis
   * is unreachable it retries every 2 s, logging each failure at `warn`, until {@link close}.
   */
  async start(handlers: JobHandlers, opts: { worker: boolean; scanEveryMs: number }): Promise<void> {
    if (opts.worker) this.startWorker(handlers);
    for (;;) {
      try {
        if (opts.scanEveryMs > 0) {
          // Upsert only when missing or changed: re-upserting on every replica start would start a new
          // tick (and a scan) at each deploy. A new scheduler's first scan runs at once.
          const existing = await this.queue.getJobScheduler(SCAN_SCHEDULER_ID);
          if (existing && Number(existing.every) === opts.scanEveryMs) return;
          await this.queue.upsertJobScheduler(SCAN_SCHEDULER_ID, { every: opts.scanEveryMs }, {
            name: "scan",
            data: {},
            opts: { attempts: 1, removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } },
          });
        } else {
          await this.queue.removeJobScheduler(SCAN_SCHEDULER_ID);
        }
        return;
      } catch (err) {
        if (this.closed) return;
        this.opts.log.warn({ err: (err as Error).message }, "job queue: could not store the scan scheduler; retrying in 2 s");
        await new Promise((r) => setTimeout(r, 2_000).unref());
      }
    }
  }

  private startWorker(handlers: JobHandlers): void {
    const { log } = this.opts;
    const worker = new Worker(QUEUE_NAME, (job, token) => this.process(job, token, handlers), {
      connection: this.opts.worker,
      prefix: this.s.prefix,
      concurrency: this.s.concurrency,
      lockDuration: this.s.lockMs,
      stalledInterval: this.s.lockMs,
      maxStalledCount: 2,
    });
    worker.on("error", (err) => log.warn({ err: err.message }, "job worker: Redis error"));
    worker.on("failed", (job, err) => {
      if (!job) return;
      const attempts = job.opts.attempts ?? 1;
      const where = { delivery: job.id, event: job.name, attempt: job.attemptsMade, attempts, err: err.message };
      if (job.attemptsMade >= attempts) {
        log.error(where, `job failed ${attempts} times and is kept in the failed set; redeliver delivery ${job.id} from the app's settings (Advanced → Recent deliveries) once the cause is fixed`);
      } else {
        log.warn(where, "job failed; it will be retried");
      }
    });
    this.workerInstance = worker;
  }

  private async process(job: Job, token: string | undefined, handlers: JobHandlers): Promise<string> {
    if (job.name === "scan") {
      await handlers.scan("schedule");
      return "scanned";
    }
    const data = job.data as QueuedEvent;
    const event: QueuedEvent = { id: data.id, name: data.name, payload: undefined };
    // As in the webhook route: handlers read `event.payload`, error serialisers skip it.
    Object.defineProperty(event, "payload", { value: data.payload, enumerable: false });
    const target = targetKey(event.name, data.payload);
    if (!target) {
      await handlers.deliver(event);
      return "handled";
    }
    const redis = this.opts.producer;
    const analysis = isPullRequestAnalysis(event);
    // Superseded already: skip without waiting for the PR's lock (checked again under the lock).
    if (analysis && (await this.superseded(event.id, target))) return "superseded";
    const lockKey = this.key("lock", target);
    const lockToken = randomUUID();
    const got = await redis.set(lockKey, lockToken, "PX", this.s.lockMs, "NX");
    if (got !== "OK") {
      // Another worker holds this PR: come back shortly, without spending an attempt.
      await job.moveToDelayed(Date.now() + Math.min(1_000, this.s.lockMs / 4) + Math.floor(Math.random() * 250), token);
      throw new DelayedError();
    }
    const renew = setInterval(() => {
      redis.eval(RENEW, 1, lockKey, lockToken, String(this.s.lockMs)).catch(() => undefined);
    }, Math.floor(this.s.lockMs / 3));
    try {
      if (analysis && (await this.superseded(event.id, target))) return "superseded";
      await handlers.deliver(event);
      return "handled";
    } finally {
      clearInterval(renew);
      await redis.eval(RELEASE, 1, lockKey, lockToken).catch(() => undefined);
    }
  }

  /** Whether a newer delivery for `target` arrived after delivery `id` (logged at debug). */
  private async superseded(id: string, target: string): Promise<boolean> {
    const latest = await this.opts.producer.get(this.key("pr-latest", target));
    if (latest === null || latest === id) return false;
    this.opts.log.debug({ delivery: id, target, newest: latest }, "PR analysis superseded by a newer delivery; skipped");
    return true;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.workerInstance?.close();
    await this.queue.close();
    // The connections are this queue's (BullMQ leaves connections it was given open).
    await Promise.all([this.opts.producer.quit(), this.opts.worker.quit()].map((p) => p.catch(() => undefined)));
  }
}
