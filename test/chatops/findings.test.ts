/**
 * An experiment's open findings as the scheduled reports left them in GitHub: open validity issues keyed
 * `experiment:<id>:<kind>`, lifecycle findings listed in the dashboard's findings marker, and the
 * acknowledgements stored there (snoozes in force vs expired).
 */
import { describe, expect, it } from "vitest";
import { findingsForExperiment } from "../../src/chatops/findings.js";
import { renderIssueBody, type ManagedIssue } from "../../src/github/issues.js";
import { acknowledgementsMarker, type Acknowledgement, type AcknowledgementStore } from "../../src/pipeline/acknowledgements.js";
import { parseDashboardKeys } from "../../src/pipeline/scan-plan.js";

const NOW = new Date("2026-06-15T12:00:00Z");

function issue(number: number, key: string, open: boolean, markdown = "Body."): ManagedIssue {
  return {
    number,
    key,
    title: `Issue ${key}`,
    body: renderIssueBody({ dedupeKey: key, body: markdown }, { first_seen: "2026-06-01T00:00:00Z" }),
    open,
    createdAt: "2026-06-01T00:00:00Z",
    closedAt: open ? null : "2026-06-10T00:00:00Z",
    state: { first_seen: "2026-06-01T00:00:00Z" },
  };
}

/** A dashboard issue listing lifecycle keys (as `planRepositoryIssues` writes them) and an acks store. */
function dashboard(number: number, keys: string[], acks: AcknowledgementStore = new Map(), open = true): ManagedIssue {
  const markdown = [
    "No lifecycle findings.",
    ...(acks.size > 0 ? [acknowledgementsMarker(acks)] : []),
    `<!-- experiment-hygiene:findings ${keys.join(" ")} -->`,
  ].join("\n");
  return issue(number, "dashboard", open, markdown);
}

const ack = (over: Partial<Acknowledgement> = {}): Acknowledgement => ({
  kind: "ack",
  by: "alice",
  at: "2026-06-14T09:00:00.000Z",
  until: null,
  reason: "known bot traffic",
  ...over,
});
const snooze = (until: string): Acknowledgement => ({ kind: "snooze", by: "bob", at: "2026-06-10T00:00:00.000Z", until, reason: null });

