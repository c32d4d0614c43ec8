/**
 * The Probot application function: wires webhook events to handlers.
 *
 * `createApp(options)` lets tests inject a PostHog client and a clock; `src/index.ts` exports the default
 * app that reads PostHog settings from the environment (`POSTHOG_HOST`, `POSTHOG_PROJECT_ID`,
 * `POSTHOG_PERSONAL_API_KEY`).
 */
import type { ApplicationFunction, ApplicationFunctionOptions, Probot } from "probot";
import { runScan } from "../pipeline/scan.js";
import { findingCaptureFromEnv } from "../posthog/capture.js";
import { createPostHogClient, posthogConfigFromEnv, posthogWritesFromEnv, type PostHogApi } from "../posthog/index.js";
import { handleIssueComment } from "./issue-comment.js";
import { PostHogConfigError } from "../posthog/errors.js";
import { handlePullRequest } from "./pull-request.js";
import { appBotLogin, installationTargets, numberFromEnv } from "./scan.js";
import { createScheduler, scanTriggerHandler, type Scheduler } from "./scheduler.js";
import { redactLogOutput, redactorFromEnv } from "../redact.js";
import { installWebhookGuard } from "./webhook-guard.js";

/** Options of {@link createApp}. */
export interface AppOptions {
  /** A ready PostHog client (tests, replays). Default: one built from the environment on first use. */
  posthog?: PostHogApi;
  /** The clock. Default: `() => new Date()`. */
  now?: () => Date;
  /**
   * Environment to read settings from. Default: `process.env`. Besides PostHog's: `SCAN_INTERVAL_HOURS`
   * (default 24; 0 disables the in-process timer), `SCAN_TRIGGER_SECRET` (enables `POST /internal/scan`),
   * `SCAN_WATCH_CAP` (10), `SCAN_CALL_BUDGET` (200), `POSTHOG_PROJECT_API_KEY` (capture findings),
   * `POSTHOG_ALLOW_WRITES` (`true` lets `/experiment promote|rollback` change PostHog; default off).
   */
  env?: Record<string, string | undefined>;
  /** Receives the scheduler once created (tests, graceful shutdown). */
  onScheduler?: (scheduler: Scheduler) => void;
}

/**
 * Serialise work per key (one PR at a time within this process), so `synchronize` and a redelivery
 * racing each other cannot both create a comment.
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

/** Build the application function. */
export function createApp(options: AppOptions = {}): ApplicationFunction {
  return (app: Probot, appOptions?: ApplicationFunctionOptions) => {
    const env = options.env ?? process.env;
    const now = options.now ?? (() => new Date());
    // Secrets never leave in a log line or an HTTP body; the webhook route is capped, verified before
    // parsing and shape-checked (docs/security.md).
    const redact = redactorFromEnv(env);
    redactLogOutput(app.log, redact);
    installWebhookGuard(app, redact);
    let posthog: PostHogApi | null = options.posthog ?? null;
    let posthogProblem: string | null = null;
    const getPostHog = (): PostHogApi | null => {
      if (posthog) return posthog;
      try {
        posthog = createPostHogClient({ ...posthogConfigFromEnv(env), logger: app.log });
        return posthog;
      } catch (err) {
        if (!(err instanceof PostHogConfigError)) throw err;
        if (posthogProblem !== err.message) app.log.error(err.message);
        posthogProblem = err.message;
        return null;
      }
    };
    // Check the PostHog settings (key shape, host) once at start-up, so a bad key is reported in the log
    // right away — by variable, position and character class, never by value.
    if (!options.posthog) getPostHog();
    let slug: Promise<string> | null = null;
    const botLogin = (): Promise<string> => {
      slug ??= appBotLogin(app).catch((err: unknown) => {
        slug = null;
        throw err;
      });
      return slug;
    };
    const queue = keyedQueue();

    app.on(
      ["pull_request.opened", "pull_request.synchronize", "pull_request.reopened", "pull_request.ready_for_review"],
      async (context) => {
        const key = `${context.payload.repository.full_name}#${context.payload.pull_request.number}`;
        await queue(key, () => handlePullRequest(context, { posthog: getPostHog, botLogin, now }));
      },
    );

    // `/experiment …` chat-ops. Only `created`: an edit could change a trusted comment or dodge the
    // permission check, and deletions have nothing to answer.
    const writes = () => posthogWritesFromEnv(env);
    let writesLogged = false;
    app.on("issue_comment.created", async (context) => {
      const key = `${context.payload.repository.full_name}#${context.payload.issue.number}`;
      await queue(key, async () => {
        const outcome = await handleIssueComment(context, {
          posthog: getPostHog,
          botLogin,
          now,
          writes: () => {
            const w = writes();
            if (w.problem && !writesLogged) {
              app.log.warn(w.problem);
              writesLogged = true;
            }
            return w;
          },
        });
        context.log.debug({ outcome }, "issue comment handled");
      });
    });

    app.on(["installation.created", "installation_repositories.added"], async (context) => {
      context.log.info({ installation: context.payload.installation.id }, "installed; waiting for pull requests");
    });

    // Scheduled hygiene scans: one at a time per process.
    const scheduler = createScheduler({
      intervalMs: numberFromEnv(env, "SCAN_INTERVAL_HOURS", 24) * 3_600_000,
      log: app.log,
      scan: async (reason) => {
        const client = getPostHog();
        if (!client) return;
        const capture = findingCaptureFromEnv(env);
        try {
          const result = await runScan(installationTargets(app), {
            posthog: client,
            now: now(),
            botLogin: await botLogin(),
            capture,
            watchCap: numberFromEnv(env, "SCAN_WATCH_CAP", 10),
            callBudget: numberFromEnv(env, "SCAN_CALL_BUDGET", 200),
            log: app.log,
          });
          app.log.info(
            { reason, repositories: result.repositories.length, posthog_requests: result.posthogRequests },
            "hygiene scan summary",
          );
        } finally {
          await capture?.shutdown();
        }
      },
    });
    options.onScheduler?.(scheduler);
    // Under a real server, `addHandler` registers the trigger route (or a no-op when no secret is set);
    // without one (probot.load in tests, middleware mode) it throws, and neither route nor timer starts.
    const secret = env["SCAN_TRIGGER_SECRET"]?.trim();
    let serving = appOptions !== undefined;
    try {
      appOptions?.addHandler(secret ? scanTriggerHandler(secret, scheduler) : () => false);
    } catch {
      serving = false;
    }
    if (serving) scheduler.start();
  };
}
