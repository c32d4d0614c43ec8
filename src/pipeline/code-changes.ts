/**
 * Merged pull requests that changed the code evaluating a running experiment's flag ("treatment code
 * changed mid-run"), so the scheduled scan can name them as a possible onset cause of a sample ratio
 * mismatch or a mid-run change.
 *
 * They live next to the acknowledgements: a hidden marker in the repository's "Experiment hygiene dashboard"
 * issue, `<!-- experiment-hygiene:code-changes {"<experiment id>":[{pr, merged_at, flag_key, sha}]} -->`.
 * The `pull_request.closed` (merged) handler appends; the scan reads the store, attaches matching entries to
 * its `srm` and `mutation` findings and writes the store back, dropping experiments that no longer run.
 * Pure functions: no I/O.
 */
import type { Finding } from "../detectors/index.js";
import { jsonMarker, readJsonMarker, replaceJsonMarker } from "../render/markdown.js";

const MARKER = "experiment-hygiene:code-changes";
/** Entries kept per experiment (newest first), so the dashboard body stays small. */
export const MAX_CODE_CHANGES_PER_EXPERIMENT = 10;
/** A change this many days or fewer before a finding's onset day (or on/after it, up to 1 day) can explain it. */
export const ONSET_WINDOW_DAYS = 7;

/** One merged pull request that changed code evaluating an experiment's flag. */
export interface CodeChange {
  /** Pull request number. */
  pr: number;
  /** When it merged (ISO 8601). */
  merged_at: string;
  flag_key: string;
  /** The merge commit, when GitHub gave one. */
  sha: string | null;
}

/** Code changes by experiment id. */
export type CodeChangeStore = Map<number, CodeChange[]>;

/** The store as a hidden HTML comment. */
export function codeChangesMarker(store: CodeChangeStore): string {
  return jsonMarker(MARKER, Object.fromEntries([...store].sort((a, b) => a[0] - b[0]).map(([id, list]) => [String(id), list])));
}

/** Replaces (or adds, before the state marker) the store's marker in a dashboard body. */
export function withCodeChangesMarker(body: string, store: CodeChangeStore): string {
  const sorted = Object.fromEntries([...store].sort((a, b) => a[0] - b[0]).map(([id, list]) => [String(id), list]));
  return replaceJsonMarker(body, MARKER, sorted, "<!-- experiment-hygiene:state ");
}

/** Reads the store from a dashboard body; a missing or hand-broken marker gives an empty store. Never throws. */
export function parseCodeChanges(body: string | null | undefined): CodeChangeStore {
  const store: CodeChangeStore = new Map();
  const obj = readJsonMarker(body, MARKER);
  if (!obj || typeof obj !== "object") return store;
  for (const [key, raw] of Object.entries(obj as Record<string, unknown>)) {
    if (!/^\d+$/.test(key) || !Array.isArray(raw)) continue;
    const list = raw.filter(
      (c): c is CodeChange =>
        !!c &&
        typeof c === "object" &&
        Number.isSafeInteger((c as CodeChange).pr) &&
        typeof (c as CodeChange).merged_at === "string" &&
        !Number.isNaN(Date.parse((c as CodeChange).merged_at)) &&
        typeof (c as CodeChange).flag_key === "string",
    ).map((c) => ({ pr: c.pr, merged_at: c.merged_at, flag_key: c.flag_key, sha: typeof c.sha === "string" ? c.sha : null }));
    if (list.length > 0) store.set(Number(key), list);
  }
  return store;
}

/**
 * Adds one merged PR to each experiment's list (a PR already listed is replaced, so a redelivered webhook
 * changes nothing), newest first, at most {@link MAX_CODE_CHANGES_PER_EXPERIMENT} each.
 *
 * @returns a new store
 */
export function recordCodeChange(store: CodeChangeStore, experiments: readonly { id: number; flagKey: string }[], change: Omit<CodeChange, "flag_key">): CodeChangeStore {
  const next: CodeChangeStore = new Map([...store].map(([id, list]) => [id, [...list]]));
  for (const e of experiments) {
    const list = (next.get(e.id) ?? []).filter((c) => c.pr !== change.pr);
    list.push({ pr: change.pr, merged_at: change.merged_at, flag_key: e.flagKey, sha: change.sha });
    list.sort((a, b) => b.merged_at.localeCompare(a.merged_at) || b.pr - a.pr);
    next.set(e.id, list.slice(0, MAX_CODE_CHANGES_PER_EXPERIMENT));
  }
  return next;
}

/** Keeps only the experiments `keep` accepts (the scan drops experiments that ended or were deleted). */
export function pruneCodeChanges(store: CodeChangeStore, keep: (experimentId: number) => boolean): CodeChangeStore {
  return new Map([...store].filter(([id]) => keep(id)));
}

const DAY_MS = 86_400_000;

/**
 * The changes that may have caused a finding: merged on or before the onset day + 1 and at most
 * {@link ONSET_WINDOW_DAYS} days before it; without an onset, every recorded change of the run. Oldest first.
 */
export function possibleOnsetCauses(changes: readonly CodeChange[], onset: string | null): CodeChange[] {
  const within = onset
    ? changes.filter((c) => {
        const days = (Date.parse(onset.slice(0, 10)) - Date.parse(c.merged_at.slice(0, 10))) / DAY_MS;
        return days >= -1 && days <= ONSET_WINDOW_DAYS;
      })
    : [...changes];
  return within.sort((a, b) => a.merged_at.localeCompare(b.merged_at));
}

/**
 * The finding with the recorded code changes named in its `cause` (srm and mutation only): "Possible onset
 * cause: treatment code changed mid-run in #123 on 2026-11-18." Other kinds, or no matching change: unchanged.
 */
export function withCodeChangeCause(finding: Finding, changes: readonly CodeChange[] | undefined): Finding {
  if (!changes || (finding.kind !== "srm" && finding.kind !== "mutation")) return finding;
  const causes = possibleOnsetCauses(changes, finding.onset);
  if (causes.length === 0) return finding;
  const named = causes.map((c) => `#${c.pr} on ${c.merged_at.slice(0, 10)}`).join(", ");
  const sentence = `Possible onset cause: treatment code changed mid-run in ${named}.`;
  return {
    ...finding,
    cause: finding.cause ? `${finding.cause} ${sentence}` : sentence,
    evidence: { ...finding.evidence, code_changed_in: causes.map((c) => `#${c.pr}`).join(" ") },
  };
}
