/**
 * Normalisation of parsed PostHog responses into the domain model (`src/model.ts`).
 *
 * PostHog moves fields between builds (posthog-api.md §3 "Version drift"); every function here reads the
 * new home first and falls back to the old one. Inputs are the outputs of the zod schemas in
 * `schemas.ts`, so types are already checked; nothing here does I/O or throws on well-typed input.
 */
import type {
  ActivityEntry,
  AnalysisSettings,
  DataFreshness,
  Experiment,
  ExperimentStatus,
  ExposureCriteria,
  ExposureResult,
  FeatureFlag,
  FlagGroup,
  Holdout,
  Metric,
  MetricArm,
  MetricResult,
  MetricType,
  PosthogHealthFinding,
  Variant,
} from "../model.js";
import type { z } from "zod";
import type {
  RawArm,
  RawExperiment,
  healthFindingSchema,
  statsConfigSchema,
  RawExposureResponse,
  RawFeatureFlag,
  RawMetric,
  activitySchema,
  metricResponseSchema,
  variantSchema,
} from "./schemas.js";

/** PostHog's default statistics engine when `stats_config.method` is unset (org default, posthog-api.md §3). */
export const DEFAULT_STATS_METHOD = "bayesian" as const;
/** Default frequentist significance level (`stats_config.frequentist.alpha`). */
export const DEFAULT_ALPHA = 0.05;
/** Default Bayesian credible level (`stats_config.bayesian.ci_level`). */
export const DEFAULT_CI_LEVEL = 0.95;
/** PostHog's default exposure event. */
export const FEATURE_FLAG_CALLED = "$feature_flag_called";

/**
 * Variant list → model variants. `rolloutPercentage` (0–100) is `rollout_percentage`, else
 * `split_percent` (which mirrors it on read), else 0.
 */
export function normalizeVariants(raw: readonly z.infer<typeof variantSchema>[] | null | undefined): Variant[] {
  return (raw ?? []).map((v) => ({
    key: v.key,
    name: v.name ?? null,
    rolloutPercentage: v.rollout_percentage ?? v.split_percent ?? 0,
  }));
}

/**
 * A parsed feature flag → {@link FeatureFlag}.
 *
 * @param fallbackExperimentIds used when `experiment_set` is absent (flags embedded in an experiment
 *   carry no `experiment_set`; the embedding experiment's id is then the known user of the flag).
 */
export function normalizeFlag(raw: RawFeatureFlag, fallbackExperimentIds: number[] = []): FeatureFlag {
  const groups: FlagGroup[] = (raw.filters?.groups ?? []).map((g) => ({
    properties: g.properties ?? [],
    rolloutPercentage: g.rollout_percentage ?? null,
    variant: g.variant ?? null,
  }));
  return {
    id: raw.id,
    key: raw.key,
    name: raw.name ?? "",
    active: raw.active ?? true,
    deleted: raw.deleted ?? false,
    variants: normalizeVariants(raw.filters?.multivariate?.variants),
    groups,
    ensureExperienceContinuity: raw.ensure_experience_continuity ?? false,
    bucketingIdentifier: raw.bucketing_identifier ?? null,
    experimentIds: raw.experiment_set ?? fallbackExperimentIds,
    filters: raw.filters ?? null,
    updatedAt: raw.updated_at ?? null,
  };
}

const STATUSES: readonly ExperimentStatus[] = ["draft", "running", "paused", "stopped"];

/**
 * Experiment status: PostHog's derived `status` when it is one of draft | running | paused | stopped;
 * otherwise (older builds, or newer values such as `exposure_frozen`) derived from the dates — no start →
 * draft, start and no end → running, end → stopped. A running experiment whose linked flag is inactive is
 * `paused` (posthog-api.md §3, exp/health/checks/flag_state.py).
 */
export function deriveStatus(raw: {
  status?: string | null;
  start_date?: string | null;
  end_date?: string | null;
  flagActive?: boolean | null;
}): ExperimentStatus {
  let status: ExperimentStatus;
  if (raw.status && (STATUSES as readonly string[]).includes(raw.status)) status = raw.status as ExperimentStatus;
  else if (!raw.start_date) status = "draft";
  else if (!raw.end_date) status = "running";
  else status = "stopped";
  if (status === "running" && raw.flagActive === false) status = "paused";
  return status;
}

