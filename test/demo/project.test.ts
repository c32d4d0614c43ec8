/**
 * The demo project as the hygiene scan sees it: built at DEMO_NOW, served by the fake PostHog server, read
 * through the real PostHog client (HTTP, zod, normalisation), triaged with `selectValidityWatch` and judged by
 * `detectAll`. Every finding kind must appear at least once, each on the experiment built for it, and the
 * healthy experiment must produce no finding; the PR experiments keep their flags free of activity.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakePostHog, type FakePostHog } from "../../src/demo/fake-posthog.js";
import {
  buildDemoProject,
  buildProject,
  DEMO_EXPERIMENTS,
  DEMO_HYGIENE_EXPERIMENTS,
  DEMO_NOW,
  type DemoExperiment,
} from "../../src/demo/project.js";
import {
  detectAll,
  FINDING_KINDS,
  selectValidityWatch,
  type DetectorState,
  type Finding,
  type FindingKind,
} from "../../src/detectors/index.js";
import type { ActivityEntry, ExposureResult, MetricResult } from "../../src/model.js";
import { createPostHogClient } from "../../src/posthog/index.js";

const KEY = "phx_demo_test";

/** Load the project through the real client and run every detector, as one scan would. */
async function scan(server: FakePostHog, projectId: string, now: Date) {
  const posthog = createPostHogClient({ host: server.url, projectId, apiKey: KEY });
  const flags = await posthog.listFeatureFlags();
  const summaries = await posthog.listExperiments();
  const experiments = await Promise.all(summaries.map((s) => posthog.getExperiment(s.id)));
  const selection = selectValidityWatch(experiments, now, { cap: 50, rotation: 0 });
  const exposures = new Map<number, ExposureResult>();
  const metricResults = new Map<number, MetricResult[]>();
  const flagActivity = new Map<number, ActivityEntry[]>();
  await Promise.all(
    selection.watch.map(async (e) => {
      exposures.set(e.id, await posthog.getExposures(e));
      metricResults.set(e.id, await Promise.all(e.primaryMetrics.map((m) => posthog.getMetricResult(e, m))));
      if (e.flag && e.startDate) flagActivity.set(e.flag.id, await posthog.getFlagActivity(e.flag.id, { since: e.startDate }));
    }),
  );
  const state: DetectorState = { now, experiments, flags, exposures, metricResults, flagActivity, decisions: new Map() };
  return { findings: detectAll(state), selection };
}

function kindsById(findings: Finding[]): Record<number, FindingKind[]> {
  const out: Record<number, FindingKind[]> = {};
  for (const f of findings) (out[f.experimentId] ??= []).push(f.kind);
  return out;
}

