/**
 * Issue 10, part 1: the second-generation matcher. Table tests per language for SDK calls across lines,
 * non-key slots, constants (same file, another file of the PR, the repository index), the comment kind,
 * template literals and remote-config calls. Shapes follow flag-references.md §4 (PostHog SDK sources).
 */
import { describe, expect, it } from "vitest";
import {
  buildReferenceIndex,
  changedLinesFromDiff,
  createFlagMatcher,
  keySetFingerprint,
  matchDiff,
  scanText,
  templateParts,
  type DiffMatches,
} from "../../src/matching/index.js";

const KEYS = [
  "new-checkout",
  "pricing_v2",
  "billing",
  "integrations-v2",
  "spotlight-search",
  "spotlight-home",
  "web-beta-banner",
  "beta-banner",
];
const matcher = createFlagMatcher(KEYS);

/**
 * A one-hunk diff of `file`: lines start with " " (context), "+" (added) or "-" (removed); the hunk starts
 * at line `start` on both sides.
 */
function diffOf(file: string, body: string[], start = 10, section = ""): string {
  const oldCount = body.filter((l) => !l.startsWith("+")).length;
  const newCount = body.filter((l) => !l.startsWith("-")).length;
  return [
    `diff --git a/${file} b/${file}`,
    "index 1111111..2222222 100644",
    `--- a/${file}`,
    `+++ b/${file}`,
    `@@ -${start},${oldCount} +${start},${newCount} @@${section ? " " + section : ""}`,
    ...body,
    "",
  ].join("\n");
}

type Row = [file: string, line: number, side: string, key: string, kind: string];
const rows = (m: DiffMatches): Row[] => m.references.map((r) => [r.file, r.line, r.side, r.flagKey, r.kind]);

