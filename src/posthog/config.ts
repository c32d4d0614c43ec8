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
 *   and `activity_log:read` for activity logs — posthog-api.md §1; shape checked by
 *   {@link personalApiKeyProblem}).
 *
 * A `POSTHOG_HOST` with a user name or password (`https://user:pass@…`) is refused, and no message
 * repeats those credentials or any character of the key.
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
  let hasUserinfo = false;
  try {
    const url = new URL(host);
    hostOk = (url.protocol === "http:" || url.protocol === "https:") && url.search === "" && url.hash === "";
    hasUserinfo = url.username !== "" || url.password !== "";
  } catch {
    // not a URL: hostOk and hasUserinfo stay false
  }
  if (hasUserinfo) {
    // Refused rather than stripped: PostHog authenticates with the personal API key, never URL credentials.
    variables.push("POSTHOG_HOST");
    problems.push(
      "POSTHOG_HOST must not contain a user name or password (user:pass@…); remove them — PostHog authenticates with POSTHOG_PERSONAL_API_KEY",
    );
  } else if (!hostOk) {
    variables.push("POSTHOG_HOST");
    problems.push(`POSTHOG_HOST must be an http(s) URL such as ${DEFAULT_POSTHOG_HOST}, got "${shownHost(rawHost)}"`);
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
  } else {
    const keyProblem = personalApiKeyProblem(apiKey);
    if (keyProblem) {
      variables.push("POSTHOG_PERSONAL_API_KEY");
      problems.push(keyProblem);
    }
  }

  if (problems.length > 0 || projectId === undefined || apiKey === undefined) {
    throw new PostHogConfigError(`PostHog configuration is incomplete or invalid: ${problems.join("; ")}`, variables);
  }
  return { host, projectId, apiKey };
}

/** A character a personal API key may contain: printable ASCII without space (quotes are refused separately). */
const KEY_CHAR = /^[\x21-\x7E]$/;

/** A name for a character that does not belong in a key, without showing the key. */
function characterClass(ch: string): string {
  const cp = ch.codePointAt(0) ?? 0;
  const hex = `U+${cp.toString(16).toUpperCase().padStart(4, "0")}`;
  if (ch === "\n" || ch === "\r" || ch === "\u2028" || ch === "\u2029") return `a line break (${hex})`;
  if (ch === "\t") return "a tab (U+0009)";
  if (ch === " ") return "a space (U+0020)";
  if (ch === "\u00A0") return "a no-break space (U+00A0)";
  if (/[\u2018\u2019\u201A\u201B\u201C\u201D\u201E\u201F]/.test(ch)) return `a typographic ("smart") quote (${hex})`;
  if (ch === '"' || ch === "'" || ch === "`") return `a quote character (${hex})`;
  if (/[\u200B-\u200F\u2060\uFEFF]/.test(ch)) return `an invisible zero-width character (${hex})`;
  if (/\s/.test(ch)) return `a whitespace character (${hex})`;
  if (cp < 0x20 || cp === 0x7f) return `a control character (${hex})`;
  return `a non-ASCII character (${hex})`;
}

/**
 * Checks the shape of a PostHog personal API key (posthog-api.md §1: `phx_…`, sent as
 * `Authorization: Bearer <key>`): it must start with `phx_` and contain only printable ASCII without
 * whitespace or quotes. A key that fails this cannot be sent in an HTTP header (fetch throws a
 * `ByteString` or "invalid header value" error that would print the key) or is not a personal key.
 *
 * Input: the key as read from the environment (already trimmed). Output: null when the shape is right,
 * else one sentence naming the first bad character's class and 1-based position (and how many more
 * there are) or the wrong prefix — never any character of the key itself.
 */
export function personalApiKeyProblem(apiKey: string): string | null {
  const chars = [...apiKey];
  const bad: { index: number; ch: string }[] = [];
  chars.forEach((ch, index) => {
    if (!KEY_CHAR.test(ch) || ch === '"' || ch === "'" || ch === "`") bad.push({ index, ch });
  });
  if (bad.length > 0) {
    const first = bad[0]!;
    const more = bad.length > 1 ? ` (and ${bad.length - 1} more invalid character${bad.length > 2 ? "s" : ""})` : "";
    return (
      `POSTHOG_PERSONAL_API_KEY contains ${characterClass(first.ch)} at position ${first.index + 1} of ${chars.length}${more}; ` +
      "a key is printable ASCII without spaces, quotes or line breaks — re-copy the key from PostHog"
    );
  }
  if (!apiKey.startsWith("phx_")) {
    const hint = apiKey.startsWith("phc_")
      ? " (phc_… is a project API key, which cannot read experiments)"
      : apiKey.startsWith("phs_")
        ? " (phs_… is a project secret key; this app needs a personal API key)"
        : "";
    return `POSTHOG_PERSONAL_API_KEY must be a personal API key starting with phx_${hint}; create one under PostHog → Settings → Personal API keys`;
  }
  return null;
}

/** `raw` for an error message, with anything before an `@` (possible credentials) hidden and at most 100 characters. */
function shownHost(raw: string): string {
  const hidden = raw.replace(/^([a-z][a-z0-9+.-]*:\/\/)?[^/]*@/i, "$1[REDACTED]@");
  return hidden.length > 100 ? `${hidden.slice(0, 100)}…` : hidden;
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
