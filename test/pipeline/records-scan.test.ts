/**
 * Decision records and holdout checkpoints through `runScan` with nock: a concluded experiment gets exactly
 * one decision-record pull request (every Git data API request body asserted), re-scans write nothing, a
 * 403 falls back to the dashboard, `records.mode: dashboard` writes no pull request, and the holdout
 * checkpoints at 30, 60 and 90 days each fire once and say holds / decays / grows.
 *
 * PostHog shapes: the demo project's recorded shapes (posthog-api.md §3–4) with a shipped split (0/100, as
 * `ship_variant` leaves it), a holdout (`holdout: {id, name, filters: [{…, variant: "holdout-7"}]}`) and, in
 * the `ExperimentQuery` result, the holdout's own arm `holdout-7` — the arm PostHog adds for an experiment
 * with a holdout. No recorded response with a holdout arm was available; this one follows the arm shape
 * of the recorded results (`variant_results[]` with `key`, counts, `validation_failures`).
 */
import nock from "nock";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { tokenOctokit } from "../../src/cli/scan.js";
import { buildProject, type DemoExperiment } from "../../src/demo/project.js";
import type { FakeProject } from "../../src/demo/fake-posthog.js";
import { runScan, type ScanTarget } from "../../src/pipeline/scan.js";
import { createPostHogClient } from "../../src/posthog/index.js";
import { parseDecisionRecord, parseRecordIndex, parseRecordStore } from "../../src/render/decision-record.js";
import { API_KEY, POSTHOG, PROJECT_ID, nockArchivedFlags, nockExperiment, nockExperimentList, nockExposures, nockFlags } from "../support/posthog.js";

const GH = "https://api.github.com";
const OWNER = "acme";
const REPO = "shop";
const BOT = "experiment-hygiene[bot]";
const DAY = 86_400_000;
const SHIPPED_AT = new Date("2026-10-01T12:00:00Z");
const configPath = `/repos/${OWNER}/${REPO}/contents/.github%2Fexperiment-hygiene.yml`;
const issuesPath = `/repos/${OWNER}/${REPO}/issues`;
const listQuery = { creator: BOT, labels: "experiment-hygiene", state: "all", per_page: "100" };
const base = `/api/projects/${PROJECT_ID}`;

const SPEC: DemoExperiment = {
  id: 130,
  name: "One-page checkout <b>",
  description: "Hypothesis: a **single** checkout page raises purchases. Ask @dana. <img src=x>",
  flagId: 230,
  flagKey: "one-page-checkout",
  method: "frequentist",
  startDaysAgo: 21,
  endDaysAgo: 0,
  conclusion: "won",
  arms: [
    { key: "control", split: 50, exposures: 20_000, values: { "m-buy": { rate: 0.1 } } },
    { key: "test", split: 50, exposures: 20_000, values: { "m-buy": { rate: 0.12 } } },
  ],
  primary: { uuid: "m-buy", name: "Purchase conversion", type: "funnel", event: "purchase_completed" },
};

/** The project at `now`, the experiment shipped (test at 100 %) at SHIPPED_AT, optionally with a 10 % holdout. */
function shippedProject(now: Date, opts: { holdout?: boolean } = {}): FakeProject {
  const days = (now.getTime() - SHIPPED_AT.getTime()) / DAY;
  const project = buildProject(now, [{ ...SPEC, startDaysAgo: days + 21, endDaysAgo: days }], [], PROJECT_ID);
  const detail = project.experiments[0]!;
  const shipped = [
    { key: "control", name: null, rollout_percentage: 0 },
    { key: "test", name: null, rollout_percentage: 100 },
  ];
  (detail["feature_flag"] as any).filters.multivariate.variants = shipped;
  (project.flags[0] as any).filters.multivariate.variants = shipped;
  detail["parameters"] = { ...(detail["parameters"] as object), feature_flag_variants: shipped.map((v) => ({ ...v, split_percent: v.rollout_percentage })) };
  detail["conclusion_comment"] = "Clear win; shipping. @everyone <script>";
  if (opts.holdout) {
    detail["holdout"] = {
      id: 7,
      name: "Q4 holdout",
      description: "",
      filters: [{ properties: [], rollout_percentage: 10, variant: "holdout-7" }],
      created_by: { id: 1, email: "dana@example.com" },
      created_at: "2026-08-01T00:00:00Z",
      updated_at: "2026-08-01T00:00:00Z",
    };
    detail["holdout_id"] = 7;
  }
  return project;
}

