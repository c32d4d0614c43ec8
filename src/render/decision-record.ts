/**
 * Markdown for decision records (docs/decision-records.md): the record file `<path>/<id>-<slug>.md`, the
 * index `<path>/README.md`, a holdout checkpoint (a section of the file, or a comment on the record's pull
 * request) and the dashboard's "Decision records" section. Pure.
 *
 * Everything that comes from PostHog (names, descriptions, keys, conclusion comments, metric names, rule
 * messages that quote them) is escaped with `escapeMarkdown`/`code`; GitHub logins are escaped too, so an
 * `@` never notifies anyone from a file or the dashboard.
 *
 * Memory: each record and the index carry a hidden marker `<!-- experiment-hygiene:record <base64 JSON> -->`
 * (resp. `…:record-index`), base64 so that no value can close the HTML comment.
 */
import type { CheckpointResult, DecidedBy, RecordSummary } from "../records/record.js";
import { code, escapeMarkdown, link } from "./markdown.js";
import { formatCount, formatDays, formatLift, formatPercent } from "../format.js";

const RECORD_MARKER = "experiment-hygiene:record";
const INDEX_MARKER = "experiment-hygiene:record-index";
const DASHBOARD_MARKER = "experiment-hygiene:records";

/** A hidden marker carrying `value` as base64 JSON: `<!-- <name> <base64> -->`. */
export function base64Marker(name: string, value: unknown): string {
  return `<!-- ${name} ${Buffer.from(JSON.stringify(value), "utf8").toString("base64")} -->`;
}

/** The value of the first {@link base64Marker} named `name` in `text`, or undefined (absent or unreadable). */
export function readBase64Marker(text: string | null | undefined, name: string): unknown {
  if (!text) return undefined;
  const m = new RegExp(`<!-- ${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} ([A-Za-z0-9+/=]+) -->`).exec(text);
  if (!m?.[1]) return undefined;
  try {
    return JSON.parse(Buffer.from(m[1], "base64").toString("utf8")) as unknown;
  } catch {
    return undefined;
  }
}

/** Links a record may show. */
export interface RecordLinks {
  /** The experiment in PostHog. */
  experimentUrl: string | null;
}

/** "who or what decided", as escaped Markdown. */
export function describeDecidedBy(by: DecidedBy): string {
  switch (by.kind) {
    case "command": {
      const who =
        by.requestedBy === by.confirmedBy
          ? `requested and confirmed by ${escapeMarkdown(`@${by.confirmedBy}`)}`
          : `requested by ${escapeMarkdown(`@${by.requestedBy}`)}, confirmed by ${escapeMarkdown(`@${by.confirmedBy}`)}`;
      return `${code(`/experiment ${by.action}`)} ${who}${by.where ? ` in ${escapeMarkdown(by.where)}` : ""}`;
    }
    case "autopilot":
      return `the app's autopilot (${escapeMarkdown(by.action)}${by.rule ? `, rule ${code(by.rule)}` : ""})`;
    case "posthog":
      return (
        `a conclusion set in PostHog${by.conclusion ? ` (${code(by.conclusion)})` : " (the experiment was ended)"}, noticed by a scheduled scan` +
        (by.comment ? `: “${escapeMarkdown(by.comment.slice(0, 500))}”` : "")
      );
  }
}

function decisionLine(s: RecordSummary): string {
  const c = s.conclusion;
  const by = c.decidedBy;
  const action =
    by.kind === "command" || (by.kind === "autopilot" && by.action !== "expire")
      ? by.action === "promote"
        ? `Promote ${c.shippedVariant ? code(c.shippedVariant) : "the winner"}`
        : `Roll back to ${c.shippedVariant ? code(c.shippedVariant) : "the baseline"}`
      : c.shippedVariant
        ? `Ship ${code(c.shippedVariant)}`
        : "End without shipping a variant";
  return `**${action}**${c.outcome ? ` · PostHog conclusion ${code(c.outcome)}` : ""}`;
}

function day(iso: string | null): string {
  return iso ? escapeMarkdown(iso.slice(0, 10)) : "—";
}

function interval(i: [number, number] | null): string {
  return i ? `[${formatLift(i[0])}, ${formatLift(i[1])}]` : "—";
}

