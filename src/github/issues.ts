/**
 * The idempotent issue reconciler for scheduled hygiene reports: a scan produces the list of issues that
 * should be open, and this makes the repository converge to it — one issue per dedupe key, updated in
 * place, closed when the condition clears, and left closed once a person has closed it (an
 * acknowledgement) unless the problem materially escalates or `reopenAfterDays` pass.
 *
 * There is no database: each managed issue carries two hidden markers in its body,
 * `<!-- experiment-hygiene:issue:<key> -->` (identity) and `<!-- experiment-hygiene:state {…} -->`
 * (memory: the figures last written, when the problem was first seen, whether the app closed it).
 * Managed issues are found by listing the app's own issues with the common label (never the Search API)
 * and confirming the marker **and** the author, so a pasted marker cannot hijack anything.
 * Pattern: Renovate `ensureIssue`/`ensureIssueClosing`; github-probot.md §9 (idempotent writes,
 * scheduled issues) and §10 (limits).
 */
import type { RestEndpointMethodTypes } from "@octokit/rest";
import { formatCount, formatPValue } from "../format.js";
import { fitBody, GITHUB_BODY_LIMIT, marker } from "../util/markers.js";
import type { GitHubClient, Logger, RepoRef } from "./types.js";
import { silentLogger } from "./types.js";

/** The label every managed issue carries (used to list them). */
export const DEFAULT_ISSUE_LABEL = "experiment-hygiene";

/** Days after a person closed an issue before a persisting problem reopens it (config `reopen_after_days`). */
export const DEFAULT_REOPEN_AFTER_DAYS = 30;

/**
 * "Materially escalated" thresholds (issue 3, "Reports"): the SRM p-value became at least this many times
 * smaller than the value stored when the issue was closed…
 */
export const ESCALATION_P_VALUE_FACTOR = 1000;
/** …or the deviation grew to at least this multiple of the stored one. */
export const ESCALATION_DEVIATION_FACTOR = 2;

const ISSUE_MARKER_PREFIX = "experiment-hygiene:issue:";
const STATE_MARKER_PREFIX = "experiment-hygiene:state ";
/** A dedupe key: no whitespace, no `>`, no `--` (it lives inside an HTML comment). */
const KEY_PATTERN = /^[^\s>]+$/;
const ISSUE_MARKER_RE = /<!-- experiment-hygiene:issue:([^\s>]+) -->/;
const STATE_MARKER_RE = /<!-- experiment-hygiene:state (\{.*?\}) -->/s;
const DAY_MS = 86_400_000;
const TRUNCATION_NOTE =
  "\n\n_…cut to fit GitHub's 65,536-character limit; run `experiment-hygiene scan --json` for the full findings._\n";

/** An issue the scan wants to exist (open) in the repository. */
export interface DesiredIssue {
  /** Identity across scans, e.g. `experiment:42:srm` or `dashboard`. No whitespace, `>` or `--`. */
  dedupeKey: string;
  title: string;
  /** Markdown without markers (the reconciler adds them). */
  body: string;
  /** Labels set on creation, e.g. `["experiment-hygiene", "srm"]`; should include the common label. */
  labels: string[];
  /**
   * Figures compared to decide "materially escalated" after a person closed the issue: `pValue` (the SRM
   * chi-squared p-value, 0–1) and `deviation` (any non-negative magnitude in the detector's unit, e.g. the
   * absolute difference between observed and expected share, a fraction 0–1; only its ratio is used).
   */
  escalation?: { pValue?: number; deviation?: number };
}

