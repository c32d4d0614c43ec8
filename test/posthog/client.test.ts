import { createServer, type Server } from "node:http";
import { inspect } from "node:util";
import type { AddressInfo } from "node:net";
import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Experiment, Metric } from "../../src/model.js";
import {
  createHttpTransport,
  createPostHogClient,
  PostHogAuthError,
  PostHogError,
  PostHogNetworkError,
  PostHogNotFoundError,
  PostHogRateLimitError,
  PostHogSchemaError,
  PostHogServerError,
} from "../../src/posthog/index.js";
import { caught, FAST_RETRY, fastClient as client, HOST, KEY, PID, fixture } from "./helpers.js";

const Q = `/api/projects/${PID}/query/`;

beforeEach(() => {
  nock.disableNetConnect();
});
afterEach(() => {
  const pending = nock.pendingMocks();
  nock.cleanAll();
  nock.enableNetConnect();
  expect(pending).toEqual([]);
});

describe("lists and pagination", () => {
  it("sends the Bearer key and follows absolute `next` links to the end, excluding deleted flags", async () => {
    nock(HOST, { reqheaders: { authorization: `Bearer ${KEY}` } })
      .get(`/api/projects/1/feature_flags/`)
      .query({ limit: "100" })
      .reply(200, fixture("flags-page-1.json"))
      .get(`/api/projects/1/feature_flags/`)
      .query({ limit: "100", offset: "100" })
      .reply(200, fixture("flags-page-2.json"));
    const api = client();
    const flags = await api.listFeatureFlags();
    expect(flags.map((f) => f.key)).toEqual(["new-checkout", "dark-mode"]);
    expect(flags[0]).toMatchObject({ id: 7, experimentIds: [42], variants: [{ key: "control" }, { key: "test" }] });
    expect(api.requestCount).toBe(2);
  });

  it("fetches later pages from the configured host even if `next` names another one", async () => {
    const page1 = fixture("experiments-page-1.json");
    page1.next = "https://internal-posthog.example/api/projects/1/experiments/?limit=100&offset=100";
    nock(HOST)
      .get("/api/projects/1/experiments/?limit=100")
      .reply(200, page1)
      .get("/api/projects/1/experiments/?limit=100&offset=100")
      .reply(200, fixture("experiments-page-2.json"));
    const exps = await client().listExperiments();
    expect(exps.map((e) => [e.id, e.status])).toEqual([
      [42, "running"],
      [17, "running"],
    ]);
  });

  it("stops on a `next` link that repeats a page instead of looping", async () => {
    const page = fixture("flags-page-2.json");
    page.next = `${HOST}/api/projects/1/feature_flags/?limit=100`;
    nock(HOST).get("/api/projects/1/feature_flags/?limit=100").reply(200, page);
    const err = await caught(client().listFeatureFlags());
    expect(err).toBeInstanceOf(PostHogError);
    expect(err.message).toMatch(/did not end/);
  });
});

describe("experiments", () => {
  it("gets the detail of one experiment", async () => {
    nock(HOST).get("/api/projects/1/experiments/42/").reply(200, fixture("experiment-42.json"));
    const e = await client().getExperiment(42);
    expect(e.primaryMetrics.map((m) => m.uuid)).toEqual(["c3d4", "s-ratio", "a1b2"]);
    expect(e.recommendedSampleSize).toBe(8000);
  });

  it("names the endpoint and field path of a wrong-typed field", async () => {
    const bad = fixture("experiment-42.json");
    (bad.feature_flag as { filters: { groups: unknown } }).filters.groups = "everyone";
    nock(HOST).get("/api/projects/1/experiments/42/").reply(200, bad);
    const err = await caught(client().getExperiment(42));
    expect(err).toBeInstanceOf(PostHogSchemaError);
    expect(err.message).toBe("GET /api/projects/1/experiments/42/: feature_flag.filters.groups: expected array, received string");
    expect((err as PostHogSchemaError).endpoint).toBe("GET /api/projects/1/experiments/42/");
  });

  it("names list item paths (results[i]) in schema errors", async () => {
    const page = fixture<{ results: Record<string, unknown>[] }>("flags-page-2.json");
    page.results[0]!.id = "9";
    nock(HOST).get("/api/projects/1/feature_flags/?limit=100").reply(200, page);
    const err = await caught(client().listFeatureFlags());
    expect(err).toBeInstanceOf(PostHogSchemaError);
    expect(err.message).toContain("GET /api/projects/1/feature_flags/?limit=100: results[0].id: expected number, received string");
  });

  it("reports a non-JSON body as a schema error", async () => {
    nock(HOST).get("/api/projects/1/experiments/42/").reply(200, "<!DOCTYPE html><html>", { "content-type": "text/html" });
    const err = await caught(client().getExperiment(42));
    expect(err).toBeInstanceOf(PostHogSchemaError);
    expect(err.message).toMatch(/response is not JSON/);
  });
});

