/**
 * The `/experiment` chat-ops command parser: pure and total (no I/O, never throws).
 *
 * Spec (issue): "A command is a line of its own starting with `/experiment`, in a new comment on a PR or an
 * issue, after fenced code blocks and `>` quotes are stripped." Only the first command of a comment is run;
 * further command lines are counted so the reply can say they were ignored. Anything that starts with
 * `/experiment` but does not parse yields a `usage` command carrying a one-sentence problem, never a throw.
 *
 * Stripping follows CommonMark 0.31 (fenced code §4.5, indented code §4.4, block quotes §5.1, HTML block
 * type 2 `<!-- … -->` §4.6) and the anchoring of kubernetes-sigs/prow `pkg/plugins/trigger/generic-comment.go`
 * (see /work/shared/reference/github-probot.md §8). Every scan is linear in the body length; regular
 * expressions only run on lines already cut to {@link MAX_LINE_CHARS} and have no nested quantifiers.
 */
import { FINDING_KINDS as DETECTOR_FINDING_KINDS, type FindingKind } from "../detectors/types.js";

/**
 * Finding kinds a person can `ack` or `snooze`: `srm`, `contamination`, `stall`, `mutation`,
 * `broken-metric`, `zombie`, `decided-still-running`, `stale-variants` (the detectors' list, one source).
 */
export const FINDING_KINDS = DETECTOR_FINDING_KINDS;
/** One of {@link FINDING_KINDS}. */
export type FindingKindName = FindingKind;

/** Experiment id (digits, optional leading '#') or a feature flag key. `raw` is the token as typed. */
export type Target = { kind: "id"; id: number; raw: string } | { kind: "flag"; key: string; raw: string };

/** Options of `promote` and `rollback` (`--confirm`, `--force`, `--disable-flag`); all false unless given. */
export interface ChangeOptions {
  confirm: boolean;
  force: boolean;
  disableFlag: boolean;
}

/** A parsed `/experiment` command. `usage.problem` is null for a plain request for help text. */
export type ChatCommand =
  | { name: "help" }
  | { name: "status"; target: Target | null }
  | { name: "analyze"; target: Target }
  | ({ name: "promote"; target: Target; variant: string | null } & ChangeOptions)
  | ({ name: "rollback"; target: Target } & ChangeOptions)
  | { name: "ack"; target: Target; findingKind: FindingKindName; reason: string | null }
  | { name: "snooze"; target: Target; findingKind: FindingKindName; days: number }
  /** Pause (`off`) or resume (`on`) the autopilot of one experiment; no target = the experiment of this autopilot issue. */
  | { name: "autopilot"; enabled: boolean; target: Target | null }
  | { name: "usage"; problem: string | null };

/** The first command of a comment. */
export interface ParsedComment {
  command: ChatCommand;
  /** The command line as found (trimmed, cut to MAX_LINE_CHARS). */
  line: string;
  /** Number of further `/experiment` lines in the comment (ignored; only the first is run). */
  ignoredCommands: number;
}

/** Command lines longer than this many UTF-16 code units are cut before tokenising. */
export const MAX_LINE_CHARS = 1000;
/** An `ack` reason is cut to this many UTF-16 code units (the acknowledgement store keeps ≤ 300). */
export const MAX_REASON_CHARS = 300;
/** Longest snooze, in days (1 … 365). */
export const MAX_SNOOZE_DAYS = 365;
/** Tokens echoed in a problem sentence are cut to this many characters (escapes included). */
const MAX_ECHO_CHARS = 60;

/**
 * The usage text, plain text (the renderer turns it into Markdown, e.g. one code span per line): one line
 * per command, `help` first, in the syntax of the issue. Valid finding kinds: {@link FINDING_KINDS}; days
 * of a snooze: 1 to {@link MAX_SNOOZE_DAYS}, written `7` or `7d`.
 */
export const USAGE: readonly string[] = Object.freeze([
  "/experiment help",
  "/experiment status [flag-key | experiment-id]",
  "/experiment analyze <flag-key | experiment-id>",
  "/experiment promote <flag-key | experiment-id> [variant] [--confirm] [--force] [--disable-flag]",
  "/experiment rollback <flag-key | experiment-id> [--confirm] [--force] [--disable-flag]",
  "/experiment ack <flag-key | experiment-id> <finding-kind> [reason…]",
  "/experiment snooze <flag-key | experiment-id> <finding-kind> <days>",
  "/experiment autopilot off|on [flag-key | experiment-id]",
]);

