/**
 * The Mermaid charts of hygiene issues (issue 13), checked with Mermaid 11's own parser: every chart the
 * app can emit parses, and palette, size, axis ranges and reference lines are asserted as Mermaid reads
 * them from the chart source. A deliberately broken chart must fail the same check.
 */
import { describe, expect, it } from "vitest";
import { DEMO_DIR, runCli, type CliIo } from "../../src/cli/main.js";
import { detectContamination } from "../../src/detectors/contamination.js";
import { detectSrm } from "../../src/detectors/srm.js";
import { detectStall } from "../../src/detectors/stall.js";
import type { Finding, FindingChart } from "../../src/detectors/types.js";
import {
  CHART_HEIGHT,
  CHART_PALETTE,
  CHART_WIDTH,
  CHART_BACKGROUNDS,
  MAX_AXIS_LABELS,
  MIN_CONTRAST,
  REFERENCE_COLOR,
  axisLabels,
  contrastRatio,
  niceCeil,
  xyChartSource,
} from "../../src/render/charts.js";
import { MAX_CHART_POINTS, renderChart, renderFindingIssue } from "../../src/render/findings.js";
import { CONFIG, NOW, data, exposuresFromDaily, hoursAfter, makeExperiment } from "../detectors/fixtures.js";
import { mermaidBlocks, parseChart, parseChartInTheme, type ParsedXyChart } from "../support/mermaid.js";

const LINKS = { experimentUrl: "https://us.posthog.com/project/1/experiments/42", flagUrl: null };
const ZWSP = "\u200b";
const BLUE = CHART_PALETTE[0]!.hex;
const ORANGE = CHART_PALETTE[1]!.hex;
const GREY = REFERENCE_COLOR.hex;

/** The one chart of an issue body, parsed by Mermaid, with the caption that follows it. */
async function chartOf(body: string): Promise<{ source: string; chart: ParsedXyChart; caption: string }> {
  const blocks = mermaidBlocks(body);
  expect(blocks).toHaveLength(1);
  const source = blocks[0]!;
  const caption = body.split(`${source}\n\`\`\`\n\n`)[1]?.split("\n")[0] ?? "";
  return { source, chart: await parseChart(source), caption };
}

/** Labels a reader sees on the x-axis (thinned points carry only zero-width spaces). */
function visible(categories: string[]): string[] {
  return categories.filter((c) => c.replaceAll(ZWSP, "") !== "");
}

/** What every chart must satisfy once Mermaid has parsed it. */
function expectWellFormed(chart: ParsedXyChart): void {
  expect(chart.width).toBe(CHART_WIDTH);
  expect(chart.height).toBe(CHART_HEIGHT);
  expect(new Set(chart.categories).size).toBe(chart.categories.length); // equal labels would merge points
  expect(visible(chart.categories).length).toBeLessThanOrEqual(MAX_AXIS_LABELS);
  for (const l of chart.lines) {
    expect(l.values).toHaveLength(chart.categories.length);
    expect(l.values.every((v) => Number.isFinite(v) && v >= chart.yAxis.min && v <= chart.yAxis.max)).toBe(true);
  }
}

function srmFinding(control: number[], test: number[], split?: [number, number]): Finding {
  const e = split
    ? makeExperiment({ variants: [{ key: "control", rolloutPercentage: split[0] }, { key: "test", rolloutPercentage: split[1] }] })
    : makeExperiment();
  const f = detectSrm(e, data(e, { exposures: exposuresFromDaily({ control, test }) }), CONFIG, NOW);
  if (!f) throw new Error("fixture should produce an SRM finding");
  return f;
}