/** First positive value, else null (PostHog stores 0 for "not computed"). */
function positive(...values: (number | null | undefined)[]): number | null {
  for (const v of values) if (typeof v === "number" && Number.isFinite(v) && v > 0) return v;
  return null;
}

/** Readable label of a query node (EventsNode, ActionsNode, DataWarehouseNode…), or null. */
function nodeLabel(node: unknown): string | null {
  if (node === null || typeof node !== "object") return null;
  const n = node as Record<string, unknown>;
  for (const k of ["custom_name", "name", "event", "table_name"] as const) {
    const v = n[k];
    if (typeof v === "string" && v.trim() !== "") return v;
  }
  if (n.kind === "ActionsNode" && (typeof n.id === "number" || typeof n.id === "string")) return `action ${n.id}`;
  return null;
}

function seriesLabel(series: unknown): string | null {
  if (!Array.isArray(series)) return null;
  const labels = series.map(nodeLabel).filter((l): l is string => l !== null);
  return labels.length > 0 ? labels.join(" → ") : null;
}

/**
 * A readable fallback name for a metric without `name`: the event of its source/series
 * (funnel steps joined with →, ratio as `numerator / denominator`).
 */
export function metricFallbackName(m: RawMetric): string {
  const r = m as Record<string, unknown>;
  let label: string | null = null;
  if (m.kind === "ExperimentMetric") {
    switch (m.metric_type) {
      case "mean":
        label = nodeLabel(r.source);
        break;
      case "funnel":
        label = seriesLabel(r.series);
        break;
      case "ratio": {
        const a = nodeLabel(r.numerator);
        const b = nodeLabel(r.denominator);
        label = a && b ? `${a} / ${b}` : a ?? b;
        break;
      }
      case "retention": {
        const a = nodeLabel(r.start_event);
        const b = nodeLabel(r.completion_event);
        label = a && b ? `${a} → ${b}` : a ?? b;
        break;
      }
    }
    return label ?? `${m.metric_type} metric`;
  }
  const inner = (m.kind === "ExperimentTrendsQuery" ? r.count_query : r.funnels_query) as
    | Record<string, unknown>
    | null
    | undefined;
  label = seriesLabel(inner?.series);
  return label ?? (m.kind === "ExperimentTrendsQuery" ? "legacy trends metric" : "legacy funnels metric");
}

function metricTypeOf(m: RawMetric): MetricType {
  if (m.kind === "ExperimentTrendsQuery") return "legacy-trends";
  if (m.kind === "ExperimentFunnelsQuery") return "legacy-funnels";
  return m.metric_type as MetricType; // checked by metricSchema's refinement
}

/**
 * One raw metric → {@link Metric}.
 *
 * @param syntheticIndex used for the synthetic uuid: legacy kinds always get `legacy-<index>`, a new-engine
 *   metric without uuid gets `metric-<index>`.
 */
export function normalizeMetric(
  m: RawMetric,
  role: "primary" | "secondary",
  syntheticIndex: number | string,
  fallbackName?: string | null,
): Metric {
  const metricType = metricTypeOf(m);
  const legacy = metricType === "legacy-trends" || metricType === "legacy-funnels";
  return {
    uuid: legacy ? `legacy-${syntheticIndex}` : m.uuid ?? `metric-${syntheticIndex}`,
    name: m.name?.trim() || fallbackName?.trim() || metricFallbackName(m),
    metricType,
    goal: m.goal ?? "increase",
    role,
    query: m,
  };
}

/** Stable sort: uuids listed in `order` first, in that order; the rest after, in their original order. */
function orderMetrics(metrics: Metric[], order: readonly string[] | null | undefined): Metric[] {
  if (!order || order.length === 0) return metrics;
  const rank = new Map(order.map((u, i) => [u, i] as const));
  return metrics
    .map((m, i) => ({ m, i, r: rank.get(m.uuid) ?? order.length + i }))
    .sort((a, b) => a.r - b.r)
    .map((x) => x.m);
}

