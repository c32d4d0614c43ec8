/**
 * Mid-run flag mutation: the experiment's feature flag was edited after the experiment started in a way
 * that changes who gets which variant (posthog-api.md §10, scout "mid-run flag edit"; §7 activity log).
 *
 * Material: variant split redistributed or variants added/removed, rollout decreased (or a release group
 * removed), release conditions tightened or changed, a forced variant added or removed, bucketing changed
 * (`bucketing_identifier`, `ensure_experience_continuity`, `aggregation_group_type_index`), flag key renamed.
 * Safe: rollout increased, conditions loosened (audience grows for every arm alike). An arm excluded from
 * the analysis (`excluded_variants`, experiment activity) is reported as deliberate, with its side effects.
 */
import type { ActivityEntry, Experiment } from "../model.js";
import type { DetectorConfig, ExperimentData, Finding } from "./types.js";
import { assertNow, baseFinding, isLiveRun, isoDay, parseIso, q } from "./util.js";

/** What one edit changed. */
export type FlagEditKind =
  | "split-redistributed"
  | "variants-changed"
  | "rollout-decreased"
  | "rollout-increased"
  | "conditions-tightened"
  | "conditions-loosened"
  | "conditions-changed"
  | "forced-variant"
  | "bucketing-changed"
  | "key-renamed"
  | "arm-excluded";

/** Kinds that do not bias an experiment (the audience grows for every arm alike). */
const SAFE_KINDS: ReadonlySet<FlagEditKind> = new Set(["rollout-increased", "conditions-loosened"]);

/** One classified activity-log entry. */
export interface FlagEdit {
  /** ISO timestamp of the entry. */
  at: string;
  user: string | null;
  kinds: FlagEditKind[];
  /** Plain-text descriptions, one per change, e.g. `split: control 50 → 80 %, test 50 → 20 %`. */
  details: string[];
  /** True when any kind is material (not a rollout increase or loosened conditions). */
  material: boolean;
}

