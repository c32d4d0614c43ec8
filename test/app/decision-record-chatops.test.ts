/**
 * A confirmed `/experiment rollback` writes a decision record naming who asked and who confirmed: through
 * Probot with nock, after the PostHog write, the record's pull request is opened with the Git data API
 * (blob → tree → commit → ref → pull request) and the reply links it; with `records.mode: dashboard` the
 * record goes to the dashboard issue at once. The chat-ops harness (shared with issue-comment.test.ts) is
 * test/support/chatops.ts.
 */
import nock from "nock";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { parseDecisionRecord, parseRecordStore } from "../../src/render/decision-record.js";
import { BOT_LOGIN, nockAppAuth, nockConfig, OWNER, PR_NUMBER, REPO } from "../support/github.js";
import {
  base,
  type Comment,
  commentsPath,
  HEAD_SHA,
  nockCommand,
  nockExperimentReads,
  nockIssues,
  nockPermission,
  nockReply,
  NOW,
  payload,
  project,
  receive,
  setup,
} from "../support/chatops.js";

beforeEach(() => {
  nock.disableNetConnect();
});

afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

/** Run `/experiment promote …` as a writer and return the bot's plan reply as a conversation comment. */
async function postPlan(text: string, experimentId: number, replyId = 9200): Promise<Comment> {
  const probot = await setup();
  const p = payload(text);
  const gh = nockCommand(p);
  nockPermission(gh, "alice", "write", "write");
  nockIssues(gh);
  const reply = nockReply(gh, replyId);
  nockExperimentReads(experimentId);
  await receive(probot, p);
  expect(gh.pendingMocks()).toStrictEqual([]);
  return { id: replyId, body: reply.body(), user: { login: BOT_LOGIN, type: "Bot" } };
}


beforeEach(() => nock.disableNetConnect());
afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

/** The rollback plan of 102, then its confirmation by carol, with PostHog's ship_variant. */
async function confirmRollback(configYaml: string | null) {
  const probot = await setup();
  const plan = await postPlan("/experiment rollback pricing-page-v2", 102);
  const p = payload("/experiment rollback pricing-page-v2 --confirm", { login: "carol" });
  const gh = nockAppAuth();
  gh.post(`/repos/${OWNER}/${REPO}/issues/comments/${p["comment"].id}/reactions`, { content: "eyes" }).reply(201, { id: 1, content: "eyes" });
  gh.get(commentsPath).query({ per_page: "100" }).reply(200, [plan]);
  if (configYaml === null) nockConfig(gh, null);
  else gh.get(`/repos/${OWNER}/${REPO}/contents/.github%2Fexperiment-hygiene.yml`).reply(200, configYaml);
  nockPermission(gh, "carol", "write", "write");
  nockIssues(gh);
  gh.get(`/repos/${OWNER}/${REPO}/pulls/${PR_NUMBER}`).reply(200, { number: PR_NUMBER, head: { sha: HEAD_SHA } });
  gh.patch(`/repos/${OWNER}/${REPO}/issues/comments/${plan.id}`).reply(200, { id: plan.id });
  const ph = nockExperimentReads(102);
  const shipped = vi.fn((_b: any) => true);
  ph.post(`${base}/experiments/102/ship_variant/`, shipped).reply(200, project.experiments.find((e) => e["id"] === 102) as nock.Body);
  return { probot, p, gh, ph, shipped };
}

