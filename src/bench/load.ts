/**
 * Load and fault scenarios for the BullMQ queue, shared by `npm run bench -- load` and
 * test/queue/load.test.ts: replica processes (src/bench/load-replica.ts) on one Redis, a fake GitHub for
 * many PRs and the fake PostHog (demo project, 7 experiments), everything on 127.0.0.1.
 *
 * {@link runLoad}: signed deliveries over many PRs — per PR an `opened`, bursts of `synchronize` with new
 * head commits and a redelivery of an earlier delivery — sent across the web replicas; optionally one
 * worker-only replica is killed with SIGKILL in the middle. It waits until every PR's comment shows its
 * newest head and the queue is drained (or the timeout), then reports what happened.
 * {@link runRedisRestart}: Redis stopped and started again under a running replica.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createHmac, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { Queue } from "bullmq";
import { startFakePostHog, type FakePostHog } from "../demo/fake-posthog.js";
import { buildDemoProject } from "../demo/project.js";
import { createRedis } from "../queue/redis.js";
import { startFakeGitHubFleet, type FakeGitHubFleet } from "./fake-github-fleet.js";
import type { RedisServer } from "./redis-server.js";

const NOW = new Date("2026-11-20T12:00:00Z");
const SECRET = "load-secret";
const POSTHOG_KEY = "phx_load";
const SLUG = "experiment-hygiene";

/** A replica process. */
interface Replica {
  role: "all" | "worker";
  port: number;
  proc: ChildProcess;
  stderr: string[];
}

/** Options shared by the scenarios. */
export interface ScenarioOptions {
  redisUrl: string;
  /** The replica entry point as JavaScript (dist/bench/load-replica.js, or a bundle of the .ts). */
  replicaScript: string;
  /** Key prefix for this run (unique per run when several share one Redis). Default: random. */
  prefix?: string;
  /** Extra environment for the replicas (QUEUE_*, WORKER_CONCURRENCY, …). */
  env?: Record<string, string>;
  /** Give up waiting after this many ms. Default 60 000. */
  timeoutMs?: number;
  /** PostHog latency per request, ms. Default 0. */
  posthogLatencyMs?: number;
}

/** Options of {@link runLoad}. */
export interface LoadOptions extends ScenarioOptions {
  /** Web replicas (each also runs a worker). Default 2. */
  webReplicas?: number;
  /** Worker-only replicas. Default 1. */
  workerReplicas?: number;
  /** Pull requests. Default 50. */
  prs?: number;
  /** Deliveries per PR (1 opened + bursts of synchronize + 1 redelivery). Default 10 (500 in all). */
  perPr?: number;
  /** SIGKILL the first worker-only replica once this many deliveries were answered. */
  killWorkerAfter?: number;
  /** Deliveries in flight at once. Default 16. */
  concurrency?: number;
}

/** What {@link runLoad} observed. */
export interface LoadResult {
  deliveries: number;
  /** HTTP status → count. */
  statuses: Record<number, number>;
  /** Redeliveries answered 200 (duplicate). */
  duplicatesAnswered: number;
  answerMs: number[];
  /** Per PR: ms from the answer to its newest delivery to the first comment write showing that head. */
  commentMs: number[];
  /** Seconds from the first delivery sent to the last answer. */
  sendSeconds: number;
  /** Seconds from the first delivery to the last PR showing its newest head. */
  totalSeconds: number;
  prs: { target: string; newest: string; comments: number; creations: number; showsNewest: boolean }[];
  /** Analyses started (diff reads at the fake GitHub). */
  analyses: number;
  posthogCalls: number;
  posthogMaxInFlight: number;
  /** Fresh (non-redelivered) pull_request deliveries accepted. */
  prDeliveries: number;
  killed: boolean;
  /** Jobs left in the failed set at the end. */
  failedJobs: number;
  timedOut: boolean;
}

function sign(body: string): string {
  return `sha256=${createHmac("sha256", SECRET).update(body).digest("hex")}`;
}

function sha(pr: number, i: number): string {
  return createHmac("sha1", "load").update(`${pr}:${i}`).digest("hex");
}

function prPayload(action: string, repo: string, n: number, head: string) {
  const [owner, name] = repo.split("/") as [string, string];
  return {
    action,
    number: n,
    pull_request: {
      number: n,
      state: "open",
      html_url: `https://github.com/${repo}/pull/${n}`,
      head: { sha: head },
    },
    repository: { name, full_name: repo, owner: { login: owner }, html_url: `https://github.com/${repo}` },
    installation: { id: 77 },
    sender: { login: "dev", type: "User" },
  };
}

