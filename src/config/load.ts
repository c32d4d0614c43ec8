/**
 * Validating configuration files **key by key**. Reading happens in the adapters (`src/github/repo-config.ts`
 * for the app and the scan, {@link readConfigFile} for the CLI); this module turns YAML text (or an already
 * parsed value) into a `Config` plus readable problems.
 *
 * Policy (docs/config.md):
 * - every valid key is used; an invalid value falls back to that key's default only; an unknown key is
 *   ignored; each problem is reported once, with its dotted path and its line and column in the file;
 * - a file that is not YAML (or not a mapping) is **fatal**: the app stays silent in the repository apart
 *   from one config-error message, instead of running with defaults the user did not choose;
 * - `enabled: false` is honoured whenever it can be read, even from a file that is otherwise broken.
 */
import { readFile } from "node:fs/promises";
import { isMap, LineCounter, parseDocument, type YAMLError } from "yaml";
import { z } from "zod";
import { KeySuggester } from "../matching/distance.js";
import { locate, type Position } from "./locate.js";
import { configSchema, DEFAULT_CONFIG, type Config } from "./schema.js";

/** The file name under `.github/`. */
export const CONFIG_FILE = "experiment-hygiene.yml";
/** The file's path in a repository. */
export const CONFIG_PATH = `.github/${CONFIG_FILE}`;
/** Files larger than this (bytes of text) are refused as fatal: a configuration is a few hundred bytes. */
export const MAX_CONFIG_BYTES = 256 * 1024;

/** One problem in a configuration file. */
export interface ConfigProblem {
  /** The dotted key path (`decision.max_regression`, `ignore_paths[1]`), or `(file)` for the whole file. */
  key: string;
  /** What is wrong and what was done about it, without the key (plain text; renderers escape it). */
  message: string;
  /** 1-based line in the file, when known. */
  line?: number;
  /** 1-based column in the file, when known. */
  column?: number;
  /** Which file: `.github/experiment-hygiene.yml`, or `owner/repo:path` for an org or `_extends` file. */
  file?: string;
  /** A web link to the file (at the line when known); never an API URL. */
  url?: string;
}

/** The outcome of loading a configuration. */
export interface ConfigResult {
  /**
   * The configuration to use: the file's valid keys over the defaults. When `fatal`, the defaults with only
   * a readable `enabled` applied: callers must not run with it (check `enabled` first, then `fatal`).
   */
  config: Config;
  /** Empty when the file was valid (or absent). Each problem once. */
  problems: ConfigProblem[];
  /** The file could not be read as a YAML mapping: stay silent apart from one config-error message. */
  fatal: boolean;
}

/** One file, parsed and cleaned: what {@link combineConfigFiles} merges. */
export interface ParsedConfigFile {
  /** The file's label for messages (see {@link ConfigProblem.file}). */
  file: string;
  /** The file's valid keys only (input side: defaults not filled in), `{}` when fatal. */
  value: Record<string, unknown>;
  problems: ConfigProblem[];
  fatal: boolean;
  /** `enabled` as read from the file even when it is broken; undefined when it says nothing readable. */
  enabled?: boolean;
  /** Where a key path is in this file's text (for problems found later, e.g. about `_extends`). */
  where?: (path: (string | number)[]) => Position | null;
}

/** Words YAML 1.1 read as false (YAML 1.2, which the app uses, reads them as strings). */
const FALSE_WORDS = new Set(["no", "n", "off", "false"]);

/**
 * Parse one file's text and keep its valid keys.
 *
 * @param text the file's contents (UTF-8 text).
 * @param file its label for messages, default `.github/experiment-hygiene.yml`.
 * @returns never throws. `fatal` when the text is not YAML, not a mapping, or over {@link MAX_CONFIG_BYTES}.
 */
