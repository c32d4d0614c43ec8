/**
 * Mermaid's own parser for the charts the app writes, run in vitest's node environment. Mermaid sanitises
 * labels with DOMPurify, which binds to a global `window` when it is first imported; this module gives it
 * a happy-dom window (and nothing else global: a whole DOM environment would replace Node's `URL`, which
 * `fileURLToPath` in the app's code rejects), then imports Mermaid.
 *
 * `parseChart` returns what Mermaid's xychart database holds after parsing (the same state its renderer
 * draws from), so tests can assert colours, axis ranges and values as Mermaid sees them, not as regexes.
 */
import { Window } from "happy-dom";

const g = globalThis as { window?: unknown };
g.window ??= new Window();
const { default: mermaid } = await import("mermaid");

/** An xychart as Mermaid's parser understood it. */
export interface ParsedXyChart {
  /** Category labels of the band x-axis, in order. */
  categories: string[];
  yAxis: { min: number; max: number; title: string };
  /** One entry per line: its colour (from the palette) and its values. */
  lines: { color: string; values: number[] }[];
  /** `config.xyChart.width/height` in effect. */
  width: number;
  height: number;
  /** `themeVariables.xyChart.plotColorPalette` in effect. */
  palette: string;
  /** The chart's background colour in the Mermaid theme in effect. */
  background: string;
}

interface XyChartDb {
  getXYChartData(): {
    xAxis: { type: string; categories?: string[] };
    yAxis: { type: string; min: number; max: number; title: string };
    plots: { type: string; strokeFill?: string; data: [string, number][] }[];
  };
  getChartConfig(): { width: number; height: number };
  getChartThemeConfig(): { plotColorPalette: string; backgroundColor: string };
}

/** The Mermaid sources (inside ```mermaid fences) of a Markdown document. */
export function mermaidBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/```mermaid\n([\s\S]*?)\n```/g)].map((m) => m[1] as string);
}

/**
 * Parse one xychart with Mermaid (front-matter config applied, as when rendering).
 * @throws whatever Mermaid throws on a chart it cannot parse, or Error when it is not an xychart.
 */
export async function parseChart(source: string): Promise<ParsedXyChart> {
  const parsed = await mermaid.parse(source); // applies the front-matter config, throws on a syntax error
  if (!parsed || parsed.diagramType !== "xychart") throw new Error(`not an xychart: ${parsed ? parsed.diagramType : "?"}`);
  // Same text again through the diagram factory to reach the parser's database (the config set above stays).
  const api = (mermaid as unknown as { mermaidAPI: { getDiagramFromText(t: string): Promise<{ db: XyChartDb }> } }).mermaidAPI;
  const { db } = await api.getDiagramFromText(source);
  const data = db.getXYChartData();
  if (data.xAxis.type !== "band" || data.yAxis.type !== "linear") throw new Error("unexpected axis types");
  return {
    categories: data.xAxis.categories ?? [],
    yAxis: { min: data.yAxis.min, max: data.yAxis.max, title: data.yAxis.title },
    lines: data.plots.filter((p) => p.type === "line").map((p) => ({ color: p.strokeFill ?? "", values: p.data.map(([, v]) => v) })),
    width: db.getChartConfig().width,
    height: db.getChartConfig().height,
    palette: db.getChartThemeConfig().plotColorPalette,
    background: db.getChartThemeConfig().backgroundColor,
  };
}

/**
 * Parse a chart under one of Mermaid's themes (GitHub uses `default` on light pages and `dark` on dark
 * ones), then restore the default theme.
 */
export async function parseChartInTheme(source: string, theme: "default" | "dark" | "neutral" | "forest"): Promise<ParsedXyChart> {
  mermaid.initialize({ startOnLoad: false, theme });
  try {
    return await parseChart(source);
  } finally {
    mermaid.initialize({ startOnLoad: false, theme: "default" });
  }
}
