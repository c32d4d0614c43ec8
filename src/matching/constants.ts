/**
 * Constants, enum members and map entries whose value is a feature flag key, and their resolution.
 *
 * A definition binds a name to a string literal in PostHog's key charset (`^[A-Za-z0-9_-]+$`):
 * - `const FLAG = "new-checkout"`, `FLAG: Final = "…"`, `const val FLAG = "…"`, `public const string Flag = "…";`,
 *   `FLAG = '…'.freeze`, `define('FLAG', …)` is not covered; Go `Flag = "…"` inside `const (…)`;
 * - object / map entries `NEW_CHECKOUT: "new-checkout"`, `"NEW_CHECKOUT": "…"`, `:new_checkout => "…"`;
 * - enum members `NewCheckout = "new-checkout"` (TypeScript, C#, Swift `case x = "…"`, Python `class F(Enum)`);
 * - Elixir module attributes `@new_checkout "new-checkout"`.
 * A definition inside a named container (`export const FLAGS = {`, `enum Flags {`, `class Flags(str, Enum):`,
 * `object Flags {`) is also reachable by its qualified name `FLAGS.NEW_CHECKOUT` / `Flags.NewCheckout`.
 *
 * Pure, line-based inspection (no parser); containers are found by walking back over bracket blocks and,
 * for Python classes, indentation.
 */
import { bracketDelta, unclosedOpeners } from "./key-position.js";

/** Random access to the lines of a text (an array of lines satisfies it). */
export interface LineList {
  readonly length: number;
  at(index: number): string | undefined;
}

/** One name bound to a key-charset string literal. */
export interface ConstantDefinition {
  /** The bare name (`NEW_CHECKOUT`, `FLAG`). */
  name: string;
  /** `Container.NAME` when defined inside a named object, enum, class or map; else null. */
  qualified: string | null;
  /** The literal value (a feature flag key when it is a known one). */
  key: string;
  /** Repository-relative path of the defining file. */
  file: string;
  /** 1-based line number of the definition. */
  line: number;
}

