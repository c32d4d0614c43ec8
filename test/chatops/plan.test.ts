/**
 * The two-step change flow of `/experiment promote|rollback`: every refusal of `buildChangePlan`, the
 * variant/conclusion/steps it chooses and its warnings; the hidden plan marker (round trip with hostile
 * names, tampered JSON); `findPendingPlan` at the edges of the 30-minute confirmation window; `canWrite`.
 */
import { describe, expect, it } from "vitest";
import {
  buildChangePlan,
  canWrite,
  CLOCK_SKEW_MS,
  CONFIRM_WINDOW_MINUTES,
  controlVariant,
  findPendingPlan,
  parsePlan,
  planMarker,
  replacePlanMarker,
  type ChangePlan,
  type PlanInput,
  type PlanResult,
  type StoredPlan,
} from "../../src/chatops/plan.js";
import type { Decision, DecisionKind } from "../../src/decision/index.js";
import type { FindingKind } from "../../src/detectors/index.js";
import { makeExperiment } from "../detectors/fixtures.js";

const NOW = new Date("2026-06-15T12:00:00Z");
const MINUTE = 60_000;

/** A decision of the rules with neutral figures; only `decision`, `variant` and `reasons` matter to a plan. */
function decision(kind: DecisionKind, variant: string | null = null, message = `rules say ${kind}`): Decision {
  return {
    decision: kind,
    variant,
    reasons: [{ rule: kind === "investigate" ? "srm" : "significant-win", message }],
    method: "bayesian",
    correction: { method: "none", comparisons: 1, alpha: null, chanceToWin: 0.95, description: "none" },
    srm: null,
    primary: null,
    guardrails: [],
    exposures: { control: 5000, test: 5000 },
    sample: null,
    minSamplePerVariant: 100,
    minSampleSource: "config",
    maxDurationDays: 30,
    maxDurationSource: "config",
    daysRunning: 14,
  };
}

function input(over: Partial<PlanInput> = {}): PlanInput {
  return {
    action: "promote",
    experiment: makeExperiment(),
    decision: decision("promote", "test"),
    openFindings: [],
    variant: null,
    disableFlag: false,
    force: false,
    requestedBy: "alice",
    now: NOW,
    ...over,
  };
}

function ok(result: PlanResult): { plan: ChangePlan; warnings: string[] } {
  if (!result.ok) throw new Error(`expected a plan, got the refusal: ${result.refusal}`);
  return result;
}

function refusal(result: PlanResult): string {
  if (result.ok) throw new Error(`expected a refusal, got a plan for ${result.plan.variant}`);
  return result.refusal;
}

