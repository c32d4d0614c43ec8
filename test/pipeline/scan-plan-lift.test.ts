/**
 * `planRepositoryIssues` with lift histories (issue 13): this scan's evaluation is added to the history read
 * from the issues, a validity issue carries its experiment's history (hidden marker) and, from the third
 * evaluation, the "Primary metric over time" chart; no issue is opened only to store a history.
 */
import { describe, expect, it } from "vitest";
import { reportsSchema } from "../../src/config/schema.js";
import { parseLiftHistory, type LiftHistory } from "../../src/pipeline/lift-history.js";
import type { LoadedProject } from "../../src/pipeline/project-state.js";
import { DASHBOARD_KEY, planRepositoryIssues } from "../../src/pipeline/scan-plan.js";
import { exposuresFromTotals, makeExperiment, NOW } from "../detectors/fixtures.js";
import { mermaidBlocks, parseChart } from "../support/mermaid.js";

const METRIC = { uuid: "m-conv", name: "Conversion", metricType: "funnel" as const, goal: "increase" as const, role: "primary" as const, query: {} };
const TODAY = NOW.toISOString().slice(0, 10);

function point(day: string, lift: number, half: number) {
  return { day, lift, lower: lift - half, upper: lift + half };
}

function project(srm: boolean): LoadedProject {
  const e = makeExperiment({ id: 3, name: "Biased", flagKey: "biased", primaryMetrics: [METRIC] }, { id: 30, key: "biased" });
  const totals = srm ? { control: 5300, test: 4700 } : { control: 5000, test: 5000 };
  return {
    host: "https://us.posthog.com",
    projectId: "1",
    now: NOW,
    state: {
      now: NOW,
      experiments: [e],
      flags: [],
      exposures: new Map([[3, exposuresFromTotals(totals, "2026-06-14")]]),
      metricResults: new Map(),
      flagActivity: new Map(),
      decisions: new Map(),
    },
    watched: new Set([3]),
    currentDecisions: new Map(),
    currentLifts: new Map([[3, { metricUuid: "m-conv", best: "test", variants: { test: [point(TODAY, 0.08, 0.05)] } }]]),
    skipped: [],
    requests: 0,
  };
}

const PREVIOUS: LiftHistory = {
  metricUuid: "m-conv",
  best: "test",
  variants: { test: [point("2026-06-12", 0.1, 0.3), point("2026-06-13", 0.09, 0.12)] },
};

describe("lift history in the scan plan", () => {
  it("adds this scan's evaluation and charts three points in the SRM issue", async () => {
    const plan = planRepositoryIssues({
      project: project(true),
      scopeFlagKeys: null,
      memory: new Map(),
      liftHistory: new Map([[3, PREVIOUS]]),
      reports: reportsSchema.parse({}),
    });
    expect(plan.liftHistory.get(3)!.variants.test!.map((p) => p.day)).toEqual(["2026-06-12", "2026-06-13", TODAY]);
    const issue = plan.desired.find((d) => d.dedupeKey === "experiment:3:srm")!;
    expect(issue.body).toContain("### Primary metric over time");
    // The issue stores the history it charts, so the next scan can read it back.
    expect(parseLiftHistory(issue.body).get(3)).toEqual(plan.liftHistory.get(3));
    const blocks = mermaidBlocks(issue.body);
    const lift = await parseChart(blocks[blocks.length - 1]!);
    expect(lift.lines[1]!.values).toEqual([10, 9, 8]);
    expect(lift.lines[0]!.values).toEqual([-20, -3, 3]);
    expect(lift.lines[2]!.values).toEqual([40, 21, 13]);
    // No dashboard only for the history.
    expect(plan.desired.some((d) => d.dedupeKey === DASHBOARD_KEY)).toBe(false);
  });

  it("opens no issue when nothing is wrong, and drops the history of experiments out of scope", () => {
    const plan = planRepositoryIssues({
      project: project(false),
      scopeFlagKeys: null,
      memory: new Map(),
      liftHistory: new Map([[3, PREVIOUS], [99, PREVIOUS]]),
      reports: reportsSchema.parse({}),
    });
    expect(plan.desired).toEqual([]);
    expect([...plan.liftHistory.keys()]).toEqual([3]);
  });
});