/**
 * A parsed experiment (detail or slim list item) → {@link Experiment}. See the field docs in
 * `src/model.ts` for each precedence rule (new home first, then `parameters`).
 *
 * @param original the unparsed JSON object, kept verbatim as `raw`.
 */
export function normalizeExperiment(e: RawExperiment, original: Record<string, unknown>): Experiment {
  const flag = e.feature_flag ? normalizeFlag(e.feature_flag, [e.id]) : null;
  const params = e.parameters ?? null;
  const rtc = e.running_time_calculation ?? null;

  const linkedVariants = e.feature_flag?.filters?.multivariate?.variants;
  const variants =
    linkedVariants && linkedVariants.length > 0
      ? normalizeVariants(linkedVariants)
      : normalizeVariants(params?.feature_flag_variants);

  let holdout: Holdout | null = null;
  if (e.holdout) {
    holdout = {
      id: e.holdout.id,
      name: e.holdout.name ?? `holdout ${e.holdout.id}`,
      rolloutPercentage: e.holdout.filters?.[0]?.rollout_percentage ?? 0,
    };
  }

  const ec = e.exposure_criteria ?? null;
  const event = ec?.exposure_config?.event ?? null;
  const exposureCriteria: ExposureCriteria = {
    filterTestAccounts: ec?.filterTestAccounts ?? true,
    multipleVariantHandling: ec?.multiple_variant_handling ?? "exclude",
    exposureEvent: event && event !== FEATURE_FLAG_CALLED ? event : null,
  };

  // Inline metrics: one synthetic index over [...metrics, ...metrics_secondary] keeps legacy uuids unique.
  const inlinePrimary = e.metrics ?? [];
  const inlineSecondary = e.metrics_secondary ?? [];
  const primary: Metric[] = inlinePrimary.map((m, i) => normalizeMetric(m, "primary", i));
  const secondary: Metric[] = inlineSecondary.map((m, i) =>
    normalizeMetric(m, "secondary", inlinePrimary.length + i),
  );
  (e.saved_metrics ?? []).forEach((s, i) => {
    const role = s.metadata?.type === "secondary" ? "secondary" : "primary";
    const metric = normalizeMetric(s.query, role, `saved-${s.saved_metric ?? s.id ?? i}`, s.name);
    (role === "primary" ? primary : secondary).push(metric);
  });

  const sc = e.stats_config ?? null;
  const resolvedExposureEvent = e.resolved_exposure_event?.trim() || null;
  return {
    id: e.id,
    name: e.name ?? `Experiment ${e.id}`,
    description: e.description ?? null,
    flagKey: e.feature_flag_key || e.feature_flag?.key || "",
    flag,
    status: deriveStatus({
      status: e.status,
      start_date: e.start_date,
      end_date: e.end_date,
      flagActive: flag?.active ?? null,
    }),
    startDate: e.start_date ?? null,
    endDate: e.end_date ?? null,
    createdAt: e.created_at ?? null,
    updatedAt: e.updated_at ?? null,
    archived: e.archived ?? false,
    conclusion: e.conclusion ?? null,
    statsMethod: sc?.method ?? DEFAULT_STATS_METHOD,
    alpha: sc?.frequentist?.alpha ?? DEFAULT_ALPHA,
    ciLevel: sc?.bayesian?.ci_level ?? DEFAULT_CI_LEVEL,
    analysis: normalizeAnalysis(sc),
    ...(resolvedExposureEvent ? { resolvedExposureEvent } : {}),
    variants,
    excludedVariants: e.excluded_variants ?? params?.excluded_variants ?? [],
    holdout,
    recommendedSampleSize: positive(rtc?.recommended_sample_size, params?.recommended_sample_size),
    recommendedRunningTimeDays: positive(rtc?.recommended_running_time, params?.recommended_running_time),
    minimumDetectableEffect: positive(rtc?.minimum_detectable_effect, params?.minimum_detectable_effect),
    exposureCriteria,
    primaryMetrics: orderMetrics(primary, e.primary_metrics_ordered_uuids),
    secondaryMetrics: orderMetrics(secondary, e.secondary_metrics_ordered_uuids),
    raw: original,
  };
}

