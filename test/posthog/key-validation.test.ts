/**
 * The PostHog settings are checked at start-up: a personal API key with a line break, smart quotes or a
 * zero-width character, or without `phx_`, and a POSTHOG_HOST with `user:pass@`, are refused with a
 * message that names the variable, the character class and the position, and repeats none of the value.
 */
import { describe, expect, it } from "vitest";
import { personalApiKeyProblem, PostHogConfigError, posthogConfigFromEnv } from "../../src/posthog/index.js";
import { BAD_KEYS, GOOD_KEY, traces } from "../support/secrets.js";

const base = { POSTHOG_PROJECT_ID: "12" };

describe("personalApiKeyProblem", () => {
  it("accepts a well-formed phx_ key", () => {
    expect(personalApiKeyProblem(GOOD_KEY)).toBeNull();
  });

  it.each(BAD_KEYS)("refuses a key with $label by class and position, never by value", ({ key, position, cls }) => {
    const problem = personalApiKeyProblem(key)!;
    expect(problem).toBe(
      `POSTHOG_PERSONAL_API_KEY contains ${cls} at position ${position} of ${[...key].length}` +
        (key.startsWith("\u201C") ? " (and 1 more invalid character)" : "") +
        "; a key is printable ASCII without spaces, quotes or line breaks — re-copy the key from PostHog",
    );
    expect(traces(problem, key)).toStrictEqual([]);
  });

  it("names spaces, tabs, straight quotes and other non-ASCII characters", () => {
    expect(personalApiKeyProblem("phx_ab cd")).toContain("a space (U+0020) at position 7");
    expect(personalApiKeyProblem("phx_ab\tcd")).toContain("a tab (U+0009) at position 7");
    expect(personalApiKeyProblem('"phx_abcd"')).toContain("a quote character (U+0022) at position 1");
    expect(personalApiKeyProblem("phx_abcé")).toContain("a non-ASCII character (U+00E9) at position 8");
    expect(personalApiKeyProblem("phx_ab\u00A0cd")).toContain("a no-break space (U+00A0)");
    expect(personalApiKeyProblem("phx_ab\u0007cd")).toContain("a control character (U+0007)");
  });

  it("refuses other prefixes, with a hint for project keys", () => {
    expect(personalApiKeyProblem("phc_abcdef")).toContain("starting with phx_ (phc_… is a project API key");
    expect(personalApiKeyProblem("phs_abcdef")).toContain("(phs_… is a project secret key");
    const other = personalApiKeyProblem("sk_live_abcdef")!;
    expect(other).toContain("must be a personal API key starting with phx_;");
    expect(other).not.toContain("sk_live");
  });
});

describe("posthogConfigFromEnv refuses bad values without echoing them", () => {
  it.each(BAD_KEYS)("a key with $label → PostHogConfigError naming POSTHOG_PERSONAL_API_KEY", ({ key, position }) => {
    let error: unknown;
    try {
      posthogConfigFromEnv({ ...base, POSTHOG_PERSONAL_API_KEY: key });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PostHogConfigError);
    const e = error as PostHogConfigError;
    expect(e.variables).toStrictEqual(["POSTHOG_PERSONAL_API_KEY"]);
    expect(e.message).toContain(`at position ${position} of`);
    expect(traces(`${e.message}\n${e.stack}`, key)).toStrictEqual([]);
  });

  it("a trailing newline (the usual paste) is trimmed and the key accepted", () => {
    expect(posthogConfigFromEnv({ ...base, POSTHOG_PERSONAL_API_KEY: `${GOOD_KEY}\n` }).apiKey).toBe(GOOD_KEY);
  });

  it("refuses POSTHOG_HOST with user:pass@ and does not repeat the credentials", () => {
    const host = "https://alice:pa55-w0rd-secret@eu.posthog.com";
    let message = "";
    try {
      posthogConfigFromEnv({ ...base, POSTHOG_HOST: host, POSTHOG_PERSONAL_API_KEY: GOOD_KEY });
    } catch (e) {
      expect(e).toBeInstanceOf(PostHogConfigError);
      expect((e as PostHogConfigError).variables).toStrictEqual(["POSTHOG_HOST"]);
      message = (e as Error).message;
    }
    expect(message).toContain("POSTHOG_HOST must not contain a user name or password");
    expect(message).not.toContain("pa55-w0rd-secret");
    expect(message).not.toContain("alice");
  });

  it("an unparseable POSTHOG_HOST with an @ is shown without what precedes the @", () => {
    try {
      posthogConfigFromEnv({ ...base, POSTHOG_HOST: "alice:pa55-w0rd-secret@eu.posthog.com", POSTHOG_PERSONAL_API_KEY: GOOD_KEY });
      expect.unreachable();
    } catch (e) {
      const message = (e as Error).message;
      expect(message).toContain('got "[REDACTED]@eu.posthog.com"');
      expect(message).not.toContain("pa55-w0rd-secret");
    }
  });
});
