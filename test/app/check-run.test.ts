/**
 * The pull_request handler's check run through Probot and nock: validity threats as annotations, a
 * blocking kind fails the check, a 403 (no checks: write) keeps the comment, check-only mode, checks off,
 * and a monorepo whose paths belong to two PostHog projects.
 */
import nock from "nock";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createApp } from "../../src/app/index.js";
import { buildProject, DEMO_EXPERIMENTS } from "../../src/demo/project.js";
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
import { API_KEY, nockAnalysis, POSTHOG, PROJECT_ID } from "../support/posthog.js";
import { loggingProbot } from "../support/pull-request.js";

const NOW = new Date("2026-11-20T12:00:00Z");
const checkout = DEMO_EXPERIMENTS.find((e) => e.id === 101)!; // new-checkout, control/test, running
const darkMode = DEMO_EXPERIMENTS.find((e) => e.id === 105)!; // dark-mode-default, control/dark/system
const project = buildProject(NOW, [checkout], [], PROJECT_ID);
const WEB_PROJECT_ID = "5555";
const webProject = buildProject(NOW, [darkMode], [], WEB_PROJECT_ID);
const comments = `/repos/${OWNER}/${REPO}/issues/${PR_NUMBER}/comments`;

function diffOf(file: string, added: string[]): string {
  return [
    `diff --git a/${file} b/${file}`,
    "index 1111111..2222222 100644",
    `--- a/${file}`,
    `+++ b/${file}`,
    `@@ -1,1 +1,${added.length + 1} @@`,
    ' import posthog from "posthog-js";',
    ...added.map((l) => `+${l}`),
    "",
  ].join("\n");
}
/** A typo in a variant key of the running "New checkout flow" experiment. */
const TYPO_DIFF = diffOf("src/checkout.ts", ['const variant = posthog.getFeatureFlag("new-checkout");', 'if (variant === "tset") showNew();']);

function client(projectId = PROJECT_ID) {
  return createPostHogClient({ host: POSTHOG, projectId, apiKey: API_KEY, retry: { limit: 0 } });
}

async function setup(lines?: Record<string, unknown>[]) {
  const probot = lines ? loggingProbot(lines, "debug") : makeProbot();
  await probot.load(
    createApp({
      posthog: client(),
      posthogForProject: (id) => (id === WEB_PROJECT_ID ? client(WEB_PROJECT_ID) : null),
      now: () => NOW,
      env: {},
    }),
  );
  return probot;
}

function nockDiff(scope: nock.Scope, diff: string): nock.Scope {
  return scope.get(`/repos/${OWNER}/${REPO}/pulls/${PR_NUMBER}`).matchHeader("accept", /diff/).reply(200, diff, { "content-type": "text/plain" });
}

const opened = () => examplePayload("pull_request", "opened") as any;

beforeEach(() => nock.disableNetConnect());
afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

