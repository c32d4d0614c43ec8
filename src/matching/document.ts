/**
 * The second-generation matcher pass over a sequence of lines (a whole file, or one side of a diff hunk:
 * its context lines plus its added lines, or plus its removed lines). On top of the per-line scan of
 * `matcher.ts` it:
 * - follows PostHog SDK calls and struct/keyword forms across lines until their brackets close (a call may
 *   start on a context line and continue on an added line), so `posthog.feature_enabled(\n  "k",` and Go
 *   `FeatureFlagPayload{\n  Key: "k",` are "sdk-call" references;
 * - drops string literals in known non-key slots (`distinct_id=`, `DistinctId:`, `groups`, person and group
 *   properties, `event`, `match`, `capture`'s arguments, the other arguments of a multi-line SDK call);
 * - resolves constants, enum members and map entries used as the key argument (`useFeatureFlagEnabled(FLAG)`,
 *   `FLAGS.NEW_CHECKOUT`) through the definitions of the same file, of the PR's other files and of the
 *   repository's reference index (`constants.ts`), and reports qualified uses elsewhere as "constant";
 * - marks hits inside comments and docstrings as "comment" (a commented-out call raises no unknown key);
 * - reports template literals with a fixed prefix or suffix (`` `spotlight-${name}` ``, `f"x-{n}"`,
 *   `"x-#{n}"`, `"x-" + n`) in key positions as "dynamic" references of every known key they can produce.
 *
 * Pure code, no I/O.
 */
import { type ConstantTable, enclosingOpenerLine, type LineList, resolveUse } from "./constants.js";
import { bracketDelta, isFlagName, unclosedOpeners } from "./key-position.js";
import type { FlagMatcher, FlagReference, LineMatch, ReferenceKind } from "./matcher.js";
import { isJvmFile, literalKey, matchShape, type SdkShape } from "./sdk.js";

/** A reference found by {@link scanLines}: a {@link LineMatch} with how a constant or template led to it. */
export interface DocumentMatch extends LineMatch {
  via?: FlagReference["via"];
}

/** What {@link scanLines} found on one line. */
export interface DocumentLine {
  references: DocumentMatch[];
  unknownKeys: { key: string; suggestion: string | null }[];
}

/** Options of {@link scanLines}. */
export interface ScanLinesOptions {
  /** Repository-relative path (JVM detection, same-file constants, Markdown has no `#` comments). */
  file: string;
  /** Whether line `idx` is reported (diff: a changed line); default every line. */
  report?: (idx: number) => boolean;
  /** Line indices worth inspecting, ascending (e.g. `matcher.candidateLines`); default every line. */
  candidates?: readonly number[];
  /** The enclosing declaration when no bracket block is open (a diff hunk's section heading). */
  section?: string;
  /** Definition tables for constants; without them no constant is resolved. */
  constants?: { pr?: ConstantTable | null; repository?: ConstantTable | null };
  /** File line number of index `idx` (default `idx + 1`); used to skip a constant's own definition line. */
  lineNumber?: (idx: number) => number;
  /** Look for constants and templates on every reported line, not only on candidates (diffs). */
  everyLine?: boolean;
  /**
   * Called with each identifier in an SDK call's key slot, or flag-named constant, that no table resolves
   * (the pipeline then loads the repository index).
   */
  onUnresolved?: (expression: string) => void;
}

/** How specific a reference kind is; a line keeps the highest-ranked kind per key. Shared with the matcher. */
export const KIND_RANK: Record<ReferenceKind, number> = {
  comment: -2,
  dynamic: -1,
  identifier: 0,
  string: 1,
  constant: 2,
  property: 3,
  "sdk-call": 4,
};
/** At most this many lines are joined to follow one call (PostHog calls span a handful). */
const MAX_CALL_LINES = 40;
const MAX_CALL_CHARS = 4000;
/** At most this many keys are reported for one template literal. */
const MAX_TEMPLATE_KEYS = 25;
const NON_KEY_SLOT_RE =
  /^(?:distinct_?id|groups?|person_?properties|group_?properties|properties|event|event_?name|match|default|fallback)$/i;
