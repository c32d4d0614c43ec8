/**
 * `pull_request.closed` (merged) through Probot and nock: a merged PR that changed a running experiment's
 * flag code is recorded in the dashboard issue's code-change store; unmerged PRs, repositories without
 * reports and PRs touching no running experiment's flag write nothing.
 */
import nock from "nock";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createApp } from "../../src/app/index.js";
import { buildProject, DEMO_EXPERIMENTS } from "../../src/demo/project.js";
import { issueMarker } from "../../src/github/issues.js";
import { parseCodeChanges } from "../../src/pipeline/code-changes.js";
import { createPostHogClient } from "../../src/posthog/index.js";
import { BOT_LOGIN, examplePayload, GITHUB, makeProbot, nockAppAuth, nockConfig, OWNER, PR_NUMBER, REPO } from "../support/github.js";
import { API_KEY, nockExperimentList, nockFlags, POSTHOG, PROJECT_ID } from "../support/posthog.js";

const NOW = new Date("2026-11-20T12:00:00Z");
const project = buildProject(NOW, [DEMO_EXPERIMENTS[0]!], [{ id: 301, key: "checkout-copy-tweak" }], PROJECT_ID);
const DIFF = [
  "diff --git a/src/checkout.ts b/src/checkout.ts",
  "--- a/src/checkout.ts",
  "+++ b/src/checkout.ts",
  "@@ -1,2 +1,2 @@",
  '-if (posthog.getFeatureFlag("new-checkout") === "test") renderOld();',
  '+if (posthog.getFeatureFlag("new-checkout") === "test") renderNew();',
  "",
].join("\n");
const REPORTS_ON = "reports:\n  enabled: true\n";

function merged(isMerged = true) {
  const p = examplePayload("pull_request", "closed") as any;
  p.pull_request.merged = isMerged;
  p.pull_request.merged_at = isMerged ? "2026-11-18T10:00:00Z" : null;
  p.pull_request.merge_commit_sha = "5f1c0ffee5f1c0ffee5f1c0ffee5f1c0ffee5f1c";
  return p;
}

async function setup() {
  const probot = makeProbot();
  await probot.load(createApp({ posthog: createPostHogClient({ host: POSTHOG, projectId: PROJECT_ID, apiKey: API_KEY, retry: { limit: 0 } }), now: () => NOW, env: {} }));
  return probot;
}
const nockDiff = (gh: nock.Scope, diff = DIFF) => gh.get(`/repos/${OWNER}/${REPO}/pulls/${PR_NUMBER}`).matchHeader("accept", /diff/).reply(200, diff);
const nockIssues = (gh: nock.Scope, issues: unknown[]) =>
  gh.get(`/repos/${OWNER}/${REPO}/issues`).query({ creator: BOT_LOGIN, labels: "experiment-hygiene", state: "all", per_page: "100" }).reply(200, issues);

beforeEach(() => nock.disableNetConnect());
afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

describe("pull_request.closed", () => {
  it("records a merged change to a running experiment's flag code in a new dashboard issue", async () => {
    const probot = await setup();
    const created = vi.fn((_b: any) => true);
    const gh = nockAppAuth();
    nockConfig(gh, REPORTS_ON);
    nockDiff(gh);
    nockIssues(gh, []);
    gh.post(`/repos/${OWNER}/${REPO}/issues`, created).reply(201, { number: 50 });
    const ph = nockFlags(nock(POSTHOG), project);
    nockExperimentList(ph, project);

    await probot.receive({ id: "d-merged", name: "pull_request", payload: merged() });

    expect(gh.pendingMocks()).toStrictEqual([]);
    expect(ph.pendingMocks()).toStrictEqual([]);
    const body = (created.mock.calls[0]![0] as any).body as string;
    expect((created.mock.calls[0]![0] as any).title).toBe("Experiment hygiene dashboard");
    expect(parseCodeChanges(body)).toEqual(
      new Map([[101, [{ pr: PR_NUMBER, merged_at: "2026-11-18T10:00:00Z", flag_key: "new-checkout", sha: "5f1c0ffee5f1c0ffee5f1c0ffee5f1c0ffee5f1c" }]]]),
    );
  });

  it("adds to an existing dashboard and does not write again on a redelivery", async () => {
    const probot = await setup();
    let stored = `${issueMarker("dashboard")}\nNo lifecycle findings.\n\n<!-- experiment-hygiene:state {} -->\n`;
    const dashboard = () => ({ number: 7, title: "Experiment hygiene dashboard", body: stored, state: "open", user: { login: BOT_LOGIN }, created_at: "2026-11-01T00:00:00Z", closed_at: null, labels: [{ name: "experiment-hygiene" }] });
    const patched = vi.fn((b: any) => ((stored = b.body), true));
    const gh = nockAppAuth();
    for (let i = 0; i < 2; i++) {
      nockConfig(gh, REPORTS_ON);
      nockDiff(gh);
      gh.get(`/repos/${OWNER}/${REPO}/issues`).query(true).reply(200, () => [dashboard()]);
      const ph = nockFlags(nock(POSTHOG), project);
      nockExperimentList(ph, project);
    }
    gh.patch(`/repos/${OWNER}/${REPO}/issues/7`, patched).reply(200, { number: 7 });

    await probot.receive({ id: "d-m1", name: "pull_request", payload: merged() });
    await probot.receive({ id: "d-m1", name: "pull_request", payload: merged() });

    expect(gh.pendingMocks()).toStrictEqual([]);
    expect(patched).toHaveBeenCalledTimes(1);
    expect(stored).toContain("No lifecycle findings.");
    expect([...parseCodeChanges(stored).keys()]).toEqual([101]);
  });

  it("writes nothing for a closed, unmerged PR, or without reports.enabled", async () => {
    const probot = await setup();
    const gh = nockAppAuth(nock(GITHUB), { slug: false });
    nockConfig(gh, null); // reports off by default: nothing after the config

    await probot.receive({ id: "d-unmerged", name: "pull_request", payload: merged(false) });
    await probot.receive({ id: "d-no-reports", name: "pull_request", payload: merged() });

    expect(gh.pendingMocks()).toStrictEqual([]);
  });

  it("writes nothing when the PR touches no running experiment's flag", async () => {
    const probot = await setup();
    const gh = nockAppAuth(nock(GITHUB), { slug: false });
    nockConfig(gh, REPORTS_ON);
    nockDiff(gh, DIFF.replaceAll("new-checkout", "checkout-copy-tweak"));
    const ph = nockFlags(nock(POSTHOG), project);
    nockExperimentList(ph, project);

    await probot.receive({ id: "d-other", name: "pull_request", payload: merged() });

    expect(gh.pendingMocks()).toStrictEqual([]);
    expect(ph.pendingMocks()).toStrictEqual([]);
  });
});