describe("queries", () => {
  async function loadExperiment(): Promise<Experiment> {
    nock(HOST).get("/api/projects/1/experiments/42/").reply(200, fixture("experiment-42.json"));
    return client().getExperiment(42);
  }

  it("sends the exact ExperimentExposureQuery body built from the raw experiment", async () => {
    const e = await loadExperiment();
    const raw = fixture("experiment-42.json");
    let body: unknown;
    nock(HOST, { reqheaders: { authorization: `Bearer ${KEY}` } })
      .post(Q, (b) => {
        body = b;
        return true;
      })
      .reply(200, fixture("exposures-42.json"));
    const r = await client().getExposures(e);
    expect(body).toEqual({
      query: {
        kind: "ExperimentExposureQuery",
        experiment_id: 42,
        experiment_name: "New checkout",
        feature_flag: raw.feature_flag,
        exposure_criteria: raw.exposure_criteria,
        holdout: raw.holdout,
        start_date: "2026-05-20T10:00:00Z",
        end_date: null,
      },
      refresh: "async",
    });
    expect(r.totals).toEqual({ control: 260, test: 255, $multiple: 3 });
  });

  it("does not query exposures of a draft", async () => {
    const e = await loadExperiment();
    const draft: Experiment = { ...e, startDate: null, raw: { ...e.raw, start_date: null } };
    const api = client();
    expect(await api.getExposures(draft)).toEqual({ experimentId: 42, timeseries: [], totals: {}, posthogSrm: null });
    expect(api.requestCount).toBe(0);
  });

  it("refuses an exposure query without an embedded feature flag", async () => {
    const e = await loadExperiment();
    const slim: Experiment = { ...e, raw: { ...e.raw, feature_flag: undefined } };
    const err = await caught(client().getExposures(slim));
    expect(err).toBeInstanceOf(PostHogError);
    expect(err.message).toMatch(/no embedded feature_flag.*getExperiment\(42\)/);
  });

  it("sends the exact ExperimentQuery body and normalises the result", async () => {
    const e = await loadExperiment();
    const m = e.primaryMetrics.find((x) => x.uuid === "a1b2")!;
    let body: unknown;
    nock(HOST)
      .post(Q, (b) => {
        body = b;
        return true;
      })
      .reply(200, fixture("metric-bayesian.json"));
    const r = await client().getMetricResult(e, m);
    expect(body).toEqual({
      query: { kind: "ExperimentQuery", experiment_id: 42, metric: (fixture("experiment-42.json").metrics as unknown[])[0] },
      refresh: "async",
    });
    expect(r.error).toBeNull();
    expect(r.variants[0]?.posthog?.chanceToWin).toBe(0.93);
  });

  it("turns an empty response and a 400 refusal into a MetricResult with error", async () => {
    const e = await loadExperiment();
    const m = e.primaryMetrics[0]!;
    nock(HOST)
      .post(Q)
      .reply(200, fixture("metric-empty.json"))
      .post(Q)
      .reply(400, { type: "validation_error", code: "invalid_input", detail: "Metric has no exposures", attr: null });
    const api = client();
    const empty = await api.getMetricResult(e, m);
    expect(empty.error).toMatch(/returned no data/);
    const refused = await api.getMetricResult(e, m);
    expect(refused.baseline).toBeNull();
    expect(refused.error).toMatch(/refused the query for metric "Revenue per user".*HTTP 400 \(invalid_input\).*Metric has no exposures/);
  });

  it("does not send legacy metrics to ExperimentQuery", async () => {
    const e = await loadExperiment();
    const legacy: Metric = { uuid: "legacy-0", name: "signup", metricType: "legacy-trends", goal: "increase", role: "primary", query: {} };
    const api = client();
    const r = await api.getMetricResult(e, legacy);
    expect(r.error).toMatch(/legacy ExperimentTrendsQuery/);
    expect(api.requestCount).toBe(0);
  });

  async function maxConcurrentQueries(queryConcurrency: number | undefined, n: number): Promise<number> {
    const e = await loadExperiment();
    let inFlight = 0;
    let max = 0;
    nock(HOST)
      .post(Q)
      .times(n)
      .reply((_uri, _body, cb) => {
        inFlight++;
        max = Math.max(max, inFlight);
        setTimeout(() => {
          inFlight--;
          cb(null, [200, fixture("metric-frequentist.json")]);
        }, 40);
      });
    const api = client(queryConcurrency === undefined ? {} : { queryConcurrency });
    const metrics = Array.from({ length: n }, (_, i) => ({ ...e.primaryMetrics[0]!, uuid: `m${i}` }));
    const results = await Promise.all(metrics.map((m) => api.getMetricResult(e, m)));
    expect(results.every((r) => r.error === null)).toBe(true);
    return max;
  }

  it("keeps at most 3 queries in flight by default (PostHog's concurrency limit)", async () => {
    expect(await maxConcurrentQueries(undefined, 8)).toBe(3);
  });

  it("honours a lower queryConcurrency and caps higher values at 3", async () => {
    expect(await maxConcurrentQueries(1, 3)).toBe(1);
    expect(await maxConcurrentQueries(10, 6)).toBe(3);
  });

  it("also caps queries that are delayed with nock .delay()", async () => {
    const e = await loadExperiment();
    let started = 0;
    let finished = 0;
    let maxOpen = 0;
    nock(HOST)
      .post(Q)
      .times(6)
      .delay(30)
      .reply(() => {
        started++;
        maxOpen = Math.max(maxOpen, started - finished);
        return [200, fixture("metric-frequentist.json")];
      });
    const api = client();
    await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        api.getMetricResult(e, { ...e.primaryMetrics[0]!, uuid: `d${i}` }).then(() => {
          finished++;
        }),
      ),
    );
    expect(maxOpen).toBe(3);
  });
});

