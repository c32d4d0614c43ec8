/**
 * The demo PostHog project: raw, PostHog-shaped JSON (posthog-api.md §3–4, §7) for a handful of
 * experiments that between them produce every decision, built from compact specs so the numbers are easy
 * to read and to change. `npm run demo` replays a snapshot recorded from this project (see
 * `src/demo/record.ts`); the end-to-end tests and the benchmarks serve it with `fake-posthog.ts`.
 *
 * Sufficient statistics follow PostHog's ExperimentQuery: funnels have `sum` = conversions and
 * `sum_squares` = `sum` (0/1 per user); means have `sum` = n·mean and `sum_squares` = (n−1)·sd² + n·mean².
 */
import type { FakeProject } from "./fake-posthog.js";

/** One arm of a demo experiment. */
export interface DemoArm {
  key: string;
  /** Rollout percentage 0–100. */
  split: number;
  /** Cumulative exposures at the end of the last day. */
  exposures: number;
  /** Funnel conversion rate (0–1) or mean metric value, per metric uuid. */
  values: Record<string, { rate: number } | { mean: number; sd: number }>;
}

/** One metric of a demo experiment. */
export interface DemoMetric {
  uuid: string;
  name: string;
  type: "funnel" | "mean";
  event: string;
  goal?: "increase" | "decrease";
}

/** A compact experiment description. */
export interface DemoExperiment {
  id: number;
  name: string;
  description: string;
  flagId: number;
  flagKey: string;
  method: "bayesian" | "frequentist";
  /** Days before `now` the experiment started; null for a draft. */
  startDaysAgo: number | null;
  endDaysAgo?: number | null;
  arms: DemoArm[];
  primary: DemoMetric;
  secondary?: DemoMetric[];
  /** PostHog's recommendations; `home` chooses the old (`parameters`) or new (`running_time_calculation`) field. */
  recommended?: { sampleSize: number; runningTime: number; home: "parameters" | "running_time_calculation" };
  /** Users seen in more than one variant. */
  multiple?: number;
  flagActive?: boolean;
  conclusion?: string | null;
}

const DAY = 86_400_000;

function isoDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}

function armStats(n: number, v: { rate: number } | { mean: number; sd: number }) {
  if ("rate" in v) {
    const sum = Math.round(n * v.rate);
    return { number_of_samples: n, sum, sum_squares: sum };
  }
  const sum = Number((n * v.mean).toFixed(4));
  const sumSquares = Number(((n - 1) * v.sd * v.sd + n * v.mean * v.mean).toFixed(4));
  return { number_of_samples: n, sum, sum_squares: sumSquares };
}

function metricQuery(m: DemoMetric): Record<string, unknown> {
  const base = {
    kind: "ExperimentMetric",
    uuid: m.uuid,
    name: m.name,
    goal: m.goal ?? "increase",
    fingerprint: `fp-${m.uuid}`,
    conversion_window: 14,
    conversion_window_unit: "day",
  };
  return m.type === "funnel"
    ? { ...base, metric_type: "funnel", series: [{ kind: "EventsNode", event: m.event }] }
    : { ...base, metric_type: "mean", source: { kind: "EventsNode", event: m.event, math: "sum", math_property: "amount" } };
}

function rawFlag(e: DemoExperiment, created: string): Record<string, unknown> {
  return {
    id: e.flagId,
    team_id: 1,
    key: e.flagKey,
    name: `Feature flag for experiment ${e.name}`,
    active: e.flagActive ?? true,
    deleted: false,
    version: 2,
    ensure_experience_continuity: false,
    bucketing_identifier: "distinct_id",
    evaluation_runtime: "all",
    filters: {
      groups: [{ properties: [], rollout_percentage: 100, variant: null }],
      multivariate: { variants: e.arms.map((a) => ({ key: a.key, name: null, rollout_percentage: a.split })) },
      payloads: {},
      aggregation_group_type_index: null,
    },
    experiment_set: [e.id],
    created_at: created,
    updated_at: created,
    tags: [],
  };
}

function cumulativeSeries(total: number, days: number): number[] {
  // A gently accelerating ramp, ending exactly at `total`.
  const out: number[] = [];
  for (let d = 1; d <= days; d++) out.push(Math.round((total * (d * (d + days))) / (days * 2 * days)));
  return out;
}

/**
 * Build the raw project for the experiments, plus extra flags without experiments.
 *
 * @param now the reference time (the snapshot's `recorded_at`).
 */
