/**
 * PostHog SDK call shapes that take a feature flag key, and the line-local argument parsing that pulls a
 * literal key out of them.
 *
 * Source: /work/shared/reference/flag-references.md §4 (PostHog SDK sources: posthog-js
 * `packages/browser/src/posthog-core.ts`, `packages/react/src/hooks`, `packages/react-native/src`,
 * `packages/node/src/client.ts`, posthog-python `posthog/__init__.py`, posthog-go `posthog.go`,
 * posthog-ruby `lib/posthog/client.rb`, posthog-php `lib/PostHog.php`, posthog-android
 * `PostHogInterface.kt` and `posthog-server/`, posthog-ios `PostHogSDK.swift`, posthog-flutter
 * `posthog.dart`, posthog-java `PostHog.java`, posthog-dotnet `IPostHogClient.cs`, posthog-elixir
 * `lib/posthog/feature_flags.ex`).
 *
 * Parsing here works on the text it is given: one line from `matcher.ts`, or the call's lines joined with
 * `\n` from `document.ts`, which follows a call until its brackets close.
 */

/** Where the feature flag key sits in a recognised call. */
export type KeySlot =
  /** First positional argument, or a named `key=`/`key:` argument. */
  | "first"
  /**
   * `isFeatureEnabled`/`getFeatureFlag`/`getFeatureFlagPayload`/`getFeatureFlagResult`: first argument in
   * every SDK except the JVM server SDK (posthog-android `posthog-server/`), which takes
   * `(distinctId, key)`.
   */
  | "first-or-second"
  /** Elixir `Evaluations.enabled?(snapshot, key)`, or `snapshot |> Evaluations.enabled?(key)`. */
  | "second-or-only"
  /** Every element of the array literal that follows (`flagKeys: [...]`, `flag_keys=[...]`, `.only([...])`). */
  | "array"
  /** Every key of the object literal that follows (posthog-js `bootstrap: { featureFlags: {K: …} }`). */
  | "object-keys"
  /** posthog-js `featureFlags.override({K: …})`, `override([K, …])` or `override(K)`. */
  | "override"
  /** Go `FeatureFlagPayload{Key: K, …}`. */
  | "go-struct-key"
  /** React `<PostHogFeature flag="K">` / `flag={"K"}`. */
  | "jsx-flag";

/** One recognised call shape, triggered by an identifier token. */
export interface SdkShape {
  /** The identifier that triggers the shape (method, hook, component, struct or option name). */
  token: string;
  slot: KeySlot;
  /**
   * PostHog-specific name: an unknown literal key is reported even when no known key is close. Generic
   * names (`isEnabled`, `is_enabled`, `enabled?`, `only`, `useFeatureFlag`, `featureFlags: {}`) only report
   * unknown keys that are close to a known key, to keep other libraries' calls from being flagged.
   */
  strict: boolean;
  /** Text that must immediately precede the token (e.g. `FeatureFlags.` for Elixir `check`). */
  before?: string;
  /** Character that must immediately follow the token (Ruby/Elixir `enabled?`). */
  suffix?: string;
  /** Which SDKs use it (documentation only). */
  sdks: string;
}

/** How the token must be followed for the shape to apply. */
type Opener = "call" | "assign-array" | "call-array" | "assign-object" | "struct" | "jsx";

function openerOf(slot: KeySlot, token: string): Opener {
  switch (slot) {
    case "array":
      return token === "only" ? "call-array" : "assign-array";
    case "object-keys":
      return "assign-object";
    case "go-struct-key":
      return "struct";
    case "jsx-flag":
      return "jsx";
    default:
      return "call";
  }
}

const Q = ["isFeatureEnabled", "getFeatureFlag", "getFeatureFlagPayload", "getFeatureFlagResult"];

