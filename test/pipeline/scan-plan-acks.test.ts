/**
 * `planRepositoryIssues` with acknowledgements (`/experiment ack|snooze`): an acknowledged finding is left
 * out of the issues but reported as acknowledged, its open issue is in scope and closed with a comment
 * naming who and why, an expired snooze brings the finding back, and the dashboard carries the
 * "Acknowledged and snoozed" section and the acks marker only when there are acknowledgements.
 */
import { describe, expect, it } from "vitest";
import { reportsSchema } from "../../src/config/schema.js";
import {
  acknowledgementsMarker,
  parseAcknowledgements,
  type Acknowledgement,
  type AcknowledgementStore,
} from "../../src/pipeline/acknowledgements.js";
import type { LoadedProject } from "../../src/pipeline/project-state.js";
import { DASHBOARD_KEY, parseDashboardKeys, planRepositoryIssues, type PlanInput } from "../../src/pipeline/scan-plan.js";
import { exposuresFromTotals, makeExperiment, NOW } from "../detectors/fixtures.js";

const SRM_KEY = "experiment:3:srm";
const ZOMBIE_KEY = "experiment:1:zombie";
const ACKS_PREFIX = "<!-- experiment-hygiene:acks ";
const SECTION = "### Acknowledged and snoozed";

/**
 * A project as `loadProjectState` returns it: experiment 3 ("Biased") has an SRM (5,300 vs 4,700 at
 * 50/50) and was watched; experiment 1 ("Old") has run since March (zombie); experiment 2 ended.
 */
function project(watched: number[] = [3]): LoadedProject {
  const biased = makeExperiment({ id: 3, name: "Biased", flagKey: "biased" }, { id: 30, key: "biased" });
  const old = makeExperiment({ id: 1, name: "Old", flagKey: "old", startDate: "2026-03-01T00:00:00Z" }, { id: 11, key: "old" });
  const ended = makeExperiment(
    { id: 2, name: "Ended", flagKey: "ended", status: "stopped", endDate: "2026-06-01T00:00:00Z", conclusion: "lost" },
    { id: 12, key: "ended", active: false },
  );
  return {
    host: "https://us.posthog.com",
    projectId: "1",
    now: NOW,
    state: {
      now: NOW,
      experiments: [biased, old, ended],
      flags: [],
      exposures: new Map([[3, exposuresFromTotals({ control: 5300, test: 4700 }, "2026-06-14")]]),
      metricResults: new Map(),
      flagActivity: new Map(),
      decisions: new Map(),
    },
    watched: new Set(watched),
    currentDecisions: new Map(),
    skipped: [],
    requests: 0,
  };
}

function plan(acknowledgements?: AcknowledgementStore, over: Partial<PlanInput> = {}) {
  return planRepositoryIssues({
    project: project(),
    scopeFlagKeys: null,
    memory: new Map(),
    reports: reportsSchema.parse({}),
    ...(acknowledgements ? { acknowledgements } : {}),
    ...over,
  });
}

const ack = (over: Partial<Acknowledgement> = {}): Acknowledgement => ({
  kind: "ack",
  by: "alice",
  at: "2026-06-14T09:00:00.000Z",
  until: null,
  reason: "bot traffic from *crawler* <b>",
  ...over,
});
const snooze = (until: string): Acknowledgement => ({ kind: "snooze", by: "bob", at: "2026-06-10T00:00:00.000Z", until, reason: null });

describe("planRepositoryIssues without acknowledgements (baseline)", () => {
  it("opens the SRM issue and lists the zombie in a dashboard without acks section or marker", () => {
    const r = plan();
    expect(r.findings.map((f) => f.dedupeKey)).toEqual([SRM_KEY, ZOMBIE_KEY]);
    expect(r.desired.map((d) => d.dedupeKey)).toEqual([SRM_KEY, DASHBOARD_KEY]);
    expect(r.acknowledged).toEqual([]);
    expect(r.acknowledgements.size).toBe(0);
    const dashboard = r.desired.find((d) => d.dedupeKey === DASHBOARD_KEY)!;
    expect(dashboard.body).not.toContain(SECTION);
    expect(dashboard.body).not.toContain(ACKS_PREFIX);
    expect(r.closeComment(SRM_KEY)).toBeNull();
  });
});

