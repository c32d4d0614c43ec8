/**
 * The outcome of every decision rule, in rule order, for `/experiment analyze` ("the outcome of every
 * decision rule in order, so the reader sees why").
 *
 * {@link decide} lists only the rules that fired; {@link explainRules} adds, for every other rule, why it did
 * not fire (with the numbers and the threshold) or why it could not be evaluated. The conditions are the ones
 * of `decide()` (see `./decide.ts`), read back from the {@link Decision}'s fields and the shared helpers of
 * `./wording.ts`, so the explanations carry the same numbers as the reasons.
 */
import type { DecisionConfig } from "../config/schema.js";
import { formatCount, formatLift, formatNumber, formatP, formatPercent } from "../format.js";
import {
  DecisionInputError,
  RULE_ORDER,
  type Decision,
  type DecisionInput,
  type MetricAnalysis,
  type MetricVerdict,
  type RuleId,
} from "./types.js";
import {
  bestVerdict,
  dayText,
  formatInterval,
  goalInterval,
  srmEvidence,
  srmFires,
  evidence,
  isUsableVerdict,
  LIFT_EPSILON,
  metricLabel,
  nearSignificance,
  regressionTests,
  smallestVariant,
  srmShares,
} from "./wording.js";

/**
 * decided = the rule that decided (`decision.reasons[0]`); fired = another rule that fired; not-fired = evaluated,
 * condition false; not-evaluated = could not be evaluated (draft, no exposures, no usable primary data, …).
 */
export type RuleStatus = "decided" | "fired" | "not-fired" | "not-evaluated";

/** The outcome of one decision rule. */
export interface RuleOutcome {
  /** Every id of RULE_ORDER, in that order. */
  rule: RuleId;
  status: RuleStatus;
  /**
   * Plain-text sentence (not escaped; the renderer escapes): for fired rules the Reason message from decide()
   * (several reasons of one rule, e.g. two regressing variants, joined by a space); for the others why it did
   * not fire or could not be evaluated, with the numbers and the threshold.
   */
  message: string;
}

type Outcome = Pick<RuleOutcome, "status" | "message">;

const notFired = (message: string): Outcome => ({ status: "not-fired", message });
const notEvaluated = (message: string): Outcome => ({ status: "not-evaluated", message });

/** Everything the explanations of one decision need, computed once. */
interface Context {
  d: Decision;
  input: DecisionInput;
  config: DecisionConfig;
  /** Counted variants (the keys of `decision.exposures`); empty when exposure counts are unknown. */
  counted: string[];
  known: boolean;
  pastMax: boolean;
  days: string;
  durationSource: string;
  primaryUsable: boolean;
  /** The best usable verdict of the primary metric; null when the promote/stop/extend rules cannot run. */
  best: (MetricVerdict & { lift: number; goalAdjustedLift: number }) | null;
}

function mismatch(rule: RuleId, why: string): never {
  throw new DecisionInputError(
    `explainRules: the decision does not match its input — rule "${rule}" should have fired (${why}) but is not among decision.reasons`,
  );
}

/** Why an analysis has no usable data: its error, or the errors of its verdicts. */
function unusableWhy(a: MetricAnalysis): string {
  if (a.error) return a.error;
  if (a.verdicts.length === 0) return "no variant to compare with control";
  return a.verdicts
    .filter((v) => !isUsableVerdict(v))
    .map((v) => `${v.variant}: ${v.error ?? "no lift"}`)
    .join("; ");
}

/** The Bayesian "significantly worse" requirement: goal-adjusted chance to win ≤ 1 − required (Holm: first step). */
function bayesianWorseNeed(d: Decision, config: DecisionConfig): string {
  const need = d.correction.chanceToWin ?? config.chance_to_win;
  const first = `worse needs ≤ ${formatPercent(1 - need, 2)}`;
  if (d.correction.method === "holm" && d.correction.comparisons > 1) {
    return `${first} (Holm: first step, up to ≤ ${formatPercent(1 - config.chance_to_win, 2)})`;
  }
  return first;
}

