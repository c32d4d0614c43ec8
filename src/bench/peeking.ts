/**
 * `npm run bench -- peeking`: how often the real decision rules make a false promote/rollback when they look
 * at an experiment every day, with always-valid (sequential) inference on and off (issue 9).
 *
 * Setup (the issue's): conversion 10 % in control; A/A runs have 10 % in the variant too, A/B runs +10 %
 * relative (11 %, the minimum detectable effect); 600 users per variant per day; PostHog's recommended
 * sample size 8,000 (total, so 4,000 per variant); the default `decision` config otherwise (maximum
 * duration 14 days); one look a day for 28 days, day 1 included, each look calling the real `decide()` on
 * the cumulative funnel counts, frequentist and Bayesian. A run stops at its first promote or rollback
 * (what the bot would act on). Reported:
 * - A/A: false decisions = runs with any promote or rollback over the 28 looks (must be ≤ α = 0.05 with
 *   sequential inference on), and the rate counting only the day-14 look;
 * - A/B: power = runs whose first write is "promote test" by day 28.
 * Deterministic: a seeded mulberry32 stream per run (`rng` in ./matcher.ts), so the figures reproduce.
 */
import { DEFAULT_CONFIG, type DecisionConfig } from "../config/schema.js";
import { decide, type Decision } from "../decision/index.js";
import type { Experiment, Metric, MetricResult, StatsMethod } from "../model.js";
import { rng } from "./matcher.js";

const MS_PER_DAY = 86_400_000;
const START = Date.parse("2026-01-01T00:00:00Z");

/** Options of {@link simulatePeeking}; rates are fractions 0–1. */
export interface PeekingOptions {
  runs: number;
  days: number;
  usersPerVariantPerDay: number;
  baseRate: number;
  /** Relative lift of the variant (0 = A/A). */
  lift: number;
  method: StatsMethod;
  sequential: boolean;
  recommendedSampleSize: number;
  seed: number;
}

/** Figures of one simulated arm of the bench. */
export interface PeekingResult {
  runs: number;
  /** Runs with a promote (of any variant) at some look. */
  promotes: number;
  /** Runs with a rollback at some look. */
  rollbacks: number;
  /** Runs with a promote or rollback at the day-14 look only (the run continued regardless). */
  day14Writes: number;
  /** Runs whose first promote/rollback fell on day 1. */
  day1Writes: number;
}

const METRIC: Metric = {
  uuid: "peeking-conversion",
  name: "Conversion",
  metricType: "funnel",
  goal: "increase",
  role: "primary",
  query: { kind: "ExperimentMetric" },
};

function experimentFor(o: PeekingOptions): Experiment {
  return {
    id: 1,
    name: "Peeking bench",
    description: null,
    flagKey: "peeking-bench",
    flag: null,
    status: "running",
    startDate: new Date(START).toISOString(),
    endDate: null,
    createdAt: new Date(START).toISOString(),
    archived: false,
    conclusion: null,
    statsMethod: o.method,
    alpha: 0.05,
    ciLevel: 0.95,
    variants: [
      { key: "control", rolloutPercentage: 50 },
      { key: "test", rolloutPercentage: 50 },
    ],
    excludedVariants: [],
    holdout: null,
    recommendedSampleSize: o.recommendedSampleSize,
    recommendedRunningTimeDays: null,
    minimumDetectableEffect: 10,
    exposureCriteria: { filterTestAccounts: true, multipleVariantHandling: "exclude", exposureEvent: null },
    primaryMetrics: [METRIC],
    secondaryMetrics: [],
    raw: {},
  };
}

function binomial(n: number, p: number, next: () => number): number {
  let k = 0;
  for (let i = 0; i < n; i++) if (next() < p) k++;
  return k;
}

/** The simulated population of a run (what {@link simulatedLooks} needs from {@link PeekingOptions}). */
export type SimulationOptions = Pick<PeekingOptions, "days" | "usersPerVariantPerDay" | "baseRate" | "lift" | "seed">;

/** One look at a simulated run: cumulative users per arm (`n`) and conversions in control and test. */
export interface Look {
  /** Days since the start (fractional with several looks a day; the last look of day d is d). */
  day: number;
  n: number;
  xc: number;
  xt: number;
}

/**
 * The cumulative counts of run `run` at `looksPerDay` evenly spaced looks a day for `o.days` days: each
 * look adds `usersPerVariantPerDay / looksPerDay` users per arm, converting with `baseRate` (control) and
 * `baseRate·(1 + lift)` (test). Seeded per run (mulberry32), so runs reproduce; one look a day gives the
 * stream {@link simulatePeeking} uses.
 */
