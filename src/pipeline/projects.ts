/**
 * Monorepos: one repository, several PostHog projects (`projects:` in the config). Each changed line
 * belongs to the project whose path globs match its file first, else to the default project
 * (`POSTHOG_PROJECT_ID`); each project's lines are analysed against that project alone, and the reports are
 * merged into one for the comment and the check run. LaunchDarkly's code references do the same with
 * `projects:` (flag-references.md §3).
 */
import picomatch from "picomatch";
import type { Config, ProjectMapping } from "../config/schema.js";
import type { Logger } from "../github/types.js";
import type { ChangedLine } from "../matching/index.js";
import type { PostHogApi } from "../posthog/index.js";
import { analyzePullRequest, type AnalyzeInput, type PullRequestReport } from "./pull-request.js";

/**
 * The project owning a path: the first mapping with a matching glob (picomatch, `dot: true`), else
 * `defaultProjectId`. Pure.
 *
 * @param mappings `config.projects`
 * @returns a function from a repository path to a project id (decimal string)
 */
export function projectOfPath(mappings: readonly ProjectMapping[], defaultProjectId: string): (file: string) => string {
  const compiled = mappings.map((m) => ({ id: String(m.project_id), isMatch: picomatch([...m.paths], { dot: true }) }));
  return (file) => compiled.find((m) => m.isMatch(file))?.id ?? defaultProjectId;
}

/**
 * Changed lines grouped by owning project, in order of first appearance (the default project first when it
 * owns any line). Lines keep their order within a group. Pure.
 */
export function partitionByProject(
  lines: readonly ChangedLine[],
  mappings: readonly ProjectMapping[],
  defaultProjectId: string,
): Map<string, ChangedLine[]> {
  const owner = projectOfPath(mappings, defaultProjectId);
  const groups = new Map<string, ChangedLine[]>();
  for (const l of lines) {
    const id = owner(l.file);
    let list = groups.get(id);
    if (!list) groups.set(id, (list = []));
    list.push(l);
  }
  if (groups.has(defaultProjectId) && groups.keys().next().value !== defaultProjectId) {
    const first = groups.get(defaultProjectId)!;
    groups.delete(defaultProjectId);
    return new Map([[defaultProjectId, first], ...groups]);
  }
  return groups;
}

/**
 * Several projects' reports as one: references, unknown keys, flags, experiments and threats concatenated
 * (each flag and experiment tagged with its `projectId`), omitted counts summed, `projects` listing every
 * project. The first report's host and project head the result. Pure.
 *
 * @throws TypeError on an empty list
 */
export function mergeReports(reports: readonly PullRequestReport[]): PullRequestReport {
  const [first] = reports;
  if (!first) throw new TypeError("mergeReports needs at least one report");
  if (reports.length === 1) return first;
  const byLocation = <T extends { file: string; line: number; side: string }>(a: T, b: T) =>
    (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) || a.line - b.line || (a.side < b.side ? -1 : a.side > b.side ? 1 : 0);
  return {
    posthog: first.posthog,
    analyzedAt: first.analyzedAt,
    matches: {
      references: reports.flatMap((r) => r.matches.references).sort(byLocation),
      unknownKeys: reports.flatMap((r) => r.matches.unknownKeys).sort(byLocation),
      flags: reports.flatMap((r) => r.matches.flags).sort((a, b) => a.flagKey.localeCompare(b.flagKey)),
    },
    flags: reports.flatMap((r) => r.flags.map((f) => ({ ...f, projectId: r.posthog.projectId }))),
    experiments: reports.flatMap((r) => r.experiments.map((e) => ({ ...e, projectId: r.posthog.projectId }))),
    unknownKeys: reports.flatMap((r) => r.unknownKeys).sort(byLocation),
    omittedExperiments: reports.reduce((n, r) => n + r.omittedExperiments, 0),
    threats: reports.flatMap((r) => r.threats ?? []),
    projects: reports.map((r) => r.posthog.projectId),
  };
}

/** Inputs of {@link analyzeAcrossProjects}. */
export interface AcrossProjectsInput {
  lines: ChangedLine[];
  config: Config;
  now: Date;
  log?: Logger;
  /** `POSTHOG_PROJECT_ID`: owns every path no `projects` mapping matches. */
  defaultProjectId: string;
  /**
   * The PostHog client of a project (one personal API key, one limiter for all).
   * @throws PostHogConfigError when it cannot be built
   */
  clientFor(projectId: string): PostHogApi;
  otherReferences?: ReadonlyMap<string, number>;
  /** Loads the repository's reference index; forwarded to {@link analyzePullRequest}. */
  loadReferenceIndex?: AnalyzeInput["loadReferenceIndex"];
}

/**
 * Analyse a pull request whose files may belong to several PostHog projects. Without `config.projects`, or
 * when every changed line belongs to one project, this is exactly one {@link analyzePullRequest} call
 * against that project. Otherwise one call per project that owns a changed line (projects run one after
 * the other, so PostHog's per-key query limit holds), merged by {@link mergeReports}.
 * `comment.max_experiments` applies per project.
 *
 * @throws what {@link analyzePullRequest} or `clientFor` throws (a PostHog failure in any project fails the whole analysis)
 */
export async function analyzeAcrossProjects(input: AcrossProjectsInput): Promise<PullRequestReport> {
  const { config, now } = input;
  const groups = partitionByProject(input.lines, config.projects, input.defaultProjectId);
  const analyze = (projectId: string, lines: AnalyzeInput["lines"]): Promise<PullRequestReport> =>
    analyzePullRequest({
      lines,
      posthog: input.clientFor(projectId),
      config,
      now,
      ...(input.log ? { log: input.log } : {}),
      ...(input.otherReferences ? { otherReferences: input.otherReferences } : {}),
      ...(input.loadReferenceIndex ? { loadReferenceIndex: input.loadReferenceIndex } : {}),
    });
  if (groups.size <= 1) return analyze(groups.keys().next().value ?? input.defaultProjectId, input.lines);
  const reports: PullRequestReport[] = [];
  for (const [projectId, lines] of groups) {
    input.log?.debug({ project_id: projectId, lines: lines.length }, "analysing the lines this PostHog project owns");
    reports.push(await analyze(projectId, lines));
  }
  return mergeReports(reports);
}
