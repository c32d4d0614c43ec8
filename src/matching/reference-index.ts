/**
 * The repository's reference index: every constant, enum member and map entry of the default branch whose
 * value is a known feature flag key (`export const FLAGS = { NEW_CHECKOUT: "new-checkout" }` →
 * `FLAGS.NEW_CHECKOUT` and `NEW_CHECKOUT` denote `new-checkout`), so a PR that only changes
 * `useFeatureFlagEnabled(FLAGS.NEW_CHECKOUT)` is attributed to `new-checkout`.
 *
 * Built streaming: {@link ReferenceIndexBuilder.add} takes one file's text at a time (the caller streams
 * the repository archive, `src/github/repository-scan.ts`) and keeps only definitions of known keys, so
 * memory is bounded by the number of such definitions, not by the archive. Pure code, no I/O; caching per
 * commit lives with the caller (`src/app/reference-index-cache.ts`).
 */
import { ConstantTable, extractDefinitions } from "./constants.js";
import { type FlagMatcher, lazyLines } from "./matcher.js";

/** What the index holds. */
export interface ReferenceIndex {
  /** Definitions of known keys on the indexed branch (see `constants.ts`). */
  definitions: ConstantTable;
  /** Files read. */
  filesIndexed: number;
  /** UTF-16 code units of the files read (about their bytes for ASCII source). */
  charsIndexed: number;
  /** Fingerprint of the key set the index was built for ({@link keySetFingerprint}). */
  keySet: string;
  /**
   * References of known keys on the indexed branch (key → file/line), when the caller's scan recorded
   * them (the repository scan does); absent otherwise.
   */
  references?: Map<string, { file: string; line: number }[]>;
}

/**
 * A stable fingerprint of a key set: count and a 32-bit FNV-1a hash of the sorted keys (hex). An index
 * built for one key set is reused only for the same set (new flags in PostHog → a new index).
 */
export function keySetFingerprint(keys: Iterable<string>): string {
  const sorted = [...keys].sort();
  let h = 0x811c9dc5;
  for (const k of sorted) {
    for (let i = 0; i < k.length; i++) h = Math.imul(h ^ k.charCodeAt(i), 0x01000193);
    h = Math.imul(h ^ 10, 0x01000193);
  }
  return `${sorted.length}:${(h >>> 0).toString(16)}`;
}

/** Builds a {@link ReferenceIndex} from file texts fed one at a time. */
export class ReferenceIndexBuilder {
  private readonly table = new ConstantTable();
  private files = 0;
  private chars = 0;

  /** @param matcher the project's known keys (`createFlagMatcher`) */
  constructor(private readonly matcher: FlagMatcher) {}

  /**
   * Reads one file: only lines that hold a known key (the matcher's fast first pass) are inspected for
   * definitions; the text is not kept.
   * @param file repository-relative path
   * @param text the file's content
   */
  add(file: string, text: string): void {
    this.files++;
    this.chars += text.length;
    const only = this.matcher.candidateLines(text);
    if (only.length === 0) return;
    this.table.add(extractDefinitions(lazyLines(text), file, { only, accept: (k) => this.matcher.has(k) }));
  }

  /** The index (the builder can keep adding; a later call returns a later state). */
  finish(): ReferenceIndex {
    return {
      definitions: this.table,
      filesIndexed: this.files,
      charsIndexed: this.chars,
      keySet: keySetFingerprint(this.matcher.keys),
    };
  }
}

/**
 * Builds an index from an iterable of files (tests, the CLI).
 * @param files `{ file, text }` pairs, consumed one at a time
 */
export function buildReferenceIndex(files: Iterable<{ file: string; text: string }>, matcher: FlagMatcher): ReferenceIndex {
  const b = new ReferenceIndexBuilder(matcher);
  for (const f of files) b.add(f.file, f.text);
  return b.finish();
}
