/**
 * The autopilot through the scheduled scan: the fake PostHog server (src/demo/fake-posthog.ts, which
 * records writes) and a stateful GitHub behind nock (issues, comments, reactions). Each scenario runs scans
 * at chosen times and checks the PostHog writes and what was posted, in order.
 */
import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { tokenOctokit } from "../../src/cli/scan.js";
import { buildProject, type DemoExperiment } from "../../src/demo/project.js";
import { startFakePostHog, type FakePostHog, type FakeProject } from "../../src/demo/fake-posthog.js";
import { runScan, type ScanResult, type ScanTarget } from "../../src/pipeline/scan.js";
import { createPostHogClient } from "../../src/posthog/index.js";
import type { FindingCapture } from "../../src/posthog/capture.js";
import { parseRecordStore } from "../../src/render/decision-record.js";

const NOW = new Date("2026-11-20T12:00:00Z");
const H = 3_600_000;
const GH = "https://api.github.com";
const OWNER = "acme";
const REPO = "shop";
const BOT = "experiment-hygiene[bot]";
const KEY = "phx_autopilot_test";
const PID = "4242";

const conv = (uuid: string, rate: number) => ({ [uuid]: { rate } });
const primary = { uuid: "m-buy", name: "Purchase conversion", type: "funnel" as const, event: "purchase" };

/** −20 % on the primary metric, 10,000 users per arm, 50/50: a significant regression, no SRM. */
const REGRESSION: DemoExperiment = {
  id: 301,
  name: "Risky checkout",
  description: "A new checkout.",
  flagId: 401,
  flagKey: "risky-checkout",
  method: "frequentist",
  startDaysAgo: 10,
  arms: [
    { key: "control", split: 50, exposures: 10_000, values: conv("m-buy", 0.1) },
    { key: "test", split: 50, exposures: 10_000, values: conv("m-buy", 0.08) },
  ],
  primary,
  recommended: { sampleSize: 16_000, runningTime: 14, home: "running_time_calculation" },
};
/** +20 %: a significant win. */
const WIN: DemoExperiment = {
  ...REGRESSION,
  id: 302,
  name: "Better checkout",
  flagId: 402,
  flagKey: "better-checkout",
  arms: [
    { key: "control", split: 50, exposures: 10_000, values: conv("m-buy", 0.1) },
    { key: "test", split: 50, exposures: 10_000, values: conv("m-buy", 0.12) },
  ],
};
/** No effect, 30 days running against a 14-day recommended running time. */
const OLD: DemoExperiment = {
  ...REGRESSION,
  id: 303,
  name: "Forgotten test",
  flagId: 403,
  flagKey: "forgotten-test",
  startDaysAgo: 30,
  arms: [
    { key: "control", split: 50, exposures: 10_000, values: conv("m-buy", 0.1) },
    { key: "test", split: 50, exposures: 10_000, values: conv("m-buy", 0.1) },
  ],
};
/** The regression with a sample ratio mismatch (5,300 vs 4,700 at 50/50). */
const SRM: DemoExperiment = {
  ...REGRESSION,
  arms: [
    { key: "control", split: 50, exposures: 5_300, values: conv("m-buy", 0.1) },
    { key: "test", split: 50, exposures: 4_700, values: conv("m-buy", 0.08) },
  ],
};

interface Issue {
  number: number;
  state: "open" | "closed";
  title: string;
  body: string;
  labels: string[];
  user: { login: string };
  created_at: string;
  closed_at: string | null;
}
interface Comment {
  id: number;
  issue: number;
  body: string;
  user: { login: string };
}

