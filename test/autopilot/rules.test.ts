/**
 * The autopilot's pure rules: which decisions it acts on, what blocks it, and the two-evaluation
 * confirmation (announce → wait → act → done; any miss or blocker starts over).
 */
import { describe, expect, it } from "vitest";
import {
  autopilotBlockers,
  autopilotCondition,
  nextAutopilotStep,
  parseAutopilotState,
  autopilotStateMarker,
  type AutopilotCondition,
} from "../../src/autopilot/rules.js";
import { DEFAULT_CONFIG } from "../../src/config/schema.js";
import type { Decision, Reason } from "../../src/decision/index.js";
import type { AcknowledgementStore } from "../../src/pipeline/acknowledgements.js";
import { NOW, daysBeforeNow, experiment } from "../decision/builders.js";

const H = 3_600_000;
const ON = { ...DEFAULT_CONFIG.autopilot, rollback: true, promote: true, expire: true };

function decision(kind: Decision["decision"], reasons: Reason[], over: Partial<Decision> = {}): Decision {
  return {
    decision: kind,
    variant: kind === "promote" ? "test" : kind === "rollback" ? "test" : null,
    reasons,
    method: "frequentist",
    correction: { method: "bonferroni", comparisons: 1, alpha: 0.05, chanceToWin: null, description: "" },
    srm: null,
    primary: null,
    guardrails: [],
    exposures: {},
    sample: null,
    minSamplePerVariant: 1000,
    minSampleSource: "config",
    maxDurationDays: 14,
    maxDurationSource: "config",
    daysRunning: 10,
    ...over,
  };
}

const running = () => experiment({ startDate: daysBeforeNow(10), endDate: null, status: "running" });
const regression: Reason = { rule: "guardrail-regression", message: "Guardrail Latency is 15% worse for test" };

describe("autopilotCondition", () => {
  it("rolls back to control on a guardrail regression, with always-valid inference", () => {
    const r = autopilotCondition({ config: ON, sequential: true, experiment: running(), decision: decision("rollback", [regression]), now: NOW });
    expect(r.condition).toMatchObject({ kind: "rollback", variant: "control", conclusion: "lost", steps: [{ kind: "ship-variant", variant: "control", conclusion: "lost" }] });
    expect(r.condition!.reasons).toEqual(["Guardrail Latency is 15% worse for test"]);
  });

  it("refuses to act with fixed-horizon inference and says why", () => {
    const r = autopilotCondition({ config: ON, sequential: false, experiment: running(), decision: decision("rollback", [regression]), now: NOW });
    expect(r.condition).toBeNull();
    expect("refusal" in r && r.refusal).toMatch(/decision.sequential is false/);
  });

  it("does nothing when the action is not opted in, or the experiment already ended", () => {
    const off = { ...ON, rollback: false };
    expect(autopilotCondition({ config: off, sequential: true, experiment: running(), decision: decision("rollback", [regression]), now: NOW }).condition).toBeNull();
    const ended = experiment({ startDate: daysBeforeNow(10), endDate: daysBeforeNow(1), status: "stopped" });
    expect(autopilotCondition({ config: ON, sequential: true, experiment: ended, decision: decision("rollback", [regression]), now: NOW }).condition).toBeNull();
  });

  it("promotes the rules' winner with conclusion won", () => {
    const r = autopilotCondition({ config: ON, sequential: true, experiment: running(), decision: decision("promote", [{ rule: "significant-win", message: "test wins" }]), now: NOW });
    expect(r.condition).toMatchObject({ kind: "promote", variant: "test", conclusion: "won" });
  });

  it("expires only past the maximum duration plus expire_after_days, ending as inconclusive", () => {
    const at = (days: number) =>
      autopilotCondition({ config: ON, sequential: true, experiment: running(), decision: decision("extend", [], { daysRunning: days }), now: NOW }).condition;
    expect(at(14 + 7)).toBeNull();
    expect(at(14 + 7.5)).toMatchObject({ kind: "expire", variant: null, conclusion: "inconclusive", steps: [{ kind: "end-experiment", conclusion: "inconclusive" }] });
  });
});

