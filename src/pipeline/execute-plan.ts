/**
 * Running a change plan's PostHog writes, shared by the confirmed `/experiment promote|rollback`
 * (src/app/issue-comment.ts) and the autopilot (src/pipeline/autopilot.ts), so both send exactly the same
 * requests. The steps come from `buildChangePlan` (src/chatops/plan.ts); their PostHog endpoints are
 * PostHog's own (posthog-api.md §2–3, §7).
 */
import type { PlanStep } from "../chatops/plan.js";
import { PostHogError, type PostHogApi } from "../posthog/index.js";

/** One request as sent to PostHog (path relative to the project, body as JSON). */
export interface SentRequest {
  method: "POST" | "PATCH";
  /** e.g. `/api/projects/4242/experiments/7/ship_variant/`. */
  path: string;
  body: Record<string, unknown>;
}

/** What {@link executePlanSteps} did. */
export interface PlanExecution {
  /** Plain-text summaries of the steps that succeeded, e.g. "shipped control". */
  done: string[];
  /** The requests that PostHog accepted, in order. */
  sent: SentRequest[];
  /** The PostHog failure that stopped the steps (later steps were not sent), or null. */
  error: PostHogError | null;
}

/**
 * The request a plan step sends (method, path, JSON body), for replies that say exactly what went to PostHog.
 *
 * @param projectId the PostHog project id
 * @param conclusionComment the `conclusion_comment` sent with ship-variant and end steps (≤ 4,000 characters)
 */
export function stepRequest(projectId: string, experimentId: number, step: PlanStep, conclusionComment: string): SentRequest {
  const base = `/api/projects/${projectId}`;
  if (step.kind === "ship-variant") {
    return {
      method: "POST",
      path: `${base}/experiments/${experimentId}/ship_variant/`,
      body: { variant_key: step.variant, conclusion: step.conclusion, conclusion_comment: conclusionComment },
    };
  }
  if (step.kind === "deactivate-flag") return { method: "PATCH", path: `${base}/feature_flags/${step.flagId}/`, body: { active: false } };
  return {
    method: "POST",
    path: `${base}/experiments/${experimentId}/end/`,
    body: { conclusion: step.conclusion, conclusion_comment: conclusionComment },
  };
}

/**
 * Sends a plan's steps in order, stopping at the first PostHog failure (nothing is retried here beyond the
 * client's 429 retries: a 5xx or timeout may have gone through).
 *
 * @param plan the experiment id, flag key (for the summaries) and the steps
 * @returns what was done and sent, and the PostHog error that stopped it (null when every step succeeded)
 * @throws anything that is not a PostHogError (a bug), after the steps before it were sent
 */
export async function executePlanSteps(
  posthog: PostHogApi,
  plan: { experimentId: number; flagKey: string; steps: PlanStep[] },
  conclusionComment: string,
): Promise<PlanExecution> {
  const out: PlanExecution = { done: [], sent: [], error: null };
  try {
    for (const step of plan.steps) {
      if (step.kind === "ship-variant") {
        await posthog.shipVariant(plan.experimentId, { variantKey: step.variant, conclusion: step.conclusion, conclusionComment });
        out.done.push(`shipped ${step.variant}`);
      } else if (step.kind === "deactivate-flag") {
        await posthog.setFeatureFlagActive(step.flagId, false);
        out.done.push(`deactivated flag ${plan.flagKey}`);
      } else {
        await posthog.endExperiment(plan.experimentId, { conclusion: step.conclusion, conclusionComment });
        out.done.push("ended the experiment");
      }
      out.sent.push(stepRequest(posthog.projectId, plan.experimentId, step, conclusionComment));
    }
  } catch (err) {
    if (!(err instanceof PostHogError)) throw err;
    out.error = err;
  }
  return out;
}
