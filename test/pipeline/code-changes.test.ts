/**
 * Merged code changes on running experiments: the dashboard store (marker round trip, redelivery, pruning)
 * and the scan naming them as a possible onset cause of an SRM finding.
 */
import { describe, expect, it } from "vitest";
import { reportsSchema } from "../../src/config/schema.js";
import {
  codeChangesMarker,
  parseCodeChanges,
  possibleOnsetCauses,
  recordCodeChange,
  withCodeChangeCause,
  withCodeChangesMarker,
  type CodeChange,
} from "../../src/pipeline/code-changes.js";
import type { LoadedProject } from "../../src/pipeline/project-state.js";
import { DASHBOARD_KEY, planRepositoryIssues } from "../../src/pipeline/scan-plan.js";
import { exposuresFromTotals, makeExperiment, NOW } from "../detectors/fixtures.js";

const change = (pr: number, merged_at: string): Omit<CodeChange, "flag_key"> => ({ pr, merged_at, sha: "abc123" });

describe("the code-change store", () => {
  it("round-trips through the dashboard marker, newest first, and a redelivered PR changes nothing", () => {
    let store = recordCodeChange(new Map(), [{ id: 3, flagKey: "biased" }], change(12, "2026-06-10T08:00:00Z"));
    store = recordCodeChange(store, [{ id: 3, flagKey: "biased" }], change(15, "2026-06-12T09:30:00Z"));
    const again = recordCodeChange(store, [{ id: 3, flagKey: "biased" }], change(15, "2026-06-12T09:30:00Z"));
    expect(again).toEqual(store);
    const body = withCodeChangesMarker("Dashboard\n<!-- experiment-hygiene:state {} -->\n", store);
    expect(body).toMatch(/^Dashboard\n<!-- experiment-hygiene:code-changes \{.*\} -->\n<!-- experiment-hygiene:state/);
    expect(parseCodeChanges(body)).toEqual(
      new Map([
        [
          3,
          [
            { pr: 15, merged_at: "2026-06-12T09:30:00Z", flag_key: "biased", sha: "abc123" },
            { pr: 12, merged_at: "2026-06-10T08:00:00Z", flag_key: "biased", sha: "abc123" },
          ],
        ],
      ]),
    );
    expect(withCodeChangesMarker(body, parseCodeChanges(body))).toBe(body);
  });

  it("drops hand-broken entries and never throws", () => {
    expect(parseCodeChanges("<!-- experiment-hygiene:code-changes {not json} -->")).toEqual(new Map());
    expect(parseCodeChanges(codeChangesMarker(new Map([[1, [{ pr: "x", merged_at: "soon", flag_key: 1, sha: null } as any]]])))).toEqual(new Map());
    expect(parseCodeChanges(null)).toEqual(new Map());
  });

  it("names changes from a week before the onset to the day after it", () => {
    const list = [12, 15, 20].map((pr, i) => ({ ...change(pr, ["2026-06-01T00:00:00Z", "2026-06-12T00:00:00Z", "2026-06-16T00:00:00Z"][i]!), flag_key: "k" }));
    expect(possibleOnsetCauses(list, "2026-06-13").map((c) => c.pr)).toEqual([15]);
    expect(possibleOnsetCauses(list, null).map((c) => c.pr)).toEqual([12, 15, 20]);
  });
});

/** Experiment 3 ("Biased") has an SRM (5,300 vs 4,700 at 50/50); experiment 1 has ended. */
function project(): LoadedProject {
  const biased = makeExperiment({ id: 3, name: "Biased", flagKey: "biased" }, { id: 30, key: "biased" });
  const ended = makeExperiment({ id: 1, name: "Ended", flagKey: "ended", status: "stopped", endDate: "2026-06-01T00:00:00Z" }, { id: 11, key: "ended", active: false });
  return {
    host: "https://us.posthog.com",
    projectId: "1",
    now: NOW,
    state: {
      now: NOW,
      experiments: [biased, ended],
      flags: [],
      exposures: new Map([[3, exposuresFromTotals({ control: 5300, test: 4700 }, "2026-06-14")]]),
      metricResults: new Map(),
      flagActivity: new Map(),
      decisions: new Map(),
    },
    watched: new Set([3]),
    currentDecisions: new Map(),
    skipped: [],
    requests: 0,
  };
}

describe("the scan names a merged code change as a possible onset cause", () => {
  const store = recordCodeChange(
    recordCodeChange(new Map(), [{ id: 3, flagKey: "biased" }], change(123, `${NOW.toISOString().slice(0, 10)}T06:00:00Z`)),
    [{ id: 1, flagKey: "ended" }],
    change(99, "2026-05-20T00:00:00Z"),
  );

  it("in the SRM finding's cause and evidence, and keeps the store (minus ended experiments) in the dashboard", () => {
    const plan = planRepositoryIssues({ project: project(), scopeFlagKeys: null, memory: new Map(), reports: reportsSchema.parse({}), codeChanges: store });
    const srm = plan.findings.find((f) => f.kind === "srm")!;
    expect(srm.cause).toContain(`Possible onset cause: treatment code changed mid-run in #123 on ${NOW.toISOString().slice(0, 10)}.`);
    expect(srm.evidence["code_changed_in"]).toBe("#123");
    expect(plan.desired.find((d) => d.dedupeKey === "experiment:3:srm")!.body).toContain("treatment code changed mid-run in \\#123"); // escaped Markdown
    expect([...plan.codeChanges.keys()]).toEqual([3]);
    const dashboard = plan.desired.find((d) => d.dedupeKey === DASHBOARD_KEY)!;
    expect(parseCodeChanges(dashboard.body)).toEqual(plan.codeChanges);
  });

  it("does not touch findings without a recorded change", () => {
    const plan = planRepositoryIssues({ project: project(), scopeFlagKeys: null, memory: new Map(), reports: reportsSchema.parse({}) });
    const srm = plan.findings.find((f) => f.kind === "srm")!;
    expect(srm.cause ?? "").not.toContain("Possible onset cause");
    expect(withCodeChangeCause(srm, [])).toBe(srm);
  });
});
