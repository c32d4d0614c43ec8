/**
 * The primary metric's lift over time with its always-valid interval (issue 13), drawn from the evaluations
 * the app recorded on its scans (`src/pipeline/lift-history.ts`): three data lines (interval's lower end,
 * lift, upper end) and a flat zero line, in percent. A narrowing interval that clears zero is the picture of
 * a decision. Variant keys and metric names appear only in the escaped caption, never in the Mermaid source.
 */
import { MIN_CHART_POINTS, type LiftHistory, type LiftPoint } from "../pipeline/lift-history.js";
import { niceCeil, renderXyChart, type ChartSpec } from "./charts.js";

/** What the caption says about the chart (plain text; escaped by the chart renderer). */
export interface LiftChartOptions {
  /** The variant to draw; default the history's best variant, else the one with the most points. */
  variant?: string | null;
  /** The primary metric's name, for the caption. */
  metricName: string;
  /** The metric's goal: with `decrease`, a negative lift is the good direction (said in the caption). */
  goal: "increase" | "decrease";
  /** A sentence appended to the caption (e.g. which evaluation is the last point). */
  note?: string;
}

/** The variant a chart shows: the requested one when it has points, else the best, else the one with the most points. */
export function chartVariant(history: LiftHistory, requested?: string | null): string | null {
  const has = (k: string | null | undefined): k is string => !!k && (history.variants[k]?.length ?? 0) > 0;
  if (has(requested)) return requested;
  if (has(history.best)) return history.best;
  let pick: string | null = null;
  for (const [k, ps] of Object.entries(history.variants)) if (pick === null || ps.length > (history.variants[pick]?.length ?? 0)) pick = k;
  return pick;
}

/**
 * The chart spec of one variant's history (values in percent), or null with fewer than
 * {@link MIN_CHART_POINTS} points. The y-axis always includes 0, each side rounded out to a round number
 * ({@link niceCeil}).
 */
export function liftChartSpec(points: readonly LiftPoint[], variant: string, opts: LiftChartOptions): ChartSpec | null {
  if (points.length < MIN_CHART_POINTS) return null;
  const pct = (x: number) => x * 100;
  const lower = points.map((p) => pct(p.lower));
  const lift = points.map((p) => pct(p.lift));
  const upper = points.map((p) => pct(p.upper));
  const lo = Math.min(0, ...lower, ...lift);
  const hi = Math.max(0, ...upper, ...lift);
  const min = lo < 0 ? -niceCeil(-lo) : 0;
  const max = hi > 0 ? niceCeil(hi) : min < 0 ? 0 : 1;
  const last = points[points.length - 1] as LiftPoint;
  const clears = last.lower > 0 ? "above" : last.upper < 0 ? "below" : null;
  const good = opts.goal === "decrease" ? "below" : "above";
  const state =
    clears === null
      ? "At the latest evaluation the interval still contains zero: no significant difference yet."
      : `At the latest evaluation the whole interval is ${clears} zero: ${variant} is ${clears === good ? "better" : "worse"} than control${opts.goal === "decrease" ? " (lower is better)" : ""}.`;
  return {
    title: "Lift vs control with always-valid interval (%)",
    yTitle: "Lift (%)",
    days: points.map((p) => p.day),
    lines: [
      { label: "lower end of the interval", values: lower },
      { label: `lift of ${variant}`, values: lift },
      { label: "upper end of the interval", values: upper },
      { label: "zero (no difference)", values: points.map(() => 0), reference: true },
    ],
    yRange: { min, max },
    format: "decimal",
    note:
      `Lift of ${variant} against control on "${opts.metricName}" (primary), as evaluated by the app on each scan ` +
      `(one point per day it was evaluated), with its always-valid interval (confidence sequence): it may be ` +
      `looked at any number of times, and it narrows as data comes in. ${state}${opts.note ? ` ${opts.note}` : ""}`,
  };
}

/**
 * The Markdown of the lift chart of one experiment (a fenced Mermaid block and its caption), or "" when the
 * history has fewer than {@link MIN_CHART_POINTS} points for the chosen variant.
 */
export function renderLiftChart(history: LiftHistory | null | undefined, opts: LiftChartOptions): string {
  if (!history) return "";
  const variant = chartVariant(history, opts.variant);
  if (!variant) return "";
  const spec = liftChartSpec(history.variants[variant] ?? [], variant, opts);
  return spec ? renderXyChart(spec) : "";
}
