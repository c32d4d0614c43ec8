/**
 * PostHog writes: ship a variant, end an experiment, (de)activate a feature flag (posthog-api.md §1–3, §7).
 * Checks the exact requests, the normalised responses, the 409 approval / 401-403 scope errors, the
 * write retry policy (429 only) and that snapshots never pretend to perform a write.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { inspect } from "node:util";
import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  SNAPSHOT_FORMAT,
  createHttpTransport,
  createPostHogClient,
  createPostHogClientFromSnapshot,
  endExperimentKey,
  flagActiveKey,
  posthogWritesFromEnv,
  recordingTransport,
  shipVariantKey,
  snapshotTransport,
  PostHogApprovalRequiredError,
  PostHogAuthError,
  PostHogError,
  PostHogNetworkError,
  PostHogRateLimitError,
  PostHogServerError,
  type PostHogSnapshot,
  type TransportRequest,
} from "../../src/posthog/index.js";
import { httpError } from "../../src/posthog/transport.js";
import { caught, FAST_RETRY, fastClient as client, HOST, KEY, PID, fixture } from "./helpers.js";

const SHIP = `/api/projects/${PID}/experiments/42/ship_variant/`;
const END = `/api/projects/${PID}/experiments/42/end/`;
const FLAG = `/api/projects/${PID}/feature_flags/7/`;
const Q = `/api/projects/${PID}/query/`;

function expectNoKey(err: Error): void {
  expect(err.message).not.toContain(KEY);
  expect(JSON.stringify(err)).not.toContain(KEY);
  expect(inspect(err, { depth: 10 })).not.toContain(KEY);
}

/** The experiment-42 fixture as PostHog returns it after ship_variant: stopped, conclusion set, test at 100 %. */
function shippedExperiment(): Record<string, unknown> {
  const e = fixture("experiment-42.json");
  e.status = "stopped";
  e.end_date = "2026-06-10T12:00:00Z";
  e.conclusion = "won";
  e.conclusion_comment = "test wins on conversion";
  const flag = e.feature_flag as { filters: { multivariate: { variants: { key: string; rollout_percentage: number }[] } } };
  for (const v of flag.filters.multivariate.variants) v.rollout_percentage = v.key === "test" ? 100 : 0;
  return e;
}

function flag7(active: boolean): Record<string, unknown> {
  const page = fixture<{ results: Record<string, unknown>[] }>("flags-page-1.json");
  return { ...page.results[0]!, active };
}

beforeEach(() => {
  nock.disableNetConnect();
});
afterEach(() => {
  const pending = nock.pendingMocks();
  nock.cleanAll();
  nock.enableNetConnect();
  expect(pending).toEqual([]);
});

