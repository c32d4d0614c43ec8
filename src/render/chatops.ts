/**
 * Replies to `/experiment` commands. Every reply starts with the hidden reply marker of the command
 * comment it answers (one reply per command comment) and echoes the command in a code span. Everything
 * from PostHog or from the comment (experiment names, flag keys, variant keys, reasons) is escaped.
 */
import { CONFIRM_WINDOW_MINUTES, controlVariant, type ChangePlan, type PlanStep } from "../chatops/plan.js";
import type { ExperimentFindings } from "../chatops/findings.js";
import { USAGE } from "../chatops/parse.js";
import { metricArms, type Decision, type MetricAnalysis, type RuleOutcome } from "../decision/index.js";
import type { MetricResult } from "../model.js";
import { describeAcknowledgement } from "../pipeline/acknowledgements.js";
import type { ExperimentReport } from "../pipeline/pull-request.js";
import { effectSizeFromArms } from "../stats/index.js";
import { formatNumber, formatP } from "../format.js";
import type { ConfigProblem } from "../config/load.js";
import { configErrorSection, configProblemsSection } from "./config-problems.js";
import { KIND_LABELS } from "./findings.js";
import { experimentUrl, featureFlagUrl } from "./links.js";
import type { LiftHistory } from "../pipeline/lift-history.js";
import { renderLiftChart } from "./lift-chart.js";
import { code, escapeMarkdown, fitBody, formatCount, formatLift, formatPercent, link } from "./markdown.js";
import { STILL_COMPUTING, dataLines, experimentSection } from "./pr-comment.js";

/** What every reply needs. */
export interface ReplyContext {
  /** The marker of the command comment answered (`replyMarker(id)`). */
  marker: string;
  /** The command line as typed (echoed escaped). */
  line: string;
  /** PostHog web host and project, for links. */
  host: string;
  projectId: string;
  /** On a pull request: its "Files changed" URL, so `/experiment status` links locations like the PR comment. */
  filesUrl?: string;
}

function head(ctx: Pick<ReplyContext, "marker" | "line">): string[] {
  return [ctx.marker, `> ${code(ctx.line)}`, ""];
}

function finish(lines: string[]): string {
  return fitBody(`${lines.join("\n").trimEnd()}\n`);
}

/** The usage reply; `problem` (plain text) says what was wrong with the command, when something was. */
export function renderUsage(ctx: Pick<ReplyContext, "marker" | "line">, problem: string | null): string {
  const lines = head(ctx);
  if (problem) lines.push(`⚠️ ${escapeMarkdown(problem)}`, "");
  lines.push("**Usage**", "", ...USAGE.map((u) => `- ${code(u)}`), "");
  lines.push(
    `<sub>Anyone can ask for status and analysis. Promote, rollback, ack, snooze and autopilot off|on need write access to this repository; promote and rollback change PostHog only after \`--confirm\` within ${CONFIRM_WINDOW_MINUTES} minutes.</sub>`,
  );
  return finish(lines);
}

/** A short reply saying why nothing was done (plain-text reason, escaped here). */
export function renderRefusal(ctx: Pick<ReplyContext, "marker" | "line">, title: string, reason: string): string {
  return finish([...head(ctx), `**${escapeMarkdown(title)}**`, "", escapeMarkdown(reason)]);
}

/** The reply when `.github/experiment-hygiene.yml` cannot be read at all: the problems, and nothing done. */
export function renderConfigError(ctx: Pick<ReplyContext, "marker" | "line">, problems: ConfigProblem[]): string {
  return finish([...head(ctx), ...configErrorSection(problems), "Nothing was done."]);
}

/** A reply with the "Config problems" block (bad keys that used their defaults) appended; unchanged when none. */
export function withConfigProblems(body: string, problems: ConfigProblem[]): string {
  if (problems.length === 0) return body;
  return finish([body.trimEnd(), "", ...configProblemsSection(problems)]);
}

function findingsLines(f: ExperimentFindings | null): string[] {
  if (!f) return [];
  const lines: string[] = [];
  if (f.open.length === 0) lines.push("**Open hygiene findings:** none.");
  else {
    const items = f.open.map((o) => {
      const where = o.issueNumber !== null ? ` #${o.issueNumber}` : o.dashboardIssue !== null ? ` (dashboard #${o.dashboardIssue})` : "";
      return `${escapeMarkdown(KIND_LABELS[o.kind])}${where}`;
    });
    lines.push(`**Open hygiene findings:** ${items.join(", ")}.`);
  }
  for (const a of f.acknowledged) {
    lines.push(`<sub>${escapeMarkdown(KIND_LABELS[a.kind])}: ${escapeMarkdown(describeAcknowledgement(a.acknowledgement))}.</sub>`);
  }
  lines.push("");
  return lines;
}

