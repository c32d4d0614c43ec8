/** The PR comment section says which inference is in force and shows PostHog notes, escaped. */
import { describe, expect, it } from "vitest";
import { decide } from "../../src/decision/index.js";
import type { MetricArm } from "../../src/model.js";
import { experimentSection } from "../../src/render/pr-comment.js";
import { CONVERSION, funnelArm, result, scenario } from "../decision/builders.js";

function section(config: Record<string, unknown>, test: MetricArm, analysis?: { cuped: boolean }) {
  const input = scenario({
    primary: result(CONVERSION, [funnelArm("control", 10_000, 1_000), test]),
    config,
    experiment: analysis ? { analysis: { baselineVariantKey: null, cuped: analysis.cuped, sequential: false, informativePrior: false } } : {},
  });
  const d = decide(input);
  const report = { flagKey: input.experiment.flagKey, experiment: input.experiment, exposures: input.exposures, metricResults: input.metricResults, decision: d, error: null };
  return experimentSection(report, "https://us.posthog.com", "1").join("\n");
}

describe("experimentSection: inference and PostHog notes", () => {
  it("names the inference in force", () => {
    expect(section({ sequential: true }, funnelArm("test", 10_000, 1_100))).toContain("Inference: always-valid (sequential)");
    expect(section({ sequential: false }, funnelArm("test", 10_000, 1_100))).toContain("Inference: fixed-horizon");
  });

  it("says when PostHog's CUPED-adjusted figures decided, and states a disagreement with PostHog's significant", () => {
    const cuped = section(
      { sequential: true },
      { ...funnelArm("test", 10_000, 1_050), posthog: { method: "frequentist", chanceToWin: null, pValue: 1e-6, interval: [0.12, 0.28], significant: true, adjusted: true } },
      { cuped: true },
    );
    expect(cuped).toContain("uses PostHog's CUPED-adjusted figures");
    expect(cuped).toContain("**✅ Promote `test`**");
    const disagree = section(
      { sequential: true },
      { ...funnelArm("test", 10_000, 1_100), posthog: { method: "frequentist", chanceToWin: null, pValue: 0.0211, interval: [0.015, 0.185], significant: true } },
    );
    expect(disagree).toContain("PostHog calls test significant on \"Checkout conversion\", but the app does not");
  });
});
