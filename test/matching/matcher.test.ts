import { describe, expect, it } from "vitest";
import { createFlagMatcher, MatchInputError, scanText, snippet } from "../../src/matching/index.js";

const matcher = createFlagMatcher(["new-checkout", "pricing_v2", "dark-mode", "beta_banner", "ab", "404", "checkout"]);
const keysOn = (line: string) => matcher.scanLine(line).map((r) => `${r.key}:${r.kind}`);

describe("references outside SDK calls", () => {
  it.each([
    ['track("new-checkout")', ["new-checkout:string"]],
    ["track('new-checkout')", ["new-checkout:string"]],
    ["track(`new-checkout`)", ["new-checkout:string"]],
    ['FLAG = f"pricing_v2"', ["pricing_v2:string"]],
    ['flags["dark-mode"] = true', ["dark-mode:string"]],
    ["const flags = { pricing_v2: true }", ["pricing_v2:identifier"]],
    ["pricing_v2 = True", ["pricing_v2:identifier"]],
    ["if (flags.pricing_v2) {", ["pricing_v2:identifier"]],
    ["new-checkout: true   # YAML", ["new-checkout:identifier"]],
    ["when :pricing_v2 then render", ["pricing_v2:identifier"]],
    ["opts = [pricing_v2: true, beta_banner: false]", ["pricing_v2:identifier", "beta_banner:identifier"]],
    ["// TODO remove new-checkout after the launch", ["new-checkout:identifier"]],
    ["//new-checkout is ramped to 50 %", ["new-checkout:identifier"]],
    ['posthog.capture("purchase", { "$feature/new-checkout": "test" })', ["new-checkout:property"]],
    ["props['$feature_interaction/dark-mode'] = true", ["dark-mode:property"]],
    ['const view = "$feature_view/pricing_v2"', ["pricing_v2:property"]],
    ['$set: { "$feature_enrollment/beta_banner": true }', ["beta_banner:property"]],
    ["const key = `$feature/${flag}` // new-checkout", ["new-checkout:identifier"]],
  ])("%s", (line, expected) => {
    expect(keysOn(line)).toEqual(expected);
  });
});

describe("non-references", () => {
  it.each([
    ["inside a longer kebab token", "const cls = 'my-new-checkout-v2'"],
    ["as a prefix of a kebab token", "render(new-checkout-v2)"],
    ["as a CLI option", "run --new-checkout"],
    ["as a $-prefixed variable", "$pricing_v2 = 1;"],
    ["as a prefix of an identifier", "const pricing_v2x = 1"],
    ["as a URL path segment", 'fetch("/api/new-checkout/items")'],
    ["as the last URL path segment", "see https://example.com/new-checkout"],
    ["as a URL host", "const api = 'https://new-checkout.example.com'"],
    ["in an import path", 'import Page from "./pages/new-checkout"'],
    ["with different case", "const NEW_CHECKOUT = 1; New-Checkout"],
    ["without separator", "const newcheckout = 1"],
    ["a short key outside an SDK call", 'const ab = "ab"'],
    ["an all-digit key as a bare number", "if (status === 404) {"],
  ])("%s", (_name, line) => {
    expect(matcher.scanLine(line)).toEqual([]);
  });

  it("still finds an all-digit key as a whole string literal, and a short key in $feature/", () => {
    expect(keysOn('const flag = "404"')).toEqual(["404:string"]);
    expect(keysOn('props["$feature/ab"] = "test"')).toEqual(["ab:property"]);
  });
});

describe("one reference per key and line", () => {
  it("keeps the strongest kind (sdk-call > property > string > identifier)", () => {
    expect(matcher.scanLine("if (posthog.isFeatureEnabled('new-checkout')) track('new-checkout', new-checkout)")).toEqual([
      { key: "new-checkout", kind: "sdk-call", inSdkCall: true },
    ]);
    expect(keysOn('// new-checkout: "$feature/new-checkout"')).toEqual(["new-checkout:property"]);
  });

  it("lists several keys in order of first appearance", () => {
    expect(keysOn("flags = { dark_mode: 1, 'pricing_v2': 2, 'dark-mode': 3, checkout: 4 }")).toEqual([
      "pricing_v2:string",
      "dark-mode:string",
      "checkout:identifier",
    ]);
  });
});

describe("createFlagMatcher", () => {
  it("counts distinct valid keys and reports keys outside PostHog's charset", () => {
    const m = createFlagMatcher(["a-b-c", "a-b-c", "has space", "", "ok_key"]);
    expect(m.keyCount).toBe(2);
    expect(m.skippedKeys).toEqual(["has space", ""]);
    expect(m.has("ok_key")).toBe(true);
    expect(m.has("has space")).toBe(false);
  });

  it("throws a typed error on bad input", () => {
    expect(() => createFlagMatcher(null as unknown as string[])).toThrow(MatchInputError);
    expect(() => createFlagMatcher([1 as unknown as string])).toThrow(/must be a string/);
    expect(() => matcher.scanLine(undefined as unknown as string)).toThrow(MatchInputError);
  });

  it("works with no keys (every literal SDK key is unknown) and with 5,000 keys", () => {
    const empty = createFlagMatcher([]);
    expect(empty.keyCount).toBe(0);
    expect(empty.scanLineDetailed("posthog.isFeatureEnabled('x-y')")).toEqual({
      references: [],
      unknownKeys: [{ key: "x-y", suggestion: null }],
    });
    const many = Array.from({ length: 5000 }, (_, i) => `flag-${i}-${(i * 7919) % 1000}`);
    const big = createFlagMatcher(many);
    expect(big.keyCount).toBe(5000);
    expect(big.scanLine(`x = "${many[4321]}" + ${many[17]}`).map((r) => r.key)).toEqual([many[4321], many[17]]);
  });
});

describe("snippet", () => {
  it("trims and keeps short lines whole", () => {
    expect(snippet("   const a = 'new-checkout'   ", "new-checkout")).toBe("const a = 'new-checkout'");
  });

  it("cuts long lines to at most 200 characters around the key", () => {
    const line = "x".repeat(5000) + " 'new-checkout' " + "y".repeat(5000);
    const s = snippet(line, "new-checkout");
    expect(s.length).toBeLessThanOrEqual(200);
    expect(s).toContain("'new-checkout'");
    expect(s.startsWith("…")).toBe(true);
    expect(s.endsWith("…")).toBe(true);
  });
});

describe("scanText", () => {
  it("reports references of a whole file with 1-based line numbers", () => {
    const text = [
      "import { posthog } from './posthog'",
      "",
      "export const show = () => posthog.isFeatureEnabled('dark-mode')\r",
      "const routes = ['/new-checkout']",
      "const flags = { pricing_v2: true }",
    ].join("\n");
    expect(scanText(text, "src/a.ts", matcher)).toEqual([
      {
        flagKey: "dark-mode",
        file: "src/a.ts",
        line: 3,
        kind: "sdk-call",
        inSdkCall: true,
        text: "export const show = () => posthog.isFeatureEnabled('dark-mode')",
      },
      { flagKey: "pricing_v2", file: "src/a.ts", line: 5, kind: "identifier", inSdkCall: false, text: "const flags = { pricing_v2: true }" },
    ]);
  });
});
