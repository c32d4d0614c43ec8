/**
 * GitHub request deadlines (`addRequestDeadline`) against a real local server that trickles its body,
 * and the abandon guard (`guardOctokit`) that stops an abandoned repository's writes.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Octokit } from "@octokit/rest";
import { afterEach, describe, expect, it } from "vitest";
import { addRequestDeadline, GitHubDeadlineError, guardOctokit } from "../../src/github/deadline.js";
import { DeadlineExceededError, deadlinesFromEnv, DEFAULT_DEADLINES, withDeadline } from "../../src/deadline.js";

let server: Server | null = null;
let ticker: ReturnType<typeof setInterval> | null = null;
let requests: string[] = [];

afterEach(async () => {
  if (ticker) clearInterval(ticker);
  ticker = null;
  requests = [];
  if (server) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server!.close(() => resolve()));
  }
  server = null;
});

/** A GitHub stand-in: `/repos/o/r/issues/1/comments` trickles its JSON body; everything else answers at once. */
async function github(): Promise<string> {
  server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    res.writeHead(200, { "content-type": "application/json; charset=utf-8" });
    if (req.url?.startsWith("/repos/o/r/issues/1/comments")) {
      res.write('[{"id": 1, "body": "');
      ticker = setInterval(() => res.write("x"), 100);
      return;
    }
    res.end(JSON.stringify({ id: 1, login: "someone" }));
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe("addRequestDeadline", () => {
  it("ends a request whose body trickles, at the deadline, naming the endpoint", async () => {
    const octokit = addRequestDeadline(new Octokit({ baseUrl: await github(), request: { retries: 0 } }), 300);
    const err = await octokit.rest.issues.listComments({ owner: "o", repo: "r", issue_number: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitHubDeadlineError);
    expect((err as Error).message).toBe(
      "GitHub request GET /repos/{owner}/{repo}/issues/{issue_number}/comments did not finish within 300 ms (GITHUB_REQUEST_DEADLINE_MS)",
    );
  });

  it("lets a prompt request through", async () => {
    const octokit = addRequestDeadline(new Octokit({ baseUrl: await github() }), 5_000);
    const { data } = await octokit.rest.users.getAuthenticated();
    expect(data.login).toBe("someone");
  });

  it("refuses every request once the event's work was abandoned, before sending it", async () => {
    const controller = new AbortController();
    const octokit = addRequestDeadline(new Octokit({ baseUrl: await github() }), 5_000, controller.signal);
    controller.abort(new DeadlineExceededError("pull_request o/r#1", 400));
    await expect(octokit.rest.issues.createComment({ owner: "o", repo: "r", issue_number: 1, body: "partial" })).rejects.toThrow(
      "pull_request o/r#1 did not finish within 400 ms and was abandoned",
    );
    expect(requests).toStrictEqual([]);
  });
});

describe("guardOctokit", () => {
  it("blocks calls through the guarded view only, and only after the abort", async () => {
    const base = new Octokit({ baseUrl: await github() });
    const controller = new AbortController();
    const guarded = guardOctokit(base, controller.signal);
    await guarded.rest.users.getAuthenticated();
    controller.abort(new DeadlineExceededError("scan of o/r", 10));
    await expect(guarded.rest.issues.create({ owner: "o", repo: "r", title: "t" })).rejects.toThrow(DeadlineExceededError);
    await expect(guarded.request("POST /repos/{owner}/{repo}/issues", { owner: "o", repo: "r", title: "t" })).rejects.toThrow(DeadlineExceededError);
    await expect(guarded.paginate(guarded.rest.issues.listForRepo, { owner: "o", repo: "r" })).rejects.toThrow(DeadlineExceededError);
    // The shared instance keeps working for the next repository.
    await base.rest.users.getAuthenticated();
    expect(requests).toStrictEqual(["GET /user", "GET /user"]);
  });
});

describe("withDeadline", () => {
  it("resolves with the task's value in time and rejects at the deadline with the label", async () => {
    await expect(withDeadline(1_000, "quick", async () => 42)).resolves.toBe(42);
    let seen: AbortSignal | null = null;
    const err = await withDeadline(50, "pull_request o/r#1", (signal) => {
      seen = signal;
      return new Promise<never>(() => undefined);
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeadlineExceededError);
    expect((err as DeadlineExceededError).deadlineMs).toBe(50);
    expect(seen!.aborted).toBe(true);
    expect(seen!.reason).toBe(err);
  });

  it("passes the task's own error through", async () => {
    await expect(withDeadline(1_000, "x", async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
  });
});

describe("deadlinesFromEnv", () => {
  it("uses the defaults, reads each variable, and names a bad one", () => {
    expect(deadlinesFromEnv({})).toStrictEqual({ ...DEFAULT_DEADLINES });
    expect(deadlinesFromEnv({ PR_HANDLER_DEADLINE_MS: " 1000 ", POSTHOG_MAX_PAGES: "3" })).toMatchObject({ pullRequestMs: 1000, posthogMaxPages: 3 });
    expect(() => deadlinesFromEnv({ GITHUB_REQUEST_DEADLINE_MS: "0" })).toThrow(
      'GITHUB_REQUEST_DEADLINE_MS must be a whole number ≥ 1 (milliseconds), got "0"',
    );
    expect(() => deadlinesFromEnv({ POSTHOG_MAX_PAGES: "lots" })).toThrow('POSTHOG_MAX_PAGES must be a whole number ≥ 1 (pages), got "lots"');
  });
});