/** How to reconcile. */
export interface ReconcileOptions {
  /** The app's login, `<slug>[bot]`; only issues authored by it are touched (compared case-insensitively). */
  botLogin: string;
  /** The common label used to list managed issues; default `experiment-hygiene`. */
  label?: string;
  /** The scan time: recorded as `first_seen`/`closed_at` and used for `reopenAfterDays`. */
  now: Date;
  /** Days after a person's close before a persisting problem reopens the issue; default 30. */
  reopenAfterDays?: number;
  /**
   * Whether this scan had the data to judge `dedupeKey` (e.g. the experiment was in this scan's watch
   * set). Only in-scope issues are closed; out-of-scope ones are left exactly as they are.
   */
  inScope(dedupeKey: string): boolean;
  /**
   * Optional explanation for closing an issue whose key is no longer desired, e.g. `"experiment 42 ended
   * on 2026-11-18"`; default `"the latest scan no longer finds it"`. Rendered after
   * "The condition cleared on <date>: ".
   */
  closeReason?(dedupeKey: string): string | null | undefined;
  /**
   * Optional full Markdown comment for closing an issue whose key is no longer desired, replacing the
   * "The condition cleared…" sentence (e.g. for a finding a person acknowledged with `/experiment ack`).
   */
  closeComment?(dedupeKey: string): string | null | undefined;
  /** Plan only: list the issues, return the plan, make no write call. */
  dryRun?: boolean;
  /**
   * The managed issues as {@link listManagedIssues} returned them moments ago (the scan reads the dashboard
   * from them), to save listing them again; default: listed here.
   */
  listed?: ManagedIssue[];
  log?: Logger;
}

export type IssueAction =
  | "create"
  | "update"
  | "unchanged"
  | "close"
  | "reopen"
  | "acknowledged"
  | "close-duplicate";

/** One decision of the reconciler (performed, or only planned under `dryRun`). */
export interface PlannedAction {
  action: IssueAction;
  dedupeKey: string;
  /** The issue acted on; null for a `create` that was only planned (dry run). */
  issueNumber: number | null;
  title: string;
  /** A short human-readable reason, e.g. "p-value 1.0e-4 → 1.0e-8 (10,000× smaller)". */
  reason: string;
}

/**
 * The hidden memory stored in a managed issue's body. JSON keys are kept short and stable because they
 * are part of every issue already written.
 */
export interface IssueState {
  /** The SRM p-value last written (0–1). */
  p?: number;
  /** The deviation last written (detector's unit). */
  d?: number;
  /** ISO 8601 time the problem was first reported (kept across updates and reopenings). */
  first_seen?: string;
  /** Present when the app closed the issue (as opposed to a person). */
  closed_by?: "app";
  /** ISO 8601 time the app closed it. */
  closed_at?: string;
  /** When the app closed it as a duplicate: the issue number kept. */
  duplicate_of?: number;
}

/** One write that failed; collected into {@link ReconcileIssuesError}. */
export interface ReconcileFailure {
  action: IssueAction;
  dedupeKey: string;
  issueNumber: number | null;
  error: unknown;
}

/**
 * Thrown by {@link reconcileIssues} at the end of a run in which at least one write failed. Every other
 * issue was still processed: `actions` lists what was done, `failures` (and `errors`, as for any
 * `AggregateError`) what was not.
 */
export class ReconcileIssuesError extends AggregateError {
  readonly actions: PlannedAction[];
  readonly failures: ReconcileFailure[];

  constructor(failures: ReconcileFailure[], actions: PlannedAction[]) {
    const list = failures
      .map((f) => `${f.action} ${f.dedupeKey}${f.issueNumber === null ? "" : ` (#${f.issueNumber})`}: ${errorMessage(f.error)}`)
      .join("; ");
    super(
      failures.map((f) => f.error),
      `${failures.length} issue write(s) failed: ${list}`,
    );
    this.name = "ReconcileIssuesError";
    this.actions = actions;
    this.failures = failures;
  }
}

/** Bad input to the reconciler (an invalid or repeated dedupe key, an invalid option). */
export class IssueInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "IssueInputError";
  }
}

/**
 * The hidden identity marker of a managed issue: `<!-- experiment-hygiene:issue:<key> -->`.
 * @throws IssueInputError when the key is empty or contains whitespace, `>` or `--`.
 */
export function issueMarker(dedupeKey: string): string {
  assertKey(dedupeKey);
  return marker(`${ISSUE_MARKER_PREFIX}${dedupeKey}`);
}

/** The dedupe key of an issue body's identity marker, or null when it has none. */
export function parseIssueKey(body: string | null | undefined): string | null {
  const m = ISSUE_MARKER_RE.exec(body ?? "");
  return m?.[1] ?? null;
}

