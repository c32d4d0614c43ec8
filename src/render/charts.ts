/**
 * Mermaid `xychart-beta` line charts that read on GitHub's light and dark themes (issue 13).
 *
 * Every chart carries Mermaid front-matter config with a fixed width and height and an explicit colour per
 * line (`config.xyChart.width/height`, `config.themeVariables.xyChart.plotColorPalette`, Mermaid 11's
 * `XYChartConfig` and `XYChartThemeConfig`). Data lines take the {@link CHART_PALETTE} colours in order;
 * reference lines (an expected share, a threshold) are drawn flat in {@link REFERENCE_COLOR}, because
 * xychart has no dashed lines and no per-line style. xychart has no legend GitHub is known to render, so
 * the caption names each line by its colour.
 *
 * x-axis labels are short (`MM-DD`) and thinned to at most {@link MAX_AXIS_LABELS}; xychart needs one
 * category per point and merges equal categories, so a thinned point gets a unique invisible label (a run
 * of zero-width spaces, which Mermaid's trimming keeps). Only ISO days, numbers and fixed titles go into the
 * Mermaid source; line names (from PostHog) appear only in the escaped caption.
 */
import { escapeMarkdown } from "./markdown.js";

/** A named colour, `#RRGGBB`. */
export interface ChartColor {
  name: string;
  hex: string;
}

/**
 * Data-line colours, in the order lines get them: Okabe & Ito's colour-blind-safe set ("Color Universal
 * Design", 2002), keeping those with a contrast ratio ≥ {@link MIN_CONTRAST} against every background in
 * {@link CHART_BACKGROUNDS}; their blue `#0072B2` is lightened (same hue) to `#2F8AD0` to read on Mermaid's
 * dark chart background; Paul Tol's olive (muted scheme) is the fifth. Ratios (white / GitHub dark /
 * Mermaid dark): blue 3.71 / 5.11 / 3.41, orange (vermillion) 3.87 / 4.89 / 3.27, green 3.42 / 5.53 / 3.69,
 * pink 3.06 / 6.18 / 4.13, olive 3.02 / 6.27 / 4.19.
 */
export const CHART_PALETTE: readonly ChartColor[] = Object.freeze([
  { name: "blue", hex: "#2F8AD0" },
  { name: "orange", hex: "#D55E00" },
  { name: "green", hex: "#009E73" },
  { name: "pink", hex: "#CC79A7" },
  { name: "olive", hex: "#999933" },
]);

/** Reference lines (expected share, threshold): GitHub's muted grey `#7D8590` (3.73 / 5.07 / 3.39). */
export const REFERENCE_COLOR: ChartColor = Object.freeze({ name: "grey", hex: "#7D8590" });

/**
 * What a chart is seen on: GitHub's light page (Mermaid's `default` theme draws the chart on white), GitHub's
 * default dark page, and Mermaid's `dark` theme, which fills the chart with `#333` (its `background`).
 */
export const CHART_BACKGROUNDS = Object.freeze({ light: "#ffffff", githubDark: "#0d1117", mermaidDark: "#333333" });

/** WCAG 2.x minimum contrast for graphical objects (success criterion 1.4.11, non-text contrast). */
export const MIN_CONTRAST = 3;

/** Chart size in pixels (Mermaid's default is 700 × 500; GitHub scales the SVG down to the column). */
export const CHART_WIDTH = 720;
export const CHART_HEIGHT = 400;

/** At most this many visible x-axis labels. */
export const MAX_AXIS_LABELS = 8;

const ZERO_WIDTH_SPACE = "\u200b";

/** One line of a chart. */
export interface ChartLine {
  /** Plain-text name for the caption (escaped there); never written into the Mermaid source. */
  label: string;
  /** One value per day, in the unit of the y-axis. */
  values: number[];
  /** A flat reference line (expected share, threshold), drawn in {@link REFERENCE_COLOR}. */
  reference?: boolean;
}