function funnelArm(key: string, n: number, rate: number) {
  const sum = Math.round(n * rate);
  return { key, number_of_samples: n, sum, sum_squares: sum, validation_failures: [] };
}

/** The primary metric's `ExperimentQuery` response; `holdout` adds the `holdout-7` arm with `test` at `testRate`. */
function metricResponse(project: FakeProject, holdout: { testRate: number } | null): nock.Body {
  const recorded = project.metrics["130:m-buy"] as Record<string, any>;
  if (!holdout) return recorded;
  return {
    ...recorded,
    baseline: funnelArm("control", 100_000, 0.1),
    variant_results: [
      { ...funnelArm("test", 100_000, holdout.testRate), method: "frequentist" },
      { ...funnelArm("holdout-7", 100_000, 0.1), method: "frequentist" },
    ],
  };
}

function nockPosthog(project: FakeProject, opts: { record: boolean; checkpoint?: { testRate: number } }): nock.Scope {
  const scope = nock(POSTHOG);
  nockFlags(scope, project);
  nockArchivedFlags(scope, project);
  nockExperimentList(scope, project);
  if (opts.record) {
    nockExperiment(scope, project, 130);
    nockExposures(scope, project, 130);
    scope
      .post(`${base}/query/`, (b) => b?.query?.kind === "ExperimentQuery" && b.query.experiment_id === 130)
      .reply(200, metricResponse(project, opts.checkpoint ? { testRate: 0.12 } : null));
  }
  if (opts.checkpoint) {
    nockExperiment(scope, project, 130);
    scope
      .post(`${base}/query/`, (b) => b?.query?.kind === "ExperimentQuery" && b.query.experiment_id === 130)
      .reply(200, metricResponse(project, opts.checkpoint));
  }
  return scope;
}

function target(): ScanTarget {
  return { octokit: tokenOctokit({ GITHUB_TOKEN: "ghs_test" }) as unknown as ScanTarget["octokit"], repo: { owner: OWNER, repo: REPO } };
}

function posthog() {
  return createPostHogClient({ host: POSTHOG, projectId: PROJECT_ID, apiKey: API_KEY, retry: { limit: 0 } });
}

/** A GitHub issue store: listing returns what was created or updated. */
function issueStore(scope: nock.Scope, now: Date) {
  const issues: any[] = [];
  scope.get(issuesPath).query(listQuery).times(3).optionally().reply(200, () => issues);
  scope
    .post(issuesPath)
    .optionally()
    .reply(201, (_u, body: any) => {
      const issue = { number: 50 + issues.length, state: "open", title: body.title, body: body.body, user: { login: BOT }, labels: body.labels, created_at: now.toISOString(), closed_at: null };
      issues.push(issue);
      return issue;
    });
  return issues;
}

beforeEach(() => nock.disableNetConnect());
afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

