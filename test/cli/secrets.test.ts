/**
 * The CLI with a malformed PostHog key or a POSTHOG_HOST with credentials: it refuses with one message
 * naming the variable (no stack, no ByteString error) and nothing it prints contains the secret; and
 * whatever error text would carry a secret, stdout and stderr are redacted.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEMO_DIR, runCli, type CliIo } from "../../src/cli/main.js";
import { BAD_KEYS, GOOD_KEY, traces } from "../support/secrets.js";

function io(env: Record<string, string | undefined>) {
  const out: string[] = [];
  const value: CliIo = {
    stdout: (t) => out.push(t),
    stderr: (t) => out.push(t),
    readStdin: async () => "",
    stdinIsTTY: true,
    env,
  };
  return { io: value, all: () => out.join("") };
}

const DIFF = join(DEMO_DIR, "pr.diff");

describe("experiment-hygiene with a malformed PostHog key", () => {
  it.each(BAD_KEYS)("a key with $label: refused by class and position, never printed", async ({ key, position, cls }) => {
    const t = io({ POSTHOG_PROJECT_ID: "1", POSTHOG_PERSONAL_API_KEY: key });
    const code = await runCli(["pr", DIFF], t.io);
    expect(code).toBeGreaterThan(0);
    expect(t.all()).toContain(`POSTHOG_PERSONAL_API_KEY contains ${cls} at position ${position}`);
    expect(t.all()).not.toMatch(/ByteString|invalid header value|\n\s+at /);
    expect(traces(t.all(), key)).toStrictEqual([]);
  });

  it("a POSTHOG_HOST with user:pass@ is refused without the credentials", async () => {
    const t = io({ POSTHOG_HOST: "https://alice:pa55-w0rd-secret@eu.posthog.com", POSTHOG_PROJECT_ID: "1", POSTHOG_PERSONAL_API_KEY: GOOD_KEY });
    expect(await runCli(["pr", DIFF], t.io)).toBeGreaterThan(0);
    expect(t.all()).toContain("POSTHOG_HOST must not contain a user name or password");
    expect(t.all()).not.toContain("pa55-w0rd-secret");
    expect(t.all()).not.toContain("alice");
  });

  it("an error message that carries the key (here: in a file name) is printed redacted", async () => {
    const t = io({ POSTHOG_PROJECT_ID: "1", POSTHOG_PERSONAL_API_KEY: GOOD_KEY });
    expect(await runCli(["pr", `/nonexistent/${GOOD_KEY}.diff`], t.io)).toBeGreaterThan(0);
    expect(t.all()).toContain("/nonexistent/[REDACTED POSTHOG_PERSONAL_API_KEY].diff");
    expect(t.all()).not.toContain(GOOD_KEY);
  });
});
