/**
 * A minimal GitHub REST API on 127.0.0.1 for the benchmarks: the calls one pull-request event makes
 * (installation token, `GET /app`, the config file, the PR diff, the PR's comments, create/update a
 * comment, create/update the check run). It counts every request, so the bench can print what one event costs.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** A running fake GitHub API. */
export interface FakeGitHub {
  url: string;
  /** `METHOD path` of every request, in order. */
  requests: string[];
  /** The PR comments stored so far. */
  comments: { id: number; body: string; user: { login: string } }[];
  /** The check runs created so far, with every annotation sent (create and updates). */
  checkRuns: { id: number; conclusion: string; annotations: number }[];
  close(): Promise<void>;
}

/**
 * Start the fake with one repository `owner/repo` whose PR `number` has `diff`.
 */
export async function startFakeGitHub(opts: { owner: string; repo: string; number: number; diff: string; slug: string }): Promise<FakeGitHub> {
  const state: FakeGitHub = { url: "", requests: [], comments: [], checkRuns: [], close: async () => {} };
  let nextId = 1;
  const base = `/repos/${opts.owner}/${opts.repo}`;
  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? "/", "http://x");
      state.requests.push(`${req.method} ${url.pathname}`);
      const p = url.pathname;
      if (answerAppRoute(req, res, p, { token: "ghs_bench", slug: opts.slug })) return;
      if (req.method === "GET" && p === `${base}/pulls/${opts.number}`) {
        res.writeHead(200, { "content-type": "text/plain" });
        return res.end(opts.diff);
      }
      if (req.method === "GET" && p === `${base}/issues/${opts.number}/comments`) return json(res, 200, state.comments);
      if (req.method === "POST" && p === `${base}/issues/${opts.number}/comments`) {
        const body = await readBody(req);
        const c = { id: nextId++, body: String(body.body), user: { login: `${opts.slug}[bot]` } };
        state.comments.push(c);
        return json(res, 201, c);
      }
      if (req.method === "POST" && p === `${base}/check-runs`) {
        const body = await readBody(req);
        const run = { id: nextId++, conclusion: String(body.conclusion), annotations: body.output?.annotations?.length ?? 0 };
        state.checkRuns.push(run);
        return json(res, 201, { id: run.id, name: body.name, head_sha: body.head_sha, status: body.status });
      }
      const cr = p.match(new RegExp(`^${base}/check-runs/(\\d+)$`));
      if (req.method === "PATCH" && cr) {
        const body = await readBody(req);
        const run = state.checkRuns.find((x) => x.id === Number(cr[1]));
        if (!run) return json(res, 404, { message: "Not Found" });
        run.annotations += body.output?.annotations?.length ?? 0;
        return json(res, 200, { id: run.id });
      }
      const m = p.match(new RegExp(`^${base}/issues/comments/(\\d+)$`));
      if (req.method === "PATCH" && m) {
        const body = await readBody(req);
        const c = state.comments.find((x) => x.id === Number(m[1]));
        if (!c) return json(res, 404, { message: "Not Found" });
        c.body = String(body.body);
        return json(res, 200, c);
      }
      return json(res, 404, { message: `fake GitHub has no route for ${req.method} ${p}` });
    })().catch((err: unknown) => json(res, 500, { message: String(err) }));
  });
  Object.assign(state, await listenLocal(server));
  return state;
}

/** Answer `status` with `body` as JSON. */
export function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

/** The request's JSON body, or null when it has none. @throws SyntaxError for a body that is not JSON */
export async function readBody(req: IncomingMessage): Promise<any> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return chunks.length ? JSON.parse(Buffer.concat(chunks).toString("utf8")) : null;
}

/**
 * The app-level routes every fake serves: an installation token (`token`, never expiring), `GET /app`
 * with `slug`, and 404 for every `/contents/` read (no config file: defaults). Returns whether it answered.
 */
export function answerAppRoute(req: IncomingMessage, res: ServerResponse, path: string, app: { token: string; slug: string }): boolean {
  if (req.method === "POST" && /^\/app\/installations\/\d+\/access_tokens$/.test(path)) {
    json(res, 201, { token: app.token, expires_at: "2099-01-01T00:00:00Z" });
  } else if (req.method === "GET" && path === "/app") {
    json(res, 200, { id: 1, slug: app.slug });
  } else if (req.method === "GET" && path.includes("/contents/")) {
    json(res, 404, { message: "Not Found" });
  } else {
    return false;
  }
  return true;
}

/** Listen on a free port of 127.0.0.1; `close` also ends kept-alive connections. */
export async function listenLocal(server: Server): Promise<{ url: string; close(): Promise<void> }> {
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections?.();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