const KEY_ARG_RE = /^(?:key|flag|flagKey|flag_key|featureKey|feature_key|featureFlagKey|feature_flag_key)\s*(?:=(?![=>])|:(?!:))\s*/i;
const PATH_RE = /^[@$]?[A-Za-z_][\w$]*(?:\s*(?:\.|::|->|\?\.)\s*\$?[A-Za-z_][\w$]*)*$/;
const NOT_A_NAME = /^(?:true|false|null|nil|None|undefined|this|self|it)$/;
const USE_RE = /(?<![\w$.@>:'"`-])(?:[A-Za-z_$][\w$]*(?:(?:\?\.|\.|::|->)[A-Za-z_$][\w$]*)+|[A-Z][A-Z0-9_]*[A-Z0-9])(?![\w$(-])/g;
const FLAG_CALL_TEMPLATE_RE = /([A-Za-z_$][\w$]*[?!]?)\s*\(\s*((?:[fF$])?(["'`]).*?\3(?:\s*\+\s*[A-Za-z_$][\w$.]*)?|(["'])[A-Za-z0-9_-]+\4\s*\+\s*[A-Za-z_$][\w$.]*)/g;

function isTok(c: number): boolean {
  return (
    (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 36 || c === 45
  );
}

/** Start offsets of `key` in `line` at token boundaries. */
function occurrences(line: string, key: string): number[] {
  const out: number[] = [];
  let p = line.indexOf(key);
  while (p >= 0) {
    const b = p > 0 ? line.charCodeAt(p - 1) : -1;
    const a = p + key.length < line.length ? line.charCodeAt(p + key.length) : -1;
    if (!(b >= 0 && isTok(b)) && !(a >= 0 && isTok(a))) out.push(p);
    p = line.indexOf(key, p + 1);
  }
  return out;
}

/**
 * Where a comment starts on a line (outside string literals): `//`, `/*`, `<!--`, `#` at the start or after
 * white space (not in Markdown, not `#{`/`#[`/`#!`), or the whole line for JSDoc `*` lines and lines
 * opening a Python docstring; -1 when there is none.
 */
export function commentStart(line: string, file = ""): number {
  const t = line.trimStart();
  const lead = line.length - t.length;
  if (t.startsWith("* ") || t === "*" || t.startsWith("/*") || t.startsWith('"""') || t.startsWith("'''")) return lead;
  const markdown = /\.(?:md|mdx|markdown|rst|txt)$/i.test(file);
  const n = line.length;
  for (let i = 0; i < n; i++) {
    const c = line[i]!;
    if (c === '"' || c === "'" || c === "`") {
      i++;
      while (i < n && line[i] !== c) i += line[i] === "\\" ? 2 : 1;
      continue;
    }
    if (c === "/" && (line[i + 1] === "/" || line[i + 1] === "*") && line[i - 1] !== ":") return i;
    if (c === "<" && line.startsWith("<!--", i)) return i;
    if (c === "#" && !markdown && (i === 0 || line[i - 1] === " " || line[i - 1] === "\t")) {
      const d = line[i + 1];
      if (d !== "{" && d !== "[" && d !== "!" && !/^#(?:include|define|if|ifdef|ifndef|endif|else|pragma|region|endregion)\b/.test(line.slice(i))) return i;
    }
  }
  return -1;
}

/** Whether every quoted occurrence of `key` on the line sits in a non-key slot (`distinct_id="k"`, `capture("k")`). */
function inNonKeySlot(line: string, key: string): boolean {
  const occ = occurrences(line, key);
  if (occ.length === 0) return false;
  for (const p of occ) {
    const q = line[p - 1];
    if (q !== '"' && q !== "'" && q !== "`") return false;
    const head = line.slice(0, p - 1).replace(/[rRbBuUfF@$]$/, "");
    const slot = /["']?([A-Za-z_$][\w$]*)["']?\s*(?::(?!:)|=(?![=>])|=>)\s*$/.exec(head);
    if (slot && NON_KEY_SLOT_RE.test(slot[1]!)) continue;
    const openers = unclosedOpeners(line, p - 1);
    const o = openers[openers.length - 1];
    if (o !== undefined && line[o] === "(" && /\bcapture\s*$/.test(line.slice(0, o))) continue;
    return false;
  }
  return true;
}

interface ArgExpr {
  expr: string;
  /** Offset of the expression in the joined call text. */
  at: number;
}

/** Top-level comma-separated items from `from` (just after an opener) to the matching closer. */
function splitArgs(s: string, from: number): ArgExpr[] {
  const out: ArgExpr[] = [];
  let depth = 0;
  let start = from;
  const push = (end: number) => {
    const raw = s.slice(start, end);
    const lead = raw.length - raw.trimStart().length;
    const expr = raw.trim();
    if (expr !== "") out.push({ expr, at: start + lead });
  };
  for (let i = from; i < s.length; i++) {
    const c = s[i]!;
    if (c === '"' || c === "'" || c === "`") {
      i++;
      while (i < s.length && s[i] !== c) i += s[i] === "\\" ? 2 : 1;
      continue;
    }
    if (c === "(" || c === "[" || c === "{") depth++;
    else if (c === ")" || c === "]" || c === "}") {
      if (depth === 0) {
        push(i);
        return out;
      }
      depth--;
    } else if (c === "," && depth === 0) {
      push(i);
      start = i + 1;
    }
  }
  push(s.length);
  return out;
}

/** The expressions in the key slot of a recognised call (identifiers and templates, not only literals). */
function keySlotExprs(s: string, end: number, shape: SdkShape, jvm: boolean): ArgExpr[] {
  const e = end + (shape.suffix?.length ?? 0);
  const rest = s.slice(e, e + 200);
  if (shape.slot === "go-struct-key") {
    const m = /^\s*\{/.exec(rest);
    if (!m) return [];
    for (const a of splitArgs(s, e + m[0].length)) {
      const k = /^Key\s*:\s*/.exec(a.expr);
      if (k) return [{ expr: a.expr.slice(k[0].length), at: a.at + k[0].length }];
    }
    return [];
  }
  if (shape.slot === "jsx-flag") {
    const m = /^[^>]*?\bflag\s*=\s*\{\s*([^}]*?)\s*\}/.exec(rest);
    return m ? [{ expr: m[1]!, at: e + m.index + m[0].indexOf(m[1]!, m[0].indexOf("{")) }] : [];
  }
  if (shape.slot === "array" || shape.slot === "object-keys" || shape.slot === "override") return [];
  const m = /^(?:<[^<>()"'`;]*>)?(?:\?\.)?\s*\(/.exec(rest);
  if (!m) return [];
  const args = splitArgs(s, e + m[0].length);
  const named = args.find((a) => KEY_ARG_RE.test(a.expr));
  if (named) {
    const k = KEY_ARG_RE.exec(named.expr)![0];
    return [{ expr: named.expr.slice(k.length), at: named.at + k.length }];
  }
  const positional = args.filter((a) => !/^[A-Za-z_]\w*\s*(?:=(?![=>])|:(?!:))/.test(a.expr));
  const [a0, a1] = positional;
  switch (shape.slot) {
    case "first":
      return a0 ? [a0] : [];
    case "first-or-second":
      return jvm && a1 ? [a1] : a0 ? [a0] : [];
    case "second-or-only":
      return positional.length >= 2 ? [a1!] : a0 ? [a0] : [];
    default:
      return [];
  }
}

/**
 * The fixed prefix and suffix of a template literal or string concatenation, or null when the expression
 * is not one (or its fixed parts are outside the key charset or shorter than 3 characters together).
 */
export function templateParts(expr: string): { prefix: string; suffix: string } | null {
  let prefix: string;
  let suffix = "";
  const concat = /^(["'])([A-Za-z0-9_-]*)\1\s*\+\s*[\w$.()[\]]+(?:\s*\+\s*(["'])([A-Za-z0-9_-]*)\3)?$/.exec(expr);
  const concatTail = /^[\w$.()[\]]+\s*\+\s*(["'])([A-Za-z0-9_-]+)\1$/.exec(expr);
  if (concat) {
    prefix = concat[2]!;
    suffix = concat[4] ?? "";
  } else if (concatTail) {
    prefix = "";
    suffix = concatTail[2]!;
  } else {
    const m = /^([fF$]?)(["'`])(.*)\2$/.exec(expr);
    if (!m) return null;
    const braces = m[1] !== "" ; // f"…{x}…", $"…{x}…"
    const body = m[3]!;
    const interp = braces ? /\{/ : m[2] === "`" ? /\$\{/ : /#\{|\$\{|\$[A-Za-z_]|\\\(/;
    const first = interp.exec(body);
    if (!first) return null;
    prefix = body.slice(0, first.index);
    const tail = /[})]([A-Za-z0-9_-]*)$/.exec(body);
    suffix = tail ? tail[1]! : "";
  }
  if (!/^[A-Za-z0-9_-]*$/.test(prefix) || !/^[A-Za-z0-9_-]*$/.test(suffix)) return null;
  if (prefix.length + suffix.length < 3) return null;
  return { prefix, suffix };
}

/** Known keys a template can produce (prefix + at least one character + suffix), at most 25, sorted. */
function templateKeys(keys: ReadonlySet<string>, parts: { prefix: string; suffix: string }): string[] {
  const out: string[] = [];
  for (const k of keys) {
    if (k.length > parts.prefix.length + parts.suffix.length && k.startsWith(parts.prefix) && k.endsWith(parts.suffix)) {
      out.push(k);
    }
  }
  out.sort();
  return out.slice(0, MAX_TEMPLATE_KEYS);
}

/**
 * Scans a sequence of lines with the second-generation rules (see the module comment).
 *
 * @param lines the lines (array or lazy {@link LineList}), no newlines
 * @param matcher from `createFlagMatcher`
 * @param opts file, which lines are reported, candidate lines, hunk section, constant tables
 * @returns line index → what was found there (reported lines only)
 */
export function scanLines(lines: LineList, matcher: FlagMatcher, opts: ScanLinesOptions): Map<number, DocumentLine> {
  const { file } = opts;
  const report = opts.report ?? (() => true);
  const lineNumber = opts.lineNumber ?? ((idx: number) => idx + 1);
  const jvm = isJvmFile(file);
  const tables = opts.constants ?? {};
  const haveConstants = (tables.pr?.size ?? 0) > 0 || (tables.repository?.size ?? 0) > 0;
  const results = new Map<number, DocumentLine>();
  /** line index → keys that are other arguments of a multi-line SDK call there (non-key slots). */
  const otherArgs = new Map<number, Set<string>>();

  const at = (idx: number): DocumentLine => {
    let r = results.get(idx);
    if (!r) results.set(idx, (r = { references: [], unknownKeys: [] }));
    return r;
  };
  const addRef = (idx: number, key: string, kind: ReferenceKind, via?: DocumentMatch["via"]) => {
    const r = at(idx);
    const old = r.references.find((x) => x.key === key);
    if (old) {
      if (KIND_RANK[kind] > KIND_RANK[old.kind]) {
        old.kind = kind;
        old.inSdkCall = kind === "sdk-call";
        if (via) old.via = via;
        else delete old.via;
      } else if (KIND_RANK[kind] === KIND_RANK[old.kind] && via && !old.via) old.via = via;
      return;
    }
    const m: DocumentMatch = { key, kind, inSdkCall: kind === "sdk-call" };
    if (via) m.via = via;
    r.references.push(m);
  };
  const addUnknown = (idx: number, key: string, suggestion: string | null) => {
    const r = at(idx);
    if (!r.unknownKeys.some((u) => u.key === key)) r.unknownKeys.push({ key, suggestion });
  };
  const blockOf = (idx: number): string | undefined => {
    const k = enclosingOpenerLine(lines, idx);
    if (k >= 0) return lines.at(k);
    if (opts.section !== undefined) return opts.section;
    for (let q = idx - 1; q >= 0 && q >= idx - 400; q--) {
      const l = lines.at(q)!;
      if (/^[A-Za-z_$]/.test(l)) return l;
    }
    return undefined;
  };
  /** Line index and comment status of an offset in a joined text that starts at line `idx`. */
  const locate = (text: string, offset: number, idx: number): number => {
    let n = idx;
    for (let p = text.indexOf("\n"); p >= 0 && p < offset; p = text.indexOf("\n", p + 1)) n++;
    return n;
  };
  const resolveExpr = (
    expr: string,
    target: number,
    inCall: { strict: boolean } | null,
  ): void => {
    if (!report(target)) return;
    if (PATH_RE.test(expr) && !NOT_A_NAME.test(expr)) {
      if (!haveConstants) {
        opts.onUnresolved?.(expr.replace(/\s+/g, ""));
        return;
      }
      const found = resolveUse(expr, file, tables);
      if (found.length === 0) opts.onUnresolved?.(expr.replace(/\s+/g, ""));
      const known = found.filter((f) => matcher.has(f.key));
      for (const f of known) {
        addRef(target, f.key, inCall ? "sdk-call" : "constant", {
          expression: expr.replace(/\s+/g, ""),
          definedIn: f.tier,
          file: f.definition.file,
          line: f.definition.line,
        });
      }
      if (known.length === 0 && inCall?.strict && found.length > 0) {
        const sug = matcher.suggest(found[0]!.key);
        if (sug !== null) addUnknown(target, found[0]!.key, sug);
      }
      return;
    }
    const parts = templateParts(expr);
    if (parts) {
      for (const k of templateKeys(matcher.keys, parts)) addRef(target, k, "dynamic", { expression: expr, definedIn: "template" });
    }
  };

  const visit = (idx: number) => {
    const line = lines.at(idx)!;
    const reported = report(idx);
    const scan = matcher.scanLineWithCalls(line, file, matcher.wordLikeKeyCount > 0 ? { blockOf: () => blockOf(idx) } : undefined);
    if (scan.references.length === 0 && scan.unknownKeys.length === 0 && scan.calls === undefined) return;
    const cstart = commentStart(line, file);
    if (reported) {
      for (const r of scan.references) {
        let kind: ReferenceKind = r.kind;
        if (cstart >= 0) {
          const occ = occurrences(line, r.key);
          if (occ.length > 0 && occ.every((p) => p >= cstart)) kind = "comment";
        }
        if ((kind === "string" || kind === "identifier") && inNonKeySlot(line, r.key)) continue;
        addRef(idx, r.key, kind);
      }
      for (const u of scan.unknownKeys) {
        const occ = occurrences(line, u.key);
        if (cstart >= 0 && occ.length > 0 && occ.every((p) => p >= cstart)) continue;
        addUnknown(idx, u.key, u.suggestion);
      }
    }
    const lineOpeners = scan.calls === undefined ? [] : unclosedOpeners(line);
    for (const c of scan.calls ?? []) {
      if (cstart >= 0 && c.start >= cstart) continue; // a commented-out call
      // The call's own opening bracket (`(`, `{` of a struct, `[` of a key list) must be left open on this line.
      const after = c.end + (c.shape.suffix?.length ?? 0);
      const rel = /^[^()[\]{}"'`;]{0,80}?[([{]/.exec(line.slice(after, after + 120));
      const opener = rel === null ? -1 : after + rel[0].length - 1;
      const openAfter = opener >= 0 && lineOpeners.includes(opener);
      let text = line;
      if (openAfter) {
        const parts = [line];
        let chars = line.length;
        let depth = lineOpeners.filter((o) => o >= opener).length;
        for (let k = idx + 1; k <= idx + MAX_CALL_LINES && chars < MAX_CALL_CHARS && depth > 0; k++) {
          const l = lines.at(k);
          if (l === undefined) break;
          parts.push(l);
          chars += l.length + 1;
          const d = bracketDelta(l);
          depth += d.opened - d.closed;
        }
        text = parts.join("\n");
        const f = matchShape(text, c.start, c.end, c.shape, jvm);
        if (f) {
          const lastLine = idx + parts.length - 1;
          const cands = new Set(f.candidates);
          let found = false;
          for (const cand of f.candidates) {
            const q = findLiteral(text, cand, c.end);
            const target = q < 0 ? idx : locate(text, q, idx);
            if (matcher.has(cand)) {
              found = true;
              if (report(target)) addRef(target, cand, "sdk-call");
            }
          }
          if (!found && f.candidates.length > 0) {
            const first = f.candidates[0]!;
            const q = findLiteral(text, first, c.end);
            const target = q < 0 ? idx : locate(text, q, idx);
            if (target !== idx && report(target)) {
              const sug = matcher.suggest(first);
              if (sug !== null || f.shape.strict) addUnknown(target, first, sug);
            }
          }
          if (!f.independent) {
            for (let k = idx + 1; k <= lastLine; k++) {
              let set = otherArgs.get(k);
              if (!set) otherArgs.set(k, (set = new Set()));
              for (const key of literalsIn(lines.at(k)!)) if (!cands.has(key)) set.add(key);
            }
          }
        }
      }
      // Identifiers and templates in the key slot (a literal key was handled above).
      const slotStart = text.charCodeAt(c.end + (c.shape.suffix?.length ?? 0));
      if (slotStart !== 40 /* ( */ && slotStart !== 123 /* { */ && slotStart !== 60 /* < */ && slotStart !== 32 && c.shape.slot !== "jsx-flag") continue;
      for (const a of keySlotExprs(text, c.end, c.shape, jvm)) {
        if (literalKey(a.expr) !== null) continue;
        const target = a.at > line.length ? locate(text, a.at, idx) : idx;
        resolveExpr(a.expr, target, { strict: c.shape.strict });
      }
    }
  };

  const everyLine = opts.everyLine === true;
  if (opts.candidates && !everyLine) for (const idx of opts.candidates) visit(idx);
  else for (let idx = 0; idx < lines.length; idx++) visit(idx);

  if (everyLine) {
    // Constants outside calls and templates in flag-named calls, on every reported line.
    for (let idx = 0; idx < lines.length; idx++) {
      if (!report(idx)) continue;
      const line = lines.at(idx)!;
      const cstart = commentStart(line, file);
      if (haveConstants || opts.onUnresolved) {
        USE_RE.lastIndex = 0;
        let m: RegExpExecArray | null;
        while ((m = USE_RE.exec(line)) !== null) {
          const expr = m[0];
          if (!expr.includes(".") && !expr.includes(":") && !expr.includes(">") && !isFlagName(expr)) continue;
          if (/^\s*[:=](?![=:])/.test(line.slice(m.index + expr.length)) && !/^\s*::/.test(line.slice(m.index + expr.length))) continue; // a definition
          const all = resolveUse(expr, file, tables);
          if (all.length === 0 && isFlagName(expr)) opts.onUnresolved?.(expr);
          const found = all.filter((f) => matcher.has(f.key));
          for (const f of found) {
            if (f.definition.file === file && f.definition.line === lineNumber(idx)) continue;
            addRef(idx, f.key, cstart >= 0 && m.index >= cstart ? "comment" : "constant", {
              expression: expr,
              definedIn: f.tier,
              file: f.definition.file,
              line: f.definition.line,
            });
          }
        }
      }
      if (/\$\{|#\{|\{|\+|\\\(/.test(line)) {
        FLAG_CALL_TEMPLATE_RE.lastIndex = 0;
        let m: RegExpExecArray | null;
        while ((m = FLAG_CALL_TEMPLATE_RE.exec(line)) !== null) {
          if (!/flag|feature|toggle|experiment/i.test(m[1]!)) continue;
          if (cstart >= 0 && m.index >= cstart) continue;
          const parts = templateParts(m[2]!.trim());
          if (!parts) continue;
          for (const k of templateKeys(matcher.keys, parts)) addRef(idx, k, "dynamic", { expression: m[2]!.trim(), definedIn: "template" });
        }
      }
    }
  }

  for (const [idx, keys] of otherArgs) {
    const r = results.get(idx);
    if (!r) continue;
    r.references = r.references.filter((x) => !(keys.has(x.key) && (x.kind === "string" || x.kind === "identifier")));
  }
  for (const [idx, r] of results) if (r.references.length === 0 && r.unknownKeys.length === 0) results.delete(idx);
  return results;
}

/** Offset of a quoted literal (or `:symbol`) holding exactly `key` after `from`, or -1. */
function findLiteral(text: string, key: string, from: number): number {
  for (const q of ['"', "'", "`"]) {
    const p = text.indexOf(q + key + q, from);
    if (p >= 0) return p;
  }
  const p = text.indexOf(":" + key, from);
  return p;
}

/** Key-charset string literals on a line. */
function literalsIn(line: string): string[] {
  const out: string[] = [];
  const re = /(["'`])([A-Za-z0-9_-]+)\1/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(line)) !== null) out.push(m[2]!);
  return out;
}
