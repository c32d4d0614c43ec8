/**
 * The queue without Redis: today's single-process behaviour behind the {@link JobQueue} interface.
 * Deliveries run their handlers inline (the webhook route waits for them, answering 202 after 9 s),
 * work is serialised per PR within the process, and the scans run on the in-process jittered timer of
 * `src/app/scheduler.ts`.
 */
import type { Scheduler } from "../app/scheduler.js";
import type { Acceptance, JobHandlers, JobQueue, QueuedEvent } from "./types.js";

/**
 * Serialise work per key (one PR at a time within this process), so `synchronize` and a redelivery
 * racing each other cannot both create a comment. Returns `run(key, task)`: tasks of one key run one
 * after the other in call order; a failed task does not stop the next one.
 */
export function keyedQueue() {
  const tails = new Map<string, Promise<unknown>>();
  return function run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const prev = tails.get(key) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(task);
    const tail = next.catch(() => undefined);
    tails.set(key, tail);
    void tail.then(() => {
      if (tails.get(key) === tail) tails.delete(key);
    });
    return next;
  };
}

/** Options of {@link InProcessQueue}. */
export interface InProcessQueueOptions {
  /** The in-process scan timer (`createScheduler`), started by {@link InProcessQueue.start}. */
  scheduler?: Scheduler;
}

/** The in-process {@link JobQueue}. */
export class InProcessQueue implements JobQueue {
  readonly kind = "in-process" as const;
  private readonly run = keyedQueue();
  private handlers: JobHandlers | null = null;

  constructor(private readonly opts: InProcessQueueOptions = {}) {}

  /** Runs the delivery's handlers now; rejects with their error. Never reports a duplicate. */
  async enqueue(event: QueuedEvent): Promise<Acceptance> {
    if (!this.handlers) throw new Error("the in-process queue has not been started");
    await this.handlers.deliver(event);
    return "queued";
  }

  exclusive<T>(key: string, task: () => Promise<T>): Promise<T> {
    return this.run(key, task);
  }

  /**
   * Keeps the handlers and starts the scan timer when `worker` is true (its interval is the scheduler's
   * own; `scanEveryMs` 0 leaves it off).
   */
  async start(handlers: JobHandlers, opts: { worker: boolean; scanEveryMs: number }): Promise<void> {
    this.handlers = handlers;
    if (opts.worker && opts.scanEveryMs > 0) this.opts.scheduler?.start();
  }

  async close(): Promise<void> {
    this.opts.scheduler?.stop();
    await this.opts.scheduler?.running;
  }
}