describe("SDK calls across lines, every language of flag-references.md §4", () => {
  const cases: [name: string, file: string, body: string[], expected: Row[]][] = [
    ["posthog-js", "web/a.ts", ["+if (posthog.isFeatureEnabled(", "+  'new-checkout',", "+)) {"], [["web/a.ts", 11, "added", "new-checkout", "sdk-call"]]],
    ["React hook", "web/a.tsx", ["+const on = useFeatureFlagEnabled(", '+  "new-checkout"', "+)"], [["web/a.tsx", 11, "added", "new-checkout", "sdk-call"]]],
    [
      "Python keyword arguments (distinct_id is a non-key slot)",
      "api/a.py",
      ["+if posthog.feature_enabled(", '+    key="new-checkout",', '+    distinct_id="pricing_v2",', "+):"],
      [["api/a.py", 11, "added", "new-checkout", "sdk-call"]],
    ],
    [
      "Go struct (DistinctId is a non-key slot)",
      "svc/a.go",
      ["+enabled, _ := client.IsFeatureEnabled(posthog.FeatureFlagPayload{", '+\tKey:        "new-checkout",', '+\tDistinctId: "pricing_v2",', "+})"],
      [["svc/a.go", 11, "added", "new-checkout", "sdk-call"]],
    ],
    ["Ruby", "app/a.rb", ["+if posthog.is_feature_enabled(", "+  'new-checkout',", "+  user.id", "+)"], [["app/a.rb", 11, "added", "new-checkout", "sdk-call"]]],
    ["PHP", "src/A.php", ["+if (PostHog::isFeatureEnabled(", "+    'new-checkout',", "+    $distinctId", "+)) {"], [["src/A.php", 11, "added", "new-checkout", "sdk-call"]]],
    [
      "JVM server (key second)",
      "srv/A.java",
      ["+if (posthog.isFeatureEnabled(", "+        distinctId,", '+        "new-checkout")) {'],
      [["srv/A.java", 12, "added", "new-checkout", "sdk-call"]],
    ],
    [".NET", "Web/A.cs", ["+if (await posthog.IsFeatureEnabledAsync(", '+    "new-checkout",', "+    userId))"], [["Web/A.cs", 11, "added", "new-checkout", "sdk-call"]]],
    ["Elixir", "lib/a.ex", ["+PostHog.FeatureFlags.check(", '+  "new-checkout",', "+  user_id", "+)"], [["lib/a.ex", 11, "added", "new-checkout", "sdk-call"]]],
    ["Kotlin (Android)", "app/A.kt", ["+if (PostHog.isFeatureEnabled(", '+        "new-checkout"', "+)) {"], [["app/A.kt", 11, "added", "new-checkout", "sdk-call"]]],
    ["Swift", "ios/A.swift", ["+if PostHogSDK.shared.isFeatureEnabled(", '+    "new-checkout"', "+) {"], [["ios/A.swift", 11, "added", "new-checkout", "sdk-call"]]],
    ["Flutter", "lib/a.dart", ["+if (await Posthog().isFeatureEnabled(", "+    'new-checkout')) {"], [["lib/a.dart", 11, "added", "new-checkout", "sdk-call"]]],
    [
      "Node flagKeys array across lines",
      "srv/a.ts",
      ["+const flags = await client.evaluateFlags(id, {", "+  flagKeys: [", "+    'new-checkout',", "+    'pricing_v2',", "+  ],", "+})"],
      [
        ["srv/a.ts", 12, "added", "new-checkout", "sdk-call"],
        ["srv/a.ts", 13, "added", "pricing_v2", "sdk-call"],
      ],
    ],
    [
      "a call that starts on a context line and continues on an added line",
      "api/b.py",
      ["     if posthog.feature_enabled(", '-        "pricing_v2",', '+        "new-checkout",', "         user_id,", "     ):"],
      [
        ["api/b.py", 11, "added", "new-checkout", "sdk-call"],
        ["api/b.py", 11, "removed", "pricing_v2", "sdk-call"],
      ],
    ],
    [
      "word-like key on its own line in a multi-line call",
      "api/c.py",
      ["+if posthoganalytics.feature_enabled(", '+    "billing",', "+    str(team.uuid),", "+):"],
      [["api/c.py", 11, "added", "billing", "sdk-call"]],
    ],
  ];
  for (const [name, file, body, expected] of cases) {
    it(name, () => {
      expect(rows(matchDiff(changedLinesFromDiff(diffOf(file, body)), matcher))).toEqual(expected);
    });
  }

  it("reports a typo on the key's own line of a multi-line call, with a suggestion", () => {
    const m = matchDiff(changedLinesFromDiff(diffOf("api/d.py", ["+if posthog.feature_enabled(", '+    "new-chekout",', "+    user_id):"])), matcher);
    expect(m.references).toEqual([]);
    expect(m.unknownKeys).toEqual([{ key: "new-chekout", file: "api/d.py", line: 11, side: "added", suggestion: "new-checkout" }]);
  });

  it("follows a multi-line call in a whole file too (scanText)", () => {
    const text = ["import posthog", "", "if posthog.get_feature_flag(", "    'new-checkout',", "    distinct_id='pricing_v2',", "):", "    pass"].join("\n");
    expect(scanText(text, "a.py", matcher).map((r) => [r.line, r.flagKey, r.kind])).toEqual([[4, "new-checkout", "sdk-call"]]);
  });

  it("stops at the call's closing bracket: a string after the call is an ordinary reference", () => {
    const m = matchDiff(
      changedLinesFromDiff(diffOf("web/e.ts", ["+if (posthog.isFeatureEnabled('new-checkout')) {", "+  render('beta-banner')", "+}"])),
      matcher,
    );
    expect(rows(m)).toEqual([
      ["web/e.ts", 10, "added", "new-checkout", "sdk-call"],
      ["web/e.ts", 11, "added", "beta-banner", "string"],
    ]);
  });
});

describe("remote-config payload calls", () => {
  const cases: [file: string, line: string][] = [
    ["srv/a.ts", "const payload = await client.getRemoteConfigPayload('new-checkout')"],
    ["svc/a.go", 'payload, err := client.GetRemoteConfigPayload("new-checkout")'],
    ["Web/A.cs", 'var payload = await posthog.GetRemoteConfigPayloadAsync("new-checkout");'],
    ["api/a.py", 'payload = posthog.get_remote_config_payload("new-checkout")'],
  ];
  for (const [file, line] of cases) {
    it(`${file}: ${line}`, () => {
      expect(matcher.scanLineDetailed(line, file).references).toEqual([{ key: "new-checkout", kind: "sdk-call", inSdkCall: true }]);
      const typo = matcher.scanLineDetailed(line.replace("new-checkout", "new-chekout"), file);
      expect(typo.unknownKeys).toEqual([{ key: "new-chekout", suggestion: "new-checkout" }]);
    });
  }
});

