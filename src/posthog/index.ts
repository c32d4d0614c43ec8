/** Public API of the PostHog adapter. */
export type { AsyncQueryOptions, ExperimentConclusion, PostHogApi, PostHogClientOptions, QueryFreshnessOptions } from "./api.js";
export {
  CONCLUSION_COMMENT_MAX_LENGTH,
  DEFAULT_ASYNC_QUERY,
  EXPERIMENT_CONCLUSIONS,
  HOLDOUT_QUERY_FIELDS,
  createPostHogClient,
  createPostHogClientFromSnapshot,
  isOlderThan,
} from "./api.js";
export type { PostHogConfig } from "./config.js";
export { DEFAULT_POSTHOG_HOST, personalApiKeyProblem, POSTHOG_ALLOW_WRITES, posthogConfigFromEnv, posthogWritesFromEnv } from "./config.js";
export {
  PostHogApprovalRequiredError,
  PostHogAuthError,
  PostHogConfigError,
  PostHogError,
  PostHogNetworkError,
  PostHogNotFoundError,
  PostHogPaginationError,
  PostHogQueryPendingError,
  PostHogRateLimitError,
  PostHogRedirectError,
  PostHogSchemaError,
  PostHogServerError,
  PostHogSnapshotMissError,
} from "./errors.js";
export {
  DEFAULT_ALPHA,
  DEFAULT_CI_LEVEL,
  DEFAULT_STATS_METHOD,
  deriveStatus,
  normalizeExperiment,
  normalizeFlag,
} from "./normalize.js";
export type { PostHogSnapshot, RecordingTransport } from "./snapshot.js";
export {
  SNAPSHOT_FORMAT,
  loadSnapshot,
  recordingTransport,
  saveSnapshot,
  snapshotNow,
  snapshotTransport,
} from "./snapshot.js";
export type {
  HttpTransport,
  HttpTransportOptions,
  PostHogLogger,
  PostHogRetryOptions,
  Transport,
  TransportRequest,
} from "./transport.js";
export {
  DEFAULT_REQUEST_DEADLINE_MS,
  DEFAULT_RETRY,
  MAX_QUERY_CONCURRENCY,
  createHttpTransport,
  endExperimentKey,
  exposureQueryKey,
  flagActiveKey,
  getKey,
  metricQueryKey,
  shipVariantKey,
  writeScopesFor,
} from "./transport.js";
