import { execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { Octokit } from "@octokit/rest";
import nock from "nock";
import { ProbotOctokit } from "probot";
import tar from "tar-stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  codeUrl,
  RepositoryScanError,
  scanRepository,
  scanTarball,
  type RepositoryReference,
} from "../../src/pipeline/repository-scan.js";
import { scanTarball as scanArchive, type FileScanner } from "../../src/github/repository-scan.js";

const TOP = "octo-hello-abc1234";
const KEYS = ["new-checkout", "beta-banner", "pricing_v2", "unused-flag"];
const FULL_SHA = "abc1234" + "0123456789abcdef0123456789abcdef0";

type TarEntry =
  | { name: string; content: string | Buffer }
  | { name: string; type: "directory" }
  | { name: string; type: "symlink"; linkname: string }
  | { name: string; type: "pax-global-header"; content: string };

/** Builds a real .tar.gz with tar-stream's pack() and zlib. */
async function makeTarGz(entries: TarEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    pack.on("data", (c: unknown) => chunks.push(c as Buffer));
    pack.on("end", () => resolve());
    pack.on("error", reject);
  });
  for (const e of entries) {
    if ("type" in e && e.type === "directory") pack.entry({ name: e.name, type: "directory" });
    else if ("type" in e && e.type === "symlink") pack.entry({ name: e.name, type: "symlink", linkname: e.linkname });
    else pack.entry({ name: e.name }, (e as { content: string | Buffer }).content);
  }
  pack.finalize();
  await done;
  const tarBytes = Buffer.concat(chunks);
  // tar-stream's pack() cannot write a pax global header; it is packed as a file and retyped here ('g').
  if (entries[0] && "type" in entries[0] && entries[0].type === "pax-global-header") setTypeflag(tarBytes, 0, "g");
  return gzipSync(tarBytes);
}

/** Sets the typeflag of the 512-byte header at `offset` and recomputes its checksum (POSIX ustar). */
function setTypeflag(tarBytes: Buffer, offset: number, flag: string): void {
  const h = tarBytes.subarray(offset, offset + 512);
  h[156] = flag.charCodeAt(0);
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, "0") + "\0 ", 148, "latin1");
}

