/**
 * The stores kept in the repository's dashboard issue, read and written over GitHub: acknowledgements and
 * autopilot pauses (`/experiment ack|snooze|autopilot`, src/pipeline/acknowledgements.ts) and merged code
 * changes (the `pull_request.closed` handler, src/pipeline/code-changes.ts). The pure store functions decide
 * the body; `editDashboard` (src/github/dashboard.ts) finds, rewrites or creates the issue.
 */
import { editDashboard } from "../github/dashboard.js";
import { closeManagedIssue, type ManagedIssue } from "../github/issues.js";
import type { GitHubClient, RepoRef } from "../github/types.js";
import { parseAcknowledgements, withAcknowledgementsMarker, type Acknowledgement } from "./acknowledgements.js";
import { parseCodeChanges, recordCodeChange, withCodeChangesMarker, type CodeChange } from "./code-changes.js";

/** Result of {@link recordAcknowledgement}. */
export interface AcknowledgementWrite {
  /** The dashboard issue holding the store. */
  dashboardIssue: number;
  /** Open issues of the finding that were closed at once. */
  closedIssues: number[];
}

/**
 * Stores an acknowledgement in the dashboard issue (created when the repository has none yet, with the
 * labels a scan would give it) and closes the finding's open issue at once with `closeComment`. The next
 * scan keeps the entry, leaves the finding out and drops the entry once it expires or the experiment ends.
 *
 * @param key the finding's dedupe key `experiment:<id>:<kind>`
 * @param labels the report labels (`reports.labels`); the first is the common label used to list issues
 * @throws the Octokit `RequestError` of a failed call
 */
export async function recordAcknowledgement(
  octokit: GitHubClient,
  repo: RepoRef,
  opts: {
    botLogin: string;
    labels: string[];
    key: string;
    ack: Acknowledgement;
    closeComment: string;
    now: Date;
    managed?: ManagedIssue[];
  },
): Promise<AcknowledgementWrite> {
  const written = await editDashboard(octokit, repo, {
    botLogin: opts.botLogin,
    labels: opts.labels,
    now: opts.now,
    ...(opts.managed ? { managed: opts.managed } : {}),
    edit: (body) => {
      const store = parseAcknowledgements(body);
      store.set(opts.key, opts.ack);
      return withAcknowledgementsMarker(body, store);
    },
    initial: "No lifecycle findings yet. Acknowledged and snoozed findings are listed here after the next scan.\n",
  });
  const closedIssues: number[] = [];
  for (const issue of written.managed.filter((i) => i.key === opts.key && i.open)) {
    await closeManagedIssue(octokit, repo, issue, opts.closeComment, opts.now);
    closedIssues.push(issue.number);
  }
  return { dashboardIssue: written.dashboardIssue!, closedIssues };
}

/**
 * Removes an entry from the acknowledgement store in the dashboard issue (`/experiment autopilot on`).
 *
 * @returns the dashboard issue's number when an entry was removed, else null (nothing written)
 * @throws the Octokit `RequestError` of a failed call
 */
export async function removeAcknowledgement(
  octokit: GitHubClient,
  repo: RepoRef,
  opts: { botLogin: string; labels: string[]; key: string },
): Promise<number | null> {
  const written = await editDashboard(octokit, repo, {
    botLogin: opts.botLogin,
    labels: opts.labels,
    edit: (body) => {
      const store = parseAcknowledgements(body);
      return store.delete(opts.key) ? withAcknowledgementsMarker(body, store) : null;
    },
    initial: null,
  });
  return written.written ? written.dashboardIssue : null;
}

/**
 * Adds `change` to each experiment's entry in the dashboard's `experiment-hygiene:code-changes` marker,
 * creating the dashboard when there is none, as `/experiment ack` does. Which experiments the PR concerns
 * is decided by the caller.
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
  const written = await editDashboard(octokit, repo, {
    botLogin: opts.botLogin,
    labels: opts.labels,
    now: opts.now,
    ...(opts.managed ? { managed: opts.managed } : {}),
    edit: (body) => {
      const next = withCodeChangesMarker(body, recordCodeChange(parseCodeChanges(body), opts.experiments, opts.change));
      return next === body ? null : next;
    },
    initial: "No lifecycle findings yet. Merged changes to running experiments' code are recorded here for the next scan.\n",
  });
  return { dashboardIssue: written.dashboardIssue!, written: written.written };
}
