/**
 * Rendering problems in `.github/experiment-hygiene.yml` as Markdown, for the PR comment and `/experiment`
 * replies. Messages are plain text in which `backticked` spans are code; everything is escaped here (a
 * message can quote the file, e.g. an `_extends` value). Links point at the file on GitHub, never the API.
 */
import { CONFIG_PATH, type ConfigProblem } from "../config/load.js";
import { code, escapeMarkdown, link } from "./markdown.js";

/**
 * Hidden marker of the config-error section (a file that cannot be read at all). A sticky comment that
 * holds it is no analysis: a later PostHog notice may replace it (src/app/posthog-notice.ts), since by
 * then the file has been read again and the config error is over.
 */
export const CONFIG_ERROR_MARKER = "<!-- experiment-hygiene:config-error -->";

/** At most this many problems are listed; the rest are counted (a file of garbage must not flood a comment). */
export const MAX_LISTED_PROBLEMS = 20;

/** Plain text with `code spans` → escaped Markdown (odd segments are code). */
function inline(text: string): string {
  return text
    .split("`")
    .map((part, i) => (i % 2 === 1 ? code(part) : escapeMarkdown(part)))
    .join("");
}

/**
 * One problem as a Markdown list item, e.g.
 * "- `decision.alpha` at [line 3, column 10](https://github.com/o/r/blob/HEAD/.github/experiment-hygiene.yml#L3): must be …".
 */
export function configProblemItem(p: ConfigProblem): string {
  const where =
    p.line !== undefined ? `line ${p.line}${p.column !== undefined ? `, column ${p.column}` : ""}` : null;
  const place = where ? link(where, p.url) : null;
  const file = p.file && p.file !== CONFIG_PATH ? ` of ${code(p.file)}` : "";
  const subject = p.key === "(file)" ? "" : code(p.key);
  const at = place ? `${subject ? " at " : ""}${place}${file}` : file;
  const lead = `${subject}${at}`.trim();
  return `- ${lead ? `${lead}: ` : ""}${inline(p.message)}`;
}

function items(problems: ConfigProblem[], prefix: string): string[] {
  const shown = problems.slice(0, MAX_LISTED_PROBLEMS).map((p) => `${prefix}${configProblemItem(p)}`);
  const more = problems.length - shown.length;
  if (more > 0) shown.push(`${prefix}- …and ${more} more.`);
  return shown;
}

/**
 * The "Config problems" block for a usable file with bad keys: a GitHub alert listing each problem once.
 *
 * @param problems non-empty; when empty, no lines.
 * @returns Markdown lines (a blockquote alert and a blank line).
 */
export function configProblemsSection(problems: ConfigProblem[]): string[] {
  if (problems.length === 0) return [];
  return [
    "> [!WARNING]",
    `> **Config problems** in ${code(CONFIG_PATH)}: the keys below are ignored or use their defaults; every other key applies.`,
    ...items(problems, "> "),
    "",
  ];
}

/**
 * The block for a file that cannot be read at all (not YAML, not a mapping): the app does nothing else in
 * the repository until it is fixed.
 *
 * @returns Markdown lines (a blockquote alert and a blank line).
 */
export function configErrorSection(problems: ConfigProblem[]): string[] {
  return [
    CONFIG_ERROR_MARKER,
    "> [!CAUTION]",
    `> **Config error:** ${code(CONFIG_PATH)} cannot be read, so experiment-hygiene does nothing in this repository until it is fixed on the default branch.`,
    ...items(problems, "> "),
    "",
  ];
}
