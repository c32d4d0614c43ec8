#!/usr/bin/env node
/**
 * The `experiment-hygiene` command line.
 *
 *   git diff origin/main...HEAD | experiment-hygiene pr            # the PR comment's Markdown
 *   experiment-hygiene pr changes.diff --json                      # references, unknown keys, decisions
 *   experiment-hygiene snapshot --out posthog.json                 # record every PostHog response needed
 *   experiment-hygiene pr changes.diff --snapshot posthog.json     # replay instead of calling PostHog
 *   experiment-hygiene scan --repo owner/name --dry-run            # one hygiene scan (GITHUB_TOKEN)
 *   experiment-hygiene demo                                        # the bundled demo
 *   experiment-hygiene --version
 *
 * PostHog settings come from the environment (POSTHOG_HOST, POSTHOG_PROJECT_ID, POSTHOG_PERSONAL_API_KEY).
 * Exit codes: 0 success, 1 failure (PostHog, files, internal), 2 usage: an ordinary user mistake (unknown
 * command or option, input that is not a diff, a missing input or `--config` file, missing or malformed
 * PostHog settings). Every error is one line on stderr, without a stack trace and without secrets.
 */
import { readFile } from "node:fs/promises";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Command, CommanderError, Option } from "commander";
import { formatProblems, readConfigFile, type ConfigResult } from "../config/load.js";
import { changedLinesFromDiff, createFlagMatcher, DiffParseError, matchDiff, type ChangedLine } from "../matching/index.js";
import { analyzePullRequest, type PullRequestReport } from "../pipeline/pull-request.js";
import { recordProject } from "../pipeline/record.js";
import {
  createHttpTransport,
  createPostHogClient,
  createPostHogClientFromSnapshot,
  loadSnapshot,
  posthogConfigFromEnv,
  PostHogConfigError,
  PostHogError,
  recordingTransport,
  saveSnapshot,
  snapshotNow,
  type PostHogApi,
} from "../posthog/index.js";
import { renderPrComment } from "../render/pr-comment.js";
import { redactingIo } from "../redact.js";
import { deadlinesFromEnv, type Deadlines } from "../deadline.js";
import { scanCommand, ScanUsageError, type ScanCommandOptions } from "./scan.js";

/** Where the bundled demo files live (next to the sources, also shipped in the package). */
export const DEMO_DIR = fileURLToPath(new URL("../../src/demo/", import.meta.url));

/**
 * The package's version, read at run time from `package.json` two directories above this file (the same
 * for `src/cli/main.ts` and the built `dist/cli/main.js`; `package.json` is always part of the package).
 */
export const VERSION: string = (
  JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }
).version;

/** I/O streams of a CLI run (tests pass their own). */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  readStdin: () => Promise<string>;
  stdinIsTTY: boolean;
  env: Record<string, string | undefined>;
}

/** A user-facing failure with an exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = "CliError";
  }
}

/** One line: runs of whitespace that contain a line break become one space. */
function oneLine(text: string): string {
  return text.trim().replace(/\s*[\r\n]+\s*/g, " ");
}

/** A file the user named cannot be read: a usage error (exit 2) naming the file and the reason. */
function unreadable(what: string, file: string, err: unknown): CliError {
  const e = err as NodeJS.ErrnoException;
  const reason = e.code === "ENOENT" ? "no such file" : e.code === "EISDIR" ? "is a directory" : e.code ?? e.message;
  return new CliError(`cannot read ${what} ${file}: ${reason}`, 2);
}

async function readStream(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === "string" ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks).toString("utf8");
}

const processIo: CliIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  readStdin: () => readStream(process.stdin),
  stdinIsTTY: Boolean(process.stdin.isTTY),
  env: process.env,
};

/** The PostHog client and the clock for a command: a snapshot replay (its recording time is "now") or HTTP. */
async function posthogFor(opts: { snapshot?: string; now?: string }, io: CliIo): Promise<{ posthog: PostHogApi; now: Date }> {
  let now = opts.now ? new Date(opts.now) : null;
  if (now && Number.isNaN(now.getTime())) throw new CliError(`--now: not an ISO 8601 date: ${opts.now}`, 2);
  if (opts.snapshot) {
    const snapshot = await loadSnapshot(opts.snapshot).catch((err: unknown) => {
      throw err instanceof PostHogError ? err : unreadable("snapshot", opts.snapshot!, err);
    });
    return { posthog: createPostHogClientFromSnapshot(snapshot), now: now ?? new Date(snapshotNow(snapshot)) };
  }
  const cfg = posthogConfigFromEnv(io.env);
  const limits = cliDeadlines(io.env);
  return {
    posthog: createPostHogClient({ ...cfg, deadlineMs: limits.posthogRequestMs, maxPages: limits.posthogMaxPages }),
    now: now ?? new Date(),
  };
}

