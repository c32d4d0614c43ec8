/**
 * A scan's per-repository deadline: a repository whose GitHub calls hang is abandoned with an error in
 * its result, nothing is written for it, and the scan goes on with the next repository. PostHog is the
 * demo snapshot (replayed, no network); GitHub is nock.
 */
import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fileURLToPath } from "node:url";
import { tokenOctokit } from "../../src/cli/scan.js";
import { runScan, type ScanTarget } from "../../src/pipeline/scan.js";
import { createPostHogClientFromSnapshot, loadSnapshot, snapshotNow } from "../../src/posthog/index.js";

const GH = "https://api.github.com";
const BOT = "experiment-hygiene[bot]";
const SNAPSHOT = fileURLToPath(new URL("../../src/demo/snapshot.json", import.meta.url));

function target(repo: string, octokit: ScanTarget["octokit"]): ScanTarget {
  return { octokit, repo: { owner: "acme", repo } };
}

beforeEach(() => nock.disableNetConnect());
afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

describe("runScan repository deadline", () => {
  it("abandons a repository whose issue listing hangs and scans the next one", async () => {
    const snapshot = await loadSnapshot(SNAPSHOT);
    const octokit = tokenOctokit({ GITHUB_TOKEN: "ghs_test" }) as unknown as ScanTarget["octokit"];
    const gh = nock(GH)
      .get("/repos/acme/stuck/contents/.github%2Fexperiment-hygiene.yml")
      .reply(200, "reports:\n  enabled: true\n  scope: all\n")
      .get("/repos/acme/stuck/issues")
      .query(true)
      .delay(3_000)
      .reply(200, [])
      .get("/repos/acme/next/contents/.github%2Fexperiment-hygiene.yml")
      .reply(200, "reports:\n  enabled: false\n");
    const errors: { obj: unknown; msg: string | undefined }[] = [];
    const log = { debug() {}, info() {}, warn() {}, error: (obj: unknown, msg?: string) => void errors.push({ obj, msg }) };

    const result = await runScan([target("stuck", octokit), target("next", octokit)], {
      posthog: createPostHogClientFromSnapshot(snapshot),
      now: new Date(snapshotNow(snapshot)),
      botLogin: BOT,
      repositoryDeadlineMs: 300,
      log,
    });

    expect(result.repositories.map((r) => [r.repository, r.error, r.skipped])).toStrictEqual([
      ["acme/stuck", "scan of acme/stuck did not finish within 300 ms and was abandoned", null],
      ["acme/next", null, "reports are not enabled in .github/experiment-hygiene.yml"],
    ]);
    expect(result.repositories[0]!.actions).toStrictEqual([]);
    expect(errors).toStrictEqual([
      {
        obj: { repository: "acme/stuck", deadline_ms: 300, setting: "SCAN_REPOSITORY_DEADLINE_MS" },
        msg: "scan of repository abandoned at its deadline",
      },
    ]);
    // Every mock was used (the listing was requested, then abandoned); no issue was written: a POST has no mock.
    expect(gh.pendingMocks()).toStrictEqual([]);
  });
});
