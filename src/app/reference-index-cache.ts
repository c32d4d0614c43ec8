/**
 * The repository reference index (`src/matching/reference-index.ts`) of a PR's base commit, built from the
 * repository archive the scan already streams (`scanRepository`), cached in memory per commit and key set.
 *
 * Cache: least-recently-used, at most {@link DEFAULT_INDEX_CACHE_ENTRIES} entries per process; the key is
 * `owner/repo@<commit sha>#<key-set fingerprint>`, so a new commit on the base branch or a new flag in
 * PostHog builds a new index. Only commit shas are cached (a branch name moves). Concurrent loads of the
 * same key share one download.
 */
import { scanRepository, type ScanTarballOptions } from "../pipeline/repository-scan.js";
import type { GitHubClient, Logger, RepoRef } from "../github/types.js";
import { type FlagMatcher, keySetFingerprint, type ReferenceIndex, ReferenceIndexBuilder } from "../matching/index.js";

/** Default number of cached indexes (one per repository and base commit). */
export const DEFAULT_INDEX_CACHE_ENTRIES = 32;

/** A small LRU of index promises. */
export class ReferenceIndexCache {
  private readonly entries = new Map<string, Promise<ReferenceIndex>>();
  /** Loads that went to GitHub (cache misses), for logs and tests. */
  misses = 0;

  /** @param max entries kept (≥ 1) */
  constructor(private readonly max = DEFAULT_INDEX_CACHE_ENTRIES) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`ReferenceIndexCache: max must be a positive integer, got ${max}`);
  }

  /** The cached index for `key`, or the one `load` builds (a failed load is not cached). */
  get(key: string, load: () => Promise<ReferenceIndex>): Promise<ReferenceIndex> {
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    this.misses++;
    const p = load();
    this.entries.set(key, p);
    p.catch(() => {
      if (this.entries.get(key) === p) this.entries.delete(key);
    });
    while (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value!);
    return p;
  }

  /** Number of cached entries. */
  get size(): number {
    return this.entries.size;
  }
}

/** The process-wide cache the app uses. */
export const referenceIndexCache = new ReferenceIndexCache();

/**
 * The reference index of `ref` (a commit sha: cached; anything else: built every time).
 *
 * GitHub calls on a miss: `GET /repos/{owner}/{repo}/tarball/{ref}` (302 → codeload), streamed.
 *
 * @param matcher the project's known keys; only their definitions are kept
 * @param opts `ignorePaths`, `maxFileBytes`, `maxFiles` as for the scan; `log`
 * @throws RepositoryScanError or the Octokit error when the archive cannot be read (callers go on without)
 */
export function loadReferenceIndex(
  octokit: GitHubClient,
  repo: RepoRef,
  ref: string,
  matcher: FlagMatcher,
  opts: Omit<ScanTarballOptions, "onFile"> & { cache?: ReferenceIndexCache; log?: Logger } = {},
): Promise<ReferenceIndex> {
  const { cache = referenceIndexCache, ...scanOpts } = opts;
  const build = async (): Promise<ReferenceIndex> => {
    const builder = new ReferenceIndexBuilder(matcher);
    const scan = await scanRepository(octokit, repo, matcher, { ...scanOpts, ref, onFile: (f, t) => builder.add(f, t) });
    const index = builder.finish();
    index.references = scan.byFlag;
    opts.log?.info(
      { repo: `${repo.owner}/${repo.repo}`, ref, files: index.filesIndexed, definitions: index.definitions.size },
      "repository reference index built",
    );
    return index;
  };
  if (!/^[0-9a-f]{40}$/.test(ref)) return build();
  return cache.get(`${repo.owner}/${repo.repo}@${ref}#${keySetFingerprint(matcher.keys)}`, build);
}
