/**
 * The scheduled scan and the configuration file: a file that is not YAML skips the repository (no PostHog
 * call, no issue written) with its problem, line and column in the result; bad keys are logged once each,
 * compiler style.
 */
import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { tokenOctokit } from "../../src/cli/scan.js";
import { runScan, type ScanTarget } from "../../src/pipeline/scan.js";
import { createPostHogClient } from "../../src/posthog/index.js";
import { API_KEY, POSTHOG, PROJECT_ID } from "../support/posthog.js";

const GH = "https://api.github.com";
const configPath = "/repos/acme/shop/contents/.github%2Fexperiment-hygiene.yml";
const target = (): ScanTarget => ({
  octokit: tokenOctokit({ GITHUB_TOKEN: "ghs_test" }) as unknown as ScanTarget["octokit"],
  repo: { owner: "acme", repo: "shop" },
});
const posthog = () => createPostHogClient({ host: POSTHOG, projectId: PROJECT_ID, apiKey: API_KEY, retry: { limit: 0 } });

beforeEach(() => nock.disableNetConnect());
afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

describe("runScan and the configuration file", () => {
  it("skips a repository whose file is not YAML, without calling PostHog, and logs the problem with line and column", async () => {
    const gh = nock(GH).get(configPath).reply(200, "reports:\n  enabled: true\n  labels: [a, b\n");
    const warnings: { obj: unknown; msg: string | undefined }[] = [];
    const log = { debug() {}, info() {}, error() {}, warn: (obj: unknown, msg?: string) => void warnings.push({ obj, msg }) };
    const result = await runScan([target()], { posthog: posthog(), now: new Date("2026-11-20T12:00:00Z"), botLogin: "b[bot]", log });
    expect(gh.pendingMocks()).toStrictEqual([]);
    expect(result.posthogRequests).toBe(0);
    const repo = result.repositories[0]!;
    expect(repo.skipped).toBe(".github/experiment-hygiene.yml cannot be read (see the config problems); reports resume once it can");
    expect(repo.configProblems).toHaveLength(1);
    expect(repo.configProblems[0]).toMatchObject({ key: "(file)", line: 4, column: 1, url: "https://github.com/acme/shop/blob/HEAD/.github/experiment-hygiene.yml#L4" });
    expect(warnings).toHaveLength(1);
    expect((warnings[0]!.obj as { problems: string[] }).problems[0]).toMatch(/^\.github\/experiment-hygiene\.yml:4:1: is not valid YAML: /);
  });

  it("keeps reports.enabled: false when another key is bad (no PostHog call)", async () => {
    nock(GH).get(configPath).reply(200, "reports:\n  enabled: false\n  scope: everywhere\n");
    const result = await runScan([target()], { posthog: posthog(), now: new Date("2026-11-20T12:00:00Z"), botLogin: "b[bot]" });
    expect(result.posthogRequests).toBe(0);
    expect(result.repositories[0]!.skipped).toMatch(/not enabled/);
    expect(result.repositories[0]!.configProblems.map((p) => [p.key, p.line, p.column])).toEqual([["reports.scope", 3, 10]]);
  });
});