describe("autopilotBlockers", () => {
  const acks: AcknowledgementStore = new Map([
    ["experiment:7:autopilot", { kind: "ack", by: "octocat", at: NOW.toISOString(), until: null, reason: "autopilot off" }],
    ["experiment:8:zombie", { kind: "snooze", by: "hubot", at: NOW.toISOString(), until: new Date(NOW.getTime() + 48 * H).toISOString(), reason: null }],
  ]);
  it("an open SRM finding blocks (acknowledged or not)", () => {
    expect(autopilotBlockers({ experimentId: 1, kind: "rollback", findingKinds: ["srm", "zombie"], acknowledgements: new Map(), now: NOW })).toEqual([
      "open validity finding: srm",
    ]);
  });
  it("a pause blocks every action; a zombie snooze blocks expiry only", () => {
    expect(autopilotBlockers({ experimentId: 7, kind: "promote", findingKinds: [], acknowledgements: acks, now: NOW })[0]).toMatch(/autopilot is off .*octocat/);
    expect(autopilotBlockers({ experimentId: 8, kind: "expire", findingKinds: [], acknowledgements: acks, now: NOW })).toEqual(["zombie is snoozed by @hubot until 2026-03-17"]);
    expect(autopilotBlockers({ experimentId: 8, kind: "rollback", findingKinds: [], acknowledgements: acks, now: NOW })).toEqual([]);
    const later = new Date(NOW.getTime() + 72 * H);
    expect(autopilotBlockers({ experimentId: 8, kind: "expire", findingKinds: [], acknowledgements: acks, now: later })).toEqual([]);
  });
});

describe("nextAutopilotStep", () => {
  const cond: AutopilotCondition = { kind: "rollback", variant: "control", conclusion: "lost", steps: [], reasons: ["r"] };
  const at = (h: number) => new Date(NOW.getTime() + h * H);

  it("announces, waits until confirm_after_hours, then acts once", () => {
    const a = nextAutopilotStep(null, 5, cond, [], at(0), 6);
    expect(a.step).toBe("announce");
    const early = nextAutopilotStep(a.state as any, 5, cond, [], at(3), 6);
    expect(early).toMatchObject({ step: "wait", state: { evaluations: 2 } });
    const act = nextAutopilotStep(early.state as any, 5, cond, [], at(6), 6);
    expect(act).toMatchObject({ step: "act", state: { evaluations: 3, firstSeen: at(0).toISOString() } });
    const done = nextAutopilotStep({ ...act.state!, status: "done", doneAt: at(6).toISOString() }, 5, cond, [], at(12), 6);
    expect(done.step).toBe("done");
  });

  it("a redelivery at the same instant is not a second evaluation", () => {
    const a = nextAutopilotStep(null, 5, cond, [], at(0), 1);
    expect(nextAutopilotStep(a.state as any, 5, cond, [], at(0), 0.000001).step).toBe("wait");
  });

  it("a miss, a blocker or another variant starts over", () => {
    const a = nextAutopilotStep(null, 5, cond, [], at(0), 6);
    expect(nextAutopilotStep(a.state as any, 5, null, [], at(7), 6)).toEqual({ step: "none", state: null });
    expect(nextAutopilotStep(a.state as any, 5, cond, ["open validity finding: srm"], at(7), 6)).toEqual({ step: "none", state: null });
    expect(nextAutopilotStep(a.state as any, 5, { ...cond, kind: "promote", variant: "test" }, [], at(7), 6).step).toBe("announce");
  });

  it("the state survives its hidden marker; a broken marker reads as none", () => {
    const a = nextAutopilotStep(null, 5, cond, [], at(0), 6);
    expect(parseAutopilotState(`text\n${autopilotStateMarker(a.state!)}\n`)).toEqual(a.state);
    expect(parseAutopilotState("<!-- experiment-hygiene:autopilot {\"kind\":\"nuke\"} -->")).toBeNull();
  });
});