describe("the experiment-hygiene check run", () => {
  it("annotates a validity threat and fails on a kind listed in checks.block_on", async () => {
    const probot = await setup();
    const checks: any[] = [];
    const posted = vi.fn((_b: any) => true);
    const gh = nockAppAuth();
    nockConfig(gh, "checks:\n  block_on: [unknown-variant]\n");
    nockCheckRun(gh, { onBody: (b) => checks.push(b) });
    nockDiff(gh, TYPO_DIFF);
    gh.get(comments).query({ per_page: "100" }).reply(200, []);
    gh.post(comments, posted).reply(201, { id: 9100 });
    const ph = nockAnalysis(project, [101]);

    await probot.receive({ id: "d-typo", name: "pull_request", payload: opened() });

    expect(gh.pendingMocks()).toStrictEqual([]);
    expect(ph.pendingMocks()).toStrictEqual([]);
    const body: string = (posted.mock.calls[0]![0] as any).body;
    expect(body).toContain("### Validity threats in this change");
    expect(body).toContain('⛔ **"tset" is not a variant of new-checkout (did you mean "test"?)**');
    expect(checks).toHaveLength(1);
    const run = checks[0];
    expect(run.conclusion).toBe("failure");
    expect(run.output.title).toBe("1 flag, 1 experiment, 1 finding (1 blocking)");
    expect(run.output.summary).toContain(`[pull-request comment](${opened().pull_request.html_url}#issuecomment-9100)`);
    expect(run.output.summary).toContain("| yes (`unknown-variant`) |");
    expect(run.output.annotations).toEqual([
      {
        path: "src/checkout.ts",
        start_line: 3,
        end_line: 3,
        annotation_level: "failure",
        title: '"tset" is not a variant of new-checkout (did you mean "test"?)',
        message:
          'The experiment\'s variants are control, test: this branch never runs, and users in the variant it was meant for get the default code path.\nFix: Compare with "test".\nExperiment: New checkout flow (#101) · finding: unknown-variant',
      },
      {
        path: "src/checkout.ts",
        start_line: 2,
        end_line: 2,
        annotation_level: "notice",
        title: "PostHog feature flag new-checkout",
        message: 'Experiment "New checkout flow" (running): promote test',
      },
    ]);
  });

  it("ends neutral with the threat as a warning when checks.block_on is empty (the default)", async () => {
    const probot = await setup();
    const checks: any[] = [];
    const gh = nockAppAuth();
    nockConfig(gh, null);
    nockCheckRun(gh, { onBody: (b) => checks.push(b) });
    nockDiff(gh, TYPO_DIFF);
    gh.get(comments).query({ per_page: "100" }).reply(200, []);
    gh.post(comments).reply(201, { id: 9101 });
    nockAnalysis(project, [101]);

    await probot.receive({ id: "d-typo-neutral", name: "pull_request", payload: opened() });

    expect(gh.pendingMocks()).toStrictEqual([]);
    expect(checks[0].conclusion).toBe("neutral");
    expect(checks[0].output.annotations[0].annotation_level).toBe("warning");
    expect(checks[0].output.summary).toContain("Nothing blocks merging");
  });

  it("keeps commenting when GitHub refuses the check run (403), and logs the missing permission once", async () => {
    const lines: Record<string, unknown>[] = [];
    const probot = await setup(lines);
    const posted = vi.fn((_b: any) => true);
    const gh = nockAppAuth();
    for (let i = 0; i < 2; i++) {
      nockConfig(gh, null);
      nockDiff(gh, TYPO_DIFF);
      gh.post(`/repos/${OWNER}/${REPO}/check-runs`).reply(403, { message: "Resource not accessible by integration" });
      nockAnalysis(project, [101]);
    }
    gh.get(comments).query({ per_page: "100" }).reply(200, []);
    gh.post(comments, posted).reply(201, { id: 9102, body: "", user: { login: BOT_LOGIN } });
    gh.get(comments).query({ per_page: "100" }).reply(200, []);
    gh.post(comments, posted).reply(201, { id: 9103 });

    await probot.receive({ id: "d-403-a", name: "pull_request", payload: opened() });
    await probot.receive({ id: "d-403-b", name: "pull_request", payload: opened() });

    expect(gh.pendingMocks()).toStrictEqual([]);
    expect(posted).toHaveBeenCalledTimes(2);
    const warned = lines.filter((l) => String(l["msg"]).includes("checks: write"));
    // A warning the first time for this owner (per process; no other test in this file gets a 403), then debug.
    expect(warned.map((l) => l["level"])).toEqual([40, 20]);
  });

  it("a check run GitHub rejects otherwise (422) is logged and does not fail the delivery", async () => {
    const lines: Record<string, unknown>[] = [];
    const probot = await setup(lines);
    const posted = vi.fn((_b: any) => true);
    const gh = nockAppAuth();
    nockConfig(gh, null);
    nockDiff(gh, TYPO_DIFF);
    gh.get(comments).query({ per_page: "100" }).reply(200, []);
    gh.post(comments, posted).reply(201, { id: 9105 });
    gh.post(`/repos/${OWNER}/${REPO}/check-runs`).reply(422, { message: "Validation Failed" });
    nockAnalysis(project, [101]);

    await expect(probot.receive({ id: "d-422", name: "pull_request", payload: opened() })).resolves.toBeUndefined();

    expect(gh.pendingMocks()).toStrictEqual([]);
    expect(posted).toHaveBeenCalledTimes(1);
    expect(lines.some((l) => l["msg"] === "GitHub refused the check run; the comment is unaffected" && l["status"] === 422)).toBe(true);
  });

  it("check-only mode: comment.enabled false posts the check run and never reads or writes comments", async () => {
    const probot = await setup();
    const checks: any[] = [];
    const gh = nockAppAuth(nock(GITHUB), { slug: false }); // no comment: the bot login is never needed
    nockConfig(gh, "comment:\n  enabled: false\nchecks:\n  block_on: [typo-kind]\n");
    nockCheckRun(gh, { onBody: (b) => checks.push(b) });
    nockDiff(gh, TYPO_DIFF);
    nockAnalysis(project, [101]);

    await probot.receive({ id: "d-check-only", name: "pull_request", payload: opened() });

    expect(gh.pendingMocks()).toStrictEqual([]); // and no comment call: nock would fail the delivery
    expect(checks).toHaveLength(1);
    expect(checks[0]).not.toHaveProperty("details_url");
    expect(checks[0].output.summary).not.toContain("pull-request comment");
    expect(checks[0].output.annotations).toHaveLength(2);
    // The bad block_on value is reported in the summary (no comment shows it) and its default (nothing blocks) applies.
    expect(checks[0].output.summary).toContain("Problem in .github/experiment-hygiene.yml (that key uses its default): ");
    expect(checks[0].output.summary).toContain("checks.block\\_on");
    expect(checks[0].conclusion).toBe("neutral");
  });

  it("checks.enabled false: no check run", async () => {
    const probot = await setup();
    const gh = nockAppAuth();
    nockConfig(gh, "checks:\n  enabled: false\n");
    nockDiff(gh, TYPO_DIFF);
    gh.get(comments).query({ per_page: "100" }).reply(200, []);
    gh.post(comments).reply(201, { id: 9104 });
    nockAnalysis(project, [101]);

    await probot.receive({ id: "d-no-checks", name: "pull_request", payload: opened() });

    expect(gh.pendingMocks()).toStrictEqual([]);
  });

  it("comment and checks both off: nothing at all after the config", async () => {
    const probot = await setup();
    const gh = nockAppAuth(nock(GITHUB), { slug: false }); // no comment: the bot login is never needed
    nockConfig(gh, "comment:\n  enabled: false\nchecks:\n  enabled: false\n");

    await probot.receive({ id: "d-all-off", name: "pull_request", payload: opened() });

    expect(gh.pendingMocks()).toStrictEqual([]);
  });
});