describe("decision records through the scan", () => {
  it("opens exactly one decision-record pull request for a concluded experiment, and re-scans write nothing", async () => {
    const now = new Date(SHIPPED_AT.getTime() + 2 * DAY);
    const project = shippedProject(now);
    const gh = nock(GH);
    gh.get(configPath).reply(200, "reports:\n  enabled: true\n  scope: all\n");
    const issues = issueStore(gh, now);
    const calls: Record<string, any[]> = { blobs: [], trees: [], commits: [], refs: [], pulls: [] };
    const record = (name: string) => (body: any) => (calls[name]!.push(body), true);
    gh.get(`/repos/${OWNER}/${REPO}/pulls`).query({ head: `${OWNER}:experiment-hygiene/record-130`, state: "all", per_page: "10" }).reply(200, []);
    gh.get(`/repos/${OWNER}/${REPO}`).reply(200, { default_branch: "main", full_name: `${OWNER}/${REPO}` });
    gh.get(`/repos/${OWNER}/${REPO}/contents/docs%2Fexperiments`).query({ ref: "main" }).reply(404, { message: "Not Found" });
    gh.get(`/repos/${OWNER}/${REPO}/contents/docs%2Fexperiments%2FREADME.md`).query({ ref: "main" }).reply(404, { message: "Not Found" });
    gh.get(`/repos/${OWNER}/${REPO}/git/ref/heads%2Fmain`).reply(200, { ref: "refs/heads/main", object: { sha: "aaa111", type: "commit" } });
    gh.get(`/repos/${OWNER}/${REPO}/git/commits/aaa111`).reply(200, { sha: "aaa111", tree: { sha: "tree000" } });
    gh.post(`/repos/${OWNER}/${REPO}/git/blobs`, record("blobs")).reply(201, { sha: "blob1" });
    gh.post(`/repos/${OWNER}/${REPO}/git/blobs`, record("blobs")).reply(201, { sha: "blob2" });
    gh.post(`/repos/${OWNER}/${REPO}/git/trees`, record("trees")).reply(201, { sha: "tree111" });
    gh.post(`/repos/${OWNER}/${REPO}/git/commits`, record("commits")).reply(201, { sha: "ccc222" });
    gh.post(`/repos/${OWNER}/${REPO}/git/refs`, record("refs")).reply(201, { ref: "refs/heads/experiment-hygiene/record-130" });
    gh.post(`/repos/${OWNER}/${REPO}/pulls`, record("pulls")).reply(201, { number: 77 });
    const ph = nockPosthog(project, { record: true });

    const result = await runScan([target()], { posthog: posthog(), now, botLogin: BOT });

    expect(result.repositories[0]!.error).toBeNull();
    expect(ph.pendingMocks()).toStrictEqual([]);
    expect(result.repositories[0]!.records?.records).toEqual([{ experimentId: 130, outcome: { kind: "pull_request", pullRequest: 77 } }]);
    const path = "docs/experiments/130-one-page-checkout-b.md";
    expect(calls["blobs"]!.map((b) => b.encoding)).toEqual(["utf-8", "utf-8"]);
    const recordText = calls["blobs"]![0].content as string;
    const indexText = calls["blobs"]![1].content as string;
    expect(calls["trees"]).toEqual([
      {
        base_tree: "tree000",
        tree: [
          { path, mode: "100644", type: "blob", sha: "blob1" },
          { path: "docs/experiments/README.md", mode: "100644", type: "blob", sha: "blob2" },
        ],
      },
    ]);
    expect(calls["commits"]).toEqual([{ message: "Decision record: experiment 130", tree: "tree111", parents: ["aaa111"] }]);
    expect(calls["refs"]).toEqual([{ ref: "refs/heads/experiment-hygiene/record-130", sha: "ccc222" }]);
    expect(calls["pulls"]).toHaveLength(1);
    expect(calls["pulls"]![0]).toMatchObject({
      title: "Decision record: One-page checkout <b> (experiment 130)",
      head: "experiment-hygiene/record-130",
      base: "main",
      maintainer_can_modify: true,
    });
    expect(calls["pulls"]![0].body).toContain("One-page checkout &lt;b&gt;");
    // The record: escaped PostHog text, who decided, exposures, the result with its interval and method.
    expect(recordText).toContain("# Decision record: One-page checkout &lt;b&gt;");
    expect(recordText).toContain("Hypothesis: a \\*\\*single\\*\\* checkout page raises purchases. Ask @\u200Bdana. &lt;img src=x&gt;");
    expect(recordText).not.toContain("<img");
    expect(recordText).not.toContain("<script>");
    expect(recordText).toContain("a conclusion set in PostHog (`won`), noticed by a scheduled scan: “Clear win; shipping. @\u200Beveryone &lt;script&gt;”");
    expect(recordText).toContain("| `control` | 20,000 |");
    expect(recordText).toMatch(/\| Purchase conversion \| primary \| `test` \| \+20\.0% \| \[\+\d+\.\d%, \+\d+\.\d%\] \| p = [^|]+ \| always-valid \(sequential\) \| better \|/);
    expect(recordText).toContain("**Ship `test`** · PostHog conclusion `won`");
    expect(parseDecisionRecord(recordText)?.experimentId).toBe(130);
    expect(parseRecordIndex(indexText)).toEqual([
      { experimentId: 130, name: "One-page checkout <b>", file: "130-one-page-checkout-b.md", decision: "ship test", at: project.experiments[0]!["end_date"] },
    ]);
    // The dashboard keeps the memory: the record lives in #77.
    expect(issues).toHaveLength(1);
    expect(parseRecordStore(issues[0].body).get(130)?.pullRequest).toBe(77);
    expect(issues[0].body).toContain("record in #77");
    expect(gh.pendingMocks().filter((m) => !m.includes("/issues"))).toStrictEqual([]);

    // Re-scan: the dashboard's store lists the record, so nothing is looked up or written.
    const again = nock(GH);
    again.get(configPath).reply(200, "reports:\n  enabled: true\n  scope: all\n");
    again.get(issuesPath).query(listQuery).reply(200, () => issues);
    const writes = vi.fn(() => true);
    again.post(/.*/, writes).optionally().reply(500);
    again.patch(/.*/, writes).optionally().reply(500);
    nockPosthog(project, { record: false });
    const second = await runScan([target()], { posthog: posthog(), now: new Date(now.getTime() + DAY), botLogin: BOT });
    expect(second.repositories[0]!.error).toBeNull();
    expect(second.repositories[0]!.records?.records).toEqual([]);
    expect(second.repositories[0]!.actions.map((a) => a.action)).toEqual(["unchanged"]);
    expect(writes).not.toHaveBeenCalled();
  });

  it("finds a record pull request opened earlier (e.g. by /experiment) and opens no second one", async () => {
    const now = new Date(SHIPPED_AT.getTime() + 2 * DAY);
    const project = shippedProject(now);
    const gh = nock(GH);
    gh.get(configPath).reply(200, "reports:\n  enabled: true\n  scope: all\n");
    const issues = issueStore(gh, now);
    gh.get(`/repos/${OWNER}/${REPO}/pulls`)
      .query({ head: `${OWNER}:experiment-hygiene/record-130`, state: "all", per_page: "10" })
      .reply(200, [{ number: 60, state: "open", merged_at: null, head: { sha: "abc", ref: "experiment-hygiene/record-130" } }]);
    // The branch's file is not readable (renamed by a person): the store is filled from PostHog's data.
    gh.get(`/repos/${OWNER}/${REPO}/contents/docs%2Fexperiments%2F130-one-page-checkout-b.md`).query({ ref: "abc" }).reply(404, { message: "Not Found" });
    const writes = vi.fn(() => true);
    gh.post(/git|pulls/, writes).optionally().reply(500);
    const ph = nockPosthog(project, { record: true });
    const result = await runScan([target()], { posthog: posthog(), now, botLogin: BOT });
    expect(result.repositories[0]!.error).toBeNull();
    expect(ph.pendingMocks()).toStrictEqual([]);
    expect(result.repositories[0]!.records?.records).toEqual([{ experimentId: 130, outcome: { kind: "exists", pullRequest: 60 } }]);
    expect(writes).not.toHaveBeenCalled();
    expect(parseRecordStore(issues[0].body).get(130)?.pullRequest).toBe(60);
  });

  it("keeps the record on the dashboard with a clear note when GitHub refuses the pull request (403)", async () => {
    const now = new Date(SHIPPED_AT.getTime() + 2 * DAY);
    const project = shippedProject(now);
    const gh = nock(GH);
    gh.get(configPath).reply(200, "reports:\n  enabled: true\n  scope: all\n");
    const issues = issueStore(gh, now);
    gh.get(`/repos/${OWNER}/${REPO}/pulls`).query(true).reply(200, []);
    gh.get(`/repos/${OWNER}/${REPO}`).reply(200, { default_branch: "main" });
    gh.get(`/repos/${OWNER}/${REPO}/contents/docs%2Fexperiments`).query(true).reply(404, { message: "Not Found" });
    gh.get(`/repos/${OWNER}/${REPO}/contents/docs%2Fexperiments%2FREADME.md`).query(true).reply(404, { message: "Not Found" });
    gh.get(`/repos/${OWNER}/${REPO}/git/ref/heads%2Fmain`).reply(200, { object: { sha: "aaa111" } });
    gh.get(`/repos/${OWNER}/${REPO}/git/commits/aaa111`).reply(200, { sha: "aaa111", tree: { sha: "tree000" } });
    gh.post(`/repos/${OWNER}/${REPO}/git/blobs`).reply(403, { message: "Resource not accessible by integration" });
    nockPosthog(project, { record: true });
    const result = await runScan([target()], { posthog: posthog(), now, botLogin: BOT });
    expect(result.repositories[0]!.error).toBeNull();
    expect(result.repositories[0]!.records?.records[0]!.outcome).toMatchObject({ kind: "dashboard" });
    const body = issues[0].body as string;
    expect(body).toContain("GitHub refused the pull request (403): grant the app contents: write and pull\\_requests: write");
    expect(body).toContain("<details><summary>Decision record</summary>");
    expect(body).toContain("#### Decision record: One-page checkout &lt;b&gt;");
  });

  it("records.mode: dashboard writes the record to the dashboard and opens no pull request", async () => {
    const now = new Date(SHIPPED_AT.getTime() + 2 * DAY);
    const project = shippedProject(now);
    const gh = nock(GH);
    gh.get(configPath).reply(200, "reports:\n  enabled: true\n  scope: all\nrecords:\n  mode: dashboard\n");
    const issues = issueStore(gh, now);
    const other = vi.fn(() => true);
    gh.get(/pulls|contents\/docs|git/).optionally().reply(500);
    gh.post(/git|pulls/, other).optionally().reply(500);
    nockPosthog(project, { record: true });
    const result = await runScan([target()], { posthog: posthog(), now, botLogin: BOT });
    expect(result.repositories[0]!.error).toBeNull();
    expect(result.repositories[0]!.records?.records).toEqual([{ experimentId: 130, outcome: { kind: "dashboard", note: null } }]);
    expect(other).not.toHaveBeenCalled();
    const store = parseRecordStore(issues[0].body);
    expect(store.get(130)).toMatchObject({ pullRequest: null, note: null });
    expect(issues[0].body).toContain("| Decided by | a conclusion set in PostHog (`won`)");
  });
});

