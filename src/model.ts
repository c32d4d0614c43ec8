/**
 * The domain model shared by every layer.
 *
 * The PostHog adapter (`src/posthog/`) parses raw API responses with zod and normalises them into
 * these plain types; the pure analysis core (`src/stats/`, `src/matching/`, `src/decision/`,
 * `src/detectors/`) and the renderers only ever see these. Nothing here does I/O.
 *
 * Units: percentages are 0–100 (PostHog's `rollout_percentage`), fractions are 0–1, dates are ISO 8601
 * strings (UTC), counts are integers.
 */

/** The statistical engine an experiment is analysed with (`stats_config.method`). */
export type StatsMethod = "bayesian" | "frequentist";

/**
 * PostHog's derived experiment status. Older builds lack it; it is then derived from the dates:
 * no `start_date` → draft; start and no end → running; `end_date` → stopped. `paused` = launched with
 * its flag inactive.
 */
export type ExperimentStatus = "draft" | "running" | "paused" | "stopped";

/** One variant of a multivariate feature flag. */
export interface Variant {
  key: string;
  name?: string | null;
  /** Share of the flag's bucketed users, 0–100. */
  rolloutPercentage: number;
}

/** One release condition group of a feature flag (`filters.groups[]`). */
export interface FlagGroup {
  /** Property filters; an empty list matches everyone. */
  properties: unknown[];
  /** 0–100; `null` serves everyone who matches. */
  rolloutPercentage: number | null;
  /** A forced variant key, or null. */
  variant: string | null;
}

/** A PostHog feature flag, as needed by the matcher and the detectors. */
export interface FeatureFlag {
  id: number;
  key: string;
  name: string;
  active: boolean;
  deleted: boolean;
  /** Multivariate variants; empty for a boolean flag. */
  variants: Variant[];
  groups: FlagGroup[];
  ensureExperienceContinuity: boolean;
  /** 'distinct_id' | 'device_id' | '' | null. */
  bucketingIdentifier: string | null;
  /** Ids of the experiments that use this flag (`experiment_set`). */
  experimentIds: number[];
  /** The raw `filters` object, kept for diffs of the activity log. */
  filters: unknown;
  updatedAt?: string | null;
}

/** Kinds of PostHog experiment metrics. Legacy kinds are `legacy-trends` / `legacy-funnels`. */
export type MetricType = "mean" | "funnel" | "ratio" | "retention" | "legacy-trends" | "legacy-funnels";

/** One metric of an experiment. */
export interface Metric {
  /** PostHog's metric uuid (or a synthetic `legacy-<index>`). */
  uuid: string;
  name: string;
  metricType: MetricType;
  /** Whether an increase or a decrease is good. PostHog default: increase. */
  goal: "increase" | "decrease";
  /** Primary metric, or secondary (candidates for guardrails). */
  role: "primary" | "secondary";
  /** The raw metric query object, sent back verbatim in `ExperimentQuery`. */
  query: unknown;
}

/** Holdout attached to an experiment. */
export interface Holdout {
  id: number;
  name: string;
  /** Share of all users held out, 0–100. */
  rolloutPercentage: number;
}

/** How exposures are counted (`exposure_criteria`). */
export interface ExposureCriteria {
  filterTestAccounts: boolean;
  /** `exclude` (default) puts users seen in several variants under `$multiple`. */
  multipleVariantHandling: "exclude" | "first_seen";
  /** Custom exposure event, or null for `$feature_flag_called`. */
  exposureEvent: string | null;
}

/**
 * The experiment's analysis settings beyond the method and levels (`stats_config`, posthog-api.md §11).
 * Where PostHog analyses with something the app does not reproduce exactly (CUPED, its own sequential
 * mode, an informative prior), the decision rules use PostHog's per-variant figures and say so.
 */
export interface AnalysisSettings {
  /**
   * The baseline (control) variant key: `stats_config.baseline_variant_key`, else null (then the metric
   * response's `baseline.key`, else `control`, else the first counted variant). Never assume `control`.
   */
  baselineVariantKey: string | null;
  /** CUPED variance reduction enabled (`stats_config.cuped` / responses carry `covariate_*`). */
  cuped: boolean;
  /** PostHog's frequentist sequential testing (`sequential_testing_enabled`): always-valid intervals. */
  sequential: boolean;
  /** A Bayesian informative (proper) prior is configured, so PostHog's posterior differs from the flat-prior one. */
  informativePrior: boolean;
}

/** Default analysis settings: PostHog's defaults (no CUPED, fixed-horizon, flat prior, baseline unset). */
export const DEFAULT_ANALYSIS: AnalysisSettings = {
  baselineVariantKey: null,
  cuped: false,
  sequential: false,
  informativePrior: false,
};

