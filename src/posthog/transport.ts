/**
 * The transport under the PostHog client: one function from a request to parsed JSON. The HTTP transport
 * (ky) adds auth, retries, the query concurrency cap and typed errors; `snapshot.ts` adds record/replay.
 */
import ky, { HTTPError, TimeoutError } from "ky";
import pLimit from "p-limit";
import type { PostHogLimiter, RequestClass } from "./limiter.js";
import {
  PostHogApprovalRequiredError,
  PostHogAuthError,
  PostHogError,
  PostHogNetworkError,
  PostHogNotFoundError,
  PostHogRateLimitError,
  PostHogRedirectError,
  PostHogSchemaError,
  PostHogServerError,
} from "./errors.js";

/** One request to the PostHog private API. */
export interface TransportRequest {
  method: "GET" | "POST" | "PATCH";
  /** Path and query string, e.g. `/api/projects/1/feature_flags/?limit=100` (no host). */
  path: string;
  /** JSON body (POST, PATCH). */
  body?: unknown;
  /**
   * Stable semantic key used by snapshots; see {@link getKey}, {@link exposureQueryKey}, {@link metricQueryKey},
   * {@link shipVariantKey}, {@link endExperimentKey}, {@link flagActiveKey}.
   */
  key: string;
  /**
   * True for a request that changes PostHog (ship a variant, end an experiment, PATCH a flag). Writes are
   * retried only on HTTP 429 (PostHog did not apply the change), never on 5xx, 408, timeouts or network
   * errors (the change may have been applied); they bypass the query concurrency limiter; snapshot replays
   * refuse them. Default false (a read; `POST …/query/` is a read).
   */
  write?: boolean;
}

/** Performs a request and resolves with the parsed JSON body (null for an empty body). */
export type Transport = (req: TransportRequest) => Promise<unknown>;

/** Structured logger (pino / Probot style). */
export interface PostHogLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/**
 * Retry budget for 429, 408 and 5xx responses and network errors (ky's built-in retry). Writes
 * (`TransportRequest.write`) spend the same budget on 429 only.
 */
export interface PostHogRetryOptions {
  /** Retries after the first attempt. Default 4. */
  limit?: number;
  /** Upper bound of one exponential-backoff delay, ms. Default 10 000. */
  backoffLimit?: number;
  /** Upper bound of a delay taken from `Retry-After`, ms. Default 30 000 (PostHog queues queries ≤ 30 s). */
  maxRetryAfter?: number;
  /** Backoff in ms for retry number `attempt` (1-based). Default ky's `0.3 s × 2^(attempt−1)`. */
  delay?: (attempt: number) => number;
}

/** Defaults of {@link PostHogRetryOptions}. */
export const DEFAULT_RETRY = { limit: 4, backoffLimit: 10_000, maxRetryAfter: 30_000 } as const;

/** Default of {@link HttpTransportOptions.deadlineMs}: 120 s for one request, retries and body included. */
export const DEFAULT_REQUEST_DEADLINE_MS = 120_000;

/** Same-origin redirects followed for one request before it fails. */
export const MAX_REDIRECTS = 5;

/** PostHog allows 3 concurrent query requests per team (posthog-api.md §1, docs/api/queries.mdx). */
export const MAX_QUERY_CONCURRENCY = 3;

/** Options of {@link createHttpTransport}. */
export interface HttpTransportOptions {
  /** Base URL without trailing slash (`https://us.posthog.com`, `http://127.0.0.1:8010`). */
  host: string;
  projectId: string;
  /** Personal API key; sent only as `Authorization: Bearer <key>`. */
  apiKey: string;
  retry?: PostHogRetryOptions;
  /** Max `POST …/query/` requests in flight, 1–3 (values above 3 are capped). Default 3. */
  queryConcurrency?: number;
  /** Per-attempt timeout until the response headers, ms. Default 60 000 (query: ≤ 30 s queueing + execution). */
  timeoutMs?: number;
  /**
   * Total deadline of one request, ms: every attempt, the waits between retries, following same-origin
   * redirects and reading the whole body. Past it the request (and the body read) is aborted and a
   * PostHogNetworkError is thrown. Default {@link DEFAULT_REQUEST_DEADLINE_MS} (120 000).
   */
  deadlineMs?: number;
  logger?: PostHogLogger;
  /**
   * The shared request budget ({@link PostHogLimiter}): every attempt waits for a token of its class
   * ({@link requestClassOf}) and for any shared pause; a 429's `Retry-After` pauses the whole budget.
   * Default none (the client passes its limiter).
   */
  limiter?: Pick<PostHogLimiter, "acquire" | "pause">;
  /** Custom fetch (tests); default global fetch. */
  fetch?: typeof globalThis.fetch;
}