describe("non-key slots never count as flag references", () => {
  const cases: [name: string, file: string, line: string][] = [
    ["capture's event name", "web/a.ts", "posthog.capture('new-checkout')"],
    ["capture's event after the distinct id", "api/a.py", "posthog.capture(distinct_id, 'new-checkout')"],
    ["Python distinct_id", "api/a.py", 'posthog.feature_enabled("pricing_v2", distinct_id="new-checkout")'],
    ["Go DistinctId", "svc/a.go", 'posthog.FeatureFlagPayload{Key: "pricing_v2", DistinctId: "new-checkout"}'],
    ["event slot", "web/a.ts", "track({ event: 'new-checkout' })"],
    ["match variant", "api/a.py", 'flag_filter(match="new-checkout")'],
  ];
  for (const [name, file, line] of cases) {
    it(name, () => {
      const m = matchDiff(changedLinesFromDiff(diffOf(file, ["+" + line])), matcher);
      expect(m.references.filter((r) => r.flagKey === "new-checkout")).toEqual([]);
    });
  }
});

describe("constants, enums and maps resolved to keys", () => {
  it("within the same file (a context line defines it)", () => {
    const m = matchDiff(
      changedLinesFromDiff(diffOf("web/a.tsx", [' const CHECKOUT_FLAG = "new-checkout"', " ", "+const on = useFeatureFlagEnabled(CHECKOUT_FLAG)"])),
      matcher,
    );
    const ref = m.references.find((r) => r.line === 12)!;
    expect(ref).toMatchObject({ flagKey: "new-checkout", kind: "sdk-call", inSdkCall: true });
    expect(ref.via).toEqual({ expression: "CHECKOUT_FLAG", definedIn: "same-file", file: "web/a.tsx", line: 10 });
    expect(m.flags).toEqual([{ flagKey: "new-checkout", status: "added-or-modified", added: 1, removed: 0 }]);
  });

  const acrossFiles: [name: string, defFile: string, defBody: string[], useFile: string, use: string, via: string][] = [
    ["a JS map in another file of the PR", "web/flags.ts", ["+export const FLAGS = {", '+  NEW_CHECKOUT: "new-checkout",', "+}"], "web/a.tsx", "const on = useFeatureFlagEnabled(FLAGS.NEW_CHECKOUT)", "FLAGS.NEW_CHECKOUT"],
    ["a TypeScript enum", "web/flags.ts", ["+export enum Flags {", '+  NewCheckout = "new-checkout",', "+}"], "web/a.ts", "if (posthog.isFeatureEnabled(Flags.NewCheckout)) {", "Flags.NewCheckout"],
    ["a Python Enum class", "api/flags.py", ["+class FeatureFlag(str, Enum):", '+    NEW_CHECKOUT = "new-checkout"'], "api/a.py", "if posthoganalytics.feature_enabled(FeatureFlag.NEW_CHECKOUT, distinct_id):", "FeatureFlag.NEW_CHECKOUT"],
    ["a Python module constant", "api/flags.py", ['+NEW_CHECKOUT_FLAG = "new-checkout"'], "api/a.py", "if posthog.feature_enabled(flags.NEW_CHECKOUT_FLAG, uid):", "flags.NEW_CHECKOUT_FLAG"],
    ["a Go constant in a struct key", "svc/flags.go", ['+const CheckoutFlag = "new-checkout"'], "svc/a.go", "ok, _ := client.IsFeatureEnabled(posthog.FeatureFlagPayload{Key: CheckoutFlag, DistinctId: id})", "CheckoutFlag"],
    ["a Ruby constant", "app/flags.rb", ["+module Flags", "+  NEW_CHECKOUT = 'new-checkout'.freeze", "+end"], "app/a.rb", "posthog.is_feature_enabled(Flags::NEW_CHECKOUT, user.id)", "Flags::NEW_CHECKOUT"],
    ["a C# constant", "Web/Flags.cs", ["+public static class Flags {", '+    public const string NewCheckout = "new-checkout";', "+}"], "Web/A.cs", "if (await posthog.IsFeatureEnabledAsync(Flags.NewCheckout, userId))", "Flags.NewCheckout"],
    ["a Kotlin object", "app/Flags.kt", ["+object Flags {", '+    const val NEW_CHECKOUT = "new-checkout"', "+}"], "app/A.kt", "PostHog.isFeatureEnabled(Flags.NEW_CHECKOUT)", "Flags.NEW_CHECKOUT"],
  ];
  for (const [name, defFile, defBody, useFile, use, via] of acrossFiles) {
    it(`across the PR's files: ${name}`, () => {
      const lines = changedLinesFromDiff(diffOf(defFile, defBody, 1) + diffOf(useFile, ["+" + use], 20));
      const ref = matchDiff(lines, matcher).references.find((r) => r.file === useFile)!;
      expect(ref).toMatchObject({ flagKey: "new-checkout", line: 20, kind: "sdk-call", inSdkCall: true });
      expect(ref.via).toMatchObject({ expression: via, definedIn: "pr", file: defFile });
    });
  }

  it("through the repository index when the constant is defined outside the diff", () => {
    const index = buildReferenceIndex(
      [
        { file: "web/src/lib/flags.ts", text: "// flags\nexport const INTEGRATION_FLAG = 'integrations-v2'\nexport const OTHER = 'not-a-flag'\n" },
        { file: "web/src/other.ts", text: "const nothing = 1\n" },
      ],
      matcher,
    );
    expect(index.filesIndexed).toBe(2);
    expect(index.definitions.size).toBe(1); // only definitions of known keys are kept
    expect(index.keySet).toBe(keySetFingerprint(KEYS));
    const lines = changedLinesFromDiff(diffOf("web/src/Settings.tsx", ["-  const on = useFeatureFlagEnabled('integrations')", "+  const on = useFeatureFlagEnabled(INTEGRATION_FLAG)"]));
    const unresolved: string[] = [];
    expect(matchDiff(lines, matcher, { onUnresolved: (e) => unresolved.push(e) }).references).toEqual([]);
    expect([...new Set(unresolved)]).toEqual(["INTEGRATION_FLAG"]);
    const ref = matchDiff(lines, matcher, { repositoryIndex: index }).references[0]!;
    expect(ref).toMatchObject({ flagKey: "integrations-v2", line: 10, side: "added", kind: "sdk-call" });
    expect(ref.via).toEqual({ expression: "INTEGRATION_FLAG", definedIn: "repository", file: "web/src/lib/flags.ts", line: 2 });
  });

  it("a qualified use outside a call is a 'constant' reference; a definition line is not a use", () => {
    const m = matchDiff(
      changedLinesFromDiff(diffOf("web/a.ts", ["+export const FLAGS = { NEW_CHECKOUT: 'new-checkout' }", "+if (enabled[FLAGS.NEW_CHECKOUT]) show()"])),
      matcher,
    );
    expect(rows(m)).toEqual([
      ["web/a.ts", 10, "added", "new-checkout", "string"],
      ["web/a.ts", 11, "added", "new-checkout", "constant"],
    ]);
  });

  it("generic lowercase names do not bind across files; the same file still resolves them", () => {
    const other = diffOf("web/keys.ts", ['+const key = "new-checkout"'], 1) + diffOf("web/a.ts", ["+useFeatureFlagEnabled(key)"], 5);
    expect(matchDiff(changedLinesFromDiff(other), matcher).references.filter((r) => r.file === "web/a.ts")).toEqual([]);
    const same = diffOf("web/a.ts", ['+const section = "billing"', "+useFeatureFlagEnabled(section)"]);
    expect(rows(matchDiff(changedLinesFromDiff(same), matcher))).toEqual([["web/a.ts", 11, "added", "billing", "sdk-call"]]);
  });

  it("a word-like key behind a flag-named constant in another file", () => {
    const d = diffOf("web/flags.ts", ['+export const BILLING_FLAG = "billing"'], 1) + diffOf("web/a.tsx", ["+const on = useFeatureFlagEnabled(BILLING_FLAG)"], 7);
    expect(rows(matchDiff(changedLinesFromDiff(d), matcher))).toEqual([
      ["web/a.tsx", 7, "added", "billing", "sdk-call"],
      ["web/flags.ts", 1, "added", "billing", "string"],
    ]);
  });

  it("a constant holding a typo of a known key is an unknown key at the call", () => {
    const d = diffOf("web/a.ts", ['+const FLAG = "new-chekout"', "+posthog.isFeatureEnabled(FLAG)"]);
    expect(matchDiff(changedLinesFromDiff(d), matcher).unknownKeys).toEqual([
      { key: "new-chekout", file: "web/a.ts", line: 11, side: "added", suggestion: "new-checkout" },
    ]);
  });
});

