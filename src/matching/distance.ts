/**
 * Edit distance and "did you mean" suggestions for feature flag keys.
 *
 * Used to turn a literal key in a PostHog SDK call that PostHog does not know into a likely-typo report
 * with the closest known feature flag key.
 */

/**
 * Optimal string alignment distance (the restricted Damerau-Levenshtein distance: insertions, deletions,
 * substitutions and transpositions of adjacent characters, each costing 1; no substring edited twice).
 * Damerau, "A technique for computer detection and correction of spelling errors", CACM 7(3), 1964;
 * the OSA recurrence as in Wikipedia "Damerau–Levenshtein distance", section "Optimal string alignment distance".
 *
 * @param a first string (compared by UTF-16 code unit)
 * @param b second string
 * @param max optional cut-off: when the distance is certainly greater than `max`, returns `max + 1` early
 * @returns the distance, an integer ≥ 0 (or `max + 1` when over the cut-off)
 */
export function osaDistance(a: string, b: string, max = Number.POSITIVE_INFINITY): number {
  if (a === b) return 0;
  const la = a.length;
  const lb = b.length;
  if (Math.abs(la - lb) > max) return max + 1;
  if (la === 0) return lb;
  if (lb === 0) return la;
  // Three rolling rows: i-2, i-1, i.
  let prev2 = new Array<number>(lb + 1).fill(0);
  let prev = new Array<number>(lb + 1);
  let cur = new Array<number>(lb + 1);
  for (let j = 0; j <= lb; j++) prev[j] = j;
  for (let i = 1; i <= la; i++) {
    cur[0] = i;
    let rowMin = i;
    const ca = a.charCodeAt(i - 1);
    for (let j = 1; j <= lb; j++) {
      const cb = b.charCodeAt(j - 1);
      const cost = ca === cb ? 0 : 1;
      let d = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && ca === b.charCodeAt(j - 2) && a.charCodeAt(i - 2) === cb) {
        d = Math.min(d, prev2[j - 2]! + 1);
      }
      cur[j] = d;
      if (d < rowMin) rowMin = d;
    }
    if (rowMin > max) return max + 1;
    const t = prev2;
    prev2 = prev;
    prev = cur;
    cur = t;
  }
  return prev[lb]!;
}

/**
 * The largest edit distance at which a known key is offered as a suggestion for an unknown key of
 * `length` characters: 0 for 1–2 characters, 1 for 3–5, 2 from 6 on (the brief's "≤ 2", tightened for
 * short keys, where distance 2 would relate almost any pair).
 */
export function maxSuggestionDistance(length: number): number {
  if (length <= 2) return 0;
  if (length <= 5) return 1;
  return 2;
}

/** Case- and separator-insensitive form: `New_Checkout` and `new-checkout` normalise alike. */
function normalise(key: string): string {
  return key.toLowerCase().replace(/_/g, "-");
}

/**
 * Finds the known feature flag key closest to an unknown one.
 *
 * Built once over the known keys (bucketed by length so a lookup only compares keys whose length is
 * within the cut-off); lookups are cached.
 */
export class KeySuggester {
  private readonly byLength = new Map<number, string[]>();
  private readonly byNormal = new Map<string, string>();
  private readonly cache = new Map<string, string | null>();

  /** @param keys the known feature flag keys (any iterable; duplicates are harmless) */
  constructor(keys: Iterable<string>) {
    for (const key of keys) {
      let bucket = this.byLength.get(key.length);
      if (!bucket) this.byLength.set(key.length, (bucket = []));
      bucket.push(key);
      const n = normalise(key);
      const seen = this.byNormal.get(n);
      if (seen === undefined || key < seen) this.byNormal.set(n, key);
    }
    for (const bucket of this.byLength.values()) bucket.sort();
  }

  /**
   * @param unknown a key that is not a known feature flag key
   * @returns the known key with the smallest OSA distance when it is ≤ {@link maxSuggestionDistance}
   *   (ties: the lexicographically first), a known key equal up to case and `_`/`-` (always offered), or null
   */
  suggest(unknown: string): string | null {
    const cached = this.cache.get(unknown);
    if (cached !== undefined) return cached;
    let best: string | null = this.byNormal.get(normalise(unknown)) ?? null;
    if (best === unknown) best = null;
    if (best === null) {
      const max = maxSuggestionDistance(unknown.length);
      let bestDistance = max + 1;
      for (let len = unknown.length - max; len <= unknown.length + max; len++) {
        for (const key of this.byLength.get(len) ?? []) {
          if (key === unknown) continue;
          const d = osaDistance(unknown, key, bestDistance);
          if (d < bestDistance || (d === bestDistance && d <= max && best !== null && key < best)) {
            bestDistance = d;
            best = key;
          }
        }
      }
      if (bestDistance > max) best = null;
    }
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(unknown, best);
    return best;
  }
}
