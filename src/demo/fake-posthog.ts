/**
 * A small PostHog-compatible HTTP server serving one project from raw PostHog-shaped JSON.
 *
 * Used to record the demo snapshot, by the end-to-end tests of the CLI ("pointed at any PostHog-compatible
 * server") and by the benchmarks (with injected latency). It implements only the endpoints this app calls
 * (posthog-api.md §2–4, §7): paginated flag and experiment lists (DRF `{count, next, previous, results}`),
 * experiment detail, `POST …/query/` for `ExperimentExposureQuery` / `ExperimentQuery`, and the flag
 * activity log (page-based). It checks the `Authorization: Bearer` key like PostHog does.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** Raw PostHog JSON for one project. */
export interface FakeProject {
  projectId: string;
  flags: Record<string, unknown>[];
  /** Full experiment detail objects (the list endpoint returns a slim projection of them). */
  experiments: Record<string, unknown>[];
  /** `ExperimentExposureQuery` responses by experiment id. */
  exposures: Record<string, unknown>;
  /** `ExperimentQuery` responses by `<experiment id>:<metric uuid>`. */
  metrics: Record<string, unknown>;
  /** Activity log entries (newest first) by flag id. */
  flagActivity?: Record<string, Record<string, unknown>[]>;
}

/** Options of {@link startFakePostHog}. */
export interface FakePostHogOptions {
  /** The personal API key the server accepts. */
  apiKey: string;
  /** Added to every response, ms (bench). */
  latencyMs?: number;
  /** Page size of list endpoints when the client sends no `limit`. */
  pageSize?: number;
  /** Answer the first N requests with HTTP 429 and `Retry-After: 0`. */
  rateLimitFirst?: number;
}

/** A running fake server. */
export interface FakePostHog {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Requests served so far, by `METHOD path-without-query`. */
  requests: string[];
  /** Largest number of `query/` requests in flight at once. */
  maxConcurrentQueries: number;
  /**
   * Writes received (`ship_variant/`, `end/`, flag `PATCH`), in order, with their JSON bodies. A
   * ship_variant or end sets the experiment's `end_date` and `conclusion`, as PostHog does.
   */
  writes: { method: string; path: string; body: unknown }[];
  /** When each request arrived and was answered (epoch ms), in arrival order (bench: sequential round trips). */
  timings?: { request: string; start: number; end: number }[];
  close(): Promise<void>;
}

const SLIM_FIELDS = [
  "id",
  "name",
  "description",
  "start_date",
  "end_date",
  "feature_flag_key",
  "archived",
  "deleted",
  "status",
  "conclusion",
  "created_at",
  "updated_at",
  "type",
];

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  return text ? JSON.parse(text) : null;
}

function page(base: string, url: URL, items: unknown[], pageSize: number) {
  const limit = Number(url.searchParams.get("limit") ?? pageSize);
  const offset = Number(url.searchParams.get("offset") ?? 0);
  const results = items.slice(offset, offset + limit);
  const nextOffset = offset + limit;
  const next = nextOffset < items.length ? `${base}${url.pathname}?limit=${limit}&offset=${nextOffset}` : null;
  const prev = offset > 0 ? `${base}${url.pathname}?limit=${limit}&offset=${Math.max(0, offset - limit)}` : null;
  return { count: items.length, next, previous: prev, results };
}

/**
 * Start the server on 127.0.0.1 with an ephemeral port.
 *
 * @returns the server handle; call `close()` when done.
 */
