/**
 * Ordinary user mistakes (issue #8): each exits 2 with exactly one line on stderr, no stack trace and no
 * secret; `--version` prints the package's version. The CLI runs in-process through `runCli`, as in
 * `cli.test.ts`; no PostHog server is needed because every mistake is caught before any request.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEMO_DIR, runCli, VERSION, type CliIo } from "../../src/cli/main.js";

const DIFF = join(DEMO_DIR, "pr.diff");
// An unreachable host: a test that got past validation would fail fast instead of calling out.
const ENV = { POSTHOG_HOST: "http://127.0.0.1:9", POSTHOG_PROJECT_ID: "4242", POSTHOG_PERSONAL_API_KEY: "phx_usage_test_key" };
const dir = mkdtempSync(join(tmpdir(), "eh-usage-"));

async function run(argv: string[], opts: { env?: Record<string, string | undefined>; stdin?: string } = {}) {
  let out = "";
  let err = "";
  const io: CliIo = {
    stdout: (t) => (out += t),
    stderr: (t) => (err += t),
    readStdin: async () => opts.stdin ?? "",
    stdinIsTTY: opts.stdin === undefined,
    env: opts.env ?? ENV,
  };
  const code = await runCli(argv, io);
  return { code, out, err };
}

/** Exactly one line, starting with "error: ", without a stack frame. */
function expectOneLineError(err: string): void {
  expect(err).toMatch(/^error: [^\n]+\n$/);
  expect(err).not.toMatch(/\n\s+at /);
}

