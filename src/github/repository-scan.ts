/**
 * Repository-wide scan of a branch for feature flag key references, over the repository archive.
 *
 * One `GET /repos/{owner}/{repo}/tarball/{ref}` (302 → codeload) instead of thousands of contents calls;
 * the `.tar.gz` is streamed through `node:zlib` gunzip and tar-stream's extractor, one entry at a time, and
 * each text file goes to the caller's {@link FileScanner} (the flag-key matcher of PR diffs, wired in
 * `src/pipeline/repository-scan.ts`; this adapter knows nothing of flags). At most one
 * file (≤ `maxFileBytes`) is held in memory at a time; the archive itself is never buffered when Octokit
 * hands back the response body as a stream (see {@link scanRepository}).
 *
 * What is skipped (flag-references.md §1, LaunchDarkly ld-find-code-refs `search/files.go`):
 * - dotfiles and dot-folders, except `.github` (workflows reference flags), and `node_modules/`, `vendor/`
 *   at any depth — reason "ignored" (a skipped folder is listed once, as `dir/`);
 * - paths the scanner's `ignored` predicate rejects (the `ignorePaths` globs, same semantics as for diff
 *   paths) — "ignored";
 * - files larger than `maxFileBytes` (default 1 MiB) — "too-large";
 * - binary files: a NUL byte in the first 8,000 bytes (git's `buffer_is_binary`, `xdiff-interface.c`,
 *   `FIRST_FEW_BYTES`) — "binary";
 * - files that are not valid UTF-8 (`TextDecoder("utf-8", { fatal: true })`; a BOM is dropped) — "not-utf8".
 * Symlinks, directories and other non-regular entries are not files and are passed over silently.
 *
 * Used by the scheduled hygiene reports (issue 3): which repositories reference which experiments' flags,
 * and the file:line places listed by the stale-variants detector.
 */