/**
 * The hidden state marker: `<!-- experiment-hygiene:state {"p":1e-9,"first_seen":"2026-…"} -->`. Inside
 * the JSON, every `-` that follows a `-` and every `<`/`>` are written as `\u` escapes, so the comment
 * never contains `--` or `>` (only strings can hold them in JSON; `JSON.parse` reverses it).
 */
export function stateMarker(state: IssueState): string {
  const json = JSON.stringify(state)
    .replace(/-(?=-)/g, "\\u002d")
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e");
  return marker(`${STATE_MARKER_PREFIX}${json}`);
}

/**
 * Parse the hidden state of an issue body.
 * @returns the state, or null when the body has no state marker or its JSON is not an object (an issue
 *   edited by hand is then treated as having no memory, never as an error). Fields of the wrong type are
 *   dropped.
 */
export function parseIssueState(body: string | null | undefined): IssueState | null {
  const m = STATE_MARKER_RE.exec(body ?? "");
  if (!m?.[1]) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(m[1]);
  } catch {
    return null;
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return null;
  const r = raw as Record<string, unknown>;
  const state: IssueState = {};
  if (typeof r["p"] === "number" && Number.isFinite(r["p"])) state.p = r["p"];
  if (typeof r["d"] === "number" && Number.isFinite(r["d"])) state.d = r["d"];
  if (typeof r["first_seen"] === "string") state.first_seen = r["first_seen"];
  if (r["closed_by"] === "app") state.closed_by = "app";
  if (typeof r["closed_at"] === "string") state.closed_at = r["closed_at"];
  if (typeof r["duplicate_of"] === "number") state.duplicate_of = r["duplicate_of"];
  return state;
}

type ListedIssue = RestEndpointMethodTypes["issues"]["listForRepo"]["response"]["data"][number];

/** A managed issue as the reconciler sees it. */
export interface ManagedIssue {
  number: number;
  key: string;
  title: string;
  body: string;
  open: boolean;
  createdAt: string;
  closedAt: string | null;
  state: IssueState | null;
}

/**
 * Make the repository's managed issues converge to `desired`.
 *
 * For each desired key: no issue → **create** (body + markers + state, labels); open issue → **update**
 * title/body when they changed, else **unchanged** (no write); closed by the app → **reopen** with a
 * comment; closed by a person → **acknowledged** (no write) unless the problem materially escalated since
 * the state stored at closing (p-value ≥ 1000× smaller, or deviation ≥ 2×) or it was closed more than
 * `reopenAfterDays` ago → **reopen** with a comment naming the numbers. Several issues for one key: the
 * oldest open one is kept and the other open ones are closed as duplicates; with none open, the most
 * recently closed one counts. Each open managed issue whose key is not desired and is `inScope` → comment
 * and **close** (state `closed_by: "app"` written in the same request); out-of-scope keys are left alone.
 * After any create, the managed set is listed again and every key with more than one open issue keeps
 * the lowest number and has the others closed with "Duplicate of #N" (**close-duplicate**), so
 * overlapping scans still converge to one issue per key.
 *
 * Writes are sequential (GitHub's secondary limit: ≤ 80 content-creating requests/min, github-probot.md
 * §10); bodies are cut to GitHub's 65,536-character limit with `fitBody`.
 *
 * @param desired the issues that should be open; keys must be unique.
 * @returns the actions taken (or planned, with `dryRun`), in processing order; out-of-scope issues are
 *   not listed.
 * @throws IssueInputError on an invalid or repeated dedupe key or a negative `reopenAfterDays` (before any
 *   call).
 * @throws Octokit's RequestError when listing the managed issues fails (nothing is written then).
 * @throws ReconcileIssuesError (an `AggregateError`) after the run when one or more writes failed; every
 *   other issue was still processed, and the error carries both the failures and the actions taken.
 */
