import { describe, expect, it } from "vitest";
import { changedLinesFromDiff, createFlagMatcher, matchDiff } from "../../src/matching/index.js";
import { detectCodeThreats, type CodeThreatKind } from "../../src/matching/threats.js";
import type { Experiment } from "../../src/model.js";
import { equalSplit, experiment } from "../decision/builders.js";

const KEYS = ["new-checkout", "pricing-test", "old-banner", "other-flag"];
const matcher = createFlagMatcher(KEYS);

/** new-checkout: running, control/test; pricing-test: running, 3 variants; old-banner: ended. */
const EXPERIMENTS: Experiment[] = [
  experiment({ id: 1, name: "New checkout", flagKey: "new-checkout" }),
  experiment({ id: 2, name: "Pricing", flagKey: "pricing-test", variants: equalSplit(["control", "test-a", "test-b"]) }),
  experiment({ id: 3, name: "Old banner", flagKey: "old-banner", status: "stopped", endDate: "2026-10-01T00:00:00Z" }),
];

/** A one-file diff adding (`+`) or removing (`-`) the given lines at line 10. */
function diff(file: string, body: string[]): string {
  const added = body.filter((l) => !l.startsWith("-")).length;
  const removed = body.filter((l) => !l.startsWith("+")).length;
  return [
    `diff --git a/${file} b/${file}`,
    `--- a/${file}`,
    `+++ b/${file}`,
    `@@ -10,${removed} +10,${added} @@`,
    ...body,
    "",
  ].join("\n");
}

function threats(d: string, experiments = EXPERIMENTS, otherReferences?: Map<string, number>) {
  const lines = changedLinesFromDiff(d);
  const matches = matchDiff(lines, matcher);
  return detectCodeThreats({ lines, matches, experiments, ...(otherReferences ? { otherReferences } : {}) });
}
const kinds = (d: string, experiments = EXPERIMENTS) => threats(d, experiments).map((t) => `${t.kind} ${t.flagKey} ${t.file}:${t.line}`);

describe("removes-last-exposure", () => {
  const removal = diff("src/checkout.ts", ["-  if (posthog.isFeatureEnabled('new-checkout')) {", "-    renderNew()", "-  }", " render()"]);

  it("fires at the first removed reference of a running experiment's flag", () => {
    const [t, ...rest] = threats(removal);
    expect(rest).toEqual([]);
    expect(t).toMatchObject({
      kind: "removes-last-exposure",
      severity: "error",
      flagKey: "new-checkout",
      experimentId: 1,
      file: "src/checkout.ts",
      line: 10,
      side: "removed",
    });
    expect(t!.breaks).toMatch(/stalls/);
  });

  it("does not fire when the default branch still references the flag elsewhere", () => {
    expect(threats(removal, EXPERIMENTS, new Map([["new-checkout", 2]]))).toEqual([]);
  });

  it("says 'anywhere on the default branch' when the index knows of no other reference", () => {
    expect(threats(removal, EXPERIMENTS, new Map([["new-checkout", 0]]))[0]!.breaks).toMatch(/anywhere on the default branch/);
  });

  it("does not fire when the flag is still referenced on an added line (a move)", () => {
    const move = diff("src/checkout.ts", ["-  if (posthog.isFeatureEnabled('new-checkout')) {", "+  if (checkoutEnabled('new-checkout')) {"]);
    expect(kinds(move).filter((k) => k.startsWith("removes"))).toEqual([]);
  });

  it("does not fire for a draft experiment's flag", () => {
    expect(threats(removal, [experiment({ id: 1, flagKey: "new-checkout", status: "draft" })])).toEqual([]);
  });
});

describe("archivable-flag", () => {
  it("says the flag can be archived when its only experiment has ended", () => {
    const d = diff("src/banner.tsx", ["-  const show = useFeatureFlagEnabled('old-banner')"]);
    const [t] = threats(d);
    expect(t).toMatchObject({ kind: "archivable-flag", severity: "notice", flagKey: "old-banner", experimentId: 3, line: 10, side: "removed" });
    expect(t!.fix).toMatch(/archive the flag in PostHog/);
  });

  it("does not fire while another experiment on the flag is running", () => {
    const d = diff("src/banner.tsx", ["-  const show = useFeatureFlagEnabled('old-banner')"]);
    const both = [...EXPERIMENTS, experiment({ id: 4, flagKey: "old-banner", name: "Banner v2" })];
    expect(threats(d, both).map((t) => t.kind)).toEqual(["removes-last-exposure"]);
  });

  it("does not fire for a flag without an experiment", () => {
    expect(threats(diff("a.ts", ["-  posthog.isFeatureEnabled('other-flag')"]))).toEqual([]);
  });
});

