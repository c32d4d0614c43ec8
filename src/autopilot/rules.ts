/**
 * Autopilot rules (docs/autopilot.md): when the app may roll back, promote or expire an experiment on its
 * own, and the two-evaluation confirmation. Pure: no I/O. The scan (src/pipeline/autopilot.ts) feeds it the
 * fresh decision, the scan's findings and the acknowledgement store, and performs what it returns.
 *
 * Safety rules, all required before a write:
 * - the repository opted in (`autopilot.rollback|promote|expire`) and the operator allows writes
 *   (`POSTHOG_ALLOW_WRITES=true`);
 * - rollback and promote: the decision comes from always-valid inference (`decision.sequential: true`;
 *   with fixed-horizon tests a daily look inflates false decisions, docs/statistics.md), and rollback only
 *   on a primary or guardrail regression (rules `kill-regression`, `significant-regression`,
 *   `guardrail-regression`);
 * - the data is no older than `max_data_age_hours` (checked by the caller with `dataNotFreshEnough`);
 * - no validity finding (SRM, contamination, stall, mutation, broken metric) on the experiment;
 * - no acknowledgement or snooze in force against the action: `/experiment autopilot off` (stored as
 *   `experiment:<id>:autopilot`), or an ack/snooze of `decided-still-running` (rollback, promote) or of
 *   `zombie` (expire), both of which say "a person keeps this experiment running on purpose";
 * - the same condition on two consecutive evaluations at least `confirm_after_hours` apart, the first of
 *   which announced it.
 */
import type { AutopilotConfig } from "../config/schema.js";
import type { Decision, RuleId } from "../decision/index.js";
import { VALIDITY_KINDS, type FindingKind } from "../detectors/index.js";
import type { Experiment } from "../model.js";
import type { ExperimentConclusion } from "../posthog/index.js";
import { jsonMarker, readJsonMarker } from "../render/markdown.js";
import { acknowledgementFor, parsePauseKey, type Acknowledgement, type AcknowledgementStore } from "../pipeline/acknowledgements.js";
import { controlVariant, type PlanStep } from "../chatops/plan.js";
import type { SentRequest } from "../pipeline/execute-plan.js";

/** What autopilot can do to an experiment. */
export type AutopilotKind = "rollback" | "promote" | "expire";

/**
 * What autopilot did, for decision records and other listeners of "an experiment concluded": plain data.
 * `sentRequests` is exactly what PostHog accepted (empty when the write failed before any step).
 */
export interface AutopilotAction {
  experimentId: number;
  experimentName: string;
  flagKey: string;
  kind: AutopilotKind;
  /** The variant shipped (rollback: control; promote: the winner); null for expire. */
  variant: string | null;
  /** The conclusion recorded in PostHog (`lost`, `won`, `inconclusive`). */
  conclusion: ExperimentConclusion;
  /** When the write was made (ISO 8601). */
  at: string;
  /** When the condition was first seen and announced (ISO 8601). */
  firstSeen: string;
  /** Plain-text reasons (the decision rules' sentences, or the expiry arithmetic); unescaped. */
  reasons: string[];
  sentRequests: SentRequest[];
  /** `applied`, or `failed` with the PostHog error message in `error`. */
  outcome: "applied" | "failed";
  error: string | null;
  /** `owner/repo#number` of the issue that announced and recorded it. */
  issue: string | null;
}

/** The dedupe key of an experiment's autopilot issue (and of its pause in the acknowledgement store). */
export function autopilotKey(experimentId: number): string {
  return `experiment:${experimentId}:autopilot`;
}

/** Whether a dedupe key is an autopilot key, and its experiment id (the same key as a pause, {@link parsePauseKey}). */
export function parseAutopilotKey(key: string): number | null {
  return parsePauseKey(key);
}

/** A condition autopilot would act on. */
export interface AutopilotCondition {
  kind: AutopilotKind;
  variant: string | null;
  conclusion: ExperimentConclusion;
  steps: PlanStep[];
  reasons: string[];
}

/** Rules whose rollback autopilot follows: a regression of the primary metric or of a guardrail. */
export const ROLLBACK_RULES: readonly RuleId[] = ["kill-regression", "significant-regression", "guardrail-regression"];

/** Input of {@link autopilotCondition}. */
export interface ConditionInput {
  config: AutopilotConfig;
  /** `decision.sequential` of the repository. */
  sequential: boolean;
  experiment: Experiment;
  decision: Decision;
  now: Date;
}

/** The condition, none (null), or a refusal sentence when the rules say act but autopilot may not. */
export type ConditionResult = { condition: AutopilotCondition } | { condition: null; refusal: string | null };

