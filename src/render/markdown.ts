/**
 * Markdown helpers for text that comes from PostHog or from a pull request.
 *
 * Everything user-controlled (experiment names, flag keys, variant keys, file paths, PostHog error
 * messages) goes through these before it is put into a comment or an issue: it cannot inject HTML,
 * links, images, tables or headings, and it never renders a live `@mention` or `#123` reference.
 */

/** GitHub's hard limit on comment and issue bodies, in characters. */
export const GITHUB_BODY_LIMIT = 65_536;

const ZERO_WIDTH_SPACE = "\u200B";

export { formatCount, formatPValue } from "../format.js";

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

/**
 * A hidden HTML comment marker, e.g. `<!-- experiment-hygiene:pr -->`. The payload must not contain `--`.
 * @throws Error when the payload contains `--` or `>`.
 */
export function marker(payload: string): string {
  if (payload.includes("--") || payload.includes(">")) throw new Error(`invalid marker payload: ${payload}`);
  return `<!-- ${payload} -->`;
}

/**
 * A hidden HTML comment carrying JSON, `<!-- <name> {…} -->`: the app's memory inside comment and issue
 * bodies (decision memory, acknowledgements, change plans). `-`, `<` and `>` are written as JSON escapes
 * (`\u002d`, `\u003c`, `\u003e`), so no value can close the comment or contain `--`.
 *
 * @param name e.g. `experiment-hygiene:plan` (no spaces, no `--`, no `>`)
 * @param value anything `JSON.stringify` accepts; negative numbers are not supported (their `-` would be
 *   escaped outside a string)
 */
export function jsonMarker(name: string, value: unknown): string {
  const json = JSON.stringify(value).replace(/-/g, "\\u002d").replace(/</g, "\\u003c").replace(/>/g, "\\u003e");
  return `<!-- ${name} ${json} -->`;
}

/** Where the first `<!-- <name> … -->` marker sits in a body: [start, end) offsets, or null. */
function findJsonMarker(body: string, name: string): { start: number; end: number; json: string } | null {
  const prefix = `<!-- ${name} `;
  const start = body.indexOf(prefix);
  if (start < 0) return null;
  const close = body.indexOf(" -->", start);
  if (close < 0) return null;
  return { start, end: close + 4, json: body.slice(start + prefix.length, close) };
}

/**
 * The JSON value of the first {@link jsonMarker} named `name` in a body; undefined when there is none or
 * it is not JSON (a hand-edited body). Never throws; the caller validates the shape.
 */
export function readJsonMarker(body: string | null | undefined, name: string): unknown {
  const found = body ? findJsonMarker(body, name) : null;
  if (!found) return undefined;
  try {
    return JSON.parse(found.json) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Replaces the first {@link jsonMarker} named `name` in a body with one for `value`; without one, inserts
 * it on its own line before the text `insertBefore` when given and present, else appends it.
 */
export function replaceJsonMarker(body: string, name: string, value: unknown, insertBefore?: string): string {
  const text = jsonMarker(name, value);
  const found = findJsonMarker(body, name);
  if (found) return body.slice(0, found.start) + text + body.slice(found.end);
  const at = insertBefore ? body.indexOf(insertBefore) : -1;
  if (at >= 0) return `${body.slice(0, at)}${text}\n${body.slice(at)}`;
  return `${body.trimEnd()}\n${text}\n`;
}

/**
 * Cut a body to fit GitHub's limit, at a line boundary, adding a note. Returns the body unchanged when it
 * fits.
 *
 * @param body the Markdown body.
 * @param limit maximum characters (default: 65,536 minus a margin of 512).
 * @param note what to append when cut.
 */
export function fitBody(
  body: string,
  limit = GITHUB_BODY_LIMIT - 512,
  note = "\n\n_…cut to fit GitHub's 65,536-character limit; run `experiment-hygiene pr` locally for the full report._\n",
): string {
  if (body.length <= limit) return body;
  const room = limit - note.length;
  const cut = body.lastIndexOf("\n", room);
  return body.slice(0, cut > 0 ? cut : room) + note;
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