/** One checkpoint as a Markdown list item (escaped). */
export function renderCheckpointLine(cp: CheckpointResult): string {
  const figures =
    cp.lift === null
      ? ""
      : ` — shipped vs holdout ${formatLift(cp.lift)}, always-valid interval ${interval(cp.interval)}` +
        ` (${formatCount(cp.shippedUsers ?? 0)} vs ${formatCount(cp.holdoutUsers ?? 0)} users)`;
  return `- **Day ${cp.days}** (${day(cp.at)}): **${cp.verdict === "no-data" ? "no data" : cp.verdict}**${figures}; ${escapeMarkdown(cp.note)}`;
}

function checkpointSection(s: RecordSummary, days: readonly number[]): string[] {
  if (!s.holdout) return [];
  const lines = ["## Holdout checkpoints", ""];
  if (s.shippedLift === null || s.conclusion.shippedVariant === null) {
    lines.push("No variant other than the baseline was shipped, so the holdout is not compared.", "");
    return lines;
  }
  lines.push(
    `The shipped variant ${code(s.conclusion.shippedVariant)} is compared with the holdout ${code(`holdout-${s.holdout.id}`)} on the primary metric ` +
      `${[30, 60, 90].join("/") === days.join("/") ? "30, 60 and 90" : days.join(", ")} days after the ship date (${day(s.endDate ?? s.conclusion.at)}), ` +
      `with an always-valid confidence sequence (it is looked at more than once). The effect **holds** when the interval contains the lift at conclusion ` +
      `(${formatLift(s.shippedLift)}), **decays** below it, **grows** above it.`,
    "",
  );
  if (s.checkpoints.length === 0) lines.push("_No checkpoint yet._");
  for (const cp of [...s.checkpoints].sort((a, b) => a.days - b.days)) lines.push(renderCheckpointLine(cp));
  lines.push("");
  return lines;
}

/**
 * The record file: a hidden marker with the summary, then the record.
 *
 * @param days the configured holdout checkpoints (days after the ship date), for the explanation
 * @returns Markdown ending in a newline
 */
export function renderDecisionRecord(s: RecordSummary, links: RecordLinks, days: readonly number[] = [30, 60, 90]): string {
  const exposures = Object.entries(s.exposures);
  const afterShip = s.split.filter((v) => v.rolloutPercentage === 100).length === 1 && s.split.every((v) => v.rolloutPercentage === 0 || v.rolloutPercentage === 100);
  const split =
    (s.split.map((v) => `${code(v.key)} ${formatPercent(v.rolloutPercentage / 100)}`).join(", ") || "—") +
    (afterShip && s.split.length > 1 ? " (the flag's split after shipping; PostHog no longer returns the split the experiment ran with)" : "");
  const lines: string[] = [
    base64Marker(RECORD_MARKER, s),
    "",
    `# Decision record: ${escapeMarkdown(s.name)}`,
    "",
    "| | |",
    "|---|---|",
    `| Experiment | ${link(s.name, links.experimentUrl)} (PostHog experiment ${s.experimentId}) |`,
    `| Feature flag | ${code(s.flagKey)} |`,
    `| Decision | ${decisionLine(s)} |`,
    `| Decided by | ${describeDecidedBy(s.conclusion.decidedBy)} |`,
    `| Concluded | ${day(s.conclusion.at)} |`,
    `| Dates | ${day(s.startDate)} → ${day(s.endDate)}${s.daysRunning !== null ? ` (${formatDays(s.daysRunning)} days)` : ""} |`,
    `| Split | ${split} |`,
    ...(s.holdout ? [`| Holdout | ${escapeMarkdown(s.holdout.name)}, ${formatPercent(s.holdout.rolloutPercentage / 100)} of users held out |`] : []),
    `| Method | ${escapeMarkdown(s.method)}${s.inference ? `; ${escapeMarkdown(s.inference)}` : ""}${s.correction ? `; ${escapeMarkdown(s.correction)}` : ""} |`,
    `| Decision rules at conclusion | ${s.decision ? code(s.decision) : "not decided (PostHog's data could not be read)"} |`,
    "",
    "## Hypothesis",
    "",
    s.description?.trim() ? escapeMarkdown(s.description.trim()) : "_No description in PostHog._",
    "",
    "## Metrics",
    "",
    `- Primary: ${s.primaryMetric ? escapeMarkdown(s.primaryMetric) : "none"}`,
    `- Guardrails: ${s.guardrailMetrics.length > 0 ? s.guardrailMetrics.map(escapeMarkdown).join(", ") : "none"}`,
    "",
    "## Exposures per variant",
    "",
  ];
  if (exposures.length === 0) lines.push("_No exposure data._");
  else lines.push("| Variant | Exposures |", "|---|---:|", ...exposures.map(([k, n]) => `| ${code(k)} | ${formatCount(n)} |`));
  lines.push("", "## Results", "");
  if (s.results.length === 0) lines.push("_No metric results._");
  else {
    lines.push("| Metric | Role | Variant vs baseline | Lift | Interval | Evidence | Inference | Verdict |", "|---|---|---|---:|---|---|---|---|");
    for (const r of s.results) {
      lines.push(
        `| ${escapeMarkdown(r.metric)} | ${r.role} | ${r.variant === "-" ? "—" : code(r.variant)} | ${r.lift === null ? "—" : formatLift(r.lift)} | ${interval(r.interval)} | ${escapeMarkdown(r.evidence ?? "—")} | ${escapeMarkdown(r.inference)} | ${escapeMarkdown(r.verdict)} |`,
      );
    }
  }
  lines.push("", "## Reasons", "");
  if (s.reasons.length === 0) lines.push("_The decision rules gave no reasons._");
  else lines.push(...s.reasons.map((r) => `- ${escapeMarkdown(r)}`));
  lines.push("", ...checkpointSection(s, days));
  lines.push("<sub>Written by experiment-hygiene. Edit freely: the app never rewrites a merged record.</sub>", "");
  return lines.join("\n");
}

