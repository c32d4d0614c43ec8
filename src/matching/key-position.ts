/**
 * Where a **word-like** feature flag key may count as a reference: only in a key position.
 *
 * Word-like keys (`billing`, `integrations`, `newCheckout`: letters only, no `-`, `_` or digit; see
 * {@link isWordLikeKey}) are indistinguishable from English words and identifiers. Matched anywhere, they
 * hit comments, UI strings, test names, hostnames (`'billing.team.example.com'`) and variable names (issue 8:
 * all 17 `integrations` hits in 4 real PRs were such matches). They therefore count only where a program
 * names a flag:
 * - the key argument of a recognised PostHog SDK call and `$feature/K` properties (decided in `matcher.ts`);
 * - a string literal (or Ruby/Elixir `:symbol`) that is the argument of a call whose name mentions a flag
 *   or feature (`useFlag('billing')`, `hasFeature(:billing)`, `isFeatureOn("billing")`, a team's wrapper);
 * - the value assigned to a flag-named slot: `BILLING_FLAG = "billing"`, `flagKey: 'billing'`,
 *   `flag="billing"`, `{"$feature_flag": "billing"}`, `flag_key="billing"`;
 * - an element, key or value inside a flag-named container: `FLAGS = ['billing']`,
 *   `enum FeatureFlag { Billing = 'billing' }`, `FEATURE_FLAGS = {\n  BILLING: 'billing',` (the container
 *   may be opened on an earlier line: see {@link BlockTracker}), `flags['billing']`, `flags.billing`.
 * Everything else (comments, prose, UI copy, `describe('billing')`, `t('billing')`, `case 'billing':`,
 * bare identifiers, URL hosts) is not a reference of a word-like key. Distinctive keys (`new-checkout`,
 * `pricing_v2`) are unaffected and still match as strings and identifiers anywhere.
 *
 * Pure, line-local string inspection (no parser): it trades a few misses in unusual layouts for no false
 * "removed references" on prose. Issue 10's multi-line matcher can replace {@link BlockTracker} without
 * changing the rule.
 */

/** Names of calls that take a flag key: anything mentioning a flag, feature, toggle or experiment. */
const FLAG_CALL_RE = /flag|feature|toggle|experiment/i;
/**
 * Whether a slot or container name says it holds flag keys: its last word is `flag(s)` or `toggle(s)`
 * (`FEATURE_FLAGS`, `enabledFlags`, `BILLING_FLAG`, `enum FeatureFlag`, `$feature_flag`), or `key(s)` /
 * `name(s)` right after `flag`, `feature` or `experiment` (`flagKey`, `FEATURE_KEY`, `experiment_key`).
 * The last word decides: `flagsResponse`, `featureFlagPayloads` and `features` (a pricing table more often
 * than a flag list) are not flag containers.
 */
export function isFlagName(name: string): boolean {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .split(/[^A-Za-z0-9]+/)
    .filter((w) => w !== "")
    .map((w) => w.toLowerCase());
  const last = words[words.length - 1];
  if (last === undefined) return false;
  if (/^(?:flag|flags|toggle|toggles)$/.test(last)) return true;
  const before = words[words.length - 2];
  return /^(?:key|keys|name|names)$/.test(last) && before !== undefined && /^(?:flag|feature|experiment)$/.test(before);
}

/**
 * Whether a key is word-like: only ASCII letters (no `-`, `_` or digit), so it reads as a word or an
 * identifier (`billing`, `integrations`, `newCheckout`). PostHog keys are `^[a-zA-Z0-9_-]+$`; a key with a
 * separator or a digit (`new-checkout`, `pricing_v2`, `v2`) is distinctive enough to match anywhere.
 */
export function isWordLikeKey(key: string): boolean {
  return /^[A-Za-z]+$/.test(key);
}

const ID = /[A-Za-z0-9_$]/;

function isIdChar(c: string | undefined): boolean {
  return c !== undefined && ID.test(c);
}

/**
 * Positions of the openers `(`, `[`, `{` of a line that are not closed on it, outside string literals and
 * `//` / `#` comments. Strings do not continue across lines.
 */