/** One usable verdict from the regression rule's point of view: "-3.0% (p = 0.21, needs < 0.025)". */
function worseDetail(v: MetricVerdict & { lift: number; goalAdjustedLift: number }, ctx: Context): string {
  const lift = formatLift(v.lift);
  if (v.goalAdjustedLift >= 0) return `${lift} (no regression)`;
  if (v.significantlyWorse) {
    return `${lift} (significantly worse, ${evidence(v, "worse")}, but less than the ${formatPercent(ctx.config.max_regression, 2)} max_regression)`;
  }
  if (v.method === "frequentist") return `${lift} (${evidence(v, "worse")})`;
  return `${lift} (${evidence(v, "worse")}, ${bayesianWorseNeed(ctx.d, ctx.config)})`;
}

/** One verdict from the regression rule's point of view: "test -3.0% (p = 0.21, needs < 0.025)" / "test: <error>". */
function worseStatus(v: MetricVerdict, ctx: Context): string {
  return isUsableVerdict(v) ? `${v.variant} ${worseDetail(v, ctx)}` : `${v.variant}: ${v.error ?? "no lift"}`;
}

/** "decision.guardrails is 'none'" and the like: why there is no guardrail metric. */
function noGuardrailsWhy(config: DecisionConfig): string {
  const g = config.guardrails;
  if (g === "none") return `decision.guardrails is "none"`;
  if (g === "secondary") return `decision.guardrails is "secondary" and the experiment has no secondary metric other than the primary`;
  return `decision.guardrails (${g.join(", ")}) names no metric of this experiment other than the primary`;
}

function explainNotLaunched(ctx: Context): Outcome {
  const e = ctx.input.experiment;
  return notFired(`Experiment "${e.name}" has been launched (status ${e.status}), it is not a draft.`);
}

function explainSrm(ctx: Context): Outcome {
  const { d, input, config } = ctx;
  const srm = d.srm;
  if (srm) {
    if (srmFires(srm, config)) mismatch("srm", srmEvidence(srm, config));
    return notFired(
      `SRM ${srmEvidence(srm, config)} on ${formatCount(srm.total)} exposures (${srmShares(srm)}): no sample ratio mismatch.`,
    );
  }
  // Not tested: the reasons of sampleRatioMismatch() returning null, or no exposure counts (decide()).
  const e = input.experiment;
  if (e.variants.length === 0) return notEvaluated("Not tested: the experiment lists no variants, so there is no configured split to test against.");
  const excluded = new Set(e.excludedVariants);
  const withTraffic = e.variants.filter((v) => v.rolloutPercentage > 0 && !excluded.has(v.key));
  if (withTraffic.length < 2) {
    return notEvaluated(`Not tested: fewer than 2 counted variants with a rollout percentage above 0 (${withTraffic.length}).`);
  }
  const totals = input.exposures ? input.exposures.totals : ctx.known ? d.exposures : null;
  if (!totals) return notEvaluated("Not tested: exposure counts are unknown (no exposure query result and no primary metric arms).");
  const total = withTraffic.reduce((sum, v) => sum + (totals[v.key] ?? 0), 0);
  if (total === 0) return notEvaluated("Not tested: no exposures yet.");
  return notEvaluated(`Not tested: ${formatCount(total)} exposures < srm_min_exposures ${formatCount(config.srm_min_exposures)}.`);
}

function explainSignificantRegression(ctx: Context): Outcome {
  const primary = ctx.d.primary;
  if (!primary) return notEvaluated("Not evaluated: the experiment has no primary metric.");
  const usable = primary.verdicts.filter(isUsableVerdict);
  if (usable.length === 0) return notEvaluated(`Not evaluated: no usable data for the primary metric "${primary.metric.name}": ${unusableWhy(primary)}`);
  for (const v of usable) if (regressionTests(v, ctx.config, primary.metric.goal).regression) mismatch("significant-regression", `${v.variant} is significantly worse`);
  const list = primary.verdicts.map((v) => worseStatus(v, ctx)).join("; ");
  return notFired(
    `No variant is significantly worse than control on ${metricLabel(primary.metric, "primary")} by at least the ${formatPercent(ctx.config.max_regression, 2)} max_regression: ${list}.`,
  );
}

