/**
 * Markdown for hygiene issues: one issue per validity finding (P2) and one "Experiment hygiene dashboard"
 * issue bundling the lifecycle findings (P3) — issue 3, "Reports".
 *
 * Everything that comes from PostHog (experiment names, flag keys, variant keys, the findings' text, which
 * quotes them) is escaped with `escapeMarkdown` (no HTML, no live `@mention`, no table breakage) and `$` is
 * escaped so GitHub does not typeset math. Charts are Mermaid `xychart-beta` blocks, which GitHub renders;
 * only ISO days and numbers go into them. No hidden markers here: the reconciler adds them.
 */
import type { Finding, FindingChart, FindingKind } from "../detectors/types.js";
import { niceCeil, renderXyChart, type ChartLine, type ChartSpec } from "./charts.js";
import { code, escapeMarkdown, fitBody, formatCount, formatPValue, link, neutralizeMentions } from "./markdown.js";
import type { LiftHistory } from "../pipeline/lift-history.js";
import { renderLiftChart } from "./lift-chart.js";

/** Bodies are kept under this many characters (GitHub's limit is 65,536). */
export const MAX_BODY_CHARS = 60_000;
/** At most this many x-axis points in a chart; longer series are downsampled. */
export const MAX_CHART_POINTS = 60;
/** GitHub's limit on issue titles, in characters. */
export const MAX_TITLE_CHARS = 256;
/** At most this many code references are listed per dashboard entry. */
export const MAX_CODE_REFERENCES = 10;

/** Links of one finding into PostHog (and, for the dashboard, into the repository). */
export interface FindingLinks {
  experimentUrl: string;
  flagUrl: string | null;
  /** Dashboard only: URL of a code reference on the default branch (`…/blob/<sha>/<file>#L<line>`). */
  codeUrl?: (ref: { file: string; line: number }) => string | null;
}

/**
 * The primary metric's recorded lift history of a finding's experiment, for the "Primary metric over time"
 * chart of a validity issue (drawn once it has 3 evaluations; `src/render/lift-chart.ts`).
 */
export interface FindingLift {
  history: LiftHistory;
  /** The primary metric's name (plain text, escaped in the caption). */
  metricName: string;
  goal: "increase" | "decrease";
}

/** Human name of each kind (section headings, issue lead line). */
export const KIND_LABELS: Record<FindingKind, string> = {
  srm: "Sample ratio mismatch",
  contamination: "Users exposed to several variants",
  stall: "Exposure stall",
  mutation: "Mid-run flag edit",
  "broken-metric": "Broken primary metric",
  zombie: "Zombie experiments",
  "decided-still-running": "Decided but still running",
  "stale-variants": "Flags still serving several variants",
};

/** Escape PostHog-derived text for Markdown (`escapeMarkdown` also escapes `$`, GitHub math, exactly once). */
function text(s: string | null | undefined): string {
  return escapeMarkdown(s);
}

/** Plain one-line title: mentions neutralised, control characters removed, cut to GitHub's 256 characters. */
function plainTitle(s: string): string {
  // eslint-disable-next-line no-control-regex
  const one = neutralizeMentions(s.replace(/[\u0000-\u001f\u007f]+/g, " ").trim());
  return one.length <= MAX_TITLE_CHARS ? one : `${one.slice(0, MAX_TITLE_CHARS - 1)}…`;
}

/**
 * Downsample a chart to at most `max` x-axis points: the days are cut into `max` consecutive buckets, each
 * labelled by its last day; cumulative series take the bucket's last value (exact at that day), daily
 * shares the bucket's mean.
 * @throws RangeError when `max` < 2 or a series is not aligned with `days`.
 */
export function downsampleChart(chart: FindingChart, max = MAX_CHART_POINTS): FindingChart {
  if (!Number.isInteger(max) || max < 2) throw new RangeError(`max chart points must be an integer >= 2, got ${max}`);
  for (const s of chart.series) {
    if (s.values.length !== chart.days.length) {
      throw new RangeError(`chart series "${s.name}" has ${s.values.length} values for ${chart.days.length} days`);
    }
  }
  const n = chart.days.length;
  if (n <= max) return chart;
  const bounds: [number, number][] = [];
  for (let j = 0; j < max; j++) bounds.push([Math.floor((j * n) / max), Math.floor(((j + 1) * n) / max)]);
  return {
    kind: chart.kind,
    days: bounds.map(([, e]) => chart.days[e - 1] as string),
    series: chart.series.map((s) => ({
      name: s.name,
      values: bounds.map(([b, e]) => {
        if (chart.kind === "cumulative-exposures") return s.values[e - 1] as number;
        const slice = s.values.slice(b, e);
        return slice.reduce((a, v) => a + v, 0) / slice.length;
      }),
    })),
  };
}

