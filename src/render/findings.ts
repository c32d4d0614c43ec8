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
import { code, escapeMarkdown, fitBody, formatCount, formatPValue, link, neutralizeMentions } from "./markdown.js";

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

/** Escape PostHog-derived text for Markdown, including `$` (GitHub math). */
function text(s: string | null | undefined): string {
  return escapeMarkdown(s).replace(/\$/g, "\\$");
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

function chartNumber(v: number, kind: FindingChart["kind"]): string {
  if (!Number.isFinite(v)) return "0";
  return kind === "cumulative-exposures" ? String(Math.round(v)) : String(Number(v.toFixed(3)));
}

/** A quoted Mermaid label: only characters that cannot close the string or the block. */
function mermaidLabel(s: string): string {
  return `"${s.replace(/[^0-9A-Za-z .:%()\-/]/g, "")}"`;
}

/**
 * A fenced Mermaid `xychart-beta` block for a finding's chart (downsampled to {@link MAX_CHART_POINTS}),
 * followed by a legend naming each line (xychart-beta has none). Series names go only into the escaped
 * legend, never into the Mermaid source.
 * @returns Markdown, or "" for a chart without days or series.
 */
export function renderChart(chart: FindingChart): string {
  if (chart.days.length === 0 || chart.series.length === 0) return "";
  const c = downsampleChart(chart);
  const title = c.kind === "cumulative-exposures" ? "Cumulative exposures per variant" : "Daily share of new exposures (%)";
  const yTitle = c.kind === "cumulative-exposures" ? "Exposures" : "Percent";
  const lines = [
    "```mermaid",
    "xychart-beta",
    `    title ${mermaidLabel(title)}`,
    `    x-axis [${c.days.map(mermaidLabel).join(", ")}]`,
    `    y-axis ${mermaidLabel(yTitle)}`,
    ...c.series.map((s) => `    line [${s.values.map((v) => chartNumber(v, c.kind)).join(", ")}]`),
    "```",
  ];
  const legend =
    c.series.length === 1
      ? `Line: ${text(c.series[0]?.name)}.`
      : `Lines, in order: ${c.series.map((s, i) => `${i + 1} = ${text(s.name)}`).join(", ")}.`;
  const note = c.days.length < chart.days.length ? ` ${chart.days.length} days shown as ${c.days.length} points.` : "";
  return `${lines.join("\n")}\n\n${legend}${note}`;
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

/**
 * Title and Markdown body of the issue for one finding (meant for P2 validity findings; works for any).
 *
 * Sections: a lead line (severity, kind, onset), "What contradicts what" (with an observed/expected table for
 * SRM), "Suspected cause" (when known), "What to do", a chart for srm/contamination/stall, an evidence table
 * (collapsed) and links to the experiment and flag in PostHog.
 *
 * @param finding the finding; its text fields are plain text and are escaped here.
 * @param links PostHog URLs; a null `flagUrl` renders the flag key without a link.
 * @returns `title` (plain, ≤ 256 characters, mentions neutralised) and `body` (≤ {@link MAX_BODY_CHARS}).
 */
export function renderFindingIssue(finding: Finding, links: FindingLinks): { title: string; body: string } {
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
    const chart = renderChart(f.chart);
    if (chart) parts.push(f.chart.kind === "daily-share" ? "### Daily share" : "### Exposures", chart);
  }
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