function explainGuardrailRegression(ctx: Context): Outcome {
  const { guardrails } = ctx.d;
  if (guardrails.length === 0) return notEvaluated(`Not evaluated: no guardrail metric (${noGuardrailsWhy(ctx.config)}).`);
  const parts = guardrails.map((a) => {
    const label = metricLabel(a.metric, "guardrail");
    if (!a.verdicts.some(isUsableVerdict)) return `${label}: no usable data (${unusableWhy(a)})`;
    return `${label}: ${a.verdicts.map((v) => worseStatus(v, ctx)).join(", ")}`;
  });
  if (!guardrails.some((a) => a.verdicts.some(isUsableVerdict))) {
    return notEvaluated(`Not evaluated: no usable guardrail data: ${parts.join("; ")}.`);
  }
  for (const a of guardrails) {
    for (const v of a.verdicts) if (regressionTests(v, ctx.config, a.metric.goal).regression) mismatch("guardrail-regression", `${v.variant} on "${a.metric.name}"`);
  }
  return notFired(
    `No guardrail is significantly worse than control by at least the ${formatPercent(ctx.config.max_regression, 2)} max_regression: ${parts.join("; ")}.`,
  );
}

function explainKill(ctx: Context): Outcome {
  const { d, config } = ctx;
  if (!ctx.known) return notEvaluated("Not armed: exposure counts are unknown.");
  const smallest = smallestVariant(d.exposures, ctx.counted);
  if (!smallest) return notEvaluated("Not armed: no counted variant.");
  if (smallest.n < config.kill_min_exposures) {
    return notEvaluated(
      `Not armed: ${smallest.key} has ${formatCount(smallest.n)} exposures < kill_min_exposures ${formatCount(config.kill_min_exposures)} (every variant needs that many before an always-valid interval entirely beyond ${formatPercent(config.kill_regression, 2)} worse rolls back early).`,
    );
  }
  let worst: { v: MetricVerdict & { lift: number; goalAdjustedLift: number }; a: MetricAnalysis } | null = null;
  for (const a of [d.primary, ...d.guardrails]) {
    if (!a) continue;
    for (const v of a.verdicts) {
      if (!isUsableVerdict(v)) continue;
      if (regressionTests(v, config, a.metric.goal).kill) mismatch("kill-regression", `${v.variant} on "${a.metric.name}" is ${formatLift(v.lift)}`);
      if (worst === null || v.goalAdjustedLift < worst.v.goalAdjustedLift) worst = { v, a };
    }
  }
  if (!worst) return notEvaluated("Not evaluated: no usable comparison on the primary or guardrail metrics.");
  const gi = goalInterval(worst.v, worst.a.metric.goal);
  return notFired(
    `No variant's always-valid interval lies entirely beyond ${formatPercent(config.kill_regression, 2)} worse than control (kill_regression; armed: every variant has ≥ ${formatCount(config.kill_min_exposures)} exposures, smallest ${smallest.key} ${formatCount(smallest.n)}): the worst is ${worst.v.variant} at ${formatLift(worst.v.lift)} on ${metricLabel(worst.a.metric, worst.a.role)}, always-valid interval ${formatInterval(gi)} (goal-adjusted).`,
  );
}

function explainNoMetricData(ctx: Context): Outcome {
  const primary = ctx.d.primary;
  if (!primary || !ctx.primaryUsable) mismatch("no-metric-data", "the primary metric has no usable data");
  const ok = primary.verdicts.filter((v) => v.error === null).length;
  return notFired(
    `The primary metric "${primary.metric.name}" has usable data for ${ok} of ${primary.verdicts.length} variant${primary.verdicts.length === 1 ? "" : "s"} compared with control (${ctx.d.correction.description}).`,
  );
}

function minSampleSource(ctx: Context): string {
  const rec = ctx.input.experiment.recommendedSampleSize;
  return ctx.d.minSampleSource === "posthog" && rec !== null
    ? `PostHog's recommended sample size ${formatCount(rec)} / ${ctx.counted.length} variants`
    : "min_sample_per_variant";
}