export async function reconcileIssues(
  octokit: GitHubClient,
  repo: RepoRef,
  desired: DesiredIssue[],
  opts: ReconcileOptions,
): Promise<PlannedAction[]> {
  const log = opts.log ?? silentLogger;
  const label = opts.label ?? DEFAULT_ISSUE_LABEL;
  const reopenAfterDays = opts.reopenAfterDays ?? DEFAULT_REOPEN_AFTER_DAYS;
  if (!(reopenAfterDays >= 0)) throw new IssueInputError(`reopenAfterDays must be ≥ 0, got ${reopenAfterDays}`);
  const seen = new Set<string>();
  for (const d of desired) {
    assertKey(d.dedupeKey);
    if (seen.has(d.dedupeKey)) throw new IssueInputError(`dedupe key "${d.dedupeKey}" is desired twice`);
    seen.add(d.dedupeKey);
  }

  const ctx: Ctx = { octokit, repo, opts, log, dryRun: opts.dryRun === true, actions: [], failures: [] };
  const byKey = groupByKey(opts.listed ?? (await listManagedIssues(octokit, repo, opts.botLogin, label)));
  let created = 0;

  for (const want of desired) {
    const issues = byKey.get(want.dedupeKey) ?? [];
    const open = issues.filter((i) => i.open).sort((a, b) => a.number - b.number);
    const [keep, ...extra] = open;
    for (const dup of extra) await closeDuplicate(ctx, dup, keep!.number);
    if (keep) {
      await updateOpen(ctx, keep, want);
      continue;
    }
    const closed = latestClosed(issues);
    if (closed) {
      await handleClosed(ctx, closed, want, reopenAfterDays);
      continue;
    }
    if (await create(ctx, want)) created++;
  }

  const stale = [...byKey.keys()].filter((k) => !seen.has(k)).sort();
  for (const key of stale) {
    const open = byKey.get(key)!.filter((i) => i.open).sort((a, b) => a.number - b.number);
    if (open.length === 0) continue;
    if (!opts.inScope(key)) {
      log.debug({ dedupe_key: key, issues: open.map((i) => i.number) }, "out of scope; leaving issue as is");
      continue;
    }
    for (const issue of open) await closeCleared(ctx, issue);
  }

  // Overlapping scans may each have created an issue for the same key: converge on the oldest.
  if (created > 0 && !ctx.dryRun) {
    try {
      const again = groupByKey(await listManagedIssues(octokit, repo, opts.botLogin, label));
      for (const [, issues] of again) {
        const [keep, ...extra] = issues.filter((i) => i.open).sort((a, b) => a.number - b.number);
        for (const dup of extra) await closeDuplicate(ctx, dup, keep!.number);
      }
    } catch (error) {
      log.error({ err: error }, "re-listing issues for duplicates failed");
      ctx.failures.push({ action: "close-duplicate", dedupeKey: "*", issueNumber: null, error });
    }
  }

  if (ctx.failures.length > 0) throw new ReconcileIssuesError(ctx.failures, ctx.actions);
  return ctx.actions;
}

interface Ctx {
  octokit: GitHubClient;
  repo: RepoRef;
  opts: ReconcileOptions;
  log: Logger;
  dryRun: boolean;
  actions: PlannedAction[];
  failures: ReconcileFailure[];
}

/** Run `write` unless dry run; record the action, or the failure (logged) without throwing. */
async function perform(ctx: Ctx, planned: PlannedAction, write: () => Promise<void>): Promise<boolean> {
  if (ctx.dryRun) {
    ctx.actions.push(planned);
    return true;
  }
  try {
    await write();
    ctx.actions.push(planned);
    ctx.log.info({ ...planned }, `issue ${planned.action}`);
    return true;
  } catch (error) {
    ctx.log.error(
      { err: error, action: planned.action, dedupe_key: planned.dedupeKey, issue_number: planned.issueNumber },
      "issue write failed",
    );
    ctx.failures.push({ action: planned.action, dedupeKey: planned.dedupeKey, issueNumber: planned.issueNumber, error });
    return false;
  }
}

async function create(ctx: Ctx, want: DesiredIssue): Promise<boolean> {
  const state = desiredState(want, { first_seen: ctx.opts.now.toISOString() });
  const planned: PlannedAction = {
    action: "create",
    dedupeKey: want.dedupeKey,
    issueNumber: null,
    title: want.title,
    reason: "new finding",
  };
  return perform(ctx, planned, async () => {
    const res = await ctx.octokit.rest.issues.create({
      ...ctx.repo,
      title: want.title,
      body: renderIssueBody(want, state),
      labels: want.labels,
    });
    planned.issueNumber = res.data.number;
  });
}

