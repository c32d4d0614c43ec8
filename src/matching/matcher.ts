/**
 * Finds references to known PostHog feature flag keys in source lines and in unified diffs.
 *
 * Strategy (flag-references.md §5 "Guidance: Default"): one pass per line splits it into maximal runs of
 * `[A-Za-z0-9_$-]` and looks each run up in one `Map` holding every known feature flag key and every SDK
 * call token. The map is built once; a scan costs O(line length) whatever the number of keys (5,000+ keys
 * are fine). Pure code, no I/O.
 *
 * What counts as a reference of a known key K (key charset `^[a-zA-Z0-9_-]+$`, PostHog
 * `posthog/api/feature_flag.py` `validate_key`):
 * - **string**: a string literal whose whole content is K (`"K"`, `'K'`, `` `K` ``, in any language);
 * - **identifier**: a run of `[A-Za-z0-9_$-]` equal to K — identifiers, object keys (`K:`), YAML keys,
 *   members (`flags.K`), Ruby symbols / Elixir atoms (`:K`), words in comments and prose. Because `-` and
 *   `$` belong to the run, `new-checkout` does **not** match inside `my-new-checkout-v2`, `--new-checkout`
 *   or `$new_checkout`;
 * - **property**: `$feature/K`, `$feature_interaction/K`, `$feature_view/K` (flag-references.md §4) and
 *   `$feature_enrollment/K` (posthog-js `updateEarlyAccessFeatureEnrollment`);
 * - **sdk-call**: K as the literal key argument of a PostHog SDK call (see `sdk.ts`); `inSdkCall` is true
 *   exactly for these.
 *
 * Decisions:
 * - **Path segments are not references**: a run directly after or before a single `/` (`/new-checkout/`,
 *   `routes/new-checkout.tsx`, `https://…/new-checkout`) is skipped — routes and file names reuse words that
 *   are also flag keys far more often than code refers to a flag through a path. `$feature/K` is the
 *   exception, and `//K`, `/*K` comments still count (but not a URL host `https://K.example.com`).
 * - **Short keys** (under 3 characters, LaunchDarkly's `minFlagKeyLen`) only count inside SDK calls and in
 *   the unambiguous `$feature/K` property form. **All-digit keys** never count as bare identifiers.
 * - **Word-like keys** (letters only: `billing`, `integrations`; `key-position.ts`) count only in key
 *   positions: SDK calls, `$feature/K`, the first argument of a flag-named call, a flag-named slot
 *   (`BILLING_FLAG = "billing"`, `"$feature_flag": "billing"`) or a flag-named container (`FLAGS = [...]`,
 *   `enum FeatureFlag {…}`), never in comments, UI strings, test names, hosts or as bare words (issue 8).
 * - Matching is exact and case-sensitive (no camelCase/UPPER_SNAKE aliases).
 * - One reference per (key, line): the strongest kind wins (sdk-call > property > string > identifier).
 * - A literal in the key position of an SDK call that is not a known key is an **unknown key** (likely a
 *   typo), with the closest known key as a suggestion (`distance.ts`). For generic method names only close
 *   misses are reported (see `SdkShape.strict`).
 */
import picomatch from "picomatch";
import { ConstantTable, extractDefinitions, type LineList } from "./constants.js";
import { type ChangedLine, type DiffHunk, hunkOf } from "./diff.js";
import { type DocumentLine, KIND_RANK, scanLines } from "./document.js";
import type { ReferenceIndex } from "./reference-index.js";
import { KeySuggester } from "./distance.js";
import { isKeyPosition, isWordLikeKey } from "./key-position.js";
import { type CallFinding, isJvmFile, matchShape, SDK_SHAPES, type SdkShape } from "./sdk.js";

/** The lexical form a reference was found in. */
export type ReferenceKind =
  | "string"
  | "identifier"
  | "property"
  | "sdk-call"
  /** A constant, enum member or map entry that resolves to the key (`FLAGS.NEW_CHECKOUT`), outside an SDK call. */
  | "constant"
  /** A template literal with a fixed prefix or suffix (`` `spotlight-${name}` ``) that can produce the key. */
  | "dynamic"
  /** In a comment or docstring (a commented-out call too): shown apart, never an unknown key. */
  | "comment";

