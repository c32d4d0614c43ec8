/**
 * Plain-text number formatting shared by the analysis core (decision reasons, detector findings) and the
 * renderers. Output is plain text (ASCII digits, "-" for minus); renderers escape it.
 */

/**
 * Rounds half away from zero to `decimals` places, after stripping binary noise (15 significant digits), so
 * 0.5165 → 51.65 % → 51.7 % and 0.4835 → 48.4 % alike (plain `toFixed` rounds those two inconsistently).
 */
export function roundTo(x: number, decimals: number): number {
  if (!Number.isFinite(x)) return x;
  const clean = Math.abs(Number(x.toPrecision(15)));
  const text = String(clean);
  // Exponent notation (below 1e-7 or at 1e21 and above): no tie to worry about, toFixed is exact enough.
  const rounded = text.includes("e")
    ? Number(clean.toFixed(decimals))
    : Number(`${Math.round(Number(`${text}e${decimals}`))}e-${decimals}`);
  return x < 0 ? -rounded : rounded;
}

/**
 * Formats a p-value: below 0.001 in exponent notation with 2 significant digits (`3.2e-7`), else 3
 * significant digits without trailing zeros (`0.0312`, `0.5`). 0 → "0".
 */
export function formatP(p: number): string {
  if (!Number.isFinite(p)) return String(p);
  if (p === 0) return "0";
  if (p < 0.001) return p.toExponential(1).replace("e+", "e");
  return String(Number(p.toPrecision(3)));
}

/**
 * Formats a p-value for reports: like {@link formatP}, but 0 (an underflow below ~1e-300, where the exact
 * survival function gives up) renders as `< 1e-300`.
 */
export function formatPValue(p: number): string {
  if (p === 0) return "< 1e-300";
  if (!Number.isFinite(p)) return "n/a";
  return formatP(p);
}

/** Formats a number with 3 significant digits without trailing zeros (`0.025`, `0.0167`, `14`). */
export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  return String(Number(x.toPrecision(3)));
}

/** Formats a relative lift (fraction) as a signed percentage with one decimal: 0.123 → "+12.3%", −0.05 → "-5.0%". */
export function formatLift(lift: number): string {
  const pct = roundTo(lift * 100, 1);
  if (pct === 0) return "0.0%";
  return pct > 0 ? `+${pct.toFixed(1)}%` : `${pct.toFixed(1)}%`;
}

/**
 * Formats a fraction 0–1 as a percentage without trailing zeros: one decimal by default (0.523 → "52.3%",
 * 0.5 → "50%"), two at 99 % and above where one would hide e.g. 99.17 % vs 99.2 %. Thresholds pass
 * `decimals = 2` so a required 98.75 % is not shown as 98.8 %.
 */
export function formatPercent(fraction: number, decimals?: number): string {
  const pct = fraction * 100;
  return `${roundTo(pct, decimals ?? (Math.abs(pct) >= 99 ? 2 : 1))}%`;
}

/** Formats a count with thousands separators: 12345 → "12,345". */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

/** Formats a duration in days with one decimal: 13.94 → "13.9". */
export function formatDays(days: number): string {
  return String(roundTo(days, 1));
}