/** The PostHog SDK call shapes recognised on a changed line (flag-references.md §4 table). */
export const SDK_SHAPES: readonly SdkShape[] = [
  ...Q.map((token): SdkShape => ({
    token,
    slot: "first-or-second",
    strict: true,
    sdks: "posthog-js, React Native, Node, PHP (PostHog::), Android, iOS, Flutter; JVM server with the key second",
  })),
  { token: "updateEarlyAccessFeatureEnrollment", slot: "first", strict: true, sdks: "posthog-js" },
  { token: "override", before: "featureFlags.", slot: "override", strict: true, sdks: "posthog-js" },
  { token: "featureFlags", slot: "object-keys", strict: false, sdks: "posthog-js bootstrap" },
  ...["useFeatureFlagEnabled", "useFeatureFlagVariantKey", "useFeatureFlagPayload", "useFeatureFlagResult"].map(
    (token): SdkShape => ({ token, slot: "first", strict: true, sdks: "React / Next / Nuxt hooks" }),
  ),
  { token: "PostHogFeature", slot: "jsx-flag", strict: true, sdks: "React <PostHogFeature>" },
  { token: "useFeatureFlag", slot: "first", strict: false, sdks: "Next, React Native" },
  { token: "useFeatureFlagWithPayload", slot: "first", strict: true, sdks: "React Native" },
  { token: "onFeatureFlag", slot: "first", strict: true, sdks: "React Native" },
  { token: "flagKeys", slot: "array", strict: true, sdks: "Node evaluateFlags/getAllFlags" },
  { token: "only", slot: "array", strict: false, sdks: "Node snapshot .only([K])" },
  ...["isEnabled", "getFlag", "getFlagPayload"].map(
    (token): SdkShape => ({ token, slot: "first", strict: false, sdks: "Node / PHP / JVM snapshot" }),
  ),
  ...["feature_enabled", "get_feature_flag", "get_feature_flag_payload", "get_feature_flag_result", "is_feature_enabled"].map(
    (token): SdkShape => ({ token, slot: "first", strict: true, sdks: "Python, Ruby" }),
  ),
  { token: "flag_keys", slot: "array", strict: true, sdks: "Python evaluate_flags(flag_keys=[…])" },
  ...["is_enabled", "get_flag", "get_flag_payload"].map(
    (token): SdkShape => ({ token, slot: "first", strict: false, sdks: "Python snapshot" }),
  ),
  { token: "FeatureFlagPayload", slot: "go-struct-key", strict: true, sdks: "Go" },
  ...["IsEnabled", "GetFlag", "GetFlagPayload"].map(
    (token): SdkShape => ({ token, slot: "first", strict: false, sdks: "Go / .NET snapshot" }),
  ),
  ...[
    "IsFeatureEnabled",
    "GetFeatureFlag",
    "GetFeatureFlagPayload",
    "IsFeatureEnabledAsync",
    "GetFeatureFlagAsync",
    "GetFeatureFlagPayloadAsync",
  ].map((token): SdkShape => ({ token, slot: "first", strict: true, sdks: ".NET (Go takes a struct)" })),
  { token: "isFeatureFlagEnabled", slot: "first", strict: true, sdks: "legacy Java" },
  // Remote config payloads (a flag with a remote-config payload): Node `getRemoteConfigPayload(flagKey)`,
  // Go `GetRemoteConfigPayload(flagKey)`, .NET `GetRemoteConfigPayloadAsync(key)`, Python
  // `get_remote_config_payload(key)`.
  { token: "getRemoteConfigPayload", slot: "first", strict: true, sdks: "Node" },
  { token: "GetRemoteConfigPayload", slot: "first", strict: true, sdks: "Go" },
  { token: "GetRemoteConfigPayloadAsync", slot: "first", strict: true, sdks: ".NET" },
  { token: "get_remote_config_payload", slot: "first", strict: true, sdks: "Python" },
  { token: "check", before: "FeatureFlags.", slot: "first", strict: true, sdks: "Elixir PostHog.FeatureFlags.check" },
  {
    token: "enabled",
    suffix: "?",
    before: "Evaluations.",
    slot: "second-or-only",
    strict: true,
    sdks: "Elixir Evaluations.enabled?",
  },
  { token: "enabled", suffix: "?", slot: "first", strict: false, sdks: "Ruby snapshot .enabled?" },
];

/** Literal keys found at the key position of one recognised call. */
export interface CallFinding {
  shape: SdkShape;
  /** Literal contents (key charset only) that may be the key, in order of preference. */
  candidates: string[];
  /** For single-key slots: the candidate reported as unknown when none is known or close; else null. */
  primary: string | null;
  /** True for arrays / object keys: every candidate is a key on its own. */
  independent: boolean;
}