import { Readable, Transform, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { createGunzip } from "node:zlib";
import tar from "tar-stream";
import type { GitHubClient, Logger, RepoRef } from "./types.js";
import { silentLogger } from "./types.js";

/**
 * What the scan does with each file, supplied by the caller: find references in a file's text, and say
 * which paths to skip. `src/pipeline/repository-scan.ts` builds one from the flag-key matcher.
 */
export interface FileScanner {
  /** References in one file's text, with 1-based line numbers, in line order. */
  scanFile(text: string, file: string): Iterable<{ flagKey: string; line: number }>;
  /** True for a repository-relative path that must not be scanned (reported as "ignored"). */
  ignored(file: string): boolean;
}

/** One reference to a known feature flag key in a file of the scanned branch. */
export interface RepositoryReference {
  flagKey: string;
  /** Repository-relative path (the archive's top folder stripped), `/`-separated. */
  file: string;
  /** 1-based line number. */
  line: number;
}

/** Why a file was not scanned. */
export type SkipReason = "binary" | "too-large" | "ignored" | "not-utf8";

/** Result of {@link scanRepository}. */
export interface RepositoryScan {
  /** The branch (or ref) scanned: the repository's default branch unless one was given. */
  ref: string;
  /**
   * The commit the archive was taken from, when known: the full commit id `git archive` writes into the
   * tarball's pax global header (`comment=`), else the abbreviated id from the top folder
   * (`<owner>-<repo>-<sha7>`), else null.
   */
  sha: string | null;
  /** Sorted by flag key, file, line (code-unit order). One entry per (key, file, line). */
  references: RepositoryReference[];
  /** The same references grouped by flag key (keys in sorted order, each list sorted by file, line). */
  byFlag: Map<string, RepositoryReference[]>;
  /** Count of files read and matched. */
  filesScanned: number;
  /** Bytes (UTF-8, as stored) of the files read and matched. */
  bytesScanned: number;
  /** Files (or `dir/` for a whole skipped folder) that were not scanned, in archive order. */
  skipped: { file: string; reason: SkipReason }[];
  /**
   * True when the scan stopped at `maxFiles` scanned files; references from the rest of the archive are
   * missing. (Not in the original interface sketch: added so a cut scan is never silent.)
   */
  truncated: boolean;
}

/** Result of {@link scanTarball}: a scan without the GitHub coordinates. */
export type TarballScan = Omit<RepositoryScan, "ref" | "sha"> & {
  /** The archive's single top folder (GitHub: `<owner>-<repo>-<sha7>`), or null when there is none. */
  topFolder: string | null;
  /** The full commit id from the pax global header `git archive` writes (`comment=`), or null. */
  archiveCommit: string | null;
};

/** Options for {@link scanTarball}. */
export interface TarballScanOptions {
  /** Files larger than this many bytes are skipped as "too-large". Default 1 MiB (1,048,576). */
  maxFileBytes?: number;
  /** Stop after this many scanned files (then `truncated` is true). Default 20,000. */
  maxFiles?: number;
  /**
   * Called with each scanned file's path and text, one at a time, right after it is matched (for example
   * to feed the reference index builder); the text is not kept by the scan.
   */
  onFile?: (file: string, text: string) => void;
  log?: Logger;
}

/** Options for {@link scanRepository}. */
export interface RepositoryScanOptions extends TarballScanOptions {
  /** Branch, tag or commit to scan. Default: the repository's `default_branch` (one `repos.get` call). */
  ref?: string;
}

/** Thrown when a repository archive cannot be obtained or read. */
export class RepositoryScanError extends Error {
  override readonly name = "RepositoryScanError";
  /**
   * @param reason "not-found": GitHub answered 404 (empty repository, missing ref, or no access);
   *   "bad-archive": the bytes are not a readable `.tar.gz`
   */
  constructor(
    message: string,
    readonly reason: "not-found" | "bad-archive",
    readonly repo: RepoRef | null = null,
    readonly ref: string | null = null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Default `maxFileBytes`: 1 MiB. */
export const DEFAULT_MAX_FILE_BYTES = 1024 * 1024;
/** Default `maxFiles`. */
export const DEFAULT_MAX_FILES = 20_000;
/** Bytes inspected for a NUL byte (git `xdiff-interface.c` `FIRST_FEW_BYTES`). */
const BINARY_SNIFF_BYTES = 8000;
/** Folder names skipped at any depth (besides dot-folders). */
const SKIPPED_DIRS = new Set(["node_modules", "vendor"]);

function positiveInt(v: number | undefined, dflt: number, what: string): number {
  if (v === undefined) return dflt;
  if (!Number.isInteger(v) || v <= 0) throw new RangeError(`${what} must be a positive integer, got ${String(v)}`);
  return v;
}

/**
 * Index of the first path segment that puts `segments` out of scope (a dot-name other than `.github`,
 * `node_modules`, `vendor`), or -1.
 */
function excludedSegment(segments: readonly string[]): number {
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]!;
    if ((s.startsWith(".") && s !== ".github") || SKIPPED_DIRS.has(s)) return i;
  }
  return -1;
}

/**
 * Passes bytes through unchanged while reading the pax global header `git archive` puts first
 * (`pax_global_header`, typeflag `g`, records `"<len> comment=<commit id>\n"`; git `archive-tar.c`).
 * tar-stream consumes that header without exposing it, hence this tap.
 */
class GitArchiveCommitTap extends Transform {
  commit: string | null = null;
  private head: Buffer[] = [];
  private headLength = 0;
  private done = false;

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (!this.done) {
      this.head.push(chunk);
      this.headLength += chunk.length;
      this.inspect(false);
    }
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    if (!this.done) this.inspect(true);
    cb();
  }

  private inspect(final: boolean): void {
    if (this.headLength < 512 && !final) return;
    const buf = Buffer.concat(this.head);
    if (buf.length < 512 || buf[156] !== 0x67 /* 'g' */) return this.finish();
    const size = parseInt(buf.toString("latin1", 124, 136).replace(/[\0 ]+/g, ""), 8);
    if (!Number.isInteger(size) || size <= 0 || size > 64 * 1024) return this.finish();
    if (buf.length < 512 + size) {
      if (final) this.finish();
      return;
    }
    const m = /(?:^|\n)\d+ comment=([0-9a-f]{40}(?:[0-9a-f]{24})?)\n/.exec(buf.toString("utf8", 512, 512 + size));
    this.commit = m?.[1] ?? null;
    this.finish();
  }

  private finish(): void {
    this.done = true;
    this.head = [];
  }
}

