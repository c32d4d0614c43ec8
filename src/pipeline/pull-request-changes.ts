/**
 * A pull request's changed lines: the GitHub adapter fetches the diff (or, above GitHub's diff limit, the
 * per-file patches; `src/github/pull-request-changes.ts`) and the matcher's diff parser turns it into lines.
 */
import { fetchPullRequestDiff, type PullRequestDiff } from "../github/pull-request-changes.js";
import type { GitHubClient, Logger, RepoRef } from "../github/types.js";
import { silentLogger } from "../github/types.js";
import { changedLinesFromDiff, changedLinesFromPatches, type ChangedLine } from "../matching/index.js";

export { isDiffTooLarge } from "../github/pull-request-changes.js";

/** The changed lines of a PR and how they were obtained. */
export interface PullRequestChanges {
  lines: ChangedLine[];
  /** `diff` (complete) or `files` (the per-file fallback). */
  source: "diff" | "files";
  /** Files whose changes could not be read (no `patch` in the files list); empty when complete. */
  skippedFiles: string[];
  /** True when GitHub's 3,000-file cap on the files list may have cut the list. */
  fileListCapped: boolean;
}

/** Parses what {@link fetchPullRequestDiff} returned. @throws DiffParseError / CombinedDiffError from the parser */
export function parsePullRequestDiff(raw: PullRequestDiff): PullRequestChanges {
  const lines = raw.source === "diff" ? changedLinesFromDiff(raw.diff) : changedLinesFromPatches(raw.files);
  return { lines, source: raw.source, skippedFiles: raw.skippedFiles, fileListCapped: raw.fileListCapped };
}

/**
 * Fetch the changed lines of a pull request.
 *
 * @throws Octokit's RequestError for anything other than the too-large answer.
 */
export async function fetchPullRequestChanges(
  octokit: GitHubClient,
  ref: RepoRef & { pull_number: number },
  log: Logger = silentLogger,
): Promise<PullRequestChanges> {
  return parsePullRequestDiff(await fetchPullRequestDiff(octokit, ref, log));
}
