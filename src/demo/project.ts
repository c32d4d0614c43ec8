/**
 * The demo PostHog project: raw, PostHog-shaped JSON (posthog-api.md §3–4, §7) for a handful of
 * experiments that between them produce every pull-request decision ({@link DEMO_EXPERIMENTS}) and every
 * hygiene finding kind, plus one healthy experiment ({@link DEMO_HYGIENE_EXPERIMENTS}), built from compact
 * specs so the numbers are easy to read and to change. `npm run demo` replays a snapshot recorded from this
 * project (see `src/demo/record.ts`); the end-to-end tests and the benchmarks serve it with `fake-posthog.ts`.
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
  /**
   * PostHog `validation_failures` of this arm on every metric (posthog-api.md §4), e.g.
   * `not-enough-metric-data` (funnel `sum` < 5) or `baseline-mean-is-zero`. Default none.
   */
  validationFailures?: string[];
}

/** The parts of a flag's `filters` a demo edit changes; unset parts take the experiment's final values. */
export interface DemoFilterState {
  /** Rollout percentage 0–100 of the single release group. */
  rollout?: number;
  /** Variant rollout percentages 0–100, in arm order. */
  split?: number[];
}

/**
 * One edit of the experiment's flag, served as a PostHog activity-log entry (posthog-api.md §7:
 * `activity: "updated"`, `scope: "FeatureFlag"`, one `filters` change with full `before`/`after` objects).
 */
export interface DemoFlagEdit {
  /** Days before `now` the edit was made (may be fractional). */
  daysAgo: number;
  user: { first_name: string; email: string };
  before: DemoFilterState;
  after: DemoFilterState;
}

/**
 * Shape of the cumulative exposure curve of every arm (and of `$multiple`), each ending at its total:
 * - `ramp` (default): a gently accelerating ramp;
 * - `plateau`: most users are exposed early and only a trickle arrives at the end (saturating,
 *   1 − e^(−4·d/days)), a flat curve that still grows every day;
 * - `stall`: the ramp reaches the total `flatDays` days before the last day and stays flat since.
 */
export type DemoExposureShape = { kind: "ramp" } | { kind: "plateau" } | { kind: "stall"; flatDays: number };

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
  /** PostHog's recorded conclusion (`won`, `lost`, …); may be set while the experiment still runs. */
  conclusion?: string | null;
  /** Rollout percentage 0–100 of the flag's single release group now (default 100). */
  rollout?: number;
  /** Cumulative exposure curve (default `ramp`). */
  exposureShape?: DemoExposureShape;
  /** Edits of the flag's `filters`, any order; served newest first by the flag activity endpoint. */
  flagEdits?: DemoFlagEdit[];
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

/** The flag's raw `filters` (posthog-api.md §7) for a state, defaulting to the experiment's final values. */
function flagFilters(e: DemoExperiment, state: DemoFilterState = {}): Record<string, unknown> {
  return {
    groups: [{ properties: [], rollout_percentage: state.rollout ?? e.rollout ?? 100, variant: null }],
    multivariate: {
      variants: e.arms.map((a, i) => ({ key: a.key, name: null, rollout_percentage: state.split?.[i] ?? a.split })),
    },
    payloads: {},
    aggregation_group_type_index: null,
  };
}

/** PostHog activity-log entries (posthog-api.md §7) for the experiment's flag edits, newest first. */
function flagActivity(e: DemoExperiment, now: Date): Record<string, unknown>[] {
  return [...(e.flagEdits ?? [])]
    .sort((a, b) => a.daysAgo - b.daysAgo)
    .map((edit, i) => ({
      id: `0188c0de-0000-0000-${String(e.flagId).padStart(4, "0")}-${String(i + 1).padStart(12, "0")}`,
      user: edit.user,
      activity: "updated",
      scope: "FeatureFlag",
      item_id: String(e.flagId),
      created_at: new Date(now.getTime() - edit.daysAgo * DAY).toISOString(),
      is_system: false,
      was_impersonated: false,
      unread: false,
      detail: {
        name: e.flagKey,
        short_id: null,
        trigger: null,
        changes: [
          {
            type: "FeatureFlag",
            action: "changed",
            field: "filters",
            before: flagFilters(e, edit.before),
            after: flagFilters(e, edit.after),
          },
        ],
      },
    }));
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
    filters: flagFilters(e),
    experiment_set: [e.id],
    created_at: created,
    updated_at: created,
    tags: [],
  };
}

