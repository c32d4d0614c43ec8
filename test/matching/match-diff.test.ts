import { describe, expect, it } from "vitest";
import {
  changedLinesFromDiff,
  changedLinesFromPatches,
  createFlagMatcher,
  type ChangedLine,
  matchDiff,
  MatchInputError,
} from "../../src/matching/index.js";

const matcher = createFlagMatcher(["new-checkout", "pricing_v2", "dark-mode", "onboarding-flow", "beta_banner", "old-cart"]);

const PR_DIFF = `diff --git a/src/checkout/Checkout.tsx b/src/checkout/Checkout.tsx
index 1111111..2222222 100644
--- a/src/checkout/Checkout.tsx
+++ b/src/checkout/Checkout.tsx
@@ -10,7 +10,8 @@ export function Checkout() {
   const user = useUser()
-  const legacy = posthog.isFeatureEnabled('old-cart')
+  const enabled = useFeatureFlagEnabled('new-checkout')
+  const variant = useFeatureFlagVariantKey('pricing_v2')
   if (!user) return null
   return (
     <Layout>
-      {legacy ? <OldCart /> : <Cart />}
+      {enabled ? <NewCheckout variant={variant} /> : <Cart />}
     </Layout>
diff --git a/app/flags.py b/app/feature_flags.py
similarity index 80%
rename from app/flags.py
rename to app/feature_flags.py
index 3333333..4444444 100644
--- a/app/flags.py
+++ b/app/feature_flags.py
@@ -1,4 +1,4 @@
 import posthog
 
 def show_banner(user):
-    return posthog.feature_enabled("beta_banner", user.id)
+    return posthog.feature_enabled("beta-baner", user.id)
diff --git a/internal/flags/legacy.go b/internal/flags/legacy.go
deleted file mode 100644
index 5555555..0000000
--- a/internal/flags/legacy.go
+++ /dev/null
@@ -1,3 +0,0 @@
-package flags
-
-const LegacyFlag = "old-cart"
diff --git a/docs/flags.md b/docs/flags.md
new file mode 100644
index 0000000..6666666
--- /dev/null
+++ b/docs/flags.md
@@ -0,0 +1,3 @@
+# Flags
+
+- \`new-checkout\`: the new checkout flow; exposure property \`$feature/new-checkout\`
diff --git a/assets/logo.png b/assets/logo.png
index 7777777..8888888 100644
Binary files a/assets/logo.png and b/assets/logo.png differ
diff --git a/vendor/lib.js b/vendor/lib.js
index 9999999..aaaaaaa 100644
--- a/vendor/lib.js
+++ b/vendor/lib.js
@@ -1 +1 @@
-var a = "dark-mode";
+var a = "dark-mode!";
diff --git a/test/__snapshots__/cart.test.ts.snap b/test/__snapshots__/cart.test.ts.snap
index bbbbbbb..ccccccc 100644
--- a/test/__snapshots__/cart.test.ts.snap
+++ b/test/__snapshots__/cart.test.ts.snap
@@ -3 +3 @@
-exports[\`cart 1\`] = \`"onboarding-flow"\`;
+exports[\`cart 1\`] = \`"onboarding-flow-v2"\`;
`;

