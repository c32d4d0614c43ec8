/**
 * Changed lines of a pull request, from a unified diff (GitHub `application/vnd.github.diff`, `git diff`)
 * or from GitHub's `pulls.listFiles` patches. Parsing is done by the `parse-diff` library.
 */
import parseDiff from "parse-diff";
import { BlockTracker } from "./key-position.js";

/** One added or removed line of a diff. */
export interface ChangedLine {
  /** Repository-relative path: the new path for renames, the old path for deleted files. */
  file: string;
  /** 1-based: the new-file line number for added lines, the old-file line number for removed lines. */
  line: number;
  side: "added" | "removed";
  /** The line without its `+`/`-` marker and without a trailing `\r`. */
  text: string;
  /**
   * The line (context or changed, same side) that opened the innermost bracket block this line sits in,
   * else the hunk header's section heading (git's enclosing-declaration line); absent when neither is
   * known. Lets the matcher see `export const FEATURE_FLAGS = {` around `BILLING: 'billing',`.
   */
  block?: string;
}

/** One side of a diff hunk: its full line sequence (context lines and the changed lines of that side). */
export interface HunkSide {
  /** Line texts in file order (context + added lines for the new side, context + removed for the old). */
  texts: string[];
  /** 1-based file line number of each text (new-file numbers on the new side, old-file on the old side). */
  numbers: number[];
  /** True for the changed (added or removed) lines of the side, false for context lines. */
  changed: boolean[];
}

/** One hunk of a file diff, with both sides' full line sequences (for calls spanning lines). */
export interface DiffHunk {
  file: string;
  /** The hunk header's section heading (git's enclosing-declaration line), if any. */
  section?: string;
  newSide: HunkSide;
  oldSide: HunkSide;
}

/**
 * Changed lines made by {@link changedLinesFromDiff} / {@link changedLinesFromPatches} remember their hunk
 * here (a side table, so `ChangedLine` keeps its plain shape and equality in tests). Copies of a line do
 * not; the matcher then reads that line alone.
 */
const HUNKS = new WeakMap<ChangedLine, DiffHunk>();

/** The hunk a changed line came from, when it was parsed by this module; else undefined. */
export function hunkOf(line: ChangedLine): DiffHunk | undefined {
  return HUNKS.get(line);
}

/** One entry of GitHub's `pulls.listFiles` response (only the fields used here). */
export interface PatchFile {
  filename: string;
  /** Hunks only (no `diff --git`/`---`/`+++` headers); absent for binary and very large files. */
  patch?: string | null;
  previous_filename?: string;
  status?: string;
}

/** Thrown when the input is not a unified diff / patch. */
export class DiffParseError extends Error {
  override readonly name = "DiffParseError";
}

/**
 * Thrown for a combined diff (`diff --cc` / `diff --combined`, what `git show <merge>` prints): its
 * `@@@` hunks have one column per parent and no single old side, so it cannot be read as a unified diff.
 */
export class CombinedDiffError extends DiffParseError {
  constructor() {
    super(
      "this is a combined diff of a merge commit (diff --cc, from git show <merge>); " +
        "pass a two-sided diff instead, e.g. git diff <merge>^1 <merge>",
    );
  }
}

const COMBINED_RE = /^(?:diff --(?:cc|combined) |@@@+ -)/m;

/** The section heading of a hunk header (`@@ -1,2 +1,3 @@ export const FLAGS = {` → `export const FLAGS = {`). */
function hunkSection(header: string): string | undefined {
  const m = /^@@ [^@]*@@ ?(.*)$/.exec(header);
  const section = m?.[1]?.replace(/\r$/, "");
  return section ? section : undefined;
}

function linesOf(file: parseDiff.File, path: string, out: ChangedLine[]): void {
  for (const chunk of file.chunks) {
    const section = hunkSection(chunk.content);
    const oldSide = new BlockTracker(section);
    const newSide = new BlockTracker(section);
    const hunk: DiffHunk = {
      file: path,
      newSide: { texts: [], numbers: [], changed: [] },
      oldSide: { texts: [], numbers: [], changed: [] },
    };
    if (section !== undefined) hunk.section = section;
    const push = (side: HunkSide, text: string, ln: number, changed: boolean) => {
      side.texts.push(text);
      side.numbers.push(ln);
      side.changed.push(changed);
    };
    for (const change of chunk.changes) {
      // parse-diff repeats the previous change for "\ No newline at end of file" with that text.
      if (change.content.charCodeAt(0) === 92 /* \ */) continue;
      let text = change.content.slice(1);
      if (text.endsWith("\r")) text = text.slice(0, -1);
      if (change.type === "add" || change.type === "del") {
        const tracker = change.type === "add" ? newSide : oldSide;
        const block = tracker.current();
        tracker.feed(text);
        const cl: ChangedLine = { file: path, line: change.ln, side: change.type === "add" ? "added" : "removed", text };
        if (block !== undefined) cl.block = block;
        push(change.type === "add" ? hunk.newSide : hunk.oldSide, text, change.ln, true);
        HUNKS.set(cl, hunk);
        out.push(cl);
      } else {
        oldSide.feed(text);
        newSide.feed(text);
        push(hunk.oldSide, text, change.ln1, false);
        push(hunk.newSide, text, change.ln2, false);
      }
    }
  }
}

const C_ESCAPES: Record<string, number> = { a: 7, b: 8, t: 9, n: 10, v: 11, f: 12, r: 13, '"': 34, "\\": 92 };