/** What to draw: the renderer's model of one xychart. */
export interface ChartSpec {
  /** Title (only `[0-9A-Za-z .:%()-/]` are kept). */
  title: string;
  /** y-axis title (same characters). */
  yTitle: string;
  /** ISO dates `YYYY-MM-DD`, one per point. */
  days: string[];
  /** Data lines first, then reference lines; every `values` aligned with `days`. */
  lines: ChartLine[];
  /** y-axis range in the unit of the values; `min` < `max`. */
  yRange: { min: number; max: number };
  /** Days whose x-axis label is always shown (e.g. an onset), when they are among `days`. */
  keepLabels?: string[];
  /** Caption sentence(s) after the line legend (plain text, escaped). */
  note?: string;
  /** Number format of the values: `integer` (counts) or `decimal` (up to 3 decimals). */
  format: "integer" | "decimal";
}

/** Relative luminance of an sRGB colour `#RRGGBB` or `#RGB` (WCAG 2.x definition), 0–1. */
export function relativeLuminance(color: string): number {
  const hex = /^#[0-9a-f]{3}$/i.test(color) ? color.replace(/[0-9a-f]/gi, (c) => c + c) : color;
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!m) throw new RangeError(`not a #RRGGBB colour: ${color}`);
  const [r, g, b] = [m[1], m[2], m[3]].map((h) => {
    const c = parseInt(h as string, 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/**
 * WCAG 2.x contrast ratio of two `#RRGGBB` (or `#RGB`) colours, 1–21: (L1 + 0.05) / (L2 + 0.05) with L1 the lighter.
 * @throws RangeError on a malformed colour.
 */
export function contrastRatio(a: string, b: string): number {
  const [hi, lo] = [relativeLuminance(a), relativeLuminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

/** The colour of each line of a chart: data lines cycle through {@link CHART_PALETTE}, references are grey. */
export function lineColors(lines: readonly ChartLine[]): ChartColor[] {
  let i = 0;
  return lines.map((l) => (l.reference ? REFERENCE_COLOR : (CHART_PALETTE[i++ % CHART_PALETTE.length] as ChartColor)));
}

/** A quoted Mermaid label: only characters that cannot close the string or the block. */
export function mermaidLabel(s: string): string {
  return `"${s.replace(/[^0-9A-Za-z .:%()\-/]/g, "")}"`;
}

/**
 * x-axis labels: `MM-DD` (full `YYYY-MM-DD` when the days span several years), at most `max` of them
 * visible and at least `ceil((n − 1) / (max − 1))` points apart. The first day, then the `keep` days, then
 * the last day are placed in that order, each only if far enough from those already
 * placed, then the remaining days from the left. Every other point gets a unique invisible label.
 * @param days ISO dates; malformed ones are shown as they are after dropping unsafe characters.
 * @returns one label per day, unique, unquoted.
 * @throws RangeError when `max` < 2.
 */
export function axisLabels(days: readonly string[], keep: readonly string[] = [], max = MAX_AXIS_LABELS): string[] {
  if (!Number.isInteger(max) || max < 2) throw new RangeError(`max axis labels must be an integer >= 2, got ${max}`);
  const n = days.length;
  const years = new Set(days.map((d) => d.slice(0, 4)));
  const short = (d: string) => (years.size <= 1 && /^\d{4}-\d{2}-\d{2}$/.test(d) ? d.slice(5) : d);
  const gap = n <= max ? 1 : Math.ceil((n - 1) / (max - 1));
  const shown: number[] = [];
  const place = (i: number) => {
    if (i >= 0 && i < n && shown.length < max && shown.every((j) => Math.abs(j - i) >= gap)) shown.push(i);
  };
  place(0);
  for (const d of keep) place(days.indexOf(d));
  place(n - 1);
  for (let i = 0; i < n; i++) place(i);
  const seen = new Set<string>();
  let blanks = 0;
  return days.map((d, i) => {
    let label = shown.includes(i) ? mermaidLabel(short(d)).slice(1, -1) : "";
    // Unique and non-empty after Mermaid trims whitespace: equal categories would share one x position.
    while (label === "" || seen.has(label)) label += ZERO_WIDTH_SPACE.repeat(++blanks);
    seen.add(label);
    return label;
  });
}

function formatValue(v: number, format: ChartSpec["format"]): string {
  if (!Number.isFinite(v)) return "0";
  return format === "integer" ? String(Math.round(v)) : String(Number(v.toFixed(3)));
}

/** The y-axis bound as Mermaid's grammar accepts it (no exponent). */
function axisNumber(v: number): string {
  return String(Number(v.toFixed(3)));
}

/**
 * The smallest round number (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 × 10^k) ≥ `x`, for an axis maximum that
 * leaves at most a third of the plot empty; 1 for `x` ≤ 0 or not finite.
 */
export function niceCeil(x: number): number {
  if (!(x > 0) || !Number.isFinite(x)) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * p >= x * (1 - 1e-12)) return Number((m * p).toPrecision(12));
  return 10 * p;
}

/**
 * The Mermaid source of a chart (front matter + `xychart-beta`, without the Markdown fence).
 * @throws RangeError when a line is not aligned with the days, there are no days or lines, or the y range
 *   is empty.
 */
export function xyChartSource(spec: ChartSpec): string {
  if (spec.days.length === 0 || spec.lines.length === 0) throw new RangeError("a chart needs days and lines");
  for (const l of spec.lines) {
    if (l.values.length !== spec.days.length) {
      throw new RangeError(`chart line "${l.label}" has ${l.values.length} values for ${spec.days.length} days`);
    }
  }
  const { min, max } = spec.yRange;
  if (!(Number.isFinite(min) && Number.isFinite(max) && min < max)) throw new RangeError(`empty y range ${min}..${max}`);
  const palette = lineColors(spec.lines).map((c) => c.hex).join(", ");
  const labels = axisLabels(spec.days, spec.keepLabels ?? []);
  return [
    "---",
    "config:",
    "  xyChart:",
    `    width: ${CHART_WIDTH}`,
    `    height: ${CHART_HEIGHT}`,
    "  themeVariables:",
    "    xyChart:",
    `      plotColorPalette: "${palette}"`,
    "---",
    "xychart-beta",
    `    title ${mermaidLabel(spec.title)}`,
    `    x-axis [${labels.map((l) => `"${l}"`).join(", ")}]`,
    `    y-axis ${mermaidLabel(spec.yTitle)} ${axisNumber(min)} --> ${axisNumber(max)}`,
    ...spec.lines.map((l) => `    line [${l.values.map((v) => formatValue(v, spec.format)).join(", ")}]`),
  ].join("\n");
}

/**
 * The caption under a chart: each line named by its colour (`blue = control, orange = test`), reference
 * lines after a semicolon, the date range with its year, then `spec.note`. Escaped Markdown.
 */
export function chartCaption(spec: ChartSpec): string {
  const colors = lineColors(spec.lines);
  const count = new Map<string, number>();
  const named = spec.lines.map((l, i) => {
    const c = colors[i] as ChartColor;
    const k = (count.get(c.name) ?? 0) + 1;
    count.set(c.name, k);
    return `${c.name}${k > 1 && !l.reference ? ` (${k})` : ""} = ${escapeMarkdown(l.label)}`;
  });
  const data = named.filter((_, i) => !spec.lines[i]?.reference);
  const refs = named.filter((_, i) => spec.lines[i]?.reference);
  const first = spec.days[0] as string;
  const last = spec.days[spec.days.length - 1] as string;
  const range = first === last ? `Day ${escapeMarkdown(first)}.` : `Days ${escapeMarkdown(first)} to ${escapeMarkdown(last)}.`;
  const legend = `Lines: ${data.join(", ")}${refs.length > 0 ? `; flat: ${refs.join("; ")}` : ""}.`;
  return [legend, range, spec.note ? escapeMarkdown(spec.note) : ""].filter(Boolean).join(" ");
}

/** A fenced Mermaid block of the chart followed by its caption. */
export function renderXyChart(spec: ChartSpec): string {
  return `\`\`\`mermaid\n${xyChartSource(spec)}\n\`\`\`\n\n${chartCaption(spec)}`;
}