export function parseConfigFile(text: string, file: string = CONFIG_PATH): ParsedConfigFile {
  if (Buffer.byteLength(text, "utf8") > MAX_CONFIG_BYTES) {
    return fatalFile(file, { key: "(file)", message: `is larger than ${MAX_CONFIG_BYTES / 1024} KiB; a configuration file is a few lines` });
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true });
  const enabled = readableEnabled(doc.contents);
  if (doc.errors.length > 0) {
    const problem = yamlErrorProblem(doc.errors[0]!);
    const more = doc.errors.length - 1;
    if (more > 0) problem.message += ` (${more} more YAML error${more === 1 ? "" : "s"} may follow from this one)`;
    return { ...fatalFile(file, problem), ...(enabled !== undefined ? { enabled } : {}) };
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    const problem = { key: "(file)", message: `cannot be read: ${firstLine((err as Error).message)}` };
    return { ...fatalFile(file, problem), ...(enabled !== undefined ? { enabled } : {}) };
  }
  if (raw === null || raw === undefined) return { file, value: {}, problems: [], fatal: false };
  if (typeof raw !== "object" || Array.isArray(raw)) {
    const pos = locate(doc, lineCounter, [], "value");
    return fatalFile(file, {
      key: "(file)",
      message: "must be a YAML mapping of keys to values (`key: value` lines), not a list or a single value",
      ...(pos ? { line: pos.line, column: pos.column } : {}),
    });
  }
  const { value, problems } = degrade(raw as Record<string, unknown>);
  for (const p of problems) {
    const pos = locate(doc, lineCounter, p.path, p.unknown ? "key" : "value");
    if (pos) {
      p.problem.line = pos.line;
      p.problem.column = pos.column;
    }
    p.problem.file = file;
  }
  const order = (p: LocatedProblem) => (p.problem.line ?? 1e9) * 1e6 + (p.problem.column ?? 0);
  problems.sort((a, b) => order(a) - order(b));
  const out: ParsedConfigFile = {
    file,
    value,
    problems: problems.map((p) => p.problem),
    fatal: false,
    where: (path) => locate(doc, lineCounter, path, "value"),
  };
  const readEnabled = value["enabled"];
  if (typeof readEnabled === "boolean") out.enabled = readEnabled;
  return out;
}

/**
 * Merge parsed files into one result.
 *
 * @param files most specific first: the repository's file, then each file it `_extends`. Objects merge key
 *   by key; any other value (lists included) comes from the most specific file that sets it.
 * @returns fatal when any file is fatal (the files' intent is unknown); `config.enabled` is then the most
 *   specific readable `enabled`, so an opt-out survives a broken file. Never throws.
 */
export function combineConfigFiles(files: ParsedConfigFile[]): ConfigResult {
  const problems = files.flatMap((f) => f.problems);
  const enabled = files.find((f) => f.enabled !== undefined)?.enabled;
  if (files.some((f) => f.fatal)) {
    return { config: { ...DEFAULT_CONFIG, enabled: enabled ?? DEFAULT_CONFIG.enabled }, problems, fatal: true };
  }
  let merged: Record<string, unknown> = {};
  for (const f of [...files].reverse()) merged = mergeValues(merged, f.value);
  delete merged["_extends"];
  const parsed = configSchema.safeParse(merged);
  if (parsed.success) return { config: parsed.data, problems, fatal: false };
  // Each file's keys were valid on their own, so this is not expected; degrade again rather than throw.
  const again = degrade(merged);
  return { config: configSchema.parse(again.value), problems: [...problems, ...again.problems.map((p) => p.problem)], fatal: false };
}

/**
 * Parse YAML text and validate it key by key.
 *
 * @param text the file's contents.
 * @param file its label for messages, default `.github/experiment-hygiene.yml`.
 */
export function configFromYaml(text: string, file: string = CONFIG_PATH): ConfigResult {
  return combineConfigFiles([parseConfigFile(text, file)]);
}

/**
 * Validate an already parsed value key by key (no positions: there is no text).
 *
 * @param raw the parsed file (object), or null/undefined when there is no file.
 * @returns the valid keys over the defaults; a non-mapping is fatal. Never throws.
 */
