/**
 * Shared harness for the `/experiment …` chat-ops tests through Probot with nock
 * (test/app/issue-comment.test.ts, test/app/decision-record-chatops.test.ts): the demo project with a
 * reference funnel, the app loaded with a PostHog client, real `issue_comment` payloads on the PR, and
 * nock scopes for the GitHub calls every answered command makes. Test files keep their own
 * `nock.disableNetConnect()` / `nock.cleanAll()` hooks.
 *
 * `nextId` (comment ids from 7000) is module state: vitest isolates test files, so each file counts from
 * 7000 as it did when these helpers were copied into each file.
 */
import nock from "nock";
import { vi } from "vitest";
import { createApp } from "../../src/app/index.js";
import { buildProject, DEMO_EXPERIMENTS, type DemoExperiment } from "../../src/demo/project.js";
import { createPostHogClient } from "../../src/posthog/index.js";
import { BOT_LOGIN, examplePayload, GITHUB, makeProbot, nockAppAuth, nockConfig, OWNER, PR_NUMBER, REPO } from "./github.js";
import { API_KEY, nockExperimentReads as nockProjectExperimentReads, POSTHOG, PROJECT_ID } from "./posthog.js";

export const NOW = new Date("2026-11-20T12:00:00Z");
/** A Bayesian funnel with the counts of stats-vectors.json `bayesian_beta_binomial` case 100_of_1000_vs_120_of_1000. */
export const REFERENCE: DemoExperiment = {
  id: 120,
  name: "Reference funnel",
  description: "Counts from the statistics reference vectors.",
  flagId: 220,
  flagKey: "reference-funnel",
  method: "bayesian",
  startDaysAgo: 10,
  arms: [
    { key: "control", split: 50, exposures: 1000, values: { "m-ref": { rate: 0.1 } } },
    { key: "test", split: 50, exposures: 1000, values: { "m-ref": { rate: 0.12 } } },
  ],
  primary: { uuid: "m-ref", name: "Reference conversion", type: "funnel", event: "ref_converted" },
};
// 101 promote `test`, 102 rollback `annual-first`, 103 investigate (SRM).
export const project = buildProject(NOW, [DEMO_EXPERIMENTS[0]!, DEMO_EXPERIMENTS[1]!, DEMO_EXPERIMENTS[2]!, REFERENCE], [], PROJECT_ID);
export const base = `/api/projects/${PROJECT_ID}`;
export const commentsPath = `/repos/${OWNER}/${REPO}/issues/${PR_NUMBER}/comments`;
export const STATUS_DIFF = [
  "diff --git a/src/a.ts b/src/a.ts",
  "--- a/src/a.ts",
  "+++ b/src/a.ts",
  "@@ -1,1 +1,2 @@",
  " x",
  '+posthog.getFeatureFlag("new-checkout")',
  "",
].join("\n");
export const HEAD_SHA = "0123456789abcdef0123456789abcdef01234567";

export interface Comment {
  id: number;
  body: string;
  user: { login: string; type: string };
}

export function posthogClient() {
  return createPostHogClient({ host: POSTHOG, projectId: PROJECT_ID, apiKey: API_KEY, retry: { limit: 1, delay: () => 1 } });
}

export async function setup(opts: { writes?: boolean; now?: Date } = {}) {
  const probot = makeProbot();
  const env: Record<string, string> = opts.writes === false ? {} : { POSTHOG_ALLOW_WRITES: "true" };
  await probot.load(createApp({ posthog: posthogClient(), now: () => opts.now ?? NOW, env }));
  return probot;
}

let nextId = 7000;
export function payload(body: string, opts: { login?: string; type?: string; onPr?: boolean; action?: string; id?: number } = {}) {
  const p = examplePayload("issue_comment", "created");
  p["action"] = opts.action ?? "created";
  p["comment"].id = opts.id ?? nextId++;
  p["comment"].body = body;
  p["comment"].user = { ...p["comment"].user, login: opts.login ?? "alice", type: opts.type ?? "User" };
  p["issue"].number = PR_NUMBER;
  if (opts.onPr === false) delete p["issue"].pull_request;
  else {
    // GitHub's issue_comment payload on a PR: `issue.pull_request` has `url`, `html_url`, `diff_url`, `patch_url`.
    p["issue"].pull_request = {
      url: `${GITHUB}/repos/${OWNER}/${REPO}/pulls/${PR_NUMBER}`,
      html_url: `https://github.com/${OWNER}/${REPO}/pull/${PR_NUMBER}`,
      diff_url: `https://github.com/${OWNER}/${REPO}/pull/${PR_NUMBER}.diff`,
      patch_url: `https://github.com/${OWNER}/${REPO}/pull/${PR_NUMBER}.patch`,
    };
  }
  return p;
}

export async function receive(probot: Awaited<ReturnType<typeof setup>>, p: Record<string, any>, id = `d-${p["comment"].id}`) {
  await probot.receive({ id, name: "issue_comment", payload: p as any });
}

/** The calls every answered command makes: token, `GET /app`, 👀, the conversation, the config (absent). */
export function nockCommand(p: Record<string, any>, conversation: Comment[] = []): nock.Scope {
  const gh = nockAppAuth();
  gh.post(`/repos/${OWNER}/${REPO}/issues/comments/${p["comment"].id}/reactions`, { content: "eyes" }).reply(201, { id: 1, content: "eyes" });
  gh.get(commentsPath).query({ per_page: "100" }).reply(200, conversation);
  nockConfig(gh, null);
  return gh;
}

export function nockPermission(gh: nock.Scope, login: string, permission: string, role: string): nock.Scope {
  return gh.get(`/repos/${OWNER}/${REPO}/collaborators/${login}/permission`).reply(200, { permission, role_name: role, user: { login } });
}

export function nockIssues(gh: nock.Scope, issues: unknown[] = []): nock.Scope {
  return gh
    .get(`/repos/${OWNER}/${REPO}/issues`)
    .query({ creator: BOT_LOGIN, labels: "experiment-hygiene", state: "all", per_page: "100" })
    .reply(200, issues);
}

/** Captures the reply body. */
export function nockReply(gh: nock.Scope, id = 9100): { body: () => string; fn: ReturnType<typeof vi.fn> } {
  const fn = vi.fn((b: any) => typeof b.body === "string");
  gh.post(commentsPath, fn).reply(201, { id });
  return { fn, body: () => (fn.mock.calls[0]![0] as any).body as string };
}

/** PostHog reads of one experiment: the list, the detail, its exposures and every metric. */
export function nockExperimentReads(id: number, scope = nock(POSTHOG)): nock.Scope {
  return nockProjectExperimentReads(project, id, scope);
}