/**
 * `stats_config` → {@link AnalysisSettings} (always filled; PostHog's defaults where a key is absent).
 *
 * - `baselineVariantKey`: `stats_config.baseline_variant_key` (trimmed), else null — the metric
 *   response's `baseline.key` then names the baseline (PostHog: `control`, or the flag's first variant).
 * - `cuped`: `stats_config.cuped.enabled === true` (cuped_config.py). Absent means "the project default",
 *   which the API does not return: then false here, and each arm's `covariate_*` fields tell whether
 *   PostHog adjusted it (`MetricArm.posthog.adjusted`).
 * - `sequential`: `stats_config.frequentist.sequential_testing_enabled === true` and the method is
 *   frequentist (`_resolve_sequential_settings` in hogql_queries/utils.py; same project-default caveat).
 * - `informativePrior`: `bayesian.proper_prior === true` or `bayesian.prior.proper === true`. PostHog's
 *   current runner reads only `ci_level`, `difference_type` and `prior_type` (its `GaussianPrior` is flat
 *   unless `proper`), so this is false for every experiment seen so far.
 */
export function normalizeAnalysis(sc: z.infer<typeof statsConfigSchema> | null | undefined): AnalysisSettings {
  const method = sc?.method ?? DEFAULT_STATS_METHOD;
  return {
    baselineVariantKey: sc?.baseline_variant_key?.trim() || null,
    cuped: sc?.cuped?.enabled === true,
    sequential: method === "frequentist" && sc?.frequentist?.sequential_testing_enabled === true,
    informativePrior: method === "bayesian" && (sc?.bayesian?.proper_prior === true || sc?.bayesian?.prior?.proper === true),
  };
}

/**
 * Cache fields of a query response → {@link DataFreshness}, or undefined when the response carries
 * neither (older builds, replays of old snapshots). `computedAt` is `last_refresh` when it parses as a date.
 */
export function normalizeFreshness(r: { is_cached?: boolean | null; last_refresh?: string | null }): DataFreshness | undefined {
  const at = typeof r.last_refresh === "string" && !Number.isNaN(Date.parse(r.last_refresh)) ? r.last_refresh : null;
  const cached = typeof r.is_cached === "boolean" ? r.is_cached : null;
  if (at === null && cached === null) return undefined;
  return { computedAt: at, cached };
}

/**
 * PostHog health findings → {@link PosthogHealthFinding}s: `kind` = `code` (with `:subcode` when set),
 * `severity` as given (null when absent), `message` = `title` and `detail` joined ("title: detail"), else
 * the code. Kept verbatim; the renderer escapes them.
 */
export function normalizeHealthFindings(raw: readonly z.infer<typeof healthFindingSchema>[] | null | undefined): PosthogHealthFinding[] {
  return (raw ?? []).map((f) => {
    const title = f.title?.trim() ?? "";
    const detail = f.detail?.trim() ?? "";
    return {
      kind: f.subcode ? `${f.code}:${f.subcode}` : f.code,
      severity: f.severity ?? null,
      message: title && detail ? `${title}: ${detail}` : title || detail || f.code,
    };
  });
}

/**
 * `ExperimentExposureQuery` response → {@link ExposureResult}. `exposure_counts` stay cumulative (per day,
 * posthog-api.md §4). `totals` is `total_exposures` (incl. `$multiple`), completed from the last cumulative
 * value of series it omits. An absent `timeseries` (draft experiment) gives an empty result.
 * `biasRisk` is set when the build returns `bias_risk` (null = PostHog saw no risk); `healthFindings` come
 * from the response's `health_findings`, else from the experiment detail's (`detailFindings`; PostHog
 * attaches them to the detail in newer builds); `freshness` from `last_refresh` / `is_cached`.
 */