/** One reference to a known feature flag key on a changed line of a diff. */
export interface FlagReference {
  flagKey: string;
  /** Repository-relative path (new path for renames, old path for deleted files). */
  file: string;
  /** 1-based line number: new-file line for added lines, old-file line for removed lines. */
  line: number;
  side: "added" | "removed";
  kind: ReferenceKind;
  /** True when the key is the literal key argument of a PostHog SDK call (then `kind` is "sdk-call"). */
  inSdkCall: boolean;
  /** The line, trimmed, at most 200 characters (a window around the key when the line is longer). */
  text: string;
  /**
   * For "constant" references and SDK calls whose key argument is a constant: the expression as written
   * (`FLAGS.NEW_CHECKOUT`) and where it was defined ("same-file", "pr" for another file of the diff,
   * "repository" for the default branch's reference index). For "dynamic": the template as written.
   */
  via?: { expression: string; definedIn: "same-file" | "pr" | "repository" | "template"; file?: string; line?: number };
}

/** A reference found by {@link scanText} in a whole file (no diff side). */
export type TextReference = Omit<FlagReference, "side">;

/** A literal key in a PostHog SDK call that is not a known feature flag key. */
export interface UnknownKey {
  key: string;
  file: string;
  line: number;
  side: "added" | "removed";
  /** The closest known feature flag key (OSA distance ≤ 1–2, or equal up to case and `_`/`-`), or null. */
  suggestion: string | null;
}

/** One key found on one line. */
export interface LineMatch {
  key: string;
  kind: ReferenceKind;
  inSdkCall: boolean;
}

/** Everything found on one line. */
export interface LineScan {
  /** Known keys, one entry per key, in order of first appearance. */
  references: LineMatch[];
  /** Literal keys in SDK calls that are not known, one entry per key. */
  unknownKeys: { key: string; suggestion: string | null }[];
  /** Recognised SDK call tokens on the line (start/end offsets of the token), for the multi-line pass. */
  calls?: { start: number; end: number; shape: SdkShape }[];
}

/** What a line's neighbourhood says about it (optional; improves word-like key decisions). */
export interface LineContext {
  /**
   * The line that opened the innermost bracket block this line sits in, or the enclosing top-level
   * declaration (a diff hunk's section heading): see `BlockTracker` in `key-position.ts`.
   */
  block?: string;
  /** Computes `block` only when a word-like key needs it (used when `block` is absent). */
  blockOf?: () => string | undefined;
}

/** A matcher built once over the known feature flag keys. */
export interface FlagMatcher {
  /** Number of distinct valid known keys. */
  readonly keyCount: number;
  /** How many of them are word-like (letters only), which need a line's context (`key-position.ts`). */
  readonly wordLikeKeyCount: number;
  /** Input keys that were not used because they are outside PostHog's key charset or empty. */
  readonly skippedKeys: readonly string[];
  /**
   * Known keys referenced on one line.
   * @param text one line (no newline)
   * @param file optional path, used only to recognise JVM files (key-second `isFeatureEnabled(id, K)`)
   * @param context optional neighbourhood of the line (the enclosing block), for word-like keys
   */
  scanLine(text: string, file?: string, context?: LineContext): LineMatch[];
  /** Like {@link FlagMatcher.scanLine}, plus unknown literal keys in PostHog SDK calls. */
  scanLineDetailed(text: string, file?: string, context?: LineContext): LineScan;
  /** Like {@link FlagMatcher.scanLineDetailed}, plus the SDK call tokens on the line (`calls`), for `document.ts`. */
  scanLineWithCalls(text: string, file?: string, context?: LineContext): LineScan;
  /** Closest known key for an unknown one, or null (see `distance.ts`). */
  suggest(key: string): string | null;
  /** Whether `key` is a known feature flag key. */
  has(key: string): boolean;
  /**
   * Fast first pass over a whole text (one loop over its UTF-16 code units, no allocation per token): the
   * 0-based indices of the lines (split on `\n`) holding a run equal to a known key or an SDK call token,
   * ascending. Every line that {@link FlagMatcher.scanLine} could report is among them.
   * @param starts when given, receives the start offset in `text` of each returned line (same order)
   */
  candidateLines(text: string, starts?: number[]): number[];
  /** Every known key (for template literals: the keys a fixed prefix/suffix can produce). */
  readonly keys: ReadonlySet<string>;
}

/** Thrown for malformed input to the matcher (wrong types, bad glob patterns). */
export class MatchInputError extends TypeError {
  override readonly name = "MatchInputError";
}