/** The deadlines of docs/deadlines.md from the environment; a bad value is a usage error (exit 2). */
function cliDeadlines(env: Record<string, string | undefined>): Deadlines {
  try {
    return deadlinesFromEnv(env);
  } catch (err) {
    throw new CliError((err as Error).message, 2);
  }
}

async function loadConfig(path: string | undefined, io: CliIo): Promise<ConfigResult> {
  const file = path ?? ".github/experiment-hygiene.yml";
  const result = await readConfigFile(file, path !== undefined).catch((err: unknown) => {
    throw new CliError((err as Error).message, 2); // names the file and the reason
  });
  if (result.fatal) throw new CliError(`${file} cannot be read as configuration: ${formatProblems(result.problems)}`, 2);
  if (result.problems.length > 0) {
    io.stderr(`warning: problems in ${file}; these keys are ignored or use their defaults:\n${formatProblems(result.problems)}\n`);
  }
  return result;
}

async function readDiff(file: string | undefined, io: CliIo): Promise<string> {
  if (file && file !== "-") {
    try {
      return await readFile(file, "utf8");
    } catch (err) {
      throw unreadable("diff", file, err);
    }
  }
  if (io.stdinIsTTY) {
    throw new CliError("no diff: pass a file, or pipe one in (git diff origin/main...HEAD | experiment-hygiene pr)", 2);
  }
  return io.readStdin();
}

/** The changed lines of a diff; input that is not a unified diff is a usage error (exit 2). */
function diffLines(diff: string, file: string | undefined): ChangedLine[] {
  try {
    return changedLinesFromDiff(diff);
  } catch (err) {
    if (!(err instanceof DiffParseError)) throw err;
    const source = file && file !== "-" ? file : "standard input";
    throw new CliError(`${source} is not a unified diff (${err.message.replace(/^changedLinesFromDiff: /, "")})`, 2);
  }
}

/** The `--json` shape of `pr`. */
export function prReportJson(report: PullRequestReport) {
  return {
    references: report.matches.references.map((r) => ({ flag_key: r.flagKey, file: r.file, line: r.line, side: r.side })),
    unknown_keys: report.unknownKeys.map((u) => ({
      key: u.key,
      file: u.file,
      line: u.line,
      side: u.side,
      suggestion: u.suggestion,
    })),
    experiments: report.experiments.map((r) => ({
      id: r.experiment.id,
      name: r.experiment.name,
      flag_key: r.flagKey,
      status: r.experiment.status,
      decision: r.decision?.decision ?? null,
      variant: r.decision?.variant ?? null,
      reasons: r.decision?.reasons.map((x) => ({ rule: x.rule, message: x.message })) ?? [],
      error: r.error,
    })),
  };
}

async function runPr(
  diffFile: string | undefined,
  opts: { json?: boolean; snapshot?: string; config?: string; now?: string },
  io: CliIo,
): Promise<void> {
  const lines = diffLines(await readDiff(diffFile, io), diffFile);
  const { config, problems } = await loadConfig(opts.config, io);
  const { posthog, now } = await posthogFor(opts, io);
  const report = await analyzePullRequest({ lines, posthog, config, now });
  if (opts.json) io.stdout(`${JSON.stringify(prReportJson(report), null, 2)}\n`);
  else io.stdout(renderPrComment(report, { configProblems: problems }));
}

async function runSnapshot(
  opts: { out: string; diff?: string; config?: string },
  io: CliIo,
): Promise<void> {
  const lines = opts.diff ? diffLines(await readDiff(opts.diff, io), opts.diff) : null;
  const { config } = await loadConfig(opts.config, io);
  const cfg = posthogConfigFromEnv(io.env);
  const limits = cliDeadlines(io.env);
  const recorder = recordingTransport(createHttpTransport({ ...cfg, deadlineMs: limits.posthogRequestMs }));
  const posthog = createPostHogClient({ host: cfg.host, projectId: cfg.projectId, transport: recorder, maxPages: limits.posthogMaxPages });
  let flagKeys: Set<string> | undefined;
  if (lines) {
    const flags = await posthog.listFeatureFlags();
    const matches = matchDiff(lines, createFlagMatcher(flags.map((f) => f.key)));
    flagKeys = new Set(matches.flags.map((f) => f.flagKey));
  }
  const summary = await recordProject(posthog, config, flagKeys ? { flagKeys } : {});
  await saveSnapshot(opts.out, recorder.toSnapshot());
  io.stderr(
    `recorded ${posthog.requestCount} PostHog responses (${summary.flags} flags, ${summary.experiments} experiments, ` +
      `${summary.queries} queries) into ${opts.out}\n`,
  );
}

