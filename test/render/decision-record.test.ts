/**
 * The decision-record renderer and its pure inputs: docs/decision-records.md's example equals the
 * renderer's output; PostHog text is escaped; the index lists records newest first, once each; markers
 * survive negative lifts; holdout checkpoints decide holds / decays / grows / no data and fire once each.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { exampleDecisionRecord } from "../../src/demo/decision-record-example.js";
import type { MetricResult } from "../../src/model.js";
import {
  dueCheckpoints,
  evaluateCheckpoint,
  recordPath,
  shippedVariantOf,
  slugify,
  type RecordSummary,
} from "../../src/records/record.js";
import {
  describeDecidedBy,
  parseDecisionRecord,
  parseRecordIndex,
  parseRecordStore,
  recordStoreMarker,
  renderDecisionRecord,
  renderRecordIndex,
} from "../../src/render/decision-record.js";

function summary(over: Partial<RecordSummary> = {}): RecordSummary {
  return {
    experimentId: 42,
    name: "Checkout [beta] <script>alert(1)</script>",
    flagKey: "new-checkout",
    description: "We think **bold** wins; see https://evil.example and ping @team",
    conclusion: {
      experimentId: 42,
      decidedBy: { kind: "posthog", conclusion: "won", comment: "<img src=x onerror=alert(1)>" },
      shippedVariant: "test",
      outcome: "won",
      at: "2026-10-01T12:00:00.000Z",
    },
    decision: "promote",
    reasons: ["significant-win: test is better on \"<b>Checkout</b>\""],
    method: "frequentist",
    inference: null,
    correction: null,
    startDate: "2026-09-10T12:00:00.000Z",
    endDate: "2026-10-01T12:00:00.000Z",
    daysRunning: 21,
    split: [
      { key: "control", rolloutPercentage: 50 },
      { key: "test", rolloutPercentage: 50 },
    ],
    holdout: { id: 7, name: "Q4 <holdout>", rolloutPercentage: 10 },
    exposures: { control: 1000, test: 990 },
    primaryMetric: "Purchase | conversion",
    guardrailMetrics: [],
    results: [
      { metric: "Purchase | conversion", role: "primary", variant: "test", lift: -0.125, interval: [-0.2, -0.05], evidence: "p = 0.01", inference: "fixed-horizon", verdict: "worse" },
    ],
    shippedLift: 0.2,
    primaryMetricUuid: "m-buy",
    checkpoints: [],
    ...over,
  };
}

function funnel(key: string, n: number, rate: number) {
  const sum = Math.round(n * rate);
  return { key, numberOfSamples: n, sum, sumSquares: sum, validationFailures: [] };
}

function holdoutResult(testRate: number, n = 100_000): MetricResult {
  return {
    metric: { uuid: "m-buy", name: "Purchase", metricType: "funnel", goal: "increase", role: "primary", query: {} },
    baseline: funnel("control", n, 0.1),
    variants: [funnel("test", n, testRate), funnel("holdout-7", n, 0.1)],
    error: null,
  };
}

describe("docs/decision-records.md", () => {
  it("shows the renderer's example record exactly (regenerate it from exampleDecisionRecord())", () => {
    const doc = readFileSync(new URL("../../docs/decision-records.md", import.meta.url), "utf8");
    const block = /<!-- example:start -->\n````markdown\n([\s\S]*?)\n````\n<!-- example:end -->/.exec(doc)?.[1];
    const lines = exampleDecisionRecord().trimEnd().split("\n");
    expect(lines[0]).toMatch(/^<!-- experiment-hygiene:record [A-Za-z0-9+/=]+ -->$/);
    lines[0] = "<!-- experiment-hygiene:record … -->";
    expect(block).toBe(lines.join("\n"));
  });
});

describe("renderDecisionRecord", () => {
  it("escapes everything from PostHog and neutralises mentions", () => {
    const text = renderDecisionRecord(summary(), { experimentUrl: "https://us.posthog.com/project/1/experiments/42" });
    expect(text).not.toMatch(/<script|<img|<b>|<holdout>/);
    expect(text).toContain("# Decision record: Checkout \\[beta\\] &lt;script&gt;alert(1)&lt;/script&gt;");
    expect(text).toContain("We think \\*\\*bold\\*\\* wins; see https:\u200B//evil.example and ping @\u200Bteam");
    expect(text).toContain("| Purchase \\| conversion | primary | `test` | -12.5% | [-20.0%, -5.0%] | p = 0.01 | fixed-horizon | worse |");
    expect(text).toContain("“&lt;img src=x onerror=alert(1)&gt;”");
  });

  it("keeps the summary in a marker that survives negative numbers and any text", () => {
    const s = summary();
    expect(parseDecisionRecord(renderDecisionRecord(s, { experimentUrl: null }))).toEqual(s);
    const store = parseRecordStore(`x\n${recordStoreMarker(new Map([[42, { summary: s, pullRequest: 7, note: "a --> b" }]]))}\n`);
    expect(store.get(42)).toEqual({ summary: s, pullRequest: 7, note: "a --> b" });
  });

  it("names who decided: the command's users, the autopilot's rule, PostHog's conclusion", () => {
    expect(describeDecidedBy({ kind: "command", action: "rollback", requestedBy: "alice", confirmedBy: "carol", where: "o/r#2" })).toBe(
      "`/experiment rollback` requested by @\u200Balice, confirmed by @\u200Bcarol in o/r\\#2",
    );
    expect(describeDecidedBy({ kind: "autopilot", action: "rollback", rule: "guardrail-regression" })).toBe(
      "the app's autopilot (rollback, rule `guardrail-regression`)",
    );
    expect(describeDecidedBy({ kind: "posthog", conclusion: null, comment: null })).toBe(
      "a conclusion set in PostHog (the experiment was ended), noticed by a scheduled scan",
    );
  });
});

describe("renderRecordIndex", () => {
  it("lists every record once, newest first, and reads back", () => {
    const entries = [
      { experimentId: 1, name: "Old", file: "1-old.md", decision: "ship a", at: "2026-01-01T00:00:00Z" },
      { experimentId: 3, name: "New (v2)", file: "3-new-v2.md", decision: "rollback control", at: "2026-03-01T00:00:00Z" },
      { experimentId: 2, name: "Mid", file: "2-mid.md", decision: "ended", at: "2026-02-01T00:00:00Z" },
      { experimentId: 1, name: "Old", file: "1-old.md", decision: "ship a", at: "2026-01-01T00:00:00Z" },
    ];
    const text = renderRecordIndex(entries);
    const rows = text.split("\n").filter((l) => l.startsWith("| 2026"));
    expect(rows).toEqual([
      "| 2026-03-01 | [New (v2)](3-new-v2.md) (3) | rollback control |",
      "| 2026-02-01 | [Mid](2-mid.md) (2) | ended |",
      "| 2026-01-01 | [Old](1-old.md) (1) | ship a |",
    ]);
    expect(parseRecordIndex(text).map((e) => e.experimentId)).toEqual([3, 2, 1]);
  });
});

describe("paths and shipping", () => {
  it("slugs names and builds the record's path", () => {
    expect(slugify("Café: One-page checkout (v2)!")).toBe("cafe-one-page-checkout-v2");
    expect(slugify("日本語")).toBe("experiment");
    expect(recordPath("docs/experiments/", 42, "New checkout")).toBe("docs/experiments/42-new-checkout.md");
  });

  it("reads the shipped variant from a 0/100 split only", () => {
    const e = (splits: number[]) => ({ variants: splits.map((p, i) => ({ key: `v${i}`, rolloutPercentage: p })) }) as never;
    expect(shippedVariantOf(e([0, 100]))).toBe("v1");
    expect(shippedVariantOf(e([50, 50]))).toBeNull();
    expect(shippedVariantOf(e([0, 100, 100]))).toBeNull();
  });
});

describe("holdout checkpoints", () => {
  const opts = { alpha: 0.05, tuningSampleSize: 36_000, now: new Date("2026-11-01T12:00:00Z") };

  it("holds, decays or grows against the lift at conclusion (+20 %)", () => {
    const holds = evaluateCheckpoint(summary(), 30, holdoutResult(0.12), opts);
    expect(holds.verdict).toBe("holds");
    expect(holds.lift).toBeCloseTo(0.2, 10);
    expect(holds.interval![0]).toBeLessThan(0.2);
    expect(holds.interval![1]).toBeGreaterThan(0.2);
    const decays = evaluateCheckpoint(summary(), 60, holdoutResult(0.108), opts);
    expect(decays.verdict).toBe("decays");
    expect(decays.note).toContain("it still excludes 0");
    const gone = evaluateCheckpoint(summary(), 60, holdoutResult(0.1), opts);
    expect(gone.verdict).toBe("decays");
    expect(gone.note).toContain("it now includes 0");
    expect(evaluateCheckpoint(summary(), 90, holdoutResult(0.15), opts).verdict).toBe("grows");
  });

  it("says no data when PostHog returned no holdout arm", () => {
    const result = holdoutResult(0.12);
    result.variants = result.variants.filter((a) => a.key !== "holdout-7");
    const cp = evaluateCheckpoint(summary(), 30, result, opts);
    expect(cp).toMatchObject({ verdict: "no-data", lift: null, interval: null });
    expect(cp.note).toContain('no "holdout-7" arm');
  });

  it("are due once each after their day, only with a holdout and a shipped non-baseline variant", () => {
    const s = summary();
    const at = (days: number) => new Date(Date.parse(s.endDate!) + days * 86_400_000);
    expect(dueCheckpoints(s, [30, 60, 90], at(29.9))).toEqual([]);
    expect(dueCheckpoints(s, [30, 60, 90], at(30))).toEqual([30]);
    expect(dueCheckpoints(s, [90, 30, 60], at(95))).toEqual([30, 60, 90]);
    const fired = { ...s, checkpoints: [evaluateCheckpoint(s, 30, holdoutResult(0.12), opts)] };
    expect(dueCheckpoints(fired, [30, 60, 90], at(61))).toEqual([60]);
    expect(dueCheckpoints({ ...s, holdout: null }, [30], at(40))).toEqual([]);
    expect(dueCheckpoints({ ...s, shippedLift: null }, [30], at(40))).toEqual([]);
  });
});

describe("pruneRecordStore", () => {
  it("keeps at most 40 entries, dropping only old ones with no checkpoint left", async () => {
    const { pruneRecordStore, MAX_STORED_RECORDS } = await import("../../src/pipeline/records.js");
    const { DEFAULT_CONFIG } = await import("../../src/config/schema.js");
    const now = new Date("2027-06-01T00:00:00Z");
    const store = new Map();
    for (let id = 1; id <= 45; id++) {
      const at = new Date(Date.UTC(2026, 0, id)).toISOString();
      // Ids 1–3 still have checkpoints to fire (holdout, shipped, none fired): never dropped.
      const s = summary({ experimentId: id, endDate: at, holdout: id <= 3 ? { id: 7, name: "h", rolloutPercentage: 10 } : null, conclusion: { ...summary().conclusion, experimentId: id, at } });
      store.set(id, { summary: s, pullRequest: null, note: null });
    }
    pruneRecordStore(store, DEFAULT_CONFIG.records, now);
    expect(store.size).toBe(MAX_STORED_RECORDS);
    expect([...store.keys()].slice(0, 4)).toEqual([1, 2, 3, 9]);
  });
});
