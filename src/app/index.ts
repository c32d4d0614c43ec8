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
import { abortablePostHog } from "../posthog/abortable.js";
import { githubWriteBudget, posthogSharing } from "./posthog-sharing.js";
import { addRequestDeadline } from "../github/deadline.js";
import { addWriteBudget, type WriteBudget } from "../github/write-budget.js";
import { DeadlineExceededError, deadlinesFromEnv, withDeadline } from "../deadline.js";
import { handlePullRequest } from "./pull-request.js";
import { handlePullRequestMerged } from "./pull-request-merged.js";
import { appBotLogin, installationTargets, numberFromEnv } from "./scan.js";
import { createScheduler, scanTriggerHandler, type Scheduler } from "./scheduler.js";
import { redactLogOutput, redactorFromEnv } from "../redact.js";
import { installWebhookGuard } from "./webhook-guard.js";
import { BullMqQueue, bullMqSettingsFromEnv, InProcessQueue, type JobQueue, type QueuedEvent } from "../queue/index.js";
import { createRedis } from "../queue/redis.js";

export { keyedQueue } from "../queue/index.js";

/** Options of {@link createApp}. */
export interface AppOptions {
  /** A ready PostHog client (tests, replays). Default: one built from the environment on first use. */
  posthog?: PostHogApi;
  /**
   * Clients of other PostHog projects (monorepos, `projects` in the config), for tests and replays. Default:
   * built from the environment with the same host, key and query limiter as the default client.
   */
  posthogForProject?: (projectId: string) => PostHogApi | null;
  /** The clock. Default: `() => new Date()`. */
  now?: () => Date;
  /**
   * Environment to read settings from. Default: `process.env`. Besides PostHog's: `SCAN_INTERVAL_HOURS`
   * (default 24; 0 disables the in-process timer), `SCAN_TRIGGER_SECRET` (enables `POST /internal/scan`),
   * `SCAN_WATCH_CAP` (10), `SCAN_CALL_BUDGET` (200), `POSTHOG_PROJECT_API_KEY` (capture findings),
   * `POSTHOG_ALLOW_WRITES` (`true` lets `/experiment promote|rollback` change PostHog; default off), and
   * the deadlines of docs/deadlines.md (`PR_HANDLER_DEADLINE_MS`, `COMMAND_HANDLER_DEADLINE_MS`,
   * `SCAN_REPOSITORY_DEADLINE_MS`, `POSTHOG_REQUEST_DEADLINE_MS`, `GITHUB_REQUEST_DEADLINE_MS`,
   * `POSTHOG_MAX_PAGES`).
   */
  env?: Record<string, string | undefined>;
  /** Receives the scheduler once created (tests, graceful shutdown). */
  onScheduler?: (scheduler: Scheduler) => void;
  /**
   * Which work this process does when `REDIS_URL` is set (docs/scaling.md): `"all"` (default for a
   * server: answer webhooks and run a worker, unless `QUEUE_ROLE=web`), `"worker"` (`npm run worker`: run
   * jobs, no HTTP server). Without `REDIS_URL` everything runs in process and this is ignored.
   */
  role?: "all" | "worker";
  /** Receives the job queue once created (tests, graceful shutdown). */
  onQueue?: (queue: JobQueue) => void;
}

/**
 * Runs one event's work under its deadline (docs/deadlines.md). The work gets a signal that aborts at the
 * deadline; the event's Octokit refuses every request after it (and each request has its own deadline),
 * so abandoned work never writes a partial comment. Past the deadline this resolves at once (the per-PR
 * queue moves on) after logging an error with the delivery id; other errors propagate to Probot.
 */
async function underDeadline(
  context: {
    id: string;
    name: string;
    installationId: number | undefined;
    octokit: Parameters<typeof addRequestDeadline>[0];
    log: { error(obj: object, msg: string): void };
  },
  deadlines: { handlerMs: number; githubRequestMs: number; envName: string; abandoned: string; writeBudget: WriteBudget },
  label: string,
  work: (signal: AbortSignal) => Promise<void>,
): Promise<void> {
  try {
    await withDeadline(deadlines.handlerMs, label, async (signal) => {
      // Hooks go on the event's own installation client only: without an installation Probot hands out
      // its shared app client, which an abandoned event must not disable for everyone.
      if (context.installationId !== undefined) {
        addWriteBudget(context.octokit, context.installationId, deadlines.writeBudget);
        addRequestDeadline(context.octokit, deadlines.githubRequestMs, signal);
      }
      await work(signal);
    });
  } catch (err) {
    if (!(err instanceof DeadlineExceededError)) throw err;
    context.log.error(
      { delivery: context.id, event: context.name, target: label, deadline_ms: err.deadlineMs, setting: deadlines.envName },
      `${label}: abandoned after ${err.deadlineMs} ms (${deadlines.envName}); ${deadlines.abandoned}`,
    );
  }
}

