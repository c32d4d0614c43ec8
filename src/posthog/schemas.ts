/**
 * zod 4 schemas of the PostHog responses we read (field shapes: `/work/shared/reference/posthog-api.md`
 * §2–4 and §7).
 *
 * Policy: every object is a `looseObject` (unknown fields pass through, PostHog adds fields often); fields
 * we do not strictly need are `.nullish()`; fields we rely on (ids, keys, counts, arrays we iterate) fail
 * with a {@link PostHogSchemaError} naming the field path when they have the wrong type.
 */
import { z } from "zod";
import { PostHogSchemaError } from "./errors.js";

const str = z.string();
const num = z.number();

/** One multivariate variant (`filters.multivariate.variants[]`, `parameters.feature_flag_variants[]`). */
export const variantSchema = z.looseObject({
  key: str,
  name: str.nullish(),
  rollout_percentage: num.nullish(),
  split_percent: num.nullish(),
});

/** A release condition group (`filters.groups[]`). */
export const flagGroupSchema = z.looseObject({
  properties: z.array(z.unknown()).nullish(),
  rollout_percentage: num.nullish(),
  variant: str.nullish(),
});

/** Feature flag `filters` (posthog-api.md §7). */
export const flagFiltersSchema = z.looseObject({
  groups: z.array(flagGroupSchema).nullish(),
  multivariate: z.looseObject({ variants: z.array(variantSchema).nullish() }).nullish(),
});

/** A feature flag, as in the flag list or embedded in an experiment (`MinimalFeatureFlag`). */
export const featureFlagSchema = z.looseObject({
  id: num,
  key: str,
  name: str.nullish(),
  active: z.boolean().nullish(),
  deleted: z.boolean().nullish(),
  filters: flagFiltersSchema.nullish(),
  ensure_experience_continuity: z.boolean().nullish(),
  bucketing_identifier: str.nullish(),
  experiment_set: z.array(num).nullish(),
  updated_at: str.nullish(),
});
export type RawFeatureFlag = z.infer<typeof featureFlagSchema>;

/**
 * An experiment metric: `ExperimentMetric` (mean | funnel | ratio | retention) or a legacy
 * `ExperimentTrendsQuery` / `ExperimentFunnelsQuery` (posthog-api.md §3). The query body itself
 * (`source`, `series`, …) is kept raw and sent back verbatim.
 */
export const metricSchema = z
  .looseObject({
    kind: str,
    uuid: str.nullish(),
    name: str.nullish(),
    metric_type: str.nullish(),
    goal: z.enum(["increase", "decrease"]).nullish(),
  })
  .superRefine((m, ctx) => {
    if (m.kind === "ExperimentMetric") {
      const allowed = ["mean", "funnel", "ratio", "retention"];
      if (typeof m.metric_type !== "string" || !allowed.includes(m.metric_type)) {
        ctx.addIssue({
          code: "custom",
          path: ["metric_type"],
          message: `expected one of "mean"|"funnel"|"ratio"|"retention"`,
        });
      }
    } else if (m.kind !== "ExperimentTrendsQuery" && m.kind !== "ExperimentFunnelsQuery") {
      ctx.addIssue({
        code: "custom",
        path: ["kind"],
        message: `expected one of "ExperimentMetric"|"ExperimentTrendsQuery"|"ExperimentFunnelsQuery"`,
      });
    }
  });
export type RawMetric = z.infer<typeof metricSchema>;

/** A saved (shared) metric attached to an experiment. */
export const savedMetricSchema = z.looseObject({
  id: num.nullish(),
  saved_metric: num.nullish(),
  name: str.nullish(),
  metadata: z.looseObject({ type: z.enum(["primary", "secondary"]).nullish() }).nullish(),
  query: metricSchema,
});

const recommendationSchema = z.looseObject({
  minimum_detectable_effect: num.nullish(),
  recommended_running_time: num.nullish(),
  recommended_sample_size: num.nullish(),
});

/**
 * `stats_config` (posthog-api.md §3, §11). Field names as PostHog's runners read them
 * (products/experiments/backend/hogql_queries/utils.py, cuped_config.py): `baseline_variant_key`,
 * `cuped.enabled` (+ `lookback_days`), `frequentist.sequential_testing_enabled` (+
 * `sequential_tuning_parameter`), `bayesian.prior_type`. Absent CUPED / sequential keys fall back to the
 * project's default, which the API does not return.
 */