async function spawnReplica(script: string, role: "all" | "worker", env: Record<string, string>): Promise<Replica> {
  const proc = spawn(process.execPath, [script], {
    env: { ...process.env, ...env, REPLICA_ROLE: role },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const stderr: string[] = [];
  proc.stderr!.on("data", (d: Buffer) => {
    stderr.push(d.toString("utf8"));
    if (stderr.length > 50) stderr.shift();
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`replica (${role}) not ready within 30 s: ${stderr.join("").slice(-2000)}`)), 30_000);
    proc.stdout!.on("data", (d: Buffer) => {
      out += d.toString("utf8");
      const line = out.split("\n").find((l) => l.startsWith("{\"ready\""));
      if (line) {
        clearTimeout(timer);
        resolve((JSON.parse(line) as { port: number }).port);
      }
    });
    proc.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`replica (${role}) exited with ${code}: ${stderr.join("").slice(-2000)}`));
    });
  });
  proc.removeAllListeners("exit");
  return { role, port, proc, stderr };
}

async function stopReplica(r: Replica): Promise<void> {
  if (r.proc.exitCode !== null || r.proc.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => r.proc.once("exit", () => resolve()));
  r.proc.kill("SIGTERM");
  const t = setTimeout(() => r.proc.kill("SIGKILL"), 3_000);
  await exited;
  clearTimeout(t);
}

