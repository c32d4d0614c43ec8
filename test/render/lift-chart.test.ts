/**
 * The primary metric's lift over time (issue 13): the evaluations the app records on its scans
 * (`src/pipeline/lift-history.ts`) drawn as lift and always-valid interval with a zero line
 * (`src/render/lift-chart.ts`), in `/experiment analyze` and validity issues. Every chart is parsed with
 * Mermaid 11's own parser; the series are asserted as Mermaid read them from the source.
 */
import { describe, expect, it } from "vitest";
import { decide, type Decision } from "../../src/decision/index.js";
import {
  addEvaluation,
  historyWithEvaluation,
  liftHistoryMarker,
  liftSnapshot,
  MAX_HISTORY_POINTS,
  mergeLiftHistories,
  parseLiftHistory,
  type LiftHistory,
} from "../../src/pipeline/lift-history.js";
import { CHART_PALETTE, REFERENCE_COLOR } from "../../src/render/charts.js";
import { renderAnalysis } from "../../src/render/chatops.js";
import { renderFindingIssue } from "../../src/render/findings.js";
import { renderLiftChart } from "../../src/render/lift-chart.js";
import { CONVERSION, config, experiment, exposureResult, funnelArm, NOW, result } from "../decision/builders.js";
import { mermaidBlocks, parseChart } from "../support/mermaid.js";

const DAY_MS = 86_400_000;

/** A decision on day `k` (k days after NOW): control converts 10 %, test 12 %, `n` users per arm. */
function evaluation(n: number): Decision {
  return decide({
    experiment: experiment({ primaryMetrics: [CONVERSION], recommendedSampleSize: 20_000 }),
    exposures: exposureResult({ control: n, test: n }),
    metricResults: [result(CONVERSION, [funnelArm("control", n, Math.round(n * 0.1)), funnelArm("test", n, Math.round(n * 0.12))])],
    config: config(),
    now: NOW,
  });
}

/** Three scans, one a day, with 1,000, 3,000 and 9,000 users per arm. */
function recorded(): { history: LiftHistory; decisions: Decision[] } {
  const decisions = [1000, 3000, 9000].map(evaluation);
  let history: LiftHistory | undefined;
  decisions.forEach((d, k) => {
    const snap = liftSnapshot(d, new Date(NOW.getTime() + k * DAY_MS));
    expect(snap).not.toBeNull();
    history = addEvaluation(history, snap!);
  });
  return { history: history!, decisions };
}

function caption(md: string, source: string): string {
  return md.split(`${source}\n\`\`\`\n\n`)[1]?.split("\n")[0] ?? "";
}