export const statsConfigSchema = z.looseObject({
  method: z.enum(["bayesian", "frequentist"]).nullish(),
  baseline_variant_key: str.nullish(),
  cuped: z.looseObject({ enabled: z.boolean().nullish(), lookback_days: num.nullish() }).nullish(),
  frequentist: z
    .looseObject({
      alpha: num.nullish(),
      sequential_testing_enabled: z.boolean().nullish(),
      sequential_tuning_parameter: num.nullish(),
    })
    .nullish(),
  bayesian: z
    .looseObject({
      ci_level: num.nullish(),
      prior_type: str.nullish(),
      proper_prior: z.boolean().nullish(),
      prior: z.looseObject({ proper: z.boolean().nullish() }).nullish(),
    })
    .nullish(),
});

/**
 * One of PostHog's own health findings (`ExperimentHealthFinding` in
 * products/experiments/backend/facade/contracts.py): `{code, subcode, severity, title, detail, evidence,
 * actions, diagnostic_ref}`; severity `critical` | `warning` | `info`.
 */
export const healthFindingSchema = z.looseObject({
  code: str,
  subcode: str.nullish(),
  severity: str.nullish(),
  title: str.nullish(),
  detail: str.nullish(),
  evidence: z.record(str, z.unknown()).nullish(),
  diagnostic_ref: str.nullish(),
});

/** Cache fields PostHog adds to every query response (posthog-api.md §4, §11). */
const cacheFields = {
  is_cached: z.boolean().nullish(),
  last_refresh: str.nullish(),
};

/** An experiment: detail or slim list item (`ExperimentBasic`), old and new builds (posthog-api.md §3). */
export const experimentSchema = z
  .looseObject({
    id: num,
    name: str.nullish(),
    description: str.nullish(),
    feature_flag_key: str.nullish(),
    feature_flag: featureFlagSchema.nullish(),
    status: str.nullish(),
    start_date: str.nullish(),
    end_date: str.nullish(),
    created_at: str.nullish(),
    updated_at: str.nullish(),
    archived: z.boolean().nullish(),
    deleted: z.boolean().nullish(),
    conclusion: str.nullish(),
    parameters: recommendationSchema
      .extend({
        feature_flag_variants: z.array(variantSchema).nullish(),
        excluded_variants: z.array(str).nullish(),
      })
      .nullish(),
    running_time_calculation: recommendationSchema.nullish(),
    excluded_variants: z.array(str).nullish(),
    stats_config: statsConfigSchema.nullish(),
    /** `$feature_flag_called` or `$experiment_exposure` (newest builds; posthog-api.md §11). */
    resolved_exposure_event: str.nullish(),
    /** Findings of PostHog's own health checks, on newer details (exp/health/registry.py). */
    health_findings: z.array(healthFindingSchema).nullish(),
    holdout: z
      .looseObject({
        id: num,
        name: str.nullish(),
        filters: z.array(z.looseObject({ rollout_percentage: num.nullish() })).nullish(),
      })
      .nullish(),
    exposure_criteria: z
      .looseObject({
        filterTestAccounts: z.boolean().nullish(),
        multiple_variant_handling: z.enum(["exclude", "first_seen"]).nullish(),
        exposure_config: z.looseObject({ kind: str.nullish(), event: str.nullish() }).nullish(),
      })
      .nullish(),
    metrics: z.array(metricSchema).nullish(),
    metrics_secondary: z.array(metricSchema).nullish(),
    saved_metrics: z.array(savedMetricSchema).nullish(),
    primary_metrics_ordered_uuids: z.array(str).nullish(),
    secondary_metrics_ordered_uuids: z.array(str).nullish(),
  })
  .superRefine((e, ctx) => {
    if (!e.feature_flag_key && !e.feature_flag?.key) {
      ctx.addIssue({
        code: "custom",
        path: ["feature_flag_key"],
        message: "expected a feature flag key (feature_flag_key or feature_flag.key)",
      });
    }
  });
export type RawExperiment = z.infer<typeof experimentSchema>;

/** DRF page `{count, next, previous, results}` (posthog-api.md §1). */
export function pageSchema<T extends z.ZodType>(item: T) {
  return z.looseObject({ next: str.nullish(), results: z.array(item) });
}

