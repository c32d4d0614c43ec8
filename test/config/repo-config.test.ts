/**
 * Reading the configuration from GitHub as text (src/github/repo-config.ts) with nock: the repository's
 * file, the owner's `.github` fallback, the `_extends` chain, links to the file (never the API), and
 * GitHub failures (an error without URL, not a configuration problem).
 */
import { Octokit } from "@octokit/rest";
import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DEFAULT_CONFIG } from "../../src/config/schema.js";
import { ConfigReadError, loadRepoConfig, webOrigin } from "../../src/github/repo-config.js";

const GH = "https://api.github.com";
const repo = { owner: "acme", repo: "shop" };
const own = "/repos/acme/shop/contents/.github%2Fexperiment-hygiene.yml";
const org = "/repos/acme/.github/contents/.github%2Fexperiment-hygiene.yml";
const octokit = () => new Octokit({ auth: "ghs_test" });

beforeEach(() => nock.disableNetConnect());
afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

describe("loadRepoConfig", () => {
  it("asks for the raw file and links each problem to its line on GitHub", async () => {
    const gh = nock(GH)
      .get(own)
      .matchHeader("accept", /application\/vnd\.github\.v3\.raw|application\/vnd\.github\.raw/)
      .reply(200, "decision:\n  alpha: 5\n", { "content-type": "text/plain; charset=utf-8" });
    const result = await loadRepoConfig(octokit(), repo, { webBase: "https://github.com" });
    expect(gh.pendingMocks()).toStrictEqual([]);
    expect(result.fatal).toBe(false);
    expect(result.problems).toEqual([
      {
        key: "decision.alpha",
        message: "is a probability strictly between 0 and 1 (0.05, not 5); the default 0.05 is used",
        line: 2,
        column: 10,
        file: ".github/experiment-hygiene.yml",
        url: "https://github.com/acme/shop/blob/HEAD/.github/experiment-hygiene.yml#L2",
      },
    ]);
  });

  it("means the defaults without a problem when neither the repository nor the owner's .github has a file", async () => {
    const gh = nock(GH).get(own).reply(404, { message: "Not Found" }).get(org).reply(404, { message: "Not Found" });
    expect(await loadRepoConfig(octokit(), repo)).toEqual({ config: DEFAULT_CONFIG, problems: [], fatal: false });
    expect(gh.pendingMocks()).toStrictEqual([]);
  });

  it("falls back to the owner's .github repository and names that file in its problems", async () => {
    nock(GH).get(own).reply(404, { message: "Not Found" }).get(org).reply(200, "enabled: true\ncomment:\n  max_experiments: 0\n");
    const result = await loadRepoConfig(octokit(), repo, { webBase: "https://github.com" });
    expect(result.problems.map((p) => [p.file, p.key, p.line, p.url])).toEqual([
      [
        "acme/.github:.github/experiment-hygiene.yml",
        "comment.max_experiments",
        3,
        "https://github.com/acme/.github/blob/HEAD/.github/experiment-hygiene.yml#L3",
      ],
    ]);
  });

  it("follows _extends and lets the repository's keys win; a missing target is a problem on the _extends line", async () => {
    nock(GH)
      .get(own)
      .reply(200, "_extends: acme/policies:hygiene/base.yml\ndecision:\n  alpha: 0.01\n")
      .get("/repos/acme/policies/contents/hygiene%2Fbase.yml")
      .reply(200, "_extends: gone\ndecision:\n  alpha: 0.2\n  max_regression: 0.3\n")
      .get("/repos/acme/gone/contents/.github%2Fexperiment-hygiene.yml")
      .reply(404, { message: "Not Found" });
    const result = await loadRepoConfig(octokit(), repo);
    expect(result.fatal).toBe(false);
    expect(result.config.decision.alpha).toBe(0.01);
    expect(result.config.decision.max_regression).toBe(0.3);
    expect(result.problems.map((p) => [p.file, p.key, p.line])).toEqual([["acme/policies:hygiene/base.yml", "_extends", 1]]);
    expect(result.problems[0]!.message).toMatch(/names a file that does not exist/);
  });

  it("stops an _extends loop with a problem instead of reading forever", async () => {
    const gh = nock(GH)
      .get(own)
      .reply(200, "_extends: acme/base\n")
      .get("/repos/acme/base/contents/.github%2Fexperiment-hygiene.yml")
      .reply(200, "_extends: acme/shop\nenabled: false\n");
    const result = await loadRepoConfig(octokit(), repo);
    expect(gh.pendingMocks()).toStrictEqual([]);
    expect(result.config.enabled).toBe(false);
    expect(result.problems.map((p) => p.message)).toEqual(["`acme/shop` leads back to a file already read; ignored"]);
  });

  it("is fatal when the path is a directory", async () => {
    nock(GH).get(own).reply(200, [{ name: "a.yml", type: "file" }]);
    const result = await loadRepoConfig(octokit(), repo);
    expect(result.fatal).toBe(true);
    expect(result.problems.map((p) => p.message)).toEqual(["is a directory or a submodule, not a file"]);
  });

  it("throws ConfigReadError without any URL when GitHub fails", async () => {
    nock(GH).get(own).reply(500, { message: "Server Error" });
    const err = await loadRepoConfig(octokit(), repo).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigReadError);
    expect((err as ConfigReadError).status).toBe(500);
    expect((err as Error).message).toBe("could not read acme/shop:.github/experiment-hygiene.yml (GitHub answered 500)");
    expect((err as Error).message).not.toMatch(/https?:/);
  });
});

describe("webOrigin", () => {
  it("takes the web origin from a repository's html_url, keeping a GitHub Enterprise path prefix", () => {
    expect(webOrigin("https://github.com/acme/shop")).toBe("https://github.com");
    expect(webOrigin("https://ghe.example.com/acme/shop/")).toBe("https://ghe.example.com");
    expect(webOrigin("javascript:alert(1)")).toBeNull();
    expect(webOrigin(undefined)).toBeNull();
  });
});