// ---------------------------------------------------------------------------------------------------------
// Markdown stripping
// ---------------------------------------------------------------------------------------------------------

/** Indentation width of a line in columns (tab stops of 4, CommonMark §2.2) and the index of its first non-blank. */
function indentation(line: string): { width: number; index: number } {
  let width = 0;
  let i = 0;
  for (; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === 0x20) width += 1;
    else if (c === 0x09) width += 4 - (width % 4);
    else break;
    if (width >= 4) return { width, index: i + 1 };
  }
  return { width, index: i };
}

/** Length of the run of `ch` starting at `from`. */
function runLength(line: string, from: number, ch: string): number {
  let i = from;
  while (i < line.length && line[i] === ch) i++;
  return i - from;
}

/** Whether `line` from `from` on holds only spaces and tabs. */
function onlySpacesAndTabs(line: string, from: number): boolean {
  for (let i = from; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09) return false;
  }
  return true;
}

/** The opening code fence at the start of a line (indent ≤ 3 already checked), or null (CommonMark §4.5). */
function openingFence(line: string, start: number): { ch: string; length: number } | null {
  const ch = line[start];
  if (ch !== "`" && ch !== "~") return null;
  const length = runLength(line, start, ch);
  if (length < 3) return null;
  // A backtick fence's info string may not contain a backtick (else it is an inline code span).
  if (ch === "`" && line.indexOf("`", start + length) !== -1) return null;
  return { ch, length };
}

/**
 * Strips from a comment body everything a command must not come from, and returns the remaining lines.
 *
 * Removed (CommonMark 0.31): fenced code blocks (``` and ~~~, any length ≥ 3, indented ≤ 3 spaces; the
 * closing fence uses the same character, is at least as long and has nothing but spaces/tabs after it; an
 * unclosed fence runs to the end), `>` quoted lines (after up to 3 spaces), indented code (4+ columns of
 * leading spaces, or a tab) and HTML comment blocks (a line starting with `<!--` through the line holding
 * `-->`, or to the end when unclosed; such text is invisible on GitHub, so it must not run commands).
 * Quote lines never open a fence. A line ends at LF, CRLF or a lone CR.
 *
 * @param body the raw comment body (Markdown)
 * @returns the remaining lines, in order, without line terminators (blank lines kept)
 * @throws nothing (linear time in `body.length`)
 */
export function commandLines(body: string): string[] {
  const out: string[] = [];
  visitCommandLines(body, (line) => {
    out.push(line);
  });
  return out;
}

/** {@link commandLines} without building the array: calls `visit` for each remaining line, in order. */
function visitCommandLines(body: string, visit: (line: string) => void): void {
  let fence: { ch: string; length: number } | null = null;
  let inHtmlComment = false;
  for (let start = 0; start <= body.length; ) {
    // A line ends at LF, CR or CRLF (CommonMark §2.1).
    let stop = start;
    while (stop < body.length) {
      const c = body.charCodeAt(stop);
      if (c === 0x0a || c === 0x0d) break;
      stop++;
    }
    const line = body.slice(start, stop);
    start = stop + (body.charCodeAt(stop) === 0x0d && body.charCodeAt(stop + 1) === 0x0a ? 2 : 1);
    if (line.length === 0) {
      if (fence === null && !inHtmlComment) visit(line);
      continue;
    }
    const { width, index } = indentation(line);
    if (fence !== null) {
      const run = width < 4 ? runLength(line, index, fence.ch) : 0;
      if (run >= fence.length && onlySpacesAndTabs(line, index + run)) fence = null;
      continue;
    }
    if (inHtmlComment) {
      if (line.includes("-->")) inHtmlComment = false;
      continue;
    }
    if (width >= 4) continue; // indented code
    if (line[index] === ">") continue; // block quote
    const opened = openingFence(line, index);
    if (opened !== null) {
      fence = opened;
      continue;
    }
    if (line.startsWith("<!--", index)) {
      inHtmlComment = !line.includes("-->", index + 2);
      continue;
    }
    visit(line);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Command lines
// ---------------------------------------------------------------------------------------------------------

const COMMAND_WORD = "/experiment";
/** ECMAScript `\s`: ASCII and Unicode white space (incl. U+00A0, U+2000–U+200A, U+3000, U+FEFF, line separators). */
const WHITESPACE = /\s/;
const FLAG_KEY_RE = /^[A-Za-z0-9_-]{1,400}$/;
const ID_RE = /^#?\d{1,15}$/;
const DAYS_RE = /^\d+[dD]?$/;
const TARGET_WORDS = "a feature flag key or experiment id";

/** Lower-cases ASCII letters only (so e.g. U+212A KELVIN SIGN never turns into `k`). */
function asciiLower(s: string): string {
  return s.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32));
}