function toReadable(input: unknown): Readable {
  if (input instanceof Readable) return input;
  if (input instanceof Uint8Array) return Readable.from([Buffer.from(input.buffer, input.byteOffset, input.byteLength)]);
  if (input instanceof ArrayBuffer) return Readable.from([Buffer.from(input)]);
  if (typeof input === "object" && input !== null) {
    if (typeof (input as WebReadableStream).getReader === "function") {
      return Readable.fromWeb(input as WebReadableStream<Uint8Array>);
    }
    if (typeof (input as NodeJS.ReadableStream).pipe === "function") {
      return new Readable().wrap(input as NodeJS.ReadableStream);
    }
  }
  throw new RepositoryScanError(
    `archive must be the bytes or a stream of a .tar.gz, got ${typeof input === "string" ? "a string (binary body decoded as text)" : typeof input}`,
    "bad-archive",
  );
}

async function readEntry(entry: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of entry) chunks.push(chunk as Buffer);
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

const byFileLine = (a: RepositoryReference, b: RepositoryReference): number =>
  a.file !== b.file ? (a.file < b.file ? -1 : 1) : a.line - b.line;

/**
 * Scans a gzip-compressed tar archive (a GitHub tarball or `git archive --format=tar.gz`) for references
 * to known feature flag keys. No GitHub access; the archive is streamed entry by entry.
 *
 * @param tarGz the `.tar.gz` bytes (`Uint8Array`/`Buffer`/`ArrayBuffer`) or a stream of them (Node or web)
 * @param scanner finds the references in each file and says which paths to skip
 * @param opts `maxFileBytes` (bytes, default 1 MiB); `maxFiles` (count of scanned
 *   files, default 20,000); `log`
 * @returns references (sorted by key, file, line) and per-key groups, counts of files and bytes scanned,
 *   skipped files with reasons, the top folder stripped from paths and the commit id when the archive has one
 * @throws RepositoryScanError ("bad-archive") when the input is not a readable `.tar.gz`; what the
 *   scanner throws; RangeError for a non-positive limit
 */
