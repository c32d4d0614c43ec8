/**
 * The two-step change flow of `/experiment promote` and `/experiment rollback`: build a plan from the
 * experiment, its current decision and its open findings; store it in the bot's reply as a hidden marker;
 * and find it again when a user with write access answers `… --confirm` within {@link CONFIRM_WINDOW_MINUTES}.
 *
 * Pure: no I/O. The PostHog calls a plan stands for are PostHog's own (posthog-api.md §2–3):
 * `POST experiments/{id}/ship_variant/` (the variant gets 100 % of the split, the experiment ends with a
 * conclusion) or, with `--disable-flag`, `PATCH feature_flags/{id}/ {"active": false}` then
 * `POST experiments/{id}/end/`.
 */
import { resolveVariants, type Decision } from "../decision/index.js";
import { VALIDITY_KINDS, type FindingKind } from "../detectors/index.js";
import type { Experiment } from "../model.js";
import type { ExperimentConclusion } from "../posthog/index.js";
import { jsonMarker, readJsonMarker, replaceJsonMarker } from "../render/markdown.js";

/** How long a plan waits for `--confirm`, in minutes (issue 4). */
export const CONFIRM_WINDOW_MINUTES = 30;
const PLAN_MARKER = "experiment-hygiene:plan";
/** Clock difference tolerated between the replica that wrote a plan and the one confirming it, ms. */
export const CLOCK_SKEW_MS = 60_000;

/** One PostHog write of a plan, in the order they are sent. */
export type PlanStep =
  | { kind: "ship-variant"; variant: string; conclusion: ExperimentConclusion }
  | { kind: "deactivate-flag"; flagId: number }
  | { kind: "end-experiment"; conclusion: ExperimentConclusion };

/** Where a plan stands; stored in its reply so a plan is executed at most once. */
export type PlanStatus = "pending" | "executed" | "approval-requested";

/** A change waiting for `--confirm`. Serialised into the plan reply's hidden marker. */
export interface ChangePlan {
  action: "promote" | "rollback";
  experimentId: number;
  experimentName: string;
  flagKey: string;
  flagId: number | null;
  /** The variant that will get 100 % (promote: chosen or the decision's winner; rollback: control). */
  variant: string;
  disableFlag: boolean;
  /** `--force` on the plan: promote despite an investigate decision or an open validity finding. */
  force: boolean;
  steps: PlanStep[];
  /** GitHub login that asked for the plan. */
  requestedBy: string;
  /** ISO 8601. */
  requestedAt: string;
  status: PlanStatus;
}

/** Input of {@link buildChangePlan}. */
export interface PlanInput {
  action: "promote" | "rollback";
  experiment: Experiment;
  /** The current decision (null when it could not be computed). */
  decision: Decision | null;
  /** Kinds of the experiment's open hygiene findings (from the app's issues). */
  openFindings: FindingKind[];
  /** Promote only: the variant asked for, or null for the decision's winner. */
  variant: string | null;
  disableFlag: boolean;
  force: boolean;
  requestedBy: string;
  now: Date;
}

/** A plan, or the reason none can be made (plain text, unescaped). */
export type PlanResult = { ok: true; plan: ChangePlan; warnings: string[] } | { ok: false; refusal: string };

/**
 * The control (baseline) variant, the same one the decision rules compared every variant with: the
 * decision's `control` when it is one of the experiment's variants (it includes the primary response's
 * baseline arm), else `resolveVariants` on the experiment alone (`analysis.baselineVariantKey`, then
 * `control`, then the first variant with traffic). Never assumes `control`.
 *
 * @param experiment the experiment
 * @param decision its decision, when one was computed
 * @returns a variant key, or null when the experiment lists none and no decision names one
 */
export function controlVariant(experiment: Experiment, decision?: Pick<Decision, "control"> | null): string | null {
  const keys = experiment.variants.map((v) => v.key);
  const fromDecision = decision?.control ?? null;
  if (fromDecision !== null && (keys.length === 0 || keys.includes(fromDecision))) return fromDecision;
  return resolveVariants(experiment, null, null).control;
}

