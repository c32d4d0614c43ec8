/**
 * `npm run bench`: prints every benchmark's figures (no assertions; these machines are noisy, so read
 * medians and ratios). Optional arguments: `npm run bench -- matcher|pr|scan|chatops|peeking|autopilot|load|all`,
 * and `npm run bench -- index -- <archive.tar.gz>` (not part of "all": it needs an archive).
 */
import { benchAutopilot } from "./autopilot.js";
import { benchChatops } from "./chatops.js";
import { benchLoad } from "./load-bench.js";
import { benchMatcher } from "./matcher.js";
import { benchPeeking } from "./peeking.js";
import { benchPullRequest } from "./pull-request.js";
import { benchReferenceIndex } from "./reference-index.js";
import { benchScan } from "./scan.js";
import { benchScanCoverage } from "./scan-coverage.js";

const which = process.argv[2] ?? "all";
const line = (title: string) => console.log(`\n== ${title} ==`);

if (which === "all" || which === "matcher") {
  line("flag-key matcher: 5,000 keys over >= 50 MB of node_modules source");
  await benchMatcher();
}
if (which === "all" || which === "pr") {
  line("one pull_request event against local fake GitHub and PostHog");
  await benchPullRequest({ posthogLatencyMs: 0 });
  await benchPullRequest({ posthogLatencyMs: 50 });
}
if (which === "all" || which === "scan") {
  line("scheduled scan of a synthetic project (1,000 experiments, 5,000 flags) against a local fake PostHog");
  await benchScan({ latencyMs: 20 });
  line("scan coverage of running experiments within PostHog's query budget (simulated day, the real planner)");
  benchScanCoverage();
}
if (which === "all" || which === "chatops") {
  line("/experiment comment parser on ordinary and hostile comment bodies");
  benchChatops();
}
if (which === "all" || which === "peeking") {
  line("repeated looks: false promote/rollback rate (A/A) and power (A/B +10 %), sequential inference on and off");
  benchPeeking();
}
if (which === "all" || which === "autopilot") {
  line("autopilot: false rollbacks of harmless changes (A/A) and how fast a real -10 % regression is rolled back (A/B)");
  benchAutopilot();
}
if (which === "all" || which === "load") {
  line("queue under load: 2 web + 2 worker processes on one Redis, 500 deliveries over 50 PRs (needs redis-server)");
  await benchLoad({ posthogLatencyMs: process.argv[3] === undefined ? 20 : Number(process.argv[3]) });
}
if (which === "index") {
  const archive = process.argv.slice(3).find((a) => a !== "--");
  line("repository reference index built from a streamed .tar.gz archive");
  if (archive === undefined) {
    console.log("usage: npm run bench -- index -- <archive.tar.gz>");
    process.exitCode = 2;
  } else {
    await benchReferenceIndex({ archive });
  }
}
