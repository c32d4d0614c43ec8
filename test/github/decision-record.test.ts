/**
 * The decision-record adapter's races: a branch and a pull request that an overlapping run created a
 * moment ago are adopted (GitHub answers 422), not duplicated; a 403 is a permission error.
 */
import nock from "nock";
import { Octokit } from "@octokit/rest";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openRecordPullRequest, RecordPermissionError } from "../../src/github/decision-record.js";

const GH = "https://api.github.com";
const repo = { owner: "acme", repo: "shop" };
const r = "/repos/acme/shop";

function client() {
  const quiet = () => {};
  return new Octokit({ auth: "ghs_test", request: { retries: 0 }, log: { debug: quiet, info: quiet, warn: quiet, error: quiet } });
}

function nockCommit(scope: nock.Scope): nock.Scope {
  return scope
    .get(`${r}/git/ref/heads%2Fmain`)
    .reply(200, { object: { sha: "base" } })
    .get(`${r}/git/commits/base`)
    .reply(200, { sha: "base", tree: { sha: "t0" } })
    .post(`${r}/git/blobs`)
    .reply(201, { sha: "b1" })
    .post(`${r}/git/trees`)
    .reply(201, { sha: "t1" })
    .post(`${r}/git/commits`)
    .reply(201, { sha: "c1" });
}

const opts = { base: "main", branch: "experiment-hygiene/record-9", files: [{ path: "docs/experiments/9-x.md", content: "x" }], message: "m", title: "t", body: "b" };

beforeEach(() => nock.disableNetConnect());
afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

describe("openRecordPullRequest", () => {
  it("adopts the pull request an overlapping run opened (422 on the branch and on the pull request)", async () => {
    const scope = nockCommit(nock(GH))
      .post(`${r}/git/refs`)
      .reply(422, { message: "Reference already exists" })
      .post(`${r}/pulls`)
      .reply(422, { message: "Validation Failed", errors: [{ message: "A pull request already exists for acme:experiment-hygiene/record-9." }] })
      .get(`${r}/pulls`)
      .query({ head: "acme:experiment-hygiene/record-9", state: "all", per_page: "10" })
      .reply(200, [{ number: 12, state: "open", merged_at: null, head: { sha: "c0" } }]);
    await expect(openRecordPullRequest(client() as never, repo, opts)).resolves.toBe(12);
    expect(scope.pendingMocks()).toStrictEqual([]);
  });

  it("turns a 403 into a RecordPermissionError naming the permissions", async () => {
    nock(GH).get(`${r}/git/ref/heads%2Fmain`).reply(200, { object: { sha: "base" } }).get(`${r}/git/commits/base`).reply(200, { sha: "base", tree: { sha: "t0" } }).post(`${r}/git/blobs`).reply(403, { message: "Resource not accessible by integration" });
    const err = await openRecordPullRequest(client() as never, repo, opts).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RecordPermissionError);
    expect((err as Error).message).toContain("contents: write and pull_requests: write");
  });
});
