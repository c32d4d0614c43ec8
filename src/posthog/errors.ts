/**
 * Typed errors of the PostHog adapter.
 *
 * Every error carries the `endpoint` it concerns as `METHOD /path?query` — the path only, never the host
 * and never the personal API key (the key travels in the `Authorization` header and is never copied into
 * a message, a log line or a snapshot). HTTP errors also carry the `status`.
 */

/** Base class of every error thrown by `src/posthog/`. */
export class PostHogError extends Error {
  /** HTTP status when the error comes from a response, else undefined. */
  readonly status?: number;
  /** `METHOD /api/projects/{pid}/…` (no host, no secrets), or a short label such as `env` / `snapshot <file>`. */
  readonly endpoint: string;

  constructor(message: string, opts: { endpoint: string; status?: number; cause?: unknown }) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.endpoint = opts.endpoint;
    if (opts.status !== undefined) this.status = opts.status;
  }
}

/** Missing or malformed environment variables (`POSTHOG_*`). */
export class PostHogConfigError extends PostHogError {
  /** Names of the variables that are missing or invalid. */
  readonly variables: string[];
  constructor(message: string, variables: string[]) {
    super(message, { endpoint: "env" });
    this.variables = variables;
  }
}

/** HTTP 401/403: the personal API key was rejected or lacks a scope (the message names the scopes needed). */
export class PostHogAuthError extends PostHogError {}

/**
 * HTTP 409 on a write (`ship_variant`, `end`, flag PATCH): the project has an approval policy, so PostHog
 * did not apply the change but opened a change request that a reviewer must approve (posthog-api.md §1–2:
 * "Approval-gated flag changes (ship_variant or flag PATCH) → 409 + change_request_id").
 */
export class PostHogApprovalRequiredError extends PostHogError {
  /**
   * Id of the change request PostHog created, as a string (from the body's `change_request_id`, or
   * `change_request.id`; numbers are converted), or null when the 409 body named none.
   */
  readonly changeRequestId: string | null;
  constructor(message: string, opts: { endpoint: string; changeRequestId: string | null }) {
    super(message, { endpoint: opts.endpoint, status: 409 });
    this.changeRequestId = opts.changeRequestId;
  }
}

/** HTTP 404: unknown project id, or an unknown experiment / flag id. */
export class PostHogNotFoundError extends PostHogError {}

/** HTTP 429 still returned after the retry budget was spent (PostHog rate limits, posthog-api.md §1). */
export class PostHogRateLimitError extends PostHogError {}

/** HTTP 5xx still returned after the retry budget was spent. */
export class PostHogServerError extends PostHogError {}

/** The request never got an HTTP response (DNS, refused connection, TLS, timeout). */
export class PostHogNetworkError extends PostHogError {}

/**
 * PostHog answered with a redirect that was not followed: to another origin (the key and trust stay
 * with the configured host), without a Location, changing a POST into a GET, or too many in a row.
 */
export class PostHogRedirectError extends PostHogError {}

/** A `next`-linked list did not end within the page cap (it fails loudly rather than being truncated). */
export class PostHogPaginationError extends PostHogError {}

/**
 * A response did not have the shape our zod schemas require. The message names the endpoint, the field
 * path and what was received, e.g.
 * `GET /api/projects/1/experiments/42/: feature_flag.filters.groups: expected array, received string`.
 */
export class PostHogSchemaError extends PostHogError {
  /** One entry per mismatch: `{ path: "results[0].id", message: "expected number, received string" }`. */
  readonly issues: { path: string; message: string }[];
  constructor(endpoint: string, issues: { path: string; message: string }[], cause?: unknown) {
    const shown = issues.slice(0, 5).map((i) => (i.path ? `${i.path}: ${i.message}` : i.message));
    const more = issues.length > 5 ? ` (and ${issues.length - 5} more)` : "";
    super(`${endpoint}: ${shown.join("; ")}${more}`, { endpoint, cause });
    this.issues = issues;
  }
}

/** A replay (`snapshotTransport`) was asked for a request that the snapshot did not record. */
export class PostHogSnapshotMissError extends PostHogError {
  /** The semantic request key that was not found. */
  readonly key: string;
  constructor(key: string) {
    super(`snapshot has no recorded response for "${key}" (re-record the snapshot)`, { endpoint: key });
    this.key = key;
  }
}

/**
 * An async query (`refresh: "async"`, posthog-api.md §4/§11) did not complete before the client's deadline.
 * PostHog keeps computing it (and caches the result for the next look); the caller reports the data as
 * "still computing", never as broken. `getMetricResult` turns this into `MetricResult.pending`;
 * `getExposures` throws it.
 */
export class PostHogQueryPendingError extends PostHogError {
  /** PostHog's query id (`query_status.id`); null when the query never got one of the 3 query slots in time. */
  readonly queryId: string | null;
  constructor(message: string, opts: { endpoint: string; queryId: string | null }) {
    super(message, { endpoint: opts.endpoint });
    this.queryId = opts.queryId;
  }
}