/** A repository on a stateful fake GitHub (nock, persisted) and an ordered log of what happened. */
class FakeRepo {
  issues: Issue[] = [];
  comments: Comment[] = [];
  reactions = new Set<string>();
  log: string[] = [];
  private next = 1;
  constructor(public yaml: string, dashboardBody: string | null = null) {
    if (dashboardBody) {
      this.issues.push({ number: this.next++, state: "open", title: "Experiment hygiene dashboard", body: dashboardBody, labels: ["experiment-hygiene", "dashboard"], user: { login: BOT }, created_at: NOW.toISOString(), closed_at: null });
    }
    const base = `/repos/${OWNER}/${REPO}`;
    const scope = nock(GH).persist();
    scope.get(`${base}/contents/.github%2Fexperiment-hygiene.yml`).reply(200, () => this.yaml);
    scope.get(`${base}/issues`).query(true).reply(200, () => this.issues);
    scope.post(`${base}/issues`).reply(201, (_u, b: any) => {
      const issue: Issue = { number: this.next++, state: "open", title: b.title, body: b.body, labels: b.labels, user: { login: BOT }, created_at: NOW.toISOString(), closed_at: null };
      this.issues.push(issue);
      this.log.push(`create issue ${b.labels.join(",")}`);
      return issue;
    });
    scope.get(/\/repos\/acme\/shop\/issues\/\d+$/).reply(200, (u) => this.issue(u));
    scope.patch(/\/repos\/acme\/shop\/issues\/\d+$/).reply(200, (u, b: any) => {
      const issue = this.issue(u);
      if (b.body !== undefined) issue.body = b.body;
      if (b.title !== undefined) issue.title = b.title;
      if (b.state) {
        issue.state = b.state;
        if (b.state === "closed") this.log.push(`close issue #${issue.number}`);
      }
      return issue;
    });
    scope.get(/\/repos\/acme\/shop\/issues\/\d+\/comments/).reply(200, (u) => this.comments.filter((c) => c.issue === Number(/issues\/(\d+)\/comments/.exec(u)![1])));
    scope.post(/\/repos\/acme\/shop\/issues\/\d+\/comments/).reply(201, (u, b: any) => {
      const c: Comment = { id: 1000 + this.comments.length, issue: Number(/issues\/(\d+)\/comments/.exec(u)![1]), body: b.body, user: { login: BOT } };
      this.comments.push(c);
      this.log.push(`comment #${c.issue}: ${c.body.includes("autopilot-announce") ? "announce" : c.body.includes("autopilot-record") ? "record" : "other"}`);
      return c;
    });
    scope.post(/\/repos\/acme\/shop\/issues\/comments\/\d+\/reactions/).reply((u) => {
      const first = !this.reactions.has(u);
      this.reactions.add(u);
      return [first ? 201 : 200, { id: 1, content: "rocket", user: { login: BOT } }];
    });
  }
  private issue(u: string): Issue {
    const n = Number(/issues\/(\d+)/.exec(u)![1]);
    return this.issues.find((i) => i.number === n)!;
  }
  announcements(): Comment[] {
    return this.comments.filter((c) => c.body.includes("autopilot-announce"));
  }
  records(): Comment[] {
    return this.comments.filter((c) => c.body.includes("autopilot-record"));
  }
  /** Decision-record pull requests opened (title, head, the files' blob contents). */
  pulls: { number: number; title: string; head: string; body: string; blobs: string[] }[] = [];
  /**
   * Accept decision-record pull requests: the Git data API (ref → commit → blobs → tree → commit → ref) and
   * `pulls.create`, with the shapes of test/pipeline/records-scan.test.ts; the records folder is absent.
   */
  acceptRecordPullRequests(): this {
    const base = `/repos/${OWNER}/${REPO}`;
    const scope = nock(GH).persist();
    let blobs: string[] = [];
    scope.get(`${base}/pulls`).query(true).reply(200, (u) => {
      const head = new URL(u, GH).searchParams.get("head") ?? "";
      return this.pulls
        .filter((p) => `${OWNER}:${p.head}` === head)
        .map((p) => ({ number: p.number, state: "open", merged_at: null, head: { sha: `sha-${p.number}`, ref: p.head } }));
    });
    scope.get(base).reply(200, { default_branch: "main", full_name: `${OWNER}/${REPO}` });
    scope.get(/\/repos\/acme\/shop\/contents\/docs%2Fexperiments/).query(true).reply(404, { message: "Not Found" });
    scope.get(`${base}/git/ref/heads%2Fmain`).reply(200, { ref: "refs/heads/main", object: { sha: "aaa111", type: "commit" } });
    scope.get(`${base}/git/commits/aaa111`).reply(200, { sha: "aaa111", tree: { sha: "tree000" } });
    scope.post(`${base}/git/blobs`).reply(201, (_u, b: any) => {
      blobs.push(b.content);
      return { sha: `blob${blobs.length}` };
    });
    scope.post(`${base}/git/trees`).reply(201, { sha: "tree111" });
    scope.post(`${base}/git/commits`).reply(201, { sha: "ccc222" });
    scope.post(`${base}/git/refs`).reply(201, (_u, b: any) => ({ ref: b.ref, object: { sha: b.sha } }));
    scope.post(`${base}/pulls`).reply(201, (_u, b: any) => {
      const pr = { number: 500 + this.pulls.length, title: b.title, head: b.head, body: b.body, blobs };
      blobs = [];
      this.pulls.push(pr);
      this.log.push(`record pull request #${pr.number}`);
      return { number: pr.number };
    });
    return this;
  }
}