const KEY_RE = /^[A-Za-z0-9_-]+$/;
const NAMED_ARG_RE = /^([A-Za-z_][A-Za-z0-9_]*)\s*(?:=(?![=>])|:(?!:))\s*/;
const LITERAL_RE = /^(?:[rRbBuUfF]{1,2}|@|\$|:)?(["'`])([A-Za-z0-9_-]+)\1/;
const SYMBOL_RE = /^:([A-Za-z0-9_]+)/;
const TRAILER_OK_RE = /^\s+(?:as|and|or|if|unless|do|then)\b/;
const KEY_ARG_NAMES = new Set([
  "key",
  "flag",
  "flagKey",
  "flag_key",
  "featureKey",
  "feature_key",
  "featureFlagKey",
  "feature_flag_key",
]);
const JVM_FILE_RE = /\.(?:java|kt|kts|scala|groovy|clj)$/i;

/** Whether a path is a JVM source file (where `isFeatureEnabled(distinctId, key)` takes the key second). */
export function isJvmFile(file: string | undefined): boolean {
  return file !== undefined && JVM_FILE_RE.test(file);
}

/**
 * The literal content of one argument expression when the whole argument is a single string literal
 * (`"k"`, `'k'`, `` `k` ``, with `r`/`f`/`b`/`u`/`@`/`$` prefixes) or a Ruby/Elixir symbol/atom (`:k`,
 * `:"k"`) whose content is in the key charset; otherwise null. Interpolated strings never qualify because
 * `$`, `{` and `#` are outside the charset. A trailing `as const` / `and …` is tolerated.
 */
export function literalKey(arg: string): string | null {
  const m = LITERAL_RE.exec(arg) ?? SYMBOL_RE.exec(arg);
  if (!m) return null;
  const content = (m.length === 3 ? m[2] : m[1])!;
  const rest = arg.slice(m[0].length);
  if (rest.trim() !== "" && !TRAILER_OK_RE.test(rest)) return null;
  return content;
}

interface ListItem {
  /** Trimmed item text. */
  text: string;
}

/**
 * Splits a bracketed list on top-level commas, starting just after the opening bracket, up to the
 * matching closer or the end of the line. Strings (`"`, `'`, `` ` ``) and nested brackets are skipped.
 * With `bare`, the list is a paren-less Ruby/Elixir call and also ends at `;`.
 */
function splitList(s: string, from: number, bare: boolean): ListItem[] {
  const items: ListItem[] = [];
  let depth = 0;
  let start = from;
  let i = from;
  const n = s.length;
  const push = (end: number) => {
    const text = s.slice(start, end).trim();
    if (text !== "") items.push({ text });
  };
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c === 34 || c === 39 || c === 96) {
      // skip a string literal
      i++;
      while (i < n) {
        const d = s.charCodeAt(i);
        if (d === 92) i += 2;
        else if (d === c) break;
        else i++;
      }
      i++;
      continue;
    }
    if (c === 40 || c === 91 || c === 123) depth++;
    else if (c === 41 || c === 93 || c === 125) {
      if (depth === 0) {
        push(i);
        return items;
      }
      depth--;
    } else if (c === 44 && depth === 0) {
      push(i);
      start = i + 1;
    } else if (bare && c === 59 && depth === 0) {
      push(i);
      return items;
    }
    i++;
  }
  push(n);
  return items;
}

function skipSpaces(s: string, i: number): number {
  while (i < s.length && (s.charCodeAt(i) === 32 || s.charCodeAt(i) === 9)) i++;
  return i;
}

/**
 * Where the arguments of a call following the token start: just after `(` (skipping TypeScript type
 * arguments and `?.`), or at the first argument of a paren-less Ruby/Elixir call (`bare`); null when the
 * token is not followed by a call.
 */