const KEY_RE = /^[A-Za-z0-9_-]+$/;
const PROPERTY_PREFIXES = new Set(["$feature", "$feature_interaction", "$feature_view", "$feature_enrollment"]);
const MIN_BARE_KEY_LENGTH = 3;
/**
 * Word-like keys are not looked for in lines longer than this (minified bundles, generated data): their
 * key-position check reads the line around each hit, which is quadratic on a one-line 1 MB bundle, and a
 * word in such a line is not a reviewable reference. Distinctive keys and SDK calls still count there.
 */
const MAX_WORD_KEY_LINE = 2000;

/**
 * 1 for `[A-Za-z0-9_$-]`, 0 for every other UTF-16 code unit (non-ASCII characters are boundaries). A full
 * 64 Ki table avoids a range check in the hot loop (about 2× faster than a 128-entry table + `c < 128`).
 */
const TOKEN = new Uint8Array(65536);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if (/[A-Za-z0-9_$-]/.test(ch)) TOKEN[c] = 1;
}

/** Size of the token-hash prefilter bitset (2^20 bits = 128 KiB; ~0.5 % false positives at 5,000 keys). */
const HASH_BITS = 1 << 20;

function mixHash(h: number): number {
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return h & (HASH_BITS - 1);
}

/** The prefilter hash of `s[i, j)`, computed exactly as in the scan loop. */
function tokenHash(s: string, i: number, j: number): number {
  let h = s.charCodeAt(i);
  for (let k = i + 1; k < j; k++) h = (Math.imul(h, 31) + s.charCodeAt(k)) | 0;
  return mixHash(h);
}

interface Entry {
  isKey: boolean;
  /** Counts as a string-literal reference (false for keys under 3 characters). */
  stringOk: boolean;
  /** Counts as a bare identifier reference (false for short and all-digit keys). */
  identifierOk: boolean;
  /** Letters only: string and identifier forms count only in key positions (`key-position.ts`). */
  wordLike: boolean;
  shapes: SdkShape[] | null;
}

/**
 * Builds a matcher over the known feature flag keys (every PostHog flag key of the project).
 *
 * @param knownKeys the keys; duplicates are ignored; keys outside `^[a-zA-Z0-9_-]+$` (PostHog's
 *   `validate_key`) cannot be matched reliably and are listed in `skippedKeys` instead
 * @returns a reusable, stateless-per-call matcher
 * @throws MatchInputError when `knownKeys` is not iterable or holds a non-string
 */
