/**
 * Loader and shapes for the statistics reference vectors (`test/fixtures/stats-vectors.json`: the sections of
 * the team's `shared/reference/stats-vectors.json` the tests use, computed with scipy 1.17 / mpmath;
 * statistics.md §10), plus a relative-tolerance assertion. Nothing outside the repository is read.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";

/** The copy inside the repository (its `_source` field says where it comes from). */
export const VECTORS_URL = new URL("../fixtures/stats-vectors.json", import.meta.url);

export interface SrmCase {
  id: string;
  counts: number[];
  weights: number[];
  total: number;
  expected_counts: number[];
  df: number;
  chi2: number;
  p_value: number;
  p_value_str: string;
  p_value_float64_one_minus_cdf: number;
  "srm_at_0.001": boolean;
  "srm_at_0.01": boolean;
  max_abs_share_deviation_pct_points?: number;
}

export interface ProportionArm {
  n: number;
  conversions: number;
}

export interface TwoProportionCase {
  id: string;
  control: ProportionArm;
  treatment: ProportionArm;
  p_control: number;
  p_treatment: number;
  pooled_z: number;
  pooled_z_two_sided_p_str: string;
  scipy_chi2_contingency_no_yates_p: number;
  relative_lift: number | null;
  relative_lift_se_delta?: number;
  relative_lift_ci95_delta_z?: [number, number];
  growthbook_style?: { welch_dof: number; t: number; two_sided_p: number; ci95: [number, number] };
}

export interface WelchCase {
  id: string;
  control: { n: number; mean: number; variance: number };
  treatment: { n: number; mean: number; variance: number };
  abs_diff: number;
  se_abs: number;
  t: number;
  welch_dof: number;
  two_sided_p: number;
  abs_ci95_t: [number, number];
  relative_lift: number;
  relative_lift_se_delta: number;
  relative_t: number;
  relative_two_sided_p_growthbook_style: number;
  relative_ci95_t_growthbook_style: [number, number];
  relative_ci95_z: [number, number];
}

export interface BetaBinomialCase {
  id: string;
  control: ProportionArm & { posterior: [number, number] };
  treatment: ProportionArm & { posterior: [number, number] };
  p_treatment_beats_control: number;
  p_treatment_beats_control_str: string;
  expected_loss_if_ship_treatment: number;
  expected_loss_if_keep_control: number;
  growthbook_style_gaussian_ctw_relative: number;
}

export interface SampleSizeCase {
  baseline: number;
  mde_relative: number;
  treatment_rate: number;
  abs_delta: number;
  alpha_two_sided: number;
  power: number;
  n_per_arm_unpooled: number;
  n_per_arm_unpooled_ceil: number;
  n_per_arm_pooled_null_variance: number;
  n_per_arm_pooled_ceil: number;
  n_per_arm_rule_of_thumb_16: number;
}

export interface StatsVectors {
  srm_chi_square_gof: { cases: SrmCase[] };
  two_proportion_tests: { cases: TwoProportionCase[] };
  welch_t_tests_from_summary_stats: { cases: WelchCase[] };
  bayesian_beta_binomial: { cases: BetaBinomialCase[] };
  sample_size_two_proportions: { constants: Record<string, number>; cases: SampleSizeCase[] };
}

export const vectors = JSON.parse(readFileSync(fileURLToPath(VECTORS_URL), "utf8")) as StatsVectors;

/** Relative difference |a − e|/|e| (absolute when e = 0). */
export function relErr(actual: number, expected: number): number {
  if (expected === 0) return Math.abs(actual);
  return Math.abs(actual - expected) / Math.abs(expected);
}

/** Asserts `actual` matches `expected` to relative tolerance `rel` (absolute `rel` when expected is 0). */
export function expectRel(actual: number | null | undefined, expected: number, rel: number, label = ""): void {
  expect(actual, label).toBeTypeOf("number");
  const err = relErr(actual as number, expected);
  expect(err, `${label}: got ${String(actual)}, expected ${expected} (rel err ${err})`).toBeLessThanOrEqual(rel);
}