/** Cuts a string to at most `max` UTF-16 code units without splitting a surrogate pair. */
function cut(s: string, max: number): string {
  if (s.length <= max) return s;
  let end = max;
  const last = s.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return s.slice(0, end);
}

/** Index right after the `/experiment` word when `line` (leading whitespace allowed) starts with it as a token, else -1. */
function commandWordEnd(line: string): number {
  let i = 0;
  while (i < line.length && WHITESPACE.test(line[i]!)) i++;
  if (line.length - i < COMMAND_WORD.length) return -1;
  if (asciiLower(line.slice(i, i + COMMAND_WORD.length)) !== COMMAND_WORD) return -1;
  const end = i + COMMAND_WORD.length;
  return end === line.length || WHITESPACE.test(line[end]!) ? end : -1;
}

/** Trims a line and cuts it to {@link MAX_LINE_CHARS}. */
function prepareLine(line: string): string {
  return cut(line.trim(), MAX_LINE_CHARS).trimEnd();
}

/**
 * A token for a problem sentence: control, format (zero-width, bidi) and lone surrogate characters shown
 * as `\uXXXX` escapes, cut to 60 characters with `…`. Returned without quotes.
 */
function echo(token: string): string {
  const pieces: string[] = [];
  let length = 0;
  for (const ch of token) {
    const cp = ch.codePointAt(0)!;
    const invisible =
      cp < 0x20 ||
      (cp >= 0x7f && cp <= 0x9f) ||
      cp === 0xad ||
      (cp >= 0x200b && cp <= 0x200f) ||
      (cp >= 0x2028 && cp <= 0x202e) ||
      (cp >= 0x2060 && cp <= 0x206f) ||
      cp === 0xfeff ||
      (cp >= 0xd800 && cp <= 0xdfff);
    const piece = invisible ? `\\u${cp.toString(16).padStart(4, "0")}` : ch;
    pieces.push(piece);
    length += piece.length;
    if (length > MAX_ECHO_CHARS) break;
  }
  if (length <= MAX_ECHO_CHARS) return pieces.join("");
  let out = "";
  for (const piece of pieces) {
    if (out.length + piece.length > MAX_ECHO_CHARS - 1) break;
    out += piece;
  }
  return `${out}…`;
}

const usage = (problem: string): ChatCommand => ({ name: "usage", problem });

interface Token {
  text: string;
  /** Index just after the token in the line. */
  end: number;
}

function tokenize(line: string): Token[] {
  const tokens: Token[] = [];
  for (const m of line.matchAll(/\S+/g)) tokens.push({ text: m[0], end: m.index + m[0].length });
  return tokens;
}

/** A target token, or a problem sentence. Source of the key rule: PostHog flag-key validation ("Only letters, numbers, hyphens (-) & underscores (_) are allowed."). */
function parseTarget(raw: string): Target | string {
  if (ID_RE.test(raw)) {
    const id = Number(raw.startsWith("#") ? raw.slice(1) : raw);
    if (!Number.isSafeInteger(id) || id <= 0) return `experiment id "${echo(raw)}" must be a positive whole number`;
    return { kind: "id", id, raw };
  }
  if (FLAG_KEY_RE.test(raw)) return { kind: "flag", key: raw, raw };
  return `"${echo(raw)}" is not ${TARGET_WORDS}`;
}