describe("request shapes and responses", () => {
  it("ships a variant: POST ship_variant/ with the exact body (no release_to_everyone) and the Bearer key", async () => {
    let body: unknown;
    let contentType: string | undefined;
    nock(HOST, { reqheaders: { authorization: `Bearer ${KEY}` } })
      .post(SHIP, (b) => {
        body = b;
        return true;
      })
      .reply(function () {
        contentType = String(this.req.headers["content-type"]);
        return [200, shippedExperiment()];
      });
    const api = client();
    const e = await api.shipVariant(42, { variantKey: "test", conclusion: "won", conclusionComment: "test wins on conversion" });
    expect(body).toEqual({ variant_key: "test", conclusion: "won", conclusion_comment: "test wins on conversion" });
    expect(contentType).toMatch(/^application\/json/);
    expect(e).not.toBeNull();
    expect(e).toMatchObject({ id: 42, status: "stopped", conclusion: "won", endDate: "2026-06-10T12:00:00Z", flagKey: "new-checkout" });
    expect(e!.flag?.variants.map((v) => [v.key, v.rolloutPercentage])).toEqual([
      ["control", 0],
      ["test", 100],
      ["test-2", 0],
    ]);
    expect(api.requestCount).toBe(1);
  });

  it("omits conclusion_comment when no comment is given", async () => {
    let body: unknown;
    nock(HOST)
      .post(SHIP, (b) => {
        body = b;
        return true;
      })
      .reply(200, shippedExperiment());
    await client().shipVariant(42, { variantKey: "control", conclusion: "lost" });
    expect(body).toEqual({ variant_key: "control", conclusion: "lost" });
  });

  it("ends an experiment: POST end/ with {conclusion, conclusion_comment}", async () => {
    const ended = fixture("experiment-42.json");
    ended.status = "stopped";
    ended.end_date = "2026-06-11T09:30:00Z";
    ended.conclusion = "stopped_early";
    const bodies: unknown[] = [];
    nock(HOST, { reqheaders: { authorization: `Bearer ${KEY}` } })
      .post(END, (b) => {
        bodies.push(b);
        return true;
      })
      .reply(200, ended)
      .post(END, (b) => {
        bodies.push(b);
        return true;
      })
      .reply(200, ended);
    const api = client();
    const e = await api.endExperiment(42, { conclusion: "stopped_early", conclusionComment: "SRM p < 0.001" });
    expect(e).toMatchObject({ id: 42, status: "stopped", conclusion: "stopped_early", endDate: "2026-06-11T09:30:00Z" });
    await api.endExperiment(42, { conclusion: "inconclusive" });
    expect(bodies).toEqual([{ conclusion: "stopped_early", conclusion_comment: "SRM p < 0.001" }, { conclusion: "inconclusive" }]);
  });

  it("deactivates and reactivates a flag: PATCH feature_flags/{id}/ with exactly {active}", async () => {
    const bodies: unknown[] = [];
    nock(HOST, { reqheaders: { authorization: `Bearer ${KEY}` } })
      .patch(FLAG, (b) => {
        bodies.push(b);
        return true;
      })
      .reply(200, flag7(false))
      .patch(FLAG, (b) => {
        bodies.push(b);
        return true;
      })
      .reply(200, flag7(true));
    const api = client();
    const off = await api.setFeatureFlagActive(7, false);
    expect(off).toMatchObject({ id: 7, key: "new-checkout", active: false, experimentIds: [42] });
    const on = await api.setFeatureFlagActive(7, true);
    expect(on?.active).toBe(true);
    expect(bodies).toEqual([{ active: false }, { active: true }]);
  });

  it("resolves null when the write succeeded but the body is empty or not an experiment / flag", async () => {
    const warnings: string[] = [];
    const logger = { debug: () => {}, info: () => {}, warn: (_o: object, m: string) => warnings.push(m) };
    nock(HOST)
      .post(SHIP)
      .reply(204)
      .post(END)
      .reply(200, { detail: "Experiment ended" })
      .patch(FLAG)
      .reply(200, { ok: true });
    const api = client({ logger });
    expect(await api.shipVariant(42, { variantKey: "test", conclusion: "won" })).toBeNull();
    expect(await api.endExperiment(42, { conclusion: "lost" })).toBeNull();
    expect(await api.setFeatureFlagActive(7, false)).toBeNull();
    expect(warnings).toEqual([
      "PostHog write succeeded but the response is not an experiment",
      "PostHog write succeeded but the response is not a feature flag",
    ]);
  });

  it("marks requests as writes with the documented snapshot keys", async () => {
    const seen: TransportRequest[] = [];
    const api = createPostHogClient({
      host: HOST,
      projectId: PID,
      transport: async (req) => {
        seen.push(req);
        return null;
      },
    });
    await api.shipVariant(42, { variantKey: "test", conclusion: "won" });
    await api.endExperiment(42, { conclusion: "invalid" });
    await api.setFeatureFlagActive(7, false);
    expect(seen.map((r) => [r.method, r.path, r.key, r.write])).toEqual([
      ["POST", SHIP, `POST ${SHIP} ship_variant variant=test`, true],
      ["POST", END, `POST ${END} end`, true],
      ["PATCH", FLAG, `PATCH ${FLAG} active=false`, true],
    ]);
    expect(shipVariantKey(SHIP, "b")).toBe(`POST ${SHIP} ship_variant variant=b`);
    expect(endExperimentKey(END)).toBe(`POST ${END} end`);
    expect(flagActiveKey(FLAG, true)).toBe(`PATCH ${FLAG} active=true`);
  });
});

