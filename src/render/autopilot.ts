/**
 * Text of the autopilot (docs/autopilot.md): the experiment's autopilot issue, the announcement posted by
 * the evaluation that first sees a condition, and the record posted after the PostHog write. Everything from
 * PostHog (names, keys, variants, reasons) is escaped; what was sent is shown verbatim in a code block
 * (JSON, so no Markdown is interpreted there).
 */
import type { AutopilotAction, AutopilotCondition, AutopilotKind, AutopilotState } from "../autopilot/rules.js";
import type { Experiment } from "../model.js";
import type { SentRequest } from "../pipeline/execute-plan.js";
import { code, escapeMarkdown, link, neutralizeMentions } from "./markdown.js";

const VERB: Record<AutopilotKind, { future: string; past: string; title: string }> = {
  rollback: { future: "roll back", past: "rolled back", title: "will roll back" },
  promote: { future: "promote", past: "promoted", title: "will promote" },
  expire: { future: "end (expire)", past: "ended (expired)", title: "will end" },
};

/** The hidden marker of an announcement comment (one per experiment, action and first sighting). */
export function announcementMarker(state: Pick<AutopilotState, "experimentId" | "kind" | "firstSeen">): string {
  return `<!-- experiment-hygiene:autopilot-announce:${state.experimentId}:${state.kind}:${state.firstSeen} -->`;
}

/** The hidden marker of a record comment (one per experiment and action). */
export function recordMarker(experimentId: number, kind: AutopilotKind): string {
  return `<!-- experiment-hygiene:autopilot-record:${experimentId}:${kind} -->`;
}

function what(kind: AutopilotKind, variant: string | null): string {
  if (kind === "rollback") return `ship control (${code(variant ?? "control")}) to everyone, ending the experiment with conclusion ${code("lost")}`;
  if (kind === "promote") return `ship ${code(variant ?? "?")} to everyone, ending the experiment with the conclusion of a win`;
  return `end the experiment with conclusion ${code("inconclusive")}; its feature flag is left as configured (nothing about who sees which variant changes)`;
}

/** The issue's title. */
export function autopilotIssueTitle(e: Experiment, kind: AutopilotKind): string {
  return `Autopilot ${VERB[kind].title} ${e.name.replace(/\s+/g, " ").slice(0, 200)}`;
}

/**
 * The issue body (without the reconciler's markers): what autopilot will do, why, when at the earliest,
 * and how to stop it.
 */
export function renderAutopilotIssue(e: Experiment, condition: AutopilotCondition, state: AutopilotState, confirmAfterHours: number, experimentUrl: string | null): string {
  const earliest = new Date(Date.parse(state.firstSeen) + confirmAfterHours * 3_600_000).toISOString();
  return [
    `**Autopilot** will ${VERB[condition.kind].future} ${link(escapeMarkdown(e.name), experimentUrl)} (flag ${code(e.flagKey)}) at the next scheduled evaluation, not before ${earliest}, if the condition still holds on fresh data: it will ${what(condition.kind, condition.variant)}.`,
    "",
    "Why:",
    "",
    ...condition.reasons.map((r) => `- ${escapeMarkdown(r)}`),
    "",
    `First seen ${state.firstSeen}; seen on ${state.evaluations} consecutive evaluation${state.evaluations === 1 ? "" : "s"}.`,
    "",
    "To stop it, comment `/experiment autopilot off` here (write access needed); `/experiment autopilot on` turns it back on.",
    "",
  ].join("\n");
}

/** The announcement comment: "will roll back at the next evaluation unless someone comments `/experiment autopilot off`". */
export function renderAnnouncement(e: Experiment, condition: AutopilotCondition, state: AutopilotState, confirmAfterHours: number, requests: SentRequest[]): string {
  return [
    announcementMarker(state),
    `**Autopilot** will ${VERB[condition.kind].future} ${escapeMarkdown(e.name)} (experiment ${e.id}, flag ${code(e.flagKey)}) at the next evaluation, at least ${confirmAfterHours} h from now, unless someone comments \`/experiment autopilot off\`.`,
    "",
    `It will ${what(condition.kind, condition.variant)}, if the condition still holds then on fresh data. Why:`,
    "",
    ...condition.reasons.map((r) => `- ${escapeMarkdown(r)}`),
    "",
    "It will send to PostHog:",
    "",
    renderRequests(requests),
    "",
  ].join("\n");
}

/** The requests as a fenced code block, one `METHOD path` line and its JSON body each. */
export function renderRequests(requests: SentRequest[]): string {
  const lines = requests.flatMap((r) => [`${r.method} ${r.path}`, JSON.stringify(r.body, null, 2)]);
  const text = neutralizeMentions(lines.join("\n")).replace(/`{3,}/g, (m) => m.split("").join("\u200b"));
  return ["```", text, "```"].join("\n");
}

/** The record comment posted after the write: what was sent, why, and the outcome. */
export function renderRecord(action: AutopilotAction): string {
  const head =
    action.outcome === "applied"
      ? `**Autopilot ${VERB[action.kind].past}** ${escapeMarkdown(action.experimentName)} (experiment ${action.experimentId}, flag ${code(action.flagKey)}) at ${action.at}.`
      : `**Autopilot tried to ${VERB[action.kind].future}** ${escapeMarkdown(action.experimentName)} (experiment ${action.experimentId}) at ${action.at}, and PostHog answered: ${escapeMarkdown(action.error ?? "an error")}. It will not try again; check the experiment in PostHog first (the change may have gone through) and act by hand.`;
  return [
    recordMarker(action.experimentId, action.kind),
    head,
    "",
    `Announced ${action.firstSeen}; confirmed by this evaluation on fresh data. Why:`,
    "",
    ...action.reasons.map((r) => `- ${escapeMarkdown(r)}`),
    "",
    action.sentRequests.length > 0 ? "Sent to PostHog:" : "Nothing was accepted by PostHog.",
    "",
    ...(action.sentRequests.length > 0 ? [renderRequests(action.sentRequests), ""] : []),
    action.kind === "expire" ? "The feature flag was left as configured: remove it or its code when you are ready.\n" : "",
  ].join("\n");
}

/**
 * The reply to `/experiment autopilot off|on`: what changed and where it is stored (escaped).
 *
 * @param ctx the reply marker and the command line as typed
 * @param dashboardIssue the dashboard issue holding the pause, or null when there was nothing to remove
 */
export function renderAutopilotSwitch(
  ctx: { marker: string; line: string },
  experiment: { id: number; name: string },
  enabled: boolean,
  by: string,
  dashboardIssue: number | null,
  closedIssues: number[],
): string {
  const name = `${escapeMarkdown(experiment.name || `Experiment ${experiment.id}`)} (experiment ${experiment.id})`;
  const text = enabled
    ? `**Autopilot is on again** for ${name}: scheduled scans may announce and then make the changes this repository's \`autopilot:\` settings allow.${dashboardIssue === null ? " (It was not off.)" : ` The pause was removed from the dashboard issue #${dashboardIssue}.`}`
    : `**Autopilot is off** for ${name}, by @\u200B${escapeMarkdown(by)}: scheduled scans will not roll back, promote or end it until someone comments \`/experiment autopilot on\`. Stored in the dashboard issue #${dashboardIssue ?? "?"}.${closedIssues.length > 0 ? ` Closed ${closedIssues.map((n) => `#${n}`).join(", ")}.` : ""}`;
  return `${[ctx.marker, `> ${code(ctx.line)}`, "", text].join("\n").trimEnd()}\n`;
}