interface ParsedGroup {
  props: string[];
  rollout: number;
  variant: string | null;
}
interface ParsedFilters {
  groups: ParsedGroup[];
  variants: { key: string; rollout: number }[];
  aggregation: number | null;
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

/** Canonical JSON (sorted keys) so property filters compare by value. */
function canonical(x: unknown): string {
  if (Array.isArray(x)) return `[${x.map(canonical).join(",")}]`;
  if (isRecord(x)) {
    return `{${Object.keys(x)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(x[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(x) ?? "null";
}

/** Parse a raw `filters` object (posthog-api.md §7); null when it is not an object. */
function parseFilters(raw: unknown): ParsedFilters | null {
  if (!isRecord(raw)) return null;
  const groups: ParsedGroup[] = Array.isArray(raw.groups)
    ? raw.groups.filter(isRecord).map((g) => ({
        props: Array.isArray(g.properties) ? g.properties.map(canonical) : [],
        rollout: typeof g.rollout_percentage === "number" ? g.rollout_percentage : 100,
        variant: typeof g.variant === "string" && g.variant !== "" ? g.variant : null,
      }))
    : [];
  const mv = isRecord(raw.multivariate) ? raw.multivariate : null;
  const variants =
    mv && Array.isArray(mv.variants)
      ? mv.variants
          .filter(isRecord)
          .filter((v) => typeof v.key === "string")
          .map((v) => ({
            key: v.key as string,
            // A variant without rollout_percentage counts as active (PostHog flag_state.py); 0 is explicit.
            rollout: typeof v.rollout_percentage === "number" ? v.rollout_percentage : 100,
          }))
      : [];
  const aggregation = typeof raw.aggregation_group_type_index === "number" ? raw.aggregation_group_type_index : null;
  return { groups, variants, aggregation };
}

function pct(n: number): string {
  return `${Number(n.toFixed(2))} %`;
}

/** Classify a change of the `filters` field. Returns null when before/after are not both filter objects. */
function classifyFiltersChange(before: unknown, after: unknown): { kinds: FlagEditKind[]; details: string[] } | null {
  const b = parseFilters(before);
  const a = parseFilters(after);
  if (!b || !a) return null;
  const kinds: FlagEditKind[] = [];
  const details: string[] = [];

  // Variants.
  const bKeys = b.variants.map((v) => v.key);
  const aKeys = a.variants.map((v) => v.key);
  const added = aKeys.filter((k) => !bKeys.includes(k));
  const removed = bKeys.filter((k) => !aKeys.includes(k));
  if (added.length > 0 || removed.length > 0) {
    kinds.push("variants-changed");
    const parts: string[] = [];
    if (added.length) parts.push(`added ${added.join(", ")}`);
    if (removed.length) parts.push(`removed ${removed.join(", ")}`);
    details.push(`variants ${parts.join("; ")}`);
  } else {
    const moved = a.variants.filter((v) => b.variants.find((x) => x.key === v.key)?.rollout !== v.rollout);
    if (moved.length > 0) {
      kinds.push("split-redistributed");
      details.push(
        `split: ${a.variants
          .map((v) => `${v.key} ${pct(b.variants.find((x) => x.key === v.key)?.rollout ?? 0)} → ${pct(v.rollout)}`)
          .join(", ")}`,
      );
    }
  }

  // Release groups, matched by position (groups evaluate in order, first match wins).
  const n = Math.min(b.groups.length, a.groups.length);
  for (let i = 0; i < n; i++) {
    const bg = b.groups[i] as ParsedGroup;
    const ag = a.groups[i] as ParsedGroup;
    const label = `release group ${i + 1}`;
    if (ag.rollout < bg.rollout) {
      kinds.push("rollout-decreased");
      details.push(`${label}: rollout ${pct(bg.rollout)} → ${pct(ag.rollout)}`);
    } else if (ag.rollout > bg.rollout) {
      kinds.push("rollout-increased");
      details.push(`${label}: rollout ${pct(bg.rollout)} → ${pct(ag.rollout)}`);
    }
    const bp = bg.props.join("\n");
    const ap = ag.props.join("\n");
    if (bp !== ap) {
      const addedProps = ag.props.filter((p) => !bg.props.includes(p));
      const removedProps = bg.props.filter((p) => !ag.props.includes(p));
      if (removedProps.length === 0 && addedProps.length > 0) {
        kinds.push("conditions-tightened");
        details.push(`${label}: ${addedProps.length} condition(s) added`);
      } else if (addedProps.length === 0 && removedProps.length > 0) {
        kinds.push("conditions-loosened");
        details.push(`${label}: ${removedProps.length} condition(s) removed`);
      } else {
        kinds.push("conditions-changed");
        details.push(`${label}: conditions changed`);
      }
    }
    if (bg.variant !== ag.variant) {
      kinds.push("forced-variant");
      details.push(
        ag.variant !== null
          ? `${label}: now forces variant ${ag.variant}${bg.variant !== null ? ` (was ${bg.variant})` : ""}`
          : `${label}: no longer forces variant ${bg.variant ?? ""}`,
      );
    }
  }
  for (let i = n; i < b.groups.length; i++) {
    kinds.push("rollout-decreased");
    details.push(`release group ${i + 1} removed`);
  }
  for (let i = n; i < a.groups.length; i++) {
    const g = a.groups[i] as ParsedGroup;
    if (g.variant !== null) {
      kinds.push("forced-variant");
      details.push(`release group ${i + 1} added, forcing variant ${g.variant}`);
    } else if (g.rollout === 0) {
      kinds.push("rollout-decreased");
      details.push(`release group ${i + 1} added at 0 %`);
    } else {
      kinds.push("conditions-loosened");
      details.push(`release group ${i + 1} added`);
    }
  }
  if (b.aggregation !== a.aggregation) {
    kinds.push("bucketing-changed");
    details.push(`aggregation group type ${String(b.aggregation)} → ${String(a.aggregation)}`);
  }
  return { kinds, details };
}

function excludedList(x: unknown): string[] | null {
  if (Array.isArray(x)) return x.filter((v): v is string => typeof v === "string");
  if (x === null || x === undefined) return [];
  if (isRecord(x)) return excludedList(x.excluded_variants);
  return null;
}

/**
 * Classify one activity-log entry of a flag (or of its experiment, for `excluded_variants`).
 *
 * Fields read (posthog-api.md §7): `filters` (diffed), `rollout_percentage` (legacy top-level rollout),
 * `bucketing_identifier`, `ensure_experience_continuity`, `key`; on experiment entries `excluded_variants`
 * (top-level, or inside `parameters`). Other fields (`active`, `name`, …) are ignored.
 *
 * @returns the classified edit, or null when nothing relevant changed or the diff is not readable.
 */
export function classifyActivity(entry: ActivityEntry): FlagEdit | null {
  const kinds: FlagEditKind[] = [];
  const details: string[] = [];
  for (const c of entry.changes) {
    switch (c.field) {
      case "filters": {
        const r = classifyFiltersChange(c.before, c.after);
        if (r) {
          kinds.push(...r.kinds);
          details.push(...r.details);
        }
        break;
      }
      case "rollout_percentage": {
        if (typeof c.before === "number" && typeof c.after === "number" && c.before !== c.after) {
          kinds.push(c.after < c.before ? "rollout-decreased" : "rollout-increased");
          details.push(`rollout ${pct(c.before)} → ${pct(c.after)}`);
        }
        break;
      }
      case "bucketing_identifier":
      case "ensure_experience_continuity": {
        if (c.before !== c.after) {
          kinds.push("bucketing-changed");
          details.push(`${c.field}: ${String(c.before)} → ${String(c.after)}`);
        }
        break;
      }
      case "key": {
        if (c.before !== c.after) {
          kinds.push("key-renamed");
          details.push(`flag key ${String(c.before)} → ${String(c.after)}`);
        }
        break;
      }
      case "excluded_variants":
      case "parameters": {
        const b = excludedList(c.before);
        const a = excludedList(c.after);
        if (b && a) {
          const newly = a.filter((k) => !b.includes(k));
          if (newly.length > 0) {
            kinds.push("arm-excluded");
            details.push(`excluded from analysis: ${newly.join(", ")}`);
          }
        }
        break;
      }
      default:
        break;
    }
  }
  if (kinds.length === 0) return null;
  const unique = [...new Set(kinds)];
  return {
    at: entry.createdAt,
    user: entry.user,
    kinds: unique,
    details,
    material: unique.some((k) => !SAFE_KINDS.has(k)),
  };
}

/**
 * Classified edits made strictly after `since` (ISO), oldest first. Safe-only edits are included with
 * `material: false`.
 * @throws DetectorInputError when an entry's `createdAt` or `since` is not a date.
 */
export function editsAfter(entries: ActivityEntry[], since: string): FlagEdit[] {
  const start = parseIso("start date", since).getTime();
  return entries
    .filter((e) => parseIso("activity createdAt", e.createdAt).getTime() > start)
    .map(classifyActivity)
    .filter((e): e is FlagEdit => e !== null)
    .sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}

const KIND_TEXT: Record<FlagEditKind, string> = {
  "split-redistributed": "variant split redistributed",
  "variants-changed": "variants added or removed",
  "rollout-decreased": "rollout decreased",
  "rollout-increased": "rollout increased",
  "conditions-tightened": "release conditions tightened",
  "conditions-loosened": "release conditions loosened",
  "conditions-changed": "release conditions changed",
  "forced-variant": "forced variant changed",
  "bucketing-changed": "bucketing changed",
  "key-renamed": "flag key renamed",
  "arm-excluded": "arm excluded from analysis",
};

/** One-line plain-text description of an edit: `2026-06-05 by Eli: split: control 50 % → 80 %, …`. */
export function describeEdit(edit: FlagEdit): string {
  const who = edit.user ? ` by ${edit.user}` : "";
  return `${edit.at.slice(0, 10)}${who}: ${edit.details.join("; ")}`;
}

/**
 * Detect material edits of the experiment's flag made after the experiment started.
 *
 * Fires only for a running experiment with a live flag whose activity log (and, when given, experiment
 * activity) was fetched. Onset = the date of the first material edit.
 *
 * @param experiment the experiment (needs `startDate`).
 * @param data its flag and activity logs.
 * @param _config unused (no thresholds); kept for a uniform detector signature.
 * @param now evaluation time.
 * @returns a P2 `mutation` finding, or null.
 * @throws DetectorInputError on unparseable dates.
 */
export function detectMutation(
  experiment: Experiment,
  data: ExperimentData,
  _config: DetectorConfig,
  now: Date,
): Finding | null {
  assertNow(now);
  if (!isLiveRun(experiment, data.flag) || experiment.startDate === null) return null;
  if (data.flagActivity === null && data.experimentActivity === null) return null;
  const flagEdits = editsAfter(data.flagActivity ?? [], experiment.startDate).filter((e) => e.material);
  const expEdits = editsAfter(data.experimentActivity ?? [], experiment.startDate).filter((e) => e.material);
  // The same entry may appear in both logs (newest builds include the flag in experiment activity).
  const seen = new Set<string>();
  const edits = [...flagEdits, ...expEdits]
    .filter((e) => {
      const k = `${e.at}|${e.details.join("|")}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    })
    .sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  if (edits.length === 0) return null;