export async function startFakePostHog(project: FakeProject, opts: FakePostHogOptions): Promise<FakePostHog> {
  const pageSize = opts.pageSize ?? 100;
  let inFlightQueries = 0;
  let rateLimited = 0;
  const state: FakePostHog = { url: "", requests: [], maxConcurrentQueries: 0, writes: [], timings: [], close: async () => {} };
  const experimentsById = new Map(project.experiments.map((e) => [String(e["id"]), e]));

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", state.url);
    state.requests.push(`${req.method} ${url.pathname}`);
    const isQuery = req.method === "POST" && url.pathname.endsWith("/query/");
    if (isQuery) {
      inFlightQueries++;
      state.maxConcurrentQueries = Math.max(state.maxConcurrentQueries, inFlightQueries);
    }
    const timing = { request: `${req.method} ${url.pathname}`, start: Date.now(), end: 0 };
    state.timings!.push(timing);
    try {
      await respond(req, res, url);
    } finally {
      timing.end = Date.now();
      if (isQuery) inFlightQueries--;
    }
  };

  const respond = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    if (opts.latencyMs) await new Promise((r) => setTimeout(r, opts.latencyMs));
    if (req.headers.authorization !== `Bearer ${opts.apiKey}`) {
      return send(res, 401, {
        type: "authentication_error",
        code: "invalid_personal_api_key",
        detail: "Invalid Personal API key.",
        attr: null,
      });
    }
    if (opts.rateLimitFirst && rateLimited < opts.rateLimitFirst) {
      rateLimited++;
      return send(res, 429, { type: "throttled_error", code: "throttled", detail: "Request was throttled." }, {
        "retry-after": "0",
      });
    }
    const m = url.pathname.match(/^\/api\/(?:projects|environments)\/([^/]+)\/(.*)$/);
    if (!m) return send(res, 404, { type: "invalid_request", code: "not_found", detail: "Not found." });
    if (m[1] !== project.projectId) {
      return send(res, 404, { type: "invalid_request", code: "not_found", detail: "Project not found." });
    }
    const rest = m[2] ?? "";
    if (req.method === "GET" && rest === "feature_flags/") {
      // PostHog hides archived flags unless `archived` is asked for (exclude_archived_unless_requested).
      const archived = url.searchParams.get("archived");
      const flags =
        archived === null
          ? project.flags.filter((f) => f["archived"] !== true)
          : project.flags.filter((f) => (f["archived"] === true) === (archived === "true"));
      return send(res, 200, page(state.url, url, flags, pageSize));
    }
    if (req.method === "GET" && rest === "experiments/") {
      const slim = project.experiments.map((e) => Object.fromEntries(SLIM_FIELDS.map((k) => [k, e[k] ?? null])));
      return send(res, 200, page(state.url, url, slim, pageSize));
    }
    let mm = rest.match(/^experiments\/(\d+)\/$/);
    if (req.method === "GET" && mm) {
      const e = experimentsById.get(mm[1]!);
      return e ? send(res, 200, e) : send(res, 404, { type: "invalid_request", code: "not_found", detail: "Not found." });
    }
    mm = rest.match(/^experiments\/(\d+)\/(ship_variant|end)\/$/);
    if (req.method === "POST" && mm) {
      const e = experimentsById.get(mm[1]!);
      const body = (await readBody(req)) as Record<string, unknown> | null;
      if (!e) return send(res, 404, { type: "invalid_request", code: "not_found", detail: "Not found." });
      state.writes.push({ method: "POST", path: url.pathname, body });
      e["end_date"] = e["end_date"] ?? new Date().toISOString();
      e["status"] = "stopped";
      e["conclusion"] = body?.["conclusion"] ?? null;
      e["conclusion_comment"] = body?.["conclusion_comment"] ?? null;
      return send(res, 200, e);
    }
    mm = rest.match(/^feature_flags\/(\d+)\/$/);
    if (req.method === "PATCH" && mm) {
      const flag = project.flags.find((f) => String(f["id"]) === mm![1]);
      const body = (await readBody(req)) as Record<string, unknown> | null;
      if (!flag) return send(res, 404, { type: "invalid_request", code: "not_found", detail: "Not found." });
      state.writes.push({ method: "PATCH", path: url.pathname, body });
      if (typeof body?.["active"] === "boolean") flag["active"] = body["active"];
      return send(res, 200, flag);
    }
    mm = rest.match(/^feature_flags\/(\d+)\/activity\/$/);
    if (req.method === "GET" && mm) {
      const entries = project.flagActivity?.[mm[1]!] ?? [];
      const limit = Number(url.searchParams.get("limit") ?? 10);
      const p = Number(url.searchParams.get("page") ?? 1);
      const results = entries.slice((p - 1) * limit, p * limit);
      const next = p * limit < entries.length ? `${state.url}${url.pathname}?limit=${limit}&page=${p + 1}` : null;
      return send(res, 200, { results, next, previous: null, total_count: entries.length });
    }
    if (req.method === "POST" && rest === "query/") {
      {
        const body = (await readBody(req)) as { query?: Record<string, unknown> } | null;
        const q = body?.query ?? {};
        const id = String(q["experiment_id"] ?? "");
        if (q["kind"] === "ExperimentExposureQuery") {
          const r = project.exposures[id];
          if (r) return send(res, 200, r);
        } else if (q["kind"] === "ExperimentQuery") {
          const uuid = String((q["metric"] as Record<string, unknown> | undefined)?.["uuid"] ?? "");
          const r = project.metrics[`${id}:${uuid}`];
          if (r) return send(res, 200, r);
        }
        return send(res, 400, {
          type: "validation_error",
          code: "invalid_input",
          detail: `No data for ${String(q["kind"])} experiment ${id}.`,
          attr: null,
        });
      }
    }
    return send(res, 404, { type: "invalid_request", code: "not_found", detail: "Not found." });
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => send(res, 500, { detail: String(err) }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  state.url = `http://127.0.0.1:${port}`;
  state.close = () =>
    new Promise<void>((resolve, reject) => {
      server.closeAllConnections?.();
      server.close((err) => (err ? reject(err) : resolve()));
    });
  return state;
}
