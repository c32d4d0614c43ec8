/**
 * Thin GitHub adapter for decision records: find an existing record (its pull request by branch name, or
 * its file on the default branch), open a pull request that adds files through the Git data API (blob →
 * tree → commit → ref → pull request, github-probot.md), commit a follow-up change to a record branch, and
 * comment on a record's pull request once (by hidden marker). No domain logic: callers pass paths and text.
 *
 * Permissions: `contents: write` (blobs, trees, commits, refs) and `pull_requests: write` (app.yml). A 403
 * surfaces as {@link RecordPermissionError} so the caller can fall back to the dashboard.
 */
import type { GitHubClient, RepoRef } from "./types.js";

/** GitHub refused a write for lack of permission (HTTP 403, or 404 on a write the token may not see). */
export class RecordPermissionError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = "RecordPermissionError";
  }
}

/** A record's pull request as found. */
export interface RecordPullRequest {
  number: number;
  state: "open" | "closed";
  merged: boolean;
  /** The branch's head commit. */
  headSha: string;
}

/** One file to write: repository path and UTF-8 text. */
export interface RecordFile {
  path: string;
  content: string;
}

function status(err: unknown): number | null {
  const s = (err as { status?: unknown })?.status;
  return typeof s === "number" ? s : null;
}

async function asPermission<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    const s = status(err);
    if (s === 403) throw new RecordPermissionError(`GitHub refused to ${what} (403): the app needs contents: write and pull_requests: write`, s);
    throw err;
  }
}

/**
 * The newest pull request (any state) whose head is `owner:branch` in this repository, or null.
 * One request: `GET /repos/{owner}/{repo}/pulls?head=owner:branch&state=all`.
 */
export async function findRecordPullRequest(octokit: GitHubClient, repo: RepoRef, branch: string): Promise<RecordPullRequest | null> {
  const { data } = await octokit.rest.pulls.list({ ...repo, head: `${repo.owner}:${branch}`, state: "all", per_page: 10 });
  const pr = [...data].sort((a, b) => b.number - a.number)[0];
  if (!pr) return null;
  return { number: pr.number, state: pr.state === "open" ? "open" : "closed", merged: !!pr.merged_at, headSha: pr.head.sha };
}

/** The repository's default branch (`GET /repos/{owner}/{repo}`). */
export async function defaultBranch(octokit: GitHubClient, repo: RepoRef): Promise<string> {
  const { data } = await octokit.rest.repos.get({ owner: repo.owner, repo: repo.repo });
  return data.default_branch;
}

/**
 * A file's UTF-8 text at `ref` (`GET /repos/{owner}/{repo}/contents/{path}?ref=`), or null on 404.
 * @throws Octokit's RequestError for anything else
 */
export async function readFile(octokit: GitHubClient, repo: RepoRef, path: string, ref: string): Promise<string | null> {
  try {
    const { data } = await octokit.rest.repos.getContent({ ...repo, path, ref });
    if (Array.isArray(data) || data.type !== "file" || typeof (data as { content?: unknown }).content !== "string") return null;
    return Buffer.from((data as { content: string }).content, "base64").toString("utf8");
  } catch (err) {
    if (status(err) === 404) return null;
    throw err;
  }
}

/**
 * The names of the files in a folder at `ref` (`GET …/contents/{folder}`), empty when the folder does not
 * exist. @throws Octokit's RequestError other than 404
 */
export async function listFolder(octokit: GitHubClient, repo: RepoRef, folder: string, ref: string): Promise<string[]> {
  try {
    const { data } = await octokit.rest.repos.getContent({ ...repo, path: folder, ref });
    return Array.isArray(data) ? data.filter((f) => f.type === "file").map((f) => f.name) : [];
  } catch (err) {
    if (status(err) === 404) return [];
    throw err;
  }
}

