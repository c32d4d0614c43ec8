/**
 * Issue 10 "done when": a PR that changes `useFeatureFlagEnabled(INTEGRATION_FLAG)`, where `INTEGRATION_FLAG`
 * is defined in another file of the repository (not in the diff), is attributed to the right experiment on
 * the comment — through the repository reference index, loaded only because the diff needs it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ReferenceIndexCache } from "../../src/app/reference-index-cache.js";
import { DEFAULT_CONFIG } from "../../src/config/schema.js";
import { startFakePostHog, type FakePostHog } from "../../src/demo/fake-posthog.js";
import { buildProject, DEMO_EXPERIMENTS } from "../../src/demo/project.js";
import { buildReferenceIndex, changedLinesFromDiff, type FlagMatcher } from "../../src/matching/index.js";
import { analyzePullRequest } from "../../src/pipeline/pull-request.js";
import { createPostHogClient } from "../../src/posthog/index.js";
import { renderPrComment } from "../../src/render/pr-comment.js";

const NOW = new Date("2026-11-20T12:00:00Z");
const KEY = "phx_pr_constants_test_key";
const checkout = DEMO_EXPERIMENTS.find((e) => e.id === 101)!; // "New checkout flow" on new-checkout, running

/** The default branch's file that defines the constant (never part of the diff). */
const REPOSITORY = [
  { file: "web/src/lib/constants.ts", text: "export const INTEGRATION_FLAG = 'new-checkout'\nexport const TITLE = 'Checkout'\n" },
  { file: "web/src/index.ts", text: "export * from './lib/constants'\n" },
];

const PR = `diff --git a/web/src/checkout/CheckoutPage.tsx b/web/src/checkout/CheckoutPage.tsx
index 3b18e51..a9c0f2e 100644
--- a/web/src/checkout/CheckoutPage.tsx
+++ b/web/src/checkout/CheckoutPage.tsx
@@ -4,5 +4,5 @@ import { INTEGRATION_FLAG } from "../lib/constants";
 export function CheckoutPage() {
-  const onePage = useFeatureFlagEnabled(INTEGRATION_FLAG) && !legacy;
+  const onePage = useFeatureFlagEnabled(INTEGRATION_FLAG);
   return onePage ? <OnePageCheckout /> : <ThreeStepCheckout />;
 }
`;

let server: FakePostHog;
beforeAll(async () => {
  server = await startFakePostHog(buildProject(NOW, [checkout], []), { apiKey: KEY });
});
afterAll(async () => {
  await server.close();
});

describe("a constant defined elsewhere in the repository", () => {
  it("is resolved through the repository index, and the comment shows the experiment", async () => {
    const posthog = createPostHogClient({ host: server.url, projectId: "4242", apiKey: KEY });
    const loads: FlagMatcher[] = [];
    const cache = new ReferenceIndexCache(4);
    const report = await analyzePullRequest({
      lines: changedLinesFromDiff(PR),
      posthog,
      config: DEFAULT_CONFIG,
      now: NOW,
      loadReferenceIndex: (matcher) => {
        loads.push(matcher);
        return cache.get("acme/shop@base#keys", async () => buildReferenceIndex(REPOSITORY, matcher));
      },
    });
    expect(loads).toHaveLength(1);
    expect(report.experiments.map((e) => [e.flagKey, e.experiment.name])).toEqual([["new-checkout", "New checkout flow"]]);
    const added = report.matches.references.find((r) => r.side === "added")!;
    expect(added).toMatchObject({ flagKey: "new-checkout", line: 5, kind: "sdk-call" });
    expect(added.via).toEqual({ expression: "INTEGRATION_FLAG", definedIn: "repository", file: "web/src/lib/constants.ts", line: 1 });
    const body = renderPrComment(report, { filesUrl: "https://github.com/acme/shop/pull/7/files" });
    expect(body).toContain("New checkout flow");
    expect(body).toContain("`web/src/checkout/CheckoutPage.tsx:5`");
    expect(cache.misses).toBe(1);
  });

  it("without the index the PR references no flag, and a diff that needs no index does not load it", async () => {
    const posthog = createPostHogClient({ host: server.url, projectId: "4242", apiKey: KEY });
    const without = await analyzePullRequest({ lines: changedLinesFromDiff(PR), posthog, config: DEFAULT_CONFIG, now: NOW });
    expect(without.experiments).toEqual([]);
    let loaded = 0;
    const literal = PR.replaceAll("INTEGRATION_FLAG)", "'new-checkout')");
    const report = await analyzePullRequest({
      lines: changedLinesFromDiff(literal),
      posthog,
      config: DEFAULT_CONFIG,
      now: NOW,
      loadReferenceIndex: async () => {
        loaded++;
        return null;
      },
    });
    expect(loaded).toBe(0);
    expect(report.experiments.map((e) => e.flagKey)).toEqual(["new-checkout"]);
  });

  it("goes on without the index when loading it fails", async () => {
    const posthog = createPostHogClient({ host: server.url, projectId: "4242", apiKey: KEY });
    const report = await analyzePullRequest({
      lines: changedLinesFromDiff(PR),
      posthog,
      config: DEFAULT_CONFIG,
      now: NOW,
      loadReferenceIndex: async () => {
        throw new Error("archive unavailable");
      },
    });
    expect(report.experiments).toEqual([]);
  });
});

describe("ReferenceIndexCache", () => {
  it("keeps the most recently used entries and shares one load per key", async () => {
    const cache = new ReferenceIndexCache(2);
    let builds = 0;
    const load = async () => {
      builds++;
      return buildReferenceIndex([], { keys: new Set<string>(), candidateLines: () => [], has: () => false } as unknown as FlagMatcher);
    };
    const [a1, a2] = [cache.get("a", load), cache.get("a", load)];
    expect(a1).toBe(a2);
    await cache.get("b", load);
    await cache.get("a", load); // a is now the most recent
    await cache.get("c", load); // evicts b
    expect(cache.size).toBe(2);
    await cache.get("b", load);
    expect(builds).toBe(4);
    expect(cache.misses).toBe(4);
  });

  it("does not keep a failed load", async () => {
    const cache = new ReferenceIndexCache(2);
    await expect(cache.get("x", () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(cache.size).toBe(0);
  });
});
