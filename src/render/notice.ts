/**
 * The short PR notice shown instead of an analysis when PostHog cannot be reached or is misconfigured:
 * what went wrong in one sentence and the fix (which environment variable, which API key scopes).
 *
 * Pure and deterministic (no clock), so an unchanged problem leaves the sticky comment unwritten. The
 * notice carries the sticky comment's marker plus {@link POSTHOG_NOTICE_MARKER}, which lets the app tell a
 * notice (may be updated) from a good analysis (never replaced by a notice).
 */
import { PR_COMMENT_MARKER } from "../github/sticky-comment.js";
import { code } from "./markdown.js";

/** Hidden marker that identifies a sticky comment holding a PostHog notice rather than an analysis. */
export const POSTHOG_NOTICE_MARKER = "<!-- experiment-hygiene:posthog-notice -->";

/** Why PostHog could not be used. */
export type PostHogNoticeKind =
  /** `POSTHOG_*` variables missing or invalid (`variables` names them). */
  | "not-configured"
  /** HTTP 401/403: the personal API key was rejected or lacks a scope. */
  | "rejected-key"
  /** HTTP 404 on a project endpoint: wrong project id or wrong region host. */
  | "not-found"
  /** No HTTP response: DNS failure, refused connection, TLS. */
  | "unreachable"
  /** A request or the whole analysis ran past its deadline. */
  | "timeout"
  /** HTTP 5xx after the retries. */
  | "server-error"
  /** HTTP 429 after the retries. */
  | "rate-limited"
  /** PostHog redirected to another host, which the app refuses to follow. */
  | "redirect";

/** Input of {@link renderPostHogNotice}. */
export interface PostHogNotice {
  kind: PostHogNoticeKind;
  /** For `not-configured`: the environment variables that are missing or invalid. */
  variables?: string[];
  /** The HTTP status, when there was one. */
  status?: number;
  /** The configured PostHog host (only its origin is shown; userinfo is never rendered). */
  host?: string;
}

/** The read scopes the app's personal API key needs (posthog-api.md §1). */
export const REQUIRED_READ_SCOPES = ["experiment:read", "feature_flag:read", "query:read", "activity_log:read"] as const;

function origin(host: string | undefined): string | null {
  if (!host) return null;
  try {
    return new URL(host).origin;
  } catch {
    return null;
  }
}

/**
 * The notice body, with the sticky marker and {@link POSTHOG_NOTICE_MARKER}.
 *
 * @returns Markdown (about 5 lines) naming the problem and its fix; nothing in it comes from PostHog's
 *   answer except the numeric HTTP status, and the host is reduced to its origin.
 */
export function renderPostHogNotice(notice: PostHogNotice): string {
  const at = origin(notice.host);
  const where = at ? ` at ${code(at)}` : "";
  const status = notice.status !== undefined && Number.isInteger(notice.status) ? ` (HTTP ${notice.status})` : "";
  const scopes = REQUIRED_READ_SCOPES.map(code).join(", ");
  let what: string;
  let fix: string;
  switch (notice.kind) {
    case "not-configured": {
      const vars = (notice.variables ?? []).filter((v) => /^[A-Z0-9_]+$/.test(v));
      what = "The app is not connected to PostHog.";
      fix =
        vars.length > 0
          ? `set ${vars.map(code).join(", ")} in the app's environment (\`POSTHOG_PERSONAL_API_KEY\`: a personal API key \`phx_…\` with the scopes ${scopes}; \`POSTHOG_PROJECT_ID\`: the numeric project id; \`POSTHOG_HOST\`: e.g. \`https://eu.posthog.com\` for the EU cloud) and restart it.`
          : `set \`POSTHOG_PERSONAL_API_KEY\`, \`POSTHOG_PROJECT_ID\` and, outside the US cloud, \`POSTHOG_HOST\` in the app's environment and restart it.`;
      break;
    }
    case "rejected-key":
      what = `PostHog${where} rejected the app's personal API key${status}.`;
      fix = `give \`POSTHOG_PERSONAL_API_KEY\` a personal API key (\`phx_…\`) of a user with access to the project, with the scopes ${scopes}.`;
      break;
    case "not-found":
      what = `PostHog${where} does not know the configured project${status}.`;
      fix = "check `POSTHOG_PROJECT_ID` (the numeric id in the project's settings) and `POSTHOG_HOST` (`https://us.posthog.com` or `https://eu.posthog.com`).";
      break;
    case "unreachable":
      what = `PostHog${where} could not be reached.`;
      fix = "check `POSTHOG_HOST` and the app's network access to it; the next push retries.";
      break;
    case "timeout":
      what = `PostHog${where} did not answer in time.`;
      fix = "nothing to change if it was a one-off: the next push retries. If it keeps happening, raise `POSTHOG_REQUEST_DEADLINE_MS` or `PR_HANDLER_DEADLINE_MS` (see docs/deadlines.md).";
      break;
    case "server-error":
      what = `PostHog${where} answered with a server error${status}, also after retries.`;
      fix = "nothing to change on your side: the next push retries (check status.posthog.com if it persists).";
      break;
    case "rate-limited":
      what = `PostHog${where} kept rate-limiting the app${status}.`;
      fix = "the next push retries; if it keeps happening, lower the app's load on the project (fewer experiments per comment, `comment.max_experiments`).";
      break;
    case "redirect":
      what = `PostHog${where} redirected the app to another host, which it refuses to follow.`;
      fix = "set `POSTHOG_HOST` to the address PostHog's API answers at directly (`https://us.posthog.com` or `https://eu.posthog.com`).";
      break;
  }
  return [
    PR_COMMENT_MARKER,
    POSTHOG_NOTICE_MARKER,
    "### ⚠️ Experiment hygiene could not check this pull request",
    "",
    what,
    "",
    `**Fix** (for whoever runs the app): ${fix}`,
    "",
    "<sub>This note is replaced by the analysis once PostHog answers.</sub>",
    "",
  ].join("\n");
}
