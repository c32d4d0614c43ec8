/**
 * The repository's "Experiment hygiene dashboard" issue as a place to keep small stores (acknowledgements,
 * merged code changes): find it among the app's issues, rewrite its body, or create it with the labels a
 * scan would give it. Thin: what the body holds is decided by the caller's `edit` (src/pipeline/dashboard.ts).
 */
import { latestClosed, listManagedIssues, renderIssueBody, type ManagedIssue } from "./issues.js";
import type { GitHubClient, RepoRef } from "./types.js";

/** Options of {@link editDashboard}. */
export interface DashboardEdit {
  botLogin: string;
  /** The report labels (`reports.labels`); the first is the common label used to list issues. */
  labels: string[];
  /** When a new dashboard is created (its `first_seen`); only read when `initial` is set. */
  now?: Date;
  /** The app's issues when the caller already listed them (saves the listing). */
  managed?: ManagedIssue[];
  /** The new body for a dashboard body, or null to leave it as it is (nothing is written). */
  edit(body: string): string | null;
  /**
   * The text a new dashboard's body starts from (before `edit`, then wrapped by `renderIssueBody`) when the
   * repository has none; null: do not create one.
   */
  initial: string | null;
}

/** Result of {@link editDashboard}. */
export interface DashboardEditResult {
  /** The dashboard issue's number, or null when there is none (and none was created). */
  dashboardIssue: number | null;
  /** Whether the body was written (an update or a creation). */
  written: boolean;
  /** The app's issues as listed before the edit. */
  managed: ManagedIssue[];
}

/**
 * The dashboard among the app's issues (key `dashboard`), the one the reconciler keeps: the open one with
 * the lowest number (the others are closed as duplicates), else the most recently closed one (the one it
 * would reopen); undefined when there is none.
 */
export function findDashboard(managed: readonly ManagedIssue[]): ManagedIssue | undefined {
  const all = managed.filter((i) => i.key === "dashboard");
  return all.filter((i) => i.open).sort((a, b) => a.number - b.number)[0] ?? latestClosed(all);
}

/**
 * Rewrites the dashboard issue's body with `edit`. The dashboard is the app's issue with key `dashboard`,
 * open ones first, then the lowest number. GitHub calls: the managed-issue listing (paginated, unless
 * `managed` is given), then one `PATCH` of the dashboard, or one `POST` when there is none and `initial` is set.
 *
 * @throws the Octokit `RequestError` of a failed call
 */
export async function editDashboard(octokit: GitHubClient, repo: RepoRef, opts: DashboardEdit): Promise<DashboardEditResult> {
  const label = opts.labels[0] ?? "experiment-hygiene";
  const managed = opts.managed ?? (await listManagedIssues(octokit, repo, opts.botLogin, label));
  const dashboard = findDashboard(managed);
  if (dashboard) {
    const body = opts.edit(dashboard.body);
    if (body === null) return { dashboardIssue: dashboard.number, written: false, managed };
    await octokit.rest.issues.update({ ...repo, issue_number: dashboard.number, body });
    return { dashboardIssue: dashboard.number, written: true, managed };
  }
  const edited = opts.initial === null ? null : opts.edit(opts.initial);
  if (edited === null) return { dashboardIssue: null, written: false, managed };
  const body = renderIssueBody({ dedupeKey: "dashboard", body: edited }, { first_seen: (opts.now ?? new Date()).toISOString() });
  const { data } = await octokit.rest.issues.create({
    ...repo,
    title: "Experiment hygiene dashboard",
    body,
    labels: [...new Set([...opts.labels, "dashboard"])],
  });
  return { dashboardIssue: data.number, written: true, managed };
}