export function* simulatedLooks(o: SimulationOptions, run: number, looksPerDay = 1): Generator<Look> {
  const next = rng(o.seed * 1_000_003 + run);
  const users = Math.round(o.usersPerVariantPerDay / looksPerDay);
  const pTest = o.baseRate * (1 + o.lift);
  let n = 0;
  let xc = 0;
  let xt = 0;
  for (let k = 1; k <= o.days * looksPerDay; k++) {
    n += users;
    xc += binomial(users, o.baseRate, next);
    xt += binomial(users, pTest, next);
    yield { day: k / looksPerDay, n, xc, xt };
  }
}

/** The experiment the simulations decide on (`recommendedSampleSize` and `method` from the options). */
export function simulatedExperiment(o: Pick<PeekingOptions, "method" | "recommendedSampleSize">): Experiment {
  return experimentFor(o as PeekingOptions);
}

/** The real `decide()` on one look's funnel counts, at `START + look.day` days. */
export function decideAtLook(experiment: Experiment, config: DecisionConfig, look: Look): Decision {
  const metricResult: MetricResult = {
    metric: METRIC,
    baseline: { key: "control", numberOfSamples: look.n, sum: look.xc, sumSquares: look.xc, validationFailures: [] },
    variants: [{ key: "test", numberOfSamples: look.n, sum: look.xt, sumSquares: look.xt, validationFailures: [] }],
    error: null,
  };
  return decide({ experiment, exposures: null, metricResults: [metricResult], config, now: new Date(START + look.day * MS_PER_DAY) });
}

/**
 * Simulates `runs` experiments looked at once a day with the real `decide()` (default config, `sequential`
 * set as asked). Pure apart from CPU time; deterministic for a given seed.
 */
export function simulatePeeking(o: PeekingOptions): PeekingResult {
  const config: DecisionConfig = { ...DEFAULT_CONFIG.decision, sequential: o.sequential };
  const experiment = experimentFor(o);
  const out: PeekingResult = { runs: o.runs, promotes: 0, rollbacks: 0, day14Writes: 0, day1Writes: 0 };
  for (let r = 0; r < o.runs; r++) {
    let acted = false;
    for (const look of simulatedLooks(o, r)) {
      const day = look.day;
      if (acted && day !== 14) continue;
      const d = decideAtLook(experiment, config, look);
      const write = d.decision === "promote" || d.decision === "rollback";
      if (day === 14 && write) out.day14Writes++;
      if (!acted && write) {
        acted = true;
        if (d.decision === "promote") out.promotes++;
        else out.rollbacks++;
        if (day === 1) out.day1Writes++;
      }
      if (acted && day > 14) break;
    }
  }
  return out;
}

const pct = (k: number, n: number) => `${((100 * k) / n).toFixed(1)} %`;

/** Prints the A/A false-decision rates and the A/B power, frequentist and Bayesian, sequential on and off. */
export function benchPeeking(runs = Number(process.env.PEEKING_RUNS ?? 2000)): void {
  const base = { runs, days: 28, usersPerVariantPerDay: 600, baseRate: 0.1, recommendedSampleSize: 8_000 };
  console.log(
    `${runs} A/A and ${runs} A/B runs each; 10 % conversion, A/B +10 % relative; 600 users/variant/day; recommended sample 8,000; daily looks for 28 days (day 1 included) with decide() and the default config; α = 0.05`,
  );
  for (const method of ["frequentist", "bayesian"] as const) {
    for (const sequential of [true, false]) {
      const started = Date.now();
      const aa = simulatePeeking({ ...base, lift: 0, method, sequential, seed: 1 });
      const ab = simulatePeeking({ ...base, lift: 0.1, method, sequential, seed: 2 });
      const falseRate = (aa.promotes + aa.rollbacks) / runs;
      console.log(
        `${method.padEnd(11)} sequential ${sequential ? "on " : "off"} | A/A false promote/rollback over 28 looks ${pct(aa.promotes + aa.rollbacks, runs)} ` +
          `(promote ${pct(aa.promotes, runs)}, rollback ${pct(aa.rollbacks, runs)}; day 1 alone ${pct(aa.day1Writes, runs)}; day-14 look only ${pct(aa.day14Writes, runs)})` +
          `${sequential ? (falseRate <= 0.05 ? " ≤ α" : " > α (!)") : ""} | A/B power at +10 %: promote by day 28 ${pct(ab.promotes, runs)}, wrong rollback ${pct(ab.rollbacks, runs)} | ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
    }
  }
}