describe("boolean-check-multivariate", () => {
  const cases: [string, string, string][] = [
    ["posthog-js", "web/pricing.ts", "+  if (posthog.isFeatureEnabled('pricing-test')) {"],
    ["React", "web/Pricing.tsx", "+  const on = useFeatureFlagEnabled(\"pricing-test\")"],
    ["Python", "app/pricing.py", "+    if posthog.feature_enabled(\"pricing-test\", user.id):"],
    ["Ruby", "app/pricing.rb", "+    if posthog.is_feature_enabled('pricing-test', user.id)"],
    [".NET", "Pricing.cs", "+    if (await posthog.IsFeatureEnabledAsync(\"pricing-test\", userId))"],
    ["Go", "pricing.go", "+\tif on, _ := client.IsFeatureEnabled(posthog.FeatureFlagPayload{Key: \"pricing-test\", DistinctId: id}); on {"],
  ];
  it.each(cases)("fires on %s", (_sdk, file, line) => {
    expect(kinds(diff(file, [line]))).toEqual([`boolean-check-multivariate pricing-test ${file}:10`]);
  });

  it("fires when the key is on the line after the call", () => {
    expect(kinds(diff("app/p.py", ["+    on = posthog.feature_enabled(", "+        \"pricing-test\",", "+        user.id)"]))).toEqual([
      "boolean-check-multivariate pricing-test app/p.py:11",
    ]);
  });

  it("does not fire on a two-variant flag, a variant read, or a comment", () => {
    expect(kinds(diff("web/a.ts", ["+  if (posthog.isFeatureEnabled('new-checkout')) {"]))).toEqual([]);
    expect(kinds(diff("web/a.ts", ["+  const v = posthog.getFeatureFlag('pricing-test')"]))).toEqual([]);
    expect(kinds(diff("web/a.ts", ["+  // if (posthog.isFeatureEnabled('pricing-test')) {"]))).toEqual([]);
  });

  it("names the variants and what breaks", () => {
    const [t] = threats(diff("web/a.ts", ["+  if (posthog.isFeatureEnabled('pricing-test')) {"]));
    expect(t!.title).toBe("Boolean check of pricing-test, which has 3 variants (control, test-a, test-b)");
    expect(t!.breaks).toMatch(/2 test variants all run the same code/);
  });
});

describe("unknown-variant", () => {
  it("fires on a variable compared with a typo, suggesting the nearest variant", () => {
    const d = diff("web/Checkout.tsx", [
      "+  const variant = useFeatureFlagVariantKey('new-checkout')",
      "+  if (variant === 'tset') {",
      "+    return <New />",
      "+  }",
    ]);
    const [t, ...rest] = threats(d);
    expect(rest).toEqual([]);
    expect(t).toMatchObject({ kind: "unknown-variant", severity: "error", line: 11, value: "tset", suggestion: "test" });
    expect(t!.title).toBe('"tset" is not a variant of new-checkout (did you mean "test"?)');
  });

  it("fires on a direct comparison of the call, in Python", () => {
    const d = diff("app/c.py", ["+    if posthog.get_feature_flag('new-checkout', uid) == 'tset':"]);
    expect(kinds(d)).toEqual(["unknown-variant new-checkout app/c.py:10"]);
  });

  it("fires on a switch case", () => {
    const d = diff("web/c.ts", [
      "+  const v = posthog.getFeatureFlag('pricing-test')",
      "+  switch (v) {",
      "+    case 'test-a':",
      "+      return 1",
      "+    case \"test-c\":",
      "+      return 2",
      "+  }",
    ]);
    const ts = threats(d);
    expect(ts.map((t) => [t.kind, t.line, t.value, t.suggestion])).toEqual([["unknown-variant", 14, "test-c", "test-a"]]);
  });

  it("gives no suggestion when no variant is close", () => {
    const d = diff("web/c.ts", ["+  const v = posthog.getFeatureFlag('new-checkout')", "+  if (v !== 'purple-elephant') return"]);
    const [t] = threats(d);
    expect(t).toMatchObject({ value: "purple-elephant", suggestion: null });
    expect(t!.fix).toBe("Compare with one of the variant keys: control, test.");
  });

  it("does not fire on valid variants, other variables, or comments", () => {
    const d = diff("web/c.ts", [
      "+  const variant = useFeatureFlagVariantKey('new-checkout')",
      "+  if (variant === 'test') show()",
      "+  if ('control' == variant) hide()",
      "+  if (status === 'tset') retry()",
      "+  // if (variant === 'tset') old()",
    ]);
    expect(kinds(d)).toEqual([]);
  });
});

describe("bulk-accessor-no-exposure", () => {
  it("fires on a Node getAllFlags result indexed by the key", () => {
    const d = diff("server/flags.ts", [
      "+  const flags = await posthog.getAllFlags(user.id)",
      "+  const price = computePrice()",
      "+  if (flags['new-checkout'] === 'test') {",
    ]);
    const [t, ...rest] = threats(d);
    expect(rest).toEqual([]);
    expect(t).toMatchObject({ kind: "bulk-accessor-no-exposure", severity: "warning", line: 12 });
    expect(t!.title).toBe("new-checkout is read through getAllFlags(), which sends no exposure event");
  });

  it("fires on Python get_all_flags with the key on the same line", () => {
    expect(kinds(diff("app/x.py", ["+    on = posthog.get_all_flags(uid).get('new-checkout')"]))).toEqual([
      "bulk-accessor-no-exposure new-checkout app/x.py:10",
    ]);
  });

  it("does not fire on a per-flag call, on a flag without a live experiment, or in a comment", () => {
    expect(kinds(diff("a.ts", ["+  const flags = await posthog.getAllFlags(user.id)", "+  if (flags['other-flag']) {}"]))).toEqual([]);
    expect(kinds(diff("a.ts", ["+  const v = await posthog.getFeatureFlag('new-checkout', id)"]))).toEqual([]);
    expect(kinds(diff("a.ts", ["+  // const flags = posthog.getAllFlags(id); flags['new-checkout']"]))).toEqual([]);
  });
});

