/**
 * Loading a pull request's changed lines from GitHub.
 *
 * First the diff endpoint (`GET /repos/{o}/{r}/pulls/{n}` with `Accept: application/vnd.github.diff`).
 * GitHub answers `406 too_large` above 300 files or 20,000 lines (github-probot.md §10); then the
 * paginated files list (`pulls.listFiles`, at most 3,000 files) and each file's `patch` are used instead.
 * Files that come without a `patch` (huge or binary) are counted as truncated.
 */
import type { RestEndpointMethodTypes } from "@octokit/rest";
import type { GitHubClient, Logger, RepoRef } from "./types.js";
import { silentLogger } from "./types.js";

/** One `pulls.listFiles` entry (`filename`, `status`, `patch` when GitHub gives the text, `changes`…). */
export type PullRequestFile = RestEndpointMethodTypes["pulls"]["listFiles"]["response"]["data"][number];

/**
 * A PR's changes as GitHub gave them, unparsed: the unified diff text, or the per-file patches of the
 * files list (the fallback). Turning them into changed lines is the caller's (`src/pipeline/pull-request-changes.ts`).
 */
export type PullRequestDiff =
  | { source: "diff"; diff: string; skippedFiles: string[]; fileListCapped: false }
  | {
      source: "files";
      files: PullRequestFile[];
      /** Files whose changes could not be read (no `patch` in the files list). */
      skippedFiles: string[];
      /** True when GitHub's 3,000-file cap on the files list may have cut the list. */
      fileListCapped: boolean;
    };

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
 * Fetch the changes of a pull request: the diff, or on GitHub's too-large answer the files list with each
 * file's patch. One `pulls.get` (diff media type), then on 406 the paginated `pulls.listFiles` (100 a page).
 *
 * @throws Octokit's RequestError for anything other than the too-large answer.
 */
export async function fetchPullRequestDiff(
  octokit: GitHubClient,
  ref: RepoRef & { pull_number: number },
  log: Logger = silentLogger,
): Promise<PullRequestDiff> {
  try {
    const res = await octokit.rest.pulls.get({ ...ref, mediaType: { format: "diff" } });
    const diff = res.data as unknown as string;
    return { source: "diff", diff, skippedFiles: [], fileListCapped: false };
  } catch (err) {
    if (!isDiffTooLarge(err)) throw err;
    log.info({ pull_number: ref.pull_number }, "diff too large for the diff endpoint; reading the files list");
  }
  const files = await octokit.paginate(octokit.rest.pulls.listFiles, { ...ref, per_page: 100 });
  const skippedFiles = files.filter((f) => !f.patch && f.changes > 0).map((f) => f.filename);
  return {
    source: "files",
    files,
    skippedFiles,
    fileListCapped: files.length >= 3000,
  };
}
