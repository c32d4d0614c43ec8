/**
 * The "Validity threats in this change" section of the PR comment (`src/matching/threats.ts` findings).
 * Pure; everything from the PR or PostHog is escaped.
 */
import type { CodeThreat, ThreatSeverity } from "../matching/threats.js";
import { experimentUrl } from "./links.js";
import { escapeMarkdown, link } from "./markdown.js";
import { formatLocations } from "./pr-comment.js";

const ICON: Record<ThreatSeverity, string> = { error: "⛔", warning: "⚠️", notice: "ℹ️" };

/**
 * Markdown lines: a heading, then one bullet per threat (most serious first, then file and line) with its
 * location (linked into the PR's "Files changed" page when `filesUrl` is given), the experiment, what it
 * breaks and how to fix it. No threats → no lines.
 *
 * @param host PostHog web host, for the experiment link
 * @param projectIdOf the PostHog project of a threat's experiment (monorepos), default `projectId`
 */
export function codeThreatsSection(
  threats: readonly CodeThreat[],
  host: string,
  projectId: string,
  filesUrl?: string | null,
  projectIdOf?: (t: CodeThreat) => string,
): string[] {
  if (threats.length === 0) return [];
  const rank: Record<ThreatSeverity, number> = { error: 0, warning: 1, notice: 2 };
  const sorted = [...threats].sort((a, b) => rank[a.severity] - rank[b.severity]);
  const out = ["### Validity threats in this change", ""];
  for (const t of sorted) {
    const pid = projectIdOf?.(t) ?? projectId;
    const exp = link(t.experimentName || `Experiment ${t.experimentId}`, experimentUrl(host, pid, t.experimentId));
    out.push(
      `- ${ICON[t.severity]} **${escapeMarkdown(t.title)}** at ${formatLocations([t], filesUrl)} (experiment ${exp}).` +
        ` ${escapeMarkdown(t.breaks)} **Fix:** ${escapeMarkdown(t.fix)}`,
    );
  }
  out.push("");
  return out;
}
