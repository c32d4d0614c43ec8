/**
 * Bench of the `/experiment` comment parser on ordinary and hostile comment bodies: median time per
 * parse (ms) and throughput (MB/s). The parser runs on every comment of every installed repository, so a
 * pathological body (a 1 MB single line, thousands of fences) must stay linear.
 */
import { performance } from "node:perf_hooks";
import { parseComment } from "../chatops/parse.js";

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Prints one line per body kind: size, median ms over `runs` parses, MB/s. */
export function benchChatops(runs = 15): void {
  const mb = 1024 * 1024;
  const bodies: [string, string][] = [
    ["typical review comment with a command", "Looks good to me.\n\n/experiment promote new-checkout test\n\nThanks!"],
    ["1 MB single line starting with /experiment", `/experiment ack 1 srm ${"x".repeat(mb)}`],
    ["1 MB of fenced blocks holding commands", "```\n/experiment promote a --confirm\n```\n".repeat(Math.ceil(mb / 36))],
    ["1 MB of quoted lines", "> /experiment rollback a --confirm\n".repeat(Math.ceil(mb / 35))],
    ["1 MB of unclosed fences and backtick runs", "````x\n``\n~~~\n".repeat(Math.ceil(mb / 15))],
    ["1 MB of short lines with no command", "just a comment line\n".repeat(Math.ceil(mb / 20))],
  ];
  for (const [label, body] of bodies) {
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      parseComment(body);
      times.push(performance.now() - t0);
    }
    const ms = median(times);
    const size = body.length;
    const rate = ms > 0 ? size / mb / (ms / 1000) : Infinity;
    console.log(
      `${label}: ${size.toLocaleString("en-US")} chars, median ${ms.toFixed(3)} ms over ${runs} parses` +
        (size >= mb / 2 ? `, ${rate.toFixed(0)} MB/s` : ""),
    );
  }
}
