/**
 * `/experiment …` chat-ops through Probot with nock: the guards (bots, edits, non-commands), the
 * permission matrix, the two-step promote/rollback flow with its 30-minute expiry, refusal under SRM and
 * `--force`, PostHog's 409 approval answer, PostHog failures, ack/snooze, and the agreement of `status`
 * and `analyze` with the PR comment and the statistics references. Every PostHog write request is
 * asserted exactly.
 */
import nock from "nock";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { parsePlan } from "../../src/chatops/plan.js";
import { parseAcknowledgements } from "../../src/pipeline/acknowledgements.js";
import { issueMarker, stateMarker } from "../../src/github/issues.js";
import {
  BOT_LOGIN,
  examplePayload,
  GITHUB,
  nockAppAuth,
  nockCheckRun,
  nockConfig,
  OWNER,
  PR_NUMBER,
  REPO,
} from "../support/github.js";
import {
  API_KEY,
  nockExperiment,
  nockExperimentList,
  nockMetric,
  POSTHOG,
} from "../support/posthog.js";
import vectors from "../fixtures/stats-vectors.json" with { type: "json" };
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
  STATUS_DIFF,
} from "../support/chatops.js";

beforeEach(() => {
  nock.disableNetConnect();
});

afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

describe("guards", () => {
  it("ignores comments by bots and by the app itself without a single request", async () => {
    const probot = await setup();
    await receive(probot, payload("/experiment status new-checkout", { login: "renovate[bot]", type: "Bot" }));
    await receive(probot, payload("/experiment status new-checkout", { login: BOT_LOGIN, type: "Bot" }));
    expect(nock.pendingMocks()).toEqual([]);
  });

  it("ignores edited and deleted comments (only issue_comment.created is handled)", async () => {
    const probot = await setup();
    await receive(probot, payload("/experiment promote new-checkout --confirm", { action: "edited" }));
    await receive(probot, payload("/experiment promote new-checkout --confirm", { action: "deleted" }));
  });

  it("ignores comments without a command, and commands inside code blocks or quotes", async () => {
    const probot = await setup();
    await receive(probot, payload("LGTM, ship it"));
    await receive(probot, payload("```\n/experiment promote new-checkout --confirm\n```"));
    await receive(probot, payload("> /experiment promote new-checkout --confirm\nquoted"));
  });

  it("answers an unknown subcommand with a short usage reply, after the 👀 reaction", async () => {
    const probot = await setup();
    const p = payload("/experiment launch new-checkout");
    const gh = nockCommand(p);
    const reply = nockReply(gh);
    await receive(probot, p);
    expect(gh.pendingMocks()).toStrictEqual([]);
    const body = reply.body();
    expect(body).toContain(`<!-- experiment-hygiene:reply:${p["comment"].id} -->`);
    expect(body).toContain('unknown command "launch"');
    expect(body).toContain("**Usage**");
    expect(body).not.toMatch(/at \w+ \(|Error:/); // no stack trace
  });

  it("does not answer twice when a delivery is redelivered", async () => {
    const probot = await setup();
    const p = payload("/experiment help");
    const earlier: Comment = { id: 9100, body: `<!-- experiment-hygiene:reply:${p["comment"].id} -->\nusage`, user: { login: BOT_LOGIN, type: "Bot" } };
    const gh = nockAppAuth();
    gh.post(`/repos/${OWNER}/${REPO}/issues/comments/${p["comment"].id}/reactions`, { content: "eyes" }).reply(201, {});
    gh.get(commentsPath).query({ per_page: "100" }).reply(200, [earlier]);
    const again = nock(GITHUB).post(commentsPath).reply(201, { id: 1 }); // must stay pending
    await receive(probot, p);
    expect(gh.pendingMocks()).toStrictEqual([]);
    expect(again.pendingMocks()).toEqual([`POST ${GITHUB}:443${commentsPath}`]);
  });
});

describe("permission matrix for promote", () => {
  const cases: { role: string; permission: string; allowed: boolean }[] = [
    { role: "none", permission: "none", allowed: false },
    { role: "read", permission: "read", allowed: false },
    { role: "triage", permission: "read", allowed: false },
    { role: "write", permission: "write", allowed: true },
    { role: "maintain", permission: "write", allowed: true },
    { role: "admin", permission: "admin", allowed: true },
  ];
  for (const c of cases) {
    it(`${c.role}: ${c.allowed ? "gets the plan" : "is refused, and PostHog is not called"}`, async () => {
      const probot = await setup();
      const p = payload("/experiment promote new-checkout", { login: "bob" });
      const gh = nockCommand(p);
      nockPermission(gh, "bob", c.permission, c.role);
      const reply = nockReply(gh);
      const ph = c.allowed ? nockExperimentReads(101) : nock(POSTHOG);
      if (c.allowed) nockIssues(gh);
      await receive(probot, p);
      expect(gh.pendingMocks()).toStrictEqual([]);
      expect(ph.pendingMocks()).toStrictEqual([]);
      const body = reply.body();
      if (c.allowed) {
        expect(body).toContain("### Plan: Promote `test`");
        expect(parsePlan(body)).toMatchObject({ action: "promote", experimentId: 101, variant: "test", status: "pending", requestedBy: "bob" });
      } else {
        expect(body).toContain("**Not allowed**");
        expect(body).toContain(`has ${c.role} access to ${OWNER}/${REPO}; promote needs write, maintain or admin access. Nothing was changed.`);
        expect(parsePlan(body)).toBeNull();
      }
    });
  }

  it("fails closed when GitHub cannot say the permission", async () => {
    const probot = await setup();
    const p = payload("/experiment rollback pricing-page-v2", { login: "bob" });
    const gh = nockCommand(p);
    gh.get(`/repos/${OWNER}/${REPO}/collaborators/bob/permission`).reply(502, { message: "Bad gateway" });
    const reply = nockReply(gh);
    await receive(probot, p);
    expect(reply.body()).toContain("**Permission check failed**");
  });

  it("refuses a writer when the operator has not enabled PostHog writes, naming what to enable", async () => {
    const probot = await setup({ writes: false });
    const p = payload("/experiment promote new-checkout");
    const gh = nockCommand(p);
    nockPermission(gh, "alice", "write", "write");
    const reply = nockReply(gh);
    await receive(probot, p);
    expect(gh.pendingMocks()).toStrictEqual([]);
    expect(reply.body()).toContain("POSTHOG\\_ALLOW\\_WRITES=true");
    expect(reply.body()).toContain("experiment:write");
  });
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

describe("two-step promote and rollback", () => {
  it("a writer's promote then --confirm sends exactly one ship_variant and records who, when and the head SHA", async () => {
    const probot = await setup();
    const plan = await postPlan("/experiment promote new-checkout", 101);
    expect(plan.body).toContain(`POST ${base}/experiments/101/ship\\_variant/`.replace("\\_", "_"));
    expect(plan.body).toContain('{"variant_key":"test","conclusion":"won"}');
    expect(plan.body).toContain("Nothing has changed yet");

    const p = payload("/experiment promote new-checkout --confirm", { login: "carol" });
    const gh = nockCommand(p, [plan]);
    nockPermission(gh, "carol", "admin", "admin");
    nockIssues(gh);
    gh.get(`/repos/${OWNER}/${REPO}/pulls/${PR_NUMBER}`).reply(200, { number: PR_NUMBER, head: { sha: HEAD_SHA } });
    const marked = vi.fn((b: any) => typeof b.body === "string");
    gh.patch(`/repos/${OWNER}/${REPO}/issues/comments/${plan.id}`, marked).reply(200, { id: plan.id });
    const reply = nockReply(gh, 9300);
    const ph = nockExperimentReads(101);
    const shipped = vi.fn((_body: any) => true);
    ph.post(`${base}/experiments/101/ship_variant/`, shipped)
      .matchHeader("authorization", `Bearer ${API_KEY}`)
      .reply(200, project.experiments.find((e) => e["id"] === 101) as nock.Body);

    await receive(probot, p);
    expect(gh.pendingMocks()).toStrictEqual([]);
    expect(ph.pendingMocks()).toStrictEqual([]);
    expect(shipped).toHaveBeenCalledTimes(1);
    expect(shipped.mock.calls[0]).toEqual([
      {
        variant_key: "test",
        conclusion: "won",
        conclusion_comment: `Promoted test from GitHub (${OWNER}/${REPO}#${PR_NUMBER}) with experiment-hygiene: requested by @alice, confirmed by @carol at 2026-11-20T12:00:00.000Z, head ${HEAD_SHA}.`,
      },
    ]);
    const body = reply.body();
    expect(body).toContain("### ✅ Promoted `test`");
    expect(body).toContain("Confirmed by @\u200Bcarol at 2026-11-20T12:00:00.000Z with the pull request's head at `" + HEAD_SHA + "`.");
    // The plan is marked executed, so it cannot be confirmed a second time.
    const markedBody = (marked.mock.calls[0]![0] as any).body as string;
    expect(parsePlan(markedBody)?.status).toBe("executed");

    // A second --confirm finds no pending plan and changes nothing.
    const again = payload("/experiment promote new-checkout --confirm", { login: "carol" });
    const gh2 = nockCommand(again, [{ ...plan, body: markedBody }]);
    nockPermission(gh2, "carol", "admin", "admin");
    nockIssues(gh2);
    const reply2 = nockReply(gh2, 9301);
    nockExperimentReads(101);
    await receive(probot, again);
    expect(reply2.body()).toContain("**No plan to confirm**");
  });

  it("a plan expires after 30 minutes: --confirm at 31 minutes changes nothing", async () => {
    const plan = await postPlan("/experiment rollback pricing-page-v2", 102);
    expect(parsePlan(plan.body)).toMatchObject({ action: "rollback", variant: "control", steps: [{ kind: "ship-variant", variant: "control", conclusion: "lost" }] });
    const late = await setup({ now: new Date(NOW.getTime() + 31 * 60_000) });
    const p = payload("/experiment rollback pricing-page-v2 --confirm");
    const gh = nockCommand(p, [plan]);
    nockPermission(gh, "alice", "write", "write");
    nockIssues(gh);
    const reply = nockReply(gh);
    const ph = nockExperimentReads(102);
    ph.post(`${base}/experiments/102/ship_variant/`).reply(200, {}); // must stay pending
    await receive(late, p);
    expect(reply.body()).toContain("**The plan expired**");
    expect(ph.pendingMocks()).toEqual([`POST ${POSTHOG}:443${base}/experiments/102/ship_variant/`]);
  });

  it("a read-only user cannot confirm someone else's plan", async () => {
    const probot = await setup();
    const plan = await postPlan("/experiment promote new-checkout", 101);
    const p = payload("/experiment promote new-checkout --confirm", { login: "mallory" });
    const gh = nockCommand(p, [plan]);
    nockPermission(gh, "mallory", "read", "read");
    const reply = nockReply(gh);
    await receive(probot, p);
    expect(gh.pendingMocks()).toStrictEqual([]);
    expect(reply.body()).toContain("**Not allowed**");
  });

  it("--disable-flag plans a flag PATCH then end/, and confirm sends exactly those", async () => {
    const probot = await setup();
    const plan = await postPlan("/experiment rollback pricing-page-v2 --disable-flag", 102);
    const p = payload("/experiment rollback pricing-page-v2 --confirm");
    const gh = nockCommand(p, [plan]);
    nockPermission(gh, "alice", "write", "maintain");
    nockIssues(gh);
    gh.get(`/repos/${OWNER}/${REPO}/pulls/${PR_NUMBER}`).reply(200, { head: { sha: HEAD_SHA } });
    gh.patch(`/repos/${OWNER}/${REPO}/issues/comments/${plan.id}`).reply(200, {});
    const reply = nockReply(gh);
    const ph = nockExperimentReads(102);
    const patched = vi.fn((_body: any) => true);
    const ended = vi.fn((_body: any) => true);
    ph.patch(`${base}/feature_flags/202/`, patched).reply(200, project.flags.find((f) => f["id"] === 202) as nock.Body);
    ph.post(`${base}/experiments/102/end/`, ended).reply(200, project.experiments.find((e) => e["id"] === 102) as nock.Body);
    await receive(probot, p);
    expect(ph.pendingMocks()).toStrictEqual([]);
    expect(patched.mock.calls[0]).toEqual([{ active: false }]);
    expect(ended.mock.calls[0]![0]).toMatchObject({ conclusion: "lost" });
    expect(reply.body()).toContain("### ✅ Rolled back to `control`");
  });
});

describe("validity threats, approvals and failures", () => {
  it("refuses to promote while the decision is investigate (SRM), and plans it with --force", async () => {
    const probot = await setup();
    const p = payload("/experiment promote onboarding-checklist checklist");
    const gh = nockCommand(p);
    nockPermission(gh, "alice", "write", "write");
    nockIssues(gh);
    const reply = nockReply(gh);
    nockExperimentReads(103);
    await receive(probot, p);
    expect(reply.body()).toContain("**Cannot promote**");
    expect(reply.body()).toContain("The rules say investigate (SRM: χ² p =");
    expect(reply.body()).toContain("add --force to promote anyway");
    expect(parsePlan(reply.body())).toBeNull();

    const forced = await postPlan("/experiment promote onboarding-checklist checklist --force", 103);
    expect(parsePlan(forced.body)).toMatchObject({ force: true, variant: "checklist" });
    expect(forced.body).toContain("Forced despite a validity threat");
  });

  it("refuses to promote while a validity finding issue is open", async () => {
    const probot = await setup();
    const p = payload("/experiment promote new-checkout");
    const gh = nockCommand(p);
    nockPermission(gh, "alice", "write", "write");
    nockIssues(gh, [
      {
        number: 77,
        title: "Exposure stall",
        state: "open",
        user: { login: BOT_LOGIN },
        body: `${issueMarker("experiment:101:stall")}\nbody\n${stateMarker({ first_seen: NOW.toISOString() })}`,
        created_at: NOW.toISOString(),
        closed_at: null,
      },
    ]);
    const reply = nockReply(gh);
    nockExperimentReads(101);
    await receive(probot, p);
    expect(reply.body()).toContain("Open validity finding (stall)");
  });

  it("reports PostHog's 409 with its change request and marks the plan", async () => {
    const probot = await setup();
    const plan = await postPlan("/experiment promote new-checkout", 101);
    const p = payload("/experiment promote new-checkout --confirm");
    const gh = nockCommand(p, [plan]);
    nockPermission(gh, "alice", "write", "write");
    nockIssues(gh);
    gh.get(`/repos/${OWNER}/${REPO}/pulls/${PR_NUMBER}`).reply(200, { head: { sha: HEAD_SHA } });
    const marked = vi.fn((_body: any) => true);
    gh.patch(`/repos/${OWNER}/${REPO}/issues/comments/${plan.id}`, marked).reply(200, {});
    const reply = nockReply(gh);
    const ph = nockExperimentReads(101);
    ph.post(`${base}/experiments/101/ship_variant/`).reply(409, { change_request_id: 4711, detail: "This change requires approval." });
    await receive(probot, p);
    expect(ph.pendingMocks()).toStrictEqual([]);
    expect(reply.body()).toContain("### ⏸️ PostHog requires approval");
    expect(reply.body()).toContain("opened change request `4711`");
    expect(parsePlan((marked.mock.calls[0]![0] as any).body)?.status).toBe("approval-requested");
  });

  it("a 500 on ship_variant is sent once, and the reply says it may have been applied", async () => {
    const probot = await setup();
    const plan = await postPlan("/experiment promote new-checkout", 101);
    const p = payload("/experiment promote new-checkout --confirm");
    const gh = nockCommand(p, [plan]);
    nockPermission(gh, "alice", "write", "write");
    nockIssues(gh);
    gh.get(`/repos/${OWNER}/${REPO}/pulls/${PR_NUMBER}`).reply(200, { head: { sha: HEAD_SHA } });
    const reply = nockReply(gh);
    const ph = nockExperimentReads(101);
    ph.post(`${base}/experiments/101/ship_variant/`).once().reply(500, { detail: "boom" });
    await receive(probot, p);
    expect(ph.pendingMocks()).toStrictEqual([]);
    expect(reply.body()).toContain("may or may not have been applied");
    expect(reply.body()).not.toContain(API_KEY);
  });

  it("a PostHog outage during status gives a short reply and no trace", async () => {
    const probot = await setup();
    const p = payload("/experiment status new-checkout", { login: "reader" });
    const gh = nockCommand(p);
    const reply = nockReply(gh);
    nock(POSTHOG).get(`${base}/experiments/`).query({ limit: "100" }).times(2).reply(503, "unavailable");
    await receive(probot, p);
    expect(gh.pendingMocks()).toStrictEqual([]);
    const body = reply.body();
    expect(body).toContain("**PostHog could not be reached or refused the request.**");
    expect(body).toContain("Nothing was changed.");
    expect(body).not.toMatch(/\n\s+at /);
  });

  it("a writer's 403 on ship_variant names the missing experiment:write scope", async () => {
    const probot = await setup();
    const plan = await postPlan("/experiment promote new-checkout", 101);
    const p = payload("/experiment promote new-checkout --confirm");
    const gh = nockCommand(p, [plan]);
    nockPermission(gh, "alice", "write", "write");
    nockIssues(gh);
    gh.get(`/repos/${OWNER}/${REPO}/pulls/${PR_NUMBER}`).reply(200, { head: { sha: HEAD_SHA } });
    const reply = nockReply(gh);
    const ph = nockExperimentReads(101);
    ph.post(`${base}/experiments/101/ship_variant/`).reply(403, { detail: "API key missing required scope 'experiment:write'" });
    await receive(probot, p);
    expect(reply.body()).toContain("experiment:write");
    expect(reply.body()).toContain("Nothing was changed.");
  });
});

describe("status and analyze", () => {
  it("status with no argument on a PR shows every experiment the diff touches, as the PR comment does", async () => {
    const probot = await setup();
    const p = payload("/experiment status");
    const gh = nockCommand(p);
    gh.get(`/repos/${OWNER}/${REPO}/pulls/${PR_NUMBER}`).matchHeader("accept", /diff/).reply(200, STATUS_DIFF);
    nockIssues(gh);
    const reply = nockReply(gh);
    const ph = nock(POSTHOG)
      .get(`${base}/feature_flags/`)
      .query({ limit: "100" })
      .reply(200, { count: project.flags.length, next: null, previous: null, results: project.flags });
    nockExperimentReads(101, ph);
    await receive(probot, p);
    expect(gh.pendingMocks()).toStrictEqual([]);
    expect(ph.pendingMocks()).toStrictEqual([]);
    const body = reply.body();
    expect(body).toContain("### [New checkout flow](https://us.posthog.com/project/4242/experiments/101)");
    expect(body).toContain("**✅ Promote `test`**");
    expect(body).toMatch(/\| `control` \| 10,020 \| `[█░]+` \d+% \|/);
    expect(body).toContain("**Open hygiene findings:** none.");

    // The same experiment's section of the sticky PR comment, for the same diff and data, is identical.
    const prProbot = await setup();
    const pr = examplePayload("pull_request", "opened");
    const gh2 = nockAppAuth();
    nockConfig(gh2, null);
    nockCheckRun(gh2);
    gh2.get(`/repos/${OWNER}/${REPO}/pulls/${PR_NUMBER}`).matchHeader("accept", /diff/).reply(200, STATUS_DIFF);
    gh2.get(commentsPath).query({ per_page: "100" }).reply(200, []);
    const prReply = nockReply(gh2);
    const ph2 = nock(POSTHOG)
      .get(`${base}/feature_flags/`)
      .query({ limit: "100" })
      .reply(200, { count: project.flags.length, next: null, previous: null, results: project.flags });
    nockExperimentReads(101, ph2);
    await prProbot.receive({ id: "pr-1", name: "pull_request", payload: pr as any });
    expect(gh2.pendingMocks()).toStrictEqual([]);
    const section = (text: string) => {
      const start = text.indexOf("### [New checkout flow]");
      const rest = text.slice(start);
      const end = rest.search(/\n(\*\*Open hygiene findings|### |<sub>experiment-hygiene)/);
      return rest.slice(0, end).trim();
    };
    expect(section(body).length).toBeGreaterThan(200);
    expect(section(body)).toBe(section(prReply.body()));
  });

  it("status on an issue needs a target", async () => {
    const probot = await setup();
    const p = payload("/experiment status", { onPr: false });
    const gh = nockCommand(p);
    const reply = nockReply(gh);
    await receive(probot, p);
    expect(reply.body()).toContain("On an issue, name a feature flag key or an experiment id");
  });

  it("analyze shows the reference chance to win and expected loss and every rule in order", async () => {
    const probot = await setup();
    const p = payload("/experiment analyze 120", { onPr: false });
    const gh = nockCommand(p);
    nockIssues(gh);
    const reply = nockReply(gh);
    nockExperimentReads(120);
    await receive(probot, p);
    const body = reply.body();
    const ref = (vectors as any).bayesian_beta_binomial.cases.find((c: any) => c.id === "100_of_1000_vs_120_of_1000");
    // 0.923183438974 → "92.32%", expected loss of shipping 0.000484613926356 (conversion rate) → "0.0485 pp".
    expect(body).toContain(`${(ref.p_treatment_beats_control * 100).toFixed(2)}%`);
    expect(body).toContain(`${(ref.expected_loss_if_ship_treatment * 100).toPrecision(3).replace(/0+$/, "")} pp of conversion`);
    expect(body).toMatch(/\| `control` \(control\) \| 1,000 \| 10\.00% \|/);
    expect(body).toMatch(/\| `test` \| 1,000 \| 12\.00% \| \+20\.0% \|/);
    expect(body).toContain("Cohen's h 0.064 (negligible)");
    expect(body).toContain("**Sample ratio mismatch test:** χ² = 0, df = 1, p = 1");
    const rules = [...body.matchAll(/^\| (\d+) \| `([a-z-]+)` \|/gm)].map((m) => m[2]);
    expect(rules).toEqual([
      "not-launched",
      "srm",
      "kill-regression",
      "below-minimum-sample",
      "significant-regression",
      "guardrail-regression",
      "no-metric-data",
      "significant-win",
      "guardrail-blocks-promote",
      "below-min-improvement",
      "past-max-duration",
      "near-significance",
      "not-yet-significant",
    ]);
    expect(body.match(/▶️ decided/g)).toHaveLength(1);
  });

  it("analyze of a flag key that no experiment uses says so", async () => {
    const probot = await setup();
    const p = payload("/experiment analyze no-such-flag");
    const gh = nockCommand(p);
    const reply = nockReply(gh);
    nockExperimentList(nock(POSTHOG), project);
    await receive(probot, p);
    expect(reply.body()).toContain('No experiment uses the feature flag "no-such-flag"');
  });

  it("escapes names, keys and free text when echoing them", async () => {
    const probot = await setup();
    const p = payload("/experiment ack new-checkout srm @everyone see [x](https://evil.example) <img src=x>");
    const gh = nockCommand(p);
    nockPermission(gh, "alice", "write", "write");
    nockIssues(gh, []);
    const created = vi.fn((b: any) => typeof b.body === "string");
    gh.post(`/repos/${OWNER}/${REPO}/issues`, created).reply(201, { number: 500 });
    const reply = nockReply(gh);
    nockExperimentList(nock(POSTHOG), project);
    await receive(probot, p);
    // Outside code spans (where nothing renders), nothing is live: no mention, no HTML, no link.
    const prose = reply.body().replace(/`[^`]*`/g, "");
    expect(prose).toContain("@\u200Beveryone see \\[x\\](https:\u200B//evil.example) &lt;img src=x&gt;");
    expect(prose).not.toMatch(/@everyone/);
    expect(prose).not.toContain("<img");
    expect(prose).not.toContain("](https://evil");
  });
});

describe("ack and snooze", () => {
  it("ack stores the acknowledgement in the dashboard and closes the finding's open issue", async () => {
    const probot = await setup();
    const p = payload("/experiment ack 103 srm known: bot traffic filter, fixed in #12");
    const gh = nockCommand(p);
    nockPermission(gh, "alice", "write", "write");
    const dashboardBody = `${issueMarker("dashboard")}\nNo lifecycle findings.\n\n${stateMarker({ first_seen: NOW.toISOString() })}`;
    const srmBody = `${issueMarker("experiment:103:srm")}\nSRM\n\n${stateMarker({ first_seen: NOW.toISOString(), p: 1e-9 })}`;
    nockIssues(gh, [
      { number: 40, title: "Experiment hygiene dashboard", state: "open", user: { login: BOT_LOGIN }, body: dashboardBody, created_at: NOW.toISOString(), closed_at: null },
      { number: 41, title: "SRM", state: "open", user: { login: BOT_LOGIN }, body: srmBody, created_at: NOW.toISOString(), closed_at: null },
    ]);
    const dash = vi.fn((b: any) => typeof b.body === "string");
    gh.patch(`/repos/${OWNER}/${REPO}/issues/40`, dash).reply(200, {});
    const closingComment = vi.fn((b: any) => typeof b.body === "string");
    gh.post(`/repos/${OWNER}/${REPO}/issues/41/comments`, closingComment).reply(201, {});
    const closed = vi.fn((b: any) => b.state === "closed");
    gh.patch(`/repos/${OWNER}/${REPO}/issues/41`, closed).reply(200, {});
    const reply = nockReply(gh);
    nockExperimentList(nock(POSTHOG), project);
    await receive(probot, p);
    expect(gh.pendingMocks()).toStrictEqual([]);
    const store = parseAcknowledgements((dash.mock.calls[0]![0] as any).body);
    expect(store.get("experiment:103:srm")).toEqual({
      kind: "ack",
      by: "alice",
      at: NOW.toISOString(),
      until: null,
      reason: "known: bot traffic filter, fixed in #12",
    });
    expect((closed.mock.calls[0]![0] as any).body).toContain('"closed_by":"app"');
    expect(reply.body()).toContain("Closed #41.");
  });

  it("snooze creates the dashboard when there is none, with an end date", async () => {
    const probot = await setup();
    const p = payload("/experiment snooze new-checkout stale-variants 7d");
    const gh = nockCommand(p);
    nockPermission(gh, "alice", "write", "write");
    nockIssues(gh, []);
    const created = vi.fn((b: any) => typeof b.body === "string");
    gh.post(`/repos/${OWNER}/${REPO}/issues`, created).reply(201, { number: 501 });
    const reply = nockReply(gh);
    nockExperimentList(nock(POSTHOG), project);
    await receive(probot, p);
    expect(gh.pendingMocks()).toStrictEqual([]);
    const issue = created.mock.calls[0]![0] as any;
    expect(issue.title).toBe("Experiment hygiene dashboard");
    expect(issue.labels).toEqual(["experiment-hygiene", "dashboard"]);
    expect(parseAcknowledgements(issue.body).get("experiment:101:stale-variants")).toMatchObject({
      kind: "snooze",
      until: "2026-11-27T12:00:00.000Z",
    });
    expect(reply.body()).toContain("snoozed by @\u200Balice until 2026-11-27");
  });

  it("a read-only user cannot ack", async () => {
    const probot = await setup();
    const p = payload("/experiment ack 103 srm", { login: "reader" });
    const gh = nockCommand(p);
    nockPermission(gh, "reader", "read", "read");
    const reply = nockReply(gh);
    await receive(probot, p);
    expect(gh.pendingMocks()).toStrictEqual([]);
    expect(reply.body()).toContain("ack needs write, maintain or admin access");
  });
});

describe("configuration", () => {
  it("answers that the app is turned off when the repository disables it, without calling PostHog", async () => {
    const probot = await setup();
    const p = payload("/experiment status new-checkout");
    const gh = nockAppAuth();
    gh.post(`/repos/${OWNER}/${REPO}/issues/comments/${p["comment"].id}/reactions`, { content: "eyes" }).reply(201, {});
    gh.get(commentsPath).query({ per_page: "100" }).reply(200, []);
    nockConfig(gh, "enabled: false\n");
    const reply = nockReply(gh);
    await receive(probot, p);
    expect(gh.pendingMocks()).toStrictEqual([]);
    expect(reply.body()).toContain("**experiment-hygiene is turned off here**");
  });

  it("names a bad key of the configuration with its line in the reply and answers with that key's default", async () => {
    const probot = await setup();
    const p = payload("/experiment help");
    const gh = nockAppAuth();
    gh.post(`/repos/${OWNER}/${REPO}/issues/comments/${p["comment"].id}/reactions`, { content: "eyes" }).reply(201, {});
    gh.get(commentsPath).query({ per_page: "100" }).reply(200, []);
    nockConfig(gh, "decision:\n  alpha: 7\n");
    const reply = nockReply(gh);
    await receive(probot, p);
    expect(gh.pendingMocks()).toStrictEqual([]);
    expect(reply.body()).toContain("**Usage**");
    expect(reply.body()).toContain("**Config problems** in `.github/experiment-hygiene.yml`");
    expect(reply.body()).toContain(
      `- \`decision.alpha\` at [line 2, column 10](https://github.com/${OWNER}/${REPO}/blob/HEAD/.github/experiment-hygiene.yml#L2): is a probability strictly between 0 and 1 (0.05, not 5); the default 0.05 is used`,
    );
  });

  it("answers a command with only the config error, line and column, when the file is not YAML", async () => {
    const probot = await setup();
    const p = payload("/experiment status new-checkout");
    const gh = nockAppAuth();
    gh.post(`/repos/${OWNER}/${REPO}/issues/comments/${p["comment"].id}/reactions`, { content: "eyes" }).reply(201, {});
    gh.get(commentsPath).query({ per_page: "100" }).reply(200, []);
    nockConfig(gh, "decision:\n  alpha: [0.05\n");
    const reply = nockReply(gh);
    await receive(probot, p); // no PostHog mock: any PostHog call would fail the test
    expect(gh.pendingMocks()).toStrictEqual([]);
    const body = reply.body();
    expect(body).toContain("**Config error:**");
    expect(body).toMatch(/\[line 3, column 1\]\(https:\/\/github\.com\/Codertocat\/Hello-World\/blob\/HEAD\/\.github\/experiment-hygiene\.yml#L3\): is not valid YAML/);
    expect(body).toContain("Nothing was done.");
    expect(body).not.toContain("api.github.com");
  });
});

describe("promote on stale PostHog data (max_data_age_hours)", () => {
  /** Experiment 101's reads, its exposures answered from a cache `ageHours` old for every refresh mode. */
  function nockReadsWithCachedExposures(ageHours: number, refreshes: string[]): nock.Scope {
    const scope = nock(POSTHOG);
    nockExperimentList(scope, project);
    nockExperiment(scope, project, 101);
    const cached = {
      ...(project.exposures["101"] as Record<string, unknown>),
      is_cached: true,
      last_refresh: new Date(NOW.getTime() - ageHours * 3_600_000).toISOString(),
    };
    scope
      .post(`${base}/query/`, (b) => b?.query?.kind === "ExperimentExposureQuery" && !!refreshes.push(b.refresh))
      .times(2)
      .reply(200, cached);
    const e = project.experiments.find((x) => x["id"] === 101)!;
    for (const m of [...((e["metrics"] as any[]) ?? []), ...((e["metrics_secondary"] as any[]) ?? [])]) nockMetric(scope, project, 101, m.uuid);
    return scope;
  }

  it("asks PostHog to recompute a 30-hour-old result and refuses the write while PostHog has nothing newer", async () => {
    const probot = await setup();
    const plan = await postPlan("/experiment promote new-checkout", 101);
    const p = payload("/experiment promote new-checkout --confirm", { login: "carol" });
    const gh = nockCommand(p, [plan]);
    nockPermission(gh, "carol", "admin", "admin");
    const reply = nockReply(gh, 9400);
    const refreshes: string[] = [];
    const ph = nockReadsWithCachedExposures(30, refreshes);
    ph.post(`${base}/experiments/101/ship_variant/`).reply(200, {}); // must stay pending
    await receive(probot, p);
    expect(refreshes).toEqual(["async", "force_async"]);
    expect(reply.body()).toContain("PostHog's results are not fresh enough");
    expect(reply.body()).toMatch(/older than max\\?_data\\?_age\\?_hours \(6 h\)/);
    expect(ph.pendingMocks()).toEqual([`POST ${POSTHOG}:443${base}/experiments/101/ship_variant/`]);
  });

  it("does not recompute a result younger than max_data_age_hours", async () => {
    const probot = await setup();
    const plan = await postPlan("/experiment promote new-checkout", 101);
    const p = payload("/experiment promote new-checkout --confirm", { login: "carol" });
    const gh = nockCommand(p, [plan]);
    nockPermission(gh, "carol", "admin", "admin");
    nockIssues(gh);
    gh.get(`/repos/${OWNER}/${REPO}/pulls/${PR_NUMBER}`).reply(200, { number: PR_NUMBER, head: { sha: HEAD_SHA } });
    gh.patch(`/repos/${OWNER}/${REPO}/issues/comments/${plan.id}`).reply(200, { id: plan.id });
    const reply = nockReply(gh, 9401);
    const refreshes: string[] = [];
    const ph = nockReadsWithCachedExposures(2, refreshes);
    const shipped = vi.fn((_b: any) => true);
    ph.post(`${base}/experiments/101/ship_variant/`, shipped).reply(200, project.experiments.find((e) => e["id"] === 101) as nock.Body);
    await receive(probot, p);
    expect(refreshes).toEqual(["async"]);
    expect(shipped).toHaveBeenCalledTimes(1);
    expect(reply.body()).toContain("### ✅ Promoted `test`");
  });
});

describe("autopilot off|on", () => {
  it("`/experiment autopilot off` on the autopilot issue stores a pause in the dashboard and closes that issue", async () => {
    const probot = await setup();
    const p = payload("/experiment autopilot off", { onPr: false });
    p["issue"].body = `${issueMarker("experiment:103:autopilot")}\nAutopilot will roll back\n`;
    p["issue"].user = { ...p["issue"].user, login: BOT_LOGIN };
    const gh = nockCommand(p);
    nockPermission(gh, "alice", "write", "write");
    const dashboardBody = `${issueMarker("dashboard")}\nNo lifecycle findings.\n\n${stateMarker({ first_seen: NOW.toISOString() })}`;
    const autopilotBody = `${issueMarker("experiment:103:autopilot")}\nAutopilot will roll back\n\n${stateMarker({ first_seen: NOW.toISOString() })}`;
    nockIssues(gh, [
      { number: 40, title: "Experiment hygiene dashboard", state: "open", user: { login: BOT_LOGIN }, body: dashboardBody, created_at: NOW.toISOString(), closed_at: null },
      { number: 42, title: "Autopilot will roll back", state: "open", user: { login: BOT_LOGIN }, body: autopilotBody, created_at: NOW.toISOString(), closed_at: null },
    ]);
    const dash = vi.fn((b: any) => typeof b.body === "string");
    gh.patch(`/repos/${OWNER}/${REPO}/issues/40`, dash).reply(200, {});
    const closingComment = vi.fn((b: any) => typeof b.body === "string");
    gh.post(`/repos/${OWNER}/${REPO}/issues/42/comments`, closingComment).reply(201, {});
    gh.patch(`/repos/${OWNER}/${REPO}/issues/42`, (b: any) => b.state === "closed").reply(200, {});
    const reply = nockReply(gh);
    nockExperimentList(nock(POSTHOG), project);
    await receive(probot, p);
    expect(gh.pendingMocks()).toStrictEqual([]);
    expect(parseAcknowledgements((dash.mock.calls[0]![0] as any).body).get("experiment:103:autopilot")).toEqual({
      kind: "ack",
      by: "alice",
      at: NOW.toISOString(),
      until: null,
      reason: "autopilot off",
    });
    expect((closingComment.mock.calls[0]![0] as any).body).toContain("Autopilot turned off for this experiment");
    expect(reply.body()).toContain("**Autopilot is off** for Onboarding checklist (experiment 103)");
  });

  it("`/experiment autopilot on 103` removes the pause", async () => {
    const probot = await setup();
    const p = payload("/experiment autopilot on 103", { onPr: false });
    const gh = nockCommand(p);
    nockPermission(gh, "alice", "write", "maintain");
    const pause = { "experiment:103:autopilot": { kind: "ack", by: "bob", at: NOW.toISOString(), until: null, reason: "autopilot off" } };
    const dashboardBody = `${issueMarker("dashboard")}\nNo lifecycle findings.\n<!-- experiment-hygiene:acks ${JSON.stringify(pause)} -->\n${stateMarker({ first_seen: NOW.toISOString() })}`;
    nockIssues(gh, [
      { number: 40, title: "Experiment hygiene dashboard", state: "open", user: { login: BOT_LOGIN }, body: dashboardBody, created_at: NOW.toISOString(), closed_at: null },
    ]);
    const dash = vi.fn((b: any) => typeof b.body === "string");
    gh.patch(`/repos/${OWNER}/${REPO}/issues/40`, dash).reply(200, {});
    const reply = nockReply(gh);
    nockExperimentList(nock(POSTHOG), project);
    await receive(probot, p);
    expect(gh.pendingMocks()).toStrictEqual([]);
    expect(parseAcknowledgements((dash.mock.calls[0]![0] as any).body).has("experiment:103:autopilot")).toBe(false);
    expect(reply.body()).toContain("**Autopilot is on again**");
  });

  it("a read-only user cannot turn autopilot off, and off needs a target outside an autopilot issue", async () => {
    const probot = await setup();
    const p = payload("/experiment autopilot off 103", { login: "reader" });
    const gh = nockCommand(p);
    nockPermission(gh, "reader", "read", "read");
    const reply = nockReply(gh);
    await receive(probot, p);
    expect(gh.pendingMocks()).toStrictEqual([]);
    expect(reply.body()).toContain("autopilot off needs write, maintain or admin access");

    const q = payload("/experiment autopilot off");
    const gh2 = nockCommand(q);
    nockPermission(gh2, "alice", "write", "write");
    const reply2 = nockReply(gh2, 9101);
    await receive(await setup(), q);
    expect(gh2.pendingMocks()).toStrictEqual([]);
    expect(reply2.body()).toContain("Outside an autopilot issue, name a feature flag key or an experiment id");
  });
});