/** What a finding adds to its chart: the reference a reader compares the lines with, and the onset. */
export interface ChartContext {
  /**
   * SRM: the expected share of each series (fractions 0–1, by series name, e.g. the finding's
   * `expected_share:<key>` evidence). With it a cumulative-exposures chart is drawn as each variant's
   * cumulative share of exposures (%) with the expected shares as flat lines.
   */
  expectedShare?: Record<string, number>;
  /** Daily-share charts: the limit in percent 0–100 (e.g. 0.5), drawn as a flat line. */
  thresholdPct?: number;
  /** ISO day `YYYY-MM-DD` the problem started and how to call it (e.g. "mismatch since"). */
  onset?: { day: string; phrase: string } | null;
}

function pctText(x: number): string {
  return `${Number(x.toFixed(2))} %`;
}

/** y range of a share chart (percent): 5-point steps around every value, at least 10 points wide, within 0–100. */
function shareRange(values: number[]): { min: number; max: number } {
  let min = Math.max(0, Math.floor((Math.min(...values) - 1) / 5) * 5);
  let max = Math.min(100, Math.ceil((Math.max(...values) + 1) / 5) * 5);
  while (max - min < 10) {
    if (min > 0) min -= 5;
    if (max < 100) max += 5;
  }
  return { min, max };
}

/** The first (downsampled) day on or after `day`, or null. */
function dayOnOrAfter(days: string[], day: string): string | null {
  return days.find((d) => d >= day) ?? null;
}

/** The SRM share lines, or null when the chart cannot be drawn as shares (missing expected share, no exposures). */
function shareSpec(c: FindingChart, expected: Record<string, number>): Pick<ChartSpec, "days" | "lines" | "yRange"> | null {
  if (c.series.length < 2 || c.series.some((s) => typeof expected[s.name] !== "number")) return null;
  const totals = c.days.map((_, d) => c.series.reduce((a, s) => a + (s.values[d] as number), 0));
  const start = totals.findIndex((t) => t > 0);
  if (start < 0) return null;
  const days = c.days.slice(start);
  const data: ChartLine[] = c.series.map((s) => ({
    label: s.name,
    values: days.map((_, i) => ((s.values[start + i] as number) / (totals[start + i] as number)) * 100),
  }));
  // One flat line per distinct expected share (a 50/50 split draws one line, not two on top of each other).
  const byShare = new Map<number, string[]>();
  for (const s of c.series) {
    const pct = Number(((expected[s.name] as number) * 100).toFixed(3));
    byShare.set(pct, [...(byShare.get(pct) ?? []), s.name]);
  }
  const refs: ChartLine[] = [...byShare].map(([pct, names]) => ({
    label: byShare.size === 1 ? `expected share, ${pctText(pct)} each` : `expected share of ${names.join(" and ")}, ${pctText(pct)}`,
    values: days.map(() => pct),
    reference: true,
  }));
  return { days, lines: [...data, ...refs], yRange: shareRange([...data, ...refs].flatMap((l) => l.values)) };
}

/**
 * A fenced Mermaid `xychart-beta` block for a finding's chart (downsampled to {@link MAX_CHART_POINTS}) and
 * its caption, drawn by `./charts.ts` (fixed palette and size, short thinned date labels, each line named by
 * colour in the caption; series names go only into the escaped caption, never into the Mermaid source).
 *
 * - `cumulative-exposures` with `context.expectedShare` for every series (SRM): each variant's cumulative
 *   share of exposures in percent from its first day with exposures, plus one flat grey line per distinct
 *   expected share; y-axis in 5-point steps around the data, at least 10 points wide.
 * - `cumulative-exposures` otherwise (stall): cumulative counts, y-axis from 0.
 * - `daily-share` (contamination): the share in percent, y-axis from 0, with `context.thresholdPct` as a
 *   flat grey line.
 *
 * The onset, when given, is named in the title and caption and its x-axis label is always shown.
 * @returns Markdown, or "" for a chart without days or series.
 * @throws RangeError when a series is not aligned with the days.
 */