  const first = edits[0] as FlagEdit;
  const onlyExclusion = edits.every((e) => e.kinds.every((k) => k === "arm-excluded" || SAFE_KINDS.has(k)));
  const kinds = [...new Set(edits.flatMap((e) => e.kinds.filter((k) => !SAFE_KINDS.has(k))))];
  const start = experiment.startDate.slice(0, 10);
  const flagLabel = `feature flag ${experiment.flagKey}`;
  const list = edits.map(describeEdit).join(" | ");

  let title: string;
  let contradiction: string;
  let cause: string;
  let action: string;
  if (onlyExclusion) {
    title = `Arm excluded mid-run from ${q(experiment.name)}`;
    contradiction =
      `${q(experiment.name)} started on ${start}; afterwards a variant was excluded from its analysis (${list}). ` +
      `Its users are still bucketed by the flag but no longer counted.`;
    cause = `A deliberate edit of the experiment${first.user ? ` by ${first.user}` : ""}.`;
    action =
      "Confirm the exclusion is intended. Side effects: the sample ratio mismatch test and the recommended " +
      "sample size now cover fewer arms, the multiple-comparison correction changes, and if the arm's users are " +
      "later re-bucketed into the remaining arms they carry its exposure with them. If the arm was broken, " +
      "remove it from the flag and reset the experiment rather than only excluding it.";
  } else {
    title = `Feature flag edited mid-run in ${q(experiment.name)}: ${kinds.map((k) => KIND_TEXT[k]).join(", ")}`;
    contradiction =
      `${q(experiment.name)} started on ${start}, but its ${flagLabel} was changed afterwards in ways that ` +
      `change who sees which variant: ${list}. Users exposed before and after the edit saw different ` +
      `configurations, and the analysis mixes both periods.`;
    cause = `A manual edit of the flag${first.user ? ` by ${first.user}` : ""} on ${first.at.slice(0, 10)}.`;
    action =
      "Revert the edit if it was a mistake. If the new configuration is intended, reset the experiment (or " +
      "start a new one) so only users bucketed under it are analysed; do not ship a decision based on data " +
      "spanning the edit. To change exposure safely mid-run, only increase the rollout.";
  }

  return {
    ...baseFinding("mutation", experiment, data.flag),
    title,
    contradiction,
    cause,
    action,
    onset: isoDay(parseIso("edit date", first.at)),
    evidence: {
      start_date: start,
      edits: edits.length,
      first_edit_at: first.at,
      first_edit_by: first.user,
      change_kinds: kinds.join(","),
      deliberate_exclusion_only: onlyExclusion,
    },
    escalation: {},
    chart: null,
  };
}
