/**
 * Deadlines: the time limits of one PostHog request, one GitHub request, one event handler and one
 * repository of a scan, their defaults, the environment variables that change them, and a helper that
 * runs a task under a deadline. No I/O. Every value is documented in docs/deadlines.md.
 */

/** Defaults, in milliseconds (pages: a count). */
export const DEFAULT_DEADLINES = {
  /** One PostHog request: every attempt, the waits between retries and reading the whole body. */
  posthogRequestMs: 120_000,
  /** One GitHub request made through Octokit, including Octokit's own retries and reading the JSON body. */
  githubRequestMs: 60_000,
  /** One `pull_request` event: config, diff, PostHog analysis and the comment. */
  pullRequestMs: 300_000,
  /** One `/experiment …` command (`issue_comment.created`). */
  commandMs: 300_000,
  /** One repository of a hygiene scan (config, tarball, issue listing and writes). */
  scanRepositoryMs: 600_000,
  /** Pages of a `next`-linked PostHog list (100 items a page) before the list fails loudly. */
  posthogMaxPages: 100,
} as const;

/** The resolved limits; see {@link DEFAULT_DEADLINES} for units and meaning. */
export type Deadlines = { -readonly [K in keyof typeof DEFAULT_DEADLINES]: number };

/** Environment variable of each limit. */
export const DEADLINE_ENV: Record<keyof Deadlines, string> = {
  posthogRequestMs: "POSTHOG_REQUEST_DEADLINE_MS",
  githubRequestMs: "GITHUB_REQUEST_DEADLINE_MS",
  pullRequestMs: "PR_HANDLER_DEADLINE_MS",
  commandMs: "COMMAND_HANDLER_DEADLINE_MS",
  scanRepositoryMs: "SCAN_REPOSITORY_DEADLINE_MS",
  posthogMaxPages: "POSTHOG_MAX_PAGES",
};

/**
 * Reads the limits from the environment ({@link DEADLINE_ENV}); unset or empty → the default.
 *
 * @returns every limit as a positive whole number (ms, or pages for `posthogMaxPages`).
 * @throws Error naming the variable when a value is not a whole number ≥ 1 (a deadline of 0 would fail
 *   every request; there is deliberately no "no deadline" value).
 */
export function deadlinesFromEnv(env: Record<string, string | undefined> = process.env): Deadlines {
  const out = { ...DEFAULT_DEADLINES } as Deadlines;
  for (const key of Object.keys(DEADLINE_ENV) as (keyof Deadlines)[]) {
    const name = DEADLINE_ENV[key];
    const raw = env[name]?.trim();
    if (!raw) continue;
    const n = Number(raw);
    if (!Number.isSafeInteger(n) || n < 1) {
      throw new Error(`${name} must be a whole number ≥ 1 (${key === "posthogMaxPages" ? "pages" : "milliseconds"}), got "${raw.slice(0, 40)}"`);
    }
    out[key] = n;
  }
  return out;
}

/** A task was abandoned because its deadline passed. */
export class DeadlineExceededError extends Error {
  /** What was abandoned, e.g. `pull_request Codertocat/Hello-World#2`. */
  readonly label: string;
  /** The deadline, ms. */
  readonly deadlineMs: number;
  constructor(label: string, deadlineMs: number) {
    super(`${label} did not finish within ${deadlineMs} ms and was abandoned`);
    this.name = "DeadlineExceededError";
    this.label = label;
    this.deadlineMs = deadlineMs;
  }
}

/**
 * Runs `task` under a deadline. The task receives a signal that aborts (with a
 * {@link DeadlineExceededError} as its reason) when the deadline passes or `parent` aborts; the returned
 * promise then rejects at once, whether or not the task notices the signal. The task's own later
 * settlement is ignored.
 *
 * @param deadlineMs whole milliseconds ≥ 1
 * @param label names the work in the error message (no secrets)
 * @returns the task's result when it settles in time
 * @throws DeadlineExceededError past the deadline; the task's own error otherwise
 */
export async function withDeadline<T>(
  deadlineMs: number,
  label: string,
  task: (signal: AbortSignal) => Promise<T>,
  parent?: AbortSignal,
): Promise<T> {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onParentAbort: (() => void) | undefined;
  const expired = new Promise<never>((_, reject) => {
    const fail = (reason: unknown) => {
      controller.abort(reason);
      reject(reason);
    };
    timer = setTimeout(() => fail(new DeadlineExceededError(label, deadlineMs)), deadlineMs);
    if (parent) {
      if (parent.aborted) fail(parent.reason);
      else {
        onParentAbort = () => fail(parent.reason);
        parent.addEventListener("abort", onParentAbort, { once: true });
      }
    }
  });
  // The losing side of the race must not surface as an unhandled rejection.
  expired.catch(() => undefined);
  try {
    const running = Promise.resolve().then(() => task(controller.signal));
    running.catch(() => undefined);
    return await Promise.race([running, expired]);
  } finally {
    clearTimeout(timer);
    if (onParentAbort) parent?.removeEventListener("abort", onParentAbort);
  }
}

/**
 * A promise that rejects with `signal.reason` once `signal` aborts (at once when it already has), and never
 * resolves: race a call against it to abandon the call with the event. One listener for the signal's
 * lifetime, however many calls race against the promise; the rejection is pre-handled, so a promise no call
 * races against never surfaces as an unhandled rejection.
 */
export function rejectOnAbort(signal: AbortSignal): Promise<never> {
  const aborted = new Promise<never>((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
  aborted.catch(() => undefined);
  return aborted;
}