describe("palette", () => {
  it("computes WCAG contrast ratios (reference values)", () => {
    expect(contrastRatio("#ffffff", "#000000")).toBeCloseTo(21, 6);
    expect(contrastRatio("#777777", "#ffffff")).toBeCloseTo(4.48, 2); // WCAG's classic #777-on-white example
    expect(contrastRatio("#ffffff", "#ffffff")).toBe(1);
    expect(() => contrastRatio("blue", "#ffffff")).toThrow(RangeError);
  });

  it("every colour a chart uses reads on GitHub's light and dark backgrounds (≥ 3:1), read from the chart source", async () => {
    // A chart with more data lines than the palette has colours, plus a reference line.
    const days = ["2026-06-01", "2026-06-02"];
    const lines = [...CHART_PALETTE, CHART_PALETTE[0]!].map((c, i) => ({ label: `v${i}`, values: [i, i + 1] }));
    const source = xyChartSource({
      title: "t",
      yTitle: "y",
      days,
      lines: [...lines, { label: "ref", values: [3, 3], reference: true }],
      yRange: { min: 0, max: 10 },
      format: "integer",
    });
    const palette = /plotColorPalette: "([^"]+)"/.exec(source)?.[1]?.split(", ") ?? [];
    expect(palette).toHaveLength(lines.length + 1);
    for (const hex of palette) {
      for (const background of Object.values(CHART_BACKGROUNDS)) {
        expect(contrastRatio(hex, background), `${hex} on ${background}`).toBeGreaterThanOrEqual(MIN_CONTRAST);
      }
    }
    expect(new Set(palette.slice(0, CHART_PALETTE.length)).size).toBe(CHART_PALETTE.length); // distinct data colours
    expect(palette.at(-1)).toBe(GREY);
    const chart = await parseChart(source);
    expect(chart.lines.map((l) => l.color)).toEqual(palette); // Mermaid gives each line its colour, in order
  });

  it("the backgrounds checked are the ones Mermaid's light and dark themes draw charts on", async () => {
    const source = xyChartSource({ title: "t", yTitle: "y", days: ["2026-06-01"], lines: [{ label: "a", values: [1] }], yRange: { min: 0, max: 2 }, format: "integer" });
    const named: Record<string, string> = { white: "#ffffff" };
    const light = (await parseChartInTheme(source, "default")).background;
    const dark = (await parseChartInTheme(source, "dark")).background;
    expect(contrastRatio(named[light] ?? light, CHART_BACKGROUNDS.light)).toBe(1);
    expect(contrastRatio(named[dark] ?? dark, CHART_BACKGROUNDS.mermaidDark)).toBe(1);
    // Our palette wins over the theme's in both.
    expect((await parseChartInTheme(source, "dark")).lines[0]!.color).toBe(BLUE);
  });
});

describe("axisLabels", () => {
  const days = (n: number, from = Date.UTC(2026, 5, 1)) =>
    Array.from({ length: n }, (_, i) => new Date(from + i * 86_400_000).toISOString().slice(0, 10));

  it("shows every short label when there are few days", () => {
    expect(axisLabels(days(5))).toEqual(["06-01", "06-02", "06-03", "06-04", "06-05"]);
  });

  it.each([9, 14, 30, 60])("thins %i days to at most 8 unique labels, keeping first, last and the onset", (n) => {
    const d = days(n);
    const onset = d[Math.floor(n / 3)]!;
    const labels = axisLabels(d, [onset]);
    expect(labels).toHaveLength(n);
    expect(new Set(labels).size).toBe(n);
    const shown = visible(labels);
    expect(shown.length).toBeLessThanOrEqual(MAX_AXIS_LABELS);
    expect(shown.length).toBeGreaterThanOrEqual(4);
    expect(labels[0]).toBe("06-01");
    expect(shown).toContain(onset.slice(5));
    // Visible labels are at least ceil((n - 1) / 7) points apart, so they cannot run into each other.
    const at = labels.map((l, i) => (l.includes(ZWSP) ? -1 : i)).filter((i) => i >= 0);
    const gap = Math.ceil((n - 1) / (MAX_AXIS_LABELS - 1));
    for (let i = 1; i < at.length; i++) expect(at[i]! - at[i - 1]!).toBeGreaterThanOrEqual(gap);
  });

  it("uses full dates when the days span two years", () => {
    const labels = axisLabels(["2026-12-31", "2027-01-01"]);
    expect(labels).toEqual(["2026-12-31", "2027-01-01"]);
  });

  it("niceCeil rounds up to a round number", () => {
    expect([0.57, 1.38, 2.3, 126, 4020 * 1.05, 7.1, 0, 10].map(niceCeil)).toEqual([0.6, 1.5, 2.5, 150, 5000, 8, 1, 10]);
  });
});

