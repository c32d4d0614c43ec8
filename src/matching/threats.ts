/**
 * Validity threats a pull request's code change poses to PostHog experiments (issue 10, part 2).
 *
 * Pure: takes the diff's changed lines, the matcher's {@link DiffMatches} and the experiments on the
 * referenced flags, and returns findings with a file and line each. No I/O. The rules look at the changed
 * lines only (a diff has no parsed program), so "the same function" is approximated by "the same file,
 * within {@link NEARBY_LINES} lines", as the issue allows.
 *
 * Kinds (stable ids, used in `checks.block_on`):
 * - `removes-last-exposure` (error): every reference to a running experiment's flag is on a removed line and
 *   no other reference is known on the default branch → exposures stall once deployed.
 * - `boolean-check-multivariate` (warning): a boolean SDK check (`isFeatureEnabled`, `feature_enabled`,
 *   `useFeatureFlagEnabled`, `is_feature_enabled`, `IsFeatureEnabled`, …) of a flag with more than two
 *   variants → every non-control variant gets the same code path.
 * - `unknown-variant` (error): the flag's value compared with a string that is none of the experiment's
 *   variant keys (`=== "tset"`, `case "tset":`) → that branch never runs; the nearest variant is suggested.
 * - `bulk-accessor-no-exposure` (warning): the flag read through a bulk accessor that sends no exposure event
 *   (posthog-node `getAllFlags`, posthog-python `get_all_flags`, posthog-js `featureFlags.getFlagVariants()`,
 *   …; flag-references.md §4, posthog-api.md §9) → users get the variant but are never counted.
 * - `identity-change-after-evaluation` (warning): `identify()`, `reset()` or `alias()` shortly after the flag is
 *   evaluated → a user can be evaluated under two identities and land in `$multiple` (posthog-api.md §6,
 *   `multiple_variant_handling: exclude` drops them).
 * - `archivable-flag` (notice): every experiment on the flag has ended and the PR removes its last reference →
 *   the flag can now be archived in PostHog (LaunchDarkly code references call this "extinction").
 */
import type { ChangedLine } from "./diff.js";
import { KeySuggester } from "./distance.js";
import type { DiffMatches, FlagReference } from "./matcher.js";
import type { Experiment } from "../model.js";

/** Stable id of a validity threat (also the value of `checks.block_on`). */
export type CodeThreatKind =
  | "removes-last-exposure"
  | "boolean-check-multivariate"
  | "unknown-variant"
  | "bulk-accessor-no-exposure"
  | "identity-change-after-evaluation"
  | "archivable-flag";

/** Every {@link CodeThreatKind}, in the order the comment lists them. */
export const CODE_THREAT_KINDS: readonly CodeThreatKind[] = [
  "removes-last-exposure",
  "unknown-variant",
  "boolean-check-multivariate",
  "bulk-accessor-no-exposure",
  "identity-change-after-evaluation",
  "archivable-flag",
];

/** How serious a threat is: maps to the Checks API annotation levels failure / warning / notice. */
export type ThreatSeverity = "error" | "warning" | "notice";

/** One validity threat at one place of the diff. */
export interface CodeThreat {
  kind: CodeThreatKind;
  severity: ThreatSeverity;
  flagKey: string;
  /** The experiment it threatens (the first running one on the flag; for `archivable-flag` the latest ended one). */
  experimentId: number;
  experimentName: string;
  /** Repository path and 1-based line: new-file line for `side: "added"`, old-file line for "removed". */
  file: string;
  line: number;
  side: "added" | "removed";
  /** One sentence: what is wrong (plain text, unescaped). */
  title: string;
  /** What it breaks (plain text). */
  breaks: string;
  /** How to fix it (plain text). */
  fix: string;
  /** For `unknown-variant`: the compared string and the closest variant key (or null). */
  value?: string;
  suggestion?: string | null;
}

/** Inputs of {@link detectCodeThreats}. */
export interface CodeThreatInput {
  /** The diff's changed lines (`changedLinesFromDiff`). */
  lines: readonly ChangedLine[];
  /** The matcher's output on those lines (`matchDiff`). */
  matches: DiffMatches;
  /** Experiments on the referenced flags (any status; archived ones are ignored). */
  experiments: readonly Experiment[];
  /**
   * References of each flag key on the repository's default branch outside the lines this PR removes (from
   * a repository index). Absent, or a key missing from the map: unknown, and the diff alone decides.
   */
  otherReferences?: ReadonlyMap<string, number>;
}