/** A pax record "<len> key=value\n", where len counts the whole record. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len = String(len).length + body.length;
  return `${len}${body}`;
}

const BIG = 4096;
const files: Record<string, string | Buffer> = {
  "src/app.ts": [
    'import { posthog } from "posthog-js";',
    "",
    'if (posthog.isFeatureEnabled("new-checkout")) {',
    "  showCheckout();",
    '  render("beta-banner");',
    "}",
    'const route = "routes/new-checkout.tsx"; // a path, not a reference',
  ].join("\n"),
  "api/flags.py": ["import posthog", "if posthog.feature_enabled('new-checkout', user_id):", "    pass"].join("\n"),
  "lib/pricing.rb": ["module Pricing", "  FLAG = :pricing_v2", "end"].join("\n"),
  "win/Program.cs": ["using PostHog;", "", 'var on = await posthog.IsFeatureEnabledAsync("beta-banner", id);'].join("\r\n"),
  "docs/é guide.md": "\uFEFFnew-checkout rolls out to 50 % (café)\nnothing here\n",
  ".github/workflows/x.yml": ["on: push", "env:", "  FLAG_KEY: beta-banner", "jobs: {}"].join("\n"),
  ".env": "FLAG=new-checkout\n",
  ".vscode/settings.json": '{ "flag": "new-checkout" }\n',
  "node_modules/lib/index.js": 'isFeatureEnabled("new-checkout")\n',
  "third_party/vendor/flags.go": 'const k = "pricing_v2"\n',
  "assets/logo.png": Buffer.concat([Buffer.from("\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Buffer.from(" new-checkout ")]),
  "data/huge.json": `{"k": "new-checkout", "pad": "${"x".repeat(BIG)}"}\n`,
  "docs/latin1.txt": Buffer.concat([Buffer.from("caf"), Buffer.from([0xe9]), Buffer.from(" new-checkout\n")]),
  "generated/flags.snap": 'exports["new-checkout"] = 1\n',
};

function fixtureEntries(top = TOP): TarEntry[] {
  const out: TarEntry[] = [{ name: `${top}/`, type: "directory" }];
  for (const [name, content] of Object.entries(files)) out.push({ name: `${top}/${name}`, content });
  out.push({ name: `${top}/link-to-app.ts`, type: "symlink", linkname: "src/app.ts" });
  return out;
}

const SCANNED = ["src/app.ts", "api/flags.py", "lib/pricing.rb", "win/Program.cs", "docs/é guide.md", ".github/workflows/x.yml"];

describe("the archive adapter with a caller's file scanner", () => {
  it("hands each scannable file to the scanner, skips what it ignores, and knows nothing of flags", async () => {
    const tgz = await makeTarGz(fixtureEntries());
    const seen: string[] = [];
    const scanner: FileScanner = {
      // Any word "FLAG" in upper case counts, a rule no flag-key matcher has.
      scanFile: (text, file) => {
        seen.push(file);
        return text.split(/\r?\n/).flatMap((l, i) => (/\bFLAG\b/.test(l) ? [{ flagKey: "FLAG", line: i + 1 }] : []));
      },
      ignored: (file) => file.startsWith("lib/") || file.startsWith("generated/"),
    };
    const scan = await scanArchive(tgz, scanner, { maxFileBytes: BIG });
    expect(seen).toEqual(SCANNED.filter((f) => !f.startsWith("lib/")));
    expect(scan.references).toEqual([]);
    expect(scan.skipped).toContainEqual({ file: "lib/pricing.rb", reason: "ignored" });
    expect(scan.skipped).toContainEqual({ file: "generated/flags.snap", reason: "ignored" });

    const withFlag = await scanArchive(tgz, { ...scanner, ignored: () => false }, { maxFileBytes: BIG });
    expect(withFlag.references).toEqual([{ flagKey: "FLAG", file: "lib/pricing.rb", line: 2 }]);
    expect(withFlag.filesScanned).toBe(SCANNED.length + 1);
  });
});

describe("scanTarball", () => {
  it("finds references across languages, strips the top folder and reports every skip with its reason", async () => {
    const tgz = await makeTarGz(fixtureEntries());
    const scan = await scanTarball(new Uint8Array(tgz), KEYS, { maxFileBytes: BIG, ignorePaths: ["generated/**"] });

    expect(scan.topFolder).toBe(TOP);
    expect(scan.archiveCommit).toBeNull();
    expect(scan.truncated).toBe(false);
    expect(scan.references).toEqual<RepositoryReference[]>([
      { flagKey: "beta-banner", file: ".github/workflows/x.yml", line: 3 },
      { flagKey: "beta-banner", file: "src/app.ts", line: 5 },
      { flagKey: "beta-banner", file: "win/Program.cs", line: 3 },
      { flagKey: "new-checkout", file: "api/flags.py", line: 2 },
      { flagKey: "new-checkout", file: "docs/é guide.md", line: 1 },
      { flagKey: "new-checkout", file: "src/app.ts", line: 3 },
      { flagKey: "pricing_v2", file: "lib/pricing.rb", line: 2 },
    ]);
    expect([...scan.byFlag.keys()]).toEqual(["beta-banner", "new-checkout", "pricing_v2"]);
    expect(scan.byFlag.get("new-checkout")?.map((r) => `${r.file}:${r.line}`)).toEqual([
      "api/flags.py:2",
      "docs/é guide.md:1",
      "src/app.ts:3",
    ]);
    expect(scan.byFlag.has("unused-flag")).toBe(false);

    expect(scan.skipped).toEqual([
      { file: ".env", reason: "ignored" },
      { file: ".vscode/", reason: "ignored" },
      { file: "node_modules/", reason: "ignored" },
      { file: "third_party/vendor/", reason: "ignored" },
      { file: "assets/logo.png", reason: "binary" },
      { file: "data/huge.json", reason: "too-large" },
      { file: "docs/latin1.txt", reason: "not-utf8" },
      { file: "generated/flags.snap", reason: "ignored" },
    ]);
    expect(scan.filesScanned).toBe(SCANNED.length);
    expect(scan.bytesScanned).toBe(SCANNED.reduce((n, f) => n + Buffer.byteLength(files[f]!), 0));
  });

  it("lists a skipped folder once however many files it holds", async () => {
    const tgz = await makeTarGz([
      { name: `${TOP}/node_modules/a/index.js`, content: '"new-checkout"' },
      { name: `${TOP}/node_modules/b/index.js`, content: '"new-checkout"' },
      { name: `${TOP}/pkg/node_modules/c.js`, content: '"new-checkout"' },
      { name: `${TOP}/pkg/.cache/d.js`, content: '"new-checkout"' },
      { name: `${TOP}/.github/.secret`, content: '"new-checkout"' },
    ]);
    const scan = await scanTarball(tgz, KEYS);
    expect(scan.references).toEqual([]);
    expect(scan.skipped).toEqual([
      { file: "node_modules/", reason: "ignored" },
      { file: "pkg/node_modules/", reason: "ignored" },
      { file: "pkg/.cache/", reason: "ignored" },
      { file: ".github/.secret", reason: "ignored" },
    ]);
    expect(scan.filesScanned).toBe(0);
  });

  it("applies the 1 MiB default limit: exactly 1 MiB is scanned, one byte more is skipped", async () => {
    const line = '"new-checkout"\n';
    const exact = line + "a".repeat(1024 * 1024 - line.length);
    const tgz = await makeTarGz([
      { name: `${TOP}/exact.txt`, content: exact },
      { name: `${TOP}/over.txt`, content: exact + "b" },
    ]);
    const scan = await scanTarball(tgz, KEYS);
    expect(scan.references).toEqual([{ flagKey: "new-checkout", file: "exact.txt", line: 1 }]);
    expect(scan.skipped).toEqual([{ file: "over.txt", reason: "too-large" }]);
    expect(scan.bytesScanned).toBe(1024 * 1024);
  });

  it("treats a NUL byte only within the first 8,000 bytes as binary (git's heuristic)", async () => {
    const late = "x".repeat(8000) + "\0" + '\n"beta-banner"\n';
    const early = "x".repeat(7999) + "\0" + '\n"beta-banner"\n';
    const tgz = await makeTarGz([
      { name: `${TOP}/late.txt`, content: late },
      { name: `${TOP}/early.txt`, content: early },
    ]);
    const scan = await scanTarball(tgz, KEYS);
    expect(scan.references).toEqual([{ flagKey: "beta-banner", file: "late.txt", line: 2 }]);
    expect(scan.skipped).toEqual([{ file: "early.txt", reason: "binary" }]);
  });

  it("reads the commit id from the pax global header git archive writes", async () => {
    const tgz = await makeTarGz([
      { name: "pax_global_header", type: "pax-global-header", content: paxRecord("comment", FULL_SHA) },
      ...fixtureEntries(),
    ]);
    const scan = await scanTarball(tgz, KEYS, { maxFileBytes: BIG, ignorePaths: ["generated/**"] });
    expect(scan.archiveCommit).toBe(FULL_SHA);
    expect(scan.topFolder).toBe(TOP);
    expect(scan.references).toHaveLength(7);
  });

  it.skipIf(!hasGit())("scans a real `git archive` tarball (GitHub's format) and reads its commit", async () => {
    const dir = mkdtempSync(join(tmpdir(), "repo-scan-"));
    try {
      const git = (...args: string[]): string =>
        execFileSync("git", ["-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.com", ...args], { encoding: "utf8" });
      git("init", "-q");
      mkdirSync(join(dir, "src"));
      mkdirSync(join(dir, ".github", "workflows"), { recursive: true });
      writeFileSync(join(dir, "src", "a.ts"), '\nposthog.getFeatureFlag("pricing_v2")\n');
      writeFileSync(join(dir, ".github", "workflows", "x.yml"), "env:\n  FLAG: new-checkout\n");
      writeFileSync(join(dir, ".gitignore"), "dist\n");
      git("add", "-A");
      git("commit", "-q", "-m", "init");
      const head = git("rev-parse", "HEAD").trim();
      const tgz = execFileSync("git", ["-C", dir, "archive", "--format=tar.gz", `--prefix=octo-hello-${head.slice(0, 7)}/`, "HEAD"]);
      const scan = await scanTarball(tgz, KEYS);
      expect(scan.archiveCommit).toBe(head);
      expect(scan.topFolder).toBe(`octo-hello-${head.slice(0, 7)}`);
      expect(scan.references).toEqual([
        { flagKey: "new-checkout", file: ".github/workflows/x.yml", line: 2 },
        { flagKey: "pricing_v2", file: "src/a.ts", line: 2 },
      ]);
      expect(scan.skipped).toEqual([{ file: ".gitignore", reason: "ignored" }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("accepts a Node stream and a web stream as well as bytes, with the same result", async () => {
    const tgz = await makeTarGz(fixtureEntries());
    const opts = { maxFileBytes: BIG, ignorePaths: ["generated/**"] };
    const fromBytes = await scanTarball(tgz, KEYS, opts);
    const chunked = Readable.from([tgz.subarray(0, 100), tgz.subarray(100, 101), tgz.subarray(101)]);
    const fromStream = await scanTarball(chunked, KEYS, opts);
    const fromWeb = await scanTarball(Readable.toWeb(Readable.from([tgz])) as never, KEYS, opts);
    expect(fromStream).toEqual(fromBytes);
    expect(fromWeb).toEqual(fromBytes);
    expect(fromBytes.references.length).toBeGreaterThan(0);
  });

  it("keeps paths as they are when the archive has no top folder", async () => {
    const tgz = await makeTarGz([
      { name: "app.ts", content: 'useFeatureFlag("beta-banner")' },
      { name: "lib/x.py", content: "\n\nflag = 'pricing_v2'" },
    ]);
    const scan = await scanTarball(tgz, KEYS);
    expect(scan.topFolder).toBeNull();
    expect(scan.references).toEqual([
      { flagKey: "beta-banner", file: "app.ts", line: 1 },
      { flagKey: "pricing_v2", file: "lib/x.py", line: 3 },
    ]);
  });

  it("stops at maxFiles and says so", async () => {
    const tgz = await makeTarGz(
      ["a", "b", "c", "d"].map((n) => ({ name: `${TOP}/${n}.ts`, content: `"new-checkout"` })),
    );
    const warnings: unknown[] = [];
    const log = { debug() {}, info() {}, warn: (o: unknown) => warnings.push(o), error() {} };
    const scan = await scanTarball(tgz, KEYS, { maxFiles: 2, log });
    expect(scan.truncated).toBe(true);
    expect(scan.filesScanned).toBe(2);
    expect(scan.references.map((r) => r.file)).toEqual(["a.ts", "b.ts"]);
    expect(warnings).toEqual([{ maxFiles: 2, filesScanned: 2 }]);
  });

  it("rejects input that is not a .tar.gz with a RepositoryScanError", async () => {
    await expect(scanTarball(Buffer.from("definitely not gzip"), KEYS)).rejects.toMatchObject({
      name: "RepositoryScanError",
      reason: "bad-archive",
    });
    const gzNotTar = gzipSync(Buffer.from("x".repeat(2048)));
    await expect(scanTarball(gzNotTar, KEYS)).rejects.toBeInstanceOf(RepositoryScanError);
    const truncatedGz = (await makeTarGz(fixtureEntries())).subarray(0, 200);
    await expect(scanTarball(truncatedGz, KEYS)).rejects.toMatchObject({ reason: "bad-archive" });
    await expect(scanTarball("text" as never, KEYS)).rejects.toThrow(/string \(binary body decoded as text\)/);
  });

  it("propagates the source stream's own error unchanged", async () => {
    const boom = new Error("socket hang up");
    const src = new Readable({ read() { this.destroy(boom); } });
    await expect(scanTarball(src, KEYS)).rejects.toBe(boom);
  });

  it("rejects non-positive limits", async () => {
    const tgz = await makeTarGz([]);
    await expect(scanTarball(tgz, KEYS, { maxFileBytes: 0 })).rejects.toThrow(RangeError);
    await expect(scanTarball(tgz, KEYS, { maxFiles: 1.5 })).rejects.toThrow(/maxFiles must be a positive integer/);
  });
});

function hasGit(): boolean {
  try {
    execFileSync("git", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

describe("scanRepository (nock)", () => {
  const API = "https://api.github.com";
  const CODELOAD = "https://codeload.github.com";
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };
  const octokit = () => new Octokit({ auth: "token test", log: quiet });
  let tgz: Buffer;

  beforeEach(async () => {
    nock.disableNetConnect();
    tgz = await makeTarGz([
      { name: "pax_global_header", type: "pax-global-header", content: paxRecord("comment", FULL_SHA) },
      ...fixtureEntries(),
    ]);
  });
  afterEach(() => {
    nock.cleanAll();
    nock.enableNetConnect();
  });

  it("asks for the default branch, follows the tarball redirect to codeload (without the token) and scans", async () => {
    const api = nock(API, { reqheaders: { authorization: "token test" } })
      .get("/repos/o/r")
      .reply(200, { name: "r", full_name: "o/r", default_branch: "main" })
      .get("/repos/o/r/tarball/main")
      .reply(302, "", { Location: `${CODELOAD}/o/r/legacy.tar.gz/refs/heads/main` });
    const codeload = nock(CODELOAD, { badheaders: ["authorization"] })
      .get("/o/r/legacy.tar.gz/refs/heads/main")
      .reply(200, tgz, {
        "Content-Type": "application/x-gzip",
        "Content-Disposition": `attachment; filename=${TOP}.tar.gz`,
      });

    const scan = await scanRepository(octokit(), { owner: "o", repo: "r" }, KEYS, {
      maxFileBytes: BIG,
      ignorePaths: ["generated/**"],
    });

    expect(api.pendingMocks()).toEqual([]);
    expect(codeload.pendingMocks()).toEqual([]);
    expect(scan.ref).toBe("main");
    expect(scan.sha).toBe(FULL_SHA);
    expect(scan.references).toHaveLength(7);
    expect(scan.byFlag.get("pricing_v2")).toEqual([{ flagKey: "pricing_v2", file: "lib/pricing.rb", line: 2 }]);
    expect(scan.filesScanned).toBe(SCANNED.length);
    expect(scan).not.toHaveProperty("topFolder");
    expect(scan).not.toHaveProperty("archiveCommit");
  });

  it("uses the given ref without asking for the default branch; the sha falls back to the top folder", async () => {
    const noPax = await makeTarGz(fixtureEntries());
    const api = nock(API).get("/repos/o/r/tarball/release").reply(302, "", { Location: `${CODELOAD}/o/r/legacy.tar.gz/refs/heads/release` });
    // No content type: default response parsing would decode the gzip as text; the streamed body is intact.
    const codeload = nock(CODELOAD).get("/o/r/legacy.tar.gz/refs/heads/release").reply(200, noPax);
    const scan = await scanRepository(octokit(), { owner: "o", repo: "r" }, KEYS, { ref: "release", maxFileBytes: BIG });
    expect(api.pendingMocks()).toEqual([]);
    expect(codeload.pendingMocks()).toEqual([]);
    expect(scan.ref).toBe("release");
    expect(scan.sha).toBe("abc1234");
    expect(scan.references.length).toBeGreaterThan(0);
  });

  it("works with Probot's Octokit (retry and throttling plugins) as well", async () => {
    const api = nock(API, { reqheaders: { authorization: "token test" } })
      .get("/repos/o/r/tarball/main")
      .reply(302, "", { Location: `${CODELOAD}/o/r/legacy.tar.gz/refs/heads/main` });
    const codeload = nock(CODELOAD).get("/o/r/legacy.tar.gz/refs/heads/main").reply(200, tgz, { "Content-Type": "application/x-gzip" });
    const probotOctokit = new (ProbotOctokit.defaults({ retry: { enabled: false }, throttle: { enabled: false } }))({
      auth: { token: "test" },
      log: quiet,
    });
    const scan = await scanRepository(probotOctokit, { owner: "o", repo: "r" }, KEYS, { ref: "main", maxFileBytes: BIG });
    expect(api.pendingMocks()).toEqual([]);
    expect(codeload.pendingMocks()).toEqual([]);
    expect(scan.sha).toBe(FULL_SHA);
    expect(scan.byFlag.get("beta-banner")?.map((r) => r.file)).toEqual([".github/workflows/x.yml", "src/app.ts", "win/Program.cs"]);
  });

  it("turns a 404 on the tarball (empty repository, missing ref) into a RepositoryScanError naming repo and ref", async () => {
    nock(API)
      .get("/repos/o/r")
      .reply(200, { default_branch: "trunk" })
      .get("/repos/o/r/tarball/trunk")
      .reply(404, { message: "Not Found" });
    const err = await scanRepository(octokit(), { owner: "o", repo: "r" }, KEYS).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RepositoryScanError);
    expect(err).toMatchObject({ reason: "not-found", repo: { owner: "o", repo: "r" }, ref: "trunk" });
    expect((err as Error).message).toContain("o/r@trunk");
  });

  it("turns a 404 on the repository into a RepositoryScanError", async () => {
    nock(API).get("/repos/o/gone").reply(404, { message: "Not Found" });
    await expect(scanRepository(octokit(), { owner: "o", repo: "gone" }, KEYS)).rejects.toMatchObject({
      name: "RepositoryScanError",
      reason: "not-found",
      message: expect.stringContaining("o/gone"),
    });
  });

  it("lets other HTTP errors propagate unchanged", async () => {
    nock(API).get("/repos/o/r/tarball/main").reply(403, { message: "Resource not accessible by integration" });
    const err = await scanRepository(octokit(), { owner: "o", repo: "r" }, KEYS, { ref: "main" }).catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(RepositoryScanError);
    expect(err).toMatchObject({ name: "HttpError", status: 403 });
  });

  it("names the repository when the archive is unreadable", async () => {
    nock(API).get("/repos/o/r/tarball/main").reply(200, Buffer.from("<html>oops</html>"), { "Content-Type": "application/x-gzip" });
    await expect(scanRepository(octokit(), { owner: "o", repo: "r" }, KEYS, { ref: "main" })).rejects.toMatchObject({
      reason: "bad-archive",
      ref: "main",
      message: expect.stringMatching(/^o\/r@main: not a readable \.tar\.gz archive/),
    });
  });
});

describe("codeUrl", () => {
  const repo = { owner: "octo", repo: "hello" };
  it("builds a blob link with the line anchor", () => {
    expect(codeUrl("https://github.com", repo, "main", { flagKey: "k", file: "src/app.ts", line: 3 })).toBe(
      "https://github.com/octo/hello/blob/main/src/app.ts#L3",
    );
  });
  it("percent-encodes each path segment (spaces, #, ?, %, non-ASCII) and keeps the slashes", () => {
    expect(codeUrl("https://github.com/", repo, "feature/x", { flagKey: "k", file: "docs/my notes/#1 ?.md", line: 12 })).toBe(
      "https://github.com/octo/hello/blob/feature/x/docs/my%20notes/%231%20%3F.md#L12",
    );
    expect(codeUrl("https://ghe.example.com", repo, "main", { flagKey: "k", file: "docs/é 100%.md", line: 1 })).toBe(
      "https://ghe.example.com/octo/hello/blob/main/docs/%C3%A9%20100%25.md#L1",
    );
  });
  it("rejects a bad server URL, an empty ref and a non-positive line", () => {
    const ref = { flagKey: "k", file: "a.ts", line: 1 };
    expect(() => codeUrl("github.com", repo, "main", ref)).toThrow(TypeError);
    expect(() => codeUrl("ftp://github.com", repo, "main", ref)).toThrow(/http\(s\)/);
    expect(() => codeUrl("https://github.com", repo, "", ref)).toThrow(/ref/);
    expect(() => codeUrl("https://github.com", repo, "main", { ...ref, line: 0 })).toThrow(/line/);
  });
});
