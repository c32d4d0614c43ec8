#!/usr/bin/env node
/**
 * Renders the charts of the demo scan report to PNG, through the app's own render path: the built CLI's
 * offline scan of the bundled snapshot (`dist/cli/main.js`, the same Markdown a hygiene issue gets), then
 * Mermaid's browser bundle from node_modules in a headless Chromium, in GitHub's light and dark themes.
 *
 *   npm run render-chart                      # docs/images/srm-chart.png and srm-chart-dark.png
 *   npm run render-chart -- --all --out DIR   # every chart (srm, contamination, stall), light and dark
 *
 * Needs Chromium (Debian: `apt-get install chromium`; or set CHROMIUM=/path/to/chrome). MERMAID_JS=path
 * renders with another `mermaid.min.js` (e.g. an older Mermaid 11 as GitHub may run). Not used by the
 * tests, which check the same charts with Mermaid's parser in Node.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const args = process.argv.slice(2);
const all = args.includes("--all");
const outIndex = args.indexOf("--out");
const outDir = resolve(outIndex >= 0 ? args[outIndex + 1] : join(root, "docs/images"));
const chromium = process.env.CHROMIUM ?? "chromium";
// MERMAID_JS: another build of Mermaid's browser bundle, e.g. the version GitHub runs.
const mermaidJs = resolve(process.env.MERMAID_JS ?? join(root, "node_modules/mermaid/dist/mermaid.min.js"));

/** GitHub's page backgrounds and the Mermaid theme GitHub uses with each. */
const THEMES = [
  { suffix: "", theme: "default", background: "#ffffff" },
  { suffix: "-dark", theme: "dark", background: "#0d1117" },
];

const { runCli, DEMO_DIR } = await import(join(root, "dist/cli/main.js"));
const out = [];
const io = { stdout: (t) => out.push(t), stderr: () => {}, readStdin: async () => "", stdinIsTTY: true, env: {} };
const code = await runCli(["scan", "--offline", "--snapshot", `${DEMO_DIR}snapshot.json`, "--watch-cap", "50"], io);
if (code !== 0) throw new Error(`the demo scan exited with ${code}`);
const markdown = out.join("");
const blocks = [...markdown.matchAll(/```mermaid\n([\s\S]*?)\n```/g)].map((m) => m[1]);
const names = ["srm", "contamination", "stall"];
const titles = blocks.map((b) => /title "([^"]*)"/.exec(b)?.[1] ?? "");
const charts = blocks.map((source, i) => ({
  name: /^Share of exposures/.test(titles[i]) ? "srm" : /^Daily share/.test(titles[i]) ? "contamination" : names[2],
  source,
}));
const wanted = all ? charts : charts.filter((c) => c.name === "srm");
if (wanted.length === 0) throw new Error("the demo scan produced no SRM chart");

function escapeHtml(s) {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

mkdirSync(outDir, { recursive: true });
const work = mkdtempSync(join(tmpdir(), "render-chart-"));
try {
  for (const chart of wanted) {
    for (const t of THEMES) {
      const html = join(work, `${chart.name}${t.suffix}.html`);
      writeFileSync(
        html,
        `<!doctype html><html><head><meta charset="utf-8"><style>
html,body{margin:0;background:${t.background}}
pre.mermaid{margin:0;padding:16px 24px;width:720px}
</style></head><body><pre class="mermaid">${escapeHtml(chart.source)}</pre>
<script src="file://${mermaidJs}"></script>
<script>mermaid.initialize({ startOnLoad: false, theme: "${t.theme}" }); mermaid.run();</script>
</body></html>`,
      );
      const png = join(outDir, `${chart.name}-chart${t.suffix}.png`);
      const profile = mkdtempSync(join(tmpdir(), "render-chart-profile-"));
      try {
        execFileSync(
          chromium,
          [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--allow-file-access-from-files",
            `--user-data-dir=${profile}`,
            "--virtual-time-budget=10000",
            "--window-size=768,436",
            `--screenshot=${png}`,
            `file://${html}`,
          ],
          { stdio: ["ignore", "ignore", "pipe"] },
        );
      } finally {
        rmSync(profile, { recursive: true, force: true });
      }
      console.log(`${png} (${Math.round(statSync(png).size / 1024)} KB)`);
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