/** Lines within which an evaluation and a later comparison, bulk read or identity call count as "nearby". */
export const NEARBY_LINES = 30;

/** Boolean evaluation calls (PostHog SDKs, flag-references.md §4), `(` required right after. */
const BOOLEAN_CALLS = [
  "isFeatureEnabled",
  "useFeatureFlagEnabled",
  "feature_enabled",
  "is_feature_enabled",
  "IsFeatureEnabled",
  "IsFeatureEnabledAsync",
  "isFeatureFlagEnabled",
  "isEnabled",
  "is_enabled",
  "IsEnabled",
  "enabled?",
];

/** Calls that return the flag's variant (so their result, or a variable holding it, is compared with variant keys). */
const VALUE_CALLS = [
  "getFeatureFlag",
  "useFeatureFlagVariantKey",
  "useFeatureFlag",
  "get_feature_flag",
  "GetFeatureFlag",
  "GetFeatureFlagAsync",
  "getFlag",
  "get_flag",
  "GetFlag",
];

/**
 * Bulk accessors that return every flag's value without sending `$feature_flag_called` for each: posthog-node
 * `getAllFlags`/`getAllFlagsAndPayloads` (client.ts: no capture), posthog-python `get_all_flags`/
 * `get_all_flags_and_payloads`, posthog-ruby `get_all_flags`, posthog-go `GetAllFlags`, posthog-php
 * `getAllFlags`, posthog-js `featureFlags.getFlags()`/`getFlagVariants()` and the React Native
 * `getFeatureFlags()` map.
 */