/** A transport that knows where it points, with counters for logs and the bench. */
export type HttpTransport = Transport & {
  readonly host: string;
  readonly projectId: string;
  /** `requests`: calls; `retries`: extra attempts made by the retry policy. */
  readonly stats: { requests: number; retries: number };
};

/** Snapshot key of a GET: `GET <path-with-query>`. */
export function getKey(pathWithQuery: string): string {
  return `GET ${pathWithQuery}`;
}

/** Snapshot key of an `ExperimentExposureQuery`: `POST <path> ExperimentExposureQuery experiment=<id>`. */
export function exposureQueryKey(path: string, experimentId: number): string {
  return `POST ${path} ExperimentExposureQuery experiment=${experimentId}`;
}

/** Snapshot key of an `ExperimentQuery`: `POST <path> ExperimentQuery experiment=<id> metric=<uuid>`. */
export function metricQueryKey(path: string, experimentId: number, metricUuid: string): string {
  return `POST ${path} ExperimentQuery experiment=${experimentId} metric=${metricUuid}`;
}

/**
 * Snapshot key of `POST …/experiments/{id}/ship_variant/`: `POST <path> ship_variant variant=<variantKey>`,
 * where `path` is the request path (e.g. `/api/projects/1/experiments/7/ship_variant/`).
 */
export function shipVariantKey(path: string, variantKey: string): string {
  return `POST ${path} ship_variant variant=${variantKey}`;
}

/** Snapshot key of `POST …/experiments/{id}/end/`: `POST <path> end` (`path` is the request path). */
export function endExperimentKey(path: string): string {
  return `POST ${path} end`;
}

/** Snapshot key of `PATCH …/feature_flags/{id}/` with `{active}`: `PATCH <path> active=<true|false>`. */
export function flagActiveKey(path: string, active: boolean): string {
  return `PATCH ${path} active=${String(active)}`;
}

/**
 * The API key scopes a write to `path` needs (posthog-api.md §1, from PostHog's
 * `dangerously_get_required_scopes`): `…/experiments/…` → `experiment:write` (launch, end, pause, resume,
 * ship_variant, PATCH); `…/feature_flags/…` → `feature_flag:write`; anything else → `[]` (unknown).
 */
export function writeScopesFor(path: string): string[] {
  const p = path.split("?")[0] ?? "";
  if (/^\/api\/(projects|environments)\/[^/]+\/experiments\//.test(p)) return ["experiment:write"];
  if (/^\/api\/(projects|environments)\/[^/]+\/feature_flags\//.test(p)) return ["feature_flag:write"];
  return [];
}

/**
 * Reduces an absolute DRF `next` URL (or a relative one) to `path?query`, so pages are fetched from the
 * configured host and snapshot keys do not depend on the host.
 */
export function toPathAndQuery(url: string): string {
  const u = new URL(url, "http://placeholder.invalid");
  return `${u.pathname}${u.search}`;
}

/**
 * Reads a response body as text, giving up when `signal` aborts (the body read is cancelled too): a
 * server that sends headers and then trickles the body cannot hold the caller past the deadline.
 *
 * @throws the signal's reason once it aborts; fetch's error when the body stream fails.
 */
export async function readBody(res: Response, signal: AbortSignal): Promise<string> {
  signal.throwIfAborted();
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
  });
  aborted.catch(() => undefined);
  const reading = res.text();
  reading.catch(() => undefined);
  try {
    return await Promise.race([reading, aborted]);
  } finally {
    if (onAbort) signal.removeEventListener("abort", onAbort);
    // Cancelling a body that was fully read (or is locked by text()) is a no-op; fetch's own abort
    // (the same signal) tears the stream down.
    if (signal.aborted) void res.body?.cancel().catch(() => undefined);
  }
}