describe("input validation (nothing is sent)", () => {
  const bad: [string, (api: ReturnType<typeof client>) => Promise<unknown>, RegExp][] = [
    ["experiment id 0", (api) => api.shipVariant(0, { variantKey: "test", conclusion: "won" }), /experiment id must be a positive integer, got 0/],
    ["negative experiment id", (api) => api.endExperiment(-3, { conclusion: "won" }), /experiment id must be a positive integer, got -3/],
    ["fractional flag id", (api) => api.setFeatureFlagActive(1.5, false), /flag id must be a positive integer, got 1.5/],
    ["unsafe flag id", (api) => api.setFeatureFlagActive(2 ** 53, false), /flag id must be a positive integer/],
    ["empty variant key", (api) => api.shipVariant(42, { variantKey: "", conclusion: "won" }), /variantKey must be a non-empty variant key, got ""/],
    ["blank variant key", (api) => api.shipVariant(42, { variantKey: "  ", conclusion: "won" }), /variantKey must be a non-empty/],
    [
      "unknown conclusion",
      (api) => api.endExperiment(42, { conclusion: "shipped" as never }),
      /endExperiment: conclusion must be one of "won", "lost", "inconclusive", "stopped_early", "invalid", got "shipped"/,
    ],
    [
      "non-string comment",
      (api) => api.shipVariant(42, { variantKey: "test", conclusion: "won", conclusionComment: 5 as never }),
      /conclusionComment must be a string, got number/,
    ],
    ["non-boolean active", (api) => api.setFeatureFlagActive(7, "false" as never), /active must be true or false, got "false"/],
  ];
  it.each(bad)("rejects %s with a client PostHogError", async (_name, call, message) => {
    const api = client();
    const err = await caught(call(api));
    expect(err).toBeInstanceOf(PostHogError);
    expect((err as PostHogError).endpoint).toBe("client");
    expect(err.message).toMatch(message);
    expect(api.requestCount).toBe(0);
  });
});

describe("approval policies (HTTP 409)", () => {
  it("turns a 409 on ship_variant into PostHogApprovalRequiredError with the change request id", async () => {
    nock(HOST)
      .post(SHIP)
      .reply(409, { type: "validation_error", detail: "This change requires approval.", change_request_id: "42" });
    const err = await caught(client().shipVariant(42, { variantKey: "test", conclusion: "won" }));
    expect(err).toBeInstanceOf(PostHogApprovalRequiredError);
    expect(err).toBeInstanceOf(PostHogError);
    const e = err as PostHogApprovalRequiredError;
    expect(e.changeRequestId).toBe("42");
    expect(e.status).toBe(409);
    expect(e.endpoint).toBe(`POST ${SHIP}`);
    expect(e.message).toBe(
      `PostHog requires approval for POST ${SHIP} (HTTP 409): change request 42 was created: This change requires approval.`,
    );
    expectNoKey(e);
  });

  it("accepts a numeric id and a nested change_request.id (flag PATCH), and says when there is none", async () => {
    nock(HOST)
      .patch(FLAG)
      .reply(409, { detail: "Approval required", change_request_id: 17 })
      .patch(FLAG)
      .reply(409, { detail: "Approval required", change_request: { id: "cr_9", state: "pending" } })
      .post(END)
      .reply(409, { detail: "Conflict" });
    const api = client();
    const a = (await caught(api.setFeatureFlagActive(7, false))) as PostHogApprovalRequiredError;
    expect(a).toBeInstanceOf(PostHogApprovalRequiredError);
    expect(a.changeRequestId).toBe("17");
    expect(a.message).toContain("change request 17 was created: Approval required");
    const b = (await caught(api.setFeatureFlagActive(7, false))) as PostHogApprovalRequiredError;
    expect(b.changeRequestId).toBe("cr_9");
    const c = (await caught(api.endExperiment(42, { conclusion: "lost" }))) as PostHogApprovalRequiredError;
    expect(c).toBeInstanceOf(PostHogApprovalRequiredError);
    expect(c.changeRequestId).toBeNull();
    expect(c.message).toMatch(/named no change request.*: Conflict$/);
  });

  it("leaves a 409 on a read a plain PostHogError", () => {
    const err = httpError(409, JSON.stringify({ detail: "x", change_request_id: 1 }), "GET /api/projects/1/experiments/42/", PID, 0);
    expect(err).not.toBeInstanceOf(PostHogApprovalRequiredError);
    expect(err.constructor).toBe(PostHogError);
    expect(err.status).toBe(409);
  });
});