describe("monorepo projects", () => {
  it("matches each path against the PostHog project that owns it, in one comment and one check run", async () => {
    const probot = await setup();
    const posted = vi.fn((_b: any) => true);
    const checks: any[] = [];
    const gh = nockAppAuth();
    nockConfig(gh, 'projects:\n  - paths: ["apps/web/**"]\n    project_id: 5555\n');
    nockCheckRun(gh, { onBody: (b) => checks.push(b) });
    const diff =
      diffOf("src/checkout.ts", ['const variant = posthog.getFeatureFlag("new-checkout");']) +
      diffOf("apps/web/theme.ts", ['const theme = posthog.getFeatureFlag("dark-mode-default");']);
    nockDiff(gh, diff);
    gh.get(comments).query({ per_page: "100" }).reply(200, []);
    gh.post(comments, posted).reply(201, { id: 9200 });
    // Each project is asked only about its own flags: nock fails on any other call.
    const phDefault = nockAnalysis(project, [101]);
    const phWeb = nockAnalysis(webProject, [105]);

    await probot.receive({ id: "d-mono", name: "pull_request", payload: opened() });

    expect(gh.pendingMocks()).toStrictEqual([]);
    expect(phDefault.pendingMocks()).toStrictEqual([]);
    expect(phWeb.pendingMocks()).toStrictEqual([]);
    const body: string = (posted.mock.calls[0]![0] as any).body;
    expect(body).toContain("This pull request references **2** PostHog feature flags with **2** experiments.");
    expect(body).toContain(`(${POSTHOG}/project/4242/experiments/101)`);
    expect(body).toContain(`(${POSTHOG}/project/5555/experiments/105)`);
    expect(body).toContain("PostHog projects 4242, 5555");
    expect(checks[0].output.annotations.map((a: any) => `${a.path}:${a.start_line} ${a.title}`)).toEqual([
      "apps/web/theme.ts:2 PostHog feature flag dark-mode-default",
      "src/checkout.ts:2 PostHog feature flag new-checkout",
    ]);
  });

  it("a path in a mapped project is not matched against the default project", async () => {
    const probot = await setup();
    const posted = vi.fn((_b: any) => true);
    const gh = nockAppAuth();
    nockConfig(gh, 'projects:\n  - paths: ["apps/web/**"]\n    project_id: 5555\n');
    nockCheckRun(gh);
    // new-checkout exists only in the default project; under apps/web/ it is an unknown key of project 5555.
    nockDiff(gh, diffOf("apps/web/checkout.ts", ['const variant = posthog.getFeatureFlag("new-checkout");']));
    gh.get(comments).query({ per_page: "100" }).reply(200, []);
    gh.post(comments, posted).reply(201, { id: 9201 });
    const phWeb = nock(POSTHOG)
      .get(`/api/projects/${WEB_PROJECT_ID}/feature_flags/`)
      .query({ limit: "100" })
      .reply(200, { count: webProject.flags.length, next: null, previous: null, results: webProject.flags });

    await probot.receive({ id: "d-mono-2", name: "pull_request", payload: opened() });

    expect(gh.pendingMocks()).toStrictEqual([]);
    expect(phWeb.pendingMocks()).toStrictEqual([]);
    const body: string = (posted.mock.calls[0]![0] as any).body;
    expect(body).toContain("### Unknown flag keys");
    expect(body).toContain("`new-checkout`");
    expect(body).toContain("PostHog project 5555");
  });
});
