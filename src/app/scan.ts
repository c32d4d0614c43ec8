/**
 * Scans from the App: walk every installation's repositories (skipping suspended installations and
 * archived repositories) and run `runScan` over them with installation clients.
 */
import type { Probot } from "probot";
import type { ScanTarget } from "../pipeline/scan.js";
import { addRequestDeadline } from "../github/deadline.js";
import { DEFAULT_DEADLINES } from "../deadline.js";

/**
 * Every repository the App is installed on, as scan targets (github-probot.md §7: `apps.listInstallations`
 * with the JWT client, then `apps.listReposAccessibleToInstallation` per installation). Every client gets
 * the GitHub request deadline `githubRequestMs` (default 60 000 ms).
 */
export async function* installationTargets(app: Probot, githubRequestMs: number = DEFAULT_DEADLINES.githubRequestMs): AsyncIterable<ScanTarget> {
  const appOctokit = addRequestDeadline(await app.auth(), githubRequestMs);
  const installations = await appOctokit.paginate(appOctokit.rest.apps.listInstallations, { per_page: 100 });
  for (const installation of installations) {
    if (installation.suspended_at) continue;
    const octokit = addRequestDeadline(await app.auth(installation.id), githubRequestMs);
    const repos = await octokit.paginate(octokit.rest.apps.listReposAccessibleToInstallation, { per_page: 100 });
    for (const r of repos) {
      if (r.archived || r.disabled) continue;
      yield { octokit: octokit as unknown as ScanTarget["octokit"], repo: { owner: r.owner.login, repo: r.name } };
    }
  }
}

/**
 * The App's bot login, `<slug>[bot]` (`GET /app` with the App's JWT client): the author of its comments and
 * issues. @throws Octokit's RequestError when GitHub refuses.
 */
export async function appBotLogin(app: Probot, githubRequestMs: number = DEFAULT_DEADLINES.githubRequestMs): Promise<string> {
  const { data } = await addRequestDeadline(await app.auth(), githubRequestMs).rest.apps.getAuthenticated();
  return `${data?.slug ?? "experiment-hygiene"}[bot]`;
}

/** Read a positive number from the environment, or the default; throws a clear error on garbage. */
export function numberFromEnv(env: Record<string, string | undefined>, name: string, fallback: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, got "${raw}"`);
  return n;
}
