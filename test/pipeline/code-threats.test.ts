/**
 * Validity threats end to end: a diff → the pull-request pipeline against a PostHog-compatible HTTP server
 * (the demo project's shapes) → the report's threats and the rendered comment; with and without a count of
 * the flag's other references on the default branch.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_CONFIG } from "../../src/config/schema.js";
import { startFakePostHog, type FakePostHog } from "../../src/demo/fake-posthog.js";
import { buildProject, DEMO_EXPERIMENTS } from "../../src/demo/project.js";
import { changedLinesFromDiff } from "../../src/matching/index.js";
import { analyzePullRequest } from "../../src/pipeline/pull-request.js";
import { createPostHogClient } from "../../src/posthog/index.js";
import { renderPrComment } from "../../src/render/pr-comment.js";

const NOW = new Date("2026-11-20T12:00:00Z");
const KEY = "phx_code_threats_test_key";
const checkout = DEMO_EXPERIMENTS.find((e) => e.id === 101)!; // new-checkout: control, test; running
const darkMode = DEMO_EXPERIMENTS.find((e) => e.id === 105)!; // dark-mode-default: control, dark, system

let server: FakePostHog;
beforeAll(async () => {
  server = await startFakePostHog(buildProject(NOW, [checkout, darkMode], []), { apiKey: KEY });
});
afterAll(async () => {
  await server.close();
});

async function analyse(diff: string, otherReferences?: Map<string, number>) {
  const posthog = createPostHogClient({ host: server.url, projectId: "4242", apiKey: KEY });
  const report = await analyzePullRequest({
    lines: changedLinesFromDiff(diff),
    posthog,
    config: DEFAULT_CONFIG,
    now: NOW,
    ...(otherReferences ? { otherReferences } : {}),
  });
  return { report, body: renderPrComment(report, { headSha: "0123456789abcdef" }) };
}

const REMOVAL = `diff --git a/web/Checkout.tsx b/web/Checkout.tsx
--- a/web/Checkout.tsx
+++ b/web/Checkout.tsx
@@ -8,4 +8,1 @@ export function Checkout() {
-  const variant = useFeatureFlagVariantKey("new-checkout");
-  if (variant === "test") return <OnePage />;
-  return <ThreeStep />;
+  return <ThreeStep />;
`;

const BOOLEAN_CHECK = `diff --git a/web/Theme.tsx b/web/Theme.tsx
--- a/web/Theme.tsx
+++ b/web/Theme.tsx
@@ -3,1 +3,2 @@ export function Theme() {
-  const dark = false;
+  const dark = useFeatureFlagEnabled("dark-mode-default");
+  return dark ? <Dark /> : <Light />;
`;

describe("validity threats through the pipeline", () => {
  it("a removal of a running experiment's last reference: threat, warning and section", async () => {
    const { report, body } = await analyse(REMOVAL);
    expect(report.threats?.map((t) => [t.kind, t.file, t.line, t.side])).toEqual([["removes-last-exposure", "web/Checkout.tsx", 8, "removed"]]);
    expect(body).toContain("### Validity threats in this change");
    expect(body).toContain("This experiment is still running in PostHog; end it or keep the code.");
  });

  it("the same removal when the default branch still references the flag: no threat, no warning", async () => {
    const { report, body } = await analyse(REMOVAL, new Map([["new-checkout", 3]]));
    expect(report.threats).toEqual([]);
    expect(report.experiments[0]!.removesFlagCode).toBe(false);
    expect(body).not.toContain("Validity threats");
    expect(body).not.toContain("still running in PostHog");
  });

  it("a boolean check of the three-variant experiment's flag", async () => {
    const { report, body } = await analyse(BOOLEAN_CHECK);
    expect(report.threats?.map((t) => [t.kind, t.flagKey, t.line])).toEqual([["boolean-check-multivariate", "dark-mode-default", 3]]);
    expect(body).toContain("⚠️ **Boolean check of dark-mode-default, which has 3 variants (control, dark, system)**");
  });

  it("a boolean check of the two-variant experiment's flag: nothing", async () => {
    const { report } = await analyse(BOOLEAN_CHECK.replaceAll("dark-mode-default", "new-checkout"));
    expect(report.threats).toEqual([]);
  });
});
