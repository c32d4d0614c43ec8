/**
 * From a loaded project to the issues one repository should have: run the detectors over the experiments
 * in the repository's scope, keep the decision memory, and render one issue per validity threat plus the
 * "Experiment hygiene dashboard" for lifecycle findings. Pure: no I/O, so the CLI demo, dry runs and the
 * server share it.
 */
import type { ReportsConfig } from "../config/schema.js";
import { detectAll, VALIDITY_KINDS, type DetectorConfig, type Finding, type FindingKind, type StandingDecision } from "../detectors/index.js";
import { isLaunchedNotEnded } from "../detectors/util.js";
import type { DesiredIssue } from "../github/issues.js";
import type { Experiment } from "../model.js";
import { renderDashboardIssue, renderFindingIssue } from "../render/findings.js";
import { experimentUrl, featureFlagUrl } from "../render/links.js";
import { code, escapeMarkdown, jsonMarker, readJsonMarker } from "../render/markdown.js";
import type { LoadedProject } from "./project-state.js";
import {
  acknowledgementCloseComment,
  acknowledgementFor,
  acknowledgementsMarker,
  describeAcknowledgement,
  pruneAcknowledgements,
  type AcknowledgementStore,
} from "./acknowledgements.js";
import { liftHistoryMarker, updateLiftHistory, type LiftHistoryStore } from "./lift-history.js";
import { codeChangesMarker, pruneCodeChanges, withCodeChangeCause, type CodeChangeStore } from "./code-changes.js";

/** The dedupe key of the per-repository dashboard issue. */
export const DASHBOARD_KEY = "dashboard";
const MEMORY_MARKER = "experiment-hygiene:decisions";
const KEYS_PREFIX = "<!-- experiment-hygiene:findings ";
/** Decisions that end an experiment; standing for more than 7 days while it runs is a finding. */
const FINAL_DECISIONS = new Set(["promote", "rollback", "stop"]);

/** Inputs of {@link planRepositoryIssues}. */
export interface PlanInput {
  project: LoadedProject;
  /** Flag keys the repository's default branch references, or null for `reports.scope: all`. */
  scopeFlagKeys: Set<string> | null;
  /** Code references per flag key (stale-variants lists them). */
  codeReferences?: Map<string, { file: string; line: number }[]>;
  /** Link of a code reference, e.g. to `…/blob/<sha>/<file>#L<line>`. */
  codeUrl?: (ref: { file: string; line: number }) => string | null;
  /** Decision memory read from the dashboard issue (empty on the first scan). */
  memory: Map<number, StandingDecision>;
  /** Acknowledgements and snoozes read from the dashboard issue (`/experiment ack|snooze`); default none. */
  acknowledgements?: AcknowledgementStore;
  /**
   * The primary metrics' lift histories read from the dashboard and the open validity issues
   * (`parseLiftHistory`, `mergeLiftHistories`); default none. This scan's evaluations are added; they are
   * stored in each validity issue of the experiment, and in the dashboard when the dashboard is written
   * anyway (no issue is opened only to store them).
   */
  liftHistory?: LiftHistoryStore;
  /** Merged PRs that changed a running experiment's flag code, read from the dashboard (`code-changes.ts`); default none. */
  codeChanges?: CodeChangeStore;
  reports: ReportsConfig;
  detectors?: Partial<DetectorConfig>;
  /** The dashboard's decision-records section with its hidden store (`src/pipeline/records.ts`); default none. */
  records?: string;
}

/** The plan for one repository. */
export interface RepositoryPlan {
  findings: Finding[];
  desired: DesiredIssue[];
  /** The decision memory to store. */
  memory: Map<number, StandingDecision>;
  /** Findings left out of the issues because a person acknowledged or snoozed them. */
  acknowledged: Finding[];
  /** The acknowledgements to store (expired snoozes and ended experiments dropped). */
  acknowledgements: AcknowledgementStore;
  /** The lift histories to store: this scan's evaluations added, ended and out-of-scope experiments dropped. */
  liftHistory: LiftHistoryStore;
  /** The code changes to store (experiments that no longer run dropped). */
  codeChanges: CodeChangeStore;
  /** Whether this scan could judge an issue key (only those may be closed). */
  inScope(dedupeKey: string): boolean;
  /** Why a no-longer-desired issue is closed. */
  closeReason(dedupeKey: string): string | null;
  /** The whole closing comment when a person acknowledged or snoozed the finding, else null. */
  closeComment(dedupeKey: string): string | null;
}

/** Serialise the decision memory as a hidden HTML comment (no `--` or `>` can appear in it). */
export function memoryMarker(memory: Map<number, StandingDecision>): string {
  return jsonMarker(MEMORY_MARKER, Object.fromEntries([...memory].sort((a, b) => a[0] - b[0]).map(([id, d]) => [String(id), d])));
}

