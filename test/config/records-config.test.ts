/** The `records:` section: defaults, and a path that could leave the repository's folder is refused. */
import { describe, expect, it } from "vitest";
import { configFromYaml } from "../../src/config/load.js";

describe("records config", () => {
  it("defaults to pull requests under docs/experiments with checkpoints at 30, 60 and 90 days", () => {
    expect(configFromYaml("").config.records).toEqual({
      enabled: true,
      mode: "pull_request",
      path: "docs/experiments",
      lookback_days: 30,
      holdout_checkpoints_days: [30, 60, 90],
    });
  });

  it("refuses absolute paths and '..', keeping the default", () => {
    for (const bad of ["/etc", "../outside", "docs/../../x", "docs experiments"]) {
      const r = configFromYaml(`records:\n  path: "${bad}"\n`);
      expect(r.config.records.path).toBe("docs/experiments");
      expect(r.problems.map((p) => p.key)).toEqual(["records.path"]);
    }
    expect(configFromYaml("records:\n  path: decisions/ab-tests\n  mode: dashboard\n").config.records).toMatchObject({ path: "decisions/ab-tests", mode: "dashboard" });
  });
});
