/**
 * Benchmark of the repository reference index (`src/matching/reference-index.ts`) on a real repository
 * archive: build time and peak memory while the `.tar.gz` is streamed from disk through the repository
 * scan (`scanTarball` with `onFile`), as the app does with GitHub's tarball.
 *
 * Run: `npm run bench -- index -- <archive.tar.gz>` (for example `git archive --format=tar.gz HEAD` of a
 * large repository; not part of the repository).
 *
 * Keys: 5,000 synthetic keys (as the matcher bench) plus every literal key of a PostHog SDK call found in
 * the archive by an untimed first pass, so the index holds the repository's real flag keys' definitions.
 * Memory: `process.memoryUsage()` sampled every 10 ms during the build; the heap is collected first
 * (`--expose-gc`), and peaks are reported above that baseline and as absolute RSS.
 */
import { createReadStream, statSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { scanTarball } from "../pipeline/repository-scan.js";
import { createFlagMatcher, ReferenceIndexBuilder, type ReferenceIndex } from "../matching/index.js";
import { syntheticKeys } from "./matcher.js";

const MB = 1024 * 1024;

/** Options of {@link benchReferenceIndex}. */
export interface BenchIndexOptions {
  archive: string;
  repetitions?: number;
  log?: (line: string) => void;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Runs the benchmark.
 * @returns `archiveMB` (MiB), `files`, `keys`, `definitions`, `buildMsMedian`, `peakHeapMB` and `peakRssMB`
 *   (MiB above the collected baseline), `peakRssAbsMB`, `retainedHeapMB` (after a full GC, index kept)
 */
export async function benchReferenceIndex(opts: BenchIndexOptions): Promise<Record<string, number>> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const reps = Math.max(1, opts.repetitions ?? 3);
  const archiveBytes = statSync(opts.archive).size;

  // Untimed first pass: literal keys of SDK calls in the archive (unknown keys against an empty key set).
  const probe = createFlagMatcher([]);
  const real = new Set<string>();
  await scanTarball(createReadStream(opts.archive), probe, {
    onFile: (_f, text) => {
      for (const line of text.split("\n")) {
        if (line.length > 2000) continue;
        for (const u of probe.scanLineDetailed(line).unknownKeys) real.add(u.key);
      }
    },
  });
  const keys = [...syntheticKeys(5000), ...real];
  const matcher = createFlagMatcher(keys);

  const gc = (globalThis as { gc?: () => void }).gc;
  const times: number[] = [];
  let peakHeap = 0;
  let peakRss = 0;
  let peakRssAbs = 0;
  let index: ReferenceIndex | null = null;
  let files = 0;
  let retained = 0;
  for (let r = 0; r < reps; r++) {
    index = null;
    gc?.();
    const base = process.memoryUsage();
    let heap = 0;
    let rss = 0;
    let rssAbs = 0;
    const sample = () => {
      const m = process.memoryUsage();
      heap = Math.max(heap, m.heapUsed - base.heapUsed);
      rss = Math.max(rss, m.rss - base.rss);
      rssAbs = Math.max(rssAbs, m.rss);
    };
    const timer = setInterval(sample, 10);
    const t0 = performance.now();
    const builder = new ReferenceIndexBuilder(matcher);
    const scan = await scanTarball(createReadStream(opts.archive), matcher, { onFile: (f, t) => builder.add(f, t) });
    index = builder.finish();
    index.references = scan.byFlag;
    times.push(performance.now() - t0);
    clearInterval(timer);
    sample();
    files = scan.filesScanned;
    peakHeap = Math.max(peakHeap, heap);
    peakRss = Math.max(peakRss, rss);
    peakRssAbs = Math.max(peakRssAbs, rssAbs);
    gc?.();
    retained = process.memoryUsage().heapUsed - base.heapUsed;
  }
  const result = {
    archiveMB: Math.round((archiveBytes / MB) * 10) / 10,
    files,
    keys: keys.length,
    realKeys: real.size,
    definitions: index!.definitions.size,
    charsIndexedMB: Math.round((index!.charsIndexed / MB) * 10) / 10,
    buildMsMedian: Math.round(median(times)),
    peakHeapMB: Math.round((peakHeap / MB) * 10) / 10,
    peakRssMB: Math.round((peakRss / MB) * 10) / 10,
    peakRssAbsMB: Math.round((peakRssAbs / MB) * 10) / 10,
    retainedHeapMB: Math.round((retained / MB) * 10) / 10,
  };
  log(`reference index bench: ${opts.archive} (${result.archiveMB} MiB .tar.gz), ${files} files read, ${result.charsIndexedMB} Mi chars`);
  log(`keys: ${keys.length} (${real.size} literal SDK-call keys found in the archive + 5,000 synthetic); definitions kept: ${result.definitions}`);
  log(`build (stream + gunzip + untar + scan + index): ${result.buildMsMedian} ms median of ${reps} runs`);
  log(`peak memory above baseline: heap ${result.peakHeapMB} MiB, RSS ${result.peakRssMB} MiB (absolute RSS ${result.peakRssAbsMB} MiB)`);
  log(`retained after a full GC (the index and the scan's references): ${result.retainedHeapMB} MiB`);
  return result;
}