export function validateConfig(raw: unknown): ConfigResult {
  if (raw === null || raw === undefined) return { config: DEFAULT_CONFIG, problems: [], fatal: false };
  if (typeof raw !== "object" || Array.isArray(raw)) {
    return {
      config: DEFAULT_CONFIG,
      problems: [{ key: "(file)", message: "must be a YAML mapping of keys to values (`key: value` lines), not a list or a single value" }],
      fatal: true,
    };
  }
  const { value, problems } = degrade(raw as Record<string, unknown>);
  return combineConfigFiles([{ file: CONFIG_PATH, value, problems: problems.map((p) => p.problem), fatal: false }]);
}

/** Where an `_extends` value points. */
export interface ExtendsTarget {
  owner: string;
  repo: string;
  path: string;
}

// The syntax of @probot/octokit-plugin-config 4.x (util/extends-to-get-content-params.js): `repo`,
// `owner/repo`, `repo:path.yml`, `owner/repo:path.yml`.
const EXTENDS = /^(?:([a-z\d](?:[a-z\d]|-(?=[a-z\d])){0,38})\/)?([-_.\w\d]+)(?::([-_./\w\d]+\.ya?ml))?$/i;

/**
 * Resolve `_extends` the way Probot's config plugin does.
 *
 * @param value the `_extends` string, e.g. `acme/.github:configs/hygiene.yml`.
 * @param from the owner of the file that says it and the default path (`.github/experiment-hygiene.yml`).
 * @returns the target, or null when the value does not have that syntax.
 */
export function extendsTarget(value: string, from: { owner: string; path: string }): ExtendsTarget | null {
  const m = EXTENDS.exec(value);
  if (!m) return null;
  return { owner: m[1] ?? from.owner, repo: m[2]!, path: m[3] ?? from.path };
}

/**
 * Read a configuration file from disk for the CLI. A missing file means defaults.
 *
 * @param path e.g. `.github/experiment-hygiene.yml`.
 * @param required when true, a missing file is an error (the user named it explicitly).
 * @throws Error when `required` and the file cannot be read.
 */
export async function readConfigFile(path: string, required = false): Promise<ConfigResult> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if (!required && (err as NodeJS.ErrnoException).code === "ENOENT") return validateConfig(null);
    throw new Error(`cannot read config file ${path}: ${(err as Error).message}`);
  }
  return configFromYaml(text, path);
}

/**
 * One problem as one plain-text line, compiler style: `.github/experiment-hygiene.yml:3:5: decision.alpha: …`.
 * For logs and the CLI; Markdown renderers escape the parts themselves.
 */
export function formatProblem(p: ConfigProblem): string {
  const where = [p.file ?? CONFIG_PATH, p.line, p.line !== undefined ? p.column : undefined].filter((x) => x !== undefined).join(":");
  return p.key === "(file)" ? `${where}: ${p.message}` : `${where}: ${p.key}: ${p.message}`;
}

/** Render problems as one line each (see {@link formatProblem}). */
export function formatProblems(problems: ConfigProblem[]): string {
  return problems.map(formatProblem).join("\n");
}

// ---------------------------------------------------------------------------------------------------------

interface LocatedProblem {
  path: (string | number)[];
  unknown: boolean;
  problem: ConfigProblem;
}

function fatalFile(file: string, problem: ConfigProblem): ParsedConfigFile {
  return { file, value: {}, problems: [{ ...problem, file }], fatal: true };
}

function firstLine(message: string): string {
  return (message.split("\n")[0] ?? message).trim();
}

function yamlErrorProblem(err: YAMLError): ConfigProblem {
  const message = firstLine(err.message).replace(/ at line \d+, column \d+:?$/, "");
  const pos = err.linePos?.[0];
  return {
    key: "(file)",
    message: `is not valid YAML: ${message}`,
    ...(pos ? { line: pos.line, column: pos.col } : {}),
  };
}

/** `enabled` read from a possibly broken document's root mapping: `false` (or a YAML 1.1 false word) or `true`. */
function readableEnabled(contents: unknown): boolean | undefined {
  if (!isMap(contents)) return undefined;
  let value: unknown;
  try {
    value = contents.get("enabled");
  } catch {
    return undefined;
  }
  if (typeof value === "boolean") return value;
  if (typeof value === "string" && FALSE_WORDS.has(value.trim().toLowerCase())) return false;
  return undefined;
}

