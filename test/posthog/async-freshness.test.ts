/**
 * PostHog's async query mode, data freshness and the small API fixes of issue 9 §3, against recorded
 * shapes (test/fixtures/posthog: query-202-cache-miss.json, query-status-*.json, exposures-30h-old.json,
 * metric-cuped-original-baseline.json; shapes from PostHog's posthog/api/query.py `QueryStatusResponse` and
 * products/experiments/backend/hogql_queries). Delays are a few milliseconds: the "long" query is long
 * relative to the client's per-request timeout, not in wall time.
 */
import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Experiment } from "../../src/model.js";
import {
  createPostHogClient,
  isOlderThan,
  PostHogError,
  PostHogQueryPendingError,
  type PostHogClientOptions,
} from "../../src/posthog/index.js";
import { FAST_RETRY, HOST, KEY, PID, fixture } from "./helpers.js";

const Q = `/api/projects/${PID}/query/`;
const NOW = new Date("2026-11-20T12:00:00Z");
const QUERY_ID = "0193a1b2c3d4e5f6a7b8c9d0e1f2a3b4";

/** Short polls, a per-request timeout far below the time the fake takes to compute. */
function client(extra: Partial<PostHogClientOptions> = {}) {
  return createPostHogClient({
    host: HOST,
    projectId: PID,
    apiKey: KEY,
    retry: FAST_RETRY,
    timeoutMs: 150,
    asyncQuery: { pollIntervalMs: 2, maxPollIntervalMs: 8, deadlineMs: 5_000 },
    ...extra,
  });
}

async function experiment77(): Promise<Experiment> {
  nock(HOST).get(`/api/projects/${PID}/experiments/77/`).reply(200, fixture("experiment-77-cuped-sequential.json"));
  return client().getExperiment(77);
}

beforeEach(() => {
  nock.disableNetConnect();
});
afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

describe("async queries", () => {
  it("completes a query that computes far longer than the per-request timeout through 202 and polling", async () => {
    const e = await experiment77();
    const m = e.primaryMetrics[0]!;
    const bodies: unknown[] = [];
    // The fake PostHog computes for 400 ms (the client's per-request timeout is 150 ms): the POST answers
    // 202 at once, each poll answers 202 until the computation is done, then 200 with the results.
    let readyAt = 0;
    let polls = 0;
    nock(HOST)
      .post(Q, (b) => {
        bodies.push(b);
        return true;
      })
      .reply(() => {
        readyAt = Date.now() + 400;
        return [202, fixture("query-202-cache-miss.json")];
      })
      .get(`${Q}${QUERY_ID}/`)
      .times(10_000)
      .reply(() => {
        polls++;
        return Date.now() < readyAt ? [202, fixture("query-status-running.json")] : [200, fixture("query-status-complete.json")];
      });
    const r = await client().getMetricResult(e, m);
    expect(bodies).toEqual([{ query: { kind: "ExperimentQuery", experiment_id: 77, metric: m.query }, refresh: "async" }]);
    expect(polls).toBeGreaterThan(1);
    expect(r.pending).toBeUndefined();
    expect(r.error).toBeNull();
    expect(r.baseline?.key).toBe("original");
    expect(r.variants[0]?.posthog).toMatchObject({ pValue: 0.0121, significant: true, adjusted: true });
    expect(r.freshness).toEqual({ computedAt: "2026-11-20T12:01:34Z", cached: false });
  });

  it("reports a metric PostHog has not finished by the deadline as still computing, not as broken", async () => {
    const e = await experiment77();
    nock(HOST).post(Q).reply(202, fixture("query-202-cache-miss.json")).get(`${Q}${QUERY_ID}/`).times(10_000).reply(202, fixture("query-status-running.json"));
    const r = await client({ asyncQuery: { pollIntervalMs: 2, maxPollIntervalMs: 4, deadlineMs: 60 } }).getMetricResult(e, e.primaryMetrics[0]!);
    expect(r).toMatchObject({ pending: true, error: null, baseline: null, variants: [] });
  });

  it("throws PostHogQueryPendingError for exposures still computing at the deadline", async () => {
    const e = await experiment77();
    nock(HOST).post(Q).reply(202, fixture("query-202-cache-miss.json")).get(`${Q}${QUERY_ID}/`).times(10_000).reply(202, fixture("query-status-running.json"));
    const err = await client({ asyncQuery: { pollIntervalMs: 2, maxPollIntervalMs: 4, deadlineMs: 60 } })
      .getExposures(e)
      .catch((x: unknown) => x);
    expect(err).toBeInstanceOf(PostHogQueryPendingError);
    expect((err as PostHogQueryPendingError).queryId).toBe(QUERY_ID);
  });

  it("turns a query PostHog reports as failed (HTTP 400 on the status) into a metric error", async () => {
    const e = await experiment77();
    nock(HOST).post(Q).reply(202, fixture("query-202-cache-miss.json")).get(`${Q}${QUERY_ID}/`).reply(400, fixture("query-status-error.json"));
    const r = await client().getMetricResult(e, e.primaryMetrics[0]!);
    expect(r.pending).toBeUndefined();
    expect(r.error).toMatch(/refused the query.*HTTP 400/);
  });

  it("keeps at most 3 queries running in PostHog across clients of the same host and key, polls included", async () => {
    const e = await experiment77();
    let running = 0;
    let maxRunning = 0;
    let next = 0;
    const finishAt = new Map<string, number>();
    nock(HOST)
      .post(Q)
      .times(8)
      .reply(() => {
        const id = `q${next++}`;
        running++;
        maxRunning = Math.max(maxRunning, running);
        finishAt.set(id, Date.now() + 30);
        const st = fixture<{ query_status: Record<string, unknown> }>("query-202-cache-miss.json");
        return [202, { ...st, query_status: { ...st.query_status, id } }];
      })
      .get(/\/query\/q\d+\/$/)
      .times(10_000)
      .reply((uri) => {
        const id = uri.split("/").filter(Boolean).pop()!;
        const done = Date.now() >= (finishAt.get(id) ?? 0);
        const body = fixture<{ query_status: Record<string, unknown> }>(done ? "query-status-complete.json" : "query-status-running.json");
        if (done && finishAt.has(id)) {
          finishAt.delete(id);
          running--;
        }
        return [done ? 200 : 202, { query_status: { ...body.query_status, id } }];
      });
    const a = client();
    const b = client();
    const metrics = Array.from({ length: 8 }, (_, i) => ({ ...e.primaryMetrics[0]!, uuid: `m${i}` }));
    const results = await Promise.all(metrics.map((m, i) => (i % 2 ? a : b).getMetricResult(e, m)));
    expect(results.every((r) => r.error === null && r.baseline?.key === "original")).toBe(true);
    expect(maxRunning).toBe(3);
  });
});