describe("planRepositoryIssues with an acknowledged SRM", () => {
  const store = (): AcknowledgementStore => new Map([[SRM_KEY, ack()]]);

  it("leaves the finding out of the issues and reports it as acknowledged", () => {
    const r = plan(store());
    expect(r.desired.map((d) => d.dedupeKey)).toEqual([DASHBOARD_KEY]);
    expect(r.findings.map((f) => f.dedupeKey)).toEqual([ZOMBIE_KEY]);
    expect(r.acknowledged.map((f) => f.dedupeKey)).toEqual([SRM_KEY]);
    expect(r.acknowledgements).toEqual(store());
  });

  it("keeps the open issue in scope and closes it with a comment naming who and why (escaped)", () => {
    const r = plan(store());
    expect(r.inScope(SRM_KEY)).toBe(true);
    const comment = r.closeComment(SRM_KEY)!;
    expect(comment).toBe(
      "Closing: acknowledged by @\u200Balice on 2026-06-14: bot traffic from \\*crawler\\* &lt;b&gt; (`/experiment ack`). " +
        "Reports leave this finding out while the experiment runs.",
    );
    expect(r.closeReason(SRM_KEY)).toBe("acknowledged by @\u200Balice on 2026-06-14: bot traffic from \\*crawler\\* &lt;b&gt;");
  });

  it("an acknowledgement brings a key into scope even when the experiment was not watched this scan", () => {
    const unwatched = { project: project([]) };
    expect(plan(undefined, unwatched).inScope(SRM_KEY)).toBe(false);
    expect(plan(store(), unwatched).inScope(SRM_KEY)).toBe(true);
  });

  it("puts the acks section and marker in the dashboard, before the findings marker", () => {
    const body = plan(store()).desired.find((d) => d.dedupeKey === DASHBOARD_KEY)!.body;
    expect(body).toContain(SECTION);
    expect(body).toContain("- Biased `srm`: acknowledged by @\u200Balice on 2026-06-14: bot traffic from \\*crawler\\* &lt;b&gt;");
    expect(body).toContain(acknowledgementsMarker(store()));
    expect(parseAcknowledgements(body)).toEqual(store());
    expect(body.indexOf(ACKS_PREFIX)).toBeLessThan(body.indexOf("<!-- experiment-hygiene:findings "));
    expect([...parseDashboardKeys(body)]).toEqual([ZOMBIE_KEY]);
  });

  it("writes a dashboard for the acknowledgements alone when nothing else needs one", () => {
    const r = plan(store(), { scopeFlagKeys: new Set(["biased"]) });
    expect(r.desired.map((d) => d.dedupeKey)).toEqual([DASHBOARD_KEY]);
    const body = r.desired[0]!.body;
    expect(body).toContain("No lifecycle findings");
    expect(parseAcknowledgements(body)).toEqual(store());
    // …and none at all when there is nothing to store.
    expect(plan(new Map(), { scopeFlagKeys: new Set(["biased"]) }).desired.map((d) => d.dedupeKey)).toEqual([SRM_KEY]);
  });
});

describe("planRepositoryIssues with snoozes", () => {
  it("a snooze in force hides a lifecycle finding and says the issue comes back", () => {
    const r = plan(new Map([[ZOMBIE_KEY, snooze("2026-06-20T00:00:00.000Z")]]));
    expect(r.findings.map((f) => f.dedupeKey)).toEqual([SRM_KEY]);
    expect(r.acknowledged.map((f) => f.dedupeKey)).toEqual([ZOMBIE_KEY]);
    const body = r.desired.find((d) => d.dedupeKey === DASHBOARD_KEY)!.body;
    expect([...parseDashboardKeys(body)]).toEqual([]);
    expect(body).toContain("- Old `zombie`: snoozed by @\u200Bbob until 2026-06-20");
    expect(r.closeComment(ZOMBIE_KEY)).toBe(
      "Closing: snoozed by @\u200Bbob until 2026-06-20 (`/experiment snooze`). " +
        "Reports leave this finding out until then; the app reopens this issue if it is still present afterwards.",
    );
  });

  it("an expired snooze reports the finding again and is dropped from the store", () => {
    for (const until of ["2026-06-15T12:00:00.000Z", "2026-06-14T00:00:00.000Z"]) {
      const r = plan(new Map([[SRM_KEY, snooze(until)]]));
      expect(r.desired.map((d) => d.dedupeKey)).toEqual([SRM_KEY, DASHBOARD_KEY]);
      expect(r.acknowledged).toEqual([]);
      expect(r.acknowledgements.size).toBe(0);
      expect(r.closeComment(SRM_KEY)).toBeNull();
      const body = r.desired.find((d) => d.dedupeKey === DASHBOARD_KEY)!.body;
      expect(body).not.toContain(SECTION);
      expect(body).not.toContain(ACKS_PREFIX);
    }
  });
});

describe("planRepositoryIssues prunes the stored acknowledgements", () => {
  it("drops entries of ended, unknown and out-of-repository experiments and keeps the live ones", () => {
    const store: AcknowledgementStore = new Map([
      [SRM_KEY, ack()],
      ["experiment:2:srm", ack({ by: "carol" })], // ended: an SRM cannot recur
      ["experiment:99:srm", ack({ by: "dave" })], // gone
      [ZOMBIE_KEY, ack({ by: "erin" })],
    ]);
    expect([...plan(store).acknowledgements.keys()].sort()).toEqual([ZOMBIE_KEY, SRM_KEY]);
    // With a repository that only references `biased`, the zombie's entry is not this repository's.
    expect([...plan(store, { scopeFlagKeys: new Set(["biased"]) }).acknowledgements.keys()]).toEqual([SRM_KEY]);
  });

  /**
   * Stale-variants findings are about *ended* experiments: their acknowledgement must survive the pruning
   * that drops entries of experiments that stopped (a regression test for a bug found in review).
   */
  it("keeps an acknowledgement of a stale-variants finding (ended experiment) and leaves the finding out", () => {
    const p = project();
    const done = makeExperiment(
      { id: 4, name: "Done", flagKey: "done", status: "stopped", endDate: "2026-05-01T00:00:00Z", conclusion: "won" },
      { id: 14, key: "done" },
    );
    p.state.experiments.push(done);
    const key = "experiment:4:stale-variants";
    expect(plan(undefined, { project: p }).findings.map((f) => f.dedupeKey)).toContain(key);
    const r = plan(new Map([[key, ack()]]), { project: p });
    expect(r.acknowledged.map((f) => f.dedupeKey)).toEqual([key]);
    expect(r.findings.map((f) => f.dedupeKey)).not.toContain(key);
    expect([...r.acknowledgements.keys()]).toContain(key);
  });
});