/**
 * Decodes a path git wrote C-style quoted (`"caf\303\251.ts"`: octal bytes of UTF-8, `\t`, `\"`, `\\`;
 * git's `quote_c_style`) once parse-diff has removed the quotes and the `a/`/`b/` prefix. Invalid UTF-8
 * becomes U+FFFD.
 */
export function decodeGitPath(raw: string): string {
  if (!raw.includes("\\")) return raw;
  const bytes: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === "\\" && i + 1 < raw.length) {
      const oct = /^[0-3][0-7]{2}/.exec(raw.slice(i + 1, i + 4));
      if (oct) {
        bytes.push(parseInt(oct[0], 8));
        i += 3;
        continue;
      }
      const e = C_ESCAPES[raw[i + 1]!];
      if (e !== undefined) {
        bytes.push(e);
        i++;
        continue;
      }
    }
    for (const b of Buffer.from(c, "utf8")) bytes.push(b);
  }
  return Buffer.from(bytes).toString("utf8");
}

/**
 * The path as the repository spells it: git quotes a path holding a control character, `"`, `\` or (with
 * the default `core.quotePath`) a non-ASCII byte, and parse-diff keeps the escapes. Decoded only when the
 * diff text shows the path quoted, so an unquoted path containing a backslash is left alone.
 */
function repoPath(raw: string, diffText: string): string {
  if (!raw.includes("\\")) return raw;
  for (const prefix of ["a/", "b/", ""]) {
    if (diffText.includes(`"${prefix}${raw}"`)) return decodeGitPath(raw);
  }
  return raw;
}

function isBlank(s: string): boolean {
  return /^\s*$/.test(s);
}

/**
 * Added and removed lines of a multi-file unified diff, in diff order.
 *
 * Files without hunks (binary files, pure renames, mode changes) contribute nothing. Deleted files use the
 * old path, renamed and other files the new path. CRLF diffs are accepted.
 *
 * Paths git quoted (`"caf\303\251.ts"`) are decoded to UTF-8 (`café.ts`).
 *
 * @param diffText the whole diff text; an empty or blank string gives `[]`
 * @returns changed lines (`line` 1-based: new-file numbers for added, old-file numbers for removed lines)
 * @throws CombinedDiffError for a combined diff (`diff --cc`, `git show <merge>`)
 * @throws DiffParseError when `diffText` is not a string, is non-blank but holds no file section, or a
 *   file section with hunks has no file name
 */
export function changedLinesFromDiff(diffText: string): ChangedLine[] {
  if (typeof diffText !== "string") {
    throw new DiffParseError(`changedLinesFromDiff: diff text must be a string, got ${typeof diffText}`);
  }
  if (isBlank(diffText)) return [];
  if (COMBINED_RE.test(diffText)) throw new CombinedDiffError();
  const text = diffText.replace(/\r\n/g, "\n");
  const files = parseDiff(text);
  if (files.length === 0) {
    throw new DiffParseError(
      `changedLinesFromDiff: no file sections found; expected a unified diff, got ${JSON.stringify(diffText.slice(0, 80))}`,
    );
  }
  const out: ChangedLine[] = [];
  for (const file of files) {
    if (file.chunks.length === 0) continue;
    const deleted = file.deleted === true || file.to === "/dev/null";
    const path = deleted ? file.from : file.to !== undefined && file.to !== "/dev/null" ? file.to : file.from;
    if (path === undefined || path === "" || path === "/dev/null") {
      throw new DiffParseError(
        `changedLinesFromDiff: a file section with hunks has no file name (headers missing?): ${JSON.stringify(file.chunks[0]?.content ?? "")}`,
      );
    }
    linesOf(file, repoPath(path, text), out);
  }
  return out;
}

/**
 * Added and removed lines from GitHub's `pulls.listFiles` entries (the fallback when the PR diff is too
 * large, HTTP 406). Each `patch` holds hunks only; the path is `filename` (GitHub gives the new path for
 * renames and the old path for removed files). Entries without `patch` (binary or too-large files) are
 * skipped — GitHub does not return their text.
 *
 * @param files `pulls.listFiles` entries
 * @returns changed lines, in the order of `files`
 * @throws DiffParseError when an entry has no `filename` string, or its non-blank `patch` holds no hunk
 */
export function changedLinesFromPatches(files: readonly PatchFile[]): ChangedLine[] {
  if (!Array.isArray(files)) throw new DiffParseError("changedLinesFromPatches: files must be an array");
  const out: ChangedLine[] = [];
  for (const f of files) {
    if (f == null || typeof f.filename !== "string" || f.filename === "") {
      throw new DiffParseError(`changedLinesFromPatches: entry without a filename: ${JSON.stringify(f)}`);
    }
    if (f.patch == null || isBlank(f.patch)) continue;
    if (typeof f.patch !== "string") {
      throw new DiffParseError(`changedLinesFromPatches: patch of ${f.filename} must be a string`);
    }
    const parsed = parseDiff(f.patch.replace(/\r\n/g, "\n")).filter((p) => p.chunks.length > 0);
    if (parsed.length === 0) {
      throw new DiffParseError(
        `changedLinesFromPatches: patch of ${f.filename} has no hunk (expected "@@ -a,b +c,d @@"): ${JSON.stringify(f.patch.slice(0, 80))}`,
      );
    }
    for (const p of parsed) linesOf(p, f.filename, out);
  }
  return out;
}