async function deliver(port: number, id: string, name: string, body: string): Promise<{ status: number; ms: number; at: number }> {
  const t0 = performance.now();
  try {
    const res = await fetch(`http://127.0.0.1:${port}/api/github/webhooks`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-github-event": name,
        "x-github-delivery": id,
        "x-hub-signature-256": sign(body),
      },
      body,
      signal: AbortSignal.timeout(15_000),
    });
    await res.arrayBuffer();
    return { status: res.status, ms: performance.now() - t0, at: Date.now() };
  } catch {
    return { status: 0, ms: performance.now() - t0, at: Date.now() };
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function withWorld<T>(
  opts: ScenarioOptions,
  body: (w: { github: FakeGitHubFleet; posthog: FakePostHog; env: Record<string, string>; prefix: string }) => Promise<T>,
): Promise<T> {
  const project = buildDemoProject(NOW);
  const posthog = await startFakePostHog(project, { apiKey: POSTHOG_KEY, latencyMs: opts.posthogLatencyMs ?? 0 });
  const diff = readFileSync(new URL("../../src/demo/pr.diff", import.meta.url), "utf8");
  const github = await startFakeGitHubFleet({ diff, slug: SLUG });
  const prefix = opts.prefix ?? `eh-load-${randomUUID().slice(0, 8)}`;
  const env: Record<string, string> = {
    REDIS_URL: opts.redisUrl,
    QUEUE_PREFIX: prefix,
    LOAD_SECRET: SECRET,
    FAKE_GITHUB_URL: github.url,
    FAKE_POSTHOG_URL: posthog.url,
    FAKE_POSTHOG_PROJECT: project.projectId,
    FAKE_POSTHOG_KEY: POSTHOG_KEY,
    LOAD_NOW: NOW.toISOString(),
    QUEUE_PR_DEBOUNCE_MS: "300",
    QUEUE_LOCK_MS: "2000",
    QUEUE_BACKOFF_MS: "200",
    WORKER_CONCURRENCY: "4",
    LOG_LEVEL: "error",
    // The fake GitHub has no secondary rate limit; GitHub's 80 writes a minute would pace this burst to minutes.
    GITHUB_WRITES_PER_MINUTE: "100000",
    // Nor has the fake PostHog a rate limit: the 3 query slots stay, the per-minute and per-hour budgets go.
    POSTHOG_QUERIES_PER_MINUTE: "100000",
    POSTHOG_QUERIES_PER_HOUR: "1000000",
    POSTHOG_REQUESTS_PER_MINUTE: "100000",
    POSTHOG_REQUESTS_PER_HOUR: "1000000",
    ...opts.env,
  };
  try {
    return await body({ github, posthog, env, prefix });
  } finally {
    await github.close();
    await posthog.close();
    // Remove this run's keys (several runs may share one Redis).
    const redis = createRedis(opts.redisUrl);
    try {
      let cursor = "0";
      do {
        const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
        cursor = next;
        if (keys.length > 0) await redis.del(...keys);
      } while (cursor !== "0");
    } catch {
      // best effort
    } finally {
      redis.disconnect();
    }
  }
}

async function queueCounts(redisUrl: string, prefix: string) {
  const connection = createRedis(redisUrl);
  const q = new Queue("deliveries", { connection, prefix });
  try {
    return await q.getJobCounts("wait", "delayed", "active", "prioritized", "failed", "completed");
  } finally {
    await q.close();
    connection.disconnect();
  }
}

/** Run the load scenario (see the module comment). Never throws for what it observes; throws when a replica cannot start. */
export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const prs = opts.prs ?? 50;
  const perPr = Math.max(3, opts.perPr ?? 10);
  const timeoutMs = opts.timeoutMs ?? 60_000;
  return withWorld(opts, async ({ github, posthog, env, prefix }) => {
    const replicas: Replica[] = [];
    try {
      const starting: Promise<Replica>[] = [];
      for (let i = 0; i < (opts.webReplicas ?? 2); i++) starting.push(spawnReplica(opts.replicaScript, "all", env));
      for (let i = 0; i < (opts.workerReplicas ?? 1); i++) starting.push(spawnReplica(opts.replicaScript, "worker", env));
      replicas.push(...(await Promise.all(starting)));
      const web = replicas.filter((r) => r.role === "all");
      const workerOnly = replicas.filter((r) => r.role === "worker");

      const statuses: Record<number, number> = {};
      const answerMs: number[] = [];
      const newest = new Map<string, { sha: string; answeredAt: number }>();
      let answered = 0;
      let duplicatesAnswered = 0;
      let prDeliveries = 0;
      let killed = false;
      let rr = 0;
      const debounce = Number(env["QUEUE_PR_DEBOUNCE_MS"]);
      const t0 = Date.now();
      const record = (r: { status: number; ms: number }) => {
        statuses[r.status] = (statuses[r.status] ?? 0) + 1;
        answerMs.push(r.ms);
        answered++;
        if (opts.killWorkerAfter !== undefined && !killed && answered >= opts.killWorkerAfter && workerOnly[0]) {
          workerOnly[0].proc.kill("SIGKILL");
          killed = true;
        }
      };
      // A shared budget of deliveries in flight.
      let inFlight = 0;
      const waiters: (() => void)[] = [];
      const slot = async () => {
        while (inFlight >= (opts.concurrency ?? 16)) await new Promise<void>((r) => waiters.push(r));
        inFlight++;
      };
      const release = () => {
        inFlight--;
        waiters.shift()?.();
      };
      const send = async (id: string, body: string) => {
        await slot();
        try {
          const port = web[rr++ % web.length]!.port;
          return await deliver(port, id, "pull_request", body);
        } finally {
          release();
        }
      };

      const perPrTask = async (p: number) => {
        const repo = `acme/service-${p % 10}`;
        const n = 100 + p;
        const target = `${repo}#${n}`;
        const sent: { id: string; body: string }[] = [];
        const fresh = perPr - 1; // the last delivery is a redelivery
        const burstSplit = Math.ceil(fresh / 2);
        for (let i = 0; i < fresh; i++) {
          if (i === burstSplit) await sleep(Math.floor(Math.random() * debounce * 2)); // a second burst, sometimes after the debounce
          const head = sha(p, i);
          const body = JSON.stringify(prPayload(i === 0 ? "opened" : "synchronize", repo, n, head));
          const id = randomUUID();
          sent.push({ id, body });
          const r = await send(id, body);
          record(r);
          if (r.status >= 200 && r.status < 300) {
            prDeliveries++;
            newest.set(target, { sha: head, answeredAt: r.at });
          }
        }
        // GitHub redelivers with the same id and body: an earlier delivery, which must not regress the head.
        const again = sent[Math.floor(Math.random() * sent.length)]!;
        const r = await send(again.id, again.body);
        record(r);
        if (r.status === 200) duplicatesAnswered++;
      };
      await Promise.all(Array.from({ length: prs }, (_, p) => perPrTask(p)));
      const sendSeconds = (Date.now() - t0) / 1000;

      // Wait for every PR to show its newest head and for the queue to drain.
      const until = t0 + timeoutMs;
      const showsNewest = (target: string) => {
        const want = newest.get(target)?.sha.slice(0, 7);
        const mine = github.comments.filter((c) => c.target === target);
        return want !== undefined && mine.length > 0 && mine.every((c) => c.body.includes(`\`${want}\``));
      };
      let timedOut = false;
      let lastCommentAt = Date.now();
      for (;;) {
        const allShown = [...newest.keys()].every(showsNewest);
        if (allShown) {
          const c = await queueCounts(opts.redisUrl, prefix);
          if ((c["wait"] ?? 0) + (c["delayed"] ?? 0) + (c["active"] ?? 0) + (c["prioritized"] ?? 0) === 0) {
            lastCommentAt = Math.max(...github.writes.map((w) => w.at), t0);
            break;
          }
        }
        if (Date.now() > until) {
          timedOut = true;
          break;
        }
        await sleep(100);
      }
      await sleep(300); // anything still writing now would be a duplicate or a stale overwrite
      const counts = await queueCounts(opts.redisUrl, prefix);
      const commentMs: number[] = [];
      const perPrResult = [...newest.entries()].map(([target, { sha: head, answeredAt }]) => {
        const sha7 = head.slice(0, 7);
        const first = github.writes.find((w) => w.target === target && w.at >= answeredAt - 1 && w.body.includes(`\`${sha7}\``));
        if (first) commentMs.push(first.at - answeredAt);
        return {
          target,
          newest: head,
          comments: github.comments.filter((c) => c.target === target).length,
          creations: github.writes.filter((w) => w.target === target && w.kind === "create").length,
          showsNewest: showsNewest(target),
        };
      });
      return {
        deliveries: answered,
        statuses,
        duplicatesAnswered,
        answerMs,
        commentMs,
        sendSeconds,
        totalSeconds: (lastCommentAt - t0) / 1000,
        prs: perPrResult,
        analyses: github.diffReads,
        posthogCalls: posthog.requests.length,
        posthogMaxInFlight: posthog.maxConcurrentQueries,
        prDeliveries,
        killed,
        failedJobs: counts["failed"] ?? 0,
        timedOut,
      };
    } finally {
      await Promise.all(replicas.map(stopReplica));
    }
  });
}