const DEF_RE =
  /(?:^|[^\w$.@])["']?(\$?[A-Za-z_][\w$]*)["']?\s*(?::\s*[\w$.<>[\]|? ]+?)?\s*(?:(?<![=!<>:])=(?![=>~])|:=|:(?!:)|=>)\s*(?:[rRuUbB]|@)?(["'`])([A-Za-z0-9_-]+)\2(?=\s*(?:\.freeze\b|as\s+const\b|[,;)}\]]|\/\/|#|$))/g;
const ELIXIR_ATTR_RE = /(?:^|\s)@([a-z_][\w]*)\s+(["'])([A-Za-z0-9_-]+)\2\s*$/;
const KEYWORD_CONTAINER_RE = /\b(?:enum|class|object|struct|interface|module|record|trait|namespace)\s+(?:class\s+)?([A-Za-z_$][\w$]*)/;
const ASSIGN_CONTAINER_RE = /["']?([A-Za-z_$][\w$]*)["']?\s*(?::\s*[^=:]*?)?\s*(?:=(?!=)|:=|:|=>)[^=]*$/;
/** Names too generic to bind across files (a parameter called `key` in another file is not that constant). */
const GENERIC_NAMES = new Set(["key", "flag", "name", "id", "value", "type", "event", "label", "title", "default", "text", "url"]);

/** The name of the container opened at `o` of `line` (`FLAGS` in `export const FLAGS = {`), or null. */
function containerNameAt(line: string, o: number): string | null {
  const head = line.slice(0, o);
  const kw = KEYWORD_CONTAINER_RE.exec(head);
  if (kw) return kw[1]!;
  if (/(?:\)|=>|\belse|\bdo|\btry)\s*$/.test(head) && line[o] === "{") return null; // function / control body
  const call = /([A-Za-z_$][\w$]*)\s*\(\s*$/.exec(head);
  if (call && !/^(?:Object|freeze|Enum|dict|Map|mapOf|hashMapOf|Collections)$/.test(call[1]!)) {
    // Object.freeze({ … }) and dict( … ) keep the assigned name; other calls are not containers
    const before = ASSIGN_CONTAINER_RE.exec(head.slice(0, call.index));
    return before ? before[1]! : null;
  }
  const as = ASSIGN_CONTAINER_RE.exec(head);
  return as ? as[1]! : null;
}

/**
 * The line index that opened the innermost bracket block around line `idx` (walking back at most `limit`
 * lines), or -1.
 */
export function enclosingOpenerLine(lines: LineList, idx: number, limit = 400): number {
  let need = 0;
  for (let k = idx - 1; k >= 0 && k >= idx - limit; k--) {
    const line = lines.at(k)!;
    if (!/[()[\]{}]/.test(line)) continue;
    const { closed, opened } = bracketDelta(line);
    if (opened > need) return k;
    need = need - opened + closed;
  }
  return -1;
}

function indentOf(line: string): number {
  let i = 0;
  while (i < line.length && (line[i] === " " || line[i] === "\t")) i++;
  return i;
}

/** The container around position `p` of line `idx`: same line first, then an enclosing block, then a Python class. */
function containerOf(lines: LineList, idx: number, p: number): string | null {
  const line = lines.at(idx)!;
  const openers = unclosedOpeners(line, p);
  if (openers.length > 0) return containerNameAt(line, openers[openers.length - 1]!);
  const k = enclosingOpenerLine(lines, idx);
  if (k >= 0) {
    const o = unclosedOpeners(lines.at(k)!);
    return o.length > 0 ? containerNameAt(lines.at(k)!, o[o.length - 1]!) : null;
  }
  const ind = indentOf(line);
  if (ind === 0) return null;
  for (let q = idx - 1; q >= 0 && q >= idx - 400; q--) {
    const l = lines.at(q)!;
    if (l.trim() === "") continue;
    if (indentOf(l) < ind) {
      const m = /^\s*class\s+([A-Za-z_][\w]*)/.exec(l);
      return m ? m[1]! : null;
    }
  }
  return null;
}

/**
 * Definitions on the given lines of one file.
 *
 * @param lines the file's (or hunk side's) lines, in order
 * @param file repository-relative path copied into each definition
 * @param opts `only`: line indices to inspect (ascending; default all); `accept`: keep a definition only when
 *   it returns true for the value (e.g. "is a known key"); `firstLine`: number of `lines[0]` (default 1);
 *   `lineNumbers`: explicit line number per index (diff hunks)
 * @returns definitions in line order
 */
export function extractDefinitions(
  lines: LineList,
  file: string,
  opts: { only?: readonly number[]; accept?: (key: string) => boolean; lineNumbers?: readonly number[] } = {},
): ConstantDefinition[] {
  const out: ConstantDefinition[] = [];
  const visit = (idx: number) => {
    const line = lines.at(idx)!;
    if (line.length > 2000 || !/["'`]/.test(line)) return;
    const number = opts.lineNumbers?.[idx] ?? idx + 1;
    const elixir = ELIXIR_ATTR_RE.exec(line);
    if (elixir) {
      if (!opts.accept || opts.accept(elixir[3]!)) {
        out.push({ name: elixir[1]!, qualified: null, key: elixir[3]!, file, line: number });
      }
      return;
    }
    DEF_RE.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = DEF_RE.exec(line)) !== null) {
      const name = m[1]!;
      const key = m[3]!;
      if (/^(?:if|elif|while|return|case|when|and|or|not|in|is)$/.test(name)) continue;
      if (opts.accept && !opts.accept(key)) continue;
      const at = m.index + m[0].indexOf(name);
      const container = containerOf(lines, idx, at);
      out.push({ name, qualified: container === null ? null : `${container}.${name}`, key, file, line: number });
    }
  };
  if (opts.only) for (const idx of opts.only) visit(idx);
  else for (let idx = 0; idx < lines.length; idx++) visit(idx);
  return out;
}

