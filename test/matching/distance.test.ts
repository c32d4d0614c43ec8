import { describe, expect, it } from "vitest";
import { KeySuggester, maxSuggestionDistance, osaDistance } from "../../src/matching/index.js";

describe("osaDistance", () => {
  it.each([
    ["", "", 0],
    ["abc", "", 3],
    ["kitten", "sitting", 3],
    ["new-checkout", "new-chekcout", 1], // adjacent transposition
    ["new-checkout", "new-chckout", 1],
    ["ca", "abc", 3], // OSA (not unrestricted Damerau-Levenshtein, which gives 2)
    ["pricing_v2", "pricing-v2", 1],
  ])("%s vs %s = %d", (a, b, d) => {
    expect(osaDistance(a, b)).toBe(d);
    expect(osaDistance(b, a)).toBe(d);
  });

  it("stops early above the cut-off", () => {
    expect(osaDistance("aaaaaaaaaa", "bbbbbbbbbb", 2)).toBe(3);
    expect(osaDistance("abc", "abcdefgh", 2)).toBe(3);
  });
});

describe("KeySuggester", () => {
  const s = new KeySuggester(["new-checkout", "new-checkout-v2", "dark-mode", "abc", "abd", "pricing_v2"]);

  it("suggests the closest key within the length-dependent cut-off", () => {
    expect(maxSuggestionDistance(2)).toBe(0);
    expect(maxSuggestionDistance(4)).toBe(1);
    expect(maxSuggestionDistance(12)).toBe(2);
    expect(s.suggest("new-chekout")).toBe("new-checkout");
    expect(s.suggest("new-checkout-v3")).toBe("new-checkout-v2");
    expect(s.suggest("darkmode")).toBe("dark-mode");
    expect(s.suggest("abx")).toBe("abc"); // tie abc/abd → lexicographically first
    expect(s.suggest("xyz")).toBeNull();
    expect(s.suggest("completely-different")).toBeNull();
  });

  it("matches up to case and _/- regardless of distance", () => {
    expect(s.suggest("PRICING-V2")).toBe("pricing_v2");
  });
});
