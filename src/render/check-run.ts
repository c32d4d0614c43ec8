/**
 * The `experiment-hygiene` check run's content from a {@link PullRequestReport}: conclusion, title,
 * Markdown summary and one annotation per finding and per flag reference on an added line.
 *
 * Pure. Annotation titles and messages are plain text (GitHub shows them verbatim); the summary is Markdown
 * and escaped like the comment.
 */
import type { CheckAnnotation, CheckRunContent } from "../github/check-run.js";
import type { CodeThreat } from "../matching/threats.js";
import type { PullRequestReport } from "../pipeline/pull-request.js";
import { code, escapeMarkdown, fitBody } from "./markdown.js";
import { locationLabel } from "./pr-comment.js";

/** Options of {@link renderCheckRun}. */
export interface CheckRunRenderOptions {
  /** Finding kinds that fail the check (`checks.block_on`: threat kinds and `unknown-key`). */
  blockOn: readonly string[];
  /** The sticky comment's URL, linked from the summary and as the run's details URL. */
  commentUrl?: string | null;
  /** Notes about incomplete input, as in the comment. */
  notes?: string[];
}

const TITLE_MAX = 255;
const MESSAGE_MAX = 60_000;
const clip = (s: string, max: number) => (s.length <= max ? s : `${s.slice(0, max - 1)}…`);

/** The annotation level of a finding: `failure` when its kind blocks, else by severity. */
function levelOf(kind: string, severity: CodeThreat["severity"], blockOn: readonly string[]): CheckAnnotation["annotation_level"] {
  if (blockOn.includes(kind)) return "failure";
  return severity === "notice" ? "notice" : "warning";
}

function annotation(
  loc: { file: string; line: number },
  level: CheckAnnotation["annotation_level"],
  title: string,
  message: string,
): CheckAnnotation {
  return {
    path: loc.file,
    start_line: loc.line,
    end_line: loc.line,
    annotation_level: level,
    title: clip(title, TITLE_MAX),
    message: clip(message, MESSAGE_MAX),
  };
}

/**
 * The check run for one analysed pull request.
 *
 * - **Conclusion**: `failure` when a finding's kind is in `blockOn` (a validity threat, or `unknown-key` for
 *   an unknown flag key on an added line), else `neutral` — so nothing blocks a merge unless configured.
 * - **Annotations**, most important first: validity threats (at their line; a removed-side threat points
 *   at the old-file line, which GitHub shows on the file when it still exists), unknown keys on added lines,
 *   then one notice per (flag, added line) reference that has no threat on it.
 *
 * @returns content for `publishCheckRun` (annotations unbatched; the adapter batches them by 50)
 */
export function renderCheckRun(report: PullRequestReport, opts: CheckRunRenderOptions): CheckRunContent {
  const blockOn = opts.blockOn;
  const threats = report.threats ?? [];
  const unknown = report.unknownKeys.filter((u) => u.side === "added");
  const annotations: CheckAnnotation[] = [];
  const covered = new Set<string>();
  for (const t of threats) {
    covered.add(`${t.flagKey}\u0000${t.file}\u0000${t.line}\u0000${t.side}`);
    const where = t.side === "removed" ? ` (removed at old line ${t.line})` : "";
    annotations.push(
      annotation(t, levelOf(t.kind, t.severity, blockOn), `${t.title}${where}`, `${t.breaks}\nFix: ${t.fix}\nExperiment: ${t.experimentName} (#${t.experimentId}) · finding: ${t.kind}`),
    );
  }
  for (const u of unknown) {
    annotations.push(
      annotation(
        u,
        levelOf("unknown-key", "warning", blockOn),
        `Unknown flag key ${u.key}`,
        `PostHog has no feature flag with this key (a typo?).${u.suggestion ? ` Did you mean ${u.suggestion}?` : ""}\nfinding: unknown-key`,
      ),
    );
  }
  const experimentsOf = (flagKey: string) => report.experiments.filter((e) => e.flagKey === flagKey);
  for (const r of report.matches.references) {
    if (r.side !== "added") continue;
    const k = `${r.flagKey}\u0000${r.file}\u0000${r.line}\u0000${r.side}`;
    if (covered.has(k)) continue;
    covered.add(k);
    const exps = experimentsOf(r.flagKey);
    const about =
      exps.length === 0
        ? "No experiment uses this flag."
        : exps
            .map((e) => `Experiment "${e.experiment.name}" (${e.experiment.status})${e.decision ? `: ${e.decision.decision}${e.decision.variant ? ` ${e.decision.variant}` : ""}` : ""}`)
            .join("\n");
    annotations.push(annotation(r, "notice", `PostHog feature flag ${r.flagKey}`, about));
  }

  const blocking = [
    ...threats.filter((t) => blockOn.includes(t.kind)).map((t) => t.kind),
    ...(blockOn.includes("unknown-key") ? unknown.map(() => "unknown-key") : []),
  ];
  const conclusion = blocking.length > 0 ? "failure" : "neutral";
  const nFlags = report.flags.length;
  const nExp = report.experiments.length;
  const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? "" : "s"}`;
  const findings = threats.length + unknown.length;
  const title =
    nFlags === 0 && findings === 0
      ? "No PostHog feature flag referenced"
      : `${plural(nFlags, "flag")}, ${plural(nExp, "experiment")}, ${findings === 0 ? "no findings" : plural(findings, "finding")}` +
        (blocking.length > 0 ? ` (${blocking.length} blocking)` : "");

  const lines: string[] = [];
  if (opts.commentUrl) lines.push(`The full analysis is in the [pull-request comment](${opts.commentUrl}).`, "");
  if (threats.length > 0 || unknown.length > 0) {
    lines.push("| Finding | Where | Blocks merging |", "|---|---|---|");
    for (const t of threats) {
      lines.push(`| ${escapeMarkdown(t.title)} | ${code(locationLabel(t))} | ${blockOn.includes(t.kind) ? "yes" : "no"} (${code(t.kind)}) |`);
    }
    for (const u of unknown) {
      lines.push(`| Unknown flag key ${code(u.key)} | ${code(locationLabel(u))} | ${blockOn.includes("unknown-key") ? "yes" : "no"} (${code("unknown-key")}) |`);
    }
    lines.push("");
  }
  for (const e of report.experiments) {
    const d = e.decision ? ` — ${escapeMarkdown(e.decision.decision)}${e.decision.variant ? ` ${code(e.decision.variant)}` : ""}` : "";
    lines.push(`- ${escapeMarkdown(e.experiment.name)} (${escapeMarkdown(e.experiment.status)}, flag ${code(e.flagKey)})${d}`);
  }
  if (report.experiments.length > 0) lines.push("");
  lines.push(
    blockOn.length === 0
      ? "Nothing blocks merging: `checks.block_on` is empty, so this check ends neutral."
      : `This check fails on: ${blockOn.map((k) => code(k)).join(", ")} (\`checks.block_on\`).`,
  );
  for (const n of opts.notes ?? []) lines.push("", `> ${escapeMarkdown(n)}`);
  return {
    conclusion,
    title: clip(title, TITLE_MAX),
    summary: fitBody(lines.join("\n") + "\n"),
    annotations,
    detailsUrl: opts.commentUrl ?? null,
  };
}