export function renderChart(chart: FindingChart, context: ChartContext = {}): string {
  if (chart.days.length === 0 || chart.series.length === 0) return "";
  const c = downsampleChart(chart);
  const onset = context.onset ?? null;
  const notes: string[] = [];
  let spec: Omit<ChartSpec, "title" | "keepLabels" | "note">;
  let title: string;
  const shares = c.kind === "cumulative-exposures" && context.expectedShare ? shareSpec(c, context.expectedShare) : null;
  if (shares) {
    title = "Share of exposures per variant (%)";
    spec = { ...shares, yTitle: "Share of exposures (%)", format: "decimal" };
    notes.push(
      "Each point is a variant's share of all exposures counted up to that day; the grey line is the share the " +
        "flag's split expects (xychart cannot draw dashed lines, so it is a flat solid line). A gap that stays " +
        "open is the mismatch.",
    );
  } else if (c.kind === "cumulative-exposures") {
    title = "Cumulative exposures per variant";
    const max = Math.max(...c.series.flatMap((s) => s.values.filter(Number.isFinite)), 0);
    spec = {
      days: c.days,
      lines: c.series.map((s) => ({ label: s.name, values: s.values })),
      yTitle: "Exposures",
      yRange: { min: 0, max: niceCeil(max * 1.05) },
      format: "integer",
    };
  } else {
    title = "Daily share of new exposures (%)";
    const lines: ChartLine[] = c.series.map((s) => ({ label: s.name, values: s.values }));
    const limit = context.thresholdPct;
    if (limit !== undefined && Number.isFinite(limit) && limit > 0) {
      lines.push({ label: `limit ${pctText(limit)}`, values: c.days.map(() => limit), reference: true });
    }
    const max = Math.max(...lines.flatMap((l) => l.values.filter(Number.isFinite)), 0);
    spec = { days: c.days, lines, yTitle: "Percent", yRange: { min: 0, max: niceCeil(max * 1.15) }, format: "decimal" };
  }
  if (onset) {
    title += ` - ${onset.phrase} ${/^\d{4}-\d{2}-\d{2}$/.test(onset.day) ? onset.day.slice(5) : onset.day}`;
    notes.push(`${onset.phrase[0]?.toUpperCase()}${onset.phrase.slice(1)} ${onset.day}.`);
  }
  if (c.days.length < chart.days.length) notes.push(`${chart.days.length} days shown as ${c.days.length} points.`);
  const keep = onset ? dayOnOrAfter(spec.days, onset.day) : null;
  return renderXyChart({ ...spec, title, ...(keep ? { keepLabels: [keep] } : {}), note: notes.join(" ") });
}

function formatEvidenceValue(key: string, v: string | number | boolean | null): string {
  if (v === null) return "—";
  if (typeof v === "boolean") return v ? "yes" : "no";
  if (typeof v === "number") {
    if (key === "p_value") return formatPValue(v);
    return Number.isInteger(v) ? formatCount(v) : String(Number(v.toPrecision(6)));
  }
  return text(v);
}

/** Observed vs expected table of an SRM finding, from its `observed:<key>`/`expected:<key>` evidence. */
function srmTable(f: Finding): string {
  const keys = Object.keys(f.evidence)
    .filter((k) => k.startsWith("observed:"))
    .map((k) => k.slice("observed:".length));
  if (keys.length === 0) return "";
  const num = (k: string): number | null => {
    const v = f.evidence[k];
    return typeof v === "number" ? v : null;
  };
  const share = (x: number | null) => (x === null ? "—" : `${(x * 100).toFixed(2)} %`);
  const rows = keys.map((k) => {
    const os = num(`observed_share:${k}`);
    const es = num(`expected_share:${k}`);
    const dev = os !== null && es !== null ? `${os - es >= 0 ? "+" : "−"}${(Math.abs(os - es) * 100).toFixed(2)}` : "—";
    const o = num(`observed:${k}`);
    const e = num(`expected:${k}`);
    return `| ${text(k)} | ${o === null ? "—" : formatCount(o)} | ${e === null ? "—" : formatCount(e)} | ${share(os)} | ${share(es)} | ${dev} |`;
  });
  return [
    "| Variant | Observed | Expected | Observed share | Expected share | Deviation (pp) |",
    "|---|---:|---:|---:|---:|---:|",
    ...rows,
  ].join("\n");
}