/** The summary stored in a record file's marker, or null. */
export function parseDecisionRecord(text: string | null | undefined): RecordSummary | null {
  const v = readBase64Marker(text, RECORD_MARKER) as RecordSummary | undefined;
  return v && typeof v === "object" && typeof v.experimentId === "number" && v.conclusion ? v : null;
}

/** One line of the index. */
export interface IndexEntry {
  experimentId: number;
  name: string;
  /** The record's file name within the folder, e.g. `42-new-checkout.md`. */
  file: string;
  /** Short plain text, e.g. `promote test`. */
  decision: string;
  /** Conclusion time, ISO 8601 (sort key). */
  at: string;
}

/** The index entry of a record. */
export function indexEntryOf(s: RecordSummary, file: string): IndexEntry {
  const c = s.conclusion;
  const verb =
    c.decidedBy.kind === "command" || (c.decidedBy.kind === "autopilot" && c.decidedBy.action !== "expire")
      ? `${c.decidedBy.action} ${c.shippedVariant ?? ""}`.trim()
      : c.shippedVariant
        ? `ship ${c.shippedVariant}`
        : `ended${c.outcome ? ` (${c.outcome})` : ""}`;
  return { experimentId: s.experimentId, name: s.name, file, decision: verb, at: c.at };
}

/**
 * The index `README.md`: every record, newest first (ties: higher experiment id first), one entry per
 * experiment (a newer entry replaces an older one).
 */
export function renderRecordIndex(entries: IndexEntry[]): string {
  const byId = new Map<number, IndexEntry>();
  for (const e of entries) {
    const prev = byId.get(e.experimentId);
    if (!prev || prev.at <= e.at) byId.set(e.experimentId, e);
  }
  const sorted = [...byId.values()].sort((a, b) => b.at.localeCompare(a.at) || b.experimentId - a.experimentId);
  return [
    base64Marker(INDEX_MARKER, sorted),
    "",
    "# Experiment decision records",
    "",
    "One record per concluded experiment, newest first. Written by experiment-hygiene (docs/decision-records.md).",
    "",
    "| Concluded | Experiment | Decision |",
    "|---|---|---|",
    ...sorted.map(
      (e) => `| ${day(e.at)} | [${escapeMarkdown(e.name)}](${encodeURI(e.file).replace(/\(/g, "%28").replace(/\)/g, "%29")}) (${e.experimentId}) | ${escapeMarkdown(e.decision)} |`,
    ),
    "",
  ].join("\n");
}