describe("SRM chart: cumulative share with the expected split", () => {
  it("plots each variant's cumulative share (%), one flat grey line at the expected 50 %, and the onset", async () => {
    // Control 1,000 a day; test 1,000 a day for 5 days, then 600.
    const f = srmFinding(Array(10).fill(1000) as number[], [1000, 1000, 1000, 1000, 1000, 600, 600, 600, 600, 600]);
    expect(f.onset).not.toBeNull();
    const { source, chart, caption } = await chartOf(renderFindingIssue(f, LINKS).body);
    expectWellFormed(chart);
    expect(chart.lines.map((l) => l.color)).toEqual([BLUE, ORANGE, GREY]);
    const [control, test, expected] = chart.lines;
    expect(control!.values[0]).toBe(50);
    expect(control!.values[9]).toBeCloseTo((10_000 / 18_000) * 100, 2); // 55.556 %
    expect(test!.values[9]).toBeCloseTo((8_000 / 18_000) * 100, 2);
    expect(new Set(expected!.values)).toEqual(new Set([50]));
    // The axis frames the gap: 5-point steps around the data, not 0–100.
    expect(chart.yAxis).toMatchObject({ min: 40, max: 60 });
    expect(source).toContain(`title "Share of exposures per variant (%) - mismatch since ${f.onset!.slice(5)}"`);
    expect(visible(chart.categories)).toContain(f.onset!.slice(5));
    expect(caption).toMatch(/^Lines: blue = control, orange = test; flat: grey = expected share, 50 % each\. Days 2026-06-01 to 2026-06-10\./);
    expect(caption).toContain(`Mismatch since ${f.onset}.`);
    expect(caption).toContain("cannot draw dashed lines");
  });

  it("draws one grey line per distinct expected share on an uneven split", async () => {
    // 70/30 split, but exposures arrive 60/40.
    const f = srmFinding(Array(8).fill(600) as number[], Array(8).fill(400) as number[], [70, 30]);
    const { chart, caption } = await chartOf(renderFindingIssue(f, LINKS).body);
    expectWellFormed(chart);
    expect(chart.lines.map((l) => l.color)).toEqual([BLUE, ORANGE, GREY, GREY]);
    expect(chart.lines[2]!.values.every((v) => v === 70)).toBe(true);
    expect(chart.lines[3]!.values.every((v) => v === 30)).toBe(true);
    expect(chart.yAxis.min).toBeLessThanOrEqual(30);
    expect(chart.yAxis.max).toBeGreaterThanOrEqual(70);
    expect(caption).toContain("grey = expected share of control, 70 %; grey = expected share of test, 30 %");
  });

  it("starts on the first day with exposures and falls back to counts without expected shares", async () => {
    const chart: FindingChart = {
      kind: "cumulative-exposures",
      days: ["2026-06-01", "2026-06-02", "2026-06-03"],
      series: [
        { name: "control", values: [0, 60, 120] },
        { name: "test", values: [0, 40, 80] },
      ],
    };
    const shares = await parseChart(mermaidBlocks(renderChart(chart, { expectedShare: { control: 0.5, test: 0.5 } }))[0]!);
    expect(shares.categories).toEqual(["06-02", "06-03"]);
    expect(shares.lines[0]!.values).toEqual([60, 60]);
    const counts = await parseChart(mermaidBlocks(renderChart(chart, { expectedShare: { control: 0.5 } }))[0]!);
    expect(counts.categories).toHaveLength(3);
    expect(counts.yAxis).toMatchObject({ min: 0, max: 150 });
    expect(counts.lines[0]!.values).toEqual([0, 60, 120]);
  });

  it("a 200-day SRM is downsampled to 60 points with at most 8 date labels, and still parses", async () => {
    const f = srmFinding(Array(200).fill(1000) as number[], Array(200).fill(900) as number[]);
    const { chart, caption } = await chartOf(renderFindingIssue(f, LINKS).body);
    expectWellFormed(chart);
    expect(chart.categories).toHaveLength(MAX_CHART_POINTS);
    expect(visible(chart.categories).length).toBeGreaterThanOrEqual(6);
    expect(caption).toContain("200 days shown as 60 points.");
  });
});