describe("async query deadline against the event deadline", () => {
  it("counts the wait for a query slot in the query's deadline: a query that never gets a slot is not sent and is still computing", async () => {
    const e = await experiment77();
    let posts = 0;
    nock(HOST)
      .post(Q)
      .times(10)
      .reply(() => {
        posts++;
        const st = fixture<{ query_status: Record<string, unknown> }>("query-202-cache-miss.json");
        return [202, { ...st, query_status: { ...st.query_status, id: `slow${posts}` } }];
      })
      .get(/\/query\/slow\d+\/$/)
      .times(10_000)
      .reply(202, fixture("query-status-running.json"));
    // A key of its own, so this test's limiter (per host + key) is not shared with the other tests' clients.
    // Two clients share that limiter: `slow` holds all three slots for up to 400 ms; `quick` asks for three
    // more queries with a 40 ms deadline, which passes long before a slot frees.
    const apiKey = `${KEY}deadline`;
    const slow = client({ apiKey, asyncQuery: { pollIntervalMs: 2, maxPollIntervalMs: 4, deadlineMs: 400 } });
    const quick = client({ apiKey, asyncQuery: { pollIntervalMs: 2, maxPollIntervalMs: 4, deadlineMs: 40 } });
    const metrics = Array.from({ length: 6 }, (_, i) => ({ ...e.primaryMetrics[0]!, uuid: `slot${i}` }));
    const held = metrics.slice(0, 3).map((m) => slow.getMetricResult(e, m));
    const queued = metrics.slice(3).map((m) => quick.getMetricResult(e, m));
    const results = await Promise.all([...held, ...queued]);
    // The three queued queries were never submitted (before the fix each waited for a slot and then got a
    // full deadline of its own); every query is still computing, none is an error.
    expect(results.every((r) => r.pending === true && r.error === null)).toBe(true);
    expect(posts).toBe(3);
  });
});