/** The dedupe keys of the lifecycle findings a dashboard body lists (to tell new findings from known ones). */
export function parseDashboardKeys(body: string | null | undefined): Set<string> {
  const start = body?.indexOf(KEYS_PREFIX) ?? -1;
  if (!body || start < 0) return new Set();
  const end = body.indexOf(" -->", start);
  return new Set(body.slice(start + KEYS_PREFIX.length, end < 0 ? undefined : end).split(" ").filter((k) => /^experiment:\d+:[a-z-]+$/.test(k)));
}

/** Read the decision memory from a dashboard body; an absent or broken marker gives an empty memory. */
export function parseMemory(body: string | null | undefined): Map<number, StandingDecision> {
  const memory = new Map<number, StandingDecision>();
  // A hand-edited marker: start over rather than fail the scan.
  const obj = readJsonMarker(body, MEMORY_MARKER);
  if (!obj || typeof obj !== "object") return memory;
  for (const [id, v] of Object.entries(obj as Record<string, unknown>)) {
    const d = v as Partial<StandingDecision>;
    if (/^\d+$/.test(id) && typeof d?.decision === "string" && typeof d.since === "string" && !Number.isNaN(Date.parse(d.since))) {
      memory.set(Number(id), { decision: d.decision, since: d.since });
    }
  }
  return memory;
}

/** Launched, not ended, not archived; running or paused (a paused experiment keeps its issues). */
function isRunning(e: Experiment | undefined): boolean {
  return !!e && !e.archived && isLaunchedNotEnded(e) && (e.status === "running" || e.status === "paused");
}

/** Update the memory with this scan's decisions: keep `since` while the decision stands. */
export function updateMemory(
  previous: Map<number, StandingDecision>,
  project: LoadedProject,
  scope: (e: Experiment) => boolean,
): Map<number, StandingDecision> {
  const byId = new Map(project.state.experiments.map((e) => [e.id, e]));
  const next = new Map<number, StandingDecision>();
  for (const [id, d] of previous) {
    const e = byId.get(id);
    if (e && isRunning(e) && scope(e) && !project.watched.has(id)) next.set(id, d); // not re-judged this scan
  }
  for (const id of project.watched) {
    const e = byId.get(id);
    const decision = project.currentDecisions.get(id);
    if (!e || !scope(e) || !decision || !FINAL_DECISIONS.has(decision)) continue;
    const prev = previous.get(id);
    next.set(id, prev && prev.decision === decision ? prev : { decision, since: project.now.toISOString() });
  }
  return next;
}

function parseKey(key: string): { id: number; kind: FindingKind } | null {
  const m = key.match(/^experiment:(\d+):([a-z-]+)$/);
  return m ? { id: Number(m[1]), kind: m[2] as FindingKind } : null;
}

/**
 * Plan one repository's issues.
 *
 * Scope: experiments whose flag key the repository references (or all, with `scopeFlagKeys: null`),
 * excluding archived ones. Validity findings become one issue each (`experiment:<id>:<kind>`); lifecycle
 * findings and the standing-decision memory go into the dashboard.
 */