describe("the demo project under the hygiene detectors", () => {
  let server: FakePostHog;
  let findings: Finding[];
  let selection: ReturnType<typeof selectValidityWatch>;

  beforeAll(async () => {
    const project = buildDemoProject(DEMO_NOW);
    server = await startFakePostHog(project, { apiKey: KEY });
    ({ findings, selection } = await scan(server, project.projectId, DEMO_NOW));
  });
  afterAll(async () => {
    await server?.close();
  });

  it("watches every running experiment and skips the draft and the ended one", () => {
    expect(selection.watch.map((e) => e.id)).toEqual([101, 102, 103, 104, 105, 106, 108, 109, 110, 111, 112, 113, 115]);
    expect(selection.zombieOnly).toEqual([]);
    expect(selection.skipped.map((s) => s.id).sort()).toEqual([107, 114]);
  });

  it("makes every finding kind fire, each on the experiment built for it, and nothing else", () => {
    // Which experiment produced which kind (the demo's contract with the scan report).
    expect(kindsById(findings)).toEqual({
      103: ["srm"], // onboarding-checklist: 5,300 / 4,700 on 50/50
      107: ["stale-variants"], // gift-cards: draft whose flag already serves control and test
      108: ["contamination"], // saved-payment-methods: 1.15 % $multiple
      109: ["stall"], // referral-bonus: flat for 4 days
      110: ["mutation"], // wishlist-button: rollout 100 → 40 %
      111: ["broken-metric"], // loyalty-points: validation failures in both arms
      112: ["zombie"], // product-video-autoplay: past 21 days / 8,000, flat
      113: ["decided-still-running"], // order-tracking-map: conclusion "won", no end date
      114: ["stale-variants"], // autumn-sale-hero: ended 25 days ago, 3 variants served
    });
    const kinds = new Set(findings.map((f) => f.kind));
    for (const kind of FINDING_KINDS) expect(kinds, kind).toContain(kind);
  });

  it("finds nothing wrong with the healthy experiment", () => {
    const healthy = DEMO_HYGIENE_EXPERIMENTS.find((e) => e.flagKey === "mobile-bottom-nav")!;
    expect(selection.watch.map((e) => e.id)).toContain(healthy.id);
    expect(findings.filter((f) => f.experimentId === healthy.id)).toEqual([]);
  });

  it("carries the numbers each experiment was built with", () => {
    const by = (id: number, kind: FindingKind) => findings.find((f) => f.experimentId === id && f.kind === kind)!;
    expect(by(103, "srm").evidence).toMatchObject({ counted_exposures: 10_000, "observed:control": 5_300 });
    expect(by(103, "srm").evidence["p_value"]).toBeLessThan(1e-8);

    const contamination = by(108, "contamination");
    expect(contamination.evidence).toMatchObject({ multiple_exposures: 140, total_exposures: 12_140, identity_transition: true });
    expect(contamination.evidence["multiple_share"]).toBeCloseTo(140 / 12_140, 6);

    const stall = by(109, "stall");
    expect(stall.evidence).toMatchObject({ last_exposure_day: "2026-11-15", total_exposures: 8_000, baseline_per_day: 800 });
    expect(stall.onset).toBe("2026-11-16");

    const mutation = by(110, "mutation");
    expect(mutation.evidence).toMatchObject({ edits: 1, change_kinds: "rollout-decreased", first_edit_by: "Eli" });
    expect(mutation.onset).toBe("2026-11-16");
    expect(mutation.contradiction).toContain("rollout 100 % → 40 %");
    expect(mutation.contradiction).not.toContain("50 % → 100 %"); // the earlier rollout increase is safe

    expect(by(111, "broken-metric").evidence).toMatchObject({ broken_count: 1, counted_exposures: 6_000 });

    const zombie = by(112, "zombie");
    expect(zombie.evidence).toMatchObject({ recommended_running_time_days: 21, recommended_sample_size: 8_000, counted_exposures: 10_000 });
    expect(zombie.evidence["days_running"]).toBeLessThan(60); // fired on the flat curve, not on age
    expect(zombie.evidence["recent_exposure_share"]).toBeLessThan(0.05);

    expect(by(113, "decided-still-running").evidence).toMatchObject({ conclusion: "won" });
    expect(by(114, "stale-variants").evidence).toMatchObject({ state: "ended", served_variants: "control, leaves, pumpkins" });
    expect(by(107, "stale-variants").evidence).toMatchObject({ state: "draft" });
  });

  it("gives the PR experiments no flag activity and the edited flag its log, newest first", () => {
    const project = buildDemoProject(DEMO_NOW);
    for (const e of DEMO_EXPERIMENTS) expect(project.flagActivity?.[String(e.flagId)]).toBeUndefined();
    const log = project.flagActivity?.["210"] ?? [];
    expect(log.map((a) => a["created_at"])).toEqual(["2026-11-16T12:00:00.000Z", "2026-11-12T12:00:00.000Z"]);
    expect(log[0]).toMatchObject({ activity: "updated", scope: "FeatureFlag", item_id: "210" });
  });
});

describe("the specs each experiment was built from", () => {
  const spec = (key: string): DemoExperiment => DEMO_HYGIENE_EXPERIMENTS.find((e) => e.flagKey === key)!;

  async function findingsFor(e: DemoExperiment): Promise<FindingKind[]> {
    const project = buildProject(DEMO_NOW, [e], [], "4242");
    const server = await startFakePostHog(project, { apiKey: KEY });
    try {
      return (await scan(server, "4242", DEMO_NOW)).findings.map((f) => f.kind);
    } finally {
      await server.close();
    }
  }

  it("stay quiet once the defect they were built with is removed", async () => {
    // Each variation removes exactly the property that made its detector fire.
    const fixed: DemoExperiment[] = [
      { ...spec("saved-payment-methods"), multiple: 20 },
      { ...spec("referral-bonus"), exposureShape: { kind: "ramp" } },
      { ...spec("wishlist-button"), flagEdits: spec("wishlist-button").flagEdits!.slice(0, 1), rollout: 100 },
      { ...spec("loyalty-points"), arms: spec("loyalty-points").arms.map(({ validationFailures: _, ...a }) => a) },
      { ...spec("product-video-autoplay"), exposureShape: { kind: "ramp" } },
      { ...spec("order-tracking-map"), conclusion: null },
      { ...spec("autumn-sale-hero"), flagActive: false },
    ];
    for (const e of fixed) expect(await findingsFor(e), e.flagKey).toEqual([]);
  });
});
