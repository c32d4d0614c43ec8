/**
 * Scan coverage under PostHog's query budget, simulated: N running experiments (a realistic mix of
 * launch ages, recent edits and open findings), scans every `intervalHours` with the capacity the budget
 * model allows (`evaluationsWithin`: 2,400 queries/h × 80 % for scans ÷ 2 queries an evaluation), each
 * scan choosing with the real planner (`planCoverage`: riskiest first, rotation for the rest). Prints the
 * share of experiments checked at least once in 24 h, evaluations a day, and how many were skipped.
 */
import type { Experiment } from "../model.js";
import { DEFAULT_SCAN_BUDGET, evaluationsWithin, planCoverage, type ScanBudget } from "../pipeline/scan-coverage.js";

const NOW = new Date("2026-11-20T00:00:00Z");
const DAY = 86_400_000;

/** `n` running experiments: launched 2–89 days ago (1 in 15 within 7 days), 1 in 20 edited in 2 days, 1 in 50 flagged. */
function running(n: number): { experiments: Experiment[]; flagged: Set<number> } {
  const experiments: Experiment[] = [];
  const flagged = new Set<number>();
  for (let i = 0; i < n; i++) {
    const ageDays = i % 15 === 0 ? 2 + (i % 5) : 8 + (i % 80);
    const editedDays = i % 20 === 0 ? 1 : ageDays;
    if (i % 50 === 0) flagged.add(i + 1);
    // Only the fields the planner reads are meaningful in this simulation.
    experiments.push({
      id: i + 1,
      startDate: new Date(NOW.getTime() - ageDays * DAY).toISOString(),
      updatedAt: new Date(NOW.getTime() - editedDays * DAY).toISOString(),
    } as Experiment);
  }
  return { experiments, flagged };
}

/** Simulates one day of scans; returns the figures. */
export function simulateDay(n: number, budget: ScanBudget, intervalHours: number) {
  const { experiments, flagged } = running(n);
  const capacity = evaluationsWithin(budget, intervalHours);
  const checked = new Set<number>();
  let evaluations = 0;
  let riskyFirst = true;
  const scans = Math.max(1, Math.round(24 / intervalHours));
  let lastSkipped = 0;
  const seen = new Map<number, number>(); // first check of the day, in order → risk tier
  for (let s = 0; s < scans; s++) {
    const at = new Date(NOW.getTime() + s * intervalHours * 3_600_000);
    const plan = planCoverage(experiments, at, { capacity, rotation: s, scansPerDay: scans, flagged });
    evaluations += plan.watch.length;
    for (const w of plan.watch) checked.add(w.experiment.id);
    for (const w of plan.watch) if (!seen.has(w.experiment.id)) seen.set(w.experiment.id, w.risk.tier);
    lastSkipped = plan.skipped.length;
  }
  // Riskiest first: in the day's order of first checks, no risky experiment comes after a routine one.
  const tiers = [...seen.values()];
  const firstRoutine = tiers.indexOf(3);
  riskyFirst = firstRoutine < 0 || tiers.slice(firstRoutine).every((t) => t === 3);
  return { n, capacityPerScan: capacity, scans, evaluations, coverage: checked.size / n, skippedDay: n - checked.size, skippedPerScan: lastSkipped, riskyFirst };
}

/** Prints the coverage table for 1,000 and 10,000 (and, for contrast, 40,000) running experiments. */
export function benchScanCoverage(log: (l: string) => void = (l) => console.log(l)) {
  const rows: ReturnType<typeof simulateDay>[] = [];
  const cases: { budget: ScanBudget; hours: number; label: string }[] = [
    { budget: DEFAULT_SCAN_BUDGET, hours: 1, label: "2,400 queries/h, 80 % for scans, hourly scans" },
    { budget: DEFAULT_SCAN_BUDGET, hours: 24, label: "2,400 queries/h, 80 % for scans, one daily scan" },
    { budget: { ...DEFAULT_SCAN_BUDGET, queriesPerHour: 1_200 }, hours: 1, label: "1,200 queries/h plan, hourly scans" },
  ];
  for (const c of cases) {
    log(`budget: ${c.label}: ${evaluationsWithin(c.budget, 24)} evaluations a day at ${c.budget.queriesPerEvaluation} queries each`);
    for (const n of [1_000, 10_000, 40_000]) {
      const r = simulateDay(n, c.budget, c.hours);
      rows.push(r);
      log(
        `  ${String(n).padStart(6)} running: coverage ${(r.coverage * 100).toFixed(1)} % in 24 h, ` +
          `${r.evaluations} evaluations/day (${r.scans} scans × ≤ ${r.capacityPerScan}), skipped ${r.skippedDay} for the day ` +
          `(each named in the scan log), riskiest first: ${r.riskyFirst ? "yes" : "NO"}`,
      );
    }
  }
  log("today's in-process default (SCAN_WATCH_CAP 10, one daily scan) covers 10 experiments a day; raise SCAN_WATCH_CAP / SCAN_CALL_BUDGET or run scans hourly to use the budget");
  return rows;
}
