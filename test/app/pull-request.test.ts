/**
 * The pull_request handler through Probot with nock: exact GitHub and PostHog calls, the comment body,
 * redelivery, updates, the config-error path, and PostHog failures.
 */
import nock from "nock";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createApp } from "../../src/app/index.js";
import { buildProject, DEMO_EXPERIMENTS } from "../../src/demo/project.js";
import { PR_COMMENT_MARKER } from "../../src/github/sticky-comment.js";
import { createPostHogClient } from "../../src/posthog/index.js";
import {
  BOT_LOGIN,
  examplePayload,
  GITHUB,
  makeProbot,
  nockAppAuth,
  nockCheckRun,
  nockConfig,
  OWNER,
  PR_NUMBER,
  REPO,
} from "../support/github.js";
import { API_KEY, nockAnalysis, nockFlags, POSTHOG, PROJECT_ID } from "../support/posthog.js";
import { CHECKOUT_DIFF, nockPullDiff } from "../support/pull-request.js";

const NOW = new Date("2026-11-20T12:00:00Z");
const project = buildProject(NOW, [DEMO_EXPERIMENTS[0]!], [{ id: 301, key: "checkout-copy-tweak" }], PROJECT_ID);
const DIFF = CHECKOUT_DIFF;
const NO_FLAGS_DIFF = DIFF.replace('posthog.getFeatureFlag("new-checkout")', "computeVariant()");

const comments = `/repos/${OWNER}/${REPO}/issues/${PR_NUMBER}/comments`;

function posthogClient() {
  return createPostHogClient({
    host: POSTHOG,
    projectId: PROJECT_ID,
    apiKey: API_KEY,
    retry: { limit: 2, delay: () => 5, maxRetryAfter: 2000 },
  });
}

async function setup() {
  const probot = makeProbot();
  await probot.load(createApp({ posthog: posthogClient(), now: () => NOW }));
  return probot;
}

function nockDiff(scope: nock.Scope, diff = DIFF): nock.Scope {
  return nockPullDiff(scope, diff);
}

beforeEach(() => {
  nock.disableNetConnect();
});

afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

