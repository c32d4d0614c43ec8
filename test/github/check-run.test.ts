/**
 * The check-run adapter through nock: exact request bodies, batching by 50 annotations (GitHub's limit per
 * request), and a 403 (no `checks: write`) reported as `forbidden` without a second call.
 */
import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { publishCheckRun, type CheckAnnotation, type CheckRunContent } from "../../src/github/check-run.js";
import { GITHUB, OWNER, REPO, TestOctokit } from "../support/github.js";

const SHA = "ec26c3e57ca3a959ca5aad62de7213c562f8c821";
const octokit = () => new TestOctokit({ auth: "ghs_test" }) as any;

function annotations(n: number): CheckAnnotation[] {
  return Array.from({ length: n }, (_, i) => ({
    path: "src/a.ts",
    start_line: i + 1,
    end_line: i + 1,
    annotation_level: "notice" as const,
    title: `PostHog feature flag flag-${i}`,
    message: "No experiment uses this flag.",
  }));
}

const content = (n: number, over: Partial<CheckRunContent> = {}): CheckRunContent => ({
  conclusion: "neutral",
  title: `${n} flags, 0 experiments, no findings`,
  summary: "Nothing blocks merging.\n",
  annotations: annotations(n),
  detailsUrl: "https://github.com/Codertocat/Hello-World/pull/2#issuecomment-9",
  ...over,
});

beforeEach(() => nock.disableNetConnect());
afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

describe("publishCheckRun", () => {
  it("creates one completed run with every annotation when there are at most 50", async () => {
    const bodies: any[] = [];
    const gh = nock(GITHUB)
      .post(`/repos/${OWNER}/${REPO}/check-runs`, (b) => (bodies.push(b), true))
      .reply(201, { id: 77, name: "experiment-hygiene", head_sha: SHA, status: "completed" });
    const result = await publishCheckRun(octokit(), { owner: OWNER, repo: REPO, head_sha: SHA }, content(2), {
      completedAt: new Date("2026-11-20T12:00:00Z"),
    });
    expect(result).toEqual({ action: "published", checkRunId: 77, requests: 1 });
    expect(gh.pendingMocks()).toEqual([]);
    expect(bodies).toEqual([
      {
        name: "experiment-hygiene",
        head_sha: SHA,
        status: "completed",
        conclusion: "neutral",
        completed_at: "2026-11-20T12:00:00.000Z",
        details_url: "https://github.com/Codertocat/Hello-World/pull/2#issuecomment-9",
        output: { title: "2 flags, 0 experiments, no findings", summary: "Nothing blocks merging.\n", annotations: annotations(2) },
      },
    ]);
  });

  it("sends 120 annotations as 50 on create, then 50 and 20 on two updates (3 requests)", async () => {
    const created: any[] = [];
    const updated: any[] = [];
    const gh = nock(GITHUB)
      .post(`/repos/${OWNER}/${REPO}/check-runs`, (b) => (created.push(b), true))
      .reply(201, { id: 78 })
      .patch(`/repos/${OWNER}/${REPO}/check-runs/78`, (b) => (updated.push(b), true))
      .times(2)
      .reply(200, { id: 78 });
    const all = annotations(120);
    const result = await publishCheckRun(octokit(), { owner: OWNER, repo: REPO, head_sha: SHA }, content(120, { conclusion: "failure" }));
    expect(result).toEqual({ action: "published", checkRunId: 78, requests: 3 });
    expect(gh.pendingMocks()).toEqual([]);
    expect(created[0].conclusion).toBe("failure");
    expect(created[0].output.annotations).toEqual(all.slice(0, 50));
    expect(updated).toEqual([
      { output: { title: "120 flags, 0 experiments, no findings", summary: "Nothing blocks merging.\n", annotations: all.slice(50, 100) } },
      { output: { title: "120 flags, 0 experiments, no findings", summary: "Nothing blocks merging.\n", annotations: all.slice(100, 120) } },
    ]);
  });

  it("sends no annotations key when there are none", async () => {
    const bodies: any[] = [];
    nock(GITHUB).post(`/repos/${OWNER}/${REPO}/check-runs`, (b) => (bodies.push(b), true)).reply(201, { id: 79 });
    await publishCheckRun(octokit(), { owner: OWNER, repo: REPO, head_sha: SHA }, content(0, { detailsUrl: null }));
    expect(bodies[0].output).toEqual({ title: "0 flags, 0 experiments, no findings", summary: "Nothing blocks merging.\n" });
    expect(bodies[0]).not.toHaveProperty("details_url");
  });

  it("reports a 403 (the App lacks checks: write) as forbidden and sends nothing more", async () => {
    const gh = nock(GITHUB)
      .post(`/repos/${OWNER}/${REPO}/check-runs`)
      .reply(403, { message: "Resource not accessible by integration", documentation_url: "https://docs.github.com/rest/checks/runs#create-a-check-run" });
    const result = await publishCheckRun(octokit(), { owner: OWNER, repo: REPO, head_sha: SHA }, content(120));
    expect(result).toEqual({ action: "forbidden" });
    expect(gh.pendingMocks()).toEqual([]);
  });

  it("throws other GitHub errors", async () => {
    nock(GITHUB).post(`/repos/${OWNER}/${REPO}/check-runs`).reply(422, { message: "Validation Failed" });
    await expect(publishCheckRun(octokit(), { owner: OWNER, repo: REPO, head_sha: SHA }, content(1))).rejects.toMatchObject({ status: 422 });
  });
});