export function unclosedOpeners(line: string, end = line.length): number[] {
  const stack: number[] = [];
  let i = 0;
  while (i < end) {
    const c = line[i]!;
    if (c === '"' || c === "'" || c === "`") {
      i++;
      while (i < end && line[i] !== c) i += line[i] === "\\" ? 2 : 1;
      i++;
      continue;
    }
    if (c === "/" && line[i + 1] === "/") break;
    if (c === "#" && (i === 0 || line[i - 1] === " " || line[i - 1] === "\t")) break;
    if (c === "(" || c === "[" || c === "{") stack.push(i);
    else if (c === ")" || c === "]" || c === "}") stack.pop();
    i++;
  }
  return stack;
}

/**
 * How a line changes the bracket nesting (same scanning rules as {@link unclosedOpeners}): closers that
 * close openers of earlier lines, and openers left unclosed at its end.
 */
export function bracketDelta(line: string): { closed: number; opened: number } {
  let depth = 0;
  let closed = 0;
  let i = 0;
  const n = line.length;
  while (i < n) {
    const c = line[i]!;
    if (c === '"' || c === "'" || c === "`") {
      i++;
      while (i < n && line[i] !== c) i += line[i] === "\\" ? 2 : 1;
      i++;
      continue;
    }
    if (c === "/" && line[i + 1] === "/") break;
    if (c === "#" && (i === 0 || line[i - 1] === " " || line[i - 1] === "\t")) break;
    if (c === "(" || c === "[" || c === "{") depth++;
    else if (c === ")" || c === "]" || c === "}") {
      if (depth > 0) depth--;
      else closed++;
    }
    i++;
  }
  return { closed, opened: depth };
}

const BRACKET_RE = /[()[\]{}]/;

/**
 * Follows bracket blocks over consecutive lines of one file (or one side of one diff hunk), so a line
 * knows the line that opened the innermost block it sits in (`export const FEATURE_FLAGS = {`,
 * `posthog.feature_enabled(`). Without an open bracket block, the fallback is the enclosing top-level
 * declaration: for diffs the hunk header's section heading (git's funcname line), for whole files the last
 * line starting at column 0 with a letter, `_` or `$` (git's default funcname rule).
 */
export class BlockTracker {
  /** One entry per unclosed opener: the text of the line that opened it. */
  private readonly stack: string[] = [];

  /** @param fallback the enclosing declaration line when no bracket block is open (e.g. the hunk section) */
  constructor(private fallback: string | undefined = undefined) {}

  /** The line that opened the innermost open block before the next line, or the fallback. */
  current(): string | undefined {
    return this.stack.length > 0 ? this.stack[this.stack.length - 1] : this.fallback;
  }

  /**
   * Feeds one line (after reading {@link BlockTracker.current} for it).
   * @param topLevel when true (whole files), a line starting with a letter, `_` or `$` becomes the fallback
   */
  feed(line: string, topLevel = false): void {
    if (BRACKET_RE.test(line)) {
      const { closed, opened } = bracketDelta(line);
      for (let k = closed; k > 0 && this.stack.length > 0; k--) this.stack.pop();
      for (let k = opened; k > 0; k--) {
        if (this.stack.length >= 64) this.stack.shift();
        this.stack.push(line);
      }
    }
    if (topLevel && /^[A-Za-z_$]/.test(line)) this.fallback = line;
  }
}

/** A name governing a container or call: `call` names are callees, others declared or object names. */
interface Governor {
  names: string[];
  /** The container is a call's argument list (only its first argument is a key position). */
  call: boolean;
  /** Judge the names as callees (mentioning a flag is enough), not as declared names ({@link isFlagName}). */
  lenient?: boolean;
}

/**
 * The names governing an opener at `o` of `line`: the callee for `(`, the object for a subscript `x[`, else
 * the identifier just before the opener (`FeatureFlagPayload{`) and the declared name (`enum X`, `X =`).
 */
