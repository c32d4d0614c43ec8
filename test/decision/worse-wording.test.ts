/**
 * A variant significantly worse than control, but by less than `max_regression`, is not rolled back and not
 * promoted; the sentences that name it as "the best" must say it is significantly worse, so "p < 0.05" is not
 * read as a win (`decide()` reason and `explainRules()` outcomes).
 */
import { describe, expect, it } from "vitest";
import { decide, explainRules } from "../../src/decision/index.js";
import { CONVERSION, config, experiment, exposureResult, funnelArm, NOW, result } from "./builders.js";

describe("a significant but small regression", () => {
  it("is named significantly worse wherever it is called the best variant", () => {
    const n = 200_000;
    const input = {
      experiment: experiment({ primaryMetrics: [CONVERSION] }),
      exposures: exposureResult({ control: n, test: n }),
      // 10 % vs 9.5 %: −5 %, far below α under always-valid inference, above the −10 % max_regression.
      metricResults: [result(CONVERSION, [funnelArm("control", n, 20_000), funnelArm("test", n, 19_000)])],
      config: config(),
      now: NOW,
    };
    const d = decide(input);
    expect(d.decision).toBe("continue");
    expect(d.primary!.verdicts[0]!.significantlyWorse).toBe(true);
    expect(d.reasons[0]!.rule).toBe("not-yet-significant");
    expect(d.reasons[0]!.message).toMatch(/best is test at -5\.0% \(always-valid p = [^)]*< 0\.05, significantly worse\)/);
    const win = explainRules(d, input).find((o) => o.rule === "significant-win")!;
    expect(win.status).toBe("not-fired");
    expect(win.message).toContain("significantly worse)");
  });
});