describe("lift over time", () => {
  it("records each scan's lift and always-valid interval, one point per day", () => {
    const { history, decisions } = recorded();
    const points = history.variants.test!;
    expect(points.map((p) => p.day)).toEqual(["2026-03-15", "2026-03-16", "2026-03-17"]);
    decisions.forEach((d, k) => {
      const v = d.primary!.verdicts[0]!;
      expect(points[k]!.lift).toBeCloseTo(v.lift!, 4);
      expect(points[k]!.lower).toBeCloseTo(v.alwaysValid!.interval[0], 4);
      expect(points[k]!.upper).toBeCloseTo(v.alwaysValid!.interval[1], 4);
    });
    // The confidence sequence narrows as users come in.
    const widths = points.map((p) => p.upper - p.lower);
    expect(widths[1]!).toBeLessThan(widths[0]!);
    expect(widths[2]!).toBeLessThan(widths[1]!);
    // A second evaluation on the same day replaces the first.
    const again = addEvaluation(history, liftSnapshot(evaluation(9500), new Date(NOW.getTime() + 2 * DAY_MS + 3_600_000))!);
    expect(again.variants.test).toHaveLength(3);
    expect(again.variants.test![2]!.upper - again.variants.test![2]!.lower).toBeLessThan(widths[2]!);
  });

  it("draws lower end, lift, upper end and a zero line that Mermaid parses", async () => {
    const { history } = recorded();
    const md = renderLiftChart(history, { metricName: "Checkout conversion", goal: "increase" });
    const blocks = mermaidBlocks(md);
    expect(blocks).toHaveLength(1);
    const chart = await parseChart(blocks[0]!);
    const pts = history.variants.test!;
    expect(chart.lines.map((l) => l.color)).toEqual([CHART_PALETTE[0]!.hex, CHART_PALETTE[1]!.hex, CHART_PALETTE[2]!.hex, REFERENCE_COLOR.hex]);
    const pct = (x: number) => Number((x * 100).toFixed(3));
    expect(chart.lines[0]!.values).toEqual(pts.map((p) => pct(p.lower)));
    expect(chart.lines[1]!.values).toEqual(pts.map((p) => pct(p.lift)));
    expect(chart.lines[2]!.values).toEqual(pts.map((p) => pct(p.upper)));
    expect(chart.lines[3]!.values).toEqual([0, 0, 0]);
    // The y-axis holds zero and every value.
    const all = chart.lines.flatMap((l) => l.values);
    expect(chart.yAxis.min).toBeLessThanOrEqual(Math.min(0, ...all));
    expect(chart.yAxis.max).toBeGreaterThanOrEqual(Math.max(0, ...all));
    const cap = caption(md, blocks[0]!);
    expect(cap).toContain("blue = lower end of the interval, orange = lift of test, green = upper end of the interval");
    expect(cap).toContain("flat: grey = zero (no difference)");
    expect(cap).toContain("as evaluated by the app on each scan");
    const last = pts[2]!;
    expect(cap).toContain(last.lower > 0 ? "the whole interval is above zero: test is better than control" : "still contains zero");
  });

  it("shows nothing with fewer than 3 evaluations", () => {
    const snap = liftSnapshot(evaluation(1000), NOW)!;
    const two = addEvaluation(snap, liftSnapshot(evaluation(2000), new Date(NOW.getTime() + DAY_MS))!);
    expect(renderLiftChart(two, { metricName: "x", goal: "increase" })).toBe("");
    expect(renderLiftChart(null, { metricName: "x", goal: "increase" })).toBe("");
  });

  it("keeps names from PostHog out of the Mermaid source and escapes them in the caption", async () => {
    const hostile: LiftHistory = {
      metricUuid: "m",
      best: "b`]\n<img>",
      variants: { "b`]\n<img>": ["2026-03-01", "2026-03-02", "2026-03-03"].map((day, i) => ({ day, lift: 0.1 * i, lower: -0.2, upper: 0.3 })) },
    };
    const md = renderLiftChart(hostile, { metricName: "@team <b>", goal: "decrease" });
    const source = mermaidBlocks(md)[0]!;
    await parseChart(source);
    expect(source).not.toContain("img");
    expect(md).not.toContain("<img>");
    expect(md).not.toContain("<b>");
  });

  it("round-trips through the hidden marker and merges the copies of several issues", () => {
    const { history } = recorded();
    const body = `text\n${liftHistoryMarker(new Map([[7, history]]))}\n`;
    expect(body).not.toMatch(/--(?!>)[^]*-->[^]*-->/); // no early close of the HTML comment
    const parsed = parseLiftHistory(body);
    expect(parsed.get(7)).toEqual(history);
    expect(parseLiftHistory("<!-- experiment-hygiene:lift-history {broken -->").size).toBe(0);
    expect(parseLiftHistory('<!-- experiment-hygiene:lift-history {"7":{"m":"x","v":{"t":["nope 1 2 3", "2026-01-01 1 x 3"]}}} -->').size).toBe(0);
    // Older copy (2 points) in a validity issue, newer (3 points) in the dashboard: the union.
    const older: LiftHistory = { ...history, variants: { test: history.variants.test!.slice(0, 2) } };
    const merged = mergeLiftHistories([new Map([[7, older]]), parsed]);
    expect(merged.get(7)!.variants.test).toEqual(history.variants.test);
    // Capped.
    let long: LiftHistory | undefined;
    for (let k = 0; k < MAX_HISTORY_POINTS + 5; k++) long = addEvaluation(long, { metricUuid: "m", best: "t", variants: { t: [{ day: new Date(NOW.getTime() + k * DAY_MS).toISOString().slice(0, 10), lift: k, lower: k - 1, upper: k + 1 }] } });
    expect(long!.variants.t).toHaveLength(MAX_HISTORY_POINTS);
    expect(long!.variants.t![0]!.lift).toBe(5);
  });

  it("adds /experiment analyze's own evaluation as the last point", () => {
    const { history } = recorded();
    const two = { ...history, variants: { test: history.variants.test!.slice(0, 2) } };
    const bodies = [`${liftHistoryMarker(new Map([[1, two]]))}`];
    const h = historyWithEvaluation(bodies, 1, evaluation(9000), new Date(NOW.getTime() + 2 * DAY_MS))!;
    expect(h.variants.test).toEqual(history.variants.test);
    expect(historyWithEvaluation([], 1, null, NOW)).toBeNull();
  });

  it("puts the chart into a validity issue under 'Primary metric over time'", async () => {
    const { history } = recorded();
    const finding = {
      kind: "srm",
      severity: "P2",
      dedupeKey: "experiment:1:srm",
      experimentId: 1,
      experimentName: "New checkout",
      flagKey: "new-checkout",
      flagId: null,
      title: "SRM",
      contradiction: "c",
      cause: null,
      action: "a",
      onset: null,
      evidence: {},
      escalation: null,
    } as unknown as Parameters<typeof renderFindingIssue>[0];
    const links = { experimentUrl: "https://us.posthog.com/project/1/experiments/1", flagUrl: null };
    const { body } = renderFindingIssue(finding, links, { history, metricName: "Checkout conversion", goal: "increase" });
    expect(body).toContain("### Primary metric over time");
    expect(body).toContain("While the sample ratio mismatch stands, this lift is not trustworthy.");
    const blocks = mermaidBlocks(body);
    expect(blocks).toHaveLength(1);
    expect((await parseChart(blocks[0]!)).lines).toHaveLength(4);
    expect(renderFindingIssue(finding, links).body).not.toContain("Primary metric over time");
  });

  it("shows the chart in the /experiment analyze reply, and none for a different primary metric", async () => {
    const { history, decisions } = recorded();
    const d = decisions[2]!;
    const e = experiment({ primaryMetrics: [CONVERSION], recommendedSampleSize: 20_000 });
    const report = { flagKey: e.flagKey, experiment: e, exposures: null, metricResults: [], decision: d, error: null };
    const ctx = { marker: "<!-- m -->", line: "/experiment analyze new-checkout", host: "https://us.posthog.com", projectId: "1" };
    const reply = renderAnalysis(ctx, report, [], null, history);
    expect(reply).toContain("#### Primary metric over time");
    expect(reply).toContain("The last point is this reply's evaluation.");
    const blocks = mermaidBlocks(reply);
    expect(blocks).toHaveLength(1);
    expect((await parseChart(blocks[0]!)).lines[1]!.values).toEqual(history.variants.test!.map((p) => Number((p.lift * 100).toFixed(3))));
    expect(renderAnalysis(ctx, report, [], null, { ...history, metricUuid: "other" })).not.toContain("Primary metric over time");
    expect(renderAnalysis(ctx, report, [], null)).not.toContain("Primary metric over time");
  });
});

describe("lift-history marker size", () => {
  it("stays under its limit by keeping fewer, newest points, then fewer experiments", () => {
    const many = new Map<number, LiftHistory>();
    for (let id = 1; id <= 200; id++) {
      const points = Array.from({ length: MAX_HISTORY_POINTS }, (_, k) => ({ day: new Date(NOW.getTime() + k * DAY_MS).toISOString().slice(0, 10), lift: -0.12345, lower: -0.23456, upper: 0.01234 }));
      many.set(id, { metricUuid: `metric-${id}`, best: "test", variants: { test: points } });
    }
    const marker = liftHistoryMarker(many, 16_000);
    expect(marker.length).toBeLessThanOrEqual(16_000);
    const back = parseLiftHistory(marker);
    expect(back.size).toBeGreaterThan(0);
    expect(back.get(1)!.variants.test!.length).toBeGreaterThanOrEqual(3);
    expect(back.get(1)!.variants.test!.at(-1)!.day).toBe(many.get(1)!.variants.test!.at(-1)!.day);
    // A small store is kept whole.
    const one = new Map([[1, many.get(1)!]]);
    expect(parseLiftHistory(liftHistoryMarker(one)).get(1)).toEqual(many.get(1));
  });
});