describe("activity", () => {
  it("pages by number, newest first, and stops at entries older than `since`", async () => {
    nock(HOST)
      .get("/api/projects/1/feature_flags/7/activity/?limit=100&page=1")
      .reply(200, fixture("activity-page-1.json"))
      .get("/api/projects/1/feature_flags/7/activity/?limit=100&page=2")
      .reply(200, fixture("activity-page-2.json"));
    const all = await client().getFlagActivity(7);
    expect(all.map((a) => a.createdAt)).toEqual(["2026-06-05T12:00:00Z", "2026-05-25T08:00:00Z", "2026-05-19T09:00:00Z"]);
  });

  it("does not fetch page 2 when page 1 already reaches `since`", async () => {
    nock(HOST).get("/api/projects/1/feature_flags/7/activity/?limit=100&page=1").reply(200, fixture("activity-page-1.json"));
    const api = client();
    const recent = await api.getFlagActivity(7, { since: "2026-06-01T00:00:00Z" });
    expect(recent.map((a) => a.createdAt)).toEqual(["2026-06-05T12:00:00Z"]);
    expect(api.requestCount).toBe(1);
  });

  it("respects maxPages and rejects a malformed `since`", async () => {
    nock(HOST).get("/api/projects/1/feature_flags/7/activity/?limit=100&page=1").reply(200, fixture("activity-page-1.json"));
    expect(await client().getFlagActivity(7, { maxPages: 1 })).toHaveLength(2);
    await expect(client().getFlagActivity(7, { since: "last week" })).rejects.toThrow(/ISO 8601/);
  });
});

