/**
 * Loading `.github/experiment-hygiene.yml` through Probot's `context.config` (@probot/octokit-plugin-config:
 * default branch only, org `.github` repository fallback, `_extends`), then validating it.
 */
import { CONFIG_FILE, validateConfig, type ConfigResult } from "../config/load.js";

/** The part of a Probot context this needs. */
export interface ConfigContext {
  config<T>(fileName: string): Promise<T | null>;
}

/**
 * Read and validate the repository's configuration. Never throws: an unreadable or invalid file yields
 * the defaults and problems naming what was wrong.
 */
export async function loadRepoConfig(context: ConfigContext): Promise<ConfigResult> {
  let raw: unknown;
  try {
    raw = await context.config<Record<string, unknown>>(CONFIG_FILE);
  } catch (err) {
    const message = (err as Error).message.split("\n")[0] ?? "unknown error";
    return validateConfigFailure(`could not be read or parsed: ${message}`);
  }
  return validateConfig(raw);
}

function validateConfigFailure(message: string): ConfigResult {
  const result = validateConfig(null);
  return { config: result.config, problems: [{ key: "(file)", message }] };
}