function evidenceTable(f: Finding): string {
  const rows = Object.entries(f.evidence).map(([k, v]) => `| ${text(k)} | ${formatEvidenceValue(k, v)} |`);
  if (rows.length === 0) return "";
  return ["<details><summary>Evidence</summary>", "", "| Figure | Value |", "|---|---|", ...rows, "", "</details>"].join("\n");
}

/** Onset wording in a chart's title and caption, by finding kind. */
const ONSET_PHRASES: Partial<Record<FindingKind, string>> = {
  srm: "mismatch since",
  contamination: "over the limit since",
  stall: "stalled since",
};

/**
 * What a finding's evidence adds to its chart: for SRM the expected share of every charted variant (its
 * `expected_share:<key>` evidence, fractions 0–1), for contamination its `threshold` (fraction 0–1, drawn
 * in percent), and the onset.
 */
export function chartContext(f: Finding): ChartContext {
  const context: ChartContext = {};
  if (f.kind === "srm" && f.chart) {
    const expected: Record<string, number> = {};
    for (const s of f.chart.series) {
      const v = f.evidence[`expected_share:${s.name}`];
      if (typeof v === "number") expected[s.name] = v;
    }
    context.expectedShare = expected;
  }
  const threshold = f.evidence["threshold"];
  if (f.kind === "contamination" && typeof threshold === "number") context.thresholdPct = threshold * 100;
  const phrase = ONSET_PHRASES[f.kind];
  if (f.onset && phrase) context.onset = { day: f.onset, phrase };
  return context;
}

/**
 * Title and Markdown body of the issue for one finding (meant for P2 validity findings; works for any).
 *
 * Sections: a lead line (severity, kind, onset), "What contradicts what" (with an observed/expected table for
 * SRM), "Suspected cause" (when known), "What to do", a chart for srm/contamination/stall, an evidence table
 * (collapsed) and links to the experiment and flag in PostHog.
 *
 * @param finding the finding; its text fields are plain text and are escaped here.
 * @param links PostHog URLs; a null `flagUrl` renders the flag key without a link.
 * @param lift the primary metric's recorded lift history: with 3 or more evaluations a "Primary metric over
 *   time" chart (lift and always-valid interval) is added; none by default.
 * @returns `title` (plain, ≤ 256 characters, mentions neutralised) and `body` (≤ {@link MAX_BODY_CHARS}).
 */
export function renderFindingIssue(finding: Finding, links: FindingLinks, lift?: FindingLift | null): { title: string; body: string } {
  const f = finding;
  const lead =
    `**${f.severity} · ${KIND_LABELS[f.kind]}** in experiment ${link(f.experimentName, links.experimentUrl)} ` +
    `(flag ${code(f.flagKey)})${f.onset ? ` · since ${f.onset}` : ""}`;
  const parts: string[] = [lead, "### What contradicts what", text(f.contradiction)];
  if (f.kind === "srm") {
    const table = srmTable(f);
    if (table) parts.push(table);
  }
  if (f.cause) parts.push("### Suspected cause", text(f.cause));
  parts.push("### What to do", text(f.action));
  if (f.posthogHealth && (f.posthogHealth.flags.length > 0 || f.posthogHealth.disagreements.length > 0)) {
    const ph = f.posthogHealth;
    parts.push(
      "### What PostHog itself flags",
      [
        ...(ph.flags.length > 0 ? ph.flags.map((x) => `- ${text(x)}`) : ["- Nothing."]),
        ...ph.disagreements.map((x) => `- ⚖️ ${text(x)}`),
      ].join("\n"),
    );
  }
  if (f.chart && (f.kind === "srm" || f.kind === "contamination" || f.kind === "stall")) {
    const chart = renderChart(f.chart, chartContext(f));
    if (chart) parts.push(f.chart.kind === "daily-share" ? "### Daily share" : "### Exposures", chart);
  }
  const liftChart = lift
    ? renderLiftChart(lift.history, {
        metricName: lift.metricName,
        goal: lift.goal,
        ...(f.kind === "srm" ? { note: "While the sample ratio mismatch stands, this lift is not trustworthy." } : {}),
      })
    : "";
  if (liftChart) parts.push("### Primary metric over time", liftChart);
  const evidence = evidenceTable(f);
  if (evidence) parts.push(evidence);
  parts.push(
    "### Links",
    [
      `- Experiment in PostHog: ${link(f.experimentName, links.experimentUrl)}`,
      `- Feature flag in PostHog: ${links.flagUrl ? link(f.flagKey, links.flagUrl) : `${code(f.flagKey)} (not found in PostHog)`}`,
    ].join("\n"),
  );
  const body = fitBody(
    `${parts.join("\n\n")}\n`,
    MAX_BODY_CHARS,
    "\n\n_…cut to fit the issue size limit; run `experiment-hygiene scan --json` for every figure._\n",
  );
  return { title: plainTitle(f.title), body };
}