describe("comments and docstrings get their own kind", () => {
  const cases: [name: string, file: string, line: string][] = [
    ["commented-out JS call", "web/a.ts", "// if (posthog.isFeatureEnabled('new-checkout')) {"],
    ["Python comment", "api/a.py", '# posthog.feature_enabled("new-checkout", uid)'],
    ["JSDoc line", "web/a.ts", " * Shown while new-checkout rolls out."],
    ["trailing comment", "web/a.ts", "render(); // new-checkout cleanup later"],
    ["block comment", "web/a.ts", "/* posthog.getFeatureFlag('new-checkout') */"],
  ];
  for (const [name, file, line] of cases) {
    it(name, () => {
      const m = matchDiff(changedLinesFromDiff(diffOf(file, ["+" + line])), matcher);
      expect(m.references.map((r) => [r.flagKey, r.kind, r.inSdkCall])).toEqual([["new-checkout", "comment", false]]);
      expect(m.flags).toEqual([]); // not counted as a reference of the flag
    });
  }

  it("a commented-out call raises no unknown key", () => {
    for (const line of ["// posthog.isFeatureEnabled('new-chekout')", "# posthog.feature_enabled('new-chekout', uid)"]) {
      const file = line.startsWith("#") ? "a.py" : "a.ts";
      expect(matchDiff(changedLinesFromDiff(diffOf(file, ["+" + line])), matcher).unknownKeys).toEqual([]);
    }
  });

  it("code before a trailing comment is still code", () => {
    const m = matchDiff(changedLinesFromDiff(diffOf("a.ts", ["+posthog.isFeatureEnabled('new-checkout') // new-checkout"])), matcher);
    expect(m.references.map((r) => [r.flagKey, r.kind])).toEqual([["new-checkout", "sdk-call"]]);
  });
});

