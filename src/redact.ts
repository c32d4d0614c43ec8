/**
 * One place that removes secrets from text before it leaves the process: log lines (the server's pino
 * logger), HTTP response bodies (the webhook route) and the CLI's stdout/stderr.
 *
 * What is removed (docs/security.md):
 * - the values of the secret environment variables in {@link SECRET_ENV_VARS} (the PostHog personal API
 *   key, the webhook secret, the App's private key, tokens), also in their JSON-escaped form (a key with
 *   a newline appears as `\n` inside a JSON log line) and each piece of 8 or more characters between
 *   whitespace, quotes or invisible characters (a key pasted with a line break can be printed in two
 *   halves);
 * - PEM private-key blocks (`-----BEGIN … PRIVATE KEY----- … -----END … PRIVATE KEY-----`), whoever holds them;
 * - URL userinfo (`https://user:pass@host` → `https://[REDACTED]@host`);
 * - bearer tokens (`Bearer <8+ token characters>`), PostHog personal and secret keys (`phx_…`, `phs_…`,
 *   16+ characters) and GitHub tokens (`ghp_…`, `ghs_…`, … 20+ characters).
 *
 * Pure string functions; {@link redactLogOutput} is the one adapter, for pino loggers.
 */

/** Environment variables whose values are secrets and never appear in output. */
export const SECRET_ENV_VARS = [
  "POSTHOG_PERSONAL_API_KEY",
  "POSTHOG_PROJECT_API_KEY",
  "WEBHOOK_SECRET",
  "PRIVATE_KEY",
  "GITHUB_TOKEN",
  "GITHUB_CLIENT_SECRET",
  "SCAN_TRIGGER_SECRET",
] as const;

/** A function that returns its input with every secret replaced by a `[REDACTED…]` marker. */
export type Redactor = (text: string) => string;

