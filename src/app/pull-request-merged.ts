/**
 * `pull_request.closed` with `merged: true`: when the merged PR changed code that references the flag of a
 * running experiment, record it on the experiment (the dashboard's code-change store,
 * `src/pipeline/code-changes.ts`), so the next scan's SRM and mutation findings can name it as a possible
 * onset cause ("treatment code changed mid-run in #123 on 2026-11-18").
 *
 * Only repositories with `reports.enabled` record (the scan that reads the store runs only there). Only the
 * default PostHog project (`POSTHOG_PROJECT_ID`) is asked, also in monorepos. A PostHog failure is logged
 * and nothing is written.
 */
import type { Context } from "probot";
import { recordCodeChangeInDashboard } from "../pipeline/dashboard.js";
import { fetchPullRequestChanges } from "../pipeline/pull-request-changes.js";
import { loadEventConfig } from "./repo-config.js";
import { createFlagMatcher, matchDiff } from "../matching/index.js";
import { PostHogError } from "../posthog/errors.js";
import type { PostHogApi } from "../posthog/index.js";

/** What the handler needs from the app. */
export interface MergedDeps {
  posthog(): PostHogApi | null;
  botLogin(): Promise<string>;
  now(): Date;
}

/** The outcome, for logs and tests. */
export type MergedOutcome =
  | "recorded"
  | "unchanged"
  | "skipped-not-merged"
  | "skipped-disabled"
  | "skipped-config-unreadable"
  | "skipped-no-posthog"
  | "skipped-posthog-error"
  | "skipped-no-running-experiment";

/**
 * Handle one `pull_request.closed` event.
 *
 * GitHub calls: config (1–2), the PR diff (1, or the files list), then only when a running experiment's flag
 * is referenced: the managed-issue listing and one dashboard write. PostHog calls: feature flags and
 * experiments (all pages).
 *
 * @throws only for unexpected GitHub errors
 */
export async function handlePullRequestMerged(context: Context<"pull_request">, deps: MergedDeps): Promise<MergedOutcome> {
  const pr = context.payload.pull_request;
  if (context.payload.action !== "closed" || pr.merged !== true) return "skipped-not-merged";
  const log = context.log.child({ pr: pr.number, repo: context.payload.repository.full_name, delivery: context.id });
  const { owner, repo } = context.repo();
  const loaded = await loadEventConfig(context, log, "merge not recorded");
  if (!loaded) return "skipped-config-unreadable";
  const { config, fatal } = loaded;
  if (fatal || !config.enabled || !config.reports.enabled) return "skipped-disabled";
  const posthog = deps.posthog();
  if (!posthog) return "skipped-no-posthog";

  const changes = await fetchPullRequestChanges(context.octokit, { owner, repo, pull_number: pr.number }, log);
  let running;
  try {
    const flags = await posthog.listFeatureFlags();
    const matches = matchDiff(changes.lines, createFlagMatcher(flags.map((f) => f.key)), { ignorePaths: config.ignore_paths });
    const keys = new Set(matches.flags.map((f) => f.flagKey));
    if (keys.size === 0) return "skipped-no-running-experiment";
    running = (await posthog.listExperiments()).filter((e) => keys.has(e.flagKey) && !e.archived && (e.status === "running" || e.status === "paused"));
  } catch (err) {
    if (!(err instanceof PostHogError)) throw err;
    log.warn({ err: err.message, status: err.status }, "PostHog request failed; merge not recorded");
    return "skipped-posthog-error";
  }
  if (running.length === 0) return "skipped-no-running-experiment";
  const result = await recordCodeChangeInDashboard(context.octokit, { owner, repo }, {
    botLogin: await deps.botLogin(),
    labels: config.reports.labels,
    experiments: running.map((e) => ({ id: e.id, flagKey: e.flagKey })),
    change: { pr: pr.number, merged_at: pr.merged_at ?? deps.now().toISOString(), sha: pr.merge_commit_sha ?? null },
    now: deps.now(),
  });
  log.info({ experiments: running.map((e) => e.id), dashboard: result.dashboardIssue, written: result.written }, "merged code change recorded");
  return result.written ? "recorded" : "unchanged";
}