describe("contamination chart: from zero, with the limit", () => {
  const exposures = () => exposuresFromDaily({ control: [2000, 2000, 2000], test: [2000, 2000, 2000], $multiple: [30, 50, 40] });

  it("y-axis starts at 0 and the 0.5 % limit is a flat grey line", async () => {
    const e = makeExperiment();
    const f = detectContamination(e, data(e, { exposures: exposures() }), CONFIG, NOW);
    if (!f) throw new Error("fixture should produce a contamination finding");
    const { chart, caption, source } = await chartOf(renderFindingIssue(f, LINKS).body);
    expectWellFormed(chart);
    expect(chart.yAxis.min).toBe(0);
    expect(chart.yAxis.max).toBeGreaterThan(Math.max(...chart.lines[0]!.values));
    expect(chart.lines.map((l) => l.color)).toEqual([BLUE, GREY]);
    expect(chart.lines[1]!.values).toEqual([0.5, 0.5, 0.5]);
    expect(caption).toMatch(/^Lines: blue = \\\$multiple share of new exposures \(%\); flat: grey = limit 0\.5 %\./);
    expect(source).not.toContain("multiple"); // series names stay out of the Mermaid source
  });

  it("draws the configured limit, not the default", async () => {
    const e = makeExperiment();
    const f = detectContamination(e, data(e, { exposures: exposures() }), { ...CONFIG, multipleShare: 0.008 }, NOW);
    if (!f) throw new Error("fixture should produce a contamination finding");
    const { chart, caption } = await chartOf(renderFindingIssue(f, LINKS).body);
    expect(chart.lines[1]!.values).toEqual([0.8, 0.8, 0.8]);
    expect(caption).toContain("grey = limit 0.8 %");
  });
});

describe("stall chart", () => {
  it("cumulative counts from 0 in the palette, stall onset labelled", async () => {
    const e = makeExperiment();
    const exposures = exposuresFromDaily({ control: [...(Array(10).fill(500) as number[]), 0, 0, 0], test: [...(Array(10).fill(500) as number[]), 0, 0, 0] });
    const f = detectStall(e, data(e, { exposures }), CONFIG, hoursAfter("2026-06-14T00:00:00Z", 0));
    if (!f) throw new Error("fixture should produce a stall finding");
    const { chart, caption, source } = await chartOf(renderFindingIssue(f, LINKS).body);
    expectWellFormed(chart);
    expect(chart.lines.map((l) => l.color)).toEqual([BLUE, ORANGE]);
    expect(chart.yAxis).toMatchObject({ min: 0, max: 6000 }); // 5,000 × 1.05 rounded up
    expect(chart.lines[0]!.values.slice(-4)).toEqual([5000, 5000, 5000, 5000]); // the flat tail
    expect(source).toContain('title "Cumulative exposures per variant - stalled since 06-11"');
    expect(visible(chart.categories)).toContain("06-11");
    expect(caption).toMatch(/^Lines: blue = control, orange = test\. Days 2026-06-01 to 2026-06-13\./);
  });
});

describe("every chart the app emits parses with Mermaid", () => {
  it("the demo scan report: SRM, contamination and stall charts", async () => {
    const out: string[] = [];
    const io: CliIo = { stdout: (t) => out.push(t), stderr: () => {}, readStdin: async () => "", stdinIsTTY: true, env: {} };
    expect(await runCli(["scan", "--offline", "--snapshot", `${DEMO_DIR}snapshot.json`, "--watch-cap", "50"], io)).toBe(0);
    const blocks = mermaidBlocks(out.join(""));
    expect(blocks).toHaveLength(3);
    for (const source of blocks) expectWellFormed(await parseChart(source));
  });

  it("a chart that would not parse fails the same check", async () => {
    const good = xyChartSource({ title: "t", yTitle: "y", days: ["2026-06-01"], lines: [{ label: "a", values: [1] }], yRange: { min: 0, max: 2 }, format: "integer" });
    await expect(parseChart(good)).resolves.toMatchObject({ categories: ["06-01"] });
    await expect(parseChart(good.replace("line [1]", "line [1,, 2]"))).rejects.toThrow(/Parse error/);
    await expect(parseChart(good.replace('x-axis ["06-01"]', 'x-axis ["06-01]'))).rejects.toThrow();
    await expect(parseChart(good.replace("xychart-beta", "xychart-bet"))).rejects.toThrow();
  });

  it("the source builder refuses what Mermaid could not draw", () => {
    const base = { title: "t", yTitle: "y", days: ["2026-06-01"], lines: [{ label: "a", values: [1] }], yRange: { min: 0, max: 2 }, format: "integer" as const };
    expect(() => xyChartSource({ ...base, lines: [{ label: "a", values: [1, 2] }] })).toThrow(RangeError);
    expect(() => xyChartSource({ ...base, yRange: { min: 2, max: 2 } })).toThrow(RangeError);
    expect(() => xyChartSource({ ...base, days: [] })).toThrow(RangeError);
  });
});
