/**
 * `experiment-hygiene scan`: one scheduled-scan pass, then exit. For cron jobs and scheduled GitHub
 * Actions workflows.
 *
 * - `--repo owner/name` (repeatable) with `GITHUB_TOKEN` (honouring `GITHUB_API_URL` and
 *   `GITHUB_SERVER_URL` as GitHub Actions sets them), or every installation with App credentials
 *   (`APP_ID`, `PRIVATE_KEY`/`PRIVATE_KEY_PATH`, `GHE_HOST`).
 * - `--offline`: no GitHub at all; every experiment of the project is in scope and the findings (and the
 *   issues that would be opened) are printed. The demo uses it.
 * - `--dry-run` prints what would be opened, updated and closed; `--json` prints the findings.
 */
import { posthogWritesFromEnv } from "../posthog/index.js";
import { Octokit } from "@octokit/rest";
import { deadlinesFromEnv } from "../deadline.js";
import { addRequestDeadline } from "../github/deadline.js";
import { config as configPlugin } from "@probot/octokit-plugin-config";
import { createProbot } from "probot";
import { appBotLogin, installationTargets } from "../app/scan.js";
import type { Finding } from "../detectors/index.js";
import type { Logger } from "../github/types.js";
import { silentLogger } from "../github/types.js";
import { loadProjectState } from "../pipeline/project-state.js";
import { planRepositoryIssues } from "../pipeline/scan-plan.js";
import { runScan, type ScanResult, type ScanTarget } from "../pipeline/scan.js";
import { findingCaptureFromEnv } from "../posthog/capture.js";
import type { PostHogApi } from "../posthog/index.js";
import { DEFAULT_CONFIG } from "../config/schema.js";
import { escapeMarkdown } from "../render/markdown.js";

/** A usage problem of the scan command (exit code 2): missing credentials, a malformed option. */
export class ScanUsageError extends Error {
  override name = "ScanUsageError";
}

/** Options of the scan command. */
export interface ScanCommandOptions {
  repo?: string[];
  dryRun?: boolean;
  json?: boolean;
  offline?: boolean;
  botLogin?: string;
  watchCap?: string;
  budget?: string;
}

/** A finding as printed by `--json` (snake_case, like the PR JSON). */
export function findingJson(f: Finding) {
  return {
    kind: f.kind,
    severity: f.severity,
    experiment_id: f.experimentId,
    experiment_name: f.experimentName,
    flag_key: f.flagKey,
    dedupe_key: f.dedupeKey,
    title: f.title,
    contradiction: f.contradiction,
    cause: f.cause,
    action: f.action,
    onset: f.onset,
    evidence: f.evidence,
    ...(f.codeReferences ? { code_references: f.codeReferences } : {}),
  };
}

function parseRepo(s: string): { owner: string; repo: string } {
  const m = s.match(/^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)$/);
  if (!m) throw new ScanUsageError(`--repo must be owner/name, got "${s}"`);
  return { owner: m[1]!, repo: m[2]! };
}

function positive(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new ScanUsageError(`${name} must be a whole number ≥ 0, got "${raw}"`);
  return n;
}

/** The token-based Octokit with the config plugin, for `--repo` runs. */
export function tokenOctokit(env: Record<string, string | undefined>) {
  const token = env["GITHUB_TOKEN"]?.trim();
  if (!token) throw new ScanUsageError("--repo needs GITHUB_TOKEN (a token that can read contents and write issues)");
  const WithConfig = Octokit.plugin(configPlugin);
  const octokit = new WithConfig({
    auth: token,
    baseUrl: env["GITHUB_API_URL"]?.trim() || "https://api.github.com",
    userAgent: "experiment-hygiene",
    // Failed requests are thrown and reported by the caller; request logging would only repeat them.
    log: { debug() {}, info() {}, warn: console.warn, error() {} },
  });
  return addRequestDeadline(octokit, scanDeadlines(env).githubRequestMs);
}

/** The deadlines of docs/deadlines.md; a bad value is a usage error. */
function scanDeadlines(env: Record<string, string | undefined>) {
  try {
    return deadlinesFromEnv(env);
  } catch (err) {
    throw new ScanUsageError((err as Error).message);
  }
}

async function tokenBotLogin(octokit: ReturnType<typeof tokenOctokit>, env: Record<string, string | undefined>): Promise<string> {
  try {
    const { data } = await octokit.rest.users.getAuthenticated();
    return data.login;
  } catch (err) {
    // GitHub Actions' GITHUB_TOKEN is an installation token that cannot read /user.
    if (env["GITHUB_ACTIONS"] === "true") return "github-actions[bot]";
    throw new ScanUsageError(`cannot tell which login the token belongs to (${(err as Error).message}); pass --bot-login`);
  }
}

/**
 * Run the scan command; prints through `out` and `err`.
 * @returns the scan result (null for `--offline`).
 */
