/**
 * Issue 8, "False or missing warnings" and "Prose matches", end to end: a realistic diff → the pull-request
 * pipeline against a PostHog-compatible HTTP server (the demo project's shapes) → the rendered comment.
 */
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_CONFIG } from "../../src/config/schema.js";
import { DEFAULT_DETECTOR_CONFIG, detectStall } from "../../src/detectors/index.js";
import { startFakePostHog, type FakePostHog } from "../../src/demo/fake-posthog.js";
import { buildProject, DEMO_EXPERIMENTS, DEMO_HYGIENE_EXPERIMENTS, type DemoExperiment } from "../../src/demo/project.js";
import { changedLinesFromDiff } from "../../src/matching/index.js";
import { analyzePullRequest } from "../../src/pipeline/pull-request.js";
import { createPostHogClient } from "../../src/posthog/index.js";
import { diffLineUrl, formatLocations, renderPrComment } from "../../src/render/pr-comment.js";

const NOW = new Date("2026-11-20T12:00:00Z");
const KEY = "phx_pr_warnings_test_key";
const FILES_URL = "https://github.com/acme/shop/pull/42/files";

const checkout = DEMO_EXPERIMENTS.find((e) => e.id === 101)!; // running, "✅ Promote test"
const referral = DEMO_HYGIENE_EXPERIMENTS.find((e) => e.id === 109)!; // running, exposures flat for 4 days
/** The stalled experiment with PostHog's recommended sample not yet reached, so a days-remaining estimate exists. */
const stalled: DemoExperiment = { ...referral, recommended: { sampleSize: 12_000, runningTime: 21, home: "parameters" } };
/** The same experiment with exposures still flowing (do-not-fire case). */
const flowing: DemoExperiment = { ...stalled, id: 119, flagId: 219, flagKey: "referral-bonus-flowing", exposureShape: { kind: "ramp" } };

let server: FakePostHog;

beforeAll(async () => {
  const project = buildProject(
    NOW,
    [checkout, stalled, flowing],
    [
      { id: 301, key: "integrations" },
      { id: 302, key: "gift-cards" },
    ],
  );
  server = await startFakePostHog(project, { apiKey: KEY });
});

afterAll(async () => {
  await server.close();
});

async function comment(diff: string) {
  const posthog = createPostHogClient({ host: server.url, projectId: "4242", apiKey: KEY });
  const report = await analyzePullRequest({ lines: changedLinesFromDiff(diff), posthog, config: DEFAULT_CONFIG, now: NOW });
  return { report, body: renderPrComment(report, { filesUrl: FILES_URL, headSha: "0123456789abcdef" }) };
}

const sha = (path: string) => createHash("sha256").update(path).digest("hex");

/** A PR that deletes the new checkout's code (the experiment still runs and would be promoted). */
const REMOVES_CHECKOUT = `diff --git a/web/src/checkout/CheckoutPage.tsx b/web/src/checkout/CheckoutPage.tsx
index 3b18e51..a9c0f2e 100644
--- a/web/src/checkout/CheckoutPage.tsx
+++ b/web/src/checkout/CheckoutPage.tsx
@@ -8,10 +8,6 @@ import { ThreeStepCheckout } from "./ThreeStepCheckout";
 export function CheckoutPage() {
-  const variant = useFeatureFlagVariantKey("new-checkout");
-  if (variant === "test") {
-    return <OnePageCheckout />;
-  }
   return <ThreeStepCheckout />;
 }
`;