/** A PostHog experiment, normalised. */
export interface Experiment {
  id: number;
  name: string;
  description: string | null;
  flagKey: string;
  /** The linked flag; null when PostHog did not embed it and it could not be found. */
  flag: FeatureFlag | null;
  status: ExperimentStatus;
  startDate: string | null;
  endDate: string | null;
  createdAt: string | null;
  /** PostHog's `updated_at` (ISO 8601): changes with every edit of the experiment; absent in older snapshots. */
  updatedAt?: string | null;
  archived: boolean;
  /** 'won' | 'lost' | 'inconclusive' | 'stopped_early' | 'invalid' | null. */
  conclusion: string | null;
  statsMethod: StatsMethod;
  /** Frequentist significance level (`stats_config.frequentist.alpha`), default 0.05. */
  alpha: number;
  /** Bayesian credible level (`stats_config.bayesian.ci_level`), default 0.95. */
  ciLevel: number;
  /** The rest of `stats_config`; absent means {@link DEFAULT_ANALYSIS}. */
  analysis?: AnalysisSettings;
  /**
   * The event PostHog counts exposures on (`resolved_exposure_event`): `$experiment_exposure` for newer
   * experiments, `$feature_flag_called` for older ones, or a custom event. Absent means unknown
   * (then `exposureCriteria.exposureEvent ?? "$feature_flag_called"`).
   */
  resolvedExposureEvent?: string;
  /** Variant split: from the linked flag when present, else from `parameters.feature_flag_variants`. */
  variants: Variant[];
  /** Variants excluded from analysis (top-level `excluded_variants` or `parameters.excluded_variants`). */
  excludedVariants: string[];
  holdout: Holdout | null;
  /**
   * PostHog's recommended sample size, **total across variants** as its running-time calculator stores it
   * (`ceil(N_per_variant × variants)`, posthog-api.md §5 / statistics.md §5), or null when unset or 0.
   * Read from `running_time_calculation.recommended_sample_size`, else `parameters.recommended_sample_size`.
   */
  recommendedSampleSize: number | null;
  /** Recommended running time in days (`running_time_calculation` or `parameters`), or null when unset or 0. */
  recommendedRunningTimeDays: number | null;
  /** Minimum detectable effect, percent 0–100, or null. */
  minimumDetectableEffect: number | null;
  exposureCriteria: ExposureCriteria;
  /** Primary metrics in PostHog's order (inline and saved). */
  primaryMetrics: Metric[];
  /** Secondary metrics (inline and saved). */
  secondaryMetrics: Metric[];
  /** The raw experiment object (sent back in `ExperimentExposureQuery`). */
  raw: Record<string, unknown>;
}

/** Cumulative exposure series of one variant (PostHog: `exposure_counts` are cumulative per day). */
export interface ExposureSeries {
  variant: string;
  /** ISO dates `YYYY-MM-DD`. */
  days: string[];
  /** Cumulative exposures at the end of each day. */
  cumulative: number[];
}

/**
 * How fresh a PostHog query result is (posthog-api.md §11: results are cached up to 24 h).
 * `computedAt` is PostHog's `last_refresh` (ISO 8601), null when the response does not say.
 */
export interface DataFreshness {
  computedAt: string | null;
  /** `is_cached`; null when absent. */
  cached: boolean | null;
}

/** One server-side health finding PostHog returned (`health_findings`), kept as PostHog worded it. */
export interface PosthogHealthFinding {
  /** PostHog's check id or kind, e.g. `srm`, `bias_risk`. */
  kind: string;
  /** PostHog's severity, when given (e.g. `warning`, `critical`, `info`). */
  severity: string | null;
  /** PostHog's human-readable text (unescaped; the renderer escapes it). */
  message: string;
}

/** Result of an `ExperimentExposureQuery`, normalised. */
export interface ExposureResult {
  experimentId: number;
  timeseries: ExposureSeries[];
  /** Total exposures per variant, including `$multiple` when present. */
  totals: Record<string, number>;
  /** PostHog's own SRM figures when the build returns them. */
  posthogSrm: { expected: Record<string, number>; pValue: number } | null;
  /** PostHog's `bias_risk` (`multiple_variant_percentage`, 0–100), null when absent. */
  biasRisk?: { multipleVariantPercentage: number } | null;
  /** PostHog's own `health_findings`, when the build returns them. */
  healthFindings?: PosthogHealthFinding[];
  /** Age of the data; absent when unknown. */
  freshness?: DataFreshness;
}

/** One arm's sufficient statistics from an `ExperimentQuery` (PostHog's `ExperimentStatsBase`). */
export interface MetricArm {
  key: string;
  /** Exposed users in the arm. */
  numberOfSamples: number;
  /** Sum of the metric (conversions for funnels). */
  sum: number;
  /** Sum of squares of the per-user metric. */
  sumSquares: number;
  /** Ratio metrics only. */
  denominatorSum?: number | null;
  denominatorSumSquares?: number | null;
  numeratorDenominatorSumProduct?: number | null;
  /** PostHog validation failures, e.g. `not-enough-exposures`. */
  validationFailures: string[];
  /** PostHog's own verdict for this variant, when it computed one (absent for the baseline). */
  posthog?: {
    method: StatsMethod | null;
    chanceToWin: number | null;
    pValue: number | null;
    /** Interval on the relative difference (variant/control − 1). */
    interval: [number, number] | null;
    significant: boolean | null;
    /** PostHog's figures are CUPED-adjusted (the arm carries `covariate_*` fields). */
    adjusted?: boolean;
  };
}

/** Result of one `ExperimentQuery` for one metric. */
export interface MetricResult {
  metric: Metric;
  /** The control arm; null when PostHog returned no data. */
  baseline: MetricArm | null;
  variants: MetricArm[];
  /** Set when the query failed or returned nothing usable; the message is for humans. */
  error: string | null;
  /**
   * PostHog is still computing this metric (an async query not complete by the app's deadline): report
   * "still computing", never a broken metric. Absent means false.
   */
  pending?: boolean;
  /** Age of the data; absent when unknown. */
  freshness?: DataFreshness;
}

/** One entry of a flag's or experiment's activity log. */
export interface ActivityEntry {
  scope: string;
  itemId: string;
  activity: string;
  createdAt: string;
  user: string | null;
  changes: { field: string; action: string; before: unknown; after: unknown }[];
}

/** Everything known about one PostHog project at a point in time; the input of the analysis core. */
export interface ProjectState {
  /** PostHog web host, e.g. `https://us.posthog.com`, for links. */
  host: string;
  projectId: string;
  experiments: Experiment[];
  flags: FeatureFlag[];
}
