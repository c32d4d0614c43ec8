import { PostHogConfigError } from "./errors.js";

/** Connection settings of the PostHog private API. */
export interface PostHogConfig {
  /** Base URL without trailing slash, e.g. `https://us.posthog.com` or `http://127.0.0.1:8010`. */
  host: string;
  /** Numeric project (team) id, as a string. */
  projectId: string;
  /** Personal API key (`phx_…`), sent as `Authorization: Bearer <key>`. Never log it. */
  apiKey: string;
}

/** Default private-API host (PostHog Cloud US; posthog-api.md §1). */
export const DEFAULT_POSTHOG_HOST = "https://us.posthog.com";

/**
 * Reads the PostHog connection settings from the environment.
 *
 * - `POSTHOG_HOST` (optional, default `https://us.posthog.com`; trailing slashes stripped; http or https,
 *   e.g. `http://127.0.0.1:8010` for a local instance),
 * - `POSTHOG_PROJECT_ID` (required, digits),
 * - `POSTHOG_PERSONAL_API_KEY` (required; needs `experiment:read`, `feature_flag:read`, `query:read`,
 *   and `activity_log:read` for activity logs — posthog-api.md §1).
 *
 * Empty or whitespace-only values count as missing.
 *
 * @throws PostHogConfigError naming every missing or invalid variable (never echoing the key's value).
 */
export function posthogConfigFromEnv(env: Record<string, string | undefined> = process.env): PostHogConfig {
  const read = (name: string): string | undefined => {
    const v = env[name]?.trim();
    return v ? v : undefined;
  };
  const problems: string[] = [];
  const variables: string[] = [];

  const rawHost = read("POSTHOG_HOST") ?? DEFAULT_POSTHOG_HOST;
  const host = rawHost.replace(/\/+$/, "");
  let hostOk = false;
  try {
    const url = new URL(host);
    hostOk = (url.protocol === "http:" || url.protocol === "https:") && url.search === "" && url.hash === "";
  } catch {
    hostOk = false;
  }
  if (!hostOk) {
    variables.push("POSTHOG_HOST");
    problems.push(`POSTHOG_HOST must be an http(s) URL such as ${DEFAULT_POSTHOG_HOST}, got "${rawHost}"`);
  }

  const projectId = read("POSTHOG_PROJECT_ID");
  if (projectId === undefined) {
    variables.push("POSTHOG_PROJECT_ID");
    problems.push("POSTHOG_PROJECT_ID is not set (the numeric project id from PostHog's project settings)");
  } else if (!/^\d+$/.test(projectId)) {
    variables.push("POSTHOG_PROJECT_ID");
    problems.push(`POSTHOG_PROJECT_ID must be a numeric project id, got "${projectId}"`);
  }

  const apiKey = read("POSTHOG_PERSONAL_API_KEY");
  if (apiKey === undefined) {
    variables.push("POSTHOG_PERSONAL_API_KEY");
    problems.push(
      "POSTHOG_PERSONAL_API_KEY is not set (a personal API key phx_… with experiment:read, feature_flag:read, query:read)",
    );
  }

  if (problems.length > 0 || projectId === undefined || apiKey === undefined) {
    throw new PostHogConfigError(`PostHog configuration is incomplete: ${problems.join("; ")}`, variables);
  }
  return { host, projectId, apiKey };
}

/** Environment variable that lets the app change PostHog (ship a variant, end an experiment, deactivate a flag). */
export const POSTHOG_ALLOW_WRITES = "POSTHOG_ALLOW_WRITES";

/**
 * Whether the operator enabled PostHog writes: `POSTHOG_ALLOW_WRITES` = "true" or "1" (case-insensitive,
 * trimmed) → true; unset/empty/"false"/"0" → false; any other value → false with a `problem` sentence
 * naming the variable and the accepted values. Writes default to off: the app only reads unless the
 * operator opts in (writes also need a key with `experiment:write` / `feature_flag:write`,
 * posthog-api.md §1).
 *
 * Never throws; `problem` is null unless the value was not recognised.
 */
export function posthogWritesFromEnv(env: Record<string, string | undefined> = process.env): {
  allowed: boolean;
  problem: string | null;
} {
  const raw = env[POSTHOG_ALLOW_WRITES];
  const v = (raw ?? "").trim().toLowerCase();
  if (v === "true" || v === "1") return { allowed: true, problem: null };
  if (v === "" || v === "false" || v === "0") return { allowed: false, problem: null };
  const shown = (raw ?? "").trim();
  return {
    allowed: false,
    problem:
      `${POSTHOG_ALLOW_WRITES} must be "true" or "1" (allow writes) or "false", "0" or unset (read only), ` +
      `got ${JSON.stringify(shown.length > 40 ? `${shown.slice(0, 40)}…` : shown)}; PostHog writes stay disabled.`,
  };
}