/**
 * `/experiment status`: per experiment the same section as the PR comment (status, days running,
 * exposures against the recommended sample with a progress bar and days remaining, the decision and its
 * reasons), plus its open hygiene findings.
 */
export function renderStatus(
  ctx: ReplyContext,
  items: { report: ExperimentReport; findings: ExperimentFindings | null }[],
  note: string | null = null,
): string {
  const lines = head(ctx);
  if (note) lines.push(escapeMarkdown(note), "");
  for (const { report, findings } of items) {
    lines.push(...experimentSection(report, ctx.host, ctx.projectId, ctx.filesUrl));
    lines.push(...findingsLines(findings));
  }
  return finish(lines);
}

const OUTCOME_ICON: Record<RuleOutcome["status"], string> = {
  decided: "▶️ decided",
  fired: "✔️ fired",
  "not-fired": "— not fired",
  "not-evaluated": "· not evaluated",
};

function value(x: number | null, rate: boolean): string {
  if (x === null || !Number.isFinite(x)) return "—";
  return rate ? formatPercent(x, 2) : formatNumber(x);
}

/** The full table of one metric: every arm with its sample size and mean or rate, each variant vs control. */
function analysisTable(
  analysis: MetricAnalysis,
  result: MetricResult | undefined,
  decision: Decision,
  controlKey: string | null,
): string[] {
  const m = analysis.metric;
  const bayesian = decision.method === "bayesian";
  const av = analysis.verdicts.some((v) => v.fixedHorizon !== null);
  const rate = m.metricType === "funnel";
  const lines = [`#### ${analysis.role === "primary" ? "Primary metric" : "Guardrail"}: ${escapeMarkdown(m.name)}`, ""];
  lines.push(`${m.metricType}, goal: ${m.goal}${m.goal === "decrease" ? " (lower is better)" : ""}`, "");
  if (analysis.error) {
    lines.push(`> ${escapeMarkdown(analysis.error)}`, "");
    return lines;
  }
  const arms = metricArms(result);
  const controlArm = arms.find((a) => a.key === controlKey) ?? result?.baseline ?? null;
  lines.push(
    `| Variant | Sample size | ${rate ? "Conversion rate" : "Mean"} | Lift | ${bayesian ? "Credible interval" : av ? "Confidence sequence" : "Confidence interval"} | ${bayesian ? "Chance to win" : av ? "Always-valid p" : "p-value"} | Effect size | Expected loss | Verdict |`,
    "|---|---:|---:|---:|---|---:|---|---:|---|",
  );
  const controlMean = analysis.verdicts.find((v) => v.controlMean !== null)?.controlMean ?? null;
  if (controlArm) {
    lines.push(`| ${code(controlArm.key)} (control) | ${formatCount(controlArm.numberOfSamples)} | ${value(controlMean, rate)} | | | | | | |`);
  }
  for (const v of analysis.verdicts) {
    const arm = arms.find((a) => a.key === v.variant);
    if (v.error) {
      lines.push(`| ${code(v.variant)} | ${arm ? formatCount(arm.numberOfSamples) : "—"} | — | — | — | — | — | — | ${escapeMarkdown(v.error)} |`);
      continue;
    }
    const iv = v.interval ? `[${formatLift(v.interval[0])}, ${formatLift(v.interval[1])}]` : "—";
    const stat = bayesian
      ? v.chanceToWin === null
        ? "—"
        : formatPercent(v.chanceToWin, 2)
      : v.pValue === null
        ? "—"
        : formatP(v.pValue);
    const es = controlArm && arm ? effectSizeFromArms(m.metricType, controlArm, arm) : null;
    const esText = es ? `${es.kind === "cohens-h" ? "Cohen's h" : "Cohen's d"} ${es.value.toFixed(3)} (${es.label})` : "—";
    const loss =
      v.expectedLoss === null
        ? "—"
        : v.expectedLossUnits === "relative"
          ? `${formatPercent(v.expectedLoss, 2)} of control`
          : v.expectedLossUnits === "rate"
            ? `${formatNumber(v.expectedLoss * 100)} pp of conversion`
            : formatNumber(v.expectedLoss);
    const need = v.threshold === null ? "" : bayesian ? ` (needs ≥ ${formatPercent(v.threshold, 2)})` : ` (needs < ${formatNumber(v.threshold)})`;
    const verdict = v.significantlyBetter ? `🟢 better${need}` : v.significantlyWorse ? `🔴 worse${need}` : `not significant${need}`;
    lines.push(
      `| ${code(v.variant)} | ${arm ? formatCount(arm.numberOfSamples) : "—"} | ${value(v.variantMean, rate)} | ${v.lift === null ? "—" : formatLift(v.lift)} | ${iv} | ${stat} | ${esText} | ${loss} | ${verdict} |`,
    );
  }
  lines.push("");
  return lines;
}

