/**
 * Repository-wide scan of a branch for feature flag key references: the GitHub archive adapter
 * (`src/github/repository-scan.ts`, which streams the tarball and skips binaries, large and ignored files)
 * with the flag-key matcher of PR diffs (`scanText`, `ignoreMatcher` from `src/matching/`) as its file scanner.
 * Same functions and options as before the adapter stopped importing the matcher.
 */
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import {
  scanRepository as scanRepositoryArchive,
  scanTarball as scanTarballArchive,
  type FileScanner,
  type RepositoryScan,
  type RepositoryScanOptions,
  type TarballScan,
  type TarballScanOptions,
} from "../github/repository-scan.js";
import type { GitHubClient, RepoRef } from "../github/types.js";
import { createFlagMatcher, ignoreMatcher, scanText, type FlagMatcher } from "../matching/index.js";

export {
  codeUrl,
  DEFAULT_MAX_FILE_BYTES,
  DEFAULT_MAX_FILES,
  RepositoryScanError,
  type FileScanner,
  type RepositoryReference,
  type RepositoryScan,
  type SkipReason,
  type TarballScan,
} from "../github/repository-scan.js";

/** Options for {@link scanTarball}: the archive adapter's, plus the ignore globs. */
export interface ScanTarballOptions extends TarballScanOptions {
  /** Globs of repository-relative paths to skip (`path.matchesGlob` semantics, as for diff paths). */
  ignorePaths?: string[];
}

/** Options for {@link scanRepository}. */
export interface ScanRepositoryOptions extends ScanTarballOptions, Omit<RepositoryScanOptions, keyof TarballScanOptions> {}

function isMatcher(x: unknown): x is FlagMatcher {
  return typeof x === "object" && x !== null && typeof (x as FlagMatcher).scanLine === "function";
}

/**
 * The file scanner of flag-key references: `scanText` with the matcher (built from the keys unless one is
 * given) and `ignoreMatcher(ignorePaths)`.
 *
 * @throws MatchInputError for malformed keys or globs
 */
export function flagFileScanner(knownKeys: Iterable<string> | FlagMatcher, ignorePaths?: string[]): FileScanner {
  const matcher = isMatcher(knownKeys) ? knownKeys : createFlagMatcher(knownKeys);
  const ignored = ignoreMatcher(ignorePaths);
  return { scanFile: (text, file) => scanText(text, file, matcher), ignored };
}

/**
 * Scans a gzip-compressed tar archive for references to known feature flag keys (no GitHub access). See
 * the adapter's `scanTarball` for the skips, limits and result.
 *
 * @param knownKeys the project's feature flag keys (or a prebuilt matcher from `createFlagMatcher`)
 * @throws RepositoryScanError ("bad-archive"); MatchInputError for malformed keys or globs; RangeError for a
 *   non-positive limit
 */
export async function scanTarball(
  tarGz: Uint8Array | ArrayBuffer | NodeJS.ReadableStream | WebReadableStream<Uint8Array>,
  knownKeys: Iterable<string> | FlagMatcher,
  opts: ScanTarballOptions = {},
): Promise<TarballScan> {
  return scanTarballArchive(tarGz, flagFileScanner(knownKeys, opts.ignorePaths), opts);
}

/**
 * Scans a repository branch (default: its default branch) for references to known feature flag keys. The
 * matcher is built first, so bad keys or globs fail before any GitHub call. See the adapter's
 * `scanRepository` for the GitHub calls and errors.
 *
 * @param knownKeys the project's feature flag keys (or a prebuilt matcher)
 */
export async function scanRepository(
  octokit: GitHubClient,
  repo: RepoRef,
  knownKeys: Iterable<string> | FlagMatcher,
  opts: ScanRepositoryOptions = {},
): Promise<RepositoryScan> {
  return scanRepositoryArchive(octokit, repo, flagFileScanner(knownKeys, opts.ignorePaths), opts);
}