describe("identity-change-after-evaluation", () => {
  it("warns on identify() after the evaluation", () => {
    const d = diff("web/login.ts", [
      "+  const variant = posthog.getFeatureFlag('new-checkout')",
      "+  await login(user)",
      "+  posthog.identify(user.id)",
    ]);
    const [t, ...rest] = threats(d);
    expect(rest).toEqual([]);
    expect(t).toMatchObject({ kind: "identity-change-after-evaluation", severity: "warning", line: 12 });
    expect(t!.title).toBe("identify() 2 lines after new-checkout is evaluated (line 10)");
    expect(t!.breaks).toMatch(/\$multiple/);
  });

  it.each(["posthog.reset()", "posthog.alias('x')"])("warns on %s", (call) => {
    expect(threats(diff("a.ts", ["+  if (posthog.isFeatureEnabled('new-checkout')) go()", `+  ${call}`])).map((t) => t.kind)).toEqual([
      "identity-change-after-evaluation",
    ]);
  });

  it("does not fire when identify() comes first, is far away, or is commented out", () => {
    expect(kinds(diff("a.ts", ["+  posthog.identify(user.id)", "+  const v = posthog.getFeatureFlag('new-checkout')"]))).toEqual([]);
    const far = ["+  const v = posthog.getFeatureFlag('new-checkout')", ...Array.from({ length: 40 }, () => "+  work()"), "+  posthog.identify(id)"];
    expect(kinds(diff("a.ts", far))).toEqual([]);
    expect(kinds(diff("a.ts", ["+  const v = posthog.getFeatureFlag('new-checkout')", "+  // posthog.identify(user.id)"]))).toEqual([]);
  });
});

it("reports nothing for an ordinary change to a running experiment", () => {
  const d = diff("web/Checkout.tsx", [
    "+  const variant = useFeatureFlagVariantKey('pricing-test')",
    "+  if (variant === 'test-a') return <A />",
    "+  if (variant === 'test-b') return <B />",
  ]);
  const all: CodeThreatKind[] = threats(d).map((t) => t.kind);
  expect(all).toEqual([]);
});

describe("the comment's threats section", () => {
  it("lists each threat with its linked location, escaped experiment name, what breaks and the fix", async () => {
    const { codeThreatsSection } = await import("../../src/render/code-threats.js");
    const named = [experiment({ id: 1, name: "New *checkout* <b>", flagKey: "new-checkout" })];
    const d = diff("web/c.ts", ["+  const v = posthog.getFeatureFlag('new-checkout')", "+  if (v === 'tset') go()"]);
    const lines = codeThreatsSection(threats(d, named), "https://us.posthog.com", "4242", "https://github.com/acme/shop/pull/7/files");
    expect(lines[0]).toBe("### Validity threats in this change");
    expect(lines[2]).toMatch(/^- ⛔ \*\*"tset" is not a variant of new-checkout \(did you mean "test"\?\)\*\* at \[`web\/c\.ts:11`\]\(https:\/\/github\.com\/acme\/shop\/pull\/7\/files#diff-[0-9a-f]{64}R11\) \(experiment \[New \\\*checkout\\\* &lt;b&gt;\]\(https:\/\/us\.posthog\.com\/project\/4242\/experiments\/1\)\)\. The experiment's variants are control, test: .* \*\*Fix:\*\* Compare with "test"\.$/);
    expect(codeThreatsSection([], "h", "1")).toEqual([]);
  });
});

describe("unknown-variant in <PostHogFeature match>", () => {
  it("fires on a match prop that is no variant, and not on a valid one or match={true}", () => {
    expect(kinds(diff("web/P.tsx", ['+  <PostHogFeature flag="pricing-test" match="test-c">']))).toEqual(["unknown-variant pricing-test web/P.tsx:10"]);
    expect(threats(diff("web/P.tsx", ['+  <PostHogFeature flag="pricing-test" match={"tset-a"}>']))[0]).toMatchObject({ value: "tset-a", suggestion: "test-a" });
    expect(kinds(diff("web/P.tsx", ['+  <PostHogFeature flag="pricing-test" match="test-b">']))).toEqual([]);
    expect(kinds(diff("web/P.tsx", ['+  <PostHogFeature flag="new-checkout" match={true}>']))).toEqual([]);
  });
});