describe("a confirmed /experiment rollback writes the decision record", () => {
  it("opens one record pull request naming who asked and who confirmed, and the reply links it", async () => {
    const { probot, p, gh, ph, shipped } = await confirmRollback(null);
    nockIssues(gh); // the records store in the dashboard (none yet)
    gh.get(`/repos/${OWNER}/${REPO}/pulls`).query({ head: `${OWNER}:experiment-hygiene/record-102`, state: "all", per_page: "10" }).reply(200, []);
    gh.get(`/repos/${OWNER}/${REPO}/contents/docs%2Fexperiments`).query({ ref: "master" }).reply(404, { message: "Not Found" });
    gh.get(`/repos/${OWNER}/${REPO}/contents/docs%2Fexperiments%2FREADME.md`).query({ ref: "master" }).reply(404, { message: "Not Found" });
    gh.get(`/repos/${OWNER}/${REPO}/git/ref/heads%2Fmaster`).reply(200, { ref: "refs/heads/master", object: { sha: "base000" } });
    gh.get(`/repos/${OWNER}/${REPO}/git/commits/base000`).reply(200, { sha: "base000", tree: { sha: "tree000" } });
    const blobs: any[] = [];
    gh.post(`/repos/${OWNER}/${REPO}/git/blobs`, (b) => (blobs.push(b), true)).times(2).reply(201, () => ({ sha: `blob${blobs.length}` }));
    const trees = vi.fn((_b: any) => true);
    const commits = vi.fn((_b: any) => true);
    const refs = vi.fn((_b: any) => true);
    const pulls = vi.fn((_b: any) => true);
    gh.post(`/repos/${OWNER}/${REPO}/git/trees`, trees).reply(201, { sha: "tree111" });
    gh.post(`/repos/${OWNER}/${REPO}/git/commits`, commits).reply(201, { sha: "commit111" });
    gh.post(`/repos/${OWNER}/${REPO}/git/refs`, refs).reply(201, {});
    gh.post(`/repos/${OWNER}/${REPO}/pulls`, pulls).reply(201, { number: 88 });
    const reply = nockReply(gh, 9400);

    await receive(probot, p);

    expect(gh.pendingMocks()).toStrictEqual([]);
    expect(ph.pendingMocks()).toStrictEqual([]);
    expect(shipped).toHaveBeenCalledTimes(1);
    expect(trees.mock.calls[0]![0]).toEqual({
      base_tree: "tree000",
      tree: [
        { path: "docs/experiments/102-pricing-page-v2.md", mode: "100644", type: "blob", sha: "blob1" },
        { path: "docs/experiments/README.md", mode: "100644", type: "blob", sha: "blob2" },
      ],
    });
    expect(commits.mock.calls[0]![0]).toEqual({ message: "Decision record: experiment 102", tree: "tree111", parents: ["base000"] });
    expect(refs.mock.calls[0]![0]).toEqual({ ref: "refs/heads/experiment-hygiene/record-102", sha: "commit111" });
    expect(pulls.mock.calls[0]![0]).toMatchObject({ head: "experiment-hygiene/record-102", base: "master", title: "Decision record: Pricing page v2 (experiment 102)" });
    const record = blobs[0].content as string;
    expect(record).toContain(`| Decided by | \`/experiment rollback\` requested by @\u200Balice, confirmed by @\u200Bcarol in ${OWNER}/${REPO}\\#${PR_NUMBER} |`);
    expect(record).toContain("**Roll back to `control`** · PostHog conclusion `lost`");
    expect(record).toContain("| Decision rules at conclusion | `rollback` |");
    const summary = parseDecisionRecord(record)!;
    expect(summary.conclusion).toEqual({
      experimentId: 102,
      decidedBy: { kind: "command", action: "rollback", requestedBy: "alice", confirmedBy: "carol", where: `${OWNER}/${REPO}#${PR_NUMBER}` },
      shippedVariant: "control",
      outcome: "lost",
      at: NOW.toISOString(),
    });
    expect(reply.body()).toContain("### ✅ Rolled back to `control`");
    expect(reply.body()).toContain("Decision record: #88.");
  });

  it("with records.mode: dashboard, puts the record on the dashboard issue at once", async () => {
    const { probot, p, gh } = await confirmRollback("records:\n  mode: dashboard\n");
    nockIssues(gh);
    const created = vi.fn((_b: any) => true);
    gh.post(`/repos/${OWNER}/${REPO}/issues`, created).reply(201, { number: 5 });
    const reply = nockReply(gh, 9401);
    await receive(probot, p);
    expect(gh.pendingMocks()).toStrictEqual([]);
    const body = (created.mock.calls[0]![0] as any).body as string;
    expect(body).toContain("<!-- experiment-hygiene:issue:dashboard -->");
    const entry = parseRecordStore(body).get(102)!;
    expect(entry.pullRequest).toBeNull();
    expect(entry.summary.conclusion.decidedBy).toMatchObject({ kind: "command", confirmedBy: "carol" });
    expect(body).toContain("confirmed by @\u200Bcarol");
    expect(reply.body()).toContain("Decision record: on the dashboard, #5.");
  });
});