/**
 * Where a 3xx answer points, as an absolute URL on the configured origin.
 *
 * @param ctx.origin the configured origin (`https://us.posthog.com`); `ctx.url` the URL just requested
 *   (relative `Location`s resolve against it); `ctx.hop` how many redirects were already followed.
 * @throws PostHogRedirectError when `Location` is missing, points to another origin (scheme, host or
 *   port differ), would turn a POST/PATCH into a GET (301/302/303; only 307/308 keep the method and
 *   body), or after {@link MAX_REDIRECTS} redirects.
 */
export function redirectTarget(
  res: Response,
  ctx: { origin: string; url: string; method: string; endpoint: string; hop: number },
): string {
  const status = res.status;
  const location = res.headers.get("location");
  const fail = (why: string) =>
    new PostHogRedirectError(
      `PostHog at ${ctx.origin} answered ${ctx.endpoint} with a redirect (HTTP ${status}) ${why}. ` +
        `Set POSTHOG_HOST to the address PostHog's API answers at directly (e.g. https://us.posthog.com or https://eu.posthog.com).`,
      { endpoint: ctx.endpoint, status },
    );
  if (!location) throw fail("without a Location header");
  let target: URL;
  try {
    target = new URL(location, ctx.url);
  } catch {
    throw fail("to an address that is not a URL");
  }
  if (target.origin !== ctx.origin) {
    // `origin` never includes userinfo, so nothing secret from the Location header is echoed.
    throw fail(`to another host (${target.origin}); it was refused so the API key is not sent there and its answer is not trusted`);
  }
  if (ctx.method !== "GET" && status !== 307 && status !== 308) {
    throw fail(`that would turn the ${ctx.method} into a GET; it was not followed`);
  }
  if (ctx.hop >= MAX_REDIRECTS) throw fail(`for the ${MAX_REDIRECTS + 1}th time in a row; it was not followed`);
  return target.href;
}

/**
 * The budget class of a request (posthog-api.md §1): `POST …/query/` and its polls `GET …/query/{id}/`
 * count against the query API's limit; everything else against the 480/min of the other endpoints.
 */
export function requestClassOf(path: string): RequestClass {
  return /\/query\/(?:[^/]+\/)?$/.test(path.split("?")[0] ?? "") ? "query" : "other";
}

/**
 * Milliseconds a `Retry-After` header asks to wait (delta-seconds or an HTTP date), or null when the header
 * is absent or unreadable.
 */
export function retryAfterMs(header: string | null | undefined, now = Date.now()): number | null {
  if (!header) return null;
  const t = header.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t) * 1000;
  const at = Date.parse(t);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/** `p`, or a rejection with the signal's reason once `signal` aborts (a wait for the budget obeys the deadline). */
function untilAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(e as Error);
      },
    );
  });
}

function isQueryPath(path: string): boolean {
  return /\/query\/?$/.test(path.split("?")[0] ?? "");
}

/**
 * The change request id of a 409 body: `change_request_id` or `change_request.id` (string or number →
 * string); null when absent or the body is not JSON.
 */
function changeRequestIdOf(text: string): string | null {
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch {
    return null;
  }
  if (!j || typeof j !== "object") return null;
  const o = j as Record<string, unknown>;
  const nested = o.change_request && typeof o.change_request === "object" ? (o.change_request as Record<string, unknown>).id : undefined;
  for (const v of [o.change_request_id, nested]) {
    if (typeof v === "string" && v.trim() !== "") return v.trim();
    if (typeof v === "number" && Number.isFinite(v)) return String(v);
  }
  return null;
}

function errorBody(text: string): { code?: string; detail?: string } {
  try {
    const j = JSON.parse(text) as unknown;
    if (j && typeof j === "object") {
      const o = j as Record<string, unknown>;
      return {
        ...(typeof o.code === "string" ? { code: o.code } : {}),
        // DRF puts the reason in `detail`; PostHog's policy conflicts put it in `error` (posthog-api.md §11).
        ...(typeof o.detail === "string"
          ? { detail: o.detail.slice(0, 300) }
          : typeof o.error === "string"
            ? { detail: o.error.slice(0, 300) }
            : {}),
      };
    }
  } catch {
    /* not JSON: fall through to the raw text */
  }
  const t = text.trim().slice(0, 200);
  return t ? { detail: t } : {};
}