describe("usage errors exit 2 with one line", () => {
  it("input that is not a diff (standard input)", async () => {
    const r = await run(["pr"], { stdin: "hello world\nthis is not a diff\n" });
    expect(r.code).toBe(2);
    expectOneLineError(r.err);
    expect(r.err).toMatch(/standard input is not a unified diff/);
    expect(r.out).toBe("");
  });

  it("a file that is not a diff, checked before PostHog settings are read", async () => {
    const file = join(dir, "notes.txt");
    writeFileSync(file, "Release notes\n- nothing here\n");
    const r = await run(["pr", file], { env: {} }); // no PostHog variables at all: the diff is checked first
    expect(r.code).toBe(2);
    expectOneLineError(r.err);
    expect(r.err).toContain(`${file} is not a unified diff`);
  });

  it("a missing diff file", async () => {
    const r = await run(["pr", join(dir, "missing.diff")]);
    expect(r.code).toBe(2);
    expectOneLineError(r.err);
    expect(r.err).toMatch(/cannot read diff .*missing\.diff: no such file/);
  });

  it("a missing --config file", async () => {
    const r = await run(["pr", DIFF, "--config", join(dir, "nope.yml")]);
    expect(r.code).toBe(2);
    expectOneLineError(r.err);
    expect(r.err).toMatch(/cannot read config file .*nope\.yml/);
  });

  it("a missing --snapshot file", async () => {
    const r = await run(["pr", DIFF, "--snapshot", join(dir, "nope.json")]);
    expect(r.code).toBe(2);
    expectOneLineError(r.err);
    expect(r.err).toMatch(/cannot read snapshot .*nope\.json: no such file/);
  });

  it("an unknown command", async () => {
    const r = await run(["frobnicate"]);
    expect(r.code).toBe(2);
    expectOneLineError(r.err);
    expect(r.err).toMatch(/unknown command 'frobnicate'.*--help/);
  });

  it("an unknown option, with commander's suggestion on the same line", async () => {
    const r = await run(["pr", "--jsno", DIFF]);
    expect(r.code).toBe(2);
    expectOneLineError(r.err);
    expect(r.err).toMatch(/unknown option '--jsno'.*--json/);
  });

  it("a missing required option", async () => {
    const r = await run(["snapshot"]);
    expect(r.code).toBe(2);
    expectOneLineError(r.err);
    expect(r.err).toMatch(/--out/);
  });

  it("missing PostHog settings name the variables", async () => {
    const r = await run(["pr", DIFF], { env: {} });
    expect(r.code).toBe(2);
    expectOneLineError(r.err);
    expect(r.err).toMatch(/POSTHOG_PROJECT_ID.*POSTHOG_PERSONAL_API_KEY/);
  });

  it("a blank PostHog key counts as missing", async () => {
    const r = await run(["pr", DIFF], { env: { ...ENV, POSTHOG_PERSONAL_API_KEY: "  \n " } });
    expect(r.code).toBe(2);
    expectOneLineError(r.err);
    expect(r.err).toMatch(/POSTHOG_PERSONAL_API_KEY is not set/);
  });

  it("a POSTHOG_HOST that is not an http(s) URL", async () => {
    const r = await run(["pr", DIFF], { env: { ...ENV, POSTHOG_HOST: "ftp://posthog.example.com" } });
    expect(r.code).toBe(2);
    expectOneLineError(r.err);
    expect(r.err).toMatch(/POSTHOG_HOST must be an http\(s\) URL/);
  });

  it("a POSTHOG_HOST with userinfo, without echoing it", async () => {
    const r = await run(["pr", DIFF], { env: { ...ENV, POSTHOG_HOST: "ftp://admin:hunter2@posthog.example.com" } });
    expect(r.code).toBe(2);
    expectOneLineError(r.err);
    expect(r.err).toMatch(/POSTHOG_HOST must not contain a user name or password/);
    expect(r.err).not.toContain("hunter2");
    expect(r.err).not.toContain("admin");
  });

  it("a malformed project id", async () => {
    const r = await run(["pr", DIFF], { env: { ...ENV, POSTHOG_PROJECT_ID: "my-project" } });
    expect(r.code).toBe(2);
    expectOneLineError(r.err);
    expect(r.err).toMatch(/POSTHOG_PROJECT_ID must be a numeric project id/);
  });

  it("scan with APP_ID but no private key", async () => {
    const r = await run(["scan", "--dry-run"], { env: { ...ENV, APP_ID: "123" } });
    expect(r.code).toBe(2);
    expectOneLineError(r.err);
    expect(r.err).toMatch(/PRIVATE_KEY/);
  });

  it("scan with a private key that is not a PEM key, without printing it", async () => {
    const r = await run(["scan", "--dry-run"], { env: { ...ENV, APP_ID: "123", PRIVATE_KEY: "not-a-pem-secret-value" } });
    expect(r.code).toBe(2);
    expectOneLineError(r.err);
    expect(r.err).toMatch(/cannot use the App credentials/);
    expect(r.err).not.toContain("not-a-pem-secret-value");
  });
});

describe("a malformed PostHog key is never printed", () => {
  // Bad pastes from issue #8: a newline inside the key, a smart quote, a zero-width space.
  const keys = ["phx_first_half\nphx_second_half_secret", "phx_smart\u201Cquote_secret", "phx_zero\u200Bwidth_secret"];
  for (const key of keys) {
    it(`${JSON.stringify(key)}: one line, no part of the key, no stack, non-zero exit`, async () => {
      const r = await run(["pr", DIFF], { env: { ...ENV, POSTHOG_PERSONAL_API_KEY: key } });
      // src/posthog/config.ts refuses the key's shape (a PostHogConfigError): a usage error.
      expect(r.code).toBe(2);
      expectOneLineError(r.err);
      for (const piece of key.split(/[\n\u201C\u200B]/)) expect(r.err + r.out).not.toContain(piece);
    });
  }
});

describe("--version", () => {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };

  it("prints package.json's version and exits 0", async () => {
    for (const flag of ["--version", "-V"]) {
      const r = await run([flag]);
      expect(r.code).toBe(0);
      expect(r.out).toBe(`${pkg.version}\n`);
      expect(r.err).toBe("");
    }
    expect(VERSION).toBe(pkg.version);
  });
});
