/**
 * `npm run bench -- autopilot`: the autopilot's rules over simulated experiments (issue 12). Each scheduled
 * evaluation calls the real `decide()` (default `decision` config, always-valid inference) on the
 * cumulative funnel counts, then the autopilot's own rules (`autopilotCondition`, `nextAutopilotStep`:
 * a rollback needs the same regression on two consecutive evaluations at least `confirm_after_hours` = 6 h
 * apart, the first announcing it). A run's first write ends it, as the real write ends the experiment.
 *
 * Population: the peeking bench's simulator (./peeking.ts; 10 % conversion in control, 600 users per
 * variant per day, PostHog's recommended sample 8,000), 28 days. A/A: the variant converts like control
 * (every rollback or promote is wrong). A/B: the variant is 10 % worse (9 %), which autopilot should roll
 * back. Evaluations every 6 h or once a day. Reported: A/A false rollbacks (must be ≤ α = 0.05) and false
 * promotes (promote on too); A/B share rolled back by day 28 and the median day of the rollback.
 * Deterministic: seeded per run.
 */
import { autopilotCondition, nextAutopilotStep, type AutopilotState } from "../autopilot/rules.js";
import { DEFAULT_CONFIG, type AutopilotConfig } from "../config/schema.js";
import { decideAtLook, simulatedExperiment, simulatedLooks, type SimulationOptions } from "./peeking.js";

const START = Date.parse("2026-01-01T00:00:00Z");
const MS_PER_DAY = 86_400_000;

/** Options of {@link simulateAutopilot}; rates are fractions 0–1. */
export interface AutopilotSimOptions extends SimulationOptions {
  runs: number;
  recommendedSampleSize: number;
  /** Scheduled evaluations per day (4 = every 6 h, 1 = daily). */
  evaluationsPerDay: number;
  autopilot: AutopilotConfig;
}

/** What autopilot did over the runs. */
export interface AutopilotSimResult {
  runs: number;
  rollbacks: number;
  promotes: number;
  /** Day (fractional, since the start) of each run's rollback, for runs rolled back. */
  rollbackDays: number[];
  /** Runs announced (condition seen once) but never confirmed. */
  announcedOnly: number;
}

/**
 * Simulates `runs` frequentist experiments evaluated `evaluationsPerDay` times a day by the autopilot's
 * rules, with nothing blocking (no SRM, fresh data, nobody pausing it). Pure; deterministic for a seed.
 */
export function simulateAutopilot(o: AutopilotSimOptions): AutopilotSimResult {
  const config = { ...DEFAULT_CONFIG.decision, sequential: true };
  const experiment = simulatedExperiment({ method: "frequentist", recommendedSampleSize: o.recommendedSampleSize });
  const out: AutopilotSimResult = { runs: o.runs, rollbacks: 0, promotes: 0, rollbackDays: [], announcedOnly: 0 };
  for (let r = 0; r < o.runs; r++) {
    let state: AutopilotState | null = null;
    let announced = false;
    for (const look of simulatedLooks(o, r, o.evaluationsPerDay)) {
      const now = new Date(START + look.day * MS_PER_DAY);
      const decision = decideAtLook(experiment, config, look);
      const result = autopilotCondition({ config: o.autopilot, sequential: true, experiment, decision, now });
      const step = nextAutopilotStep(state, experiment.id, result.condition, [], now, o.autopilot.confirm_after_hours);
      state = step.state;
      if (step.step === "announce") announced = true;
      if (step.step === "act" && result.condition) {
        if (result.condition.kind === "rollback") {
          out.rollbacks++;
          out.rollbackDays.push(look.day);
        } else if (result.condition.kind === "promote") out.promotes++;
        announced = false;
        break;
      }
    }
    if (announced) out.announcedOnly++;
  }
  return out;
}

function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const pct = (k: number, n: number) => `${((100 * k) / n).toFixed(1)} %`;

/** Prints the A/A false-rollback and false-promote rates and the A/B (−10 %) catch rate and speed. */
export function benchAutopilot(runs = Number(process.env.AUTOPILOT_RUNS ?? 1000)): void {
  const base = { runs, days: 28, usersPerVariantPerDay: 600, baseRate: 0.1, recommendedSampleSize: 8_000 };
  const autopilot: AutopilotConfig = { ...DEFAULT_CONFIG.autopilot, rollback: true, promote: true };
  console.log(
    `${runs} A/A and ${runs} A/B runs each; 10 % conversion, A/B −10 % relative (9 %); 600 users/variant/day; recommended sample 8,000; 28 days; decide() with the default config (always-valid inference, α = 0.05); autopilot rollback and promote on, confirm_after_hours ${autopilot.confirm_after_hours}`,
  );
  for (const evaluationsPerDay of [4, 1]) {
    const started = Date.now();
    const aa = simulateAutopilot({ ...base, lift: 0, seed: 21, evaluationsPerDay, autopilot });
    const ab = simulateAutopilot({ ...base, lift: -0.1, seed: 22, evaluationsPerDay, autopilot });
    const falseRollback = aa.rollbacks / runs;
    const med = median(ab.rollbackDays);
    console.log(
      `evaluations ${evaluationsPerDay === 4 ? "every 6 h" : "daily    "} | A/A: false rollback ${pct(aa.rollbacks, runs)}${falseRollback <= 0.05 ? " ≤ α" : " > α (!)"}, false promote ${pct(aa.promotes, runs)}, announced but not confirmed ${pct(aa.announcedOnly, runs)} ` +
        `| A/B −10 %: rolled back by day 28 ${pct(ab.rollbacks, runs)} (wrongly promoted ${pct(ab.promotes, runs)}), median day of the rollback (runs rolled back) ${med === null ? "n/a" : med.toFixed(2)} | ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  }
}