describe("pull_request", () => {
  it("posts one comment with the experiment's decision on opened", async () => {
    const probot = await setup();
    const posted = vi.fn((body: any) => typeof body.body === "string" && body.body.includes(PR_COMMENT_MARKER));
    const gh = nockAppAuth();
    nockConfig(gh, null);
    nockCheckRun(gh);
    nockDiff(gh);
    gh.get(comments).query({ per_page: "100" }).reply(200, []);
    gh.post(comments, posted).reply(201, { id: 9001 });
    const ph = nockAnalysis(project, [101]);

    await probot.receive({ id: "delivery-1", name: "pull_request", payload: examplePayload("pull_request", "opened") as any });

    expect(gh.pendingMocks()).toStrictEqual([]);
    expect(ph.pendingMocks()).toStrictEqual([]);
    expect(posted).toHaveBeenCalledTimes(1);
    const body: string = (posted.mock.calls[0]![0] as any).body;
    expect(body).toContain("✅ Promote `test`");
    expect(body).toContain("[New checkout flow](https://us.posthog.com/project/4242/experiments/101)");
    expect(body).not.toContain(API_KEY);
    expect(body).toMatchSnapshot();
  });

  it("leaves one comment when the same delivery is redelivered", async () => {
    const probot = await setup();
    let stored: { id: number; body: string; user: { login: string } } | null = null;
    const gh = nockAppAuth();
    nockConfig(gh, null);
    nockCheckRun(gh);
    nockDiff(gh);
    gh.get(comments).query({ per_page: "100" }).reply(200, () => (stored ? [stored] : []));
    gh.post(comments).reply(201, (_uri, body: any) => {
      stored = { id: 9001, body: body.body, user: { login: BOT_LOGIN } };
      return stored;
    });
    nockConfig(gh, null);
    nockCheckRun(gh);
    nockDiff(gh);
    gh.get(comments).query({ per_page: "100" }).reply(200, () => [stored]);
    nockAnalysis(project, [101]);
    nockAnalysis(project, [101]);

    const payload = examplePayload("pull_request", "opened") as any;
    await probot.receive({ id: "delivery-same", name: "pull_request", payload });
    await probot.receive({ id: "delivery-same", name: "pull_request", payload });

    // No second POST and no PATCH: nock would have failed the delivery on an unexpected call.
    expect(gh.pendingMocks()).toStrictEqual([]);
    expect(stored).not.toBeNull();
  });

  it("updates its own comment in place on synchronize and ignores a marker pasted by someone else", async () => {
    const probot = await setup();
    const patched = vi.fn((_body: any) => true);
    const gh = nockAppAuth();
    nockConfig(gh, null);
    nockCheckRun(gh);
    nockDiff(gh);
    gh.get(comments)
      .query({ per_page: "100" })
      .reply(200, [
        { id: 1, body: `${PR_COMMENT_MARKER}\nhijack`, user: { login: "mallory" } },
        { id: 2, body: `${PR_COMMENT_MARKER}\nold body`, user: { login: BOT_LOGIN } },
      ]);
    gh.patch(`/repos/${OWNER}/${REPO}/issues/comments/2`, patched).reply(200, { id: 2 });
    nockAnalysis(project, [101]);

    await probot.receive({ id: "d-sync", name: "pull_request", payload: examplePayload("pull_request", "synchronize") as any });

    expect(gh.pendingMocks()).toStrictEqual([]);
    expect(patched).toHaveBeenCalledTimes(1);
  });

  it("names the bad keys of the config with their lines in the comment and uses the defaults for those keys only", async () => {
    const probot = await setup();
    const posted = vi.fn((_body: any) => true);
    const gh = nockAppAuth();
    nockConfig(gh, "decision:\n  max_regression: 10\n  alpah: 0.1\n");
    nockCheckRun(gh);
    nockDiff(gh);
    gh.get(comments).query({ per_page: "100" }).reply(200, []);
    gh.post(comments, posted).reply(201, { id: 9002 });
    nockAnalysis(project, [101]);

    await probot.receive({ id: "d-config", name: "pull_request", payload: examplePayload("pull_request", "opened") as any });

    expect(gh.pendingMocks()).toStrictEqual([]);
    const body: string = (posted.mock.calls[0] as any)[0].body;
    expect(body).toContain(
      "- `decision.max_regression` at [line 2, column 19](https://github.com/Codertocat/Hello-World/blob/HEAD/.github/experiment-hygiene.yml#L2): is a fraction between 0 and 1 (0.1 = 10%), not a percentage; the default 0.1 is used",
    );
    expect(body).toContain("- `decision.alpah` at [line 3, column 3]");
    expect(body).toContain("unknown key, ignored — did you mean `decision.alpha`?");
    expect(body).toContain("✅ Promote `test`"); // still decided, with the defaults
  });

  it("retries a PostHog 429 (Retry-After) and then comments", async () => {
    const probot = await setup();
    const gh = nockAppAuth();
    nockConfig(gh, null);
    nockCheckRun(gh);
    nockDiff(gh);
    gh.get(comments).query({ per_page: "100" }).reply(200, []);
    gh.post(comments).reply(201, { id: 9003 });
    const throttled = nock(POSTHOG)
      .get(`/api/projects/${PROJECT_ID}/feature_flags/`)
      .query({ limit: "100" })
      .reply(429, { type: "throttled_error", detail: "Request was throttled." }, { "Retry-After": "1" });
    const ph = nockAnalysis(project, [101]);

    const started = Date.now();
    await probot.receive({ id: "d-429", name: "pull_request", payload: examplePayload("pull_request", "opened") as any });

    expect(throttled.pendingMocks()).toStrictEqual([]);
    expect(ph.pendingMocks()).toStrictEqual([]);
    expect(gh.pendingMocks()).toStrictEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900); // waited for Retry-After
  });

  it("leaves the existing comment untouched when PostHog answers 500", async () => {
    const probot = await setup();
    const gh = nockAppAuth(nock(GITHUB));
    nockConfig(gh, null);
    nockCheckRun(gh);
    nockDiff(gh);
    // The existing analysis is listed; no PATCH and no comment POST (only the neutral check run): any other GitHub call would fail the delivery.
    gh.get(comments)
      .query({ per_page: "100" })
      .reply(200, [{ id: 5, body: `${PR_COMMENT_MARKER}\n### Experiment hygiene\n✅ Promote`, user: { login: BOT_LOGIN } }]);
    const ph = nock(POSTHOG)
      .get(`/api/projects/${PROJECT_ID}/feature_flags/`)
      .query({ limit: "100" })
      .times(3)
      .reply(500, { detail: "Internal server error" });

    await probot.receive({ id: "d-500", name: "pull_request", payload: examplePayload("pull_request", "opened") as any });

    expect(ph.pendingMocks()).toStrictEqual([]);
    expect(gh.pendingMocks()).toStrictEqual([]);
  });

  it("posts nothing for a PR that references no known flag", async () => {
    const probot = await setup();
    const gh = nockAppAuth();
    nockConfig(gh, null);
    nockCheckRun(gh);
    nockDiff(gh, NO_FLAGS_DIFF);
    gh.get(comments).query({ per_page: "100" }).reply(200, []);
    const ph = nockFlags(nock(POSTHOG), project);

    await probot.receive({ id: "d-none", name: "pull_request", payload: examplePayload("pull_request", "opened") as any });

    expect(gh.pendingMocks()).toStrictEqual([]);
    expect(ph.pendingMocks()).toStrictEqual([]);
  });

  it("posts nothing for a PR that only deletes the call of a flag PostHog no longer has", async () => {
    const probot = await setup();
    const gh = nockAppAuth();
    nockConfig(gh, null);
    nockCheckRun(gh);
    nockDiff(
      gh,
      DIFF.replace("@@ -1,3 +1,4 @@", "@@ -1,4 +1,3 @@").replace(
        '+const variant = posthog.getFeatureFlag("new-checkout");',
        '-const sale = posthog.getFeatureFlag("summer-sale-2025");',
      ),
    );
    gh.get(comments).query({ per_page: "100" }).reply(200, []); // looked up, but no POST
    const ph = nockFlags(nock(POSTHOG), project);

    await probot.receive({ id: "d-gone", name: "pull_request", payload: examplePayload("pull_request", "opened") as any });

    expect(gh.pendingMocks()).toStrictEqual([]);
    expect(ph.pendingMocks()).toStrictEqual([]);
  });

  it("updates an existing comment to say the PR no longer references a flag", async () => {
    const probot = await setup();
    const patched = vi.fn((b: any) => b.body.includes("references no PostHog feature flag"));
    const gh = nockAppAuth();
    nockConfig(gh, null);
    nockCheckRun(gh);
    nockDiff(gh, NO_FLAGS_DIFF);
    gh.get(comments)
      .query({ per_page: "100" })
      .reply(200, [{ id: 7, body: `${PR_COMMENT_MARKER}\nold`, user: { login: BOT_LOGIN } }]);
    gh.patch(`/repos/${OWNER}/${REPO}/issues/comments/7`, patched).reply(200, { id: 7 });
    nockFlags(nock(POSTHOG), project);

    await probot.receive({ id: "d-gone", name: "pull_request", payload: examplePayload("pull_request", "synchronize") as any });

    expect(gh.pendingMocks()).toStrictEqual([]);
    expect(patched).toHaveBeenCalledTimes(1);
  });
  it("falls back to the paginated files list when GitHub refuses the diff as too large (406)", async () => {
    const probot = await setup();
    const posted = vi.fn((_body: any) => true);
    const gh = nockAppAuth();
    nockConfig(gh, null);
    nockCheckRun(gh);
    gh.get(`/repos/${OWNER}/${REPO}/pulls/${PR_NUMBER}`)
      .reply(406, { message: "Sorry, the diff exceeded the maximum number of files (300).", errors: [{ resource: "PullRequest", field: "diff", code: "too_large" }] });
    gh.get(`/repos/${OWNER}/${REPO}/pulls/${PR_NUMBER}/files`)
      .query({ per_page: "100" })
      .reply(200, [
        { filename: "src/checkout.ts", status: "modified", changes: 1, patch: '@@ -1,1 +1,2 @@\n import posthog from "posthog-js";\n+posthog.getFeatureFlag("new-checkout");' },
        { filename: "assets/huge.bin", status: "modified", changes: 10 },
      ]);
    gh.get(comments).query({ per_page: "100" }).reply(200, []);
    gh.post(comments, posted).reply(201, { id: 9004 });
    nockAnalysis(project, [101]);

    await probot.receive({ id: "d-406", name: "pull_request", payload: examplePayload("pull_request", "opened") as any });

    expect(gh.pendingMocks()).toStrictEqual([]);
    const body: string = (posted.mock.calls[0] as any)[0].body;
    expect(body).toContain("✅ Promote `test`");
    expect(body).toContain("diff endpoint refused this pull request as too large");
    expect(body).toContain("1 file came without a patch");
  });
});