export function createFlagMatcher(knownKeys: Iterable<string>): FlagMatcher {
  if (knownKeys == null || typeof (knownKeys as Iterable<string>)[Symbol.iterator] !== "function") {
    throw new MatchInputError("createFlagMatcher: knownKeys must be an iterable of feature flag key strings");
  }
  const entries = new Map<string, Entry>();
  const keys = new Set<string>();
  const skipped: string[] = [];
  for (const key of knownKeys) {
    if (typeof key !== "string") {
      throw new MatchInputError(`createFlagMatcher: feature flag key must be a string, got ${typeof key}`);
    }
    if (!KEY_RE.test(key)) {
      skipped.push(key);
      continue;
    }
    if (keys.has(key)) continue;
    keys.add(key);
    const long = key.length >= MIN_BARE_KEY_LENGTH;
    entries.set(key, {
      isKey: true,
      stringOk: long,
      identifierOk: long && !/^[0-9]+$/.test(key),
      wordLike: isWordLikeKey(key),
      shapes: null,
    });
  }
  for (const shape of SDK_SHAPES) {
    const e = entries.get(shape.token);
    if (e) (e.shapes ??= []).push(shape);
    else entries.set(shape.token, { isKey: false, stringOk: false, identifierOk: false, wordLike: false, shapes: [shape] });
  }
  let maxLen = 0;
  for (const k of entries.keys()) maxLen = Math.max(maxLen, k.length);
  const lengthOk = new Uint8Array(maxLen + 1);
  // Prefilter: a bitset of token hashes, so most runs are rejected without slicing or a Map lookup.
  const hashBits = new Int32Array(HASH_BITS >>> 5);
  for (const k of entries.keys()) {
    lengthOk[k.length] = 1;
    const h = tokenHash(k, 0, k.length);
    hashBits[h >>> 5]! |= 1 << (h & 31);
  }

  // The first two characters of every entry (7-bit; a one-character entry marks every second character),
  // for the candidate-line pass. Non-ASCII characters are not in TOKEN, so `& 127` only merges within it.
  const bigram = new Uint8Array(128 * 128);
  for (const k of entries.keys()) {
    const a = k.charCodeAt(0) & 127;
    if (k.length === 1) for (let b = 0; b < 128; b++) bigram[(a << 7) | b] = 1;
    else bigram[(a << 7) | (k.charCodeAt(1) & 127)] = 1;
  }

  let suggester: KeySuggester | null = null;
  const suggest = (key: string): string | null => (suggester ??= new KeySuggester(keys)).suggest(key);

  const ctx: MatchContext = { keys, suggest };

  /** The per-line pass; allocation-free until a candidate token is found. */
  function scan(
    s: string,
    file: string | undefined,
    wantUnknown: boolean,
    givenBlock: string | undefined,
    blockOf?: () => string | undefined,
  ): LineScan | null {
    let block = givenBlock;
    let blockKnown = givenBlock !== undefined || blockOf === undefined;
    let acc: LineAccumulator | null = null;
    let jvm: boolean | undefined;
    const n = s.length;
    let i = 0;
    while (i < n) {
      const c = s.charCodeAt(i);
      if (TOKEN[c] === 0) {
        i++;
        continue;
      }
      let h = c;
      let j = i + 1;
      while (j < n) {
        const d = s.charCodeAt(j);
        if (TOKEN[d] === 0) break;
        h = (Math.imul(h, 31) + d) | 0;
        j++;
      }
      const len = j - i;
      if (len <= maxLen && lengthOk[len] === 1) {
        h = mixHash(h);
        if ((hashBits[h >>> 5]! & (1 << (h & 31))) !== 0) {
          const entry = entries.get(s.slice(i, j));
          if (entry !== undefined) {
            if (entry.shapes !== null) {
              jvm ??= isJvmFile(file);
              for (const shape of entry.shapes) {
                const f = matchShape(s, i, j, shape, jvm);
                if (f) {
                  acc ??= new LineAccumulator(ctx, wantUnknown);
                  acc.onCall(f);
                  (acc.calls ??= []).push({ start: i, end: j, shape });
                  break;
                }
              }
            }
            if (entry.isKey) {
              const kind = lexicalKind(s, i, j);
              if (
                kind === "property" ||
                (((kind === "string" && entry.stringOk) || (kind === "identifier" && entry.identifierOk)) &&
                  (!entry.wordLike ||
                    (n <= MAX_WORD_KEY_LINE &&
                      isKeyPosition(s, i, j, kind === "string", blockKnown ? block : ((blockKnown = true), (block = blockOf!()))))))
              ) {
                (acc ??= new LineAccumulator(ctx, wantUnknown)).addRef(s.slice(i, j), kind);
              }
            }
          }
        }
      }
      i = j;
    }
    if (acc === null) return null;
    const out: LineScan = { references: acc.refs ?? [], unknownKeys: acc.unknown ?? [] };
    if (acc.calls !== null) out.calls = acc.calls;
    return out;
  }

  function candidateLines(s: string, starts: number[] | undefined): number[] {
    const out: number[] = [];
    const n = s.length;
    let line = 0;
    let lineStart = 0;
    let last = -1;
    let i = 0;
    while (i < n) {
      const c = s.charCodeAt(i);
      if (TOKEN[c] === 0) {
        if (c === 10) {
          line++;
          lineStart = i + 1;
        }
        i++;
        continue;
      }
      let j = i + 1;
      // First two characters: no entry starts with this pair → skip the run without hashing it.
      if (line === last || bigram[((c & 127) << 7) | (s.charCodeAt(j) & 127)] === 0) {
        while (j < n && TOKEN[s.charCodeAt(j)] === 1) j++;
        i = j;
        continue;
      }
      let h = c;
      while (j < n) {
        const d = s.charCodeAt(j);
        if (TOKEN[d] === 0) break;
        h = (Math.imul(h, 31) + d) | 0;
        j++;
      }
      const len = j - i;
      if (len <= maxLen && lengthOk[len] === 1) {
        h = mixHash(h);
        if ((hashBits[h >>> 5]! & (1 << (h & 31))) !== 0 && entries.has(s.slice(i, j))) {
          out.push(line);
          starts?.push(lineStart);
          last = line;
        }
      }
      i = j;
    }
    return out;
  }

  let wordLikeKeyCount = 0;
  for (const k of keys) if (entries.get(k)!.wordLike) wordLikeKeyCount++;

  return {
    keyCount: keys.size,
    wordLikeKeyCount,
    skippedKeys: skipped,
    scanLine: (text, file, context) =>
      scan(requireString(text, "scanLine: text"), file, false, context?.block)?.references ?? [],
    scanLineDetailed: (text, file, context) => {
      const r = scan(requireString(text, "scanLineDetailed: text"), file, true, context?.block);
      return r === null ? { references: [], unknownKeys: [] } : { references: r.references, unknownKeys: r.unknownKeys };
    },
    scanLineWithCalls: (text, file, context) =>
      scan(requireString(text, "scanLineWithCalls: text"), file, true, context?.block, context?.blockOf) ?? {
        references: [],
        unknownKeys: [],
      },
    suggest: (key) => suggest(requireString(key, "suggest: key")),
    has: (key) => keys.has(key),
    candidateLines: (text, starts) => candidateLines(requireString(text, "candidateLines: text"), starts),
    keys,
  };
}