function pathLabel(path: readonly (string | number | symbol)[]): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else out += out === "" ? String(seg) : `.${String(seg)}`;
  }
  return out;
}

/** The zod object schema at a key path of the config (unwrapping defaults), or null. */
function objectAt(path: readonly (string | number)[]): z.ZodObject | null {
  let cur: unknown = configSchema;
  for (const seg of path) {
    const obj = unwrap(cur);
    if (!(obj instanceof z.ZodObject) || typeof seg !== "string") return null;
    cur = (obj.shape as Record<string, unknown>)[seg];
    if (cur === undefined) return null;
  }
  const obj = unwrap(cur);
  return obj instanceof z.ZodObject ? obj : null;
}

function unwrap(schema: unknown): unknown {
  let cur = schema as { _zod?: { def?: { innerType?: unknown } } } | undefined;
  for (let i = 0; i < 5 && cur?._zod?.def?.innerType; i++) cur = cur._zod.def.innerType as typeof cur;
  return cur;
}

const SECTIONS = Object.keys(configSchema.shape).filter((k) => objectAt([k]) !== null);

/** "did you mean" for an unknown key: a close key at the same level, or the same key in another section. */
function suggestKey(parent: readonly (string | number)[], key: string): string | null {
  const here = objectAt(parent);
  if (here) {
    const close = new KeySuggester(Object.keys(here.shape)).suggest(key);
    if (close) return pathLabel([...parent, close]);
  }
  for (const section of SECTIONS) {
    if (parent.length === 1 && parent[0] === section) continue;
    const obj = objectAt([section]);
    if (obj && key in obj.shape) return `${section}.${key}`;
  }
  if (parent.length > 0) {
    const root = objectAt([]);
    if (root && key in root.shape) return key;
  }
  return null;
}

function issuesToProblems(issues: readonly z.core.$ZodIssue[], seen: Set<string>): LocatedProblem[] {
  const out: LocatedProblem[] = [];
  for (const issue of issues) {
    const base = issue.path.filter((s): s is string | number => typeof s !== "symbol");
    if (issue.code === "unrecognized_keys") {
      for (const k of issue.keys) {
        const path = [...base, k];
        const label = pathLabel(path);
        if (seen.has(label)) continue;
        seen.add(label);
        const hint = suggestKey(base, k);
        const message = `unknown key, ignored${hint ? ` — did you mean \`${hint}\`?` : " (check its spelling)"}`;
        out.push({ path, unknown: true, problem: { key: label, message } });
      }
      continue;
    }
    const label = pathLabel(base) || "(file)";
    if (seen.has(label)) continue; // one problem per key: the first check that failed
    seen.add(label);
    let message = issue.message;
    if (message.startsWith(`${label} `)) message = message.slice(label.length + 1);
    if (message === "Invalid input") {
      const described = describeAt(base);
      if (described) message = `is not valid. ${described}`;
    }
    message = `${message}; ${fallback(base)}`;
    out.push({ path: base, unknown: false, problem: { key: label, message } });
  }
  return out;
}

/**
 * Keep the valid keys of `raw`: validate, drop what zod reports (an unknown key, a bad value, a bad list
 * item), repeat until valid. Explicitly empty sections (`decision:` with every line commented out) are
 * dropped silently; an empty leaf value is reported and uses its default.
 */
function degrade(raw: Record<string, unknown>): { value: Record<string, unknown>; problems: LocatedProblem[] } {
  const value = structuredClone(raw);
  const problems: LocatedProblem[] = [];
  const seen = new Set<string>();
  dropNulls(value, [], problems, seen);
  for (let round = 0; round < 10; round++) {
    const parsed = configSchema.safeParse(value);
    if (parsed.success) return { value, problems };
    const found = issuesToProblems(parsed.error.issues, seen);
    problems.push(...found);
    const removals = parsed.error.issues.flatMap((issue) => {
      const base = issue.path.filter((s): s is string | number => typeof s !== "symbol");
      return issue.code === "unrecognized_keys" ? issue.keys.map((k) => [...base, k]) : [base];
    });
    if (removals.some((p) => p.length === 0)) break;
    removeAll(value, removals);
  }
  // Not expected: give up on the remaining keys rather than loop.
  const leftover = configSchema.safeParse(value);
  return leftover.success ? { value, problems } : { value: {}, problems };
}

function dropNulls(obj: Record<string, unknown>, path: (string | number)[], problems: LocatedProblem[], seen: Set<string>): void {
  const schema = objectAt(path);
  for (const [k, v] of Object.entries(obj)) {
    const here = [...path, k];
    const section = objectAt(here) !== null;
    if (k === "enabled" && typeof v === "string" && FALSE_WORDS.has(v.trim().toLowerCase()) && schema && k in schema.shape) {
      // An opt-out written the YAML 1.1 way (`enabled: no`): silence is what was meant.
      obj[k] = false;
      const label = pathLabel(here);
      seen.add(label);
      const word = v.trim();
      problems.push({
        path: here,
        unknown: false,
        problem: { key: label, message: `\`${word}\` is text in YAML 1.2; read as false; write \`false\`` },
      });
    } else if (v === null && schema && k in schema.shape) {
      delete obj[k];
      if (section) continue; // `decision:` with every line commented out: the defaults, silently
      const label = pathLabel(here);
      seen.add(label);
      problems.push({ path: here, unknown: false, problem: { key: label, message: `has no value; ${fallback(here)}` } });
    } else if (section && isPlainObject(v)) {
      dropNulls(v, here, problems, seen);
    }
    // An unknown key (with or without a value) is left for zod to report.
  }
}