/**
 * Maps an HTTP status + body to a typed error. Exported for tests and for other adapters.
 *
 * - 401/403 → PostHogAuthError naming the scopes to check: the read scopes for a read, the write scope of
 *   the resource for a write ({@link writeScopesFor}).
 * - 409 on a write → PostHogApprovalRequiredError with the change request id from the body.
 * - 404 → PostHogNotFoundError; 429 → PostHogRateLimitError; 5xx → PostHogServerError (for a write the
 *   message says it was not retried and may have been applied); other statuses → PostHogError.
 *
 * @param endpoint `METHOD /path` (no host)
 * @param retries how many retries were spent before giving up
 * @param opts.write the request was a write (`TransportRequest.write`)
 */
export function httpError(
  status: number,
  bodyText: string,
  endpoint: string,
  projectId: string,
  retries: number,
  opts: { write?: boolean } = {},
): PostHogError {
  const { code, detail } = errorBody(bodyText);
  const tail = detail ? `: ${detail}` : "";
  const write = opts.write === true;
  if (status === 401 || status === 403) {
    const c = code ?? (status === 401 ? "invalid_personal_api_key" : "permission_denied");
    if (write) {
      const scopes = writeScopesFor(endpoint.replace(/^\S+ /, ""));
      const need = scopes.length > 0 ? `the scope ${scopes.join(" and ")}` : "the write scope of this resource";
      return new PostHogAuthError(
        `PostHog rejected the personal API key (${c}) on ${endpoint} (HTTP ${status})${tail}. ` +
          `This is a write: POSTHOG_PERSONAL_API_KEY must be a personal API key (phx_…) of a user allowed to edit project ${projectId}, ` +
          `with ${need} (read scopes are not enough). Nothing was changed.`,
        { endpoint, status },
      );
    }
    return new PostHogAuthError(
      `PostHog rejected the personal API key (${c}) on ${endpoint} (HTTP ${status})${tail}. ` +
        `Check POSTHOG_PERSONAL_API_KEY: it must be a personal API key (phx_…) of a user with access to project ${projectId}, ` +
        `with the scopes experiment:read, feature_flag:read, query:read and activity_log:read.`,
      { endpoint, status },
    );
  }
  if (status === 404) {
    const path = endpoint.replace(/^\S+ /, "").split("?")[0] ?? "";
    const pid = projectId.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const collection = new RegExp(`^/api/(projects|environments)/${pid}/(feature_flags|experiments|query)/$`);
    const item = new RegExp(`^/api/(projects|environments)/${pid}/(feature_flags|experiments)/(\\d+)/`);
    let what: string;
    if (collection.test(path)) {
      what = `unknown project id ${projectId} (check POSTHOG_PROJECT_ID, and POSTHOG_HOST: us vs eu cloud)`;
    } else {
      const m = item.exec(path);
      what = m
        ? `${m[2] === "experiments" ? "experiment" : "feature flag"} ${m[3]} not found in project ${projectId} (or the project id is unknown)`
        : "not found";
    }
    return new PostHogNotFoundError(`PostHog returned 404 for ${endpoint}: ${what}${tail}`, { endpoint, status });
  }
  if (status === 409 && write) {
    const id = changeRequestIdOf(bodyText);
    const what = id !== null ? `change request ${id} was created` : "the response named no change request (it may be a conflicting edit)";
    return new PostHogApprovalRequiredError(`PostHog requires approval for ${endpoint} (HTTP 409): ${what}${tail}`, {
      endpoint,
      changeRequestId: id,
    });
  }
  if (status === 429) {
    return new PostHogRateLimitError(
      `PostHog rate limit (HTTP 429) on ${endpoint}, still limited after ${retries} retries${write ? " (the write was not applied)" : ""}${tail}`,
      { endpoint, status },
    );
  }
  if (status >= 500 && write) {
    return new PostHogServerError(
      `PostHog server error (HTTP ${status}) on ${endpoint}; the write was not retried because PostHog may have applied it ` +
        `(check in PostHog before repeating it)${tail}`,
      { endpoint, status },
    );
  }
  if (status >= 500) {
    return new PostHogServerError(
      `PostHog server error (HTTP ${status}) on ${endpoint}, still failing after ${retries} retries${tail}`,
      { endpoint, status },
    );
  }
  return new PostHogError(`PostHog returned HTTP ${status}${code ? ` (${code})` : ""} on ${endpoint}${tail}`, {
    endpoint,
    status,
  });
}