/**
 * The repository side of a scan with the dashboard issue: the config file (`config`), the bot's issue list
 * (read up to twice, answering `get()`), and the optional creation (as #50, created `now`) and update of
 * the dashboard issue, each handing the new list to `set`.
 */
function nockDashboardRepo(config: string, now: Date, get: () => any[], set: (issues: any[]) => void): nock.Scope {
  const gh = nock(GH);
  gh.get(configPath).reply(200, config);
  gh.get(issuesPath).query(listQuery).times(2).optionally().reply(200, () => get());
  gh.post(issuesPath).optionally().reply(201, (_u, body: any) => {
    set([{ number: 50, state: "open", title: body.title, body: body.body, user: { login: BOT }, created_at: now.toISOString(), closed_at: null }]);
    return get()[0];
  });
  gh.patch(`${issuesPath}/50`).optionally().reply(200, (_u, body: any) => {
    set([{ ...get()[0], title: body.title, body: body.body }]);
    return get()[0];
  });
  return gh;
}

describe("holdout checkpoints through the scan", () => {
  it("fire once each at 30, 60 and 90 days and say holds, decays, grows", async () => {
    const config = "reports:\n  enabled: true\n  scope: all\nrecords:\n  mode: dashboard\n";
    let issues: any[] = [];
    const scanAt = async (daysAfterShip: number, opts: { record: boolean; checkpoint?: { testRate: number } }) => {
      const now = new Date(SHIPPED_AT.getTime() + daysAfterShip * DAY);
      const project = shippedProject(now, { holdout: true });
      const gh = nockDashboardRepo(config, now, () => issues, (next) => (issues = next));
      const ph = nockPosthog(project, opts);
      const result = await runScan([target()], { posthog: posthog(), now, botLogin: BOT });
      expect(ph.pendingMocks()).toStrictEqual([]);
      expect(result.repositories[0]!.error).toBeNull();
      return result.repositories[0]!.records!;
    };

    // Day 2: the record (lift at conclusion +20 %); no checkpoint due yet.
    expect((await scanAt(2, { record: true })).checkpoints).toEqual([]);
    const recorded = parseRecordStore(issues[0].body).get(130)!.summary;
    expect(recorded.shippedLift).toBeCloseTo(0.2, 10);
    expect(recorded.holdout).toEqual({ id: 7, name: "Q4 holdout", rolloutPercentage: 10 });
    // Day 31: test 12 % vs holdout 10 % → +20 %, the interval contains +20 %: holds.
    expect((await scanAt(31, { record: false, checkpoint: { testRate: 0.12 } })).checkpoints).toEqual([{ experimentId: 130, days: 30, verdict: "holds" }]);
    // Day 45: nothing due, no PostHog query for the checkpoint.
    expect((await scanAt(45, { record: false })).checkpoints).toEqual([]);
    // Day 61: +8 %, the interval lies below +20 %: decays.
    expect((await scanAt(61, { record: false, checkpoint: { testRate: 0.108 } })).checkpoints).toEqual([{ experimentId: 130, days: 60, verdict: "decays" }]);
    // Day 91: +50 %: grows.
    expect((await scanAt(91, { record: false, checkpoint: { testRate: 0.15 } })).checkpoints).toEqual([{ experimentId: 130, days: 90, verdict: "grows" }]);
    // Day 120: every checkpoint fired once; nothing more.
    expect((await scanAt(120, { record: false })).checkpoints).toEqual([]);

    const final = parseRecordStore(issues[0].body).get(130)!.summary;
    expect(final.checkpoints.map((c) => [c.days, c.verdict])).toEqual([
      [30, "holds"],
      [60, "decays"],
      [90, "grows"],
    ]);
    const decays = final.checkpoints[1]!;
    expect(decays.lift).toBeCloseTo(0.08, 10);
    expect(decays.interval![1]).toBeLessThan(0.2);
    expect(decays.interval![0]).toBeGreaterThan(0);
    expect(issues[0].body).toContain("**Day 60** (2026-12-01): **decays** — shipped vs holdout +8.0%, always-valid interval");
  });
});

