/** The PostHog notice: one fix per failure kind, the markers, and nothing secret from the host. */
import { describe, expect, it } from "vitest";
import { postHogNoticeFor } from "../../src/app/posthog-notice.js";
import { PR_COMMENT_MARKER } from "../../src/github/sticky-comment.js";
import {
  PostHogAuthError,
  PostHogConfigError,
  PostHogNetworkError,
  PostHogNotFoundError,
  PostHogPaginationError,
  PostHogRedirectError,
  PostHogServerError,
} from "../../src/posthog/errors.js";
import { POSTHOG_NOTICE_MARKER, renderPostHogNotice } from "../../src/render/notice.js";

describe("renderPostHogNotice", () => {
  it("starts with the sticky and notice markers and ends with the replacement note", () => {
    const body = renderPostHogNotice({ kind: "server-error", status: 503, host: "https://us.posthog.com" });
    expect(body.split("\n").slice(0, 3)).toStrictEqual([PR_COMMENT_MARKER, POSTHOG_NOTICE_MARKER, "### ⚠️ Experiment hygiene could not check this pull request"]);
    expect(body).toContain("PostHog at `https://us.posthog.com` answered with a server error (HTTP 503), also after retries.");
    expect(body.trimEnd().endsWith("<sub>This note is replaced by the analysis once PostHog answers.</sub>")).toBe(true);
  });

  it("shows only the origin of a host with userinfo, path or query", () => {
    const body = renderPostHogNotice({ kind: "unreachable", host: "https://user:hunter2@posthog.example.com:8443/x?token=abc" });
    expect(body).toContain("PostHog at `https://posthog.example.com:8443` could not be reached.");
    expect(body).not.toContain("hunter2");
    expect(body).not.toContain("token=abc");
  });

  it("names the scopes for a rejected key and the variables for a missing setting", () => {
    expect(renderPostHogNotice({ kind: "rejected-key", status: 403 })).toContain(
      "with the scopes `experiment:read`, `feature_flag:read`, `query:read`, `activity_log:read`.",
    );
    const unset = renderPostHogNotice({ kind: "not-configured", variables: ["POSTHOG_PROJECT_ID", "bad name`"] });
    expect(unset).toContain("set `POSTHOG_PROJECT_ID` in the app's environment");
    expect(unset).not.toContain("bad name");
  });

  it("is deterministic (an unchanged problem leaves the comment unwritten)", () => {
    expect(renderPostHogNotice({ kind: "timeout", host: "https://eu.posthog.com" })).toBe(
      renderPostHogNotice({ kind: "timeout", host: "https://eu.posthog.com" }),
    );
  });
});

describe("postHogNoticeFor", () => {
  const host = "https://eu.posthog.com";
  it("maps each configuration or availability failure to its notice", () => {
    expect(postHogNoticeFor(new PostHogConfigError("x", ["POSTHOG_PERSONAL_API_KEY"]))).toStrictEqual({
      kind: "not-configured",
      variables: ["POSTHOG_PERSONAL_API_KEY"],
    });
    expect(postHogNoticeFor(new PostHogAuthError("x", { endpoint: "GET /api/projects/1/feature_flags/?limit=100", status: 401 }), host)).toStrictEqual({
      kind: "rejected-key",
      status: 401,
      host,
    });
    expect(postHogNoticeFor(new PostHogNotFoundError("x", { endpoint: "GET /api/projects/1/feature_flags/?limit=100", status: 404 }), host)?.kind).toBe("not-found");
    expect(postHogNoticeFor(new PostHogNetworkError("PostHog did not answer GET /x within the request deadline of 300 ms", { endpoint: "GET /x" }))?.kind).toBe("timeout");
    expect(postHogNoticeFor(new PostHogNetworkError("could not reach PostHog at https://eu.posthog.com (GET /x) after 4 retries: ENOTFOUND", { endpoint: "GET /x" }))?.kind).toBe("unreachable");
    expect(postHogNoticeFor(new PostHogServerError("x", { endpoint: "GET /x", status: 502 }))?.kind).toBe("server-error");
    expect(postHogNoticeFor(new PostHogRedirectError("x", { endpoint: "GET /x", status: 302 }))?.kind).toBe("redirect");
  });

  it("gives no notice for failures that are not about configuration or availability", () => {
    // A 404 for one experiment (deleted meanwhile) is not a wrong project id.
    expect(postHogNoticeFor(new PostHogNotFoundError("x", { endpoint: "GET /api/projects/1/experiments/7/", status: 404 }))).toBeNull();
    expect(postHogNoticeFor(new PostHogPaginationError("x", { endpoint: "GET /x" }))).toBeNull();
    expect(postHogNoticeFor(new Error("boom"))).toBeNull();
  });
});
