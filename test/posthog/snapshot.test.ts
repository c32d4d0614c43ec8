import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  SNAPSHOT_FORMAT,
  createHttpTransport,
  createPostHogClient,
  createPostHogClientFromSnapshot,
  loadSnapshot,
  recordingTransport,
  saveSnapshot,
  snapshotNow,
  snapshotTransport,
  PostHogError,
  PostHogSchemaError,
  PostHogSnapshotMissError,
  type PostHogApi,
  type PostHogSnapshot,
} from "../../src/posthog/index.js";
import { FAST_RETRY, HOST, KEY, PID, fixture } from "./helpers.js";

const Q = `/api/projects/${PID}/query/`;

/** Everything an analysis run reads, in a fixed order. */
async function readAll(api: PostHogApi) {
  const flags = await api.listFeatureFlags();
  const list = await api.listExperiments();
  const e42 = await api.getExperiment(42);
  const e17 = await api.getExperiment(17);
  const exposures = await api.getExposures(e42);
  const metrics = await Promise.all(e42.primaryMetrics.map((m) => api.getMetricResult(e42, m)));
  const legacy = await api.getMetricResult(e17, e17.primaryMetrics[0]!);
  const activity = await api.getFlagActivity(7);
  return { flags, list, e42, e17, exposures, metrics, legacy, activity };
}

function mockPostHog() {
  const metricFixtures: Record<string, string> = {
    c3d4: "metric-frequentist.json",
    "s-ratio": "metric-validation-failures.json",
    a1b2: "metric-bayesian.json",
  };
  nock(HOST)
    .get("/api/projects/1/feature_flags/?limit=100")
    .reply(200, fixture("flags-page-1.json"))
    .get("/api/projects/1/feature_flags/?limit=100&offset=100")
    .reply(200, fixture("flags-page-2.json"))
    .get("/api/projects/1/experiments/?limit=100")
    .reply(200, fixture("experiments-page-1.json"))
    .get("/api/projects/1/experiments/?limit=100&offset=100")
    .reply(200, fixture("experiments-page-2.json"))
    .get("/api/projects/1/experiments/42/")
    .reply(200, fixture("experiment-42.json"))
    .get("/api/projects/1/experiments/17/")
    .reply(200, fixture("experiment-17.json"))
    .post(Q, (b: { query: { kind: string } }) => b.query.kind === "ExperimentExposureQuery")
    .reply(200, fixture("exposures-42.json"))
    .post(Q, (b: { query: { kind: string } }) => b.query.kind === "ExperimentQuery")
    .times(3)
    .reply((_uri, body) => {
      const uuid = (body as { query: { metric: { uuid: string } } }).query.metric.uuid;
      return [200, fixture(metricFixtures[uuid]!)];
    })
    .get("/api/projects/1/feature_flags/7/activity/?limit=100&page=1")
    .reply(200, fixture("activity-page-1.json"))
    .get("/api/projects/1/feature_flags/7/activity/?limit=100&page=2")
    .reply(200, fixture("activity-page-2.json"));
}

let dir: string;
beforeEach(async () => {
  nock.disableNetConnect();
  dir = await mkdtemp(join(tmpdir(), "posthog-snapshot-"));
});
afterEach(async () => {
  nock.cleanAll();
  nock.enableNetConnect();
  await rm(dir, { recursive: true, force: true });
});

