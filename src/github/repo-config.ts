/**
 * Reading `.github/experiment-hygiene.yml` from GitHub as **text**, so that every problem can be named with
 * its line and column (Probot's `context.config` hands over only the parsed value, and on a YAML error an
 * API URL and "(invalid YAML)"). The files are found as @probot/octokit-plugin-config 4.x finds them: the
 * repository's default branch; when absent there, the owner's `.github` repository; then the `_extends`
 * chain of the last file read. Validation (key by key) is `src/config/load.ts`.
 */
import {
  combineConfigFiles,
  CONFIG_PATH,
  extendsTarget,
  parseConfigFile,
  type ConfigResult,
  type ParsedConfigFile,
} from "../config/load.js";
import type { GitHubClient, RepoRef } from "./types.js";

/** `_extends` chains longer than this are cut (the plugin has no cap; a loop is caught separately). */
const MAX_EXTENDS = 5;

/** GitHub failed (not 404) while reading a configuration file; the message has no URL and no token. */
export class ConfigReadError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
  ) {
    super(message);
    this.name = "ConfigReadError";
  }
}

/** Options of {@link loadRepoConfig}. */
export interface LoadRepoConfigOptions {
  /** GitHub's web origin for links to the file, e.g. `https://github.com` (see {@link webOrigin}). */
  webBase?: string | null;
}

interface FileRef extends RepoRef {
  path: string;
}

/**
 * Read and validate a repository's configuration.
 *
 * @param octokit any Octokit (Probot's installation client, `@octokit/rest`).
 * @param repo the repository whose configuration applies.
 * @returns the config, each problem once with file, line, column and (with `webBase`) a link to the line
 *   on GitHub; `fatal` when a file is not YAML. No file at all means the defaults and no problem.
 * @throws ConfigReadError when GitHub answers anything but the file or a 404 (the caller logs it and does
 *   nothing: a GitHub outage is not a configuration problem).
 */
export async function loadRepoConfig(
  octokit: Pick<GitHubClient, "request">,
  repo: RepoRef,
  opts: LoadRepoConfigOptions = {},
): Promise<ConfigResult> {
  const own: FileRef = { ...repo, path: CONFIG_PATH };
  const label = (f: FileRef) =>
    f.owner === repo.owner && f.repo === repo.repo && f.path === CONFIG_PATH ? CONFIG_PATH : `${f.owner}/${f.repo}:${f.path}`;
  const parse = (f: FileRef, text: string | NotAFile): ParsedConfigFile =>
    withLinks(
      text === NOT_A_FILE
        ? { file: label(f), value: {}, problems: [{ key: "(file)", message: "is a directory or a submodule, not a file", file: label(f) }], fatal: true }
        : parseConfigFile(text, label(f)),
      f,
      opts.webBase,
    );

  let ref = own;
  let text = await fetchText(octokit, own);
  if (text === null && repo.repo !== ".github") {
    ref = { owner: repo.owner, repo: ".github", path: CONFIG_PATH };
    text = await fetchText(octokit, ref);
  }
  if (text === null) return combineConfigFiles([]);

  const files: ParsedConfigFile[] = [parse(ref, text)];
  const loaded: FileRef[] = [ref];
  for (let depth = 0; ; depth++) {
    const last = files[files.length - 1]!;
    const value = last.value["_extends"];
    if (typeof value !== "string" || last.fatal) break;
    const from = loaded[loaded.length - 1]!;
    const problemAt = (message: string) => {
      const pos = last.where?.(["_extends"]) ?? null;
      const problem = { key: "_extends", message, file: last.file, ...(pos ? { line: pos.line, column: pos.column } : {}) };
      last.problems.push(problem);
      withLinks({ ...last, problems: [problem] }, from, opts.webBase);
    };
    const target = extendsTarget(value, { owner: from.owner, path: CONFIG_PATH });
    if (!target) {
      problemAt(`\`${value}\` is not \`repo\`, \`owner/repo\` or \`owner/repo:path.yml\`; ignored`);
      break;
    }
    if (loaded.some((f) => f.owner === target.owner && f.repo === target.repo && f.path === target.path)) {
      problemAt(`\`${value}\` leads back to a file already read; ignored`);
      break;
    }
    if (depth >= MAX_EXTENDS) {
      problemAt(`more than ${MAX_EXTENDS} files are chained with \`_extends\`; the rest are ignored`);
      break;
    }
    const next = await fetchText(octokit, target);
    if (next === null) {
      problemAt(`\`${value}\` names a file that does not exist (or the app cannot read); ignored`);
      break;
    }
    files.push(parse(target, next));
    loaded.push(target);
  }
  return combineConfigFiles(files);
}

/**
 * GitHub's web origin from a repository's `html_url` (`https://github.com/acme/shop` → `https://github.com`,
 * GitHub Enterprise Server hosts kept). Null when it is not an http(s) URL.
 */
export function webOrigin(htmlUrl: string | null | undefined): string | null {
  if (!htmlUrl) return null;
  try {
    const url = new URL(htmlUrl);
    if (url.protocol !== "https:" && url.protocol !== "http:") return null;
    const segments = url.pathname.replace(/\/+$/, "").split("/");
    return `${url.origin}${segments.slice(0, -2).join("/")}`;
  } catch {
    return null;
  }
}

/** Link each problem to the file on GitHub (`blob/HEAD`: the default branch, which is what is read). */
function withLinks(file: ParsedConfigFile, ref: FileRef, webBase: string | null | undefined): ParsedConfigFile {
  if (!webBase) return file;
  const base = `${webBase.replace(/\/+$/, "")}/${encodeURIComponent(ref.owner)}/${encodeURIComponent(ref.repo)}/blob/HEAD/${ref.path
    .split("/")
    .map(encodeURIComponent)
    .join("/")}`;
  for (const p of file.problems) p.url = p.line !== undefined ? `${base}#L${p.line}` : base;
  return file;
}

const NOT_A_FILE = Symbol("not a file");
type NotAFile = typeof NOT_A_FILE;

/**
 * The file's text (contents API, raw media type), {@link NOT_A_FILE} for a directory or submodule, or null
 * on 404.
 *
 * @throws ConfigReadError on any other failure.
 */
async function fetchText(octokit: Pick<GitHubClient, "request">, f: FileRef): Promise<string | NotAFile | null> {
  let data: unknown;
  try {
    const res = await octokit.request("GET /repos/{owner}/{repo}/contents/{path}", {
      owner: f.owner,
      repo: f.repo,
      path: f.path,
      mediaType: { format: "raw" },
    });
    data = res.data;
  } catch (err) {
    const status = (err as { status?: number }).status;
    if (status === 404) return null;
    throw new ConfigReadError(
      `could not read ${f.owner}/${f.repo}:${f.path} (${status ? `GitHub answered ${status}` : "no answer from GitHub"})`,
      status,
    );
  }
  if (typeof data === "string") return data;
  if (data instanceof ArrayBuffer) return new TextDecoder().decode(data);
  return NOT_A_FILE; // a directory (a JSON listing) or a submodule
}