describe("auth errors name the write scopes", () => {
  it("403 on ship_variant → PostHogAuthError naming experiment:write", async () => {
    nock(HOST).post(SHIP).reply(403, { code: "permission_denied", detail: "API key missing required scope 'experiment:write'" });
    const err = await caught(client().shipVariant(42, { variantKey: "test", conclusion: "won" }));
    expect(err).toBeInstanceOf(PostHogAuthError);
    expect((err as PostHogAuthError).status).toBe(403);
    expect(err.message).toMatch(/^PostHog rejected the personal API key \(permission_denied\) on POST \/api\/projects\/1\/experiments\/42\/ship_variant\/ \(HTTP 403\)/);
    expect(err.message).toContain("with the scope experiment:write");
    expect(err.message).not.toContain("feature_flag:write");
    expect(err.message).not.toContain("query:read");
    expectNoKey(err);
  });

  it("403 on end/ also names experiment:write", async () => {
    nock(HOST).post(END).reply(403, { code: "permission_denied", detail: "nope" });
    const err = await caught(client().endExperiment(42, { conclusion: "won" }));
    expect(err).toBeInstanceOf(PostHogAuthError);
    expect(err.message).toContain("with the scope experiment:write");
  });

  it("403 and 401 on the flag PATCH → PostHogAuthError naming feature_flag:write", async () => {
    nock(HOST)
      .patch(FLAG)
      .reply(403, { code: "permission_denied", detail: "API key missing required scope 'feature_flag:write'" })
      .patch(FLAG)
      .reply(401, { type: "authentication_error", code: "invalid_personal_api_key", detail: "Invalid Personal API key." });
    const api = client();
    const forbidden = await caught(api.setFeatureFlagActive(7, false));
    expect(forbidden).toBeInstanceOf(PostHogAuthError);
    expect(forbidden.message).toContain("with the scope feature_flag:write");
    expect(forbidden.message).not.toContain("experiment:write");
    const unauthorized = await caught(api.setFeatureFlagActive(7, false));
    expect(unauthorized).toBeInstanceOf(PostHogAuthError);
    expect(unauthorized.message).toContain("(invalid_personal_api_key)");
    expect(unauthorized.message).toContain("feature_flag:write");
    expectNoKey(unauthorized);
  });
});