describe("errors and retries", () => {
  it("retries a 429 with Retry-After and then succeeds", async () => {
    const scope = nock(HOST)
      .get("/api/projects/1/experiments/42/")
      .reply(429, { type: "throttled_error", detail: "Request was throttled." }, { "Retry-After": "1" })
      .get("/api/projects/1/experiments/42/")
      .reply(200, fixture("experiment-42.json"));
    const transport = createHttpTransport({ host: HOST, projectId: PID, apiKey: KEY, retry: FAST_RETRY });
    const api = createPostHogClient({ host: HOST, projectId: PID, transport });
    const started = Date.now();
    const e = await api.getExperiment(42);
    expect(e.id).toBe(42);
    expect(scope.isDone()).toBe(true);
    expect(transport.stats).toEqual({ requests: 1, retries: 1 });
    expect(Date.now() - started).toBeLessThan(900); // maxRetryAfter (5 ms) capped the 1 s wait
  });

  it("waits for Retry-After when it is below maxRetryAfter", async () => {
    nock(HOST)
      .post(Q)
      .reply(429, { detail: "slow down" }, { "Retry-After": "0.2" })
      .post(Q)
      .reply(200, fixture("metric-frequentist.json"));
    const api = client({ retry: { ...FAST_RETRY, maxRetryAfter: 5_000 } });
    const started = Date.now();
    const metric: Metric = { uuid: "u", name: "m", metricType: "mean", goal: "increase", role: "primary", query: {} };
    const r = await api.getMetricResult({ id: 42 } as Experiment, metric);
    expect(r.error).toBeNull();
    expect(Date.now() - started).toBeGreaterThanOrEqual(180);
  });

  it("gives up on 429 after the budget with PostHogRateLimitError", async () => {
    nock(HOST).get("/api/projects/1/experiments/42/").times(4).reply(429, { detail: "Request was throttled." }, { "Retry-After": "1" });
    const err = await caught(client().getExperiment(42));
    expect(err).toBeInstanceOf(PostHogRateLimitError);
    expect((err as PostHogRateLimitError).status).toBe(429);
    expect(err.message).toMatch(/after 3 retries/);
  });

  it("retries POST queries on 5xx and throws PostHogServerError after the budget", async () => {
    const scope = nock(HOST).post(Q).times(3).reply(502, "Bad gateway");
    const api = client({ retry: { ...FAST_RETRY, limit: 2 } });
    const err = await caught(api.getExposures(await (async () => {
      nock(HOST).get("/api/projects/1/experiments/42/").reply(200, fixture("experiment-42.json"));
      return api.getExperiment(42);
    })()));
    expect(err).toBeInstanceOf(PostHogServerError);
    expect(err.message).toBe(
      `PostHog server error (HTTP 502) on POST ${Q}, still failing after 2 retries: Bad gateway`,
    );
    expect(scope.isDone()).toBe(true);
  });

  it("maps 401 to PostHogAuthError with a scope hint, without retrying and without the key", async () => {
    nock(HOST)
      .get("/api/projects/1/feature_flags/?limit=100")
      .reply(401, { type: "authentication_error", code: "invalid_personal_api_key", detail: "Invalid Personal API key." });
    const err = await caught(client().listFeatureFlags());
    expect(err).toBeInstanceOf(PostHogAuthError);
    expect(err.message).toMatch(/^PostHog rejected the personal API key \(invalid_personal_api_key\)/);
    expect(err.message).toContain("experiment:read");
    expect(err.message).toContain("query:read");
    expect(err.message).not.toContain(KEY);
    expect(JSON.stringify(err)).not.toContain(KEY);
    expect(inspect(err, { depth: 10 })).not.toContain(KEY);
    expect((err as PostHogAuthError).endpoint).toBe("GET /api/projects/1/feature_flags/?limit=100");
  });

  it("maps 403 to PostHogAuthError", async () => {
    nock(HOST).get("/api/projects/1/experiments/42/").reply(403, { code: "permission_denied", detail: "API key missing required scope 'experiment:read'" });
    const err = await caught(client().getExperiment(42));
    expect(err).toBeInstanceOf(PostHogAuthError);
    expect(err.message).toContain("(permission_denied)");
  });

  it("maps 404 on a project path to 'unknown project id'", async () => {
    nock(HOST).get("/api/projects/999/feature_flags/?limit=100").reply(404, { type: "invalid_request", code: "not_found", detail: "Not found." });
    const err = await caught(client({ projectId: "999" }).listFeatureFlags());
    expect(err).toBeInstanceOf(PostHogNotFoundError);
    expect(err.message).toContain("unknown project id 999");
    expect((err as PostHogNotFoundError).status).toBe(404);
  });

  it("maps 404 on an experiment path to 'experiment N not found'", async () => {
    nock(HOST).get("/api/projects/1/experiments/5/").reply(404, { detail: "Not found." });
    const err = await caught(client().getExperiment(5));
    expect(err).toBeInstanceOf(PostHogNotFoundError);
    expect(err.message).toContain("experiment 5 not found in project 1");
  });

  it("maps a refused connection to PostHogNetworkError after retries", async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as AddressInfo).port;
    await new Promise((r) => server.close(r));
    nock.enableNetConnect("127.0.0.1");
    const api = createPostHogClient({ host: `http://127.0.0.1:${port}`, projectId: PID, apiKey: KEY, retry: { ...FAST_RETRY, limit: 1 } });
    const err = await caught(api.listFeatureFlags());
    expect(err).toBeInstanceOf(PostHogNetworkError);
    expect(err.message).toContain(`could not reach PostHog at http://127.0.0.1:${port}`);
    expect(err.message).toContain("ECONNREFUSED");
    expect(inspect(err, { depth: 10 })).not.toContain(KEY);
  });

  it("maps a timeout to PostHogNetworkError without leaking the key through `cause`", async () => {
    nock(HOST).get("/api/projects/1/experiments/42/").delay(300).reply(200, fixture("experiment-42.json"));
    const err = await caught(client({ timeoutMs: 50 }).getExperiment(42));
    expect(err).toBeInstanceOf(PostHogNetworkError);
    expect(err.message).toBe("no response from PostHog within 50 ms on GET /api/projects/1/experiments/42/");
    expect(inspect(err, { depth: 10 })).not.toContain(KEY);
  });

  it("logs retries without the key", async () => {
    const lines: string[] = [];
    const logger = {
      debug: (o: object, m: string) => lines.push(`${m} ${JSON.stringify(o)}`),
      info: (o: object, m: string) => lines.push(`${m} ${JSON.stringify(o)}`),
      warn: (o: object, m: string) => lines.push(`${m} ${JSON.stringify(o)}`),
    };
    nock(HOST).get("/api/projects/1/experiments/42/").reply(503).get("/api/projects/1/experiments/42/").reply(200, fixture("experiment-42.json"));
    await client({ logger }).getExperiment(42);
    expect(lines.some((l) => l.startsWith("PostHog request failed, retrying") && l.includes('"status":503'))).toBe(true);
    expect(lines.join("\n")).not.toContain(KEY);
  });
});

describe("local host http://127.0.0.1:PORT", () => {
  let server: Server;
  let seenAuth: (string | undefined)[] = [];
  afterEach(async () => {
    await new Promise((r) => server.close(r));
  });

  it("talks to a real local server and follows its absolute `next`", async () => {
    seenAuth = [];
    server = createServer((req, res) => {
      seenAuth.push(req.headers.authorization);
      const port = (server.address() as AddressInfo).port;
      const page = req.url?.includes("offset=100") ? fixture("flags-page-2.json") : fixture("flags-page-1.json");
      if (page.next) page.next = `http://127.0.0.1:${port}/api/projects/1/feature_flags/?limit=100&offset=100`;
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(page));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    nock.enableNetConnect("127.0.0.1");
    const port = (server.address() as AddressInfo).port;
    const api = client({ host: `http://127.0.0.1:${port}/` });
    expect(api.host).toBe(`http://127.0.0.1:${port}`);
    const flags = await api.listFeatureFlags();
    expect(flags.map((f) => f.id)).toEqual([7, 9]);
    expect(seenAuth).toEqual([`Bearer ${KEY}`, `Bearer ${KEY}`]);
  });
});