/** Normalises a use (`this.FLAGS.NEW_CHECKOUT`, `Flags::NewCheckout`, `$this->flag`) to dotted segments. */
export function usePath(expr: string): string[] {
  return expr
    .replace(/\s+/g, "")
    .replace(/\?\./g, ".")
    .replace(/::|->/g, ".")
    .split(".")
    .filter((s) => s !== "" && !/^(?:this|self|static|Self|\$this|@)$/.test(s))
    .map((s) => s.replace(/^[@]/, ""));
}

/** Where a resolved definition came from, nearest first. */
export type DefinitionTier = "same-file" | "pr" | "repository";

/** A definition found for a use, with its tier. */
export interface Resolution {
  key: string;
  tier: DefinitionTier;
  definition: ConstantDefinition;
}

/**
 * A table of definitions answering "which key does this name denote?", bounded by what is added.
 * Bare names and qualified names (`Container.NAME`) are both indexed.
 */
export class ConstantTable {
  private readonly byName = new Map<string, ConstantDefinition[]>();
  private count = 0;

  /** Number of definitions added. */
  get size(): number {
    return this.count;
  }

  /** Adds definitions (duplicates of the same name, key and file are kept once). */
  add(defs: Iterable<ConstantDefinition>): this {
    for (const d of defs) {
      this.count++;
      for (const name of d.qualified === null ? [d.name] : [d.name, d.qualified]) {
        let list = this.byName.get(name);
        if (!list) this.byName.set(name, (list = []));
        if (!list.some((x) => x.key === d.key && x.file === d.file)) list.push(d);
      }
    }
    return this;
  }

  /** Definitions of an exact (bare or `Container.NAME`) name. */
  get(name: string): readonly ConstantDefinition[] {
    return this.byName.get(name) ?? [];
  }
}

/** Whether a bare name may bind to a definition in another file (UPPER_SNAKE or PascalCase, not generic). */
function crossFileName(name: string): boolean {
  return !GENERIC_NAMES.has(name.toLowerCase()) && /^[A-Z]/.test(name.replace(/^\$/, ""));
}

/**
 * Resolves a use expression (`FLAG`, `FLAGS.NEW_CHECKOUT`, `Flags::NewCheckout`, `self.FLAG`) to keys.
 *
 * Order: definitions in the same file, then in the PR's other files, then in the repository index; the
 * first tier with an answer wins. A dotted use matches a qualified definition by its last two segments,
 * and a bare definition by its last segment when that one is UPPER_SNAKE (`flags.NEW_CHECKOUT` after
 * `import * as flags`). Bare names bind across files only when they start with a capital and are not
 * generic (`key`, `name`, …).
 *
 * @returns distinct keys with where each was defined; empty when the name is unknown
 */
export function resolveUse(
  expr: string,
  file: string,
  tables: { pr?: ConstantTable | null; repository?: ConstantTable | null },
): Resolution[] {
  const seg = usePath(expr);
  if (seg.length === 0) return [];
  const last = seg[seg.length - 1]!;
  const candidates: { name: string; crossFile: boolean }[] = [];
  if (seg.length >= 2) {
    candidates.push({ name: `${seg[seg.length - 2]}.${last}`, crossFile: true });
    if (/^[A-Z][A-Z0-9_]*$/.test(last)) candidates.push({ name: last, crossFile: true });
  } else {
    candidates.push({ name: last, crossFile: crossFileName(last) });
  }
  const pick = (defs: ConstantDefinition[], tier: DefinitionTier): Resolution[] => {
    const out: Resolution[] = [];
    for (const d of defs) if (!out.some((r) => r.key === d.key)) out.push({ key: d.key, tier, definition: d });
    return out;
  };
  const same: ConstantDefinition[] = [];
  const pr: ConstantDefinition[] = [];
  for (const c of candidates) {
    for (const d of tables.pr?.get(c.name) ?? []) {
      if (d.file === file) same.push(d);
      else if (c.crossFile) pr.push(d);
    }
  }
  if (same.length > 0) return pick(same, "same-file");
  if (pr.length > 0) return pick(pr, "pr");
  const repo: ConstantDefinition[] = [];
  for (const c of candidates) {
    for (const d of tables.repository?.get(c.name) ?? []) if (c.crossFile || d.file === file) repo.push(d);
  }
  return pick(repo, "repository");
}
