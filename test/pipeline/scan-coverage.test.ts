/**
 * Scan coverage within PostHog's query budget (posthog-api.md §1, §11: 2,400 query requests an hour per
 * key; 2 queries an evaluation): the riskiest experiments first, every candidate daily when the day's
 * budget allows, and what it does not allow named as skipped.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakePostHog, type FakePostHog } from "../../src/demo/fake-posthog.js";
import { buildDemoProject } from "../../src/demo/project.js";
import type { Experiment } from "../../src/model.js";
import { loadProjectState } from "../../src/pipeline/project-state.js";
import { DEFAULT_SCAN_BUDGET, evaluationsWithin, planCoverage, riskOf } from "../../src/pipeline/scan-coverage.js";
import { createPostHogClient } from "../../src/posthog/index.js";

const NOW = new Date("2026-11-20T12:00:00Z");
const DAY = 86_400_000;
const ago = (days: number) => new Date(NOW.getTime() - days * DAY).toISOString();
/** A running experiment with the fields the planner reads. */
const exp = (id: number, launchedDaysAgo: number, editedDaysAgo = launchedDaysAgo) =>
  ({ id, startDate: ago(launchedDaysAgo), updatedAt: ago(editedDaysAgo) }) as Experiment;

describe("budget model", () => {
  it("gives 28,800 evaluations a day for 2,400 queries an hour at 2 each, 80 % of it to scans by default", () => {
    expect(evaluationsWithin({ ...DEFAULT_SCAN_BUDGET, scanShare: 1 }, 24)).toBe(28_800);
    expect(evaluationsWithin(DEFAULT_SCAN_BUDGET, 24)).toBe(23_040);
    expect(evaluationsWithin(DEFAULT_SCAN_BUDGET, 1)).toBe(960);
    expect(() => evaluationsWithin({ ...DEFAULT_SCAN_BUDGET, scanShare: 1.5 }, 1)).toThrow(RangeError);
  });
});

describe("planCoverage", () => {
  const flagged = new Set([50]);
  const candidates = [exp(10, 40), exp(20, 3), exp(30, 40, 1), exp(40, 60), exp(50, 70), exp(60, 45)];

  it("orders previously flagged, recently launched, recently edited, then the rest", () => {
    expect(riskOf(candidates[4]!, NOW, flagged).reason).toBe("previously flagged");
    expect(riskOf(candidates[1]!, NOW, flagged).reason).toBe("recently launched");
    expect(riskOf(candidates[2]!, NOW, flagged).reason).toBe("recently edited");
    expect(riskOf(candidates[0]!, NOW, flagged).reason).toBe("routine");
    const plan = planCoverage(candidates, NOW, { capacity: 4, rotation: 0, flagged });
    expect(plan.watch.map((w) => w.experiment.id).slice(0, 3)).toEqual([50, 20, 30]);
  });

  it("names what the day's budget cannot reach as skipped, with the reason", () => {
    const plan = planCoverage(candidates, NOW, { capacity: 4, rotation: 0, flagged });
    expect(plan.watch).toHaveLength(4);
    expect(plan.skipped).toHaveLength(2);
    for (const s of plan.skipped) expect(s.reason).toMatch(/over the day's PostHog query budget of 4 evaluations \(routine; rotates in on a later day\)/);
    expect(new Set([...plan.watch.map((w) => w.experiment.id), ...plan.skipped.map((s) => s.id)])).toEqual(new Set(candidates.map((c) => c.id)));
  });

  it("covers every candidate each day when the day's scans can afford it, riskiest in the first scan", () => {
    const many = Array.from({ length: 25 }, (_, i) => exp(i + 1, i === 7 ? 2 : 30 + i));
    const checked = new Set<number>();
    for (let slot = 0; slot < 5; slot++) {
      const plan = planCoverage(many, NOW, { capacity: 5, rotation: 10 * 5 + slot, scansPerDay: 5 });
      if (slot === 0) expect(plan.watch[0]!.experiment.id).toBe(8);
      expect(plan.skipped).toEqual([]);
      for (const w of plan.watch) checked.add(w.experiment.id);
    }
    expect(checked.size).toBe(25);
  });

  it("rotates the routine ones over days when the budget is short, re-checking the risky ones daily", () => {
    const many = Array.from({ length: 10 }, (_, i) => exp(i + 1, i === 0 ? 1 : 30 + i));
    const seen = new Set<number>();
    for (let day = 0; day < 3; day++) {
      const plan = planCoverage(many, NOW, { capacity: 4, rotation: day });
      expect(plan.watch[0]!.experiment.id).toBe(1);
      for (const w of plan.watch) seen.add(w.experiment.id);
    }
    expect(seen.size).toBe(10);
  });

  it("rejects a bad capacity, rotation or scan count", () => {
    expect(() => planCoverage([], NOW, { capacity: -1, rotation: 0 })).toThrow(RangeError);
    expect(() => planCoverage([], NOW, { capacity: 1, rotation: 0.5 })).toThrow(RangeError);
    expect(() => planCoverage([], NOW, { capacity: 1, rotation: 0, scansPerDay: 0 })).toThrow(RangeError);
  });
});

describe("scan loader", () => {
  let server: FakePostHog;
  const project = buildDemoProject(NOW);
  beforeAll(async () => {
    server = await startFakePostHog(project, { apiKey: "phx_coverage_test" });
  });
  afterAll(async () => {
    await server.close();
  });

  it("checks the riskiest within its capacity and reports the others as skipped with the reason", async () => {
    const posthog = createPostHogClient({ host: server.url, projectId: project.projectId, apiKey: "phx_coverage_test" });
    const loaded = await loadProjectState(posthog, { now: NOW, watchCap: 1, callBudget: 1_000 });
    expect(loaded.watched.size).toBe(1);
    const over = loaded.skipped.filter((s) => s.reason.startsWith("over the day's capacity of 1 checks"));
    expect(over.length).toBeGreaterThan(0);
    const [watchedId] = [...loaded.watched];
    const candidates = loaded.state.experiments.filter((e) => e.id === watchedId || over.some((s) => s.id === e.id));
    const tiers = candidates.map((e) => riskOf(e, NOW, new Set()).tier);
    expect(riskOf(candidates.find((e) => e.id === watchedId)!, NOW, new Set()).tier).toBe(Math.min(...tiers));
  });
});