async function updateOpen(ctx: Ctx, issue: ManagedIssue, want: DesiredIssue): Promise<void> {
  const state = desiredState(want, { first_seen: issue.state?.first_seen ?? issue.createdAt });
  const body = renderIssueBody(want, state);
  const base = { dedupeKey: want.dedupeKey, issueNumber: issue.number, title: want.title };
  if (!contentChanged(issue, want.title, body, state)) {
    ctx.actions.push({ ...base, action: "unchanged", reason: "title and body unchanged" });
    return;
  }
  const what = issue.title !== want.title ? "title/body changed" : "body changed";
  await perform(ctx, { ...base, action: "update", reason: what }, async () => {
    await ctx.octokit.rest.issues.update({ ...ctx.repo, issue_number: issue.number, title: want.title, body });
  });
}

async function handleClosed(ctx: Ctx, issue: ManagedIssue, want: DesiredIssue, reopenAfterDays: number): Promise<void> {
  const base = { dedupeKey: want.dedupeKey, issueNumber: issue.number, title: want.title };
  const date = isoDate(ctx.opts.now);
  let reason: string;
  let comment: string;
  if (issue.state?.closed_by === "app") {
    const when = issue.state.closed_at ? ` on ${isoDate(issue.state.closed_at)}` : "";
    reason = `condition back after the app closed it${when}`;
    comment = `The condition is back as of ${date} (it had cleared and this issue was closed${when}). Reopening.`;
  } else {
    const escalated = escalation(issue.state, want.escalation);
    const closedAt = issue.closedAt ? new Date(issue.closedAt) : null;
    const ageDays = closedAt ? (ctx.opts.now.getTime() - closedAt.getTime()) / DAY_MS : null;
    if (escalated) {
      reason = `escalated since it was closed: ${escalated}`;
      comment = `Reopening: the problem escalated since this issue was closed — ${escalated}.`;
    } else if (ageDays !== null && ageDays > reopenAfterDays) {
      reason = `closed ${Math.floor(ageDays)} days ago (> ${reopenAfterDays}) and still present`;
      comment =
        `Reopening: this issue was closed on ${isoDate(closedAt!)}, ${Math.floor(ageDays)} days ago ` +
        `(more than \`reopen_after_days\` = ${reopenAfterDays}), and the condition is still present as of ${date}.`;
    } else {
      ctx.actions.push({
        ...base,
        action: "acknowledged",
        reason: "closed by a person; not materially escalated" + (ageDays === null ? "" : `, closed ${Math.floor(ageDays)} days ago`),
      });
      return;
    }
  }
  const state = desiredState(want, { first_seen: issue.state?.first_seen ?? issue.createdAt });
  const body = renderIssueBody(want, state);
  await perform(ctx, { ...base, action: "reopen", reason }, async () => {
    await ctx.octokit.rest.issues.update({
      ...ctx.repo,
      issue_number: issue.number,
      state: "open",
      state_reason: "reopened",
      title: want.title,
      body,
    });
    await ctx.octokit.rest.issues.createComment({ ...ctx.repo, issue_number: issue.number, body: comment });
  });
}

async function closeCleared(ctx: Ctx, issue: ManagedIssue): Promise<void> {
  const date = isoDate(ctx.opts.now);
  const why = ctx.opts.closeReason?.(issue.key) || "the latest scan no longer finds it";
  const comment =
    ctx.opts.closeComment?.(issue.key) || `The condition cleared on ${date}: ${why}. Closing; the app reopens this issue if it comes back.`;
  const state: IssueState = { ...issue.state, closed_by: "app", closed_at: ctx.opts.now.toISOString() };
  const planned: PlannedAction = { action: "close", dedupeKey: issue.key, issueNumber: issue.number, title: issue.title, reason: why };
  await perform(ctx, planned, () => commentAndClose(ctx.octokit, ctx.repo, issue, comment, state, "completed"));
}

/**
 * Closes one managed issue with a comment, recording `closed_by: "app"` in its hidden state (so a later
 * scan reopens it if the finding is present again once nothing holds it back). Used by `/experiment ack`
 * and `snooze` to act at once instead of at the next scan.
 *
 * @param comment Markdown, already escaped
 * @throws the Octokit `RequestError` of a failed call
 */
