import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  combineConfigFiles,
  configFromYaml,
  formatProblem,
  parseConfigFile,
  validateConfig,
} from "../../src/config/load.js";
import { DEFAULT_CONFIG } from "../../src/config/schema.js";
import { configJsonSchema } from "../../src/config/json-schema.js";

describe("config validation", () => {
  it("fills every default for an empty or absent file", () => {
    expect(validateConfig(null)).toEqual({ config: DEFAULT_CONFIG, problems: [], fatal: false });
    const { config, problems, fatal } = configFromYaml("");
    expect(problems).toEqual([]);
    expect(fatal).toBe(false);
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
    expect(configFromYaml("# only a comment\n")).toEqual({ config: DEFAULT_CONFIG, problems: [], fatal: false });
  });

  it("merges partial sections over defaults", () => {
    const { config, problems } = configFromYaml("decision:\n  alpha: 0.01\nignore_paths: ['vendor/**']\n");
    expect(problems).toEqual([]);
    expect(config.decision.alpha).toBe(0.01);
    expect(config.decision.max_regression).toBe(0.1);
    expect(config.ignore_paths).toEqual(["vendor/**"]);
  });

  it("keeps every valid key and falls back to the default only for the bad ones, each named with its line (in file order)", () => {
    const yaml = [
      "decision:", //              1
      "  max_regression: 10", //   2
      "  alpah: 0.05", //          3
      "  min_improvement: 0.02", //4
      "comment:", //               5
      "  enabled: 'yes'", //       6
      "  max_experiments: 5", //   7
      "",
    ].join("\n");
    const { config, problems, fatal } = configFromYaml(yaml);
    expect(fatal).toBe(false);
    expect(config.decision.max_regression).toBe(DEFAULT_CONFIG.decision.max_regression);
    expect(config.decision.min_improvement).toBe(0.02);
    expect(config.comment.enabled).toBe(true);
    expect(config.comment.max_experiments).toBe(5);
    expect(problems).toEqual([
      {
        key: "decision.max_regression",
        message: "is a fraction between 0 and 1 (0.1 = 10%), not a percentage; the default 0.1 is used",
        line: 2,
        column: 19,
        file: ".github/experiment-hygiene.yml",
      },
      {
        key: "decision.alpah",
        message: "unknown key, ignored — did you mean `decision.alpha`?",
        line: 3,
        column: 3,
        file: ".github/experiment-hygiene.yml",
      },
      {
        key: "comment.enabled",
        message: "Invalid input: expected boolean, received string; the default true is used",
        line: 6,
        column: 12,
        file: ".github/experiment-hygiene.yml",
      },
    ]);
  });

  it("keeps ignore_paths when an unrelated enum value is bad", () => {
    const { config, problems } = configFromYaml(
      "ignore_paths:\n  - 'vendor/**'\n  - 'generated/**'\ndecision:\n  correction: bonferoni\n  alpha: 0.01\nreports:\n  scope: everything\n",
    );
    expect(config.ignore_paths).toEqual(["vendor/**", "generated/**"]);
    expect(config.decision.correction).toBe("bonferroni");
    expect(config.decision.alpha).toBe(0.01);
    expect(config.reports.scope).toBe("referenced");
    expect(problems.map((p) => [p.key, p.line, p.column])).toEqual([
      ["decision.correction", 5, 15],
      ["reports.scope", 8, 10],
    ]);
    expect(problems[0]!.message).toBe('Invalid option: expected one of "bonferroni"|"holm"|"none"; the default "bonferroni" is used');
  });

  it("reports `max_experiments: -3` exactly once, as a range problem, with its line and column", () => {
    const { config, problems } = configFromYaml("comment:\n  max_experiments: -3\n");
    expect(config.comment.max_experiments).toBe(20);
    expect(problems).toEqual([
      {
        key: "comment.max_experiments",
        message: "must be at least 1; the default 20 is used",
        line: 2,
        column: 20,
        file: ".github/experiment-hygiene.yml",
      },
    ]);
    expect(formatProblem(problems[0]!)).toBe(
      ".github/experiment-hygiene.yml:2:20: comment.max_experiments: must be at least 1; the default 20 is used",
    );
    // The other range-checked integers say the same kind of thing once.
    expect(configFromYaml("reports:\n  reopen_after_days: 0\n").problems.map((p) => p.message)).toEqual([
      "must be at least 1; the default 30 is used",
    ]);
    expect(configFromYaml("comment:\n  max_experiments: 2.5\n").problems.map((p) => p.message)).toEqual([
      "must be a whole number; the default 20 is used",
    ]);
    expect(configFromYaml("comment:\n  max_experiments: many\n").problems.map((p) => p.message)).toEqual([
      "must be a number; the default 20 is used",
    ]);
  });

  it("reports an unknown key with its line, keeps the rest, and suggests the key it was probably meant to be", () => {
    const { config, problems } = configFromYaml("enabled: true\nignore_path:\n  - vendor/**\nalpha: 0.01\nfoo: 1\n");
    expect(config).toEqual(DEFAULT_CONFIG);
    expect(problems.map((p) => [p.key, p.line, p.column, p.message])).toEqual([
      ["ignore_path", 2, 1, "unknown key, ignored — did you mean `ignore_paths`?"],
      ["alpha", 4, 1, "unknown key, ignored — did you mean `decision.alpha`?"],
      ["foo", 5, 1, "unknown key, ignored (check its spelling)"],
    ]);
  });

  it("honours enabled: false beside a typo and a bad value", () => {
    const { config, problems, fatal } = configFromYaml("enabled: false\ncomment:\n  enabeld: true\ndecision:\n  alpha: 5\n");
    expect(fatal).toBe(false);
    expect(config.enabled).toBe(false);
    expect(problems.map((p) => p.key)).toEqual(["comment.enabeld", "decision.alpha"]);
  });

  it("locates problems in flow mappings and in files with CRLF line endings", () => {
    expect(configFromYaml("decision: {alpha: 5, alpah: 1}\n").problems.map((p) => [p.key, p.line, p.column])).toEqual([
      ["decision.alpha", 1, 19],
      ["decision.alpah", 1, 22],
    ]);
    expect(configFromYaml("enabled: true\r\ndecision:\r\n  alpha: 5\r\n").problems.map((p) => [p.key, p.line, p.column])).toEqual([
      ["decision.alpha", 3, 10],
    ]);
  });

  it("drops only the bad items of a list", () => {
    const { config, problems } = configFromYaml("ignore_paths:\n  - vendor/**\n  - 3\n  - ''\n  - dist/**\n");
    expect(config.ignore_paths).toEqual(["vendor/**", "dist/**"]);
    expect(problems.map((p) => [p.key, p.line, p.message])).toEqual([
      ["ignore_paths[1]", 3, "Invalid input: expected string, received number; this item is ignored"],
      ["ignore_paths[2]", 4, "Too small: expected string to have >=1 characters; this item is ignored"],
    ]);
  });

  it("explains a union it cannot match with the key's description", () => {
    const { config, problems } = configFromYaml("decision:\n  guardrails: 5\n");
    expect(config.decision.guardrails).toBe("secondary");
    expect(problems).toHaveLength(1);
    expect(problems[0]!.message).toMatch(/^is not valid\. Guardrail metrics: 'secondary'.*; the default "secondary" is used$/);
  });

  it("uses the defaults for an empty section silently and names an empty value", () => {
    const { config, problems } = configFromYaml("decision:\ncomment:\n  max_experiments:\n");
    expect(config).toEqual(DEFAULT_CONFIG);
    expect(problems.map((p) => [p.key, p.line, p.message])).toEqual([
      ["comment.max_experiments", 3, "has no value; the default 20 is used"],
    ]);
  });

  it("replaces a section that is not a mapping with its defaults and keeps the other sections", () => {
    const { config, problems } = configFromYaml("decision: 5\nreports:\n  enabled: true\n");
    expect(config.decision).toEqual(DEFAULT_CONFIG.decision);
    expect(config.reports.enabled).toBe(true);
    expect(problems.map((p) => [p.key, p.line, p.column])).toEqual([["decision", 1, 11]]);
  });

  it("reads a YAML 1.1 false word for enabled as an opt-out, and says so", () => {
    const { config, problems } = configFromYaml("enabled: off\n");
    expect(config.enabled).toBe(false);
    expect(problems.map((p) => [p.key, p.line])).toEqual([["enabled", 1]]);
    expect(problems[0]!.message).toMatch(/read as false; write `false`/);
  });

  it("is fatal on YAML syntax errors, with line and column, and still reads enabled: false", () => {
    const bad = configFromYaml("decision: [unclosed");
    expect(bad.fatal).toBe(true);
    expect(bad.config.enabled).toBe(true);
    expect(bad.problems).toHaveLength(1);
    expect(bad.problems[0]).toMatchObject({ key: "(file)", line: 1, column: 20, file: ".github/experiment-hygiene.yml" });
    expect(bad.problems[0]!.message).toMatch(/^is not valid YAML: /);
    expect(bad.problems[0]!.message).not.toMatch(/at line/); // the position is in line/column, not repeated

    const optedOut = configFromYaml("enabled: false\ndecision:\n  alpha: [0.05\n");
    expect(optedOut.fatal).toBe(true);
    expect(optedOut.config.enabled).toBe(false);
  });

  it("is fatal on duplicate keys and on a document that is not a mapping", () => {
    expect(configFromYaml("enabled: true\nenabled: false\n")).toMatchObject({ fatal: true, problems: [{ line: 2, column: 1 }] });
    const list = configFromYaml("- a\n- b\n");
    expect(list.fatal).toBe(true);
    expect(list.problems[0]!.message).toMatch(/mapping/);
    expect(configFromYaml("just a sentence\n").fatal).toBe(true);
  });

  it("is fatal, not slow, on an oversized file or an alias bomb", () => {
    const big = configFromYaml(`# ${"x".repeat(300 * 1024)}\n`);
    expect(big).toMatchObject({ fatal: true, problems: [{ key: "(file)" }] });
    expect(big.problems[0]!.message).toMatch(/larger than 256 KiB/);
    const lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 12; i++) lines.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(", ")}]`);
    const bomb = configFromYaml(`${lines.join("\n")}\n`);
    expect(bomb.fatal).toBe(true);
    expect(bomb.problems[0]!.message).toMatch(/^cannot be read: .*alias/i);
  });

  it("merges _extends files: objects key by key, the repository's file wins, problems of both kept", () => {
    const own = parseConfigFile("_extends: .github\ndecision:\n  alpha: 0.01\nignore_paths: [a/**]\n");
    const base = parseConfigFile("decision:\n  alpha: 0.2\n  max_regression: 0.3\n  bogus: 1\nignore_paths: [b/**]\n", "acme/.github:.github/experiment-hygiene.yml");
    const { config, problems, fatal } = combineConfigFiles([own, base]);
    expect(fatal).toBe(false);
    expect(config.decision.alpha).toBe(0.01);
    expect(config.decision.max_regression).toBe(0.3);
    expect(config.ignore_paths).toEqual(["a/**"]);
    expect(problems.map((p) => [p.file, p.key, p.line])).toEqual([["acme/.github:.github/experiment-hygiene.yml", "decision.bogus", 4]]);
  });

  it("keeps the committed JSON Schema in sync with the zod schema", () => {
    const committed = JSON.parse(
      readFileSync(new URL("../../src/config/experiment-hygiene.schema.json", import.meta.url), "utf8"),
    );
    expect(committed).toEqual(configJsonSchema());
  });
});

describe("docs/config.md", () => {
  it("documents every key of the schema with its default", () => {
    const doc = readFileSync(new URL("../../docs/config.md", import.meta.url), "utf8");
    const rows = new Map(
      [...doc.matchAll(/^\| `([^`]+)` \| (.+?) \|/gm)].map((m) => [m[1]!, m[2]!.replace(/`/g, "")] as const),
    );
    const missing: string[] = [];
    const walk = (schema: any, prefix: string) => {
      for (const [key, sub] of Object.entries<any>(schema.properties ?? {})) {
        const path = prefix ? `${prefix}.${key}` : key;
        if (sub.type === "object" && sub.properties) {
          walk(sub, path);
          continue;
        }
        const documented = rows.get(path);
        const expected = sub.default === undefined ? "(none)" : typeof sub.default === "string" ? sub.default : JSON.stringify(sub.default);
        if (documented !== expected) missing.push(`${path} (default ${expected}, documented ${documented ?? "nowhere"})`);
      }
    };
    walk(configJsonSchema(), "");
    expect(missing, "add or fix these rows in docs/config.md's key table").toEqual([]);
  });
});
