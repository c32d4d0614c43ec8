/**
 * Markdown helpers for text that comes from PostHog or from a pull request.
 *
 * Everything user-controlled (experiment names, flag keys, variant keys, file paths, PostHog error
 * messages) goes through these before it is put into a comment or an issue: it cannot inject HTML,
 * links, images, tables or headings, and it never renders a live `@mention` or `#123` reference.
 */

const ZERO_WIDTH_SPACE = "\u200B";

export { formatCount, formatPValue } from "../format.js";
export { fitBody, GITHUB_BODY_LIMIT, jsonMarker, marker, readJsonMarker, replaceJsonMarker } from "../util/markers.js";

/**
 * Neutralise `@mentions` (users and `org/team`) by putting a zero-width space after the `@`.
 * The text reads the same but GitHub does not notify anyone.
 */
export function neutralizeMentions(text: string): string {
  return text.replace(/@(?=[A-Za-z0-9_-])/g, `@${ZERO_WIDTH_SPACE}`);
}

/**
 * Escape text for use inline in Markdown (a paragraph, a list item or a table cell).
 *
 * Newlines become spaces; HTML is entity-encoded; the Markdown punctuation that can open emphasis, code,
 * links, images, headings, strikethrough or a table cell is backslash-escaped; bare URLs and mentions are
 * neutralised with a zero-width space. Safe inside table cells (`|` escaped).
 *
 * @param text any string (PostHog or PR content); `null`/`undefined` render as an empty string.
 */
export function escapeMarkdown(text: string | null | undefined): string {
  if (text === null || text === undefined) return "";
  const oneLine = String(text).replace(/\r?\n|\r/g, " ");
  const html = oneLine.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  // Backslash-escape what can start emphasis, code, links, images, tables, headings, strikethrough or maths ($).
  const md = html.replace(/[\\`*_[\]#!|~$]/g, (c) => `\\${c}`);
  // Break bare-URL autolinks (GitHub's extended autolinks) so a name cannot smuggle in a live link.
  const noAutolink = md.replace(/:\/\//g, `:${ZERO_WIDTH_SPACE}//`);
  return neutralizeMentions(noAutolink);
}

/**
 * Render text as an inline code span, choosing a backtick fence longer than any backtick run inside.
 * Mentions inside code spans do not notify, but they are neutralised anyway so copied text stays inert.
 */
export function code(text: string): string {
  const oneLine = String(text).replace(/\r?\n|\r/g, " ");
  const longest = Math.max(0, ...(oneLine.match(/`+/g) ?? []).map((r) => r.length));
  const fence = "`".repeat(longest + 1);
  const pad = oneLine.startsWith("`") || oneLine.endsWith("`") ? " " : "";
  return `${fence}${pad}${neutralizeMentions(oneLine)}${pad}${fence}`;
}

/**
 * A Markdown link with escaped text. Only `http:` and `https:` URLs are linked; anything else renders as
 * plain escaped text. Parentheses and spaces in the URL are percent-encoded.
 */
export function link(text: string, url: string | null | undefined): string {
  const label = escapeMarkdown(text);
  if (!url) return label;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return label;
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return label;
  const href = parsed.toString().replace(/\(/g, "%28").replace(/\)/g, "%29").replace(/ /g, "%20");
  return `[${label}](${href})`;
}

/** Format a fraction as a signed percentage with one decimal, e.g. 0.1234 → "+12.3%". */
export function formatLift(fraction: number): string {
  const pct = fraction * 100;
  const sign = pct > 0 ? "+" : pct < 0 ? "−" : "±";
  return `${sign}${Math.abs(pct).toFixed(1)}%`;
}

/** Format a fraction 0–1 as a percentage with one decimal, e.g. 0.9576 → "95.8%". */
export function formatPercent(fraction: number, digits = 1): string {
  return `${(fraction * 100).toFixed(digits)}%`;
}