interface MatchContext {
  keys: ReadonlySet<string>;
  suggest: (key: string) => string | null;
}

/** Collects the references and unknown keys of one line (created only for lines with a candidate). */
class LineAccumulator {
  refs: LineMatch[] | null = null;
  unknown: { key: string; suggestion: string | null }[] | null = null;
  calls: { start: number; end: number; shape: SdkShape }[] | null = null;

  constructor(
    private readonly ctx: MatchContext,
    private readonly wantUnknown: boolean,
  ) {}

  /** Records a known key; one entry per key, the strongest kind wins. */
  addRef(key: string, kind: ReferenceKind): void {
    this.refs ??= [];
    for (const r of this.refs) {
      if (r.key === key) {
        if (KIND_RANK[kind] > KIND_RANK[r.kind]) {
          r.kind = kind;
          r.inSdkCall = kind === "sdk-call";
        }
        return;
      }
    }
    this.refs.push({ key, kind, inSdkCall: kind === "sdk-call" });
  }

  private addUnknown(key: string, suggestion: string | null): void {
    this.unknown ??= [];
    if (!this.unknown.some((u) => u.key === key)) this.unknown.push({ key, suggestion });
  }

  /**
   * Resolves the literal candidates of one SDK call: known keys become "sdk-call" references; otherwise
   * the candidate closest to a known key (or, for PostHog-specific calls, the primary candidate) is an
   * unknown key.
   */
  onCall(f: CallFinding): void {
    const { keys, suggest } = this.ctx;
    if (f.independent) {
      for (const c of f.candidates) {
        if (keys.has(c)) this.addRef(c, "sdk-call");
        else if (this.wantUnknown) {
          const sug = suggest(c);
          if (sug !== null || f.shape.strict) this.addUnknown(c, sug);
        }
      }
      return;
    }
    let found = false;
    for (const c of f.candidates) {
      if (keys.has(c)) {
        this.addRef(c, "sdk-call");
        found = true;
      }
    }
    if (found || !this.wantUnknown) return;
    for (const c of f.candidates) {
      const sug = suggest(c);
      if (sug !== null) {
        this.addUnknown(c, sug);
        return;
      }
    }
    if (f.shape.strict && f.primary !== null) this.addUnknown(f.primary, null);
  }
}

function requireString(v: unknown, what: string): string {
  if (typeof v !== "string") throw new MatchInputError(`${what} must be a string, got ${typeof v}`);
  return v;
}

/**
 * Classifies a run `s[i, j)` equal to a known key by its neighbours, or null when it is a path segment.
 */
function lexicalKind(s: string, i: number, j: number): ReferenceKind | null {
  const prev = i > 0 ? s.charCodeAt(i - 1) : -1;
  const next = j < s.length ? s.charCodeAt(j) : -1;
  if (prev === 47 /* / */) {
    // `$feature/K`: the run before the slash must be a property prefix.
    let k = i - 1;
    while (k > 0) {
      const d = s.charCodeAt(k - 1);
      if (TOKEN[d] === 0) break;
      k--;
    }
    if (k < i - 1 && PROPERTY_PREFIXES.has(s.slice(k, i - 1))) return "property";
    const prev2 = i > 1 ? s.charCodeAt(i - 2) : -1;
    if (prev2 !== 47 && prev2 !== 42 /* * */) return null; // path segment; `//K` and `/*K` are comments
    if (prev2 === 47 && i > 2 && s.charCodeAt(i - 3) === 58 /* : */) return null; // `https://K…` host
  }
  if (next === 47) {
    const next2 = j + 1 < s.length ? s.charCodeAt(j + 1) : -1;
    if (next2 !== 47 && next2 !== 42) return null; // path segment
  }
  if ((prev === 34 || prev === 39 || prev === 96) && next === prev) return "string";
  return "identifier";
}

