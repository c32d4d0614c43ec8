/**
 * Issue 10 §2 "removes the last code path that evaluates a running experiment's flag (checked against the
 * repository index)": a PR removing a call to a running experiment's flag is a `removes-last-exposure`
 * finding only when no other code on the base branch still calls it. The base branch is given as files
 * (`buildReferenceIndex`, the same builder the app feeds from the base commit's tarball); the index is
 * loaded only because the diff removes a running experiment's flag.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_CONFIG } from "../../src/config/schema.js";
import { startFakePostHog, type FakePostHog } from "../../src/demo/fake-posthog.js";
import { buildProject, DEMO_EXPERIMENTS } from "../../src/demo/project.js";
import { buildReferenceIndex, changedLinesFromDiff, otherSdkCalls, type FlagMatcher } from "../../src/matching/index.js";
import { createFlagMatcher } from "../../src/matching/index.js";
import { analyzePullRequest } from "../../src/pipeline/pull-request.js";
import { createPostHogClient } from "../../src/posthog/index.js";

const NOW = new Date("2026-11-20T12:00:00Z");
const KEY = "phx_removes_last_exposure_test";
const checkout = DEMO_EXPERIMENTS.find((e) => e.id === 101)!; // "New checkout flow" on new-checkout, running

const CHECKOUT_BASE = [
  'import { useFeatureFlagEnabled } from "posthog-js/react";',
  "",
  "export function CheckoutPage() {",
  "  const onePage = useFeatureFlagEnabled('new-checkout');",
  "  return onePage ? <OnePageCheckout /> : <ThreeStepCheckout />;",
  "}",
  "",
].join("\n");

/** The PR removes the only call in CheckoutPage.tsx. */
const PR = `diff --git a/web/src/checkout/CheckoutPage.tsx b/web/src/checkout/CheckoutPage.tsx
index 3b18e51..a9c0f2e 100644
--- a/web/src/checkout/CheckoutPage.tsx
+++ b/web/src/checkout/CheckoutPage.tsx
@@ -3,4 +3,3 @@ import { useFeatureFlagEnabled } from "posthog-js/react";
 export function CheckoutPage() {
-  const onePage = useFeatureFlagEnabled('new-checkout');
-  return onePage ? <OnePageCheckout /> : <ThreeStepCheckout />;
+  return <ThreeStepCheckout />;
 }
`;

const OTHER_CALLER = {
  file: "web/src/cart/CartSummary.tsx",
  text: "import { FLAGS } from '../flags';\nexport const Cart = () => (useFeatureFlagEnabled(FLAGS.NEW_CHECKOUT) ? <New /> : <Old />);\n",
};
const FLAGS_FILE = { file: "web/src/flags.ts", text: "export const FLAGS = { NEW_CHECKOUT: 'new-checkout' } as const;\n" };
const DOCS = { file: "docs/flags.md", text: "The `new-checkout` flag switches the one-page checkout.\n" };

let server: FakePostHog;
beforeAll(async () => {
  server = await startFakePostHog(buildProject(NOW, [checkout], []), { apiKey: KEY });
});
afterAll(async () => {
  await server.close();
});

async function analyze(base: { file: string; text: string }[], diff = PR) {
  const posthog = createPostHogClient({ host: server.url, projectId: "4242", apiKey: KEY });
  const loads: FlagMatcher[] = [];
  const report = await analyzePullRequest({
    lines: changedLinesFromDiff(diff),
    posthog,
    config: DEFAULT_CONFIG,
    now: NOW,
    loadReferenceIndex: async (matcher) => {
      loads.push(matcher);
      return buildReferenceIndex(base, matcher);
    },
  });
  return { report, loads };
}

describe("removes-last-exposure against the repository index", () => {
  it("no finding when another file on the base branch still calls the flag (through a constant defined earlier)", async () => {
    const { report, loads } = await analyze([FLAGS_FILE, { file: "web/src/checkout/CheckoutPage.tsx", text: CHECKOUT_BASE }, OTHER_CALLER]);
    expect(loads).toHaveLength(1);
    expect(report.threats?.map((t) => t.kind) ?? []).not.toContain("removes-last-exposure");
    expect(report.experiments.find((e) => e.flagKey === "new-checkout")?.removesFlagCode).toBe(false);
  });

  it("no finding when another file calls the flag with a literal key", async () => {
    const literal = { file: "web/src/cart/Cart.tsx", text: "const on = posthog.isFeatureEnabled('new-checkout')\n" };
    const { report } = await analyze([{ file: "web/src/checkout/CheckoutPage.tsx", text: CHECKOUT_BASE }, literal]);
    expect(report.threats?.map((t) => t.kind) ?? []).not.toContain("removes-last-exposure");
  });

  it("the finding when no other file calls it (a mention in the docs is no evaluation)", async () => {
    const { report, loads } = await analyze([FLAGS_FILE, { file: "web/src/checkout/CheckoutPage.tsx", text: CHECKOUT_BASE }, DOCS]);
    expect(loads).toHaveLength(1);
    const threat = report.threats?.find((t) => t.kind === "removes-last-exposure");
    expect(threat).toMatchObject({ flagKey: "new-checkout", file: "web/src/checkout/CheckoutPage.tsx", line: 4, side: "removed" });
    expect(threat?.breaks).toContain("anywhere on the default branch");
    expect(report.experiments.find((e) => e.flagKey === "new-checkout")?.removesFlagCode).toBe(true);
  });

  it("does not load the index when the diff removes no running experiment's flag", async () => {
    const unrelated = PR.replaceAll("useFeatureFlagEnabled('new-checkout')", "useState(false)");
    const { loads } = await analyze([OTHER_CALLER], unrelated);
    expect(loads).toHaveLength(0);
  });
});

describe("otherSdkCalls", () => {
  const matcher = createFlagMatcher(["new-checkout"]);
  const base = buildReferenceIndex(
    [
      { file: "a.ts", text: "isFeatureEnabled('new-checkout')\nisFeatureEnabled('new-checkout')\n" },
      { file: "b.ts", text: "getFeatureFlag('new-checkout')\n" },
    ],
    matcher,
  );

  it("counts SDK calls per file on the base branch", () => {
    expect(base.sdkCalls?.get("new-checkout")).toEqual(new Map([["a.ts", 2], ["b.ts", 1]]));
  });

  it("subtracts the PR's removed calls from their file (never below 0) and adds its added ones", () => {
    const ref = (file: string, side: "added" | "removed") => ({ flagKey: "new-checkout", file, side, inSdkCall: true });
    expect(otherSdkCalls(base, [ref("b.ts", "removed")], ["new-checkout"]).get("new-checkout")).toBe(2);
    expect(otherSdkCalls(base, [ref("a.ts", "removed"), ref("a.ts", "removed"), ref("b.ts", "removed")], ["new-checkout"]).get("new-checkout")).toBe(0);
    expect(otherSdkCalls(base, [ref("b.ts", "removed"), ref("b.ts", "removed"), ref("a.ts", "removed"), ref("a.ts", "removed")], ["new-checkout"]).get("new-checkout")).toBe(0);
    expect(otherSdkCalls(base, [ref("a.ts", "removed"), ref("a.ts", "removed"), ref("b.ts", "removed"), ref("c.ts", "added")], ["new-checkout"]).get("new-checkout")).toBe(1);
    // A reference outside an SDK call (a string, a comment) does not count either way.
    expect(otherSdkCalls(base, [{ ...ref("b.ts", "removed"), inSdkCall: false }], ["new-checkout"]).get("new-checkout")).toBe(3);
  });
});