/** `ExperimentExposureQuery` response (posthog-api.md §4). */
export const exposureResponseSchema = z.looseObject({
  timeseries: z
    .array(
      z
        .looseObject({ variant: str, days: z.array(str), exposure_counts: z.array(num) })
        .refine((s) => s.days.length === s.exposure_counts.length, {
          message: "days and exposure_counts differ in length",
          path: ["exposure_counts"],
        }),
    )
    .nullish(),
  total_exposures: z.record(str, num).nullish(),
  sample_ratio_mismatch: z
    .looseObject({ expected: z.record(str, num).nullish(), p_value: num.nullish() })
    .nullish(),
  /** `BiasRisk` (exp/health/checks/bias_risk.py): `multiple_variant_percentage` 0–100. */
  bias_risk: z.looseObject({ multiple_variant_percentage: num.nullish() }).nullish(),
  health_findings: z.array(healthFindingSchema).nullish(),
  ...cacheFields,
});
export type RawExposureResponse = z.infer<typeof exposureResponseSchema>;

const interval = z.tuple([num, num]);

/** One arm of an `ExperimentQuery` response (`ExperimentStatsBase` + verdict fields). */
export const armSchema = z.looseObject({
  key: str,
  number_of_samples: num,
  sum: num,
  sum_squares: num,
  denominator_sum: num.nullish(),
  denominator_sum_squares: num.nullish(),
  numerator_denominator_sum_product: num.nullish(),
  validation_failures: z.array(str).nullish(),
  method: z.enum(["bayesian", "frequentist"]).nullish(),
  chance_to_win: num.nullish(),
  p_value: num.nullish(),
  credible_interval: interval.nullish(),
  confidence_interval: interval.nullish(),
  significant: z.boolean().nullish(),
  /** CUPED covariate sums (present when PostHog adjusted this arm; hogql_queries/utils.py). */
  covariate_sum: num.nullish(),
  covariate_sum_squares: num.nullish(),
  covariate_sum_product: num.nullish(),
});
export type RawArm = z.infer<typeof armSchema>;

/** `ExperimentQuery` response (posthog-api.md §4; every field optional). */
export const metricResponseSchema = z.looseObject({
  baseline: armSchema.nullish(),
  variant_results: z.array(armSchema).nullish(),
  ...cacheFields,
});

/**
 * The status of an async query (`QueryStatus`, posthog/api/query.py): in a 202 answer to `POST …/query/`
 * with `refresh: "async"` (a cache miss), and in `GET …/query/{id}/` as `{query_status}` (202 while
 * running, 200 when complete, 400/500 on an error). When complete, `results` holds the query's response.
 */
export const queryStatusSchema = z.looseObject({
  id: str,
  complete: z.boolean().nullish(),
  error: z.boolean().nullish(),
  error_message: str.nullish(),
  results: z.unknown().optional(),
});

/** `GET …/query/{id}/` body. */
export const queryStatusResponseSchema = z.looseObject({ query_status: queryStatusSchema });

/** One activity-log entry (posthog-api.md §7). */
export const activitySchema = z.looseObject({
  activity: str,
  scope: str.nullish(),
  item_id: z.union([str, num]).nullish(),
  created_at: str,
  is_system: z.boolean().nullish(),
  user: z.looseObject({ first_name: str.nullish(), last_name: str.nullish(), email: str.nullish() }).nullish(),
  detail: z
    .looseObject({
      changes: z
        .array(
          z.looseObject({ field: str.nullish(), action: str.nullish(), before: z.unknown(), after: z.unknown() }),
        )
        .nullish(),
    })
    .nullish(),
});
/** Activity page `{results, next, previous, total_count}` (page-based). */
export const activityPageSchema = z.looseObject({ next: str.nullish(), results: z.array(activitySchema) });

/** Renders a zod path as `results[0].feature_flag.filters.groups`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else out += out === "" ? String(p) : `.${String(p)}`;
  }
  return out;
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = data;
  for (const p of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[p];
  }
  return cur;
}

function describe(v: unknown): string {
  if (v === undefined) return "undefined (missing)";
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v;
}

function preview(v: unknown): string {
  if (v === undefined) return "undefined (missing)";
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/**
 * Parses `data` with `schema`.
 *
 * @param endpoint `METHOD /path` for the error message.
 * @throws PostHogSchemaError listing each mismatching field path with expected and received types.
 */
export function parseWith<T extends z.ZodType>(schema: T, data: unknown, endpoint: string): z.infer<T> {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => {
    const path = formatPath(issue.path);
    const actual = valueAt(data, issue.path);
    let message: string;
    if (issue.code === "invalid_type") {
      message = `expected ${issue.expected}, received ${describe(actual)}`;
    } else {
      const base = issue.message.replace(/^Invalid (input|option): /, "");
      message = `${base}, received ${preview(actual)}`;
    }
    return { path, message };
  });
  throw new PostHogSchemaError(endpoint, issues, result.error);
}