/**
 * HTTP transport over ky (global fetch, so nock intercepts it).
 *
 * - `Authorization: Bearer <apiKey>`; the key never appears in errors or logs.
 * - ky's retry for 408, 429, 500, 502, 503, 504 and network errors, GET and POST (queries are reads),
 *   honouring `Retry-After` on 429/503 up to `maxRetryAfter`; budget {@link DEFAULT_RETRY}.
 * - Writes (`req.write`, POST or PATCH) are retried on 429 only (honouring `Retry-After`, same budget):
 *   a 429 means PostHog did not apply the change, whereas after a 5xx, 408, timeout or network error it
 *   may have, so a retry could apply it twice. Implemented with ky's per-request `retry.shouldRetry`.
 * - At most `queryConcurrency` (≤ 3) `POST …/query/` requests in flight, retries included (p-limit);
 *   writes do not wait for this limiter.
 * - A total deadline per request (`deadlineMs`) that covers every attempt, the retry waits and reading
 *   the body: a server that sends its headers and then trickles the body is cut off at the deadline.
 * - Redirects are not followed by fetch (`redirect: "manual"`): a redirect to the same origin is
 *   followed by hand (at most {@link MAX_REDIRECTS}; a POST/PATCH only on 307/308, which keep the
 *   method and body), a redirect to another origin is refused, so neither the key nor trust travels there.
 *
 * @throws PostHogAuthError (401/403), PostHogNotFoundError (404), PostHogApprovalRequiredError (409 on a
 *   write), PostHogRateLimitError (429 after the budget), PostHogServerError (5xx; after the budget for
 *   reads, at once for writes), PostHogError (other 4xx), PostHogNetworkError (no response / timeout),
 *   PostHogSchemaError (body is not JSON), PostHogRedirectError (redirect to another origin, too many
 *   redirects, or a redirect of a POST/PATCH that would change its method).
 */