export async function scanTarball(
  tarGz: Uint8Array | ArrayBuffer | NodeJS.ReadableStream | WebReadableStream<Uint8Array>,
  scanner: FileScanner,
  opts: TarballScanOptions = {},
): Promise<TarballScan> {
  const maxFileBytes = positiveInt(opts.maxFileBytes, DEFAULT_MAX_FILE_BYTES, "maxFileBytes");
  const maxFiles = positiveInt(opts.maxFiles, DEFAULT_MAX_FILES, "maxFiles");
  const log = opts.log ?? silentLogger;
  const ignored = (file: string): boolean => scanner.ignored(file);
  const source = toReadable(tarGz);

  const tap = new GitArchiveCommitTap();
  const extract = tar.extract();
  const references: RepositoryReference[] = [];
  const skipped: { file: string; reason: SkipReason }[] = [];
  const skippedDirs = new Set<string>();
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let topFolder: string | null | undefined;
  let filesScanned = 0;
  let bytesScanned = 0;
  let truncated = false;

  const consume = async (): Promise<void> => {
    for await (const entry of extract) {
      const h = entry.header;
      if (topFolder === undefined) {
        const slash = h.name.indexOf("/");
        topFolder = slash > 0 ? h.name.slice(0, slash) : null;
      }
      if (h.type !== "file" && h.type !== "contiguous-file") {
        entry.resume();
        continue;
      }
      let file = h.name;
      if (topFolder !== null && file.startsWith(topFolder + "/")) file = file.slice(topFolder.length + 1);
      if (file.startsWith("./")) file = file.slice(2);
      const segments = file.split("/");
      const bad = excludedSegment(segments);
      if (bad >= 0 || ignored(file)) {
        entry.resume();
        if (bad >= 0 && bad < segments.length - 1) {
          const dir = segments.slice(0, bad + 1).join("/") + "/";
          if (!skippedDirs.has(dir)) {
            skippedDirs.add(dir);
            skipped.push({ file: dir, reason: "ignored" });
          }
        } else skipped.push({ file, reason: "ignored" });
        continue;
      }
      if ((h.size ?? 0) > maxFileBytes) {
        entry.resume();
        skipped.push({ file, reason: "too-large" });
        continue;
      }
      if (filesScanned >= maxFiles) {
        truncated = true;
        entry.resume();
        break;
      }
      const bytes = await readEntry(entry);
      if (bytes.subarray(0, BINARY_SNIFF_BYTES).includes(0)) {
        skipped.push({ file, reason: "binary" });
        continue;
      }
      let text: string;
      try {
        text = decoder.decode(bytes);
      } catch {
        skipped.push({ file, reason: "not-utf8" });
        continue;
      }
      filesScanned++;
      bytesScanned += bytes.length;
      for (const r of scanner.scanFile(text, file)) references.push({ flagKey: r.flagKey, file, line: r.line });
      opts.onFile?.(file, text);
    }
  };

  // Which stream failed first decides the error: the source's own error (network, caller's stream)
  // propagates; gunzip's or the tar parser's means the bytes are not a readable .tar.gz.
  const gunzip = createGunzip();
  let sourceError: unknown = null;
  let formatError: unknown = null;
  source.once("error", (e) => (sourceError ??= e));
  gunzip.once("error", (e) => (formatError ??= e));
  extract.once("error", (e) => (formatError ??= e));
  const piping = pipeline(source, gunzip, tap, extract);
  try {
    await consume();
    if (truncated) {
      // Stop reading (and downloading) the rest of the archive.
      source.destroy();
      await piping.catch(() => undefined);
    } else {
      await piping;
    }
  } catch (err) {
    source.destroy();
    await piping.catch(() => undefined);
    if (sourceError !== null) throw sourceError;
    if (formatError !== null) {
      const msg = formatError instanceof Error ? formatError.message : String(formatError);
      throw new RepositoryScanError(`not a readable .tar.gz archive: ${msg}`, "bad-archive", null, null, { cause: formatError });
    }
    throw err;
  }

  references.sort((a, b) => (a.flagKey !== b.flagKey ? (a.flagKey < b.flagKey ? -1 : 1) : byFileLine(a, b)));
  const byFlag = new Map<string, RepositoryReference[]>();
  for (const r of references) {
    let list = byFlag.get(r.flagKey);
    if (!list) byFlag.set(r.flagKey, (list = []));
    list.push(r);
  }
  if (truncated) log.warn({ maxFiles, filesScanned }, "repository scan stopped at maxFiles; later files were not scanned");
  log.debug(
    { filesScanned, bytesScanned, skipped: skipped.length, references: references.length, keys: byFlag.size },
    "repository archive scanned",
  );
  return {
    references,
    byFlag,
    filesScanned,
    bytesScanned,
    skipped,
    truncated,
    topFolder: topFolder ?? null,
    archiveCommit: tap.commit,
  };
}

function httpStatus(err: unknown): number | undefined {
  const s = (err as { status?: unknown })?.status;
  return typeof s === "number" ? s : undefined;
}

/**
 * Scans a repository branch (default: its default branch) for references to known feature flag keys.
 *
 * GitHub calls: `GET /repos/{owner}/{repo}` (only when `opts.ref` is omitted, for `default_branch`), then
 * `GET /repos/{owner}/{repo}/tarball/{ref}`, which answers 302 to `codeload.github.com`; fetch follows it
 * (dropping the Authorization header across origins; the Location URL carries its own token). The body is
 * requested unparsed (`request.parseSuccessResponseBody: false`), so it arrives as a stream and is never
 * buffered whole. (With default parsing @octokit/request 10 returns an `ArrayBuffer` for
 * `application/x-gzip`, but a *string* — corrupted binary — when the content type is missing or `text/*`.)
 * Needs the App permission `contents: read`.
 *
 * @param octokit Probot's `context.octokit` or an `@octokit/rest` Octokit
 * @param repo owner/repo
 * @param scanner finds the references in each file and says which paths to skip (built before any call)
 * @param opts `ref`; the {@link scanTarball} options
 * @returns the {@link RepositoryScan}: `ref` scanned, commit `sha` when known, sorted references, skips
 * @throws RepositoryScanError ("not-found") on a 404 from either call — empty repository, missing ref or no
 *   access — naming the repo and ref; ("bad-archive") when the archive cannot be read; any other
 *   Octokit `RequestError` (403 missing permission, 5xx…) propagates unchanged
 */