function openerNames(line: string, o: number): Governor | null {
  const head = line.slice(0, o);
  const ch = line[o];
  if (ch === "(") {
    const m = /([A-Za-z_$][\w$]*[?!]?)\s*(?:<[^<>()]*>)?\s*(?:\?\.)?\s*$/.exec(head);
    if (m) return { names: [m[1]!], call: true };
    return declaredName(head);
  }
  if (ch === "[" && /[\w$\])]\s*$/.test(head) && !/(?:=|:|\breturn|\bin|=>)\s*$/.test(head)) {
    // subscript: flags['billing'], FLAGS[:billing]
    const m = /([A-Za-z_$][\w$]*)\s*$/.exec(head);
    return m ? { names: [m[1]!], call: false } : null;
  }
  if (ch === "{" && /(?:\)|=>|\belse|\bdo|\btry)\s*$/.test(head)) return null; // a function or control body
  const inCall = /([A-Za-z_$][\w$]*)\s*\(\s*$/.exec(head);
  if (inCall) return { names: [inCall[1]!], call: false, lenient: true }; // bootstrapFlags({ billing: true })
  const decl = declaredName(head);
  const just = /([A-Za-z_$][\w$]*)\s*$/.exec(head);
  const names = [...(just ? [just[1]!] : []), ...(decl ? decl.names : [])];
  return names.length > 0 ? { names, call: false } : null;
}

