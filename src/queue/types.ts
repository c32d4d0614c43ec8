/**
 * The job queue's interface. Two implementations: {@link InProcessQueue} (no Redis; today's behaviour:
 * the webhook route runs the handlers itself, serialised per PR within the process, and an in-process
 * timer runs the scans) and {@link BullMqQueue} (with `REDIS_URL`: the route stores the delivery and
 * answers at once, workers in any replica run it). See docs/scaling.md.
 */

/** A verified webhook delivery: `id` is `X-GitHub-Delivery`, `name` is `X-GitHub-Event`. */
export interface QueuedEvent {
  id: string;
  name: string;
  payload: unknown;
}

/** What a worker does with the jobs it takes. */
export interface JobHandlers {
  /** Run the app's handlers for one delivery (Probot's `receive`); throws when a handler failed. */
  deliver(event: QueuedEvent): Promise<void>;
  /** Run one hygiene scan; `reason` is `"schedule"` for a scheduler tick. */
  scan(reason: string): Promise<void>;
}

/** The answer to an accepted delivery. */
export type Acceptance = "queued" | "duplicate";

/** A job queue. */
export interface JobQueue {
  readonly kind: "in-process" | "bullmq";
  /**
   * Store a verified delivery for the workers. Resolves `"queued"`, or `"duplicate"` when a job with this
   * delivery id exists already (a redelivery: nothing is added). Rejects when the delivery could not be
   * stored (Redis down or too slow): the web tier must then answer 5xx so GitHub marks it failed.
   * The in-process queue runs the handlers instead and resolves `"queued"` once they finished.
   */
  enqueue(event: QueuedEvent): Promise<Acceptance>;
  /**
   * Run `task` with no other task of the same `key` (`owner/repo#number`) running in this process; tasks
   * of one key run in call order. Resolves or rejects with the task's result.
   */
  exclusive<T>(key: string, task: () => Promise<T>): Promise<T>;
  /**
   * Start taking jobs (workers) and, when `scanEveryMs` > 0, make sure the scan runs every `scanEveryMs`
   * ms (once across all replicas for BullMQ). Call at most once.
   */
  start(handlers: JobHandlers, opts: { worker: boolean; scanEveryMs: number }): Promise<void>;
  /** Stop taking jobs, wait for running ones, close connections. */
  close(): Promise<void>;
}

/**
 * The serialisation key of a delivery: `owner/repo#number` for pull_request and issue_comment events,
 * else null. Input: event name and payload as GitHub sends them.
 */
export function targetKey(name: string, payload: unknown): string | null {
  const p = payload as {
    repository?: { full_name?: unknown };
    pull_request?: { number?: unknown };
    issue?: { number?: unknown };
  } | null;
  const repo = p?.repository?.full_name;
  if (typeof repo !== "string") return null;
  const n = name === "pull_request" ? p?.pull_request?.number : name === "issue_comment" ? p?.issue?.number : undefined;
  return typeof n === "number" ? `${repo}#${n}` : null;
}

/** pull_request actions that start an analysis (the ones the app subscribes to). */
export const ANALYSED_PR_ACTIONS: readonly string[] = ["opened", "synchronize", "reopened", "ready_for_review"];

/** Whether a delivery asks for a PR analysis (debounced: only the newest per PR runs). */
export function isPullRequestAnalysis(event: { name: string; payload: unknown }): boolean {
  const action = (event.payload as { action?: unknown } | null)?.action;
  return event.name === "pull_request" && typeof action === "string" && ANALYSED_PR_ACTIONS.includes(action);
}
