/**
 * Hidden markers and body size for GitHub comment and issue bodies: plain string helpers with no knowledge
 * of experiments, shared by the adapters (`src/github/`) and the domain. Escaping of user-controlled text is
 * `src/render/markdown.ts`'s job (it re-exports these).
 */

/** GitHub's hard limit on comment and issue bodies, in characters. */
export const GITHUB_BODY_LIMIT = 65_536;

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