/** What {@link underDeadline} needs of a Probot context. */
function eventOf(context: { id: string; name: string; payload: unknown; octokit: Parameters<typeof addRequestDeadline>[0]; log: { error(obj: object, msg: string): void } }) {
  const installation = (context.payload as { installation?: { id?: unknown } } | null)?.installation?.id;
  return {
    id: context.id,
    name: context.name,
    installationId: typeof installation === "number" ? installation : undefined,
    octokit: context.octokit,
    log: context.log,
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
    const deadlines = deadlinesFromEnv(env);
    // GitHub's 80 writes a minute per installation: this app's own budget, or every replica's on Redis.
    const writeBudget = githubWriteBudget(env);
    let posthog: PostHogApi | null = options.posthog ?? null;
    let posthogProblem: PostHogConfigError | null = null;
    const getPostHog = (): PostHogApi | null => {
      if (posthog) return posthog;
      try {
        const cfg = posthogConfigFromEnv(env);
        posthog = createPostHogClient({
          ...cfg,
          // Read cache and request budget: in memory, or on Redis shared by every replica (REDIS_URL).
          ...posthogSharing(env, cfg),
          logger: app.log,
          deadlineMs: deadlines.posthogRequestMs,
          maxPages: deadlines.posthogMaxPages,
        });
        return posthog;
      } catch (err) {
        if (!(err instanceof PostHogConfigError)) throw err;
        if (posthogProblem?.message !== err.message) app.log.error(err.message);
        posthogProblem = err;
        return null;
      }
    };
    // Check the PostHog settings (key shape, host) once at start-up, so a bad key is reported in the log
    // right away — by variable, position and character class, never by value.
    if (!options.posthog) getPostHog();
    /**
     * Another project's client (monorepos): same host, personal API key and options as the default one, so
     * every project shares PostHog's per-key query limiter (`queryLimiterFor` in posthog/api.ts). Cached.
     */
    const projectClients = new Map<string, PostHogApi>();
    const getPostHogForProject = (projectId: string): PostHogApi | null => {
      if (options.posthogForProject) return options.posthogForProject(projectId);
      if (options.posthog) return null;
      const cached = projectClients.get(projectId);
      if (cached) return cached;
      try {
        const client = createPostHogClient({
          ...posthogConfigFromEnv(env),
          projectId,
          logger: app.log,
          deadlineMs: deadlines.posthogRequestMs,
          maxPages: deadlines.posthogMaxPages,
        });
        projectClients.set(projectId, client);
        return client;
      } catch (err) {
        if (!(err instanceof PostHogConfigError)) throw err;
        app.log.error({ project_id: projectId }, err.message);
        return null;
      }
    };
    /** `client` (when there is one) seen through one event's abort signal. */
    const abortable = (client: PostHogApi | null, signal: AbortSignal): PostHogApi | null =>
      client ? abortablePostHog(client, signal) : null;
    /** The shared client seen through one event's abort signal. */
    const postHogFor = (signal: AbortSignal) => (): PostHogApi | null => abortable(getPostHog(), signal);
    let slug: Promise<string> | null = null;
    const botLogin = (): Promise<string> => {
      slug ??= appBotLogin(app, deadlines.githubRequestMs).catch((err: unknown) => {
        slug = null;
        throw err;
      });
      return slug;
    };
    /**
     * One event's work, queued behind earlier events for the same PR or issue (`key`, "owner/repo#n") and
     * run under its handler deadline; `abandoned` says what was left undone when the deadline passes.
     */
    const handleExclusive = (
      context: Parameters<typeof eventOf>[0],
      key: string,
      label: string,
      limit: { handlerMs: number; envName: string; abandoned: string },
      work: (signal: AbortSignal) => Promise<void>,
    ): Promise<void> =>
      jobs.exclusive(key, () =>
        underDeadline(
          eventOf(context),
          { ...limit, githubRequestMs: deadlines.githubRequestMs, writeBudget },
          `${label} ${key}`,
          work,
        ),
      );
    app.on(
      ["pull_request.opened", "pull_request.synchronize", "pull_request.reopened", "pull_request.ready_for_review"],
      async (context) => {
        const key = `${context.payload.repository.full_name}#${context.payload.pull_request.number}`;
        await handleExclusive(
          context,
          key,
          "pull_request",
          {
            handlerMs: deadlines.pullRequestMs,
            envName: "PR_HANDLER_DEADLINE_MS",
            abandoned: "the existing comment was left untouched",
          },
          async (signal) => {
            await handlePullRequest(context, {
              posthog: postHogFor(signal),
              posthogProblem: () => posthogProblem,
              posthogForProject: (projectId) => abortable(getPostHogForProject(projectId), signal),
              botLogin,
              now,
            });
          },
        );
      },
    );

    // A merged PR that changed a running experiment's flag code is recorded for the scan (onset causes).
    app.on("pull_request.closed", async (context) => {
      const key = `${context.payload.repository.full_name}#${context.payload.pull_request.number}`;
      await handleExclusive(
        context,
        key,
        "pull_request.closed",
        { handlerMs: deadlines.pullRequestMs, envName: "PR_HANDLER_DEADLINE_MS", abandoned: "the merge was not recorded" },
        async (signal) => {
          const outcome = await handlePullRequestMerged(context, { posthog: postHogFor(signal), botLogin, now });
          context.log.debug({ outcome }, "closed pull request handled");
        },
      );
    });

    // `/experiment …` chat-ops. Only `created`: an edit could change a trusted comment or dodge the
    // permission check, and deletions have nothing to answer.
    const writes = () => posthogWritesFromEnv(env);
    let writesLogged = false;
    app.on("issue_comment.created", async (context) => {
      const key = `${context.payload.repository.full_name}#${context.payload.issue.number}`;
      await handleExclusive(
        context,
        key,
        "issue_comment",
        { handlerMs: deadlines.commandMs, envName: "COMMAND_HANDLER_DEADLINE_MS", abandoned: "no reply was posted" },
        async (signal) => {
          const outcome = await handleIssueComment(context, {
            posthog: postHogFor(signal),
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
        },
      );
    });

    app.on(["installation.created", "installation_repositories.added"], async (context) => {
      context.log.info({ installation: context.payload.installation.id }, "installed; waiting for pull requests");
    });

    // Scheduled hygiene scans: one at a time per process (in process), one per tick across replicas (BullMQ).
    const scanIntervalHours = numberFromEnv(env, "SCAN_INTERVAL_HOURS", 24);
    const scan = async (reason: string): Promise<void> => {
      const client = getPostHog();
      if (!client) return;
      const capture = findingCaptureFromEnv(env);
      try {
        const result = await runScan(installationTargets(app, deadlines.githubRequestMs), {
          posthog: client,
          now: now(),
          botLogin: await botLogin(),
          capture,
          watchCap: numberFromEnv(env, "SCAN_WATCH_CAP", 10),
          callBudget: numberFromEnv(env, "SCAN_CALL_BUDGET", 200),
          // Timer off (0: an external scheduler triggers scans) counts as one scan a day.
          scansPerDay: Math.max(1, Math.floor(24 / (scanIntervalHours || 24))),
          repositoryDeadlineMs: deadlines.scanRepositoryMs,
          writesAllowed: writes().allowed,
          log: app.log,
        });
        app.log.info(
          { reason, repositories: result.repositories.length, posthog_requests: result.posthogRequests },
          "hygiene scan summary",
        );
      } finally {
        await capture?.shutdown();
      }
    };
    const scanEveryMs = scanIntervalHours * 3_600_000;
    const scheduler = createScheduler({ intervalMs: scanEveryMs, log: app.log, scan });
    // The job queue (src/queue): in process without REDIS_URL (today's behaviour), BullMQ with it.
    const redisUrl = env["REDIS_URL"]?.trim();
    const jobs: JobQueue = redisUrl
      ? new BullMqQueue({
          producer: createRedis(redisUrl, { failFast: true, connectionName: "experiment-hygiene:producer" }),
          worker: createRedis(redisUrl, { connectionName: "experiment-hygiene:worker" }),
          settings: bullMqSettingsFromEnv(env),
          log: app.log,
        })
      : new InProcessQueue({ scheduler });
    options.onQueue?.(jobs);
    if (jobs.kind === "bullmq") {
      // The route verifies, shape-checks, stores the delivery and answers 202 (503 when Redis is down).
      installWebhookGuard(app, redact, { enqueue: (event) => jobs.enqueue(event) });
    }

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
    const role = options.role ?? (env["QUEUE_ROLE"]?.trim() === "web" ? "web" : "all");
    const handlers = {
      deliver: (event: QueuedEvent) => app.receive(event as never),
      scan: async (reason: string) => {
        const started = Date.now();
        app.log.info({ reason }, "hygiene scan started");
        await scan(reason);
        app.log.info({ reason, ms: Date.now() - started }, "hygiene scan finished");
      },
    };
    if (jobs.kind === "in-process") {
      void jobs.start(handlers, { worker: serving, scanEveryMs });
    } else if (serving || options.role === "worker") {
      jobs.start(handlers, { worker: role !== "web", scanEveryMs }).catch((err: unknown) => {
        app.log.error({ err: (err as Error).message }, "job queue did not start");
      });
    }
  };
}