describe("record → replay", () => {
  it("replays a recorded run with identical normalised results and no network", async () => {
    mockPostHog();
    const http = createHttpTransport({ host: HOST, projectId: PID, apiKey: KEY, retry: FAST_RETRY });
    const recorder = recordingTransport(http);
    const live = createPostHogClient({ host: HOST, projectId: PID, transport: recorder });
    const recorded = await readAll(live);
    expect(nock.pendingMocks()).toEqual([]);

    const snap = recorder.toSnapshot({ recordedAt: new Date("2026-06-06T08:00:00Z") });
    expect(snap.format).toBe(SNAPSHOT_FORMAT);
    expect(snap.host).toBe(HOST);
    expect(snap.project_id).toBe("1");
    expect(Object.keys(snap.responses).sort()).toEqual(
      [
        "GET /api/projects/1/feature_flags/?limit=100",
        "GET /api/projects/1/feature_flags/?limit=100&offset=100",
        "GET /api/projects/1/experiments/?limit=100",
        "GET /api/projects/1/experiments/?limit=100&offset=100",
        "GET /api/projects/1/experiments/42/",
        "GET /api/projects/1/experiments/17/",
        `POST ${Q} ExperimentExposureQuery experiment=42`,
        `POST ${Q} ExperimentQuery experiment=42 metric=c3d4`,
        `POST ${Q} ExperimentQuery experiment=42 metric=s-ratio`,
        `POST ${Q} ExperimentQuery experiment=42 metric=a1b2`,
        "GET /api/projects/1/feature_flags/7/activity/?limit=100&page=1",
        "GET /api/projects/1/feature_flags/7/activity/?limit=100&page=2",
      ].sort(),
    );
    // Raw bodies are stored, not normalised ones.
    expect(snap.responses["GET /api/projects/1/experiments/42/"]).toEqual(fixture("experiment-42.json"));

    const file = join(dir, "nested", "snap.json");
    await saveSnapshot(file, snap);
    const text = await readFile(file, "utf8");
    expect(text.startsWith('{\n  "format": "experiment-hygiene-snapshot/1",')).toBe(true);

    nock.cleanAll(); // any HTTP now fails (net connect disabled)
    const loaded = await loadSnapshot(file);
    expect(snapshotNow(loaded)).toBe("2026-06-06T08:00:00.000Z");
    const replay = createPostHogClientFromSnapshot(loaded);
    const replayed = await readAll(replay);
    expect(replayed).toEqual(recorded);
    expect(replay.requestCount).toBe(live.requestCount);
    expect(replay.host).toBe(HOST);
    expect(http.stats.requests).toBe(12);
  });

  it("still runs zod on replay: a corrupted body gives a schema error", async () => {
    const snap: PostHogSnapshot = {
      format: SNAPSHOT_FORMAT,
      recorded_at: "2026-06-06T08:00:00Z",
      host: HOST,
      project_id: "1",
      responses: { "GET /api/projects/1/experiments/42/": { ...fixture<Record<string, unknown>>("experiment-42.json"), id: "42" } },
    };
    await expect(createPostHogClientFromSnapshot(snap).getExperiment(42)).rejects.toThrow(
      new PostHogSchemaError("GET /api/projects/1/experiments/42/", [{ path: "id", message: "expected number, received string" }]),
    );
  });

  it("names the missing key", async () => {
    const snap: PostHogSnapshot = { format: SNAPSHOT_FORMAT, recorded_at: "2026-06-06T08:00:00Z", host: HOST, project_id: "1", responses: {} };
    const api = createPostHogClient({ host: HOST, projectId: "1", transport: snapshotTransport(snap) });
    const err = await api.getExperiment(9).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PostHogSnapshotMissError);
    expect((err as PostHogSnapshotMissError).key).toBe("GET /api/projects/1/experiments/9/");
    expect((err as Error).message).toContain('"GET /api/projects/1/experiments/9/"');
  });

  it("records and replays a 400 refusal of a metric query", async () => {
    nock(HOST).get("/api/projects/1/experiments/42/").reply(200, fixture("experiment-42.json"));
    nock(HOST).post(Q).reply(400, { type: "validation_error", code: "invalid_input", detail: "Unsupported metric" });
    const recorder = recordingTransport(createHttpTransport({ host: HOST, projectId: PID, apiKey: KEY, retry: FAST_RETRY }));
    const live = createPostHogClient({ host: HOST, projectId: PID, transport: recorder });
    const e = await live.getExperiment(42);
    const liveResult = await live.getMetricResult(e, e.primaryMetrics[0]!);
    expect(liveResult.error).toMatch(/Unsupported metric/);
    const snap = recorder.toSnapshot();
    expect(snap.errors?.[`POST ${Q} ExperimentQuery experiment=42 metric=c3d4`]?.status).toBe(400);
    const replayResult = await createPostHogClientFromSnapshot(snap).getMetricResult(e, e.primaryMetrics[0]!);
    expect(replayResult).toEqual(liveResult);
  });

  it("does not record auth failures", async () => {
    nock(HOST).get("/api/projects/1/experiments/42/").reply(401, { code: "invalid_personal_api_key" });
    const recorder = recordingTransport(createHttpTransport({ host: HOST, projectId: PID, apiKey: KEY, retry: FAST_RETRY }));
    await expect(createPostHogClient({ host: HOST, projectId: PID, transport: recorder }).getExperiment(42)).rejects.toBeInstanceOf(PostHogError);
    const snap = recorder.toSnapshot();
    expect(snap.responses).toEqual({});
    expect(snap.errors).toBeUndefined();
    expect(JSON.stringify(snap)).not.toContain(KEY);
  });
});

describe("loadSnapshot", () => {
  it("rejects a file of another format with the field path", async () => {
    const file = join(dir, "bad.json");
    await writeFile(file, JSON.stringify({ format: "other/2", recorded_at: "2026-06-06", host: HOST, project_id: "1", responses: {} }));
    await expect(loadSnapshot(file)).rejects.toThrow(/format: expected "experiment-hygiene-snapshot\/1", received "other\/2"/);
  });

  it("rejects a file that is not JSON", async () => {
    const file = join(dir, "bad.json");
    await writeFile(file, "{ nope");
    await expect(loadSnapshot(file)).rejects.toBeInstanceOf(PostHogSchemaError);
  });
});