/**
 * `/experiment analyze`: the full analysis — per variant sample size, mean or rate, relative lift with
 * its interval, p-value or chance to win (by the experiment's method), effect size (Cohen's d or h),
 * expected loss (beta-binomial funnels), the SRM test, the correction for multiple comparisons, and the
 * outcome of every decision rule in order; with `liftHistory` (the app's recorded evaluations, this one last)
 * of 3 or more points, the primary metric's lift and always-valid interval over time as a chart.
 */
export function renderAnalysis(
  ctx: ReplyContext,
  report: ExperimentReport,
  outcomes: RuleOutcome[],
  findings: ExperimentFindings | null,
  liftHistory: LiftHistory | null = null,
): string {
  const e = report.experiment;
  const lines = head(ctx);
  lines.push(`### ${link(e.name || `Experiment ${e.id}`, experimentUrl(ctx.host, ctx.projectId, e.id))}`, "");
  if (report.error || !report.decision) {
    lines.push(`> ${escapeMarkdown(report.error ?? "No decision could be computed.")}`);
    return finish(lines);
  }
  const d = report.decision;
  const days =
    d.daysRunning === null
      ? "not started"
      : `day ${Math.floor(d.daysRunning)} of ${d.maxDurationDays} (${d.maxDurationSource === "posthog" ? "PostHog's recommended running time" : "configured maximum"})`;
  lines.push(
    `**Status:** ${escapeMarkdown(e.status)} · ${days} · ${d.method === "bayesian" ? "Bayesian" : "frequentist"} · flag ${code(e.flagKey)} · experiment ${e.id}`,
    "",
    `**Decision:** ${code(d.decision)}${d.variant ? ` ${code(d.variant)}` : ""}`,
    "",
  );
  // Exposures and SRM.
  const exp = Object.entries(d.exposures);
  if (exp.length > 0) {
    lines.push(
      `**Exposures:** ${exp.map(([k, n]) => `${code(k)} ${formatCount(n)}`).join(", ")} (target ${formatCount(d.minSamplePerVariant)} per variant, ${d.minSampleSource === "posthog" ? "PostHog's recommended sample size" : "configured minimum"})`,
      "",
    );
  }
  if (d.srm) {
    const shares = d.srm.included
      .map((k) => `${code(k)} ${formatPercent(d.srm!.observedShare[k] ?? 0, 2)} vs ${formatPercent(d.srm!.expectedShare[k] ?? 0, 2)}`)
      .join(", ");
    lines.push(
      `**Sample ratio mismatch test:** χ² = ${formatNumber(d.srm.chi2)}, df = ${d.srm.df}, p = ${formatP(d.srm.pValue)}${d.inference?.mode === "always-valid" ? `; sequential SRM (Lindon & Malek 2022) p = ${formatP(d.srm.sequentialPValue)}` : ""} on ${formatCount(d.srm.total)} exposures (observed vs expected: ${shares}).`,
      "",
    );
  } else {
    lines.push("**Sample ratio mismatch test:** not run (too few exposures or fewer than two variants).", "");
  }
  lines.push(`**Multiple comparisons:** ${escapeMarkdown(d.correction.description)}.`, "");
  if (d.inference) lines.push(`**Inference:** ${escapeMarkdown(d.inference.description)}.`, "");
  for (const n of d.notes ?? []) lines.push(`> ${escapeMarkdown(n)}`, "");
  const results = report.metricResults;
  for (const a of [d.primary, ...d.guardrails]) {
    if (!a) continue;
    const result = results.find((r) => r.metric.uuid === a.metric.uuid);
    if (result?.pending) {
      const title = `${a.role === "primary" ? "Primary metric" : "Guardrail"}: ${escapeMarkdown(a.metric.name)}`;
      lines.push(`#### ${title}`, "", `> ⏳ ${STILL_COMPUTING} this metric; ask again in a few minutes.`, "");
      continue;
    }
    lines.push(...analysisTable(a, result, d, controlVariant(e, d)));
  }
  const primaryMetric = d.primary?.metric;
  const liftChart =
    primaryMetric && liftHistory && liftHistory.metricUuid === primaryMetric.uuid
      ? renderLiftChart(liftHistory, {
          variant: d.variant,
          metricName: primaryMetric.name,
          goal: primaryMetric.goal,
          note: "The last point is this reply's evaluation.",
        })
      : "";
  if (liftChart) lines.push("#### Primary metric over time", "", liftChart, "");
  lines.push(...dataLines(report));
  lines.push("#### Decision rules, in order", "", "| # | Rule | Outcome | Why |", "|---:|---|---|---|");
  outcomes.forEach((o, i) => {
    lines.push(`| ${i + 1} | ${code(o.rule)} | ${OUTCOME_ICON[o.status]} | ${escapeMarkdown(o.message)} |`);
  });
  lines.push("");
  lines.push(...findingsLines(findings));
  lines.push(`<sub>Thresholds come from \`.github/experiment-hygiene.yml\` (\`decision.*\`); the rules are described in \`docs/decision-rules.md\` in the experiment-hygiene repository.</sub>`);
  return finish(lines);
}