function explainMinimumSample(ctx: Context): Outcome {
  const { d } = ctx;
  if (!ctx.known) return notEvaluated("Not evaluated: exposure counts are unknown (no exposure query result and no primary metric arms).");
  const smallest = smallestVariant(d.exposures, ctx.counted);
  if (!smallest) return notEvaluated("Not evaluated: no counted variant.");
  const need = `${formatCount(d.minSamplePerVariant)} per variant, ${minSampleSource(ctx)}`;
  if (ctx.pastMax) {
    return notFired(
      `Past the maximum duration (${ctx.days}, ${ctx.durationSource}): the minimum sample (${need}) no longer holds a decision back; smallest: ${smallest.key} ${formatCount(smallest.n)}.`,
    );
  }
  if (smallest.n < d.minSamplePerVariant) mismatch("below-minimum-sample", `${smallest.key} has ${smallest.n}`);
  return notFired(`Every variant has at least ${formatCount(smallest.n)} exposures (minimum ${need}).`);
}

/** Why the promote/stop/extend rules cannot run; null when they can. */
function promoteRulesBlocked(ctx: Context): string | null {
  const primary = ctx.d.primary;
  if (!primary) return "Not evaluated: the experiment has no primary metric.";
  if (!ctx.primaryUsable) return `Not evaluated: no usable data for the primary metric "${primary.metric.name}".`;
  if (!ctx.best) return `Not evaluated: no variant has a usable lift on the primary metric "${primary.metric.name}".`;
  return null;
}

/** Guardrail verdicts significantly worse for `variant` (they block its promotion). */
function blockersOf(ctx: Context, variant: string): { a: MetricAnalysis; v: MetricVerdict }[] {
  return ctx.d.guardrails.flatMap((a) => a.verdicts.filter((v) => v.variant === variant && v.significantlyWorse).map((v) => ({ a, v })));
}

interface WinFacts {
  best: MetricVerdict & { lift: number; goalAdjustedLift: number };
  label: string;
  bestText: string;
  significant: boolean;
  meetsMin: boolean;
  minImp: string;
}

function winFacts(ctx: Context): WinFacts | null {
  const { best, d, config } = ctx;
  if (!best || !d.primary) return null;
  return {
    best,
    label: metricLabel(d.primary.metric, "primary"),
    // A significant p-value of a variant that is worse would read as a win without the direction.
    bestText: `${best.variant} at ${formatLift(best.lift)} (${evidence(best, "better")}${best.significantlyWorse ? ", significantly worse" : ""})`,
    significant: best.significantlyBetter,
    meetsMin: best.goalAdjustedLift >= config.min_improvement - LIFT_EPSILON,
    minImp: formatPercent(config.min_improvement, 2),
  };
}

function explainSignificantWin(ctx: Context): Outcome {
  const f = winFacts(ctx);
  if (!f) return notEvaluated(promoteRulesBlocked(ctx) ?? "Not evaluated.");
  const { best, label } = f;
  if (!f.significant) return notFired(`No variant is significantly better than control on ${label}: the best is ${f.bestText}.`);
  if (!f.meetsMin) {
    return notFired(`${best.variant} is significantly better than control on ${label}, but ${formatLift(best.lift)} is below the ${f.minImp} min_improvement.`);
  }
  const blockers = blockersOf(ctx, best.variant);
  if (blockers.length === 0) mismatch("significant-win", `${best.variant} is significantly better with no blocking guardrail`);
  const hurt = blockers.map(({ a, v }) => `${metricLabel(a.metric, "guardrail")} ${v.lift === null ? "" : `${formatLift(v.lift)} `}(${evidence(v, "worse")})`).join(", ");
  return notFired(`${best.variant} is significantly better than control on ${label} (${formatLift(best.lift)}, ${evidence(best, "better")}), but a guardrail is significantly worse: ${hurt}.`);
}