/** What replaces a dropped value: its default, or nothing (a list item, an optional key). */
function fallback(path: readonly (string | number)[]): string {
  if (typeof path[path.length - 1] === "number") return "this item is ignored";
  let cur: unknown = DEFAULT_CONFIG;
  for (const seg of path) cur = isPlainObject(cur) ? cur[seg as string] : undefined;
  return cur === undefined ? "ignored" : `the default ${JSON.stringify(cur)} is used`;
}

/** The `describe()` text of the schema at a key path (for zod's bare "Invalid input" on unions). */
function describeAt(path: readonly (string | number)[]): string | undefined {
  const last = path[path.length - 1];
  const parent = objectAt(path.slice(0, -1));
  if (!parent || typeof last !== "string") return undefined;
  const schema = (parent.shape as Record<string, { description?: string } | undefined>)[last];
  return schema?.description;
}

/** Remove every path (object keys deleted, list items spliced, highest index first within a list). */
function removeAll(root: Record<string, unknown>, paths: (string | number)[][]): void {
  const unique = [...new Map(paths.map((p) => [JSON.stringify(p), p])).values()];
  unique.sort((a, b) => {
    const pa = JSON.stringify(a.slice(0, -1));
    const pb = JSON.stringify(b.slice(0, -1));
    if (pa !== pb) return pa < pb ? -1 : 1;
    const la = a[a.length - 1]!;
    const lb = b[b.length - 1]!;
    if (typeof la === "number" && typeof lb === "number") return lb - la;
    return String(la) < String(lb) ? -1 : String(la) > String(lb) ? 1 : 0;
  });
  for (const path of unique) {
    let parent: unknown = root;
    for (const seg of path.slice(0, -1)) {
      parent = parent && typeof parent === "object" ? (parent as Record<string | number, unknown>)[seg] : undefined;
    }
    const last = path[path.length - 1]!;
    if (Array.isArray(parent) && typeof last === "number") parent.splice(last, 1);
    else if (parent && typeof parent === "object") delete (parent as Record<string | number, unknown>)[last];
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function mergeValues(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    out[k] = isPlainObject(v) && isPlainObject(out[k]) ? mergeValues(out[k] as Record<string, unknown>, v) : v;
  }
  return out;
}
