/**
 * What one pull-request event costs: GitHub and PostHog calls and wall time, measured by running the real
 * Probot app against the fake GitHub API and the fake PostHog server (demo project, 7 experiments) on
 * 127.0.0.1, with optional injected PostHog latency.
 *
 * Run: `npm run build && node dist/bench/pull-request.js`.
 */
import { generateKeyPairSync } from "node:crypto";
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { Probot, ProbotOctokit } from "probot";
import { createApp } from "../app/index.js";
import { startFakePostHog } from "../demo/fake-posthog.js";
import { buildDemoProject } from "../demo/project.js";
import { createPostHogClient } from "../posthog/index.js";
import { createMemoryCache } from "../posthog/cache.js";
import { startFakeGitHub } from "./fake-github.js";

const NOW = new Date("2026-11-20T12:00:00Z");

/**
 * Sequential round trips: the longest chain of requests in which each was sent after the previous one
 * was answered (the critical path as PostHog saw it, including waits for one of the 3 query slots).
 */
export function longestChain(timings: { start: number; end: number }[]): number {
  const ts = [...timings].sort((a, b) => a.end - b.end);
  const depth: number[] = [];
  ts.forEach((t, i) => {
    let best = 0;
    for (let j = 0; j < i; j++) if (ts[j]!.end <= t.start) best = Math.max(best, depth[j]!);
    depth.push(best + 1);
  });
  return Math.max(0, ...depth);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Run the bench; returns the figures it printed. */
export async function benchPullRequest(opts: { posthogLatencyMs?: number; runs?: number; log?: (l: string) => void } = {}) {
  const log = opts.log ?? ((l: string) => console.log(l));
  const runs = opts.runs ?? 5;
  const diff = readFileSync(new URL("../../src/demo/pr.diff", import.meta.url), "utf8");
  const privateKey = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs1", format: "pem" },
  }).privateKey;
  const project = buildDemoProject(NOW);
  const posthogServer = await startFakePostHog(project, { apiKey: "phx_bench", latencyMs: opts.posthogLatencyMs ?? 0 });
  const github = await startFakeGitHub({ owner: "acme", repo: "shop", number: 7, diff, slug: "experiment-hygiene" });
  const payload = (action: string) => ({
    action,
    number: 7,
    pull_request: { number: 7, state: "open", head: { sha: "0123456789abcdef0123456789abcdef01234567" } },
    repository: { name: "shop", full_name: "acme/shop", owner: { login: "acme" } },
    installation: { id: 99 },
    sender: { login: "dev", type: "User" },
  });
  try {
    const probot = new Probot({
      appId: 1,
      privateKey,
      secret: "bench",
      logLevel: "warn",
      baseUrl: github.url,
      // A defaults function: Probot replaces an object default's `throttle` with its own handlers, which
      // would space the bench's writes by plugin-throttling's 1 s / 3 s gaps.
      Octokit: ProbotOctokit.defaults((options: Record<string, any>) => ({
        ...options,
        throttle: { ...(options["throttle"] ?? {}), enabled: false },
      })),
    });
    // The app's default read cache (in memory; Redis with REDIS_URL): the first event is cold, later ones warm.
    const posthog = createPostHogClient({ host: posthogServer.url, projectId: project.projectId, apiKey: "phx_bench", cache: createMemoryCache() });
    await probot.load(createApp({ posthog, now: () => NOW }));

    const counts: { event: string; github: number; posthog: number; ms: number; chain: number; queries: number }[] = [];
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const gh0 = github.requests.length;
      const ph0 = posthogServer.requests.length;
      const t0n = posthogServer.timings!.length;
      const t0 = performance.now();
      const action = i === 0 ? "opened" : "synchronize";
      await probot.receive({ id: `bench-${i}`, name: "pull_request", payload: payload(action) as never });
      const ms = performance.now() - t0;
      times.push(ms);
      counts.push({
        event: action,
        github: github.requests.length - gh0,
        posthog: posthogServer.requests.length - ph0,
        ms,
        chain: longestChain(posthogServer.timings!.slice(t0n)),
        queries: posthogServer.requests.slice(ph0).filter((r) => r.endsWith("/query/")).length,
      });
    }
    const first = counts[0]!;
    const later = counts[1] ?? first;
    log(`pull_request bench: demo diff (${diff.split("\n").length} lines, 12 references, 7 experiments), PostHog latency ${opts.posthogLatencyMs ?? 0} ms`);
    log(`first event (opened): ${first.github} GitHub calls (${github.requests.slice(0, first.github).join(", ")})`);
    log(`first event (opened): ${first.posthog} PostHog calls`);
    log(`later events (synchronize, token and app slug cached, comment unchanged): ${later.github} GitHub calls, ${later.posthog} PostHog calls`);
    const matched = 7;
    log(
      `PostHog calls per PR event: cold ${first.posthog} (${(first.posthog / matched).toFixed(2)} per matched experiment, ${first.queries} queries), ` +
        `warm ${later.posthog} (${(later.posthog / matched).toFixed(2)} per matched experiment, ${later.queries} queries)`,
    );
    log(
      `sequential PostHog round trips (longest chain, each request sent after the previous answered; 3 query slots): cold ${first.chain}, warm ${later.chain}`,
    );
    log(`wall time per event: median ${median(times).toFixed(1)} ms over ${runs} events (first ${times[0]!.toFixed(1)} ms)`);
    log(`max PostHog queries in flight: ${posthogServer.maxConcurrentQueries}`);
    log(`comments on the PR after ${runs} events: ${github.comments.length}`);
    log(`check runs after ${runs} events: ${github.checkRuns.length} (annotations in the first: ${github.checkRuns[0]?.annotations ?? 0}, conclusion ${github.checkRuns[0]?.conclusion ?? "none"})`);
    return { first, later, medianMs: median(times), maxConcurrentQueries: posthogServer.maxConcurrentQueries };
  } finally {
    await posthogServer.close();
    await github.close();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const latency = process.argv[2] === undefined ? 0 : Number(process.argv[2]);
  benchPullRequest({ posthogLatencyMs: latency }).catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
