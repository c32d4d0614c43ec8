/** Public API of the PostHog adapter. */
export type { PostHogApi, PostHogClientOptions } from "./api.js";
export { createPostHogClient, createPostHogClientFromSnapshot } from "./api.js";
export type { PostHogConfig } from "./config.js";
export { DEFAULT_POSTHOG_HOST, posthogConfigFromEnv } from "./config.js";
export {
  PostHogAuthError,
  PostHogConfigError,
  PostHogError,
  PostHogNetworkError,
  PostHogNotFoundError,
  PostHogRateLimitError,
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
  DEFAULT_RETRY,
  MAX_QUERY_CONCURRENCY,
  createHttpTransport,
  exposureQueryKey,
  getKey,
  metricQueryKey,
} from "./transport.js";
