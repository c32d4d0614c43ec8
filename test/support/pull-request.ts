/**
 * Test support for the pull_request handler through Probot with nock (test/app/pull-request.test.ts,
 * deadlines.test.ts, check-run.test.ts, test/config/pull-request-config.test.ts): the unified diff that
 * references the demo's `new-checkout` flag, the nock for `GET /pulls/{n}` as a diff, and a Probot whose
 * JSON log lines are kept for assertions.
 */
import { Writable } from "node:stream";
import nock from "nock";
import { pino } from "pino";
import { Probot } from "probot";
import { OWNER, PR_NUMBER, PRIVATE_KEY, REPO, TestOctokit } from "./github.js";

/** A one-line addition to src/checkout.ts calling `posthog.getFeatureFlag("new-checkout")` (git's unified diff). */
export const CHECKOUT_DIFF = [
  "diff --git a/src/checkout.ts b/src/checkout.ts",
  "index 1111111..2222222 100644",
  "--- a/src/checkout.ts",
  "+++ b/src/checkout.ts",
  "@@ -1,3 +1,4 @@",
  ' import posthog from "posthog-js";',
  '+const variant = posthog.getFeatureFlag("new-checkout");',
  " export function checkout() {}",
  " export const x = 1;",
  "",
].join("\n");

/** Mocks `GET /repos/{owner}/{repo}/pulls/{n}` asked for as a diff (v3 or current media type), answering `diff`. */
export function nockPullDiff(scope: nock.Scope, diff: string): nock.Scope {
  return scope
    .get(`/repos/${OWNER}/${REPO}/pulls/${PR_NUMBER}`)
    .matchHeader("accept", /application\/vnd\.github\.v3\.diff|application\/vnd\.github\.diff/)
    .reply(200, diff, { "content-type": "text/plain" });
}

/**
 * Probot as the App (id 1, {@link TestOctokit}) logging at `level` and above, each JSON log line parsed
 * and pushed onto `lines`.
 */
export function loggingProbot(lines: Record<string, unknown>[], level: "debug" | "info"): Probot {
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split("\n")) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  return new Probot({ appId: 1, privateKey: PRIVATE_KEY, secret: "test-secret", log: pino({ level }, sink), Octokit: TestOctokit });
}