/** Blob → tree → commit on top of `parentSha`; returns the new commit's sha. */
async function commitFiles(octokit: GitHubClient, repo: RepoRef, parentSha: string, files: RecordFile[], message: string): Promise<string> {
  const { data: parent } = await octokit.rest.git.getCommit({ ...repo, commit_sha: parentSha });
  const tree: { path: string; mode: "100644"; type: "blob"; sha: string }[] = [];
  for (const f of files) {
    const { data: blob } = await asPermission("create a blob", () => octokit.rest.git.createBlob({ ...repo, content: f.content, encoding: "utf-8" }));
    tree.push({ path: f.path, mode: "100644", type: "blob", sha: blob.sha });
  }
  const { data: newTree } = await asPermission("create a tree", () => octokit.rest.git.createTree({ ...repo, base_tree: parent.tree.sha, tree }));
  const { data: commit } = await asPermission("create a commit", () =>
    octokit.rest.git.createCommit({ ...repo, message, tree: newTree.sha, parents: [parentSha] }),
  );
  return commit.sha;
}

/**
 * Opens a pull request adding/updating `files` on a new branch `branch` from the tip of `base`:
 * `GET git/ref/heads/<base>`, `GET git/commits/<sha>`, `POST git/blobs` per file, `POST git/trees`
 * (base_tree), `POST git/commits`, `POST git/refs`, `POST pulls`.
 *
 * When the branch already exists (422 from `POST git/refs`, e.g. an earlier run stopped before the pull
 * request), the pull request is opened from the existing branch; when the pull request already exists
 * (422 from `POST pulls`, an overlapping run), its number is returned.
 *
 * @returns the pull request's number
 * @throws RecordPermissionError on a 403; Octokit's RequestError otherwise
 */
export async function openRecordPullRequest(
  octokit: GitHubClient,
  repo: RepoRef,
  opts: { base: string; branch: string; files: RecordFile[]; message: string; title: string; body: string },
): Promise<number> {
  const { data: ref } = await octokit.rest.git.getRef({ ...repo, ref: `heads/${opts.base}` });
  const sha = await commitFiles(octokit, repo, ref.object.sha, opts.files, opts.message);
  try {
    await asPermission("create a branch", () => octokit.rest.git.createRef({ ...repo, ref: `refs/heads/${opts.branch}`, sha }));
  } catch (err) {
    if (status(err) !== 422) throw err;
  }
  try {
    const { data: pr } = await asPermission("open a pull request", () =>
      octokit.rest.pulls.create({ ...repo, title: opts.title, head: opts.branch, base: opts.base, body: opts.body, maintainer_can_modify: true }),
    );
    return pr.number;
  } catch (err) {
    // 422 "A pull request already exists": an overlapping run opened it a moment ago.
    if (status(err) !== 422) throw err;
    const existing = await findRecordPullRequest(octokit, repo, opts.branch);
    if (!existing) throw err;
    return existing.number;
  }
}

/**
 * Commits `files` on top of the branch's head and moves the branch (`PATCH git/refs/heads/<branch>`, not
 * forced): a follow-up commit to an open record pull request.
 * @throws RecordPermissionError on a 403; Octokit's RequestError otherwise (422 when the branch moved meanwhile)
 */
export async function commitToBranch(
  octokit: GitHubClient,
  repo: RepoRef,
  opts: { branch: string; files: RecordFile[]; message: string },
): Promise<string> {
  const { data: ref } = await octokit.rest.git.getRef({ ...repo, ref: `heads/${opts.branch}` });
  const sha = await commitFiles(octokit, repo, ref.object.sha, opts.files, opts.message);
  await asPermission("update the branch", () => octokit.rest.git.updateRef({ ...repo, ref: `heads/${opts.branch}`, sha, force: false }));
  return sha;
}

/**
 * Posts `body` on the pull request unless a comment by `botLogin` already contains `markerText`.
 * @returns true when posted, false when it was already there
 */
export async function commentOnce(
  octokit: GitHubClient,
  repo: RepoRef,
  opts: { issueNumber: number; botLogin: string; markerText: string; body: string },
): Promise<boolean> {
  const comments = await octokit.paginate(octokit.rest.issues.listComments, { ...repo, issue_number: opts.issueNumber, per_page: 100 });
  const login = opts.botLogin.toLowerCase();
  if (comments.some((c) => (c.user?.login ?? "").toLowerCase() === login && (c.body ?? "").includes(opts.markerText))) return false;
  await octokit.rest.issues.createComment({ ...repo, issue_number: opts.issueNumber, body: opts.body });
  return true;
}
