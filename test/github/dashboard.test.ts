import { describe, expect, it } from "vitest";
import { findDashboard } from "../../src/github/dashboard.js";
import type { ManagedIssue } from "../../src/github/issues.js";

const issue = (over: Partial<ManagedIssue>): ManagedIssue => ({
  number: 1,
  key: "dashboard",
  title: "Experiment hygiene dashboard",
  body: "",
  open: true,
  createdAt: "2026-11-01T00:00:00Z",
  closedAt: null,
  state: null,
  ...over,
});

describe("findDashboard picks the dashboard the reconciler keeps", () => {
  it("the open one with the lowest number when a race left two open (the other is closed as a duplicate)", () => {
    const found = findDashboard([issue({ number: 9 }), issue({ number: 4 }), issue({ number: 2, key: "experiment:7:srm" })]);
    expect(found?.number).toBe(4);
  });

  it("with none open, the most recently closed one that was not closed as a duplicate", () => {
    const found = findDashboard([
      issue({ number: 3, open: false, closedAt: "2026-11-10T00:00:00Z" }),
      issue({ number: 8, open: false, closedAt: "2026-11-20T00:00:00Z", state: { duplicate_of: 3 } as ManagedIssue["state"] }),
      issue({ number: 5, open: false, closedAt: "2026-11-15T00:00:00Z" }),
    ]);
    expect(found?.number).toBe(5);
  });

  it("none when the repository has no dashboard", () => {
    expect(findDashboard([issue({ key: "experiment:7:srm" })])).toBeUndefined();
  });
});