/**
 * Builds the plan of a promote or rollback, or refuses.
 *
 * Refusals: the experiment is a draft (nothing to ship) or archived; promote names no variant while the
 * rules do not recommend one; the variant is not one of the experiment's; promote while the decision is
 * `investigate` or a validity finding (SRM, `$multiple` contamination, exposure stall, mid-run flag edit,
 * broken metric) is open, unless `force`; `--disable-flag` on an experiment whose flag id is unknown.
 * Rollback ships control and is never refused for a validity threat (it is the safe direction).
 * Conclusions: promote of a non-control variant → `won`, anything else → `lost`.
 *
 * @returns the plan with warnings (e.g. "the rules say continue") or a refusal sentence
 */
export function buildChangePlan(input: PlanInput): PlanResult {
  const { experiment: e, decision } = input;
  if (e.archived) return { ok: false, refusal: `Experiment ${e.id} is archived; unarchive it in PostHog first.` };
  if (e.status === "draft" || !e.startDate) {
    return { ok: false, refusal: `Experiment ${e.id} is a draft: it was never launched, so there is nothing to ${input.action}.` };
  }
  const keys = e.variants.map((v) => v.key);
  const control = controlVariant(e, decision);
  let variant: string | null;
  if (input.action === "rollback") {
    variant = control;
    if (!variant) return { ok: false, refusal: `Experiment ${e.id} lists no variants, so its control is unknown.` };
  } else {
    variant = input.variant ?? (decision?.decision === "promote" ? decision.variant : null);
    if (!variant) {
      const rules = decision ? `the rules say ${decision.decision}` : "no decision could be computed";
      return {
        ok: false,
        refusal: `Name the variant to promote (${rules}, so there is no winner to default to): one of ${keys.join(", ") || "(none listed)"}.`,
      };
    }
    if (keys.length > 0 && !keys.includes(variant)) {
      return { ok: false, refusal: `Experiment ${e.id} has no variant "${variant}"; its variants are ${keys.join(", ")}.` };
    }
  }

  const validity = input.openFindings.filter((k) => VALIDITY_KINDS.includes(k));
  if (input.action === "promote" && !input.force) {
    if (decision?.decision === "investigate") {
      return {
        ok: false,
        refusal: `The rules say investigate (${decision.reasons[0]?.message ?? "a validity threat"}). The results cannot be trusted until the cause is found; add --force to promote anyway.`,
      };
    }
    if (validity.length > 0) {
      return {
        ok: false,
        refusal: `Open validity finding${validity.length === 1 ? "" : "s"} (${[...new Set(validity)].join(", ")}): the results cannot be trusted until ${validity.length === 1 ? "it is" : "they are"} resolved; add --force to promote anyway.`,
      };
    }
  }
  const flagId = e.flag?.id ?? null;
  if (input.disableFlag && flagId === null) {
    return { ok: false, refusal: `PostHog did not return the id of flag "${e.flagKey}", so it cannot be deactivated.` };
  }

  const conclusion: ExperimentConclusion = input.action === "promote" && variant !== control ? "won" : "lost";
  const steps: PlanStep[] = input.disableFlag
    ? [
        { kind: "deactivate-flag", flagId: flagId as number },
        ...(e.endDate ? [] : [{ kind: "end-experiment" as const, conclusion }]),
      ]
    : [{ kind: "ship-variant", variant, conclusion }];

  const warnings: string[] = [];
  if (decision && input.action === "promote" && decision.decision !== "promote") {
    warnings.push(`The rules say ${decision.decision}${decision.variant ? ` (${decision.variant})` : ""}, not promote.`);
  }
  if (decision && input.action === "promote" && decision.decision === "promote" && decision.variant !== variant) {
    warnings.push(`The rules recommend promoting ${decision.variant}, not ${variant}.`);
  }
  if (decision && input.action === "rollback" && decision.decision === "promote") {
    warnings.push(`The rules say promote ${decision.variant ?? ""}`.trimEnd() + ", not roll back.");
  }
  if (input.force && (decision?.decision === "investigate" || validity.length > 0)) {
    warnings.push("Forced despite a validity threat: the results may be biased.");
  }
  if (e.endDate) warnings.push(`The experiment already ended on ${e.endDate.slice(0, 10)}.`);

  return {
    ok: true,
    warnings,
    plan: {
      action: input.action,
      experimentId: e.id,
      experimentName: e.name,
      flagKey: e.flagKey,
      flagId,
      variant,
      disableFlag: input.disableFlag,
      force: input.force,
      steps,
      requestedBy: input.requestedBy,
      requestedAt: input.now.toISOString(),
      status: "pending",
    },
  };
}

