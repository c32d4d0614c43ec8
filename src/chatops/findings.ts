/**
 * An experiment's open hygiene findings as the scheduled reports left them in GitHub: open issues keyed
 * `experiment:<id>:<kind>`, lifecycle findings listed in the dashboard, and the acknowledgements stored
 * there. Pure: works on the managed issues the caller listed.
 */
import type { FindingKind } from "../detectors/index.js";
import { findDashboard } from "../github/dashboard.js";
import type { ManagedIssue } from "../github/issues.js";
import {
  acknowledgementFor,
  findingKey,
  parseAcknowledgements,
  parseFindingKey,
  type Acknowledgement,
} from "../pipeline/acknowledgements.js";
import { parseDashboardKeys } from "../pipeline/scan-plan.js";

/** One finding the reports currently show (or hold back) for an experiment. */
export interface OpenFinding {
  kind: FindingKind;
  /** The finding's own issue (validity findings); null for a dashboard entry. */
  issueNumber: number | null;
  /** The dashboard issue listing it (lifecycle findings); null otherwise. */
  dashboardIssue: number | null;
}

/** What the reports know about one experiment. */
export interface ExperimentFindings {
  open: OpenFinding[];
  /** Acknowledgements and snoozes in force, by finding kind. */
  acknowledged: { kind: FindingKind; acknowledgement: Acknowledgement }[];
}

/**
 * The open findings and acknowledgements of one experiment.
 *
 * @param managed the app's issues ({@link listManagedIssues})
 * @param experimentId the PostHog experiment id
 * @param now to tell snoozes in force from expired ones
 */
export function findingsForExperiment(managed: ManagedIssue[], experimentId: number, now: Date): ExperimentFindings {
  const open: OpenFinding[] = [];
  for (const issue of managed) {
    if (!issue.open) continue;
    const k = parseFindingKey(issue.key);
    if (k && k.experimentId === experimentId) open.push({ kind: k.kind, issueNumber: issue.number, dashboardIssue: null });
  }
  const dashboard = findDashboard(managed);
  if (dashboard?.open) {
    for (const key of parseDashboardKeys(dashboard.body)) {
      const k = parseFindingKey(key);
      if (k && k.experimentId === experimentId && !open.some((o) => o.kind === k.kind)) {
        open.push({ kind: k.kind, issueNumber: null, dashboardIssue: dashboard.number });
      }
    }
  }
  const store = parseAcknowledgements(dashboard?.body);
  const acknowledged: ExperimentFindings["acknowledged"] = [];
  for (const [key] of store) {
    const k = parseFindingKey(key);
    if (!k || k.experimentId !== experimentId) continue;
    const ack = acknowledgementFor(store, findingKey(experimentId, k.kind), now);
    if (ack) acknowledged.push({ kind: k.kind, acknowledgement: ack });
  }
  return { open, acknowledged };
}
