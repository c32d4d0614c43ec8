/**
 * The `experiment-hygiene` check run on a pull request's head commit (Checks API, github-probot.md).
 *
 * GitHub takes at most 50 annotations per request: the run is created (completed, with its conclusion) with
 * the first 50, and each further batch of 50 is appended by a `PATCH …/check-runs/{id}` carrying the same
 * title and summary (GitHub appends annotations on update). Thin adapter: knows nothing of flags.
 */
import type { GitHubClient, Logger, RepoRef } from "./types.js";
import { silentLogger } from "./types.js";

/** The check run's name, the one a branch protection rule requires. */
export const CHECK_RUN_NAME = "experiment-hygiene";

/** GitHub's limit of annotations per create/update request. */
export const MAX_ANNOTATIONS_PER_REQUEST = 50;

/** One annotation (Checks API shape; `message` and `title` are plain text, not Markdown). */
export interface CheckAnnotation {
  path: string;
  start_line: number;
  end_line: number;
  annotation_level: "notice" | "warning" | "failure";
  /** At most 255 characters. */
  title: string;
  /** At most 64 KiB. */
  message: string;
}

/** A finished check run to publish. */
export interface CheckRunContent {
  conclusion: "neutral" | "failure" | "success";
  /** Plain text, at most 255 characters. */
  title: string;
  /** Markdown, at most 65,535 characters. */
  summary: string;
  annotations: CheckAnnotation[];
  /** Link shown as "View more details" (the sticky comment). */
  detailsUrl?: string | null;
}

/** What {@link publishCheckRun} did. */
export type CheckRunResult =
  | { action: "published"; checkRunId: number; requests: number }
  /** GitHub answered 403: the App lacks `checks: write` (or the installation has not accepted it). */
  | { action: "forbidden" };

function statusOf(err: unknown): number | undefined {
  const s = (err as { status?: unknown } | null)?.status;
  return typeof s === "number" ? s : undefined;
}

/**
 * Create the completed check run on `head_sha`, then append the remaining annotations 50 at a time.
 *
 * GitHub calls: 1 `POST /repos/{owner}/{repo}/check-runs`, plus one `PATCH …/check-runs/{id}` per further
 * 50 annotations (120 annotations → 3 requests).
 *
 * @returns `published` with the run's id and the request count, or `forbidden` on HTTP 403 (nothing else is
 *   attempted; the caller keeps commenting)
 * @throws Octokit's RequestError for other GitHub failures
 */
export async function publishCheckRun(
  octokit: GitHubClient,
  ref: RepoRef & { head_sha: string },
  content: CheckRunContent,
  opts: { log?: Logger; completedAt?: Date } = {},
): Promise<CheckRunResult> {
  const log = opts.log ?? silentLogger;
  const batches: CheckAnnotation[][] = [];
  for (let i = 0; i < content.annotations.length; i += MAX_ANNOTATIONS_PER_REQUEST) {
    batches.push(content.annotations.slice(i, i + MAX_ANNOTATIONS_PER_REQUEST));
  }
  const output = (annotations: CheckAnnotation[] | undefined) => ({
    title: content.title,
    summary: content.summary,
    ...(annotations && annotations.length > 0 ? { annotations } : {}),
  });
  let id: number;
  try {
    const created = await octokit.rest.checks.create({
      owner: ref.owner,
      repo: ref.repo,
      name: CHECK_RUN_NAME,
      head_sha: ref.head_sha,
      status: "completed",
      conclusion: content.conclusion,
      ...(opts.completedAt ? { completed_at: opts.completedAt.toISOString() } : {}),
      ...(content.detailsUrl ? { details_url: content.detailsUrl } : {}),
      output: output(batches[0]),
    });
    id = created.data.id;
  } catch (err) {
    if (statusOf(err) === 403) return { action: "forbidden" };
    throw err;
  }
  for (const batch of batches.slice(1)) {
    await octokit.rest.checks.update({ owner: ref.owner, repo: ref.repo, check_run_id: id, output: output(batch) });
  }
  log.debug({ check_run_id: id, annotations: content.annotations.length, conclusion: content.conclusion }, "check run published");
  return { action: "published", checkRunId: id, requests: Math.max(1, batches.length) };
}