const BULK_CALLS = [
  "getAllFlags",
  "getAllFlagsAndPayloads",
  "get_all_flags",
  "get_all_flags_and_payloads",
  "GetAllFlags",
  "getFeatureFlags",
  "getFlags",
  "getFlagVariants",
];

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const alt = (names: readonly string[]) => names.map(esc).join("|");
const BOOLEAN_RE = new RegExp(`(?<![A-Za-z0-9_$])(?:${alt(BOOLEAN_CALLS)})\\s*\\(`);
const BOOLEAN_OPEN_END_RE = new RegExp(`(?<![A-Za-z0-9_$])(?:${alt(BOOLEAN_CALLS)})\\s*\\(\\s*$`);
const VALUE_RE = new RegExp(`(?<![A-Za-z0-9_$])(?:${alt(VALUE_CALLS)})\\s*\\(`);
const BULK_RE = new RegExp(`(?<![A-Za-z0-9_$])(${alt(BULK_CALLS)})\\s*\\(`);
const IDENTITY_RE = /(?<![A-Za-z0-9_$])(identify|reset|alias|Identify|Alias)\s*\(/;
/** `name =`, `const name =`, `name :=`, `$name =` at the start of a line: the variable a call's result goes to. */
const ASSIGN_RE = /^\s*(?:(?:export\s+)?(?:const|let|var|val|final|auto)\s+)?\$?([A-Za-z_][A-Za-z0-9_]*)(?:\s*,\s*[A-Za-z_][A-Za-z0-9_]*)*(?:\s*:\s*[A-Za-z_][\w<>[\]|, ]*)?\s*(?::=|=)(?!=)/;
const COMMENT_RE = /^\s*(?:\/\/|#(?!\[)|\*|\/\*|--|<!--)/;

/** Whether a line is a comment (then nothing on it evaluates anything). */
function isComment(text: string): boolean {
  return COMMENT_RE.test(text);
}

/** String literals compared with something on a line: `=== "x"`, `"x" ==`, `case "x":`, `when "x"`. */
function comparedStrings(text: string, subject: string | null): string[] {
  const out: string[] = [];
  const lit = `(["'\`])([A-Za-z0-9_-]+)\\`;
  if (subject === null) {
    // The call itself is compared: `getFeatureFlag('k') === 'x'`.
    for (const m of text.matchAll(new RegExp(`\\)\\s*(?:===|!==|==|!=)\\s*${lit}1`, "g"))) out.push(m[2]!);
    return out;
  }
  const s = esc(subject);
  for (const m of text.matchAll(new RegExp(`(?<![A-Za-z0-9_$.])\\$?${s}\\s*(?:===|!==|==|!=|\\.equals\\()\\s*${lit}1`, "g"))) {
    out.push(m[2]!);
  }
  for (const m of text.matchAll(new RegExp(`${lit}1\\s*(?:===|!==|==|!=)\\s*\\$?${s}(?![A-Za-z0-9_$])`, "g"))) out.push(m[2]!);
  return out;
}

/** `match="x"`, `match='x'`, `match={"x"}` (`match={true}` is a boolean match, not a variant). */
const JSX_MATCH_RE = /\bmatch=\{?\s*(["'`])([A-Za-z0-9_-]+)\1/;
const CASE_RE = /^\s*(?:case|when)\s+(["'`])([A-Za-z0-9_-]+)\1\s*(?::|=>|then\b|$)/;
const SWITCH_RE = (subject: string) =>
  new RegExp(`(?:switch|match|case)\\s*\\(?\\s*\\$?${esc(subject)}\\s*\\)?\\s*(?:\\{|:|$)`);

/** The experiment a flag key threatens: running first (then paused), newest first; archived ones never. */
function liveExperiment(experiments: readonly Experiment[], flagKey: string): Experiment | null {
  const live = experiments.filter((e) => e.flagKey === flagKey && !e.archived && (e.status === "running" || e.status === "paused"));
  live.sort((a, b) => (a.status === b.status ? 0 : a.status === "running" ? -1 : 1) || b.id - a.id);
  return live[0] ?? null;
}

/**
 * Finds the validity threats of {@link CodeThreatKind} in one pull request's change.
 *
 * Only experiments that are running or paused (paused counts as running in PostHog) are threatened, except
 * `archivable-flag`, which needs every experiment on the flag stopped. Comment lines never fire.
 *
 * @returns threats sorted by file, line, kind; at most one per (kind, flag, file, line)
 */
export function detectCodeThreats(input: CodeThreatInput): CodeThreat[] {
  const { lines, matches, experiments } = input;
  const threats: CodeThreat[] = [];
  const seen = new Set<string>();
  const push = (t: CodeThreat) => {
    const k = `${t.kind}\u0000${t.flagKey}\u0000${t.file}\u0000${t.line}\u0000${t.side}`;
    if (seen.has(k)) return;
    seen.add(k);
    threats.push(t);
  };
  const base = (e: Experiment, ref: { file: string; line: number; side: "added" | "removed" }) => ({
    flagKey: e.flagKey,
    experimentId: e.id,
    experimentName: e.name,
    file: ref.file,
    line: ref.line,
    side: ref.side,
  });

  // Removed last reference: running → exposures stall; all ended → the flag can be archived.
  for (const f of matches.flags) {
    if (f.status !== "removed") continue;
    const other = input.otherReferences?.get(f.flagKey);
    if (other !== undefined && other > 0) continue;
    const first = matches.references.find((r) => r.flagKey === f.flagKey);
    if (!first) continue;
    const live = liveExperiment(experiments, f.flagKey);
    const onFlag = experiments.filter((e) => e.flagKey === f.flagKey && !e.archived);
    const where = other === 0 ? "anywhere on the default branch" : "in this diff";
    if (live) {
      push({
        ...base(live, first),
        kind: "removes-last-exposure",
        severity: "error",
        title: `Removes the last code that evaluates ${f.flagKey}, the flag of the ${live.status} experiment "${live.name}"`,
        breaks: `Every reference to the flag ${where} is on a removed line: once deployed, nobody is exposed any more and the experiment stalls mid-run.`,
        fix: "End the experiment in PostHog first (ship a variant or stop it), or keep this code until it has ended.",
      });
    } else if (onFlag.length > 0 && onFlag.every((e) => e.status === "stopped")) {
      const ended = [...onFlag].sort((a, b) => (b.endDate ?? "").localeCompare(a.endDate ?? "") || b.id - a.id)[0]!;
      push({
        ...base(ended, first),
        kind: "archivable-flag",
        severity: "notice",
        title: `Removes the last reference to ${f.flagKey}; its experiment "${ended.name}" has ended`,
        breaks: "Nothing: the experiment is over and no code evaluates the flag any more.",
        fix: "Once this is merged and deployed, archive the flag in PostHog (Feature flags → the flag → Archive).",
      });
    }
  }

  // Everything below looks at added lines, file by file, in line order.
  const byFile = new Map<string, ChangedLine[]>();
  for (const l of lines) {
    if (l.side !== "added") continue;
    let list = byFile.get(l.file);
    if (!list) byFile.set(l.file, (list = []));
    list.push(l);
  }
  for (const list of byFile.values()) list.sort((a, b) => a.line - b.line);
  const refsAt = new Map<string, FlagReference[]>();
  for (const r of matches.references) {
    if (r.side !== "added") continue;
    const k = `${r.file}\u0000${r.line}`;
    const list = refsAt.get(k);
    if (list) list.push(r);
    else refsAt.set(k, [r]);
  }

  for (const [file, fileLines] of byFile) {
    /** Variables assigned a bulk accessor's result, with the line of the assignment. */
    const bulkVars: { name: string; line: number; call: string }[] = [];
    for (let i = 0; i < fileLines.length; i++) {
      const l = fileLines[i]!;
      if (isComment(l.text)) continue;
      const bulk = BULK_RE.exec(l.text);
      const assigned = ASSIGN_RE.exec(l.text)?.[1] ?? null;
      if (bulk && assigned) bulkVars.push({ name: assigned, line: l.line, call: bulk[1]! });
      const refs = refsAt.get(`${file}\u0000${l.line}`) ?? [];
      for (const ref of refs) {
        const e = liveExperiment(experiments, ref.flagKey);
        if (!e) continue;
        const keyRe = new RegExp(`(?<![A-Za-z0-9_$-])${esc(ref.flagKey)}(?![A-Za-z0-9_$-])`);
        const prev = fileLines[i - 1];
        const callOnPrev = prev !== undefined && prev.line === l.line - 1 && BOOLEAN_OPEN_END_RE.test(prev.text);

        // A boolean check of a flag with more than two variants.
        const boolHere = BOOLEAN_RE.exec(l.text);
        const boolCall = (boolHere && keyRe.test(l.text.slice(boolHere.index))) || callOnPrev;
        if (boolCall && e.variants.length > 2) {
          const names = e.variants.map((v) => v.key).join(", ");
          push({
            ...base(e, ref),
            kind: "boolean-check-multivariate",
            severity: "warning",
            title: `Boolean check of ${ref.flagKey}, which has ${e.variants.length} variants (${names})`,
            breaks: `A boolean check is true for every variant except a disabled flag, so the ${e.variants.length - 1} test variants all run the same code and the experiment cannot tell them apart.`,
            fix: "Read the variant (getFeatureFlag / useFeatureFlagVariantKey / get_feature_flag) and branch on each variant key.",
          });
        }

        // Bulk accessor on the same line (`getAllFlags(id)['k']`, `getAllFlags(id, {flagKeys: ['k']})`).
        const bulkHere = BULK_RE.exec(l.text);
        const bulkVar = bulkVars.find(
          (b) => l.line - b.line <= NEARBY_LINES && new RegExp(`(?<![A-Za-z0-9_$])\\$?${esc(b.name)}\\s*(?:\\[|\\.|->|\\?\\.)`).test(l.text),
        );
        if (bulkHere || bulkVar) {
          const call = bulkHere?.[1] ?? bulkVar!.call;
          push({
            ...base(e, ref),
            kind: "bulk-accessor-no-exposure",
            severity: "warning",
            title: `${ref.flagKey} is read through ${call}(), which sends no exposure event`,
            breaks: `PostHog counts exposures from $feature_flag_called (or the experiment's exposure event); ${call}() returns every flag's value without sending it, so users who get a variant this way are never counted and the results undercount or skew.`,
            fix: `Evaluate the flag with getFeatureFlag / get_feature_flag (or the SDK's per-flag call) where the variant decides behaviour, or capture the exposure yourself.`,
          });
        }

        // The value compared with a string that is no variant key.
        const variantKeys = e.variants.map((v) => v.key);
        // React `<PostHogFeature flag="k" match="tset">`: the match prop names a variant.
        const jsxMatch = variantKeys.length > 0 && /<PostHogFeature\b/.test(l.text) ? JSX_MATCH_RE.exec(l.text) : null;
        if (jsxMatch && !variantKeys.includes(jsxMatch[2]!)) {
          const value = jsxMatch[2]!;
          const suggestion = new KeySuggester(variantKeys).suggest(value);
          push({
            ...base(e, ref),
            kind: "unknown-variant",
            severity: "error",
            title: `"${value}" is not a variant of ${ref.flagKey}${suggestion ? ` (did you mean "${suggestion}"?)` : ""}`,
            breaks: `The experiment's variants are ${variantKeys.join(", ")}: this <PostHogFeature> never renders its children, and users in the variant it was meant for see the fallback.`,
            fix: suggestion ? `Use match="${suggestion}".` : `Use one of the variant keys in match: ${variantKeys.join(", ")}.`,
            value,
            suggestion,
          });
        }
        if (variantKeys.length > 0 && VALUE_RE.test(l.text)) {
          const valueCall = VALUE_RE.exec(l.text);
          const subject = valueCall ? (ASSIGN_RE.exec(l.text)?.[1] ?? null) : null;
          const checks: { text: ChangedLine; values: string[] }[] = [];
          if (valueCall) checks.push({ text: l, values: comparedStrings(l.text.slice(valueCall.index), null) });
          if (subject) {
            let inSwitch = false;
            for (let j = i; j < fileLines.length && fileLines[j]!.line - l.line <= NEARBY_LINES; j++) {
              const t = fileLines[j]!;
              if (isComment(t.text)) continue;
              if (j > i && new RegExp(`^\\s*(?:(?:const|let|var|val)\\s+)?\\$?${esc(subject)}\\s*(?::=|=)(?!=)`).test(t.text)) break;
              const values = j > i ? comparedStrings(t.text, subject) : [];
              if (SWITCH_RE(subject).test(t.text)) inSwitch = true;
              const c = inSwitch ? CASE_RE.exec(t.text) : null;
              if (c) values.push(c[2]!);
              if (values.length > 0) checks.push({ text: t, values });
            }
          }
          const suggester = new KeySuggester(variantKeys);
          for (const c of checks) {
            for (const value of c.values) {
              if (variantKeys.includes(value) || value === "true" || value === "false") continue;
              const suggestion = suggester.suggest(value);
              push({
                ...base(e, { file, line: c.text.line, side: "added" }),
                kind: "unknown-variant",
                severity: "error",
                title: `"${value}" is not a variant of ${ref.flagKey}${suggestion ? ` (did you mean "${suggestion}"?)` : ""}`,
                breaks: `The experiment's variants are ${variantKeys.join(", ")}: this branch never runs, and users in the variant it was meant for get the default code path.`,
                fix: suggestion ? `Compare with "${suggestion}".` : `Compare with one of the variant keys: ${variantKeys.join(", ")}.`,
                value,
                suggestion,
              });
            }
          }
        }

        // identify() / reset() / alias() after the evaluation, nearby in the same file.
        if (ref.inSdkCall || boolCall || VALUE_RE.test(l.text)) {
          for (let j = i + 1; j < fileLines.length && fileLines[j]!.line - l.line <= NEARBY_LINES; j++) {
            const t = fileLines[j]!;
            if (isComment(t.text)) continue;
            const m = IDENTITY_RE.exec(t.text);
            if (!m) continue;
            push({
              ...base(e, { file, line: t.line, side: "added" }),
              kind: "identity-change-after-evaluation",
              severity: "warning",
              title: `${m[1]}() ${t.line - l.line} line${t.line - l.line === 1 ? "" : "s"} after ${ref.flagKey} is evaluated (line ${l.line})`,
              breaks: `The flag was evaluated for the old identity; after ${m[1]}() the same person can be evaluated again under the new one and see two variants. PostHog then counts them as $multiple and, by default, drops them from the results.`,
              fix: `Call ${m[1]}() before evaluating the flag (e.g. right after login, before rendering the experiment), or re-read the flag after ${m[1]}() and use only the new value.`,
            });
            break;
          }
        }
      }
    }
  }

  const rank = (k: CodeThreatKind) => CODE_THREAT_KINDS.indexOf(k);
  threats.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) || a.line - b.line || rank(a.kind) - rank(b.kind) || a.flagKey.localeCompare(b.flagKey));
  return threats;
}
