/**
 * The CLI end to end against a PostHog-compatible HTTP server on 127.0.0.1 (the demo project served by
 * `fake-posthog.ts`): `pr --json`, Markdown output, `snapshot --out` then `--snapshot` replay, `demo`, and
 * the error paths.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_DIR, runCli, type CliIo } from "../../src/cli/main.js";
import { startFakePostHog, type FakePostHog } from "../../src/demo/fake-posthog.js";
import { buildDemoProject, buildProject, DEMO_EXPERIMENTS } from "../../src/demo/project.js";

const NOW = "2026-11-20T12:00:00Z";
const KEY = "phx_cli_test_key";
let server: FakePostHog;
let dir: string;

function io(env: Record<string, string | undefined> = {}, stdin: string | null = null) {
  const out: string[] = [];
  const err: string[] = [];
  const value: CliIo = {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    readStdin: async () => stdin ?? "",
    stdinIsTTY: stdin === null,
    env,
  };
  return { io: value, out: () => out.join(""), err: () => err.join("") };
}

const env = () => ({ POSTHOG_HOST: server.url, POSTHOG_PROJECT_ID: "4242", POSTHOG_PERSONAL_API_KEY: KEY });

beforeAll(async () => {
  server = await startFakePostHog(buildDemoProject(new Date(NOW)), { apiKey: KEY });
  dir = mkdtempSync(join(tmpdir(), "eh-cli-"));
});

afterAll(async () => {
  await server.close();
});

describe("experiment-hygiene pr --json against a PostHog-compatible server", () => {
  it("reports references, unknown keys and one decision per experiment", async () => {
    const t = io(env());
    const code = await runCli(["pr", join(DEMO_DIR, "pr.diff"), "--json", "--now", NOW], t.io);
    expect(t.err()).toBe("");
    expect(code).toBe(0);
    const json = JSON.parse(t.out());
    const decisions = Object.fromEntries(
      json.experiments.map((e: any) => [e.flag_key, [e.decision, e.variant]]),
    );
    expect(decisions).toEqual({
      "onboarding-checklist": ["investigate", null],
      "pricing-page-v2": ["rollback", "annual-first"],
      "new-checkout": ["promote", "test"],
      "recs-widget": ["stop", "widget"],
      "dark-mode-default": ["extend", "dark"],
      "gift-cards": ["continue", null],
      search_ranking_v3: ["continue", null],
    });
    expect(json.references).toContainEqual({ flag_key: "search_ranking_v3", file: "services/search/ranker.go", line: 23, side: "added" });
    expect(json.references).toContainEqual({
      flag_key: "recs-widget",
      file: "backend/src/main/java/com/shop/cart/CartService.java",
      line: 41,
      side: "added",
    });
    expect(json.references.filter((r: any) => r.flag_key === "legacy-banner").every((r: any) => r.side === "removed")).toBe(true);
    expect(json.unknown_keys).toEqual([
      { key: "onboarding-cheklist", file: "api/pricing/views.py", line: 16, side: "added", suggestion: "onboarding-checklist" },
    ]);
    for (const e of json.experiments) expect(e.reasons.length).toBeGreaterThan(0);
  });

  it("reads the diff from standard input and prints Markdown with every decision", async () => {
    const t = io(env(), readFileSync(join(DEMO_DIR, "pr.diff"), "utf8"));
    expect(await runCli(["pr", "--now", NOW], t.io)).toBe(0);
    const md = t.out();
    for (const label of ["🔍 Investigate", "⛔ Roll back", "✅ Promote", "🛑 Stop", "⏱️ Extend", "⏳ Continue"]) {
      expect(md).toContain(label);
    }
    expect(md).not.toContain(KEY);
  });
});

describe("snapshot and replay", () => {
  it("records every response once and replays without calling PostHog", async () => {
    const file = join(dir, "snap.json");
    const rec = io(env());
    expect(await runCli(["snapshot", "--out", file], rec.io)).toBe(0);
    expect(rec.err()).toMatch(/recorded \d+ PostHog responses/);
    const snap = JSON.parse(readFileSync(file, "utf8"));
    expect(snap.format).toBe("experiment-hygiene-snapshot/1");
    expect(JSON.stringify(snap)).not.toContain(KEY);

    const live = io(env());
    await runCli(["pr", join(DEMO_DIR, "pr.diff"), "--json", "--now", NOW], live.io);
    const before = server.requests.length;
    const replay = io({}); // no PostHog environment at all
    expect(await runCli(["pr", join(DEMO_DIR, "pr.diff"), "--json", "--snapshot", file, "--now", NOW], replay.io)).toBe(0);
    expect(server.requests.length).toBe(before);
    expect(JSON.parse(replay.out())).toEqual(JSON.parse(live.out()));
  });
});

describe("demo", () => {
  it("prints a comment showing every decision from the bundled snapshot", async () => {
    const t = io({});
    expect(await runCli(["demo"], t.io)).toBe(0);
    for (const label of ["🔍 Investigate", "⛔ Roll back", "✅ Promote", "🛑 Stop", "⏱️ Extend", "⏳ Continue"]) {
      expect(t.out()).toContain(label);
    }
  });
});

describe("errors", () => {
  it("names the missing PostHog variables (a usage error: exit 2)", async () => {
    const t = io({});
    expect(await runCli(["pr", join(DEMO_DIR, "pr.diff")], t.io)).toBe(2);
    expect(t.err()).toMatch(/POSTHOG_PROJECT_ID/);
    expect(t.err()).toMatch(/POSTHOG_PERSONAL_API_KEY/);
  });

  it("explains a rejected API key without printing it", async () => {
    const t = io({ ...env(), POSTHOG_PERSONAL_API_KEY: "phx_wrong_secret" });
    expect(await runCli(["pr", join(DEMO_DIR, "pr.diff")], t.io)).toBe(1);
    expect(t.err()).toMatch(/API key/i);
    expect(t.err()).not.toContain("phx_wrong_secret");
  });

  it("asks for a diff when standard input is a terminal", async () => {
    const t = io(env());
    expect(await runCli(["pr"], t.io)).toBe(2);
    expect(t.err()).toMatch(/pipe one in/);
  });

  it("rejects a combined diff (git show <merge>) with exit 2 and one line, before calling PostHog", async () => {
    // Recorded from `git show --format= <merge>` of a merge commit with a manual change.
    const combined = [
      "diff --cc src/checkout.ts",
      "index b77b4eb,7ff1f4a..8418284",
      "--- a/src/checkout.ts",
      "+++ b/src/checkout.ts",
      "@@@ -1,2 -1,3 +1,4 @@@",
      "  x",
      "+ s2",
      "++posthog.isFeatureEnabled('new-checkout')",
      "",
    ].join("\n");
    const t = io({}, combined); // no PostHog variables: the diff is refused first
    expect(await runCli(["pr"], t.io)).toBe(2);
    expect(t.out()).toBe("");
    expect(t.err()).toMatch(/^error: .*combined diff of a merge commit .*git diff <merge>\^1 <merge>\)?\n$/);
    expect(t.err().trim().split("\n")).toHaveLength(1);
  });

  it("rejects an unknown command with usage", async () => {
    const t = io({});
    expect(await runCli(["frobnicate"], t.io)).toBe(2);
  });
});

describe("escaping what PostHog returns", () => {
  it("renders a hostile experiment name inert", async () => {
    const hostile = { ...DEMO_EXPERIMENTS[0]!, name: "@team <img src=x onerror=alert(1)> **bold** | [x](https://evil.example)" };
    const p = buildProject(new Date(NOW), [hostile], []);
    const srv = await startFakePostHog(p, { apiKey: KEY });
    try {
      const diff = join(dir, "h.diff");
      writeFileSync(diff, "--- a/x.ts\n+++ b/x.ts\n@@ -1,0 +1,1 @@\n+posthog.isFeatureEnabled('new-checkout')\n");
      const t = io({ ...env(), POSTHOG_HOST: srv.url });
      expect(await runCli(["pr", diff, "--now", NOW], t.io)).toBe(0);
      const md = t.out();
      expect(md).not.toMatch(/<img/);
      expect(md).not.toMatch(/@team/);
      expect(md).not.toContain("](https://evil.example)");
      expect(md).toContain("\\*\\*bold\\*\\*");
    } finally {
      await srv.close();
    }
  });
});

describe("experiment-hygiene scan --offline --json against a PostHog-compatible server", () => {
  it("reports exactly the demo project's findings", async () => {
    const t = io(env());
    expect(await runCli(["scan", "--offline", "--json", "--watch-cap", "50", "--now", NOW], t.io)).toBe(0);
    const json = JSON.parse(t.out());
    const found = json.findings.map((f: any) => `${f.experiment_id}:${f.kind}`).sort();
    expect(found).toEqual(
      [
        "103:srm",
        "107:stale-variants",
        "108:contamination",
        "109:stall",
        "110:mutation",
        "111:broken-metric",
        "112:zombie",
        "113:decided-still-running",
        "114:stale-variants",
      ].sort(),
    );
    const srm = json.findings.find((f: any) => f.kind === "srm");
    expect(srm.evidence.p_value).toBeCloseTo(1.973e-9, 11);
    expect(json.findings.some((f: any) => f.experiment_id === 115)).toBe(false); // the healthy one
  });

  it("refuses a scan without GitHub credentials", async () => {
    const t = io(env());
    expect(await runCli(["scan", "--now", NOW], t.io)).toBe(2);
    expect(t.err()).toMatch(/GITHUB_TOKEN/);
    expect(t.err()).not.toMatch(/\n\s+at /); // a message, not a stack trace
  });
});