/** A finding kind (case-insensitive, `_` accepted for `-`), or null. */
function parseFindingKind(raw: string): FindingKindName | null {
  const normal = asciiLower(raw).replace(/_/g, "-");
  return (FINDING_KINDS as readonly string[]).includes(normal) ? (normal as FindingKindName) : null;
}

const KINDS_LIST = `expected one of ${FINDING_KINDS.join(", ")}`;
const isOption = (t: string): boolean => t.startsWith("--");
const OPTION_NAMES: ReadonlyMap<string, keyof ChangeOptions> = new Map([
  ["--confirm", "confirm"],
  ["--force", "force"],
  ["--disable-flag", "disableFlag"],
]);

/** The problem for an option token on a command without options. */
function optionNotTaken(token: string, command: string): string {
  return OPTION_NAMES.has(asciiLower(token))
    ? `option "${echo(token)}" is not accepted by ${command} (only promote and rollback take options)`
    : `unknown option "${echo(token)}" for ${command}`;
}

/** status [target] / analyze <target>: no options, at most one positional. */
function parseTargetOnly(name: "status" | "analyze", args: Token[]): ChatCommand {
  const option = args.find((t) => isOption(t.text));
  if (option) return usage(optionNotTaken(option.text, name));
  const [first, extra] = args;
  if (extra) return usage(`unexpected extra argument "${echo(extra.text)}" for ${name}`);
  if (first === undefined) return name === "status" ? { name, target: null } : usage(`${name} needs ${TARGET_WORDS}`);
  const target = parseTarget(first.text);
  if (typeof target === "string") return usage(target);
  return { name, target };
}

/** promote <target> [variant] [options] / rollback <target> [options]; options anywhere after the subcommand. */
function parseChange(name: "promote" | "rollback", args: Token[]): ChatCommand {
  const options: ChangeOptions = { confirm: false, force: false, disableFlag: false };
  const positional: string[] = [];
  for (const { text } of args) {
    if (isOption(text)) {
      const option = OPTION_NAMES.get(asciiLower(text));
      if (option === undefined) return usage(`unknown option "${echo(text)}" for ${name}`);
      options[option] = true;
    } else {
      positional.push(text);
    }
  }
  const [targetToken, second, third] = positional;
  if (targetToken === undefined) return usage(`${name} needs ${TARGET_WORDS}`);
  const target = parseTarget(targetToken);
  if (typeof target === "string") return usage(target);
  if (name === "rollback") {
    if (second !== undefined) return usage(`unexpected extra argument "${echo(second)}" for rollback (it takes no variant)`);
    return { name, target, ...options };
  }
  if (third !== undefined) return usage(`unexpected extra argument "${echo(third)}" for promote`);
  if (second !== undefined && !FLAG_KEY_RE.test(second)) {
    return usage(`"${echo(second)}" is not a variant key (letters, digits, "-" and "_" only)`);
  }
  return { name, target, variant: second ?? null, ...options };
}

/** ack <target> <kind> [reason…] and snooze <target> <kind> <days>. */
function parseFinding(name: "ack" | "snooze", args: Token[], line: string): ChatCommand {
  const [targetToken, kindToken, daysToken, extra] = args;
  for (const t of name === "ack" ? [targetToken, kindToken] : args) {
    if (t !== undefined && isOption(t.text)) return usage(optionNotTaken(t.text, name));
  }
  if (targetToken === undefined) return usage(`${name} needs ${TARGET_WORDS}`);
  const target = parseTarget(targetToken.text);
  if (typeof target === "string") return usage(target);
  if (kindToken === undefined) return usage(`${name} needs a finding kind (${KINDS_LIST})`);
  const findingKind = parseFindingKind(kindToken.text);
  if (findingKind === null) return usage(`unknown finding kind "${echo(kindToken.text)}"; ${KINDS_LIST}`);
  if (name === "ack") {
    const reason = cut(line.slice(kindToken.end).trim(), MAX_REASON_CHARS).trimEnd();
    return { name, target, findingKind, reason: reason === "" ? null : reason };
  }
  const daysProblem = `snooze needs a number of days from 1 to ${MAX_SNOOZE_DAYS} (e.g. 7 or 7d)`;
  if (daysToken === undefined) return usage(daysProblem);
  if (extra !== undefined) return usage(`unexpected extra argument "${echo(extra.text)}" for snooze`);
  if (!DAYS_RE.test(daysToken.text)) return usage(`"${echo(daysToken.text)}" is not a number of days; ${daysProblem}`);
  const days = Number(daysToken.text.replace(/[dD]$/, ""));
  if (!(days >= 1 && days <= MAX_SNOOZE_DAYS)) return usage(`${echo(daysToken.text)} days is out of range; ${daysProblem}`);
  return { name, target, findingKind, days };
}