export async function scanCommand(
  opts: ScanCommandOptions,
  ctx: { posthog: PostHogApi; now: Date; env: Record<string, string | undefined>; out: (t: string) => void; err: (t: string) => void; log?: Logger },
): Promise<ScanResult | null> {
  const watchCap = positive("--watch-cap", opts.watchCap, 10);
  const callBudget = positive("--budget", opts.budget, 200);
  const log = ctx.log ?? silentLogger;
  if (opts.offline) {
    const project = await loadProjectState(ctx.posthog, { now: ctx.now, watchCap, callBudget, log });
    const plan = planRepositoryIssues({ project, scopeFlagKeys: null, memory: new Map(), reports: DEFAULT_CONFIG.reports });
    if (opts.json) {
      ctx.out(`${JSON.stringify({ findings: plan.findings.map(findingJson), watched: project.watched.size, skipped: project.skipped }, null, 2)}\n`);
    } else {
      ctx.out(renderOfflineReport(plan.findings, plan.desired, project.watched.size, project.state.experiments.length));
    }
    return null;
  }

  const botLoginOverride = opts.botLogin ?? ctx.env["EXPERIMENT_HYGIENE_BOT_LOGIN"]?.trim();
  let targets: Iterable<ScanTarget> | AsyncIterable<ScanTarget>;
  let botLogin: string;
  if (opts.repo && opts.repo.length > 0) {
    const octokit = tokenOctokit(ctx.env);
    targets = opts.repo.map((r) => ({ octokit: octokit as unknown as ScanTarget["octokit"], repo: parseRepo(r) }));
    botLogin = botLoginOverride || (await tokenBotLogin(octokit, ctx.env));
  } else {
    if (!ctx.env["APP_ID"]) throw new ScanUsageError("scan needs --repo owner/name with GITHUB_TOKEN, or App credentials (APP_ID and PRIVATE_KEY)");
    if (!ctx.env["PRIVATE_KEY"]?.trim() && !ctx.env["PRIVATE_KEY_PATH"]?.trim()) {
      throw new ScanUsageError("APP_ID is set but neither PRIVATE_KEY nor PRIVATE_KEY_PATH is (the App's PEM private key)");
    }
    let app: ReturnType<typeof createProbot>;
    try {
      app = createProbot({ env: ctx.env as never });
    } catch (err) {
      // Probot reads PRIVATE_KEY / PRIVATE_KEY_PATH here; its message never contains the key itself.
      throw new ScanUsageError(`cannot use the App credentials: ${(err as Error).message} (PRIVATE_KEY must be a PEM private key, PRIVATE_KEY_PATH a readable file)`);
    }
    const githubRequestMs = scanDeadlines(ctx.env).githubRequestMs;
    targets = installationTargets(app, githubRequestMs);
    botLogin = botLoginOverride || (await appBotLogin(app, githubRequestMs));
  }
  const capture = opts.dryRun ? null : findingCaptureFromEnv(ctx.env);
  let result: ScanResult;
  try {
    result = await runScan(targets, {
      posthog: ctx.posthog,
      now: ctx.now,
      botLogin,
      dryRun: opts.dryRun === true,
      serverUrl: ctx.env["GITHUB_SERVER_URL"]?.trim() || "https://github.com",
      capture,
      watchCap,
      callBudget,
      repositoryDeadlineMs: scanDeadlines(ctx.env).scanRepositoryMs,
      writesAllowed: posthogWritesFromEnv(ctx.env).allowed,
      log,
    });
  } finally {
    await capture?.shutdown();
  }
  if (opts.json) {
    ctx.out(
      `${JSON.stringify(
        {
          repositories: result.repositories.map((r) => ({
            repository: r.repository,
            skipped: r.skipped,
            error: r.error,
            config_problems: r.configProblems,
            findings: r.findings.map(findingJson),
            actions: r.actions.map((a) => ({ action: a.action, dedupe_key: a.dedupeKey, issue: a.issueNumber, title: a.title, reason: a.reason })),
          })),
          posthog_requests: result.posthogRequests,
          watched: result.watched,
        },
        null,
        2,
      )}\n`,
    );
  } else {
    for (const r of result.repositories) {
      ctx.out(`${r.repository}: ${r.skipped ?? r.error ?? `${r.findings.length} findings`}\n`);
      for (const a of r.actions) {
        if (a.action === "unchanged") continue;
        ctx.out(`  ${opts.dryRun ? "would " : ""}${a.action} ${a.issueNumber ? `#${a.issueNumber} ` : ""}${a.title} (${a.reason})\n`);
      }
    }
  }
  if (result.repositories.some((r) => r.error)) ctx.err("some repositories failed; see above\n");
  return result;
}

/** The offline report: a summary line per finding, then each issue that would be opened. */
export function renderOfflineReport(
  findings: Finding[],
  desired: { title: string; body: string }[],
  watched: number,
  experiments: number,
): string {
  const lines = [
    `# Scheduled hygiene scan (offline: every experiment in scope, no GitHub)`,
    "",
    `${experiments} experiments, ${watched} checked for validity threats, ${findings.length} findings.`,
    "",
    "| Severity | Kind | Experiment | Title |",
    "|---|---|---|---|",
    ...findings.map((f) => `| ${f.severity} | ${f.kind} | ${f.experimentId} | ${escapeMarkdown(f.title)} |`),
    "",
    `The scan would open ${desired.length} issue${desired.length === 1 ? "" : "s"}:`,
    "",
  ];
  for (const d of desired) lines.push("---", "", `## ${d.title}`, "", d.body.trim(), "");
  return `${lines.join("\n")}\n`;
}
