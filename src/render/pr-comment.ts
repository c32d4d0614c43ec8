/**
 * Rendering the sticky pull-request comment from a {@link PullRequestReport}.
 *
 * Pure: the same report renders to the same bytes (no clock, no randomness), so an unchanged analysis
 * leaves the comment unwritten. Everything from PostHog or the PR goes through `escapeMarkdown`/`code`.
 */
import { createHash } from "node:crypto";
import type { ConfigProblem } from "../config/load.js";
import type { Decision, DecisionKind, MetricAnalysis } from "../decision/index.js";
import type { UnknownKey } from "../matching/index.js";
import type { ExperimentReport, FlagSummary, PullRequestReport } from "../pipeline/pull-request.js";
import { codeThreatsSection } from "./code-threats.js";
import { configErrorSection, configProblemsSection } from "./config-problems.js";
import { experimentUrl, featureFlagUrl } from "./links.js";
import {
  code,
  escapeMarkdown,
  fitBody,
  formatCount,
  formatLift,
  formatPercent,
  formatPValue,
  link,
} from "./markdown.js";
import { PR_COMMENT_MARKER } from "../github/sticky-comment.js";
// The rules' own percentage format (two decimals from 99 %), so a table's chance to win matches the reason's.
import { formatPercent as formatChance } from "../format.js";

/** Extra context for the comment. */
export interface PrCommentOptions {
  /** Problems in `.github/experiment-hygiene.yml`; shown first when present. */
  configProblems?: ConfigProblem[];
  /** The head commit the analysis is for, shown in the footer. */
  headSha?: string | null;
  /** Notes about incomplete input (e.g. a diff too large for GitHub's diff endpoint). */
  notes?: string[];
  /**
   * The pull request's "Files changed" page (`https://github.com/{owner}/{repo}/pull/{n}/files`); each
   * `file:line` location links into it. Without it (the CLI) locations are plain text.
   */
  filesUrl?: string | null;
}

/** How many locations are listed per flag before "and N more". */
export const MAX_LOCATIONS = 3;

/** A place in the diff: new-file line for added lines, old-file line for removed lines. */
export interface DiffLocation {
  file: string;
  line: number;
  side: "added" | "removed";
}

/**
 * A link to one line of a PR's "Files changed" page: GitHub's anchor is `diff-` + the SHA-256 hex of the
 * file's path, then `R<n>` for a line of the new file or `L<n>` for a line of the old file.
 *
 * @param filesUrl `https://github.com/{owner}/{repo}/pull/{n}/files` (any http/https URL; GHES too)
 * @returns the URL, or null when `filesUrl` is not an http(s) URL
 */
