/**
 * Changed lines of a pull request, from a unified diff (GitHub `application/vnd.github.diff`, `git diff`)
 * or from GitHub's `pulls.listFiles` patches. Parsing is done by the `parse-diff` library.
 */
import parseDiff from "parse-diff";

/** One added or removed line of a diff. */
export interface ChangedLine {
  /** Repository-relative path: the new path for renames, the old path for deleted files. */
  file: string;
  /** 1-based: the new-file line number for added lines, the old-file line number for removed lines. */
  line: number;
  side: "added" | "removed";
  /** The line without its `+`/`-` marker and without a trailing `\r`. */
  text: string;
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

function linesOf(file: parseDiff.File, path: string, out: ChangedLine[]): void {
  for (const chunk of file.chunks) {
    for (const change of chunk.changes) {
      // parse-diff repeats the previous change for "\ No newline at end of file" with that text.
      if (change.content.charCodeAt(0) === 92 /* \ */) continue;
      if (change.type === "add" || change.type === "del") {
        let text = change.content.slice(1);
        if (text.endsWith("\r")) text = text.slice(0, -1);
        out.push({ file: path, line: change.ln, side: change.type === "add" ? "added" : "removed", text });
      }
    }
  }
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
 * @param diffText the whole diff text; an empty or blank string gives `[]`
 * @returns changed lines (`line` 1-based: new-file numbers for added, old-file numbers for removed lines)
 * @throws DiffParseError when `diffText` is not a string, is non-blank but holds no file section, or a
 *   file section with hunks has no file name
 */
export function changedLinesFromDiff(diffText: string): ChangedLine[] {
  if (typeof diffText !== "string") {
    throw new DiffParseError(`changedLinesFromDiff: diff text must be a string, got ${typeof diffText}`);
  }
  if (isBlank(diffText)) return [];
  const files = parseDiff(diffText.replace(/\r\n/g, "\n"));
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
    linesOf(file, path, out);
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
