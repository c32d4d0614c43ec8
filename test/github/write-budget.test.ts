/**
 * The per-installation GitHub write budget (80 content-creating requests a minute per installation, GitHub's
 * secondary rate limits): writes wait for a token of their installation, reads never do.
 */
import { afterEach, describe, expect, it } from "vitest";
import nock from "nock";
import { Octokit } from "@octokit/rest";
import { addWriteBudget, createWriteBudget, GITHUB_WRITES_PER_MINUTE } from "../../src/github/write-budget.js";

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const settlesWithin = (p: Promise<unknown>, ms: number) => Promise.race([p.then(() => true), sleep(ms).then(() => false)]);

afterEach(() => {
  nock.cleanAll();
});

describe("GitHub write budget", () => {
  it("defaults to 80 writes a minute", () => {
    expect(GITHUB_WRITES_PER_MINUTE).toBe(80);
  });

  it("makes a write over the installation's budget wait, not reads and not other installations", async () => {
    const budget = createWriteBudget({ perMinute: 4 }); // a burst of 1, then one every 20 s
    const api = nock("https://api.github.com")
      .post("/repos/acme/shop/issues/1/comments")
      .times(2)
      .reply(201, { id: 1 })
      .get("/repos/acme/shop/issues/1/comments")
      .reply(200, [])
      .post("/repos/acme/other/issues/1/comments")
      .reply(201, { id: 2 });
    const a = addWriteBudget(new Octokit(), 1, budget);
    const b = addWriteBudget(new Octokit(), 2, budget);
    await a.rest.issues.createComment({ owner: "acme", repo: "shop", issue_number: 1, body: "x" });
    const second = a.rest.issues.createComment({ owner: "acme", repo: "shop", issue_number: 1, body: "y" });
    second.catch(() => undefined);
    expect(await settlesWithin(second, 300)).toBe(false);
    expect(await settlesWithin(a.rest.issues.listComments({ owner: "acme", repo: "shop", issue_number: 1 }), 5_000)).toBe(true);
    expect(await settlesWithin(b.rest.issues.createComment({ owner: "acme", repo: "other", issue_number: 1, body: "z" }), 5_000)).toBe(true);
    expect(api.pendingMocks()).toHaveLength(1); // the waiting write
    await budget.close();
  });
});