/** The name a declaration head declares: `enum X`, `class X`, `X =`, `X:`, `X :=`, `X =>`, else its last identifier. */
function declaredName(head: string): Governor | null {
  const kw = /\b(?:enum|class|object|struct|interface|module|type)\s+([A-Za-z_$][\w$]*)/.exec(head);
  if (kw) return { names: [kw[1]!], call: false };
  const assign = /([A-Za-z_$][\w$]*)["']?\s*(?::\s*[^=:]*?)?\s*(?:=(?!=)|:=|:|=>)\s*[^=:]*$/.exec(head);
  if (assign) return { names: [assign[1]!], call: false };
  const last = /([A-Za-z_$][\w$]*)[^A-Za-z_$]*$/.exec(head);
  return last ? { names: [last[1]!], call: false } : null;
}

function flaggy(g: Governor | null): boolean {
  if (g === null) return false;
  return g.names.some((n) => (g.call || g.lenient ? FLAG_CALL_RE.test(n) : isFlagName(n)));
}

/**
 * The innermost container around `pos` (on this line, else opened by the block line): whether it is
 * flag-related, and whether it is a call (where only the first argument is a key position).
 */
function container(
  s: string,
  pos: number,
  block: string | undefined,
): { flag: boolean; call: boolean; mentionsFlag: boolean } {
  let g: Governor | null = null;
  const openers = unclosedOpeners(s, pos);
  if (openers.length > 0) g = openerNames(s, openers[openers.length - 1]!);
  else if (block !== undefined) {
    const blockOpeners = unclosedOpeners(block);
    g =
      blockOpeners.length > 0
        ? openerNames(block, blockOpeners[blockOpeners.length - 1]!)
        : declaredName(block.replace(/[:{]\s*$/, ""));
  }
  return { flag: flaggy(g), call: g?.call ?? false, mentionsFlag: g !== null && g.names.some((n) => FLAG_CALL_RE.test(n)) };
}

/** Slots that hold other things than a flag key even inside a flag call or struct (issue 10: non-key slots). */
const NON_KEY_SLOT_RE = /^(?:distinct_?id|groups?|person_?properties|group_?properties|properties|default|event|match)$/i;

/**
 * The position of the nearest `=` or `:` (not `==`, `::`) before `k` at bracket depth 0, or -1 when a
 * `(`, `[`, `{`, `,` or `;` of that depth comes first.
 */
function slotOperatorBefore(s: string, k: number): number {
  let depth = 0;
  for (let p = k; p >= 0; p--) {
    const c = s[p]!;
    if (c === ")" || c === "]" || c === "}") depth++;
    else if (c === "(" || c === "[" || c === "{") {
      if (depth === 0) return -1;
      depth--;
    } else if (depth === 0) {
      if (c === "," || c === ";") return -1;
      if (c === ":" && s[p - 1] !== ":" && s[p + 1] !== ":") return p;
      if (c === "=" && !/[=!<>]/.test(s[p - 1] ?? "") && s[p + 1] !== "=" && s[p + 1] !== ">") return p;
    }
  }
  return -1;
}

/**
 * Whether the word-like key `s[i, j)` is in a key position (see the module comment).
 *
 * @param s the line
 * @param i start of the key (inside its quotes for a string literal)
 * @param j end of the key (exclusive)
 * @param quoted true when `s[i-1]` and `s[j]` are the quotes of a string literal holding exactly the key
 * @param block the line that opened the block the line sits in (see {@link BlockTracker}), if known
 */
export function isKeyPosition(s: string, i: number, j: number, quoted: boolean, block?: string): boolean {
  let start = i;
  if (quoted) {
    start = i - 1;
    // string prefixes: f"", r'', b"", @"", $""
    while (start > 0 && /[rRbBuUfF@$]/.test(s[start - 1]!) && !isIdChar(s[start - 2])) start--;
  } else if (s[i - 1] === ":" && s[i - 2] !== ":" && !isIdChar(s[i - 2])) {
    start = i - 1; // Ruby symbol / Elixir atom
  } else if (s[i - 1] === ".") {
    // member of a flags object: flags.billing, this.featureFlags.billing
    // (a backward scan, not a `…$` regex over the line's head: that one is quadratic on long minified lines)
    let k = i - 2;
    if (s[k] === "?") k--;
    while (k >= 0 && (s[k] === " " || s[k] === "\t")) k--;
    const end = k + 1;
    while (k >= 0 && isIdChar(s[k])) k--;
    const name = s.slice(k + 1, end);
    return /^[A-Za-z_$]/.test(name) && isFlagName(name);
  } else {
    // bare identifier: only as a key of a flag-named object (`FLAGS = { billing: true }`)
    const after = s.slice(j).match(/^\s*(?::(?!:)|=>)/);
    return after !== null && container(s, i, block).flag;
  }
  let k = start - 1;
  while (k >= 0 && (s[k] === " " || s[k] === "\t")) k--;
  // a default after `||` / `??` / `or` sits in the slot of the whole expression: FLAG_KEY: env.X || 'billing'
  if (/(?:\|\||\?\?|\bor)$/.test(s.slice(Math.max(0, k - 2), k + 1))) {
    const slot = slotOperatorBefore(s, k);
    if (slot >= 0) k = slot;
  }
  const prev = k >= 0 ? s[k]! : "";
  const after = s.slice(j + (quoted ? 1 : 0));
  // object key in a flag container: { 'billing': true }, 'billing' => true
  if (/^\s*(?::(?!:)|=>)/.test(after) && (prev === "{" || prev === "," || prev === "")) {
    return container(s, start, block).flag;
  }
  if (prev === "=" || prev === ":" || prev === ">") {
    const two = s.slice(Math.max(0, k - 1), k + 1);
    if (prev === "=" && /[=!<>]=$/.test(two)) return false; // comparison: a variant value, not a key
    if (prev === ">" && two !== "=>") return false;
    if (prev === ":" && two === "::") return false;
    const op = prev === ">" ? k - 1 : prev === "=" && s[k - 1] === ":" ? k - 1 : k;
    // the slot name: an identifier or a quoted name just before the operator
    const m = /(?:["']?)([A-Za-z_$][\w$-]*)["']?\s*(?::\s*[^=:]*?)?\s*$/.exec(s.slice(0, op));
    if (m && isFlagName(m[1]!)) return true;
    if (m && (NON_KEY_SLOT_RE.test(m[1]!) || /^(?:case|when|return|if|elif|while)$/.test(m[1]!))) return false;
    const c = container(s, start, block);
    // the `key`/`flag` slot of a flag struct or options object: FeatureFlagPayload{Key: "billing"}
    if (m && /^(?:key|flag)$/i.test(m[1]!) && c.mentionsFlag) return true;
    return c.flag && !c.call;
  }
  if (isIdChar(prev)) {
    // Elixir module attribute: @billing_flag "billing"
    const m = /@([A-Za-z_][\w]*)\s*$/.exec(s.slice(0, start));
    return m !== null && isFlagName(m[1]!);
  }
  if (prev === "(" || prev === "[" || prev === "{" || prev === "," || prev === "") {
    const c = container(s, start, block);
    // in a call, only the first argument: useFlag('billing'), not track(event, 'billing')
    return c.flag && !(c.call && prev === ",");
  }
  return false;
}