export async function scanRepository(
  octokit: GitHubClient,
  repo: RepoRef,
  scanner: FileScanner,
  opts: RepositoryScanOptions = {},
): Promise<RepositoryScan> {
  const log = opts.log ?? silentLogger;
  const { owner, repo: name } = repo;
  const where = `${owner}/${name}`;
  let ref = opts.ref;
  if (ref === undefined) {
    try {
      ref = (await octokit.rest.repos.get({ owner, repo: name })).data.default_branch;
    } catch (err) {
      if (httpStatus(err) === 404) {
        throw new RepositoryScanError(`repository ${where} not found or not accessible (404)`, "not-found", repo, null, { cause: err });
      }
      throw err;
    }
  } else if (typeof ref !== "string" || ref === "") {
    throw new TypeError(`scanRepository: ref must be a non-empty string, got ${JSON.stringify(ref)}`);
  }

  let body: unknown;
  try {
    const res = await octokit.rest.repos.downloadTarballArchive({
      owner,
      repo: name,
      ref,
      request: { parseSuccessResponseBody: false },
    });
    body = res.data;
  } catch (err) {
    if (httpStatus(err) === 404) {
      throw new RepositoryScanError(
        `no archive for ${where}@${ref} (404): the repository is empty, the ref does not exist, or the app lacks contents access`,
        "not-found",
        repo,
        ref,
        { cause: err },
      );
    }
    throw err;
  }
  if (body == null) throw new RepositoryScanError(`empty archive response for ${where}@${ref}`, "bad-archive", repo, ref);

  let scan: TarballScan;
  try {
    scan = await scanTarball(body as Uint8Array, scanner, opts);
  } catch (err) {
    if (err instanceof RepositoryScanError && err.repo === null) {
      throw new RepositoryScanError(`${where}@${ref}: ${err.message}`, err.reason, repo, ref, { cause: err });
    }
    throw err;
  }
  const sha7 = scan.topFolder === null ? null : (/-([0-9a-f]{7,64})$/.exec(scan.topFolder)?.[1] ?? null);
  const sha = scan.archiveCommit !== null && (sha7 === null || scan.archiveCommit.startsWith(sha7)) ? scan.archiveCommit : sha7;
  log.info(
    { repo: where, ref, sha, filesScanned: scan.filesScanned, references: scan.references.length, flags: scan.byFlag.size },
    "repository scanned for feature flag references",
  );
  const { topFolder: _t, archiveCommit: _c, ...rest } = scan;
  return { ref, sha, ...rest };
}

/**
 * A link to one reference on GitHub: `<serverUrl>/<owner>/<repo>/blob/<ref>/<path>#L<line>`.
 *
 * Each segment of `ref` and of the path is percent-encoded (`encodeURIComponent`: a space → `%20`, `#` →
 * `%23`, `?` → `%3F`); the `/` between segments is kept, so `feature/x` refs and nested paths stay readable.
 * Pass the branch name for links "on the default branch", or the scan's `sha` for permalinks.
 *
 * @param serverUrl the web origin, e.g. `https://github.com` (GitHub Actions' `GITHUB_SERVER_URL`); a
 *   trailing `/` is ignored
 * @throws TypeError when `serverUrl` is not an http(s) URL, `ref` or the file path is empty, or `line` is not
 *   a positive integer
 */
export function codeUrl(serverUrl: string, repo: RepoRef, ref: string, reference: RepositoryReference): string {
  let base: URL;
  try {
    base = new URL(serverUrl);
  } catch {
    throw new TypeError(`codeUrl: serverUrl must be an absolute URL, got ${JSON.stringify(serverUrl)}`);
  }
  if (base.protocol !== "https:" && base.protocol !== "http:") {
    throw new TypeError(`codeUrl: serverUrl must be http(s), got ${JSON.stringify(serverUrl)}`);
  }
  if (typeof ref !== "string" || ref === "") throw new TypeError("codeUrl: ref must be a non-empty string");
  if (typeof reference?.file !== "string" || reference.file === "") throw new TypeError("codeUrl: reference.file must be a non-empty path");
  if (!Number.isInteger(reference.line) || reference.line < 1) {
    throw new TypeError(`codeUrl: reference.line must be a positive integer, got ${String(reference.line)}`);
  }
  const enc = (s: string): string => s.split("/").map(encodeURIComponent).join("/");
  const origin = serverUrl.replace(/\/+$/, "");
  return `${origin}/${encodeURIComponent(repo.owner)}/${encodeURIComponent(repo.repo)}/blob/${enc(ref)}/${enc(reference.file)}#L${reference.line}`;
}