describe("buildChangePlan: refusals", () => {
  it("refuses an archived experiment (even when it also looks like a draft)", () => {
    expect(refusal(buildChangePlan(input({ experiment: makeExperiment({ archived: true }) })))).toBe(
      "Experiment 42 is archived; unarchive it in PostHog first.",
    );
    expect(refusal(buildChangePlan(input({ experiment: makeExperiment({ archived: true, status: "draft", startDate: null }) })))).toMatch(
      /archived/,
    );
  });

  it("refuses a draft, by status or by a missing start date, for promote and rollback", () => {
    expect(refusal(buildChangePlan(input({ experiment: makeExperiment({ status: "draft", startDate: null }) })))).toBe(
      "Experiment 42 is a draft: it was never launched, so there is nothing to promote.",
    );
    expect(refusal(buildChangePlan(input({ action: "rollback", experiment: makeExperiment({ status: "running", startDate: null }) })))).toBe(
      "Experiment 42 is a draft: it was never launched, so there is nothing to rollback.",
    );
  });

  it("refuses promote without a variant unless the rules say promote, listing the variants", () => {
    expect(refusal(buildChangePlan(input({ decision: decision("continue") })))).toBe(
      "Name the variant to promote (the rules say continue, so there is no winner to default to): one of control, test.",
    );
    expect(refusal(buildChangePlan(input({ decision: null })))).toBe(
      "Name the variant to promote (no decision could be computed, so there is no winner to default to): one of control, test.",
    );
    // `rollback` names the worst variant, which must not be taken as the one to promote.
    expect(refusal(buildChangePlan(input({ decision: decision("rollback", "test") })))).toMatch(/^Name the variant to promote \(the rules say rollback/);
  });

  it("defaults promote to the rules' winner", () => {
    const { plan } = ok(buildChangePlan(input({ decision: decision("promote", "test") })));
    expect(plan.variant).toBe("test");
  });

  it("refuses a variant the experiment does not have", () => {
    expect(refusal(buildChangePlan(input({ variant: "tset" })))).toBe(
      'Experiment 42 has no variant "tset"; its variants are control, test.',
    );
    // Also when the rules' winner is not (or no longer) one of the variants.
    expect(refusal(buildChangePlan(input({ decision: decision("promote", "gone") })))).toMatch(/has no variant "gone"/);
  });

  it("refuses promote while the rules say investigate, quoting the first reason; --force overrides with a warning", () => {
    const investigate = decision("investigate", null, "SRM: p = 2.1e-7 < 0.001 on 10,000 exposures");
    expect(refusal(buildChangePlan(input({ decision: investigate, variant: "test" })))).toBe(
      "The rules say investigate (SRM: p = 2.1e-7 < 0.001 on 10,000 exposures). The results cannot be trusted until the cause is found; add --force to promote anyway.",
    );
    const forced = ok(buildChangePlan(input({ decision: investigate, variant: "test", force: true })));
    expect(forced.plan.force).toBe(true);
    expect(forced.plan.variant).toBe("test");
    expect(forced.warnings).toContain("Forced despite a validity threat: the results may be biased.");
  });

  it("refuses promote with open validity findings (deduplicated, singular/plural); --force overrides with a warning", () => {
    expect(refusal(buildChangePlan(input({ openFindings: ["srm"] })))).toBe(
      "Open validity finding (srm): the results cannot be trusted until it is resolved; add --force to promote anyway.",
    );
    expect(refusal(buildChangePlan(input({ openFindings: ["srm", "mutation", "srm"] })))).toBe(
      "Open validity findings (srm, mutation): the results cannot be trusted until they are resolved; add --force to promote anyway.",
    );
    for (const kind of ["contamination", "stall", "broken-metric"] as FindingKind[]) {
      expect(buildChangePlan(input({ openFindings: [kind] })).ok).toBe(false);
    }
    const forced = ok(buildChangePlan(input({ openFindings: ["srm"], force: true })));
    expect(forced.warnings).toEqual(["Forced despite a validity threat: the results may be biased."]);
  });

  it("does not block on lifecycle findings, and gives no forced warning for them", () => {
    const r = ok(buildChangePlan(input({ openFindings: ["zombie", "decided-still-running", "stale-variants"] })));
    expect(r.plan.variant).toBe("test");
    expect(r.warnings).toEqual([]);
    const forced = ok(buildChangePlan(input({ openFindings: ["zombie"], force: true })));
    expect(forced.warnings).toEqual([]);
  });

  it("refuses --disable-flag when the flag id is unknown, but not a plain ship", () => {
    const noFlag = makeExperiment({ flag: null });
    expect(refusal(buildChangePlan(input({ experiment: noFlag, disableFlag: true })))).toBe(
      'PostHog did not return the id of flag "new-checkout", so it cannot be deactivated.',
    );
    expect(refusal(buildChangePlan(input({ action: "rollback", experiment: noFlag, disableFlag: true })))).toMatch(/cannot be deactivated/);
    const shipped = ok(buildChangePlan(input({ experiment: noFlag })));
    expect(shipped.plan.flagId).toBeNull();
    expect(shipped.plan.steps).toEqual([{ kind: "ship-variant", variant: "test", conclusion: "won" }]);
  });

  it("refuses a rollback when no variant is listed (the control is unknown)", () => {
    const none = makeExperiment({ variants: [] }, { variants: [] });
    expect(refusal(buildChangePlan(input({ action: "rollback", experiment: none })))).toBe(
      "Experiment 42 lists no variants, so its control is unknown.",
    );
  });
});

describe("buildChangePlan: rollback", () => {
  it("picks control, ignores a named variant, concludes lost", () => {
    const { plan, warnings } = ok(buildChangePlan(input({ action: "rollback", decision: decision("rollback", "test"), variant: "test" })));
    expect(plan.variant).toBe("control");
    expect(plan.steps).toEqual([{ kind: "ship-variant", variant: "control", conclusion: "lost" }]);
    expect(warnings).toEqual([]);
  });

  it("takes the first variant as control when none is called control", () => {
    const e = makeExperiment({}, { variants: [{ key: "baseline", rolloutPercentage: 50 }, { key: "fast", rolloutPercentage: 50 }] });
    expect(controlVariant(e)).toBe("baseline");
    expect(ok(buildChangePlan(input({ action: "rollback", experiment: e }))).plan.variant).toBe("baseline");
    // control wins over position
    const late = makeExperiment({}, { variants: [{ key: "a", rolloutPercentage: 50 }, { key: "control", rolloutPercentage: 50 }] });
    expect(controlVariant(late)).toBe("control");
  });

  it("is never refused for SRM or investigate, without --force, and warns only about the forced bypass when forced", () => {
    const r = ok(
      buildChangePlan(input({ action: "rollback", decision: decision("investigate"), openFindings: ["srm", "contamination"] })),
    );
    expect(r.plan.variant).toBe("control");
    expect(r.plan.force).toBe(false);
    expect(r.warnings).toEqual([]);
  });

  it("warns when the rules say promote", () => {
    expect(ok(buildChangePlan(input({ action: "rollback", decision: decision("promote", "test") }))).warnings).toEqual([
      "The rules say promote test, not roll back.",
    ]);
  });
});

describe("buildChangePlan: conclusions, steps and the plan", () => {
  it("promoting a non-control variant is won; promoting control is lost", () => {
    expect(ok(buildChangePlan(input({ variant: "test" }))).plan.steps).toEqual([
      { kind: "ship-variant", variant: "test", conclusion: "won" },
    ]);
    expect(ok(buildChangePlan(input({ variant: "control" }))).plan.steps).toEqual([
      { kind: "ship-variant", variant: "control", conclusion: "lost" },
    ]);
  });

  it("--disable-flag deactivates the flag then ends the experiment with the conclusion", () => {
    const { plan } = ok(buildChangePlan(input({ variant: "test", disableFlag: true })));
    expect(plan.steps).toEqual([
      { kind: "deactivate-flag", flagId: 7 },
      { kind: "end-experiment", conclusion: "won" },
    ]);
    expect(plan.disableFlag).toBe(true);
    const rollback = ok(buildChangePlan(input({ action: "rollback", disableFlag: true }))).plan;
    expect(rollback.steps).toEqual([
      { kind: "deactivate-flag", flagId: 7 },
      { kind: "end-experiment", conclusion: "lost" },
    ]);
  });

  it("an already-ended experiment has no end step, and a warning with the end day", () => {
    const ended = makeExperiment({ status: "stopped", endDate: "2026-06-10T08:30:00Z" });
    const r = ok(buildChangePlan(input({ experiment: ended, disableFlag: true })));
    expect(r.plan.steps).toEqual([{ kind: "deactivate-flag", flagId: 7 }]);
    expect(r.warnings).toEqual(["The experiment already ended on 2026-06-10."]);
    // Shipping an ended experiment still ships (PostHog sets the split and keeps the end).
    expect(ok(buildChangePlan(input({ experiment: ended }))).plan.steps).toEqual([
      { kind: "ship-variant", variant: "test", conclusion: "won" },
    ]);
  });

  it("fills every field of the plan", () => {
    const { plan } = ok(buildChangePlan(input({ requestedBy: "bob" })));
    expect(plan).toEqual({
      action: "promote",
      experimentId: 42,
      experimentName: "New checkout",
      flagKey: "new-checkout",
      flagId: 7,
      variant: "test",
      disableFlag: false,
      force: false,
      steps: [{ kind: "ship-variant", variant: "test", conclusion: "won" }],
      requestedBy: "bob",
      requestedAt: "2026-06-15T12:00:00.000Z",
      status: "pending",
    });
  });

  it("warns when the rules say something else than promote, naming their variant when they have one", () => {
    expect(ok(buildChangePlan(input({ decision: decision("continue"), variant: "test" }))).warnings).toEqual([
      "The rules say continue, not promote.",
    ]);
    expect(ok(buildChangePlan(input({ decision: decision("extend", "test"), variant: "test" }))).warnings).toEqual([
      "The rules say extend (test), not promote.",
    ]);
    expect(ok(buildChangePlan(input({ decision: null, variant: "test" }))).warnings).toEqual([]);
  });

  it("warns when the chosen variant is not the rules' winner", () => {
    const e = makeExperiment({}, {
      variants: [
        { key: "control", rolloutPercentage: 34 },
        { key: "a", rolloutPercentage: 33 },
        { key: "b", rolloutPercentage: 33 },
      ],
    });
    const r = ok(buildChangePlan(input({ experiment: e, decision: decision("promote", "a"), variant: "b" })));
    expect(r.plan.variant).toBe("b");
    expect(r.warnings).toEqual(["The rules recommend promoting a, not b."]);
    expect(ok(buildChangePlan(input({ experiment: e, decision: decision("promote", "a"), variant: "a" }))).warnings).toEqual([]);
  });
});

function plan(over: Partial<ChangePlan> = {}): ChangePlan {
  return { ...ok(buildChangePlan(input({ variant: "test" }))).plan, ...over };
}

describe("planMarker / parsePlan / replacePlanMarker", () => {
  it("round-trips a plan whose names contain -->, <, > and --", () => {
    const hostile = plan({
      experimentName: "Checkout --> <b>bold</b> -- <!-- nested --> \\u002d ünïcødé 🚀",
      flagKey: "new--checkout->",
      requestedBy: "dash-ed--user",
    });
    const marker = planMarker(hostile);
    expect(marker.startsWith("<!-- experiment-hygiene:plan ")).toBe(true);
    expect(marker.endsWith(" -->")).toBe(true);
    const inner = marker.slice("<!-- experiment-hygiene:plan ".length, -" -->".length);
    expect(inner).not.toMatch(/--|<|>/);
    expect(inner).not.toContain("-");
    expect(parsePlan(`Plan below.\n\n${marker}\n\nReply --confirm.`)).toEqual(hostile);
  });

  it("gives null for a missing, unterminated or malformed marker", () => {
    expect(parsePlan(null)).toBeNull();
    expect(parsePlan(undefined)).toBeNull();
    expect(parsePlan("")).toBeNull();
    expect(parsePlan("no marker here")).toBeNull();
    const marker = planMarker(plan());
    expect(parsePlan(marker.slice(0, -4))).toBeNull();
    expect(parsePlan("<!-- experiment-hygiene:plan {not json} -->")).toBeNull();
    expect(parsePlan("<!-- experiment-hygiene:plan null -->")).toBeNull();
    expect(parsePlan("<!-- experiment-hygiene:plan [] -->")).toBeNull();
  });

  it("gives null for tampered fields", () => {
    const good = plan();
    const tampered: Record<string, unknown>[] = [
      { action: "delete" },
      { experimentId: "42" },
      { experimentId: 4.2 },
      { variant: 1 },
      { requestedBy: null },
      { requestedAt: "yesterday" },
      { requestedAt: 0 },
      { steps: "ship" },
      { status: "done" },
      { status: undefined },
    ];
    for (const over of tampered) {
      const json = JSON.stringify({ ...good, ...over });
      expect(parsePlan(`<!-- experiment-hygiene:plan ${json} -->`), JSON.stringify(over)).toBeNull();
    }
    // The same JSON untampered parses, so the cases above fail for the field changed.
    expect(parsePlan(`<!-- experiment-hygiene:plan ${JSON.stringify(good)} -->`)).toEqual(good);
  });

  it("replaces the marker in place, keeping the text around it", () => {
    const pending = plan();
    const body = `**Plan**\n\n${planMarker(pending)}\n\nReply with --confirm within 30 minutes.\n`;
    const executed = { ...pending, status: "executed" as const };
    const next = replacePlanMarker(body, executed);
    expect(next).toBe(`**Plan**\n\n${planMarker(executed)}\n\nReply with --confirm within 30 minutes.\n`);
    expect(parsePlan(next)?.status).toBe("executed");
  });

  it("appends the marker when the body has none (or an unterminated one)", () => {
    const p = plan({ status: "approval-requested" });
    expect(replacePlanMarker("Some reply.\n\n", p)).toBe(`Some reply.\n${planMarker(p)}\n`);
    expect(parsePlan(replacePlanMarker("Some reply.", p))).toEqual(p);
  });
});

describe("findPendingPlan", () => {
  const at = (msBeforeNow: number) => new Date(NOW.getTime() - msBeforeNow).toISOString();
  const stored = (commentId: number, over: Partial<ChangePlan>): StoredPlan => {
    const p = plan(over);
    return { commentId, body: planMarker(p), plan: p };
  };
  const WINDOW = CONFIRM_WINDOW_MINUTES * MINUTE;

  it("finds a plan exactly 30 minutes old and calls one 30 min + 1 ms old expired", () => {
    expect(CONFIRM_WINDOW_MINUTES).toBe(30);
    const edge = stored(1, { requestedAt: at(WINDOW) });
    expect(findPendingPlan([edge], "promote", 42, NOW)).toEqual({ found: edge });
    const late = stored(2, { requestedAt: at(WINDOW + 1) });
    expect(findPendingPlan([late], "promote", 42, NOW)).toEqual({ expired: late });
  });

  it("finds a plan posted at the same instant", () => {
    const now = stored(1, { requestedAt: at(0) });
    expect(findPendingPlan([now], "promote", 42, NOW)).toEqual({ found: now });
  });

  it("tolerates a minute of clock skew, and ignores plans dated further in the future", () => {
    const skewed = stored(1, { requestedAt: at(-CLOCK_SKEW_MS) });
    expect(findPendingPlan([skewed], "promote", 42, NOW)).toEqual({ found: skewed });
    const future = stored(2, { requestedAt: at(-CLOCK_SKEW_MS - 1) });
    expect(findPendingPlan([future], "promote", 42, NOW)).toEqual({ none: true });
    const fresh = stored(3, { requestedAt: at(5 * MINUTE) });
    expect(findPendingPlan([future, fresh], "promote", 42, NOW)).toEqual({ found: fresh });
  });

  it("never matches executed or approval-requested plans", () => {
    const executed = stored(1, { requestedAt: at(MINUTE), status: "executed" });
    const asked = stored(2, { requestedAt: at(MINUTE), status: "approval-requested" });
    expect(findPendingPlan([executed, asked], "promote", 42, NOW)).toEqual({ none: true });
  });

  it("the newest pending plan wins, in any input order", () => {
    const older = stored(1, { requestedAt: at(20 * MINUTE) });
    const newer = stored(2, { requestedAt: at(2 * MINUTE) });
    const executedNewest = stored(3, { requestedAt: at(MINUTE), status: "executed" });
    expect(findPendingPlan([older, newer, executedNewest], "promote", 42, NOW)).toEqual({ found: newer });
    expect(findPendingPlan([executedNewest, newer, older], "promote", 42, NOW)).toEqual({ found: newer });
  });

  it("reports the newest expired plan when none is fresh", () => {
    const old = stored(1, { requestedAt: at(3 * WINDOW) });
    const lessOld = stored(2, { requestedAt: at(2 * WINDOW) });
    expect(findPendingPlan([old, lessOld], "promote", 42, NOW)).toEqual({ expired: lessOld });
  });

  it("ignores plans of another action or experiment", () => {
    const rollback = stored(1, { requestedAt: at(MINUTE), action: "rollback" });
    const other = stored(2, { requestedAt: at(MINUTE), experimentId: 43 });
    expect(findPendingPlan([rollback, other], "promote", 42, NOW)).toEqual({ none: true });
    expect(findPendingPlan([rollback, other], "rollback", 42, NOW)).toEqual({ found: rollback });
    expect(findPendingPlan([rollback, other], "promote", 43, NOW)).toEqual({ found: other });
  });

  it("gives none for no plans", () => {
    expect(findPendingPlan([], "rollback", 42, NOW)).toEqual({ none: true });
  });
});

describe("canWrite", () => {
  it.each([
    ["admin", true],
    ["write", true],
    ["maintain", false], // GitHub reports maintain as `write` in `permission`; the raw role name is not trusted
    ["triage", false],
    ["read", false],
    ["none", false],
    ["", false],
    ["WRITE", false],
    [null, false],
    [undefined, false],
  ] as const)("%s → %s", (permission, expected) => {
    expect(canWrite(permission)).toBe(expected);
  });
});