/** Shortest secret value (or piece of one) that is redacted; shorter strings would blank ordinary words. */
export const MIN_SECRET_LENGTH = 8;

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----[\s\S]*?(?:-----END \1PRIVATE KEY-----|$)/g;
// scheme://userinfo@ — userinfo stops at "/", whitespace, quotes, backslashes (JSON escapes) and angle brackets.
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@"'<>\\]+@/gi;
const BEARER = /\b(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}/gi;
const TOKEN_SHAPES = /\b(?:ph[xs]_[A-Za-z0-9]{16,}|gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})/g;
// Characters a pasted key is split on when looking for its pieces: whitespace, quotes (straight and
// typographic), zero-width characters and other controls.
const SPLIT = /[\s"'`\u2018\u2019\u201A\u201B\u201C\u201D\u201E\u201F\u00A0\u200B-\u200F\u2028\u2029\u2060\uFEFF\u0000-\u001F\u007F\\]+/;

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Redacts the fixed patterns only (PEM private keys, URL userinfo, bearer tokens, PostHog/GitHub token
 * shapes). Input: any text; output: the same text with each match replaced by `[REDACTED]` (the URL
 * scheme and `@`, and the word `Bearer`, are kept so the message still reads). Never throws.
 */
export function redactPatterns(text: string): string {
  return text
    .replace(PEM_BLOCK, "[REDACTED PRIVATE KEY]")
    .replace(URL_USERINFO, "$1[REDACTED]@")
    .replace(BEARER, "$1[REDACTED]")
    .replace(TOKEN_SHAPES, "[REDACTED]");
}

/**
 * Builds a redactor for the given secret values plus the fixed patterns of {@link redactPatterns}.
 *
 * Input: `secrets`, name → value (undefined/empty values and values shorter than
 * {@link MIN_SECRET_LENGTH} characters after trimming are ignored). Each value is matched as is, trimmed,
 * JSON-escaped, and piece by piece (pieces of at least {@link MIN_SECRET_LENGTH} characters between
 * whitespace, quotes, zero-width or control characters). A match becomes `[REDACTED NAME]`.
 *
 * Output: a pure function; the empty-secrets redactor still applies the patterns. Never throws.
 */
export function createRedactor(secrets: Record<string, string | undefined | null> = {}): Redactor {
  const labels = new Map<string, string>();
  const add = (variant: string, name: string) => {
    if (variant.length >= MIN_SECRET_LENGTH && !labels.has(variant)) labels.set(variant, name);
  };
  for (const [name, value] of Object.entries(secrets)) {
    if (!value) continue;
    for (const v of [value, value.trim()]) {
      add(v, name);
      add(JSON.stringify(v).slice(1, -1), name);
      for (const piece of v.split(SPLIT)) add(piece, name);
    }
  }
  if (labels.size === 0) return redactPatterns;
  // Longest first, so a whole value wins over its pieces.
  const alternatives = [...labels.keys()].sort((a, b) => b.length - a.length).map(escapeRegExp);
  const exact = new RegExp(alternatives.join("|"), "g");
  return (text: string) => redactPatterns(text.replace(exact, (m) => `[REDACTED ${labels.get(m) ?? "SECRET"}]`));
}

/**
 * A redactor for the secrets in `env` ({@link SECRET_ENV_VARS}); `extra` adds values known otherwise
 * (e.g. a webhook secret passed to Probot in code). Never throws.
 */
export function redactorFromEnv(
  env: Record<string, string | undefined> = process.env,
  extra: Record<string, string | undefined | null> = {},
): Redactor {
  const secrets: Record<string, string | undefined | null> = {};
  for (const name of SECRET_ENV_VARS) secrets[name] = env[name];
  return createRedactor({ ...secrets, ...extra });
}

/**
 * The same I/O object with `stdout` and `stderr` passed through a redactor built from its own `env`
 * (the CLI's streams). Input and output: `{ stdout(text), stderr(text), env, … }`.
 */
export function redactingIo<T extends { stdout: (t: string) => void; stderr: (t: string) => void; env: Record<string, string | undefined> }>(
  io: T,
): T {
  const redact = redactorFromEnv(io.env);
  return { ...io, stdout: (t: string) => io.stdout(redact(t)), stderr: (t: string) => io.stderr(redact(t)) };
}

const installed = new WeakMap<object, { redact: Redactor }>();

/**
 * Passes every line a pino logger writes through `redact`, whatever called the logger (our code,
 * Probot, @octokit/webhooks, pino-http, child loggers made before or after).
 *
 * pino's `redact` option only blanks known object paths and cannot see a secret inside a message, and
 * Probot creates the logger before the app is loaded, so this wraps the `write` method of the logger's
 * destination stream (found through pino's `pino.stream` symbol on the logger or its prototypes).
 * Calling it again on the same logger replaces the redactor.
 *
 * @returns true when the stream was found and wrapped, false for a logger that is not pino (nothing changed)
 */
export function redactLogOutput(logger: object, redact: Redactor): boolean {
  let stream: { write?: (chunk: unknown, ...rest: unknown[]) => unknown } | undefined;
  for (let o: object | null = logger; o && !stream; o = Object.getPrototypeOf(o) as object | null) {
    const sym = Object.getOwnPropertySymbols(o).find((s) => s.description === "pino.stream");
    if (sym) stream = (o as Record<symbol, typeof stream>)[sym];
  }
  if (!stream || typeof stream.write !== "function") return false;
  const current = installed.get(stream);
  if (current) {
    current.redact = redact;
    return true;
  }
  const state = { redact };
  installed.set(stream, state);
  const write = stream.write.bind(stream);
  stream.write = (chunk: unknown, ...rest: unknown[]) =>
    write(typeof chunk === "string" ? state.redact(chunk) : Buffer.isBuffer(chunk) ? state.redact(chunk.toString("utf8")) : chunk, ...rest);
  return true;
}
