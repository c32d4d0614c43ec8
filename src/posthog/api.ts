/**
 * The PostHog client: typed reads of flags, experiments, exposures, metric results and activity logs,
 * parsed with zod and normalised into `src/model.ts`, and three writes (ship a variant, end an
 * experiment, (de)activate a feature flag). Works over HTTP, a recording transport or a snapshot replay
 * (`snapshot.ts`; both refuse writes).
 */
import type { ActivityEntry, DataFreshness, Experiment, ExposureResult, FeatureFlag, Metric, MetricResult } from "../model.js";
import { PostHogConfigError, PostHogError, PostHogPaginationError, PostHogQueryPendingError } from "./errors.js";
import {
  normalizeActivity,
  normalizeExperiment,
  normalizeExposures,
  normalizeFlag,
  normalizeMetricResult,
} from "./normalize.js";
import {
  activityPageSchema,
  experimentSchema,
  exposureResponseSchema,
  featureFlagSchema,
  metricResponseSchema,
  pageSchema,
  parseWith,
  queryStatusResponseSchema,
  queryStatusSchema,
} from "./schemas.js";
import { cacheNamespace, DEFAULT_CACHE_TTL, type CacheTtl, type ResponseCache } from "./cache.js";
import { createMemoryLimiter, POSTHOG_BUDGET, sharedMemoryLimiter, type PostHogLimiter } from "./limiter.js";
import type { PostHogSnapshot } from "./snapshot.js";
import { snapshotTransport } from "./snapshot.js";
import {
  createHttpTransport,
  endExperimentKey,
  exposureQueryKey,
  flagActiveKey,
  getKey,
  MAX_QUERY_CONCURRENCY,
  metricQueryKey,
  shipVariantKey,
  toPathAndQuery,
  type PostHogLogger,
  type PostHogRetryOptions,
  type Transport,
} from "./transport.js";
import type { z } from "zod";

/**
 * How an experiment ended, as PostHog stores it in `conclusion` (posthog-api.md §3):
 * `won` (a variant beat control), `lost` (no variant beat control), `inconclusive`, `stopped_early`,
 * `invalid` (the data cannot be trusted, e.g. a sample ratio mismatch).
 */
export type ExperimentConclusion = "won" | "lost" | "inconclusive" | "stopped_early" | "invalid";

/** The accepted values of {@link ExperimentConclusion}, in PostHog's order. */
export const EXPERIMENT_CONCLUSIONS: readonly ExperimentConclusion[] = ["won", "lost", "inconclusive", "stopped_early", "invalid"];

/** PostHog's `conclusion_comment` limit (`max_length=4000` on the serializer; posthog-api.md §11), characters. */
export const CONCLUSION_COMMENT_MAX_LENGTH = 4000;

/**
 * The keys PostHog's `ExperimentHoldoutType` allows in an `ExperimentExposureQuery` body (it allows no
 * others; posthog-api.md §11). The experiment detail's holdout carries more (e.g. `team_id`); only these
 * are sent.
 */
export const HOLDOUT_QUERY_FIELDS = ["id", "name", "description", "filters", "created_by", "created_at", "updated_at"] as const;

/**
 * How the client runs queries in PostHog's async mode (posthog-api.md §4, §11): `POST …/query/` with
 * `refresh: "async"` answers at once — the cached result when PostHog has one (up to 24 h old), else
 * HTTP 202 with `query_status {id, complete: false}` — and the client polls `GET …/query/{id}/` until the
 * status is complete or `deadlineMs` has passed.
 */
export interface AsyncQueryOptions {
  /** First wait before polling, ms. Default 1 000. */
  pollIntervalMs?: number;
  /** Waits double after each poll up to this, ms. Default 10 000. */
  maxPollIntervalMs?: number;
  /**
   * Time one query (waiting for one of the query slots, submit, optional forced refresh, polls) may take
   * before it is reported as still computing, ms, counted from the call. Default 120 000. PostHog's experiment runners allow 600 s (`max_execution_time`); a
   * query given up on keeps running in PostHog and its result is cached for the next look.
   */
  deadlineMs?: number;
}

/** Defaults of {@link AsyncQueryOptions}. */
export const DEFAULT_ASYNC_QUERY = { pollIntervalMs: 1_000, maxPollIntervalMs: 10_000, deadlineMs: 120_000 } as const;

/**
 * Freshness wanted from a query (posthog-api.md §11: results are cached up to 24 h).
 * Without `maxAgeHours` a cached result of any age is accepted (fine for a PR comment, which shows the
 * age). With it, a result whose `last_refresh` is more than `maxAgeHours` before `now` is recomputed
 * (`refresh: "force_async"`), as writes and stall decisions need.
 */
