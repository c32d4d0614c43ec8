import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { configFromYaml, validateConfig } from "../../src/config/load.js";
import { DEFAULT_CONFIG } from "../../src/config/schema.js";
import { configJsonSchema } from "../../src/config/json-schema.js";

describe("config validation", () => {
  it("fills every default for an empty or absent file", () => {
    expect(validateConfig(null)).toEqual({ config: DEFAULT_CONFIG, problems: [] });
    const { config, problems } = configFromYaml("");
    expect(problems).toEqual([]);
    expect(config.decision).toMatchObject({
      srm_alpha: 0.001,
      srm_min_exposures: 1000,
      alpha: 0.05,
      chance_to_win: 0.95,
      correction: "bonferroni",
      min_improvement: 0.05,
      max_regression: 0.1,
      kill_regression: 0.2,
      kill_min_exposures: 200,
      min_sample_per_variant: 1000,
      max_duration_days: 14,
    });
    expect(config.reports.reopen_after_days).toBe(30);
  });

  it("merges partial sections over defaults", () => {
    const { config, problems } = configFromYaml("decision:\n  alpha: 0.01\nignore_paths: ['vendor/**']\n");
    expect(problems).toEqual([]);
    expect(config.decision.alpha).toBe(0.01);
    expect(config.decision.max_regression).toBe(0.1);
    expect(config.ignore_paths).toEqual(["vendor/**"]);
  });

  it("names each bad key and falls back to defaults", () => {
    const { config, problems } = configFromYaml(
      "decision:\n  max_regression: 10\n  alpah: 0.05\ncomment:\n  enabled: 'yes'\n",
    );
    expect(config).toEqual(DEFAULT_CONFIG);
    const keys = problems.map((p) => p.key).sort();
    expect(keys).toEqual(["comment.enabled", "decision.alpah", "decision.max_regression"]);
    expect(problems.find((p) => p.key === "decision.max_regression")!.message).toMatch(/fraction between 0 and 1/);
    expect(problems.find((p) => p.key === "decision.alpah")!.message).toMatch(/unknown key/);
  });

  it("reports YAML syntax errors on the file", () => {
    const { problems } = configFromYaml("decision: [unclosed");
    expect(problems).toHaveLength(1);
    expect(problems[0]!.key).toBe("(file)");
    expect(problems[0]!.message).toMatch(/not valid YAML/);
  });

  it("rejects a non-mapping document", () => {
    expect(configFromYaml("- a\n- b\n").problems[0]!.message).toMatch(/mapping/);
  });

  it("keeps the committed JSON Schema in sync with the zod schema", () => {
    const committed = JSON.parse(
      readFileSync(new URL("../../src/config/experiment-hygiene.schema.json", import.meta.url), "utf8"),
    );
    expect(committed).toEqual(configJsonSchema());
  });
});