describe("retry policy of writes", () => {
  it("does not retry a 500: exactly one request, PostHogServerError saying it may have been applied", async () => {
    let calls = 0;
    nock(HOST)
      .post(SHIP)
      .times(2)
      .reply(() => {
        calls++;
        return [500, { detail: "boom" }];
      });
    const err = await caught(client().shipVariant(42, { variantKey: "test", conclusion: "won" }));
    expect(calls).toBe(1);
    expect(err).toBeInstanceOf(PostHogServerError);
    expect(err.message).toBe(
      `PostHog server error (HTTP 500) on POST ${SHIP}; the write was not retried because PostHog may have applied it (check in PostHog before repeating it): boom`,
    );
    expectNoKey(err);
    nock.cleanAll(); // the second interceptor must stay unused
  });

  it("does not retry a 503 with Retry-After or a 408 on the flag PATCH", async () => {
    let calls = 0;
    nock(HOST)
      .patch(FLAG)
      .times(2)
      .reply(() => {
        calls++;
        return [503, "unavailable", { "Retry-After": "0" }];
      });
    const err = await caught(client().setFeatureFlagActive(7, false));
    expect(err).toBeInstanceOf(PostHogServerError);
    expect(calls).toBe(1);
    nock.cleanAll();
    calls = 0;
    nock(HOST)
      .post(END)
      .times(2)
      .reply(() => {
        calls++;
        return [408, { detail: "timeout" }];
      });
    const e408 = await caught(client().endExperiment(42, { conclusion: "won" }));
    expect(e408.constructor).toBe(PostHogError);
    expect((e408 as PostHogError).status).toBe(408);
    expect(calls).toBe(1);
    nock.cleanAll();
  });

  it("retries a 429 (PostHog did not apply it) and then succeeds: two requests", async () => {
    const scope = nock(HOST)
      .post(SHIP)
      .reply(429, { detail: "Request was throttled." }, { "Retry-After": "0" })
      .post(SHIP)
      .reply(200, shippedExperiment());
    const transport = createHttpTransport({ host: HOST, projectId: PID, apiKey: KEY, retry: FAST_RETRY });
    const api = createPostHogClient({ host: HOST, projectId: PID, transport });
    const e = await api.shipVariant(42, { variantKey: "test", conclusion: "won" });
    expect(e?.conclusion).toBe("won");
    expect(scope.isDone()).toBe(true);
    expect(transport.stats).toEqual({ requests: 1, retries: 1 });
  });

  it("honours Retry-After on a write's 429", async () => {
    nock(HOST)
      .patch(FLAG)
      .reply(429, { detail: "slow down" }, { "Retry-After": "0.2" })
      .patch(FLAG)
      .reply(200, flag7(false));
    const api = client({ retry: { ...FAST_RETRY, maxRetryAfter: 5_000 } });
    const started = Date.now();
    expect((await api.setFeatureFlagActive(7, false))?.active).toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(180);
  });

  it("gives up on 429 after the same budget as reads, saying the write was not applied", async () => {
    let calls = 0;
    nock(HOST)
      .post(END)
      .times(4)
      .reply(() => {
        calls++;
        return [429, { detail: "Request was throttled." }];
      });
    const err = await caught(client().endExperiment(42, { conclusion: "won" }));
    expect(calls).toBe(4); // 1 + FAST_RETRY.limit (3)
    expect(err).toBeInstanceOf(PostHogRateLimitError);
    expect(err.message).toBe(
      `PostHog rate limit (HTTP 429) on POST ${END}, still limited after 3 retries (the write was not applied): Request was throttled.`,
    );
  });

  it("is not held back by the query concurrency limiter", async () => {
    nock(HOST)
      .post(Q, (b: { read?: number }) => b.read !== undefined)
      .times(2)
      .delay(150)
      .reply(200, {})
      .post(Q, (b: { write?: boolean }) => b.write === true)
      .reply(200, {});
    const transport = createHttpTransport({ host: HOST, projectId: PID, apiKey: KEY, retry: FAST_RETRY, queryConcurrency: 1 });
    const done: string[] = [];
    const reads = [1, 2].map((i) =>
      transport({ method: "POST", path: Q, body: { read: i }, key: `r${i}` }).then(() => done.push(`read ${i}`)),
    );
    await new Promise((r) => setTimeout(r, 20));
    // With queryConcurrency 1 a read here would wait for both reads (≥ 300 ms); the write goes at once.
    await transport({ method: "POST", path: Q, body: { write: true }, key: "w", write: true });
    done.push("write");
    await Promise.all(reads);
    expect(done).toEqual(["write", "read 1", "read 2"]);
  });
});

describe("network failures of writes (one attempt only)", () => {
  let server: Server | undefined;
  afterEach(async () => {
    if (server) await new Promise((r) => server!.close(r));
    server = undefined;
  });

  async function localServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
    server = createServer(handler);
    await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
    nock.enableNetConnect("127.0.0.1");
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it("does not retry when the connection drops, and the error says the write may have been applied", async () => {
    let calls = 0;
    const host = await localServer((req) => {
      calls++;
      req.socket.destroy();
    });
    const err = await caught(client({ host }).shipVariant(42, { variantKey: "test", conclusion: "won" }));
    expect(calls).toBe(1);
    expect(err).toBeInstanceOf(PostHogNetworkError);
    expect(err.message).toContain(`could not reach PostHog at ${host} (POST ${SHIP}); the write was not retried and may have been applied`);
    expectNoKey(err);
  });

  it("reads are still retried on a dropped connection (control for the test above)", async () => {
    let calls = 0;
    const host = await localServer((req) => {
      calls++;
      req.socket.destroy();
    });
    const err = await caught(client({ host }).getExperiment(42));
    expect(err).toBeInstanceOf(PostHogNetworkError);
    expect(calls).toBe(1 + FAST_RETRY.limit!);
  });

  it("does not retry a timeout", async () => {
    // The server holds every request until the client has given up. The per-attempt timeout is generous
    // (1 s) so that, on a loaded machine, the request surely reaches the server before it expires (with
    // 50 ms the attempt could time out before the server saw it, and the count read 0).
    let calls = 0;
    const held: ServerResponse[] = [];
    const host = await localServer((req, res) => {
      calls++;
      held.push(res);
    });
    const err = await caught(client({ host, timeoutMs: 1_000 }).setFeatureFlagActive(7, false));
    for (const res of held) if (!res.writableEnded) res.end("{}");
    expect(err).toBeInstanceOf(PostHogNetworkError);
    expect(err.message).toBe(
      `no response from PostHog within 1000 ms on PATCH ${FLAG}; the write was not retried and may have been applied (check in PostHog before repeating it)`,
    );
    expect(calls).toBe(1);
    expectNoKey(err);
  });
});