/** The plan as a hidden HTML comment ({@link jsonMarker}: `-->` cannot occur). */
export function planMarker(plan: ChangePlan): string {
  return jsonMarker(PLAN_MARKER, plan);
}

/** Replaces the plan marker in a body with the given plan's (used to record its new status). */
export function replacePlanMarker(body: string, plan: ChangePlan): string {
  return replaceJsonMarker(body, PLAN_MARKER, plan);
}

/** Reads a plan from a reply body; null when absent or malformed. Never throws. */
export function parsePlan(body: string | null | undefined): ChangePlan | null {
  const p = readJsonMarker(body, PLAN_MARKER) as Partial<ChangePlan> | undefined;
  if (!p || typeof p !== "object") return null;
  const ok =
    (p.action === "promote" || p.action === "rollback") &&
    Number.isSafeInteger(p.experimentId) &&
    typeof p.variant === "string" &&
    typeof p.requestedBy === "string" &&
    typeof p.requestedAt === "string" &&
    !Number.isNaN(Date.parse(p.requestedAt)) &&
    Array.isArray(p.steps) &&
    (p.status === "pending" || p.status === "executed" || p.status === "approval-requested");
  return ok ? (p as ChangePlan) : null;
}

/** A plan found in a reply. */
export interface StoredPlan {
  commentId: number;
  body: string;
  plan: ChangePlan;
}

/** Result of {@link findPendingPlan}. */
export type PendingLookup =
  | { found: StoredPlan }
  | { expired: StoredPlan }
  | { none: true };

/**
 * The newest pending plan for this action and experiment posted within the confirmation window (a plan
 * dated up to {@link CLOCK_SKEW_MS} in the future counts as fresh; later ones are ignored), else the
 * newest expired one (to say so), else none. Executed plans never match, so a plan runs at most once.
 *
 * @param plans the bot's plan replies in the conversation (any order)
 * @param now the time of the `--confirm`
 */
export function findPendingPlan(
  plans: StoredPlan[],
  action: "promote" | "rollback",
  experimentId: number,
  now: Date,
): PendingLookup {
  const age = (p: StoredPlan) => now.getTime() - Date.parse(p.plan.requestedAt);
  const candidates = plans
    .filter((p) => p.plan.action === action && p.plan.experimentId === experimentId && p.plan.status === "pending")
    // A plan dated more than the tolerated clock skew in the future was not written by this app's clock.
    .filter((p) => age(p) >= -CLOCK_SKEW_MS)
    .sort((a, b) => Date.parse(b.plan.requestedAt) - Date.parse(a.plan.requestedAt));
  const windowMs = CONFIRM_WINDOW_MINUTES * 60_000;
  const fresh = candidates.find((p) => age(p) <= windowMs);
  if (fresh) return { found: fresh };
  const newest = candidates[0];
  return newest ? { expired: newest } : { none: true };
}

/**
 * Who may change PostHog from a comment: the legacy `permission` of
 * `GET /repos/{owner}/{repo}/collaborators/{username}/permission` is `admin` or `write` (GitHub reports
 * `maintain` as `write` and `triage` as `read`; github-probot.md §8). Anything else, or an unknown value,
 * is read-only (fail closed). `author_association` is never used.
 */
export function canWrite(permission: string | null | undefined): boolean {
  return permission === "admin" || permission === "write";
}