export function createHttpTransport(opts: HttpTransportOptions): HttpTransport {
  const host = opts.host.replace(/\/+$/, "");
  const retry = { ...DEFAULT_RETRY, ...opts.retry };
  const concurrency = Math.max(1, Math.min(MAX_QUERY_CONCURRENCY, Math.floor(opts.queryConcurrency ?? MAX_QUERY_CONCURRENCY)));
  const queryLimit = pLimit(concurrency);
  const deadlineMs = opts.deadlineMs ?? DEFAULT_REQUEST_DEADLINE_MS;
  if (!(deadlineMs > 0)) throw new RangeError(`deadlineMs must be > 0 ms, got ${deadlineMs}`);
  const timeoutMs = Math.min(opts.timeoutMs ?? 60_000, deadlineMs);
  const origin = new URL(host).origin;
  const log = opts.logger;
  const stats = { requests: 0, retries: 0 };

  const client = ky.create({
    headers: { authorization: `Bearer ${opts.apiKey}`, accept: "application/json" },
    timeout: timeoutMs,
    redirect: "manual",
    retry: {
      limit: retry.limit,
      methods: ["get", "post"],
      statusCodes: [408, 429, 500, 502, 503, 504],
      afterStatusCodes: [429, 503],
      backoffLimit: retry.backoffLimit,
      maxRetryAfter: retry.maxRetryAfter,
      ...(retry.delay ? { delay: retry.delay } : {}),
    },
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
  });

  const limiter = opts.limiter;
  /** Shares a 429's `Retry-After` with every client of the budget. */
  const pauseFor = async (res: Response) => {
    const ms = retryAfterMs(res.headers.get("retry-after"));
    if (limiter && ms !== null && ms > 0) {
      log?.warn({ retry_after_ms: ms }, "PostHog asked to wait (HTTP 429); pausing the shared budget");
      await limiter.pause(ms);
    }
  };

  const send = async (req: TransportRequest): Promise<unknown> => {
    const endpoint = `${req.method} ${req.path}`;
    const cls = requestClassOf(req.path);
    const write = req.write === true;
    const notRetried = write ? "; the write was not retried and may have been applied (check in PostHog before repeating it)" : "";
    let retries = 0;
    const started = Date.now();
    stats.requests++;
    // One deadline for the whole request: attempts, retry waits, redirects and the body read.
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new Error("PostHog request deadline")), deadlineMs);
    const deadlineError = () =>
      new PostHogNetworkError(
        `PostHog did not answer ${endpoint} within the request deadline of ${deadlineMs} ms ` +
          `(retries and reading the body included; POSTHOG_REQUEST_DEADLINE_MS)${notRetried}`,
        { endpoint },
      );
    let text = "";
    let url = `${host}${req.path}`;
    try {
      for (let hop = 0; ; hop++) {
        let res: Response;
        try {
          res = await client(url, {
            method: req.method,
            signal: deadline.signal,
            ...(req.method === "POST" || req.method === "PATCH" ? { json: req.body ?? {} } : {}),
            ...(write
              ? {
                  retry: {
                    methods: ["post", "patch"],
                    // 429: ky's default logic (status list, Retry-After, budget); anything else: no retry.
                    shouldRetry: async ({ error }) => {
                      if (!(error instanceof HTTPError && error.response.status === 429)) return false;
                      await pauseFor(error.response);
                      return undefined;
                    },
                  },
                }
              : {
                  // Every 429 pauses the shared budget at once (ky's own wait comes after this).
                  retry: {
                    shouldRetry: async ({ error }) => {
                      if (error instanceof HTTPError && error.response.status === 429) await pauseFor(error.response);
                      return undefined;
                    },
                  },
                }),
            hooks: {
              beforeRequest: limiter ? [async () => void (await untilAborted(limiter.acquire(cls), deadline.signal))] : [],
              beforeRetry: [
                ({ error, retryCount }) => {
                  retries = retryCount;
                  stats.retries++;
                  const status = error instanceof HTTPError ? error.response.status : undefined;
                  log?.warn({ endpoint, status, retry: retryCount }, "PostHog request failed, retrying");
                },
              ],
            },
          });
        } catch (err) {
          if (err instanceof HTTPError && err.response.status >= 300 && err.response.status < 400) {
            void err.response.body?.cancel().catch(() => undefined);
            url = redirectTarget(err.response, { origin, url, method: req.method, endpoint, hop });
            log?.debug({ endpoint, status: err.response.status, to: new URL(url).pathname }, "PostHog redirected within its host");
            continue;
          }
          throw err;
        }
        text = await readBody(res, deadline.signal);
        log?.debug({ endpoint, status: res.status, ms: Date.now() - started, retries }, "PostHog request");
        break;
      }
    } catch (err) {
      if (err instanceof PostHogError) throw err;
      if (deadline.signal.aborted) throw deadlineError();
      if (err instanceof HTTPError) {
        // The last 429 (retries spent) pauses the budget too.
        if (err.response.status === 429) await pauseFor(err.response).catch(() => undefined);
        let body = "";
        try {
          body = await readBody(err.response, deadline.signal);
        } catch {
          if (deadline.signal.aborted) throw deadlineError();
          body = "";
        }
        throw httpError(err.response.status, body, endpoint, opts.projectId, retries, { write });
      }
      if (err instanceof TimeoutError) {
        // No `cause`: ky's errors carry the request, whose headers hold the key.
        throw new PostHogNetworkError(`no response from PostHog within ${timeoutMs} ms on ${endpoint}${notRetried}`, { endpoint });
      }
      const cause = (err as { cause?: { code?: string; message?: string } } | undefined)?.cause;
      const reason = cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
      throw new PostHogNetworkError(
        write
          ? `could not reach PostHog at ${origin} (${endpoint})${notRetried}: ${reason}`
          : `could not reach PostHog at ${origin} (${endpoint}) after ${retries} retries: ${reason}`,
        // Only the low-level cause (e.g. ECONNREFUSED), never an object that holds the request headers.
        { endpoint, cause: cause instanceof Error ? cause : undefined },
      );
    } finally {
      clearTimeout(timer);
    }
    if (text.trim() === "") return null;
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      throw new PostHogSchemaError(
        endpoint,
        [{ path: "", message: `response is not JSON (starts with ${JSON.stringify(text.slice(0, 40))})` }],
        err,
      );
    }
  };

  const transport: Transport = (req) =>
    !req.write && isQueryPath(req.path) && req.method === "POST" ? queryLimit(() => send(req)) : send(req);
  return Object.assign(transport, { host, projectId: opts.projectId, stats });
}