/**
 * What the decision says autopilot should do now (before blockers and confirmation).
 *
 * - rollback: `autopilot.rollback`, the decision is `rollback` by a regression rule ({@link ROLLBACK_RULES}),
 *   always-valid inference; ships control with conclusion `lost` (the confirmed `/experiment rollback` plan).
 * - promote: `autopilot.promote`, the decision is `promote` with a variant, always-valid inference; ships
 *   it with conclusion `won` (control: `lost`).
 * - expire: `autopilot.expire`, the decision is neither promote nor rollback, and the experiment has run
 *   more than its maximum duration (`decision.maxDurationDays`: PostHog's recommended running time, else
 *   `decision.max_duration_days`) plus `expire_after_days`; ends it with conclusion `inconclusive` and
 *   leaves the flag as configured (`POST …/end/` only).
 * Only launched, not ended, not archived experiments qualify.
 */
export function autopilotCondition(input: ConditionInput): ConditionResult {
  const { config, experiment: e, decision: d } = input;
  if (e.archived || !e.startDate || e.endDate || e.status === "draft") return { condition: null, refusal: null };
  const reasons = d.reasons.map((r) => r.message);
  const wantsWrite = (d.decision === "rollback" && config.rollback) || (d.decision === "promote" && config.promote);
  if (wantsWrite && !input.sequential) {
    return {
      condition: null,
      refusal: `The rules say ${d.decision}, but decision.sequential is false: autopilot acts only on always-valid (sequential) inference, because fixed-horizon tests looked at every scan make false decisions far more often than alpha.`,
    };
  }
  if (d.decision === "rollback" && config.rollback) {
    if (!ROLLBACK_RULES.includes(d.reasons[0]?.rule as RuleId)) return { condition: null, refusal: null };
    const control = controlVariant(e);
    if (!control) return { condition: null, refusal: `Experiment ${e.id} lists no variants, so its control is unknown.` };
    return { condition: { kind: "rollback", variant: control, conclusion: "lost", steps: [{ kind: "ship-variant", variant: control, conclusion: "lost" }], reasons } };
  }
  if (d.decision === "promote" && config.promote && d.variant) {
    const conclusion: ExperimentConclusion = d.variant === controlVariant(e) ? "lost" : "won";
    return { condition: { kind: "promote", variant: d.variant, conclusion, steps: [{ kind: "ship-variant", variant: d.variant, conclusion }], reasons } };
  }
  if (config.expire && d.decision !== "promote" && d.decision !== "rollback" && d.daysRunning !== null) {
    const limit = d.maxDurationDays + config.expire_after_days;
    if (d.daysRunning > limit) {
      return {
        condition: {
          kind: "expire",
          variant: null,
          conclusion: "inconclusive",
          steps: [{ kind: "end-experiment", conclusion: "inconclusive" }],
          reasons: [
            `Running ${d.daysRunning.toFixed(1)} days, more than its maximum duration of ${d.maxDurationDays} days (${d.maxDurationSource === "posthog" ? "PostHog's recommended running time" : "decision.max_duration_days"}) plus autopilot.expire_after_days ${config.expire_after_days}, without a promote or rollback decision (the rules say ${d.decision}).`,
            ...reasons,
          ],
        },
      };
    }
  }
  return { condition: null, refusal: null };
}

/** The acknowledgement kinds that hold an action back, besides `/experiment autopilot off`. */
const HOLDING_KINDS: Record<AutopilotKind, FindingKind[]> = {
  rollback: ["decided-still-running"],
  promote: ["decided-still-running"],
  expire: ["zombie", "decided-still-running"],
};

/**
 * Why autopilot must not act on an experiment now (plain-text sentences, empty when nothing blocks):
 * open validity findings (the scan's detected findings of kinds SRM, contamination, stall, mutation,
 * broken metric, acknowledged or not) and acknowledgements or snoozes in force against the action.
 */
export function autopilotBlockers(input: {
  experimentId: number;
  kind: AutopilotKind;
  /** Kinds of the scan's findings on the experiment (before acknowledgements are applied). */
  findingKinds: FindingKind[];
  acknowledgements: AcknowledgementStore;
  now: Date;
}): string[] {
  const out: string[] = [];
  const validity = [...new Set(input.findingKinds.filter((k) => VALIDITY_KINDS.includes(k)))];
  if (validity.length > 0) out.push(`open validity finding${validity.length === 1 ? "" : "s"}: ${validity.join(", ")}`);
  const pause = acknowledgementFor(input.acknowledgements, autopilotKey(input.experimentId), input.now);
  if (pause) out.push(`autopilot is off for this experiment (${describePause(pause)})`);
  for (const kind of HOLDING_KINDS[input.kind]) {
    const ack = acknowledgementFor(input.acknowledgements, `experiment:${input.experimentId}:${kind}`, input.now);
    if (ack) out.push(`${kind} is ${ack.kind === "snooze" ? `snoozed by @${ack.by} until ${ack.until?.slice(0, 10) ?? "?"}` : `acknowledged by @${ack.by}`}`);
  }
  return out;
}