function stepLines(plan: ChangePlan, step: PlanStep, ctx: ReplyContext): string[] {
  const base = `/api/projects/${ctx.projectId}`;
  switch (step.kind) {
    case "ship-variant":
      return [
        `1. ${code(`POST ${base}/experiments/${plan.experimentId}/ship_variant/`)} with ${code(JSON.stringify({ variant_key: step.variant, conclusion: step.conclusion }))} and a conclusion comment naming this conversation and who confirmed:`,
        `   variant ${code(step.variant)} gets 100% of flag ${code(plan.flagKey)}'s split (every other variant 0%); the flag's release conditions stay as they are; the experiment ends with the conclusion ${code(step.conclusion)}.`,
      ];
    case "deactivate-flag":
      return [
        `1. ${code(`PATCH ${base}/feature_flags/${step.flagId}/`)} with ${code(JSON.stringify({ active: false }))}: flag ${code(plan.flagKey)} is turned off, so every user gets the code path for a disabled flag.`,
      ];
    case "end-experiment":
      return [
        `1. ${code(`POST ${base}/experiments/${plan.experimentId}/end/`)} with ${code(JSON.stringify({ conclusion: step.conclusion }))}: the experiment ends with the conclusion ${code(step.conclusion)}.`,
      ];
  }
}

/**
 * The plan reply of a promote/rollback: exactly what will change, the current decision, open validity
 * findings, warnings, and how to confirm. The caller appends the plan marker.
 */
export function renderPlan(
  ctx: ReplyContext,
  plan: ChangePlan,
  warnings: string[],
  decision: Decision | null,
  findings: ExperimentFindings | null,
): string {
  const lines = head(ctx);
  const what = plan.action === "promote" ? `Promote ${code(plan.variant)}` : `Roll back to ${code(plan.variant)}`;
  lines.push(
    `### Plan: ${what} in ${link(plan.experimentName || `Experiment ${plan.experimentId}`, experimentUrl(ctx.host, ctx.projectId, plan.experimentId))}`,
    "",
    "Nothing has changed yet. On confirmation the app sends exactly these PostHog requests, in this order:",
    "",
  );
  for (const step of plan.steps) lines.push(...stepLines(plan, step, ctx));
  lines.push("");
  if (plan.flagId !== null) lines.push(`Flag: ${link(plan.flagKey, featureFlagUrl(ctx.host, ctx.projectId, plan.flagId))}`, "");
  if (decision) {
    lines.push(`**Current decision:** ${code(decision.decision)}${decision.variant ? ` ${code(decision.variant)}` : ""}`);
    for (const r of decision.reasons.slice(0, 3)) lines.push(`- ${escapeMarkdown(r.message)}`);
    for (const n of decision.notes ?? []) lines.push(`- ${escapeMarkdown(n)}`);
    if (decision.inference) lines.push(`- Inference: ${escapeMarkdown(decision.inference.label)}.`);
    lines.push("");
  }
  lines.push(...findingsLines(findings));
  if (warnings.length > 0) lines.push("> [!WARNING]", ...warnings.map((w) => `> ${escapeMarkdown(w)}`), "");
  const confirm = `/experiment ${plan.action} ${plan.experimentId}${plan.action === "promote" ? ` ${plan.variant}` : ""} --confirm`;
  lines.push(
    `To apply, a user with write access to this repository comments ${code(confirm)} within ${CONFIRM_WINDOW_MINUTES} minutes (until ${escapeMarkdown(new Date(Date.parse(plan.requestedAt) + CONFIRM_WINDOW_MINUTES * 60_000).toISOString().slice(11, 16))} UTC). Requested by ${escapeMarkdown(`@${plan.requestedBy}`)}.`,
  );
  return finish(lines);
}

