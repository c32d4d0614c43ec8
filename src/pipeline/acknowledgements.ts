/**
 * Acknowledgements and snoozes of hygiene findings (`/experiment ack` and `/experiment snooze`).
 *
 * They live where the scheduled reports keep their memory: a hidden marker in the repository's
 * "Experiment hygiene dashboard" issue, `<!-- experiment-hygiene:acks {…} -->`, keyed by the finding's
 * dedupe key `experiment:<id>:<kind>`. A scan reads them, leaves acknowledged findings out of its issues
 * (closing an open one with the reason) and writes them back, dropping expired snoozes and the entries of
 * experiments that no longer run. Pure functions: no I/O.
 */
import { FINDING_KINDS, type FindingKind } from "../detectors/index.js";
import { escapeMarkdown, jsonMarker, readJsonMarker, replaceJsonMarker } from "../render/markdown.js";

const ACKS_MARKER = "experiment-hygiene:acks";
const KEY_RE = /^experiment:(\d+):([a-z-]+)$/;
/** At most this many entries are kept (newest first), so a body stays far below GitHub's size limit. */
export const MAX_ACKNOWLEDGEMENTS = 200;

/** One acknowledgement (`ack`, no end) or snooze (until a date). */
export interface Acknowledgement {
  kind: "ack" | "snooze";
  /** GitHub login of the person who sent the command. */
  by: string;
  /** When the command was handled (ISO 8601). */
  at: string;
  /** Snooze: the end (ISO 8601, exclusive); ack: null (until the experiment ends). */
  until: string | null;
  /** Free text from the command (ack only; unescaped — render with `escapeMarkdown`); ≤ 300 characters. */
  reason: string | null;
}

/** Acknowledgements by finding dedupe key `experiment:<id>:<kind>`. */
export type AcknowledgementStore = Map<string, Acknowledgement>;

/** The dedupe key of a finding: `experiment:<id>:<kind>` (same as `Finding.dedupeKey`). */
export function findingKey(experimentId: number, kind: FindingKind): string {
  return `experiment:${experimentId}:${kind}`;
}

/** Parses a dedupe key; null when it is not `experiment:<id>:<known kind>`. */
export function parseFindingKey(key: string): { experimentId: number; kind: FindingKind } | null {
  const m = KEY_RE.exec(key);
  if (!m || !(FINDING_KINDS as readonly string[]).includes(m[2]!)) return null;
  return { experimentId: Number(m[1]), kind: m[2] as FindingKind };
}

/**
 * The key under which `/experiment autopilot off` pauses the autopilot of one experiment
 * (`experiment:<id>:autopilot`, docs/autopilot.md); its experiment id, else null. Stored like an ack
 * (until `autopilot on`) or a snooze (for some days).
 */
export function parsePauseKey(key: string): number | null {
  const m = /^experiment:(\d+):autopilot$/.exec(key);
  return m ? Number(m[1]) : null;
}

/** Serialises the store as a hidden HTML comment ({@link jsonMarker}: `-->` cannot occur). */
export function acknowledgementsMarker(store: AcknowledgementStore): string {
  return jsonMarker(ACKS_MARKER, Object.fromEntries([...store].sort((a, b) => a[0].localeCompare(b[0]))));
}

/**
 * Reads the store from a dashboard body. A missing or hand-broken marker gives an empty store; entries
 * with an unknown key, a bad date or a missing login are dropped. Never throws.
 */
export function parseAcknowledgements(body: string | null | undefined): AcknowledgementStore {
  const store: AcknowledgementStore = new Map();
  const obj = readJsonMarker(body, ACKS_MARKER);
  if (!obj || typeof obj !== "object") return store;
  for (const [key, raw] of Object.entries(obj as Record<string, unknown>)) {
    if ((!parseFindingKey(key) && parsePauseKey(key) === null) || !raw || typeof raw !== "object") continue;
    const a = raw as Record<string, unknown>;
    const kind = a.kind === "snooze" ? "snooze" : a.kind === "ack" ? "ack" : null;
    if (!kind || typeof a.by !== "string" || !a.by || typeof a.at !== "string" || Number.isNaN(Date.parse(a.at))) continue;
    const until = typeof a.until === "string" && !Number.isNaN(Date.parse(a.until)) ? a.until : null;
    if (kind === "snooze" && until === null) continue;
    const reason = typeof a.reason === "string" && a.reason ? a.reason.slice(0, 300) : null;
    store.set(key, { kind, by: a.by, at: a.at, until, reason });
  }
  return store;
}

/** Whether an acknowledgement is in force at `now`: an ack always, a snooze until its `until`. */
export function isInForce(ack: Acknowledgement, now: Date): boolean {
  return ack.until === null || Date.parse(ack.until) > now.getTime();
}

/** The acknowledgement in force for a finding key at `now`, or null. */
export function acknowledgementFor(store: AcknowledgementStore, key: string, now: Date): Acknowledgement | null {
  const ack = store.get(key);
  return ack && isInForce(ack, now) ? ack : null;
}

/**
 * The store to write back after a scan: entries in force whose finding can still occur
 * (`isLive(id, kind)`: e.g. the experiment still runs, or for `stale-variants` its flag still exists),
 * newest {@link MAX_ACKNOWLEDGEMENTS} kept.
 */
export function pruneAcknowledgements(
  store: AcknowledgementStore,
  now: Date,
  isLive: (experimentId: number, kind: FindingKind) => boolean,
): AcknowledgementStore {
  const kept = [...store].filter(([key, ack]) => {
    const paused = parsePauseKey(key);
    // An autopilot pause lives while the experiment runs, like the running-experiment findings.
    if (paused !== null) return isInForce(ack, now) && isLive(paused, "decided-still-running");
    const k = parseFindingKey(key);
    return k !== null && isInForce(ack, now) && isLive(k.experimentId, k.kind);
  });
  kept.sort((a, b) => b[1].at.localeCompare(a[1].at));
  return new Map(kept.slice(0, MAX_ACKNOWLEDGEMENTS));
}

/**
 * Puts the store's marker into a dashboard body: replaces an existing acks marker, else inserts it before
 * the reconciler's state marker (or appends it).
 */
export function withAcknowledgementsMarker(body: string, store: AcknowledgementStore): string {
  const sorted = Object.fromEntries([...store].sort((a, b) => a[0].localeCompare(b[0])));
  return replaceJsonMarker(body, ACKS_MARKER, sorted, "<!-- experiment-hygiene:state ");
}

/** "acknowledged by @x on 2026-11-21: reason" / "snoozed by @x until 2026-11-28" (plain text, unescaped). */
export function describeAcknowledgement(ack: Acknowledgement): string {
  if (ack.kind === "snooze") return `snoozed by @${ack.by} until ${ack.until?.slice(0, 10) ?? "?"}`;
  return `acknowledged by @${ack.by} on ${ack.at.slice(0, 10)}${ack.reason ? `: ${ack.reason}` : ""}`;
}

/**
 * The Markdown comment with which a finding's issue is closed because of an acknowledgement (by the
 * command at once, or by a later scan): who, why or until when, and what reports do about it. Escaped.
 */
export function acknowledgementCloseComment(ack: Acknowledgement): string {
  const then =
    ack.kind === "snooze"
      ? "Reports leave this finding out until then; the app reopens this issue if it is still present afterwards."
      : "Reports leave this finding out while the experiment runs.";
  return `Closing: ${escapeMarkdown(describeAcknowledgement(ack))} (\`/experiment ${ack.kind}\`). ${then}`;
}
