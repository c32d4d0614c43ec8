/**
 * The repository configuration for one `pull_request` event, shared by the opened/synchronize handler and
 * the merged-PR handler.
 */
import type { Context } from "probot";
import type { ConfigResult } from "../config/load.js";
import { ConfigReadError, loadRepoConfig, webOrigin } from "../github/repo-config.js";

/**
 * Read `.github/experiment-hygiene.yml` of the event's repository (with its `extends` base, links to the
 * repository's own web host).
 *
 * @param ifUnreadable what the handler leaves undone when the file cannot be read, appended to the warning
 *   (e.g. "leaving the comment as it is")
 * @returns the loaded configuration, or null when GitHub refused the read (logged as a warning with the status)
 * @throws any error other than {@link ConfigReadError}
 */
export async function loadEventConfig(
  context: Context<"pull_request">,
  log: { warn(obj: object, msg: string): void },
  ifUnreadable: string,
): Promise<ConfigResult | null> {
  try {
    return await loadRepoConfig(context.octokit, context.repo(), { webBase: webOrigin(context.payload.repository.html_url) });
  } catch (err) {
    if (!(err instanceof ConfigReadError)) throw err;
    log.warn({ err: err.message, status: err.status }, `could not read .github/experiment-hygiene.yml; ${ifUnreadable}`);
    return null;
  }
}
