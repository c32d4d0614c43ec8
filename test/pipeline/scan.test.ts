/**
 * One scheduled scan of one repository end to end with nock: config, tarball scope, PostHog loading,
 * issue creation; a repeated scan writes nothing; reports disabled costs no PostHog call.
 */
import nock from "nock";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { tokenOctokit } from "../../src/cli/scan.js";
import { buildProject, DEMO_EXPERIMENTS } from "../../src/demo/project.js";
import { runScan, type ScanTarget } from "../../src/pipeline/scan.js";
import { createPostHogClient } from "../../src/posthog/index.js";
import { makeTarGz } from "../support/tarball.js";
import {
  API_KEY,
  POSTHOG,
  PROJECT_ID,
  nockArchivedFlags,
  nockExperiment,
  nockExposures,
  nockExperimentList,
  nockFlags,
  nockMetric,
} from "../support/posthog.js";

const NOW = new Date("2026-11-20T12:00:00Z");
const GH = "https://api.github.com";
const OWNER = "acme";
const REPO = "shop";
const BOT = "experiment-hygiene[bot]";
// 101 (healthy), 103 (SRM: 5,300 vs 4,700 at 50/50).
const project = buildProject(NOW, [DEMO_EXPERIMENTS[0]!, DEMO_EXPERIMENTS[2]!], [], PROJECT_ID);
const configPath = `/repos/${OWNER}/${REPO}/contents/.github%2Fexperiment-hygiene.yml`;
const issuesPath = `/repos/${OWNER}/${REPO}/issues`;
const listQuery = { creator: BOT, labels: "experiment-hygiene", state: "all", per_page: "100" };

function target(): ScanTarget {
  return { octokit: tokenOctokit({ GITHUB_TOKEN: "ghs_test" }) as unknown as ScanTarget["octokit"], repo: { owner: OWNER, repo: REPO } };
}

function posthog() {
  return createPostHogClient({ host: POSTHOG, projectId: PROJECT_ID, apiKey: API_KEY, retry: { limit: 0 } });
}

function nockProject(): nock.Scope {
  const scope = nock(POSTHOG);
  nockFlags(scope, project);
  nockArchivedFlags(scope, project);
  nockExperimentList(scope, project);
  for (const id of [101, 103]) {
    nockExperiment(scope, project, id);
    nockExposures(scope, project, id);
    const uuid = (project.experiments.find((e) => e["id"] === id)!["metrics"] as { uuid: string }[])[0]!.uuid;
    nockMetric(scope, project, id, uuid);
  }
  for (const flagId of [201, 203]) {
    scope.get(`/api/projects/${PROJECT_ID}/feature_flags/${flagId}/activity/`).query(true).reply(200, { results: [], next: null });
  }
  return scope;
}

async function nockRepository(scope: nock.Scope): Promise<void> {
  const tarball = await makeTarGz("acme-shop-abc1234", {
    "web/Onboarding.tsx": 'const on = useFeatureFlagEnabled("onboarding-checklist");\n',
    "README.md": "nothing here\n",
  });
  scope
    .get(configPath)
    .reply(200, "reports:\n  enabled: true\n  scope: referenced\n")
    .get(`/repos/${OWNER}/${REPO}`)
    .reply(200, { default_branch: "main", full_name: `${OWNER}/${REPO}` })
    .get(`/repos/${OWNER}/${REPO}/tarball/main`)
    .reply(200, tarball, { "content-type": "application/x-gzip" });
}

beforeEach(() => nock.disableNetConnect());
afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

describe("runScan", () => {
  it("opens one issue for the SRM of the referenced experiment and nothing for the unreferenced one", async () => {
    const gh = nock(GH);
    await nockRepository(gh);
    const created = vi.fn((_b: any) => true);
    let stored: any[] = [];
    gh.get(issuesPath).query(listQuery).times(2).reply(200, () => stored); // before planning, re-list after create
    gh.post(issuesPath, created).reply(201, (_u, body: any) => {
      const issue = { number: 11, state: "open", title: body.title, body: body.body, user: { login: BOT }, labels: body.labels, created_at: NOW.toISOString(), closed_at: null };
      stored = [issue];
      return issue;
    });
    const ph = nockProject();

    const result = await runScan([target()], { posthog: posthog(), now: NOW, botLogin: BOT });

    expect(ph.pendingMocks()).toStrictEqual([]);
    expect(gh.pendingMocks()).toStrictEqual([]);
    const repo = result.repositories[0]!;
    expect(repo.error).toBeNull();
    expect(repo.findings.map((f) => [f.experimentId, f.kind])).toEqual([[103, "srm"]]);
    expect(repo.actions.map((a) => [a.action, a.dedupeKey])).toEqual([["create", "experiment:103:srm"]]);
    const body = (created.mock.calls[0]![0] as any);
    expect(body.labels).toEqual(["experiment-hygiene", "srm"]);
    expect(body.body).toContain("<!-- experiment-hygiene:issue:experiment:103:srm -->");
    expect(body.body).toContain("xychart-beta");
  });

  it("writes nothing when a second scan finds the same problem", async () => {
    const gh = nock(GH);
    await nockRepository(gh);
    const first = nock(GH);
    let stored: any[] = [];
    first.get(issuesPath).query(listQuery).times(2).reply(200, () => stored);
    first.post(issuesPath).reply(201, (_u, body: any) => {
      stored = [{ number: 11, state: "open", title: body.title, body: body.body, user: { login: BOT }, created_at: NOW.toISOString(), closed_at: null }];
      return stored[0];
    });
    nockProject();
    await runScan([target()], { posthog: posthog(), now: NOW, botLogin: BOT });

    const again = nock(GH);
    await nockRepository(again);
    again.get(issuesPath).query(listQuery).reply(200, () => stored); // listed once: nothing created
    nockProject();
    const result = await runScan([target()], { posthog: posthog(), now: NOW, botLogin: BOT });

    expect(again.pendingMocks()).toStrictEqual([]);
    expect(result.repositories[0]!.actions.map((a) => a.action)).toEqual(["unchanged"]);
  });

  it("costs no PostHog call when the repository has not enabled reports", async () => {
    const gh = nock(GH)
      .get(configPath)
      .reply(404, { message: "Not Found" })
      .get(`/repos/${OWNER}/.github/contents/.github%2Fexperiment-hygiene.yml`)
      .reply(404, { message: "Not Found" });
    const result = await runScan([target()], { posthog: posthog(), now: NOW, botLogin: BOT });
    expect(gh.pendingMocks()).toStrictEqual([]);
    expect(result.posthogRequests).toBe(0);
    expect(result.repositories[0]!.skipped).toMatch(/not enabled/);
  });
});