export async function closeManagedIssue(
  octokit: GitHubClient,
  repo: RepoRef,
  issue: ManagedIssue,
  comment: string,
  now: Date,
): Promise<void> {
  const state: IssueState = { ...issue.state, closed_by: "app", closed_at: now.toISOString() };
  await commentAndClose(octokit, repo, issue, comment, state, "not_planned");
}

/** Comments `comment` on `issue`, then closes it as `reason` with `state` written into its body. */
async function commentAndClose(
  octokit: GitHubClient,
  repo: RepoRef,
  issue: ManagedIssue,
  comment: string,
  state: IssueState,
  reason: "completed" | "not_planned",
): Promise<void> {
  await octokit.rest.issues.createComment({ ...repo, issue_number: issue.number, body: comment });
  await octokit.rest.issues.update({
    ...repo,
    issue_number: issue.number,
    state: "closed",
    state_reason: reason,
    body: replaceState(issue.body, state),
  });
}

async function closeDuplicate(ctx: Ctx, issue: ManagedIssue, keep: number): Promise<void> {
  const state: IssueState = { ...issue.state, closed_by: "app", closed_at: ctx.opts.now.toISOString(), duplicate_of: keep };
  const planned: PlannedAction = {
    action: "close-duplicate",
    dedupeKey: issue.key,
    issueNumber: issue.number,
    title: issue.title,
    reason: `duplicate of #${keep}`,
  };
  // "not_planned" rather than "duplicate": the latter is recent and not on every GitHub Enterprise Server.
  await perform(ctx, planned, () => commentAndClose(ctx.octokit, ctx.repo, issue, `Duplicate of #${keep}`, state, "not_planned"));
}

/** The app's managed issues: authored by `botLogin`, not pull requests, with an identity marker. */
export async function listManagedIssues(
  octokit: GitHubClient,
  repo: RepoRef,
  botLogin: string,
  label: string,
): Promise<ManagedIssue[]> {
  const listed: ListedIssue[] = await octokit.paginate(octokit.rest.issues.listForRepo, {
    ...repo,
    creator: botLogin,
    labels: label,
    state: "all",
    per_page: 100,
  });
  const login = botLogin.toLowerCase();
  const managed: ManagedIssue[] = [];
  for (const i of listed) {
    if ((i.user?.login ?? "").toLowerCase() !== login || i.pull_request) continue;
    const body = i.body ?? "";
    const key = parseIssueKey(body);
    if (key === null) continue;
    managed.push({
      number: i.number,
      key,
      title: i.title,
      body,
      open: i.state === "open",
      createdAt: i.created_at,
      closedAt: i.closed_at ?? null,
      state: parseIssueState(body),
    });
  }
  return managed;
}

function groupByKey(issues: ManagedIssue[]): Map<string, ManagedIssue[]> {
  const map = new Map<string, ManagedIssue[]>();
  for (const i of issues) {
    const list = map.get(i.key);
    if (list) list.push(i);
    else map.set(i.key, [i]);
  }
  return map;
}

/** The most recently closed issue, preferring ones not closed as duplicates. */
export function latestClosed(issues: ManagedIssue[]): ManagedIssue | undefined {
  const closed = issues.filter((i) => !i.open);
  const primary = closed.filter((i) => i.state?.duplicate_of === undefined);
  const pool = primary.length > 0 ? primary : closed;
  return pool.sort((a, b) => (b.closedAt ?? "").localeCompare(a.closedAt ?? "") || b.number - a.number)[0];
}

/**
 * Why the problem counts as materially escalated since `stored`, or null. p-value: current ≤ stored / 1000;
 * deviation: |current| ≥ 2 × |stored| (with a non-zero stored value). Figures missing on either side are
 * not compared.
 */
