/**
 * Capturing the app's own findings as PostHog events, so teams can chart their experiment hygiene in
 * PostHog itself (posthog-api.md §9). Enabled only when `POSTHOG_PROJECT_API_KEY` (the project's public
 * `phc_…` key) is set.
 *
 * The client never evaluates feature flags (no personal key is given, so no local-evaluation polling, and
 * `sendFeatureFlags: false` on every capture), so it cannot pollute `$feature_flag_called` exposure data.
 * Call `shutdown()` before the process or scan ends: it flushes the queue.
 */
import { PostHog } from "posthog-node";
import type { CapturedFinding as Finding } from "./captured-finding.js";

/** The event name of a captured finding. */
export const FINDING_EVENT = "experiment hygiene finding";

/** Sends findings to PostHog. */
export interface FindingCapture {
  /**
   * Queue one event per finding. `action` is what the scan did about it (`create`, `reopen`, …).
   * Never throws; delivery errors are logged by posthog-node.
   */
  capture(findings: { finding: Finding; action: string; repository: string }[]): void;
  /**
   * Queue one {@link FINDING_EVENT} with the given properties (e.g. an autopilot action: `kind: "autopilot"`).
   * Optional so existing implementations stay valid; never throws.
   */
  captureEvent?(properties: Record<string, unknown>): void;
  /** Flush and stop (waits at most `timeoutMs`, default 10 s). */
  shutdown(timeoutMs?: number): Promise<void>;
}

/**
 * The ingestion host for a PostHog app host: `https://us.posthog.com` → `https://us.i.posthog.com`,
 * `https://eu.posthog.com` → `https://eu.i.posthog.com`; a self-hosted host is its own ingestion host.
 */
export function ingestionHost(appHost: string): string {
  const url = new URL(appHost);
  if (url.hostname === "us.posthog.com" || url.hostname === "app.posthog.com") return "https://us.i.posthog.com";
  if (url.hostname === "eu.posthog.com") return "https://eu.i.posthog.com";
  return appHost.replace(/\/+$/, "");
}

/**
 * Build the capture client from the environment, or null when `POSTHOG_PROJECT_API_KEY` is unset.
 *
 * Environment: `POSTHOG_PROJECT_API_KEY` (required to enable), `POSTHOG_CAPTURE_HOST` (default: derived
 * from `POSTHOG_HOST` by {@link ingestionHost}).
 */
export function findingCaptureFromEnv(env: Record<string, string | undefined> = process.env): FindingCapture | null {
  const key = env["POSTHOG_PROJECT_API_KEY"]?.trim();
  if (!key) return null;
  const host = env["POSTHOG_CAPTURE_HOST"]?.trim() || ingestionHost(env["POSTHOG_HOST"]?.trim() || "https://us.posthog.com");
  return createFindingCapture(new PostHog(key, { host, flushAt: 20, flushInterval: 10_000, disableGeoip: true }));
}

/** Wrap a posthog-node client (tests pass one pointed at a local server). */
export function createFindingCapture(client: PostHog): FindingCapture {
  const send = (properties: Record<string, unknown>) =>
    client.capture({
      distinctId: "experiment-hygiene",
      event: FINDING_EVENT,
      sendFeatureFlags: false,
      properties: { ...properties, $process_person_profile: false },
    });
  return {
    capture(items) {
      for (const { finding: f, action, repository } of items) {
        send({
          kind: f.kind,
          severity: f.severity,
          experiment_id: f.experimentId,
          experiment_name: f.experimentName,
          flag_key: f.flagKey,
          onset: f.onset,
          p_value: typeof f.evidence["p_value"] === "number" ? f.evidence["p_value"] : null,
          action,
          repository,
        });
      }
    },
    captureEvent(properties) {
      send(properties);
    },
    async shutdown(timeoutMs = 10_000) {
      await client.shutdown(timeoutMs);
    },
  };
}
