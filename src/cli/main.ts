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
 *
 * PostHog settings come from the environment (POSTHOG_HOST, POSTHOG_PROJECT_ID, POSTHOG_PERSONAL_API_KEY).
 * Exit codes: 0 success, 1 failure (PostHog, files), 2 usage.
 */
import { readFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Command, CommanderError, Option } from "commander";
import { formatProblems, readConfigFile, type ConfigResult } from "../config/load.js";
import { changedLinesFromDiff, createFlagMatcher, DiffParseError, matchDiff } from "../matching/index.js";
import { analyzePullRequest, type PullRequestReport } from "../pipeline/pull-request.js";
import { recordProject } from "../pipeline/record.js";
import {
  createHttpTransport,
  createPostHogClient,
  createPostHogClientFromSnapshot,
  loadSnapshot,
  posthogConfigFromEnv,
  PostHogError,
  recordingTransport,
  saveSnapshot,
  snapshotNow,
  type PostHogApi,
} from "../posthog/index.js";
import { renderPrComment } from "../render/pr-comment.js";
import { scanCommand, ScanUsageError, type ScanCommandOptions } from "./scan.js";

/** Where the bundled demo files live (next to the sources, also shipped in the package). */
export const DEMO_DIR = fileURLToPath(new URL("../../src/demo/", import.meta.url));

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
    const snapshot = await loadSnapshot(opts.snapshot);
    return { posthog: createPostHogClientFromSnapshot(snapshot), now: now ?? new Date(snapshotNow(snapshot)) };
  }
  const cfg = posthogConfigFromEnv(io.env);
  return { posthog: createPostHogClient(cfg), now: now ?? new Date() };
}

async function loadConfig(path: string | undefined, io: CliIo): Promise<ConfigResult> {
  const file = path ?? ".github/experiment-hygiene.yml";
  const result = await readConfigFile(file, path !== undefined);
  if (result.problems.length > 0) {
    io.stderr(`warning: ${file} is invalid; using the defaults:\n${formatProblems(result.problems)}\n`);
  }
  return result;
}

async function readDiff(file: string | undefined, io: CliIo): Promise<string> {
  if (file && file !== "-") {
    try {
      return await readFile(file, "utf8");
    } catch (err) {
      throw new CliError(`cannot read diff ${file}: ${(err as Error).message}`);
    }
  }
  if (io.stdinIsTTY) {
    throw new CliError("no diff: pass a file, or pipe one in (git diff origin/main...HEAD | experiment-hygiene pr)", 2);
  }
  return io.readStdin();
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
  const diff = await readDiff(diffFile, io);
  const lines = changedLinesFromDiff(diff); // before any PostHog call: a bad diff is a usage error
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
  const { config } = await loadConfig(opts.config, io);
  const cfg = posthogConfigFromEnv(io.env);
  const recorder = recordingTransport(createHttpTransport(cfg));
  const posthog = createPostHogClient({ host: cfg.host, projectId: cfg.projectId, transport: recorder });
  let flagKeys: Set<string> | undefined;
  if (opts.diff) {
    const flags = await posthog.listFeatureFlags();
    const diff = await readDiff(opts.diff, io);
    const matches = matchDiff(changedLinesFromDiff(diff), createFlagMatcher(flags.map((f) => f.key)));
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
    .showHelpAfterError()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
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
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: "user" });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (err instanceof CliError) {
      io.stderr(`error: ${err.message}\n`);
      return err.exitCode;
    }
    if (err instanceof DiffParseError) {
      io.stderr(`error: ${err.message.split("\n")[0]}\n`);
      return 2;
    }
    if (err instanceof ScanUsageError) {
      io.stderr(`error: ${err.message}\n`);
      return 2;
    }
    if (err instanceof PostHogError) {
      io.stderr(`error: ${err.message}\n`);
      return 1;
    }
    io.stderr(`error: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === (await import("node:fs")).realpathSync(process.argv[1])) {
  process.exitCode = await runCli(process.argv.slice(2));
}