export function planRepositoryIssues(input: PlanInput): RepositoryPlan {
  const { project, scopeFlagKeys, reports } = input;
  const inRepo = (e: Experiment) => scopeFlagKeys === null || scopeFlagKeys.has(e.flagKey);
  const memory = updateMemory(input.memory, project, inRepo);
  const experiments = project.state.experiments.filter(inRepo);
  const now = project.now;
  const byId = new Map(project.state.experiments.map((e) => [e.id, e]));
  // Stale-variants findings concern ended experiments whose flag still serves variants; the others need
  // a running experiment.
  const acknowledgements = pruneAcknowledgements(input.acknowledgements ?? new Map(), now, (id, kind) => {
    const e = byId.get(id);
    return !!e && !e.archived && inRepo(e) && (kind === "stale-variants" || isRunning(e));
  });
  const liftHistory = updateLiftHistory(input.liftHistory ?? new Map(), project.currentLifts ?? new Map(), (id) => {
    const e = byId.get(id);
    return isRunning(e) && !!e && inRepo(e);
  });
  const codeChanges = pruneCodeChanges(input.codeChanges ?? new Map(), (id) => {
    const e = byId.get(id);
    return !!e && !e.archived && isRunning(e);
  });
  const detected = detectAll({ ...project.state, experiments, decisions: memory }, input.detectors).map((f) =>
    withCodeChangeCause(
      f.kind === "stale-variants" && input.codeReferences?.get(f.flagKey)
        ? { ...f, codeReferences: input.codeReferences.get(f.flagKey)! }
        : f,
      codeChanges.get(f.experimentId),
    ),
  );
  const acknowledged = detected.filter((f) => acknowledgementFor(acknowledgements, f.dedupeKey, now) !== null);
  const findings = detected.filter((f) => acknowledgementFor(acknowledgements, f.dedupeKey, now) === null);
  const links = (f: Finding) => ({
    experimentUrl: experimentUrl(project.host, project.projectId, f.experimentId),
    flagUrl: f.flagId === null ? null : featureFlagUrl(project.host, project.projectId, f.flagId),
    ...(input.codeUrl ? { codeUrl: input.codeUrl } : {}),
  });
  const labels = reports.labels;
  const desired: DesiredIssue[] = [];
  for (const f of findings.filter((x) => x.severity === "P2")) {
    const e = byId.get(f.experimentId);
    const history = liftHistory.get(f.experimentId);
    const primary = e?.primaryMetrics[0];
    const lift = history && primary && primary.uuid === history.metricUuid ? { history, metricName: primary.name, goal: primary.goal } : null;
    const rendered = renderFindingIssue(f, links(f), lift);
    const { title } = rendered;
    // The issue carries its experiment's lift history, so the chart grows while the issue stays open.
    const body = history ? `${rendered.body.trimEnd()}\n${liftHistoryMarker(new Map([[f.experimentId, history]]))}\n` : rendered.body;
    desired.push({ dedupeKey: f.dedupeKey, title, body, labels: [...labels, f.kind], escalation: f.escalation });
  }
  const lifecycle = findings.filter((x) => x.severity === "P3");
  if (lifecycle.length > 0 || memory.size > 0 || acknowledgements.size > 0 || !!input.records || codeChanges.size > 0) {
    const { title, body } = renderDashboardIssue(lifecycle, links);
    desired.push({
      dedupeKey: DASHBOARD_KEY,
      title,
      body: [
        body.trimEnd(),
        renderMemory(memory, project),
        ...(acknowledgements.size > 0 ? [renderAcknowledgements(acknowledgements, project)] : []),
        ...(input.records ? [input.records.trimEnd()] : []),
        memoryMarker(memory),
        ...(acknowledgements.size > 0 ? [acknowledgementsMarker(acknowledgements)] : []),
        ...(liftHistory.size > 0 ? [liftHistoryMarker(liftHistory)] : []),
        ...(codeChanges.size > 0 ? [codeChangesMarker(codeChanges)] : []),
        `${KEYS_PREFIX}${lifecycle.map((f) => f.dedupeKey).join(" ")} -->`,
        "",
      ].join("\n"),
      labels: [...labels, "dashboard"],
    });
  }

  return {
    findings,
    desired,
    memory,
    acknowledged,
    acknowledgements,
    liftHistory,
    codeChanges,
    inScope(key) {
      if (key === DASHBOARD_KEY) return true;
      if (acknowledgementFor(acknowledgements, key, now)) return true;
      const k = parseKey(key);
      if (!k) return false;
      const e = byId.get(k.id);
      if (!e || !isRunning(e) || !inRepo(e)) return true; // gone, ended or no longer this repository's
      if (VALIDITY_KINDS.includes(k.kind)) return project.watched.has(k.id);
      return true;
    },
    closeComment(key) {
      const ack = acknowledgementFor(acknowledgements, key, now);
      return ack ? acknowledgementCloseComment(ack) : null;
    },
    closeReason(key) {
      const ack = acknowledgementFor(acknowledgements, key, now);
      if (ack) return escapeMarkdown(describeAcknowledgement(ack));
      const k = parseKey(key);
      if (!k) return null;
      const e = byId.get(k.id);
      if (!e) return `experiment ${k.id} no longer exists in PostHog (deleted or archived)`;
      if (e.endDate) return `the experiment ended on ${e.endDate.slice(0, 10)}`;
      if (!inRepo(e)) return `this repository's default branch no longer references the flag \`${e.flagKey}\``;
      return null;
    },
  };
}

/** The "standing decisions" section of the dashboard (the memory, readable). */
function renderMemory(memory: Map<number, StandingDecision>, project: LoadedProject): string {
  if (memory.size === 0) return "";
  const names = new Map(project.state.experiments.map((e) => [e.id, e.name]));
  const rows = [...memory]
    .sort((a, b) => a[0] - b[0])
    .map(
      ([id, d]) =>
        `- ${escapeMarkdown(names.get(id) ?? `Experiment ${id}`)}: the decision rules say ${code(d.decision)} since ${d.since.slice(0, 10)}`,
    );
  return [
    "",
    "### Standing decisions",
    "",
    "Still running although the auto-decision rules have reached a final decision; after 7 days these are reported above.",
    "",
    ...rows,
    "",
  ].join("\n");
}

/** The "acknowledged" section of the dashboard: what reports leave out, who said so and until when. */
function renderAcknowledgements(store: AcknowledgementStore, project: LoadedProject): string {
  if (store.size === 0) return "";
  const names = new Map(project.state.experiments.map((e) => [e.id, e.name]));
  const rows = [...store].map(([key, ack]) => {
    const m = /^experiment:(\d+):([a-z-]+)$/.exec(key);
    const id = Number(m?.[1]);
    return `- ${escapeMarkdown(names.get(id) ?? `Experiment ${id}`)} ${code(m?.[2] ?? key)}: ${escapeMarkdown(describeAcknowledgement(ack))}`;
  });
  return [
    "",
    "### Acknowledged and snoozed",
    "",
    "Reports leave these findings out (`/experiment ack` and `/experiment snooze`).",
    "",
    ...rows,
    "",
  ].join("\n");
}
