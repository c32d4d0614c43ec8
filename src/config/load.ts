/**
 * Validating configuration values. Loading happens in the adapters (Probot's `context.config`, or a file
 * for the CLI); this module only turns an unknown value into a `Config` plus readable problems.
 */
import { readFile } from "node:fs/promises";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { configSchema, DEFAULT_CONFIG, type Config } from "./schema.js";

/** The file name under `.github/` (Probot's `context.config` adds the folder). */
export const CONFIG_FILE = "experiment-hygiene.yml";

/** One problem in a configuration file: the dotted key (`decision.max_regression`) and what is wrong. */
export interface ConfigProblem {
  key: string;
  message: string;
}

/** The outcome of validation: a usable config (defaults where the file was wrong) and the problems found. */
export interface ConfigResult {
  config: Config;
  /** Empty when the file was valid (or absent). */
  problems: ConfigProblem[];
}

/**
 * Validate a parsed YAML value against the schema.
 *
 * @param raw the parsed file (object), or null/undefined when there is no file.
 * @returns the config with defaults filled in; when invalid, the **whole** default config (a half-valid file
 *   is not trusted) and one problem per bad key. Never throws.
 */
export function validateConfig(raw: unknown): ConfigResult {
  if (raw === null || raw === undefined) return { config: DEFAULT_CONFIG, problems: [] };
  if (typeof raw !== "object" || Array.isArray(raw)) {
    return {
      config: DEFAULT_CONFIG,
      problems: [{ key: "(file)", message: "the file must be a YAML mapping of keys to values" }],
    };
  }
  const parsed = configSchema.safeParse(raw);
  if (parsed.success) return { config: parsed.data, problems: [] };
  return { config: DEFAULT_CONFIG, problems: problemsFromZod(parsed.error) };
}

/** Turn a zod error into `{key, message}` problems, naming unknown keys explicitly. */
export function problemsFromZod(error: z.ZodError): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const issue of error.issues) {
    const base = issue.path.map(String).join(".");
    if (issue.code === "unrecognized_keys") {
      for (const k of issue.keys) {
        problems.push({ key: base ? `${base}.${k}` : k, message: "unknown key (check its spelling)" });
      }
    } else {
      problems.push({ key: base || "(file)", message: issue.message });
    }
  }
  return problems;
}

/**
 * Parse YAML text and validate it. A YAML syntax error becomes a problem on `(file)`.
 *
 * @param text the file's contents.
 */
export function configFromYaml(text: string): ConfigResult {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    return {
      config: DEFAULT_CONFIG,
      problems: [{ key: "(file)", message: `not valid YAML: ${(err as Error).message.split("\n")[0]}` }],
    };
  }
  return validateConfig(raw);
}

/**
 * Read a configuration file from disk for the CLI. A missing file means defaults.
 *
 * @param path e.g. `.github/experiment-hygiene.yml`.
 * @param required when true, a missing file is an error (the user named it explicitly).
 * @throws Error when `required` and the file cannot be read.
 */
export async function readConfigFile(path: string, required = false): Promise<ConfigResult> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if (!required && (err as NodeJS.ErrnoException).code === "ENOENT") return validateConfig(null);
    throw new Error(`cannot read config file ${path}: ${(err as Error).message}`);
  }
  return configFromYaml(text);
}

/** Render problems as one line each, e.g. "decision.max_regression: … ". */
export function formatProblems(problems: ConfigProblem[]): string {
  return problems.map((p) => `${p.key}: ${p.message}`).join("\n");
}