/** The reply after a confirmed plan ran: what PostHog accepted, who confirmed, when, and the PR head. */
export function renderExecuted(
  ctx: ReplyContext,
  plan: ChangePlan,
  confirmedBy: string,
  at: Date,
  headSha: string | null,
): string {
  const lines = head(ctx);
  const what = plan.action === "promote" ? `Promoted ${code(plan.variant)}` : `Rolled back to ${code(plan.variant)}`;
  lines.push(
    `### ✅ ${what} in ${link(plan.experimentName || `Experiment ${plan.experimentId}`, experimentUrl(ctx.host, ctx.projectId, plan.experimentId))}`,
    "",
    "PostHog accepted:",
    "",
  );
  for (const step of plan.steps) lines.push(...stepLines(plan, step, ctx));
  lines.push(
    "",
    `Confirmed by ${escapeMarkdown(`@${confirmedBy}`)} at ${at.toISOString()}` +
      (headSha ? ` with the pull request's head at ${code(headSha)}.` : "."),
    `Planned by ${escapeMarkdown(`@${plan.requestedBy}`)} at ${escapeMarkdown(plan.requestedAt)}.`,
  );
  return finish(lines);
}

/** PostHog answered 409: an approval policy turned the change into a change request. */
export function renderApprovalRequired(ctx: ReplyContext, plan: ChangePlan, changeRequestId: string | null, detail: string): string {
  const lines = head(ctx);
  lines.push(
    "### ⏸️ PostHog requires approval",
    "",
    `PostHog's approval policy held the change to flag ${code(plan.flagKey)} back and ${changeRequestId ? `opened change request ${code(changeRequestId)}` : "opened a change request"}. Nothing changes until it is approved in PostHog.`,
    "",
    `> ${escapeMarkdown(detail)}`,
    "",
    `Experiment: ${link(plan.experimentName || `Experiment ${plan.experimentId}`, experimentUrl(ctx.host, ctx.projectId, plan.experimentId))}`,
  );
  return finish(lines);
}

/** A PostHog failure, short and without a trace; `maybeApplied` for writes that may have gone through. */
export function renderPostHogFailure(ctx: Pick<ReplyContext, "marker" | "line">, message: string, maybeApplied: boolean): string {
  const lines = [...head(ctx), "**PostHog could not be reached or refused the request.**", "", `> ${escapeMarkdown(message)}`, ""];
  if (maybeApplied) {
    lines.push("The change may or may not have been applied. Check the experiment in PostHog before confirming again; the plan stays open until it expires.");
  } else {
    lines.push("Nothing was changed. Try again later.");
  }
  return finish(lines);
}

/** The reply to `ack` / `snooze`. */
export function renderAcknowledged(
  ctx: ReplyContext,
  experiment: { id: number; name: string },
  kind: keyof typeof KIND_LABELS,
  description: string,
  write: { dashboardIssue: number; closedIssues: number[] },
): string {
  const lines = head(ctx);
  lines.push(
    `**${escapeMarkdown(KIND_LABELS[kind])}** in ${link(experiment.name || `Experiment ${experiment.id}`, experimentUrl(ctx.host, ctx.projectId, experiment.id))}: ${escapeMarkdown(description)}.`,
    "",
    `Scheduled reports leave this finding out; the acknowledgement is stored in the dashboard issue #${write.dashboardIssue}.` +
      (write.closedIssues.length > 0 ? ` Closed ${write.closedIssues.map((n) => `#${n}`).join(", ")}.` : ""),
  );
  return finish(lines);
}
