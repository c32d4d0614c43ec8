/**
 * The redaction module: secret values (whole, JSON-escaped, piece by piece), PEM private keys, URL
 * userinfo, bearer tokens and token shapes are removed; ordinary text is left alone; a pino logger's
 * output is redacted whoever logs.
 */
import { Writable } from "node:stream";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { createRedactor, redactingIo, redactLogOutput, redactorFromEnv, redactPatterns } from "../src/redact.js";
import { PRIVATE_KEY } from "./support/github.js";
import { BAD_KEYS, GOOD_KEY, traces } from "./support/secrets.js";

describe("createRedactor", () => {
  it.each(BAD_KEYS)("removes a key with $label whole, JSON-escaped and in pieces", ({ key }) => {
    const redact = createRedactor({ POSTHOG_PERSONAL_API_KEY: key });
    const text = [
      `Headers.append: "Bearer ${key}" is an invalid header value.`,
      JSON.stringify({ msg: `key=${key}` }),
      ...key.split(/[\n\u201C\u201D\u200B]/),
    ].join(" | ");
    const out = redact(text);
    expect(traces(out, key)).toStrictEqual([]);
    expect(out).toContain("[REDACTED POSTHOG_PERSONAL_API_KEY]");
    expect(out).toContain("is an invalid header value.");
  });

  it("removes PEM private keys, raw and JSON-escaped, and unterminated ones", () => {
    const redact = createRedactor();
    const body = PRIVATE_KEY.split("\n")[5]!;
    expect(body.length).toBeGreaterThan(40);
    for (const text of [`key: ${PRIVATE_KEY} end`, JSON.stringify({ key: PRIVATE_KEY }), PRIVATE_KEY.slice(0, 400)]) {
      const out = redact(text);
      expect(out).toContain("[REDACTED PRIVATE KEY]");
      expect(out).not.toContain(body.slice(0, 20));
    }
    expect(redact(`key: ${PRIVATE_KEY.trim()} end`)).toBe("key: [REDACTED PRIVATE KEY] end");
  });

  it("removes URL userinfo, bearer tokens and PostHog/GitHub token shapes", () => {
    expect(redactPatterns("fetch https://alice:s3cret@eu.posthog.com/api failed")).toBe("fetch https://[REDACTED]@eu.posthog.com/api failed");
    expect(redactPatterns('{"url":"http://tok3n@127.0.0.1:8010/x"}')).toBe('{"url":"http://[REDACTED]@127.0.0.1:8010/x"}');
    expect(redactPatterns("authorization: Bearer abcdEFGH1234.xyz")).toBe("authorization: Bearer [REDACTED]");
    expect(redactPatterns(`key ${GOOD_KEY} and ghs_${"a1".repeat(15)}`)).toBe("key [REDACTED] and [REDACTED]");
  });

  it("leaves ordinary text alone", () => {
    const text =
      "GET /api/projects/1/experiments/ 200; see https://github.com/o/r/pull/2 and https://us.posthog.com/project/1; " +
      "sent as `Authorization: Bearer <key>`; user@example.com; phx_… is a personal API key";
    expect(createRedactor({ WEBHOOK_SECRET: "short", POSTHOG_PERSONAL_API_KEY: GOOD_KEY })(text)).toBe(text);
  });

  it("redactorFromEnv reads the secret variables, not others", () => {
    const redact = redactorFromEnv({ WEBHOOK_SECRET: "hook-secret-value", SCAN_TRIGGER_SECRET: "trigger-secret-value", POSTHOG_PROJECT_ID: "123456789" });
    expect(redact("a hook-secret-value b trigger-secret-value c 123456789")).toBe(
      "a [REDACTED WEBHOOK_SECRET] b [REDACTED SCAN_TRIGGER_SECRET] c 123456789",
    );
  });
});

describe("redactLogOutput", () => {
  function logger(level = "info") {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    return { log: pino({ level }, sink), text: () => lines.join("") };
  }

  it("redacts every line, from the logger and from children made before and after", () => {
    const { log, text } = logger();
    const before = log.child({ name: "event" });
    const key = BAD_KEYS[0]!.key;
    expect(redactLogOutput(log, createRedactor({ POSTHOG_PERSONAL_API_KEY: key }))).toBe(true);
    const after = log.child({ name: "http" });
    log.error(new TypeError(`Headers.append: "Bearer ${key}" is an invalid header value.`));
    before.info({ url: "https://alice:s3cret@eu.posthog.com" }, `key is ${key}`);
    after.warn({ err: { message: key } }, "failed");
    expect(text().split("\n").filter(Boolean)).toHaveLength(3);
    expect(traces(text(), key)).toStrictEqual([]);
    expect(text()).not.toContain("s3cret");
    expect(text()).toContain("[REDACTED POSTHOG_PERSONAL_API_KEY]");
  });

  it("a second call replaces the redactor instead of stacking; a non-pino object is left alone", () => {
    const { log, text } = logger();
    redactLogOutput(log, createRedactor({ WEBHOOK_SECRET: "first-secret-1" }));
    redactLogOutput(log, createRedactor({ WEBHOOK_SECRET: "second-secret-2" }));
    log.info("first-secret-1 second-secret-2");
    expect(text()).toContain("first-secret-1 [REDACTED WEBHOOK_SECRET]");
    expect(redactLogOutput({ info() {} }, createRedactor())).toBe(false);
  });
});

describe("redactingIo", () => {
  it("passes stdout and stderr through a redactor built from the I/O's env", () => {
    const out: string[] = [];
    const io = redactingIo({
      stdout: (t: string) => out.push(`out:${t}`),
      stderr: (t: string) => out.push(`err:${t}`),
      env: { POSTHOG_PERSONAL_API_KEY: GOOD_KEY },
    });
    io.stdout(`a ${GOOD_KEY}`);
    io.stderr(`b ${GOOD_KEY}`);
    expect(out).toStrictEqual(["out:a [REDACTED POSTHOG_PERSONAL_API_KEY]", "err:b [REDACTED POSTHOG_PERSONAL_API_KEY]"]);
  });
});