/** The entries of an index file (empty when absent or unreadable). */
export function parseRecordIndex(text: string | null | undefined): IndexEntry[] {
  const v = readBase64Marker(text, INDEX_MARKER);
  return Array.isArray(v) ? (v as IndexEntry[]).filter((e) => e && typeof e.experimentId === "number" && typeof e.file === "string") : [];
}

/** The hidden marker of one holdout checkpoint comment: `<!-- experiment-hygiene:checkpoint:<id>:<days> -->`. */
export function checkpointMarker(experimentId: number, days: number): string {
  return `<!-- experiment-hygiene:checkpoint:${experimentId}:${days} -->`;
}

/** A checkpoint as a comment on the record's (merged or closed) pull request, with a marker so it is posted once. */
export function renderCheckpointComment(s: RecordSummary, cp: CheckpointResult): string {
  return [
    checkpointMarker(s.experimentId, cp.days),
    `### Holdout checkpoint, day ${cp.days}: ${escapeMarkdown(s.name)}`,
    "",
    renderCheckpointLine(cp),
    "",
  ].join("\n");
}

/** One experiment's entry in the dashboard store. */
export interface DashboardRecord {
  summary: RecordSummary;
  /** The record's pull request, when there is one. */
  pullRequest: number | null;
  /** Why the record is on the dashboard rather than in a pull request (e.g. a 403), or null. */
  note: string | null;
}

/** The dashboard's records store: experiment id → entry. */
export type RecordStore = Map<number, DashboardRecord>;

/** The store's hidden marker (base64 JSON). */
export function recordStoreMarker(store: RecordStore): string {
  return base64Marker(DASHBOARD_MARKER, [...store.values()].sort((a, b) => a.summary.experimentId - b.summary.experimentId));
}

/** The store read from a dashboard body; empty when absent or unreadable. */
export function parseRecordStore(body: string | null | undefined): RecordStore {
  const v = readBase64Marker(body, DASHBOARD_MARKER);
  const store: RecordStore = new Map();
  if (!Array.isArray(v)) return store;
  for (const e of v as DashboardRecord[]) {
    if (e && e.summary && typeof e.summary.experimentId === "number") store.set(e.summary.experimentId, e);
  }
  return store;
}

/**
 * The dashboard's "Decision records" section (newest first) followed by the store's marker; empty string
 * for an empty store. Records that live in a pull request show a line and their checkpoints; dashboard
 * records show the whole record inside `<details>`.
 */
export function renderDashboardRecords(store: RecordStore, links: (id: number) => RecordLinks, days: readonly number[] = [30, 60, 90]): string {
  if (store.size === 0) return "";
  const entries = [...store.values()].sort((a, b) => b.summary.conclusion.at.localeCompare(a.summary.conclusion.at) || b.summary.experimentId - a.summary.experimentId);
  const lines = ["", "### Decision records", ""];
  for (const e of entries) {
    const s = e.summary;
    const head = `- ${escapeMarkdown(s.name)} (${s.experimentId}): ${decisionLine(s)}, ${day(s.conclusion.at)}, by ${describeDecidedBy(s.conclusion.decidedBy)}`;
    if (e.pullRequest !== null) {
      lines.push(`${head} — record in #${e.pullRequest}`);
      for (const cp of s.checkpoints) lines.push(`  ${renderCheckpointLine(cp)}`);
      continue;
    }
    lines.push(head);
    if (e.note) lines.push(`  - _${escapeMarkdown(e.note)}_`);
    const record = renderDecisionRecord(s, links(s.experimentId), days)
      .split("\n")
      .filter((l) => !l.startsWith(`<!-- ${RECORD_MARKER} `) && !l.startsWith("<sub>"))
      .map((l) => (l.startsWith("# ") ? `#### ${l.slice(2)}` : l.startsWith("## ") ? `##### ${l.slice(3)}` : l));
    lines.push("", "  <details><summary>Decision record</summary>", "", ...record.map((l) => (l ? `  ${l}` : l)), "  </details>", "");
  }
  lines.push("", recordStoreMarker(store), "");
  return lines.join("\n");
}