describe("freshness", () => {
  it("accepts PostHog's cache for a comment and reports its age", async () => {
    const e = await experiment77();
    const sent: unknown[] = [];
    nock(HOST)
      .post(Q, (b) => {
        sent.push(b);
        return true;
      })
      .reply(200, fixture("exposures-30h-old.json"));
    const r = await client().getExposures(e, { now: NOW });
    expect(sent).toHaveLength(1);
    expect(r.freshness).toEqual({ computedAt: "2026-11-19T06:00:00Z", cached: true });
    expect(isOlderThan(r.freshness, 6, NOW)).toBe(true);
  });

  it("recomputes a 30-hour-old cached result with force_async when max_data_age_hours asks for fresher data", async () => {
    const e = await experiment77();
    const refresh: unknown[] = [];
    nock(HOST)
      .post(Q, (b) => {
        refresh.push(b.refresh);
        return b.refresh === "async";
      })
      .reply(200, fixture("exposures-30h-old.json"))
      .post(Q, (b) => {
        refresh.push(b.refresh);
        return b.refresh === "force_async";
      })
      .reply(202, fixture("query-202-cache-miss.json"))
      .get(`${Q}${QUERY_ID}/`)
      .reply(200, { query_status: { ...fixture<{ query_status: object }>("query-status-complete.json").query_status, results: fixture("exposures-refreshed.json") } });
    const r = await client().getExposures(e, { maxAgeHours: 6, now: NOW });
    expect(refresh).toEqual(["async", "force_async"]);
    expect(r.totals).toMatchObject({ original: 4020, redesign: 3990 });
    expect(r.freshness).toEqual({ computedAt: "2026-11-20T11:58:00Z", cached: false });
  });

  it("does not recompute a result younger than max_data_age_hours", async () => {
    const e = await experiment77();
    nock(HOST).post(Q).once().reply(200, fixture("metric-cuped-original-baseline.json"));
    const r = await client().getMetricResult(e, e.primaryMetrics[0]!, { maxAgeHours: 6, now: NOW });
    expect(r.freshness?.computedAt).toBe("2026-11-20T11:40:00Z");
    expect(nock.isDone()).toBe(true);
  });

  it("treats a cached result without last_refresh as older, and no cache fields at all as unknown", () => {
    expect(isOlderThan({ computedAt: null, cached: true }, 6, NOW)).toBe(true);
    expect(isOlderThan({ computedAt: null, cached: false }, 6, NOW)).toBe(false);
    expect(isOlderThan(undefined, 6, NOW)).toBe(false);
    expect(isOlderThan({ computedAt: "2026-11-20T06:00:00Z", cached: true }, 6, NOW)).toBe(false);
    expect(isOlderThan({ computedAt: "2026-11-20T05:59:00Z", cached: true }, 6, NOW)).toBe(true);
  });
});

describe("request shapes", () => {
  it("sends only the holdout fields ExperimentHoldoutType allows", async () => {
    const e = await experiment77();
    let holdout: unknown;
    nock(HOST)
      .post(Q, (b) => {
        holdout = b.query.holdout;
        return true;
      })
      .reply(200, fixture("exposures-refreshed.json"));
    await client().getExposures(e);
    const raw = fixture<{ holdout: Record<string, unknown> }>("experiment-77-cuped-sequential.json").holdout;
    expect(Object.keys(holdout as object).sort()).toEqual(["created_at", "created_by", "description", "filters", "id", "name", "updated_at"]);
    expect(raw.team_id).toBe(1); // the detail carries more than the query type allows
    expect(holdout).toEqual({
      id: 9,
      name: raw.name,
      description: raw.description,
      filters: raw.filters,
      created_by: raw.created_by,
      created_at: raw.created_at,
      updated_at: raw.updated_at,
    });
  });

  it("lists archived flags too when asked, once per id", async () => {
    const flags = fixture<{ results: { id: number }[] }>("flags-page-2.json");
    const first = { count: 1, next: null, previous: null, results: [flags.results[0]] };
    const archived = { count: 2, next: null, previous: null, results: [flags.results[0], { ...flags.results[0], id: 9901, key: "old-archived-flag", active: false, archived: true }] };
    nock(HOST)
      .get(`/api/projects/${PID}/feature_flags/`)
      .query({ limit: "100" })
      .reply(200, first)
      .get(`/api/projects/${PID}/feature_flags/`)
      .query({ archived: "true", limit: "100" })
      .reply(200, archived);
    const list = await client().listFeatureFlags({ includeArchived: true });
    expect(list.map((f) => f.key)).toEqual([(flags.results[0] as unknown as { key: string }).key, "old-archived-flag"]);
  });

  it("caps conclusion_comment at PostHog's 4,000 characters", async () => {
    let sent = "";
    nock(HOST)
      .post(`/api/projects/${PID}/experiments/77/end/`, (b) => {
        sent = b.conclusion_comment;
        return true;
      })
      .reply(200, fixture("experiment-77-cuped-sequential.json"));
    await client().endExperiment(77, { conclusion: "won", conclusionComment: `${"a".repeat(3998)}😀😀 and more` });
    expect(sent.length).toBeLessThanOrEqual(4000);
    expect(sent.endsWith("…")).toBe(true);
    expect(sent.startsWith("a".repeat(3998))).toBe(true);
    expect(/[\ud800-\udbff]…$/.test(sent)).toBe(false); // no half surrogate pair before the ellipsis
  });

  it("reads the reason from `error` when a PostHog error body has no `detail`", async () => {
    nock(HOST)
      .post(`/api/projects/${PID}/experiments/77/end/`)
      .reply(400, { error: "This change conflicts with an approval policy on the linked feature flag." });
    const err = await client()
      .endExperiment(77, { conclusion: "stopped_early" })
      .catch((x: unknown) => x);
    expect(err).toBeInstanceOf(PostHogError);
    expect((err as Error).message).toMatch(/HTTP 400.*conflicts with an approval policy/);
  });
});