export function buildProject(
  now: Date,
  experiments: DemoExperiment[],
  extraFlags: { id: number; key: string; active?: boolean; variants?: string[] }[],
  projectId = "4242",
): FakeProject {
  const project: FakeProject = { projectId, flags: [], experiments: [], exposures: {}, metrics: {}, flagActivity: {} };
  for (const e of experiments) {
    const start = e.startDaysAgo === null ? null : new Date(now.getTime() - e.startDaysAgo * DAY);
    const end = e.endDaysAgo === null || e.endDaysAgo === undefined ? null : new Date(now.getTime() - e.endDaysAgo * DAY);
    const created = new Date(now.getTime() - ((e.startDaysAgo ?? 2) + 3) * DAY).toISOString();
    const flag = rawFlag(e, created);
    project.flags.push(flag);
    const status = start === null ? "draft" : end ? "stopped" : (e.flagActive ?? true) ? "running" : "paused";
    const variants = e.arms.map((a) => ({ key: a.key, name: null, rollout_percentage: a.split, split_percent: a.split }));
    const parameters: Record<string, unknown> = { feature_flag_variants: variants, minimum_detectable_effect: 5 };
    const detail: Record<string, unknown> = {
      id: e.id,
      name: e.name,
      description: e.description,
      type: "product",
      start_date: start?.toISOString() ?? null,
      end_date: end?.toISOString() ?? null,
      created_at: created,
      updated_at: created,
      created_by: { id: 1, uuid: "0188a1b2-0000-0000-0000-000000000001", first_name: "Dana", email: "dana@example.com" },
      feature_flag_key: e.flagKey,
      feature_flag: flag,
      holdout: null,
      holdout_id: null,
      exposure_cohort: null,
      exposure_criteria: { filterTestAccounts: true, multiple_variant_handling: "exclude" },
      parameters,
      stats_config: { method: e.method, ...(e.method === "frequentist" ? { frequentist: { alpha: 0.05 } } : {}) },
      metrics: [metricQuery(e.primary)],
      metrics_secondary: (e.secondary ?? []).map(metricQuery),
      saved_metrics: [],
      saved_metrics_ids: [],
      primary_metrics_ordered_uuids: [e.primary.uuid],
      secondary_metrics_ordered_uuids: (e.secondary ?? []).map((m) => m.uuid),
      archived: false,
      deleted: false,
      status,
      conclusion: e.conclusion ?? null,
      conclusion_comment: null,
      excluded_variants: null,
    };
    if (e.recommended) {
      if (e.recommended.home === "parameters") {
        parameters["recommended_sample_size"] = e.recommended.sampleSize;
        parameters["recommended_running_time"] = e.recommended.runningTime;
      } else {
        detail["running_time_calculation"] = {
          minimum_detectable_effect: 5,
          recommended_sample_size: e.recommended.sampleSize,
          recommended_running_time: e.recommended.runningTime,
          exposure_estimate_config: { conversionRateInputType: "automatic" },
        };
      }
    }
    project.experiments.push(detail);
    if (!start) continue;

    const lastDay = end ?? now;
    const days = Math.max(1, Math.ceil((lastDay.getTime() - start.getTime()) / DAY));
    const dayList = Array.from({ length: days }, (_, i) => isoDay(new Date(start.getTime() + i * DAY)));
    const series = e.arms.map((a) => ({ variant: a.key, days: dayList, exposure_counts: cumulativeSeries(a.exposures, days) }));
    const totals: Record<string, number> = Object.fromEntries(e.arms.map((a) => [a.key, a.exposures]));
    if (e.multiple) {
      series.push({ variant: "$multiple", days: dayList, exposure_counts: cumulativeSeries(e.multiple, days) });
      totals["$multiple"] = e.multiple;
    }
    project.exposures[String(e.id)] = {
      kind: "ExperimentExposureQuery",
      timeseries: series,
      total_exposures: totals,
      date_range: { date_from: start.toISOString(), date_to: end?.toISOString() ?? null, explicitDate: true },
    };
    for (const m of [e.primary, ...(e.secondary ?? [])]) {
      const [control, ...rest] = e.arms;
      if (!control) continue;
      const baseStats = armStats(control.exposures, control.values[m.uuid]!);
      project.metrics[`${e.id}:${m.uuid}`] = {
        kind: "ExperimentQuery",
        metric: metricQuery(m),
        baseline: { key: control.key, ...baseStats, validation_failures: [] },
        variant_results: rest.map((a) => ({
          key: a.key,
          method: e.method,
          ...armStats(a.exposures, a.values[m.uuid]!),
          validation_failures: [],
        })),
        is_precomputed: false,
      };
    }
  }
  for (const f of extraFlags) {
    project.flags.push({
      id: f.id,
      team_id: 1,
      key: f.key,
      name: "",
      active: f.active ?? true,
      deleted: false,
      version: 1,
      ensure_experience_continuity: false,
      bucketing_identifier: "distinct_id",
      filters: {
        groups: [{ properties: [], rollout_percentage: 100, variant: null }],
        ...(f.variants
          ? { multivariate: { variants: f.variants.map((k) => ({ key: k, rollout_percentage: 100 / f.variants!.length })) } }
          : {}),
        payloads: {},
      },
      experiment_set: [],
      created_at: new Date(now.getTime() - 90 * DAY).toISOString(),
      tags: [],
    });
  }
  return project;
}

const conv = (uuid: string, rate: number) => ({ [uuid]: { rate } });