describe("matchDiff on a realistic multi-file pull request", () => {
  it("finds exact references, unknown keys and per-flag status", () => {
    const result = matchDiff(changedLinesFromDiff(PR_DIFF), matcher, { ignorePaths: ["vendor/**", "**/*.snap"] });
    expect(result.references.map((r) => [r.file, r.line, r.side, r.flagKey, r.kind, r.inSdkCall])).toEqual([
      ["app/feature_flags.py", 4, "removed", "beta_banner", "sdk-call", true],
      ["docs/flags.md", 3, "added", "new-checkout", "property", false],
      ["internal/flags/legacy.go", 3, "removed", "old-cart", "string", false],
      ["src/checkout/Checkout.tsx", 11, "added", "new-checkout", "sdk-call", true],
      ["src/checkout/Checkout.tsx", 11, "removed", "old-cart", "sdk-call", true],
      ["src/checkout/Checkout.tsx", 12, "added", "pricing_v2", "sdk-call", true],
    ]);
    expect(result.references[3]!.text).toBe("const enabled = useFeatureFlagEnabled('new-checkout')");
    expect(result.unknownKeys).toEqual([
      { key: "beta-baner", file: "app/feature_flags.py", line: 4, side: "added", suggestion: "beta_banner" },
    ]);
    expect(result.flags).toEqual([
      { flagKey: "beta_banner", status: "removed", added: 0, removed: 1 },
      { flagKey: "new-checkout", status: "added-or-modified", added: 2, removed: 0 },
      { flagKey: "old-cart", status: "removed", added: 0, removed: 2 },
      { flagKey: "pricing_v2", status: "added-or-modified", added: 1, removed: 0 },
    ]);
  });

  it("includes ignored paths when no ignorePaths are given", () => {
    const result = matchDiff(changedLinesFromDiff(PR_DIFF), matcher);
    const vendor = result.references.filter((r) => r.file === "vendor/lib.js" || r.file.endsWith(".snap"));
    expect(vendor.map((r) => [r.file, r.line, r.side, r.flagKey, r.kind])).toEqual([
      ["test/__snapshots__/cart.test.ts.snap", 3, "removed", "onboarding-flow", "string"],
      ["vendor/lib.js", 1, "added", "dark-mode", "identifier"],
      ["vendor/lib.js", 1, "removed", "dark-mode", "string"],
    ]);
    expect(result.flags.find((f) => f.flagKey === "dark-mode")).toEqual({
      flagKey: "dark-mode",
      status: "added-or-modified",
      added: 1,
      removed: 1,
    });
    expect(result.flags.find((f) => f.flagKey === "onboarding-flow")?.status).toBe("removed");
  });
});

describe("matchDiff rules", () => {
  const line = (file: string, n: number, side: "added" | "removed", text: string): ChangedLine => ({ file, line: n, side, text });

  it("a key on both sides (moved code) is added-or-modified; only on removed lines it is removed", () => {
    const result = matchDiff(
      [
        line("a.ts", 3, "removed", "if (posthog.isFeatureEnabled('dark-mode')) {"),
        line("b.ts", 9, "added", "if (posthog.isFeatureEnabled('dark-mode')) {"),
        line("a.ts", 7, "removed", "track('pricing_v2')"),
      ],
      matcher,
    );
    expect(result.flags).toEqual([
      { flagKey: "dark-mode", status: "added-or-modified", added: 1, removed: 1 },
      { flagKey: "pricing_v2", status: "removed", added: 0, removed: 1 },
    ]);
    expect(result.references.map((r) => `${r.file}:${r.line}`)).toEqual(["a.ts:3", "a.ts:7", "b.ts:9"]);
  });

  it("applies several glob patterns and reports unknown keys only outside ignored paths", () => {
    const lines = [
      line("vendor/x/y.js", 1, "added", "posthog.isFeatureEnabled('dark-mod')"),
      line("src/x.min.js", 1, "added", "posthog.isFeatureEnabled('dark-mod')"),
      line("src/app.ts", 2, "added", "posthog.isFeatureEnabled('dark-mod')"),
    ];
    const result = matchDiff(lines, matcher, { ignorePaths: ["vendor/**", "**/*.min.js"] });
    expect(result.unknownKeys).toEqual([{ key: "dark-mod", file: "src/app.ts", line: 2, side: "added", suggestion: "dark-mode" }]);
    expect(result.references).toEqual([]);
    expect(result.flags).toEqual([]);
  });

  it("works on lines from changedLinesFromPatches", () => {
    const lines = changedLinesFromPatches([
      { filename: "web/a.ts", patch: "@@ -4,1 +4,1 @@\n-useFeatureFlagEnabled('old-cart')\n+useFeatureFlagEnabled('new-checkout')" },
    ]);
    expect(matchDiff(lines, matcher).references.map((r) => [r.line, r.side, r.flagKey])).toEqual([
      [4, "added", "new-checkout"],
      [4, "removed", "old-cart"],
    ]);
  });

  it("rejects malformed input with MatchInputError", () => {
    expect(() => matchDiff("x" as unknown as ChangedLine[], matcher)).toThrow(MatchInputError);
    expect(() => matchDiff([{ file: "a", line: 1, side: "changed", text: "" } as unknown as ChangedLine], matcher)).toThrow(
      /malformed changed line/,
    );
    expect(() => matchDiff([], matcher, { ignorePaths: [""] })).toThrow(/non-empty glob/);
    expect(() => matchDiff([], matcher, { ignorePaths: "vendor/**" as unknown as string[] })).toThrow(MatchInputError);
  });
});