function explainGuardrailBlocks(ctx: Context): Outcome {
  const f = winFacts(ctx);
  if (!f) return notEvaluated(promoteRulesBlocked(ctx) ?? "Not evaluated.");
  const { best, label } = f;
  if (!f.significant) return notFired(`No significant win to block: no variant is significantly better than control on ${label}; the best is ${f.bestText}.`);
  if (!f.meetsMin) return notFired(`No promotion to block: ${best.variant}'s ${formatLift(best.lift)} on ${label} is below the ${f.minImp} min_improvement.`);
  if (blockersOf(ctx, best.variant).length > 0) mismatch("guardrail-blocks-promote", `a guardrail is significantly worse for ${best.variant}`);
  if (ctx.d.guardrails.length === 0) return notFired(`No guardrail can block ${best.variant}'s promotion: ${noGuardrailsWhy(ctx.config)}.`);
  const list = ctx.d.guardrails
    .map((a) => {
      const g = metricLabel(a.metric, "guardrail");
      const v = a.verdicts.find((x) => x.variant === best.variant);
      if (!v || !isUsableVerdict(v)) return `${g}: no usable data for ${best.variant} (${v?.error ?? a.error ?? "no verdict"})`;
      return `${g} ${worseDetail(v, ctx)}`;
    })
    .join("; ");
  return notFired(`No guardrail is significantly worse for ${best.variant}: ${list}.`);
}

function explainBelowMinImprovement(ctx: Context): Outcome {
  const f = winFacts(ctx);
  if (!f) return notEvaluated(promoteRulesBlocked(ctx) ?? "Not evaluated.");
  const { best, label } = f;
  if (!f.significant) {
    return notFired(`No variant is significantly better than control on ${label}, so the ${f.minImp} min_improvement is not checked: the best is ${f.bestText}.`);
  }
  if (!f.meetsMin) mismatch("below-min-improvement", `${best.variant}'s lift is below min_improvement`);
  return notFired(`${best.variant}'s ${formatLift(best.lift)} on ${label} is at least the ${f.minImp} min_improvement.`);
}

function notPastMaxText(ctx: Context): string {
  const { d } = ctx;
  if (d.daysRunning === null) return `Not past the maximum duration: no start date (maximum ${formatNumber(d.maxDurationDays)} days, ${ctx.durationSource})`;
  return `Not past the maximum duration: ${ctx.days} (${ctx.durationSource})`;
}

function nearNeed(ctx: Context, best: MetricVerdict): string {
  const near = nearSignificance(best, ctx.d.method, ctx.config, ctx.d.correction.comparisons);
  return ctx.d.method === "frequentist" ? `p < ${formatNumber(near.threshold)}` : `chance to win ≥ ${formatPercent(near.threshold, 2)}`;
}

function explainPastMax(ctx: Context): Outcome {
  const { d } = ctx;
  if (!ctx.primaryUsable) return notEvaluated(promoteRulesBlocked(ctx) ?? "Not evaluated.");
  if (!ctx.pastMax) return notFired(`${notPastMaxText(ctx)}.`);
  const f = winFacts(ctx);
  if (!f) return mismatch("past-max-duration", "past the maximum duration without a usable lift");
  const past = `Past the maximum duration (${ctx.days}, ${ctx.durationSource})`;
  if (f.significant) return notFired(`${past}, but ${f.best.variant} is significantly better than control on ${f.label}, so the win rules decide.`);
  const near = nearSignificance(f.best, d.method, ctx.config, d.correction.comparisons);
  if (!near.near) mismatch("past-max-duration", "past the maximum duration and not near significance");
  return notFired(`${past}, but ${f.best.variant} is near significance on ${f.label} (${formatLift(f.best.lift)}, ${near.text}).`);
}

function explainNearSignificance(ctx: Context): Outcome {
  const f = winFacts(ctx);
  if (!f) return notEvaluated(promoteRulesBlocked(ctx) ?? "Not evaluated.");
  const need = nearNeed(ctx, f.best);
  if (!ctx.pastMax) return notFired(`${notPastMaxText(ctx)}; near significance (${need}) is only considered after it.`);
  if (f.significant) return notFired(`${f.best.variant} is significantly better than control on ${f.label}: near significance (${need}) is not needed.`);
  const near = nearSignificance(f.best, ctx.d.method, ctx.config, ctx.d.correction.comparisons);
  if (near.near) mismatch("near-significance", near.text);
  return notFired(`${f.best.variant} is not near significance on ${f.label}: ${formatLift(f.best.lift)} (${near.text}).`);
}