/** "turned off by @x on 2026-11-21" / "turned off by @x until 2026-11-28". */
export function describePause(ack: Acknowledgement): string {
  return ack.until === null ? `turned off by @${ack.by} on ${ack.at.slice(0, 10)}` : `turned off by @${ack.by} until ${ack.until.slice(0, 10)}`;
}

/** The pending or finished autopilot action of one experiment, kept in its issue's hidden marker. */
export interface AutopilotState {
  experimentId: number;
  kind: AutopilotKind;
  variant: string | null;
  /** The evaluation that first saw the condition and announced it (ISO 8601). */
  firstSeen: string;
  /** The latest evaluation that saw it (ISO 8601). */
  lastSeen: string;
  /** Consecutive evaluations that saw it (1 = announced, ≥ 2 with `confirm_after_hours` elapsed = act). */
  evaluations: number;
  /** `done` after the write (whatever its outcome), so it is never repeated. */
  status: "pending" | "done";
  doneAt: string | null;
}

const STATE_MARKER = "experiment-hygiene:autopilot";

/** The state as a hidden HTML comment. */
export function autopilotStateMarker(state: AutopilotState): string {
  return jsonMarker(STATE_MARKER, state);
}

/** Reads the state from an issue body; null when absent or malformed. Never throws. */
export function parseAutopilotState(body: string | null | undefined): AutopilotState | null {
  const s = readJsonMarker(body, STATE_MARKER) as Partial<AutopilotState> | undefined;
  if (!s || typeof s !== "object") return null;
  const ok =
    Number.isSafeInteger(s.experimentId) &&
    (s.kind === "rollback" || s.kind === "promote" || s.kind === "expire") &&
    (s.variant === null || typeof s.variant === "string") &&
    typeof s.firstSeen === "string" &&
    !Number.isNaN(Date.parse(s.firstSeen)) &&
    typeof s.lastSeen === "string" &&
    !Number.isNaN(Date.parse(s.lastSeen)) &&
    Number.isSafeInteger(s.evaluations) &&
    (s.status === "pending" || s.status === "done");
  return ok ? ({ doneAt: null, ...s } as AutopilotState) : null;
}

/** What to do after an evaluation. */
export type AutopilotStep =
  /** Nothing (no condition, or blocked): the state is dropped. */
  | { step: "none"; state: null }
  /** Not judged this time (data not fresh, experiment not watched): keep the state as it was. */
  | { step: "hold"; state: AutopilotState | null }
  /** First sight: store the state and announce. */
  | { step: "announce"; state: AutopilotState }
  /** Seen again before `confirm_after_hours` passed: keep counting. */
  | { step: "wait"; state: AutopilotState }
  /** Confirmed: act (after the re-read and claim), then mark done. */
  | { step: "act"; state: AutopilotState }
  /** Already acted on: never again. */
  | { step: "done"; state: AutopilotState };

/**
 * The two-evaluation confirmation. A condition seen for the first time (or changed: another action or
 * variant) is announced; seen again on a later evaluation at least `confirmAfterHours` after the first,
 * with nothing blocking, it is acted on. Any evaluation without the condition, or with a blocker, drops
 * the pending state, so a new announcement is needed. A finished state is kept and never acted on again.
 *
 * @param previous the state read from the issue (null when none)
 * @param condition this evaluation's condition, or null
 * @param blockers {@link autopilotBlockers}' sentences (non-empty = blocked)
 * @param confirmAfterHours `autopilot.confirm_after_hours` (1–168)
 */
export function nextAutopilotStep(
  previous: AutopilotState | null,
  experimentId: number,
  condition: AutopilotCondition | null,
  blockers: string[],
  now: Date,
  confirmAfterHours: number,
): AutopilotStep {
  if (previous?.status === "done") return { step: "done", state: previous };
  if (!condition || blockers.length > 0) return { step: "none", state: null };
  const at = now.toISOString();
  const same = previous && previous.kind === condition.kind && previous.variant === condition.variant;
  if (!same) {
    return {
      step: "announce",
      state: { experimentId, kind: condition.kind, variant: condition.variant, firstSeen: at, lastSeen: at, evaluations: 1, status: "pending", doneAt: null },
    };
  }
  // A redelivered scan at the same instant is not a second evaluation.
  const later = now.getTime() > Date.parse(previous.lastSeen);
  const state: AutopilotState = later ? { ...previous, lastSeen: at, evaluations: previous.evaluations + 1 } : previous;
  const elapsedMs = now.getTime() - Date.parse(previous.firstSeen);
  if (state.evaluations >= 2 && elapsedMs >= confirmAfterHours * 3_600_000) return { step: "act", state };
  return { step: "wait", state };
}