describe("findingsForExperiment", () => {
  it("lists the experiment's open validity issues, not closed ones or other experiments'", () => {
    const managed = [
      issue(11, "experiment:42:srm", true),
      issue(12, "experiment:42:contamination", false),
      issue(13, "experiment:43:srm", true),
      issue(14, "experiment:420:stall", true),
      issue(15, "experiment:42:not-a-kind", true),
    ];
    expect(findingsForExperiment(managed, 42, NOW)).toEqual({
      open: [{ kind: "srm", issueNumber: 11, dashboardIssue: null }],
      acknowledged: [],
    });
  });

  it("adds the lifecycle findings the open dashboard lists for the experiment", () => {
    const keys = ["experiment:42:zombie", "experiment:42:decided-still-running", "experiment:43:stale-variants"];
    const body = dashboard(5, keys);
    expect([...parseDashboardKeys(body.body)]).toEqual(keys); // the format the scan writes
    const r = findingsForExperiment([issue(11, "experiment:42:mutation", true), body], 42, NOW);
    expect(r.open).toEqual([
      { kind: "mutation", issueNumber: 11, dashboardIssue: null },
      { kind: "zombie", issueNumber: null, dashboardIssue: 5 },
      { kind: "decided-still-running", issueNumber: null, dashboardIssue: 5 },
    ]);
    expect(findingsForExperiment([body], 43, NOW).open).toEqual([{ kind: "stale-variants", issueNumber: null, dashboardIssue: 5 }]);
  });

  it("does not list a kind twice when it has its own issue and a dashboard entry", () => {
    const r = findingsForExperiment([issue(11, "experiment:42:srm", true), dashboard(5, ["experiment:42:srm"])], 42, NOW);
    expect(r.open).toEqual([{ kind: "srm", issueNumber: 11, dashboardIssue: null }]);
  });

  it("ignores the lifecycle keys of a closed dashboard and prefers the open one", () => {
    const closed = dashboard(3, ["experiment:42:zombie"], new Map(), false);
    expect(findingsForExperiment([closed], 42, NOW).open).toEqual([]);
    const open = dashboard(9, ["experiment:42:stale-variants"]);
    expect(findingsForExperiment([closed, open], 42, NOW).open).toEqual([
      { kind: "stale-variants", issueNumber: null, dashboardIssue: 9 },
    ]);
  });

  it("reads the dashboard with the lowest number when several are open", () => {
    const first = dashboard(4, ["experiment:42:zombie"]);
    const second = dashboard(8, ["experiment:42:stale-variants"]);
    expect(findingsForExperiment([second, first], 42, NOW).open).toEqual([{ kind: "zombie", issueNumber: null, dashboardIssue: 4 }]);
  });

  it("ignores unknown kinds in the dashboard keys", () => {
    expect(findingsForExperiment([dashboard(5, ["experiment:42:bogus", "dashboard", "experiment:x:zombie"])], 42, NOW).open).toEqual([]);
  });

  it("gives nothing when the repository has no managed issues", () => {
    expect(findingsForExperiment([], 42, NOW)).toEqual({ open: [], acknowledged: [] });
  });

  it("lists acknowledgements and snoozes in force, not expired snoozes or other experiments'", () => {
    const store: AcknowledgementStore = new Map([
      ["experiment:42:srm", ack()],
      ["experiment:42:zombie", snooze("2026-06-20T00:00:00.000Z")],
      ["experiment:42:stall", snooze("2026-06-15T12:00:00.000Z")], // ends exactly now: expired (until is exclusive)
      ["experiment:42:mutation", snooze("2026-06-01T00:00:00.000Z")],
      ["experiment:43:srm", ack({ by: "carol" })],
    ]);
    const r = findingsForExperiment([dashboard(5, [], store)], 42, NOW);
    expect(r.acknowledged).toEqual([
      { kind: "srm", acknowledgement: ack() },
      { kind: "zombie", acknowledgement: snooze("2026-06-20T00:00:00.000Z") },
    ]);
    expect(findingsForExperiment([dashboard(5, [], store)], 43, NOW).acknowledged).toEqual([
      { kind: "srm", acknowledgement: ack({ by: "carol" }) },
    ]);
  });

  it("a snooze stops counting once its end passes", () => {
    const store: AcknowledgementStore = new Map([["experiment:42:zombie", snooze("2026-06-20T00:00:00.000Z")]]);
    const managed = [dashboard(5, [], store)];
    expect(findingsForExperiment(managed, 42, new Date("2026-06-19T23:59:59.999Z")).acknowledged).toHaveLength(1);
    expect(findingsForExperiment(managed, 42, new Date("2026-06-20T00:00:00.000Z")).acknowledged).toEqual([]);
  });

  it("reports an acknowledged finding whose issue is still open under both lists", () => {
    const store: AcknowledgementStore = new Map([["experiment:42:srm", ack()]]);
    const r = findingsForExperiment([issue(11, "experiment:42:srm", true), dashboard(5, [], store)], 42, NOW);
    expect(r.open).toEqual([{ kind: "srm", issueNumber: 11, dashboardIssue: null }]);
    expect(r.acknowledged.map((a) => a.kind)).toEqual(["srm"]);
  });

  it("ignores acknowledgements pasted into a finding issue (only the dashboard holds the store)", () => {
    const store: AcknowledgementStore = new Map([["experiment:42:srm", ack()]]);
    const pasted = issue(11, "experiment:42:srm", true, `Body.\n${acknowledgementsMarker(store)}`);
    expect(findingsForExperiment([pasted], 42, NOW).acknowledged).toEqual([]);
  });
});