export function diffLineUrl(filesUrl: string, loc: DiffLocation): string | null {
  let url: URL;
  try {
    url = new URL(filesUrl);
  } catch {
    return null;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return null;
  const anchor = createHash("sha256").update(loc.file, "utf8").digest("hex");
  url.hash = `diff-${anchor}${loc.side === "added" ? "R" : "L"}${loc.line}`;
  return url.toString().replace(/\(/g, "%28").replace(/\)/g, "%29"); // safe inside a Markdown link
}

/** `src/a.ts:12` for an added line, `src/a.ts old line 12` for a removed one (old-file numbering). */
export function locationLabel(loc: DiffLocation): string {
  return loc.side === "added" ? `${loc.file}:${loc.line}` : `${loc.file} old line ${loc.line}`;
}

/**
 * The first {@link MAX_LOCATIONS} locations as Markdown (links when `filesUrl` is given), then "and N more".
 * Duplicate locations are listed once.
 */
export function formatLocations(locs: readonly DiffLocation[], filesUrl?: string | null): string {
  const seen = new Set<string>();
  const unique = locs.filter((l) => {
    const k = `${l.side}\u0000${l.file}\u0000${l.line}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  const shown = unique.slice(0, MAX_LOCATIONS).map((l) => {
    const url = filesUrl ? diffLineUrl(filesUrl, l) : null;
    return url ? `[${code(locationLabel(l))}](${url})` : code(locationLabel(l));
  });
  const more = unique.length - shown.length;
  return shown.join(", ") + (more > 0 ? ` and ${more} more` : "");
}

function referencesOf(report: PullRequestReport, flagKey: string): DiffLocation[] {
  return report.matches.references.filter((r) => r.flagKey === flagKey && !SHOWN_APART.has(r.kind));
}

/** Reference kinds listed in their own sections, not as the flag's locations (issue 10). */
const SHOWN_APART = new Set<string>(["comment", "dynamic"]);

/** "Mentioned in comments" and "Possible dynamic references": one line per key, with its locations. */
function apartSections(report: PullRequestReport, filesUrl: string | null): string[] {
  const out: string[] = [];
  const sections: [string, string, string][] = [
    ["comment", "### Mentioned in comments", "Comments or docstrings on these lines mention these keys (not counted as references):"],
    ["dynamic", "### Possible dynamic references", "A key built from a template with a fixed prefix or suffix can be one of these flags:"],
  ];
  for (const [kind, title, intro] of sections) {
    const byKey = new Map<string, DiffLocation[]>();
    for (const r of report.matches.references) {
      if (r.kind !== kind) continue;
      let list = byKey.get(r.flagKey);
      if (!list) byKey.set(r.flagKey, (list = []));
      list.push(r);
    }
    if (byKey.size === 0) continue;
    out.push(title, "", intro, "");
    for (const [key, list] of byKey) out.push(`- ${code(key)} at ${formatLocations(list, filesUrl)}`);
    out.push("");
  }
  return out;
}

const DECISION_LABEL: Record<DecisionKind, string> = {
  promote: "✅ Promote",
  rollback: "⛔ Roll back",
  investigate: "🔍 Investigate",
  continue: "⏳ Continue",
  extend: "⏱️ Extend",
  stop: "🛑 Stop",
};

/** A 10-cell progress bar for a fraction (capped at 100 %). */
export function progressBar(fraction: number, cells = 10): string {
  const f = Math.max(0, Math.min(1, Number.isFinite(fraction) ? fraction : 0));
  const full = Math.round(f * cells);
  return `\`${"█".repeat(full)}${"░".repeat(cells - full)}\``;
}

function interval(iv: [number, number] | null): string {
  return iv ? `[${formatLift(iv[0])}, ${formatLift(iv[1])}]` : "—";
}

function decisionLine(decision: Decision): string {
  const label = DECISION_LABEL[decision.decision];
  const variant = decision.variant ? ` ${code(decision.variant)}` : "";
  return `**${label}${variant}**`;
}

function metricTable(analysis: MetricAnalysis, decision: Decision): string[] {
  const bayesian = decision.method === "bayesian";
  // Under always-valid inference a frequentist verdict's interval and p-value are the always-valid ones: say so,
  // so they are not mistaken for the fixed-horizon figures a reason may quote (near significance).
  const av = !bayesian && analysis.verdicts.some((v) => v.fixedHorizon !== null);
  const level = bayesian ? "credible" : av ? "always-valid" : "confidence";
  const lines = [
    `| Variant | Lift | ${level} interval | ${bayesian ? "Chance to win" : av ? "always-valid p" : "p-value"} |`,
    "|---|---:|---|---:|",
  ];
  for (const v of analysis.verdicts) {
    if (v.error) {
      lines.push(`| ${code(v.variant)} | — | — | ${escapeMarkdown(v.error)} |`);
      continue;
    }
    const stat = bayesian
      ? v.chanceToWin === null
        ? "—"
        : formatChance(v.chanceToWin)
      : v.pValue === null
        ? "—"
        : formatPValue(v.pValue);
    const mark = v.significantlyBetter ? " 🟢" : v.significantlyWorse ? " 🔴" : "";
    lines.push(
      `| ${code(v.variant)} | ${v.lift === null ? "—" : formatLift(v.lift)}${mark} | ${interval(v.interval)} | ${stat} |`,
    );
  }
  return lines;
}

function metricSection(title: string, analysis: MetricAnalysis, decision: Decision, pending = false): string[] {
  const m = analysis.metric;
  const head = `**${title}:** ${escapeMarkdown(m.name)} (${m.metricType}, goal: ${m.goal})`;
  if (pending) return [head, "", `> ⏳ ${STILL_COMPUTING} this metric; it will appear on the next update.`, ""];
  if (analysis.error) return [head, "", `> ${escapeMarkdown(analysis.error)}`, ""];
  if (analysis.verdicts.length === 0) return [head, "", "> No results yet.", ""];
  return [head, "", ...metricTable(analysis, decision), ""];
}

function exposureSection(report: ExperimentReport, decision: Decision): string[] {
  const entries = Object.entries(decision.exposures);
  if (entries.length === 0) return ["**Exposures:** none yet.", ""];
  const target = decision.minSamplePerVariant;
  const source = decision.minSampleSource === "posthog" ? "PostHog's recommended sample size" : "configured minimum";
  const lines = [
    `**Exposures** (target ${formatCount(target)} per variant, ${source}):`,
    "",
    "| Variant | Exposures | Progress |",
    "|---|---:|---|",
  ];
  for (const [variant, n] of entries) {
    const fraction = target > 0 ? n / target : 1;
    lines.push(`| ${code(variant)} | ${formatCount(n)} | ${progressBar(fraction)} ${Math.round(fraction * 100)}% |`);
  }
  const multiple = report.exposures?.totals["$multiple"];
  if (multiple) lines.push("", `<sub>${formatCount(multiple)} users saw more than one variant (\`$multiple\`) and are excluded.</sub>`);
  if (report.stall) {
    // The scan's stall rule: no time-to-target estimate while no exposure arrives (issue 8).
    const cause = report.stall.cause ? ` ${escapeMarkdown(report.stall.cause)}` : "";
    lines.push(
      "",
      `> ⚠️ **${escapeMarkdown(report.stall.title)}.**${cause} No time-to-target estimate is shown while exposures are stalled.`,
    );
  } else if (decision.sample?.daysRemaining) {
    lines.push("", `<sub>About ${decision.sample.daysRemaining} more days to reach the target at the current rate.</sub>`);
  }
  lines.push("");
  return lines;
}

function statusLine(report: ExperimentReport, decision: Decision | null): string {
  const e = report.experiment;
  const parts = [`**Status:** ${escapeMarkdown(e.status)}`];
  if (decision?.daysRunning !== null && decision?.daysRunning !== undefined) {
    const src = decision.maxDurationSource === "posthog" ? "PostHog's recommended running time" : "configured maximum";
    parts.push(`day ${Math.floor(decision.daysRunning)} of ${decision.maxDurationDays} (${src})`);
  }
  parts.push(e.statsMethod === "bayesian" ? "Bayesian" : "frequentist");
  if (report.flagKey) parts.push(`flag ${code(report.flagKey)}`);
  return parts.join(" · ");
}

function validityWarning(decision: Decision): string[] {
  const srm = decision.srm;
  if (!srm || decision.decision !== "investigate") return [];
  const rows = srm.included.map(
    (k) =>
      `${code(k)} ${formatPercent(srm.observedShare[k] ?? 0)} observed vs ${formatPercent(srm.expectedShare[k] ?? 0)} expected`,
  );
  return [
    "> [!CAUTION]",
    `> **Sample ratio mismatch** (p = ${formatPValue(srm.pValue)}, ${formatCount(srm.total)} exposures): ${rows.join("; ")}. ` +
      "The assignment or the exposure logging is biased; no decision can be trusted until the cause is found.",
    "",
  ];
}

/** Wording of a query PostHog had not finished by the app's deadline (never called a broken metric). */
export const STILL_COMPUTING = "PostHog is still computing";

/** `2026-05-21T09:00:00Z` → `2026-05-21 09:00 UTC`. */
function utcMinute(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/**
 * The age of the PostHog data behind a report: the oldest `last_refresh` among its exposure and metric
 * results, and whether any came from PostHog's cache. Null when PostHog sent no `last_refresh`.
 */
export function dataAsOf(report: Pick<ExperimentReport, "exposures" | "metricResults">): { at: string; cached: boolean } | null {
  const all = [report.exposures?.freshness, ...report.metricResults.map((r) => r.freshness)].filter((f) => f !== undefined);
  const times = all.map((f) => f.computedAt).filter((t): t is string => t !== null && !Number.isNaN(Date.parse(t)));
  if (times.length === 0) return null;
  const oldest = times.reduce((a, b) => (Date.parse(a) <= Date.parse(b) ? a : b));
  return { at: oldest, cached: all.some((f) => f.cached === true) };
}

/**
 * Lines about the PostHog data behind a report (shared by the PR comment and `/experiment` replies):
 * "data as of …" (oldest `last_refresh`, cached or fresh), exposures still computing, and what PostHog
 * itself flags about the experiment's health with any disagreement with this app. Escaped Markdown.
 */
export function dataLines(report: ExperimentReport): string[] {
  const lines: string[] = [];
  if (report.exposuresPending) {
    lines.push(`> ⏳ ${STILL_COMPUTING} the exposures; they will appear on the next update.`, "");
  }
  const ph = report.posthogHealth;
  if (ph && (ph.flags.length > 0 || ph.disagreements.length > 0)) {
    lines.push(
      // PostHog's own sentences end with a full stop already; do not add a second one.
      `**PostHog itself flags:** ${ph.flags.length > 0 ? ph.flags.map((f) => escapeMarkdown(f)).join("; ") : "nothing"}`.replace(/\.?$/, "."),
      ...ph.disagreements.map((d) => `- ⚖️ ${escapeMarkdown(d)}`),
      "",
    );
  }
  const asOf = dataAsOf(report);
  if (asOf) {
    lines.push(`<sub>PostHog data as of ${utcMinute(asOf.at)}${asOf.cached ? " (PostHog's cached results)" : ""}.</sub>`, "");
  }
  return lines;
}

/**
 * One experiment's section of the PR comment (heading, status, decision and reasons, exposures with
 * progress, primary and guardrail tables). `/experiment status` shows the same section, so both agree.
 *
 * When the PR removes every reference to the flag of a running experiment (`report.removesFlagCode`), a
 * warning to end the experiment or keep the code replaces the recommendation's banner.
 *
 * With `report.references` (a PR's analysis), a "Found at" line lists where the diff references the flag.
 *
 * @param filesUrl the PR's "Files changed" URL, to link each location ({@link formatLocations})
 * @returns Markdown lines (escaped)
 */
export function experimentSection(
  report: ExperimentReport,
  host: string,
  projectId: string,
  filesUrl?: string | null,
): string[] {
  const e = report.experiment;
  const lines = [`### ${link(e.name || `Experiment ${e.id}`, experimentUrl(host, projectId, e.id))}`, ""];
  const located = report.references?.filter((r) => !SHOWN_APART.has(r.kind)) ?? [];
  if (located.length > 0) {
    lines.push(`Found at ${formatLocations(located, filesUrl)}.`, "");
  }
  const removesRunning = report.removesFlagCode === true && e.status === "running";
  if (removesRunning) lines.push(...removalWarning(report));
  if (report.error) {
    lines.push(`> [!WARNING]`, `> ${escapeMarkdown(report.error)}`, "");
    return lines;
  }
  const d = report.decision;
  lines.push(statusLine(report, d), "");
  if (!d) return lines;
  lines.push(...validityWarning(d));
  if (removesRunning) {
    const variant = d.variant ? ` ${code(d.variant)}` : "";
    lines.push(`**If you end it now, the data says:** ${DECISION_VERB[d.decision]}${variant}`, "");
  } else lines.push(`${decisionLine(d)}`, "");
  for (const r of d.reasons) lines.push(`- ${escapeMarkdown(r.message)}`);
  for (const n of d.notes ?? []) lines.push(`- ℹ️ ${escapeMarkdown(n)}`);
  lines.push("", `<sub>Multiple comparisons: ${escapeMarkdown(d.correction.description)}</sub>`, "");
  if (d.inference) lines.push(`<sub>Inference: ${escapeMarkdown(d.inference.description)}</sub>`, "");
  if (e.status !== "draft") {
    const pending = (a: MetricAnalysis) => report.metricResults.some((r) => r.metric.uuid === a.metric.uuid && r.pending === true);
    lines.push(...exposureSection(report, d));
    if (d.primary) lines.push(...metricSection("Primary metric", d.primary, d, pending(d.primary)));
    for (const g of d.guardrails) lines.push(...metricSection("Guardrail", g, d, pending(g)));
  }
  lines.push(...dataLines(report));
  return lines;
}

/** The decision in words, without the banner's emoji (used under the removal warning). */
const DECISION_VERB: Record<DecisionKind, string> = {
  promote: "promote",
  rollback: "roll back",
  investigate: "investigate first",
  continue: "too early to call (continue)",
  extend: "extend",
  stop: "stop",
};

function removalWarning(report: ExperimentReport): string[] {
  return [
    "> [!WARNING]",
    "> ⚠️ **This experiment is still running in PostHog; end it or keep the code.** " +
      `This pull request removes every reference to its flag ${code(report.flagKey)} in the diff: once it is deployed, ` +
      "users stop being exposed and the experiment stalls mid-run. End the experiment in PostHog first, or keep " +
      "the code until it has ended.",
    "",
  ];
}

function flagLine(f: FlagSummary, host: string, projectId: string, foundAt?: string): string {
  const name = link(f.flagKey, featureFlagUrl(host, projectId, f.flag.id));
  const state = f.flag.active ? "active" : "inactive";
  return `- ${name} (${state})${foundAt ? ` at ${foundAt}` : ""}`;
}

/** Unknown keys grouped: keys the PR adds or changes (likely typos), and keys it only deletes (fine). */
function groupUnknown(unknown: readonly UnknownKey[]): { added: Map<string, UnknownKey[]>; removedOnly: Map<string, UnknownKey[]> } {
  const byKey = new Map<string, UnknownKey[]>();
  for (const u of unknown) {
    const list = byKey.get(u.key);
    if (list) list.push(u);
    else byKey.set(u.key, [u]);
  }
  const added = new Map<string, UnknownKey[]>();
  const removedOnly = new Map<string, UnknownKey[]>();
  for (const [k, list] of byKey) {
    const onAdded = list.filter((u) => u.side === "added");
    if (onAdded.length > 0) added.set(k, onAdded);
    else removedOnly.set(k, list);
  }
  return { added, removedOnly };
}

/**
 * Render the comment body.
 *
 * @returns Markdown under GitHub's 65,536-character limit, starting with the hidden PR marker.
 */
export function renderPrComment(report: PullRequestReport, opts: PrCommentOptions = {}): string {
  const { host, projectId } = report.posthog;
  const out: string[] = [PR_COMMENT_MARKER, "## 🧪 Experiment hygiene", ""];

  out.push(...configProblemsSection(opts.configProblems ?? []));

  const active = report.flags.filter((f) => f.status === "added-or-modified");
  const removed = report.flags.filter((f) => f.status === "removed");
  if (report.flags.length === 0) {
    out.push("This pull request references no PostHog feature flag.", "");
  } else {
    const nExp = report.experiments.length;
    out.push(
      `This pull request references **${report.flags.length}** PostHog feature flag${report.flags.length === 1 ? "" : "s"}` +
        ` with **${nExp}** experiment${nExp === 1 ? "" : "s"}.`,
      "",
    );
  }

  const filesUrl = opts.filesUrl ?? null;
  const foundAt = (flagKey: string): string | undefined => {
    const refs = referencesOf(report, flagKey);
    return refs.length > 0 ? formatLocations(refs, filesUrl) : undefined;
  };
  const projectOf = (flagKey: string) => report.flags.find((f) => f.flagKey === flagKey)?.projectId ?? projectId;
  out.push(...codeThreatsSection(report.threats ?? [], host, projectId, filesUrl, (t) => projectOf(t.flagKey)));
  for (const r of report.experiments) out.push(...experimentSection(r, host, r.projectId ?? projectId, filesUrl));
  if (report.omittedExperiments > 0) {
    out.push(`_${report.omittedExperiments} more matched experiments are not shown (\`comment.max_experiments\`)._`, "");
  }

  const withoutExperiment = active.filter((f) => f.experiments === 0);
  if (withoutExperiment.length > 0) {
    out.push(
      "### Flags without an experiment",
      "",
      ...withoutExperiment.map((f) => flagLine(f, host, f.projectId ?? projectId, foundAt(f.flagKey))),
      "",
    );
  }
  const unknown = groupUnknown(report.unknownKeys);
  if (removed.length > 0 || unknown.removedOnly.size > 0) {
    out.push("### Removed references", "", "Every reference to these flags in this diff is on a removed line:", "");
    out.push(...removed.map((f) => flagLine(f, host, f.projectId ?? projectId, foundAt(f.flagKey))));
    for (const [key, list] of unknown.removedOnly) {
      out.push(`- ${code(key)} at ${formatLocations(list, filesUrl)} — PostHog no longer has this flag; removing its code is fine`);
    }
    out.push("");
  }
  if (unknown.added.size > 0) {
    out.push("### Unknown flag keys", "", "PostHog has no flag with these keys (a typo?):", "");
    for (const [key, list] of unknown.added) {
      const suggestion = list.find((u) => u.suggestion)?.suggestion;
      const hint = suggestion ? ` — did you mean ${code(suggestion)}?` : "";
      out.push(`- ${code(key)} at ${formatLocations(list, filesUrl)}${hint}`);
    }
    out.push("");
  }
  out.push(...apartSections(report, filesUrl));
  for (const note of opts.notes ?? []) out.push(`> ${escapeMarkdown(note)}`, "");

  const sha = opts.headSha ? ` for ${code(opts.headSha.slice(0, 7))}` : "";
  out.push(
    `<sub>experiment-hygiene${sha} · PostHog project${(report.projects?.length ?? 0) > 1 ? `s ${report.projects!.map(escapeMarkdown).join(", ")}` : ` ${escapeMarkdown(projectId)}`} · decision rules: \`docs/decision-rules.md\` in the experiment-hygiene repository</sub>`,
  );
  return fitBody(out.join("\n") + "\n");
}

/**
 * The body with only the configuration's problems: when the PR references no flag, or (`fatal`) when the
 * file cannot be read at all and nothing else is posted.
 */
export function renderConfigProblemsComment(problems: ConfigProblem[], opts: { fatal?: boolean } = {}): string {
  const section = opts.fatal ? configErrorSection(problems) : configProblemsSection(problems);
  return fitBody([PR_COMMENT_MARKER, "## 🧪 Experiment hygiene", "", ...section].join("\n"));
}