function callOpen(s: string, j: number): { at: number; bare: boolean } | null {
  let k = j;
  // TypeScript type arguments: useFeatureFlagPayload<Payload>("k")
  if (s.charCodeAt(k) === 60 /* < */) {
    const close = s.indexOf(">", k);
    if (close < 0 || /[()"'`;]/.test(s.slice(k, close))) return null;
    k = close + 1;
  }
  if (s.charCodeAt(k) === 63 /* ? */ && s.charCodeAt(k + 1) === 46 /* . */) k += 2; // optional call ?.()
  const afterSpace = skipSpaces(s, k);
  if (s.charCodeAt(afterSpace) === 40 /* ( */) return { at: afterSpace + 1, bare: false };
  if (afterSpace > k) {
    // Paren-less Ruby/Elixir call: `get_feature_flag 'k', id`, `check :k`.
    const c = s.charCodeAt(afterSpace);
    if (c === 34 || c === 39) return { at: afterSpace, bare: true };
    if (c === 58 /* : */ && /^:["'A-Za-z_]/.test(s.slice(afterSpace, afterSpace + 2))) return { at: afterSpace, bare: true };
  }
  return null;
}

function namedOrPositional(items: ListItem[]): { named: string | null; positional: string[] } {
  let named: string | null = null;
  const positional: string[] = [];
  for (const item of items) {
    const m = NAMED_ARG_RE.exec(item.text);
    if (m) {
      if (KEY_ARG_NAMES.has(m[1]!) && named === null) named = item.text.slice(m[0].length);
    } else positional.push(item.text);
  }
  return { named, positional };
}

function objectKeys(items: ListItem[]): string[] {
  const out: string[] = [];
  for (const item of items) {
    const lit = LITERAL_RE.exec(item.text);
    if (lit && /^\s*(?::|=>)/.test(item.text.slice(lit[0].length))) {
      out.push(lit[2]!);
      continue;
    }
    const id = /^([A-Za-z_$][A-Za-z0-9_$]*)\s*(?::(?!:)|=>)/.exec(item.text);
    if (id && KEY_RE.test(id[1]!)) out.push(id[1]!);
  }
  return out;
}

function literals(items: ListItem[]): string[] {
  const out: string[] = [];
  for (const item of items) {
    const k = literalKey(item.text);
    if (k !== null) out.push(k);
  }
  return out;
}

/**
 * Tries one shape at an identifier token `s.slice(i, j)`.
 *
 * @param s the line
 * @param i start of the token
 * @param j end of the token (exclusive)
 * @param jvm whether the file is a JVM source file (key-second server SDK)
 * @returns the literal candidates when the shape applies, or null when the token is not such a call
 */
export function matchShape(s: string, i: number, j: number, shape: SdkShape, jvm: boolean): CallFinding | null {
  if (shape.before !== undefined) {
    const b = shape.before;
    if (i < b.length || s.slice(i - b.length, i) !== b) return null;
  }
  let end = j;
  if (shape.suffix !== undefined) {
    if (s.slice(j, j + shape.suffix.length) !== shape.suffix) return null;
    end = j + shape.suffix.length;
  }
  const single = (candidates: string[], primary: string | null): CallFinding => ({
    shape,
    candidates,
    primary,
    independent: false,
  });
  const many = (candidates: string[]): CallFinding => ({ shape, candidates, primary: null, independent: true });

  switch (openerOf(shape.slot, shape.token)) {
    case "call": {
      const open = callOpen(s, end);
      if (!open) return null;
      const items = splitList(s, open.at, open.bare);
      const { named, positional } = namedOrPositional(items);
      if (named !== null) {
        const k = literalKey(named);
        return single(k === null ? [] : [k], k);
      }
      const a0 = positional[0] === undefined ? null : literalKey(positional[0]);
      const a1 = positional[1] === undefined ? null : literalKey(positional[1]);
      switch (shape.slot) {
        case "first":
          return single(a0 === null ? [] : [a0], a0);
        case "first-or-second": {
          const candidates = [a0, a1].filter((x): x is string => x !== null);
          // JVM server SDK: (distinctId, key). Elsewhere the second argument is a distinct id or a default.
          const primary = jvm && a1 !== null ? a1 : a0;
          return single(candidates, primary);
        }
        case "second-or-only": {
          const k = positional.length >= 2 ? a1 : a0;
          return single(k === null ? [] : [k], k);
        }
        case "override": {
          const first = positional[0];
          if (first === undefined) return single([], null);
          if (first.startsWith("{")) return many(objectKeys(splitList(first, 1, false)));
          if (first.startsWith("[")) return many(literals(splitList(first, 1, false)));
          return single(a0 === null ? [] : [a0], a0);
        }
        default:
          return null;
      }
    }
    case "assign-array": {
      const m = /^\s*(?:=(?![=>])|:(?!:))\s*\[/.exec(s.slice(end, end + 64));
      if (!m) return null;
      return many(literals(splitList(s, end + m[0].length, false)));
    }
    case "call-array": {
      const m = /^\s*\(\s*\[/.exec(s.slice(end, end + 64));
      if (!m) return null;
      return many(literals(splitList(s, end + m[0].length, false)));
    }
    case "assign-object": {
      const m = /^\s*:\s*\{/.exec(s.slice(end, end + 64));
      if (!m) return null;
      return many(objectKeys(splitList(s, end + m[0].length, false)));
    }
    case "struct": {
      const m = /^\s*\{/.exec(s.slice(end, end + 64));
      if (!m) return null;
      const items = splitList(s, end + m[0].length, false);
      for (const item of items) {
        const f = /^Key\s*:\s*/.exec(item.text);
        if (f) {
          const k = literalKey(item.text.slice(f[0].length));
          return single(k === null ? [] : [k], k);
        }
      }
      return single([], null);
    }
    case "jsx": {
      if (i === 0 || s.charCodeAt(i - 1) !== 60 /* < */) return null;
      const m = /^[^>]*?\bflag\s*=\s*(?:\{\s*)?(["'`])([^"'`]*)\1/.exec(s.slice(end));
      if (!m) return single([], null);
      const k = KEY_RE.test(m[2]!) ? m[2]! : null;
      return single(k === null ? [] : [k], k);
    }
  }
}