const EXPLAIN: Record<Exclude<RuleId, "not-yet-significant">, (ctx: Context) => Outcome> = {
  "not-launched": explainNotLaunched,
  srm: explainSrm,
  "significant-regression": explainSignificantRegression,
  "guardrail-regression": explainGuardrailRegression,
  "kill-regression": explainKill,
  "no-metric-data": explainNoMetricData,
  "below-minimum-sample": explainMinimumSample,
  "significant-win": explainSignificantWin,
  "guardrail-blocks-promote": explainGuardrailBlocks,
  "below-min-improvement": explainBelowMinImprovement,
  "past-max-duration": explainPastMax,
  "near-significance": explainNearSignificance,
};

/**
 * The outcome of every decision rule, one per id of {@link RULE_ORDER} in that order, consistent with
 * `decision` (same reasons, same numbers).
 *
 * - decided: `decision.reasons[0]`'s rule; fired: the other rules of `decision.reasons` — their messages are the
 *   reasons' messages (several reasons of one rule joined by a space);
 * - not-fired: evaluated with a false condition; the message says why, with the numbers and the threshold from
 *   `decision` and `input.config` (e.g. "SRM p = 0.43 ≥ 0.001 on 12,345 exposures (…)");
 * - not-evaluated: the rule could not run (a draft, unknown exposures, SRM below `srm_min_exposures`, the kill
 *   rule not armed below `kill_min_exposures`, no usable primary metric data, no guardrail metric).
 * - not-yet-significant is decided only when it is the sole reason; otherwise not-fired ("another rule
 *   decided") or, for a draft, not-evaluated.
 *
 * Units in messages: lifts and thresholds as percentages, p-values as decimals, days with one decimal.
 * Pure; no I/O.
 *
 * @param decision the result of `decide(input)`
 * @param input the same input `decide()` was given
 * @returns RULE_ORDER.length outcomes, in RULE_ORDER
 * @throws DecisionInputError when `decision` has no reasons, or does not match `input` (a rule whose
 *   condition holds on the decision's numbers is missing from `decision.reasons`, or a draft decided by
 *   another rule)
 */
export function explainRules(decision: Decision, input: DecisionInput): RuleOutcome[] {
  const first = decision.reasons[0];
  if (!first) throw new DecisionInputError("explainRules: decision.reasons is empty; pass the result of decide()");
  const fired = new Map<RuleId, string[]>();
  for (const r of decision.reasons) fired.set(r.rule, [...(fired.get(r.rule) ?? []), r.message]);
  const draft = input.experiment.status === "draft";
  if (draft && first.rule !== "not-launched") {
    throw new DecisionInputError(`explainRules: the decision does not match its input — the experiment is a draft but "${first.rule}" decided`);
  }

  const counted = Object.keys(decision.exposures);
  const primary = decision.primary;
  const primaryUsable = primary !== null && primary.error === null && primary.verdicts.some((v) => v.error === null);
  const best = primaryUsable && primary ? bestVerdict(primary) : null;
  const ctx: Context = {
    d: decision,
    input,
    config: input.config,
    counted,
    known: counted.length > 0,
    pastMax: decision.daysRunning !== null && decision.daysRunning >= decision.maxDurationDays,
    days: dayText(decision.daysRunning, decision.maxDurationDays),
    durationSource: decision.maxDurationSource === "posthog" ? "PostHog's recommended running time" : "max_duration_days",
    primaryUsable,
    best: best && isUsableVerdict(best) ? best : null,
  };

  return RULE_ORDER.map((rule): RuleOutcome => {
    const messages = fired.get(rule);
    if (messages) return { rule, status: rule === first.rule ? "decided" : "fired", message: messages.join(" ") };
    if (draft) return { rule, status: "not-evaluated", message: "Not evaluated: the experiment is a draft (not launched yet)." };
    if (rule === "not-yet-significant") {
      return { rule, status: "not-fired", message: `Not the outcome: the "${first.rule}" rule decided (${decision.decision}).` };
    }
    return { rule, ...EXPLAIN[rule](ctx) };
  });
}