let servers: FakePostHog[] = [];
beforeEach(() => nock.disableNetConnect());
afterEach(async () => {
  nock.cleanAll();
  nock.enableNetConnect();
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

async function posthogFor(experiments: DemoExperiment[], tweak?: (p: FakeProject) => void) {
  const project = buildProject(NOW, experiments, [], PID);
  tweak?.(project);
  const server = await startFakePostHog(project, { apiKey: KEY });
  servers.push(server);
  nock.enableNetConnect("127.0.0.1");
  return server;
}

function scan(server: FakePostHog, at: Date, opts: { writes?: boolean; capture?: FindingCapture } = {}): Promise<ScanResult> {
  const target: ScanTarget = { octokit: tokenOctokit({ GITHUB_TOKEN: "ghs_test" }) as unknown as ScanTarget["octokit"], repo: { owner: OWNER, repo: REPO } };
  const posthog = createPostHogClient({ host: server.url, projectId: PID, apiKey: KEY, retry: { limit: 0 } });
  return runScan([target], { posthog, now: at, botLogin: BOT, writesAllowed: opts.writes ?? true, capture: opts.capture ?? null });
}

const yaml = (autopilot: string, extra = "") => `reports:\n  enabled: true\n  scope: all\nautopilot:\n${autopilot}\n${extra}`;
const ROLLBACK_ON = yaml("  rollback: true");

describe("autopilot rollback", () => {
  it("a regression confirmed twice leads to exactly one rollback write, announced first and recorded after", async () => {
    const ph = await posthogFor([REGRESSION]);
    const gh = new FakeRepo(ROLLBACK_ON);

    const first = await scan(ph, NOW);
    expect(first.repositories[0]!.error).toBeNull();
    expect(ph.writes).toEqual([]);
    expect(gh.announcements()).toHaveLength(1);
    expect(gh.announcements()[0]!.body).toContain("will roll back Risky checkout (experiment 301, flag `risky-checkout`) at the next evaluation, at least 6 h from now, unless someone comments `/experiment autopilot off`");
    gh.log.push("— second scan —");

    const second = await scan(ph, new Date(NOW.getTime() + 7 * H));
    expect(ph.writes).toHaveLength(1);
    expect(ph.writes[0]).toMatchObject({ method: "POST", path: `/api/projects/${PID}/experiments/301/ship_variant/`, body: { variant_key: "control", conclusion: "lost" } });
    expect((ph.writes[0]!.body as any).conclusion_comment).toContain("autopilot");
    const action = second.repositories[0]!.autopilot[0]!;
    expect(action).toMatchObject({ experimentId: 301, kind: "rollback", outcome: "applied", variant: "control", conclusion: "lost" });
    expect(action.sentRequests).toEqual([{ method: "POST", path: `/api/projects/${PID}/experiments/301/ship_variant/`, body: ph.writes[0]!.body }]);
    expect(action.reasons[0]).toMatch(/worse|regress/i);
    // Announced before, recorded after, on the same issue.
    const announce = gh.log.findIndex((l) => l.endsWith("announce"));
    const record = gh.log.findIndex((l) => l.endsWith("record"));
    expect(announce).toBeGreaterThanOrEqual(0);
    expect(record).toBeGreaterThan(gh.log.indexOf("— second scan —"));
    expect(gh.records()).toHaveLength(1);
    expect(gh.records()[0]!.body).toContain(`POST /api/projects/${PID}/experiments/301/ship_variant/`);
    expect(gh.records()[0]!.body).toContain('"variant_key": "control"');
    expect(gh.records()[0]!.issue).toBe(gh.announcements()[0]!.issue);

    // A third scan (the experiment has ended) writes nothing more and closes the autopilot issue.
    await scan(ph, new Date(NOW.getTime() + 30 * H));
    expect(ph.writes).toHaveLength(1);
    const issue = gh.issues.find((i) => i.number === gh.records()[0]!.issue)!;
    expect(issue.state).toBe("closed");
  });

  it("an unconfirmed regression (second look too early, or only one look) leads to no write", async () => {
    const ph = await posthogFor([REGRESSION]);
    const gh = new FakeRepo(ROLLBACK_ON);
    await scan(ph, NOW);
    await scan(ph, new Date(NOW.getTime() + 2 * H));
    expect(ph.writes).toEqual([]);
    expect(gh.announcements()).toHaveLength(1);
  });

  it("redelivered and overlapping confirming scans still make exactly one write", async () => {
    const ph = await posthogFor([REGRESSION]);
    const gh = new FakeRepo(ROLLBACK_ON);
    await scan(ph, NOW);
    const later = new Date(NOW.getTime() + 7 * H);
    const results = await Promise.all([scan(ph, later), scan(ph, later)]);
    await scan(ph, later); // redelivered afterwards
    expect(ph.writes).toHaveLength(1);
    expect(results.flatMap((r) => r.repositories[0]!.autopilot)).toHaveLength(1);
    expect(gh.records()).toHaveLength(1);
  });

  it("a redelivered first scan is not a second evaluation", async () => {
    const ph = await posthogFor([REGRESSION]);
    const gh = new FakeRepo(ROLLBACK_ON);
    await scan(ph, NOW);
    await scan(ph, NOW);
    expect(ph.writes).toEqual([]);
    expect(gh.announcements()).toHaveLength(1);
  });

  it("no write while SRM is open", async () => {
    const ph = await posthogFor([SRM]);
    const gh = new FakeRepo(ROLLBACK_ON);
    const first = await scan(ph, NOW);
    await scan(ph, new Date(NOW.getTime() + 7 * H));
    expect(first.repositories[0]!.findings.map((f) => f.kind)).toContain("srm");
    expect(ph.writes).toEqual([]);
    expect(gh.announcements()).toEqual([]);
  });

  it("no write after `/experiment autopilot off` (a pause in the dashboard's store)", async () => {
    const ph = await posthogFor([REGRESSION]);
    const pause = { "experiment:301:autopilot": { kind: "ack", by: "octocat", at: NOW.toISOString(), until: null, reason: "autopilot off" } };
    const dashboard = `<!-- experiment-hygiene:issue:dashboard -->\nNo findings.\n<!-- experiment-hygiene:acks ${JSON.stringify(pause)} -->\n`;
    const gh = new FakeRepo(ROLLBACK_ON, dashboard);
    const first = await scan(ph, NOW);
    await scan(ph, new Date(NOW.getTime() + 7 * H));
    expect(ph.writes).toEqual([]);
    expect(gh.announcements()).toEqual([]);
    expect(first.repositories[0]!.autopilotEvaluations[0]!.notes.join(" ")).toContain("autopilot is off for this experiment (turned off by @octocat");
  });

  it("no write when the operator does not allow PostHog writes", async () => {
    const ph = await posthogFor([REGRESSION]);
    const gh = new FakeRepo(ROLLBACK_ON);
    await scan(ph, NOW, { writes: false });
    await scan(ph, new Date(NOW.getTime() + 7 * H), { writes: false });
    expect(ph.writes).toEqual([]);
    expect(gh.comments).toEqual([]);
  });

  it("no write on stale data (older than max_data_age_hours even after a forced refresh)", async () => {
    const stale = new Date(NOW.getTime() - 48 * H).toISOString();
    const ph = await posthogFor([REGRESSION], (p) => {
      for (const k of Object.keys(p.metrics)) Object.assign(p.metrics[k] as object, { last_refresh: stale, is_cached: true });
    });
    const gh = new FakeRepo(ROLLBACK_ON);
    const first = await scan(ph, NOW);
    await scan(ph, new Date(NOW.getTime() + 7 * H));
    expect(ph.writes).toEqual([]);
    expect(gh.announcements()).toEqual([]);
    expect(first.repositories[0]!.autopilotEvaluations[0]!.notes.join(" ")).toMatch(/older than max_data_age_hours/);
  });

  it("refuses, and says why, when the repository turned always-valid inference off", async () => {
    const ph = await posthogFor([REGRESSION]);
    const gh = new FakeRepo(yaml("  rollback: true", "decision:\n  sequential: false\n"));
    const first = await scan(ph, NOW);
    await scan(ph, new Date(NOW.getTime() + 7 * H));
    expect(ph.writes).toEqual([]);
    expect(gh.announcements()).toEqual([]);
    expect(first.repositories[0]!.autopilotEvaluations[0]!.notes.join(" ")).toContain("decision.sequential is false");
  });

  it("with autopilot off (the default) nothing is written or announced", async () => {
    const ph = await posthogFor([REGRESSION]);
    const gh = new FakeRepo("reports:\n  enabled: true\n  scope: all\n");
    await scan(ph, NOW);
    await scan(ph, new Date(NOW.getTime() + 7 * H));
    expect(ph.writes).toEqual([]);
    expect(gh.comments).toEqual([]);
  });
});

describe("autopilot announcements", () => {
  it("escapes the experiment's name, and captures the write as a finding event when capture is configured", async () => {
    const ph = await posthogFor([{ ...REGRESSION, name: "Checkout @core-team <img src=x> [x](https://evil.example)" }]);
    const gh = new FakeRepo(ROLLBACK_ON);
    const events: Record<string, unknown>[] = [];
    const capture: FindingCapture = { capture: () => {}, captureEvent: (p) => events.push(p), shutdown: async () => {} };
    await scan(ph, NOW, { capture });
    await scan(ph, new Date(NOW.getTime() + 7 * H), { capture });
    for (const c of gh.comments) {
      expect(c.body).not.toMatch(/(^|[^\u200b])@core-team/);
      expect(c.body).not.toContain("<img");
      expect(c.body).not.toContain("](https://evil");
    }
    expect(events).toEqual([
      expect.objectContaining({ kind: "autopilot", action: "rollback", outcome: "applied", experiment_id: 301, variant: "control", conclusion: "lost", repository: "acme/shop" }),
    ]);
  });
});

describe("autopilot decision records", () => {
  it("a confirmed autopilot rollback leads to exactly one decision-record pull request naming the autopilot", async () => {
    const ph = await posthogFor([REGRESSION]);
    const gh = new FakeRepo(ROLLBACK_ON).acceptRecordPullRequests();
    await scan(ph, NOW);
    expect(gh.pulls).toEqual([]);
    const second = await scan(ph, new Date(NOW.getTime() + 7 * H));
    expect(ph.writes).toHaveLength(1);
    expect(second.repositories[0]!.autopilotRecords).toEqual([{ experimentId: 301, outcome: { kind: "pull_request", pullRequest: 500 }, dashboard: null }]);
    expect(gh.pulls).toHaveLength(1);
    const pr = gh.pulls[0]!;
    expect(pr).toMatchObject({ title: "Decision record: Risky checkout (experiment 301)", head: "experiment-hygiene/record-301" });
    const [recordText] = pr.blobs;
    expect(recordText).toMatch(/\| Decided by \| the app's autopilot \(rollback, rule `(kill-regression|significant-regression|guardrail-regression)`\)/);
    expect(recordText).toContain("| Decision | **Roll back to `control`** · PostHog conclusion `lost` |");
    // After the write: the record comment on the autopilot issue, then the decision-record pull request.
    expect(gh.log.indexOf("record pull request #500")).toBeGreaterThan(gh.log.findIndex((l) => l.endsWith("record")));
    // Later scans (the experiment now concluded in PostHog) find the pull request and open no second one.
    await scan(ph, new Date(NOW.getTime() + 30 * H));
    await scan(ph, new Date(NOW.getTime() + 60 * H));
    expect(gh.pulls).toHaveLength(1);
    expect(ph.writes).toHaveLength(1);
  });

  it("records.mode: dashboard keeps the autopilot's record in the dashboard at once, and once", async () => {
    const ph = await posthogFor([REGRESSION]);
    const gh = new FakeRepo(yaml("  rollback: true", "records:\n  mode: dashboard\n"));
    await scan(ph, NOW);
    const second = await scan(ph, new Date(NOW.getTime() + 7 * H));
    const dashboard = gh.issues.find((i) => i.labels.includes("dashboard"))!;
    expect(second.repositories[0]!.autopilotRecords).toEqual([{ experimentId: 301, outcome: { kind: "dashboard", note: null }, dashboard: dashboard.number }]);
    expect(dashboard.body).toMatch(/\| Decided by \| the app's autopilot \(rollback, rule `/);
    expect(parseRecordStore(dashboard.body).get(301)?.summary.conclusion.decidedBy).toMatchObject({ kind: "autopilot", action: "rollback" });
    await scan(ph, new Date(NOW.getTime() + 30 * H));
    const after = parseRecordStore(gh.issues.find((i) => i.labels.includes("dashboard"))!.body);
    expect([...after.keys()]).toEqual([301]);
    expect(after.get(301)?.summary.conclusion.decidedBy.kind).toBe("autopilot");
  });

  it("with records.enabled: false the autopilot writes no record", async () => {
    const ph = await posthogFor([REGRESSION]);
    const gh = new FakeRepo(yaml("  rollback: true", "records:\n  enabled: false\n")).acceptRecordPullRequests();
    await scan(ph, NOW);
    const second = await scan(ph, new Date(NOW.getTime() + 7 * H));
    expect(ph.writes).toHaveLength(1);
    expect(second.repositories[0]!.autopilotRecords).toBeUndefined();
    expect(gh.pulls).toEqual([]);
  });
});

describe("autopilot promote and expire", () => {
  it("promote on: ships the winner once, after two evaluations", async () => {
    const ph = await posthogFor([WIN]);
    const gh = new FakeRepo(yaml("  promote: true"));
    await scan(ph, NOW);
    expect(ph.writes).toEqual([]);
    expect(gh.announcements()[0]!.body).toContain("will promote Better checkout");
    await scan(ph, new Date(NOW.getTime() + 7 * H));
    expect(ph.writes).toEqual([
      { method: "POST", path: `/api/projects/${PID}/experiments/302/ship_variant/`, body: expect.objectContaining({ variant_key: "test", conclusion: "won" }) },
    ]);
    expect(gh.records()).toHaveLength(1);
  });

  it("promote off (rollback on): a winner is not shipped", async () => {
    const ph = await posthogFor([WIN]);
    const gh = new FakeRepo(ROLLBACK_ON);
    await scan(ph, NOW);
    await scan(ph, new Date(NOW.getTime() + 7 * H));
    expect(ph.writes).toEqual([]);
    expect(gh.comments).toEqual([]);
  });

  it("expire on: ends an undecided experiment past its maximum duration as inconclusive, flag untouched", async () => {
    const ph = await posthogFor([OLD]);
    const gh = new FakeRepo(yaml("  expire: true"));
    await scan(ph, NOW);
    expect(gh.announcements()[0]!.body).toContain("its feature flag is left as configured");
    await scan(ph, new Date(NOW.getTime() + 7 * H));
    expect(ph.writes).toEqual([
      { method: "POST", path: `/api/projects/${PID}/experiments/303/end/`, body: expect.objectContaining({ conclusion: "inconclusive" }) },
    ]);
    expect(gh.records()[0]!.body).toContain("The feature flag was left as configured");
  });

  it("expire off: the old experiment keeps running", async () => {
    const ph = await posthogFor([OLD]);
    const gh = new FakeRepo(ROLLBACK_ON);
    await scan(ph, NOW);
    await scan(ph, new Date(NOW.getTime() + 7 * H));
    expect(ph.writes).toEqual([]);
    expect(gh.announcements()).toEqual([]);
  });
});
