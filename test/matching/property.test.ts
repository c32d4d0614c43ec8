import { describe, expect, it } from "vitest";
import { createFlagMatcher } from "../../src/matching/index.js";
import { mulberry32 as rng } from "../support/random.js";


const KEY_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-";
/** Filler words are upper-case only; every generated key holds a lower-case letter, so no filler word is a key. */
const FILLER_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const SEPARATORS = [" ", "  ", ", ", "; ", " = ", " + ", "(", ")", "\t", " . ", " { ", " } "];

/** Ways a key is written so that it must be found (`k` is the key). */
const FORMS: ((k: string) => string)[] = [
  (k) => `"${k}"`,
  (k) => `'${k}'`,
  (k) => `\`${k}\``,
  (k) => `"$feature/${k}"`,
  (k) => `'$feature_interaction/${k}'`,
  (k) => ` ${k} `,
  (k) => `{ ${k}: true }`,
  (k) => `[${k}]`,
  (k) => `(${k})`,
  (k) => ` :${k} `,
  (k) => `obj.${k}.x`,
  (k) => ` posthog.isFeatureEnabled('${k}') `,
  (k) => ` useFeatureFlagEnabled("${k}") `,
  (k) => ` flags.enabled?('${k}') `,
];

/** Ways a key is glued to other token characters so that it must NOT be found. */
const GLUED: ((k: string) => string)[] = [
  (k) => ` x${k} `,
  (k) => ` ${k}-y `,
  (k) => ` -${k} `,
  (k) => ` $${k} `,
  (k) => ` "a/${k}/b" `,
  (k) => ` ${k}_Z `,
];

function randomKey(rand: () => number): string {
  const len = 3 + Math.floor(rand() * 28);
  let k = "abcdefghijklmnopqrstuvwxyz"[Math.floor(rand() * 26)]!;
  while (k.length < len) k += KEY_CHARS[Math.floor(rand() * KEY_CHARS.length)]!;
  return k;
}

function filler(rand: () => number): string {
  let w = "";
  const len = 1 + Math.floor(rand() * 8);
  while (w.length < len) w += FILLER_CHARS[Math.floor(rand() * FILLER_CHARS.length)]!;
  return w;
}

describe("random keys in random text", () => {
  const rand = rng(12345);
  // Word-like keys (letters only) count only in key positions: they have their own tests (word-keys.test.ts).
  const keys = [...new Set(Array.from({ length: 2000 }, () => randomKey(rand)))].filter((k) => !/^[A-Za-z]+$/.test(k));
  const matcher = createFlagMatcher(keys);

  it("finds every inserted key, and nothing else, on 2,000 random lines", () => {
    for (let n = 0; n < 2000; n++) {
      const inserted = new Set<string>();
      const parts: string[] = [];
      const words = 2 + Math.floor(rand() * 12);
      for (let w = 0; w < words; w++) {
        parts.push(filler(rand), SEPARATORS[Math.floor(rand() * SEPARATORS.length)]!);
        if (rand() < 0.35) {
          const key = keys[Math.floor(rand() * keys.length)]!;
          inserted.add(key);
          parts.push(FORMS[Math.floor(rand() * FORMS.length)]!(key), SEPARATORS[Math.floor(rand() * SEPARATORS.length)]!);
        }
      }
      const line = parts.join("");
      const found = matcher.scanLine(line).map((r) => r.key);
      expect(new Set(found), line).toEqual(inserted);
      expect(found.length, line).toBe(inserted.size); // one reference per key and line
    }
  });

  it("finds no key glued to other token characters or inside a path", () => {
    for (let n = 0; n < 1000; n++) {
      const key = keys[Math.floor(rand() * keys.length)]!;
      const line = filler(rand) + GLUED[n % GLUED.length]!(key) + filler(rand);
      const found = matcher.scanLine(line).map((r) => r.key);
      // A glued form may by chance spell another known key (e.g. `x` + key); it must never be `key` itself.
      expect(found, line).not.toContain(key);
    }
  });
});

describe("candidateLines (the fast first pass) never drops a line the per-line scan reports", () => {
  it("holds for random texts, one- and two-character keys included", () => {
    const rand = rng(1010);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const randomKey = (): string => {
      const len = 1 + Math.floor(rand() * 12);
      let k = "";
      for (let i = 0; i < len; i++) k += pick([...KEY_CHARS]);
      return k;
    };
    for (let round = 0; round < 40; round++) {
      const keys = Array.from({ length: 20 }, randomKey);
      const matcher = createFlagMatcher(keys);
      const lines: string[] = [];
      for (let l = 0; l < 60; l++) {
        let line = "";
        for (let w = 0; w < 6; w++) line += pick(SEPARATORS) + (rand() < 0.3 ? pick(FORMS)(pick(keys)) : pick([...FILLER_CHARS]).repeat(1 + Math.floor(rand() * 4)));
        lines.push(line);
      }
      const reported = lines.flatMap((line, i) => (matcher.scanLine(line).length > 0 ? [i] : []));
      const candidates = new Set(matcher.candidateLines(lines.join("\n")));
      expect(reported.filter((i) => !candidates.has(i))).toEqual([]);
      expect(reported.length).toBeGreaterThan(0);
    }
  });
});