/** autopilot off|on [target]: no options; the target may be left out on the experiment's autopilot issue. */
function parseAutopilot(args: Token[]): ChatCommand {
  const [switchToken, targetToken, extra] = args;
  for (const t of args) if (isOption(t.text)) return usage(optionNotTaken(t.text, "autopilot"));
  const word = switchToken === undefined ? "" : asciiLower(switchToken.text);
  if (word !== "off" && word !== "on") {
    return usage(switchToken === undefined ? "autopilot needs off or on" : `"${echo(switchToken.text)}" is not off or on`);
  }
  if (extra !== undefined) return usage(`unexpected extra argument "${echo(extra.text)}" for autopilot`);
  if (targetToken === undefined) return { name: "autopilot", enabled: word === "on", target: null };
  const target = parseTarget(targetToken.text);
  if (typeof target === "string") return usage(target);
  return { name: "autopilot", enabled: word === "on", target };
}

/**
 * Parses one line that starts with `/experiment` (after trimming).
 *
 * `/experiment` and the subcommand name are case-insensitive; keys keep their case. Tokens are split on any
 * white space (ECMAScript `\s`, so U+00A0 too). Targets: `^#?\d{1,15}$` is an experiment id (a positive
 * integer), anything else must be a PostHog feature flag key `^[A-Za-z0-9_-]{1,400}$`. The line is trimmed
 * and cut to {@link MAX_LINE_CHARS} first. Wrong arguments give `{ name: "usage", problem }` with one
 * sentence naming the problem (echoed tokens quoted and cut to 60 characters).
 *
 * @param line one line of a comment
 * @returns the command; null when the line is not a command line (e.g. `/experiments`, `/experimental`,
 *   `text /experiment`) or is not a string
 * @throws nothing
 */
export function parseCommandLine(line: string): ChatCommand | null {
  if (typeof line !== "string") return null;
  const prepared = prepareLine(line);
  if (commandWordEnd(prepared) === -1) return null;
  const [, sub, ...args] = tokenize(prepared);
  if (sub === undefined) return { name: "help" };
  const name = asciiLower(sub.text);
  switch (name) {
    case "help":
      return { name: "help" };
    case "status":
    case "analyze":
      return parseTargetOnly(name, args);
    case "promote":
    case "rollback":
      return parseChange(name, args);
    case "ack":
    case "snooze":
      return parseFinding(name, args, prepared);
    case "autopilot":
      return parseAutopilot(args);
    default:
      return usage(`unknown command "${echo(sub.text)}"`);
  }
}

/**
 * The first `/experiment` command in a comment body, or null when there is none.
 *
 * The body is stripped with {@link commandLines}; the first line whose first token is `/experiment` (up to
 * 3 leading spaces) is parsed with {@link parseCommandLine}; later such lines are only counted.
 *
 * @param body the comment body; non-strings (null, undefined, …) give null
 * @returns `{ command, line, ignoredCommands }` or null
 * @throws nothing, for any input (linear time; a 1 MB body or line is fine)
 */
export function parseComment(body: unknown): ParsedComment | null {
  if (typeof body !== "string") return null;
  let found: ParsedComment | null = null;
  visitCommandLines(body, (raw) => {
    if (commandWordEnd(raw) === -1) return;
    if (found !== null) {
      found.ignoredCommands += 1;
      return;
    }
    const line = prepareLine(raw);
    const command = parseCommandLine(line);
    if (command !== null) found = { command, line, ignoredCommands: 0 };
  });
  return found;
}