describe("template literals with a fixed prefix or suffix", () => {
  const cases: [name: string, file: string, line: string, keys: string[]][] = [
    ["JS template prefix", "web/a.ts", "posthog.isFeatureEnabled(`spotlight-${name}`)", ["spotlight-home", "spotlight-search"]],
    ["Python f-string", "api/a.py", 'posthog.feature_enabled(f"spotlight-{name}", uid)', ["spotlight-home", "spotlight-search"]],
    ["Ruby interpolation", "app/a.rb", 'posthog.is_feature_enabled("spotlight-#{name}", uid)', ["spotlight-home", "spotlight-search"]],
    ["concatenation in a team wrapper", "web/a.ts", 'useFlag("spotlight-" + name)', ["spotlight-home", "spotlight-search"]],
    ["suffix", "web/a.ts", "useFeatureFlagEnabled(`${site}-beta-banner`)", ["web-beta-banner"]],
  ];
  for (const [name, file, line, keys] of cases) {
    it(name, () => {
      const m = matchDiff(changedLinesFromDiff(diffOf(file, ["+" + line])), matcher);
      expect(m.references.map((r) => [r.flagKey, r.kind])).toEqual(keys.map((k) => [k, "dynamic"]));
      expect(m.references[0]!.via?.definedIn).toBe("template");
      expect(m.unknownKeys).toEqual([]);
      expect(m.flags).toEqual([]);
    });
  }

  it("needs at least 3 fixed characters, and a template outside a key position is ignored", () => {
    expect(templateParts("`${a}-${b}`")).toBeNull();
    expect(templateParts("`spotlight-${name}`")).toEqual({ prefix: "spotlight-", suffix: "" });
    expect(matchDiff(changedLinesFromDiff(diffOf("a.ts", ["+console.log(`spotlight-${name}`)"])), matcher).references).toEqual([]);
  });
});
