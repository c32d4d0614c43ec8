/**
 * Writes a merged pull request into the code-change store of the repository's dashboard issue
 * (`src/pipeline/code-changes.ts`), creating the dashboard when there is none, as `/experiment ack` does.
 * Thin adapter: which experiments the PR concerns is decided by the caller.
 */
import { listManagedIssues, renderIssueBody, type ManagedIssue } from "./issues.js";
import type { GitHubClient, RepoRef } from "./types.js";
import { parseCodeChanges, recordCodeChange, withCodeChangesMarker, type CodeChange } from "../pipeline/code-changes.js";

/**
 * Adds `change` to each experiment's entry in the dashboard's `experiment-hygiene:code-changes` marker.
 *
 * GitHub calls: the managed-issue listing (paginated), then one `PATCH` of the dashboard, or one `POST` when
 * the repository has no dashboard yet. Nothing is written when the store would not change (a redelivery).
 *
 * @param labels the report labels (`reports.labels`); the first is the common label used to list issues
 * @returns the dashboard issue number and whether it was written
 * @throws the Octokit `RequestError` of a failed call
 */
export async function recordCodeChangeInDashboard(
  octokit: GitHubClient,
  repo: RepoRef,
  opts: {
    botLogin: string;
    labels: string[];
    experiments: { id: number; flagKey: string }[];
    change: Omit<CodeChange, "flag_key">;
    now: Date;
    managed?: ManagedIssue[];
  },
): Promise<{ dashboardIssue: number; written: boolean }> {
  const label = opts.labels[0] ?? "experiment-hygiene";
  const managed = opts.managed ?? (await listManagedIssues(octokit, repo, opts.botLogin, label));
  const dashboard = managed
    .filter((i) => i.key === "dashboard")
    .sort((a, b) => Number(b.open) - Number(a.open) || a.number - b.number)[0];
  const before = parseCodeChanges(dashboard?.body);
  const after = recordCodeChange(before, opts.experiments, opts.change);
  if (dashboard) {
    const body = withCodeChangesMarker(dashboard.body, after);
    if (body === dashboard.body) return { dashboardIssue: dashboard.number, written: false };
    await octokit.rest.issues.update({ ...repo, issue_number: dashboard.number, body });
    return { dashboardIssue: dashboard.number, written: true };
  }
  const body = renderIssueBody(
    {
      dedupeKey: "dashboard",
      body: withCodeChangesMarker("No lifecycle findings yet. Merged changes to running experiments' code are recorded here for the next scan.\n", after),
    },
    { first_seen: opts.now.toISOString() },
  );
  const { data } = await octokit.rest.issues.create({
    ...repo,
    title: "Experiment hygiene dashboard",
    body,
    labels: [...new Set([...opts.labels, "dashboard"])],
  });
  return { dashboardIssue: data.number, written: true };
}