describe("holdout checkpoints on the record's pull request", () => {
  it("commit to the open record branch, then comment once on the merged pull request", async () => {
    const config = "reports:\n  enabled: true\n  scope: all\n";
    const branchRef = "heads%2Fexperiment-hygiene%2Frecord-130";
    const path = "docs/experiments/130-one-page-checkout-b.md";
    let issues: any[] = [];
    const github = (now: Date) => nockDashboardRepo(config, now, () => issues, (next) => (issues = next));
    const scanAt = async (days: number, setup: (gh: nock.Scope) => void, ph: { record: boolean; checkpoint?: { testRate: number } }) => {
      const now = new Date(SHIPPED_AT.getTime() + days * DAY);
      const gh = github(now);
      setup(gh);
      const posthogScope = nockPosthog(shippedProject(now, { holdout: true }), ph);
      const result = await runScan([target()], { posthog: posthog(), now, botLogin: BOT });
      expect(result.repositories[0]!.error).toBeNull();
      expect(posthogScope.pendingMocks()).toStrictEqual([]);
      expect(gh.pendingMocks().filter((m) => !m.includes("/issues"))).toStrictEqual([]);
      return result.repositories[0]!.records!;
    };

    // Day 2: a record pull request #77 exists already (opened by /experiment); the scan adopts it.
    await scanAt(
      2,
      (gh) => {
        gh.get(`/repos/${OWNER}/${REPO}/pulls`).query(true).reply(200, [{ number: 77, state: "open", merged_at: null, head: { sha: "head1", ref: "experiment-hygiene/record-130" } }]);
        gh.get(`/repos/${OWNER}/${REPO}/contents/docs%2Fexperiments%2F130-one-page-checkout-b.md`).query({ ref: "head1" }).reply(404, { message: "Not Found" });
      },
      { record: true },
    );
    expect(parseRecordStore(issues[0].body).get(130)?.pullRequest).toBe(77);

    // Day 31, pull request still open: a follow-up commit to the same file on its branch.
    const blobs: any[] = [];
    const trees: any[] = [];
    const commits: any[] = [];
    const moved: any[] = [];
    const day31 = await scanAt(
      31,
      (gh) => {
        gh.get(`/repos/${OWNER}/${REPO}/pulls/77`).reply(200, { number: 77, state: "open", merged_at: null, head: { sha: "head1", ref: "experiment-hygiene/record-130" } });
        gh.get(`/repos/${OWNER}/${REPO}/git/ref/${branchRef}`).reply(200, { object: { sha: "head1" } });
        gh.get(`/repos/${OWNER}/${REPO}/git/commits/head1`).reply(200, { sha: "head1", tree: { sha: "treeH" } });
        gh.post(`/repos/${OWNER}/${REPO}/git/blobs`, (b) => (blobs.push(b), true)).reply(201, { sha: "blobC" });
        gh.post(`/repos/${OWNER}/${REPO}/git/trees`, (b) => (trees.push(b), true)).reply(201, { sha: "treeC" });
        gh.post(`/repos/${OWNER}/${REPO}/git/commits`, (b) => (commits.push(b), true)).reply(201, { sha: "head2" });
        gh.patch(`/repos/${OWNER}/${REPO}/git/refs/${branchRef}`, (b) => (moved.push(b), true)).reply(200, {});
      },
      { record: false, checkpoint: { testRate: 0.12 } },
    );
    expect(day31.checkpoints).toEqual([{ experimentId: 130, days: 30, verdict: "holds" }]);
    expect(trees).toEqual([{ base_tree: "treeH", tree: [{ path, mode: "100644", type: "blob", sha: "blobC" }] }]);
    expect(commits).toEqual([{ message: "Decision record: holdout checkpoint day 30 for experiment 130", tree: "treeC", parents: ["head1"] }]);
    expect(moved).toEqual([{ sha: "head2", force: false }]);
    expect(blobs[0].content).toContain("- **Day 30** (2026-11-01): **holds** — shipped vs holdout +20.0%");
    expect(parseDecisionRecord(blobs[0].content)?.checkpoints.map((c) => c.days)).toEqual([30]);

    // Day 61, pull request merged: one comment on it with the checkpoint.
    const comments: any[] = [];
    const day61 = await scanAt(
      61,
      (gh) => {
        gh.get(`/repos/${OWNER}/${REPO}/pulls/77`).reply(200, { number: 77, state: "closed", merged_at: "2026-10-05T00:00:00Z", head: { sha: "head2", ref: "experiment-hygiene/record-130" } });
        gh.get(`/repos/${OWNER}/${REPO}/issues/77/comments`).query({ per_page: "100" }).reply(200, []);
        gh.post(`/repos/${OWNER}/${REPO}/issues/77/comments`, (b) => (comments.push(b), true)).reply(201, { id: 1 });
      },
      { record: false, checkpoint: { testRate: 0.108 } },
    );
    expect(day61.checkpoints).toEqual([{ experimentId: 130, days: 60, verdict: "decays" }]);
    expect(comments).toHaveLength(1);
    expect(comments[0].body).toContain("<!-- experiment-hygiene:checkpoint:130:60 -->");
    expect(comments[0].body).toContain("### Holdout checkpoint, day 60: One-page checkout &lt;b&gt;");
    expect(comments[0].body).toContain("**decays** — shipped vs holdout +8.0%");

    // Day 62: nothing due, nothing written.
    const day62 = await scanAt(62, () => {}, { record: false });
    expect(day62.checkpoints).toEqual([]);
  });
});

describe("a GitHub failure while recording", () => {
  it("is confined to the records: the issues still converge and the next scan retries", async () => {
    const now = new Date(SHIPPED_AT.getTime() + 2 * DAY);
    const project = shippedProject(now);
    const gh = nock(GH);
    gh.get(configPath).reply(200, "reports:\n  enabled: true\n  scope: all\n");
    const issues = issueStore(gh, now);
    gh.get(`/repos/${OWNER}/${REPO}/pulls`).query(true).reply(502, { message: "Bad gateway" });
    const ph = nock(POSTHOG);
    nockFlags(ph, project);
    nockArchivedFlags(ph, project);
    nockExperimentList(ph, project);
    const result = await runScan([target()], { posthog: posthog(), now, botLogin: BOT });
    expect(result.repositories[0]!.error).toBeNull();
    expect(result.repositories[0]!.records).toBeUndefined();
    expect(issues).toEqual([]); // nothing recorded, so no dashboard is needed yet
  });
});
