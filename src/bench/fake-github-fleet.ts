/**
 * A fake GitHub REST API on 127.0.0.1 for many repositories and pull requests at once (the load bench
 * and the queue's load and fault tests): installation tokens, `GET /app`, config files (404: defaults),
 * every PR's diff (the same `diff` for all), and the PR comments (list, create, update). It records every
 * comment write with its time, so a test can check "exactly one comment per PR, showing its newest head"
 * and a bench can measure the time to the comment.
 */
import { createServer } from "node:http";
import { answerAppRoute, json, listenLocal, readBody } from "./fake-github.js";

/** One stored comment. */
export interface FleetComment {
  id: number;
  /** `owner/repo#number` */
  target: string;
  body: string;
  user: { login: string };
}

/** One comment write: creation or update, with `Date.now()` when it was stored. */
export interface FleetWrite {
  at: number;
  kind: "create" | "update";
  target: string;
  body: string;
}

/** A running fake. */
export interface FakeGitHubFleet {
  url: string;
  /** Number of requests served. */
  requestCount: number;
  /** Number of PR diff reads (one per analysis started). */
  diffReads: number;
  comments: FleetComment[];
  writes: FleetWrite[];
  close(): Promise<void>;
}

/**
 * Start the fake. Input: the diff every PR returns and the app's slug (comments are authored by
 * `<slug>[bot]`). Any `owner/repo` and PR number is accepted.
 */
export async function startFakeGitHubFleet(opts: { diff: string; slug: string }): Promise<FakeGitHubFleet> {
  const state: FakeGitHubFleet = { url: "", requestCount: 0, diffReads: 0, comments: [], writes: [], close: async () => {} };
  let nextId = 1;
  const server = createServer((req, res) => {
    void (async () => {
      state.requestCount++;
      const p = new URL(req.url ?? "/", "http://x").pathname.replace(/^\/api\/v3/, "");
      if (answerAppRoute(req, res, p, { token: "ghs_fleet", slug: opts.slug })) return;
      let m = p.match(/^\/repos\/([^/]+)\/([^/]+)\/pulls\/(\d+)$/);
      if (req.method === "GET" && m) {
        state.diffReads++;
        res.writeHead(200, { "content-type": "text/plain" });
        return res.end(opts.diff);
      }
      m = p.match(/^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments$/);
      if (m) {
        const target = `${m[1]}/${m[2]}#${m[3]}`;
        if (req.method === "GET") return json(res, 200, state.comments.filter((c) => c.target === target));
        if (req.method === "POST") {
          const body = await readBody(req);
          const c: FleetComment = { id: nextId++, target, body: String(body.body), user: { login: `${opts.slug}[bot]` } };
          state.comments.push(c);
          state.writes.push({ at: Date.now(), kind: "create", target, body: c.body });
          return json(res, 201, { ...c, target: undefined });
        }
      }
      // The check run on the head commit (created, and completed in batches of annotations).
      if (req.method === "POST" && /^\/repos\/[^/]+\/[^/]+\/check-runs$/.test(p)) {
        const body = await readBody(req);
        return json(res, 201, { id: nextId++, name: body.name, head_sha: body.head_sha, status: body.status });
      }
      if (req.method === "PATCH" && /^\/repos\/[^/]+\/[^/]+\/check-runs\/\d+$/.test(p)) return json(res, 200, {});
      m = p.match(/^\/repos\/([^/]+)\/([^/]+)\/issues\/comments\/(\d+)$/);
      if (req.method === "PATCH" && m) {
        const body = await readBody(req);
        const c = state.comments.find((x) => x.id === Number(m![3]));
        if (!c) return json(res, 404, { message: "Not Found" });
        c.body = String(body.body);
        state.writes.push({ at: Date.now(), kind: "update", target: c.target, body: c.body });
        return json(res, 200, { ...c, target: undefined });
      }
      return json(res, 404, { message: `fake GitHub has no route for ${req.method} ${p}` });
    })().catch((err: unknown) => json(res, 500, { message: String(err) }));
  });
  server.keepAliveTimeout = 1_000;
  Object.assign(state, await listenLocal(server));
  return state;
}