function cumulativeSeries(total: number, days: number, shape: DemoExposureShape = { kind: "ramp" }): number[] {
  if (shape.kind === "stall") {
    // The ramp ends `flatDays` days early; the count stays at `total` since.
    const active = Math.max(1, days - shape.flatDays);
    return [...cumulativeSeries(total, active), ...Array.from({ length: days - active }, () => total)];
  }
  const out: number[] = [];
  if (shape.kind === "plateau") {
    // Saturating: 1 − e^(−4·d/days), rescaled to end exactly at `total`.
    const f = (d: number) => 1 - Math.exp((-4 * d) / days);
    for (let d = 1; d <= days; d++) out.push(Math.round((total * f(d)) / f(days)));
    return out;
  }
  // A gently accelerating ramp, ending exactly at `total`.
  for (let d = 1; d <= days; d++) out.push(Math.round((total * (d * (d + days))) / (days * 2 * days)));
  return out;
}

/**
 * Build the raw project for the experiments, plus extra flags without experiments. Each experiment's flag
 * edits go to `flagActivity[<flag id>]`, newest first.
 *
 * @param now the reference time (the snapshot's `recorded_at`).
 */
export function buildProject(
  now: Date,
  experiments: DemoExperiment[],
  extraFlags: { id: number; key: string; active?: boolean; variants?: string[] }[],
  projectId = "4242",
): FakeProject {
  const activity: Record<string, Record<string, unknown>[]> = {};
  const project: FakeProject = { projectId, flags: [], experiments: [], exposures: {}, metrics: {}, flagActivity: activity };
  for (const e of experiments) {
    const start = e.startDaysAgo === null ? null : new Date(now.getTime() - e.startDaysAgo * DAY);
    const end = e.endDaysAgo === null || e.endDaysAgo === undefined ? null : new Date(now.getTime() - e.endDaysAgo * DAY);
    const created = new Date(now.getTime() - ((e.startDaysAgo ?? 2) + 3) * DAY).toISOString();
    const flag = rawFlag(e, created);
    project.flags.push(flag);
    if (e.flagEdits?.length) activity[String(e.flagId)] = flagActivity(e, now);
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
    const series = e.arms.map((a) => ({
      variant: a.key,
      days: dayList,
      exposure_counts: cumulativeSeries(a.exposures, days, e.exposureShape),
    }));
    const totals: Record<string, number> = Object.fromEntries(e.arms.map((a) => [a.key, a.exposures]));
    if (e.multiple) {
      series.push({ variant: "$multiple", days: dayList, exposure_counts: cumulativeSeries(e.multiple, days, e.exposureShape) });
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
        baseline: { key: control.key, ...baseStats, validation_failures: control.validationFailures ?? [] },
        variant_results: rest.map((a) => ({
          key: a.key,
          method: e.method,
          ...armStats(a.exposures, a.values[m.uuid]!),
          validation_failures: a.validationFailures ?? [],
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
    recommended: { sampleSize: 9_000, runningTime: 14, home: "parameters" },
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

const eli = { first_name: "Eli", email: "eli@example.com" };

/**
 * Experiments for the hygiene scan (issue 3), not referenced by `pr.diff`: each makes one detector fire, and
 * one is healthy. Together with {@link DEMO_EXPERIMENTS} — where `onboarding-checklist` (103) has a sample ratio
 * mismatch (5,300 / 4,700 on 50/50) and the draft `gift-cards` (107) already serves two variants — every
 * finding kind appears at least once at {@link DEMO_NOW}.
 */
export const DEMO_HYGIENE_EXPERIMENTS: DemoExperiment[] = [
  {
    // contamination: 140 of 12,140 exposures (1.15 %) in $multiple > 0.5 %; the flag buckets by distinct_id
    // without experience continuity and users log in at checkout.
    id: 108,
    name: "Saved payment methods",
    description: "Offer to save the card after the first purchase.",
    flagId: 208,
    flagKey: "saved-payment-methods",
    method: "bayesian",
    startDaysAgo: 10,
    arms: [
      { key: "control", split: 50, exposures: 6_010, values: conv("m-repeat", 0.12) },
      { key: "save-card", split: 50, exposures: 5_990, values: conv("m-repeat", 0.125) },
    ],
    primary: { uuid: "m-repeat", name: "Second purchase in 14 days", type: "funnel", event: "purchase_completed" },
    multiple: 140,
  },
  {
    // stall: 8,000 exposures over 10 days (800 a day), then none for the last 4 days.
    id: 109,
    name: "Referral bonus",
    description: "Give $10 to both sides of a referral.",
    flagId: 209,
    flagKey: "referral-bonus",
    method: "frequentist",
    startDaysAgo: 14,
    arms: [
      { key: "control", split: 50, exposures: 4_020, values: conv("m-referral", 0.04) },
      { key: "bonus", split: 50, exposures: 3_980, values: conv("m-referral", 0.05) },
    ],
    primary: { uuid: "m-referral", name: "Sent a referral", type: "funnel", event: "referral_sent" },
    exposureShape: { kind: "stall", flatDays: 4 },
  },
  {
    // mutation: launched at 50 % rollout, raised to 100 % 8 days ago (safe), cut to 40 % 4 days ago (material).
    id: 110,
    name: "Wishlist button",
    description: "A heart icon on product cards.",
    flagId: 210,
    flagKey: "wishlist-button",
    method: "bayesian",
    startDaysAgo: 12,
    rollout: 40,
    arms: [
      { key: "control", split: 50, exposures: 3_510, values: conv("m-wishlist", 0.08) },
      { key: "heart", split: 50, exposures: 3_490, values: conv("m-wishlist", 0.09) },
    ],
    primary: { uuid: "m-wishlist", name: "Product saved", type: "funnel", event: "product_saved" },
    flagEdits: [
      { daysAgo: 8, user: eli, before: { rollout: 50 }, after: { rollout: 100 } },
      { daysAgo: 4, user: eli, before: { rollout: 100 }, after: { rollout: 40 } },
    ],
  },
  {
    // broken-metric: 6,000 healthy exposures, but the primary metric's event was renamed: 0 conversions and
    // PostHog's validation failures in both arms.
    id: 111,
    name: "Loyalty points",
    description: "Earn points on every order.",
    flagId: 211,
    flagKey: "loyalty-points",
    method: "bayesian",
    startDaysAgo: 9,
    arms: [
      {
        key: "control",
        split: 50,
        exposures: 3_030,
        values: conv("m-redeem", 0),
        validationFailures: ["not-enough-metric-data", "baseline-mean-is-zero"],
      },
      { key: "points", split: 50, exposures: 2_970, values: conv("m-redeem", 0), validationFailures: ["not-enough-metric-data"] },
    ],
    primary: { uuid: "m-redeem", name: "Points redeemed", type: "funnel", event: "loyalty_points_redeemed" },
  },
  {
    // zombie: day 48 of a recommended 21 days, 10,000 of a recommended 8,000 exposures, and the curve is flat
    // (the last 7 days added about 1.5 % of all exposures).
    id: 112,
    name: "Product video autoplay",
    description: "Autoplay the product video, muted.",
    flagId: 212,
    flagKey: "product-video-autoplay",
    method: "frequentist",
    startDaysAgo: 48,
    arms: [
      { key: "control", split: 50, exposures: 5_030, values: conv("m-cart", 0.2) },
      { key: "autoplay", split: 50, exposures: 4_970, values: conv("m-cart", 0.201) },
    ],
    primary: { uuid: "m-cart", name: "Added to cart", type: "funnel", event: "cart_item_added" },
    recommended: { sampleSize: 8_000, runningTime: 21, home: "running_time_calculation" },
    exposureShape: { kind: "plateau" },
  },
  {
    // decided-still-running: conclusion "won" recorded, but no end date.
    id: 113,
    name: "Order tracking map",
    description: "A live map on the order status page.",
    flagId: 213,
    flagKey: "order-tracking-map",
    method: "bayesian",
    startDaysAgo: 20,
    conclusion: "won",
    arms: [
      { key: "control", split: 50, exposures: 7_050, values: conv("m-support", 0.1) },
      { key: "map", split: 50, exposures: 6_950, values: conv("m-support", 0.085) },
    ],
    primary: { uuid: "m-support", name: "Contacted support", type: "funnel", event: "support_ticket_created", goal: "decrease" },
  },
  {
    // stale-variants: ended 25 days ago (conclusion "won"), its flag is still active and serves all 3 variants.
    id: 114,
    name: "Autumn sale hero",
    description: "Three hero images for the autumn sale.",
    flagId: 214,
    flagKey: "autumn-sale-hero",
    method: "bayesian",
    startDaysAgo: 46,
    endDaysAgo: 25,
    conclusion: "won",
    arms: [
      { key: "control", split: 34, exposures: 6_820, values: conv("m-sale", 0.05) },
      { key: "leaves", split: 33, exposures: 6_590, values: conv("m-sale", 0.058) },
      { key: "pumpkins", split: 33, exposures: 6_610, values: conv("m-sale", 0.051) },
    ],
    primary: { uuid: "m-sale", name: "Bought a sale item", type: "funnel", event: "purchase_completed" },
  },
  {
    // healthy: day 8 of 14, balanced (4,012 / 3,988 on 50/50, p ≈ 0.79), no $multiple, steady exposures, no
    // flag edits, no conclusion: no finding.
    id: 115,
    name: "Mobile bottom navigation",
    description: "Tabs at the bottom of the mobile web app.",
    flagId: 215,
    flagKey: "mobile-bottom-nav",
    method: "bayesian",
    startDaysAgo: 8,
    arms: [
      { key: "control", split: 50, exposures: 4_012, values: conv("m-session", 0.3) },
      { key: "tabs", split: 50, exposures: 3_988, values: conv("m-session", 0.31) },
    ],
    primary: { uuid: "m-session", name: "Second session in 7 days", type: "funnel", event: "$pageview" },
    recommended: { sampleSize: 20_000, runningTime: 14, home: "running_time_calculation" },
  },
];

/** Flags without experiments. */
export const DEMO_EXTRA_FLAGS = [
  { id: 301, key: "checkout-copy-tweak" },
  { id: 302, key: "legacy-banner" },
  { id: 303, key: "beta-api", active: false },
  ...Array.from({ length: 40 }, (_, i) => ({ id: 400 + i, key: `internal-tool-${i + 1}` })),
];

/** The demo's fixed "now" (the snapshot's `recorded_at`), so the demo output is stable. */
export const DEMO_NOW = new Date("2026-11-20T12:00:00Z");

/** The demo project at `now`: the pull-request experiments, the hygiene experiments and the extra flags. */
export function buildDemoProject(now: Date): FakeProject {
  return buildProject(now, [...DEMO_EXPERIMENTS, ...DEMO_HYGIENE_EXPERIMENTS], DEMO_EXTRA_FLAGS);
}