/** The demo's experiments: one per decision, plus a draft. */
export const DEMO_EXPERIMENTS: DemoExperiment[] = [
  {
    id: 101,
    name: "New checkout flow",
    description: "One-page checkout instead of three steps.",
    flagId: 201,
    flagKey: "new-checkout",
    method: "bayesian",
    startDaysAgo: 16,
    arms: [
      { key: "control", split: 50, exposures: 10_020, values: { ...conv("m-purchase", 0.1), "m-latency": { mean: 820, sd: 300 } } },
      { key: "test", split: 50, exposures: 9_980, values: { ...conv("m-purchase", 0.116), "m-latency": { mean: 826, sd: 310 } } },
    ],
    primary: { uuid: "m-purchase", name: "Purchase conversion", type: "funnel", event: "purchase_completed" },
    secondary: [{ uuid: "m-latency", name: "Checkout page load (ms)", type: "mean", event: "checkout_loaded", goal: "decrease" }],
    recommended: { sampleSize: 16_000, runningTime: 14, home: "running_time_calculation" },
    multiple: 31,
  },
  {
    id: 102,
    name: "Pricing page v2",
    description: "Annual plans first.",
    flagId: 202,
    flagKey: "pricing-page-v2",
    method: "frequentist",
    startDaysAgo: 9,
    arms: [
      { key: "control", split: 50, exposures: 5_040, values: { "m-revenue": { mean: 10, sd: 20 } } },
      { key: "annual-first", split: 50, exposures: 4_960, values: { "m-revenue": { mean: 8.3, sd: 19 } } },
    ],
    primary: { uuid: "m-revenue", name: "Revenue per user", type: "mean", event: "subscription_paid" },
    recommended: { sampleSize: 12_000, runningTime: 14, home: "parameters" },
  },
  {
    id: 103,
    name: "Onboarding checklist",
    description: "A five-step checklist on first login.",
    flagId: 203,
    flagKey: "onboarding-checklist",
    method: "bayesian",
    startDaysAgo: 12,
    arms: [
      { key: "control", split: 50, exposures: 5_300, values: conv("m-activated", 0.3) },
      { key: "checklist", split: 50, exposures: 4_700, values: conv("m-activated", 0.34) },
    ],
    primary: { uuid: "m-activated", name: "Activated in 7 days", type: "funnel", event: "project_created" },
  },
  {
    id: 104,
    name: "Search ranking model",
    description: "Learning-to-rank model for search results.",
    flagId: 204,
    flagKey: "search_ranking_v3",
    method: "frequentist",
    startDaysAgo: 3,
    arms: [
      { key: "control", split: 50, exposures: 410, values: conv("m-click", 0.2) },
      { key: "ltr", split: 50, exposures: 396, values: conv("m-click", 0.23) },
    ],
    primary: { uuid: "m-click", name: "Search result click-through", type: "funnel", event: "search_result_clicked" },
    recommended: { sampleSize: 12_000, runningTime: 21, home: "running_time_calculation" },
  },
  {
    id: 105,
    name: "Dark mode by default",
    description: "Follow the OS theme, dark when unknown.",
    flagId: 205,
    flagKey: "dark-mode-default",
    method: "frequentist",
    startDaysAgo: 20,
    arms: [
      { key: "control", split: 34, exposures: 4_080, values: conv("m-retained", 0.2) },
      { key: "dark", split: 33, exposures: 3_960, values: conv("m-retained", 0.22) },
      { key: "system", split: 33, exposures: 3_960, values: conv("m-retained", 0.205) },
    ],
    primary: { uuid: "m-retained", name: "Returned next week", type: "funnel", event: "$pageview" },
  },
  {
    id: 106,
    name: "Recommendations widget",
    description: "“You may also like” under the cart.",
    flagId: 206,
    flagKey: "recs-widget",
    method: "frequentist",
    startDaysAgo: 15,
    arms: [
      { key: "control", split: 50, exposures: 40_100, values: conv("m-add", 0.3) },
      { key: "widget", split: 50, exposures: 39_900, values: conv("m-add", 0.312) },
    ],
    primary: { uuid: "m-add", name: "Added a second item", type: "funnel", event: "cart_item_added" },
    recommended: { sampleSize: 60_000, runningTime: 14, home: "parameters" },
  },
  {
    id: 107,
    name: "Gift cards",
    description: "Sell gift cards at checkout (not launched yet).",
    flagId: 207,
    flagKey: "gift-cards",
    method: "bayesian",
    startDaysAgo: null,
    arms: [
      { key: "control", split: 50, exposures: 0, values: conv("m-gift", 0.01) },
      { key: "test", split: 50, exposures: 0, values: conv("m-gift", 0.01) },
    ],
    primary: { uuid: "m-gift", name: "Gift card purchased", type: "funnel", event: "gift_card_purchased" },
  },
];

/** Flags without experiments. */
export const DEMO_EXTRA_FLAGS = [
  { id: 301, key: "checkout-copy-tweak" },
  { id: 302, key: "legacy-banner" },
  { id: 303, key: "beta-api", active: false },
  ...Array.from({ length: 40 }, (_, i) => ({ id: 400 + i, key: `internal-tool-${i + 1}` })),
];

/** The demo project at `now`. */
export function buildDemoProject(now: Date): FakeProject {
  return buildProject(now, DEMO_EXPERIMENTS, DEMO_EXTRA_FLAGS);
}
