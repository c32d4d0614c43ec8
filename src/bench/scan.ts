/**
 * A scheduled scan of a synthetic project — 1,000 experiments, 5,000 feature flags — against the
 * PostHog-compatible fake server on 127.0.0.1 with injected latency: PostHog calls, wall time and peak
 * memory. The scan is the real loader (triage, watch cap, call budget) plus the detectors and issue
 * rendering for one repository with every experiment in scope (no GitHub writes).
 *
 * Run: `npm run build && node dist/bench/scan.js [latencyMs]`.
 */
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { DEFAULT_CONFIG } from "../config/schema.js";
import { startFakePostHog } from "../demo/fake-posthog.js";
import { buildProject, type DemoExperiment } from "../demo/project.js";
import { loadProjectState } from "../pipeline/project-state.js";
import { planRepositoryIssues } from "../pipeline/scan-plan.js";
import { createPostHogClient } from "../posthog/index.js";

const NOW = new Date("2026-11-20T12:00:00Z");

/** 1,000 experiments: a mix of running (some imbalanced, some stalled by age), ended and drafts. */
export function syntheticExperiments(n = 1000): DemoExperiment[] {
  const out: DemoExperiment[] = [];
  for (let i = 0; i < n; i++) {
    const kind = i % 10;
    const started = kind === 9 ? null : 2 + (i % 150); // drafts every 10th; ages 2–151 days
    const skew = kind === 3 ? 0.04 : 0; // every 10th running one is imbalanced
    const n0 = 2000 + (i % 7) * 500;
    out.push({
      id: 10_000 + i,
      name: `Synthetic experiment ${i}`,
      description: "",
      flagId: 20_000 + i,
      flagKey: `synthetic-flag-${i}`,
      method: i % 2 ? "bayesian" : "frequentist",
      startDaysAgo: started,
      endDaysAgo: kind === 8 && started !== null ? Math.max(1, started - 20) : null,
      arms: [
        { key: "control", split: 50, exposures: Math.round(n0 * (1 + skew)), values: { m: { rate: 0.1 } } },
        { key: "test", split: 50, exposures: Math.round(n0 * (1 - skew)), values: { m: { rate: 0.105 } } },
      ],
      primary: { uuid: "m", name: "Conversion", type: "funnel", event: "converted" },
    });
  }
  return out;
}

/** Run the bench and print its figures. */
export async function benchScan(opts: { latencyMs?: number; watchCap?: number; callBudget?: number; log?: (l: string) => void } = {}) {
  const log = opts.log ?? ((l: string) => console.log(l));
  const latency = opts.latencyMs ?? 20;
  const experiments = syntheticExperiments(1000);
  const extraFlags = Array.from({ length: 4000 }, (_, i) => ({ id: 50_000 + i, key: `plain-flag-${i}` }));
  const project = buildProject(NOW, experiments, extraFlags, "777");
  const server = await startFakePostHog(project, { apiKey: "phx_bench", latencyMs: latency });
  try {
    const rssBefore = process.memoryUsage().rss;
    let peakRss = rssBefore;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }, 5);
    const posthog = createPostHogClient({ host: server.url, projectId: project.projectId, apiKey: "phx_bench" });
    const t0 = performance.now();
    const loaded = await loadProjectState(posthog, {
      now: NOW,
      watchCap: opts.watchCap ?? 10,
      callBudget: opts.callBudget ?? 200,
    });
    const tLoaded = performance.now();
    const plan = planRepositoryIssues({ project: loaded, scopeFlagKeys: null, memory: new Map(), reports: DEFAULT_CONFIG.reports });
    const t1 = performance.now();
    clearInterval(sampler);
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    const byKind: Record<string, number> = {};
    for (const f of plan.findings) byKind[f.kind] = (byKind[f.kind] ?? 0) + 1;
    log(`scan bench: ${experiments.length} experiments, ${project.flags.length} flags, PostHog latency ${latency} ms per request`);
    log(`PostHog calls: ${server.requests.length} (list pages + 4 per watched experiment; watched ${loaded.watched.size}, watch cap ${opts.watchCap ?? 10}, budget ${opts.callBudget ?? 200})`);
    log(`max PostHog queries in flight: ${server.maxConcurrentQueries}`);
    log(`wall time: ${(t1 - t0).toFixed(0)} ms (load ${(tLoaded - t0).toFixed(0)} ms, detect + render ${(t1 - tLoaded).toFixed(0)} ms)`);
    log(`peak RSS: ${(peakRss / 2 ** 20).toFixed(0)} MiB (before the scan ${(rssBefore / 2 ** 20).toFixed(0)} MiB)`);
    log(`findings: ${plan.findings.length} ${JSON.stringify(byKind)}; issues planned: ${plan.desired.length}`);
    return { calls: server.requests.length, ms: t1 - t0, peakRss, findings: plan.findings.length };
  } finally {
    await server.close();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  benchScan({ latencyMs: process.argv[2] === undefined ? 20 : Number(process.argv[2]) }).catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