/**
 * Title and body of the per-repository "Experiment hygiene dashboard" issue: one section per lifecycle kind
 * (zombie, decided-still-running, stale-variants, in that order), one bullet per experiment (by id) with a
 * link to the experiment and its flag, what contradicts what, and — for stale-variants — the places in the
 * code that still reference the flag (at most {@link MAX_CODE_REFERENCES}). When every finding of a section
 * has the same action it is given once under the heading, else per bullet.
 *
 * @param findings lifecycle findings; P2 findings are left out (they get issues of their own).
 * @param links the PostHog (and code) links of a finding.
 * @returns title "Experiment hygiene dashboard" and a body ≤ {@link MAX_BODY_CHARS} characters.
 */
export function renderDashboardIssue(
  findings: Finding[],
  links: (f: Finding) => FindingLinks,
): { title: "Experiment hygiene dashboard"; body: string } {
  const p3 = findings.filter((f) => f.severity === "P3");
  const order: FindingKind[] = ["zombie", "decided-still-running", "stale-variants"];
  const kinds = [...order, ...[...new Set(p3.map((f) => f.kind))].filter((k) => !order.includes(k))];
  const parts: string[] = [];
  if (p3.length === 0) {
    parts.push("No lifecycle findings: every experiment this repository uses is tidy.");
  } else {
    const experiments = new Set(p3.map((f) => f.experimentId)).size;
    parts.push(
      `${p3.length} lifecycle finding${p3.length === 1 ? "" : "s"} in ${experiments} experiment${experiments === 1 ? "" : "s"}. ` +
        "This issue is updated in place on every scan; an entry disappears once its experiment is tidied up.",
    );
  }
  for (const kind of kinds) {
    const group = p3.filter((f) => f.kind === kind).sort((a, b) => a.experimentId - b.experimentId);
    if (group.length === 0) continue;
    const sameAction = group.every((f) => f.action === group[0]?.action);
    const section = [`### ${KIND_LABELS[kind]} (${group.length})`];
    if (sameAction && group[0]) section.push(`**What to do:** ${text(group[0].action)}`);
    const bullets = group.map((f) => {
      const l = links(f);
      const flag = l.flagUrl ? link(f.flagKey, l.flagUrl) : code(f.flagKey);
      const lines = [`- ${link(f.experimentName, l.experimentUrl)} (flag ${flag}): ${text(f.contradiction)}`];
      if (!sameAction) lines.push(`  - What to do: ${text(f.action)}`);
      const refs = f.codeReferences ?? [];
      if (refs.length > 0) {
        const shown = refs.slice(0, MAX_CODE_REFERENCES).map((r) => {
          const label = `${r.file}:${r.line}`;
          const url = l.codeUrl?.(r) ?? null;
          return url ? link(label, url) : code(label);
        });
        const more = refs.length > shown.length ? ` and ${refs.length - shown.length} more` : "";
        lines.push(`  - Still referenced in code: ${shown.join(", ")}${more}`);
      }
      return lines.join("\n");
    });
    section.push(bullets.join("\n"));
    parts.push(section.join("\n\n"));
  }
  const body = fitBody(
    `${parts.join("\n\n")}\n`,
    MAX_BODY_CHARS,
    "\n\n_…cut to fit the issue size limit; run `experiment-hygiene scan --json` for the full list._\n",
  );
  return { title: "Experiment hygiene dashboard", body };
}