describe("snapshots never perform writes", () => {
  const snapshot: PostHogSnapshot = {
    format: SNAPSHOT_FORMAT,
    recorded_at: "2026-06-10T00:00:00Z",
    host: HOST,
    project_id: PID,
    // Even a recorded body under the write's key must not make a replay pretend the write happened.
    responses: { [shipVariantKey(SHIP, "test")]: shippedExperiment(), [flagActiveKey(FLAG, false)]: flag7(false) },
  };

  it("a snapshot client refuses ship, end and the flag PATCH with a clear PostHogError", async () => {
    const api = createPostHogClientFromSnapshot(snapshot);
    const ship = await caught(api.shipVariant(42, { variantKey: "test", conclusion: "won" }));
    expect(ship).toBeInstanceOf(PostHogError);
    expect(ship.message).toMatch(new RegExp(`^snapshots are read-only; POST ${SHIP} was not sent`));
    expect((ship as PostHogError).endpoint).toBe(`POST ${SHIP}`);
    await expect(api.endExperiment(42, { conclusion: "won" })).rejects.toThrow(`snapshots are read-only; POST ${END} was not sent`);
    await expect(api.setFeatureFlagActive(7, false)).rejects.toThrow(`snapshots are read-only; PATCH ${FLAG} was not sent`);
  });

  it("snapshotTransport refuses any PATCH even without the write flag", async () => {
    await expect(snapshotTransport(snapshot)({ method: "PATCH", path: FLAG, body: { active: false }, key: flagActiveKey(FLAG, false) })).rejects.toThrow(
      /snapshots are read-only/,
    );
  });

  it("the recording transport refuses writes without calling the live transport and records nothing", async () => {
    let innerCalls = 0;
    const recorder = recordingTransport(
      async () => {
        innerCalls++;
        return {};
      },
      { host: HOST, projectId: PID },
    );
    const api = createPostHogClient({ host: HOST, projectId: PID, transport: recorder });
    const err = await caught(api.shipVariant(42, { variantKey: "test", conclusion: "won" }));
    expect(err).toBeInstanceOf(PostHogError);
    expect(err.message).toBe(`recording is read-only: POST ${SHIP} was not sent (writes are never recorded into snapshots)`);
    expect(innerCalls).toBe(0);
    expect(recorder.toSnapshot().responses).toEqual({});
  });
});

describe("posthogWritesFromEnv", () => {
  const table: [string | undefined, boolean, boolean][] = [
    // value, allowed, has a problem
    [undefined, false, false],
    ["", false, false],
    ["   ", false, false],
    ["false", false, false],
    ["FALSE", false, false],
    ["0", false, false],
    ["true", true, false],
    ["TRUE", true, false],
    [" True ", true, false],
    ["1", true, false],
    [" 1\n", true, false],
    ["yes", false, true],
    ["on", false, true],
    ["2", false, true],
    ["truee", false, true],
  ];
  it.each(table)("POSTHOG_ALLOW_WRITES=%j → allowed %s", (value, allowed, hasProblem) => {
    const r = posthogWritesFromEnv(value === undefined ? {} : { POSTHOG_ALLOW_WRITES: value });
    expect(r.allowed).toBe(allowed);
    if (hasProblem) {
      expect(r.problem).toContain("POSTHOG_ALLOW_WRITES");
      expect(r.problem).toContain(`"true" or "1"`);
      expect(r.problem).toContain(`"false", "0" or unset`);
      expect(r.problem).toContain(JSON.stringify(value!.trim()));
    } else {
      expect(r.problem).toBeNull();
    }
  });
});
