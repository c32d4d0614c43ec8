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
import { scanLines } from "./document.js";
import { type FlagMatcher, type FlagReference, lazyLines } from "./matcher.js";

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
  /**
   * SDK calls that evaluate each known key on the indexed branch, per file: key → file → count of
   * references in an SDK call's key slot (`inSdkCall`: a literal key, or a constant defined in the same
   * file or in a file read earlier). Absent in indexes built before this was counted. Feeds
   * {@link otherSdkCalls} (issue 10 §2, `removes-last-exposure`).
   */
  sdkCalls?: Map<string, Map<string, number>>;
}

/**
 * For each key, the SDK calls that stay on the base branch after a pull request: per file, the index's
 * count minus the PR's removed SDK-call references of the key in that file (at least 0), plus the PR's
 * added ones. Files the PR does not touch keep their count. The two sides are counted by the same
 * `scanLines`, so a removed call is subtracted from its own file; a count that would go below 0 (the diff
 * resolved a constant the index could not) stays 0.
 *
 * Limits: only SDK calls count (a key passed through an own wrapper, `useFlag("key")`, is not an
 * evaluation the index can see), and a constant defined in a file the archive lists after its use is not
 * resolved by the index (a call through it is missed, so the finding may still be reported).
 *
 * @param index the base commit's index (with `sdkCalls`)
 * @param prRefs the PR's references ({@link FlagReference}s of `matchDiff`)
 * @param keys the keys to count
 * @returns key → remaining SDK calls (count ≥ 0); empty when the index has no `sdkCalls`
 */
export function otherSdkCalls(
  index: ReferenceIndex,
  prRefs: readonly Pick<FlagReference, "flagKey" | "file" | "side" | "inSdkCall">[],
  keys: Iterable<string>,
): Map<string, number> {
  const out = new Map<string, number>();
  if (!index.sdkCalls) return out;
  for (const key of keys) {
    const perFile = new Map(index.sdkCalls.get(key) ?? []);
    let added = 0;
    for (const r of prRefs) {
      if (r.flagKey !== key || !r.inSdkCall) continue;
      if (r.side === "added") added++;
      else perFile.set(r.file, (perFile.get(r.file) ?? 0) - 1);
    }
    let total = added;
    for (const n of perFile.values()) total += Math.max(0, n);
    out.set(key, total);
  }
  return out;
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
  private readonly sdkCalls = new Map<string, Map<string, number>>();
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
    const starts: number[] = [];
    const only = this.matcher.candidateLines(text, starts);
    if (only.length === 0) return;
    this.table.add(extractDefinitions(lazyLines(text), file, { only, accept: (k) => this.matcher.has(k) }));
    // SDK calls of known keys, literal or through a constant the table knows by now (this file's included).
    const found = scanLines(lazyLines(text, { lines: only, starts }), this.matcher, { file, candidates: only, constants: { repository: this.table } });
    for (const line of found.values()) {
      for (const m of line.references) {
        if (!m.inSdkCall) continue;
        let perFile = this.sdkCalls.get(m.key);
        if (!perFile) this.sdkCalls.set(m.key, (perFile = new Map()));
        perFile.set(file, (perFile.get(file) ?? 0) + 1);
      }
    }
  }

  /** The index (the builder can keep adding; a later call returns a later state). */
  finish(): ReferenceIndex {
    return {
      definitions: this.table,
      filesIndexed: this.files,
      charsIndexed: this.chars,
      keySet: keySetFingerprint(this.matcher.keys),
      sdkCalls: this.sdkCalls,
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
