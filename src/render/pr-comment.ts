/**
 * Rendering the sticky pull-request comment from a {@link PullRequestReport}.
 *
 * Pure: the same report renders to the same bytes (no clock, no randomness), so an unchanged analysis
 * leaves the comment unwritten. Everything from PostHog or the PR goes through `escapeMarkdown`/`code`.
 */
import type { ConfigProblem } from "../config/load.js";
import type { Decision, DecisionKind, MetricAnalysis } from "../decision/index.js";
import type { ExperimentReport, FlagSummary, PullRequestReport } from "../pipeline/pull-request.js";
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

/** Extra context for the comment. */
export interface PrCommentOptions {
  /** Problems in `.github/experiment-hygiene.yml`; shown first when present. */
  configProblems?: ConfigProblem[];
  /** The head commit the analysis is for, shown in the footer. */
  headSha?: string | null;
  /** Notes about incomplete input (e.g. a diff too large for GitHub's diff endpoint). */
  notes?: string[];
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
  const level = bayesian ? "credible" : "confidence";
  const lines = [
    `| Variant | Lift | ${level} interval | ${bayesian ? "Chance to win" : "p-value"} |`,
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
        : formatPercent(v.chanceToWin)
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

function metricSection(title: string, analysis: MetricAnalysis, decision: Decision): string[] {
  const m = analysis.metric;
  const head = `**${title}:** ${escapeMarkdown(m.name)} (${m.metricType}, goal: ${m.goal})`;
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
  if (decision.sample?.daysRemaining) {
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

/**
 * One experiment's section of the PR comment (heading, status, decision and reasons, exposures with
 * progress, primary and guardrail tables). `/experiment status` shows the same section, so both agree.
 *
 * @returns Markdown lines (escaped)
 */
export function experimentSection(report: ExperimentReport, host: string, projectId: string): string[] {
  const e = report.experiment;
  const lines = [`### ${link(e.name || `Experiment ${e.id}`, experimentUrl(host, projectId, e.id))}`, ""];
  if (report.error) {
    lines.push(`> [!WARNING]`, `> ${escapeMarkdown(report.error)}`, "");
    return lines;
  }
  const d = report.decision;
  lines.push(statusLine(report, d), "");
  if (!d) return lines;
  lines.push(...validityWarning(d));
  lines.push(`${decisionLine(d)}`, "");
  for (const r of d.reasons) lines.push(`- ${escapeMarkdown(r.message)}`);
  for (const n of d.notes ?? []) lines.push(`- ℹ️ ${escapeMarkdown(n)}`);
  lines.push("", `<sub>Multiple comparisons: ${escapeMarkdown(d.correction.description)}</sub>`, "");
  if (d.inference) lines.push(`<sub>Inference: ${escapeMarkdown(d.inference.description)}</sub>`, "");
  if (e.status !== "draft") {
    lines.push(...exposureSection(report, d));
    if (d.primary) lines.push(...metricSection("Primary metric", d.primary, d));
    for (const g of d.guardrails) lines.push(...metricSection("Guardrail", g, d));
  }
  return lines;
}

function flagLine(f: FlagSummary, host: string, projectId: string): string {
  const name = link(f.flagKey, featureFlagUrl(host, projectId, f.flag.id));
  const state = f.flag.active ? "active" : "inactive";
  return `- ${name} (${state})`;
}

/**
 * Render the comment body.
 *
 * @returns Markdown under GitHub's 65,536-character limit, starting with the hidden PR marker.
 */
export function renderPrComment(report: PullRequestReport, opts: PrCommentOptions = {}): string {
  const { host, projectId } = report.posthog;
  const out: string[] = [PR_COMMENT_MARKER, "## 🧪 Experiment hygiene", ""];

  if (opts.configProblems && opts.configProblems.length > 0) {
    out.push(
      "> [!WARNING]",
      "> `.github/experiment-hygiene.yml` is invalid, so the defaults are used until it is fixed:",
      ...opts.configProblems.map((p) => `> - ${code(p.key)}: ${escapeMarkdown(p.message)}`),
      "",
    );
  }

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

  for (const r of report.experiments) out.push(...experimentSection(r, host, projectId));
  if (report.omittedExperiments > 0) {
    out.push(`_${report.omittedExperiments} more matched experiments are not shown (\`comment.max_experiments\`)._`, "");
  }

  const withoutExperiment = active.filter((f) => f.experiments === 0);
  if (withoutExperiment.length > 0) {
    out.push("### Flags without an experiment", "", ...withoutExperiment.map((f) => flagLine(f, host, projectId)), "");
  }
  if (removed.length > 0) {
    out.push(
      "### Removed references",
      "",
      "Every reference to these flags in this diff is on a removed line:",
      "",
      ...removed.map((f) => flagLine(f, host, projectId)),
      "",
    );
  }
  if (report.unknownKeys.length > 0) {
    out.push("### Unknown flag keys", "", "PostHog has no flag with these keys (a typo?):", "");
    for (const u of report.unknownKeys) {
      const hint = u.suggestion ? ` — did you mean ${code(u.suggestion)}?` : "";
      out.push(`- ${code(u.key)} at ${code(`${u.file}:${u.line}`)}${hint}`);
    }
    out.push("");
  }
  for (const note of opts.notes ?? []) out.push(`> ${escapeMarkdown(note)}`, "");

  const sha = opts.headSha ? ` for ${code(opts.headSha.slice(0, 7))}` : "";
  out.push(
    `<sub>experiment-hygiene${sha} · PostHog project ${escapeMarkdown(projectId)} · decisions follow the rules in the app's README</sub>`,
  );
  return fitBody(out.join("\n") + "\n");
}

/**
 * The body used when the configuration is invalid but the PR references no flag: only the problems.
 */
export function renderConfigProblemsComment(problems: ConfigProblem[]): string {
  return [
    PR_COMMENT_MARKER,
    "## 🧪 Experiment hygiene",
    "",
    "> [!WARNING]",
    "> `.github/experiment-hygiene.yml` is invalid, so the defaults are used until it is fixed:",
    ...problems.map((p) => `> - ${code(p.key)}: ${escapeMarkdown(p.message)}`),
    "",
  ].join("\n");
}