/** The line trimmed to at most 200 characters, as a window around `key` when the line is longer. */
export function snippet(line: string, key: string): string {
  const t = line.trim();
  if (t.length <= 200) return t;
  const at = Math.max(0, t.indexOf(key));
  const start = Math.max(0, Math.min(at - 80, t.length - 198));
  const body = t.slice(start, start + 198);
  return (start > 0 ? "…" : "") + body + (start + 198 < t.length ? "…" : "");
}

/** Options for {@link matchDiff}. */
export interface MatchOptions {
  /**
   * Glob patterns of paths to skip, e.g. `vendor/**`, `**\/*.snap`. Matched with picomatch (`dot: true`, so
   * `**` also walks into dot-directories such as `.github/`).
   */
  ignorePaths?: string[];
  /**
   * The repository's reference index (definitions of constants on the default branch, see
   * `reference-index.ts`): a constant used in the diff but defined elsewhere in the repository resolves
   * through it. Without it, constants resolve within the diff only.
   */
  repositoryIndex?: ReferenceIndex | null;
  /**
   * Called with each identifier in an SDK call's key slot (or flag-named constant) on a changed line that
   * no definition resolves; a caller can then load the repository index and match again.
   */
  onUnresolved?: (expression: string) => void;
}

/** Summary of one feature flag key across a diff. */
export interface FlagChange {
  flagKey: string;
  /** "removed" when the key is referenced only on removed lines; otherwise "added-or-modified". */
  status: "added-or-modified" | "removed";
  /** References on added lines. */
  added: number;
  /** References on removed lines. */
  removed: number;
}

/** Result of {@link matchDiff}. */
export interface DiffMatches {
  /** Sorted by file, line, side ("added" before "removed"), key. */
  references: FlagReference[];
  /** Unknown literal keys in SDK calls, sorted like references (renderers usually show only `side: "added"`). */
  unknownKeys: UnknownKey[];
  /** One entry per referenced key, sorted by key ("comment" and "dynamic" references are not counted). */
  flags: FlagChange[];
}

/**
 * Compiles ignore globs into a path predicate (cached per path).
 * @throws MatchInputError when `patterns` is not an array of non-empty strings
 */
export function ignoreMatcher(patterns: readonly string[] | undefined): (file: string) => boolean {
  if (patterns === undefined || patterns.length === 0) return () => false;
  if (!Array.isArray(patterns)) throw new MatchInputError("ignorePaths must be an array of glob strings");
  for (const p of patterns) {
    if (typeof p !== "string" || p.trim() === "") {
      throw new MatchInputError(`ignorePaths: each pattern must be a non-empty glob string, got ${JSON.stringify(p)}`);
    }
  }
  // picomatch with `dot: true`, so `**/*.snap` also matches under `.github/`.
  const isMatch = picomatch([...patterns], { dot: true });
  const cache = new Map<string, boolean>();
  return (file) => {
    let hit = cache.get(file);
    if (hit === undefined) {
      hit = isMatch(file);
      cache.set(file, hit);
    }
    return hit;
  };
}

function compareRef(a: { file: string; line: number; side: string }, b: { file: string; line: number; side: string }): number {
  if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  if (a.line !== b.line) return a.line - b.line;
  if (a.side !== b.side) return a.side < b.side ? -1 : 1;
  return 0;
}

/**
 * Finds known feature flag keys and unknown SDK-call keys on the changed lines of a diff.
 *
 * @param lines changed lines from {@link changedLinesFromDiff} / `changedLinesFromPatches`
 * @param matcher from {@link createFlagMatcher}
 * @param opts `ignorePaths` globs
 * @returns references, unknown keys and a per-key summary; a key referenced only on removed lines is
 *   "removed", otherwise "added-or-modified" (LaunchDarkly's PR action, flag-references.md §2)
 * @throws MatchInputError on malformed lines or options
 */