/** What {@link runRedisRestart} observed. */
export interface RestartResult {
  /** Status of the deliveries answered before Redis stopped. */
  before: number[];
  /** Status of the delivery sent while Redis was down. */
  whileDown: number;
  /** Ms until a new delivery was answered 2xx again after Redis was back (-1: never within the timeout). */
  recoveredAfterMs: number;
  /** Status of the redelivery (same id and body) of the delivery refused while Redis was down. */
  redelivered: number;
  /** Targets with a comment showing their head at the end, and the targets expected. */
  commented: string[];
  expected: string[];
  /** Comment creations per target (each must be 1). */
  creations: Record<string, number>;
}

/**
 * One web replica (with its worker) on `redis`; a few PRs get their comments; Redis stops; a delivery
 * arrives (expected 5xx); Redis starts again; a new delivery is sent until it is accepted; the refused
 * delivery is redelivered. Waits for every expected comment (or the timeout).
 */
export async function runRedisRestart(opts: Omit<ScenarioOptions, "redisUrl"> & { redis: RedisServer }): Promise<RestartResult> {
  const timeoutMs = opts.timeoutMs ?? 40_000;
  return withWorld({ ...opts, redisUrl: opts.redis.url }, async ({ github, env }) => {
    const replica = await spawnReplica(opts.replicaScript, "all", env);
    try {
      const expected: { target: string; head: string }[] = [];
      const send = async (p: number, id = randomUUID(), record = true) => {
        const repo = "acme/restart";
        const head = sha(1000 + p, 0);
        const body = JSON.stringify(prPayload("opened", repo, p, head));
        if (record) expected.push({ target: `${repo}#${p}`, head });
        return { id, body, res: await deliver(replica.port, id, "pull_request", body) };
      };
      const waitComments = async (targets: { target: string; head: string }[], until: number) => {
        while (Date.now() < until) {
          if (targets.every((t) => github.comments.some((c) => c.target === t.target && c.body.includes(`\`${t.head.slice(0, 7)}\``)))) return;
          await sleep(100);
        }
      };
      const start = Date.now();
      const before = [];
      for (let p = 1; p <= 3; p++) before.push((await send(p)).res.status);
      await waitComments(expected, start + timeoutMs / 2);

      await opts.redis.stop();
      const refused = await send(4, randomUUID(), false);
      await opts.redis.start();
      const back = Date.now();
      let recoveredAfterMs = -1;
      let p = 5;
      while (Date.now() - back < timeoutMs / 2) {
        const r = await send(p, randomUUID(), false);
        if (r.res.status >= 200 && r.res.status < 300) {
          expected.push({ target: `acme/restart#${p}`, head: sha(1000 + p, 0) });
          recoveredAfterMs = Date.now() - back;
          break;
        }
        p++;
        await sleep(200);
      }
      const again = await deliver(replica.port, refused.id, "pull_request", refused.body);
      if (again.status >= 200 && again.status < 300) expected.push({ target: "acme/restart#4", head: sha(1004, 0) });
      await waitComments(expected, Date.now() + timeoutMs / 2);
      const creations: Record<string, number> = {};
      for (const w of github.writes) if (w.kind === "create") creations[w.target] = (creations[w.target] ?? 0) + 1;
      return {
        before,
        whileDown: refused.res.status,
        recoveredAfterMs,
        redelivered: again.status,
        commented: expected.filter((t) => github.comments.some((c) => c.target === t.target && c.body.includes(`\`${t.head.slice(0, 7)}\``))).map((t) => t.target),
        expected: expected.map((t) => t.target),
        creations,
      };
    } finally {
      await stopReplica(replica);
    }
  });
}
