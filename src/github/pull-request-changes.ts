/**
 * Loading a pull request's changed lines from GitHub.
 *
 * First the diff endpoint (`GET /repos/{o}/{r}/pulls/{n}` with `Accept: application/vnd.github.diff`).
 * GitHub answers `406 too_large` above 300 files or 20,000 lines (github-probot.md §10); then the
 * paginated files list (`pulls.listFiles`, at most 3,000 files) and each file's `patch` are used instead.
 * Files that come without a `patch` (huge or binary) are counted as truncated.
 */
import { changedLinesFromDiff, changedLinesFromPatches, type ChangedLine } from "../matching/index.js";
import type { GitHubClient, Logger, RepoRef } from "./types.js";
import { silentLogger } from "./types.js";

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

/** Octokit's RequestError, structurally. */
interface HttpError {
  status?: number;
  response?: { data?: unknown };
  message?: string;
}

/** True for GitHub's "diff too large" answer (406, or 422 with `too_large` on some GHES versions). */
export function isDiffTooLarge(err: unknown): boolean {
  const e = err as HttpError;
  if (e?.status !== 406 && e?.status !== 422) return false;
  const text = JSON.stringify(e.response?.data ?? "") + String(e.message ?? "");
  return e.status === 406 || /too_large|too large/i.test(text);
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
  try {
    const res = await octokit.rest.pulls.get({ ...ref, mediaType: { format: "diff" } });
    const diff = res.data as unknown as string;
    return { lines: changedLinesFromDiff(diff), source: "diff", skippedFiles: [], fileListCapped: false };
  } catch (err) {
    if (!isDiffTooLarge(err)) throw err;
    log.info({ pull_number: ref.pull_number }, "diff too large for the diff endpoint; reading the files list");
  }
  const files = await octokit.paginate(octokit.rest.pulls.listFiles, { ...ref, per_page: 100 });
  const skippedFiles = files.filter((f) => !f.patch && f.changes > 0).map((f) => f.filename);
  return {
    lines: changedLinesFromPatches(files),
    source: "files",
    skippedFiles,
    fileListCapped: files.length >= 3000,
  };
}