export function matchDiff(lines: readonly ChangedLine[], matcher: FlagMatcher, opts: MatchOptions = {}): DiffMatches {
  if (!Array.isArray(lines)) throw new MatchInputError("matchDiff: lines must be an array of ChangedLine");
  const ignored = ignoreMatcher(opts.ignorePaths);
  const references: FlagReference[] = [];
  const unknownKeys: UnknownKey[] = [];
  const counts = new Map<string, { added: number; removed: number }>();
  const hunks = new Map<DiffHunk, ChangedLine[]>();
  const loose: ChangedLine[] = [];
  for (const cl of lines) {
    if (
      cl == null ||
      typeof cl.file !== "string" ||
      typeof cl.text !== "string" ||
      !Number.isInteger(cl.line) ||
      (cl.side !== "added" && cl.side !== "removed")
    ) {
      throw new MatchInputError(`matchDiff: malformed changed line ${JSON.stringify(cl)}`);
    }
    if (ignored(cl.file)) continue;
    const h = hunkOf(cl);
    if (h !== undefined && h.file === cl.file) {
      let list = hunks.get(h);
      if (!list) hunks.set(h, (list = []));
      list.push(cl);
    } else loose.push(cl);
  }

  // Definitions in the diff: the new side (context + added lines) for added lines, the old side for removed.
  const newDefs = new ConstantTable();
  const oldDefs = new ConstantTable();
  for (const h of hunks.keys()) {
    newDefs.add(extractDefinitions(h.newSide.texts, h.file, { lineNumbers: h.newSide.numbers }));
    oldDefs.add(extractDefinitions(h.oldSide.texts, h.file, { lineNumbers: h.oldSide.numbers }));
  }
  for (const cl of loose) {
    (cl.side === "added" ? newDefs : oldDefs).add(extractDefinitions([cl.text], cl.file, { lineNumbers: [cl.line] }));
  }
  const repository = opts.repositoryIndex?.definitions ?? null;

  const record = (cl: ChangedLine, found: DocumentLine) => {
    for (const m of found.references) {
      const ref: FlagReference = {
        flagKey: m.key,
        file: cl.file,
        line: cl.line,
        side: cl.side,
        kind: m.kind,
        inSdkCall: m.inSdkCall,
        text: snippet(cl.text, m.key),
      };
      if (m.via) ref.via = m.via;
      references.push(ref);
      // Comments and possible template keys are listed, but do not make a flag "referenced" by the diff.
      if (m.kind === "comment" || m.kind === "dynamic") continue;
      let c = counts.get(m.key);
      if (!c) counts.set(m.key, (c = { added: 0, removed: 0 }));
      if (cl.side === "added") c.added++;
      else c.removed++;
    }
    for (const u of found.unknownKeys) {
      unknownKeys.push({ key: u.key, file: cl.file, line: cl.line, side: cl.side, suggestion: u.suggestion });
    }
  };

  for (const [h, cls] of hunks) {
    for (const side of ["added", "removed"] as const) {
      const changed = new Map<number, ChangedLine>();
      for (const cl of cls) if (cl.side === side) changed.set(cl.line, cl);
      if (changed.size === 0) continue;
      const hs = side === "added" ? h.newSide : h.oldSide;
      const found = scanLines(hs.texts, matcher, {
        file: h.file,
        report: (idx) => hs.changed[idx] === true && changed.has(hs.numbers[idx]!),
        ...(h.section === undefined ? {} : { section: h.section }),
        constants: { pr: side === "added" ? newDefs : oldDefs, repository },
        lineNumber: (idx) => hs.numbers[idx]!,
        everyLine: true,
        ...(opts.onUnresolved ? { onUnresolved: opts.onUnresolved } : {}),
      });
      for (const [idx, f] of found) record(changed.get(hs.numbers[idx]!)!, f);
    }
  }
  for (const cl of loose) {
    const found = scanLines([cl.text], matcher, {
      file: cl.file,
      ...(cl.block === undefined ? {} : { section: cl.block }),
      constants: { pr: cl.side === "added" ? newDefs : oldDefs, repository },
      lineNumber: () => cl.line,
      everyLine: true,
      ...(opts.onUnresolved ? { onUnresolved: opts.onUnresolved } : {}),
    });
    const f = found.get(0);
    if (f) record(cl, f);
  }

  references.sort((a, b) => compareRef(a, b) || (a.flagKey < b.flagKey ? -1 : a.flagKey > b.flagKey ? 1 : 0));
  unknownKeys.sort((a, b) => compareRef(a, b) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const flags: FlagChange[] = [...counts.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([flagKey, c]) => ({
      flagKey,
      status: c.added === 0 && c.removed > 0 ? "removed" : "added-or-modified",
      added: c.added,
      removed: c.removed,
    }));
  return { references, unknownKeys, flags };
}

/**
 * The lines of a text, split on `\n` (a trailing `\r` dropped), computed once and sliced on demand, so a
 * large file with few candidate lines allocates only those lines.
 */
export function lazyLines(text: string, known?: { lines: readonly number[]; starts: readonly number[] }): LineList {
  if (known !== undefined) return sparseLines(text, known.lines, known.starts);
  const starts: number[] = [0];
  for (let p = text.indexOf("\n"); p >= 0; p = text.indexOf("\n", p + 1)) starts.push(p + 1);
  const length = starts.length;
  return {
    length,
    at(i: number): string | undefined {
      if (i < 0 || i >= length) return undefined;
      const end = i + 1 < length ? starts[i + 1]! - 1 : text.length;
      const cr = end > starts[i]! && text.charCodeAt(end - 1) === 13 ? 1 : 0;
      return text.slice(starts[i]!, end - cr);
    },
  };
}

/**
 * Lines of a text known by the start offsets of a few of them (the candidate lines); a neighbour of a
 * known line is found with one `indexOf`/`lastIndexOf` and remembered, so following a call forward or
 * walking back to its block costs only the lines visited. Line count is computed on first use.
 */
function sparseLines(text: string, lines: readonly number[], starts: readonly number[]): LineList {
  const known = new Map<number, number>();
  for (let k = 0; k < lines.length; k++) known.set(lines[k]!, starts[k]!);
  let count = -1;
  let full: LineList | null = null;
  const startOf = (i: number): number | undefined => {
    let st = known.get(i);
    if (st !== undefined) return st;
    const prev = known.get(i - 1);
    if (prev !== undefined) {
      if (prev < 0) return -1;
      const nl = text.indexOf("\n", prev);
      st = nl < 0 ? -1 : nl + 1; // -1: past the last line
    } else {
      const next = known.get(i + 1);
      if (next === undefined || next === 0) return undefined;
      st = next >= 2 ? text.lastIndexOf("\n", next - 2) + 1 : 0;
    }
    known.set(i, st);
    return st;
  };
  return {
    get length(): number {
      if (count < 0) {
        count = 1;
        for (let p = text.indexOf("\n"); p >= 0; p = text.indexOf("\n", p + 1)) count++;
      }
      return count;
    },
    at(i: number): string | undefined {
      if (i < 0) return undefined;
      const st = startOf(i);
      if (st === undefined) return (full ??= lazyLines(text)).at(i);
      if (st < 0 || st > text.length) return undefined;
      let end = text.indexOf("\n", st);
      if (end < 0) end = text.length;
      const cr = end > st && text.charCodeAt(end - 1) === 13 ? 1 : 0;
      return text.slice(st, end - cr);
    },
  };
}

/**
 * Scans a whole file (the scheduled repository-wide scan) with the same per-line scan as diffs.
 *
 * @param text file content; lines split on `\n` / `\r\n`
 * @param file repository-relative path, copied into each reference
 * @param matcher from {@link createFlagMatcher}
 * @returns references of known keys with 1-based line numbers, in line order
 * @throws MatchInputError when `text` or `file` is not a string
 */
export function scanText(text: string, file: string, matcher: FlagMatcher): TextReference[] {
  requireString(text, "scanText: text");
  requireString(file, "scanText: file");
  // Fast first pass over the whole text; only lines holding a key or an SDK call token are read further.
  const starts: number[] = [];
  const candidates = matcher.candidateLines(text, starts);
  if (candidates.length === 0) return [];
  const lines = lazyLines(text, { lines: candidates, starts });
  const found = scanLines(lines, matcher, { file, candidates });
  const out: TextReference[] = [];
  for (const idx of [...found.keys()].sort((a, b) => a - b)) {
    const line = lines.at(idx)!;
    for (const m of found.get(idx)!.references) {
      const ref: TextReference = { flagKey: m.key, file, line: idx + 1, kind: m.kind, inSdkCall: m.inSdkCall, text: snippet(line, m.key) };
      if (m.via) ref.via = m.via;
      out.push(ref);
    }
  }
  return out;
}