describe("a PR that removes a running experiment's code", () => {
  it("gets a prominent warning instead of the promote banner, with the removed (old-file) location", async () => {
    const { report, body } = await comment(REMOVES_CHECKOUT);
    expect(report.experiments[0]!.removesFlagCode).toBe(true);
    expect(body).toContain("> [!WARNING]\n> ⚠️ **This experiment is still running in PostHog; end it or keep the code.**");
    expect(body).not.toContain("✅ Promote");
    expect(body).toContain("**If you end it now, the data says:** promote `test`");
    const url = `${FILES_URL}#diff-${sha("web/src/checkout/CheckoutPage.tsx")}L9`;
    expect(body).toContain(`Found at [\`web/src/checkout/CheckoutPage.tsx old line 9\`](${url}).`);
    // it is still listed among the removed references
    expect(body).toMatch(/### Removed references[\s\S]*new-checkout/);
  });

  it("does not warn when the PR changes the code but keeps a reference (do-not-fire)", async () => {
    const diff = REMOVES_CHECKOUT.replace("@@ -8,10 +8,6 @@", "@@ -8,10 +8,7 @@").replace(
      "   return <ThreeStepCheckout />;",
      '+  const v = useFeatureFlagVariantKey("new-checkout");\n   return <ThreeStepCheckout />;',
    );
    const { report, body } = await comment(diff);
    expect(report.experiments[0]!.removesFlagCode).toBe(false);
    expect(body).not.toContain("still running in PostHog");
    expect(body).toContain("**✅ Promote `test`**");
  });
});

describe("days remaining while exposures are stalled", () => {
  const diff = (key: string) => `diff --git a/api/referrals.py b/api/referrals.py
index 1111111..2222222 100644
--- a/api/referrals.py
+++ b/api/referrals.py
@@ -3,2 +3,3 @@ def referral_banner(user):
     bonus = 0
+    bonus = 10 if posthog.get_feature_flag("${key}", user.distinct_id) == "bonus" else 0
     return bonus
`;

  it("shows the scan's stall finding and no estimate", async () => {
    const { report, body } = await comment(diff("referral-bonus"));
    const r = report.experiments[0]!;
    expect(r.decision!.sample!.daysRemaining).toBeGreaterThan(0); // an estimate exists …
    expect(body).not.toMatch(/more days to reach the target/); // … but is not shown
    // The scan's own stall rule on the same experiment and exposures gives the same title.
    const scan = detectStall(r.experiment, { flag: r.experiment.flag, exposures: r.exposures, metricResults: null, flagActivity: null, experimentActivity: null, decision: null }, DEFAULT_DETECTOR_CONFIG, NOW);
    expect(scan).not.toBeNull();
    expect(scan!.title).toMatch(/^Exposures stalled in “Referral bonus” \(none for \d+ h\)$/);
    expect(body).toContain(`> ⚠️ **Exposures stalled in “Referral bonus” (none for ${scan!.evidence["hours_since_last_exposure"]!.toString().split(".")[0]} h).**`);
    expect(body).toContain("No time-to-target estimate is shown while exposures are stalled.");
  });

  it("keeps the estimate while exposures flow (do-not-fire)", async () => {
    const { report, body } = await comment(diff("referral-bonus-flowing"));
    expect(report.experiments[0]!.stall).toBeNull();
    expect(body).toMatch(/About \d+ more days to reach the target at the current rate\./);
    expect(body).not.toContain("Exposures stalled");
  });
});

describe("unknown keys", () => {
  const DELETES_OLD_FLAG = `diff --git a/web/src/Banner.tsx b/web/src/Banner.tsx
deleted file mode 100644
index 5555555..0000000
--- a/web/src/Banner.tsx
+++ /dev/null
@@ -1,4 +0,0 @@
-export function Banner() {
-  const on = posthog.isFeatureEnabled("summer-sale-2025");
-  return on ? <Sale /> : null;
-}
`;

  it("a flag PostHog no longer has, whose call the PR deletes, is not called a typo", async () => {
    const { report, body } = await comment(DELETES_OLD_FLAG);
    expect(report.unknownKeys.map((u) => [u.key, u.side, u.line])).toEqual([["summer-sale-2025", "removed", 2]]);
    expect(body).not.toContain("typo");
    expect(body).not.toContain("Unknown flag keys");
    const url = `${FILES_URL}#diff-${sha("web/src/Banner.tsx")}L2`;
    expect(body).toContain(
      `- \`summer-sale-2025\` at [\`web/src/Banner.tsx old line 2\`](${url}) — PostHog no longer has this flag; removing its code is fine`,
    );
  });

  it("an unknown key on an added line is still a likely typo, at its new-file line", async () => {
    const diff = `diff --git a/web/src/Gift.tsx b/web/src/Gift.tsx
index 1111111..2222222 100644
--- a/web/src/Gift.tsx
+++ b/web/src/Gift.tsx
@@ -1,2 +1,3 @@
 export function Gift() {
+  const on = useFeatureFlagEnabled("gift-card");
 }
`;
    const { body } = await comment(diff);
    const url = `${FILES_URL}#diff-${sha("web/src/Gift.tsx")}R2`;
    expect(body).toContain("PostHog has no flag with these keys (a typo?):");
    expect(body).toContain(`- \`gift-card\` at [\`web/src/Gift.tsx:2\`](${url}) — did you mean \`gift-cards\`?`);
  });
});

describe("word-like keys end to end", () => {
  it("a PR touching integrations prose, UI strings and tests references no flag", async () => {
    const diff = `diff --git a/web/src/settings/Integrations.tsx b/web/src/settings/Integrations.tsx
index 1a2b3c4..5d6e7f8 100644
--- a/web/src/settings/Integrations.tsx
+++ b/web/src/settings/Integrations.tsx
@@ -10,5 +10,5 @@ export function IntegrationsSettings() {
-  // integrations are loaded lazily
+  // integrations load on first open
   return (
-    <Tab name="integrations" title="Integrations" />
+    <Tab name="integrations" title="Integrations" icon="plug" />
   );
diff --git a/web/src/settings/integrations.test.tsx b/web/src/settings/integrations.test.tsx
index 2b3c4d5..6e7f8a9 100644
--- a/web/src/settings/integrations.test.tsx
+++ b/web/src/settings/integrations.test.tsx
@@ -1,3 +1,3 @@
-describe('integrations', () => {
+describe('integrations settings', () => {
   it('lists integrations', () => {
`;
    const { report, body } = await comment(diff);
    expect(report.matches.references).toEqual([]);
    expect(body).toContain("This pull request references no PostHog feature flag.");
    expect(body).not.toContain("Removed references");
  });

  it("the same key in an SDK call is a reference, listed with its location", async () => {
    const diff = `diff --git a/web/src/settings/Integrations.tsx b/web/src/settings/Integrations.tsx
index 1a2b3c4..5d6e7f8 100644
--- a/web/src/settings/Integrations.tsx
+++ b/web/src/settings/Integrations.tsx
@@ -10,2 +10,3 @@ export function IntegrationsSettings() {
   // integrations are loaded lazily
+  const enabled = useFeatureFlagEnabled("integrations");
   return null;
`;
    const { body } = await comment(diff);
    const url = `${FILES_URL}#diff-${sha("web/src/settings/Integrations.tsx")}R11`;
    expect(body).toMatch(/### Flags without an experiment\n\n- \[integrations\]\([^)]*\/feature_flags\/301\) \(active\) at /);
    expect(body).toContain(`(active) at [\`web/src/settings/Integrations.tsx:11\`](${url})`);
  });
});

describe("locations", () => {
  it("GitHub's anchor is diff-<sha256 of the path> with R (new file) or L (old file) and the line", () => {
    // Verified against a real GitHub link: rubocop/rubocop PR #13595 links
    // lib/rubocop/cop/metrics/single_line_complexity.rb as #diff-bac0afb8…936c6.
    expect(diffLineUrl("https://github.com/rubocop/rubocop/pull/13595/files", { file: "lib/rubocop/cop/metrics/single_line_complexity.rb", line: 5, side: "added" })).toBe(
      "https://github.com/rubocop/rubocop/pull/13595/files#diff-bac0afb83227700f28b5a130464cd6a6307fc7a8321aee0eab729a9dcae936c6R5",
    );
    expect(diffLineUrl(FILES_URL, { file: "café.ts", line: 3, side: "removed" })).toBe(`${FILES_URL}#diff-${sha("café.ts")}L3`);
    expect(diffLineUrl("javascript:alert(1)", { file: "a", line: 1, side: "added" })).toBeNull();
  });

  it("lists the first three and counts the rest; plain text without a PR URL", () => {
    const locs = [1, 2, 3, 4, 5].map((line) => ({ file: "a.ts", line, side: "added" as const }));
    expect(formatLocations(locs)).toBe("`a.ts:1`, `a.ts:2`, `a.ts:3` and 2 more");
    expect(formatLocations([{ file: "a.ts", line: 7, side: "removed" }, { file: "a.ts", line: 7, side: "removed" }])).toBe(
      "`a.ts old line 7`",
    );
  });
});
