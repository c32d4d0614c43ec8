/**
 * The transport under the PostHog client: one function from a request to parsed JSON. The HTTP transport
 * (ky) adds auth, retries, the query concurrency cap and typed errors; `snapshot.ts` adds record/replay.
 */
import ky, { HTTPError, TimeoutError } from "ky";
import pLimit from "p-limit";
import {
  PostHogApprovalRequiredError,
  PostHogAuthError,
  PostHogError,
  PostHogNetworkError,
  PostHogNotFoundError,
  PostHogRateLimitError,
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
  /** Per-attempt timeout, ms. Default 60 000 (query: ≤ 30 s queueing + execution). */
  timeoutMs?: number;
  logger?: PostHogLogger;
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
 *
 * @throws PostHogAuthError (401/403), PostHogNotFoundError (404), PostHogApprovalRequiredError (409 on a
 *   write), PostHogRateLimitError (429 after the budget), PostHogServerError (5xx; after the budget for
 *   reads, at once for writes), PostHogError (other 4xx), PostHogNetworkError (no response / timeout),
 *   PostHogSchemaError (body is not JSON).
 */
export function createHttpTransport(opts: HttpTransportOptions): HttpTransport {
  const host = opts.host.replace(/\/+$/, "");
  const retry = { ...DEFAULT_RETRY, ...opts.retry };
  const concurrency = Math.max(1, Math.min(MAX_QUERY_CONCURRENCY, Math.floor(opts.queryConcurrency ?? MAX_QUERY_CONCURRENCY)));
  const queryLimit = pLimit(concurrency);
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const log = opts.logger;
  const stats = { requests: 0, retries: 0 };

  const client = ky.create({
    headers: { authorization: `Bearer ${opts.apiKey}`, accept: "application/json" },
    timeout: timeoutMs,
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

  const send = async (req: TransportRequest): Promise<unknown> => {
    const endpoint = `${req.method} ${req.path}`;
    const write = req.write === true;
    const notRetried = write ? "; the write was not retried and may have been applied (check in PostHog before repeating it)" : "";
    let retries = 0;
    const started = Date.now();
    stats.requests++;
    let text: string;
    try {
      const res = await client(`${host}${req.path}`, {
        method: req.method,
        ...(req.method === "POST" || req.method === "PATCH" ? { json: req.body ?? {} } : {}),
        ...(write
          ? {
              retry: {
                methods: ["post", "patch"],
                // 429: ky's default logic (status list, Retry-After, budget); anything else: no retry.
                shouldRetry: ({ error }) => (error instanceof HTTPError && error.response.status === 429 ? undefined : false),
              },
            }
          : {}),
        hooks: {
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
      text = await res.text();
      log?.debug({ endpoint, status: res.status, ms: Date.now() - started, retries }, "PostHog request");
    } catch (err) {
      if (err instanceof HTTPError) {
        let body = "";
        try {
          body = await err.response.text();
        } catch {
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
          ? `could not reach PostHog at ${new URL(host).origin} (${endpoint})${notRetried}: ${reason}`
          : `could not reach PostHog at ${new URL(host).origin} (${endpoint}) after ${retries} retries: ${reason}`,
        // Only the low-level cause (e.g. ECONNREFUSED), never an object that holds the request headers.
        { endpoint, cause: cause instanceof Error ? cause : undefined },
      );
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