export interface QueryFreshnessOptions {
  /** Hours, > 0. */
  maxAgeHours?: number;
  /** "Now" for the age. Default the wall clock. */
  now?: Date;
}

/**
 * Whether data computed at `freshness.computedAt` is more than `maxAgeHours` hours older than `now`.
 * Unknown freshness (an older build that sends no `last_refresh`/`is_cached`) is not "older": there is
 * nothing to compare. A cached result without `last_refresh` is treated as older (its age is unknown).
 */
export function isOlderThan(freshness: DataFreshness | undefined, maxAgeHours: number, now: Date): boolean {
  if (!freshness) return false;
  if (freshness.computedAt === null) return freshness.cached === true;
  return now.getTime() - Date.parse(freshness.computedAt) > maxAgeHours * 3_600_000;
}

/** Clients built on a ready transport (no API key) share an in-memory limiter per transport. */
const transportLimiters = new WeakMap<object, PostHogLimiter>();

/**
 * The limiter of a client: the one given, else the process-wide in-memory one of host + key (PostHog
 * counts per key; a query holds its slot while it runs in PostHog, polls included), else one per transport.
 */
function limiterFor(opts: PostHogClientOptions, host: string, transport: object, concurrency: number): PostHogLimiter {
  if (opts.limiter) return opts.limiter;
  const budget = { ...POSTHOG_BUDGET, queryConcurrency: concurrency };
  if (opts.transport || opts.apiKey === undefined) {
    let l = transportLimiters.get(transport);
    if (!l) transportLimiters.set(transport, (l = createMemoryLimiter("transport", budget)));
    return l;
  }
  return sharedMemoryLimiter(host, opts.apiKey, budget);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Access to one PostHog project: reads, plus three writes (`shipVariant`, `endExperiment`,
 * `setFeatureFlagActive`). Writes need `experiment:write` / `feature_flag:write`, are retried only on
 * HTTP 429, and throw PostHogApprovalRequiredError (409) when an approval policy turns them into a change
 * request. Whether writes are allowed at all is the caller's decision (`posthogWritesFromEnv` in `config.ts`).
 */
export interface PostHogApi {
  /** Web host for links, e.g. `https://us.posthog.com`. */
  readonly host: string;
  readonly projectId: string;
  /**
   * All feature flags: `GET /api/projects/{pid}/feature_flags/?limit=100`, following `next` to the end.
   * Deleted flags are excluded. PostHog hides archived flags unless the request names `archived`
   * (`exclude_archived_unless_requested`, posthog-api.md §11): with `includeArchived`, a second listing
   * `?archived=true&limit=100` is merged in (by id), for logic that must see flags nobody uses any more.
   * @throws PostHogPaginationError past the page cap (`maxPages`).
   */
  listFeatureFlags(opts?: { includeArchived?: boolean }): Promise<FeatureFlag[]>;
  /**
   * All (non-archived, PostHog's default) experiments: `GET …/experiments/?limit=100`, following `next`.
   * Newer builds return slim items without metrics, stats config or exposure criteria: those fields then
   * take their defaults; call {@link getExperiment} for the detail. Deleted experiments are excluded.
   */
  listExperiments(): Promise<Experiment[]>;
  /**
   * Full detail: `GET …/experiments/{id}/`. With a `cache`, a cached detail is used only while its
   * `updated_at` equals `opts.updatedAt` (the experiment list's, when given) and never with `opts.fresh`
   * (writes: always read PostHog).
   * @throws PostHogNotFoundError for an unknown id.
   */
  getExperiment(id: number, opts?: { updatedAt?: string | null; fresh?: boolean }): Promise<Experiment>;
  /**
   * Cumulative daily exposures per variant: `POST …/query/` with an `ExperimentExposureQuery` built from
   * `experiment.raw` (needs the embedded `feature_flag`, i.e. a detail or a list item that has it). A draft
   * (no `start_date`) resolves to an empty result without a request (PostHog returns nothing for drafts).
   * The query runs in PostHog's async mode ({@link AsyncQueryOptions}); `opts.maxAgeHours` forces a
   * recomputation of an older cached result ({@link QueryFreshnessOptions}). The holdout is sent with
   * {@link HOLDOUT_QUERY_FIELDS} only. `freshness`, `biasRisk` and `healthFindings` are filled when PostHog
   * returns them (health findings of the detail are used when the response has none).
   * @throws PostHogError when `experiment.raw.feature_flag` is missing; PostHogQueryPendingError when
   *   PostHog is still computing at the deadline.
   */
  getExposures(experiment: Experiment, opts?: QueryFreshnessOptions): Promise<ExposureResult>;
  /**
   * Sufficient statistics and PostHog's verdict for one metric: `POST …/query/` with
   * `{kind: "ExperimentQuery", experiment_id, metric: metric.query}`. No data, validation failures, a
   * legacy metric (not supported by `ExperimentQuery`; no request is made) or a 4xx refusal such as
   * HTTP 400 give a result with `error` set instead of a throw. A query still computing at the deadline
   * gives `pending: true` with `error: null` and no arms ("still computing", never a broken metric).
   * Async mode and `opts` as {@link getExposures}; `freshness` from `last_refresh` / `is_cached`.
   * Auth, 404, 429, 5xx, network and schema errors still throw.
   */
  getMetricResult(experiment: Experiment, metric: Metric, opts?: QueryFreshnessOptions): Promise<MetricResult>;
  /**
   * Activity log of a flag, newest first: `GET …/feature_flags/{id}/activity/?limit=100&page=N`.
   * Stops at the first entry older than `since` (ISO 8601; excluded), when there is no next page, or
   * after `maxPages` pages (default 10, i.e. 1000 entries).
   */
  getFlagActivity(flagId: number, opts?: { since?: string; maxPages?: number }): Promise<ActivityEntry[]>;
  /**
   * Ships a variant: `POST /api/projects/{pid}/experiments/{id}/ship_variant/` with
   * `{variant_key, conclusion, conclusion_comment}` (`conclusion_comment` only when given, cut to
   * {@link CONCLUSION_COMMENT_MAX_LENGTH} characters with a trailing "…").
   * `release_to_everyone` is NOT sent: PostHog keeps the flag's release conditions and gives `variantKey`
   * 100 % of the split (others 0 %); a running experiment is ended (posthog-api.md §2).
   * Resolves with the experiment PostHog returns, normalised, or null when the response body is empty or
   * not an experiment (the write still succeeded). Retried only on HTTP 429.
   * @throws PostHogError (endpoint "client") for a non-positive/unsafe id, an empty `variantKey`, an unknown
   *   `conclusion` or a non-string comment, before sending; PostHogApprovalRequiredError (409, change
   *   request created); PostHogAuthError naming `experiment:write` (401/403); PostHogNotFoundError (404);
   *   PostHogServerError / PostHogNetworkError (not retried: the change may have been applied);
   *   PostHogError (other 4xx, e.g. 400 for an unknown variant); PostHogError from a snapshot replay.
   */
  shipVariant(
    experimentId: number,
    body: { variantKey: string; conclusion: ExperimentConclusion; conclusionComment?: string },
  ): Promise<Experiment | null>;
  /**
   * Ends an experiment: `POST …/experiments/{id}/end/` with `{conclusion, conclusion_comment}`
   * (`conclusion_comment` only when given). Sets `end_date`; does not touch the feature flag
   * (posthog-api.md §2). Same return convention and errors as {@link shipVariant}.
   */
  endExperiment(experimentId: number, body: { conclusion: ExperimentConclusion; conclusionComment?: string }): Promise<Experiment | null>;
  /**
   * Activates or deactivates a feature flag: `PATCH /api/projects/{pid}/feature_flags/{id}/` with
   * `{"active": active}` (deactivating is what experiment `pause/` does; posthog-api.md §7).
   * Resolves with the normalised flag PostHog returns, or null when the body is empty or not a flag.
   * @throws PostHogError (endpoint "client") for a bad id or a non-boolean `active`;
   *   PostHogApprovalRequiredError (409); PostHogAuthError naming `feature_flag:write`; others as
   *   {@link shipVariant}.
   */
  setFeatureFlagActive(flagId: number, active: boolean): Promise<FeatureFlag | null>;
  /** Number of requests issued through the transport so far (retries not counted; replayed ones are). */
  readonly requestCount: number;
}

/** Options of {@link createPostHogClient}. Give `apiKey` for HTTP, or a ready `transport`. */
export interface PostHogClientOptions {
  /** Base URL, e.g. `https://us.posthog.com` or `http://127.0.0.1:8010` (trailing slash stripped). */
  host: string;
  projectId: string;
  /** Personal API key (HTTP transport). */
  apiKey?: string;
  /** A transport to use instead of HTTP (recording / replay / tests). */
  transport?: Transport;
  retry?: PostHogRetryOptions;
  /** Max queries in flight, ≤ 3 (PostHog's limit). Default 3. Ignored when `limiter` is given. */
  queryConcurrency?: number;
  /**
   * The request budget shared with other clients of the same host + key ({@link PostHogLimiter}: query
   * slots, per-minute budgets, `Retry-After` pauses), e.g. `createRedisLimiter` to share it between
   * replicas. Default: the process-wide in-memory budget of host + key.
   */
  limiter?: PostHogLimiter;
  /**
   * Cache of list and detail reads ({@link ResponseCache}: `createMemoryCache()`, or `createRedisCache`
   * to share it between replicas), keyed by host + project id. Default none (every call reads PostHog).
   * This app's writes through the client invalidate what they change.
   */
  cache?: ResponseCache;
  /** Lifetimes of cached reads ({@link DEFAULT_CACHE_TTL}). */
  cacheTtl?: Partial<CacheTtl>;
  /** Per-attempt timeout, ms. Default 60 000. */
  timeoutMs?: number;
  /** Async query polling and deadline ({@link DEFAULT_ASYNC_QUERY}). */
  asyncQuery?: AsyncQueryOptions;
  /** Total deadline of one HTTP request (retries and body read included), ms. Default 120 000. */
  deadlineMs?: number;
  /**
   * Pages a `next`-linked list may take (100 items a page) before it fails with PostHogPaginationError
   * instead of being silently truncated. Default {@link DEFAULT_MAX_LIST_PAGES} (100 → 10 000 items).
   */
  maxPages?: number;
  logger?: PostHogLogger;
}

/** Default page cap of `next`-based pagination (100 per page → 10 000 flags or experiments; a project with 5 000 flags takes 50). */
export const DEFAULT_MAX_LIST_PAGES = 100;

/**
 * Creates a {@link PostHogApi}.
 *
 * @throws PostHogConfigError when neither `apiKey` nor `transport` is given, or `projectId` is not numeric.
 */
export function createPostHogClient(opts: PostHogClientOptions): PostHogApi {
  const host = opts.host.replace(/\/+$/, "");
  const pid = opts.projectId;
  if (!/^\d+$/.test(pid)) {
    throw new PostHogConfigError(`PostHog project id must be numeric, got "${pid}"`, ["POSTHOG_PROJECT_ID"]);
  }
  const concurrency = Math.max(1, Math.min(MAX_QUERY_CONCURRENCY, Math.floor(opts.queryConcurrency ?? MAX_QUERY_CONCURRENCY)));
  let transport: Transport;
  let limiter: PostHogLimiter;
  if (opts.transport) {
    transport = opts.transport;
    limiter = limiterFor(opts, host, transport, concurrency);
  } else if (opts.apiKey) {
    limiter = opts.limiter ?? sharedMemoryLimiter(host, opts.apiKey, { ...POSTHOG_BUDGET, queryConcurrency: concurrency });
    transport = createHttpTransport({
      limiter,
      host,
      projectId: pid,
      apiKey: opts.apiKey,
      ...(opts.retry ? { retry: opts.retry } : {}),
      ...(opts.queryConcurrency !== undefined ? { queryConcurrency: opts.queryConcurrency } : {}),
      ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
      ...(opts.deadlineMs !== undefined ? { deadlineMs: opts.deadlineMs } : {}),
      ...(opts.logger ? { logger: opts.logger } : {}),
    });
  } else {
    throw new PostHogConfigError("PostHog client needs an API key (POSTHOG_PERSONAL_API_KEY) or a transport", [
      "POSTHOG_PERSONAL_API_KEY",
    ]);
  }

  const maxListPages = opts.maxPages ?? DEFAULT_MAX_LIST_PAGES;
  let requestCount = 0;
  const base = `/api/projects/${pid}`;
  const queryPath = `${base}/query/`;
  const asyncOpts = { ...DEFAULT_ASYNC_QUERY, ...opts.asyncQuery };

  const get = (path: string): Promise<unknown> => {
    requestCount++;
    return transport({ method: "GET", path, key: getKey(path) });
  };
  const post = (path: string, body: unknown, key: string): Promise<unknown> => {
    requestCount++;
    return transport({ method: "POST", path, body, key });
  };
  const write = (method: "POST" | "PATCH", path: string, body: unknown, key: string): Promise<unknown> => {
    requestCount++;
    return transport({ method, path, body, key, write: true });
  };
  /** A write's response as an experiment, or null (with a warning when a non-empty body did not parse). */
  const writtenExperiment = (res: unknown, endpoint: string): Experiment | null => {
    if (res === null || res === undefined) return null;
    const parsed = experimentSchema.safeParse(res);
    if (!parsed.success) {
      opts.logger?.warn({ endpoint, issues: parsed.error.issues.length }, "PostHog write succeeded but the response is not an experiment");
      return null;
    }
    return normalizeExperiment(parsed.data, res as Record<string, unknown>);
  };

  type QueryOutcome = { done: true; body: unknown } | { done: false; queryId: string | null };

  /** A 202 answer of `POST …/query/`: its `query_status` while not complete, else null. */
  const runningStatus = (res: unknown): { id: string } | null => {
    if (!res || typeof res !== "object") return null;
    const st = queryStatusSchema.safeParse((res as Record<string, unknown>).query_status);
    return st.success && st.data.complete === false ? st.data : null;
  };

  /**
   * POSTs one query body and, when PostHog answers with a running `query_status`, polls
   * `GET …/query/{id}/` with doubling waits until it is complete or `deadline` (epoch ms) would pass.
   * @throws PostHogError (status 400) when PostHog reports the query failed with a message.
   */
  async function submitAndWait(body: Record<string, unknown>, key: string, deadline: number): Promise<QueryOutcome> {
    const res = await post(queryPath, body, key);
    const running = runningStatus(res);
    if (!running) return { done: true, body: res };
    const pollPath = `${queryPath}${encodeURIComponent(running.id)}/`;
    let wait = asyncOpts.pollIntervalMs;
    for (;;) {
      if (Date.now() + wait > deadline) return { done: false, queryId: running.id };
      await sleep(wait);
      const polled = parseWith(queryStatusResponseSchema, await get(pollPath), `GET ${pollPath}`).query_status;
      if (polled.error) {
        throw new PostHogError(`PostHog query ${running.id} failed: ${polled.error_message ?? "internal error"}`, {
          endpoint: `GET ${pollPath}`,
          status: 400,
        });
      }
      if (polled.complete) return { done: true, body: polled.results ?? null };
      wait = Math.min(wait * 2, asyncOpts.maxPollIntervalMs);
    }
  }

  /**
   * Runs one query in async mode under the per-host+key limiter (at most 3 in flight, polls included):
   * `refresh: "async"` first (a cached result is fine); when `fresh.maxAgeHours` is set and the result's
   * `last_refresh` is older, once more with `refresh: "force_async"`. Both share one deadline, counted from
   * the call (waiting for a slot included); a query whose deadline passes before it gets a slot is not sent
   * and comes back as not done (`queryId` null), i.e. "still computing".
   */
  async function runQuery(query: Record<string, unknown>, key: string, fresh: QueryFreshnessOptions): Promise<QueryOutcome> {
    // The deadline runs from the call, not from when a slot frees: all queries of one event (fired together)
    // settle within about `deadlineMs`, well inside the event's own deadline (PR_HANDLER_DEADLINE_MS), and
    // queries queued by an abandoned event give their turn up instead of holding slots other events need.
    const deadline = Date.now() + asyncOpts.deadlineMs;
    return limiter.withQuerySlot(async () => {
      if (Date.now() >= deadline) return { done: false, queryId: null };
      const first = await submitAndWait({ query, refresh: "async" }, key, deadline);
      if (!first.done || fresh.maxAgeHours === undefined) return first;
      const cache = first.body && typeof first.body === "object" ? (first.body as Record<string, unknown>) : {};
      const freshness: DataFreshness | undefined =
        typeof cache.last_refresh === "string" || typeof cache.is_cached === "boolean"
          ? {
              computedAt: typeof cache.last_refresh === "string" && !Number.isNaN(Date.parse(cache.last_refresh)) ? cache.last_refresh : null,
              cached: typeof cache.is_cached === "boolean" ? cache.is_cached : null,
            }
          : undefined;
      if (!isOlderThan(freshness, fresh.maxAgeHours, fresh.now ?? new Date())) return first;
      opts.logger?.debug({ key, last_refresh: freshness?.computedAt ?? null }, "PostHog result older than allowed, forcing a refresh");
      return submitAndWait({ query, refresh: "force_async" }, key, deadline);
    });
  }

  const cache = opts.cache;
  const ttl = { ...DEFAULT_CACHE_TTL, ...opts.cacheTtl };
  const ns = cacheNamespace(host, pid);
  const ck = {
    flags: (archived: boolean) => `${ns}:flags${archived ? "+archived" : ""}`,
    experiments: `${ns}:experiments`,
    experiment: (id: number) => `${ns}:experiment:${id}`,
  };
  /** Loads in flight per cache key, so concurrent events of this process share one PostHog read. */
  const inflight = new Map<string, Promise<unknown>>();

  /**
   * `load()` through the cache: a cached JSON value that `valid` accepts, else a fresh load (shared with
   * concurrent callers of the same key) stored for `ttlMs`. A cache that fails (Redis down) is logged and
   * bypassed: PostHog is read instead.
   */
  async function cached<T>(key: string, ttlMs: number, load: () => Promise<T>, valid: (v: T) => boolean = () => true): Promise<T> {
    if (!cache) return load();
    try {
      const hit = await cache.get(key);
      if (hit !== undefined) {
        const v = JSON.parse(hit) as T;
        if (valid(v)) return v;
      }
    } catch (err) {
      opts.logger?.warn({ err: err instanceof Error ? err.message : String(err) }, "PostHog read cache unavailable; reading PostHog");
    }
    let p = inflight.get(key) as Promise<T> | undefined;
    if (!p) {
      p = load().then(async (v) => {
        await cache.set(key, JSON.stringify(v), ttlMs).catch((err: unknown) => {
          opts.logger?.warn({ err: err instanceof Error ? err.message : String(err) }, "PostHog read cache unavailable; not cached");
        });
        return v;
      });
      const entry = p;
      inflight.set(key, entry);
      void entry.finally(() => inflight.get(key) === entry && inflight.delete(key)).catch(() => undefined);
    }
    return p;
  }

  /** Drops cached reads a write changed. */
  async function invalidate(keys: string[]): Promise<void> {
    if (!cache) return;
    await cache.delete(keys).catch((err: unknown) => {
      opts.logger?.warn({ err: err instanceof Error ? err.message : String(err) }, "PostHog read cache could not be invalidated");
    });
  }

  /** Follows DRF `next` links; returns each parsed item with its original JSON object. */
  async function paginate<T extends z.ZodType>(
    firstPath: string,
    item: T,
  ): Promise<{ parsed: z.infer<T>; original: Record<string, unknown> }[]> {
    const schema = pageSchema(item);
    const out: { parsed: z.infer<T>; original: Record<string, unknown> }[] = [];
    const seen = new Set<string>();
    let path: string | null = firstPath;
    while (path !== null) {
      if (seen.has(path)) {
        throw new PostHogPaginationError(`pagination of GET ${firstPath} did not end: PostHog linked back to page ${path}`, {
          endpoint: `GET ${path}`,
        });
      }
      if (seen.size >= maxListPages) {
        throw new PostHogPaginationError(
          `pagination of GET ${firstPath} did not end within ${maxListPages} pages (the cap, POSTHOG_MAX_PAGES); ` +
            `refusing to go on with a partial list`,
          { endpoint: `GET ${path}` },
        );
      }
      seen.add(path);
      const body = await get(path);
      const page: { next?: string | null; results: unknown[] } = parseWith(schema, body, `GET ${path}`);
      const originals = (body as { results: Record<string, unknown>[] }).results;
      page.results.forEach((p, i) => out.push({ parsed: p as z.infer<T>, original: originals[i] ?? {} }));
      path = page.next ? toPathAndQuery(page.next) : null;
    }
    return out;
  }

  async function loadFlags(includeArchived: boolean): Promise<FeatureFlag[]> {
    const items = await paginate(`${base}/feature_flags/?limit=100`, featureFlagSchema);
    if (includeArchived) {
      const seen = new Set(items.map(({ parsed }) => parsed.id));
      for (const item of await paginate(`${base}/feature_flags/?archived=true&limit=100`, featureFlagSchema)) {
        if (!seen.has(item.parsed.id)) items.push(item);
        seen.add(item.parsed.id);
      }
    }
    return items.filter(({ parsed }) => !parsed.deleted).map(({ parsed }) => normalizeFlag(parsed));
  }

  async function loadExperiments(): Promise<Experiment[]> {
    const items = await paginate(`${base}/experiments/?limit=100`, experimentSchema);
    return items
      .filter(({ parsed }) => !parsed.deleted)
      .map(({ parsed, original }) => normalizeExperiment(parsed, original));
  }

  async function loadExperiment(id: number): Promise<Experiment> {
    const path = `${base}/experiments/${assertId(id, "experiment id")}/`;
    const body = await get(path);
    const parsed = parseWith(experimentSchema, body, `GET ${path}`);
    return normalizeExperiment(parsed, body as Record<string, unknown>);
  }

  const api: PostHogApi = {
    host,
    projectId: pid,
    get requestCount() {
      return requestCount;
    },

    async listFeatureFlags(listOpts = {}) {
      return cached(ck.flags(listOpts.includeArchived === true), ttl.listMs, () => loadFlags(listOpts.includeArchived === true));
    },

    async listExperiments() {
      return cached(ck.experiments, ttl.listMs, loadExperiments);
    },

    async getExperiment(id, detailOpts = {}) {
      const load = () => loadExperiment(id);
      if (detailOpts.fresh) {
        const e = await load();
        if (cache) await cache.set(ck.experiment(e.id), JSON.stringify(e), ttl.detailMs).catch(() => undefined);
        return e;
      }
      const want = detailOpts.updatedAt;
      return cached(ck.experiment(assertId(id, "experiment id")), ttl.detailMs, load, (e) => want === undefined || want === null || e.updatedAt === want);
    },

    async getExposures(experiment, fresh = {}) {
      const raw = experiment.raw;
      if (!raw.start_date) {
        return { experimentId: experiment.id, timeseries: [], totals: {}, posthogSrm: null };
      }
      const flag = raw.feature_flag as { key?: unknown } | null | undefined;
      if (!flag || typeof flag !== "object" || typeof flag.key !== "string" || flag.key === "") {
        throw new PostHogError(
          `experiment ${experiment.id} has no embedded feature_flag, which ExperimentExposureQuery requires; ` +
            `load it with getExperiment(${experiment.id}) first`,
          { endpoint: `POST ${queryPath}` },
        );
      }
      const query = {
        kind: "ExperimentExposureQuery",
        experiment_id: experiment.id,
        experiment_name: typeof raw.name === "string" && raw.name ? raw.name : experiment.name,
        feature_flag: raw.feature_flag,
        exposure_criteria: raw.exposure_criteria ?? null,
        holdout: holdoutForQuery(raw.holdout),
        start_date: raw.start_date ?? null,
        end_date: raw.end_date ?? null,
      };
      const outcome = await runQuery(query, exposureQueryKey(queryPath, experiment.id), fresh);
      if (!outcome.done) {
        throw new PostHogQueryPendingError(
          `PostHog is still computing the exposures of experiment ${experiment.id} (${outcome.queryId === null ? "not started: PostHog's query slots stayed busy" : `query ${outcome.queryId}`}) after ${Math.round(asyncOpts.deadlineMs / 1000)} s`,
          { endpoint: `POST ${queryPath}`, queryId: outcome.queryId },
        );
      }
      const parsed = parseWith(exposureResponseSchema, outcome.body ?? {}, `POST ${queryPath} ExperimentExposureQuery`);
      const detailFindings = experimentSchema.shape.health_findings.safeParse(raw.health_findings);
      return normalizeExposures(experiment.id, parsed, detailFindings.success ? detailFindings.data : null);
    },

    async getMetricResult(experiment, metric, fresh = {}) {
      if (metric.metricType === "legacy-trends" || metric.metricType === "legacy-funnels") {
        return {
          metric,
          baseline: null,
          variants: [],
          error: `metric "${metric.name}" uses the legacy ${metric.metricType === "legacy-trends" ? "ExperimentTrendsQuery" : "ExperimentFunnelsQuery"} engine, which ExperimentQuery does not support`,
        };
      }
      const query = { kind: "ExperimentQuery", experiment_id: experiment.id, metric: metric.query };
      let res: unknown;
      try {
        const outcome = await runQuery(query, metricQueryKey(queryPath, experiment.id, metric.uuid), fresh);
        if (!outcome.done) {
          opts.logger?.info({ experiment_id: experiment.id, metric: metric.uuid, query_id: outcome.queryId }, "PostHog is still computing a metric");
          return { metric, baseline: null, variants: [], error: null, pending: true };
        }
        res = outcome.body;
      } catch (err) {
        // A plain PostHogError is a 4xx other than 401/403/404/429: PostHog refused this metric's query.
        if (err instanceof PostHogError && err.constructor === PostHogError && err.status !== undefined) {
          return { metric, baseline: null, variants: [], error: `PostHog refused the query for metric "${metric.name}": ${err.message}` };
        }
        throw err;
      }
      const parsed = parseWith(metricResponseSchema, res ?? {}, `POST ${queryPath} ExperimentQuery`);
      return normalizeMetricResult(metric, parsed);
    },

    async getFlagActivity(flagId, opts = {}) {
      const id = assertId(flagId, "flag id");
      const maxPages = opts.maxPages ?? 10;
      let sinceMs: number | null = null;
      if (opts.since !== undefined) {
        sinceMs = Date.parse(opts.since);
        if (Number.isNaN(sinceMs)) {
          throw new PostHogError(`getFlagActivity: "since" must be an ISO 8601 date, got "${opts.since}"`, {
            endpoint: `GET ${base}/feature_flags/${id}/activity/`,
          });
        }
      }
      const out: ActivityEntry[] = [];
      for (let page = 1; page <= maxPages; page++) {
        const path = `${base}/feature_flags/${id}/activity/?limit=100&page=${page}`;
        const body = await get(path);
        const parsed = parseWith(activityPageSchema, body, `GET ${path}`);
        for (const entry of parsed.results) {
          if (sinceMs !== null && Date.parse(entry.created_at) < sinceMs) return out;
          out.push(normalizeActivity(entry));
        }
        if (!parsed.next || parsed.results.length === 0) break;
      }
      return out;
    },

    async shipVariant(experimentId, body) {
      const id = assertId(experimentId, "experiment id");
      if (typeof body?.variantKey !== "string" || body.variantKey.trim() === "") {
        throw new PostHogError(`shipVariant: variantKey must be a non-empty variant key, got ${JSON.stringify(body?.variantKey)}`, {
          endpoint: "client",
        });
      }
      const payload = {
        variant_key: body.variantKey,
        ...conclusionFields("shipVariant", body),
      };
      const path = `${base}/experiments/${id}/ship_variant/`;
      try {
        const res = await write("POST", path, payload, shipVariantKey(path, body.variantKey));
        return writtenExperiment(res, `POST ${path}`);
      } finally {
        await invalidate([ck.experiments, ck.experiment(id), ck.flags(false), ck.flags(true)]);
      }
    },

    async endExperiment(experimentId, body) {
      const id = assertId(experimentId, "experiment id");
      const payload = conclusionFields("endExperiment", body);
      const path = `${base}/experiments/${id}/end/`;
      try {
        const res = await write("POST", path, payload, endExperimentKey(path));
        return writtenExperiment(res, `POST ${path}`);
      } finally {
        await invalidate([ck.experiments, ck.experiment(id)]);
      }
    },

    async setFeatureFlagActive(flagId, active) {
      const id = assertId(flagId, "flag id");
      if (typeof active !== "boolean") {
        throw new PostHogError(`setFeatureFlagActive: active must be true or false, got ${JSON.stringify(active)}`, {
          endpoint: "client",
        });
      }
      const path = `${base}/feature_flags/${id}/`;
      let res: unknown;
      try {
        res = await write("PATCH", path, { active }, flagActiveKey(path, active));
      } finally {
        // Experiment details embed the flag: drop those the flag names (when PostHog returned it).
        const ids = (res as { experiment_set?: unknown } | null | undefined)?.experiment_set;
        const details = Array.isArray(ids) ? ids.filter((x): x is number => Number.isSafeInteger(x)).map(ck.experiment) : [];
        await invalidate([ck.flags(false), ck.flags(true), ck.experiments, ...details]);
      }
      if (res === null || res === undefined) return null;
      const parsed = featureFlagSchema.safeParse(res);
      if (!parsed.success) {
        opts.logger?.warn({ endpoint: `PATCH ${path}`, issues: parsed.error.issues.length }, "PostHog write succeeded but the response is not a feature flag");
        return null;
      }
      return normalizeFlag(parsed.data);
    },
  };
  return api;
}

/**
 * `{conclusion, conclusion_comment?}` for ship_variant / end, validated.
 * @throws PostHogError (endpoint "client") for an unknown conclusion or a non-string comment.
 */
function conclusionFields(
  op: string,
  body: { conclusion: ExperimentConclusion; conclusionComment?: string } | undefined,
): { conclusion: ExperimentConclusion; conclusion_comment?: string } {
  const conclusion = body?.conclusion;
  if (typeof conclusion !== "string" || !EXPERIMENT_CONCLUSIONS.includes(conclusion)) {
    throw new PostHogError(
      `${op}: conclusion must be one of ${EXPERIMENT_CONCLUSIONS.map((c) => `"${c}"`).join(", ")}, got ${JSON.stringify(conclusion)}`,
      { endpoint: "client" },
    );
  }
  const comment: unknown = body?.conclusionComment;
  if (comment !== undefined && typeof comment !== "string") {
    throw new PostHogError(`${op}: conclusionComment must be a string, got ${typeof comment}`, { endpoint: "client" });
  }
  return { conclusion, ...(comment !== undefined ? { conclusion_comment: capComment(comment) } : {}) };
}

/**
 * `comment` cut to {@link CONCLUSION_COMMENT_MAX_LENGTH} characters (PostHog counts code points; UTF-16
 * units are never fewer), ending in "…" when cut, without splitting a surrogate pair.
 */
function capComment(comment: string): string {
  if (comment.length <= CONCLUSION_COMMENT_MAX_LENGTH) return comment;
  let head = comment.slice(0, CONCLUSION_COMMENT_MAX_LENGTH - 1);
  const last = head.charCodeAt(head.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) head = head.slice(0, -1);
  return `${head}…`;
}

/**
 * The experiment's holdout as `ExperimentHoldoutType` accepts it: only {@link HOLDOUT_QUERY_FIELDS}
 * (absent keys stay absent), or null.
 */
function holdoutForQuery(holdout: unknown): Record<string, unknown> | null {
  if (!holdout || typeof holdout !== "object" || Array.isArray(holdout)) return null;
  const h = holdout as Record<string, unknown>;
  return Object.fromEntries(HOLDOUT_QUERY_FIELDS.filter((k) => k in h).map((k) => [k, h[k]]));
}

/**
 * A client replaying a snapshot (no network); host and project id come from the snapshot.
 * Missing responses throw PostHogSnapshotMissError.
 */
export function createPostHogClientFromSnapshot(snapshot: PostHogSnapshot): PostHogApi {
  return createPostHogClient({
    host: snapshot.host,
    projectId: snapshot.project_id,
    transport: snapshotTransport(snapshot),
  });
}

function assertId(id: number, what: string): number {
  if (!Number.isSafeInteger(id) || id <= 0) {
    throw new PostHogError(`${what} must be a positive integer, got ${String(id)}`, { endpoint: "client" });
  }
  return id;
}