function escalation(stored: IssueState | null, current: DesiredIssue["escalation"]): string | null {
  if (!stored || !current) return null;
  const reasons: string[] = [];
  const { p: p0, d: d0 } = stored;
  const { pValue: p1, deviation: d1 } = current;
  // A relative tolerance of 1e-9 so that exactly 1000× counts despite floating point.
  if (p0 !== undefined && p1 !== undefined && p0 > 0 && p1 * ESCALATION_P_VALUE_FACTOR <= p0 * (1 + 1e-9)) {
    const factor = p1 > 0 ? `${formatCount(p0 / p1)}× smaller` : "now 0";
    reasons.push(
      `p-value ${formatPValue(p0)} → ${formatPValue(p1)} (${factor}; threshold ${formatCount(ESCALATION_P_VALUE_FACTOR)}×)`,
    );
  }
  if (d0 !== undefined && d1 !== undefined && d0 !== 0 && Math.abs(d1) >= ESCALATION_DEVIATION_FACTOR * Math.abs(d0) * (1 - 1e-9)) {
    const ratio = Math.abs(d1) / Math.abs(d0);
    reasons.push(
      `deviation ${formatNumber(d0)} → ${formatNumber(d1)} (${formatNumber(ratio)}×; threshold ${ESCALATION_DEVIATION_FACTOR}×)`,
    );
  }
  return reasons.length > 0 ? reasons.join("; ") : null;
}

/** The state written with a desired issue: its current figures plus stable fields from `keep`. */
function desiredState(want: DesiredIssue, keep: Pick<IssueState, "first_seen">): IssueState {
  const state: IssueState = {};
  if (want.escalation?.pValue !== undefined && Number.isFinite(want.escalation.pValue)) state.p = want.escalation.pValue;
  if (want.escalation?.deviation !== undefined && Number.isFinite(want.escalation.deviation)) state.d = want.escalation.deviation;
  if (keep.first_seen !== undefined) state.first_seen = keep.first_seen;
  return state;
}

/**
 * The full body written for a desired issue: the identity marker, `want.body` (CRLF normalised, cut to
 * fit GitHub's 65,536-character limit with a note) and the state marker.
 * @throws IssueInputError on an invalid dedupe key.
 */
export function renderIssueBody(want: Pick<DesiredIssue, "dedupeKey" | "body">, state: IssueState): string {
  const head = issueMarker(want.dedupeKey);
  const tail = stateMarker(state);
  const room = GITHUB_BODY_LIMIT - 512 - head.length - tail.length - 4;
  return `${head}\n${fitBody(want.body.replace(/\r\n/g, "\n").trimEnd(), room, TRUNCATION_NOTE)}\n\n${tail}\n`;
}

/** Replace (or append) the state marker of an existing body, leaving the rest as it is. */
function replaceState(body: string, state: IssueState): string {
  const next = stateMarker(state);
  return STATE_MARKER_RE.test(body) ? body.replace(STATE_MARKER_RE, () => next) : `${body.trimEnd()}\n\n${next}\n`;
}

/**
 * Whether writing `title`/`body` would change the issue: the visible text (markers' volatile figures
 * `p`/`d` excluded) or the stable state fields (`first_seen`, and any leftover `closed_by`/`closed_at`/
 * `duplicate_of` on an open issue).
 */
function contentChanged(issue: ManagedIssue, title: string, body: string, state: IssueState): boolean {
  if (issue.title !== title) return true;
  if (withoutState(issue.body) !== withoutState(body)) return true;
  return stableJson(issue.state) !== stableJson(state);
}

function withoutState(body: string): string {
  return body.replace(STATE_MARKER_RE, "").replace(/\r\n/g, "\n").trimEnd();
}

function stableJson(state: IssueState | null): string {
  if (!state) return "null";
  const { p: _p, d: _d, ...stable } = state;
  return JSON.stringify(Object.entries(stable).sort(([a], [b]) => a.localeCompare(b)));
}

function assertKey(key: string): void {
  if (typeof key !== "string" || !KEY_PATTERN.test(key) || key.includes("--")) {
    throw new IssueInputError(`invalid dedupe key ${JSON.stringify(key)}: it must be non-empty without whitespace, ">" or "--"`);
  }
}

function isoDate(d: Date | string): string {
  return (typeof d === "string" ? new Date(d) : d).toISOString().slice(0, 10);
}

function formatNumber(x: number): string {
  return String(Number(x.toPrecision(3)));
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