export function normalizeExposures(
  experimentId: number,
  r: RawExposureResponse,
  detailFindings?: readonly z.infer<typeof healthFindingSchema>[] | null,
): ExposureResult {
  const timeseries = (r.timeseries ?? []).map((s) => ({
    variant: s.variant,
    days: s.days,
    cumulative: s.exposure_counts,
  }));
  const totals: Record<string, number> = {};
  for (const s of timeseries) totals[s.variant] = s.cumulative[s.cumulative.length - 1] ?? 0;
  Object.assign(totals, r.total_exposures ?? {});
  const srm = r.sample_ratio_mismatch;
  const out: ExposureResult = {
    experimentId,
    timeseries,
    totals,
    posthogSrm:
      srm && typeof srm.p_value === "number" ? { expected: srm.expected ?? {}, pValue: srm.p_value } : null,
  };
  if (r.bias_risk !== undefined) {
    const pct = r.bias_risk?.multiple_variant_percentage;
    out.biasRisk = typeof pct === "number" ? { multipleVariantPercentage: pct } : null;
  }
  const findings = r.health_findings ?? detailFindings;
  if (findings) out.healthFindings = normalizeHealthFindings(findings);
  const freshness = normalizeFreshness(r);
  if (freshness) out.freshness = freshness;
  return out;
}

/** PostHog CUPED-adjusted this arm: it carries `covariate_*` sums (hogql_queries/utils.py `_copy_cuped_fields`). */
function isAdjusted(a: RawArm): boolean {
  return typeof a.covariate_sum === "number" || typeof a.covariate_sum_squares === "number" || typeof a.covariate_sum_product === "number";
}

function normalizeArm(a: RawArm, withVerdict: boolean): MetricArm {
  const arm: MetricArm = {
    key: a.key,
    numberOfSamples: a.number_of_samples,
    sum: a.sum,
    sumSquares: a.sum_squares,
    denominatorSum: a.denominator_sum ?? null,
    denominatorSumSquares: a.denominator_sum_squares ?? null,
    numeratorDenominatorSumProduct: a.numerator_denominator_sum_product ?? null,
    validationFailures: a.validation_failures ?? [],
  };
  if (withVerdict) {
    const interval = a.credible_interval ?? a.confidence_interval ?? null;
    arm.posthog = {
      method: a.method ?? null,
      chanceToWin: a.chance_to_win ?? null,
      pValue: a.p_value ?? null,
      interval: interval ? [interval[0], interval[1]] : null,
      significant: a.significant ?? null,
    };
    if (isAdjusted(a)) arm.posthog.adjusted = true;
  }
  return arm;
}

/**
 * `ExperimentQuery` response → {@link MetricResult}. `error` is set (arms kept) when PostHog returned no
 * arms, or when **every** arm has `validation_failures` (e.g. `not-enough-exposures`; PostHog then leaves
 * its verdict fields null — posthog-api.md §4): nothing usable. Failures on some arms only stay on those
 * arms (a control-only `not-enough-metric-data` on a treatment-only event is expected, not a fault).
 */
export function normalizeMetricResult(metric: Metric, r: z.infer<typeof metricResponseSchema>): MetricResult {
  const baseline = r.baseline ? normalizeArm(r.baseline, false) : null;
  const variants = (r.variant_results ?? []).map((a) => normalizeArm(a, true));
  let error: string | null = null;
  if (!baseline && variants.length === 0) {
    error = `PostHog returned no data for metric "${metric.name}"`;
  } else {
    const arms = [...(baseline ? [baseline] : []), ...variants];
    const failures = arms
      .filter((a) => a.validationFailures.length > 0)
      .map((a) => `${a.key}: ${a.validationFailures.join(", ")}`);
    if (failures.length === arms.length) {
      error = `PostHog validation failures for metric "${metric.name}": ${failures.join("; ")}`;
    }
  }
  const out: MetricResult = { metric, baseline, variants, error };
  const freshness = normalizeFreshness(r);
  if (freshness) out.freshness = freshness;
  return out;
}

/** Activity-log entry → {@link ActivityEntry}. `user` is the display name, else the email, else null. */
export function normalizeActivity(a: z.infer<typeof activitySchema>): ActivityEntry {
  const name = [a.user?.first_name, a.user?.last_name].filter((s) => s && s.trim()).join(" ");
  return {
    scope: a.scope ?? "",
    itemId: a.item_id === null || a.item_id === undefined ? "" : String(a.item_id),
    activity: a.activity,
    createdAt: a.created_at,
    user: name || a.user?.email || null,
    changes: (a.detail?.changes ?? []).map((c) => ({
      field: c.field ?? "",
      action: c.action ?? "changed",
      before: c.before,
      after: c.after,
    })),
  };
}