async function runDemo(opts: { json?: boolean }, io: CliIo): Promise<void> {
  const snapshot = `${DEMO_DIR}snapshot.json`;
  const diff = `${DEMO_DIR}pr.diff`;
  if (!existsSync(snapshot)) throw new CliError(`the demo snapshot is missing: ${snapshot}`);
  if (!opts.json) {
    io.stderr(`Replaying ${snapshot} against ${diff} (no network):\n\n`);
  }
  await runPr(diff, { snapshot, config: `${DEMO_DIR}experiment-hygiene.yml`, ...(opts.json ? { json: true } : {}) }, io);
  if (!opts.json) {
    io.stderr(`\nThe scheduled hygiene scan of the same snapshot (offline, every experiment in scope):\n\n`);
    await runScan({ offline: true, watchCap: "50", snapshot }, io);
  }
}

async function runScan(opts: ScanCommandOptions & { snapshot?: string; now?: string }, io: CliIo): Promise<void> {
  const { posthog, now } = await posthogFor(opts, io);
  const result = await scanCommand(opts, { posthog, now, env: io.env, out: io.stdout, err: io.stderr });
  if (result?.repositories.some((r) => r.error)) throw new CliError("the scan failed in some repositories");
}

/** Build the commander program (exported for tests). */
export function buildProgram(io: CliIo = processIo): Command {
  const program = new Command()
    .name("experiment-hygiene")
    .description("Keeps PostHog A/B experiments honest, from GitHub.")
    .version(VERSION, "-V, --version", "print the version")
    .configureOutput({
      writeOut: io.stdout,
      writeErr: io.stderr,
      // Usage errors: one line (commander puts "Did you mean …?" on a line of its own), then a pointer to help.
      outputError: (text, write) => write(`${oneLine(text)} (see experiment-hygiene --help)\n`),
    })
    .exitOverride();
  const snapshotOption = new Option("--snapshot <file>", "replay PostHog responses from a snapshot instead of calling PostHog");
  const configOption = new Option("--config <file>", "configuration file (default: .github/experiment-hygiene.yml if present)");
  const nowOption = new Option("--now <iso>", "evaluate as of this time (default: now, or the snapshot's recording time)");

  program
    .command("pr")
    .description("analyse a unified diff and print the pull-request comment")
    .argument("[diff]", "unified diff file ('-' or omitted: standard input)")
    .option("--json", "print references, unknown keys and decisions as JSON")
    .addOption(snapshotOption)
    .addOption(configOption)
    .addOption(nowOption)
    .action((diff: string | undefined, opts) => runPr(diff, opts, io));

  program
    .command("snapshot")
    .description("record every PostHog response the app needs into one JSON file")
    .requiredOption("--out <file>", "where to write the snapshot")
    .option("--diff <file>", "only the experiments whose flags this diff references")
    .addOption(configOption)
    .action((opts) => runSnapshot(opts, io));

  program
    .command("scan")
    .description("run one scheduled hygiene scan: open, update and close hygiene issues, then exit")
    .option("--repo <owner/name...>", "scan these repositories with GITHUB_TOKEN (default: every App installation)")
    .option("--dry-run", "print what would be opened, updated and closed; write nothing")
    .option("--json", "print the findings and actions as JSON")
    .option("--offline", "no GitHub: every experiment in scope; print the findings and the issues they would open")
    .option("--bot-login <login>", "the login whose issues are managed (default: the App's bot, or the token's user)")
    .option("--watch-cap <n>", "most experiments checked for validity threats per scan", "10")
    .option("--budget <n>", "most PostHog requests per scan", "200")
    .addOption(snapshotOption)
    .addOption(nowOption)
    .action((opts) => runScan(opts, io));

  program
    .command("demo")
    .description("replay the bundled snapshot: the PR comment for the bundled diff, then the scan report")
    .option("--json", "print JSON instead of Markdown")
    .action((opts) => runDemo(opts, io));
  return program;
}

/**
 * Run the CLI with `argv` (without `node` and the script). Resolves to the exit code; never throws.
 */
export async function runCli(argv: string[], io: CliIo = processIo): Promise<number> {
  io = redactingIo(io); // every line printed passes the redactor (src/redact.ts)
  const program = buildProgram(io);
  const fail = (message: string, code: number): number => {
    io.stderr(`error: ${oneLine(message)}\n`); // io redacts (src/redact.ts)
    return code;
  };
  try {
    await program.parseAsync(argv, { from: "user" });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (err instanceof CliError) return fail(err.message, err.exitCode);
    if (err instanceof ScanUsageError) return fail(err.message, 2);
    if (err instanceof PostHogConfigError) return fail(err.message, 2);
    if (err instanceof PostHogError) return fail(err.message, 1);
    // Not expected: still one line and no secrets; the name tells a bug report where to look.
    const e = err instanceof Error ? err : new Error(String(err));
    return fail(`unexpected ${e.name}: ${e.message}`, 1);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === (await import("node:fs")).realpathSync(process.argv[1])) {
  process.exitCode = await runCli(process.argv.slice(2));
}
